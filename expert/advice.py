"""The advice a buyer reads first, as plain data: the recommendation in one sentence, the reasons in
words, why not the runner-up, what would change it, what to do before signing, what to confirm.

Every item names the rules behind it, so a renderer can show them in a quiet form and an auditor can
follow them (``sourcing explain``). The engine detail (trace, explanation tree) stays out of here.
"""

from collections.abc import Sequence

from sourcing.expert import kinds
from sourcing.expert.model import BLOCKED, CANDIDATE, FIT, VETOED, KnowledgeBase
from sourcing.expert.result import Result, number

MOST_REASONS = 5
MOST_CHANGES = 3


def build(result: Result, kb: KnowledgeBase, changes: Sequence[dict] | None = None) -> dict[str, object]:
    """The advice-first sections of ``result``; ``changes`` are the smallest answer changes that would
    change the advice (see ``what_would_change``), None when they were not searched."""
    model = kb.model(result.recommendation)
    fallback, undetermined = kb.fallback.id, kb.undetermined.id
    fit = next(iter(result.finding_values(FIT)), None)
    candidates = result.finding_values(CANDIDATE)
    return {
        "headline": _headline(result, kb, fit, candidates),
        "model": None if model.id == undetermined else model.id,
        "label": model.label,
        "strength": result.strength,
        "conditional": bool(result.unconfirmed),
        "why": (
            _blocking(result, kb, candidates, fit)
            if model.id == fallback
            else _tie(result, kb, candidates)
            if model.id == undetermined
            else _reasons(result, kb, model.id)
        ),
        "against": _against(result, kb, model.id),
        "runner_up": _runner_up(result, kb) if model.id not in (fallback, undetermined) else None,
        "changes": changes,
        "to_confirm": _to_confirm(result, kb),
        "deciding_questions": [_question(kb, q) for q in result.deciding_questions],
        **_conclusion_sections(result, kb),
    }


def _conclusion_sections(result: Result, kb: KnowledgeBase) -> dict[str, list[dict]]:
    """The sections that list conclusions (expert/kinds.py: before_you_sign, pricing, ...): each
    conclusion's text and rule; a matrix kind (responsibility) as one row per area."""
    sections: dict[str, list[dict]] = {section: [] for section, _ in kinds.sections()}
    for kind in kinds.KINDS:
        if kind.matrix:
            owners = {f.name: f.value for f in result.of_kind(kind.name)}
            sections[kind.section] += [{kind.subject: label, kind.detail: owners.get(area)} for area, label in kb.areas]
        else:
            sections[kind.section] += [_item(f.text, [f.rule]) for f in result.of_kind(kind.name)]
    return sections


def what_would_change(advisor, result: Result, max_changes: int = 2) -> list[dict]:
    """The smallest sets of real answer changes (never to unknown) that give another outcome: the
    runner-up for a recommended model, the blocked candidate for stabilise first."""
    from sourcing.expert.whynot import search

    target = result.runner_up
    if target is None:
        return []
    found, _ = search(advisor, result.answers, target, max_changes, enough=MOST_CHANGES)
    return [
        {
            "changes": [{"question": c.question, "from": c.before, "to": c.after} for c in changes],
            "gives": target,
            "label": advisor.kb.model(target).label,
        }
        for changes in found[:MOST_CHANGES]
    ]


def _item(text, rules, **extra):
    return {"text": text, "rules": list(dict.fromkeys(rules)), **extra}


def _question(kb, qid):
    question = kb.question(qid)
    return {"question": qid, "prompt": question.prompt, "values": list(question.values)}


def _headline(result, kb, fit, candidates):
    model = kb.model(result.recommendation)
    if model.id == kb.undetermined.id:
        named = " and ".join(kb.model(c).label for c in candidates) or "the models"
        return f"Undetermined: the answers so far fit {named} equally well; answer the deciding questions."
    provided = " provided that the items to confirm hold" if result.unconfirmed else ""
    return f"{model.label} ({result.strength}){provided}: {model.summary}."


def _rules_asserting(result, name, value):
    """The rules that asserted finding ``name`` = ``value``."""
    return [j.rule for f in result.findings if f.name == name and f.value == value for j in result.justifications(f.id)]


def _reasons(result, kb, model):
    """The strongest fit evidence for ``model``, one line per rule, heaviest first."""
    weights = _weights(result, model)
    ranked = sorted(weights, key=lambda r: (-weights[r], kb.rule(r).position))[:MOST_REASONS]
    reasons = [_item(kb.rule(r).title, [r], detail=kb.rule(r).rationale, weight=number(weights[r])) for r in ranked]
    others = [m.id for m in kb.models if m.id != model and (VETOED, m.id) in _pairs(result)]
    if others:
        reasons.append(
            _item(
                "Ruled out as the wrong fit for what you want to keep: " + ", ".join(kb.model(m).label for m in others),
                [r for m in others for r in _rules_asserting(result, VETOED, m)],
            )
        )
    return reasons


def _blocking(result, kb, candidates, fit):
    """Why stabilise first: the unmet requirements of the candidates, or the veto of every model."""
    if fit == "all_vetoed":
        return [
            _item(f"{m.label} is the wrong fit. {kb.rule(r).title}", [r], detail=kb.rule(r).rationale)
            for m in kb.models
            for r in _rules_asserting(result, VETOED, m.id)
        ]
    named = " and ".join(kb.model(c).label for c in candidates)
    items = [_item(f"{named} {'fits' if len(candidates) == 1 else 'fit'} best, but cannot work yet:", ["SCORE-001"])]
    for candidate in candidates:
        items += [
            _item(kb.rule(rule).title, [rule], detail=kb.rule(rule).rationale)
            for rule in _rules_asserting(result, BLOCKED, candidate)
        ]
    return items


def _tie(result, kb, candidates):
    return [
        _item(f"{kb.model(c).label} fits with a score of {number(result.scores[c])}", ["SCORE-001"]) for c in candidates
    ]


def _against(result, kb, model):
    """What counts against the recommended model: its warnings' titles and what is left to confirm."""
    return [_item(kb.rule(f.rule).title, [f.rule]) for f in result.warnings if f.name == model]


def _to_confirm(result, kb):
    items = [_item(kb.rule(u.rule).title, [u.rule], questions=list(u.questions)) for u in result.unconfirmed]
    listed = {q for u in result.unconfirmed for q in u.questions}
    items += [
        _item(f"Answer '{kb.question(q.question).prompt}'", list(q.read_by), questions=[q.question])
        for q in result.open_questions
        if q.question not in listed
    ]
    return items


def _runner_up(result, kb):
    """Why not the runner-up: its vetoes, or how much less it fits and the evidence that differs."""
    rival = result.runner_up
    if rival is None:
        return None
    vetoes = _rules_asserting(result, VETOED, rival)
    if vetoes:
        reasons = [_item(kb.rule(r).title, [r], detail=kb.rule(r).rationale) for r in vetoes]
    else:
        gap = number(result.scores[result.recommendation] - result.scores[rival])
        reasons = [
            _item(
                f"It fits less well: {number(result.scores[rival])} against "
                f"{number(result.scores[result.recommendation])} ({gap} behind)",
                ["SCORE-001"],
            )
        ]
        ours, theirs = _weights(result, result.recommendation), _weights(result, rival)
        ahead = sorted(
            (r for r in ours if ours[r] > theirs.get(r, 0)),
            key=lambda r: (theirs.get(r, 0) - ours[r], kb.rule(r).position),
        )[:2]
        reasons += [
            _item(
                f"{kb.rule(r).title}: {number(ours[r]):+} for {kb.model(result.recommendation).label}, "
                f"{number(theirs.get(r, 0)):+} for {kb.model(rival).label}",
                [r],
            )
            for r in ahead
        ]
    return {"model": rival, "label": kb.model(rival).label, "reasons": reasons}


def _weights(result, model):
    """{rule: the fit weight it gave ``model``}."""
    weights = {}
    for fact in result.of_kind("evidence"):
        if fact.name == model:
            weights[fact.rule] = weights.get(fact.rule, 0) + fact.weight
    return weights


def _pairs(result):
    return {(f.name, f.value) for f in result.findings}
