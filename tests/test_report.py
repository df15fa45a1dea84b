"""The advice-first report: one screen for every scenario, reasons in words, the detail on request."""

import json
import os

import click
import pytest
from click.testing import CliRunner
from conftest import REPO
from strategies import KB

from sourcing.cli.main import cli
from sourcing.expert import scenarios

SCENARIOS = scenarios.load(KB)


def consult(answers, *options):
    done = CliRunner().invoke(cli, ["consult", "--answers", "-", "--no-input", *options], input=json.dumps(answers))
    assert done.exit_code == 0, done.output
    return done.output


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_the_default_report_fits_one_screen_and_starts_with_the_advice(scenario):
    out = consult(scenario.answers)
    lines = out.splitlines()
    label = KB.model(scenario.model).label
    assert len(lines) <= 60, f"{len(lines)} lines"
    assert max(len(click.unstyle(line)) for line in lines) <= 100
    assert lines[0].startswith(label)
    if scenario.model not in (KB.fallback.id, KB.undetermined.id):
        assert lines[lines.index("Why") + 1].lstrip().startswith("+"), "the strongest fit reason comes first"
    assert "Reasoning trace" not in out and "Explanation" not in out and "<-" not in out


def test_the_detail_is_on_request_and_wrapped(kb):
    answers = SCENARIOS[0].answers
    out = consult(answers, "--trace", "--explain")
    assert "Reasoning trace" in out and "Explanation" in out and "<- REC-" in out
    assert max(len(line) for line in out.splitlines()) <= 100
    scoring = [line for line in out.splitlines() if line.strip().startswith(tuple(m.label + " =" for m in kb.models))]
    assert len(scoring) == len(kb.models), "the scoring step is summarised once per model"


def test_an_empty_answers_file_names_the_deciding_questions():
    out = consult({})
    assert out.startswith("Undetermined") and "Questions that would decide it" in out
    assert "need:" in out


def test_what_would_change_it_never_proposes_unknown():
    for scenario in SCENARIOS:
        data = json.loads(consult(scenario.answers, "--format", "json"))
        changes = data["advice"]["changes"] or []
        assert all(c["to"] != "unknown" for change in changes for c in change["changes"])


def test_markdown_carries_the_title_the_date_and_the_answers():
    out = consult(SCENARIOS[0].answers, "--format", "markdown", "--title", "Claims tower")
    assert out.startswith("# Claims tower\n") and "## Answers" in out and "## Why" in out
    assert "| question" in out and "*20" in out


def test_json_keeps_the_tree_behind_explain():
    plain = json.loads(consult({"need": "capacity"}, "--format", "json"))
    detailed = json.loads(consult({"need": "capacity"}, "--format", "json", "--explain"))
    assert "explanation" not in plain and "justifications" in plain and "advice" in plain
    assert detailed["explanation"]["label"].startswith("finding recommended_model")


def test_the_report_goes_to_a_file_with_o(tmp_path):
    target = tmp_path / "report.html"
    done = CliRunner().invoke(
        cli,
        ["consult", "--answers", "-", "--no-input", "--format", "html", "-o", str(target)],
        input=json.dumps(SCENARIOS[0].answers),
    )
    assert done.exit_code == 0 and done.stdout == "" and "Report written to" in done.stderr
    assert target.read_text().startswith("<!DOCTYPE html>")
    refused = CliRunner().invoke(cli, ["consult", "--no-input", "-o", str(tmp_path)])
    assert refused.exit_code == 2 and "Traceback" not in refused.output


# -- the table of conclusion kinds (expert/kinds.py) ------------------------------------


def test_every_kind_is_in_the_json_and_the_advice_under_its_keys():
    from sourcing.expert import kinds
    from sourcing.expert.model import LAYER_KINDS

    data = json.loads(consult({}, "--format", "json"))
    for kind in kinds.KINDS:
        assert isinstance(data[kind.key], dict if kind.matrix else list), kind.key
        assert kind.section in data["advice"], kind.section
        assert all(kind.name in LAYER_KINDS[layer] for layer in kind.layers)
    headings = dict(kinds.sections())
    assert len(headings) == len(kinds.sections()), "a section has one heading"
    schema = json.loads((REPO / "docs" / "schemas" / "consult-result.schema.json").read_text())
    assert {kind.key for kind in kinds.KINDS} <= set(schema["required"])


# A kind added as one entry of the table, in a fresh interpreter (the table is read at import time).
NEW_KIND = r"""
import json, sys
from pathlib import Path
from click.testing import CliRunner
import sourcing.expert.kinds as kinds  # nothing else has read it yet
ENTRY = 'ConclusionKind("risk", key="risks", subject="about", section="risks", heading="Risks", plural="risks", ' \
        'label="risk"),'
source = Path(kinds.__file__).read_text()
assert source.count("KINDS: tuple[ConclusionKind, ...] = (\n") == 1
source = source.replace("KINDS: tuple[ConclusionKind, ...] = (\n", "KINDS: tuple[ConclusionKind, ...] = (\n" + ENTRY)
exec(compile(source, kinds.__file__, "exec"), vars(kinds))
from sourcing.cli.main import cli
run = lambda *args: CliRunner().invoke(cli, ["--kb", sys.argv[1], *args], catch_exceptions=False)
report = json.loads(run("consult", "--no-input", "--set", "need=capacity", "--format", "json",
                        "--audit", sys.argv[2]).stdout)
print(json.dumps({"json": report["risks"], "advice": report["advice"]["risks"],
                  "text": run("consult", "--no-input", "--set", "need=capacity").output,
                  "explain": run("explain", sys.argv[2], "--conclusion", "risks").output,
                  "replay": run("replay", sys.argv[2]).exit_code}))
"""
RISK_RULE = """rules:
  - id: RISK-001
    title: Any provider can lock you in
    layer: consequences
    rationale: Switching providers costs time.
    source: test
    then:
      - risk: lock_in
        text: Agree an exit plan.
"""


def test_a_new_kind_is_one_entry_in_the_table(tmp_path):
    import subprocess
    import sys

    (tmp_path / "ext" / "rules").mkdir(parents=True)
    (tmp_path / "ext" / "rules" / "risk.yaml").write_text(RISK_RULE)
    done = subprocess.run(
        [sys.executable, "-c", NEW_KIND, str(tmp_path / "ext"), str(tmp_path / "record.json")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SOURCING_NO_CACHE": "1"},
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["json"] == [
        {"about": "lock_in", "text": "Agree an exit plan.", "rule": "RISK-001", "fact": seen["json"][0]["fact"]}
    ]
    assert seen["advice"] == [{"text": "Agree an exit plan.", "rules": ["RISK-001"]}]
    assert "\nRisks\n  - Agree an exit plan.  [RISK-001]" in seen["text"]
    assert "risk lock_in\n  <- RISK-001" in seen["explain"] and seen["replay"] == 0
