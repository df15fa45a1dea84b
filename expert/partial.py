"""What a partial set of answers already settles: three-valued evaluation of the rules.

Open questions (not yet answered) may take any value, so each rule is True
(will fire), False (cannot fire) or None (undecided). Score ranges bound what
the evidence can still add up to. This decides which questions can still
change the recommended model (interactive skipping, "could not determine"
items) and which rules are waiting on a question (the WHY prompt). The
experta engine remains the engine of record: with every question answered
this evaluation agrees with it (tested).
"""
from dataclasses import dataclass
from typing import Dict, FrozenSet

from expert import codegen
from expert.conditions import atoms
from expert.model import CONTENDER, LAYERS, LEADING, RECOMMENDED, SECOND, UNKNOWN

SCORE_FINDINGS = (LEADING, SECOND, CONTENDER)


@dataclass(frozen=True)
class Outlook:
    status: Dict[str, object]  # rule id -> True / False / None
    certain: FrozenSet[tuple]  # (finding, value) pairs that will be established
    possible: FrozenSet[tuple]  # (finding, value) pairs that may be established

    @property
    def recommendations(self):
        """The recommended models still possible."""
        return frozenset(v for n, v in self.possible if n == RECOMMENDED)

    @property
    def settled(self):
        """True when only one recommended model remains possible."""
        return len(self.recommendations) == 1

    def finding_settled(self, name):
        """True when every value of finding ``name`` that may be established surely will be."""
        return {f for f in self.possible if f[0] == name} == {f for f in self.certain if f[0] == name}


def outlook(kb, known):
    """Evaluate every rule with ``known`` answers; questions not in ``known`` are open."""
    return Foresight(kb).outlook(known)


def _compiled_layers(kb):
    """Per layer: (its name, the ids of its rules, the compiled function that evaluates them).

    The scoring layer has no function: its action is bounded by _add_score_findings.
    """
    model_ids = [m.id for m in kb.models]
    described = []
    for layer in LAYERS:
        rules = [rule for rule in kb.rules if rule.layer == layer]
        entries = []
        for rule in rules:
            findings = tuple(rule.asserted_findings(model_ids))
            entries.append((rule.id, rule.when, findings, tuple({n for n, _ in findings})))
        asserted = {name for *_, names in entries for name in names}
        repeat = any(a.kind == "finding" and a.name in asserted for rule in rules for a in atoms(rule.when))
        described.append((layer, repeat, entries))
    functions = codegen.kleene_layers([(repeat, entries) for _, repeat, entries in described])
    return [(layer, tuple(e[0] for e in entries), function if layer != "scoring" else None)
            for (layer, _, entries), function in zip(described, functions)]


def _run_outlook(kb, layers, evidence, known):
    answers = {q.id: known.get(q.id) for q in kb.questions}
    certain, possible, certain_names, possible_names = set(), set(), set(), set()
    status = {}
    for layer, rule_ids, evaluate_layer in layers:
        if evaluate_layer is None:  # scoring: always fires; bound the ranking it can produce
            status.update(dict.fromkeys(rule_ids, True))
            _add_score_findings(kb, status, certain, possible, evidence)
            certain_names.update(n for n, _ in certain)
            possible_names.update(n for n, _ in possible)
            continue
        evaluate_layer(answers, certain, certain_names, possible, possible_names, status)
    return Outlook(status=status, certain=frozenset(certain), possible=frozenset(possible))


def _add_score_findings(kb, status, certain, possible, evidence):
    """Bound each model's score, then add the leading/second/contender findings still possible.

    ``evidence`` lists (rule id, model, weight) for every evidence assertion.
    """
    order = [m.id for m in kb.models]
    low = dict.fromkeys(order, 0)
    high = dict.fromkeys(order, 0)
    for rule_id, model, weight in evidence:
        state = status.get(rule_id)
        if state is True:
            low[model] += weight
            high[model] += weight
        elif state is None:
            low[model] += min(0, weight)
            high[model] += max(0, weight)

    def always_ahead(o, m):  # o ranks above m whatever the open answers turn out to be
        return low[o] > high[m] or (low[o] == high[m] and order.index(o) < order.index(m))

    for m in order:
        others = [o for o in order if o != m]
        ahead = sum(always_ahead(o, m) for o in others)
        maybe_ahead = sum(not always_ahead(m, o) for o in others)
        if ahead == 0:
            possible.add((LEADING, m))
            if maybe_ahead == 0:
                certain.add((LEADING, m))
        if ahead < 2:
            possible.update({(CONTENDER, m), (SECOND, m)})
            if maybe_ahead <= 1:
                certain.add((CONTENDER, m))
        if ahead == 1 and maybe_ahead == 1:
            certain.add((SECOND, m))


class Foresight:
    """Answers 'what could still change?' for one knowledge base."""

    def __init__(self, kb):
        self.kb = kb
        self.layers = _compiled_layers(kb)
        self.evidence = [(r.id, a.name, a.weight) for r in kb.rules for a in dict.fromkeys(r.then)
                         if a.kind == "evidence"]
        self.reads = {r.id: frozenset(a.name for a in atoms(r.when) if a.kind == "answer") for r in kb.rules}
        self.tests = {r.id: tuple(dict.fromkeys(a.name for a in atoms(r.when) if a.kind == "finding"))
                      for r in kb.rules}
        self.feeders = {}  # finding name -> the rules that can establish it (evidence feeds the ranking)
        for rule in kb.rules:
            names = {n for n, _ in rule.asserted_findings([m.id for m in kb.models])}
            if any(a.kind == "evidence" for a in rule.then):
                names.update(SCORE_FINDINGS)
            for name in sorted(names):
                self.feeders.setdefault(name, []).append(rule)

    def outlook(self, known):
        """Evaluate every rule with ``known`` answers (questions not in ``known`` are open)."""
        return _run_outlook(self.kb, self.layers, self.evidence, known)

    def waiting_rules(self, known, question, view=None):
        """Rules still undecided that read ``question``: what answering it could trigger."""
        view = view or self.outlook(known)
        return [r for r in self.kb.rules if view.status.get(r.id) is None and question in self.reads[r.id]]

    def deciding(self, view):
        """Ids of the undecided rules through which the recommended model can still change.

        Walks back from the recommendation through findings that are not yet
        settled; evidence rules count while the score findings are unsettled.
        """
        relevant = set()
        if view.settled:
            return relevant
        targets, seen = [RECOMMENDED], {RECOMMENDED}
        while targets:
            for rule in self.feeders.get(targets.pop(), ()):
                if rule.id in relevant or view.status.get(rule.id) is not None:
                    continue
                relevant.add(rule.id)
                for name in self.tests[rule.id]:
                    if name not in seen and not view.finding_settled(name):
                        seen.add(name)
                        targets.append(name)
        return relevant

    def deciding_rules(self, known, question, view=None, relevant=None):
        """The waiting rules through which ``question`` could still change the recommended model.

        ``relevant`` may pass ``deciding(view)`` when it was already computed.
        """
        view = view or self.outlook(known)
        relevant = self.deciding(view) if relevant is None else relevant
        return [r for r in self.waiting_rules(known, question, view) if r.id in relevant]

    def open_questions(self, answers):
        """Questions answered ``unknown`` that could still change the model, with the rules reading them."""
        unknown = [q.id for q in self.kb.questions if answers.get(q.id, UNKNOWN) == UNKNOWN]
        known = {q: v for q, v in answers.items() if q not in unknown}
        view = self.outlook(known)
        relevant = self.deciding(view)
        readers = {question: [] for question in unknown}
        for rule in self.kb.rules:
            if rule.id in relevant:
                for question in self.reads[rule.id] & readers.keys():
                    readers[question].append(rule.id)
        return tuple((question, tuple(rules)) for question, rules in readers.items() if rules)
