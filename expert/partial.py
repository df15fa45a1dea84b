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

from expert.conditions import atoms, evaluate
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
    certain, possible = set(), set()
    status = {}

    def finding_state(atom):
        def hit(facts):
            return any(n == atom.name and (atom.values is None or v in atom.values) for n, v in facts)
        if hit(certain):
            return True
        return None if hit(possible) else False

    for layer in LAYERS:
        rules = [r for r in kb.rules if r.layer == layer]
        if layer == "scoring":
            for rule in rules:
                status[rule.id] = True
            _add_score_findings(kb, status, certain, possible)
            continue
        changed = True
        while changed:  # same-layer findings only feed positive tests: grow to a fixpoint
            before = (len(certain), len(possible))
            for rule in rules:
                state = evaluate(rule.when, known.get, finding_state)
                status[rule.id] = state
                for fact in _asserted_findings(rule):
                    if state is not False:
                        possible.add(fact)
                    if state is True:
                        certain.add(fact)
            changed = (len(certain), len(possible)) != before
    return Outlook(status=status, certain=frozenset(certain), possible=frozenset(possible))


def _asserted_findings(rule):
    for a in rule.then:
        if a.kind == "finding":
            yield (a.name, a.value)
        elif a.kind == "recommend":
            yield (RECOMMENDED, a.name)
        elif a.kind == "score":
            yield from ((name, None) for name in SCORE_FINDINGS)


def _add_score_findings(kb, status, certain, possible):
    """Bound each model's score, then add the leading/second/contender findings still possible."""
    order = [m.id for m in kb.models]
    low = dict.fromkeys(order, 0)
    high = dict.fromkeys(order, 0)
    for rule in kb.rules:
        state = status.get(rule.id)
        for a in rule.then:
            if a.kind != "evidence" or state is False:
                continue
            if state is True:
                low[a.name] += a.weight
                high[a.name] += a.weight
            else:
                low[a.name] += min(0, a.weight)
                high[a.name] += max(0, a.weight)

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


def _reads(rule, question):
    return any(a.kind == "answer" and a.name == question for a in atoms(rule.when))


class Foresight:
    """Answers 'what could still change?' for one knowledge base."""

    def __init__(self, kb):
        self.kb = kb

    def outlook(self, known):
        """See ``outlook``."""
        return outlook(self.kb, known)

    def waiting_rules(self, known, question, view=None):
        """Rules still undecided that read ``question``: what answering it could trigger."""
        view = view or self.outlook(known)
        return [r for r in self.kb.rules if view.status.get(r.id) is None and _reads(r, question)]

    def deciding(self, view):
        """Ids of the undecided rules through which the recommended model can still change.

        Walks back from the recommendation through findings that are not yet
        settled; evidence rules count while the score findings are unsettled.
        """
        targets = {RECOMMENDED} if not view.settled else set()
        relevant = set()
        while targets:
            name = targets.pop()
            for rule in self.kb.rules:
                if rule.id in relevant or view.status.get(rule.id) is not None:
                    continue
                feeds = name in {n for n, _ in _asserted_findings(rule)}
                feeds = feeds or (name in SCORE_FINDINGS and any(a.kind == "evidence" for a in rule.then))
                if feeds:
                    relevant.add(rule.id)
                    targets |= {a.name for a in atoms(rule.when)
                                if a.kind == "finding" and not view.finding_settled(a.name)}
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
        result = []
        for question in unknown:
            readers = self.deciding_rules(known, question, view, relevant)
            if readers:
                result.append((question, tuple(r.id for r in readers)))
        return tuple(result)
