"""What every command shares: the knowledge base chosen on the command line, the version, colour."""

import os
import sys

import click

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
VERSION = "0.1.0"  # the version in setup.cfg (a test keeps them equal): importlib.metadata costs ~40 ms a start


def tool_version():
    """The package version."""
    return VERSION


def colour_enabled(stream=None):
    """Whether to colour ``stream`` (default stdout): as --color/--no-color says, else never when NO_COLOR
    is set, always when FORCE_COLOR is, and otherwise only on a terminal."""
    context = click.get_current_context(silent=True)
    chosen = context.find_root().params.get("colour") if context else None
    if chosen is not None:
        return chosen
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool((stream or sys.stdout).isatty())


def styler(stream=None):
    """A Styler that colours only when ``stream`` (default stdout) allows it."""
    from sourcing.cli.render import Styler

    return Styler(colour_enabled(stream))


class Session:
    """The knowledge base and advisor of one command, loaded on first use."""

    def __init__(self, knowledge_dir=None, extensions=()):
        self.knowledge_dir = knowledge_dir
        self.extensions = tuple(extensions)
        self._advisor = None

    @property
    def advisor(self):
        if self._advisor is None:
            from sourcing.expert.advisor import Advisor
            from sourcing.expert.cache import load

            self._advisor = Advisor(load(self.knowledge_dir, self.extensions))
        return self._advisor

    @property
    def kb(self):
        return self.advisor.kb


def _session(ctx):
    return ctx.ensure_object(Session)


def _set_knowledge(ctx, param, value):
    if value is not None:
        _session(ctx).knowledge_dir = value


def _add_extensions(ctx, param, value):
    """Add extension directories, once each: the same one from SOURCING_KB and --kb is one extension."""
    session = _session(ctx)
    for directory in value or ():
        if os.path.realpath(directory) not in map(os.path.realpath, session.extensions):
            session.extensions += (directory,)


def knowledge_options(from_environment: bool) -> list[click.Option]:
    """--knowledge and --kb, the one definition that the group and every command take.

    The group's also read the environment; a command's add to what the group's set.
    """
    env = " [env: SOURCING_KNOWLEDGE]" if from_environment else ""
    env_list = " [env: SOURCING_KB, directories separated by ':']" if from_environment else ""
    return [
        click.Option(
            ["--knowledge", "knowledge_dir"],
            metavar="DIR",
            type=click.Path(file_okay=False),
            envvar="SOURCING_KNOWLEDGE" if from_environment else None,
            expose_value=False,
            callback=_set_knowledge,
            help=f"Use the knowledge base in DIR instead of the shipped one{env}.",
        ),
        click.Option(
            ["--kb", "extensions"],
            metavar="DIR",
            multiple=True,
            type=click.Path(file_okay=False),
            envvar="SOURCING_KB" if from_environment else None,
            expose_value=False,
            callback=_add_extensions,
            help=f"Add the rules, questions and scenarios of DIR (repeatable){env_list}.",
        ),
    ]


def take_knowledge_options(command: click.Command) -> click.Command:
    """Give ``command`` (and, for a group, each of its commands) the knowledge options, once."""
    if not any("--kb" in param.opts for param in command.params):
        command.params.extend(knowledge_options(from_environment=False))
    for sub in getattr(command, "commands", {}).values():
        take_knowledge_options(sub)
    return command
