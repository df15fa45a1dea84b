"""The intermediate form of the knowledge base: plain, immutable data.

Everything downstream (the experta compiler, the relevance evaluator, the CLI's
rule listings) reads these objects, never the YAML files.
"""

from functools import cached_property

from sourcing.expert.kinds import in_layer
from sourcing.expert.record import Record, uncompared

UNKNOWN = "unknown"

# Layers in firing order. Each layer may assert only certain kinds of fact.
# findings and readiness read the answers; evidence weighs the fit of each model (what responsibility
# the buyer wants to move); vetoes exclude the models the source calls the wrong fit; scoring ranks the
# models that are not vetoed; requirements check the readiness the leading candidate needs;
# recommendation decides; consequences add the conclusions (warnings, gaps, ...: see expert/kinds.py).
LAYERS = ("findings", "readiness", "evidence", "vetoes", "scoring", "requirements", "recommendation", "consequences")
LAYER_KINDS = {
    "findings": ("finding",),
    "readiness": ("finding",),
    "evidence": ("evidence",),
    "vetoes": ("veto",),
    "scoring": ("score",),
    "requirements": ("finding", *in_layer("requirements")),
    "recommendation": ("recommend",),
    "consequences": in_layer("consequences"),
}
# Findings asserted by the built-in actions: `veto`, the scoring action, `requires` and `recommend`.
VETOED = "vetoed"  # a model the source calls the wrong fit for these answers
CANDIDATE = "candidate"  # a model with the best fit among those not vetoed (several on a tie)
LEADING = "leading_model"  # the one candidate, when the fit separates it from every other
FIT = "fit"  # "clear" (one candidate), "tie" (several) or "all_vetoed" (none)
FIT_STATUSES = ("clear", "tie", "all_vetoed")
BLOCKED = "blocked"  # a candidate whose readiness requirement is unmet
RECOMMENDED = "recommended_model"
QUESTION_KINDS = ("fit", "readiness", "pricing")


class Question(Record):
    """A question of the catalogue; ``values`` excludes the implicit ``unknown``."""

    id: str
    prompt: str
    values: tuple[str, ...]
    help: tuple[tuple[str, str], ...]
    kind: str = "fit"  # fit: what the buyer wants to move; readiness: whether a model can work now; pricing
    order: tuple[str, ...] = ()  # the values, best (or, for fit questions, tightest) first; () if unordered
    favours: str | None = None  # a fit question: the model its earlier values favour
    file: str = uncompared("")
    line: int = uncompared(0)
    purpose: str = ""  # why the question is asked, for the interview's '?'
    examples: tuple[tuple[str, str], ...] = ()  # (value, an example of a buyer who would choose it)

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


class Model(Record):
    id: str
    label: str
    summary: str


class Atom(Record):
    """Tests one fact: an answer or a finding, for one of ``values`` (None: any value)."""

    kind: str
    name: str
    values: tuple[str, ...] | None
    line: int = uncompared(0)


class All(Record):
    items: tuple["Condition", ...]


class Any(Record):
    items: tuple["Condition", ...]


class Not(Record):
    item: "Condition"


Condition = Atom | All | Any | Not


class Assertion(Record):
    """One fact a rule asserts. ``name`` is the finding, model, area, structure or topic."""

    kind: str
    name: str
    value: str | None = None
    weight: float | None = None
    text: str | None = None


class RuleSpec(Record):
    id: str
    title: str
    rationale: str
    source: str
    layer: str
    status: str
    when: Condition | None
    then: tuple[Assertion, ...]
    position: int
    file: str
    line: int
    references: tuple[str, ...] = ()
    requires: str | None = None  # a requirements rule: the model whose readiness it checks
    unmet: Condition | None = None  # ... and the answers that leave the requirement unmet
    content: str = uncompared("")  # the rule's canonical content (sourcing.expert.canonical)
    digest: str = uncompared("")  # its SHA-256

    def asserted_findings(self, model_ids):
        """The (finding, value) pairs this rule can assert; the scoring action can make any of
        ``model_ids`` a candidate or the leader, and give any fit status."""
        for a in self.then:
            if a.kind == "finding":
                yield a.name, a.value
            elif a.kind == "recommend":
                yield RECOMMENDED, a.name
            elif a.kind == "veto":
                yield VETOED, a.name
            elif a.kind == "score":
                yield from ((name, model) for name in (CANDIDATE, LEADING) for model in model_ids)
                yield from ((FIT, status) for status in FIT_STATUSES)

    @property
    def vetoes(self):
        """The models this rule vetoes."""
        return tuple(a.name for a in self.then if a.kind == "veto")

    @property
    def salience(self):
        """Earlier layers fire first: higher salience."""
        return (len(LAYERS) - LAYERS.index(self.layer)) * 10


class StrengthLevel(Record):
    """A strength level: a recommended model needs the margin, few open unknowns, unconfirmed
    requirements and warnings; the fallback needs enough blocking reasons and few open unknowns."""

    name: str
    min_margin: float
    max_open_unknowns: int
    max_unconfirmed: int = 0
    max_warnings: int = 0
    min_blockers: int = 1


class ModelCatalogue(Record):
    """What models.yaml defines: the scored models, the fallback, the undetermined outcome, the
    responsibility areas ((id, label) pairs) and owners, the strength levels and the weakest strength."""

    models: tuple[Model, ...]
    fallback: Model
    undetermined: Model
    areas: tuple[tuple[str, str], ...]
    owners: tuple[str, ...]
    strength: tuple[StrengthLevel, ...]
    weakest: str


class KnowledgeBase(ModelCatalogue):
    """The models.yaml catalogue, the questions and the rules (in firing position order)."""

    questions: tuple[Question, ...]
    rules: tuple[RuleSpec, ...]
    fingerprint: str = ""  # digest of every question, model and rule (see expert.canonical)
    sources: tuple[str, ...] = ()  # the knowledge directory, then the extension directories

    def question(self, qid):
        """The question with id ``qid`` (KeyError if none)."""
        return self.question_map[qid]

    def rule(self, rid):
        """The rule with id ``rid`` (KeyError if none)."""
        return self._rules[rid]

    def model(self, mid):
        """The model (or the fallback) with id ``mid``."""
        return self._models[mid]

    def ranked_findings(self, totals, vetoed):
        """The findings the scoring action asserts from fit ``totals`` and the ``vetoed`` models: every
        model not vetoed with the best total is a candidate; one candidate leads (fit "clear"), several
        are a tie (fit "tie": nothing breaks it by the order of the files); none is "all_vetoed"."""
        allowed = [m.id for m in self.models if m.id not in vetoed]
        if not allowed:
            return [(FIT, "all_vetoed")]
        best = max(totals[m] for m in allowed)
        candidates = [m for m in allowed if totals[m] == best]
        found = [(CANDIDATE, m) for m in candidates]
        if len(candidates) == 1:
            return found + [(LEADING, candidates[0]), (FIT, "clear")]
        return found + [(FIT, "tie")]

    @cached_property
    def _models(self):
        return {m.id: m for m in self.all_models}

    @property
    def all_models(self):
        """The scored models, the fallback, then the undetermined outcome."""
        return self.models + (self.fallback, self.undetermined)

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
