"""docs/knowledge-engineering.md works as written: its files load, its commands succeed."""

import json
import re
import shlex

import pytest
from click.testing import CliRunner
from conftest import REPO

from sourcing.cli.main import cli
from sourcing.expert import load

GUIDE = (REPO / "docs" / "knowledge-engineering.md").read_text()
BLOCK = r"<!-- {marker} -->\n```\w*\n(.*?)```"


def guide_files():
    """{relative path: text} of every block marked '<!-- file: PATH -->'."""
    return {path: text for path, text in re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", GUIDE, re.S)}


def guide_commands():
    return [
        shlex.split(line)[1:]
        for block in re.findall(BLOCK.format(marker="run"), GUIDE, re.S)
        for line in block.splitlines()
        if line.startswith("sourcing ")
    ]


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    for path, text in guide_files().items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_worked_example_runs_as_written(workspace):
    outputs = []
    for args in guide_commands():
        done = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert done.exit_code == 0, (args, done.output)
        outputs.append(done.output)
    questions, lint, scenarios, consult = outputs
    assert "regulated_work" in questions
    assert "0 error(s)" in lint and "no rule tests regulated_work = no" in lint
    assert re.search(r"EXT-REG-S1\s+pass", scenarios) and "(100.0%)" in scenarios
    assert "EXT-REG-001" in consult and "Regulated work needs mature governance before BPO" in consult
    results = [
        json.loads(CliRunner().invoke(cli, guide_commands()[-1] + ["--format", "json", *extra]).output)
        for extra in ([], ["--set", "regulated_work=no"], ["--set", "regulated_work=unknown"])
    ]
    assert [r["recommendation"]["model"] for r in results] == ["stabilize_first", "bpo", "bpo"]
    assert [r["scores"] for r in results[1:]] == [results[0]["scores"]] * 2, "readiness adds no fit points"
    assert "EXT-REG-001" in [c["rule"] for c in results[2]["recommendation"]["to_confirm"]]


def test_a_broken_example_is_refused_with_the_line_the_guide_shows(workspace):
    rules = workspace / "regulated" / "rules" / "50-regulated.yaml"
    rules.write_text(rules.read_text().replace("requires: bpo", "requires: bop"))
    done = CliRunner().invoke(cli, ["--kb", "regulated", "kb", "lint"])
    assert done.exit_code == 2
    shown = re.search(r"`(regulated/rules/50-regulated\.yaml:\d+: EXT-REG-001: 'requires: bop'[^`]*)`", GUIDE).group(1)
    assert shown in done.output
    assert CliRunner().invoke(cli, ["kb", "test"]).exit_code == 0  # nothing else stops working


def test_the_replaces_and_disables_example_loads(workspace):
    shipped = load()
    extended = load(None, [workspace / "replacing"])
    replaced = extended.rule("EV-SA-001")
    assert replaced.position == shipped.rule("EV-SA-001").position
    assert [a.weight for a in replaced.then] == [5]
    assert "PRI-003" not in extended.titles and len(extended.rules) == len(shipped.rules) - 1
    assert extended.fingerprint != shipped.fingerprint


def test_readme_python_example_runs_as_written(capsys):
    readme = (REPO / "README.md").read_text()
    code = re.search(r"<!-- python -->\n```python\n(.*?)```", readme, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 (the project's own README)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split()[0] in {"staff_augmentation", "managed_services", "bpo", "stabilize_first"}
    assert "'bogus' is not allowed" in printed[2] and printed[2].startswith("answers: need")
