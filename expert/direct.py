"""The direct evaluator: the rules run as a plain-Python fixed point, for bulk work.

experta is the engine of record (consultations, traces, audit records). This
evaluator runs the same intermediate form with the same semantics (the layers
of sourcing.expert.plan in order, each to its fixed point, findings only added,
evidence counted once per rule fired) but keeps no provenance, so it is fast
enough for searches and portfolios that run the rules thousands of times. Tests
prove the two agree on every scenario, on generated answers and on generated
knowledge bases.
"""

import pickle
from functools import cached_property
from typing import NamedTuple

from sourcing.expert import cache, codegen
from sourcing.expert.conditions import atoms, map_atoms
from sourcing.expert.kinds import BY_NAME
from sourcing.expert.model import CANDIDATE, RECOMMENDED, VETOED, KnowledgeBase
from sourcing.expert.outcome import Conclusion, Outcome, Verdict, verdict
from sourcing.expert.plan import Kept, Plan, plan, rankings
from sourcing.expert.record import replace

# The assertions that establish a finding, and the (finding, value) pair each one establishes.
_FINDING_OF = {
    "finding": lambda a: (a.name, a.value),
    "recommend": lambda a: (RECOMMENDED, a.name),
    "veto": lambda a: (VETOED, a.name),
}

_VERDICT_FINDINGS = frozenset((RECOMMENDED, VETOED, CANDIDATE))  # what a Verdict is made of, with the scores
FORM = "1"  # the format of the prepared form kept in the cache (its key covers this code too)
KEPT = 4096  # verdicts kept (per scores and verdict findings) and conclusion lists; more, and each starts again


class _Compiled:
    """One rule ready to run: what it asserts, sorted by kind."""

    __slots__ = ("rule", "findings", "names", "conclusions", "scores")

    def __init__(self, rule):
        self.rule = rule
        self.findings = tuple(_FINDING_OF[a.kind](a) for a in rule.then if a.kind in _FINDING_OF)
        self.conclusions = tuple(
            dict.fromkeys(Conclusion(a.kind, a.name, a.value, a.text, rule.id) for a in rule.then if a.kind in BY_NAME)
        )
        self.scores = any(a.kind == "score" for a in rule.then)
        self.names = tuple({name for name, _ in self.findings})


def _answer_classes(kb, rules):
    """{question: {value: class}}: two values share a class when every answer test of ``rules`` holds for
    both or for neither, so the verdict of those rules cannot tell them apart."""
    tests = {q.id: [] for q in kb.questions}
    for rule in rules:
        for atom in atoms(rule.when):
            if atom.kind == "answer" and atom.name in tests:
                tests[atom.name].append(frozenset(atom.values))
    return {q.id: {v: tuple(v in values for values in tests[q.id]) for v in q.choices} for q in kb.questions}


def _valued(atom, values):
    """``atom``, a test of a finding by name alone made a test of the ``values`` rules can give it
    ({name: {value: None}}); other atoms as they are."""
    if atom.kind == "finding" and atom.values is None:
        return replace(atom, values=tuple(values.get(atom.name, ())))
    return atom


def _feeds_back(rules, models):
    """Whether a rule of ``rules`` (one layer, in firing order) can assert a finding an earlier rule tests:
    only then can a second pass fire more (a rule that fired already changes nothing when it fires
    again, and a later rule sees what an earlier one added in the same pass). The scoring action reads
    every rule fired: a layer with it is taken to feed back."""
    tested = set()
    for c in rules:
        if c.scores:
            return True
        if tested.intersection(name for name, _ in c.rule.asserted_findings(models)):
            return True
        tested.update(a.name for a in atoms(c.rule.when) if a.kind == "finding")
    return False


class Fired(NamedTuple):
    """What one run established: the (finding, value) pairs, the rules fired, the numbers of the
    conclusions asserted (DirectEvaluator.conclusions) and the fit scores (empty: nothing scored)."""

    findings: set
    fired: set
    conclusions: set
    scores: dict


class _Form(NamedTuple):
    """A DirectEvaluator prepared for a knowledge base: what building it works out, kept in the cache."""

    program: codegen.Program  # the verdict run and the full run
    conclusions: tuple[Conclusion, ...]  # every conclusion a rule can assert, in report order
    read: tuple  # the (finding, value) pairs a verdict is read from: recommended, vetoed, candidate models
    classes: dict  # verdict_classes


def _prepared(kb, rule_plan):
    """The _Form of ``kb`` planned as ``rule_plan``."""
    models = rule_plan.models
    per_layer = [[_Compiled(rule) for rule in layer.rules] for layer in rule_plan.layers]
    # Every conclusion a rule can assert, numbered in report order (its rule's position, then its place
    # in the rule): a run collects the numbers, so sorting them gives the report order.
    ordered = sorted(
        ((c.rule.position, i), conclusion)
        for rules in per_layer
        for c in rules
        for i, conclusion in enumerate(c.conclusions)
    )
    conclusions = tuple(conclusion for _, conclusion in ordered)
    number = {conclusion: n for n, conclusion in enumerate(conclusions)}
    # A finding tested by name alone becomes a test of the values rules can give it, so no run keeps
    # the set of finding names.
    values = {}
    for rule in kb.rules:
        for name, value in rule.asserted_findings(models):
            values.setdefault(name, {})[value] = None
    # The scoring action, inline: the totals, then which models are vetoed; its key gives the ranking.
    scoring = codegen.Tally(models, tuple(rule_plan.weights()), tuple((VETOED, model) for model in models))
    layers, last = [], -1
    for index, (layer, rules) in enumerate(zip(rule_plan.layers, per_layer)):
        if any(c.scores or _VERDICT_FINDINGS.intersection(c.names) for c in rules):
            last = index
        entries = [
            (
                c.rule.id,
                map_atoms(c.rule.when, lambda a: _valued(a, values)),
                c.findings,
                (),
                tuple(number[k] for k in c.conclusions),
                scoring if c.scores else None,
            )
            for c in rules
        ]
        layers.append((layer.repeats and _feeds_back(rules, models), entries))
    # What a verdict is read from, besides the totals: every pair a rule can establish of the recommended,
    # vetoed and candidate models (recommended ones in sorted order).
    read = tuple(
        tuple(sorted((name, value) for value in values.get(name, ()))) for name in (RECOMMENDED, VETOED, CANDIDATE)
    )
    # the verdict run records only what its result reads (run 0: lean)
    program = codegen.boolean_program(
        layers, runs=[last + 1, len(layers)], tests=[pair for pairs in read for pair in pairs], lean={0}
    )
    # the later layers cannot change the verdict
    classes = _answer_classes(kb, [c.rule for rules in per_layer[: last + 1] for c in rules])
    return _Form(program, conclusions, read, classes)


def _loaded(payload):
    """The _Form pickled in ``payload`` (ValueError: it is not one)."""
    form = pickle.loads(payload)  # noqa: S301 (the user's own 0600 cache file, checksum verified)
    if not isinstance(form, _Form):
        raise ValueError("not a prepared direct evaluator")
    return form


def _ready(form):
    """(``form``, its two runs defined: the verdict run and the full run)."""
    verdict_run, full_run = form.program.functions()
    return form, (verdict_run, full_run)


class DirectEvaluator:
    """Runs a knowledge base's rules on complete answers; ``run`` returns an Outcome.

    What building it works out (the generated runs, the conclusions, the answer classes) comes from the
    cache when the knowledge base came from it (``sourcing.expert.cache.prepared``); else it is worked
    out, and kept for the next process."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._models = tuple(m.id for m in kb.models)
        self._rankings = rankings(kb)  # what the scoring action's key ranks (its table)
        form, (self._verdict_run, self._run) = cache.prepared(
            kb,
            "direct",
            FORM,
            lambda: _ready(_prepared(kb, self.plan)),
            lambda ready: pickle.dumps(ready[0], protocol=pickle.HIGHEST_PROTOCOL),
            lambda payload: _ready(_loaded(payload)),
        )
        self.conclusions, self._read, self.verdict_classes = form.conclusions, form.read, form.classes
        # kept per result and the types of its totals: 2 and 2.0 are equal keys, not the same scores
        self._verdicts = Kept(lambda typed: self._verdict_of(typed[0]), KEPT)
        self._reports = Kept(lambda numbers: tuple(map(self.conclusions.__getitem__, sorted(numbers))), KEPT)

    @cached_property
    def plan(self) -> Plan:
        """The plan of the rules (worked out only when the prepared form is not in the cache)."""
        return plan(self.kb)

    def verdict(self, answers: dict[str, str]) -> Verdict:
        """The Verdict of ``run(answers)`` alone (searches need no more): the layers after the last one
        that scores or establishes a recommended, vetoed or candidate model are not run."""
        return self._kept(self._verdict_run(answers, set(), (), set(), set(), self._rankings))[0]

    def run(self, answers: dict[str, str]) -> Outcome:
        """Evaluate every rule on ``answers`` (every question present, ``unknown`` included)."""
        findings: set[tuple[str, str]] = set()
        fired: set[str] = set()
        numbers: set[int] = set()
        verdict_of, scores = self._kept(self._run(answers, findings, (), fired, numbers, self._rankings))
        return Outcome(
            verdict_of, frozenset(fired), frozenset(findings), scores.copy(), self._reports[frozenset(numbers)]
        )

    def fire(self, answers: dict[str, str]) -> Fired:
        """Run every rule to its fixed point; return what the run established, no Verdict."""
        findings: set[tuple[str, str]] = set()
        fired: set[str] = set()
        numbers: set[int] = set()
        result = self._run(answers, findings, (), fired, numbers, self._rankings)
        return Fired(findings, fired, numbers, self._scores(result[0]))

    @staticmethod
    def recommended(state: Fired) -> list[str]:
        """The recommended models a run established (exactly one in a complete knowledge base)."""
        return sorted(v for n, v in state.findings if n == RECOMMENDED)

    def _scores(self, key):
        """The fit scores of the scoring action's ``key`` (None: it did not run, so no scores)."""
        return {} if key is None else dict(zip(self._models, key))

    def _kept(self, result):
        """(the Verdict, the fit scores) of a run's result, kept."""
        return self._verdicts[result, () if result[0] is None else tuple(map(type, result[0]))]

    def _verdict_of(self, result):
        """(the Verdict, the fit scores) of a run's result: (the scoring key, whether each pair of ``_read``
        holds...). The scores are the run's to copy, never to hand out."""
        flags = iter(result[1:])
        recommended, vetoed, candidates = ([value for _, value in pairs if next(flags)] for pairs in self._read)
        scores = self._scores(result[0])
        return verdict(recommended, scores, set(vetoed), set(candidates)), scores
