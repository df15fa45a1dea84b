"""The direct evaluator agrees with experta, the engine of record, rule for rule."""
from hypothesis import given, settings

from expert import scenarios
from strategies import answer_sets


def assert_agree(advisor, answers):
    outcome = advisor.evaluate(answers)
    result = advisor.consult(answers)
    assert outcome.model == result.recommendation
    assert outcome.fired == {f.rule for f in result.firings}
    assert outcome.scores == result.scores
    assert (outcome.verdict.runner_up, outcome.verdict.margin) == (result.runner_up, result.margin)
    assert outcome.findings == {(f.name, f.value) for f in result.findings}
    assert [c[:2] + (c[3], c[4]) for c in outcome.conclusions if c[0] != "responsibility"] == \
        [(f.kind, f.name, f.text, f.rule) for f in result.facts.values()
         if f.kind in ("warning", "gap", "pricing", "note")]
    assert {c[1]: c[2] for c in outcome.of_kind("responsibility")} == result.responsibility


def test_agrees_on_every_scenario(advisor):
    for scenario in scenarios.load(advisor.kb):
        assert_agree(advisor, scenario.answers)


@settings(max_examples=2000, deadline=None)
@given(answers=answer_sets())
def test_agrees_on_generated_answers(advisor, answers):
    assert_agree(advisor, answers)
