"""Click commands that browse the knowledge base: questions, rules list, rules show."""

import difflib

import click

from sourcing.cli import completion, helptext
from sourcing.cli.output import output_options
from sourcing.cli.renderers import RuleList
from sourcing.expert.errors import InputError


@click.command(epilog=helptext.exit_codes())
@output_options("questions")
@click.pass_obj
def questions(session, output):
    """List the question catalogue: ids, allowed values, prompts."""
    output.show(session.kb)


@click.group(cls=helptext.Group)
def rules():
    """Browse the rule base."""


@rules.command("list", epilog=helptext.exit_codes())
@click.option("--layer", help="Only the rules of this layer.")
@output_options("rules")
@click.pass_obj
def list_rules(session, layer, output):
    """List the rules: id, layer, title, source."""
    kb = session.kb
    layers = sorted({r.layer for r in kb.rules})
    if layer and layer not in layers:
        raise InputError("--layer", f"{layer!r} is not a layer", allowed=layers)
    output.show(RuleList([r for r in kb.rules if not layer or r.layer == layer]))


@rules.command("show", epilog=helptext.exit_codes())
@click.argument("rule_id", shell_complete=completion.rules)
@output_options("rule")
@click.pass_obj
def show_rule(session, rule_id, output):
    """Show one rule: metadata, rationale, and its IF/THEN logic in words."""
    kb = session.kb
    ids = [r.id for r in kb.rules]
    if rule_id not in ids:
        close = difflib.get_close_matches(rule_id.upper(), ids, n=5, cutoff=0.5)
        hint = f"did you mean: {', '.join(close)}" if close else "see 'sourcing rules list'"
        raise InputError("rules show", f"no rule {rule_id!r}; {hint}")
    output.show(kb.rule(rule_id))
