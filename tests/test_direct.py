"""The direct evaluator agrees with experta, the engine of record, rule for rule."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import answer_sets
from test_engine import SCORE_AND_RECOMMEND
from test_loader import make_kb

from sourcing.expert import Advisor, load, scenarios
from sourcing.expert.kinds import LISTED
from sourcing.expert.outcome import verdict_from
from sourcing.expert.plan import Kept


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
    """The direct evaluator's run spelt out the plain way: every rule compiled on its own, every layer that
    feeds itself (the plan's flag) run until it adds nothing, the names set kept, and the scoring action
    through Plan.score each time its rule fires."""
    from sourcing.expert import codegen
    from sourcing.expert.direct import Fired, _Compiled
    from sourcing.expert.model import VETOED

    rule_plan, findings, fired, names, scores = evaluator.plan, set(), set(), set(), {}
    for layer in rule_plan.layers:
        compiled = [_Compiled(rule) for rule in layer.rules]
        functions = codegen.boolean_layers(
            [(False, [(c.rule.id, c.rule.when, c.findings, c.names, (), None)]) for c in compiled]
        )
        while True:
            before = len(findings)
            for c, function in zip(compiled, functions):
                now = set()
                function(answers, findings, names, now, set(), None)
                fired |= now
                if c.scores and now:
                    vetoed = [model for model in rule_plan.models if (VETOED, model) in findings]
                    scores, ranked = rule_plan.score(fired, vetoed)
                    findings.update(ranked)
                names.update(name for name, _ in findings)
            if not layer.repeats or len(findings) == before:
                break
    return Fired(findings, fired, set(), scores)


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets(allow_missing=False))
def test_one_joined_run_that_repeats_only_what_feeds_back_matches_every_layer_run_to_its_fixed_point(advisor, answers):
    state, reference = advisor.direct.fire(answers), _reference_state(advisor.direct, answers)
    assert (state.findings, state.fired, state.scores) == (reference.findings, reference.fired, reference.scores)
    verdict = advisor.direct.verdict(answers)
    assert verdict == advisor.direct.run(answers).verdict == verdict_from(reference.findings, reference.scores)


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
    # the same sum inline, as a rule's action (the direct evaluator's scoring), then its tests
    tally = codegen.Tally(MODELS, tuple(pieces), (("f", "x"), ("f", "y")))
    (run,) = codegen.boolean_layers([(False, [("score", None, (), (), (), tally)])])
    added = {}
    key = run(
        {},
        {("f", "y")},
        (),
        {f"r{n}" for n in counted},
        set(),
        Kept(lambda key: added.setdefault(key, (("g", "z"),)), 9),
    )[0]
    assert list(key) == [*expected.values(), False, True] and list(added) == [key]
    assert all(type(key[i]) is type(expected[m]) for i, m in enumerate(MODELS))


def test_a_kept_value_is_made_once_and_a_key_whose_making_fails_is_not_kept():
    made = []

    def make(key):
        made.append(key)
        if key < 0:
            raise ValueError(key)
        return key * 2

    kept = Kept(make, 2)
    assert [kept[1], kept[1], kept[2]] == [2, 2, 4] and made == [1, 2]
    with pytest.raises(ValueError):
        kept[-1]
    assert -1 not in kept and kept[3] == 6 and len(kept) <= 2


def test_an_outcome_s_scores_are_its_own(advisor):
    answers = advisor.complete({})
    first = advisor.direct.run(answers)
    first.scores.clear()
    assert advisor.direct.run(answers).scores == advisor.consult(answers).scores != {}


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
        assert len(rule_plan.rankings) <= 3


def test_a_lean_run_records_only_what_its_result_reads_and_returns_the_same_result():
    from sourcing.expert import codegen
    from sourcing.expert.model import Atom

    asks = Atom(kind="answer", name="q", values=("yes",))
    has_x = Atom(kind="finding", name="x", values=("1",))
    tally = codegen.Tally(("m",), (("evidence", (("m", 2),)),), ())
    rules = [
        ("finds", asks, (("x", "1"),), ("x",), (7,), None),  # a finding and a conclusion
        ("notes", has_x, (), (), (8,), None),  # a conclusion only: nothing a lean run keeps
        ("evidence", has_x, (), (), (), None),  # counted by the tally
        ("score", None, (), (), (), tally),
    ]
    full, lean = codegen.boolean_layers([(False, rules)], runs=[1, 1], tests=[("x", "1")], lean={1})
    for answer, expected in (("yes", ((2,), True)), ("no", ((0,), False))):
        states = [(set(), set(), set(), set()) for _ in range(2)]
        results = [
            run({"q": answer}, findings, names, fired, conclusions, {(2,): (), (0,): ()})
            for run, (findings, names, fired, conclusions) in zip((full, lean), states)
        ]
        assert results[0] == results[1] == expected
        (findings, names, fired, conclusions), (lean_findings, lean_names, lean_fired, lean_conclusions) = states
        assert lean_findings == findings and not lean_names and not lean_conclusions
        assert lean_fired == fired & {"evidence"}


def test_totals_equal_in_value_but_not_in_type_keep_their_own_scores(advisor):
    evaluator = advisor.direct
    integral = (3,) + (0,) * (len(evaluator._models) - 1)
    fractional = tuple(float(total) for total in integral)
    flags = (True,) + (False,) * (len([pair for pairs in evaluator._read for pair in pairs]) - 1)  # one recommended
    (_, first), (_, second) = evaluator._kept((integral, *flags)), evaluator._kept((fractional, *flags))
    assert [type(total) for total in first.values()] == [int] * len(integral)
    assert [type(total) for total in second.values()] == [float] * len(integral)
