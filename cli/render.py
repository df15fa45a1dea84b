"""Render a consultation report (see expert.report) as text or Markdown."""
import json

import click
from tabulate import tabulate

from expert import explain

COLOURS = {
    "answer": "cyan", "rule": "yellow", "absence": "magenta", "heading": "bright_white",
    "warning": "red", "strong": "green", "moderate": "yellow", "weak": "red",
}


class Styler:
    """Applies colour only when enabled (see cli.session.colour_enabled)."""

    def __init__(self, enabled):
        self.enabled = enabled

    def __call__(self, text, kind):
        if not self.enabled or kind not in COLOURS:
            return text
        return click.style(text, fg=COLOURS[kind], bold=kind == "heading")


def as_json(report):
    """The report as indented JSON."""
    return json.dumps(report, indent=2, ensure_ascii=False)


def _sections(report, kb, trace):
    """(title, kind, body) triples shared by the text and Markdown renderers.

    kind is 'lines' (body: list of text) or 'table' (body: (headers, rows)).
    """
    rec = report["recommendation"]
    labels = {m.id: m.label for m in kb.all_models}
    margin = "" if rec["margin"] is None else f", margin {rec['margin']}"
    headline = [
        f"{rec['label']} ({rec['strength']}): {rec['summary']}",
        f"Runner-up: {labels[rec['runner_up']]}{margin}. Concluded by {', '.join(rec['rules'])}.",
    ]
    yield "Recommendation", "lines", headline
    scores = sorted(report["scores"].items(), key=lambda kv: -kv[1])
    yield "Scores", "table", (["model", "score"], [[labels[m], s] for m, s in scores])
    areas = dict(kb.areas)
    yield "Responsibility matrix", "table", (
        ["responsibility", "owner"], [[areas[a], o or "-"] for a, o in report["responsibility"].items()])
    yield "Pricing structures", "lines", [f"{p['text']} [{p['rule']}]" for p in report["pricing"]]
    yield "Warnings", "lines", [f"{labels[w['about']]}: {w['text']} [{w['rule']}]" for w in report["warnings"]]
    yield "Readiness gaps", "lines", [f"{g['area']}: {g['text']} [{g['rule']}]" for g in report["readiness_gaps"]]
    yield "Notes", "lines", [f"{n['topic']}: {n['text']} [{n['rule']}]" for n in report["notes"]]
    unknown = report["could_not_determine"]
    lines = [f"question {q['question']}: answering it could change the recommendation "
             f"(read by {', '.join(q['read_by'])})" for q in unknown["questions"]]
    lines += [f"finding {name}: undetermined" for name in unknown["findings"]]
    yield "Could not determine", "lines", lines
    if trace:
        yield "Reasoning trace", "lines", list(_trace_lines(report["trace"]))
    conclusions = report["warnings"] + report["readiness_gaps"] + report["notes"]
    trees = [report["explanation"]] + [explain.tree(report["justifications"], c["fact"]) for c in conclusions]
    yield "Explanation", "tree", trees


def _fact_list(facts):
    return "; ".join(f["label"] for f in facts) or "-"


def _trace_lines(trace):
    for firing in trace:
        yield f"{firing['step']:>3}. {firing['rule']}  {firing['title']}"
        yield f"       matched:  {_fact_list(firing['matched'])}"
        if firing["absent"]:
            yield "       relied on: " + "; ".join(a["label"] for a in firing["absent"])
        asserted = [f["label"] + ("" if f["new"] else " (already known)") for f in firing["asserted"]]
        yield "       asserted: " + "; ".join(asserted)


def text(report, kb, trace=True, style=None):
    """Plain-text rendering with tables and an indented explanation tree."""
    style = style or Styler(False)
    out = []
    for title, kind, body in _sections(report, kb, trace):
        if kind == "lines" and not body:
            continue
        out.append(style(title, "heading"))
        out.append(style("-" * len(title), "heading"))
        if kind == "table":
            headers, rows = body
            out.append(tabulate(rows, headers=headers, tablefmt="simple"))
        elif kind == "tree":
            out.extend(explain.render(body, style))
        elif title == "Recommendation":
            first, *rest = body
            out.append(style(first, report["recommendation"]["strength"]))
            out.extend(rest)
        elif title == "Reasoning trace":
            out.extend(body)
        else:
            out.extend(style(f"- {line}", "warning" if title == "Warnings" else "") for line in body)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def markdown(report, kb, trace=True):
    """Markdown rendering: headings, GitHub tables, bullet lists, a fenced tree."""
    out = ["# Sourcing recommendation", ""]
    for title, kind, body in _sections(report, kb, trace):
        if kind == "lines" and not body:
            continue
        out += [f"## {title}", ""]
        if kind == "table":
            headers, rows = body
            out.append(tabulate(rows, headers=headers, tablefmt="github"))
        elif kind == "tree" or title == "Reasoning trace":
            lines = explain.render(body) if kind == "tree" else body
            out += ["```text", *lines, "```"]
        else:
            out += [f"- {line}" for line in body]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
