"""sourcing consult: one consultation, interactive or from answers, with its audit record and --explore."""

import os
import sys
from datetime import datetime, timezone

import click
from click.core import ParameterSource

from sourcing.cli import completion
from sourcing.cli.answer_options import answer_options
from sourcing.cli.helptext import exit_codes
from sourcing.cli.output import output_options, to_json
from sourcing.cli.renderers import Consultation
from sourcing.cli.session import EXIT_INTERRUPTED, styler, tool_version
from sourcing.expert import SourcingError, advice
from sourcing.expert import answers as answers_io
from sourcing.expert import report as report_io
from sourcing.expert.errors import InputError


@click.command(epilog=exit_codes("130 an interrupted interactive consultation"))
@answer_options(set_help="Answer one question (repeatable; overrides the file).")
@click.option("--no-input", is_flag=True, help="Never prompt; unanswered questions are unknown.")
@output_options("consultation")
@click.option("--trace", "show_trace", is_flag=True, help="Add the reasoning trace: every rule firing, in order.")
@click.option(
    "--explain",
    "show_explanation",
    is_flag=True,
    help="Add the explanation chain down to the answers (in JSON: the unfolded 'explanation' tree).",
)
@click.option("--title", help="A title for the markdown or HTML report.")
@click.option("--no-trace", is_flag=True, hidden=True, help="Accepted for older scripts: the trace is off by default.")
@click.option(
    "--save-answers",
    "save_answers_path",
    metavar="FILE",
    type=completion.FileName(),
    help="Save the answers (after every answer when interactive).",
)
@click.option(
    "--audit",
    "audit_path",
    metavar="FILE",
    type=completion.FileName(),
    help="Write a JSON audit record of the consultation.",
)
@click.option("--force", is_flag=True, help="Let --audit replace an existing file.")
@click.option(
    "--sign-key",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Sign the --audit record (HMAC-SHA256) with the key in FILE [env: SOURCING_SIGN_KEY, the key itself].",
)
@click.option("--explore", is_flag=True, help="After the result, ask 'how' and 'why-not' at a prompt.")
@click.option(
    "--resume",
    "resume_path",
    metavar="FILE",
    type=completion.FileName(),
    help="Continue an interrupted consultation: read FILE's answers, ask only what is still open, "
    "save every answer back to FILE (a new FILE starts a new consultation).",
)
@click.pass_obj
def consult(
    session,
    answers_file,
    settings,
    no_input,
    output,
    show_trace,
    show_explanation,
    title,
    no_trace,
    save_answers_path,
    audit_path,
    force,
    sign_key,
    explore,
    resume_path,
):
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
    settled = answers_io.parse_settings(advisor.kb, settings)
    resumed = [q for q in given if q not in settled] if resume_path else []
    given.update(settled)
    if sign_key and not audit_path:
        raise InputError("--sign-key", "signs the audit record; give --audit FILE too")
    key = None
    if audit_path:
        from sourcing.cli.files import refuse_existing, signing_key

        key = signing_key(sign_key)
        refuse_existing(audit_path, force)  # before any question is asked
    if save_answers_path:
        from sourcing.cli.files import save_answers

        save_answers(save_answers_path, given)
    if not (no_input or answers_file == "-"):
        origin = f"kept in {resume_path}" if resume_path else "given on the command line"
        given = _interview(advisor, given, save_answers_path, resumed, origin)
    result = advisor.consult(given)
    if audit_path:  # before printing: a closed or full standard output must not lose the record
        _write_audit(audit_path, result, advisor.kb, force, key)
    changes = advice.what_would_change(advisor, result)
    report = report_io.build(result, advisor.kb, tool_version(), changes, tree=show_explanation)
    output.show(
        Consultation(
            report,
            advisor.kb,
            trace=show_trace and not no_trace,
            explanation=show_explanation,
            title=title,
            date=_today(),
        )
    )
    if explore:
        from sourcing.cli.explore import Explorer  # only then: it brings the audit and why-not machinery

        Explorer(advisor, result, styler(sys.stderr)).run()


def _today():
    return datetime.now(timezone.utc).date().isoformat()


def _write_audit(path, result, kb, force, key):
    from sourcing.cli.files import write_new
    from sourcing.expert import audit as records

    created = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    record = records.build(result, kb, tool_version(), created, key)
    try:
        write_new(path, to_json(record), force)
    except SourcingError:
        click.echo(f"The answers, to run again: {_as_flags(result.answers) or 'none'}", err=True)
        raise
    sealed = "signed with HMAC-SHA256" if key else "with an integrity checksum, unsigned"
    click.echo(f"Audit record written to {path} ({sealed}).", err=True)


def _as_flags(answers):
    return " ".join(f"--set {q}={v}" for q, v in answers.items())


def _interview(advisor, given, save_path, resumed, origin):
    from sourcing.cli.files import save_answers
    from sourcing.cli.interactive import Interview

    saved = dict(given) if save_path else {}

    def keep(answers):
        if save_path:
            try:
                save_answers(save_path, answers)
            except InputError as error:  # the file is not keeping them: say so with every answer given
                raise InputError(error.source, f"{error.message}; the answers so far: {_as_flags(answers)}")
            saved.clear()
            saved.update(answers)

    interview = Interview(advisor, given, on_answer=keep, style=styler(sys.stderr), asked=resumed, origin=origin)
    try:
        return interview.run()
    except (click.Abort, KeyboardInterrupt, EOFError):
        click.echo("", err=True)
        if not sys.stdin.isatty():
            click.echo("Standard input ended before the questions did (use --no-input to never prompt).", err=True)
        if save_path:
            click.echo(f"Consultation interrupted; {len(saved)} answer(s) kept in {save_path}.", err=True)
            click.echo(f"To go on: {_command_line(('--resume', save_path))}", err=True)
        else:
            click.echo(
                "Consultation interrupted; no --save-answers file, so the answers so far are in the command.", err=True
            )
            click.echo(
                f"To go on: {_command_line(*(('--set', f'{q}={v}') for q, v in interview.answers.items()))}", err=True
            )
        sys.exit(EXIT_INTERRUPTED)


CARRIED_OVER = (
    "output_format",
    "show_trace",
    "show_explanation",
    "title",
    "output_path",
    "no_trace",
    "audit_path",
    "force",
    "explore",
)


def _command_line(*options):
    """The sourcing command that repeats this one's knowledge and output options, with ``options``."""
    ctx = click.get_current_context()
    session = ctx.obj
    words = ["sourcing"] + (["--knowledge", session.knowledge_dir] if session.knowledge_dir else [])
    words += [word for extension in session.extensions for word in ("--kb", extension)] + ["consult"]
    for param in ctx.command.params:
        if param.name in CARRIED_OVER and ctx.get_parameter_source(param.name) == ParameterSource.COMMANDLINE:
            words += [param.opts[0]] if param.is_flag else [param.opts[0], str(ctx.params[param.name])]
    words += [word for option in options for word in option]
    import shlex  # only for an interrupted interview

    return " ".join(shlex.quote(word) for word in words)
