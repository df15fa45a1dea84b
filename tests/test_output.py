"""The one output layer: every command that prints a result takes --format and -o FILE from one option set,
and every registered renderer renders a real result."""

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from conftest import REPO

from sourcing.cli import output
from sourcing.cli.main import cli

EXAMPLES = REPO / "examples"
PORTFOLIO = "id,need,urgency\nclaims,process,planned\ndesk,service,planned\nbad,everything,planned\n"
EXTRA_QUESTION = """\
questions:
  - id: region
    prompt: Quelle région ?
    values:
      nord: le nord
      sud: le sud
"""

# every command that prints a result, with the arguments that give it a real one
CASES = {
    ("consult",): ["--no-input", "--set", "need=process"],
    ("explain",): ["{record}"],
    ("why-not",): ["managed_services", "--set", "need=process", "--max-changes", "1"],
    ("replay",): ["{record}"],
    ("compare",): [str(EXAMPLES / "customer-support.yaml"), "--vary", "governance_capability=none"],
    ("assess",): ["{portfolio}"],
    ("questions",): [],
    ("rules", "list"): ["--layer", "recommendation"],
    ("rules", "show"): ["REC-001"],
    ("kb", "lint"): ["--samples", "200", "--invariant-samples", "20"],
    ("kb", "test"): [],
    ("kb", "graph"): [],
}
EXIT_CODES = {("assess",): 1}  # the portfolio has a bad row, reported on stderr


def commands(group=cli, path=()):
    """Every (path, command) below ``group``."""
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            yield from commands(command, path + (name,))
        else:
            yield path + (name,), command


def format_option(command):
    return next((p for p in command.params if isinstance(p, output.FormatOption)), None)


WITH_OUTPUT = {path: format_option(command) for path, command in commands() if format_option(command)}
PAIRS = [(path, name) for path, option in WITH_OUTPUT.items() for name in option.type.choices]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """{"record": an audit record, "portfolio": a CSV portfolio}, made once."""
    folder = tmp_path_factory.mktemp("inputs")
    record = folder / "record.json"
    done = CliRunner().invoke(
        cli, ["consult", "--answers", str(EXAMPLES / "developer-capacity.yaml"), "--no-input", "--audit", str(record)]
    )
    assert done.exit_code == 0, done.output
    portfolio = folder / "portfolio.csv"
    portfolio.write_text(PORTFOLIO)
    return {"record": str(record), "portfolio": str(portfolio)}


def arguments(path, files):
    return [*path, *(argument.format(**files) for argument in CASES[path])]


def test_every_command_that_prints_a_result_has_the_output_options():
    assert set(WITH_OUTPUT) == set(CASES)
    for path, command in commands():
        if path in WITH_OUTPUT:
            assert any("-o" in p.opts and "--output" in p.opts for p in command.params), path


def test_every_registered_renderer_is_offered_by_a_command():
    offered = {(option.result_type, name) for option in WITH_OUTPUT.values() for name in option.type.choices}
    registered = {(kind, name) for kind in output._REGISTRY for name in output.formats(kind)}
    assert offered == registered
    for option in WITH_OUTPUT.values():
        assert option.default == output.default_format(option.result_type)


@pytest.mark.parametrize("path, name", PAIRS, ids=[" ".join(p) + f"-{n}" for p, n in PAIRS])
def test_each_format_renders_a_real_result_and_o_writes_exactly_what_stdout_shows(path, name, files, tmp_path):
    args = arguments(path, files) + ["--format", name]
    shown = CliRunner().invoke(cli, args)
    assert shown.exit_code == EXIT_CODES.get(path, 0), shown.output
    assert "Traceback" not in shown.output
    target = tmp_path / f"out.{name}"
    written = CliRunner().invoke(cli, args + ["-o", str(target)])
    assert written.exit_code == shown.exit_code, written.output
    assert target.read_text() == shown.stdout and shown.stdout.strip()
    option = WITH_OUTPUT[path]
    if not output._REGISTRY[option.result_type][name].streamed:  # a streamed format's summary stays on the side
        assert written.stdout == ""
    if name == "json":
        json.loads(shown.stdout)
    elif name == "jsonl":
        assert all(json.loads(line) for line in shown.stdout.splitlines())
    elif name == "html":
        assert shown.stdout.startswith("<!DOCTYPE html>")
    elif name == "dot":
        assert shown.stdout.startswith("digraph ") and shown.stdout.endswith("}\n")


@pytest.mark.parametrize("path", sorted(CASES), ids=" ".join)
def test_an_unregistered_format_is_a_usage_error(path, files):
    done = CliRunner().invoke(cli, arguments(path, files) + ["--format", "yaml"])
    assert done.exit_code == 2 and "Invalid value for '--format'" in done.output and "Traceback" not in done.output


@pytest.mark.parametrize("path", [("kb", "graph"), ("assess",)], ids=" ".join)
def test_o_refuses_what_is_not_a_regular_file_in_one_line(path, files, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    readonly = tmp_path / "kept"
    readonly.write_text("kept\n")
    readonly.chmod(0o444)
    for target, reason in ((tmp_path, "Is a directory"), (fifo, "not a regular file"), (readonly, "read-only")):
        done = CliRunner().invoke(cli, arguments(path, files) + ["-o", str(target)])
        assert done.exit_code == 2, (target, done.output)
        errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and reason in errors[0], done.stderr
        assert "Traceback" not in done.output
    assert readonly.read_text() == "kept\n" and not list(tmp_path.glob(".sourcing-*"))


def test_colour_goes_to_a_terminal_never_into_a_file(tmp_path):
    args = ["--color", "why-not", "bpo", "--set", "need=capacity", "--max-changes", "1"]
    coloured = CliRunner().invoke(cli, args)
    assert coloured.exit_code == 0 and "\x1b[" in coloured.stdout
    target = tmp_path / "why-not.txt"
    assert CliRunner().invoke(cli, args + ["-o", str(target)]).exit_code == 0
    assert target.read_text() == click.unstyle(coloured.stdout)


def test_json_keeps_text_as_written(tmp_path):
    (tmp_path / "questions.yaml").write_text(EXTRA_QUESTION, encoding="utf-8")
    done = CliRunner().invoke(cli, ["--kb", str(tmp_path), "questions", "--format", "json"])
    assert done.exit_code == 0, done.output
    assert '"prompt": "Quelle région ?"' in done.stdout
    with pytest.raises(ValueError):
        output.to_json({"score": float("nan")})


def test_a_new_format_is_one_registered_function(monkeypatch, tmp_path):
    monkeypatch.setattr(output, "_REGISTRY", {kind: dict(formats) for kind, formats in output._REGISTRY.items()})
    monkeypatch.setattr(output, "_DEFAULTS", dict(output._DEFAULTS))
    output.register("graph", "count")(lambda graph, style: f"{len(graph.nodes)} nodes, {len(graph.edges)} edges\n")

    @click.command()
    @output.output_options("graph")
    def toy(output):
        from sourcing.expert import graph, load

        output.show(graph.dependencies(load()))

    done = CliRunner().invoke(toy, ["--format", "count"])
    assert done.exit_code == 0 and done.stdout.endswith(" edges\n") and done.stdout.split()[1] == "nodes,"
    assert CliRunner().invoke(toy, ["--format", "count", "-o", str(tmp_path / "n")]).exit_code == 0
    assert (tmp_path / "n").read_text() == done.stdout


def test_the_group_help_loads_no_renderer():
    code = (
        "import sys; from click.testing import CliRunner; from sourcing.cli.main import cli; "
        "done = CliRunner().invoke(cli, ['--help']); assert done.exit_code == 0; "
        "print(sorted(m for m in sys.modules if m.startswith(('sourcing.cli.', 'tabulate')) and m not in "
        "('sourcing.cli.main', 'sourcing.cli.helptext', 'sourcing.cli.session')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "[]\n", (done.stdout, done.stderr)
