"""Text renderings of HOW (explain), WHY-NOT and replay, shared by the commands and --explore."""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sourcing.expert import explain, kinds
from sourcing.expert.result import number

if TYPE_CHECKING:  # annotations only
    from sourcing.expert.audit import Record
    from sourcing.expert.model import KnowledgeBase


def _short(digest):
    return digest.split(":")[-1][:12] if digest else "-"


def explanation_text(result, titles, fact_ids, style):
    """The indented explanation tree of each fact in ``fact_ids``."""
    nodes = explain.graph(result, titles)
    return "\n".join(tree_lines(explain.trees(nodes, fact_ids), style)) + "\n"


def tree_lines(trees: dict | Sequence[dict], style: Callable[[str, str], str] = lambda text, kind: text) -> list[str]:
    """Indented text lines for one or more explanation trees (expert.explain.tree).

    A fact explained once is shown again as ``(see #ID above)``, and its first
    line is marked ``#ID``.
    """
    lines: list = []
    first: dict = {}
    pending = [(root, 0) for root in reversed([trees] if isinstance(trees, dict) else trees)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            lines.append(item)
            continue
        pad = "  " * depth
        fact_id = item["fact"]["id"]
        if "see" in item or (item["because"] and fact_id in first):
            lines.append(f"{pad}{style(item['label'], item['fact']['kind'])}  (see #{fact_id} above)")
            if fact_id in first and not lines[first[fact_id]].endswith(f"  #{fact_id}"):
                lines[first[fact_id]] += f"  #{fact_id}"
            continue
        if item["because"]:
            first[fact_id] = len(lines)
        lines.append(pad + style(item["label"], item["fact"]["kind"]))
        below = []
        for justification in item["because"]:
            below.append((f"{pad}  <- {style(justification['rule'], 'rule')} {justification['title']}", 0))
            below += [(child, depth + 2) for child in justification["from"]]
            below += [(f"{pad}    {style(label, 'absence')}", 0) for label in justification["absent"]]
        pending.extend(reversed(below))
    return lines


def record_heading(record: "Record", kb: "KnowledgeBase") -> str:
    """The advice in words first; when, by which version and on which knowledge base after it."""
    data = record.data
    model = record.result.recommendation
    labels = {m.id: m.label for m in kb.all_models}
    advice = labels.get(model, model) if model else "No recommendation"
    digest = record.fingerprint.split(":")[-1]
    return (
        f"{advice} ({record.result.strength}), consulted {data['created']} with sourcing "
        f"{data['tool'].get('version', '?')}, knowledge base {digest[:12]}\n"
    )


def conclusions_index(result):
    """Lines naming every conclusion's fact id, so the user can ask for one."""
    lines = [
        "Conclusions to explain (--conclusion ID, or 'how ID' when exploring):",
        f"  recommendation  {result.recommendation_fact().label()}",
    ]
    for fact in result.facts.values():
        if fact.kind in kinds.BY_NAME:
            text = f": {fact.text}" if fact.text else ""
            lines.append(f"  {fact.id:<14}  {fact.label()}{text} [{fact.rule}]")
    return "\n".join(lines) + "\n"


def why_not_text(analysis, kb, style):
    """The WHY-NOT answer: the score gap, evidence against and for, what the model needs, counterfactuals."""
    result = analysis.result
    label = kb.model(analysis.target).label
    recommended = kb.model(result.recommendation)
    out = [style(f"Why not {label}?", "heading")]
    if analysis.recommended:
        out.append(f"{label} is the recommendation ({result.strength}); 'sourcing explain' shows how.")
    else:
        out.append(f"Recommended: {recommended.label} ({result.strength}).")
    if analysis.target in result.scores:
        target_score = number(result.scores[analysis.target])
        top = max(result.scores.values())
        out.append(
            f"Score of {label}: {target_score}; highest score: {number(top)}"
            + (f" ({number(top - result.scores[analysis.target])} behind)." if top > target_score else ".")
        )
    for title, rules in (
        ("Vetoed: the source calls it the wrong fit here", analysis.vetoes),
        ("Not ready: requirements it needs are unmet", analysis.blockers),
    ):
        if rules:
            out += ["", style(title, "heading")]
            out += [f"  {style(r, 'rule')}  {kb.titles[r]}" for r in rules]
    for title, facts in (
        ("Evidence against it", analysis.evidence_against),
        ("Fit evidence for it" + ("" if analysis.recommended else ", not enough"), analysis.evidence_for),
    ):
        if not facts and title.startswith("Evidence against"):
            continue  # fit weights are not negative in a base that passes kb lint
        out += ["", style(title, "heading")]
        out += [f"  {number(f.weight):+}  {style(f.rule, 'rule')}  {kb.titles.get(f.rule, '')}" for f in facts] or [
            "  none"
        ]
    for rule_id, clauses in analysis.requirements:
        out += ["", style(f"What {style(rule_id, 'rule')} needs ({kb.titles[rule_id]})", "heading")]
        for clause in clauses:
            mark = "met" if clause.held else "NOT met"
            out.append(f"  [{mark:^7}] {clause.text}   (now: {clause.actual})")
    if not analysis.recommended:
        out += ["", *_counterfactual_lines(analysis, kb, style)]
    return "\n".join(out) + "\n"


def _counterfactual_lines(analysis, kb, style):
    label = kb.model(analysis.target).label
    found = analysis.counterfactuals
    scope = (
        f"every set of up to {analysis.max_changes} changed answers, never to unknown: {analysis.evaluated} answer sets"
    )
    if not found:
        wider = " Try --max-changes 3 for a wider search." if analysis.max_changes < 3 else ""
        return [
            style("What would have to change", "heading"),
            f"No set of up to {analysis.max_changes} answer changes makes {label} the recommendation "
            f"(searched {scope}).{wider}",
        ]
    lines = [
        style(f"What would have to change: {len(found)} minimal set(s), smallest first", "heading"),
        f"(searched {scope}; each set re-checked with the experta engine)",
    ]
    for index, cf in enumerate(found, start=1):
        changes = ", ".join(f"{c.question}: {c.before} -> {c.after}" for c in cf.changes)
        margin = "" if cf.margin is None else f", margin {number(cf.margin)}"
        lines.append(f"{index:>3}. {changes}")
        runner_up = f"; runner-up {kb.model(cf.runner_up).label}" if cf.runner_up else ""
        lines.append(f"       => {label} ({cf.strength}{margin}{runner_up})")
        if cf.started:
            lines.append("       now fires: " + ", ".join(style(r, "rule") for r in cf.started))
        if cf.stopped:
            lines.append("       no longer fires: " + ", ".join(style(r, "rule") for r in cf.stopped))
    return lines


def replay_text(outcome, record, source):
    """The replay verdict: knowledge-base fingerprint, changed conclusions, rules changed along the chain."""
    data = record.data
    out = [f"Replayed {source} (written {data['created']} by sourcing {data['tool'].get('version', '?')})."]
    if outcome.kb_unchanged:
        out.append(f"Knowledge base: unchanged (fingerprint {_short(outcome.fingerprint_now)}).")
    else:
        out.append(
            f"Knowledge base: changed (fingerprint {_short(outcome.fingerprint_before)} -> "
            f"{_short(outcome.fingerprint_now)})."
        )
    if outcome.identical:
        out.append("Conclusions: identical.")
    else:
        out.append(f"Conclusions: {len(outcome.conclusions)} changed.")
        out += [f"  {c.what}: {c.recorded} -> {c.current}" for c in outcome.conclusions]
    if outcome.rules:
        out.append("Rules along the chain:")
        for change in outcome.rules:
            digests = (
                f"{_short(change.before)} -> {_short(change.after)}"
                if change.change == "edited"
                else _short(change.after or change.before)
            )
            out.append(f"  {change.rule:<12} {change.change:<16} {digests}")
    return "\n".join(out) + "\n"
