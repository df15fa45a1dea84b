"""Hardening: hostile inputs, knowledge faults, interruptions and failed writes.

Every hostile input must end in a result or in exit code 2 with clear lines
(never a traceback, never more than a few seconds); every simulated fault
must leave the files as they were and lose no answer already given. The
figures are printed at the end of the run (see conftest.py).
"""

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
import yaml
from click.testing import CliRunner
from figures import FIGURES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from processes import running, running_children
from strategies import KB

from sourcing import knowledge
from sourcing.cli import files
from sourcing.cli.main import cli
from sourcing.expert import engine
from sourcing.expert.canonical import digest

HOSTILE = settings(
    max_examples=1500,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
QUESTIONS = [q.id for q in KB.questions]


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


@pytest.fixture
def shipped(monkeypatch, advisor):
    """Commands reuse one loaded knowledge base and engine, so that thousands of inputs fit the time budget
    (loading the shipped knowledge base is tested everywhere else)."""
    from sourcing.cli.session import Session

    monkeypatch.setattr(Session, "advisor", property(lambda session: advisor))


def judge(done, allowed_codes=(0, 2)):
    """Count one hostile input and check its outcome: a result, or clear error lines and exit 2."""
    FIGURES["hostile"] += 1
    clean = done.exception is None or isinstance(done.exception, SystemExit)
    if not clean or done.exit_code not in allowed_codes or "Traceback" in done.output:
        FIGURES["crashes"] += 1
        raise AssertionError(f"exit {done.exit_code}: {done.output!r} {done.exception!r}")
    if done.exit_code == 2:
        FIGURES["refused"] += 1
        last = done.output.strip().splitlines()[-1]
        assert last.startswith("error: "), done.output
    else:
        FIGURES["accepted"] += 1


# -- hostile documents ----------------------------------------------------------


def alias_bomb(levels, fanout):
    lines = ['l0: &l0 ["lol", "lol"]']
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * fanout) + "]")
    return "\n".join(lines) + "\n"


def merge_bomb(levels):
    lines = ["m0: &m0 {a: 1, b: 2}"]
    lines += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: {i}}}" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=40),
    st.sampled_from(["capacity", "process", "unknown", "yes", "no", "", " ", "\u202e", "\x00"]),
)
nested = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.one_of(st.sampled_from(QUESTIONS), st.text(max_size=10)), inner, max_size=4)
    ),
    max_leaves=20,
)


def deep(levels, open_, close):
    return open_ * levels + close * levels


# Numbers no reader may crash on: 5,000 digits (decimal, hex, octal, sexagesimal), non-finite, just too long.
HOSTILE_NUMBERS = [
    "9" * 5000,
    "-" + "9" * 5000,
    "0x" + "f" * 5000,
    "0o" + "7" * 5000,
    ":".join(["59"] * 2000),
    "1" * 101,
    "1.0e+999",
    ".nan",
    ".NaN",
    ".inf",
    "-.inf",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
]
NUMBER_PLACES = [
    "need: {n}\n",
    "? {n}\n: process\n",
    "need: [{n}]\n",
    "{{need: {n}}}\n",
    "- {n}\n",
    '{{"need": {n}}}',
    "[{n}]",
    '{{"need": [1, {{"x": {n}}}]}}',
    "{n}",
]
hostile_numbers = st.builds(
    lambda n, place: place.format(n=n), st.sampled_from(HOSTILE_NUMBERS), st.sampled_from(NUMBER_PLACES)
)
# Legal JSON escapes of lone surrogates, and control characters that could forge output lines.
hostile_unicode = st.one_of(
    st.sampled_from(
        ['{"need": "\\ud800"}', '{"\\udfff": "process"}', '["\\udbff\\udbff"]', '{"need": ["a", "\\ud800x"]}']
    ),
    st.text(alphabet="\n\r\x1b\x07\x85\u2028\u202eerror: ", min_size=1, max_size=20).map(
        lambda t: json.dumps({"need": t, t: "x"})
    ),
)


hostile_texts = st.one_of(
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.text(max_size=300),
    nested.map(lambda v: json.dumps(v)),
    nested.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
    st.builds(alias_bomb, st.integers(1, 12), st.integers(2, 12)),
    st.builds(merge_bomb, st.integers(1, 40)),
    st.integers(10, 3000).map(lambda n: deep(n, "[", "]")),
    st.integers(10, 300).map(lambda n: "need:\n" + "".join("  " * i + "- \n" for i in range(n))),
    st.integers(1000, 200000).map(lambda n: "need: " + "x" * n + "\n"),
    st.sampled_from(QUESTIONS).map(lambda q: f"{q}: a\n{q}: b\n"),
    st.just("need: &a [*a]\n"),
    st.just("need: !!python/object/apply:os.system ['echo pwned']\n"),
    st.just("!!binary aGVsbG8=\n"),
    st.just("--- a\n--- b\n"),
    st.just('\ufeff{"need": "process"}'),
    hostile_numbers,
    hostile_unicode,
)


@HOSTILE
@given(text=hostile_texts)
@example(text=alias_bomb(12, 12))
@example(text=merge_bomb(60))
def test_hostile_answers_files(shipped, text):
    judge(run("consult", "--answers", "-", "--no-input", "--format", "json", input=text))


@settings(HOSTILE, max_examples=800)
@given(data=st.binary(max_size=400))
def test_random_bytes_as_answers(shipped, data):
    judge(run("consult", "--answers", "-", "--no-input", "--format", "json", input=data))


@settings(
    max_examples=500,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=hostile_texts)
def test_hostile_portfolio_files(shipped, text):
    for fmt in ("yaml", "jsonl", "csv"):
        judge(run("assess", "-", "--input-format", fmt, "--format", "csv", input=text), allowed_codes=(0, 1, 2))


def test_a_huge_file_is_refused_at_the_documented_limit(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"need: process\n" + b"#" * (5 * 1024 * 1024))
    done = run("consult", "--answers", str(big), "--no-input")
    judge(done)
    assert "file is larger than the 5 MB limit" in done.output


# -- hostile knowledge ----------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    """A small knowledge base: two questions, the shipped models, a scoring and a recommending rule."""
    root = tmp_path_factory.mktemp("tiny")
    (root / "rules").mkdir()
    shutil.copy(knowledge.directory() / "models.yaml", root / "models.yaml")
    (root / "questions.yaml").write_text(
        textwrap.dedent("""\
        questions:
          - {id: need, prompt: Need?, values: {capacity: c, process: p}}
          - {id: urgency, prompt: Urgent?, values: {immediate: i, planned: p}}
    """)
    )
    (root / "rules" / "10-base.yaml").write_text(
        textwrap.dedent("""\
        rules:
          - {id: S-1, title: score, layer: scoring, rationale: r, source: "a > b", then: [{score: evidence}]}
          - {id: R-1, title: recommend, layer: recommendation, rationale: r, source: "a > b",
             when: {finding: leading_model}, then: [{recommend: bpo}]}
    """)
    )
    return root


GOOD_RULE = {
    "id": "X-1",
    "title": "t",
    "layer": "evidence",
    "rationale": "r",
    "source": "a > b",
    "when": {"answer": "need", "is": "process"},
    "then": [{"evidence": "bpo", "weight": 2}],
}
# A valid document of each kind of knowledge file, for the hostile generator to damage.
GOOD_FILES = {
    "models.yaml": yaml.safe_load((knowledge.directory() / "models.yaml").read_text()),
    "rules/hostile.yaml": {"rules": [GOOD_RULE]},
    "questions.yaml": {"questions": [{"id": "extra", "prompt": "?", "values": {"a": "one", "b": "two"}}]},
    "scenarios/hostile.yaml": {
        "scenarios": [
            {
                "id": "S-1",
                "title": "t",
                "source": "a > b",
                "answers": {"need": "process"},
                "expect": {"model": "bpo", "warnings": [], "no_warnings": [], "fires": ["S-1"], "strength": "weak"},
            }
        ]
    },
}


def _paths(value, prefix=()):
    if isinstance(value, dict):
        yield prefix
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        yield prefix
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))
    else:
        yield prefix


@st.composite
def hostile_knowledge(draw, where):
    """A knowledge file: a good one with one part replaced by something hostile, or hostile text."""
    if draw(st.booleans()):
        return draw(hostile_texts)
    document = json.loads(json.dumps(GOOD_FILES[where]))
    path = draw(st.sampled_from([p for p in _paths(document) if p]))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = draw(
        st.one_of(
            nested,
            st.sampled_from(
                [
                    {"not": {"not": {"not": {"finding": "f"}}}},
                    "'); __import__('os').system('touch PWNED') #",
                    {"finding": "leading_model"},
                    {"answer": "need", "in": []},
                    "\u0000",
                    -1e308,
                    [None],
                    ["a", ["b"]],
                    EXPLODING,
                    NUMBER_MARK,
                    [NUMBER_MARK],
                    {NUMBER_MARK: "x"},
                ]
            ),
        )
    )
    number = draw(st.sampled_from(HOSTILE_NUMBERS))
    return yaml.safe_dump(document, allow_unicode=True, width=10**6).replace(f"'{NUMBER_MARK}'", number)


NUMBER_MARK = "@number@"  # where a hostile number goes in the YAML text of a knowledge file
_PAIR = {"any": [{"answer": "need", "is": "process"}, {"answer": "urgency", "is": "planned"}]}
EXPLODING = {"all": [_PAIR] * 8}  # 256 branches once in disjunctive normal form


@settings(
    max_examples=1000,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), where=st.sampled_from(sorted(GOOD_FILES)))
def test_hostile_knowledge_extensions(tiny_base, tmp_path_factory, data, where):
    text = data.draw(hostile_knowledge(where))
    if where == "models.yaml":  # only a knowledge base (--knowledge) has one, not an extension
        base = tmp_path_factory.mktemp("base")
        shutil.copytree(tiny_base, base, dirs_exist_ok=True)
        (base / where).write_text(text, encoding="utf-8", errors="surrogatepass")
        judge(run("--knowledge", str(base), "consult", "--no-input", "--format", "json"))
        return
    ext = tmp_path_factory.mktemp("ext")
    (ext / where).parent.mkdir(parents=True, exist_ok=True)
    (ext / where).write_text(text, encoding="utf-8", errors="surrogatepass")
    command = ["kb", "test"] if where.startswith("scenarios") else ["consult", "--no-input", "--format", "json"]
    done = run("--knowledge", str(tiny_base), "--kb", str(ext), *command)
    judge(done, allowed_codes=(0, 1, 2) if command[0] == "kb" else (0, 2))
    assert not os.path.exists("PWNED")


def test_a_knowledge_extension_cannot_run_code(tiny_base, tmp_path):
    ext = tmp_path / "ext"
    (ext / "rules").mkdir(parents=True)
    marker = tmp_path / "PWNED"
    payload = f"x') or __import__('os').system('touch {marker}') or ('"
    (ext / "questions.yaml").write_text(
        yaml.safe_dump(
            {"questions": [{"id": "sneaky", "prompt": "?", "values": {payload: "a value that looks like code"}}]}
        )
    )
    rule = dict(GOOD_RULE, when={"answer": "sneaky", "is": payload})
    (ext / "rules" / "r.yaml").write_text(yaml.safe_dump({"rules": [rule]}))
    done = run(
        "--knowledge",
        str(tiny_base),
        "--kb",
        str(ext),
        "consult",
        "--no-input",
        "--set",
        f"sneaky={payload}",
        "--format",
        "json",
    )
    assert done.exit_code == 0, done.output
    assert "X-1" in [step["rule"] for step in json.loads(done.output)["trace"]]
    assert not marker.exists()
    (ext / "rules" / "tag.yaml").write_text("rules:\n  - !!python/object/apply:os.system ['touch PWNED']\n")
    done = run("--knowledge", str(tiny_base), "--kb", str(ext), "questions")
    assert done.exit_code == 2 and "YAML tags that construct objects are not allowed" in done.output


# -- runaway rules --------------------------------------------------------------


def test_runaway_chaining_stops_at_the_step_limit_naming_the_cycle(tiny_base, tmp_path, monkeypatch):
    ext = tmp_path / "ext"
    (ext / "rules").mkdir(parents=True)
    (ext / "rules" / "cycle.yaml").write_text(
        textwrap.dedent("""\
        rules:
          - {id: C-0, title: seed, layer: findings, rationale: r, source: "a > b",
             when: {answer: need, is: process}, then: [{finding: g, value: "yes"}]}
          - {id: C-1, title: one, layer: findings, rationale: r, source: "a > b",
             when: {finding: g}, then: [{finding: f, value: "yes"}]}
          - {id: C-2, title: two, layer: findings, rationale: r, source: "a > b",
             when: {finding: f}, then: [{finding: g, value: "yes"}]}
    """)
    )
    lint = run("--knowledge", str(tiny_base), "--kb", str(ext), "kb", "lint")
    assert lint.exit_code == 1 and "cycle through findings: C-1 -> C-2 -> C-1" in lint.output
    monkeypatch.setattr(engine, "STEPS_PER_RULE", 0)
    monkeypatch.setattr(engine, "STEPS_BASE", 3)
    done = run("--knowledge", str(tiny_base), "--kb", str(ext), "consult", "--no-input", "--set", "need=process")
    FIGURES["faults"] += 1
    assert done.exit_code == 2 and done.output.count("\n") == 1
    assert done.output.startswith("error: the rules kept firing past the limit of 3 steps (0 per rule + 3)")
    assert "rules in a cycle: C-1 -> C-2 -> C-1" in done.output


# -- interruptions: nothing typed is lost -------------------------------------------


def asked_questions(advisor):
    """The questions an interview with all-first-value answers asks, in order (no file given)."""
    typed = "\n".join("1" for _ in QUESTIONS) + "\n"
    done = CliRunner().invoke(cli, ["consult", "--format", "json"], input=typed)
    return json.loads(done.stdout)["answers"]


@pytest.mark.parametrize("share", [0, 1 / 3, 2 / 3, 1])
def test_an_interrupted_interview_keeps_every_answer_and_resumes(tmp_path, share):
    saved = tmp_path / "answers.yaml"
    asked = CliRunner().invoke(cli, ["consult", "--format", "json"], input="1\n" * 17).stderr.count("Answer (")
    stop_after = min(round(asked * share), asked - 1)  # answering '1' throughout: stop before the last question
    typed = ["1"] * stop_after
    first = CliRunner().invoke(cli, ["consult", "--resume", str(saved)], input="\n".join(typed) + "\n" if typed else "")
    FIGURES["faults"] += 1
    assert first.exit_code == 130, first.output  # input ended: the interview stops as after Ctrl-C
    kept = yaml.safe_load(saved.read_text()) if saved.exists() else {}
    if len(kept) != stop_after:
        FIGURES["lost"] += stop_after - len(kept)
    assert len(kept) == stop_after
    rest = CliRunner().invoke(
        cli, ["consult", "--resume", str(saved), "--format", "json"], input="1\n" * len(KB.questions)
    )
    assert rest.exit_code == 0, rest.output
    whole = CliRunner().invoke(cli, ["consult", "--format", "json"], input="1\n" * len(KB.questions))
    assert json.loads(rest.stdout)["answers"] == json.loads(whole.stdout)["answers"]
    for question in kept:  # resuming asks only what is still unanswered
        assert f"({question})" not in rest.stderr


def test_a_keyboard_interrupt_keeps_the_answers(tmp_path, monkeypatch):
    from sourcing.cli import interactive

    saved = tmp_path / "answers.yaml"
    asked = []

    def ask(self, question, number, total):
        if len(asked) == 3:
            raise KeyboardInterrupt
        asked.append(question.id)
        return question.values[0]

    monkeypatch.setattr(interactive.Interview, "ask", ask)
    done = CliRunner().invoke(cli, ["consult", "--save-answers", str(saved)])
    FIGURES["faults"] += 1
    assert done.exit_code == 130 and "3 answer(s) kept in" in done.output
    assert list(yaml.safe_load(saved.read_text())) == asked


# -- failed writes --------------------------------------------------------------


def fail_with(monkeypatch, target, error):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(target[0], target[1], broken)


FAULTS = {
    "disk full": ("fsync", OSError(errno.ENOSPC, "No space left on device")),
    "no permission": ("mkstemp", PermissionError(errno.EACCES, "Permission denied")),
    "rename refused": ("replace", OSError(errno.EXDEV, "Invalid cross-device link")),
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("command", ["save-answers", "audit", "assess", "new-rule"])
def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch, fault, command):
    target = tmp_path / "out.file"
    target.write_text("the old content\n")
    attribute, error = FAULTS[fault]
    module = files.tempfile if attribute == "mkstemp" else files.os
    fail_with(monkeypatch, (module, attribute), error)
    args = {
        "save-answers": ["consult", "--no-input", "--set", "need=process", "--save-answers", str(target)],
        "audit": ["consult", "--no-input", "--set", "need=process", "--audit", str(target), "--force"],
        "assess": ["assess", "-", "--format", "csv", "-o", str(target)],
        "new-rule": ["kb", "new-rule", str(target), "--force"],
    }[command]
    done = CliRunner().invoke(cli, args, input="need,urgency\nprocess,planned\n")
    FIGURES["faults"] += 1
    assert done.exit_code == 2, done.output
    assert f"error: {target}: cannot write: {error.strerror}" in done.output
    assert "Traceback" not in done.output
    assert target.read_text() == "the old content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.file"]  # no temporary file left behind
    if command == "audit":
        assert "--set need=process" in done.output  # the answers, to run again


def test_a_directory_in_the_way(tmp_path):
    (tmp_path / "taken").mkdir()
    done = CliRunner().invoke(
        cli, ["consult", "--no-input", "--set", "need=process", "--save-answers", str(tmp_path / "taken")]
    )
    FIGURES["faults"] += 1
    assert done.exit_code == 2 and "cannot write: Is a directory" in done.output
    assert (tmp_path / "taken").is_dir() and len(list(tmp_path.iterdir())) == 1


def test_a_save_failing_mid_interview_prints_every_answer(tmp_path, monkeypatch):
    saved = tmp_path / "answers.yaml"
    calls = []
    real = files.write_atomic

    def flaky(path, text):
        calls.append(path)
        if len(calls) == 3:
            raise files.InputError(str(path), "cannot write: No space left on device")
        real(path, text)

    monkeypatch.setattr(files, "write_atomic", flaky)
    done = CliRunner().invoke(cli, ["consult", "--save-answers", str(saved)], input="1\n1\n1\n1\n")
    FIGURES["faults"] += 1
    assert done.exit_code == 2
    line = done.output.strip().splitlines()[-1]
    assert "cannot write: No space left on device; the answers so far: --set " in line
    assert line.count("--set ") == 2


@pytest.mark.parametrize(
    "args", [["rules", "list"], ["kb", "graph"], ["questions"], ["consult", "--no-input", "--set", "need=process"]]
)
def test_standard_output_closed_early(args):
    process = subprocess.run(
        f"{sys.executable} -m sourcing {' '.join(args)} | head -1", shell=True, capture_output=True, text=True
    )
    FIGURES["faults"] += 1
    assert process.returncode == 0 and process.stderr == ""


def test_standard_output_on_a_full_disk():
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        process = subprocess.run(
            [sys.executable, "-m", "sourcing", "questions"], stdout=full, stderr=subprocess.PIPE, text=True
        )
    FIGURES["faults"] += 1
    assert process.returncode == 2 and process.stderr == "error: output: cannot write: No space left on device\n"


def test_ctrl_c_in_a_long_command_ends_with_one_line(monkeypatch):
    from sourcing.expert import portfolio

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(portfolio, "judge", interrupted)
    done = CliRunner().invoke(cli, ["assess", "-", "--format", "csv"], input="need,urgency\nprocess,planned\n")
    FIGURES["faults"] += 1
    assert done.exit_code == 130 and done.output.strip() == "Interrupted."


def test_ctrl_c_stops_parallel_workers_quietly(tmp_path):
    import random
    import signal
    import time

    rng = random.Random(0)
    lines = [",".join(QUESTIONS)] + [
        ",".join(rng.choice(q.values + ("",)) for q in KB.questions) for _ in range(120000)
    ]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "sourcing", "assess", str(path), "--jobs", "2", "--format", "csv"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    stderr = process.communicate(timeout=60)[1]
    FIGURES["faults"] += 1
    assert process.returncode == 130 and stderr.endswith("Interrupted.\n"), stderr
    assert "Traceback" not in stderr


@pytest.fixture(scope="module")
def record_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("record") / "record.json"
    done = CliRunner().invoke(cli, ["consult", "--no-input", "--set", "need=process", "--audit", str(path)])
    assert done.exit_code == 0, done.output
    return str(path)


@settings(max_examples=300, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(word=st.text(max_size=30))
@example(word="²")
def test_any_name_typed_for_a_conclusion_or_a_model(shipped, record_file, word):
    judge(run("explain", record_file, "--conclusion", word))
    judge(run("why-not", "--", word, record_file))
    lines = f"how {word}\nwhy-not {word}\n{word}\nquit\n"
    judge(run("consult", "--no-input", "--set", "need=process", "--no-trace", "--explore", input=lines))


# -- hostile audit records ------------------------------------------------------


def reseal(data):
    """``data`` with its signature dropped and its integrity checksum recomputed."""
    data.pop("integrity", None)
    data.pop("signature", None)
    data["integrity"] = digest(data)
    return data


def with_graph(data, levels, width):
    """Add to a record ``levels`` levels of ``width`` findings, each asserted from every fact of the level below
    (width 1: a chain, 2: a diamond) by a rule the knowledge base does not have; return the top fact's id."""
    rule = {
        "id": "X-G",
        "title": "g",
        "layer": "findings",
        "rationale": "r",
        "source": "s",
        "then": [{"finding": "g", "value": "yes"}],
    }
    data["rules"].append({"id": "X-G", "digest": digest(rule), "title": "g", "content": rule})
    data["knowledge_base"]["rule_digests"]["X-G"] = digest(rule)
    data["knowledge_base"]["fingerprint"] = "sha256:" + "0" * 64
    below, next_id = [data["facts"][0]["id"]], max(f["id"] for f in data["facts"]) + 1
    for _level in range(levels):
        layer, next_id = list(range(next_id, next_id + width)), next_id + width
        for fact_id in layer:
            data["facts"].append({"id": fact_id, "kind": "finding", "name": f"g{fact_id}", "value": "yes"})
            data["firings"].append(
                {
                    "step": len(data["firings"]) + 1,
                    "rule": "X-G",
                    "matched": below,
                    "absent": [],
                    "asserted": [fact_id],
                    "new": [fact_id],
                }
            )
        below = layer
    return below[0]


HOSTILE_VALUES = [None, "x", "", [], {}, [1], [[1]], {"a": None}, True, -1, 1.5, ["x"], {"fact": [1]}]


@st.composite
def hostile_records(draw, pristine):
    """(record text, conclusion): a record damaged in one place and resealed, made a huge graph,
    or given a hostile number or escape in its text."""
    data = json.loads(pristine)
    how = draw(st.sampled_from(["type", "type", "graph", "text"]))
    conclusion = "recommendation"
    if how == "type":
        path = draw(st.sampled_from([p for p in _paths(data) if p]))
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = draw(st.sampled_from(HOSTILE_VALUES))
    elif how == "graph":
        levels, width = draw(st.sampled_from([(22, 2), (25, 2), (150, 1), (3000, 1), (8, 4)]))
        conclusion = str(with_graph(data, levels, width))
    text = json.dumps(reseal(data))
    if how == "text":
        hostile = draw(st.sampled_from(HOSTILE_NUMBERS[:6] + ["NaN", "Infinity", "1e999", '"\\ud800"']))
        text = text.replace('"margin": ', f'"margin": {hostile}, "m": ', 1)
    return text, conclusion


@pytest.fixture(scope="module")
def pristine_record(tmp_path_factory):
    path = tmp_path_factory.mktemp("pristine") / "record.json"
    done = CliRunner().invoke(cli, ["consult", "--no-input", "--set", "need=process", "--audit", str(path)])
    assert done.exit_code == 0, done.output
    return path.read_text()


@settings(
    max_examples=300,
    deadline=timedelta(seconds=20),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), command=st.sampled_from(["explain", "explain-json", "replay", "why-not"]))
def test_hostile_records(shipped, tmp_path_factory, pristine_record, data, command):
    text, conclusion = data.draw(hostile_records(pristine_record))
    path = tmp_path_factory.mktemp("hostile") / "record.json"
    path.write_text(text, encoding="utf-8")
    args = {
        "explain": ["explain", str(path), "--conclusion", conclusion],
        "explain-json": ["explain", str(path), "--conclusion", conclusion, "--format", "json"],
        "replay": ["replay", str(path)],
        "why-not": ["why-not", "bpo", str(path)],
    }[command]
    judge(run(*args), allowed_codes=(0, 1, 2))


# -- write targets that are not the tool's to replace ---------------------------------


def _target(tmp_path, kind):
    """A path of ``kind`` for a command to write to, and a check that it was not harmed."""
    path = tmp_path / "target"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "read-only":
        path.write_text("old\n")
        path.chmod(0o444)
    elif kind.startswith("link to"):
        real = _target(tmp_path / "elsewhere", kind[len("link to ") :]) if kind != "link to nothing" else None
        path.symlink_to(real[0] if real else tmp_path / "missing")
        return path, (real[1] if real else lambda: True)
    before = os.lstat(path)
    return path, lambda: (os.lstat(path).st_ino, os.lstat(path).st_mode) == (before.st_ino, before.st_mode)


@pytest.mark.parametrize(
    "kind",
    ["fifo", "directory", "read-only", "link to fifo", "link to directory", "link to read-only", "link to nothing"],
)
@pytest.mark.parametrize("command", ["save-answers", "audit", "assess", "new-rule"])
def test_write_targets_that_are_not_ours_to_replace(tmp_path, kind, command):
    (tmp_path / "elsewhere").mkdir()
    target, unharmed = _target(tmp_path, kind)
    args = {
        "save-answers": ["consult", "--no-input", "--set", "need=process", "--save-answers", str(target)],
        "audit": ["consult", "--no-input", "--set", "need=process", "--audit", str(target)],
        "assess": ["assess", "-", "--format", "csv", "-o", str(target)],
        "new-rule": ["kb", "new-rule", str(target)],
    }[command]
    done = CliRunner().invoke(cli, args, input="need,urgency\nprocess,planned\n")
    FIGURES["faults"] += 1
    if "Error: Invalid value for '[FILE]'" not in done.output:  # else Click refused a directory itself
        judge(done)
    assert unharmed()
    if kind == "link to nothing":  # a dangling link is written through: the file it names is created
        assert done.exit_code == 0 and target.is_symlink() and (tmp_path / "missing").is_file()
    else:
        assert done.exit_code == 2
    assert not [p for p in tmp_path.rglob(".sourcing-*")]


# -- portfolio classes: formulas, quotes, short rows, empty values, line separators, worker counts --

FORMULA_START = ("=", "+", "-", "@")
portfolio_cells = st.one_of(
    st.sampled_from(
        [
            "",
            '""',
            " ",
            "process",
            "capacity",
            "=1+1",
            "+1",
            "-1",
            "@A1",
            '=HYPERLINK("http://x")',
            "\u2028",
            "\u0085",
            '"open',
        ]
    ),
    st.text(max_size=8),
)


def csv_portfolio(rows):
    """A CSV portfolio text from rows of raw cells (quotes and short rows left as generated)."""
    return "id,need,urgency\n" + "".join(",".join(cells) + "\n" for cells in rows)


def jsonl_portfolio(rows):
    return "".join(json.dumps(dict(zip(["id", "need", "urgency"], cells)), ensure_ascii=False) + "\n" for cells in rows)


portfolio_rows = st.lists(st.lists(portfolio_cells, min_size=0, max_size=4), min_size=1, max_size=6)


@settings(max_examples=300, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=portfolio_rows, as_jsonl=st.booleans())
def test_hostile_portfolio_cells(shipped, rows, as_jsonl):
    text = jsonl_portfolio(rows) if as_jsonl else csv_portfolio(rows)
    done = run("assess", "-", "--input-format", "jsonl" if as_jsonl else "csv", "--format", "csv", input=text)
    judge(done, allowed_codes=(0, 1, 2))
    if done.exit_code == 2:
        return
    import csv
    import io

    out = list(csv.reader(io.StringIO(done.stdout)))
    assert out[0][0] == "row"
    assert not any(cell.startswith(FORMULA_START) for row in out[1:] for cell in row), done.stdout
    if as_jsonl:  # one line, one row, whatever a string holds
        assert len(out) - 1 + done.stderr.count("error: <stdin>: row") == len(rows)


@settings(max_examples=60, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(jobs=st.one_of(st.integers(), st.sampled_from(["nan", "1e9", "", "2.5", "-0", "0x10", "\u0661", "²"])))
def test_hostile_job_counts(shipped, jobs):
    done = run("assess", "-", "--format", "csv", "--jobs", str(jobs), input="need\nprocess\n")
    judge(done, allowed_codes=(0, 2))
    if done.exit_code == 0:
        assert 1 <= int(jobs) <= 256
    else:
        assert done.output.startswith("error: --jobs: ") and done.output.count("\n") == 1


@pytest.mark.parametrize("value", ["nan", "NaN"])
def test_a_coverage_of_nan_is_refused(shipped, value):
    done = run("kb", "test", "--min-coverage", value)
    judge(done)
    assert done.exit_code == 2 and done.output == "error: --min-coverage: nan is not a percentage from 0 to 100\n"


@pytest.mark.parametrize("end", ["SIGINT", "SIGKILL", "a bad line", "a worker killed"])
def test_no_worker_outlives_its_assess(tmp_path, end):
    import random
    import signal
    import time

    if not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"):
        pytest.skip("needs Linux /proc")
    rng = random.Random(0)
    rows = 10000 if end == "a bad line" else 60000  # a failure ends the run: fewer rows before it
    lines = [",".join(QUESTIONS)] + [",".join(rng.choice(q.values + ("",)) for q in KB.questions) for _ in range(rows)]
    if end == "a bad line":
        lines.append('"never closed')
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "sourcing", "assess", str(path), "--jobs", "2", "--format", "csv"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers = []
    for _ in range(600):
        workers = running_children(process.pid)
        if len(workers) == 2 or process.poll() is not None:
            break
        time.sleep(0.05)
    assert len(workers) == 2
    if end == "a worker killed":  # multiprocessing.Pool waited for ever for the killed worker's task
        os.kill(workers[0], signal.SIGKILL)
    elif end != "a bad line":
        process.send_signal(getattr(signal, end))
    stderr = process.communicate(timeout=300)[1]
    FIGURES["faults"] += 1
    for _ in range(100):
        if not any(running(worker) for worker in workers):
            break
        time.sleep(0.1)
    assert not any(running(worker) for worker in workers)
    assert "Traceback" not in stderr
    assert process.returncode == {"SIGINT": 130, "SIGKILL": -9, "a bad line": 2, "a worker killed": 2}[end], stderr
    if end == "a worker killed":
        assert stderr.endswith(
            "error: a worker process ended unexpectedly (killed by signal 9); the run was stopped\n"
        ), stderr
