"""What every command shares: the knowledge base chosen on the command line, the version, colour."""
import os
import sys
from importlib.metadata import PackageNotFoundError, version as package_version

import click


EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def tool_version():
    """The installed package version."""
    try:
        return package_version("sourcing")
    except PackageNotFoundError:
        return "0+unknown"


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
    from cli.render import Styler
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
            from expert.advisor import Advisor
            from expert.loader import load
            self._advisor = Advisor(load(self.knowledge_dir, self.extensions))
        return self._advisor

    @property
    def kb(self):
        return self.advisor.kb
