"""One plan of how the rules run, shared by the experta engine, the direct evaluator and the foresight.

Per layer, in firing order: which rules it has (in the order of the knowledge
files) and whether it feeds itself (a rule tests a finding a rule of the same
layer asserts, so the layer repeats to its fixed point). And what is counted
once: each evidence rule adds each of its distinct weights once, however many
ways its condition holds; ``Plan.totals`` is the one sum of the fit scores and
``Plan.score`` the one scoring action (the totals, then the ranking findings,
from ``rankings``). The direct evaluator runs the same action inline: the same
sum of ``Plan.weights`` generated into its code (sourcing.expert.codegen), then
the same ``rankings``. And which rules feed each other in a cycle (``cycles``: kb lint's KB102, the
engine's message when a run keeps firing).
"""

from collections.abc import Callable, Container
from functools import cached_property
from typing import cast

from sourcing.expert import codegen
from sourcing.expert.conditions import atoms
from sourcing.expert.model import LAYERS, KnowledgeBase, RuleSpec
from sourcing.expert.record import Record, uncompared

RANKINGS_KEPT = 4096  # rankings kept (Plan.ranking, and the direct evaluator's table); more, and it starts again


class LayerPlan(Record):
    """One layer: its rules in firing order, and whether it repeats until nothing more is established."""

    name: str
    rules: tuple[RuleSpec, ...]
    repeats: bool


class Plan(Record):
    """The layers of a knowledge base in firing order, and the evidence each rule counts once."""

    layers: tuple[LayerPlan, ...]
    models: tuple[str, ...]  # the scored models, in catalogue order
    evidence: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]  # (rule id, its distinct (model, weight))
    kb: KnowledgeBase = uncompared(None)  # the base it plans: not compared, hashed or shown

    def __repr__(self) -> str:
        return f"Plan(layers={self.layers!r}, models={self.models!r}, evidence={self.evidence!r})"

    @cached_property
    def _sums(self) -> dict:
        """part -> its generated sum (``totals``)."""
        return {}

    @cached_property
    def rankings(self) -> "Kept":
        """The rankings of this knowledge base (``rankings``)."""
        return rankings(self.kb)

    def weights(self, part: Callable[[float], float] | None = None) -> list:
        """The evidence as it is summed: (rule id, ((model, weight), ...)) in the order of the knowledge
        files, each weight mapped by ``part`` first (None: as it is)."""
        return [
            (rule_id, tuple((model, weight if part is None else part(weight)) for model, weight in weights))
            for rule_id, weights in self.evidence
        ]

    def totals(self, counted: Container[str], part: Callable[[float], float] | None = None) -> dict[str, float]:
        """Each model's fit score: the weights of the evidence rules in ``counted`` (rule ids), each
        distinct weight once per rule, summed in the order of the knowledge files (never in firing or
        hash order, so every engine gets the same number). ``part`` maps each weight first (the
        foresight's bounds count only its negative or positive part); each ``part`` is compiled once
        into a generated function (sourcing.expert.codegen.summing), so pass the same function each time."""
        total = self._sums.get(part)
        if total is None:
            total = self._sums[part] = codegen.summing(self.models, self.weights(part))
        return total(counted)

    def score(self, counted: Container[str], vetoed: Container[str]) -> tuple[dict[str, float], tuple[tuple, ...]]:
        """The scoring action: the fit totals of the evidence rules in ``counted``, and the (finding,
        value) pairs of their ``ranking``."""
        totals = self.totals(counted)
        return totals, self.ranking(totals, vetoed)

    def ranking(self, totals: dict[str, float], vetoed: Container[str]) -> tuple[tuple, ...]:
        """The (finding, value) pairs of the ranking of ``totals`` among the models not ``vetoed``
        (KnowledgeBase.ranked_findings), from ``rankings``."""
        key = (*totals.values(), *[model in vetoed for model in self.models])
        return self.rankings[key]


class Kept(dict):
    """key -> ``make(key)``, made on first use and kept; past ``limit`` keys it starts again (bulk runs see
    few distinct keys, and memory stays bounded). A key whose ``make`` raises is not kept."""

    def __init__(self, make: Callable, limit: int) -> None:
        super().__init__()
        self.make, self.limit = make, limit

    def __missing__(self, key):
        value = self.make(key)
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


def rankings(kb: KnowledgeBase) -> Kept:
    """(each model's total..., whether each model is vetoed...), models in catalogue order -> the (finding,
    value) pairs of that ranking (KnowledgeBase.ranked_findings), worked out on first use and kept (few
    distinct ones recur in bulk runs)."""
    models = tuple(m.id for m in kb.models)

    def ranked(key):
        totals = dict(zip(models, key[: len(models)]))
        return tuple(kb.ranked_findings(totals, [m for m, out in zip(models, key[len(models) :]) if out]))

    return Kept(ranked, RANKINGS_KEPT)


def _repeats(rules, model_ids):
    asserted = {name for rule in rules for name, _ in rule.asserted_findings(model_ids)}
    return any(a.kind == "finding" and a.name in asserted for rule in rules for a in atoms(rule.when))


def plan(kb: KnowledgeBase) -> Plan:
    """The plan of ``kb``: every layer of LAYERS in order (empty ones too), and the evidence rules."""
    model_ids = tuple(m.id for m in kb.models)
    layers = []
    for name in LAYERS:
        rules = tuple(rule for rule in kb.rules if rule.layer == name)  # kb.rules is in position order
        layers.append(LayerPlan(name=name, rules=rules, repeats=_repeats(rules, model_ids)))
    evidence = []
    for rule in kb.rules:  # an evidence assertion always has a weight (the loader sees to it)
        pieces = tuple(dict.fromkeys((a.name, cast(float, a.weight)) for a in rule.then if a.kind == "evidence"))
        if pieces:
            evidence.append((rule.id, pieces))
    return Plan(layers=tuple(layers), models=model_ids, evidence=tuple(evidence), kb=kb)


def cycles(kb: KnowledgeBase) -> list[list[str]]:
    """Groups of rules that feed each other (A asserts a finding value B tests, ..., back to A),
    each in knowledge-base order."""
    model_ids = [m.id for m in kb.models]
    asserted_by: dict[tuple[str, str | None], set[str]] = {}
    for rule in kb.rules:
        for pair in rule.asserted_findings(model_ids):
            asserted_by.setdefault(pair, set()).add(rule.id)
    edges: dict[str, set[str]] = {rule.id: set() for rule in kb.rules}
    for rule in kb.rules:
        for a in atoms(rule.when):
            if a.kind != "finding":
                continue
            for (name, value), sources in asserted_by.items():
                if name == a.name and (a.values is None or value in a.values):
                    for source in sources:
                        edges[source].add(rule.id)
    return [
        sorted(component, key=lambda r: kb.rule(r).position)
        for component in _strongly_connected(edges, [r.id for r in kb.rules])
        if len(component) > 1 or component[0] in edges[component[0]]
    ]


def _strongly_connected(edges, order):
    """Tarjan's algorithm, iterative; components in a deterministic order."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for start in order:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    found.append(component)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found
