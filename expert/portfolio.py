"""Portfolio assessment: many answer sets (CSV, JSON Lines, YAML or JSON), one verdict each, and a summary.

CSV and JSON Lines are streamed: read, judged and written chunk by chunk in
bounded memory, in input order. YAML and JSON are documents, read whole
within the 50 MB limit. A bad row (an unknown question, a value not allowed,
a line that is not a mapping) becomes a BadRow with its row number and key,
and the other rows are still assessed. Rows are counted from 1 in reading
order (a CSV header is not a row).
"""

import codecs
import csv
import io
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sourcing.expert import answers as answers_io
from sourcing.expert import yamlio
from sourcing.expert.errors import InputError
from sourcing.expert.model import UNKNOWN
from sourcing.expert.plan import Kept
from sourcing.expert.result import number

ID_KEYS = ("id", "name")
FORMATS = ("csv", "jsonl", "yaml", "json")
STREAMED = ("csv", "jsonl")
SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}
UNDETERMINED = "undetermined"  # the summary's name for a verdict with no model
BLOCK = 64 * 1024  # bytes read at a time
MAX_LINE = 1024 * 1024  # characters in one line of a streamed file (more than BLOCK: see _lines)
SHOWN_NOTES = 50
GAP_SETS_KEPT = 4096  # distinct sets of readiness gaps Summary.add keeps counted pairs of


class Row(NamedTuple):  # named tuples, not frozen dataclasses: one of each per row, five times cheaper to build
    number: int
    id: str
    answers: dict[str, str]  # validated and complete: every question, in catalogue order


@dataclass(frozen=True)
class BadRow:
    number: int
    error: InputError


class Assessed(NamedTuple):
    """One row's verdict, the same as ``consult`` gives for its answers."""

    number: int
    id: str
    model: str | None  # None: undetermined
    strength: str
    runner_up: str | None
    margin: float | None
    warnings: tuple[tuple[str, str, str], ...]  # (rule, about, text)
    gaps: tuple[tuple[str, str, str], ...]  # (rule, area, text) of the readiness gaps
    unknowns: int  # questions answered unknown

    def to_dict(self):
        return {
            "row": self.number,
            "id": self.id,
            "model": self.model,
            "strength": self.strength,
            "runner_up": self.runner_up,
            "margin": number(self.margin),
            "warnings": [{"rule": rule, "about": about, "text": text} for rule, about, text in self.warnings],
            "readiness_gaps": [{"rule": rule, "area": area, "text": text} for rule, area, text in self.gaps],
            "unknowns": self.unknowns,
        }


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
    # A YAML portfolio is a list of mappings: its first line starts one ('-', '---'), is a comment or a
    # directive, or holds a key. A header line with none of these is CSV, a single column included.
    return "yaml" if first.startswith(("-", "#", "%")) or ":" in first else "csv"


class Input:
    """A portfolio being read: its format, its records as (row number, raw mapping or InputError),
    the bytes read so far and, for files, the total size (for a progress bar).

    ``notes`` holds the first SHOWN_NOTES remarks on rows that were accepted (a CSV row with too
    few cells), ``noted`` counts them all.
    """

    def __init__(self, kb, path, input_format=None):
        self.source = "<stdin>" if path == "-" else str(path)
        self.handle = sys.stdin.buffer if path == "-" else _open(path, self.source)
        self.size = _size(self.handle)
        self.read = 0
        self.notes: list[str] = []
        self.noted = 0
        head = self._block()
        self.format = input_format or detect_format(path, head[:BLOCK].decode("utf-8", "replace"))
        if self.format in STREAMED:
            lines = _lines(self._blocks(head), self.source)
            self.records = enumerate(
                _csv_records(kb, lines, self) if self.format == "csv" else _jsonl_records(lines), start=1
            )
        else:
            data = head + self.handle.read(yamlio.PORTFOLIO_MAX_BYTES + 1 - len(head))
            self.read = len(data)
            text = yamlio.decode(data, self.source, yamlio.PORTFOLIO_MAX_BYTES)
            self.records = enumerate(_document_records(text, self.source), start=1)

    def close(self):
        if self.handle is not sys.stdin.buffer:
            self.handle.close()

    def note(self, text):
        self.noted += 1
        if len(self.notes) < SHOWN_NOTES:
            self.notes.append(text)

    def _block(self):
        try:
            data = self.handle.read1(BLOCK)  # what is there: a pipe need not fill a block
        except OSError as error:
            raise InputError(self.source, f"cannot read: {error.strerror}")
        self.read += len(data)
        return data

    def _blocks(self, head):
        data = head
        while data:
            yield data
            data = self._block()


def _open(path, source):
    with yamlio.reading(source):
        return open(path, "rb")


def _size(handle):
    import stat

    try:
        status = os.fstat(handle.fileno())
    except (OSError, ValueError, AttributeError):
        return None  # not a real file (a test runner's stream)
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def _lines(blocks: Iterable[bytes], source: str) -> Iterator[str]:
    """The UTF-8 text of ``blocks`` as lines split on "\\n" only (each keeps its "\\n"), refusing binary
    data, other encodings and lines longer than MAX_LINE characters."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    rest, offset, line = "", 0, 0
    for data in blocks:
        if b"\x00" in data:
            raise InputError(source, "binary data, expected UTF-8 text")
        try:
            text = rest + decoder.decode(data)
        except UnicodeDecodeError as error:
            raise InputError(source, f"not UTF-8 text (byte {offset + error.start})")
        offset += len(data)
        if text.find("\n") > MAX_LINE:  # only the first line can be that long: a block is shorter
            raise InputError(source, f"line {line + 1} is longer than {MAX_LINE:,} characters")
        end = text.rfind("\n") + 1
        yield from io.StringIO(text[:end], newline="\n")  # its lines, split on "\n" only, by C code
        line += text.count("\n", 0, end)
        rest = text[end:]
        if len(rest) > MAX_LINE:
            raise InputError(source, f"line {line + 1} is longer than {MAX_LINE:,} characters")
    try:
        rest += decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InputError(source, f"not UTF-8 text (byte {offset}: truncated)")
    if rest:
        yield rest


def validate(kb: Any, number: int, record: Any, source: str) -> "Row | BadRow":
    """A Row (its answers complete: every question, in catalogue order), or a BadRow naming the row
    number and the key at fault."""
    if isinstance(record, InputError):
        return BadRow(number, InputError(f"{source}: row {number}", record.message))
    if not isinstance(record, dict):
        return BadRow(number, InputError(f"{source}: row {number}", "expected a mapping of question id to value"))
    row_id = None
    for key in ID_KEYS:
        value = record.get(key)
        if value is not None and value != "":
            row_id = str(value)
            break
    catalogue = _catalogue(kb)
    answers = _plain_answers(catalogue, record)
    if answers is None:
        raw = {
            key: None if isinstance(value, str) and not value.strip() else value
            for key, value in record.items()
            if key not in ID_KEYS
        }
        try:
            given = answers_io.normalise(kb, raw, f"{source}: row {number}")
        except InputError as error:
            return BadRow(number, error)
        answers = {question: given.get(question, UNKNOWN) for question in catalogue.accepted}
    return Row(number, str(number) if row_id is None else row_id, answers)


class _Catalogue(NamedTuple):
    accepted: dict[str, dict]  # {question id: {each value it accepts, None and "": the answer}}, in order
    keys: frozenset[str]  # the question ids and ID_KEYS
    shadowed: bool  # a question's id is an id key: the row's id is never that question's answer


_CATALOGUE: list = [None, None]  # the last knowledge base seen, and its _Catalogue


def _catalogue(kb):
    """The questions' accepted values, kept for the last knowledge base seen."""
    if _CATALOGUE[0] is not kb:
        accepted = {q.id: {**{c: c for c in q.choices}, None: UNKNOWN, "": UNKNOWN} for q in kb.questions}
        keys = frozenset(accepted) | frozenset(ID_KEYS)
        _CATALOGUE[:] = [kb, _Catalogue(accepted, keys, not accepted.keys().isdisjoint(ID_KEYS))]
    return _CATALOGUE[1]


def _plain_answers(catalogue, raw):
    """``raw`` as complete answers (in catalogue order, a missing or blank value unknown) when every key
    is a question (or an id key, ignored) and every value None, blank or exactly one of its choices, the
    common case, checked in a few C calls; else None: answers.normalise then converts what it can
    (booleans, spaces) or says what is wrong."""
    if not raw.keys() <= catalogue.keys:
        return None  # a key that is no question
    if catalogue.shadowed:
        raw = {key: value for key, value in raw.items() if key not in ID_KEYS}
    accepted = catalogue.accepted
    try:
        return dict(zip(accepted, map(dict.__getitem__, accepted.values(), map(raw.get, accepted))))
    except (KeyError, TypeError):  # not a choice, or not hashable
        pass
    blanks = {key: None for key, value in raw.items() if type(value) is str and not value.strip()}
    if not blanks:
        return None
    given = {**raw, **blanks}
    try:
        return dict(zip(accepted, map(dict.__getitem__, accepted.values(), map(given.get, accepted))))
    except (KeyError, TypeError):
        return None


def _csv_records(kb, lines, reader):
    """The rows of a CSV file as mappings of column to cell, each cell stripped (an empty one: "")."""
    rows = csv.reader(lines, strict=True)
    header = [h.strip() for h in _next_row(rows, reader.source, 0) or ()]
    if not header:
        raise InputError(reader.source, "no header row; expected question ids (and optionally id or name)")
    known = {q.id for q in kb.questions} | set(ID_KEYS)
    for column in header:
        if column not in known:
            raise InputError(
                reader.source,
                "header column is not a question",
                key=column,
                allowed=list(ID_KEYS) + [q.id for q in kb.questions],
            )
        if header.count(column) > 1:
            raise InputError(reader.source, "header column appears twice", key=column)
    count, width = 0, len(header)
    while True:
        cells = _next_row(rows, reader.source, count + 1)
        if cells is None:
            return
        if not (cells and cells[0].strip()) and not "".join(cells).strip():
            continue  # blank line
        count += 1
        if len(cells) != width:
            if len(cells) > width:
                yield InputError(reader.source, f"{len(cells)} cells for {width} columns")
                continue
            reader.note(
                f"{reader.source}: row {count}: {len(cells)} cells for {width} columns; "
                f"{', '.join(header[len(cells) :])} treated as unknown"
            )
        yield dict(zip(header, map(str.strip, cells)))  # an empty cell stays "": validate reads it as unknown


def _next_row(rows, source, count):
    """The next row of the csv reader ``rows`` (None at the end); InputError naming the line and row."""
    before = rows.line_num
    try:
        return next(rows, None)
    except csv.Error as error:
        where = f"row {count}" if count else "the header"
        if str(error) == "unexpected end of data":
            raise InputError(source, f"{where}: a quote opened on line {before + 1} is never closed")
        raise InputError(source, f"malformed CSV at line {rows.line_num} ({where}): {error}")


def _jsonl_records(lines):
    for line in lines:
        if not line.strip():
            continue
        try:
            yield yamlio.parse_json(line, "")
        except InputError as error:
            yield error


def _document_records(text, source):
    document = yamlio.parse(text, source)
    if not isinstance(document, list):
        raise InputError(source, "expected a list of answer mappings")
    yield from document


def judge(advisor, record, source, engine="direct"):
    """The verdict on one (row number, record): an Assessed, or the BadRow it is."""
    row = validate(advisor.kb, *record, source)
    return assess(advisor, row, engine) if isinstance(row, Row) else row


def assess(advisor: Any, row: Row, engine: str = "direct") -> Assessed:
    """The verdict on one valid row, by the direct evaluator or (``engine='experta'``) the engine of record."""
    answers = row.answers  # complete (validate)
    unknowns = [*answers.values()].count(UNKNOWN)
    if engine == "experta":
        result = advisor.consult(answers)
        return Assessed(
            row.number,
            row.id,
            result.recommendation,
            result.strength,
            result.runner_up,
            result.margin,
            tuple((f.rule, f.name, f.text) for f in result.warnings),
            tuple((f.rule, f.name, f.text) for f in result.gaps),
            unknowns,
        )
    outcome = advisor.direct.run(answers)  # validated and complete
    decided = outcome.verdict
    warnings, gaps = [], []
    for c in outcome.conclusions:  # one pass, in their order (Outcome.of_kind twice walked them twice)
        if c.kind == "warning":
            warnings.append((c.rule, c.name, c.text))
        elif c.kind == "gap":
            gaps.append((c.rule, c.name, c.text))
    return Assessed(
        row.number,
        row.id,
        decided.model,
        advisor.strength_of(answers, outcome),
        decided.runner_up,
        decided.margin,
        tuple(warnings),
        tuple(gaps),
        unknowns,
    )


@dataclass
class Summary:
    """Counts over the assessed rows, kept up to date one verdict at a time (``add``) and merged
    across chunks (``merge``). A verdict without a model counts as UNDETERMINED."""

    rows: int = 0
    bad_rows: int = 0
    models: Counter = field(default_factory=Counter)
    strengths: Counter = field(default_factory=Counter)
    with_gaps: int = 0
    with_unknowns: int = 0
    gaps: Counter = field(default_factory=Counter)  # (rule, text) of a readiness gap -> rows with it

    def add(self, verdict: "Assessed | BadRow") -> None:
        """Count one verdict (an Assessed or a BadRow)."""
        if isinstance(verdict, BadRow):
            self.bad_rows += 1
            return
        self.rows += 1
        self.models[verdict.model or UNDETERMINED] += 1
        self.strengths[verdict.strength] += 1
        self.with_gaps += bool(verdict.gaps)
        self.with_unknowns += verdict.unknowns > 0
        self.gaps.update(_GAP_PAIRS[verdict.gaps])

    def merge(self, other):
        """Add the counts of ``other``."""
        self.rows += other.rows
        self.bad_rows += other.bad_rows
        self.models.update(other.models)
        self.strengths.update(other.strengths)
        self.with_gaps += other.with_gaps
        self.with_unknowns += other.with_unknowns
        self.gaps.update(other.gaps)

    def per_gap(self):
        """(rule, text, rows) of every readiness gap, most rows first (then by rule and text)."""
        return [(rule, text, n) for (rule, text), n in sorted(self.gaps.items(), key=lambda kv: (-kv[1], kv[0]))]

    def per_model(self, kb):
        """Rows per model: every model of ``kb``, then UNDETERMINED when a row had no model."""
        counts = {m.id: self.models.get(m.id, 0) for m in kb.all_models}
        counts.update((model, n) for model, n in self.models.items() if model not in counts)
        return counts

    def per_strength(self, kb):
        """Rows per strength level, every level listed."""
        levels = [level.name for level in kb.strength] + [kb.weakest]
        counts = {name: self.strengths.get(name, 0) for name in levels}
        counts.update((name or "none (undetermined)", n) for name, n in self.strengths.items() if name not in counts)
        return counts

    def to_dict(self, kb):
        return {
            "rows": self.rows,
            "bad_rows": self.bad_rows,
            "models": self.per_model(kb),
            "strengths": self.per_strength(kb),
            "rows_with_readiness_gaps": self.with_gaps,
            "rows_with_unknowns": self.with_unknowns,
            "gaps": [{"rule": rule, "text": text, "rows": n} for rule, text, n in self.per_gap()],
        }


# A row's readiness gaps as the (rule, text) pairs the summary counts, once each; few distinct sets recur.
_GAP_PAIRS = Kept(lambda gaps: tuple(dict.fromkeys((rule, text) for rule, _, text in gaps)), GAP_SETS_KEPT)


def to_json(value):
    """Compact JSON for one line of JSON Lines."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Chunk:
    """The verdicts on a run of consecutive records: the rendered text, the counts, the bad rows,
    and (when asked to keep them) the Assessed rows themselves."""

    text: str
    summary: Summary
    bad: list[BadRow]
    kept: list[Assessed] | None


def judge_chunk(advisor, records, source, engine="direct", render=None):
    """Judge ``records`` into one Chunk; ``render`` (a list of Assessed -> text) renders them, and
    without it the Assessed rows are kept."""
    summary, assessed, bad = Summary(), [], []
    for record in records:
        verdict = judge(advisor, record, source, engine)
        summary.add(verdict)
        (bad if isinstance(verdict, BadRow) else assessed).append(verdict)
    if render is None:
        return Chunk("", summary, bad, assessed)
    return Chunk(render(assessed), summary, bad, None)


# The advisor of a worker process: inherited when processes fork, loaded once otherwise.
_WORKER: dict[str, Any] = {}


def _start_worker(sources):
    if _WORKER.get("sources") != sources:
        from sourcing.expert.advisor import Advisor
        from sourcing.expert.loader import load

        _WORKER.update(sources=sources, advisor=Advisor(load(sources[0], sources[1:])))


def _judge_task(task):
    records, source, engine, render = task
    return judge_chunk(_WORKER["advisor"], records, source, engine, render)


def batches(records: Iterable, size: int) -> Iterator[list]:
    """``records`` in lists of ``size`` (the last one shorter)."""
    batch = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def judge_stream(
    advisor, chunks: Iterable[list], source: str, engine: str = "direct", jobs: int = 1, render: Callable | None = None
) -> Iterator[Chunk]:
    """Yield one Chunk per list of ``chunks``, in input order. With ``jobs`` > 1 the chunks are judged
    by worker processes (expert/workers.py), a bounded number in flight, so memory stays bounded however
    long the input; the workers end with the generator (exhausted, closed or left by an exception)."""
    if jobs <= 1:
        for records in chunks:
            yield judge_chunk(advisor, records, source, engine, render)
        return
    from sourcing.expert import workers

    if engine == "direct":  # build the evaluators once, here: forked workers share them
        _ = advisor.direct, advisor.foresight
    _WORKER.update(sources=advisor.kb.sources, advisor=advisor)
    tasks = ((records, source, engine, render) for records in chunks)
    yield from workers.ordered(_judge_task, tasks, jobs, _start_worker, (advisor.kb.sources,))
