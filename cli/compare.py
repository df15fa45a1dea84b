"""sourcing compare: consultations side by side (answers files, audit records, --vary variants)."""
import json
import string

import click

from sourcing.cli.render import wrap
from sourcing.cli.session import styler
from sourcing.expert import answers as answers_io
from sourcing.expert.compare import Case, compare as comparing
from sourcing.expert.errors import InputError

KINDS = {"veto": "ruled out", "blocked": "not ready", "warning": "warning", "gap": "next step",
         "pricing": "pricing", "note": "note"}


@click.command(short_help="What-if: consultations side by side, and what changes between them.")
@click.argument("sources", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--vary", "variants", metavar="QUESTION=VALUE[,QUESTION=VALUE]", multiple=True,
              help="A variant of the first source with these answers changed (repeatable: one variant each).")
@click.option("--format", "output_format", type=click.Choice(["text", "markdown", "json", "html"]), default="text",
              show_default=True)
@click.pass_obj
def compare(session, sources, variants, output_format):
    """Compare two or more answers files or audit records, or variants of one (--vary).

    Shows the answers that differ, each recommendation with its strength and scores, and what
    appears or disappears (vetoes, blockers, warnings, gaps, pricing, notes) with the rules that
    fire in one and not the other. Exit codes: 0 compared, 2 bad input.
    """
    advisor = session.advisor
    cases = []
    for path in sources:
        cases.append(Case(_name(len(cases)), path, advisor.consult(_answers(session, path))))
    for variant in variants:
        settings = [part for part in variant.split(",") if part.strip()]
        changed = {**cases[0].result.answers, **answers_io.parse_settings(advisor.kb, settings)}
        cases.append(Case(_name(len(cases)), f"{sources[0]} with {', '.join(settings)}", advisor.consult(changed)))
    if len(cases) < 2:
        raise InputError("compare", "needs two sources, or one source and --vary QUESTION=VALUE")
    data = comparing(cases, advisor.kb)
    if output_format == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif output_format == "html":
        from datetime import date
        from sourcing.cli.html_report import compare_html
        click.echo(compare_html(data, advisor.kb, date.today().isoformat()), nl=False)
    else:
        style = styler() if output_format == "text" else (lambda text, kind: text)
        click.echo(_render(data, advisor.kb, markdown=output_format == "markdown", style=style))


def _name(index):
    return string.ascii_uppercase[index] if index < 26 else f"C{index}"


def _answers(session, path):
    """The answers of an audit record, or of an answers file."""
    try:
        with open(path, encoding="utf-8-sig") as stream:
            head = stream.read(512)
    except OSError as error:
        raise InputError(path, f"cannot read: {error.strerror}")
    if '"schema"' in head and "sourcing.audit" in head:
        from sourcing.expert import audit as records
        return records.read(path, session.kb).result.answers
    return answers_io.read(session.advisor.kb, path)


def _render(data, kb, markdown, style):
    heading = (lambda text: f"## {text}") if markdown else (lambda text: style(text, "heading"))
    out = [f"# Comparing {len(data['cases'])} consultations" if markdown
           else style(f"Comparing {len(data['cases'])} consultations", "heading")]
    out += [f"  {c['name']}  {c['origin']}" for c in data["cases"]]
    out += ["", heading("Advice")]
    out += [f"  {c['name']}  {c['label']} ({c['strength'] or 'no strength'})" for c in data["cases"]]
    out += ["", heading("Answers that differ")]
    out += [f"  {d['question']}: " + ", ".join(f"{n} {v}" for n, v in d["answers"].items())
            for d in data["answers_that_differ"]] or ["  none"]
    models = [m.id for m in kb.models]
    out += ["", heading("Fit scores"), "  " + " ".join(f"{c['name']:>4}" for c in data["cases"]) + "  model"]
    out += ["  " + " ".join(f"{c['scores'][m]:>4}" for c in data["cases"]) + f"  {kb.model(m).label}" for m in models]
    for change in data["changes"]:
        out += ["", heading(f"From {change['from']} to {change['to']}")]
        for mark, items in (("+", change["appear"]), ("-", change["disappear"])):
            for i in items:
                out += wrap(f"{KINDS[i['kind']]}: {i['text']}  [{i['rule']}]", first=f"  {mark} ", indent="    ")
        if not change["appear"] and not change["disappear"]:
            out.append("  the same advice, vetoes, gaps and pricing")
        for label, rules in (("fire only in " + change["from"], change["rules_only_in_from"]),
                             ("fire only in " + change["to"], change["rules_only_in_to"])):
            if rules:
                out += wrap(f"rules that {label}: {', '.join(rules)}", first="  ", indent="    ")
    return "\n".join(out)
