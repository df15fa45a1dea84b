"""Safe YAML/JSON reading: no object tags, no duplicate keys, line numbers kept."""
import json
import sys

import yaml

from expert.errors import InputError

MAX_BYTES = 5 * 1024 * 1024  # answers, knowledge files, audit records
PORTFOLIO_MAX_BYTES = 50 * 1024 * 1024  # portfolio files (sourcing assess)


class LineDict(dict):
    """A mapping that remembers the line (1-based) where it started in its file."""

    line = None


class _SafeLineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
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
                None, None, "a mapping key must be a plain value", key_node.start_mark)
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        mapping[loader.construct_object(key_node, deep=True)] = loader.construct_object(value_node, deep=True)
    return mapping


_SafeLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _problem_text(error):
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
    """Parse YAML or JSON text safely; raise InputError naming ``source`` on failure."""
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text, object_pairs_hook=_json_mapping(source))
        except json.JSONDecodeError:
            pass  # not JSON after all: YAML flow syntax, or broken; YAML says which
    try:
        return yaml.load(text, Loader=_SafeLineLoader)
    except yaml.YAMLError as error:
        raise InputError(source, "malformed YAML/JSON: " + _problem_text(error))
    except RecursionError:
        raise InputError(source, "nesting is too deep")


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
    """Parse strict JSON (no YAML fallback), refusing duplicate keys."""
    try:
        return json.loads(text, object_pairs_hook=_json_mapping(source))
    except json.JSONDecodeError as error:
        raise InputError(source, f"not valid JSON (truncated?): line {error.lineno} column {error.colno}: {error.msg}")
    except RecursionError:
        raise InputError(source, "nesting is too deep")


def read_file(path, source=None):
    """Read and parse a YAML/JSON file."""
    source = source or str(path)
    return parse(read_text(path, source), source)


def read_text(path, source=None, limit=MAX_BYTES):
    """Read a file ('-': standard input) as UTF-8 text within ``limit`` bytes; InputError naming ``source``."""
    source = source or str(path)
    if str(path) == "-":
        return decode(sys.stdin.buffer.read(limit + 1), source, limit)
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError(source, "no such file")
    except IsADirectoryError:
        raise InputError(source, "is a directory, expected a file")
    except OSError as error:
        raise InputError(source, f"cannot read: {error.strerror}")
    return decode(data, source, limit)
