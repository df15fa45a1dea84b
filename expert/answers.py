"""Validate answers from files, --set options and prompts against the catalogue."""

from sourcing.expert.errors import InputError, shown
from sourcing.expert.model import UNKNOWN
from sourcing.expert.names import did_you_mean


def normalise(kb, raw, source):
    """Check a mapping of question id -> value; return {id: value} as text.

    YAML reads unquoted yes/no as booleans: they are taken as "yes"/"no".
    An empty value (null) means unknown.
    """
    if raw is None:
        raise InputError(source, "file is empty; expected a mapping of question id to value")
    if not isinstance(raw, dict):
        raise InputError(source, f"expected a mapping of question id to value, got {_type_name(raw)}")
    answers = {}
    for key, value in raw.items():
        answers[str(key)] = check(kb, key, value, source)
    return answers


def check(kb, key, value, source):
    """Validate one answer; return its value as text."""
    question = kb.question_map.get(key) if isinstance(key, str) else None
    if question is None:
        ids = [q.id for q in kb.questions]
        raise InputError(source, f"is not a question{did_you_mean(key, ids)}", key=key, allowed=ids)
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if not isinstance(value, str):
        raise InputError(source, f"expected one value, got {_type_name(value)}", key=key, allowed=question.choices)
    text = value.strip()
    if text not in question.choices:
        raise InputError(
            source,
            f"{shown(repr(text))} is not allowed{did_you_mean(text, question.choices)}",
            key=key,
            allowed=question.choices,
        )
    return text


def _type_name(value):
    names = {dict: "a mapping", list: "a list", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def read(kb, path):
    """Read and validate an answers file (YAML or JSON); '-' reads standard input."""
    from sourcing.expert import yamlio  # here: --set and prompts do without a YAML parser

    source = "<stdin>" if path == "-" else str(path)
    return normalise(kb, yamlio.read_file(path, source), source)


def parse_settings(kb, settings):
    """Turn repeated ``--set QUESTION=VALUE`` options into validated answers."""
    answers = {}
    for setting in settings:
        key, sep, value = setting.partition("=")
        if not sep:
            raise InputError("--set", f"{setting!r} is not QUESTION=VALUE")
        answers[key.strip()] = check(kb, key.strip(), value, "--set")
    return answers
