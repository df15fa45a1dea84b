"""Shell completion: file names, and the ids of the knowledge base (models, rules, questions, conclusions).

The knowledge base is loaded only when a shell asks for a completion, from the
``--knowledge``/``--kb`` options already typed; a knowledge base or record that
cannot be read completes nothing rather than printing an error into the shell.
"""

import functools

import click

from sourcing.expert.errors import SourcingError


class FileName(click.Path):
    """A file argument that completes as a file name; the command reads it and reports its own errors."""

    def __init__(self):
        super().__init__(dir_okay=False)

    def convert(self, value, param, ctx):
        return value


def _completer(candidates):
    """A Click ``shell_complete`` callback offering the ``candidates(ctx, incomplete)`` that start as typed."""

    @functools.wraps(candidates)
    def complete(ctx, param, incomplete):
        try:
            return [word for word in candidates(ctx, incomplete) if word.startswith(incomplete)]
        except (SourcingError, OSError):
            return []

    return complete


def _kb(ctx):
    """The knowledge base of the command line being completed."""
    from sourcing.cli.session import Session

    session = ctx.find_root().obj  # set by the --knowledge and --kb options as they are parsed
    return (session if isinstance(session, Session) else Session()).kb


@_completer
def models(ctx, incomplete):
    return [model.id for model in _kb(ctx).all_models]


@_completer
def rules(ctx, incomplete):
    return [rule.id for rule in _kb(ctx).rules]


@_completer
def settings(ctx, incomplete):
    """QUESTION=VALUE: the question ids, and with one question settled, its values."""
    questions = {question.id: question for question in _kb(ctx).questions}
    asked, equals, _ = incomplete.partition("=")
    if equals:
        return [f"{asked}={value}" for value in questions[asked].choices] if asked in questions else []
    named = [qid for qid in questions if qid.startswith(asked)]
    if len(named) == 1:
        return [f"{named[0]}={value}" for value in questions[named[0]].choices]
    return [f"{qid}=" for qid in named]


@_completer
def conclusions(ctx, incomplete):
    """What --conclusion can name in the record given before it."""
    from sourcing.expert import audit as records

    record = ctx.params.get("record") or _reparsed(ctx).params.get("record")
    if not record:
        return []
    result = records.read(record, _kb(ctx)).result
    names = {fact.name for fact in result.facts.values() if fact.kind != "answer"}
    return ["recommendation", *sorted({firing.rule for firing in result.firings}), *sorted(names)]


def _reparsed(ctx):
    """``ctx`` parsed again without its last word: Click stops parsing at an option still waiting for its value,
    before it reads the arguments."""
    words = list(ctx.parent.args)[:-1] if ctx.parent else []
    return ctx.command.make_context(ctx.info_name, words, parent=ctx.parent, resilient_parsing=True)
