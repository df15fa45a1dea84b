"""Replay: run a record's answers against the current knowledge base and say what changed."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sourcing.expert.kinds import KINDS
from sourcing.expert.result import number

if TYPE_CHECKING:
    from sourcing.expert.advisor import Advisor
    from sourcing.expert.audit import Record


@dataclass(frozen=True)
class RuleChange:
    rule: str
    change: str  # added, removed, edited, no longer fires, now fires
    before: str  # digest in the record ('' when it did not fire then)
    after: str  # digest now ('' when the rule no longer exists)


@dataclass(frozen=True)
class ConclusionChange:
    """One conclusion that differs: what it is, as recorded and as now ('absent' when there is none)."""

    what: str
    recorded: str
    current: str


@dataclass(frozen=True)
class Replay:
    fingerprint_before: str
    fingerprint_now: str
    kb_unchanged: bool  # computed: same fingerprint and the same rule digests, never taken from the record
    conclusions: tuple[ConclusionChange, ...]  # empty when identical
    rules: tuple[RuleChange, ...]  # along the chain: fired then or now

    @property
    def identical(self) -> bool:
        """True when every conclusion compared is the same."""
        return not self.conclusions

    def to_dict(self) -> dict:
        """JSON form (keys documented in docs/audit-record.md)."""
        return {
            "identical": self.identical,
            "fingerprint": {
                "recorded": self.fingerprint_before,
                "current": self.fingerprint_now,
                "same": self.kb_unchanged,
            },
            "conclusions": [{"what": c.what, "recorded": c.recorded, "current": c.current} for c in self.conclusions],
            "rules": [
                {"rule": c.rule, "change": c.change, "recorded": c.before or None, "current": c.after or None}
                for c in self.rules
            ],
        }


def replay(record: "Record", advisor: "Advisor") -> Replay:
    """Re-run ``record``'s answers with ``advisor``'s knowledge base; compare conclusions and chains."""
    kb = advisor.kb
    answers, dropped = {}, []
    for question, value in record.result.answers.items():
        if question in kb.question_map and value in kb.question(question).choices:
            answers[question] = value
        else:
            dropped.append(ConclusionChange(f"answer {question}", value, "no longer accepted; taken as unknown"))
    current = advisor.consult(answers)
    changes = dropped + _compare(_comparable(record.result), _comparable(current))
    recorded = record.data["knowledge_base"]["rule_digests"]
    unchanged = record.fingerprint == kb.fingerprint and list(recorded.items()) == [(r.id, r.digest) for r in kb.rules]
    return Replay(
        fingerprint_before=record.fingerprint,
        fingerprint_now=kb.fingerprint,
        kb_unchanged=unchanged,
        conclusions=tuple(changes),
        rules=tuple(_rule_changes(record, current, kb)),
    )


def _comparable(result):
    """The conclusions of ``result`` as {what: text}, without fact ids and rule ids (which do not change
    the advice): the outcome, every score, and every conclusion of every kind (expert/kinds.py)."""
    items = {
        "recommendation": result.recommendation,
        "strength": str(result.strength),
        "runner-up": str(result.runner_up),
        "margin": str(number(result.margin)),
    }
    items.update((f"score {model}", str(number(score))) for model, score in result.scores.items())
    for kind in KINDS:
        for fact in result.of_kind(kind.name):
            if kind.matrix:
                items[f"{kind.name} {fact.name}"] = str(fact.value)
            else:
                items[f"{kind.name} {fact.name}: {fact.text}"] = "present"
    for question in result.open_questions:
        items[f"open question {question.question}"] = "present"
    return items


def _compare(before, after):
    changes = []
    for what in list(before) + [w for w in after if w not in before]:
        old, new = before.get(what, "absent"), after.get(what, "absent")
        if old != new:
            changes.append(ConclusionChange(what, old, new))
    return changes


def _rule_changes(record, current, kb):
    """Rules along either chain (fired then or now) that were added, removed, edited, or fire differently."""
    then = record.data["knowledge_base"]["rule_digests"]
    now = {r.id: r.digest for r in kb.rules}
    fired_then = list(record.rules)
    fired_now = list(dict.fromkeys(f.rule for f in current.firings))
    changes = []
    for rule_id in fired_then + [r for r in fired_now if r not in record.rules]:
        old, new = then.get(rule_id, ""), now.get(rule_id, "")
        if not new:
            change = "removed"
        elif not old:
            change = "added"
        elif old != new:
            change = "edited"
        elif rule_id not in fired_now:
            change = "no longer fires"
        elif rule_id not in record.rules:
            change = "now fires"
        else:
            continue
        changes.append(RuleChange(rule_id, change, old, new))
    return changes
