"""sourcing assess: formats in and out, bad rows, order under --jobs, agreement with consult."""

import csv
import io
import json
import random
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner
from strategies import KB

from sourcing.cli.main import cli
from sourcing.expert import portfolio
from sourcing.expert.model import UNKNOWN

QUESTIONS = [q.id for q in KB.questions]


def generated_rows(count, seed=0, blank=0.15):
    rng = random.Random(seed)
    return [
        {"id": f"P{n}", **{q.id: rng.choice(q.values) for q in KB.questions if rng.random() > blank}}
        for n in range(1, count + 1)
    ]


def as_csv(rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["id"] + QUESTIONS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def portfolio_file(tmp_path):
    def write(text, name="portfolio.csv"):
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def test_every_row_agrees_with_consult(portfolio_file):
    rows = generated_rows(25, seed=3)
    done = invoke("assess", portfolio_file(as_csv(rows)), "--format", "jsonl")
    assert done.exit_code == 0, done.output
    verdicts = [json.loads(line) for line in done.stdout.splitlines()]
    assert [v["id"] for v in verdicts] == [r["id"] for r in rows]
    for row, verdict in zip(rows, verdicts):
        answers = {k: v for k, v in row.items() if k != "id"}
        report = json.loads(
            invoke("consult", "--no-input", "--format", "json", "--answers", "-", input=json.dumps(answers)).output
        )
        rec = report["recommendation"]
        assert (verdict["model"], verdict["strength"], verdict["runner_up"], verdict["margin"]) == (
            rec["model"],
            rec["strength"],
            rec["runner_up"],
            rec["margin"],
        )
        assert [w["rule"] for w in verdict["warnings"]] == [w["rule"] for w in report["warnings"]]
        assert [(g["rule"], g["area"], g["text"]) for g in verdict["readiness_gaps"]] == [
            (g["rule"], g["area"], g["text"]) for g in report["readiness_gaps"]
        ]


def test_the_engine_of_record_gives_the_same_verdicts(advisor):
    records = [(n, row) for n, row in enumerate(generated_rows(150, seed=11), start=1)]
    for number, row in records:
        direct = portfolio.judge(advisor, (number, row), "x")
        experta = portfolio.judge(advisor, (number, row), "x", engine="experta")
        assert direct == experta


@pytest.mark.parametrize(
    "name, render",
    [
        ("p.csv", as_csv),
        ("p.jsonl", lambda rows: "".join(json.dumps(r) + "\n" for r in rows)),
        ("p.yaml", lambda rows: yaml.safe_dump(rows)),
        ("p.json", json.dumps),
    ],
)
def test_input_formats_give_the_same_result(portfolio_file, name, render):
    rows = generated_rows(12, seed=5)
    expected = invoke("assess", portfolio_file(as_csv(rows), "base.csv"), "--format", "csv").stdout
    assert invoke("assess", portfolio_file(render(rows), name), "--format", "csv").stdout == expected
    assert invoke("assess", "-", "--format", "csv", input=render(rows)).stdout == expected


def test_output_formats_and_summary(portfolio_file, tmp_path):
    path = portfolio_file(as_csv(generated_rows(30, seed=2)))
    table = invoke("assess", path)
    assert table.exit_code == 0
    assert "row  id" in table.output and "Rows assessed: 30" in table.output and "█" in table.output
    assert "advice" in table.output and "stabilize_first" not in table.output, "models in words"
    html = invoke("assess", path, "--format", "html").output
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "Rows assessed" not in html
    assert "Rows with readiness gaps:" in table.output and "Rows with unknown answers:" in table.output
    markdown = invoke("assess", path, "--format", "markdown").output
    assert markdown.startswith("|") and "|--" in markdown and "| model" in markdown
    data = json.loads(invoke("assess", path, "--format", "json").output)
    assert len(data["rows"]) == 30 and data["summary"]["rows"] == 30 and data["bad_rows"] == []
    assert sum(data["summary"]["models"].values()) == 30
    csv_run = invoke("assess", path, "--format", "csv")
    assert csv_run.stdout.startswith("row,id,model,strength,runner_up,margin,warnings,warning_texts,gaps,gap_texts\n")
    assert "Rows assessed: 30" in csv_run.stderr and "Rows assessed" not in csv_run.stdout
    out = tmp_path / "out.csv"
    written = invoke("assess", path, "--format", "csv", "-o", str(out))
    assert out.read_text() == csv_run.stdout and "30 row(s) written" in written.stderr


def test_bad_rows_are_reported_and_skipped(portfolio_file):
    rows = generated_rows(6, seed=4)
    rows[1]["need"] = "everything"
    text = as_csv(rows)
    done = invoke("assess", portfolio_file(text), "--format", "jsonl")
    assert done.exit_code == 1
    assert len(done.stdout.splitlines()) == 5
    assert "portfolio.csv: row 2: need: 'everything' is not allowed; allowed: capacity" in done.stderr
    jsonl = '{"need": "process"}\n[1, 2]\n{"nope": "x"}\nnot json\n{"need": "skills"}\n'
    done = invoke("assess", portfolio_file(jsonl, "p.jsonl"), "--format", "csv")
    assert done.exit_code == 1 and len(done.stdout.splitlines()) == 3
    assert "row 2: expected a mapping" in done.stderr and "row 3: nope: is not a question" in done.stderr
    assert "row 4: not valid JSON" in done.stderr


def test_file_level_errors_exit_2(portfolio_file):
    done = invoke("assess", portfolio_file("need,colour\nprocess,blue\n"))
    assert done.exit_code == 2 and "colour: header column is not a question" in done.output
    assert invoke("assess", portfolio_file("need: [\n", "p.yaml")).exit_code == 2
    assert "no such file" in invoke("assess", "missing.csv").output


def test_empty_cells_are_unknown(portfolio_file):
    done = invoke("assess", portfolio_file("id,need,daily_control\nA,,\nB,process,\n"), "--format", "json")
    rows = json.loads(done.output)["rows"]
    assert [r["unknowns"] for r in rows] == [len(KB.questions), len(KB.questions) - 1]
    assert rows[0]["id"] == "A"


def test_jobs_keep_the_input_order(portfolio_file):
    path = portfolio_file(as_csv(generated_rows(1200, seed=8)))
    one = invoke("assess", path, "--format", "csv").stdout
    two = invoke("assess", path, "--format", "csv", "--jobs", "2").stdout
    assert one == two and len(one.splitlines()) == 1201


def test_spawned_workers_load_the_knowledge_base_and_agree(portfolio_file, monkeypatch):
    """Where fork is not used (macOS, Windows), each worker starts afresh and loads the knowledge base."""
    import multiprocessing

    from sourcing.expert import workers

    monkeypatch.setattr(workers, "_context", lambda: multiprocessing.get_context("spawn"))
    path = portfolio_file(as_csv(generated_rows(1200, seed=9)))
    one = invoke("assess", path, "--format", "csv").stdout
    two = invoke("assess", path, "--format", "csv", "--jobs", "2").stdout
    assert one == two and len(one.splitlines()) == 1201


def test_jobs_report_bad_rows_as_one_process_does(portfolio_file):
    # bad rows travel between processes: a value not allowed (judged by a worker, its error sent back) and
    # a row with too many cells (found by the reader, its error sent to a worker)
    rows = generated_rows(1200, seed=12)
    rows[700]["need"] = "bogus"
    text = as_csv(rows).replace("\nP900,", "\nP900,extra,", 1)
    path = portfolio_file(text)
    runs = [
        subprocess.run(
            [sys.executable, "-m", "sourcing", "assess", path, "--format", "csv", "--jobs", jobs],
            capture_output=True,
            text=True,
            timeout=120,  # a bad row that cannot be sent back hung the parent
        )
        for jobs in ("1", "2")
    ]
    assert runs[0].returncode == runs[1].returncode == 1
    assert runs[0].stdout == runs[1].stdout and runs[0].stderr == runs[1].stderr
    assert "row 701: need: 'bogus' is not allowed" in runs[1].stderr and "row 900: " in runs[1].stderr


def test_progress_bar_only_when_asked_or_on_a_terminal(portfolio_file):
    path = portfolio_file(as_csv(generated_rows(5)))
    assert "Assessing" not in invoke("assess", path, "--format", "csv").stderr
    assert "Assessing" in invoke("assess", path, "--format", "csv", "--progress").stderr


def test_malformed_csv_is_one_clear_line(portfolio_file):
    wide = portfolio_file("need,urgency\n" + "a" * 200000 + ",planned\n")
    done = invoke("assess", wide)
    assert done.exit_code == 2 and "malformed CSV at line 2 (row 1): field larger than field limit" in done.output
    twice = invoke("assess", portfolio_file("need,need\nprocess,capacity\n"))
    assert twice.exit_code == 2 and "need: header column appears twice" in twice.output


def test_json_lines_split_on_newline_only(portfolio_file):
    rows = [{"id": "a\u2028b", "need": "process"}, {"id": "c\u0085d\re", "need": "skills"}]
    done = invoke(
        "assess",
        portfolio_file("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "p.jsonl"),
        "--format",
        "jsonl",
    )
    assert done.exit_code == 0, done.output
    assert [json.loads(line)["id"] for line in done.stdout.split("\n")[:-1]] == ["a\u2028b", "c\u0085d\re"]


def test_csv_output_neutralises_what_a_spreadsheet_reads_as_a_formula(portfolio_file):
    ids = ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "plain", "a=b"]
    text = as_csv([{"id": i, "need": "process"} for i in ids])
    done = invoke("assess", portfolio_file(text), "--format", "csv")
    assert done.exit_code == 0, done.output
    cells = [row[1] for row in csv.reader(io.StringIO(done.stdout))][1:]
    assert cells == ["'" + i for i in ids[:4]] + ids[4:]
    jsonl = invoke("assess", portfolio_file(text), "--format", "jsonl").stdout
    assert [json.loads(line)["id"] for line in jsonl.splitlines()] == ids  # only CSV output is for spreadsheets


def test_an_unterminated_quote_names_its_row(portfolio_file):
    done = invoke("assess", portfolio_file('need,urgency\nprocess,planned\n"process,planned\nskills,planned\n'))
    assert done.exit_code == 2
    assert done.output.strip().splitlines()[-1].endswith("row 2: a quote opened on line 3 is never closed")


def test_rows_with_too_few_cells_are_reported_per_row(portfolio_file):
    done = invoke(
        "assess", portfolio_file("id,need,urgency,daily_control\nA,process\nB,process,planned,\n"), "--format", "jsonl"
    )
    assert done.exit_code == 0
    assert (
        "warning: " in done.stderr
        and "row 1: 2 cells for 4 columns; urgency, daily_control treated as unknown" in done.stderr
    )
    assert "row 2" not in done.stderr
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == ["A", "B"]


def test_an_empty_value_is_unknown_in_every_format(advisor, portfolio_file):
    rows = [{"id": "A", "need": "", "urgency": "  "}, {"id": "B", "need": "process", "urgency": None}]
    expected = [
        advisor.evaluate({"need": "process"}).model if r["id"] == "B" else advisor.evaluate({}).model for r in rows
    ]
    for name, text in [
        ("p.jsonl", "".join(json.dumps(r) + "\n" for r in rows)),
        ("p.json", json.dumps(rows)),
        ("p.yaml", yaml.safe_dump(rows)),
    ]:
        done = invoke("assess", portfolio_file(text, name), "--format", "jsonl")
        assert done.exit_code == 0, done.output
        assert [json.loads(line)["model"] for line in done.stdout.splitlines()] == expected


@pytest.mark.parametrize("jobs", ["0", "-1", "257", "99999999999999999999999"])
def test_absurd_job_counts_are_refused(portfolio_file, jobs):
    done = invoke("assess", portfolio_file(as_csv(generated_rows(3))), "--jobs", jobs)
    assert done.exit_code == 2
    assert done.output.count("\n") == 1 and done.output.startswith("error: --jobs: ")


def test_workers_are_capped_at_the_cpus_and_the_chunks():
    from sourcing.cli.assess import PARALLEL_FROM, _workers

    three = [[None] * 500] * 3
    assert _workers(20, 2, three, ended=True) == 2
    assert _workers(20, 8, three, ended=True) == 3
    assert _workers(20, 8, three, ended=False) == 8
    assert _workers(None, 8, three, ended=True) == 1  # a short input is judged in this process
    long = [[None] * 500] * (PARALLEL_FROM // 500 + 1)
    assert _workers(None, 2, long, ended=False) == 2


def test_output_starts_before_the_input_ends(tmp_path):
    import time

    out = tmp_path / "out.jsonl"
    with open(out, "w") as stdout:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sourcing",
                "assess",
                "-",
                "--input-format",
                "csv",
                "--format",
                "jsonl",
                "--jobs",
                "1",
            ],
            stdin=subprocess.PIPE,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            process.stdin.write(as_csv(generated_rows(6000, seed=9)))
            process.stdin.flush()
            for _ in range(600):  # the input is still open: only streaming can write anything yet
                if out.read_text().count("\n") >= 500:
                    break
                time.sleep(0.1)
            started = out.read_text()
        finally:
            process.stdin.close()
            process.wait(timeout=120)
    assert json.loads(started.splitlines()[0])["row"] == 1
    assert process.returncode == 0 and len(out.read_text().splitlines()) == 6000


def test_the_summary_counts_a_verdict_without_a_model_as_undetermined(kb):
    summary = portfolio.Summary()
    for model in (None, kb.models[0].id, None):
        summary.add(portfolio.Assessed(1, "x", model, kb.weakest, None, None, (), (), 0))
    summary.add(portfolio.BadRow(4, portfolio.InputError("x", "bad")))
    assert summary.per_model(kb)[portfolio.UNDETERMINED] == 2 and summary.per_model(kb)[kb.models[0].id] == 1
    assert (summary.rows, summary.bad_rows) == (3, 1)
    from sourcing.cli.assess import summary_text

    assert "undetermined" in summary_text(summary, kb, "simple").lower()


def test_the_quick_path_of_validation_agrees_with_the_answers_checks(kb):
    from sourcing.expert import answers as answers_io

    odd = [{"need": True}, {"need": " process "}, {1: "process"}, {"need": "nope"}, {"colour": "blue"}, {"need": 3}]
    blank = [{"need": ""}, {"need": "   ", "urgency": None}, {}]
    catalogue = portfolio._catalogue(kb)
    for row in generated_rows(200, seed=12) + odd + blank:
        raw = {k: v for k, v in row.items() if k != "id"}
        plain = portfolio._plain_answers(catalogue, raw)
        if row in odd:
            assert plain is None  # answers.normalise converts or refuses these
        else:
            blanks_unknown = {k: None if isinstance(v, str) and not v.strip() else v for k, v in raw.items()}
            given = answers_io.normalise(kb, blanks_unknown, "x")
            assert list(plain.items()) == [(q.id, given.get(q.id, "unknown")) for q in kb.questions]


def test_a_carriage_return_in_a_cell_is_quoted_in_csv_output(portfolio_file):
    rows = [{"id": "a\rb", "need": "process"}, {"id": "\r", "need": "skills"}]
    done = invoke("assess", portfolio_file("".join(json.dumps(r) + "\n" for r in rows), "p.jsonl"), "--format", "csv")
    assert done.exit_code == 0
    assert [row[1] for row in csv.reader(io.StringIO(done.stdout, newline=""))][1:] == ["a\rb", "'\r"]
    assert done.stdout.count("\n") == 3


@pytest.mark.parametrize(
    "text, expected",
    [
        ("need\nprocess\n", "csv"),
        ("id,need\na,process\n", "csv"),
        ("- need: process\n", "yaml"),
        ("---\n- need: process\n", "yaml"),
        ("# portfolio\n- need: process\n", "yaml"),
        ('[{"need": "process"}]', "json"),
        ('{"need": "process"}\n', "jsonl"),
    ],
)
def test_standard_input_format_is_detected_from_the_first_line(text, expected):
    assert portfolio.detect_format("-", text) == expected


def test_a_single_column_csv_on_standard_input_is_assessed():
    done = CliRunner().invoke(cli, ["assess", "-", "--format", "csv"], input="need\nprocess\n")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[0].startswith("row,")


def test_blocker_counts_kept_per_blocking_set_are_the_counts_of_the_rules_fired():
    """The fallback's blocker count is kept per set of blocking rules fired; it is the count of those rules
    in any order, and the same for every row with that set."""
    from sourcing.expert.advisor import Advisor

    advisor = Advisor(KB)
    fallback, seen = KB.fallback.id, {}
    for row in generated_rows(300, seed=11):
        fired = advisor.evaluate({k: v for k, v in row.items() if k != "id"}).fired
        kept = advisor._count_blockers(fired, fallback)
        blocking = sorted(fired & advisor._roles.keys(), reverse=True)
        assert kept == advisor._blocking_reasons(blocking) == seen.setdefault(frozenset(blocking), kept)
    assert len(seen) < 300 and len(advisor._blocker_counts) == len(seen)  # rows share blocking sets


def test_a_question_named_like_an_id_column_is_never_answered_by_the_row_id():
    from types import SimpleNamespace

    question = SimpleNamespace
    kb = SimpleNamespace(
        questions=[question(id="name", choices=("a", "b", UNKNOWN)), question(id="q", choices=("x", UNKNOWN))]
    )
    row = portfolio.validate(kb, 1, {"name": "a", "q": "x"}, "p.csv")
    assert (row.id, row.answers) == ("a", {"name": UNKNOWN, "q": "x"})
    assert portfolio.validate(kb, 2, {"q": "x"}, "p.csv").answers == {"name": UNKNOWN, "q": "x"}
