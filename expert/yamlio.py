"""Safe YAML/JSON reading: no object tags, no duplicate keys, bounded numbers, line numbers kept."""

import json
import math
import os
import re
import stat
import sys
from contextlib import contextmanager
from typing import Any

from sourcing.expert.errors import InputError

MAX_BYTES = 5 * 1024 * 1024  # answers, knowledge files, audit records
PORTFOLIO_MAX_BYTES = 50 * 1024 * 1024  # portfolio files (sourcing assess)
MAX_DEPTH = 64  # nesting levels of a YAML/JSON document
MAX_NODES = 1_000_000  # values that aliases and merge keys add to a YAML document when expanded
MAX_NUMBER = 100  # characters of a number (YAML or JSON); longer ones are refused, as are NaN and infinity
_SURROGATE = re.compile("[\ud800-\udfff]")


class LineDict(dict):
    """A mapping that remembers the line (1-based) where it started in its file."""

    line: int | None = None


def number_problem(text: str, value: Any) -> str | None:
    """Why a number (its text and value) is refused, or None."""
    if len(text) > MAX_NUMBER:
        return f"a number of {len(text):,} characters; at most {MAX_NUMBER} are allowed"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{text!r} is not a finite number; NaN and infinity are not allowed"
    return None


def decode(data, source, limit=MAX_BYTES):
    """Decode bytes as UTF-8 text, refusing binary and input over ``limit`` bytes."""
    if len(data) > limit:
        raise InputError(source, f"file is larger than the {limit // (1024 * 1024)} MB limit")
    if b"\x00" in data:
        raise InputError(source, "binary data, expected UTF-8 YAML or JSON text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(source, f"not UTF-8 text (byte {error.start})")


def parse(text: str, source: str) -> Any:
    """Parse YAML or JSON text safely; raise InputError naming ``source`` on failure.

    Besides refusing object tags and duplicate keys, the document's shape is
    bounded before anything is built from it: at most MAX_DEPTH levels of
    nesting and MAX_NODES values once aliases and merge keys are expanded
    (which stops "billion laughs" alias bombs), and no recursive aliases.
    A flat mapping of plain names (an answers file) is read without PyYAML,
    to the same result (``flat_mapping``).
    """
    if text.lstrip().startswith(("{", "[")):
        try:
            return _load_json(text, source)
        except json.JSONDecodeError:
            pass  # not JSON after all: YAML flow syntax, or broken; YAML says which
        except RecursionError:
            raise InputError(source, f"nesting deeper than {MAX_DEPTH} levels")
    flat = flat_mapping(text)
    if flat is not None:
        return flat
    from sourcing.expert.yamlload import parse_yaml

    return parse_yaml(text, source)


# A flat mapping of plain names, one "name: value" per line, as PyYAML reads it. Anything else (indentation,
# quotes, tabs, \r, non-ASCII, flow syntax, a duplicate key, a key YAML would read as true/false/null...)
# goes to PyYAML, which also gives the errors. tests/test_yamlio.py checks the two agree.
_PRINTABLE_ASCII = re.compile(r"[ -~\n]*")
_NAME = r"[A-Za-z_][A-Za-z0-9_]{0,127}"  # PyYAML takes a key of at most 1,024 characters on one line
_FLAT_LINE = re.compile(rf"(?:({_NAME}):(?: +({_NAME}))?(?: +(?:#.*)?)?| *(?:#.*)?)")
_BOOLEANS = dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True)
_BOOLEANS.update(dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False))
_NULLS = frozenset(("null", "Null", "NULL"))


def flat_mapping(text: str) -> "LineDict | None":
    """``text`` read as PyYAML's safe loader reads it, if it is a flat mapping of plain names (each line
    ``name: value``, ``name:``, blank or a comment; values as YAML 1.1 reads them: yes/no/on/off/true/false
    as booleans, null and an empty value as None); None for any other text."""
    if not _PRINTABLE_ASCII.fullmatch(text):
        return None
    mapping = LineDict()
    for number, line in enumerate(text.split("\n"), 1):
        match = _FLAT_LINE.fullmatch(line)
        if match is None:
            return None
        key, value = match.groups()
        if key is None:
            continue
        if key in mapping or key in _BOOLEANS or key in _NULLS:
            return None  # PyYAML reports the duplicate; a key it reads as true/false/null is not a name
        if mapping.line is None:
            mapping.line = number
        mapping[key] = None if value is None or value in _NULLS else _BOOLEANS.get(value, value)
    return mapping if mapping else None


def _bounded(value, source):
    """``value`` (parsed JSON) if it nests at most MAX_DEPTH levels and its text is valid Unicode."""
    level, frontier = 0, [value]
    while frontier:
        level += 1
        if level > MAX_DEPTH:
            raise InputError(source, f"nesting deeper than {MAX_DEPTH} levels")
        texts = [t for item in frontier for t in (item if isinstance(item, dict) else (item,)) if isinstance(t, str)]
        if any(_SURROGATE.search(t) for t in texts):
            raise InputError(source, "text with a lone surrogate escape (such as \\ud800), which is not valid Unicode")
        frontier = [
            child
            for item in frontier
            for child in (item.values() if isinstance(item, dict) else item if isinstance(item, list) else ())
        ]
    return value


def _json_number(source, convert):
    def build(text):
        value = None if len(text) > MAX_NUMBER else convert(text)
        problem = number_problem(text, value)
        if problem:
            raise InputError(source, problem)
        return value

    return build


def _json_constant(source):
    def refuse(text):  # NaN, Infinity, -Infinity
        raise InputError(source, number_problem(text, math.nan))

    return refuse


def _load_json(text, source):
    """Parsed JSON: duplicate keys, long or non-finite numbers, deep nesting and lone surrogates refused."""
    return _bounded(
        json.loads(
            text,
            object_pairs_hook=_json_mapping(source),
            parse_int=_json_number(source, int),
            parse_float=_json_number(source, float),
            parse_constant=_json_constant(source),
        ),
        source,
    )


def _json_mapping(source):
    def build(pairs):
        mapping = LineDict()
        for key, value in pairs:
            if key in mapping:
                raise InputError(source, f"duplicate key {key!r}")
            mapping[key] = value
        return mapping

    return build


def parse_json(text, source):
    """Parse strict JSON (no YAML fallback), refusing duplicate keys and nesting past MAX_DEPTH."""
    try:
        return _load_json(text, source)
    except json.JSONDecodeError as error:
        raise InputError(source, f"not valid JSON (truncated?): line {error.lineno} column {error.colno}: {error.msg}")
    except RecursionError:
        raise InputError(source, f"nesting deeper than {MAX_DEPTH} levels")


def read_file(path, source=None, root=None):
    """Read and parse a YAML/JSON file; with ``root`` (a knowledge directory), a regular file inside it."""
    source = source or str(path)
    if root is not None and not _inside(os.path.realpath(path), os.path.realpath(root)):
        raise InputError(source, "points outside its knowledge directory; refused")
    return parse(read_text(path, source, regular=root is not None), source)


def _inside(path, folder):
    """True when the real ``path`` is ``folder`` or under it (both real paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def read_text(path, source=None, limit=MAX_BYTES, regular=False):
    """Read a file ('-': standard input) as UTF-8 text within ``limit`` bytes; InputError naming ``source``.

    With ``regular``, only a regular file is read: a FIFO or device is refused without waiting on it.
    """
    source = source or str(path)
    if str(path) == "-":
        return decode(sys.stdin.buffer.read(limit + 1), source, limit)
    with reading(source):
        handle = os.open(path, os.O_RDONLY | (os.O_NONBLOCK if regular else 0))
        with open(handle, "rb") as stream:
            if regular and not stat.S_ISREG(os.fstat(handle).st_mode):
                raise InputError(source, "is not a regular file (a FIFO, device or directory); refused")
            data = stream.read(limit + 1)
    return decode(data, source, limit)


@contextmanager
def reading(source):
    """Turn the errors of opening or reading a file into one InputError line naming ``source``."""
    try:
        yield
    except FileNotFoundError:
        raise InputError(source, "no such file")
    except IsADirectoryError:
        raise InputError(source, "is a directory, expected a file")
    except OSError as error:
        raise InputError(source, f"cannot read: {error.strerror}")
