"""Regressions for the hostile input classes of issue #13 (and new files honouring the umask, #15).

Each test names its class; the hostile generators of test_hardening.py produce
the same classes at random. Nothing here depends on what the knowledge base
recommends: only on exit codes, one-line errors, files and timings.
"""

import json
import os
import stat
import subprocess
import sys
import threading
import time

import pytest
import yaml
from click.testing import CliRunner
from figures import FIGURES
from hypothesis import given
from hypothesis import strategies as st
from test_hardening import reseal, tiny_base, with_graph  # noqa: F401 (tiny_base: a fixture)

from sourcing.cli import files
from sourcing.cli.main import cli
from sourcing.expert import yamlio
from sourcing.expert.canonical import digest
from sourcing.expert.errors import InputError, KnowledgeError, Problem

HUGE = "9" * 5000
HUGE_NUMBERS = {
    "decimal": HUGE,
    "hex": "0x" + "f" * 5000,
    "sexagesimal": ":".join(["59"] * 2000),
    "negative": "-" + HUGE,
}


def run(*args, input=None, env=None):
    return CliRunner().invoke(cli, list(args), input=input, env=env)


def one_error_line(done, *fragments):
    """Exit 2 and a single 'error:' line holding every fragment; no traceback."""
    FIGURES["hostile"] += 1
    assert done.exit_code == 2, done.output
    assert "Traceback" not in done.output and done.exception is None or isinstance(done.exception, SystemExit)
    errors = [line for line in done.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.output
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    FIGURES["refused"] += 1
    return errors[0]


@pytest.fixture(scope="module")
def record_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("rec") / "record.json"
    done = run("consult", "--no-input", "--set", "need=process", "--audit", str(path))
    assert done.exit_code == 0, done.output
    return path


def write_record(tmp_path, data, name="forged.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


# -- 1, 2, 3: numbers and text every reader refuses ---------------------------------


@pytest.mark.parametrize("kind", HUGE_NUMBERS)
@pytest.mark.parametrize(
    "template", ["need: {n}\n", "{n}: process\n", "need: [{n}]\n", "{{need: {n}}}\n", '{{"need": {n}}}', "[{n}]"]
)
def test_huge_numbers_in_answers_are_refused_with_one_line(tmp_path, kind, template):
    if template.startswith(('{"', "[")) and kind != "decimal":
        pytest.skip("JSON has decimal integers only")
    text = template.format(n=HUGE_NUMBERS[kind])
    answers = tmp_path / "a.yaml"
    answers.write_text(text)
    one_error_line(run("consult", "--answers", str(answers), "--no-input"), str(answers))
    one_error_line(run("consult", "--answers", "-", "--no-input", input=text), "<stdin>")
    one_error_line(run("consult", "--resume", str(answers), "--no-input"), str(answers))
    one_error_line(run("why-not", "bpo", "--answers", str(answers)), str(answers))


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999", HUGE])
@pytest.mark.parametrize("command", ["explain", "replay", "why-not"])
def test_hostile_numbers_in_a_record_are_refused(tmp_path, record_path, token, command):
    text = record_path.read_text().replace('"margin": ', f'"margin": {token}, "was": ', 1)
    path = tmp_path / "r.json"
    path.write_text(text)
    args = ["why-not", "bpo", str(path)] if command == "why-not" else [command, str(path)]
    one_error_line(run(*args), str(path))


def test_a_lone_surrogate_is_refused_and_never_crashes_a_write(tmp_path, record_path):
    one_error_line(run("consult", "--answers", "-", "--no-input", input='{"need": "\\ud800"}'), "lone surrogate")
    text = record_path.read_text().replace('"created": "', '"created": "\\udc00', 1)
    (tmp_path / "r.json").write_text(text)
    one_error_line(run("explain", str(tmp_path / "r.json")), "lone surrogate")
    target = tmp_path / "out.txt"
    with pytest.raises(InputError, match="not valid Unicode"):
        files.write_atomic(target, "bad \ud800 text")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]  # no .sourcing-* file left


RULE = """\
rules:
  - id: X-1
    title: t
    layer: evidence
    rationale: r
    source: a > b
    when: {{answer: need, is: {is_}}}
    then:
      - evidence: bpo
        weight: {weight}
"""


@pytest.mark.parametrize(
    "is_, weight, line",
    [
        ("process", HUGE, 10),
        ("process", "0x" + "f" * 5000, 10),
        ("process", ":".join(["59"] * 2000), 10),
        (HUGE, "2", 7),
        ("process", ".nan", 10),
        ("process", ".inf", 10),
        ("process", "-.inf", 10),
    ],
)
def test_hostile_numbers_in_a_rule_are_refused_at_file_and_line(tiny_base, tmp_path, is_, weight, line):
    ext = tmp_path / "ext"
    (ext / "rules").mkdir(parents=True)
    (ext / "rules" / "x.yaml").write_text(RULE.format(is_=is_, weight=weight))
    for command in (["consult", "--no-input"], ["kb", "lint"]):
        done = run("--knowledge", str(tiny_base), "--kb", str(ext), *command)
        one_error_line(done, "the knowledge base has 1 problem")
        assert f"ext/rules/x.yaml:{line}: " in done.output


@pytest.mark.parametrize(
    "where, text",
    [
        ("questions.yaml", f"questions:\n  - id: q\n    prompt: '?'\n    values:\n      ? {HUGE}\n      : a\n"),
        (
            "scenarios/s.yaml",
            f"scenarios:\n  - id: S\n    title: t\n    source: s\n    answers: {{need: {HUGE}}}\n"
            "    expect: {model: bpo}\n",
        ),
    ],
)
def test_huge_numbers_in_questions_and_scenarios_are_refused(tiny_base, tmp_path, where, text):
    ext = tmp_path / "ext"
    (ext / where).parent.mkdir(parents=True, exist_ok=True)
    (ext / where).write_text(text)
    done = run("--knowledge", str(tiny_base), "--kb", str(ext), "kb", "test")
    assert done.exit_code == 2 and "Traceback" not in done.output
    assert f"ext/{where}:" in done.output and "at most 100 are allowed" in done.output


def test_a_record_is_standard_json(record_path):
    def refuse(token):
        raise AssertionError(f"non-standard JSON {token}")

    json.loads(record_path.read_text(), parse_constant=refuse)


# -- 4, 5: write targets -------------------------------------------------------------


def consult_to(target, *extra):
    return run("consult", "--no-input", "--set", "need=process", "--no-trace", *extra, "--audit", str(target))


def test_targets_that_are_not_regular_files_are_refused(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    targets = [fifo]
    try:
        os.mknod(tmp_path / "device", 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
        targets.append(tmp_path / "device")
    except (PermissionError, OSError):
        pass  # only root may make a device node
    for target in targets:
        before = os.stat(target)
        one_error_line(consult_to(target, "--force"), "is not a regular file")
        one_error_line(
            run("consult", "--no-input", "--set", "need=process", "--save-answers", str(target)),
            "is not a regular file",
        )
        after = os.stat(target)
        assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)


def test_a_symlink_is_written_through(tmp_path):
    real = tmp_path / "real.yaml"
    real.write_text("need: capacity\n")
    real.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    done = run("consult", "--no-input", "--set", "need=process", "--save-answers", str(link))
    assert done.exit_code == 0, done.output
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert yaml.safe_load(real.read_text())["need"] == "process"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the mode of a replaced file is kept


def test_a_read_only_target_needs_force(tmp_path):
    target = tmp_path / "record.json"
    target.write_text("old\n")
    target.chmod(0o444)
    one_error_line(consult_to(target), "is read-only; not replaced; use --force to replace it")
    one_error_line(
        run("consult", "--no-input", "--set", "need=process", "--save-answers", str(target)),
        "is read-only; not replaced",
    )
    assert target.read_text() == "old\n"
    done = consult_to(target, "--force")
    assert done.exit_code == 0 and stat.S_IMODE(target.stat().st_mode) == 0o444  # replaced, still read-only


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_new_files_honour_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        done = consult_to(tmp_path / "new.json")
        files.save_answers(tmp_path / "answers.yaml", {"need": "process"})
    finally:
        os.umask(old)
    assert done.exit_code == 0, done.output
    for name in ("new.json", "answers.yaml"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~mask


def test_ten_racing_writers_one_wins(tmp_path):
    target = tmp_path / "same.json"
    barrier, outcomes = threading.Barrier(10), []

    def write(number):
        barrier.wait()
        try:
            files.write_new(target, f"writer {number}\n")
            outcomes.append(("written", number))
        except InputError as error:
            outcomes.append(("refused", str(error)))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    FIGURES["faults"] += 10
    written = [n for kind, n in outcomes if kind == "written"]
    assert len(written) == 1 and target.read_text() == f"writer {written[0]}\n"
    assert all("already exists; use --force" in text for kind, text in outcomes if kind == "refused")
    assert [p.name for p in tmp_path.iterdir()] == ["same.json"]


def test_ten_concurrent_consultations_one_record(tmp_path):
    target = tmp_path / "same.json"
    command = [
        sys.executable,
        "-m",
        "sourcing",
        "consult",
        "--no-input",
        "--set",
        "need=process",
        "--no-trace",
        "--audit",
        str(target),
    ]
    processes = [
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(10)
    ]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in processes]
    FIGURES["faults"] += 10
    assert sorted(code for code, _ in results) == [0] + [2] * 9, results
    assert all(err.strip().endswith("already exists; use --force to overwrite it") for code, err in results if code)
    json.loads(target.read_text())
    assert [p.name for p in tmp_path.iterdir()] == ["same.json"]


# -- 6: the record is written before the result is printed ---------------------------


@pytest.mark.parametrize("stdout", ["closed", "full"])
def test_the_record_survives_a_failing_standard_output(tmp_path, stdout):
    if stdout == "full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    record, answers = tmp_path / "r.json", tmp_path / "a.yaml"
    command = [
        sys.executable,
        "-m",
        "sourcing",
        "consult",
        "--no-input",
        "--set",
        "need=process",
        "--audit",
        str(record),
        "--save-answers",
        str(answers),
    ]
    with open("/dev/full" if stdout == "full" else os.devnull, "w") as sink:
        process = subprocess.run(
            command,
            stdout=sink,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=(lambda: os.close(1)) if stdout == "closed" else None,
        )
    FIGURES["faults"] += 1
    assert "Traceback" not in process.stderr and process.returncode in (0, 2)
    assert json.loads(record.read_text())["answers"]["need"] == "process"
    assert yaml.safe_load(answers.read_text())["need"] == "process"


# -- 7: checksum and signature -----------------------------------------------------


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "key"
    path.write_text("correct horse battery staple\n")
    return path


def test_a_signed_record_verifies_and_a_forgery_does_not(tmp_path, key_file):
    path = tmp_path / "signed.json"
    done = consult_to(path, "--sign-key", str(key_file))
    assert done.exit_code == 0 and "signed with HMAC-SHA256" in done.output
    for command in (["explain", str(path)], ["replay", str(path)], ["why-not", "bpo", str(path)]):
        done = run(*command, "--sign-key", str(key_file))
        assert done.exit_code in (0, 1) and "signature verified" in done.output, done.output
    other = tmp_path / "other"
    other.write_text("another key")
    one_error_line(run("explain", str(path), "--sign-key", str(other)), "the signature does not match the key")
    data = json.loads(path.read_text())
    signature = data["signature"]
    data["created"] = "2000-01-01T00:00:00Z"  # an edit, checksum recomputed, signature kept
    data = reseal(data)
    data["signature"] = signature
    forged = write_record(tmp_path, data)
    one_error_line(run("explain", forged, "--sign-key", str(key_file)), "signature does not match")
    assert run("explain", forged).exit_code == 0  # without the key only the checksum can be checked


def test_the_key_can_come_from_the_environment(tmp_path):
    path = tmp_path / "signed.json"
    env = {"SOURCING_SIGN_KEY": "s3cret"}
    assert run("consult", "--no-input", "--set", "need=process", "--audit", str(path), env=env).exit_code == 0
    assert json.loads(path.read_text())["signature"].startswith("hmac-sha256:")
    assert "signature verified" in run("explain", str(path), env=env).output
    one_error_line(run("explain", str(path), env={"SOURCING_SIGN_KEY": "wrong"}), "signature does not match")


def test_an_unsigned_record_says_so_when_a_key_is_given(record_path, key_file):
    done = run("explain", str(record_path), "--sign-key", str(key_file))
    assert done.exit_code == 0 and f"warning: {record_path} is unsigned" in done.output
    empty = key_file.parent / "empty"
    empty.write_text("\n")
    one_error_line(run("explain", str(record_path), "--sign-key", str(empty)), "the key file is empty")
    one_error_line(run("consult", "--no-input", "--sign-key", str(key_file)), "--sign-key")


# -- 8: graphs that would exhaust time or stack ----------------------------------------


def test_a_diamond_is_explained_once_per_fact(tmp_path, record_path):
    data = json.loads(record_path.read_text())
    top = with_graph(data, 22, 2)
    path = write_record(tmp_path, reseal(data))
    started = time.monotonic()
    text = run("explain", path, "--conclusion", str(top))
    as_json = run("explain", path, "--conclusion", str(top), "--format", "json")
    assert time.monotonic() - started < 20
    assert text.exit_code == 0 and as_json.exit_code == 0, text.output
    assert len(text.output.splitlines()) < 500 and "above)" in text.output
    assert len(as_json.output) < 500_000


def test_a_long_chain_ends_in_one_line_not_a_recursion_error(tmp_path, record_path):
    data = json.loads(record_path.read_text())
    top = with_graph(data, 3000, 1)
    path = write_record(tmp_path, reseal(data))
    for output_format in ("text", "json"):
        one_error_line(
            run("explain", path, "--conclusion", str(top), "--format", output_format), "deeper than 100 steps"
        )
    done = run("explain", path, "--conclusion", str(top), "--format", "dot")
    assert done.exit_code == 0 and done.output.count("->") >= 3000


# -- 9: wrong nested types ----------------------------------------------------------

WRONG_TYPES = {
    "a list for a fact id": lambda d: d["firings"][0]["matched"].append([1]),
    "a fact id as text": lambda d: d["firings"][0].update(asserted=[str(d["firings"][0]["asserted"][0])]),
    "a null section": lambda d: d["outcome"].update(to_confirm=None),
    "a text section": lambda d: d.update(outcome="bpo"),
    "a list of text for the deciding questions": lambda d: d["outcome"].update(deciding_questions="need"),
    "a null knowledge base digest": lambda d: d["knowledge_base"]["rule_digests"].update({"X": None}),
    "an answer that is a list": lambda d: d["answers"].update(need=["process"]),
    "an absence that is text": lambda d: d["firings"][0].update(absent=["x"]),
    "a missing section": lambda d: d["outcome"].pop("open_questions"),
    "open questions as a mapping": lambda d: d["outcome"].update(open_questions={}),
    "a fact weight as text": lambda d: d["facts"][0].update(weight="2"),
    "a boolean step": lambda d: d["firings"][0].update(step=True),
}


@pytest.mark.parametrize("damage", WRONG_TYPES)
def test_wrong_nested_types_are_refused(tmp_path, record_path, damage):
    data = json.loads(record_path.read_text())
    WRONG_TYPES[damage](data)
    path = write_record(tmp_path, reseal(data))
    for command in (["explain", path], ["replay", path], ["why-not", "bpo", path]):
        one_error_line(run(*command), "not a valid audit record")


# -- 10: extensions that could hang or explode, and forged lines -----------------------


def test_a_fifo_in_an_extension_does_not_hang(tiny_base, tmp_path):
    ext = tmp_path / "ext"
    (ext / "rules").mkdir(parents=True)
    os.mkfifo(ext / "rules" / "x.yaml")
    process = subprocess.run(
        [sys.executable, "-m", "sourcing", "--knowledge", str(tiny_base), "--kb", str(ext), "questions"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2 and "rules/x.yaml: is not a regular file" in process.stderr


def test_a_condition_that_explodes_is_refused_at_its_line(tiny_base, tmp_path):
    ext = tmp_path / "ext"
    (ext / "rules").mkdir(parents=True)
    pair = {"any": [{"answer": "need", "is": "process"}, {"answer": "urgency", "is": "planned"}]}
    rule = {
        "id": "BOOM",
        "title": "t",
        "layer": "evidence",
        "rationale": "r",
        "source": "s",
        "when": {"all": [pair] * 8},
        "then": [{"evidence": "bpo", "weight": 1}],
    }
    (ext / "rules" / "boom.yaml").write_text("# a rule\n" + yaml.safe_dump({"rules": [rule]}))
    started = time.monotonic()
    done = run("--knowledge", str(tiny_base), "--kb", str(ext), "kb", "lint")
    assert time.monotonic() - started < 10
    one_error_line(done, "1 problem")
    assert "ext/rules/boom.yaml:3: BOOM: the condition expands to 256 alternatives; at most 64" in done.output


def test_every_extension_file_symlinked_outside_is_refused(tiny_base, tmp_path):
    outside = tmp_path / "secret.yaml"
    outside.write_text("scenarios: [{id: SECRET-CONTENT}]\n")
    for where in ("rules/x.yaml", "questions.yaml", "scenarios/x.yaml"):
        ext = tmp_path / where.replace("/", "-")
        (ext / where).parent.mkdir(parents=True, exist_ok=True)
        (ext / where).symlink_to(outside)
        done = run("--knowledge", str(tiny_base), "--kb", str(ext), "kb", "test")
        assert done.exit_code == 2 and "points outside its knowledge directory; refused" in done.output
        assert "SECRET-CONTENT" not in done.output


@given(text=st.text())
def test_an_error_message_is_always_one_printable_line(text):
    messages = [
        str(InputError(text, text, key=text, allowed=[text], line=3)),
        str(KnowledgeError([Problem(text, 2, text, text)])),
    ]
    assert all(message.isprintable() for message in messages), messages


def test_control_characters_in_quoted_input_cannot_forge_a_line(tmp_path):
    forged = tmp_path / "x\nerror: all good\x1b[2J"
    done = run("--kb", str(forged), "questions")
    assert done.exit_code == 2 and "Traceback" not in done.output
    assert "error: all good" not in done.output.splitlines()
    assert "\x1b" not in done.output and "\\n" in done.output and "\\x1b" in done.output
    done = run("consult", "--no-input", "--answers", str(forged))
    one_error_line(done, "\\n")


# -- 12: plain documents are not alias bombs -------------------------------------------


def test_only_what_aliases_add_counts_toward_the_bound(monkeypatch):
    monkeypatch.setattr(yamlio, "MAX_NODES", 1000)
    plain = "".join(f"- {{need: process, urgency: planned, id: r{i}}}\n" for i in range(2000))
    assert len(yamlio.parse(plain, "plain")) == 2000  # 14,001 values, none added by an alias
    bomb = "a: &a [" + ", ".join(["x"] * 40) + "]\nb: [" + ", ".join(["*a"] * 30) + "]\n"
    with pytest.raises(InputError, match="once aliases are expanded"):
        yamlio.parse(bomb, "bomb")  # 1,200 values added by 30 aliases


# -- 14: full or closed standard output; odd digits at a prompt -----------------------------


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["consult", "--help"]])
def test_help_and_version_on_a_full_disk(args):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        process = subprocess.run(
            [sys.executable, "-m", "sourcing", *args], stdout=full, stderr=subprocess.PIPE, text=True
        )
    FIGURES["faults"] += 1
    assert process.returncode == 2 and process.stderr == "error: output: cannot write: No space left on device\n"


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["questions"], ["rules", "list"], ["consult", "--no-input", "--set", "need=process"]],
)
def test_commands_with_standard_output_closed_end_quietly(args):
    process = subprocess.run(
        [sys.executable, "-m", "sourcing", *args], stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1)
    )
    FIGURES["faults"] += 1
    assert process.returncode == 0 and process.stderr == ""


@pytest.mark.parametrize("typed", ["²", "١", "½", "⑤", "0²"])
def test_non_ascii_digits_at_a_prompt(typed):
    done = run("consult", "--set", "need=process", input=f"{typed}\n" + "0\n" * 30)
    assert done.exit_code == 0 and "Traceback" not in done.output, done.output
    assert "is not allowed" in done.output
    done = run(
        "consult",
        "--no-input",
        "--set",
        "need=process",
        "--no-trace",
        "--explore",
        input=f"how {typed}\nwhy-not {typed}\nquit\n",
    )
    assert done.exit_code == 0 and "Traceback" not in done.output


# -- 16: replay computes whether the knowledge base changed ---------------------------


def test_a_forged_fingerprint_is_not_believed(tmp_path, record_path):
    data = json.loads(record_path.read_text())
    entry = data["rules"][0]
    entry["content"]["rationale"] = "edited after the fact"
    entry["digest"] = digest(entry["content"])
    data["knowledge_base"]["rule_digests"][entry["id"]] = entry["digest"]  # the fingerprint is kept
    path = write_record(tmp_path, reseal(data))
    done = run("replay", path)
    assert "Knowledge base: unchanged" not in done.output
    one_error_line(done, "the record is inconsistent")
