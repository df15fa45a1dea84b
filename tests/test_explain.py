"""Explanation chains: every leaf is an answer or an absence; nothing is unexplained."""

from hypothesis import given, settings
from strategies import answer_sets

from sourcing.cli.audit_render import tree_lines
from sourcing.expert import explain, scenarios


def assert_explained(advisor, result):
    kb = advisor.kb
    rule_ids = {r.id for r in kb.rules}
    assert all(f.rule in rule_ids for f in result.firings)
    nodes = explain.graph(result, kb.titles)
    root = explain.tree(nodes, result.recommendation_fact().id)
    leaves = explain.leaves(root)
    assert leaves, "an explanation with no leaves"
    assert {kind for kind, _ in leaves} <= {"answer", "absence"}, leaves
    for fact in result.facts.values():
        if fact.kind != "answer":
            assert result.justifications(fact.id), f"{fact.label()} has no justification"
            node = explain.tree(nodes, fact.id)
            assert {kind for kind, _ in explain.leaves(node)} <= {"answer", "absence"}


def test_scenario_explanations_rest_on_answers(advisor):
    for scenario in scenarios.load(advisor.kb):
        assert_explained(advisor, advisor.consult(scenario.answers))


@settings(max_examples=60, deadline=None)
@given(answers=answer_sets())
def test_random_explanations_rest_on_answers(advisor, answers):
    assert_explained(advisor, advisor.consult(answers))


def test_the_recommendation_tree_names_its_answers(advisor):
    result = advisor.consult({"need": "capacity", "daily_control": "tight"})
    root = explain.tree(explain.graph(result, advisor.kb.titles), result.recommendation_fact().id)
    labels = [label for _, label in explain.leaves(root)]
    assert "answer need = capacity" in labels
    assert "answer daily_control = tight" in labels
    assert "not established: finding blocked = staff_augmentation" in labels


def test_rendered_tree_marks_repeats(advisor):
    result = advisor.consult({"need": "capacity", "daily_control": "tight", "supervision_capacity": "high"})
    lines = tree_lines(explain.tree(explain.graph(result, advisor.kb.titles), result.recommendation_fact().id))
    assert lines[0] == "finding recommended_model = staff_augmentation"
    assert any(line.strip().startswith("<- REC-002") for line in lines)
    assert any(line.endswith(" above)") and "(see #" in line for line in lines)
