"""The experta engine: provenance, NOT-only rules, reuse, determinism across processes."""

import json
import os
import subprocess
import sys

import pytest
import yaml
from test_loader import GOOD_RULE, NOT_F_RULE, make_kb

from sourcing.expert import Advisor, load, report, scenarios

SCORE_AND_RECOMMEND = """
  - id: T-003
    title: score
    layer: scoring
    rationale: A test.
    source: "x > y"
    then:
      - score: evidence
  - id: T-004
    title: recommend
    layer: recommendation
    rationale: A test.
    source: "x > y"
    then:
      - recommend: bpo
"""

ANSWERS = {
    "need": "process",
    "work_domain": "business_operations",
    "daily_control": "outcomes_only",
    "process_stability": "stable",
    "governance_capability": "mature",
}


def as_json(advisor, answers):
    return json.dumps(report.build(advisor.consult(answers), advisor.kb, "test"), sort_keys=True)


def test_the_contract_example_recommends_bpo(advisor):
    result = advisor.consult(ANSWERS)
    assert result.recommendation == "bpo"
    assert result.runner_up == "managed_services"
    assert result.margin == result.scores["bpo"] - result.scores["managed_services"] > 0


def test_every_firing_records_matched_and_asserted_facts(advisor):
    result = advisor.consult(ANSWERS)
    assert result.firings, "no rule fired"
    for firing in result.firings:
        assert firing.asserted, firing.rule
        assert all(i in result.facts for i in firing.matched + firing.asserted)
        assert set(firing.new) <= set(firing.asserted)
    first_justification = {}
    for firing in result.firings:
        for fact_id in firing.new:
            first_justification.setdefault(fact_id, firing.step)
    non_answers = [f.id for f in result.facts.values() if f.kind != "answer"]
    assert sorted(first_justification) == sorted(non_answers), "a fact was asserted without a recorded firing"


def test_firing_order_follows_layers(advisor, kb):
    layers = [kb.rule(f.rule).salience for f in advisor.consult(ANSWERS).firings]
    assert layers == sorted(layers, reverse=True)


def test_a_not_only_rule_shows_the_absence_it_relied_on(tmp_path):
    rules = "rules:" + NOT_F_RULE.format(layer="readiness") + GOOD_RULE + SCORE_AND_RECOMMEND
    advisor = Advisor(load(make_kb(tmp_path, rules)))
    fired = advisor.consult({"need": "service"}).firings
    not_f = [f for f in fired if f.rule == "T-002"]
    assert len(not_f) == 1 and not_f[0].matched == ()
    assert [a.label() for a in not_f[0].absent] == ["not established: finding f"]
    score = [f for f in fired if f.rule == "T-003"][0]
    assert [a.label() for a in score.absent] == [
        "not established: evidence for any model",
        "not established: finding vetoed",
    ]
    assert "T-002" not in [f.rule for f in advisor.consult({"need": "capacity"}).firings]


def test_a_reused_engine_gives_the_same_results_as_fresh_ones(advisor):
    cases = [s.answers for s in scenarios.load(advisor.kb)][:12]
    reused = [as_json(advisor, answers) for answers in cases + cases[::-1]]
    fresh = [as_json(Advisor(advisor.kb), answers) for answers in cases + cases[::-1]]
    assert reused == fresh


def test_json_is_byte_identical_across_hash_seeds(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump(dict(ANSWERS, redesign_expected="yes", political_sensitivity="moderate")))
    outputs = set()
    for seed in ("0", "1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run(
            [sys.executable, "-m", "sourcing", "consult", "--answers", str(answers), "--no-input", "--format", "json"],
            capture_output=True,
            env=env,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_not_only_rules_fire_exactly_when_they_hold_and_in_file_order(tmp_path):
    """experta's DepthStrategy can keep stale activations of such rules and orders their ties by hash."""
    not_rules = "".join(
        NOT_F_RULE.format(layer="readiness").replace("T-002", f"T-10{i}").replace("finding: g\n", f"finding: g{i}\n")
        for i in range(8)
    )
    advisor = Advisor(load(make_kb(tmp_path, "rules:" + GOOD_RULE + not_rules + SCORE_AND_RECOMMEND)))
    fired = [f.rule for f in advisor.consult({"need": "capacity"}).firings]
    assert fired == ["T-001", "T-003", "T-004"]
    expected = [f"T-10{i}" for i in range(8)]
    assert [f.rule for f in advisor.consult({"need": "skills"}).firings][:8] == expected


@pytest.mark.parametrize("answers, key", [({"need": "bogus"}, "need"), ({"nope": "x"}, "nope")])
def test_the_library_refuses_bad_answers_like_the_cli(advisor, answers, key):
    import json

    from click.testing import CliRunner

    from sourcing.cli.main import cli
    from sourcing.expert import InputError

    for run in (advisor.consult, advisor.evaluate):
        with pytest.raises(InputError) as raised:
            run(answers)
        assert raised.value.key == key
    shown = CliRunner().invoke(cli, ["consult", "--answers", "-", "--no-input"], input=json.dumps(answers)).output
    assert str(raised.value).split(": ", 1)[1] in shown


def test_answers_that_would_give_no_single_recommendation_decide_nothing(monkeypatch):
    """The deciding-question search tries answers the buyer did not give; one that leaves no single
    recommendation (a knowledge base's gap) decides nothing, and the consultation itself still stands
    (found by the random-knowledge-base agreement test: consult refused where the direct evaluator did not)."""
    from sourcing.expert import Advisor, load
    from sourcing.expert.errors import EngineError

    advisor = Advisor(load())
    assert advisor.consult({}).deciding_questions == ("need",)
    real = advisor.direct.verdict

    def verdict(answers):
        if answers["need"] == "capacity":
            raise EngineError("no single recommendation")
        return real(answers)

    monkeypatch.setattr(advisor.direct, "verdict", verdict)
    result = advisor.consult({})  # before: the EngineError of a hypothetical answer ended the consultation
    assert result.recommendation == load().undetermined.id
    # 'need' no longer decides alone (one of its values decides nothing), no group does: the open questions
    assert result.deciding_questions == tuple(q.question for q in advisor.open_questions(result.answers))
    assert result.deciding_questions != ("need",)
