"""What a person types, resolved to what the knowledge base names: models, values, keys.

One place for the forgiving rules (case, '-' or ' ' for '_', a model's label as
well as its id, unique prefixes) so that every command accepts the same words.
"""

from collections.abc import Iterable, Sequence

from sourcing.expert.errors import InputError, shown
from sourcing.expert.kinds import KINDS


def did_you_mean(word: object, allowed: Iterable[object]) -> str:
    """ " (did you mean 'weight'?)" naming the closest of ``allowed``, or "" when none is close."""
    import difflib  # only for an error message

    close = difflib.get_close_matches(str(word), [str(a) for a in allowed], n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown_key(key: object, allowed: Iterable[object]) -> str:
    """ "unknown key 'weigth' (did you mean 'weight'?)"."""
    return f"unknown key {shown(str(key))!r}{did_you_mean(key, allowed)}"


def unknown_key_in(mapping: object, keys: Iterable[str]) -> str:
    """ "unknown key 'x' (did you mean 'y'?): " for the first key of ``mapping`` not in ``keys``, or ""."""
    keys = set(keys)
    extra = sorted(str(k) for k in mapping if k not in keys) if isinstance(mapping, dict) else []
    return f"{unknown_key(extra[0], keys)}: " if extra else ""


def unique_prefix(text: str, choices: Sequence[str], source: str, what: str) -> str:
    """The one of ``choices`` that ``text`` is, or is the only one to begin with.

    InputError when ``text`` begins several of them (naming them) or none.
    """
    if text in choices:
        return text
    matches = [c for c in choices if text and c.startswith(text)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise InputError(source, f"{shown(text)!r} could be {' or '.join(matches)}; type more of it")
    raise InputError(source, f"{shown(text)!r} is not {what}{did_you_mean(text, choices)}", allowed=choices)


def _word(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").split())


def model_id(kb, text: str, source: str = "MODEL") -> str:
    """The id of the model (or the fallback) that ``text`` names.

    Accepted: the id or the label (``stabilize_first``, ``Stabilise first``), in
    any case, with '-' or spaces for '_', or a prefix of them that names one model.
    """
    names: dict[str, str] = {}  # every accepted spelling -> model id
    for model in kb.all_models:
        names.setdefault(_word(model.id), model.id)
        names.setdefault(_word(model.label), model.id)
    wanted = _word(text)
    if wanted in names:
        return names[wanted]
    matches = list(dict.fromkeys(names[n] for n in names if wanted and n.startswith(wanted)))
    if len(matches) == 1:
        return matches[0]
    ids = [m.id for m in kb.all_models]
    if matches:
        raise InputError(source, f"{shown(text)!r} could be {' or '.join(matches)}; type more of it")
    raise InputError(source, f"{shown(text)!r} is not a model{did_you_mean(wanted, names)}", allowed=ids)


CONCLUSION_NAMES = (
    "recommendation",
    "a fact id",
    "a fired rule id",
    "a finding or conclusion name",
    *(kind.plural for kind in KINDS),
)


def conclusion_facts(result, ident: str, source: str) -> list:
    """The fact ids ``ident`` names in ``result``; InputError listing what can be named otherwise."""
    from sourcing.expert import explain

    fact_ids = explain.select(result, ident)
    if not fact_ids:
        raise InputError(source, f"nothing named {ident!r} in this consultation", allowed=CONCLUSION_NAMES)
    return fact_ids
