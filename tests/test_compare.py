"""sourcing compare: what-if variants and two sources side by side."""

import json

import yaml
from click.testing import CliRunner
from conftest import REPO

from sourcing.cli.main import cli

SUPPORT = str(REPO / "examples" / "customer-support.yaml")
DESK = str(REPO / "examples" / "it-service-desk.json")


def invoke(*args):
    return CliRunner().invoke(cli, ["compare", *args])


def test_a_variant_shows_what_changes_and_why_in_one_screen(advisor):
    done = invoke(SUPPORT, "--vary", "governance_capability=none")
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert len(lines) <= 40 and max(map(len, lines)) <= 100
    assert "governance_capability: A mature, B none" in done.output
    data = json.loads(invoke(SUPPORT, "--vary", "governance_capability=none", "--format", "json").output)
    expected = advisor.consult({**advisor.validate(_answers(SUPPORT)), "governance_capability": "none"})
    assert data["cases"][1]["model"] == expected.recommendation
    appeared = {i["rule"] for i in data["changes"][0]["appear"]}
    fired_now = {f.rule for f in expected.firings}
    assert appeared <= fired_now and set(data["changes"][0]["rules_only_in_to"]) <= fired_now


def _answers(path):
    with open(path) as stream:
        return yaml.safe_load(stream)


def test_two_sources_and_an_audit_record_compare(tmp_path):
    record = tmp_path / "desk.json"
    assert CliRunner().invoke(cli, ["consult", "--answers", DESK, "--no-input", "--audit", str(record)]).exit_code == 0
    data = json.loads(invoke(SUPPORT, str(record), "--format", "json").output)
    assert [c["name"] for c in data["cases"]] == ["A", "B"]
    assert "need" in {d["question"] for d in data["answers_that_differ"]}
    markdown = invoke(SUPPORT, DESK, "--format", "markdown").output
    assert markdown.startswith("# Comparing 2 consultations") and "## From A to B" in markdown


def test_one_source_without_a_variant_is_refused_with_one_line():
    done = invoke(SUPPORT)
    assert done.exit_code == 2 and done.output.count("\n") == 1 and "--vary" in done.output
    bad = invoke(SUPPORT, "--vary", "need=bogus")
    assert bad.exit_code == 2 and "bogus" in bad.output and "Traceback" not in bad.output


def test_the_comparison_as_a_page_is_self_contained_and_escaped(tmp_path):
    hostile = tmp_path / "<script>.yaml"
    hostile.write_text("need: process\n")
    page = invoke(str(hostile), "--vary", "need=service", "--format", "html").output
    assert page.startswith("<!DOCTYPE html>") and "<script>" not in page and "&lt;script&gt;" in page
    assert "http://" not in page and "https://" not in page and "From A to B" in page
