"""The one output layer: ``--format`` and ``-o FILE`` for every command that prints a result.

A result type ("consultation", "why-not", "lint", ...) has renderers, one per
format, registered with :func:`register` in cli/renderers.py; the command's
``--format`` offers exactly the formats registered for its type. The command
computes its result and hands it to ``output.show``, which renders it and writes
it to standard output, or with ``-o FILE`` atomically to FILE. Every JSON
document is serialised by :func:`to_json`, the one JSON policy.
"""

import functools
import importlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Optional

import click

from sourcing.cli.completion import FileName
from sourcing.expert.record import Record

if TYPE_CHECKING:  # annotations only: cli.render is imported when a result is shown
    from sourcing.cli.render import Styler

RENDERERS = "sourcing.cli.renderers"  # the module that registers every renderer, imported on first use


class Renderer(Record):
    """A registered renderer: ``function(result, style) -> str``; a streamed one is
    ``function(rows, header=False) -> str``, called chunk by chunk."""

    function: Callable[..., str]
    streamed: bool = False


_REGISTRY: dict[str, dict[str, Renderer]] = {}
_DEFAULTS: dict[str, str] = {}


def register(
    result_type: str, output_format: str, default: bool = False, streamed: bool = False
) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register the decorated function as the ``output_format`` renderer of ``result_type``
    (the type's default format with ``default``; written chunk by chunk with ``streamed``)."""

    def decorate(function: Callable[..., str]) -> Callable[..., str]:
        _REGISTRY.setdefault(result_type, {})[output_format] = Renderer(function, streamed)
        if default:
            _DEFAULTS[result_type] = output_format
        return function

    return decorate


def _renderers(result_type: str) -> dict[str, Renderer]:
    importlib.import_module(RENDERERS)
    return _REGISTRY[result_type]


def formats(result_type: str) -> list[str]:
    """The formats registered for ``result_type``, in the order they were registered."""
    return list(_renderers(result_type))


def default_format(result_type: str) -> str:
    """The format ``result_type`` is shown in when no --format is given."""
    _renderers(result_type)
    return _DEFAULTS[result_type]


def to_json(data: Any) -> str:
    """The JSON policy of every document the commands print: indented by 2, UTF-8 text kept as it is
    (not \\u-escaped), keys in the order the library's builders give them, no NaN, one final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


class Output(Record):
    """Where and how one command's result goes: its type, the chosen format, and FILE (None: stdout)."""

    result_type: str
    format: str
    path: str | None = None

    @property
    def renderer(self) -> Renderer:
        """The renderer of the chosen format."""
        return _renderers(self.result_type)[self.format]

    @property
    def style(self) -> "Styler":
        """The Styler for text: colour as the terminal and the options say on stdout, none in a file."""
        from sourcing.cli.render import Styler
        from sourcing.cli.session import styler

        return Styler(False) if self.path else styler()

    def render(self, result: Any, style: Optional["Styler"] = None) -> str:
        """``result`` in the chosen format (``style``: default, this output's)."""
        return self.renderer.function(result, style or self.style)

    def show(self, result: Any) -> None:
        """Render ``result`` and write it; with FILE, say on standard error where it went."""
        style = self.style
        text = self.render(result, style)
        with self.writer(color=style.enabled) as write:
            write(text)
        if self.path:
            click.echo(f"Report written to {self.path}.", err=True)

    @contextmanager
    def writer(self, color: bool | None = None) -> Iterator[Callable[[str], None]]:
        """A function writing text to stdout, or to FILE through cli.files.atomic_writer: FILE is put in
        place only when the block ends without an error, and only over a regular file (else exit 2)."""
        if self.path is None:

            def echo(text: str) -> None:
                if text:
                    click.echo(text, nl=False, color=color)

            yield echo
            return
        from sourcing.cli.files import atomic_writer  # only then: it brings the YAML writer

        with atomic_writer(self.path) as stream:
            yield lambda text: stream.write(click.unstyle(text).encode("utf-8", "backslashreplace"))


class FormatOption(click.Option):
    """The --format option; it knows the result type whose renderers it offers."""

    def __init__(self, *args, result_type: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.result_type = result_type


def output_options(result_type: str, help: str = "Output format.") -> Callable[[Callable], Callable]:
    """Give a command --format (the formats registered for ``result_type``) and -o/--output FILE; the
    command receives them as one ``output`` argument, an :class:`Output`."""
    choices = formats(result_type)

    def decorate(command: Callable) -> Callable:
        @functools.wraps(command)
        def run(*args, output_format: str, output_path: str | None, **kwargs):
            return command(*args, output=Output(result_type, output_format, output_path), **kwargs)

        run = click.option(
            "-o",
            "--output",
            "output_path",
            metavar="FILE",
            type=FileName(),
            help="Write the result to FILE (atomically; only a regular file is replaced) instead of standard output.",
        )(run)
        return click.option(
            "--format",
            "output_format",
            cls=FormatOption,
            result_type=result_type,
            type=click.Choice(choices),
            default=default_format(result_type),
            show_default=True,
            help=help,
        )(run)

    return decorate
