"""What-if comparison: two or more consultations side by side, and what changes between them."""

from dataclasses import dataclass

from sourcing.expert.kinds import LISTED
from sourcing.expert.model import BLOCKED, VETOED, KnowledgeBase
from sourcing.expert.result import Result, number


@dataclass(frozen=True)
class Case:
    """One consultation in a comparison: a short name, where it came from, and its result."""

    name: str
    origin: str
    result: Result


def _conclusions(result: Result, kb: KnowledgeBase) -> dict[tuple[str, str], str]:
    """{(kind, text): rule} of what a buyer reads: vetoes, blockers, warnings, gaps, pricing, notes."""
    found = {}
    for fact in result.findings:
        if fact.name in (VETOED, BLOCKED):
            for firing in result.justifications(fact.id):
                kind = "veto" if fact.name == VETOED else "blocked"
                found[(kind, f"{kb.model(fact.value).label}: {kb.rule(firing.rule).title}")] = firing.rule
    for listed in LISTED:
        for fact in result.of_kind(listed.name):
            found[(listed.name, fact.text or "")] = fact.rule or ""
    return found


def compare(cases: list[Case], kb: KnowledgeBase) -> dict[str, object]:
    """The comparison as plain data: the answers that differ, each case's advice, and for every case
    after the first what appears and disappears against the first, with the rules that fire only in one."""
    first = cases[0]
    differing = [q.id for q in kb.questions if len({c.result.answers[q.id] for c in cases}) > 1]
    base = _conclusions(first.result, kb)
    base_rules: set[str] = {f.rule for f in first.result.firings}
    changes = []
    for case in cases[1:]:
        now = _conclusions(case.result, kb)
        rules: set[str] = {f.rule for f in case.result.firings}
        order = {r.id: r.position for r in kb.rules}
        only_in_from, only_in_to = (
            sorted(ids, key=order.__getitem__) for ids in (base_rules - rules, rules - base_rules)
        )
        changes.append(
            {
                "from": first.name,
                "to": case.name,
                "appear": [{"kind": k, "text": t, "rule": now[(k, t)]} for k, t in now if (k, t) not in base],
                "disappear": [{"kind": k, "text": t, "rule": base[(k, t)]} for k, t in base if (k, t) not in now],
                "rules_only_in_from": only_in_from,
                "rules_only_in_to": only_in_to,
            }
        )
    return {
        "cases": [
            {
                "name": c.name,
                "origin": c.origin,
                "model": c.result.recommendation,
                "label": kb.model(c.result.recommendation).label,
                "strength": c.result.strength,
                "scores": {m: number(s) for m, s in c.result.scores.items()},
            }
            for c in cases
        ],
        "answers_that_differ": [
            {"question": q, "answers": {c.name: c.result.answers[q] for c in cases}} for q in differing
        ],
        "changes": changes,
    }
