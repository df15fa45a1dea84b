"""Click commands that browse the knowledge base: questions, rules list, rules show."""
import difflib
import json

import click
from tabulate import tabulate

from sourcing.cli import completion, helptext
from sourcing.expert import describe
from sourcing.expert.errors import InputError


@click.command(epilog=helptext.exit_codes())
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_obj
def questions(session, output_format):
    """List the question catalogue: ids, allowed values, prompts."""
    kb = session.kb
    if output_format == "json":
        data = [{"id": q.id, "prompt": q.prompt, "values": dict(q.help), "also": "unknown"} for q in kb.questions]
        click.echo(json.dumps(data, indent=2))
        return
    rows = [[q.id, ", ".join(q.choices), q.prompt] for q in kb.questions]
    click.echo(tabulate(rows, headers=["id", "values", "prompt"], tablefmt="simple", maxcolwidths=[None, 40, 60]))


@click.group(cls=helptext.Group)
def rules():
    """Browse the rule base."""


@rules.command("list", epilog=helptext.exit_codes())
@click.option("--layer", help="Only the rules of this layer.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_obj
def list_rules(session, layer, output_format):
    """List the rules: id, layer, title, source."""
    kb = session.kb
    layers = sorted({r.layer for r in kb.rules})
    if layer and layer not in layers:
        raise InputError("--layer", f"{layer!r} is not a layer", allowed=layers)
    selected = [r for r in kb.rules if not layer or r.layer == layer]
    if output_format == "json":
        click.echo(json.dumps([_rule_dict(r) for r in selected], indent=2))
        return
    rows = [[r.id, r.layer, r.title, r.source] for r in selected]
    click.echo(tabulate(rows, headers=["id", "layer", "title", "source"], tablefmt="simple",
                        maxcolwidths=[None, None, 45, 50]))


@rules.command("show", epilog=helptext.exit_codes())
@click.argument("rule_id", shell_complete=completion.rules)
@click.pass_obj
def show_rule(session, rule_id):
    """Show one rule: metadata, rationale, and its IF/THEN logic in words."""
    kb = session.kb
    ids = [r.id for r in kb.rules]
    if rule_id not in ids:
        close = difflib.get_close_matches(rule_id.upper(), ids, n=5, cutoff=0.5)
        hint = f"did you mean: {', '.join(close)}" if close else "see 'sourcing rules list'"
        raise InputError("rules show", f"no rule {rule_id!r}; {hint}")
    rule = kb.rule(rule_id)
    click.echo(f"{rule.id}  {rule.title}")
    click.echo(f"layer: {rule.layer}   status: {rule.status}   defined at: {rule.file}:{rule.line}")
    click.echo(f"source: {rule.source}")
    click.echo(f"rationale: {rule.rationale}")
    for reference in rule.references:
        click.echo(f"see also: {reference}")
    click.echo("")
    for line in describe.rule_lines(rule):
        click.echo(line)


def _rule_dict(rule):
    return {
        "id": rule.id, "title": rule.title, "layer": rule.layer, "status": rule.status,
        "source": rule.source, "rationale": rule.rationale, "when": describe.condition(rule.when),
        "then": [describe.assertion(a) for a in rule.then], "references": list(rule.references),
        "file": rule.file, "line": rule.line,
    }
