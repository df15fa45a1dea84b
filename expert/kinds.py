"""The kinds of conclusion a rule can assert (warning, gap, pricing, responsibility, note): one table.

Everything that lists, checks, records, compares or shows conclusions reads KINDS: the loader (which
assertion keys a rule may use, what their name must be), the engines, the consult JSON
(expert/report.py), the advice (expert/advice.py), the audit record, replay, explain and the
renderers. Adding a kind is one entry here, plus the rules that assert it.
"""

from sourcing.expert.record import Record


class ConclusionKind(Record):
    """One kind of conclusion.

    ``name`` is the assertion key in rule files (``- warning: bpo``) and the fact kind; ``key`` its
    list in ``consult --format json``; ``subject`` the field that holds the conclusion's name there
    (a warning is ``about`` a model). ``detail`` is the other key a rule gives: ``text``, or
    ``owner`` (one of models.yaml's owners). ``names`` says what the name must be: ``model`` (any
    outcome of models.yaml), ``area`` (a responsibility area), or ``""`` (any word). ``matrix``: the
    kind is one value per responsibility area, shown as a mapping, not a list. ``section`` and
    ``heading`` are where the advice lists it; ``plural`` is how ``explain --conclusion`` names all
    of them; ``label`` names one in comparisons; ``explained``: ``--explain`` and the HTML page
    explain each one with the recommendation. ``layers``: the layers whose rules may assert it.
    """

    name: str
    key: str
    subject: str
    section: str
    heading: str
    plural: str
    label: str
    detail: str = "text"
    names: str = ""
    matrix: bool = False
    explained: bool = True
    layers: tuple[str, ...] = ("consequences",)


KINDS: tuple[ConclusionKind, ...] = (
    ConclusionKind(
        "warning",
        key="warnings",
        subject="about",
        section="before_you_sign",
        heading="Before you sign",
        plural="warnings",
        label="warning",
        names="model",
    ),
    ConclusionKind(
        "gap",
        key="readiness_gaps",
        subject="area",
        section="before_you_sign",
        heading="Before you sign",
        plural="gaps",
        label="next step",
        layers=("requirements", "consequences"),
    ),
    ConclusionKind(
        "pricing",
        key="pricing",
        subject="structure",
        section="pricing",
        heading="Pricing",
        plural="pricing",
        label="pricing",
        explained=False,
    ),
    ConclusionKind(
        "responsibility",
        key="responsibility",
        subject="area",
        section="responsibility",
        heading="Responsibility",
        plural="responsibility",
        label="responsibility",
        detail="owner",
        names="area",
        matrix=True,
        explained=False,
    ),
    ConclusionKind(
        "note", key="notes", subject="topic", section="notes", heading="Notes", plural="notes", label="note"
    ),
)
BY_NAME: dict[str, ConclusionKind] = {kind.name: kind for kind in KINDS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
LISTED: tuple[ConclusionKind, ...] = tuple(kind for kind in KINDS if not kind.matrix)  # shown as lists


def in_layer(layer: str) -> tuple[str, ...]:
    """The names of the kinds a rule of ``layer`` may assert."""
    return tuple(kind.name for kind in KINDS if layer in kind.layers)


def sections() -> list[tuple[str, str]]:
    """(section, heading) of the advice sections that list conclusions, in table order, each once."""
    return list(dict.fromkeys((kind.section, kind.heading) for kind in KINDS))


def named(word: str) -> list[ConclusionKind]:
    """The kinds ``word`` names: a kind's name or its plural (``gap``, ``gaps``)."""
    return [kind for kind in KINDS if word in (kind.name, kind.plural)]


def explained_facts(report: dict) -> list[int]:
    """The fact ids of the conclusions of a consult JSON ``report`` explained with its recommendation."""
    return [item["fact"] for kind in LISTED if kind.explained for item in report[kind.key]]
