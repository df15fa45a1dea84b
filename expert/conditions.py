"""Condition trees in disjunctive normal form, the shape experta rules need.

A rule's condition becomes a list of branches; each branch is a list of
literals ``(atom, positive)``. Negations are pushed down to the atoms: a
negated answer test becomes a positive test of the other values (every
question has exactly one answer fact, ``unknown`` included), a negated finding
test stays a NOT (the finding is absent).
"""
from itertools import product
from math import prod

from sourcing.expert.model import All, Any, Atom, Not


MAX_BRANCHES = 64  # alternatives a condition may expand to (the loader reports more with FILE:LINE)


def branch_count(condition, positive=True):
    """How many branches the DNF of ``condition`` has before merging, counted without expanding it."""
    if condition is None or isinstance(condition, Atom):
        return 1
    if isinstance(condition, Not):
        return branch_count(condition.item, not positive)
    counts = [branch_count(item, positive) for item in condition.items]
    return prod(counts) if isinstance(condition, All) == positive else sum(counts)


def branches(condition, questions):
    """The DNF of ``condition`` as a list of literal lists; None means 'always'."""
    if condition is None:
        return [[]]
    if branch_count(condition) > MAX_BRANCHES:
        raise ValueError(f"a condition expands to more than {MAX_BRANCHES} branches")
    result = []
    for branch in _dnf(condition, questions):
        merged = _merge_answers(branch)
        if merged is not None and merged not in result:
            result.append(merged)
    return result


def _dnf(condition, questions, positive=True):
    if isinstance(condition, Atom):
        if positive:
            return [[(condition, True)]]
        if condition.kind == "answer":
            others = tuple(v for v in questions[condition.name].choices if v not in condition.values)
            return [[(Atom("answer", condition.name, others, condition.line), True)]]
        return [[(condition, False)]]
    if isinstance(condition, Not):
        return _dnf(condition.item, questions, not positive)
    conjunctive = isinstance(condition, All) == positive
    parts = [_dnf(item, questions, positive) for item in condition.items]
    if conjunctive:
        return [sum(combo, []) for combo in product(*parts)]
    return [branch for part in parts for branch in part]


def _merge_answers(branch):
    """Intersect tests of the same question; None if the branch can never hold."""
    answers = {}
    others = []
    for atom, positive in branch:
        if atom.kind == "answer":
            previous = answers.get(atom.name)
            values = atom.values if previous is None else tuple(v for v in previous.values if v in atom.values)
            if not values:
                return None
            answers[atom.name] = Atom("answer", atom.name, values, atom.line)
        elif (atom, positive) not in others:
            others.append((atom, positive))
    return [(atom, True) for atom in answers.values()] + others


def evaluate(condition, answer_of, finding_state):
    """Kleene three-valued truth of ``condition``: True, False or None (undecided).

    ``answer_of(q)`` gives a question's value, or None while it is still open;
    ``finding_state(atom)`` gives True/False/None for a finding test.
    """
    if condition is None:
        return True
    if isinstance(condition, Atom):
        if condition.kind == "finding":
            return finding_state(condition)
        value = answer_of(condition.name)
        return None if value is None else value in condition.values
    if isinstance(condition, Not):
        inner = evaluate(condition.item, answer_of, finding_state)
        return None if inner is None else not inner
    values = [evaluate(item, answer_of, finding_state) for item in condition.items]
    decisive = isinstance(condition, Any)
    if decisive in values:
        return decisive
    return None if None in values else not decisive


def finding_test(findings):
    """A ``finding_state`` for ``evaluate``: true when one of ``findings`` ((name, value) pairs) meets the atom."""
    findings = tuple(findings)
    return lambda atom: any(name == atom.name and (atom.values is None or value in atom.values)
                            for name, value in findings)


def atoms(condition):
    """Every atom in ``condition``, in order."""
    if condition is None:
        return []
    if isinstance(condition, Atom):
        return [condition]
    if isinstance(condition, Not):
        return atoms(condition.item)
    return [a for item in condition.items for a in atoms(item)]
