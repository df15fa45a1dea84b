"""The sourcing command line: the group, consult, and the registration of the other commands.

Each command is a thin layer over the ``expert`` library.
"""
import json
import os
import sys
from datetime import datetime, timezone

import click

from cli import audit, catalogue, kb, render
from cli.explore import Explorer
from cli.files import refuse_existing, save_answers, write_new
from cli.interactive import Interview
from cli.session import EXIT_BAD_INPUT, EXIT_INTERRUPTED, Session, styler, tool_version
from expert import KnowledgeError, SourcingError
from expert import answers as answers_io
from expert import audit as records
from expert import report as report_io


class Group(click.Group):
    """Turns SourcingError into one clear line on stderr and exit code 2.

    A reader that closes standard output early (``| head``) ends the command
    quietly with exit code 0.
    """

    def invoke(self, ctx):
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()
            return result
        except KnowledgeError as error:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            click.echo(f"error: the knowledge base has {len(error.problems)} problem(s); nothing was run", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except SourcingError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(tool_version(), "--version", prog_name="sourcing")
@click.option("--knowledge", "knowledge_dir", metavar="DIR", envvar="SOURCING_KNOWLEDGE",
              type=click.Path(file_okay=False), help="Use the knowledge base in DIR instead of the shipped one "
              "[env: SOURCING_KNOWLEDGE].")
@click.option("--kb", "extensions", metavar="DIR", multiple=True, envvar="SOURCING_KB",
              type=click.Path(file_okay=False), help="Add the rules, questions and scenarios of DIR "
              "(repeatable) [env: SOURCING_KB, directories separated by ':'].")
@click.pass_context
def cli(ctx, knowledge_dir, extensions):
    """Advise whether to buy staff augmentation, managed services or BPO, or to
    stabilise the process first, and say why."""
    ctx.obj = Session(knowledge_dir, extensions)


@cli.command()
@click.option("--answers", "answers_file", metavar="FILE",
              help="YAML or JSON answers file; '-' reads standard input.")
@click.option("--set", "settings", metavar="QUESTION=VALUE", multiple=True,
              help="Answer one question (repeatable; overrides the file).")
@click.option("--no-input", is_flag=True, help="Never prompt; unanswered questions are unknown.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="Output format.")
@click.option("--no-trace", is_flag=True, help="Hide the reasoning trace.")
@click.option("--save-answers", "save_answers_path", metavar="FILE",
              help="Save the answers (after every answer when interactive).")
@click.option("--audit", "audit_path", metavar="FILE", help="Write a JSON audit record of the consultation.")
@click.option("--force", is_flag=True, help="Let --audit replace an existing file.")
@click.option("--explore", is_flag=True, help="After the result, ask 'how' and 'why-not' at a prompt.")
@click.pass_obj
def consult(session, answers_file, settings, no_input, output_format, no_trace, save_answers_path,
            audit_path, force, explore):
    """Run a consultation and print the recommendation with its reasoning.

    Interactive by default: the questions not answered by --answers or --set,
    and still able to change the recommendation, are asked one at a time.
    """
    advisor = session.advisor
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
        Explorer(advisor, result, styler(sys.stderr)).run()


def _write_audit(path, result, kb, force):
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
            save_answers(save_path, answers)

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


cli.add_command(catalogue.questions)
cli.add_command(catalogue.rules)
cli.add_command(audit.explain)
cli.add_command(audit.why_not)
cli.add_command(audit.replay)
cli.add_command(kb.knowledge_base)
