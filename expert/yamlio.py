"""Safe YAML/JSON reading: no object tags, no duplicate keys, bounded numbers, line numbers kept."""

import json
import math
import os
import re
import stat
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from sourcing.expert.errors import InputError

MAX_BYTES = 5 * 1024 * 1024  # answers, knowledge files, audit records
PORTFOLIO_MAX_BYTES = 50 * 1024 * 1024  # portfolio files (sourcing assess)
MAX_DEPTH = 64  # nesting levels of a YAML/JSON document
MAX_NODES = 1_000_000  # values that aliases and merge keys add to a YAML document when expanded
MAX_NUMBER = 100  # characters of a number (YAML or JSON); longer ones are refused, as are NaN and infinity
_SURROGATE = re.compile("[\ud800-\udfff]")


class LineDict(dict):
    """A mapping that remembers the line (1-based) where it started in its file."""

    line = None


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when it is there


class _SafeLineLoader(_BaseLoader):
    """Safe loader (libyaml when available) that records mapping lines and refuses duplicate keys."""


def _construct_mapping(loader, node):
    seen = set()
    for key_node, _ in node.value:  # explicit keys only: merged (<<) keys may be overridden
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            )
        if duplicate:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        mapping[loader.construct_object(key_node, deep=True)] = loader.construct_object(value_node, deep=True)
    return mapping


_SafeLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _number_problem(text, value):
    """Why a number (its text and value) is refused, or None."""
    if len(text) > MAX_NUMBER:
        return f"a number of {len(text):,} characters; at most {MAX_NUMBER} are allowed"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{text!r} is not a finite number; NaN and infinity are not allowed"
    return None


def _number_constructor(kind):
    construct = _SafeLineLoader.yaml_constructors[f"tag:yaml.org,2002:{kind}"]

    def build(loader, node):
        value = None if len(node.value) > MAX_NUMBER else construct(loader, node)
        problem = _number_problem(node.value, value)
        if problem:
            raise InputError(loader.source, problem, line=node.start_mark.line + 1)
        return value

    return build


for _kind in ("int", "float"):
    _SafeLineLoader.add_constructor(f"tag:yaml.org,2002:{_kind}", _number_constructor(_kind))


def _problem_text(error):
    if isinstance(error, yaml.reader.ReaderError):
        return f"character {error.character!r} at position {error.position}: {error.reason}"
    mark = getattr(error, "problem_mark", None)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    problem = getattr(error, "problem", None) or str(error)
    if "could not determine a constructor" in problem:
        problem = "YAML tags that construct objects are not allowed (" + problem.split("for the tag")[-1].strip() + ")"
    return where + problem


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


def parse(text, source):
    """Parse YAML or JSON text safely; raise InputError naming ``source`` on failure.

    Besides refusing object tags and duplicate keys, the document's shape is
    bounded before anything is built from it: at most MAX_DEPTH levels of
    nesting and MAX_NODES values once aliases and merge keys are expanded
    (which stops "billion laughs" alias bombs), and no recursive aliases.
    """
    if text.lstrip().startswith(("{", "[")):
        try:
            return _load_json(text, source)
        except json.JSONDecodeError:
            pass  # not JSON after all: YAML flow syntax, or broken; YAML says which
        except RecursionError:
            raise InputError(source, f"nesting deeper than {MAX_DEPTH} levels")
    loader = _SafeLineLoader(text)
    loader.source = source
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(node, source)
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        raise InputError(source, "malformed YAML/JSON: " + _problem_text(error))
    except RecursionError:
        raise InputError(source, f"nesting deeper than {MAX_DEPTH} levels")
    finally:
        loader.dispose()


def _children(node):
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_nodes(root, source):
    """Bound depth and expanded size of a composed YAML node graph, without expanding it.

    Only what aliases and merge keys add counts: a node's expanded size less the
    distinct nodes seen so far (every later node adds at least itself to the root),
    so a large plain document passes and an alias bomb is stopped early.
    """
    size = {}  # id(node) -> values under it once expanded
    depth = {}  # id(node) -> nesting levels under it
    stack, on_path = [(root, False)], set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size[id(child)] for child in children)
            depth[key] = 1 + max((depth[id(child)] for child in children), default=0)
            if size[key] - len(size) > MAX_NODES:
                raise InputError(source, f"more than {MAX_NODES:,} values once aliases are expanded (an alias bomb?)")
            if depth[key] > MAX_DEPTH:
                raise InputError(source, f"nesting deeper than {MAX_DEPTH} levels")
            continue
        if key in size:
            continue
        if key in on_path:
            raise InputError(source, "a recursive alias (a value that contains itself)")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)


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
        problem = _number_problem(text, value)
        if problem:
            raise InputError(source, problem)
        return value

    return build


def _json_constant(source):
    def refuse(text):  # NaN, Infinity, -Infinity
        raise InputError(source, _number_problem(text, math.nan))

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
    if root is not None and not Path(path).resolve().is_relative_to(Path(root).resolve()):
        raise InputError(source, "points outside its knowledge directory; refused")
    return parse(read_text(path, source, regular=root is not None), source)


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
