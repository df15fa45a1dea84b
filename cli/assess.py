"""sourcing assess: a whole portfolio of processes, one verdict per row, then a summary."""
import csv
import io
import json
import os
import sys

import click
from tabulate import tabulate

from cli.completion import FileName
from cli.files import write_atomic
from cli.helptext import exit_codes
from expert import portfolio, yamlio
from expert.result import number

EXIT_BAD_ROWS = 1
SHOWN_BAD_ROWS = 50
PROGRESS_FROM = 2000  # rows; fewer finish before a bar would help
PARALLEL_FROM = 4000  # rows; fewer finish before worker processes would pay for their start
BAR_WIDTH = 40
COLUMNS = ["row", "id", "model", "strength", "runner_up", "margin", "warnings"]


@click.command(short_help="Assess a portfolio of processes: one verdict per row, then a summary.",
               epilog=exit_codes("1 some rows were bad and skipped"))
@click.argument("file", type=FileName())
@click.option("--input-format", type=click.Choice(portfolio.FORMATS),
              help="Input format (default: from the suffix; for '-', from the content).")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "jsonl", "json", "markdown"]),
              default="table", show_default=True, help="Output format.")
@click.option("-o", "--output", metavar="FILE", type=FileName(),
              help="Write the result to FILE (atomically) instead of stdout.")
@click.option("--jobs", type=click.IntRange(0), default=None,
              help="Worker processes (0: one per CPU) [default: one per CPU from "
                   f"{PARALLEL_FROM:,} rows, else 1]; the output keeps the input order.")
@click.option("--engine", type=click.Choice(["direct", "experta"]), default="direct", show_default=True,
              help="'experta' runs every row through the engine of record (slower, same verdicts).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr [default: on a terminal, for long runs].")
@click.pass_context
def assess(ctx, file, input_format, output_format, output, jobs, engine, progress):
    """Assess a portfolio: FILE is CSV (a header of question ids, optional id or name
    column), JSON Lines, YAML or JSON (a list of answer mappings); '-' reads stdin.

    Empty cells are unknown. A bad row is reported with its row number and key and
    skipped; the exit code is then 1.
    """
    advisor = ctx.obj.advisor
    source = "<stdin>" if file == "-" else file
    text = yamlio.read_text(file, source, limit=yamlio.PORTFOLIO_MAX_BYTES)
    records = portfolio.read_records(advisor.kb, text, source, input_format or portfolio.detect_format(file, text))
    if jobs is None:
        jobs = 0 if len(records) >= PARALLEL_FROM else 1
    verdicts = portfolio.judge_all(advisor, records, source, engine, jobs or os.cpu_count() or 1)
    if progress if progress is not None else (sys.stderr.isatty() and len(records) >= PROGRESS_FROM):
        with click.progressbar(verdicts, length=len(records), label="Assessing", file=sys.stderr) as bar:
            verdicts = list(bar)
    assessed, bad = [], []
    for verdict in verdicts:
        (bad if isinstance(verdict, portfolio.BadRow) else assessed).append(verdict)
    summary = portfolio.summarise(advisor.kb, assessed, len(bad))
    data, summary_text = _render(output_format, assessed, bad, summary, advisor.kb)
    if output:
        write_atomic(output, data)
        click.echo(f"{len(assessed)} row(s) written to {output}.", err=True)
    else:
        click.echo(data, nl=False)
    if summary_text:
        click.echo(summary_text, err=output_format in ("csv", "jsonl") and not output, nl=False)
    for row in bad[:SHOWN_BAD_ROWS]:
        click.echo(f"error: {row.error}", err=True)
    if len(bad) > SHOWN_BAD_ROWS:
        click.echo(f"error: ... and {len(bad) - SHOWN_BAD_ROWS} more bad row(s)", err=True)
    if bad:
        ctx.exit(EXIT_BAD_ROWS)


def _cells(verdict):
    margin = "" if verdict.margin is None else number(verdict.margin)
    return [verdict.number, verdict.id, verdict.model, verdict.strength, verdict.runner_up, margin,
            " ".join(rule for rule, _ in verdict.warnings)]


def _render(output_format, assessed, bad, summary, kb):
    """(the data, the summary text to show beside it: '' when the data holds it)."""
    if output_format == "json":
        return json.dumps({"rows": [a.to_dict() for a in assessed],
                           "bad_rows": [{"row": b.number, "error": str(b.error)} for b in bad],
                           "summary": summary.to_dict()}, indent=2, ensure_ascii=False) + "\n", ""
    if output_format == "jsonl":
        return "".join(portfolio.to_json(a.to_dict()) + "\n" for a in assessed), summary_text(summary, kb, "simple")
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(_cells(a) for a in assessed)
        return buffer.getvalue(), summary_text(summary, kb, "simple")
    style = "github" if output_format == "markdown" else "simple"
    table = tabulate([_cells(a) for a in assessed], headers=COLUMNS, tablefmt=style) + "\n\n"
    return table, summary_text(summary, kb, style)


def summary_text(summary, kb, style):
    """Rows per model as a table with a text bar chart, then the other counts."""
    total = summary.rows or 1
    widest = max(summary.models.values(), default=0) or 1
    rows = [[kb.model(model).label, count, f"{100 * count / total:.1f}%", "#" * round(BAR_WIDTH * count / widest)]
            for model, count in summary.models.items()]
    lines = [tabulate(rows, headers=["model", "rows", "share", ""], tablefmt=style), ""]
    strengths = ", ".join(f"{name} {count}" for name, count in summary.strengths.items())
    lines += [f"Rows assessed: {summary.rows} ({strengths}).",
              f"Rows with readiness gaps: {summary.with_gaps}.",
              f"Rows with unknown answers: {summary.with_unknowns}.",
              f"Bad rows skipped: {summary.bad_rows}."]
    return "\n".join(lines) + "\n"
