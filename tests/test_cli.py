"""The command line through Click's CliRunner: consult, questions, rules, bad input."""
import json
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from cli.main import cli
from strategies import KB

PROCESS = {"need": "process", "work_domain": "business_operations", "daily_control": "outcomes_only",
           "process_stability": "stable", "governance_capability": "mature"}


@pytest.fixture
def run():
    def invoke(*args, input=None, env=None):
        return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)
    return invoke


@pytest.fixture
def answers_file(tmp_path):
    def write(content, name="answers.yaml", binary=False):
        path = tmp_path / name
        if binary:
            path.write_bytes(content)
        else:
            path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
        return str(path)
    return write


def consult_json(run, *args, input=None):
    result = run("consult", "--no-input", "--format", "json", *args, input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_version_and_help(run):
    assert run("--version").output.startswith("sourcing, version ")
    out = run("--help").output
    assert all(command in out for command in ("consult", "questions", "rules"))


def test_python_dash_m_cli_runs_the_same_command():
    done = subprocess.run([sys.executable, "-m", "cli", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("sourcing, version")


def test_json_follows_the_contract(run, answers_file):
    data = consult_json(run, "--answers", answers_file(PROCESS))
    assert data["recommendation"]["model"] == "bpo"
    assert set(data["scores"]) == {"staff_augmentation", "managed_services", "bpo"}
    assert all(isinstance(v, (int, float)) for v in data["scores"].values())
    assert data["answers"]["need"] == "process" and data["answers"]["urgency"] == "unknown"
    assert len(data["answers"]) == len(KB.questions)
    assert [step["step"] for step in data["trace"]] == list(range(1, len(data["trace"]) + 1))
    for step in data["trace"]:
        assert {"rule", "matched", "asserted"} <= set(step)
    assert data["responsibility"]["process_management"] == "provider"
    assert {p["structure"] for p in data["pricing"]} == {"fte", "transaction_based", "hybrid", "sla_linked"}
    assert data["explanation"]["label"] == "finding recommended_model = bpo"


def test_json_answers_file_and_stdin(run, answers_file):
    path = answers_file(json.dumps(PROCESS), name="answers.json")
    assert consult_json(run, "--answers", path)["recommendation"]["model"] == "bpo"
    data = consult_json(run, "--answers", "-", input=json.dumps(PROCESS))
    assert data["recommendation"]["model"] == "bpo"
    result = run("consult", "--answers", "-", "--format", "json", input=yaml.safe_dump(PROCESS))
    assert result.exit_code == 0 and json.loads(result.output)["answers"]["need"] == "process"


def test_set_overrides_the_file(run, answers_file):
    data = consult_json(run, "--answers", answers_file(PROCESS), "--set", "process_stability=chaotic")
    assert data["recommendation"]["model"] == "stabilize_first"
    assert data["answers"]["process_stability"] == "chaotic"
    assert "BLK-001" in [step["rule"] for step in data["trace"]]


def test_unquoted_yes_is_accepted(run, answers_file):
    data = consult_json(run, "--answers", answers_file("need: capacity\nredesign_expected: yes\n"))
    assert data["answers"]["redesign_expected"] == "yes"
    assert "EV-SA-010" in [step["rule"] for step in data["trace"]]


def test_text_output_sections(run, answers_file):
    result = run("consult", "--no-input", "--answers", answers_file(PROCESS))
    assert result.exit_code == 0
    out = result.output
    for heading in ("Recommendation", "Scores", "Responsibility matrix", "Pricing structures",
                    "Could not determine", "Reasoning trace", "Explanation"):
        assert f"\n{heading}\n" in "\n" + out, heading
    assert "BPO (" in out and "REC-004" in out
    assert "\x1b[" not in out, "colour codes outside a terminal"
    hidden = run("consult", "--no-input", "--no-trace", "--answers", answers_file(PROCESS)).output
    assert "Reasoning trace" not in hidden and "Explanation" in hidden


def test_warnings_and_gaps_are_shown(run):
    result = run("consult", "--no-input", "--set", "need=service", "--set", "daily_control=tight",
                 "--set", "scope_clarity=fluid")
    assert "Warnings" in result.output and "[WRN-MS-001]" in result.output
    stabilise = run("consult", "--no-input", "--set", "process_stability=chaotic")
    assert "Stabilise first" in stabilise.output and "Readiness gaps" in stabilise.output


def test_markdown_output(run, answers_file):
    out = run("consult", "--no-input", "--format", "markdown", "--answers", answers_file(PROCESS)).output
    assert out.startswith("# Sourcing recommendation\n")
    assert "## Scores" in out and "| model" in out and "```text" in out


def test_colour_only_when_allowed(run, monkeypatch):
    monkeypatch.setattr("cli.session.colour_enabled", lambda stream=None: True)
    coloured = run("consult", "--no-input", "--set", "need=capacity").output
    assert "\x1b[" in coloured


def test_no_color_disables_colour(monkeypatch):
    from cli import session

    class Tty:
        def isatty(self):
            return True
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert session.colour_enabled(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not session.colour_enabled(Tty())


def test_questions_and_rules(run):
    out = run("questions").output
    assert "need" in out and "capacity, skills, service," in out
    data = json.loads(run("questions", "--format", "json").output)
    assert [q["id"] for q in data][:2] == ["need", "work_domain"]
    listing = run("rules", "list").output
    assert "EV-SA-001" in listing and "REC-001" in listing
    only = run("rules", "list", "--layer", "recommendation", "--format", "json").output
    assert [r["id"] for r in json.loads(only)] == ["REC-001", "REC-002", "REC-003", "REC-004"]
    shown = run("rules", "show", "EV-SA-013").output
    assert "IF   finding close_supervision is not_available or finding control_retention is outcomes_only" in shown
    assert "THEN evidence -3 for staff_augmentation" in shown
    assert "source: Where staff augmentation is the wrong choice" in shown
    assert "see also: TechTarget's BPO definition" in run("rules", "show", "EV-BPO-001").output


@pytest.mark.parametrize("args, message", [
    (("rules", "show", "EV-SA-1"), "error: rules show: no rule 'EV-SA-1'; did you mean: "),
    (("rules", "list", "--layer", "magic"), "error: --layer: 'magic' is not a layer; allowed: "),
    (("consult", "--no-input", "--set", "colour=blue"), "error: --set: colour: is not a question; allowed: need, "),
    (("consult", "--no-input", "--set", "need=lots"),
     "error: --set: need: 'lots' is not allowed; allowed: capacity, skills, service, process, unknown"),
    (("consult", "--no-input", "--set", "need"), "error: --set: 'need' is not QUESTION=VALUE"),
    (("consult", "--no-input", "--answers", "/nonexistent/answers.yaml"),
     "error: /nonexistent/answers.yaml: no such file"),
])
def test_bad_arguments_exit_2_with_one_line(run, args, message):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 2
    assert result.output.startswith(message), result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


@pytest.mark.parametrize("content, message", [
    ("colour: blue\n", "colour: is not a question; allowed: need, work_domain"),
    ("need: lots\n", "need: 'lots' is not allowed; allowed: capacity, skills, service, process, unknown"),
    ("need: [capacity]\n", "need: expected one value, got a list; allowed: capacity"),
    ("need: 3\n", "need: expected one value, got a number; allowed: capacity"),
    ("- need\n", "expected a mapping of question id to value, got a list"),
    ("need: capacity\nneed: skills\n", "malformed YAML/JSON: line 2: duplicate key 'need'"),
    ("need: [capacity\n", "malformed YAML/JSON: line 2"),
    ("{\"need\": \"capacity\",,}", "malformed YAML/JSON: line 1: "),
    ("", "file is empty; expected a mapping of question id to value"),
    ("# only a comment\n", "file is empty"),
    ("!!python/object/apply:os.system ['echo hacked']\n", "YAML tags that construct objects are not allowed"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "binary data, expected UTF-8 YAML or JSON text"),
    (b"need: caf\xe9\n", "not UTF-8 text"),
])
def test_bad_answers_files_exit_2_naming_file_and_key(answers_file, content, message):
    path = answers_file(content, binary=isinstance(content, bytes))
    result = CliRunner().invoke(cli, ["consult", "--no-input", "--answers", path])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {path}: "), result.output
    assert message in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_a_directory_is_not_an_answers_file(tmp_path):
    result = CliRunner().invoke(cli, ["consult", "--no-input", "--answers", str(tmp_path)])
    assert result.exit_code == 2 and "is a directory" in result.output


# -- interactive -------------------------------------------------------------

def test_interactive_consultation_with_why_unknown_and_numbers(run, tmp_path):
    saved = tmp_path / "saved.yaml"
    typed = "process\nbusiness_operations\n?\n2\nunknown\n" + "\n".join(["1"] * 12) + "\n"
    result = run("consult", "--no-trace", "--save-answers", str(saved), input=typed)
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"[1/{len(KB.questions)}] What do you mainly want from a provider?" in out
    assert "Asked because 2 rule(s) are waiting on 'duration'" in out and "EV-SA-005" in out
    answers = yaml.safe_load(saved.read_text())
    assert answers["need"] == "process" and answers["duration"] == "ongoing"
    assert answers["daily_control"] == "unknown"
    skipped = [line for line in out.splitlines() if line.startswith("Skipped")]
    assert "urgency" not in answers and "urgency" in skipped[0], "urgency only feeds a rule about people"
    assert "Recommendation" in out


def test_settled_questions_are_skipped(run):
    result = run("consult", "--set", "process_stability=chaotic", "--no-trace", input="")
    assert result.exit_code == 0, result.output
    assert "[1/" not in result.output
    assert "Skipped (could no longer change the recommendation):" in result.output
    assert "Stabilise first" in result.output


def test_invalid_typed_answers_are_asked_again(run):
    typed = "\nlots\n9\ncapacity\n" + "\n".join(["0"] * 16) + "\n"
    result = run("consult", "--no-trace", input=typed)
    assert result.exit_code == 0, result.output
    assert "Type one of: capacity, skills, service, process, unknown" in result.output
    assert "'lots' is not allowed; type one of:" in result.output
    assert "'9' is not allowed" in result.output


def test_interrupt_keeps_the_answers(run, tmp_path):
    saved = tmp_path / "kept.yaml"
    result = CliRunner().invoke(cli, ["consult", "--save-answers", str(saved)], input="capacity\n1\n")
    assert result.exit_code == 130
    assert "Consultation interrupted; 2 answer(s) kept in" in result.output
    assert yaml.safe_load(saved.read_text()) == {"need": "capacity", "work_domain": "technology"}
    again = CliRunner().invoke(cli, ["consult"], input="capacity\n")
    assert again.exit_code == 130 and "Answers so far: --set need=capacity" in again.output
    assert "use --no-input to never prompt" in again.output
    assert "Traceback" not in again.output


def test_saved_answers_can_be_read_back(run, tmp_path):
    saved = tmp_path / "saved.yaml"
    run("consult", "--no-input", "--set", "redesign_expected=yes", "--set", "need=skills",
        "--save-answers", str(saved))
    data = consult_json(run, "--answers", str(saved))
    assert data["answers"]["redesign_expected"] == "yes" and data["answers"]["need"] == "skills"


@pytest.mark.parametrize("example, model", [
    ("customer-support.yaml", "bpo"), ("it-service-desk.json", "managed_services"),
    ("developer-capacity.yaml", "staff_augmentation"), ("messy-claims.yaml", "stabilize_first"),
])
def test_the_examples_give_the_advice_they_describe(example, model):
    from conftest import REPO
    data = CliRunner().invoke(cli, ["consult", "--no-input", "--format", "json",
                                    "--answers", str(REPO / "examples" / example)]).output
    assert json.loads(data)["recommendation"]["model"] == model


def test_a_closed_pipe_ends_quietly():
    process = subprocess.Popen([sys.executable, "-m", "cli", "consult", "--no-input", "--set", "need=process"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader goes away before the first line is written
    stderr = process.stderr.read().decode()
    assert process.wait() == 0
    assert stderr == ""


def test_interactive_prompts_go_to_stderr_so_stdout_is_the_result():
    typed = "capacity\n" + "0\n" * (len(KB.questions) - 1)
    result = CliRunner().invoke(cli, ["consult", "--format", "json"], input=typed)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["answers"]["need"] == "capacity"
    assert f"[1/{len(KB.questions)}]" in result.stderr


def test_the_command_table_matches_the_commands():
    from cli.main import COMMANDS
    for name, (_, short) in COMMANDS.items():
        command = cli.get_command(None, name)
        assert command.name == name
        assert command.get_short_help_str(limit=1000) == short


def test_help_does_not_load_the_engine_or_the_knowledge():
    code = ("import sys; from click.testing import CliRunner; from cli.main import cli; "
            "CliRunner().invoke(cli, ['--help']); "
            "assert not {'experta', 'expert.loader', 'yaml', 'tabulate'} & set(sys.modules), sorted(sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
