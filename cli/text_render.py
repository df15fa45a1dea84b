"""Text and Markdown of the catalogue, the knowledge engineer's checks, the dependency graph and comparisons."""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tabulate import tabulate

from sourcing.cli.render import wrap
from sourcing.expert import describe, kinds

if TYPE_CHECKING:  # annotations only
    from sourcing.expert.graph import Graph
    from sourcing.expert.lint import Report as LintReport
    from sourcing.expert.model import KnowledgeBase, RuleSpec
    from sourcing.expert.scenarios import ScenarioReport

COMPARED_KINDS = {"veto": "ruled out", "blocked": "not ready", **{kind.name: kind.label for kind in kinds.LISTED}}


def questions(kb: "KnowledgeBase") -> str:
    """The question catalogue as a table: id, allowed values, prompt."""
    rows = [[q.id, ", ".join(q.choices), q.prompt] for q in kb.questions]
    return tabulate(rows, headers=["id", "values", "prompt"], tablefmt="simple", maxcolwidths=[None, 40, 60]) + "\n"


def rules(selected: Sequence["RuleSpec"]) -> str:
    """Rules as a table: id, layer, title, source."""
    rows = [[r.id, r.layer, r.title, r.source] for r in selected]
    return (
        tabulate(rows, headers=["id", "layer", "title", "source"], tablefmt="simple", maxcolwidths=[None, None, 45, 50])
        + "\n"
    )


def rule(shown: "RuleSpec") -> str:
    """One rule: metadata, rationale, references, and its IF/THEN logic in words."""
    lines = [
        f"{shown.id}  {shown.title}",
        f"layer: {shown.layer}   status: {shown.status}   defined at: {shown.file}:{shown.line}",
        f"source: {shown.source}",
        f"rationale: {shown.rationale}",
    ]
    lines += [f"see also: {reference}" for reference in shown.references]
    return "\n".join(lines + ["", *describe.rule_lines(shown)]) + "\n"


def lint(report: "LintReport") -> str:
    """The kb lint report: the issues as a table, counter-examples as commands, completeness, counts."""
    lines = []
    if report.issues:
        rows = [[i.code, i.severity, i.location, i.rule or "", i.message] for i in report.issues]
        lines.append(
            tabulate(
                rows,
                headers=["code", "severity", "location", "rule", "message"],
                tablefmt="simple",
                maxcolwidths=[None, None, None, None, 70],
            )
        )
    for issue in report.issues:
        if issue.example is not None:
            answers = " ".join(f"--set {q}={v}" for q, v in issue.example.items()) or "(every answer unknown)"
            lines.append(f"\n{issue.code} counter-example: sourcing consult --no-input {answers}")
    if report.exhaustive:
        method = f"exhaustive: all {report.runs:,} answer sets run"
    else:
        method = f"sampled: {report.runs:,} of {report.space:,} answer sets, seed {report.seed}"
    counts = report.counts
    lines.append(
        f"\nCompleteness ({method}): "
        + ("every answer set gives exactly one recommended model." if report.complete else "FAILED.")
    )
    lines.append(
        f"{report.rules} rules: {counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info."
    )
    return "\n".join(lines).lstrip("\n") + "\n"


def scenarios(report: "ScenarioReport", kb: "KnowledgeBase") -> str:
    """The kb test report: each scenario's verdict, the counts, the rule coverage per layer."""
    rows = [
        [r.scenario.id, "pass" if r.passed else "FAIL", f"{r.scenario.file}:{r.scenario.line}", "; ".join(r.failures)]
        for r in report.runs
    ]
    lines = [
        tabulate(
            rows,
            headers=["scenario", "result", "where", "failures"],
            tablefmt="simple",
            maxcolwidths=[None, None, None, 60],
        )
    ]
    failed = sum(not r.passed for r in report.runs)
    lines.append(f"\n{len(report.runs) - failed} passed, {failed} failed.")
    layers: dict = {}
    for each in kb.rules:
        total, hit = layers.get(each.layer, (0, 0))
        layers[each.layer] = (total + 1, hit + (each.id in report.fired))
    lines.append(
        f"\nRule coverage: {len(report.fired)}/{len(kb.rules)} rules fired in at least one scenario "
        f"({report.percent:.1f}%)."
    )
    lines.append(
        tabulate(
            [[layer, hit, total] for layer, (total, hit) in layers.items()],
            headers=["layer", "fired", "rules"],
            tablefmt="simple",
        )
    )
    if report.never_fired:
        lines.append("Never fired: " + ", ".join(report.never_fired))
    if report.below_minimum:
        lines.append(f"Coverage {report.percent:.1f}% is below --min-coverage {report.min_coverage:g}%.")
    return "\n".join(lines) + "\n"


def dependencies(graph: "Graph") -> str:
    """The dependency graph in text: one block per rule, what it reads and tests, what it asserts."""
    incoming: dict = {}
    outgoing: dict = {}
    for e in graph.edges:
        incoming.setdefault(e.target, []).append(e)
        outgoing.setdefault(e.source, []).append(e)
    lines = []
    for node_id, kind, _label in graph.nodes:
        if kind != "rule":
            continue
        inputs = [("not " if e.negated else "") + e.source for e in incoming.get(node_id, [])]
        outputs = [e.target + (f" = {e.label}" if e.label else "") for e in outgoing.get(node_id, [])]
        lines.append(f"{node_id.split(':', 1)[1]}")
        lines.append(f"  <- {', '.join(inputs) or 'always'}")
        lines.append(f"  -> {', '.join(outputs)}")
    return "\n".join(lines) + "\n"


def comparison(
    data: dict, kb: "KnowledgeBase", markdown: bool, style: Callable[[str, str], str] = lambda text, kind: text
) -> str:
    """``sourcing compare`` (expert.compare) in text, or with ``markdown`` as Markdown headings."""
    heading = (lambda text: f"## {text}") if markdown else (lambda text: style(text, "heading"))
    out = [
        f"# Comparing {len(data['cases'])} consultations"
        if markdown
        else style(f"Comparing {len(data['cases'])} consultations", "heading")
    ]
    out += [f"  {c['name']}  {c['origin']}" for c in data["cases"]]
    out += ["", heading("Advice")]
    out += [f"  {c['name']}  {c['label']} ({c['strength'] or 'no strength'})" for c in data["cases"]]
    out += ["", heading("Answers that differ")]
    out += [
        f"  {d['question']}: " + ", ".join(f"{n} {v}" for n, v in d["answers"].items())
        for d in data["answers_that_differ"]
    ] or ["  none"]
    models = [m.id for m in kb.models]
    out += ["", heading("Fit scores"), "  " + " ".join(f"{c['name']:>4}" for c in data["cases"]) + "  model"]
    out += ["  " + " ".join(f"{c['scores'][m]:>4}" for c in data["cases"]) + f"  {kb.model(m).label}" for m in models]
    for change in data["changes"]:
        out += ["", heading(f"From {change['from']} to {change['to']}")]
        for mark, items in (("+", change["appear"]), ("-", change["disappear"])):
            for i in items:
                out += wrap(
                    f"{COMPARED_KINDS[i['kind']]}: {i['text']}  [{i['rule']}]", first=f"  {mark} ", indent="    "
                )
        if not change["appear"] and not change["disappear"]:
            out.append("  the same advice, vetoes, gaps and pricing")
        for label, fired in (
            ("fire only in " + change["from"], change["rules_only_in_from"]),
            ("fire only in " + change["to"], change["rules_only_in_to"]),
        ):
            if fired:
                out += wrap(f"rules that {label}: {', '.join(fired)}", first="  ", indent="    ")
    return "\n".join(out) + "\n"
