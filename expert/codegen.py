"""Compile the rules of a knowledge base into Python functions, one per layer, for bulk evaluation.

Each condition becomes one Python expression, and each layer one function
that runs its rules in order with no call per rule. The generated source holds
only operators and generated names (``a``, ``f``, ``c0``, ``c1``...): every
question id, finding name, value and rule id from the knowledge files is bound
as a constant in the functions' namespace, never written into the source. So
no knowledge file can inject code.

Two flavours:

- ``boolean_layers``: two-valued, for the direct evaluator. ``a`` maps every
  question to its answer, ``f`` is the set of (finding, value) pairs
  established, ``n`` the set of finding names, ``e`` and ``k`` the evidence
  and conclusions asserted;
- ``kleene_layers``: three-valued (0 false, 1 undecided, 2 true), for the
  foresight. An answer of ``None`` is still open, ``c``/``cn`` are the findings
  (and names) certain to be established and ``p``/``pn`` those that may be.
"""

from sourcing.expert.conditions import Algebra, fold

FALSE, OPEN, TRUE = 0, 1, 2


class _Constants:
    """Names the constants of one generated function: one name per distinct value.

    Values are told apart by type as well as by equality (``1``, ``1.0`` and
    ``True`` are equal but not the same constant); an unhashable value gets a
    name of its own.
    """

    def __init__(self):
        self.values = {}
        self._names = {}

    def __call__(self, value):
        try:
            key = (type(value), value)
            name = self._names.get(key)
        except TypeError:  # unhashable
            key = name = None
        if name is None:
            name = f"c{len(self.values)}"
            self.values[name] = value
            if key is not None:
                self._names[key] = name
        return name


def _boolean(condition, const):
    """The two-valued Python expression of ``condition`` (None: always)."""

    def atom(a):
        if a.kind == "answer":
            return f"(a[{const(a.name)}] in {const(frozenset(a.values))})"
        if a.values is None:
            return f"({const(a.name)} in n)"
        return f"(not {const(frozenset((a.name, v) for v in a.values))}.isdisjoint(f))"

    return fold(
        condition,
        Algebra(
            atom=atom,
            all=lambda parts: "(" + " and ".join(parts) + ")",
            any=lambda parts: "(" + " or ".join(parts) + ")",
            not_=lambda part: f"(not {part})",
            always="True",
        ),
    )


def _kleene(condition, const):
    """The three-valued Python expression of ``condition`` (None: always), FALSE/OPEN/TRUE."""

    def atom(a):
        if a.kind == "answer":
            question, values = const(a.name), const(frozenset(a.values))
            return f"({OPEN} if a[{question}] is None else {TRUE} if a[{question}] in {values} else {FALSE})"
        if a.values is None:
            name = const(a.name)
            return f"({TRUE} if {name} in cn else {OPEN} if {name} in pn else {FALSE})"
        pairs = const(frozenset((a.name, v) for v in a.values))
        return f"({TRUE} if not {pairs}.isdisjoint(c) else {OPEN} if not {pairs}.isdisjoint(p) else {FALSE})"

    def extreme(function):  # min(x) of one value would iterate over it
        return lambda parts: parts[0] if len(parts) == 1 else f"{function}(" + ", ".join(parts) + ")"

    return fold(
        condition,
        Algebra(
            atom=atom, all=extreme("min"), any=extreme("max"), not_=lambda part: f"({TRUE} - {part})", always=str(TRUE)
        ),
    )


def _layer(index, parameters, body, growth):
    """The source of ``def layer<index>(parameters)`` running the lines of ``body``; with ``growth`` (an
    expression that grows as the layer establishes findings) the body repeats until it stops growing."""
    if growth:
        body = [
            "while True:",
            f"    before = {growth}",
            *("    " + line for line in body),
            f"    if {growth} == before:",
            "        return",
        ]
    return f"def layer{index}({parameters}):\n" + "".join(f"    {line}\n" for line in body or ["pass"])


def _adding(target, items, const):
    """The statement adding ``items`` to the set ``target``: one ``add`` for one item (cheaper)."""
    items = frozenset(items)
    if len(items) == 1:
        return f"{target}.add({const(next(iter(items)))})"
    return f"{target}.update({const(items)})"


def _define(sources, const):
    """The functions ``layer0``, ``layer1``... defined by ``sources`` with ``const``'s constants,
    compiled together (one compile call is far cheaper than many), or their code from the cache."""
    from sourcing.expert.cache import compiled

    namespace = dict(const.values)
    exec(compiled("".join(sources), "<knowledge>"), namespace)  # noqa: S102 (generated names only)
    return [namespace[f"layer{index}"] for index in range(len(sources))]


def kleene_layers(layers):
    """One function per layer, ``run(answers, certain, certain_names, possible, possible_names, status)``,
    that evaluates the layer's rules in order (inlined, no call per rule) and records what they may assert.

    ``layers`` is a list of (repeat, rules), each rule (rule id, condition, findings, finding names).
    A rule's status becomes True, None (undecided) or False; its findings become possible unless it
    is False, and certain when it is True. A layer whose rules test each other's findings
    (``repeat``) runs until nothing more is added.
    """
    const = _Constants()
    statuses = const({FALSE: False, OPEN: None, TRUE: True})
    sources = []
    for index, (repeat, rules) in enumerate(layers):
        body = []
        for rule_id, condition, findings, names in rules:
            body.append(f"s = {_kleene(condition, const)}")
            body.append(f"status[{const(rule_id)}] = {statuses}[s]")
            if findings:
                body += [
                    "if s:",
                    f"    {_adding('p', findings, const)}; {_adding('pn', names, const)}",
                    f"    if s == {TRUE}:",
                    f"        {_adding('c', findings, const)}; {_adding('cn', names, const)}",
                ]
        sources.append(_layer(index, "a, c, cn, p, pn, status", body, "(len(c), len(p))" if repeat else None))
    return _define(sources, const)


def boolean_layers(layers):
    """One function per layer, ``run(answers, findings, names, fired, conclusions, act)``, that fires the
    layer's rules in order, inlined: no call per rule.

    ``layers`` is a list of (repeat, rules), each rule (rule id, condition, findings, finding names,
    conclusions (any hashable items: the direct evaluator passes their numbers), payload). A rule that
    fires is added to ``fired`` (evidence counts through the rules fired, sourcing.expert.plan), its
    findings, names and conclusions to the given sets; then, when its payload is not None, it is passed
    to ``act(payload)``. Firing a rule again changes nothing, so a layer whose rules test each other's
    findings (``repeat``) simply runs until no finding is added.
    """
    const = _Constants()
    sources = []
    for index, (repeat, rules) in enumerate(layers):
        body = []
        for rule_id, condition, findings, names, conclusions, payload in rules:
            body.append(f"if {_boolean(condition, const)}:")
            steps = [f"fired.add({const(rule_id)})"]
            steps += [
                _adding(target, items, const)
                for target, items in (("f", findings), ("n", names), ("k", conclusions))
                if items
            ]
            if payload is not None:
                steps.append(f"act({const(payload)})")
            body.append("    " + "; ".join(steps))
        sources.append(_layer(index, "a, f, n, fired, k, act", body, "len(f)" if repeat else None))
    return _define(sources, const)
