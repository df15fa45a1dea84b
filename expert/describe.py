"""Plain-language readings of conditions and assertions, for people who do not read YAML."""

from sourcing.expert.conditions import Algebra, conjuncts, fold
from sourcing.expert.model import Condition, Question, RuleSpec
from sourcing.expert.result import FactRecord


def _compound(parts, joiner):
    return joiner.join(text if not nested else f"({text})" for text, nested in parts), True


# Each reading is (text, whether it needs parentheses inside another condition).
_TEXT: Algebra[tuple[str, bool]] = Algebra(
    atom=lambda a: (atom(a), False),
    all=lambda parts: _compound(parts, " and "),
    any=lambda parts: _compound(parts, " or "),
    not_=lambda part: ("not " + (f"({part[0]})" if part[1] else part[0]), False),
    always=("always", False),
)


def condition(cond: Condition | None) -> str:
    """One line reading of a condition tree, e.g. 'need is capacity or skills and not ...'."""
    return fold(cond, _TEXT)[0]


def atom(a):
    """'answer need is capacity or skills', 'finding readiness_blocker is established'."""
    if a.values is None:
        return f"finding {a.name} is established"
    values = " or ".join(a.values)
    return f"{a.kind} {a.name} is {values}"


def assertion(a):
    """One line reading of what a rule asserts."""
    if a.kind == "recommend":
        return f"recommend {a.name}"
    if a.kind == "score":
        return "fit scores for every model; the candidates (best fit, not vetoed), the leader and the fit status"
    if a.kind == "veto":
        return f"veto {a.name} (the wrong fit: never recommended)"
    if a.kind == "warning":
        return f"warning about {a.name}: {a.text}"
    if a.text is not None:
        return f"{a.kind} {a.name}: {a.text}"
    return FactRecord(id=0, kind=a.kind, name=a.name, value=a.value, weight=a.weight).label()


def clauses(cond: Condition | None) -> list[str]:
    """The top-level clauses of a condition, one per line in an IF block."""
    return [condition(clause) for clause in conjuncts(cond)] or ["always"]


def rule_lines(rule):
    """A rule's IF/THEN block as lines."""
    lines = []
    for index, clause in enumerate(clauses(rule.when)):
        lines.append(("IF   " if index == 0 else "AND  ") + clause)
    for index, a in enumerate(rule.then):
        lines.append(("THEN " if index == 0 else "     ") + assertion(a))
    return lines


def question_dict(question: Question) -> dict:
    """JSON form of a catalogue question: id, prompt, each value with its help, and the 'unknown' also allowed."""
    return {"id": question.id, "prompt": question.prompt, "values": dict(question.help), "also": "unknown"}


def rule_dict(rule: RuleSpec) -> dict:
    """JSON form of a rule: its metadata, and its condition and assertions in words."""
    return {
        "id": rule.id,
        "title": rule.title,
        "layer": rule.layer,
        "status": rule.status,
        "source": rule.source,
        "rationale": rule.rationale,
        "when": condition(rule.when),
        "then": [assertion(a) for a in rule.then],
        "references": list(rule.references),
        "file": rule.file,
        "line": rule.line,
    }
