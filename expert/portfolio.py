"""Portfolio assessment: many answer sets (CSV, JSON Lines, YAML or JSON), one verdict each, and a summary.

Rows are read lazily and validated one by one: a bad row (an unknown question,
a value not allowed, a line that is not a mapping) becomes a BadRow with its
row number and key, and the other rows are still assessed. Rows are counted
from 1 in reading order (a CSV header is not a row).
"""
import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from expert import answers as answers_io
from expert import yamlio
from expert.errors import InputError
from expert.model import UNKNOWN
from expert.result import number

ID_KEYS = ("id", "name")
FORMATS = ("csv", "jsonl", "yaml", "json")
SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}


@dataclass(frozen=True)
class Row:
    number: int
    id: str
    answers: Dict[str, str]  # validated; missing questions are unknown


@dataclass(frozen=True)
class BadRow:
    number: int
    error: InputError


@dataclass(frozen=True)
class Assessed:
    """One row's verdict, the same as ``consult`` gives for its answers."""

    number: int
    id: str
    model: str
    strength: str
    runner_up: str
    margin: Optional[float]
    warnings: Tuple[Tuple[str, str], ...]  # (rule, about)
    gaps: Tuple[str, ...]  # the areas of the readiness gaps
    unknowns: int  # questions answered unknown

    def to_dict(self):
        return {"row": self.number, "id": self.id, "model": self.model, "strength": self.strength,
                "runner_up": self.runner_up, "margin": number(self.margin),
                "warnings": [{"rule": rule, "about": about} for rule, about in self.warnings],
                "readiness_gaps": list(self.gaps), "unknowns": self.unknowns}


def detect_format(path, text):
    """The input format from the file's suffix, or from its first characters for '-'."""
    for suffix, name in SUFFIXES.items():
        if str(path).lower().endswith(suffix):
            return name
    start = text.lstrip()[:1]
    if start == "[":
        return "json"
    if start == "{":
        return "jsonl"
    first = text.lstrip().split("\n", 1)[0]
    return "csv" if "," in first and ":" not in first else "yaml"


def read_records(kb, text, source, input_format):
    """The records of ``text`` as (row number, raw mapping or InputError); InputError for a file that
    cannot be read at all (malformed document, CSV header naming no question)."""
    records = {"csv": _csv_records, "jsonl": _jsonl_records, "yaml": _document_records,
               "json": _document_records}[input_format](kb, text, source)
    return list(enumerate(records, start=1))


def validate(kb, number, record, source):
    """A Row, or a BadRow naming the row number and the key at fault."""
    where = f"{source}: row {number}"
    if isinstance(record, InputError):
        return BadRow(number, InputError(where, record.message))
    if not isinstance(record, dict):
        return BadRow(number, InputError(where, "expected a mapping of question id to value"))
    raw = dict(record)
    row_id = next((str(raw.pop(key)) for key in ID_KEYS if key in raw and raw[key] not in (None, "")), str(number))
    for key in ID_KEYS:
        raw.pop(key, None)
    try:
        answers = answers_io.normalise(kb, raw, where)
    except InputError as error:
        return BadRow(number, error)
    return Row(number, row_id, answers)


def _csv_records(kb, text, source):
    reader = csv.reader(io.StringIO(text))
    try:
        yield from _csv_rows(kb, reader, source)
    except csv.Error as error:
        raise InputError(source, f"malformed CSV at line {reader.line_num}: {error}")


def _csv_rows(kb, reader, source):
    header = next(reader, None)
    if not header:
        raise InputError(source, "no header row; expected question ids (and optionally id or name)")
    header = [h.strip() for h in header]
    known = {q.id for q in kb.questions} | set(ID_KEYS)
    for column in header:
        if column not in known:
            raise InputError(source, "header column is not a question", key=column,
                             allowed=list(ID_KEYS) + [q.id for q in kb.questions])
        if header.count(column) > 1:
            raise InputError(source, "header column appears twice", key=column)
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) > len(header):
            yield InputError(source, f"{len(cells)} cells for {len(header)} columns")
            continue
        yield {column: (cell.strip() or None) for column, cell in zip(header, cells)}


def _jsonl_records(kb, text, source):
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            yield yamlio.parse_json(line, source)
        except InputError as error:
            yield error


def _document_records(kb, text, source):
    document = yamlio.parse(text, source)
    if not isinstance(document, list):
        raise InputError(source, "expected a list of answer mappings")
    yield from document


def judge(advisor, record, source, engine="direct"):
    """The verdict on one (row number, record): an Assessed, or the BadRow it is."""
    row = validate(advisor.kb, *record, source)
    return assess(advisor, row, engine) if isinstance(row, Row) else row


def assess(advisor, row, engine="direct"):
    """The verdict on one valid row, by the direct evaluator or (``engine='experta'``) the engine of record."""
    answers = advisor.complete(row.answers)
    unknowns = sum(v == UNKNOWN for v in answers.values())
    if engine == "experta":
        result = advisor.consult(answers)
        return Assessed(row.number, row.id, result.recommendation, result.strength, result.runner_up, result.margin,
                        tuple((f.rule, f.name) for f in result.warnings), tuple(f.name for f in result.gaps),
                        unknowns)
    outcome = advisor.evaluate(answers, validated=True)
    decided = outcome.verdict
    return Assessed(row.number, row.id, decided.model, advisor.strength_of(answers, outcome), decided.runner_up,
                    decided.margin, tuple((c[4], c[1]) for c in outcome.of_kind("warning")),
                    tuple(c[1] for c in outcome.of_kind("gap")), unknowns)


@dataclass
class Summary:
    """Counts over the assessed rows."""

    rows: int
    bad_rows: int
    models: Dict[str, int]
    strengths: Dict[str, int]
    with_gaps: int
    with_unknowns: int

    def to_dict(self):
        return {"rows": self.rows, "bad_rows": self.bad_rows, "models": self.models, "strengths": self.strengths,
                "rows_with_readiness_gaps": self.with_gaps, "rows_with_unknowns": self.with_unknowns}


def summarise(kb, assessed, bad_rows):
    """Rows per model (every model listed), per strength, with gaps, with unknowns."""
    models = Counter(a.model for a in assessed)
    strengths = Counter(a.strength for a in assessed)
    levels = [level.name for level in kb.strength] + [kb.weakest]
    return Summary(
        rows=len(assessed), bad_rows=bad_rows,
        models={m.id: models.get(m.id, 0) for m in kb.all_models},
        strengths={name: strengths.get(name, 0) for name in levels},
        with_gaps=sum(bool(a.gaps) for a in assessed), with_unknowns=sum(a.unknowns > 0 for a in assessed),
    )


def to_json(value):
    """Compact JSON for one line of JSON Lines."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# The advisor of a worker process: inherited when processes fork, loaded once otherwise.
_WORKER = {}


def _start_worker(sources):
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool
    if _WORKER.get("sources") != sources:
        from expert.advisor import Advisor
        from expert.loader import load
        _WORKER.update(sources=sources, advisor=Advisor(load(sources[0], sources[1:])))


def _judge_chunk(task):
    records, source, engine = task
    return [judge(_WORKER["advisor"], record, source, engine) for record in records]


def judge_all(advisor, records, source, engine="direct", jobs=1, chunk=500):
    """Yield the verdict (Assessed or BadRow) on every record in input order; ``jobs`` > 1 spreads
    chunks of records over worker processes."""
    if jobs <= 1 or len(records) <= chunk:
        for record in records:
            yield judge(advisor, record, source, engine)
        return
    import multiprocessing
    _WORKER.update(sources=advisor.kb.sources, advisor=advisor)
    tasks = [(records[i:i + chunk], source, engine) for i in range(0, len(records), chunk)]
    with multiprocessing.get_context().Pool(jobs, _start_worker, (advisor.kb.sources,)) as pool:
        for results in pool.imap(_judge_chunk, tasks):
            yield from results
