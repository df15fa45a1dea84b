"""Living in a shell: completion, whole help texts with exit codes, and the colour switches."""

import pytest
from click.shell_completion import ShellComplete
from click.testing import CliRunner
from conftest import REPO
from strategies import KB

from sourcing.cli.main import COMMANDS, cli

EXAMPLE = str(REPO / "examples" / "customer-support.yaml")


def completions(*words, incomplete=""):
    """What a shell would offer after ``sourcing WORDS... INCOMPLETE``."""
    complete = ShellComplete(cli, {}, "sourcing", "_SOURCING_COMPLETE")
    return [(item.value, item.type) for item in complete.get_completions(list(words), incomplete)]


def values(*words, incomplete=""):
    return [value for value, _ in completions(*words, incomplete=incomplete)]


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    path = tmp_path_factory.mktemp("record") / "record.json"
    done = CliRunner().invoke(cli, ["consult", "--answers", EXAMPLE, "--no-input", "--audit", str(path)])
    assert done.exit_code == 0, done.output
    return str(path)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_documented_completion_script_is_printed_for_each_shell(shell):
    done = CliRunner().invoke(cli, [], prog_name="sourcing", env={"_SOURCING_COMPLETE": f"{shell}_source"})
    assert done.exit_code == 0 and "_SOURCING_COMPLETE" in done.output and f"{shell}_complete" in done.output


def test_a_completion_request_from_a_shell_is_answered():
    env = {"_SOURCING_COMPLETE": "zsh_complete", "COMP_WORDS": "sourcing why-not b", "COMP_CWORD": "2"}
    done = CliRunner().invoke(cli, [], prog_name="sourcing", env=env)
    assert done.exit_code == 0 and done.output.split("\n")[:2] == ["plain", "bpo"]


@pytest.mark.parametrize(
    "words",
    [
        ["consult", "--answers"],
        ["consult", "--audit"],
        ["consult", "--save-answers"],
        ["consult", "--resume"],
        ["assess"],
        ["assess", "x.csv", "-o"],
        ["explain"],
        ["why-not", "bpo"],
        ["why-not", "bpo", "--answers"],
        ["replay"],
        ["kb", "new-rule"],
    ],
)
def test_file_arguments_complete_as_file_names(words):
    assert completions(*words, incomplete="ex") == [("ex", "file")]


def test_model_ids_complete_after_why_not():
    assert values("why-not") == [model.id for model in KB.all_models]
    assert values("why-not", incomplete="man") == ["managed_services"]


def test_rule_ids_complete_after_rules_show():
    assert values("rules", "show") == [rule.id for rule in KB.rules]
    prefix = KB.rules[0].id[:3]
    assert values("rules", "show", incomplete=prefix) == [r.id for r in KB.rules if r.id.startswith(prefix)]


def test_set_completes_question_ids_then_their_values():
    first, second = KB.questions[0], KB.questions[1]
    assert values("consult", "--set") == [f"{q.id}=" for q in KB.questions]
    expected = [f"{first.id}={value}" for value in first.choices]
    assert values("consult", "--set", incomplete=first.id + "=") == expected
    assert values("consult", "--set", incomplete=first.id) == expected  # one question left: its values
    assert values("why-not", "bpo", "--set", incomplete=f"{second.id}={second.choices[0]}") == [
        f"{second.id}={second.choices[0]}"
    ]
    assert values("consult", "--set", incomplete="no_such_question=") == []


def test_completion_reads_the_knowledge_base_the_command_line_names(tmp_path):
    assert values("--knowledge", str(tmp_path / "missing"), "why-not") == []  # nothing, not an error


def test_conclusions_of_the_record_complete_after_explain_conclusion(record):
    offered = values("explain", record, "--format", "json", "--conclusion")
    assert offered[0] == "recommendation" and len(offered) == len(set(offered)) > 1
    for name in offered[1:4]:
        done = CliRunner().invoke(cli, ["explain", record, "--conclusion", name])
        assert done.exit_code == 0, (name, done.output)
    assert values("explain", record, incomplete="--conclusion=recommendation") == ["recommendation"]
    assert values("explain", "--conclusion") == []


def test_file_options_keep_the_commands_own_errors(tmp_path):
    done = CliRunner().invoke(cli, ["consult", "--answers", str(tmp_path), "--no-input"])
    assert done.exit_code == 2 and done.output == f"error: {tmp_path}: is a directory, expected a file\n"


@pytest.mark.parametrize("group", ["kb", "rules"])
def test_group_help_shows_every_description_whole(group):
    done = CliRunner().invoke(cli, [group, "--help"], terminal_width=80)
    listing = done.output.split("Commands:")[1]
    assert done.exit_code == 0 and "..." not in listing
    commands = cli.get_command(None, group).commands
    text = " ".join(listing.split())
    for command in commands.values():
        assert " ".join(command.help.split("\n\n")[0].split()) in text


@pytest.mark.parametrize(
    "words",
    [
        [],
        *([name] for name in COMMANDS if name not in ("kb", "rules")),
        ["rules", "list"],
        ["rules", "show"],
        ["kb", "lint"],
        ["kb", "test"],
        ["kb", "graph"],
        ["kb", "new-rule"],
    ],
)
def test_every_command_help_ends_with_its_exit_codes(words):
    done = CliRunner().invoke(cli, [*words, "--help"])
    assert done.exit_code == 0
    epilog = " ".join(done.output.split("Exit codes:")[1].split())
    assert epilog.startswith("0 ") and "2 bad input" in epilog


@pytest.mark.parametrize(
    "flags, env, coloured",
    [
        (["--color"], {"NO_COLOR": "1"}, True),
        (["--no-color"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        ([], {}, False),  # not a terminal
    ],
)
def test_colour_follows_the_flag_then_no_color_then_force_color(flags, env, coloured, monkeypatch):
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    done = CliRunner().invoke(cli, [*flags, "consult", "--no-input", "--set", "need=capacity"], env=env)
    assert done.exit_code == 0, done.output
    assert ("\x1b[" in done.output) is coloured
