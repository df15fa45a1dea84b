"""The one reading of a condition tree: a fold, and the evaluators written as algebras handed to it.

A condition is an ``Atom`` (a test of an answer or a finding), ``All``/``Any``
of conditions, ``Not`` of one, or None ("always"). ``fold`` is the only code
that looks at the node types: it dispatches through one table (an unknown node
is a ConditionError, never a default), and every reading of a condition is an
``Algebra`` (one function per node type) handed to it: the disjunctive normal
form the experta rules need, the branch count the loader bounds, the Kleene
truth, the atoms, the Python expressions of the direct evaluator and the
foresight (sourcing.expert.codegen), the sentences (sourcing.expert.describe).

Readings that need the negations pushed down to the atoms (the DNF, the values
a rule reads) fold with ``negation_normal``: De Morgan lives there once.

In the DNF a rule's condition becomes a list of branches; each branch is a list
of literals ``(atom, positive)``. A negated answer test becomes a positive test
of the other values (every question has exactly one answer fact, ``unknown``
included), a negated finding test stays a NOT (the finding is absent).
"""

from collections.abc import Callable, Mapping, Sequence
from itertools import product
from math import prod
from typing import Generic, TypeVar

from sourcing.expert.model import All, Any, Atom, Condition, Not, Question
from sourcing.expert.record import Record

T = TypeVar("T")
U = TypeVar("U")

MAX_BRANCHES = 64  # alternatives a condition may expand to (the loader reports more with FILE:LINE)

Literal = tuple[Atom, bool]
Branch = list[Literal]


class ConditionError(ValueError):
    """A condition tree no evaluator can read: an unknown node, an empty all/any, a malformed test."""


class Algebra(Record, Generic[T]):
    """One way of reading a condition: what an atom is, how all/any/not combine the readings of their
    items, and what no condition (None, "always") means. Every field is required, so a new operator
    (a new field) is a TypeError at every algebra that does not say what it means."""

    atom: Callable[[Atom], T]
    all: Callable[[Sequence[T]], T]
    any: Callable[[Sequence[T]], T]
    not_: Callable[[T], T]
    always: T


def _part(node, algebra):
    if node is None:
        raise ConditionError("'always' (None) is a whole condition, never a part of one")
    return fold(node, algebra)


def _fold_items(node, algebra, combine):
    if not node.items:
        raise ConditionError(f"an {type(node).__name__.lower()} needs at least one condition")
    return combine(algebra)(tuple(_part(item, algebra) for item in node.items))


# The one table of node types: how the fold reads each. A new operator is one entry here (and one field
# of Algebra, and one function in each algebra).
_NODES = {
    Atom: lambda node, algebra: algebra.atom(node),
    All: lambda node, algebra: _fold_items(node, algebra, lambda a: a.all),
    Any: lambda node, algebra: _fold_items(node, algebra, lambda a: a.any),
    Not: lambda node, algebra: algebra.not_(_part(node.item, algebra)),
}


def fold(condition: Condition | None, algebra: Algebra[T]) -> T:
    """Read ``condition`` bottom-up with ``algebra``; None reads as ``algebra.always``.

    ConditionError for a node that is not a condition, an all/any with no item, or None inside a tree."""
    if condition is None:
        return algebra.always
    reader = _NODES.get(type(condition))
    if reader is None:
        raise ConditionError(f"unknown condition node {type(condition).__name__}")
    return reader(condition, algebra)


def negation_normal(
    atom: Callable[[Atom, bool], U], all_: Callable[[Sequence[U]], U], any_: Callable[[Sequence[U]], U], always: U
) -> Algebra[Callable[[bool], U]]:
    """An algebra that pushes every negation down to the atoms (De Morgan): ``atom(a, positive)`` reads
    a test that must hold (or fail), ``all_``/``any_`` combine. Fold with it, then call the result
    with True (see ``normal_fold``)."""
    return Algebra(
        atom=lambda a: lambda positive: atom(a, positive),
        all=lambda parts: lambda positive: (all_ if positive else any_)([p(positive) for p in parts]),
        any=lambda parts: lambda positive: (any_ if positive else all_)([p(positive) for p in parts]),
        not_=lambda part: lambda positive: part(not positive),
        always=lambda positive: always,
    )


def normal_fold(
    condition: Condition | None,
    atom: Callable[[Atom, bool], U],
    all_: Callable[[Sequence[U]], U],
    any_: Callable[[Sequence[U]], U],
    always: U,
) -> U:
    """Fold ``condition`` with its negations pushed down to the atoms (see ``negation_normal``)."""
    return fold(condition, negation_normal(atom, all_, any_, always))(True)


# -- the DNF the experta compilation needs --------------------------------------------------------

_BRANCH_COUNT: Algebra[tuple[int, int]] = (
    Algebra(  # (branches when it must hold, branches when it must fail), without expanding
        atom=lambda a: (1, 1),
        all=lambda parts: (prod(p[0] for p in parts), sum(p[1] for p in parts)),
        any=lambda parts: (sum(p[0] for p in parts), prod(p[1] for p in parts)),
        not_=lambda part: (part[1], part[0]),
        always=(1, 1),
    )
)


def branch_count(condition: Condition | None, positive: bool = True) -> int:
    """How many branches the DNF of ``condition`` has before merging, counted without expanding it."""
    return fold(condition, _BRANCH_COUNT)[0 if positive else 1]


def branches(condition: Condition | None, questions: Mapping[str, Question]) -> list[Branch]:
    """The DNF of ``condition`` as a list of literal lists; None means 'always' (one empty branch)."""
    if branch_count(condition) > MAX_BRANCHES:
        raise ValueError(f"a condition expands to more than {MAX_BRANCHES} branches")
    result = []
    for branch in _dnf(condition, questions):
        merged = _merge_answers(branch)
        if merged is not None and merged not in result:
            result.append(merged)
    return result


def _dnf(condition, questions):
    def literal(atom, positive):
        if positive or atom.kind != "answer":
            return [[(atom, positive)]]
        others = tuple(v for v in questions[atom.name].choices if v not in atom.values)
        return [[(Atom("answer", atom.name, others, atom.line), True)]]

    return normal_fold(
        condition,
        literal,
        lambda parts: [sum(combo, []) for combo in product(*parts)],
        lambda parts: [branch for part in parts for branch in part],
        [[]],
    )


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


# -- plain evaluation -------------------------------------------------------------------------------


def _kleene_all(values):
    return False if False in values else None if None in values else True


def _kleene_any(values):
    return True if True in values else None if None in values else False


def evaluate(
    condition: Condition | None, answer_of: Callable[[str], str | None], finding_state: Callable[[Atom], bool | None]
) -> bool | None:
    """Kleene three-valued truth of ``condition``: True, False or None (undecided).

    ``answer_of(q)`` gives a question's value, or None while it is still open;
    ``finding_state(atom)`` gives True/False/None for a finding test.
    """

    def atom(a):
        if a.kind == "finding":
            return finding_state(a)
        value = answer_of(a.name)
        return None if value is None else value in a.values

    return fold(
        condition,
        Algebra(atom=atom, all=_kleene_all, any=_kleene_any, not_=lambda v: None if v is None else not v, always=True),
    )


def finding_test(findings):
    """A ``finding_state`` for ``evaluate``: true when one of ``findings`` ((name, value) pairs) meets the atom."""
    findings = tuple(findings)
    return lambda atom: any(
        name == atom.name and (atom.values is None or value in atom.values) for name, value in findings
    )


# -- structure ---------------------------------------------------------------------------------------

_ATOMS: Algebra[tuple[Atom, ...]] = Algebra(
    atom=lambda a: (a,),
    all=lambda parts: sum(parts, ()),
    any=lambda parts: sum(parts, ()),
    not_=lambda part: part,
    always=(),
)


def atoms(condition: Condition | None) -> list[Atom]:
    """Every atom in ``condition``, in order."""
    found = fold(condition, _ATOMS)
    return list(found)


def map_atoms(condition: Condition | None, change: Callable[[Atom], Atom]) -> Condition | None:
    """``condition`` with every atom replaced by ``change(atom)``, the rest of the tree kept."""
    return fold(
        condition,
        Algebra(
            atom=change, all=lambda parts: All(tuple(parts)), any=lambda parts: Any(tuple(parts)), not_=Not, always=None
        ),
    )


def conjuncts(condition: Condition | None) -> tuple[Condition, ...]:
    """The top-level clauses of ``condition``: the items of an ``all``, else the condition alone
    (none for "always")."""
    if condition is None:
        return ()
    return condition.items if type(condition) is All else (condition,)


def values_read(condition: Condition | None, question: Question) -> frozenset:
    """The values of ``question`` under which the tests of it in ``condition`` hold (a negated test
    holds on the other values)."""

    def atom(a, positive):
        if a.kind != "answer" or a.name != question.id:
            return frozenset()
        values = a.values or ()  # an answer test always names its values
        return frozenset(values) if positive else frozenset(question.choices).difference(values)

    def union(parts):
        return frozenset().union(*parts)

    return normal_fold(condition, atom, union, union, frozenset())


def check(condition: Condition | None, questions: Mapping[str, Question]) -> None:
    """ConditionError unless every evaluator can read ``condition``: known node types, no empty
    all/any, answer tests of questions of the catalogue with values, finding tests with a name and
    none or some values, at most MAX_BRANCHES alternatives."""

    def atom(a):
        if type(a.name) is not str or not a.name:
            raise ConditionError(f"a test needs a name, not {a.name!r}")
        if a.kind == "answer":
            if a.name not in questions:
                raise ConditionError(f"a test of '{a.name}', which is not a question")
            if not a.values or not set(a.values) <= set(questions[a.name].choices):
                allowed = ", ".join(questions[a.name].choices)
                raise ConditionError(f"the test of '{a.name}' needs values among {allowed}")
        elif a.kind == "finding":
            if a.values is not None and (not a.values or not all(type(v) is str for v in a.values)):
                raise ConditionError(f"the test of finding '{a.name}' needs no values or some")
        else:
            raise ConditionError(f"a test of an answer or a finding, not of {a.kind!r}")

    fold(
        condition,
        Algebra(atom=atom, all=lambda parts: None, any=lambda parts: None, not_=lambda part: None, always=None),
    )
    if branch_count(condition) > MAX_BRANCHES:
        raise ConditionError(
            f"the condition expands to {branch_count(condition):,} alternatives; at most {MAX_BRANCHES} are allowed"
        )
