"""The intermediate form of the knowledge base: plain, immutable data.

Everything downstream (the experta compiler, the relevance evaluator, the CLI's
rule listings) reads these objects, never the YAML files.
"""
from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional, Tuple, Union

UNKNOWN = "unknown"

# Layers in firing order. Each layer may assert only certain kinds of fact.
LAYERS = ("findings", "readiness", "evidence", "scoring", "recommendation", "consequences")
LAYER_KINDS = {
    "findings": ("finding",),
    "readiness": ("finding",),
    "evidence": ("evidence",),
    "scoring": ("score",),
    "recommendation": ("recommend",),
    "consequences": ("warning", "gap", "pricing", "responsibility", "note"),
}
# Findings asserted by the built-in scoring action and by `recommend`.
LEADING, SECOND, CONTENDER, RECOMMENDED = "leading_model", "second_model", "contender", "recommended_model"


@dataclass(frozen=True)
class Question:
    """A question of the catalogue; ``values`` excludes the implicit ``unknown``."""

    id: str
    prompt: str
    values: Tuple[str, ...]
    help: Tuple[Tuple[str, str], ...]
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)
    purpose: str = ""  # why the question is asked, for the interview's '?'
    examples: Tuple[Tuple[str, str], ...] = ()  # (value, an example of a buyer who would choose it)

    @property
    def choices(self):
        """Every value the question accepts, ``unknown`` last."""
        return self.values + (UNKNOWN,)

    def help_for(self, value):
        """The one-line help text of ``value``."""
        return dict(self.help).get(value, "")

    def example_for(self, value: str) -> str:
        """The example of ``value``, or ""."""
        return dict(self.examples).get(value, "")


@dataclass(frozen=True)
class Model:
    id: str
    label: str
    summary: str


@dataclass(frozen=True)
class Atom:
    """Tests one fact: an answer or a finding, for one of ``values`` (None: any value)."""

    kind: str
    name: str
    values: Optional[Tuple[str, ...]]
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class All:
    items: Tuple["Condition", ...]


@dataclass(frozen=True)
class Any:
    items: Tuple["Condition", ...]


@dataclass(frozen=True)
class Not:
    item: "Condition"


Condition = Union[Atom, All, Any, Not]


@dataclass(frozen=True)
class Assertion:
    """One fact a rule asserts. ``name`` is the finding, model, area, structure or topic."""

    kind: str
    name: str
    value: Optional[str] = None
    weight: Optional[float] = None
    text: Optional[str] = None


@dataclass(frozen=True)
class RuleSpec:
    id: str
    title: str
    rationale: str
    source: str
    layer: str
    status: str
    when: Optional[Condition]
    then: Tuple[Assertion, ...]
    position: int
    file: str
    line: int
    references: Tuple[str, ...] = ()
    content: str = field(default="", compare=False)  # the rule's canonical content (expert.canonical)
    digest: str = field(default="", compare=False)  # its SHA-256

    def asserted_findings(self, model_ids):
        """The (finding, value) pairs this rule can assert; the scoring action can rank any of
        ``model_ids`` leading, second or contender."""
        for a in self.then:
            if a.kind == "finding":
                yield a.name, a.value
            elif a.kind == "recommend":
                yield RECOMMENDED, a.name
            elif a.kind == "score":
                yield from ((name, model) for name in (LEADING, SECOND, CONTENDER) for model in model_ids)

    @property
    def salience(self):
        """Earlier layers fire first: higher salience."""
        return (len(LAYERS) - LAYERS.index(self.layer)) * 10


@dataclass(frozen=True)
class StrengthLevel:
    name: str
    min_margin: float
    max_open_unknowns: int


@dataclass(frozen=True)
class KnowledgeBase:
    questions: Tuple[Question, ...]
    models: Tuple[Model, ...]
    fallback: Model
    areas: Tuple[Tuple[str, str], ...]
    owners: Tuple[str, ...]
    strength: Tuple[StrengthLevel, ...]
    weakest: str
    rules: Tuple[RuleSpec, ...]
    fingerprint: str = ""  # digest of every question, model and rule (see expert.canonical)
    sources: Tuple[str, ...] = ()  # the knowledge directory, then the extension directories

    def question(self, qid):
        """The question with id ``qid`` (KeyError if none)."""
        return self.question_map[qid]

    def rule(self, rid):
        """The rule with id ``rid`` (KeyError if none)."""
        return self._rules[rid]

    def model(self, mid):
        """The model (or the fallback) with id ``mid``."""
        return self._models[mid]

    def ranking(self, totals):
        """Model ids by score ``totals``, highest first; ties keep the order of models.yaml."""
        order = [m.id for m in self.models]
        return sorted(order, key=lambda m: (-totals[m], order.index(m)))

    def ranked_findings(self, totals):
        """The (finding, model) pairs the scoring action asserts: the leading and second models,
        and both as contenders."""
        first, second = self.ranking(totals)[:2]
        return [(LEADING, first), (SECOND, second), (CONTENDER, first), (CONTENDER, second)]

    @cached_property
    def _models(self):
        return {m.id: m for m in self.all_models}

    @property
    def all_models(self):
        """The scored models in tie-break order, then the fallback."""
        return self.models + (self.fallback,)

    @cached_property
    def question_map(self):
        """Questions by id."""
        return {q.id: q for q in self.questions}

    @cached_property
    def titles(self):
        """{rule id: title}."""
        return {r.id: r.title for r in self.rules}

    @cached_property
    def _rules(self):
        return {r.id: r for r in self.rules}
