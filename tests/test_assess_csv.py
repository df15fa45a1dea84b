"""assess's CSV output: each line as csv.writer writes its cells, whatever the ids and texts hold, with
the encoded cells kept per (model, strength, runner-up) and per (warnings, gaps) in bounded caches."""

import csv
import io
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sourcing.cli import assess
from sourcing.expert.portfolio import Assessed

ODD = ["", "=1+1", "+x", "-y", "@z", "\tt", "\rr", 'a"b', "a,b", "two\nlines", "cr\rin", "crlf\r\nx", "ünï ✓", '"', ","]
texts = st.one_of(st.sampled_from(ODD), st.text(max_size=6))
findings = st.lists(st.tuples(texts, texts, texts), max_size=3).map(tuple)
verdicts = st.builds(
    Assessed,
    st.integers(1, 10**6),
    texts,
    st.one_of(st.none(), texts),
    texts,
    st.one_of(st.none(), texts),
    st.one_of(st.none(), st.integers(-50, 50), st.floats(-50, 50, allow_nan=False)),
    findings,
    findings,
    st.integers(0, 20),
)


def written(verdicts, header):
    """The CSV as csv.writer writes the neutralised cells, each line ending in "\\n" only."""
    rows = [assess.COLUMNS] if header else []
    for v in verdicts:
        rows.append(
            [
                v.number,
                v.id,
                v.model,
                v.strength or "",
                v.runner_up or "",
                "" if v.margin is None else assess.number(v.margin),
                " ".join(rule for rule, _, _ in v.warnings),
                " | ".join(text for _, _, text in v.warnings),
                " ".join(rule for rule, _, _ in v.gaps),
                " | ".join(text for _, _, text in v.gaps),
            ]
        )
    lines = []
    for row in rows:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow([assess.neutral(cell) for cell in row])
        lines.append(buffer.getvalue()[:-2] + "\n")
    return "".join(lines)


@settings(max_examples=400, deadline=timedelta(seconds=2))
@given(st.lists(verdicts, max_size=8), st.booleans())
def test_lines_are_what_csv_writer_writes(rows, header):
    text = assess.csv_text(rows, header=header)
    assert text == written(rows, header)
    assert text == assess.csv_text(rows, header=header)  # the second time from the caches
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert [row[1] for row in parsed[1 if header else 0 :]] == [assess.neutral(v.id) for v in rows]


def test_the_caches_stay_bounded_and_change_nothing(monkeypatch):
    monkeypatch.setattr(assess._CSV_MODELS, "limit", 5)
    monkeypatch.setattr(assess._CSV_FINDINGS, "limit", 5)
    rows = [
        Assessed(n, f"P{n}", f"m{n % 7}", "strong", None, n / 4, ((f"R{n}", "x", f"text {n}"),), (), 0)
        for n in range(1, 40)
    ]
    assert assess.csv_text(rows) == written(rows, False)
    assert len(assess._CSV_MODELS) <= 5 and len(assess._CSV_FINDINGS) <= 5
