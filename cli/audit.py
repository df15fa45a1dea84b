"""Click commands for auditors: explain (HOW), why-not (WHY-NOT), replay."""
import json

import click

from sourcing.cli import audit_render, completion
from sourcing.cli.files import signing_key
from sourcing.cli.helptext import exit_codes
from sourcing.cli.session import styler
from sourcing.expert import answers as answers_io
from sourcing.expert import audit as records
from sourcing.expert import explain as explaining
from sourcing.expert import replay as replaying
from sourcing.expert import whynot
from sourcing.expert.errors import InputError
from sourcing.expert.names import conclusion_facts, model_id

EXIT_CHANGED = 1
FORMATS = click.Choice(["text", "json"])
SIGN_KEY = click.option("--sign-key", metavar="FILE", type=click.Path(dir_okay=False),
                        help="Verify the record's HMAC-SHA256 signature with the key in FILE "
                             "[env: SOURCING_SIGN_KEY, the key itself].")


def read_record(path, kb, key_file):
    """The validated record at ``path``; with a key, its signature verified (or a line saying it is unsigned)."""
    key = signing_key(key_file)
    checked = records.read(path, kb, key)
    if key and checked.signed:
        click.echo(f"{path}: signature verified (HMAC-SHA256).", err=True)
    elif key:
        click.echo(f"warning: {path} is unsigned: only its integrity checksum was checked, which detects "
                   "accidents, not forgery.", err=True)
    return checked


@click.command(epilog=exit_codes())
@click.argument("record", type=click.Path(dir_okay=False))
@click.option("--conclusion", "conclusion", metavar="ID", default="recommendation", show_default=True,
              shell_complete=completion.conclusions,
              help="What to explain: recommendation, a fact id, a fired rule id, or a finding/conclusion name.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "dot", "html"]),
              default="text", show_default=True, help="Text tree, JSON tree, Graphviz DOT, or the HTML report.")
@SIGN_KEY
@click.pass_obj
def explain(session, record, conclusion, output_format, sign_key):
    """HOW: the explanation chain of a recorded conclusion, down to the answers.

    RECORD is an audit record written by 'sourcing consult --audit'.
    """
    checked = read_record(record, session.kb, sign_key)
    result = checked.result
    fact_ids = conclusion_facts(result, conclusion, "--conclusion")
    if output_format == "html":
        click.echo(_html(checked, session, record, None if conclusion == "recommendation" else fact_ids), nl=False)
    elif output_format == "dot":
        click.echo(explaining.dot(explaining.graph(result, checked.titles), fact_ids), nl=False)
    elif output_format == "json":
        nodes = explaining.graph(result, checked.titles)
        click.echo(json.dumps({"record": _record_summary(checked),
                               "explanations": explaining.trees(nodes, fact_ids)},
                              indent=2, ensure_ascii=False))
    else:
        style = styler()
        click.echo(_record_heading(checked, session.kb))
        if conclusion == "recommendation" and checked.fingerprint == session.kb.fingerprint:
            from sourcing.cli import render
            from sourcing.cli.session import tool_version
            from sourcing.expert import report as reporting
            summary = render.text(reporting.build(result, session.kb, tool_version()), session.kb, style=style)
            click.echo(summary.rsplit("\n\nDetails:", 1)[0] + "\n\n" + style("Explanation", "heading"),
                       color=style.enabled)
        click.echo(audit_render.explanation_text(result, checked.titles, fact_ids, style), nl=False,
                   color=style.enabled)
        if conclusion == "recommendation":
            click.echo("\n" + audit_render.conclusions_index(result), nl=False)


def _html(checked, session, source, fact_ids):
    """The consult HTML report of the record; its wording comes from the knowledge base it was made with."""
    from sourcing.cli.html_report import consult_html
    from sourcing.expert import advice
    from sourcing.expert import report as report_io
    if checked.fingerprint != session.kb.fingerprint:
        raise InputError(source, "made with another knowledge base, and the HTML report reads its wording from it; "
                                 "give that one with --knowledge/--kb, or use --format text")
    changes = advice.what_would_change(session.advisor, checked.result)
    report = report_io.build(checked.result, session.kb, checked.data["tool"].get("version", "?"), changes)
    return consult_html(report, session.kb, None, checked.data["created"], checked.fingerprint, fact_ids)


def _record_summary(checked):
    data = checked.data
    return {"created": data["created"], "tool_version": data["tool"].get("version"),
            "fingerprint": checked.fingerprint, "recommendation": checked.result.recommendation,
            "answers": checked.result.answers}


def _record_heading(checked, kb):
    """The advice in words first; when, by which version and on which knowledge base after it."""
    data = checked.data
    model = checked.result.recommendation
    labels = {m.id: m.label for m in kb.all_models}
    advice = labels.get(model, model) if model else "No recommendation"
    digest = checked.fingerprint.split(":")[-1]
    return (f"{advice} ({checked.result.strength}), consulted {data['created']} with sourcing "
            f"{data['tool'].get('version', '?')}, knowledge base {digest[:12]}\n")


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
@SIGN_KEY
@click.pass_obj
def why_not(session, model, record, answers_file, settings, max_changes, output_format, sign_key):
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
    if output_format == "json":
        click.echo(json.dumps(whynot.as_dict(analysis, kb), indent=2, ensure_ascii=False))
    else:
        style = styler()
        click.echo(audit_render.why_not_text(analysis, kb, style), nl=False, color=style.enabled)


@click.command(short_help="Re-run a record on today's knowledge base; exit 1 if the advice changed.",
               epilog=exit_codes("1 the conclusions differ"))
@click.argument("record", type=click.Path(dir_okay=False))
@click.option("--format", "output_format", type=FORMATS, default="text", show_default=True)
@SIGN_KEY
@click.pass_context
def replay(ctx, record, output_format, sign_key):
    """Re-run a record's answers on the current knowledge base: exit 0 if the conclusions are
    identical, 1 with the differences otherwise."""
    session = ctx.obj
    checked = read_record(record, session.kb, sign_key)
    outcome = replaying.replay(checked, session.advisor)
    if output_format == "json":
        click.echo(json.dumps(outcome.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(audit_render.replay_text(outcome, checked, record), nl=False)
    if not outcome.identical:
        ctx.exit(EXIT_CHANGED)
