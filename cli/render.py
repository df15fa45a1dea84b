"""Render a consultation report (see expert.report) as text or Markdown."""

import textwrap

import click

from sourcing.cli.audit_render import tree_lines
from sourcing.expert import explain, kinds

COLOURS = {
    "answer": "cyan",
    "rule": "yellow",
    "absence": "magenta",
    "heading": "bright_white",
    "warning": "red",
    "strong": "green",
    "moderate": "yellow",
    "weak": "red",
}


class Styler:
    """Applies colour only when enabled (see cli.session.colour_enabled)."""

    def __init__(self, enabled):
        self.enabled = enabled

    def __call__(self, text, kind):
        if not self.enabled or kind not in COLOURS:
            return text
        return click.style(text, fg=COLOURS[kind], bold=kind == "heading")


WIDTH = 100


def wrap(text, indent="  ", first=None):
    """``text`` wrapped to WIDTH columns, the first line after ``first`` (default ``indent``)."""
    first = indent if first is None else first
    return textwrap.wrap(
        text, WIDTH, initial_indent=first, subsequent_indent=" " * len(first), break_on_hyphens=False
    ) or [first.rstrip()]


def _quiet(rules, style):
    """Rule ids in a quiet form an auditor can follow: '[EV-MS-001]'."""
    return style("[" + ", ".join(rules) + "]", "rule") if rules else ""


def _bullet(item, style, mark="-"):
    text = item["text"] + (f" (questions: {', '.join(item['questions'])})" if item.get("questions") else "")
    if not item["rules"]:
        return wrap(text, first=f"  {mark} ", indent="    ")
    quiet = "[" + ", ".join(item["rules"]) + "]"
    lines = wrap(f"{text}  {quiet}", first=f"  {mark} ", indent="    ")
    lines[-1] = lines[-1].replace(quiet, _quiet(item["rules"], style))
    return lines


def advice_sections(report, kb):
    """(heading, lines-builder) pairs of the advice-first report, shared by text and markdown."""
    advice = report["advice"]
    yield "headline", advice
    if advice["why"]:
        yield "Why", advice["why"]
    if advice["against"]:
        yield "What counts against it", advice["against"]
    if advice["runner_up"]:
        yield f"Why not {advice['runner_up']['label']}", advice["runner_up"]["reasons"]
    if advice["changes"]:
        yield (
            "What would change it",
            [
                {
                    "text": ", ".join(f"{c['question']}: {c['from']} -> {c['to']}" for c in change["changes"])
                    + f"  =>  {change['label']}",
                    "rules": [],
                }
                for change in advice["changes"]
            ],
        )
    if advice["deciding_questions"]:
        yield (
            "Questions that would decide it",
            [
                {"text": f"{q['question']}: {q['prompt']} ({', '.join(q['values'])})", "rules": []}
                for q in advice["deciding_questions"]
            ],
        )
    for section, heading in kinds.sections():  # the conclusions (expert/kinds.py); a matrix only if filled
        if any(row.get("owner", True) for row in advice[section]):
            yield heading, advice[section]
        if section == "before_you_sign" and advice["to_confirm"]:
            yield "To confirm", advice["to_confirm"]


def _reason(item, style):
    weight = item.get("weight")
    mark = f"{weight:+}" if weight is not None else "-"
    return _bullet(item, style, mark=mark)


def text(report, kb, trace=False, explanation=False, style=None):
    """The advice-first text report; ``trace`` and ``explanation`` add the engine detail after it."""
    style = style or Styler(False)
    out = []
    for heading, body in advice_sections(report, kb):
        if heading == "headline":
            out += [style(line, body["strength"] or "heading") for line in wrap(body["headline"], indent="")]
            continue
        out += ["", style(heading, "heading")]
        if heading == "Responsibility":
            width = max(len(r["area"]) for r in body)
            out += [f"  {r['area']:<{width}}  {r['owner'] or '-'}" for r in body]
        else:
            for item in body:
                out += _reason(item, style) if heading == "Why" else _bullet(item, style)
    if trace:
        out += ["", style("Reasoning trace", "heading"), *_trace_lines(report, kb)]
    if explanation:
        out += ["", style("Explanation", "heading"), *_explanation_lines(report, style)]
    if not (trace and explanation):
        out += [""] + [
            style(line, "rule")
            for line in wrap(
                "Details: --explain adds the chain of reasons down to the answers, --trace every rule firing; "
                "'sourcing explain' reads an --audit record.",
                indent="",
            )
        ]
    return "\n".join(out).rstrip() + "\n"


def _explanation_lines(report, style):
    trees = [explain.tree(report["justifications"], report["recommendation"]["fact"])]
    trees += [explain.tree(report["justifications"], fact) for fact in kinds.explained_facts(report)]
    lines = []
    for line in tree_lines(trees, style):
        lines += wrap(
            line.strip(),
            first=line[: len(line) - len(line.lstrip())] or "",
            indent=" " * (len(line) - len(line.lstrip()) + 4),
        )
    return lines


def _fact_list(facts):
    return "; ".join(f["label"] for f in facts) or "-"


def _trace_lines(report, kb):
    """Every firing in order, wrapped; the scoring step summarised per model (total, then contributions)."""
    lines = []
    for firing in report["trace"]:
        lines += wrap(f"{firing['step']:>3}. {firing['rule']}  {firing['title']}", indent="       ", first="")
        if any(f["kind"] == "score" for f in firing["asserted"]):
            for model in kb.models:
                parts = [
                    f"{f['weight']:+} {f.get('rule', '')}"
                    for f in firing["matched"]
                    if f["kind"] == "evidence" and f["name"] == model.id
                ]
                total = report["scores"][model.id]
                lines += wrap(
                    f"{model.label} = {total}: {', '.join(parts) or 'no fit evidence'}",
                    indent="         ",
                    first="       ",
                )
            vetoed = [f["value"] for f in firing["matched"] if f["kind"] == "finding"]
            if vetoed:
                lines += wrap("vetoed: " + ", ".join(vetoed), indent="         ", first="       ")
            ranked = [f["label"] for f in firing["asserted"] if f["kind"] == "finding"]
            lines += wrap("ranked: " + "; ".join(ranked), indent="         ", first="       ")
            continue
        lines += wrap("matched:  " + _fact_list(firing["matched"]), indent="                 ", first="       ")
        if firing["absent"]:
            lines += wrap(
                "relied on: " + "; ".join(a["label"] for a in firing["absent"]),
                indent="                 ",
                first="       ",
            )
        asserted = [f["label"] + ("" if f["new"] else " (already known)") for f in firing["asserted"]]
        lines += wrap("asserted: " + "; ".join(asserted), indent="                 ", first="       ")
    return lines


def markdown(report, kb, trace=False, explanation=False, title=None, date=None):
    """Markdown mirroring the text report, with a title, the date and the answers given."""
    from tabulate import tabulate  # here, not at the top: JSON output does without it

    out = [f"# {title or 'Sourcing recommendation'}", ""]
    if date:
        out += [f"*{date}*", ""]
    for heading, body in advice_sections(report, kb):
        if heading == "headline":
            out += [f"**{body['headline']}**", ""]
            continue
        out += [f"## {heading}", ""]
        if heading == "Responsibility":
            out.append(
                tabulate(
                    [[r["area"], r["owner"] or "-"] for r in body],
                    headers=["responsibility", "owner"],
                    tablefmt="github",
                )
            )
        else:
            for item in body:
                weight = f"**{item['weight']:+}** " if item.get("weight") is not None else ""
                rules = f" `{', '.join(item['rules'])}`" if item["rules"] else ""
                asked = f" (questions: {', '.join(item['questions'])})" if item.get("questions") else ""
                out.append(f"- {weight}{item['text']}{asked}{rules}")
        out.append("")
    given = {q: v for q, v in report["answers"].items() if v != "unknown"}
    out += [
        "## Answers",
        "",
        tabulate(
            [[q, v] for q, v in given.items()] or [["(none)", ""]], headers=["question", "answer"], tablefmt="github"
        ),
        "",
    ]
    if trace:
        out += ["## Reasoning trace", "", "```text", *_trace_lines(report, kb), "```", ""]
    if explanation:
        out += ["## Explanation", "", "```text", *_explanation_lines(report, Styler(False)), "```", ""]
    return "\n".join(out).rstrip() + "\n"
