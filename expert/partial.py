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
from functools import cached_property
from itertools import combinations

from sourcing.expert import codegen
from sourcing.expert.conditions import atoms, evaluate
from sourcing.expert.model import CANDIDATE, FIT, LEADING, RECOMMENDED, UNKNOWN, VETOED
from sourcing.expert.plan import plan

SCORE_FINDINGS = (CANDIDATE, LEADING, FIT)


@dataclass(frozen=True)
class Outlook:
    status: dict[str, object]  # rule id -> True / False / None
    certain: frozenset[tuple]  # (finding, value) pairs that will be established
    possible: frozenset[tuple]  # (finding, value) pairs that may be established

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
        return name not in self._unsettled

    @cached_property
    def _unsettled(self):
        """The names of the findings whose possible values differ from their certain ones."""
        return {n for n, _ in self.possible ^ self.certain}


def outlook(kb, known):
    """Evaluate every rule with ``known`` answers; questions not in ``known`` are open."""
    return Foresight(kb).outlook(known)


def _compiled_layers(rule_plan):
    """Per layer of ``rule_plan``: (its name, the ids of its rules, the compiled function that evaluates them).

    The scoring layer has no function: its action is bounded by _add_score_findings.
    """
    described = []
    for layer in rule_plan.layers:
        entries = []
        for rule in layer.rules:
            findings = tuple(rule.asserted_findings(rule_plan.models))
            entries.append((rule.id, rule.when, findings, tuple({n for n, _ in findings})))
        described.append((layer.name, layer.repeats, entries))
    functions = codegen.kleene_layers([(repeat, entries) for _, repeat, entries in described])
    return [
        (layer, tuple(e[0] for e in entries), function if layer != "scoring" else None)
        for (layer, _, entries), function in zip(described, functions)
    ]


def _run_outlook(kb, rule_plan, layers, answers):
    """The Outlook of ``layers`` on ``answers`` (every question of the catalogue, None when open)."""
    certain, possible, certain_names, possible_names = set(), set(), set(), set()
    status = {}
    for index, (_layer, rule_ids, evaluate_layer) in enumerate(layers):
        if evaluate_layer is None:  # scoring: always fires; bound the ranking it can produce
            status.update(dict.fromkeys(rule_ids, True))
            _add_score_findings(rule_plan, status, certain, possible)
            later = layers[index + 1 :]
            view = Outlook(*_finish(later, answers, set(certain), set(possible), dict(status)))
            if sum(1 for n, _ in view.possible if n == RECOMMENDED) <= 1:
                return view
            return _merge(status, [_finish(later, answers, c, p, {}) for c, p in _ranking_cases(kb, certain, possible)])
        evaluate_layer(answers, certain, certain_names, possible, possible_names, status)
    return Outlook(status=status, certain=frozenset(certain), possible=frozenset(possible))


def _finish(layers, answers, certain, possible, status):
    """Evaluate the ``layers`` after the ranking on ``certain``, ``possible`` and ``status`` (changed in
    place); return them, the status with these layers' rules, the findings frozen."""
    certain_names, possible_names = {n for n, _ in certain}, {n for n, _ in possible}
    for _, _, evaluate_layer in layers:
        evaluate_layer(answers, certain, certain_names, possible, possible_names, status)
    return status, frozenset(certain), frozenset(possible)


def _ranking_cases(kb, certain, possible):
    """The ranking outcomes still possible, each as (certain, possible) with its candidates fixed:
    one leader, a tie between a set of candidates, or every model vetoed. Splitting on them keeps
    what a requirement concludes about the candidate tied to that candidate."""
    order = [m.id for m in kb.models]
    ranking = {(n, v) for n, v in possible if n in SCORE_FINDINGS}
    fixed = possible - ranking
    maybe = [m for m in order if (CANDIDATE, m) in possible]
    outcomes = []
    if (FIT, "clear") in possible:
        outcomes += [{(FIT, "clear"), (LEADING, m), (CANDIDATE, m)} for m in maybe if (LEADING, m) in possible]
    if (FIT, "tie") in possible:
        outcomes += [
            {(FIT, "tie")} | {(CANDIDATE, m) for m in group}
            for size in range(2, len(maybe) + 1)
            for group in combinations(maybe, size)
        ]
    if (FIT, "all_vetoed") in possible:
        outcomes.append({(FIT, "all_vetoed")})
    certain_ranking = {f for f in certain if f[0] in SCORE_FINDINGS}
    for outcome in outcomes:
        if certain_ranking <= outcome:
            yield (certain - certain_ranking) | outcome, fixed | outcome


def _merge(status, views):
    """One Outlook true to every view (status, certain, possible) of the layers after the ranking, on
    top of the ``status`` of the rules before it: certain in all views, possible in any, a status
    shared or None."""
    status = dict(status)
    (first, *_), rest = views[0], views[1:]
    for rule, value in first.items():
        for other, _, _ in rest:
            if other[rule] != value:
                value = None
                break
        status[rule] = value
    return Outlook(
        status=status,
        certain=frozenset.intersection(*(certain for _, certain, _ in views)),
        possible=frozenset.union(*(possible for _, _, possible in views)),
    )


def _add_score_findings(rule_plan, status, certain, possible):
    """Bound each model's fit score, then add the candidate, leading and fit findings still possible.

    The bounds are ``rule_plan.totals`` (the one sum of the evidence) of the evidence rules that will
    fire, plus the negative (low) or positive (high) part of the weights of those still undecided. A
    model may be vetoed for sure, possibly, or not at all. When nothing the ranking reads is undecided,
    the scoring action's own findings are certain (``Plan.ranking`` of the exact totals);
    otherwise the interval reasoning below, a different computation from the scoring action,
    over-approximates what is possible and under-approximates what is certain, which keeps the
    foresight safe.
    """
    order = rule_plan.models
    sure, undecided = set(), set()
    for rule_id, _ in rule_plan.evidence:
        state = status.get(rule_id)
        if state is True:
            sure.add(rule_id)
        elif state is None:
            undecided.add(rule_id)
    exact = rule_plan.totals(sure)
    surely_vetoed = {m for m in order if (VETOED, m) in certain}
    maybe_vetoed = {m for m in order if (VETOED, m) in possible}
    if not undecided and surely_vetoed == maybe_vetoed:
        ranked = rule_plan.ranking(exact, surely_vetoed)
        certain.update(ranked)
        possible.update(ranked)
        return
    if undecided:
        low = _plus(exact, rule_plan.totals(undecided, _negative))
        high = _plus(exact, rule_plan.totals(undecided, _positive))
    else:  # nothing to add: both bounds are the exact totals
        low = high = exact
    never_vetoed = [m for m in order if m not in maybe_vetoed]
    maybe_candidates = [
        m for m in order if m not in surely_vetoed and not any(low[o] > high[m] for o in never_vetoed if o != m)
    ]
    for m in maybe_candidates:
        possible.update({(CANDIDATE, m), (LEADING, m)})
        rivals = [o for o in order if o != m and o not in surely_vetoed]
        if m in never_vetoed and all(high[o] <= low[m] for o in rivals):
            certain.add((CANDIDATE, m))
            if all(high[o] < low[m] for o in rivals):
                certain.update({(LEADING, m), (FIT, "clear")})
    if maybe_candidates:
        possible.add((FIT, "clear"))
    if len(maybe_candidates) > 1:
        possible.add((FIT, "tie"))
    if maybe_vetoed == set(order):
        possible.add((FIT, "all_vetoed"))
        if surely_vetoed == maybe_vetoed:
            certain.add((FIT, "all_vetoed"))


def _negative(weight):
    """The negative part of a weight (what it can take off a total)."""
    return min(0, weight)


def _positive(weight):
    """The positive part of a weight (what it can add to a total)."""
    return max(0, weight)


def _plus(first, second):
    return {model: first[model] + second[model] for model in first}


class Foresight:
    """Answers 'what could still change?' for one knowledge base."""

    def __init__(self, kb):
        self.kb = kb
        self.plan = plan(kb)
        self.layers = _compiled_layers(self.plan)
        self._confirm = {}  # model -> its (rule id, condition to confirm, questions behind it), built on first use
        self._position = {r.id: r.position for r in kb.rules}
        self.reads = {r.id: frozenset(a.name for a in atoms(r.when) if a.kind == "answer") for r in kb.rules}
        self.tests = {
            r.id: tuple(dict.fromkeys(a.name for a in atoms(r.when) if a.kind == "finding")) for r in kb.rules
        }
        self.feeders = {}  # finding name -> the rules that can establish it (evidence feeds the ranking)
        for rule in kb.rules:
            names = {n for n, _ in rule.asserted_findings([m.id for m in kb.models])}
            if any(a.kind in ("evidence", "veto") for a in rule.then):
                names.update(SCORE_FINDINGS)
            for name in sorted(names):
                self.feeders.setdefault(name, []).append(rule)
        self.deciding_reads = frozenset()  # the questions read by a rule the walk of ``deciding`` can reach
        self.advice_layers = self.layers[: self._last_advice_layer() + 1]

    def _last_advice_layer(self):
        """The index of the last layer holding a rule that ``advice_outlook``'s readers look at: a rule the
        walk of ``deciding`` can reach from the recommendation (whatever the answers), or one that can
        establish a finding that a veto or an unmet requirement tests. Later layers cannot change them."""
        reached, names, pending = set(), {RECOMMENDED}, [RECOMMENDED]
        while pending:
            for rule in self.feeders.get(pending.pop(), ()):
                reached.add(rule.id)
                for name in self.tests[rule.id]:
                    if name not in names:
                        names.add(name)
                        pending.append(name)
        self.deciding_reads = frozenset(q for rule_id in reached for q in self.reads[rule_id])
        for rule in self.kb.rules:
            condition = rule.when if rule.vetoes else rule.unmet if rule.requires else None
            for atom in atoms(condition):
                if atom.kind == "finding":
                    reached.update(r.id for r in self.feeders.get(atom.name, ()))
        return max(
            (index for index, (_, rule_ids, _) in enumerate(self.layers) if reached.intersection(rule_ids)), default=-1
        )

    def outlook(self, known):
        """Evaluate every rule with ``known`` answers (questions not in ``known`` are open)."""
        return _run_outlook(self.kb, self.plan, self.layers, {q.id: known.get(q.id) for q in self.kb.questions})

    def advice_outlook(self, answers):
        """The outlook of ``answers`` (``unknown`` ones open) on the layers that can change the advice:
        for every rule and finding ``open_questions``, ``unconfirmed`` and ``deciding`` read, the same as
        ``outlook``; the later layers (the consequences) are not evaluated."""
        known = {q.id: None if (v := answers.get(q.id)) == UNKNOWN else v for q in self.kb.questions}
        return _run_outlook(self.kb, self.plan, self.advice_layers, known)

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

    def open_questions(self, answers, view=None):
        """Questions answered ``unknown`` that could still change the model, with the rules reading them.
        ``view`` may pass ``advice_outlook(answers)`` when it was already computed."""
        unknown = [q.id for q in self.kb.questions if answers.get(q.id, UNKNOWN) == UNKNOWN]
        if view is None:
            view = self.advice_outlook({q: v for q, v in answers.items() if q not in unknown})
        relevant = self.deciding(view)
        readers = {question: [] for question in unknown}
        for rule_id in sorted(relevant, key=self._position.__getitem__):  # in rule order
            for question in self.reads[rule_id] & readers.keys():
                readers[question].append(rule_id)
        return tuple((question, tuple(rules)) for question, rules in readers.items() if rules)

    def unconfirmed(self, answers, model, view=None):
        """The vetoes of ``model`` and its requirements that the unknown answers leave open, each with
        the unknown questions it reads: what to confirm before contracting ``model``. ``view`` may pass
        ``advice_outlook(answers)`` when it was already computed."""
        checks = self._confirm.get(model)
        if checks is None:
            checks = self._confirm[model] = self._confirm_checks(model)
        if not checks:
            return ()
        unknown = [q.id for q in self.kb.questions if answers.get(q.id, UNKNOWN) == UNKNOWN]
        if not unknown:
            return ()
        known = {q: v for q, v in answers.items() if v != UNKNOWN}
        if view is None:
            view = self.advice_outlook(known)
        possible, certain = {}, {}
        for name, value in view.possible:
            possible.setdefault(name, set()).add(value)
        for name, value in view.certain:
            certain.setdefault(name, set()).add(value)

        def finding_state(atom):
            values = possible.get(atom.name, ())
            if atom.values is not None:
                values = [v for v in values if v in atom.values]
            return True if any(v in certain.get(atom.name, ()) for v in values) else None if values else False

        return tuple(
            (rule_id, tuple(q for q in unknown if q in reads))
            for rule_id, condition, reads in checks
            if evaluate(condition, known.get, finding_state) is None
        )

    def most_unconfirmed(self, model, unknown):
        """The most items ``unconfirmed`` can list for ``model`` while the questions ``unknown`` are unknown:
        the checks behind which one of them lies (a condition on known answers alone is decided)."""
        checks = self._confirm.get(model)
        if checks is None:
            checks = self._confirm[model] = self._confirm_checks(model)
        return sum(1 for _, _, reads in checks if not reads.isdisjoint(unknown))

    def _confirm_checks(self, model):
        """(rule id, condition, the questions behind it) of each veto of ``model`` and each of its
        requirements (the condition that leaves it unmet), in rule order."""
        checks = []
        for rule in self.kb.rules:
            condition = rule.when if model in rule.vetoes else rule.unmet if rule.requires == model else None
            if condition is not None:
                checks.append((rule.id, condition, frozenset(self.questions_behind(condition))))
        return checks

    def questions_behind(self, condition):
        """The questions ``condition`` reads, directly or through the rules behind its findings."""
        questions, seen = set(), set()
        pending = list(atoms(condition))
        while pending:
            atom = pending.pop()
            if atom.kind == "answer":
                questions.add(atom.name)
            elif atom.name not in seen:
                seen.add(atom.name)
                for rule in self.feeders.get(atom.name, ()):
                    pending.extend(atoms(rule.when))
        return questions
