"""Render a consultation report (see expert.report) as one self-contained, printable HTML page.

No script, no network: the score chart is inline SVG, the explanation is nested ``<details>``.
Everything that comes from the answers, the knowledge files or the caller is escaped.
"""

from collections.abc import Iterable
from html import escape

from sourcing.cli.render import advice_sections
from sourcing.expert import explain, kinds
from sourcing.expert.model import KnowledgeBase

DEFAULT_TITLE = "Sourcing recommendation"
CHART_LABEL, CHART_BAR, CHART_ROW = 190, 420, 34

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2430;
       max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.7rem; margin: 0 0 .2rem; } h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem;
     border-bottom: 1px solid #d6dbe3; padding-bottom: .2rem; }
.date, .quiet, .rules { color: #667085; } .rules { font: 12px ui-monospace, monospace; white-space: nowrap; }
.headline { font-size: 1.2rem; padding: .8rem 1rem; border-left: 6px solid #2e7d32; background: #f1f8f1; }
.headline.moderate { border-color: #b7791f; background: #fdf8ec; }
.headline.weak, .headline.undetermined { border-color: #c53030; background: #fdf1f1; }
ul { padding-left: 1.3rem; } li { margin: .2rem 0; }
.weight { display: inline-block; min-width: 2.2rem; font-weight: 600; color: #2e7d32; }
.detail { display: block; color: #4a5565; font-size: .92em; }
table { border-collapse: collapse; margin: .3rem 0; } td, th { text-align: left; padding: .2rem .8rem .2rem 0;
        border-bottom: 1px solid #eceff3; vertical-align: top; }
.unknown { color: #98a2b3; font-style: italic; }
.contributions { display: grid; grid-template-columns: repeat(auto-fit, minmax(17rem, 1fr)); gap: 0 1.5rem; }
.contributions h3 { font-size: 1rem; margin: .4rem 0 .2rem; }
svg text { font: 13px system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; fill: #1d2430; }
svg .vetoed { fill: #c53030; font-weight: 600; } svg .recommended { font-weight: 700; }
details > summary { cursor: pointer; } ul.tree, ul.because { list-style: none; padding-left: 1.1rem; }
li.leaf::before { content: "\\25CF  "; color: #98a2b3; font-size: .7em; } li.absence { font-style: italic; }
.fingerprint { font: 12px ui-monospace, monospace; word-break: break-all; }
footer { margin-top: 2rem; border-top: 1px solid #d6dbe3; padding-top: .6rem; color: #667085; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  section, table, svg { break-inside: avoid; }
  .headline { background: none; }
  details::details-content { content-visibility: visible; display: block; }
  a { color: inherit; text-decoration: none; }
}
"""


def consult_html(
    report: dict,
    kb: KnowledgeBase,
    title: str | None,
    date: str,
    fingerprint: str,
    explained: Iterable[int] | None = None,
) -> str:
    """The whole page: title, date, advice sections, score chart, contributions, answers, explanation
    (of ``explained`` fact ids; default the recommendation and every warning, gap and note) and the
    knowledge-base fingerprint."""
    title = title or DEFAULT_TITLE
    if explained is None:
        explained = [report["recommendation"]["fact"], *kinds.explained_facts(report)]
    contributions = _contributions(report, kb)
    headline, *sections = _advice(report, kb)
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="date">{escape(date)}</p>',
        headline,
        f"<section><h2>Fit scores</h2>{_chart(report, kb, contributions)}</section>",
        *sections,
        '<section><h2>What each model\'s score is made of</h2><div class="contributions">',
        *_contribution_tables(kb, contributions),
        "</div></section>",
        _answers(report, kb),
        _explanation(report["justifications"], explained),
        _footer(report, fingerprint),
    ]
    return page(title, body)


def page(title: str, body: list[str]) -> str:
    """A self-contained HTML page: ``title`` (escaped here) and the ``body`` parts (already escaped)."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    cells = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{cells}</table>"


def compare_html(data: dict, kb: KnowledgeBase, date: str) -> str:
    """``sourcing compare`` as a page: the cases, their advice, the answers that differ, the fit scores,
    and what appears and disappears from the first case to each other one."""
    cases = data["cases"]
    body = [
        f"<h1>Comparing {len(cases)} consultations</h1>",
        f'<p class="date">{escape(date)}</p>',
        "<section><h2>Advice</h2>"
        + _table(
            ["", "source", "advice", "strength"],
            [[c["name"], c["origin"], c["label"], c["strength"] or "none"] for c in cases],
        )
        + "</section>",
        "<section><h2>Answers that differ</h2>"
        + (
            _table(
                ["question", *[c["name"] for c in cases]],
                [[d["question"], *d["answers"].values()] for d in data["answers_that_differ"]],
            )
            if data["answers_that_differ"]
            else "<p>none</p>"
        )
        + "</section>",
        "<section><h2>Fit scores</h2>"
        + _table(
            ["model", *[c["name"] for c in cases]], [[m.label, *[c["scores"][m.id] for c in cases]] for m in kb.models]
        )
        + "</section>",
    ]
    for change in data["changes"]:
        items = [
            f"<li>{mark} {escape(i['kind'])}: {escape(i['text'])} {_rules([i['rule']])}</li>"
            for mark, key in (("+", "appear"), ("&minus;", "disappear"))
            for i in change[key]
        ]
        body.append(
            f"<section><h2>From {escape(change['from'])} to {escape(change['to'])}</h2>"
            f"<ul>{''.join(items) or '<li>the same advice, vetoes, gaps and pricing</li>'}</ul></section>"
        )
    return page("Sourcing comparison", body)


def _rules(rules: list[str]) -> str:
    return f' <span class="rules">[{escape(", ".join(rules))}]</span>' if rules else ""


def _item(item: dict) -> str:
    weight = f'<span class="weight">{item["weight"]:+}</span> ' if item.get("weight") is not None else ""
    asked = (
        f' <span class="quiet">(questions: {escape(", ".join(item["questions"]))})</span>'
        if item.get("questions")
        else ""
    )
    detail = f'<span class="detail">{escape(item["detail"])}</span>' if item.get("detail") else ""
    return f"<li>{weight}{escape(item['text'])}{asked}{_rules(item['rules'])}{detail}</li>"


def _advice(report: dict, kb: KnowledgeBase) -> list[str]:
    out = []
    for heading, body in advice_sections(report, kb):
        if heading == "headline":
            strength = body["strength"] if body["model"] else "undetermined"
            out.append(
                f'<p class="headline {escape(strength or "")}"><strong>{escape(body["headline"])}</strong>'
                f"{_rules(report['recommendation']['rules'])}</p>"
            )
        elif heading == "Responsibility":
            rows = "".join(f"<tr><td>{escape(r['area'])}</td><td>{escape(r['owner'] or '-')}</td></tr>" for r in body)
            out.append(
                f"<section><h2>Responsibility</h2><table><tr><th>area</th><th>owner</th></tr>{rows}</table></section>"
            )
        else:
            out.append(f"<section><h2>{escape(heading)}</h2><ul>{''.join(_item(i) for i in body)}</ul></section>")
    return out


def _contributions(report: dict, kb: KnowledgeBase) -> dict[str, list[dict]]:
    """{model id: the evidence facts the scoring step summed for it, heaviest first}."""
    scoring = next((f for f in report["trace"] if any(a["kind"] == "score" for a in f["asserted"])), None)
    evidence = [f for f in scoring["matched"] if f["kind"] == "evidence"] if scoring else []
    return {m.id: sorted((f for f in evidence if f["name"] == m.id), key=lambda f: -f["weight"]) for m in kb.models}


def _chart(report: dict, kb: KnowledgeBase, contributions: dict[str, list[dict]]) -> str:
    """One stacked bar per model (a segment per rule), the recommended one highlighted, vetoed and blocked
    (not ready) ones marked."""
    scores, recommended = report["scores"], report["recommendation"]["model"]
    vetoed = {v["model"] for v in report["vetoes"]}
    blocked = {b["model"] for b in report["blocked"]}
    top = max([*scores.values(), 1])
    height = CHART_ROW * len(kb.models) + 8
    width = CHART_LABEL + CHART_BAR + 150
    parts = [
        f'<svg role="img" aria-label="Fit score per model" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
    ]
    for row, model in enumerate(kb.models):
        y = 4 + row * CHART_ROW
        chosen = model.id == recommended
        colour = "#2e7d32" if chosen else "#8fa3bf"
        marks = ' class="recommended"' if chosen else ""
        parts.append(f'<text x="0" y="{y + 20}"{marks}>{escape(model.label)}</text>')
        x = CHART_LABEL
        for fact in contributions[model.id]:
            length = max(fact["weight"], 0) * CHART_BAR / top
            title = f"{fact['weight']:+} {fact['rule']}: {kb.titles.get(fact['rule'], '')}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{length:.1f}" height="22" fill="{colour}" '
                f'stroke="#fff" stroke-width="1"><title>{escape(title)}</title></rect>'
            )
            x += length
        status = " recommended" if chosen else " not ready" if model.id in blocked else ""
        shown = "vetoed" if model.id in vetoed else f"{scores[model.id]}{status}"
        css = ' class="vetoed"' if model.id in vetoed else marks
        parts.append(f'<text x="{x + 8:.1f}" y="{y + 20}"{css}>{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _contribution_tables(kb: KnowledgeBase, contributions: dict[str, list[dict]]) -> list[str]:
    out = []
    for model in kb.models:
        rows = "".join(
            f'<tr><td class="weight">{f["weight"]:+}</td><td>{escape(kb.titles.get(f["rule"], ""))}'
            f"{_rules([f['rule']])}</td></tr>"
            for f in contributions[model.id]
        )
        out.append(
            f"<div><h3>{escape(model.label)}</h3>"
            + (f"<table>{rows}</table>" if rows else '<p class="quiet">no fit evidence</p>')
            + "</div>"
        )
    return out


def _answers(report: dict, kb: KnowledgeBase) -> str:
    rows = []
    for qid, value in report["answers"].items():
        prompt = kb.question(qid).prompt if qid in kb.question_map else ""
        shown = '<td class="unknown">unknown</td>' if value == "unknown" else f"<td>{escape(str(value))}</td>"
        rows.append(f'<tr><td>{escape(prompt)} <span class="rules">{escape(qid)}</span></td>{shown}</tr>')
    table = (
        f"<table><tr><th>question</th><th>answer</th></tr>{''.join(rows)}</table>"
        if rows
        else '<p class="quiet">No answers were given.</p>'
    )
    return f"<section><h2>Answers</h2>{table}</section>"


def _explanation(nodes: dict, fact_ids: Iterable[int]) -> str:
    """Each explained fact as nested <details>; a sub-chain shown once, later as a link to it."""
    shown = set()

    def node(tree: dict, root: bool = False) -> str:
        fact_id, kind = escape(str(tree["fact"]["id"])), escape(tree["fact"]["kind"])
        label = escape(tree["label"])
        if not tree["because"]:
            return f'<li class="leaf {kind}">{label}</li>'
        if fact_id in shown:
            return (
                f'<li class="{kind}"><a href="#fact-{fact_id}">{label}</a> <span class="quiet">(see above)</span></li>'
            )
        shown.add(fact_id)
        reasons, opened = [], " open" if root else ""
        for step in tree["because"]:
            premises = "".join(node(child) for child in step["from"])
            premises += "".join(f'<li class="leaf absence">{escape(a)}</li>' for a in step["absent"])
            reasons.append(
                f'<li>&larr; {escape(step["title"])}{_rules([step["rule"]])}<ul class="because">{premises}</ul></li>'
            )
        return (
            f'<li class="{kind}"><details id="fact-{fact_id}"{opened}><summary>{label}</summary>'
            f'<ul class="because">{"".join(reasons)}</ul></details></li>'
        )

    trees = "".join(node(explain.tree(nodes, fact_id), root=True) for fact_id in fact_ids)
    return (
        f'<section><h2>Explanation</h2><p class="quiet">Each conclusion, the rules that gave it and their '
        f'premises, down to the answers.</p><ul class="tree">{trees}</ul></section>'
    )


def _footer(report: dict, fingerprint: str) -> str:
    size = report["knowledge_base"]
    return (
        f"<footer>Made by sourcing {escape(str(report['version']))} with a knowledge base of {size['rules']} "
        f"rules and {size['questions']} questions, fingerprint "
        f'<span class="fingerprint">{escape(fingerprint or "-")}</span> '
        "(an audit record of this consultation names the same one).</footer>"
    )


def assess_html(rows: list[list[object]], headers: list[str], summary, kb: KnowledgeBase) -> str:
    """``sourcing assess`` as a page: rows per model as an SVG bar chart, the readiness gaps by how many
    rows they hold back, then every row in words."""
    counts = summary.per_model(kb)
    widest = max(counts.values(), default=0) or 1
    labels = {m.id: m.label for m in kb.all_models}
    bars = []
    for index, (model, count) in enumerate(counts.items()):
        y, width = index * CHART_ROW, round(CHART_BAR * count / widest)
        bars.append(
            f'<text x="0" y="{y + 20}">{escape(labels.get(model, model))}</text>'
            f'<rect x="{CHART_LABEL}" y="{y + 6}" width="{width}" height="20" fill="#4a7bb7"/>'
            f'<text x="{CHART_LABEL + width + 6}" y="{y + 20}">{count}</text>'
        )
    chart = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_LABEL + CHART_BAR + 60}" '
        f'height="{CHART_ROW * len(counts)}" role="img" aria-label="rows per model">{"".join(bars)}</svg>'
    )
    gaps = "".join(f"<li><b>{n}</b> {escape(text)} {_rules([rule])}</li>" for rule, text, n in summary.per_gap())
    table = (
        "<table><tr>"
        + "".join(f"<th>{escape(h)}</th>" for h in headers)
        + "</tr>"
        + "".join(
            "<tr>" + "".join(f"<td>{escape(str(cell)).replace(chr(10), '<br>')}</td>" for cell in row) + "</tr>"
            for row in rows
        )
        + "</table>"
    )
    body = [
        "<h1>Portfolio assessment</h1>",
        f'<p class="quiet">{summary.rows} row(s) assessed, {summary.bad_rows} bad row(s) skipped, '
        f"{summary.with_unknowns} with unknown answers.</p>",
        f"<section><h2>Advice per row</h2>{chart}</section>",
        f"<section><h2>Readiness gaps</h2><ul>{gaps or '<li>none</li>'}</ul></section>",
        f"<section><h2>Rows</h2>{table}</section>",
    ]
    return page("Portfolio assessment", body)
