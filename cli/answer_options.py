"""The answer options that consult and why-not share: ``--answers FILE`` and ``--set QUESTION=VALUE``."""

from collections.abc import Callable
from typing import Any, TypeVar

import click

from sourcing.cli import completion

F = TypeVar("F", bound=Callable[..., Any])


def answer_options(set_help: str) -> Callable[[F], F]:
    """Add ``--answers FILE`` and the repeatable ``--set QUESTION=VALUE`` (helped by ``set_help``)."""

    def add(command: F) -> F:
        command = click.option(
            "--set",
            "settings",
            metavar="QUESTION=VALUE",
            multiple=True,
            shell_complete=completion.settings,
            help=set_help,
        )(command)
        return click.option(
            "--answers",
            "answers_file",
            metavar="FILE",
            type=completion.FileName(),
            help="YAML or JSON answers file; '-' reads standard input.",
        )(command)

    return add
