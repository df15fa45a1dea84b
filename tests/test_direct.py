"""The direct evaluator agrees with experta, the engine of record, rule for rule."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
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


def _reference_state(evaluator, answers):
    """The direct evaluator's run spelt out the plain way: every layer compiled on its own with the plan's
    repeat flag (each layer that feeds itself runs until it adds nothing) and the names set kept."""
    from sourcing.expert import codegen
    from sourcing.expert.direct import _Compiled, _State

    layers = [
        (layer.repeats, [(c.rule.id, c.rule.when, c.findings, c.names, (), c if c.scores else None) for c in rules])
        for layer, rules in ((layer, [_Compiled(r) for r in layer.rules]) for layer in evaluator.plan.layers)
    ]
    state = _State(evaluator.plan, evaluator._vetoes)
    names = set()
    for run_layer in codegen.boolean_layers(layers):
        run_layer(answers, state.findings, names, state.fired, set(), state.fire)
        names.update(name for name, _ in state.findings)
    return state


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets(allow_missing=False))
def test_one_joined_run_that_repeats_only_what_feeds_back_matches_every_layer_run_to_its_fixed_point(advisor, answers):
    state, reference = advisor.direct.fire(answers), _reference_state(advisor.direct, answers)
    assert (state.findings, state.fired, state.scores) == (reference.findings, reference.fired, reference.scores)
    verdict = advisor.direct.verdict(answers)
    assert verdict == advisor.direct.run(answers).verdict


def test_a_rule_feeding_an_earlier_one_still_gets_its_second_pass(tmp_path):
    evaluator = Advisor(load(make_kb(tmp_path, CHAIN))).direct
    for need in evaluator.kb.question("need").choices:
        answers = {q.id: "unknown" for q in evaluator.kb.questions} | {"need": need}
        assert evaluator.fire(answers).findings == _reference_state(evaluator, answers).findings


def _reference_verdict(recommended, scores, vetoed, candidates):
    """The runner-up and margin by sorting, as the rule reads: not vetoed first, then by fit, then by order."""
    from sourcing.expert.outcome import Verdict

    model, order = recommended[0], list(scores)
    if model not in scores:
        if len(candidates) > 1:
            return Verdict(model, None, None)
        ranked = sorted(order, key=lambda m: (m not in candidates, -scores[m], order.index(m)))
        return Verdict(model, ranked[0], None)
    rivals = sorted((m for m in order if m != model), key=lambda m: (m in vetoed, -scores[m], order.index(m)))
    open_rivals = [m for m in rivals if m not in vetoed]
    return Verdict(model, rivals[0], scores[model] - scores[open_rivals[0]] if open_rivals else None)


MODELS = ("m0", "m1", "m2", "m3")


@settings(max_examples=500, deadline=None)
@given(
    scores=st.lists(st.sampled_from([-2, -0.5, 0, 0.5, 1, 3]), min_size=2, max_size=4),
    model=st.sampled_from(MODELS + ("fallback",)),
    vetoed=st.sets(st.sampled_from(MODELS)),
    candidates=st.sets(st.sampled_from(MODELS)),
)
def test_the_verdict_picks_the_runner_up_and_margin_as_sorting_would(scores, model, vetoed, candidates):
    from sourcing.expert.outcome import verdict

    scored = dict(zip(MODELS, scores))
    assume(model in scored or model == "fallback")
    assert verdict([model], scored, vetoed, candidates) == _reference_verdict([model], scored, vetoed, candidates)


@settings(max_examples=300, deadline=None)
@given(
    evidence=st.lists(
        st.lists(st.tuples(st.sampled_from(MODELS), st.floats(-10, 10, allow_nan=False)), max_size=3), max_size=8
    ),
    counted=st.sets(st.integers(0, 7)),
)
def test_the_generated_fit_sum_adds_exactly_as_a_loop_in_file_order(evidence, counted):
    """Float sums depend on their order: the generated sum must add the same weights in the same order."""
    from sourcing.expert import codegen

    pieces = [(f"r{n}", tuple(weights)) for n, weights in enumerate(evidence)]
    expected = dict.fromkeys(MODELS, 0)
    for rule_id, weights in pieces:
        if int(rule_id[1:]) in counted:
            for name, weight in weights:
                expected[name] += weight
    total = codegen.summing(MODELS, pieces)({f"r{n}" for n in counted})
    assert list(total.items()) == list(expected.items())
    assert all(type(total[m]) is type(expected[m]) for m in MODELS)


def test_the_kept_rankings_are_the_rankings_even_once_the_store_starts_again(advisor, monkeypatch):
    from sourcing.expert import plan as plan_module

    monkeypatch.setattr(plan_module, "RANKINGS_KEPT", 3)
    rule_plan = plan_module.plan(advisor.kb)
    evidence = [rule_id for rule_id, _ in rule_plan.evidence]
    for n in range(60):
        counted = {rule_id for i, rule_id in enumerate(evidence) if (n >> (i % 6)) & 1}
        vetoed = [m for i, m in enumerate(rule_plan.models) if (n >> i) & 1 and n % 4]
        totals, ranked = rule_plan.score(counted, vetoed)
        assert totals == rule_plan.totals(counted)
        assert ranked == tuple(advisor.kb.ranked_findings(totals, vetoed))
        assert len(rule_plan._ranked) <= 3
