"""What every command shares: the knowledge base chosen on the command line, the version, colour."""
import os
import sys

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
VERSION = "0.1.0"  # the version in setup.cfg (a test keeps them equal): importlib.metadata costs ~40 ms a start


def tool_version():
    """The package version."""
    return VERSION


def colour_enabled(stream=None):
    """Colour only on a terminal, and never when NO_COLOR is set."""
    stream = stream or sys.stdout
    return bool(stream.isatty()) and not os.environ.get("NO_COLOR")


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
            from expert.cache import load
            self._advisor = Advisor(load(self.knowledge_dir, self.extensions))
        return self._advisor

    @property
    def kb(self):
        return self.advisor.kb
