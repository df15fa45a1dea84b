"""Compile condition trees into Python functions, for the evaluators that run the rules in bulk.

A condition becomes one Python expression, compiled once. The generated source
holds only operators and generated names (``a``, ``f``, ``c0``, ``c1``...): every
question id, finding name and value from the knowledge files is bound as a
constant in the function's namespace, never written into the source. So no
knowledge file can inject code.

Two flavours:

- ``boolean(conditions)`` -> one ``test(answers, findings, names) -> bool`` each, where
  ``findings`` is a set of (name, value) pairs and ``names`` the set of finding
  names established;
- ``kleene(conditions)`` -> one ``test(answers, certain, certain_names, possible,
  possible_names) -> 0 | 1 | 2`` each (false, undecided, true), where an answer of
  ``None`` is still open.
"""
from expert.model import All, Any, Atom, Not

FALSE, OPEN, TRUE = 0, 1, 2


class _Constants:
    """Names the constants of one generated function."""

    def __init__(self):
        self.values = {}

    def __call__(self, value):
        name = f"c{len(self.values)}"
        self.values[name] = value
        return name


def _boolean(condition, const):
    if isinstance(condition, Atom):
        if condition.kind == "answer":
            return f"(a[{const(condition.name)}] in {const(frozenset(condition.values))})"
        if condition.values is None:
            return f"({const(condition.name)} in n)"
        return f"(not {const(frozenset((condition.name, v) for v in condition.values))}.isdisjoint(f))"
    if isinstance(condition, Not):
        return f"(not {_boolean(condition.item, const)})"
    joiner = " and " if isinstance(condition, All) else " or "
    return "(" + joiner.join(_boolean(item, const) for item in condition.items) + ")"


def _kleene(condition, const):
    if isinstance(condition, Atom):
        if condition.kind == "answer":
            question, values = const(condition.name), const(frozenset(condition.values))
            return f"({OPEN} if a[{question}] is None else {TRUE} if a[{question}] in {values} else {FALSE})"
        if condition.values is None:
            name = const(condition.name)
            return f"({TRUE} if {name} in cn else {OPEN} if {name} in pn else {FALSE})"
        pairs = const(frozenset((condition.name, v) for v in condition.values))
        return f"({TRUE} if not {pairs}.isdisjoint(c) else {OPEN} if not {pairs}.isdisjoint(p) else {FALSE})"
    if isinstance(condition, Not):
        return f"({TRUE} - {_kleene(condition.item, const)})"
    combine = "min" if isinstance(condition, All) else "max"
    return f"{combine}(" + ", ".join(_kleene(item, const) for item in condition.items) + ")"


def _compile_all(parameters, bodies, const):
    """One function per body, compiled together (one compile call is far cheaper than many)."""
    source = "".join(f"def t{i}({parameters}):\n    return {body}\n" for i, body in enumerate(bodies))
    namespace = dict(const.values)
    exec(compile(source, "<conditions>", "exec"), namespace)  # noqa: S102 (generated names only, see above)
    return [namespace[f"t{i}"] for i in range(len(bodies))]


def boolean(conditions):
    """For each condition, ``test(answers, findings, names) -> bool`` (None: always true)."""
    const = _Constants()
    bodies = ["True" if c is None else _boolean(c, const) for c in conditions]
    return _compile_all("a, f, n", bodies, const)


def kleene(conditions):
    """For each condition, ``test(answers, certain, certain_names, possible, possible_names) -> 0, 1 or 2``."""
    const = _Constants()
    bodies = [str(TRUE) if c is None else _kleene(c, const) for c in conditions]
    return _compile_all("a, c, cn, p, pn", bodies, const)
