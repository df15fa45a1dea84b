"""sourcing consult: one consultation, interactive or from answers, with its audit record and --explore."""
import json
import os
import sys
from datetime import datetime, timezone

import click

from cli import completion, render
from cli.files import refuse_existing, save_answers, write_new
from cli.helptext import exit_codes
from cli.interactive import Interview
from cli.session import EXIT_INTERRUPTED, styler, tool_version
from expert import SourcingError
from expert.errors import InputError
from expert import answers as answers_io
from expert import report as report_io


@click.command(epilog=exit_codes("130 an interrupted interactive consultation"))
@click.option("--answers", "answers_file", metavar="FILE", type=completion.FileName(),
              help="YAML or JSON answers file; '-' reads standard input.")
@click.option("--set", "settings", metavar="QUESTION=VALUE", multiple=True, shell_complete=completion.settings,
              help="Answer one question (repeatable; overrides the file).")
@click.option("--no-input", is_flag=True, help="Never prompt; unanswered questions are unknown.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="Output format.")
@click.option("--no-trace", is_flag=True, help="Hide the reasoning trace.")
@click.option("--save-answers", "save_answers_path", metavar="FILE", type=completion.FileName(),
              help="Save the answers (after every answer when interactive).")
@click.option("--audit", "audit_path", metavar="FILE", type=completion.FileName(),
              help="Write a JSON audit record of the consultation.")
@click.option("--force", is_flag=True, help="Let --audit replace an existing file.")
@click.option("--explore", is_flag=True, help="After the result, ask 'how' and 'why-not' at a prompt.")
@click.option("--resume", "resume_path", metavar="FILE", type=completion.FileName(),
              help="Continue an interrupted consultation: read FILE's answers, ask only what is still open, "
                   "save every answer back to FILE (a new FILE starts a new consultation).")
@click.pass_obj
def consult(session, answers_file, settings, no_input, output_format, no_trace, save_answers_path,
            audit_path, force, explore, resume_path):
    """Run a consultation and print the recommendation with its reasoning.

    Interactive by default: the questions not answered by --answers or --set,
    and still able to change the recommendation, are asked one at a time.
    """
    advisor = session.advisor
    if resume_path:
        if answers_file or save_answers_path:
            raise InputError("--resume", "reads and saves its own FILE; leave out --answers and --save-answers")
        answers_file = save_answers_path = resume_path
        if not os.path.exists(resume_path):
            answers_file = None
            click.echo(f"Starting a new consultation; every answer is kept in {resume_path}.", err=True)
    given = answers_io.read(advisor.kb, answers_file) if answers_file else {}
    given.update(answers_io.parse_settings(advisor.kb, settings))
    if audit_path:
        refuse_existing(audit_path, force)  # before any question is asked
    if save_answers_path:
        save_answers(save_answers_path, given)
    if not (no_input or answers_file == "-"):
        given = _interview(advisor, given, save_answers_path)
    result = advisor.consult(given)
    report = report_io.build(result, advisor.kb, tool_version())
    if output_format == "json":
        click.echo(render.as_json(report))
    elif output_format == "markdown":
        click.echo(render.markdown(report, advisor.kb, trace=not no_trace), nl=False)
    else:
        style = styler()
        click.echo(render.text(report, advisor.kb, trace=not no_trace, style=style), nl=False, color=style.enabled)
    if audit_path:
        _write_audit(audit_path, result, advisor.kb, force)
    if explore:
        from cli.explore import Explorer  # only then: it brings the audit and why-not machinery
        Explorer(advisor, result, styler(sys.stderr)).run()


def _write_audit(path, result, kb, force):
    from expert import audit as records
    created = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    record = records.build(result, kb, tool_version(), created)
    try:
        write_new(path, json.dumps(record, indent=2, ensure_ascii=False) + "\n", force)
    except SourcingError:
        click.echo(f"The answers, to run again: {_as_flags(result.answers) or 'none'}", err=True)
        raise
    click.echo(f"Audit record written to {path}.", err=True)


def _as_flags(answers):
    return " ".join(f"--set {q}={v}" for q, v in answers.items())


def _interview(advisor, given, save_path):
    def keep(answers):
        if save_path:
            try:
                save_answers(save_path, answers)
            except InputError as error:  # the file is not keeping them: say so with every answer given
                raise InputError(error.source, f"{error.message}; the answers so far: {_as_flags(answers)}")

    interview = Interview(advisor, given, on_answer=keep, style=styler(sys.stderr))
    try:
        return interview.run()
    except (click.Abort, KeyboardInterrupt, EOFError):
        click.echo("", err=True)
        if not sys.stdin.isatty():
            click.echo("Standard input ended before the questions did (use --no-input to never prompt).", err=True)
        if save_path:
            click.echo(f"Consultation interrupted; {len(interview.answers)} answer(s) kept in {save_path}.", err=True)
        else:
            click.echo("Consultation interrupted; no --save-answers file. Answers so far: "
                       + (_as_flags(interview.answers) or "none"), err=True)
        sys.exit(EXIT_INTERRUPTED)
