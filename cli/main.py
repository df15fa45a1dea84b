"""Click commands: consult, questions, rules. Each is a thin layer over ``expert``."""
import difflib
import json
import os
import sys
from importlib.metadata import PackageNotFoundError, version as package_version

import click
from tabulate import tabulate

from cli import render
from cli.files import save_answers
from cli.interactive import Interview
from expert import Advisor, SourcingError, describe, load
from expert import answers as answers_io
from expert import report as report_io
from expert.errors import InputError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def tool_version():
    """The installed package version."""
    try:
        return package_version("sourcing")
    except PackageNotFoundError:
        return "0+unknown"


def colour_enabled(stream=None):
    """Colour only on a terminal, and never when NO_COLOR is set."""
    stream = stream or sys.stdout
    return bool(stream.isatty()) and not os.environ.get("NO_COLOR")


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
        except SourcingError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(tool_version(), "--version", prog_name="sourcing")
def cli():
    """Advise whether to buy staff augmentation, managed services or BPO, or to
    stabilise the process first, and say why."""


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
def consult(answers_file, settings, no_input, output_format, no_trace, save_answers_path):
    """Run a consultation and print the recommendation with its reasoning.

    Interactive by default: the questions not answered by --answers or --set,
    and still able to change the recommendation, are asked one at a time.
    """
    advisor = Advisor()
    given = answers_io.read(advisor.kb, answers_file) if answers_file else {}
    given.update(answers_io.parse_settings(advisor.kb, settings))
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
        styler = render.Styler(colour_enabled())
        click.echo(render.text(report, advisor.kb, trace=not no_trace, style=styler), nl=False,
                   color=styler.enabled)


def _interview(advisor, given, save_path):
    styler = render.Styler(colour_enabled(sys.stderr))

    def keep(answers):
        if save_path:
            save_answers(save_path, answers)

    interview = Interview(advisor, given, on_answer=keep, style=styler)
    try:
        return interview.run()
    except (click.Abort, KeyboardInterrupt, EOFError):
        click.echo("", err=True)
        if not sys.stdin.isatty():
            click.echo("Standard input ended before the questions did (use --no-input to never prompt).", err=True)
        if save_path:
            click.echo(f"Consultation interrupted; {len(interview.answers)} answer(s) kept in {save_path}.", err=True)
        else:
            flags = " ".join(f"--set {q}={v}" for q, v in interview.answers.items())
            click.echo("Consultation interrupted; no --save-answers file. Answers so far: "
                       + (flags or "none"), err=True)
        sys.exit(EXIT_INTERRUPTED)


@cli.command()
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def questions(output_format):
    """List the question catalogue: ids, allowed values, prompts."""
    kb = load()
    if output_format == "json":
        data = [{"id": q.id, "prompt": q.prompt, "values": dict(q.help), "also": "unknown"} for q in kb.questions]
        click.echo(json.dumps(data, indent=2))
        return
    rows = [[q.id, ", ".join(q.choices), q.prompt] for q in kb.questions]
    click.echo(tabulate(rows, headers=["id", "values", "prompt"], tablefmt="simple", maxcolwidths=[None, 40, 60]))


@cli.group()
def rules():
    """Browse the rule base."""


@rules.command("list")
@click.option("--layer", help="Only the rules of this layer.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def list_rules(layer, output_format):
    """List the rules: id, layer, title, source."""
    kb = load()
    layers = sorted({r.layer for r in kb.rules})
    if layer and layer not in layers:
        raise InputError("--layer", f"{layer!r} is not a layer", allowed=layers)
    selected = [r for r in kb.rules if not layer or r.layer == layer]
    if output_format == "json":
        click.echo(json.dumps([_rule_dict(r) for r in selected], indent=2))
        return
    rows = [[r.id, r.layer, r.title, r.source] for r in selected]
    click.echo(tabulate(rows, headers=["id", "layer", "title", "source"], tablefmt="simple",
                        maxcolwidths=[None, None, 45, 50]))


@rules.command("show")
@click.argument("rule_id")
def show_rule(rule_id):
    """Show one rule: metadata, rationale, and its IF/THEN logic in words."""
    kb = load()
    ids = [r.id for r in kb.rules]
    if rule_id not in ids:
        close = difflib.get_close_matches(rule_id.upper(), ids, n=5, cutoff=0.5)
        hint = f"did you mean: {', '.join(close)}" if close else "see 'sourcing rules list'"
        raise InputError("rules show", f"no rule {rule_id!r}; {hint}")
    rule = kb.rule(rule_id)
    click.echo(f"{rule.id}  {rule.title}")
    click.echo(f"layer: {rule.layer}   status: {rule.status}   defined at: {rule.file}:{rule.line}")
    click.echo(f"source: {rule.source}")
    click.echo(f"rationale: {rule.rationale}")
    for reference in rule.references:
        click.echo(f"see also: {reference}")
    click.echo("")
    for line in describe.rule_lines(rule):
        click.echo(line)


def _rule_dict(rule):
    return {
        "id": rule.id, "title": rule.title, "layer": rule.layer, "status": rule.status,
        "source": rule.source, "rationale": rule.rationale, "when": describe.condition(rule.when),
        "then": [describe.assertion(a) for a in rule.then], "references": list(rule.references),
        "file": rule.file, "line": rule.line,
    }
