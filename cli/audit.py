"""Click commands for auditors: explain (HOW), why-not (WHY-NOT), replay.

why-not reads no record: the record machinery (expert.audit, replay, signing keys) is imported by the
commands that read one.
"""

import click

from sourcing.cli import completion
from sourcing.cli.answer_options import answer_options
from sourcing.cli.helptext import exit_codes
from sourcing.cli.output import output_options
from sourcing.cli.renderers import Explanation, Replayed, WhyNotAnswer
from sourcing.expert import answers as answers_io
from sourcing.expert import whynot
from sourcing.expert.errors import InputError
from sourcing.expert.names import conclusion_facts, model_id

EXIT_CHANGED = 1
SIGN_KEY = click.option(
    "--sign-key",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Verify the record's HMAC-SHA256 signature with the key in FILE [env: SOURCING_SIGN_KEY, the key itself].",
)


def read_record(path, kb, key_file):
    """The validated record at ``path``; with a key, its signature verified (or a line saying it is unsigned)."""
    from sourcing.cli.files import signing_key
    from sourcing.expert import audit as records

    key = signing_key(key_file)
    checked = records.read(path, kb, key)
    if key and checked.signed:
        click.echo(f"{path}: signature verified (HMAC-SHA256).", err=True)
    elif key:
        click.echo(
            f"warning: {path} is unsigned: only its integrity checksum was checked, which detects "
            "accidents, not forgery.",
            err=True,
        )
    return checked


@click.command(epilog=exit_codes())
@click.argument("record", type=click.Path(dir_okay=False))
@click.option(
    "--conclusion",
    "conclusion",
    metavar="ID",
    default="recommendation",
    show_default=True,
    shell_complete=completion.conclusions,
    help="What to explain: recommendation, a fact id, a fired rule id, or a finding/conclusion name.",
)
@output_options("explanation", help="Text tree, JSON tree, Graphviz DOT, or the HTML report.")
@SIGN_KEY
@click.pass_obj
def explain(session, record, conclusion, output, sign_key):
    """HOW: the explanation chain of a recorded conclusion, down to the answers.

    RECORD is an audit record written by 'sourcing consult --audit'.
    """
    checked = read_record(record, session.kb, sign_key)
    fact_ids = conclusion_facts(checked.result, conclusion, "--conclusion")
    output.show(Explanation(checked, record, conclusion, fact_ids, session))


@click.command(
    "why-not",
    short_help="WHY-NOT: why a model was not recommended, and what would have to change.",
    epilog=exit_codes(),
)
@click.argument("model", shell_complete=completion.models)
@click.argument("record", required=False, type=click.Path(dir_okay=False))
@answer_options(set_help="Answer one question (with --answers).")
@click.option(
    "--max-changes",
    type=click.IntRange(1, 3),
    default=2,
    show_default=True,
    help="Largest set of changed answers to search.",
)
@output_options("why-not")
@SIGN_KEY
@click.pass_obj
def why_not(session, model, record, answers_file, settings, max_changes, output, sign_key):
    """WHY-NOT: why MODEL was not recommended, and the smallest answer changes that would make it so.

    Give either an audit RECORD or --answers FILE (with optional --set).
    """
    kb = session.kb
    target = model_id(kb, model)
    if (record is None) == (answers_file is None and not settings):
        raise InputError("why-not", "give an audit RECORD, or --answers FILE and/or --set, not both")
    if record is not None:
        answers = read_record(record, kb, sign_key).result.answers
        answers = answers_io.normalise(kb, answers, record)
    else:
        answers = answers_io.read(kb, answers_file) if answers_file else {}
        answers.update(answers_io.parse_settings(kb, settings))
    analysis = whynot.why_not(session.advisor, answers, target, max_changes)
    output.show(WhyNotAnswer(analysis, kb))


@click.command(
    short_help="Re-run a record on today's knowledge base; exit 1 if the advice changed.",
    epilog=exit_codes("1 the conclusions differ"),
)
@click.argument("record", type=click.Path(dir_okay=False))
@output_options("replay")
@SIGN_KEY
@click.pass_context
def replay(ctx, record, output, sign_key):
    """Re-run a record's answers on the current knowledge base: exit 0 if the conclusions are
    identical, 1 with the differences otherwise."""
    session = ctx.obj
    checked = read_record(record, session.kb, sign_key)
    from sourcing.expert import replay as replaying

    outcome = replaying.replay(checked, session.advisor)
    output.show(Replayed(outcome, checked, record))
    if not outcome.identical:
        ctx.exit(EXIT_CHANGED)
