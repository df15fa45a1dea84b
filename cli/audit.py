"""Click commands for auditors: explain (HOW), why-not (WHY-NOT), replay."""
import json

import click

from cli import audit_render, completion
from cli.helptext import exit_codes
from cli.session import styler
from expert import answers as answers_io
from expert import audit as records
from expert import explain as explaining
from expert import replay as replaying
from expert import whynot
from expert.errors import InputError

EXIT_CHANGED = 1
FORMATS = click.Choice(["text", "json"])


def select_facts(result, ident, source):
    """The fact ids ``ident`` names in ``result``; InputError listing what can be named otherwise."""
    fact_ids = explaining.select(result, ident)
    if not fact_ids:
        raise InputError(source, f"nothing named {ident!r} in this consultation",
                         allowed=["recommendation", "a fact id", "a fired rule id", "a finding or conclusion name",
                                  "warnings", "gaps", "pricing", "notes", "responsibility"])
    return fact_ids


def model_id(kb, text):
    """The model id ``text`` names (ids, with '-' for '_', case ignored)."""
    wanted = text.strip().lower().replace("-", "_")
    ids = [m.id for m in kb.all_models]
    if wanted not in ids:
        raise InputError("MODEL", f"{text!r} is not a model", allowed=ids)
    return wanted


@click.command(epilog=exit_codes())
@click.argument("record", type=click.Path(dir_okay=False))
@click.option("--conclusion", "conclusion", metavar="ID", default="recommendation", show_default=True,
              shell_complete=completion.conclusions,
              help="What to explain: recommendation, a fact id, a fired rule id, or a finding/conclusion name.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "dot"]), default="text",
              show_default=True, help="Text tree, JSON tree, or Graphviz DOT.")
@click.pass_obj
def explain(session, record, conclusion, output_format):
    """HOW: the explanation chain of a recorded conclusion, down to the answers.

    RECORD is an audit record written by 'sourcing consult --audit'.
    """
    checked = records.read(record, session.kb)
    result = checked.result
    fact_ids = select_facts(result, conclusion, "--conclusion")
    if output_format == "dot":
        click.echo(explaining.dot(explaining.graph(result, checked.titles), fact_ids), nl=False)
    elif output_format == "json":
        nodes = explaining.graph(result, checked.titles)
        click.echo(json.dumps({"record": _record_summary(checked),
                               "explanations": [explaining.tree(nodes, i) for i in fact_ids]},
                              indent=2, ensure_ascii=False))
    else:
        style = styler()
        click.echo(_record_heading(checked))
        click.echo(audit_render.explanation_text(result, checked.titles, fact_ids, style), nl=False,
                   color=style.enabled)
        if conclusion == "recommendation":
            click.echo("\n" + audit_render.conclusions_index(result), nl=False)


def _record_summary(checked):
    data = checked.data
    return {"created": data["created"], "tool_version": data["tool"].get("version"),
            "fingerprint": checked.fingerprint, "recommendation": checked.result.recommendation,
            "answers": checked.result.answers}


def _record_heading(checked):
    data = checked.data
    return (f"Consultation of {data['created']} (sourcing {data['tool'].get('version', '?')}, knowledge base "
            f"{checked.fingerprint}): {checked.result.recommendation} ({checked.result.strength})\n")


@click.command("why-not", short_help="WHY-NOT: why a model was not recommended, and what would have to change.",
               epilog=exit_codes())
@click.argument("model", shell_complete=completion.models)
@click.argument("record", required=False, type=click.Path(dir_okay=False))
@click.option("--answers", "answers_file", metavar="FILE", type=completion.FileName(),
              help="YAML or JSON answers file; '-' reads standard input.")
@click.option("--set", "settings", metavar="QUESTION=VALUE", multiple=True, shell_complete=completion.settings,
              help="Answer one question (with --answers).")
@click.option("--max-changes", type=click.IntRange(1, 3), default=2, show_default=True,
              help="Largest set of changed answers to search.")
@click.option("--format", "output_format", type=FORMATS, default="text", show_default=True)
@click.pass_obj
def why_not(session, model, record, answers_file, settings, max_changes, output_format):
    """WHY-NOT: why MODEL was not recommended, and the smallest answer changes that would make it so.

    Give either an audit RECORD or --answers FILE (with optional --set).
    """
    kb = session.kb
    target = model_id(kb, model)
    if (record is None) == (answers_file is None and not settings):
        raise InputError("why-not", "give an audit RECORD, or --answers FILE and/or --set, not both")
    if record is not None:
        answers = records.read(record, kb).result.answers
        answers = answers_io.normalise(kb, answers, record)
    else:
        answers = answers_io.read(kb, answers_file) if answers_file else {}
        answers.update(answers_io.parse_settings(kb, settings))
    analysis = whynot.why_not(session.advisor, answers, target, max_changes)
    if output_format == "json":
        click.echo(json.dumps(whynot.as_dict(analysis, kb), indent=2, ensure_ascii=False))
    else:
        style = styler()
        click.echo(audit_render.why_not_text(analysis, kb, style), nl=False, color=style.enabled)


@click.command(short_help="Re-run a record on today's knowledge base; exit 1 if the advice changed.",
               epilog=exit_codes("1 the conclusions differ"))
@click.argument("record", type=click.Path(dir_okay=False))
@click.option("--format", "output_format", type=FORMATS, default="text", show_default=True)
@click.pass_context
def replay(ctx, record, output_format):
    """Re-run a record's answers on the current knowledge base: exit 0 if the conclusions are
    identical, 1 with the differences otherwise."""
    session = ctx.obj
    checked = records.read(record, session.kb)
    outcome = replaying.replay(checked, session.advisor)
    if output_format == "json":
        click.echo(json.dumps(outcome.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(audit_render.replay_text(outcome, checked, record), nl=False)
    if not outcome.identical:
        ctx.exit(EXIT_CHANGED)
