"""sourcing assess: a whole portfolio of processes, one verdict per row, then a summary.

CSV and JSON Lines output is written chunk by chunk as the rows are judged, so
memory stays bounded however long the portfolio; table, Markdown and JSON
output need every row and are written at the end.
"""

import csv
import io
import itertools
import os
import sys
from contextlib import contextmanager

import click

from sourcing.cli.completion import FileName
from sourcing.cli.helptext import exit_codes
from sourcing.cli.output import output_options
from sourcing.cli.renderers import Assessment
from sourcing.expert import portfolio
from sourcing.expert.errors import InputError, shown
from sourcing.expert.model import KnowledgeBase
from sourcing.expert.plan import Kept
from sourcing.expert.result import number

EXIT_BAD_ROWS = 1
SHOWN_BAD_ROWS = 50
PROGRESS_FROM = 256 * 1024  # bytes of input; smaller files finish before a bar would help
PARALLEL_FROM = 4000  # rows; fewer finish before worker processes would pay for their start
CHUNK = 500  # rows judged together (by one worker)
MAX_JOBS = 256
BAR_WIDTH = 40
COLUMNS = ["row", "id", "model", "strength", "runner_up", "margin", "warnings", "warning_texts", "gaps", "gap_texts"]
TABLE_COLUMNS = ["row", "id", "advice", "strength", "runner-up", "margin", "before you sign"]
SHOWN_GAPS = 10
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may read as a formula (OWASP)


@click.command(
    short_help="Assess a portfolio of processes: one verdict per row, then a summary.",
    epilog=exit_codes("1 some rows were bad and skipped"),
)
@click.argument("file", type=FileName())
@click.option(
    "--input-format",
    type=click.Choice(portfolio.FORMATS),
    help="Input format (default: from the suffix; for '-', from the content).",
)
@output_options("assessment")
@click.option(
    "--jobs",
    default=None,
    metavar="N",
    help="Worker processes, at most one per CPU and one per chunk of "
    f"{CHUNK} rows [default: one per CPU from {PARALLEL_FROM:,} rows, else 1]; "
    "the output keeps the input order.",
)
@click.option(
    "--engine",
    type=click.Choice(["direct", "experta"]),
    default="direct",
    show_default=True,
    help="'experta' runs every row through the engine of record (slower, same verdicts).",
)
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar on stderr [default: on a terminal, for long runs]."
)
@click.pass_context
def assess(ctx, file, input_format, output, jobs, engine, progress):
    """Assess a portfolio: FILE is CSV (a header of question ids, optional id or name
    column), JSON Lines, YAML or JSON (a list of answer mappings); '-' reads stdin.

    Empty cells are unknown. A bad row is reported with its row number and key and
    skipped; the exit code is then 1.
    """
    cpus = os.cpu_count() or 1
    jobs = None if jobs is None else _job_count(jobs, min(MAX_JOBS, 10 * cpus))
    advisor = ctx.obj.advisor
    reader = portfolio.Input(advisor.kb, file, input_format)
    try:
        summary, bad = _run(advisor, reader, output, jobs, engine, progress, cpus)
    finally:
        reader.close()
    if output.renderer.streamed:  # the other formats carry the summary themselves
        click.echo(summary_text(summary, advisor.kb, "simple"), err=not output.path, nl=False)
    for note in reader.notes:
        click.echo(f"warning: {note}", err=True)
    if reader.noted > len(reader.notes):
        click.echo(f"warning: ... and {reader.noted - len(reader.notes)} more short row(s)", err=True)
    for row in bad[:SHOWN_BAD_ROWS]:
        click.echo(f"error: {row.error}", err=True)
    if summary.bad_rows > SHOWN_BAD_ROWS:
        click.echo(f"error: ... and {summary.bad_rows - SHOWN_BAD_ROWS} more bad row(s)", err=True)
    if summary.bad_rows:
        ctx.exit(EXIT_BAD_ROWS)


def _run(advisor, reader, output, jobs, engine, progress, cpus):
    """Judge every row and write the output (streamed formats chunk by chunk, the others at the end);
    return (the summary, the bad rows kept)."""
    chunks = portfolio.batches(reader.records, CHUNK)
    wanted = max(min(jobs or 1, cpus), PARALLEL_FROM // CHUNK)  # chunks to read before choosing the workers
    ahead = list(itertools.islice(chunks, wanted + 1))
    workers = _workers(jobs, cpus, ahead, ended=len(ahead) <= wanted)
    render = output.renderer.function if output.renderer.streamed else None
    results = portfolio.judge_stream(advisor, itertools.chain(ahead, chunks), reader.source, engine, workers, render)
    summary, kept, bad = portfolio.Summary(), [], []
    with output.writer() as write, _bar(reader, progress) as advance:
        header = render([], header=True) if render else ""  # written with the first rows
        for chunk in results:
            summary.merge(chunk.summary)
            bad += chunk.bad[: max(0, SHOWN_BAD_ROWS - len(bad))] if output.format != "json" else chunk.bad
            if chunk.kept is None:
                write(header + chunk.text)
                header = ""
            else:
                kept += chunk.kept
            advance()
        write(header)
        if render is None:
            write(output.render(Assessment(kept, bad, summary, advisor.kb)))
    if output.path:
        click.echo(f"{summary.rows} row(s) written to {output.path}.", err=True)
    return summary, bad


def _job_count(text, most):
    """``--jobs`` as a number from 1 to ``most``; InputError otherwise."""
    if not (text.isascii() and text.isdigit() and len(text) <= 9 and 1 <= int(text) <= most):
        raise InputError("--jobs", f"{shown(text)} is not a number of workers from 1 to {most}")
    return int(text)


def _workers(jobs, cpus, ahead, ended):
    """Worker processes: ``jobs`` (default: one per CPU for a long input) capped at the CPUs and,
    when the whole input is in ``ahead``, at its number of chunks."""
    rows = sum(len(chunk) for chunk in ahead)
    if jobs is None:
        jobs = 1 if ended and rows < PARALLEL_FROM else cpus
    return max(1, min(jobs, cpus, len(ahead) if ended else jobs))


@contextmanager
def _bar(reader, progress):
    """A function advancing a progress bar on stderr over the bytes of input read (no bar when the
    size is unknown, or by default off a terminal or for a small file)."""
    if progress is None:
        progress = sys.stderr.isatty() and (reader.size or 0) >= PROGRESS_FROM
    if not progress or reader.size is None:
        yield lambda: None
        return
    with click.progressbar(length=reader.size or 1, label="Assessing", file=sys.stderr) as bar:

        def advance():
            bar.update(min(reader.read, reader.size) - bar.pos)

        yield advance
        bar.update(reader.size - bar.pos)


def neutral(value):
    """A cell as a spreadsheet may show it: text that could be read as a formula gets a leading quote."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def words(verdict: portfolio.Assessed, kb: KnowledgeBase) -> list:
    """The table cells in words: labels, the strength, and each warning and gap as a sentence."""
    labels = {m.id: m.label for m in kb.all_models}
    margin = "" if verdict.margin is None else number(verdict.margin)
    steps = [f"{text} [{rule}]" for rule, _, text in verdict.warnings + verdict.gaps]
    return [
        verdict.number,
        verdict.id,
        labels.get(verdict.model, verdict.model),
        verdict.strength or "-",
        labels.get(verdict.runner_up, verdict.runner_up or "-"),
        margin,
        "\n".join(steps) or "-",
    ]


def csv_text(assessed: list[portfolio.Assessed], header: bool = False) -> str:
    """CSV lines for ``assessed`` (with the header line when ``header``), every text cell neutralised,
    as ``csv.writer`` writes them, each line ending in "\n" (a cell's own "\r" and "\n" stay, quoted)."""
    lines = [",".join(_field(neutral(name)) for name in COLUMNS) + "\n"] if header else []
    models, findings = _CSV_MODELS, _CSV_FINDINGS
    for a in assessed:
        margin = "" if a.margin is None else number(a.margin)
        middle, end = models[a.model, a.strength, a.runner_up], findings[a.warnings, a.gaps]
        lines.append(f"{a.number},{_field(neutral(a.id))},{middle},{margin},{end}\n")
    return "".join(lines)


def _model_fields(key):
    """The encoded model, strength and runner-up cells of ``key`` (model, strength, runner-up)."""
    model, strength, runner_up = key
    return ",".join(_field(neutral(cell)) for cell in (model, strength or "", runner_up or ""))


def _finding_fields(key):
    """The encoded warning and gap cells of ``key`` (warnings, gaps)."""
    warnings, gaps = key
    cells = [
        " ".join(rule for rule, _, _ in warnings),
        " | ".join(text for _, _, text in warnings),
        " ".join(rule for rule, _, _ in gaps),
        " | ".join(text for _, _, text in gaps),
    ]
    return ",".join(_field(neutral(cell)) for cell in cells)


# The encoded CSV fields of the (model, strength, runner-up) and of the (warnings, gaps) seen: a few
# rule texts make up every row's, so each is quoted and neutralised once. At most CSV_KEPT of each.
CSV_KEPT = 4096
_CSV_MODELS = Kept(_model_fields, CSV_KEPT)
_CSV_FINDINGS = Kept(_finding_fields, CSV_KEPT)


def _field(cell):
    """One cell as ``csv.writer`` writes it in a row of several (None as ""): a text holding a quote, a
    comma, "\r", "\n" or NUL is written by the writer itself (quoted)."""
    if cell is None:
        return ""
    if '"' in cell or "," in cell or "\n" in cell or "\r" in cell or "\0" in cell:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow([cell])  # "\r" quotes a cell too
        return buffer.getvalue()[:-2]
    return cell


def table_text(assessed: list[portfolio.Assessed], kb: KnowledgeBase, style: str) -> str:
    """Every row in words as a table: ``style`` 'simple' (plain text) or 'github' (Markdown, one line a row)."""
    from tabulate import tabulate

    rows = [words(a, kb) for a in assessed]
    if style == "github":
        rows = [row[:-1] + [row[-1].replace("\n", "<br>")] for row in rows]
    return tabulate(rows, headers=TABLE_COLUMNS, tablefmt=style, maxcolwidths=[None] * 6 + [60]) + "\n\n"


def summary_text(summary, kb, style):
    """Rows per model as a table with a text bar chart, then the other counts."""
    from tabulate import tabulate

    total = summary.rows or 1
    models = summary.per_model(kb)
    widest = max(models.values(), default=0) or 1
    labels = {m.id: m.label for m in kb.all_models}
    rows = [
        [labels.get(model, model), count, f"{100 * count / total:.1f}%", "█" * round(BAR_WIDTH * count / widest)]
        for model, count in models.items()
    ]
    lines = [tabulate(rows, headers=["model", "rows", "share", ""], tablefmt=style), ""]
    strengths = ", ".join(f"{name} {count}" for name, count in summary.per_strength(kb).items())
    lines += [f"Rows assessed: {summary.rows} ({strengths}).", f"Rows with readiness gaps: {summary.with_gaps}."]
    from sourcing.cli.render import wrap

    for rule, text, n in summary.per_gap()[:SHOWN_GAPS]:
        lines += wrap(f"{text} [{rule}]", first=f"  {n:>6} ", indent=" " * 9)
    lines += [f"Rows with unknown answers: {summary.with_unknowns}.", f"Bad rows skipped: {summary.bad_rows}."]
    return "\n".join(lines) + "\n"
