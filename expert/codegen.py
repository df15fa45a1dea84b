"""Compile the rules of a knowledge base into Python functions, one per layer, for bulk evaluation.

Each condition becomes one Python expression, and each layer one function
that runs its rules in order with no call per rule. The generated source holds
only operators and generated names (``a``, ``f``, ``c0``, ``c1``...): every
question id, finding name, value and rule id from the knowledge files is bound
as a constant in the functions' namespace, never written into the source. So
no knowledge file can inject code.

Two flavours:

- ``boolean_program`` (``boolean_layers``: its functions): two-valued, for the direct evaluator. ``a`` maps every
  question to its answer, ``f`` is the set of (finding, value) pairs
  established, ``n`` the set of finding names, ``fired`` and ``k`` the rules
  fired and the conclusions asserted; a rule's ``Tally`` (its sums over the
  rules fired, and tests of findings) is computed inline too, and ``table``
  gives the findings it adds;
- ``kleene_layers``: three-valued (true, undecided, false), for the foresight,
  each condition as two short-circuit expressions (certain to hold, may hold).
  An answer of ``None`` is still open, ``c``/``cn`` are the findings (and
  names) certain to be established and ``p``/``pn`` those that may be.
"""

import marshal
from types import CodeType
from typing import NamedTuple

from sourcing.expert.conditions import Algebra, fold

MEMBER_CHAIN = 3  # finding values tested with chained ``in`` (more: one isdisjoint call)


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


def _member(pairs, target, const):
    """The expression "one of ``pairs`` is in ``target``": ``in`` tests chained with ``or`` for a few pairs
    (a hash lookup each, stopping at the first), one ``isdisjoint`` call for more."""
    if not pairs:
        return "False"
    if len(pairs) <= MEMBER_CHAIN:
        return "(" + " or ".join(f"{const(pair)} in {target}" for pair in pairs) + ")"
    return f"(not {const(frozenset(pairs))}.isdisjoint({target}))"


def _pairs(atom):
    """The (finding, value) pairs a finding test with values accepts, in the order of its values."""
    return tuple(dict.fromkeys((atom.name, v) for v in atom.values))


def _boolean(condition, const):
    """The two-valued Python expression of ``condition`` (None: always)."""

    def atom(a):
        if a.kind == "answer":
            return f"(a[{const(a.name)}] in {const(frozenset(a.values))})"
        if a.values is None:
            return f"({const(a.name)} in n)"
        return _member(_pairs(a), "f", const)

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
    """The three-valued truth of ``condition`` (None: always) as two two-valued Python expressions,
    (certain, possible): True when the first holds, False when the second does not, else undecided.
    This is strong Kleene logic (all: the least, any: the greatest, not: the opposite) with the short
    circuit of ``and``/``or``; it relies on the certain findings being among the possible ones."""

    def atom(a):
        if a.kind == "answer":
            question, values = const(a.name), frozenset(a.values)
            return f"(a[{question}] in {const(values)})", f"(a[{question}] in {const(values | {None})})"
        if a.values is None:
            name = const(a.name)
            return f"({name} in cn)", f"({name} in pn)"
        return _member(_pairs(a), "c", const), _member(_pairs(a), "p", const)

    def joined(word):
        return lambda parts: tuple("(" + f" {word} ".join(side) + ")" for side in zip(*parts))

    return fold(
        condition,
        Algebra(
            atom=atom,
            all=joined("and"),
            any=joined("or"),
            not_=lambda part: (f"(not {part[1]})", f"(not {part[0]})"),
            always=("True", "True"),
        ),
    )


def _repeated(body, growth):
    """The lines of ``body``, repeated until ``growth`` (an expression that grows as the body establishes
    findings) stops growing; ``body`` as it is when ``growth`` is None."""
    if not growth:
        return body
    return [
        "while True:",
        f"    before = {growth}",
        *("    " + line for line in body),
        f"    if {growth} == before:",
        "        break",
    ]


def _function(name, parameters, body):
    """The source of ``def name(parameters)`` running the lines of ``body``."""
    return f"def {name}({parameters}):\n" + "".join(f"    {line}\n" for line in body or ["pass"])


def _adding(target, items, const):
    """The statement adding ``items`` to the set ``target``: one ``add`` for one item (cheaper)."""
    items = frozenset(items)
    if len(items) == 1:
        return f"{target}.add({const(next(iter(items)))})"
    return f"{target}.update({const(items)})"


class Program(NamedTuple):
    """Generated functions in a form that can be kept (pickled: the code marshalled): their code, the
    constants it reads and the names of the functions it defines."""

    code: CodeType
    constants: dict
    names: tuple

    def functions(self) -> list:
        """The functions, defined now (in a namespace of their own constants)."""
        namespace = dict(self.constants)
        exec(self.code, namespace)  # noqa: S102 (generated names only)
        return [namespace[name] for name in self.names]

    def __reduce__(self):
        return _program, (marshal.dumps(self.code), self.constants, self.names)


def _program(code, constants, names):
    """The Program a pickle holds (``code`` marshalled); ValueError when it is not one."""
    code = marshal.loads(code)
    if not (isinstance(code, CodeType) and isinstance(constants, dict) and isinstance(names, tuple)):
        raise ValueError("not a program")
    return Program(code, constants, names)


def _define(sources, const, names=None, cached=True):
    """The Program of the functions ``names`` (default ``layer0``, ``layer1``... one per source) defined by
    ``sources`` with ``const``'s constants, compiled together (one compile call is far cheaper than
    many), or, when ``cached``, their code from the cache (worth it for the rules, not for a few lines)."""
    from sourcing.expert.cache import compiled

    source = "".join(sources)
    code = compiled(source, "<knowledge>") if cached else compile(source, "<knowledge>", "exec")
    return Program(code, const.values, tuple(names or [f"layer{index}" for index in range(len(sources))]))


def _sums(keys, pieces, counted, const):
    """The lines that set ``t0``, ``t1``... (one per key of ``keys``, in order) to the sums of the weights
    of the ``pieces`` counted, added in the order of ``pieces`` starting from 0, exactly as a loop would
    add them; and those names. ``pieces`` is a list of (item, ((key, weight), ...)); an item's weights
    count when ``item in counted`` (``counted``: the name of a set in the generated code)."""
    slot = {key: f"t{index}" for index, key in enumerate(keys)}
    body = [" = ".join(slot.values()) + " = 0"] if slot else []
    for item, weights in pieces:
        if weights:
            body.append(f"if {const(item)} in {counted}:")
            body.append("    " + "; ".join(f"{slot[key]} += {const(weight)}" for key, weight in weights))
    return body, list(slot.values())


def summing(keys, pieces):
    """One function ``total(counted)``: a dict of every key of ``keys`` (in order) to the sum of the
    weights of the ``pieces`` counted, added in the order of ``pieces`` starting from 0, exactly as
    a loop would add them. ``pieces`` is a list of (item, ((key, weight), ...)); an item's weights
    count when ``item in counted``."""
    const = _Constants()
    body, slots = _sums(keys, pieces, "counted", const)
    body.append("return {" + ", ".join(f"{const(key)}: {name}" for key, name in zip(keys, slots)) + "}")
    return _define([_function("total", "counted", body)], const, ["total"], cached=False).functions()[0]


def kleene_layers(layers) -> list:
    """One function per layer,
    ``run(answers, certain, certain_names, possible, possible_names, status)``, that evaluates the layer's
    rules in order (inlined, no call per rule) and records what they may assert.

    ``layers`` is a list of (repeat, rules), each rule (rule id, condition, findings, finding names).
    A rule's status becomes True, None (undecided) or False; its findings become possible unless it
    is False, and certain when it is True. A layer whose rules test each other's findings
    (``repeat``) runs until nothing more is added.
    """
    const = _Constants()
    sources = []
    for index, (repeat, rules) in enumerate(layers):
        body = []
        for rule_id, condition, findings, names in rules:
            certain, possible = _kleene(condition, const)
            status = f"status[{const(rule_id)}]"
            if not findings:
                body.append(f"{status} = True if {certain} else None if {possible} else False")
                continue
            maybe = f"{_adding('p', findings, const)}; {_adding('pn', names, const)}"
            body += [
                f"if {certain}:",
                f"    {status} = True; {maybe}; {_adding('c', findings, const)}; {_adding('cn', names, const)}",
                f"elif {possible}:",
                f"    {status} = None; {maybe}",
                "else:",
                f"    {status} = False",
            ]
        growth = "(len(c), len(p))" if repeat else None
        sources.append(_function(f"layer{index}", "a, c, cn, p, pn, status", _repeated(body, growth)))
    return _define(sources, const).functions()


class Tally(NamedTuple):
    """A rule's action in ``boolean_layers``, computed inline when the rule fires: the sums of ``pieces``
    over the rules fired so far (one per key of ``keys``, as ``summing`` adds them), then whether each
    (finding, value) pair of ``tests`` is established, as one tuple, the action's key."""

    keys: tuple
    pieces: tuple  # (rule id, ((key, weight), ...)), in the order they are added
    tests: tuple  # (finding, value) pairs


def _tallied(tally, const):
    """The lines of ``tally``'s action: its key ``r``, and the findings ``table[r]`` added."""
    body, slots = _sums(tally.keys, tally.pieces, "fired", const)
    key = [*slots, *(f"{const(pair)} in f" for pair in tally.tests)]
    return [*body, f"r = ({', '.join(key)},)", "f.update(table[r])"]


def boolean_layers(layers, runs=None, tests=(), lean=()) -> list:
    """The functions of ``boolean_program``."""
    return boolean_program(layers, runs, tests, lean).functions()


def boolean_program(layers, runs=None, tests=(), lean=()) -> Program:
    """The Program of one function per layer, ``run(answers, findings, names, fired, conclusions, table)``,
    that fires the layer's rules in order, inlined: no call per rule. With ``runs`` (a list of layer counts), one such
    function per count instead, running that many first layers in one body: no call per layer either.

    ``layers`` is a list of (repeat, rules), each rule (rule id, condition, findings, finding names,
    conclusions (any hashable items: the direct evaluator passes their numbers), action). A rule that
    fires is added to ``fired`` (evidence counts through the rules fired, sourcing.expert.plan), its
    findings, names and conclusions to the given sets; then, when its action is a Tally, the action's
    key is computed and the findings ``table[key]`` gives are added (not their names). Firing a rule
    again changes nothing, so a layer whose rules test each other's findings (``repeat``) simply runs
    until no finding is added. Each function returns a tuple: the key of the last action it ran (None:
    none), then whether each (finding, value) pair of ``tests`` is established at the end.

    The runs whose indexes are in ``lean`` record only what that tuple depends on: the findings, and the
    rules fired that a Tally counts; no conclusions, names or other rules fired, and no test of a rule
    that would record nothing.
    """
    const = _Constants()
    counted = {rule_id for _, rules in layers for *_, action in rules if action for rule_id, _ in action.pieces}
    kinds = (False, True) if runs is not None and lean else (False,)
    bodies: dict[bool, list] = {thin: [] for thin in kinds}  # per layer: its lines in full, and lean
    for repeat, rules in layers:
        for thin in kinds:
            body = []
            for rule_id, condition, findings, names, conclusions, action in rules:
                steps = [f"fired.add({const(rule_id)})"] if not thin or rule_id in counted else []
                added = (("f", findings),) if thin else (("f", findings), ("n", names), ("k", conclusions))
                steps += [_adding(target, items, const) for target, items in added if items]
                if not steps and action is None:
                    continue  # a lean run records nothing of this rule
                body.append(f"if {_boolean(condition, const)}:")
                body.append("    " + "; ".join(steps or ["pass"]))
                if action is not None:
                    body += ["    " + line for line in _tallied(action, const)]
            bodies[thin].append(_repeated(body, "len(f)" if repeat else None))
    parameters = "a, f, n, fired, k, table"
    result = f"return (r, {''.join(f'{const(pair)} in f, ' for pair in tests)})"

    def function(name, lines):
        return _function(name, parameters, ["r = None", *lines, result])

    if runs is None:
        return _define([function(f"layer{index}", body) for index, body in enumerate(bodies[False])], const)
    sources = [
        function(f"run{index}", [line for body in bodies[index in lean][:count] for line in body])
        for index, count in enumerate(runs)
    ]
    return _define(sources, const, [f"run{index}" for index in range(len(runs))])
