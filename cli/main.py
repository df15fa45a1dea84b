"""The sourcing command line: the group, its error handling, and the table of commands.

Commands live in their own modules (cli/consult.py, cli/audit.py, ...), each a
thin layer over the ``expert`` library. The group imports a command's module
only when that command runs, so ``sourcing --help`` loads neither the rule
engine nor the knowledge base.
"""

import importlib
import os
import sys

import click

from sourcing.cli.helptext import exit_codes
from sourcing.cli.session import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    VERSION,
    Session,
    knowledge_options,
    take_knowledge_options,
)
from sourcing.expert.errors import KnowledgeError, SourcingError

# name: (module:attribute, the one-line help 'sourcing --help' shows; a test keeps it equal to the command's)
COMMANDS = {
    "consult": ("sourcing.cli.consult:consult", "Run a consultation and print the recommendation with its reasoning."),
    "assess": ("sourcing.cli.assess:assess", "Assess a portfolio of processes: one verdict per row, then a summary."),
    "explain": (
        "sourcing.cli.audit:explain",
        "HOW: the explanation chain of a recorded conclusion, down to the answers.",
    ),
    "why-not": (
        "sourcing.cli.audit:why_not",
        "WHY-NOT: why a model was not recommended, and what would have to change.",
    ),
    "replay": ("sourcing.cli.audit:replay", "Re-run a record on today's knowledge base; exit 1 if the advice changed."),
    "questions": ("sourcing.cli.catalogue:questions", "List the question catalogue: ids, allowed values, prompts."),
    "rules": ("sourcing.cli.catalogue:rules", "Browse the rule base."),
    "compare": ("sourcing.cli.compare:compare", "What-if: consultations side by side, and what changes between them."),
    "kb": (
        "sourcing.cli.kb:knowledge_base",
        "Check, test and extend the knowledge base (with --kb DIR for extensions).",
    ),
}


def _columns() -> int:
    """The terminal's width as shutil.get_terminal_size gives it ($COLUMNS, then the terminal, then 80),
    without importing shutil: its archive modules are a tenth of what ``sourcing --help`` costs."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0 and sys.__stdout__ is not None:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class Context(click.Context):
    """A context whose help formatter measures the terminal itself, as click would (see ``_columns``)."""

    def make_formatter(self) -> click.HelpFormatter:
        if self.terminal_width is None and click.formatting.FORCED_WIDTH is None:
            width = max(min(_columns(), self.max_content_width or 80) - 2, 50)
            return self.formatter_class(width=width, max_width=self.max_content_width)
        return super().make_formatter()


class Group(click.Group):
    """Loads commands on demand; turns SourcingError into clear lines on stderr and exit code 2.

    A reader that closes standard output early (``| head``) ends the command
    quietly with exit code 0; output that cannot be written (a full disk) is
    one error line and exit code 2.
    """

    context_class = Context

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name][0].split(":")
        return take_knowledge_options(getattr(importlib.import_module(module), attribute))

    def format_commands(self, ctx, formatter):
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, short) in COMMANDS.items()])

    def main(self, *args, **kwargs):
        """Also --help and --version: a closed standard output is quiet, a full one one line."""
        if sys.stdout is None:  # started with standard output closed: what it would show is discarded
            sys.stdout = open(os.devnull, "w")
        try:
            return super().main(*args, **kwargs)
        except OSError as error:
            _silence_stdout()
            if isinstance(error, BrokenPipeError):
                sys.exit(0)
            click.echo(f"error: output: cannot write: {error.strerror or error}", err=True)
            sys.exit(EXIT_BAD_INPUT)

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
        except KeyboardInterrupt:  # an interview handles its own, keeping the answers
            click.echo("\nInterrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(0)
        except OSError as error:  # e.g. standard output on a full disk
            _silence_stdout()
            click.echo(f"error: {error.filename or 'output'}: cannot write: {error.strerror or error}", err=True)
            ctx.exit(EXIT_BAD_INPUT)


def _silence_stdout():
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # no real file descriptor (a test runner's stream): nothing to flush at exit


@click.group(
    cls=Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=exit_codes(
        "1 replay found different conclusions, assess skipped bad rows, or kb lint or kb test failed",
        "130 an interrupted interactive consultation",
    ),
    params=knowledge_options(from_environment=True),
)
@click.version_option(VERSION, prog_name="sourcing")
@click.option(
    "--color/--no-color",
    "colour",
    default=None,
    help="Colour the text output or not [default: on a terminal, never with NO_COLOR, always with FORCE_COLOR].",
)
@click.pass_context
def cli(ctx, colour):
    """Advise whether to buy staff augmentation, managed services or BPO, or to
    stabilise the process first, and say why.

    --knowledge and --kb may also follow the command's name.
    """
    ctx.ensure_object(Session)
