"""Hypothesis strategies for whole random knowledge bases, and answer sets for them.

A generated knowledge base has a few questions of 2-4 values and rules in every
layer, with conditions nested freely (all/any/not over answers and findings,
``not`` over all/any, single-item lists, plain lists for all) that respect what
the loader allows: a rule tests findings of earlier layers, and of its own layer
positively only. The recommendation layer is usually a decision list (exactly
one outcome), sometimes not (then every engine must refuse the same way).
``GeneratedKB.load()`` writes it as YAML and loads it through the loader.
"""

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from hypothesis import assume
from hypothesis import strategies as st

from sourcing import knowledge
from sourcing.expert import load
from sourcing.expert.conditions import MAX_BRANCHES, branch_count
from sourcing.expert.model import (
    BLOCKED,
    CANDIDATE,
    FIT,
    FIT_STATUSES,
    LEADING,
    RECOMMENDED,
    VETOED,
    All,
    Any,
    Atom,
    Not,
    Question,
)

MODELS = ("staff_augmentation", "managed_services", "bpo")  # the shipped models.yaml is reused
RECOMMENDABLE = MODELS + ("stabilize_first", "undetermined")
AREAS = ("process_management", "delivery_accountability", "service_design", "operational_outcome")
OWNERS = ("client", "provider", "shared")
WORDS = ("alpha", "beta", "gamma", "delta")
WEIGHTS = (0, 1, 2, 3, 5, 0.5, 2.5, -1)
# The layers whose rules assert findings of their own, and the finding names each may use.
FINDING_NAMES = {"findings": ("fa", "fb"), "readiness": ("ra", "rb"), "requirements": ("qa",)}
FINDING_VALUES = ("high", "low")


@dataclass(frozen=True)
class GeneratedKB:
    """A random knowledge base: its questions and its rule entries (as the YAML files hold them)."""

    questions: tuple[Question, ...]
    rules: tuple[dict, ...]

    def files(self) -> dict[str, str]:
        """The questions and rules files, as text."""
        questions = {
            "questions": [
                {"id": q.id, "prompt": f"{q.id}?", "values": {v: v for v in q.values}} for q in self.questions
            ]
        }
        return {
            "questions.yaml": yaml.safe_dump(questions, sort_keys=False),
            "rules/rules.yaml": yaml.safe_dump({"rules": list(self.rules)}, sort_keys=False),
        }

    def load(self):
        """Write the files (with the shipped models.yaml) to a temporary directory and load them."""
        directory = Path(tempfile.mkdtemp(prefix="sourcing-random-kb-"))
        try:
            (directory / "rules").mkdir()
            shutil.copy(knowledge.directory() / "models.yaml", directory / "models.yaml")
            for name, text in self.files().items():
                (directory / name).write_text(text)
            return load(directory)
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def to_yaml(condition):
    """The YAML form of a condition tree (what a knowledge engineer would write)."""
    if isinstance(condition, Atom):
        node = {condition.kind: condition.name}
        if condition.values is not None:
            node.update({"is": condition.values[0]} if len(condition.values) == 1 else {"in": list(condition.values)})
        return node
    if isinstance(condition, Not):
        return {"not": to_yaml(condition.item)}
    return {"all" if isinstance(condition, All) else "any": [to_yaml(item) for item in condition.items]}


def _subset(values):
    return st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True).map(tuple)


@st.composite
def conditions(draw, questions, earlier, own=None, depth=2, negated=False):
    """A condition over ``questions`` and findings: ``earlier`` ({name: values}) may be tested either way,
    ``own`` (the rule's own layer) only where no ``not`` is above the test."""
    findings = dict(earlier)
    if not negated:
        findings.update(own or {})
    kinds = ["answer"] * 2 + ["finding"] * bool(findings) * 2 + ["all", "any", "not"] * (depth > 0)
    kind = draw(st.sampled_from(kinds))
    if kind == "answer":
        question = draw(st.sampled_from(questions))
        return Atom("answer", question.id, draw(_subset(question.choices)))
    if kind == "finding":
        name = draw(st.sampled_from(sorted(findings)))
        return Atom("finding", name, draw(st.none() | _subset(findings[name])))
    if kind == "not":
        return Not(draw(conditions(questions, earlier, own, depth - 1, not negated)))
    items = draw(st.lists(conditions(questions, earlier, own, depth - 1, negated), min_size=1, max_size=3))
    return (All if kind == "all" else Any)(tuple(items))


def _bounded(condition):
    assume(branch_count(condition) <= MAX_BRANCHES)
    return condition


@st.composite
def question_sets(draw):
    """Two to four questions of two to four values each."""
    count = draw(st.integers(2, 4))
    return tuple(
        Question(id=f"q{i}", prompt=f"q{i}?", values=WORDS[: draw(st.integers(2, 4))], help=()) for i in range(count)
    )


def _entry(rule_id, layer, then, condition=None, as_list=False):
    entry = {
        "id": rule_id,
        "title": f"rule {rule_id}",
        "layer": layer,
        "rationale": "Generated.",
        "source": "generated > test",
    }
    if condition is not None:
        yaml_condition = to_yaml(condition)
        entry["when"] = yaml_condition["all"] if as_list and isinstance(condition, All) else yaml_condition
    entry["then"] = then
    return entry


@st.composite
def knowledge_bases(draw) -> GeneratedKB:
    """A whole random knowledge base with rules in every layer that the loader accepts."""
    questions = draw(question_sets())
    rules: list[dict] = []
    earlier: dict[str, tuple[str, ...]] = {}
    counter = iter(range(1000))

    def rule_id(layer):
        return f"{layer[:3].upper()}-{next(counter):03d}"

    def when(own=None, depth=2):
        if draw(st.booleans()) and draw(st.booleans()):  # a quarter of the rules always hold
            return None
        return _bounded(draw(conditions(questions, earlier, own, depth)))

    def add(layer, then, condition):
        rules.append(_entry(rule_id(layer), layer, then, condition, as_list=draw(st.booleans())))

    def finding_layer(layer, rule_count, also=None):
        names = FINDING_NAMES[layer]
        planned = [
            [
                (draw(st.sampled_from(names)), draw(st.sampled_from(FINDING_VALUES)))
                for _ in range(draw(st.integers(1, 2)))
            ]
            for _ in range(rule_count)
        ]
        own: dict[str, tuple[str, ...]] = dict(also or {})
        for assertions in planned:
            for name, value in assertions:
                own[name] = tuple(sorted(set(own.get(name, ())) | {value}))
        for assertions in planned:
            add(layer, [{"finding": name, "value": value} for name, value in assertions], when(own))
        return own

    earlier.update(finding_layer("findings", draw(st.integers(1, 3))))
    earlier.update(finding_layer("readiness", draw(st.integers(0, 2))))
    for _ in range(draw(st.integers(1, 4))):
        pieces = draw(st.lists(st.tuples(st.sampled_from(MODELS), st.sampled_from(WEIGHTS)), min_size=1, max_size=3))
        add("evidence", [{"evidence": model, "weight": weight} for model, weight in pieces], when())
    vetoed = draw(st.lists(st.sampled_from(MODELS), max_size=2))
    for model in vetoed:
        add("vetoes", [{"veto": model}], when())
    if vetoed:
        earlier[VETOED] = tuple(sorted(set(vetoed)))
    rules.append(_entry(rule_id("scoring"), "scoring", [{"score": "evidence"}]))
    earlier.update({CANDIDATE: MODELS, LEADING: MODELS, FIT: FIT_STATUSES})
    required = draw(st.lists(st.sampled_from(MODELS), max_size=2))
    for model in required:
        entry = {
            "id": rule_id("requirements"),
            "title": "a requirement",
            "layer": "requirements",
            "rationale": "Generated.",
            "source": "generated > test",
            "requires": model,
            "unmet": to_yaml(_bounded(draw(conditions(questions, earlier)))),
        }
        if draw(st.booleans()):
            entry["then"] = [{"gap": draw(st.sampled_from(AREAS)), "text": "A gap."}]
        rules.append(entry)
    blocked = {BLOCKED: tuple(sorted(set(required)))} if required else {}
    earlier.update(finding_layer("requirements", draw(st.integers(0, 1)), blocked))
    recommended = _recommendations(draw, questions, earlier)
    for model, condition in recommended:
        add("recommendation", [{"recommend": model}], condition)
    earlier[RECOMMENDED] = tuple(sorted({model for model, _ in recommended}))
    for _ in range(draw(st.integers(0, 3))):
        add("consequences", [draw(_consequence())], when())
    return GeneratedKB(questions=questions, rules=tuple(rules))


def _recommendations(draw, questions, earlier):
    """(model, condition) per recommendation rule: usually a decision list, so exactly one holds (a rule
    holds when its test does and no earlier test did; the last when none did: a not over an any)."""
    tests = [draw(conditions(questions, earlier, depth=1)) for _ in range(draw(st.integers(1, 3)))]
    models = [draw(st.sampled_from(RECOMMENDABLE)) for _ in range(len(tests) + 1)]
    if draw(st.integers(0, 9)) == 0:  # not a decision list: none or several may hold
        return list(zip(models, tests, strict=False))  # one model more than tests: the last is unused
    found = [(models[0], tests[0])]
    found += [
        (model, All((test,) + tuple(Not(t) for t in tests[:i])))
        for i, (model, test) in enumerate(zip(models[1:], tests[1:], strict=False), start=1)
    ]
    found.append((models[-1], Not(Any(tuple(tests)))))
    return [(model, _bounded(condition)) for model, condition in found]


@st.composite
def _consequence(draw):
    kind = draw(st.sampled_from(("warning", "gap", "pricing", "responsibility", "note")))
    if kind == "warning":
        return {"warning": draw(st.sampled_from(RECOMMENDABLE)), "text": "A warning."}
    if kind == "responsibility":
        return {"responsibility": draw(st.sampled_from(AREAS)), "owner": draw(st.sampled_from(OWNERS))}
    return {kind: draw(st.sampled_from(("topic_a", "topic_b"))), "text": f"A {kind}."}


def complete_answers(questions) -> st.SearchStrategy:
    """Every question answered (``unknown`` included)."""
    return st.fixed_dictionaries({q.id: st.sampled_from(q.choices) for q in questions})


@st.composite
def partial_answers(draw, questions) -> dict[str, str]:
    """Some questions answered with a known value, the others still open (absent)."""
    known = draw(st.lists(st.sampled_from([q.id for q in questions]), unique=True))
    return {q.id: draw(st.sampled_from(q.choices)) for q in questions if q.id in known}


def completions(partial, questions) -> st.SearchStrategy:
    """The answer sets that keep ``partial`` and answer every open question."""
    return st.fixed_dictionaries(
        {q.id: st.just(partial[q.id]) if q.id in partial else st.sampled_from(q.choices) for q in questions}
    )


def finding_states(universe) -> st.SearchStrategy:
    """(certain, possible) sets of (finding, value) pairs drawn from ``universe``, certain within possible."""
    pairs = sorted(universe)
    return st.tuples(
        st.sets(st.sampled_from(pairs)) if pairs else st.just(set()),
        st.sets(st.sampled_from(pairs)) if pairs else st.just(set()),
    ).map(lambda drawn: (frozenset(drawn[0]), frozenset(drawn[0] | drawn[1])))
