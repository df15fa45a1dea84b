"""One plan of how the rules run, shared by the experta engine, the direct evaluator and the foresight.

Per layer, in firing order: which rules it has (in the order of the knowledge
files) and whether it feeds itself (a rule tests a finding a rule of the same
layer asserts, so the layer repeats to its fixed point). And what is counted
once: each evidence rule adds each of its distinct weights once, however many
ways its condition holds; ``Plan.totals`` is the one sum of the fit scores and
``Plan.score`` the one scoring action (the totals, then the ranking findings).
"""
from dataclasses import dataclass, field
from typing import Callable, Container, Dict, List, Optional, Tuple

from sourcing.expert.conditions import atoms
from sourcing.expert.model import LAYERS, KnowledgeBase, RuleSpec


@dataclass(frozen=True)
class LayerPlan:
    """One layer: its rules in firing order, and whether it repeats until nothing more is established."""

    name: str
    rules: Tuple[RuleSpec, ...]
    repeats: bool


@dataclass(frozen=True)
class Plan:
    """The layers of a knowledge base in firing order, and the evidence each rule counts once."""

    layers: Tuple[LayerPlan, ...]
    models: Tuple[str, ...]  # the scored models, in catalogue order
    evidence: Tuple[Tuple[str, Tuple[Tuple[str, float], ...]], ...]  # (rule id, its distinct (model, weight))
    kb: KnowledgeBase = field(compare=False, repr=False)

    def totals(self, counted: Container[str], part: Optional[Callable[[float], float]] = None) -> Dict[str, float]:
        """Each model's fit score: the weights of the evidence rules in ``counted`` (rule ids), each
        distinct weight once per rule, summed in the order of the knowledge files (never in firing or
        hash order, so every engine gets the same number). ``part`` maps each weight first (the
        foresight's bounds count only its negative or positive part)."""
        totals = dict.fromkeys(self.models, 0)
        for rule_id, pieces in self.evidence:
            if rule_id in counted:
                for model, weight in pieces:
                    totals[model] += weight if part is None else part(weight)
        return totals

    def score(self, counted: Container[str], vetoed: Container[str]) -> Tuple[Dict[str, float], List[tuple]]:
        """The scoring action: the fit totals of the evidence rules in ``counted``, and the (finding,
        value) pairs of the ranking among the models not ``vetoed`` (KnowledgeBase.ranked_findings)."""
        totals = self.totals(counted)
        return totals, self.kb.ranked_findings(totals, vetoed)


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
    evidence = tuple((rule.id, pieces) for rule in kb.rules
                     for pieces in [tuple(dict.fromkeys((a.name, a.weight) for a in rule.then if a.kind == "evidence"))]
                     if pieces)
    return Plan(layers=tuple(layers), models=model_ids, evidence=evidence, kb=kb)
