"""The knowledge engineer's toolkit: extensions, kb lint, kb test, kb graph, kb new-rule."""

import json
import shutil
import textwrap

import pytest
import yaml
from click.testing import CliRunner
from conftest import REPO
from test_loader import GOOD_RULE, make_kb

from sourcing import knowledge
from sourcing.cli.main import cli
from sourcing.expert import KnowledgeError, load, scenarios
from sourcing.expert.lint import lint


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def extension(tmp_path, rules=None, questions=None, scenarios=None, name="ext"):
    """An extension directory with the given YAML texts."""
    root = tmp_path / name
    for sub, text in (("rules/rules.yaml", rules), ("questions.yaml", questions), ("scenarios/cases.yaml", scenarios)):
        if text is not None:
            (root / sub).parent.mkdir(parents=True, exist_ok=True)
            (root / sub).write_text(textwrap.dedent(text))
    root.mkdir(exist_ok=True)
    return root


EXTRA_RULE = """\
    rules:
      - id: EXT-001
        title: Process buyers should check for regulation
        layer: consequences
        rationale: A test.
        source: "companion:when-not-to-outsource-a-business-process"
        when:
          answer: need
          is: process
        then:
          - note: regulation
            text: Check whether a regulator judges how this work is controlled.
"""


def problems_of(*extensions):
    with pytest.raises(KnowledgeError) as caught:
        load(None, extensions)
    return "\n".join(str(p) for p in caught.value.problems)


# -- extensions -----------------------------------------------------------------


def test_an_extension_adds_rules_after_the_shipped_ones(tmp_path):
    kb = load(None, [extension(tmp_path, rules=EXTRA_RULE)])
    assert kb.rules[-1].id == "EXT-001" and kb.rules[-1].file == "ext/rules/rules.yaml"
    assert kb.fingerprint != load().fingerprint
    assert kb.sources[1].endswith("ext")


def test_a_shipped_id_needs_replaces_or_disables(tmp_path):
    text = problems_of(extension(tmp_path, rules=EXTRA_RULE.replace("EXT-001", "EV-SA-001")))
    assert "ext/rules/rules.yaml:2: EV-SA-001: duplicate rule id (first defined at knowledge/rules/" in text
    assert "say 'replaces: EV-SA-001' or 'disables: EV-SA-001'" in text


def test_replaces_keeps_the_position_and_disables_removes(tmp_path):
    rules = EXTRA_RULE.replace(
        "  - id: EXT-001\n", "  - id: EXT-001\n        replaces: EV-BPO-001\n        disables: [EV-SA-001, EV-SA-002]\n"
    )
    kb = load(None, [extension(tmp_path, rules=rules)])
    shipped = load()
    assert kb.rules[shipped.rule("EV-BPO-001").position - 2].id == "EXT-001"
    assert not {"EV-BPO-001", "EV-SA-001", "EV-SA-002"} & set(kb.titles)


def test_replaces_and_disables_must_name_an_earlier_rule(tmp_path):
    rules = (
        EXTRA_RULE.replace("  - id: EXT-001\n", "  - id: EXT-001\n        replaces: NOPE-1\n")
        + """\
      - id: EXT-002
        title: off
        rationale: A test.
        source: "x > y"
        disables: NOPE-2
      - id: EXT-003
        title: off, but says nothing of why
        disables: EV-SA-001
    """
    )
    text = problems_of(extension(tmp_path, rules=rules))
    assert "EXT-001: 'replaces: NOPE-1' names no rule defined before this one" in text
    assert "EXT-002: 'disables: NOPE-2' names no rule defined before this one" in text
    assert "EXT-003: missing 'rationale' (a disabling entry says who and why)" in text


def test_only_extensions_may_replace(tmp_path):
    with pytest.raises(KnowledgeError, match=r"unknown key 'replaces' \(only in an extension directory"):
        load(make_kb(tmp_path, "rules:" + GOOD_RULE.replace("    title:", "    replaces: X\n    title:", 1)))


def test_extension_questions_are_added_and_must_be_new(tmp_path):
    questions = """\
        questions:
          - id: regulated_work
            prompt: Regulated?
            values: {"yes": regulated, "no": not regulated}
    """
    kb = load(None, [extension(tmp_path, questions=questions)])
    assert kb.questions[-1].id == "regulated_work" and kb.question("regulated_work").values == ("yes", "no")
    clash = questions.replace("regulated_work", "need")
    assert "ext2/questions.yaml:2: need: duplicate question id" in problems_of(
        extension(tmp_path, questions=clash, name="ext2")
    )


def test_a_broken_extension_is_refused_and_nothing_else_stops(tmp_path):
    broken = extension(
        tmp_path,
        rules=EXTRA_RULE.replace("layer: consequences", "layer: evidence").replace("is: process", "is: proces"),
    )
    done = invoke("--kb", str(broken), "consult", "--no-input")
    assert done.exit_code == 2
    assert done.output.strip().splitlines() == [
        "ext/rules/rules.yaml:8: EXT-001: question 'need' has no value 'proces'; allowed: "
        "capacity, skills, service, process, unknown",
        "ext/rules/rules.yaml:11: EXT-001: the evidence layer cannot assert 'note'; allowed: evidence",
        "error: the knowledge base has 2 problem(s); nothing was run",
    ]
    assert invoke("consult", "--no-input", "--set", "need=process").exit_code == 0


def test_the_environment_variable_adds_extensions(tmp_path):
    ext = extension(tmp_path, rules=EXTRA_RULE)
    done = invoke("rules", "show", "EXT-001", env={"SOURCING_KB": str(ext)})
    assert done.exit_code == 0 and "Process buyers should check for regulation" in done.output
    assert invoke("--kb", str(tmp_path / "missing"), "questions").output.endswith(
        "missing: is not a knowledge directory\nerror: the knowledge base has 1 problem(s); nothing was run\n"
    )


def test_a_file_outside_the_extension_is_refused(tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(textwrap.dedent(EXTRA_RULE))
    ext = extension(tmp_path)
    (ext / "rules").mkdir()
    (ext / "rules" / "linked.yaml").symlink_to(outside)
    assert "ext/rules/linked.yaml: points outside its knowledge directory; refused" in problems_of(ext)


def test_an_audit_record_names_its_extensions(tmp_path):
    ext = extension(tmp_path, rules=EXTRA_RULE)
    record = tmp_path / "r.json"
    assert (
        invoke("--kb", str(ext), "consult", "--no-input", "--set", "need=process", "--audit", str(record)).exit_code
        == 0
    )
    data = json.loads(record.read_text())
    assert data["knowledge_base"]["extensions"] == ["ext"]
    assert data["knowledge_base"]["fingerprint"] == load(None, [ext]).fingerprint
    assert invoke("--kb", str(ext), "replay", str(record)).exit_code == 0
    assert invoke("replay", str(record)).exit_code == 1  # without it, EXT-001 is gone and the scores differ


# -- kb lint --------------------------------------------------------------------


def test_the_shipped_knowledge_base_lints_clean():
    done = invoke("kb", "lint", "--samples", "3000", "--seed", "7")
    assert done.exit_code == 0, done.output
    assert "sampled: 3,000 of 13,589,544,960 answer sets, seed 7" in done.output
    assert "every answer set gives exactly one recommended model" in done.output
    report = json.loads(invoke("kb", "lint", "--samples", "500", "--format", "json").output)
    assert report["ok"] and report["completeness"]["method"] == "sampled"
    assert report["completeness"]["answer_sets"] == 500 and report["counts"]["error"] == 0


FLAWED_QUESTIONS = """\
    questions:
      - id: q1
        prompt: One?
        values: {a: a, b: b}
      - id: q2
        prompt: Two?
        values: {x: x, y: y}
      - id: q3
        prompt: Three?
        values: {p: p}
"""


def flawed_rule(rule_id, layer, when, then):
    return {
        "id": rule_id,
        "title": rule_id,
        "layer": layer,
        "rationale": "A test.",
        "source": "x > y",
        "when": when,
        "then": then,
    }


FLAWED_RULES = [
    flawed_rule("F-1", "findings", {"answer": "q1", "is": "a"}, [{"finding": "f", "value": "yes"}]),
    flawed_rule("F-2", "findings", {"answer": "q1", "is": "a"}, [{"finding": "f", "value": "no"}]),
    flawed_rule("F-3", "findings", {"answer": "q1", "is": "a"}, [{"finding": "f", "value": "yes"}]),
    flawed_rule("U-1", "findings", {"answer": "q1", "is": "b"}, [{"finding": "unused", "value": "yes"}]),
    flawed_rule("C-1", "readiness", {"finding": "g"}, [{"finding": "h", "value": "yes"}]),
    flawed_rule("C-2", "readiness", {"finding": "h"}, [{"finding": "g", "value": "yes"}]),
    flawed_rule(
        "D-1",
        "readiness",
        {"all": [{"finding": "f", "is": "yes"}, {"not": {"finding": "f"}}]},
        [{"finding": "d", "value": "yes"}],
    ),
    flawed_rule("E-1", "evidence", {"finding": "f", "is": "no"}, [{"evidence": "bpo", "weight": 1}]),
    {
        "id": "S-1",
        "title": "score",
        "layer": "scoring",
        "rationale": "A test.",
        "source": "x > y",
        "then": [{"score": "evidence"}],
    },
    flawed_rule("R-1", "recommendation", {"answer": "q2", "is": "x"}, [{"recommend": "bpo"}]),
    flawed_rule("R-2", "recommendation", {"answer": "q2", "is": "x"}, [{"recommend": "managed_services"}]),
    flawed_rule("N-1", "consequences", {"all": [{"finding": "h"}, {"finding": "d"}]}, [{"note": "n", "text": "never"}]),
]


@pytest.fixture
def flawed(tmp_path):
    root = tmp_path / "flawed"
    (root / "rules").mkdir(parents=True)
    shutil.copy(knowledge.directory() / "models.yaml", root / "models.yaml")
    (root / "questions.yaml").write_text(textwrap.dedent(FLAWED_QUESTIONS))
    (root / "rules" / "rules.yaml").write_text(yaml.safe_dump({"rules": FLAWED_RULES}, sort_keys=False))
    return root


def test_lint_finds_every_kind_of_flaw(flawed):
    report = lint(load(flawed))
    assert report.exhaustive and report.space == 3 * 3 * 2 == report.runs and report.seed is None
    found = {(i.code, i.rule) for i in report.issues}
    assert {("KB101", "C-1"), ("KB101", "C-2"), ("KB101", "D-1"), ("KB101", "N-1")} <= found
    assert ("KB102", "C-1") in found
    assert ("KB105", "R-2") in found and ("KB203", "F-2") in found and ("KB204", "F-3") in found
    assert ("KB201", None) in found and ("KB202", "U-1") in found
    assert not any(code == "KB106" and rule in ("C-1", "C-2", "D-1", "N-1") for code, rule in found)
    by_code = {i.code: i for i in report.issues}
    assert by_code["KB103"].message.startswith("12 of all 18 answer sets give no recommended model")
    assert by_code["KB103"].example["q2"] != "x"
    assert by_code["KB104"].example["q2"] == "x"
    assert "D-1" in [i.rule for i in report.issues if "contradict each other" in i.message]
    cycle = next(i for i in report.issues if i.code == "KB102")
    assert cycle.message == "cycle through findings: C-1 -> C-2 -> C-1"


def test_lint_exits_1_and_prints_counter_examples(flawed):
    done = invoke("--knowledge", str(flawed), "kb", "lint")
    assert done.exit_code == 1
    assert "exhaustive: all 18 answer sets run" in done.output
    assert "KB104 counter-example: sourcing consult --no-input --set q1=a --set q2=x" in done.output
    data = json.loads(invoke("--knowledge", str(flawed), "kb", "lint", "--format", "json").output)
    assert not data["ok"] and data["completeness"]["method"] == "exhaustive"
    assert {"code", "severity", "location", "rule", "message"} <= set(data["issues"][0])
    assert all(i["location"].startswith("flawed/") for i in data["issues"] if i["rule"])


# -- kb test --------------------------------------------------------------------


def test_kb_test_passes_with_full_coverage():
    done = invoke("kb", "test", "--min-coverage", "100")
    assert done.exit_code == 0, done.output
    count = len(scenarios.load(load()))
    assert f"{count} passed, 0 failed." in done.output
    rules = len(load().rules)
    assert f"Rule coverage: {rules}/{rules} rules fired in at least one scenario (100.0%)." in done.output


SCENARIO = """\
    scenarios:
      - id: EXT-S1
        title: A process buyer
        source: "companion:when-not-to-outsource-a-business-process"
        answers: {need: process, daily_control: outcomes_only}
        expect:
          model: {model}
          fires: [EXT-001]
"""


def test_kb_test_reports_failures_and_coverage_below_the_minimum(tmp_path):
    never = EXTRA_RULE.replace("answer: need", "answer: regulated_work").replace("is: process", 'is: "yes"')
    ext = extension(
        tmp_path,
        rules=never,
        scenarios=SCENARIO.replace("{model}", "staff_augmentation"),
        questions='questions: [{id: regulated_work, prompt: Regulated?, values: {"yes": y, "no": n}}]',
    )
    done = invoke("--kb", str(ext), "kb", "test", "--min-coverage", "100")
    assert done.exit_code == 1
    assert "EXT-S1" in done.output and "FAIL" in done.output and "rule EXT-001 did not" in done.output
    assert "Never fired: EXT-001" in done.output
    assert "is below --min-coverage 100%" in done.output
    report = json.loads(invoke("--kb", str(ext), "kb", "test", "--format", "json").output)
    assert report["coverage"]["never_fired"] == ["EXT-001"]
    assert [s["id"] for s in report["scenarios"] if not s["passed"]] == ["EXT-S1"]


def test_an_extension_scenario_for_an_extension_rule_passes(tmp_path):
    model = invoke(
        "consult", "--no-input", "--set", "need=process", "--set", "daily_control=outcomes_only", "--format", "json"
    ).output
    ext = extension(
        tmp_path, rules=EXTRA_RULE, scenarios=SCENARIO.replace("{model}", json.loads(model)["recommendation"]["model"])
    )
    done = invoke("--kb", str(ext), "kb", "test", "--min-coverage", "100")
    assert done.exit_code == 0, done.output
    assert f"{len(scenarios.load(load())) + 1} passed, 0 failed." in done.output


def test_bad_scenario_files_are_reported_with_lines(tmp_path):
    ext = extension(tmp_path, scenarios=SCENARIO.replace("{model}", "outsourcing"))
    done = invoke("--kb", str(ext), "kb", "test")
    assert done.exit_code == 2
    assert "ext/scenarios/cases.yaml:2: EXT-S1: unknown model outsourcing; allowed: staff_augmentation" in done.output


# -- kb graph and kb new-rule ----------------------------------------------------


def test_kb_graph_formats():
    text = invoke("kb", "graph").output
    assert "ROL-001\n  <- question:need\n  -> finding:provider_role = people" in text
    dot = invoke("kb", "graph", "--format", "dot").output
    assert dot.startswith("digraph knowledge {") and "shape=component" in dot and "style=dashed" in dot
    data = json.loads(invoke("kb", "graph", "--format", "json").output)
    edges = {(e["from"], e["to"], e["label"], e["negated"]) for e in data["edges"]}
    assert ("question:need", "rule:ROL-001", "reads", False) in edges
    assert ("finding:blocked", "rule:REC-002", "tests", True) in edges
    assert ("rule:EV-SA-001", "evidence:staff_augmentation", "+4", False) in edges


@pytest.mark.parametrize("layer", ["findings", "readiness", "evidence", "consequences"])
def test_a_new_rule_skeleton_is_valid_as_it_stands(tmp_path, layer):
    ext = extension(tmp_path)
    (ext / "rules").mkdir()
    path = ext / "rules" / "new.yaml"
    done = invoke("kb", "new-rule", str(path), "--layer", layer, "--id", "NEW-001")
    assert done.exit_code == 0 and path.read_text().startswith("# A rule file")
    assert load(None, [ext]).rules[-1].id == "NEW-001"
    assert invoke("--kb", str(ext), "kb", "lint", "--samples", "300").exit_code == 0
    again = invoke("kb", "new-rule", str(path))
    assert again.exit_code == 2 and "already exists; use --force" in again.output
    assert invoke("kb", "new-rule", str(path), "--force", "--id", "NEW-002").exit_code == 0
    assert "NEW-002" in path.read_text()


def test_new_rule_prints_to_standard_output():
    out = invoke("kb", "new-rule").output
    assert "id: EXT-001" in out and "layer: evidence" in out and "replaces:" in out


def test_the_guide_and_reference_exist():
    guide = (REPO / "docs" / "knowledge-engineering.md").read_text()
    for code in (
        "KB101",
        "KB102",
        "KB103",
        "KB104",
        "KB105",
        "KB106",
        "KB107",
        "KB201",
        "KB202",
        "KB203",
        "KB204",
        "KB205",
        "KB301",
    ):
        assert f"| {code} |" in guide


def test_new_rule_quotes_the_title_and_checks_the_id(tmp_path):
    ext = extension(tmp_path)
    (ext / "rules").mkdir()
    path = ext / "rules" / "new.yaml"
    title = 'Regulated: "yes" # not a comment'
    assert invoke("kb", "new-rule", str(path), "--title", title).exit_code == 0
    assert load(None, [ext]).rules[-1].title == title
    done = invoke("kb", "new-rule", "--id", "a b")
    assert done.exit_code == 2 and "--id: a b is not a rule id" in done.output
