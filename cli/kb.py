"""Click commands for knowledge engineers: kb lint, kb test, kb graph, kb new-rule."""

import shlex
from pathlib import Path

import click

from sourcing.cli import helptext
from sourcing.cli.files import write_new
from sourcing.cli.output import output_options
from sourcing.cli.renderers import Scenarios
from sourcing.expert import graph as graphs
from sourcing.expert import lint as linting
from sourcing.expert import scenarios as cases
from sourcing.expert import skeleton
from sourcing.expert.errors import InputError

EXIT_FAILED = 1


@click.group("kb", cls=helptext.Group)
def knowledge_base():
    """Check, test and extend the knowledge base (with --kb DIR for extensions)."""


@knowledge_base.command(epilog=helptext.exit_codes("1 an error-level check failed"))
@click.option(
    "--samples",
    type=click.IntRange(1),
    default=20000,
    show_default=True,
    help="Answer sets to sample when the answer space is too large to enumerate.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sample.")
@click.option(
    "--invariant-samples",
    type=click.IntRange(1),
    default=2000,
    show_default=True,
    help="Answer sets on which the invariants of sound advice are checked (KB401-KB405).",
)
@output_options("lint")
@click.pass_context
def lint(ctx, samples, seed, invariant_samples, output):
    """Static and exhaustive checks; exit 1 when an error-level check fails."""
    report = linting.lint(ctx.obj.kb, samples=samples, seed=seed, invariant_samples=invariant_samples)
    output.show(report)
    if report.failed:
        ctx.exit(EXIT_FAILED)


@knowledge_base.command("test", epilog=helptext.exit_codes("1 a scenario failed or the coverage is too low"))
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 100),
    default=0,
    show_default=True,
    metavar="N",
    help="Fail when fewer than N percent of the rules fire in some scenario.",
)
@output_options("scenarios")
@click.pass_context
def run_scenarios(ctx, min_coverage, output):
    """Run the scenario cases beside the rules; report pass/fail and rule coverage."""
    if min_coverage != min_coverage:  # NaN passes FloatRange: every comparison with it is false
        raise InputError("--min-coverage", "nan is not a percentage from 0 to 100")
    session = ctx.obj
    runs = [cases.run(session.advisor, scenario) for scenario in cases.load(session.kb)]
    report = cases.report(session.kb, runs, min_coverage)
    output.show(Scenarios(report, session.kb))
    if report.failed:
        ctx.exit(EXIT_FAILED)


@knowledge_base.command(epilog=helptext.exit_codes())
@output_options("graph")
@click.pass_obj
def graph(session, output):
    """The dependency graph: questions and findings -> rules -> findings, evidence, conclusions."""
    output.show(graphs.dependencies(session.kb))


@knowledge_base.command("new-rule", epilog=helptext.exit_codes())
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--id", "rule_id", default="EXT-001", show_default=True, help="The new rule's id.")
@click.option("--layer", type=click.Choice(skeleton.LAYERS), default="evidence", show_default=True)
@click.option("--title", default="What this rule concludes, in a few words", show_default=False)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def new_rule(file, rule_id, layer, title, force):
    """Write a commented skeleton rule file to FILE (or standard output) to start from; missing folders
    of FILE are created."""
    text = skeleton.rule_file(rule_id, layer, title)
    if file is None:
        click.echo(text, nl=False)
        return
    folder = Path(file).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(str(folder), f"cannot create the folder: {error.strerror}")
    write_new(file, text, force)
    if folder.name == "rules":
        click.echo(f"Wrote {file}. Check it: sourcing --kb {shlex.quote(str(folder.parent))} kb lint", err=True)
    else:
        click.echo(f"Wrote {file}. Keep it in DIR/rules/ and check it: sourcing --kb DIR kb lint", err=True)
