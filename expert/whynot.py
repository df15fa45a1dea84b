"""WHY-NOT: why a model was not recommended, and the smallest answer changes that would make it so.

The search is exhaustive: every set of up to ``max_changes`` changed answers is
run through the direct evaluator. An answer may change from ``unknown`` to a
value, never to ``unknown``: not knowing is not a way to reach a model. A set is reported
when it makes the target the recommendation and no strict subset of it does.
Every reported set is then run again through experta, the engine of record,
which supplies the rules that would fire; a disagreement is an EngineError.
"""

from itertools import combinations, product
from typing import NamedTuple

from sourcing.expert.conditions import atoms, conjuncts, evaluate, finding_test
from sourcing.expert.errors import EngineError
from sourcing.expert.record import Record
from sourcing.expert.result import number

# Records and a named tuple, not frozen dataclasses: defining a dataclass costs ~1.4 ms of every start that
# imports this module (consult does, for what would change). Change stays a named tuple: the search hashes it
# hundreds of times.


class Change(NamedTuple):
    """One answer changed: ``question`` from ``before`` to ``after``."""

    question: str
    before: str
    after: str


class Counterfactual(Record):
    """A minimal set of answer changes that makes the target the recommendation."""

    changes: tuple[Change, ...]
    margin: float | None
    strength: str
    runner_up: str
    started: tuple[str, ...]  # rules that would fire and did not
    stopped: tuple[str, ...]  # rules that fired and would not


class Clause(Record):
    """One condition of a rule that would conclude the target, and whether it held."""

    text: str
    held: bool
    actual: str


class WhyNot(Record):
    """Why ``target`` is (not) the recommendation of ``result``, and what would make it so."""

    target: str
    result: object  # the consultation (expert.result.Result) being questioned
    evidence_for: tuple[object, ...]  # FactRecords with a positive weight
    evidence_against: tuple[object, ...]  # FactRecords with a negative weight
    vetoes: tuple[str, ...]  # the rules that vetoed the target
    blockers: tuple[str, ...]  # the requirement rules that blocked the target
    requirements: tuple[tuple[str, tuple[Clause, ...]], ...]  # (rule id, its clauses)
    counterfactuals: tuple[Counterfactual, ...]
    max_changes: int
    evaluated: int  # answer sets run through the direct evaluator

    @property
    def recommended(self):
        return self.target == self.result.recommendation


def as_dict(analysis, kb):
    """JSON form of a WhyNot analysis (keys documented in docs/audit-record.md)."""
    result = analysis.result

    def evidence(facts):
        return [{"rule": f.rule, "title": kb.titles.get(f.rule, ""), "weight": number(f.weight)} for f in facts]

    return {
        "model": analysis.target,
        "recommended": result.recommendation,
        "is_recommended": analysis.recommended,
        "scores": {m: number(s) for m, s in result.scores.items()},
        "evidence_against": evidence(analysis.evidence_against),
        "vetoed_by": [{"rule": r, "title": kb.titles[r]} for r in analysis.vetoes],
        "blocked_by": [{"rule": r, "title": kb.titles[r]} for r in analysis.blockers],
        "evidence_for": evidence(analysis.evidence_for),
        "requires": [
            {
                "rule": rule_id,
                "title": kb.titles[rule_id],
                "clauses": [{"condition": c.text, "held": c.held, "actual": c.actual} for c in clauses],
            }
            for rule_id, clauses in analysis.requirements
        ],
        "search": {
            "max_changes": analysis.max_changes,
            "answer_sets_evaluated": analysis.evaluated,
            "found": len(analysis.counterfactuals),
        },
        "counterfactuals": [
            {
                "changes": [{"question": c.question, "from": c.before, "to": c.after} for c in cf.changes],
                "margin": number(cf.margin),
                "strength": cf.strength,
                "runner_up": cf.runner_up,
                "rules_now_firing": list(cf.started),
                "rules_no_longer_firing": list(cf.stopped),
            }
            for cf in analysis.counterfactuals
        ],
    }


def why_not(advisor, answers, target, max_changes=2):
    """Analyse why ``target`` is not the recommendation for ``answers``."""
    result = advisor.consult(answers)
    evidence = [f for f in result.of_kind("evidence") if f.name == target]
    if target == result.recommendation:
        found, evaluated = (), 0
    else:
        found, evaluated = search(advisor, result.answers, target, max_changes)
    return WhyNot(
        target=target,
        result=result,
        evidence_for=tuple(f for f in evidence if f.weight > 0),
        evidence_against=tuple(f for f in evidence if f.weight < 0),
        vetoes=_fired(advisor.kb, result, lambda rule: target in rule.vetoes),
        blockers=_fired(advisor.kb, result, lambda rule: rule.requires == target),
        requirements=tuple(
            (rule.id, _clauses(rule, result))
            for rule in advisor.kb.rules
            if any(a.kind == "recommend" and a.name == target for a in rule.then)
        ),
        counterfactuals=tuple(_confirm(advisor, result, target, changes) for changes in found),
        max_changes=max_changes,
        evaluated=evaluated,
    )


def search(advisor, answers, target, max_changes, enough=None):
    """Every minimal set of up to ``max_changes`` answer changes giving ``target``, ranked.

    Returns (change sets, number of answer sets evaluated). Ranking: fewer
    changes first, then the larger margin, then catalogue order. With ``enough``,
    the search stops after the first size of change sets that brings the number
    found to ``enough``: the first ``enough`` of the ranking are then the same.
    Change sets that the rules deciding the verdict cannot tell apart (the same
    answer tests hold) share one run of the direct evaluator; each still counts
    as an answer set evaluated.
    """
    questions = advisor.kb.questions
    answers = advisor.complete(answers)
    classes = advisor.direct.verdict_classes
    verdicts = {}  # the effective changes (question, class of the new value) -> the Verdict

    options = {q.id: [Change(q.id, answers[q.id], v) for v in q.values if v != answers[q.id]] for q in questions}
    effects = {}  # each change -> (question, class of the new value), None when the verdict cannot tell it
    for changes in options.values():
        for c in changes:
            after = classes[c.question].get(c.after, c.after)
            effects[c] = None if after == classes[c.question].get(c.before, c.before) else (c.question, after)

    def verdict(changes):
        key = frozenset(effects[c] for c in changes) - {None}
        if key not in verdicts:
            verdicts[key] = advisor.direct.verdict(applied(answers, changes))
        return verdicts[key]

    winners, margins, evaluated = set(), {}, 0
    for size in range(1, max_changes + 1):
        if enough is not None and len(margins) >= enough:
            break
        for chosen in combinations([q.id for q in questions], size):
            for changes in product(*(options[q] for q in chosen)):
                if (
                    size > 1
                    and winners
                    and any(frozenset(subset) in winners for k in range(1, size) for subset in combinations(changes, k))
                ):
                    continue  # a strict subset already wins: not minimal
                decided = verdict(changes)
                evaluated += 1
                if decided.model == target:
                    winners.add(frozenset(changes))
                    margins[changes] = decided.margin
    order = {q.id: i for i, q in enumerate(questions)}

    def rank(changes):
        margin = margins[changes]
        return (len(changes), -(margin or 0), [order[c.question] for c in changes], [c.after for c in changes])

    return sorted(margins, key=rank), evaluated


def _fired(kb, result, concerns):
    """The rules that fired and ``concerns`` accepts, in knowledge-base order, once each."""
    fired = {f.rule for f in result.firings}
    return tuple(rule.id for rule in kb.rules if rule.id in fired and concerns(rule))


def applied(answers, changes):
    """A copy of ``answers`` with ``changes`` made."""
    trial = dict(answers)
    trial.update((c.question, c.after) for c in changes)
    return trial


def _confirm(advisor, result, target, changes):
    """Re-run ``changes`` through experta; the rules that fire come from the engine of record."""
    checked = advisor.consult(applied(result.answers, changes))
    if checked.recommendation != target:
        described = ", ".join(f"{c.question}={c.after}" for c in changes)
        raise EngineError(
            f"the direct evaluator and experta disagree on {described}: {target} against {checked.recommendation}"
        )
    before = {f.rule for f in result.firings}
    after = {f.rule for f in checked.firings}
    position = {r.id: r.position for r in advisor.kb.rules}
    return Counterfactual(
        changes=changes,
        margin=checked.margin,
        strength=checked.strength,
        runner_up=checked.runner_up,
        started=tuple(sorted(after - before, key=position.get)),
        stopped=tuple(sorted(before - after, key=position.get)),
    )


def _clauses(rule, result):
    """The top-level clauses of ``rule``'s condition, each with whether it held and the facts it met."""
    established = {}
    for fact in result.findings:
        established.setdefault(fact.name, []).append(fact.value)
    finding_state = finding_test((f.name, f.value) for f in result.findings)

    from sourcing.expert.describe import clauses as clause_texts  # only for a why-not, not for a consultation's search

    parts = conjuncts(rule.when)
    found = []
    for part, text in zip(parts, clause_texts(rule.when)):
        actual = []
        for atom in atoms(part):
            if atom.kind == "answer":
                actual.append(f"{atom.name} = {result.answers[atom.name]}")
            else:
                values = established.get(atom.name)
                actual.append(f"{atom.name} = {', '.join(values)}" if values else f"{atom.name} not established")
        held = evaluate(part, result.answers.get, finding_state)
        found.append(Clause(text=text, held=bool(held), actual="; ".join(dict.fromkeys(actual))))
    return tuple(found)
