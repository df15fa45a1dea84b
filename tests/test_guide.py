"""docs/knowledge-engineering.md works as written: its files load, its commands succeed."""
import json
import re
import shlex

import pytest
from click.testing import CliRunner

from cli.main import cli
from expert import load
from conftest import REPO

GUIDE = (REPO / "docs" / "knowledge-engineering.md").read_text()
BLOCK = r"<!-- {marker} -->\n```\w*\n(.*?)```"


def guide_files():
    """{relative path: text} of every block marked '<!-- file: PATH -->'."""
    return {path: text for path, text in re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", GUIDE, re.S)}


def guide_commands():
    return [shlex.split(line)[1:] for block in re.findall(BLOCK.format(marker="run"), GUIDE, re.S)
            for line in block.splitlines() if line.startswith("sourcing ")]


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
    assert "EXT-REG-S1   pass" in scenarios and "(100.0%)" in scenarios
    assert "EXT-REG-001  Regulated work needs mature governance before BPO" in consult
    assert "evidence -3 for bpo" in consult
    scores = [json.loads(CliRunner().invoke(cli, guide_commands()[-1] + ["--format", "json", *extra]).output)["scores"]
              for extra in ([], ["--set", "regulated_work=no"])]
    assert scores[1]["bpo"] - scores[0]["bpo"] == 3


def test_a_broken_example_is_refused_with_the_line_the_guide_shows(workspace):
    rules = workspace / "regulated" / "rules" / "50-regulated.yaml"
    rules.write_text(rules.read_text().replace("weight: -3", "weight: heavy"))
    done = CliRunner().invoke(cli, ["--kb", "regulated", "kb", "lint"])
    assert done.exit_code == 2
    assert "regulated/rules/50-regulated.yaml:19: EXT-REG-001: weight 'heavy' is not a number" in done.output
    assert CliRunner().invoke(cli, ["kb", "test"]).exit_code == 0  # nothing else stops working


def test_the_replaces_and_disables_example_loads(workspace):
    shipped = load()
    extended = load(None, [workspace / "replacing"])
    replaced = extended.rule("EV-SA-001")
    assert replaced.position == shipped.rule("EV-SA-001").position
    assert [a.weight for a in replaced.then] == [5]
    assert "PRI-003" not in extended.titles and len(extended.rules) == len(shipped.rules) - 1
    assert extended.fingerprint != shipped.fingerprint
