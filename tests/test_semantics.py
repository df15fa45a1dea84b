"""One semantics: every evaluator of a condition, and every engine, agree on random knowledge bases.

The shipped rules never put a ``not`` over an answer test or over all/any, so these tests generate
whole knowledge bases (tests/kb_strategies.py) and conditions that do, and check on generated
answer sets that the experta engine, the direct evaluator and the foresight agree, that the
three-valued readings agree with the two-valued ones once everything is known and never decide what
a completion could overturn, and that the DNF the experta rules are built from holds exactly when
the tree does.
"""

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from kb_strategies import (
    FINDING_VALUES,
    complete_answers,
    completions,
    conditions,
    finding_states,
    knowledge_bases,
    partial_answers,
    question_sets,
)

from sourcing.expert import Advisor, codegen, describe
from sourcing.expert.conditions import (
    MAX_BRANCHES,
    Algebra,
    ConditionError,
    atoms,
    branch_count,
    branches,
    evaluate,
    finding_test,
    fold,
    map_atoms,
)
from sourcing.expert.errors import EngineError
from sourcing.expert.kinds import BY_NAME
from sourcing.expert.model import All, Any, Atom, Not
from sourcing.expert.outcome import Conclusion


def _engine_run(advisor, answers):
    """What the experta engine established: fired rules, findings, scores, conclusions."""
    facts, firings = advisor.consultant.run(answers)
    return (
        {f.rule for f in firings},
        {(f.name, f.value) for f in facts.values() if f.kind == "finding"},
        {f.name: f.value for f in facts.values() if f.kind == "score"},
        {Conclusion(f.kind, f.name, f.value, f.text, f.rule) for f in facts.values() if f.kind in BY_NAME},
    )


def _verdict(run, answers):
    try:
        return run(answers)
    except EngineError as refused:
        return type(refused)


def _experta_agrees_with_direct(advisor, answers):
    state = advisor.direct.fire(answers)
    conclusions = {advisor.direct.conclusions[n] for n in state.conclusions}
    assert _engine_run(advisor, answers) == (state.fired, state.findings, state.scores, conclusions)
    consulted = _verdict(advisor.consult, answers)
    evaluated = _verdict(advisor.evaluate, answers)
    if consulted is EngineError or evaluated is EngineError:
        assert consulted is evaluated  # both refuse: no single recommendation, or nothing ranked
    else:
        assert (consulted.recommendation, consulted.runner_up, consulted.margin) == (
            evaluated.model,
            evaluated.verdict.runner_up,
            evaluated.verdict.margin,
        )
    return state


def _three_valued_agrees_once_all_is_known(advisor, answers, state):
    view = advisor.foresight.outlook(answers)
    assert set(view.status.values()) <= {True, False}
    assert {rule for rule, fired in view.status.items() if fired} == state.fired
    assert view.certain == view.possible == state.findings
    established = finding_test(state.findings)
    for rule in advisor.kb.rules:
        assert evaluate(rule.when, answers.get, established) is (rule.id in state.fired), rule.id


def _view_state(view):
    """A ``finding_state`` for ``evaluate`` from what a foresight view knows."""

    def state(atom):
        pairs = {(n, v) for n, v in view.possible if n == atom.name and (atom.values is None or v in atom.values)}
        return True if pairs & view.certain else None if pairs else False

    return state


def _sound(advisor, partial, view, completion):
    """Whatever the foresight decided on ``partial`` answers holds in ``completion``."""
    state = advisor.direct.fire(completion)
    assert view.certain <= state.findings <= view.possible
    finding_state = _view_state(view)
    for rule in advisor.kb.rules:
        fired = rule.id in state.fired
        assert view.status[rule.id] in (None, fired), rule.id
        assert evaluate(rule.when, partial.get, finding_state) in (None, fired), rule.id


@settings(max_examples=45, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(generated=knowledge_bases(), data=st.data())
def test_every_engine_agrees_on_random_knowledge_bases(generated, data):
    advisor = Advisor(generated.load())
    questions = advisor.kb.questions
    for answers in data.draw(st.lists(complete_answers(questions), min_size=1, max_size=3), label="complete"):
        state = _experta_agrees_with_direct(advisor, answers)
        _three_valued_agrees_once_all_is_known(advisor, answers, state)
    partial = data.draw(partial_answers(questions), label="partial")
    view = advisor.foresight.outlook(partial)
    for completion in data.draw(st.lists(completions(partial, questions), min_size=1, max_size=4), label="completions"):
        _sound(advisor, partial, view, completion)


FINDINGS = {"fa": FINDING_VALUES, "fb": FINDING_VALUES}
UNIVERSE = frozenset((name, value) for name, values in FINDINGS.items() for value in values)


def _boolean(condition, answers, established):
    """The truth the direct evaluator's generated code gives ``condition``."""
    (layer,) = codegen.boolean_layers([(False, [("r", condition, frozenset(), frozenset(), (), None)])])
    fired = set()
    layer(answers, set(established), {n for n, _ in established}, fired, set(), None)
    return "r" in fired


def _kleene(condition, answers, certain, possible):
    """The truth the foresight's generated code gives ``condition`` (None: undecided)."""
    (layer,) = codegen.kleene_layers([(False, [("r", condition, (), ())])])
    status = {}
    layer(
        {q: answers.get(q) for q in answers.keys() | _questions(condition)},
        set(certain),
        {n for n, _ in certain},
        set(possible),
        {n for n, _ in possible},
        status,
    )
    return status["r"]


def _questions(condition):
    return {a.name for a in atoms(condition) if a.kind == "answer"}


def _holds_by_dnf(condition, questions, answers, established):
    """Whether one branch of the DNF of ``condition`` holds: every literal met."""

    def met(atom, positive):
        if atom.kind == "answer":
            return answers[atom.name] in atom.values
        present = any(n == atom.name and (atom.values is None or v in atom.values) for n, v in established)
        return present == positive

    return any(
        all(met(atom, positive) for atom, positive in branch)
        for branch in branches(condition, {q.id: q for q in questions})
    )


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_every_reading_of_a_condition_agrees(data):
    questions = data.draw(question_sets(), label="questions")
    condition = data.draw(conditions(questions, FINDINGS, depth=3), label="condition")
    assume(branch_count(condition) <= MAX_BRANCHES)
    answers = data.draw(complete_answers(questions), label="answers")
    established = frozenset(data.draw(st.sets(st.sampled_from(sorted(UNIVERSE))), label="established"))
    truth = evaluate(condition, answers.get, finding_test(established))
    assert truth in (True, False)
    assert _boolean(condition, answers, established) is truth
    assert _kleene(condition, answers, established, established) is truth
    assert _holds_by_dnf(condition, questions, answers, established) is truth

    partial = data.draw(partial_answers(questions), label="partial")
    certain, possible = data.draw(finding_states(UNIVERSE), label="findings known")

    def finding_state(atom):
        pairs = {(n, v) for n, v in possible if n == atom.name and (atom.values is None or v in atom.values)}
        return True if pairs & certain else None if pairs else False

    three = evaluate(condition, partial.get, finding_state)
    assert _kleene(condition, partial, certain, possible) is three
    completion = data.draw(completions(partial, questions), label="completion")
    extra = data.draw(st.sets(st.sampled_from(sorted(possible - certain))) if possible - certain else st.just(set()))
    completed = evaluate(condition, completion.get, finding_test(certain | extra))
    assert three is None or completed is three  # a decided value stays decided under every completion

    text = describe.condition(condition)
    assert all(describe.atom(a) in text for a in atoms(condition))
    assert map_atoms(condition, lambda a: a) == condition


def test_a_not_over_an_any_of_answer_tests_is_pushed_down_to_the_other_values():
    """De Morgan on answers: not (q0 is alpha or q1 is beta) is one branch, q0 not alpha and q1 not beta."""
    from sourcing.expert.model import Question

    questions = {q: Question(q, q, ("alpha", "beta"), ()) for q in ("q0", "q1")}
    condition = Not(Any((Atom("answer", "q0", ("alpha",)), Atom("answer", "q1", ("beta",)))))
    assert branches(condition, questions) == [
        [(Atom("answer", "q0", ("beta", "unknown")), True), (Atom("answer", "q1", ("alpha", "unknown")), True)]
    ]
    assert branch_count(condition) == 1 and branch_count(condition, positive=False) == 2


class _AtLeast:
    """A node no algebra knows."""

    items = ()


@pytest.mark.parametrize("node", [_AtLeast(), All(()), Any(()), Not(All(())), Not(None), All((None,))])
def test_an_unknown_node_an_empty_all_any_or_a_none_inside_is_an_error_never_a_default(node):
    for read in (atoms, branch_count, describe.condition, lambda c: evaluate(c, {}.get, lambda a: None)):
        with pytest.raises(ConditionError):
            read(node)
    with pytest.raises(ConditionError):
        codegen.boolean_layers([(False, [("r", node, frozenset(), frozenset(), (), None)])])
    with pytest.raises(ConditionError):
        codegen.kleene_layers([(False, [("r", node, (), ())])])


def test_an_algebra_must_say_what_every_node_means():
    with pytest.raises(TypeError):
        Algebra(atom=lambda a: a, all=list, any=list, always=None)  # no not_
    counted = fold(
        All((Atom("answer", "q", ("x",)), Not(Atom("finding", "f", None)))),
        Algebra(atom=lambda a: 1, all=sum, any=max, not_=lambda n: n + 10, always=0),
    )
    assert counted == 12


@pytest.mark.parametrize(
    "broken",
    [
        All(()),
        Not(Any(())),
        _AtLeast(),
        Atom("answer", "no_such_question", ("x",)),
        Atom("answer", "need", None),
        Atom("finding", "f", ()),
    ],
)
def test_lint_reports_a_condition_no_evaluator_can_read_instead_of_crashing(kb, broken):
    """A knowledge base built in Python can hold what the loader refuses: lint names it (KB108)."""
    from sourcing.expert.lint import lint
    from sourcing.expert.record import replace

    rules = tuple(replace(rule, when=broken) if rule.id == kb.rules[3].id else rule for rule in kb.rules)
    report = lint(replace(kb, rules=rules))
    assert [(i.code, i.rule) for i in report.issues] == [("KB108", kb.rules[3].id)] and report.failed


def test_each_evidence_rule_counts_once_however_many_ways_it_holds(tmp_path):
    """Two branches that both hold, and the same weight written twice, add the weight once in every engine."""
    from test_engine import SCORE_AND_RECOMMEND
    from test_loader import make_kb

    from sourcing.expert import load

    rules = (
        """rules:
  - {id: E-1, title: twice, layer: evidence, rationale: r, source: "x > y",
     when: {any: [{answer: need, is: process}, {not: {answer: need, is: capacity}}]},
     then: [{evidence: bpo, weight: 2}, {evidence: bpo, weight: 2}, {evidence: bpo, weight: 0.5}]}
"""
        + SCORE_AND_RECOMMEND
    )
    advisor = Advisor(load(make_kb(tmp_path, rules)))
    assert len(branches(advisor.kb.rule("E-1").when, advisor.kb.question_map)) == 2
    answers = advisor.complete({"need": "process"})
    assert advisor.consult(answers).scores["bpo"] == advisor.evaluate(answers).scores["bpo"] == 2.5
    assert advisor.foresight.outlook(answers).certain >= {("leading_model", "bpo")}


def test_a_scoring_rule_with_a_condition_is_refused(tmp_path):
    """The foresight bounds the ranking as if every scoring rule fires: the loader makes sure they do."""
    from test_loader import problems

    rules = (
        "rules:\n"
        + """
  - {id: S-1, title: score, layer: scoring, rationale: r, source: "x > y", when: {answer: need, is: process},
     then: [{score: evidence}]}
"""
    )
    assert any("S-1: the scoring layer always ranks the models: no 'when'" in p for p in problems(tmp_path, rules))
