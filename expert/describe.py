"""Plain-language readings of conditions and assertions, for people who do not read YAML."""
from sourcing.expert.model import All, Atom, Not, Question, RuleSpec
from sourcing.expert.result import FactRecord


def condition(cond):
    """One line reading of a condition tree, e.g. 'need is capacity or skills and not ...'."""
    if cond is None:
        return "always"
    return _text(cond, top=True)


def _text(cond, top=False):
    if isinstance(cond, Atom):
        return atom(cond)
    if isinstance(cond, Not):
        return "not " + _text(cond.item)
    joiner = " and " if isinstance(cond, All) else " or "
    text = joiner.join(_text(item) for item in cond.items)
    return text if top else f"({text})"


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


def clauses(cond):
    """The top-level clauses of a condition, one per line in an IF block."""
    if cond is None:
        return ["always"]
    if isinstance(cond, All):
        return [_text(item, top=True) for item in cond.items]
    return [_text(cond, top=True)]


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
        "id": rule.id, "title": rule.title, "layer": rule.layer, "status": rule.status,
        "source": rule.source, "rationale": rule.rationale, "when": condition(rule.when),
        "then": [assertion(a) for a in rule.then], "references": list(rule.references),
        "file": rule.file, "line": rule.line,
    }
