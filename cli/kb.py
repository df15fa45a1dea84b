"""Click commands for knowledge engineers: kb lint, kb test, kb graph, kb new-rule."""
import json
import shlex
from pathlib import Path

import click
from tabulate import tabulate

from sourcing.cli import helptext
from sourcing.cli.files import write_new
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
@click.option("--samples", type=click.IntRange(1), default=20000, show_default=True,
              help="Answer sets to sample when the answer space is too large to enumerate.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sample.")
@click.option("--invariant-samples", type=click.IntRange(1), default=2000, show_default=True,
              help="Answer sets on which the invariants of sound advice are checked (KB401-KB405).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def lint(ctx, samples, seed, invariant_samples, output_format):
    """Static and exhaustive checks; exit 1 when an error-level check fails."""
    kb = ctx.obj.kb
    report = linting.lint(kb, samples=samples, seed=seed, invariant_samples=invariant_samples)
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(_lint_text(report))
    if report.failed:
        ctx.exit(EXIT_FAILED)


def _lint_text(report):
    lines = []
    if report.issues:
        rows = [[i.code, i.severity, i.location, i.rule or "", i.message] for i in report.issues]
        lines.append(tabulate(rows, headers=["code", "severity", "location", "rule", "message"], tablefmt="simple",
                              maxcolwidths=[None, None, None, None, 70]))
    for issue in report.issues:
        if issue.example is not None:
            answers = " ".join(f"--set {q}={v}" for q, v in issue.example.items()) or "(every answer unknown)"
            lines.append(f"\n{issue.code} counter-example: sourcing consult --no-input {answers}")
    if report.exhaustive:
        method = f"exhaustive: all {report.runs:,} answer sets run"
    else:
        method = f"sampled: {report.runs:,} of {report.space:,} answer sets, seed {report.seed}"
    counts = report.counts
    lines.append(f"\nCompleteness ({method}): "
                 + ("every answer set gives exactly one recommended model." if report.complete else "FAILED."))
    lines.append(f"{report.rules} rules: {counts['error']} error(s), {counts['warning']} warning(s), "
                 f"{counts['info']} info.")
    return "\n".join(lines).lstrip("\n")


@knowledge_base.command("test", epilog=helptext.exit_codes("1 a scenario failed or the coverage is too low"))
@click.option("--min-coverage", type=click.FloatRange(0, 100), default=0, show_default=True, metavar="N",
              help="Fail when fewer than N percent of the rules fire in some scenario.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def run_scenarios(ctx, min_coverage, output_format):
    """Run the scenario cases beside the rules; report pass/fail and rule coverage."""
    if min_coverage != min_coverage:  # NaN passes FloatRange: every comparison with it is false
        raise InputError("--min-coverage", "nan is not a percentage from 0 to 100")
    session = ctx.obj
    runs = [cases.run(session.advisor, scenario) for scenario in cases.load(session.kb)]
    fired, never = cases.coverage(session.kb, runs)
    percent = 100.0 * len(fired) / len(session.kb.rules) if session.kb.rules else 100.0
    if output_format == "json":
        click.echo(json.dumps({
            "scenarios": [{"id": r.scenario.id, "file": r.scenario.file, "line": r.scenario.line,
                           "passed": r.passed, "failures": list(r.failures)} for r in runs],
            "coverage": {"percent": round(percent, 1), "fired": fired, "never_fired": never,
                         "min_coverage": min_coverage},
        }, indent=2))
    else:
        click.echo(_test_text(runs, fired, never, percent, session.kb))
    if any(not r.passed for r in runs) or percent < min_coverage:
        if output_format == "text" and percent < min_coverage:
            click.echo(f"Coverage {percent:.1f}% is below --min-coverage {min_coverage:g}%.")
        ctx.exit(EXIT_FAILED)


def _test_text(runs, fired, never, percent, kb):
    rows = [[r.scenario.id, "pass" if r.passed else "FAIL", f"{r.scenario.file}:{r.scenario.line}",
             "; ".join(r.failures)] for r in runs]
    lines = [tabulate(rows, headers=["scenario", "result", "where", "failures"], tablefmt="simple",
                      maxcolwidths=[None, None, None, 60])]
    failed = sum(not r.passed for r in runs)
    lines.append(f"\n{len(runs) - failed} passed, {failed} failed.")
    layers = {}
    for rule in kb.rules:
        total, hit = layers.get(rule.layer, (0, 0))
        layers[rule.layer] = (total + 1, hit + (rule.id in fired))
    lines.append(f"\nRule coverage: {len(fired)}/{len(kb.rules)} rules fired in at least one scenario "
                 f"({percent:.1f}%).")
    lines.append(tabulate([[layer, hit, total] for layer, (total, hit) in layers.items()],
                          headers=["layer", "fired", "rules"], tablefmt="simple"))
    if never:
        lines.append("Never fired: " + ", ".join(never))
    return "\n".join(lines)


@knowledge_base.command(epilog=helptext.exit_codes())
@click.option("--format", "output_format", type=click.Choice(["text", "dot", "json"]), default="text",
              show_default=True)
@click.pass_obj
def graph(session, output_format):
    """The dependency graph: questions and findings -> rules -> findings, evidence, conclusions."""
    dependencies = graphs.dependencies(session.kb)
    if output_format == "dot":
        click.echo(graphs.to_dot(dependencies), nl=False)
    elif output_format == "json":
        click.echo(json.dumps(dependencies.to_dict(), indent=2))
    else:
        click.echo(graphs.to_text(dependencies), nl=False)


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
