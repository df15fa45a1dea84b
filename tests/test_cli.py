"""The command line through Click's CliRunner: consult, questions, rules, bad input."""

import json
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner
from strategies import KB

from sourcing.cli.main import cli

PROCESS = {
    "need": "process",
    "work_domain": "business_operations",
    "daily_control": "outcomes_only",
    "process_stability": "stable",
    "governance_capability": "mature",
}


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
    done = subprocess.run([sys.executable, "-m", "sourcing", "--version"], capture_output=True, text=True)
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
    assert "explanation" not in data
    assert (
        consult_json(run, "--answers", answers_file(PROCESS), "--explain")["explanation"]["label"]
        == "finding recommended_model = bpo"
    )


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
    assert {"MAT-002", "REQ-BPO-001", "REC-005"} <= {step["rule"] for step in data["trace"]}


def test_unquoted_yes_is_accepted(run, answers_file):
    data = consult_json(run, "--answers", answers_file("need: capacity\nredesign_expected: yes\n"))
    assert data["answers"]["redesign_expected"] == "yes"
    assert "VETO-SA-001" in [step["rule"] for step in data["trace"]]


def test_text_output_sections(run, answers_file):
    result = run("consult", "--no-input", "--answers", answers_file(PROCESS))
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("BPO (")
    for heading in ("Why", "What would change it", "To confirm", "Pricing", "Responsibility"):
        assert f"\n{heading}\n" in out, heading
    assert "Reasoning trace" not in out and "Explanation" not in out and "[EV-BPO-001]" in out
    assert "\x1b[" not in out, "colour codes outside a terminal"
    detailed = run("consult", "--no-input", "--trace", "--explain", "--answers", answers_file(PROCESS)).output
    assert "\nReasoning trace\n" in detailed and "\nExplanation\n" in detailed and "<- REC-004" in detailed
    quiet = run("consult", "--no-input", "--no-trace", "--answers", answers_file(PROCESS)).output
    assert quiet == out, "--no-trace is accepted for older scripts and changes nothing"


def test_warnings_and_gaps_are_shown(run):
    result = run(
        "consult", "--no-input", "--set", "need=service", "--set", "daily_control=tight", "--set", "scope_clarity=fluid"
    )
    assert "Before you sign" in result.output and "[WRN-SA-002]" in result.output
    stabilise = run("consult", "--no-input", "--set", "process_stability=chaotic")
    assert "Stabilise first" in stabilise.output and "Before you sign" in stabilise.output


def test_markdown_output(run, answers_file):
    out = run("consult", "--no-input", "--format", "markdown", "--answers", answers_file(PROCESS)).output
    assert out.startswith("# Sourcing recommendation\n")
    assert "## Why" in out and "## Answers" in out and "| question" in out and "```text" not in out
    assert (
        "```text"
        in run("consult", "--no-input", "--format", "markdown", "--trace", "--answers", answers_file(PROCESS)).output
    )


def test_colour_only_when_allowed(run, monkeypatch):
    monkeypatch.setattr("sourcing.cli.session.colour_enabled", lambda stream=None: True)
    coloured = run("consult", "--no-input", "--set", "need=capacity").output
    assert "\x1b[" in coloured


def test_no_color_disables_colour(monkeypatch):
    from sourcing.cli import session

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
    assert [r["id"] for r in json.loads(only)] == [f"REC-00{n}" for n in range(1, 8)]
    shown = run("rules", "show", "VETO-SA-004").output
    assert "IF   finding control_retention is outcomes_only or finding close_supervision is none" in shown
    assert "THEN veto staff_augmentation (the wrong fit: never recommended)" in shown
    assert "source: Where staff augmentation is the wrong choice" in shown
    assert "see also: TechTarget's BPO definition" in run("rules", "show", "EV-BPO-001").output


@pytest.mark.parametrize(
    "args, message",
    [
        (("rules", "show", "EV-SA-1"), "error: rules show: no rule 'EV-SA-1'; did you mean: "),
        (("rules", "list", "--layer", "magic"), "error: --layer: 'magic' is not a layer; allowed: "),
        (("consult", "--no-input", "--set", "colour=blue"), "error: --set: colour: is not a question; allowed: need, "),
        (
            ("consult", "--no-input", "--set", "need=lots"),
            "error: --set: need: 'lots' is not allowed; allowed: capacity, skills, service, process, unknown",
        ),
        (("consult", "--no-input", "--set", "need"), "error: --set: 'need' is not QUESTION=VALUE"),
        (
            ("consult", "--no-input", "--answers", "/nonexistent/answers.yaml"),
            "error: /nonexistent/answers.yaml: no such file",
        ),
    ],
)
def test_bad_arguments_exit_2_with_one_line(run, args, message):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 2
    assert result.output.startswith(message), result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


@pytest.mark.parametrize(
    "content, message",
    [
        ("colour: blue\n", "colour: is not a question; allowed: need, work_domain"),
        ("need: lots\n", "need: 'lots' is not allowed; allowed: capacity, skills, service, process, unknown"),
        ("need: [capacity]\n", "need: expected one value, got a list; allowed: capacity"),
        ("need: 3\n", "need: expected one value, got a number; allowed: capacity"),
        ("- need\n", "expected a mapping of question id to value, got a list"),
        ("need: capacity\nneed: skills\n", "malformed YAML/JSON: line 2: duplicate key 'need'"),
        ("need: [capacity\n", "malformed YAML/JSON: line 2"),
        ('{"need": "capacity",,}', "malformed YAML/JSON: line 1: "),
        ("", "file is empty; expected a mapping of question id to value"),
        ("# only a comment\n", "file is empty"),
        ("!!python/object/apply:os.system ['echo hacked']\n", "YAML tags that construct objects are not allowed"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary data, expected UTF-8 YAML or JSON text"),
        (b"need: caf\xe9\n", "not UTF-8 text"),
    ],
)
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


def test_interactive_consultation_with_unknown_and_numbers(run, tmp_path):
    saved = tmp_path / "saved.yaml"
    typed = "process\nbusiness_operations\n2\nunknown\n" + "\n".join(["1"] * 14) + "\n"
    result = run("consult", "--no-trace", "--save-answers", str(saved), input=typed)
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"[1/{len(KB.questions)}] What do you mainly want from a provider?" in out
    answers = yaml.safe_load(saved.read_text())
    assert answers["need"] == "process" and answers["work_domain"] == "business_operations"
    assert "unknown" in answers.values()
    skipped = [line for line in out.splitlines() if line.startswith("Skipped")]
    if skipped:
        assert not set(skipped[0].split(": ", 1)[1].split(", ")) & set(answers)
    assert "\nWhy\n" in out and "\nResponsibility\n" in out


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
    assert again.exit_code == 130 and "To go on: sourcing consult --set need=capacity" in again.output
    assert "use --no-input to never prompt" in again.output
    assert "Traceback" not in again.output


def test_saved_answers_can_be_read_back(run, tmp_path):
    saved = tmp_path / "saved.yaml"
    run("consult", "--no-input", "--set", "redesign_expected=yes", "--set", "need=skills", "--save-answers", str(saved))
    data = consult_json(run, "--answers", str(saved))
    assert data["answers"]["redesign_expected"] == "yes" and data["answers"]["need"] == "skills"


@pytest.mark.parametrize(
    "example, model",
    [
        ("customer-support.yaml", "bpo"),
        ("it-service-desk.json", "managed_services"),
        ("developer-capacity.yaml", "staff_augmentation"),
        ("messy-claims.yaml", "stabilize_first"),
    ],
)
def test_the_examples_give_the_advice_they_describe(example, model):
    from conftest import REPO

    data = (
        CliRunner()
        .invoke(cli, ["consult", "--no-input", "--format", "json", "--answers", str(REPO / "examples" / example)])
        .output
    )
    assert json.loads(data)["recommendation"]["model"] == model


def test_a_closed_pipe_ends_quietly():
    process = subprocess.Popen(
        [sys.executable, "-m", "sourcing", "consult", "--no-input", "--set", "need=process"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
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
    from sourcing.cli.main import COMMANDS

    for name, (_, short) in COMMANDS.items():
        command = cli.get_command(None, name)
        assert command.name == name
        assert command.get_short_help_str(limit=1000) == short


def test_help_does_not_load_the_engine_or_the_knowledge():
    code = (
        "import sys; from click.testing import CliRunner; from sourcing.cli.main import cli; "
        "CliRunner().invoke(cli, ['--help']); "
        "assert not {'experta', 'sourcing.expert.loader', 'yaml', 'tabulate'} & set(sys.modules), sorted(sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# -- the interview's help, why, back and prefixes ------------------------------


def squeezed(text):
    return " ".join(text.split())


def test_help_shows_the_purpose_and_an_example_of_each_value(run, kb):
    done = run("consult", input="?\n")
    need = kb.question("need")
    assert need.purpose and squeezed(need.purpose) in squeezed(done.stderr)
    for value in need.values:
        assert need.example_for(value) and squeezed(need.example_for(value)) in squeezed(done.stderr)


def test_every_shipped_question_has_a_purpose_and_an_example_per_value(kb):
    for question in kb.questions:
        assert question.purpose, question.id
        assert [v for v, _ in question.examples] == list(question.values), question.id


def test_why_names_the_deciding_rules_in_words(run, advisor):
    from sourcing.expert.interview import Interview

    given = {"need": "process"}
    question = Interview(advisor, given).next_question()
    done = run("consult", "--set", "need=process", input="why\n")
    why = done.stderr.split("Asked because", 1)[1].split("Answer (", 1)[0]
    deciding = advisor.foresight.deciding_rules(given, question.id)
    assert deciding and f"through {len(deciding)} rule(s)" in why
    for rule in deciding:
        assert rule.title in why and rule.id in why
    for rule in advisor.foresight.waiting_rules(given, question.id):
        if rule not in deciding:
            assert rule.id not in why, f"{rule.id} reads {question.id} but cannot change the advice now"
    assert "THEN" not in why and "finding " not in why and "evidence " not in why


def test_back_changes_the_previous_answer_and_again_the_one_before(run, kb, tmp_path):
    saved = tmp_path / "answers.yaml"
    need = kb.question("need")
    done = run("consult", "--save-answers", str(saved), input="back\n1\nback\n2\n")
    assert "no earlier answer to change" in done.stderr
    assert done.stderr.count(need.prompt) == 2 and f"Back to 'need' (it was {need.values[0]})" in done.stderr
    assert yaml.safe_load(saved.read_text())["need"] == need.values[1]
    second = run("consult", "--save-answers", str(saved), input="1\n1\nback\nback\n3\n")
    assert second.stderr.count(need.prompt) == 2
    assert yaml.safe_load(saved.read_text()) == {"need": need.values[2]}


def test_a_unique_prefix_is_an_answer_and_an_ambiguous_one_is_explained(run, advisor, tmp_path):
    from sourcing.expert.interview import Interview

    saved = tmp_path / "answers.yaml"
    interview = Interview(advisor)
    while (question := interview.next_question()).id != "daily_control":  # reach the control question
        interview.answer(question.id, question.values[-1])
    flags = [word for q, v in interview.answers.items() for word in ("--set", f"{q}={v}")]
    done = run("consult", *flags, "--save-answers", str(saved), input="outcomes\n")
    assert yaml.safe_load(saved.read_text())["daily_control"] == "outcomes_only"
    ambiguous = run("consult", "--save-answers", str(saved), input="s\nproc\n")
    assert "'s' could be skills or service; type more of it" in ambiguous.stderr
    assert yaml.safe_load(saved.read_text())["need"] == "process"
    assert done.exit_code == ambiguous.exit_code == 130


def resume_command(stderr):
    """The arguments of the 'To go on:' command an interrupted interview suggests (without 'sourcing')."""
    import shlex

    line = next(line for line in stderr.splitlines() if "To go on: " in line)
    words = shlex.split(line.split("To go on: ", 1)[1])
    assert words[0] == "sourcing"
    return words[1:]


def test_an_interruption_names_the_resume_command_that_goes_on(tmp_path):
    saved, ext = tmp_path / "kept answers.yaml", tmp_path / "ext"
    ext.mkdir()
    first = CliRunner().invoke(
        cli, ["consult", "--kb", str(ext), "--no-trace", "--save-answers", str(saved)], input="1\n1\n"
    )
    assert first.exit_code == 130
    command = resume_command(first.stderr)
    assert command == ["--kb", str(ext), "consult", "--no-trace", "--resume", str(saved)]
    resumed = CliRunner().invoke(cli, command + ["--format", "json"], input="1\n" * 40)
    assert resumed.exit_code == 0, resumed.output
    assert f"2 answer(s) kept in {saved}" in resumed.stderr and "numbers skip" in resumed.stderr
    whole = CliRunner().invoke(cli, ["consult", "--format", "json"], input="1\n" * 40)
    assert json.loads(resumed.stdout)["answers"] == json.loads(whole.stdout)["answers"]


def test_an_interruption_without_a_file_names_the_set_options(tmp_path):
    first = CliRunner().invoke(cli, ["consult", "--format", "json"], input="1\n1\n")
    command = resume_command(first.stderr)
    again = CliRunner().invoke(cli, command, input="1\n" * 40)
    whole = CliRunner().invoke(cli, ["consult", "--format", "json"], input="1\n" * 40)
    assert command[:3] == ["consult", "--format", "json"] and command.count("--set") == 2
    assert json.loads(again.stdout)["answers"] == json.loads(whole.stdout)["answers"]


# -- small traps ------------------------------------------------------------------


def leaf_commands(command, path=()):
    for name, sub in getattr(command, "commands", {}).items():
        yield from leaf_commands(sub, path + (name,))
    if not hasattr(command, "commands"):
        yield path, command


def test_every_command_takes_the_knowledge_options_after_its_name():
    from sourcing.cli.main import COMMANDS

    commands = [leaf for name in COMMANDS for leaf in leaf_commands(cli.get_command(None, name), (name,))]
    assert len(commands) > len(COMMANDS)
    for path, command in commands:
        options = {opt for param in command.params for opt in param.opts}
        assert {"--kb", "--knowledge"} <= options, path


EXTRA_QUESTION = """\
questions:
  - id: sector
    prompt: Which sector?
    values:
      public: the public sector
      private: a company
"""


@pytest.mark.parametrize(
    "args",
    [
        ("questions",),
        ("consult", "--no-input", "--format", "json", "--set", "sector=public"),
    ],
)
def test_kb_before_or_after_the_command_name_is_the_same(tmp_path, args):
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / "questions.yaml").write_text(EXTRA_QUESTION)
    before = CliRunner().invoke(cli, ["--kb", str(ext), *args])
    after = CliRunner().invoke(cli, [args[0], "--kb", str(ext), *args[1:]])
    assert before.exit_code == after.exit_code == 0, after.output
    assert before.output == after.output and "sector" in after.output
    knowledge = CliRunner().invoke(cli, [args[0], "--knowledge", str(tmp_path / "none"), *args[1:]])
    assert knowledge.exit_code == 2 and "none: is not a knowledge directory" in knowledge.output


def test_the_same_extension_before_after_and_in_the_environment_is_loaded_once(tmp_path):
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / "questions.yaml").write_text(EXTRA_QUESTION)
    done = CliRunner().invoke(
        cli, ["--kb", str(ext), "questions", "--kb", f"{ext}/", "--format", "json"], env={"SOURCING_KB": str(ext)}
    )
    assert done.exit_code == 0, done.output
    assert [q["id"] for q in json.loads(done.output)].count("sector") == 1


def test_new_rule_creates_the_missing_folders(tmp_path):
    path = tmp_path / "my-ext" / "rules" / "50-mine.yaml"
    done = CliRunner().invoke(cli, ["kb", "new-rule", str(path)])
    assert done.exit_code == 0 and path.exists()
    assert f"--kb {tmp_path / 'my-ext'} kb lint" in done.stderr
    blocked = CliRunner().invoke(cli, ["kb", "new-rule", str(path / "below.yaml")])
    assert blocked.exit_code == 2 and blocked.output.count("\n") == 1 and "cannot create the folder" in blocked.output


MISSPELT_RULE = """\
rules:
  - id: EXT-001
    title: A rule with a typo
    layer: evidence
    rationale: A test.
    source: a test
    when:
      answer: need
      is: process
    then:
      - evidence: bpo
        weigth: 1
  - id: EXT-002
    titel: Another
    layer: evidence
    rationale: A test.
    source: a test
    then:
      - evidence: bpo
        weight: 1
  - id: EXT-003
    title: A third
    layer: evidence
    rationale: A test.
    source: a test
    when:
      answr: need
      is: process
    then:
      - evidnce: bpo
        weight: 1
"""


def test_an_unknown_key_is_named_with_the_closest_allowed_key(tmp_path, answers_file):
    ext = tmp_path / "ext"
    (ext / "rules").mkdir(parents=True)
    (ext / "rules" / "50-typo.yaml").write_text(MISSPELT_RULE)
    (ext / "questions.yaml").write_text(EXTRA_QUESTION + "    purpse: Why we ask.\n")
    done = CliRunner().invoke(cli, ["consult", "--kb", str(ext), "--no-input"])
    assert done.exit_code == 2 and "Traceback" not in done.output
    assert "unknown key 'weigth' (did you mean 'weight'?)" in done.output
    assert "unknown key 'titel' (did you mean 'title'?)" in done.output
    assert "unknown key 'purpse' (did you mean 'purpose'?)" in done.output
    assert "unknown key 'answr' (did you mean 'answer'?)" in done.output
    assert "unknown key 'evidnce' (did you mean 'evidence'?)" in done.output
    typo = CliRunner().invoke(cli, ["consult", "--no-input", "--answers", answers_file("nede: process\n")])
    assert typo.exit_code == 2 and typo.output.count("\n") == 1
    assert "nede: is not a question (did you mean 'need'?)" in typo.output


@pytest.mark.parametrize(
    "spelling", ["stabilise_first", "stabilize_first", "Stabilise first", "stabilize-first", "stab"]
)
def test_model_names_accept_either_spelling_and_a_unique_prefix(run, spelling):
    expected = run("why-not", "stabilize_first", "--set", "need=process", "--format", "json")
    done = run("why-not", spelling, "--set", "need=process", "--format", "json")
    assert done.exit_code == expected.exit_code == 0 and done.output == expected.output


@pytest.mark.parametrize(
    "spelling, message",
    [
        ("s", "error: MODEL: 's' could be staff_augmentation or stabilize_first; type more of it"),
        ("bop", "error: MODEL: 'bop' is not a model (did you mean 'bpo'?); allowed: "),
    ],
)
def test_a_model_name_that_names_no_single_model_is_one_clear_line(spelling, message):
    done = CliRunner().invoke(cli, ["why-not", spelling, "--set", "need=process"])
    assert done.exit_code == 2 and done.output.startswith(message) and done.output.count("\n") == 1


def test_every_model_is_named_by_its_id_its_label_and_a_unique_prefix(kb):
    from sourcing.expert.names import model_id

    for model in kb.all_models:
        assert model_id(kb, model.id) == model_id(kb, model.label) == model_id(kb, model.id.upper()) == model.id
        others = [m.id for m in kb.all_models if m != model]
        prefix = next(
            model.id[:n] for n in range(1, len(model.id) + 1) if not any(o.startswith(model.id[:n]) for o in others)
        )
        assert model_id(kb, prefix) == model.id


def test_explore_why_not_takes_the_same_model_names(run):
    done = run("consult", "--no-input", "--set", "need=process", "--explore", input="why-not stabilise\n")
    assert done.exit_code == 0 and "is not a model" not in done.stderr and "Why not" in done.stderr


def test_explain_opens_with_the_advice_in_words(run, kb, tmp_path):
    record = tmp_path / "record.json"
    run("consult", "--no-input", "--set", "need=process", "--audit", str(record))
    from sourcing.expert import audit as records

    first = run("explain", str(record)).output.splitlines()[0]
    model = records.read(str(record), kb).result.recommendation
    assert first.startswith(kb.model(model).label if model else "No recommendation"), first
    digest = kb.fingerprint.split(":")[-1]
    assert digest[:12] in first and digest not in first
