"""The direct evaluator: the rules run as a plain-Python fixed point, for bulk work.

experta is the engine of record (consultations, traces, audit records). This
evaluator runs the same intermediate form with the same semantics (layers in
order, each layer to its fixed point, findings only added) but keeps no
provenance, so it is fast enough for searches that run the rules thousands of
times. Tests prove the two agree on every scenario and on generated answers.
"""
from expert.model import CONTENDER, LAYERS, LEADING, RECOMMENDED, SECOND, All, Any, Atom, Not
from expert.outcome import Outcome, verdict


def _compile(condition):
    """A test ``(answers, findings, names) -> bool`` for one condition tree."""
    if condition is None:
        return lambda answers, findings, names: True
    if isinstance(condition, Atom):
        name = condition.name
        if condition.kind == "answer":
            values = frozenset(condition.values)
            return lambda answers, findings, names: answers[name] in values
        if condition.values is None:
            return lambda answers, findings, names: name in names
        pairs = frozenset((name, v) for v in condition.values)
        return lambda answers, findings, names: not pairs.isdisjoint(findings)
    if isinstance(condition, Not):
        inner = _compile(condition.item)
        return lambda answers, findings, names: not inner(answers, findings, names)
    items = tuple(_compile(item) for item in condition.items)
    if isinstance(condition, All):
        return lambda answers, findings, names: all(test(answers, findings, names) for test in items)
    assert isinstance(condition, Any)
    return lambda answers, findings, names: any(test(answers, findings, names) for test in items)


class DirectEvaluator:
    """Runs a knowledge base's rules on complete answers; ``run`` returns an Outcome."""

    def __init__(self, kb):
        self.kb = kb
        self.layers = [[(rule, _compile(rule.when)) for rule in kb.rules if rule.layer == layer]
                       for layer in LAYERS]

    def run(self, answers):
        """Evaluate every rule on ``answers`` (every question present, ``unknown`` included)."""
        state = self.fire(answers)
        recommended = self.recommended(state)
        leading = next((v for n, v in state.findings if n == LEADING), None)
        second = next((v for n, v in state.findings if n == SECOND), None)
        decided = verdict(self.kb, recommended, leading, second, state.scores)
        conclusions = tuple(sorted(state.conclusions, key=lambda c: self.kb.rule(c[4]).position))
        return Outcome(verdict=decided, fired=frozenset(state.fired), findings=frozenset(state.findings),
                       scores=state.scores, conclusions=conclusions)

    @staticmethod
    def recommended(state):
        """The recommended models a run established (exactly one in a complete knowledge base)."""
        return sorted(v for n, v in state.findings if n == RECOMMENDED)

    def fire(self, answers):
        """Run the rules to their fixed point; return the raw state (findings, fired rules, scores...)."""
        state = _State()
        for rules in self.layers:
            pending = rules
            while pending:  # a rule may wait on a finding of its own layer: repeat until nothing fires
                waiting = []
                for rule, test in pending:
                    if test(answers, state.findings, state.names):
                        state.fire(self.kb, rule)
                    else:
                        waiting.append((rule, test))
                if len(waiting) == len(pending):
                    break
                pending = waiting
        return state


class _State:
    """The facts established so far in one run."""

    def __init__(self):
        self.findings, self.names, self.fired = set(), set(), set()
        self.evidence, self.conclusions, self.scores = set(), [], {}

    def add(self, name, value):
        self.findings.add((name, value))
        self.names.add(name)

    def fire(self, kb, rule):
        """Apply ``rule``'s assertions."""
        self.fired.add(rule.id)
        for a in rule.then:
            if a.kind == "finding":
                self.add(a.name, a.value)
            elif a.kind == "recommend":
                self.add(RECOMMENDED, a.name)
            elif a.kind == "evidence":
                self.evidence.add((a.name, a.weight, rule.id))
            elif a.kind == "score":
                self._score(kb)
            else:
                conclusion = (a.kind, a.name, a.value, a.text, rule.id)
                if conclusion not in self.conclusions:
                    self.conclusions.append(conclusion)

    def _score(self, kb):
        self.scores = dict.fromkeys((m.id for m in kb.models), 0)
        for model, weight, _ in self.evidence:
            self.scores[model] += weight
        ranking = kb.ranking(self.scores)
        self.add(LEADING, ranking[0])
        self.add(SECOND, ranking[1])
        for model in ranking[:2]:
            self.add(CONTENDER, model)
