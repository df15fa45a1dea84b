"""The direct evaluator: the rules run as a plain-Python fixed point, for bulk work.

experta is the engine of record (consultations, traces, audit records). This
evaluator runs the same intermediate form with the same semantics (the layers
of sourcing.expert.plan in order, each to its fixed point, findings only added,
evidence counted once per rule fired) but keeps no provenance, so it is fast
enough for searches and portfolios that run the rules thousands of times. Tests
prove the two agree on every scenario, on generated answers and on generated
knowledge bases.
"""

from sourcing.expert import codegen
from sourcing.expert.conditions import atoms
from sourcing.expert.kinds import BY_NAME
from sourcing.expert.model import CANDIDATE, RECOMMENDED, VETOED
from sourcing.expert.outcome import Conclusion, Outcome, Verdict, verdict_from
from sourcing.expert.plan import plan

# The assertions that establish a finding, and the (finding, value) pair each one establishes.
_FINDING_OF = {
    "finding": lambda a: (a.name, a.value),
    "recommend": lambda a: (RECOMMENDED, a.name),
    "veto": lambda a: (VETOED, a.name),
}

_VERDICT_FINDINGS = frozenset((RECOMMENDED, VETOED, CANDIDATE))  # what a Verdict is made of, with the scores


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


class DirectEvaluator:
    """Runs a knowledge base's rules on complete answers; ``run`` returns an Outcome."""

    def __init__(self, kb):
        self.kb = kb
        self.plan = plan(kb)
        per_layer = [[_Compiled(rule) for rule in layer.rules] for layer in self.plan.layers]
        # Every conclusion a rule can assert, numbered in report order (its rule's position, then its place
        # in the rule): a run collects the numbers, so sorting them gives the report order.
        ordered = sorted(
            ((c.rule.position, i), conclusion)
            for rules in per_layer
            for c in rules
            for i, conclusion in enumerate(c.conclusions)
        )
        self.conclusions = tuple(conclusion for _, conclusion in ordered)
        number = {conclusion: n for n, conclusion in enumerate(self.conclusions)}
        layers, last = [], -1
        for index, (layer, rules) in enumerate(zip(self.plan.layers, per_layer)):
            if any(c.scores or _VERDICT_FINDINGS.intersection(c.names) for c in rules):
                last = index
            entries = [
                (
                    c.rule.id,
                    c.rule.when,
                    c.findings,
                    c.names,
                    tuple(number[k] for k in c.conclusions),
                    c if c.scores else None,
                )
                for c in rules
            ]
            layers.append((layer.repeats, entries))
        self.layers = codegen.boolean_layers(layers)
        self.verdict_layers = self.layers[: last + 1]  # the later ones cannot change the verdict
        self.verdict_classes = _answer_classes(kb, [c.rule for rules in per_layer[: last + 1] for c in rules])

    def verdict(self, answers: dict[str, str]) -> Verdict:
        """The Verdict of ``run(answers)`` alone (searches need no more): the layers after the last one
        that scores or establishes a recommended, vetoed or candidate model are not run."""
        state = self.fire(answers, self.verdict_layers)
        return verdict_from(state.findings, state.scores)

    def run(self, answers: dict[str, str]) -> Outcome:
        """Evaluate every rule on ``answers`` (every question present, ``unknown`` included)."""
        state = self.fire(answers)
        decided = verdict_from(state.findings, state.scores)
        conclusions = tuple(self.conclusions[n] for n in sorted(state.conclusions))
        return Outcome(
            verdict=decided,
            fired=frozenset(state.fired),
            findings=frozenset(state.findings),
            scores=state.scores,
            conclusions=conclusions,
        )

    @staticmethod
    def recommended(state):
        """The recommended models a run established (exactly one in a complete knowledge base)."""
        return sorted(v for n, v in state.findings if n == RECOMMENDED)

    def fire(self, answers, layers=None):
        """Run the rules (of ``layers``, default all) to their fixed point; return the raw state (findings,
        fired rules, scores...)."""
        state = _State(self.plan)
        for run_layer in self.layers if layers is None else layers:
            run_layer(answers, state.findings, state.names, state.fired, state.conclusions, state.fire)
        return state


class _State:
    """The facts established so far in one run."""

    def __init__(self, rule_plan):
        self.plan = rule_plan
        self.findings, self.names, self.fired = set(), set(), set()
        self.conclusions, self.scores = set(), {}  # conclusions as numbers (DirectEvaluator.conclusions)

    def add(self, name, value):
        self.findings.add((name, value))
        self.names.add(name)

    def fire(self, compiled):
        """The scoring action (sourcing.expert.plan): the evidence rules fired so far count once each.
        The rule's other assertions are added by the layer's code."""
        self.scores, ranked = self.plan.score(self.fired, {v for n, v in self.findings if n == VETOED})
        for name, value in ranked:
            self.add(name, value)
