"""The consultation result as one JSON-ready dict (the contract's keys and more)."""

from collections.abc import Sequence

from sourcing.expert import advice, explain
from sourcing.expert.kinds import KINDS
from sourcing.expert.model import BLOCKED, CANDIDATE, FIT, VETOED, KnowledgeBase
from sourcing.expert.result import Result, number


def build(
    result: Result, kb: KnowledgeBase, version: str, changes: Sequence[dict] | None = None, tree: bool = False
) -> dict[str, object]:
    """Everything a renderer or another tool needs, in a stable order: the contract's keys, the advice
    (``changes``: the answer changes that would change it, if searched), the justification graph and,
    with ``tree``, the explanation tree of the recommendation unfolded from it."""
    justifications = explain.graph(result, kb.titles)
    return {
        **conclusions(result, kb),
        "advice": advice.build(result, kb, changes),
        "findings": [f.to_dict() for f in result.findings],
        "answers": dict(result.answers),
        "trace": [_firing(firing, result.facts, kb) for firing in result.firings],
        **({"explanation": explain.tree(justifications, result.recommendation_fact().id)} if tree else {}),
        "justifications": justifications,
        "knowledge_base": {"rules": len(kb.rules), "questions": len(kb.questions)},
        "version": version,
    }


def conclusions(result: Result, kb: KnowledgeBase) -> dict[str, object]:
    """What the consultation concluded: recommendation, fit, vetoes, blocked models, scores, the
    conclusions of every kind (expert/kinds.py: warnings, readiness gaps, ...), and what it could not
    determine. Each conclusion names its fact id."""
    model = kb.model(result.recommendation)
    rec_fact = result.recommendation_fact()
    undetermined = model.id == kb.undetermined.id
    return {
        "recommendation": {
            "status": "undetermined" if undetermined else "recommended",
            "model": None if undetermined else model.id,
            "label": model.label,
            "summary": model.summary,
            "strength": result.strength,
            "fact": rec_fact.id,
            "runner_up": result.runner_up,
            "margin": number(result.margin),
            "rules": list(dict.fromkeys(f.rule for f in result.justifications(rec_fact.id))),
            "conditional": bool(result.unconfirmed),
            "to_confirm": [
                {"rule": u.rule, "title": kb.rule(u.rule).title, "questions": list(u.questions)}
                for u in result.unconfirmed
            ],
            "deciding_questions": list(result.deciding_questions),
        },
        "fit": {"status": next(iter(result.finding_values(FIT)), None), "candidates": result.finding_values(CANDIDATE)},
        "vetoes": [
            {"model": f.value, "rules": [j.rule for j in result.justifications(f.id)], "fact": f.id}
            for f in result.findings
            if f.name == VETOED
        ],
        "blocked": [
            {"model": f.value, "rules": [j.rule for j in result.justifications(f.id)], "fact": f.id}
            for f in result.findings
            if f.name == BLOCKED
        ],
        "scores": {m.id: number(result.scores[m.id]) for m in kb.models},
        **{kind.key: _listing(result, kind, kb) for kind in KINDS},
        "could_not_determine": {
            "questions": [{"question": q.question, "read_by": list(q.read_by)} for q in result.open_questions],
            "findings": result.undetermined,
        },
    }


def _listing(result, kind, kb):
    """The conclusions of ``kind``: {area: owner} for every area of a matrix, else each one's name (under
    the kind's subject), text, rule and fact id."""
    facts = result.of_kind(kind.name)
    if kind.matrix:
        owners = {f.name: f.value for f in facts}
        return {area: owners.get(area) for area, _ in kb.areas}
    return [{kind.subject: f.name, "text": f.text, "rule": f.rule, "fact": f.id} for f in facts]


def _firing(firing, facts, kb):
    return {
        "step": firing.step,
        "rule": firing.rule,
        "title": kb.rule(firing.rule).title,
        "matched": [_fact(facts[i]) for i in firing.matched],
        "absent": [a.to_dict() for a in firing.absent],
        "asserted": [dict(_fact(facts[i]), new=i in firing.new) for i in firing.asserted],
    }


def _fact(fact):
    return dict(fact.to_dict(), label=fact.label())
