"""sourcing compare: consultations side by side (answers files, audit records, --vary variants)."""

import string
from datetime import date

import click

from sourcing.cli.output import output_options
from sourcing.cli.renderers import Comparison
from sourcing.expert import answers as answers_io
from sourcing.expert.compare import Case
from sourcing.expert.compare import compare as comparing
from sourcing.expert.errors import InputError


@click.command(short_help="What-if: consultations side by side, and what changes between them.")
@click.argument("sources", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--vary",
    "variants",
    metavar="QUESTION=VALUE[,QUESTION=VALUE]",
    multiple=True,
    help="A variant of the first source with these answers changed (repeatable: one variant each).",
)
@output_options("comparison")
@click.pass_obj
def compare(session, sources, variants, output):
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
    output.show(Comparison(comparing(cases, advisor.kb), advisor.kb, date.today().isoformat()))


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
