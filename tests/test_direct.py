"""The direct evaluator agrees with experta, the engine of record, rule for rule."""

import pytest
from hypothesis import given, settings
from strategies import answer_sets
from test_engine import SCORE_AND_RECOMMEND
from test_loader import make_kb

from sourcing.expert import Advisor, load, scenarios
from sourcing.expert.kinds import LISTED


def assert_agree(advisor, answers):
    outcome = advisor.evaluate(answers)
    result = advisor.consult(answers)
    assert outcome.model == result.recommendation
    assert outcome.fired == {f.rule for f in result.firings}
    assert outcome.scores == result.scores
    assert (outcome.verdict.runner_up, outcome.verdict.margin) == (result.runner_up, result.margin)
    assert outcome.findings == {(f.name, f.value) for f in result.findings}
    listed = {kind.name for kind in LISTED}
    assert [(c.kind, c.name, c.text, c.rule) for c in outcome.conclusions if c.kind in listed] == [
        (f.kind, f.name, f.text, f.rule) for f in result.facts.values() if f.kind in listed
    ]
    assert {c.name: c.value for c in outcome.of_kind("responsibility")} == result.responsibility


def test_agrees_on_every_scenario(advisor):
    for scenario in scenarios.load(advisor.kb):
        assert_agree(advisor, scenario.answers)


@settings(max_examples=800, deadline=None)  # each example runs experta and the direct evaluator
@given(answers=answer_sets())
def test_agrees_on_generated_answers(advisor, answers):
    assert_agree(advisor, answers)


CHAIN = (
    """rules:
  - {id: L-1, title: a, layer: findings, rationale: r, source: "x > y",
     when: {answer: need, in: [process, service]}, then: [{finding: a, value: "yes"}]}
  - {id: L-2, title: c from b (needs a second pass), layer: findings, rationale: r, source: "x > y",
     when: {finding: b}, then: [{finding: c, value: "yes"}]}
  - {id: L-3, title: b from a, layer: findings, rationale: r, source: "x > y",
     when: {finding: a}, then: [{finding: b, value: "yes"}]}
  - {id: L-4, title: evidence from c, layer: evidence, rationale: r, source: "x > y",
     when: {finding: c}, then: [{evidence: managed_services, weight: 2}]}
"""
    + SCORE_AND_RECOMMEND
)


def test_a_layer_that_feeds_itself_runs_to_its_fixed_point(tmp_path):
    advisor = Advisor(load(make_kb(tmp_path, CHAIN)))
    for need in advisor.kb.question("need").choices:
        assert_agree(advisor, {"need": need})
        fired = advisor.evaluate({"need": need}).fired
        assert ("L-2" in fired) == (need in ("process", "service"))
    view = advisor.foresight.outlook({"need": "process"})
    assert view.status["L-2"] is True and ("c", "yes") in view.certain
    assert advisor.foresight.outlook({}).status["L-2"] is None


ONE_TEST = {
    "all of one any of one": "      all:\n        - any:\n            - answer: need\n              is: process\n",
    "all of one": "      all:\n        - answer: need\n          is: process\n",
}


@pytest.mark.parametrize("condition", sorted(ONE_TEST))
def test_a_single_item_all_or_any_works_in_consult_assess_and_kb_test(tmp_path, condition):
    """Regression: the foresight's generated code once wrote min(x) for an all of one test, a TypeError."""
    from click.testing import CliRunner

    from sourcing.cli.main import cli

    ext = tmp_path / "one"
    (ext / "rules").mkdir(parents=True)
    (ext / "rules" / "50-one.yaml").write_text(
        "rules:\n  - id: EXT-ONE-001\n    title: One test in an all\n    layer: consequences\n"
        '    rationale: A test.\n    source: "A test > of one item"\n'
        "    when:\n" + ONE_TEST[condition] + "    then:\n      - note: one\n        text: A note.\n"
    )
    (tmp_path / "rows.csv").write_text("need\nprocess\ncapacity\n")
    consult = ["consult", "--no-input", "--set", "need=process", "--format", "json"]
    for args in (
        consult,
        ["kb", "test"],
        ["kb", "lint"],
        ["assess", str(tmp_path / "rows.csv"), "--format", "jsonl"],
        ["assess", str(tmp_path / "rows.csv"), "--engine", "experta", "--format", "jsonl"],
    ):
        done = CliRunner().invoke(cli, ["--kb", str(ext), *args])
        assert done.exit_code == 0 and "Traceback" not in done.output, (args, done.output)
    assert "EXT-ONE-001" in CliRunner().invoke(cli, ["--kb", str(ext), *consult]).output
