"""Compile the knowledge base into experta rules, run a consultation, record provenance.

This is the only module that uses experta (imported through ``sourcing.expert.compat``).
Each branch of a rule's condition (in DNF) becomes one experta ``Rule`` whose
positive patterns are bound, so every firing knows exactly which facts it
matched and which absences it relied on.
"""

from sourcing.expert.compat import AS, NOT, Fact, InitialFact, KnowledgeEngine, ReteMatcher, Rule, Strategy
from sourcing.expert.conditions import branches
from sourcing.expert.errors import EngineError
from sourcing.expert.model import RECOMMENDED, UNKNOWN, VETOED, KnowledgeBase
from sourcing.expert.plan import Plan, cycles, plan
from sourcing.expert.result import Absence, FactRecord, Firing

# Forward chaining stops after this many rule firings per rule, plus a base (docs/knowledge-engineering.md).
STEPS_PER_RULE, STEPS_BASE = 20, 100


class Answer(Fact):
    """An answer to a question (``unknown`` included)."""


class Finding(Fact):
    """A finding asserted by a rule."""


class Evidence(Fact):
    """A weighted piece of evidence for (+) or against (-) a model."""


class Score(Fact):
    """A model's total score, asserted by the scoring action."""


class Conclusion(Fact):
    """A warning, gap, pricing structure, responsibility or note."""


_KIND_OF_CLASS = {Answer: "answer", Finding: "finding", Evidence: "evidence", Score: "score"}


class _LayeredStrategy(Strategy):
    """Agenda order: salience (layer), then rule position in the knowledge files.

    Replaces experta's DepthStrategy, which can miss removals when activations
    share salience and fact ids, and which breaks ties by hash (varies between
    processes). Removal here is exact and the order is total.
    """

    @staticmethod
    def _key(activation):
        position, branch = activation.rule._wrapped.order
        ids = tuple(sorted(-f["__factid__"] for f in activation.facts))
        return (activation.rule.salience, -position, -branch, ids)

    def _update_agenda(self, agenda, added, removed):
        for activation in removed:
            activation.key = self._key(activation)
            if activation in agenda.activations:
                agenda.activations.remove(activation)
        for activation in added:
            activation.key = self._key(activation)
            agenda.activations.append(activation)
        agenda.activations.sort(key=lambda a: a.key)


def _value_pattern(values):
    """One value, or a single membership test for several: an OR of literals would make experta expand
    the rule into one branch per value while preparing its network (most of the cost of building it)."""
    if len(values) == 1:
        return values[0]
    from sourcing.expert.compat import experta

    allowed = frozenset(values)
    return experta.P(allowed.__contains__)


def _pattern(atom):
    cls = Answer if atom.kind == "answer" else Finding
    if atom.values is None:
        return cls(name=atom.name)
    return cls(name=atom.name, value=_value_pattern(atom.values))


def _describe_absence(atom):
    return Absence(kind=atom.kind, name=atom.name, values=atom.values)


class _Matcher(ReteMatcher):
    """experta's RETE matcher for rules that are one conjunction each (``compile_rules`` makes one rule per
    DNF branch). experta rewrites every rule to DNF again while preparing the network, which changes
    nothing then and cost half of the build; this prepares each rule as experta's ``prepare_rule`` does
    for a conjunction: a new rule (not bound to the engine), InitialFact first when it starts with a NOT
    (tested equal to experta's)."""

    @staticmethod
    def prepare_ruleset(engine):
        return {
            rule.new_conditions(*((InitialFact(),) if isinstance(rule[0], NOT) else ()), *rule)
            for rule in engine.get_rules()
        }


class _Engine(KnowledgeEngine):
    """experta engine that records every firing (see Consultant for the public API)."""

    __strategy__ = _LayeredStrategy
    __matcher__ = _Matcher

    provenance = True  # False only to measure what recording provenance costs (benchmarks/)

    def start(self, kb, plan, answers):
        self.kb = kb
        self.plan = plan
        self.steps = 0
        self.firings = []
        self.known = {}  # content key -> fact id, to find the fact a duplicate assertion meant
        self.reset()
        for question in kb.questions:
            self._declare_recorded(Answer(name=question.id, value=answers.get(question.id, UNKNOWN)))

    def _declare_recorded(self, fact):
        """Declare ``fact``; return (fact id, whether it is new)."""
        key = (type(fact).__name__, tuple(sorted(fact.as_dict().items())))
        declared = self.declare(fact)
        if declared is not None:
            self.known[key] = declared["__factid__"]
            return declared["__factid__"], True
        return self.known[key], False

    def fire(self, rule, matched, negatives):
        """Run the assertions of ``rule`` and record the firing."""
        self.steps += 1
        if not self.provenance:
            for fact in self._facts(rule, [])[1]:
                self.declare(fact)
            return
        matched, facts, absent = self._facts(rule, matched)
        absent += tuple(_describe_absence(atom) for atom in negatives)
        asserted, new = [], []
        for fact in facts:
            fact_id, is_new = self._declare_recorded(fact)
            asserted.append(fact_id)
            if is_new:
                new.append(fact_id)
        self.firings.append(
            Firing(
                step=len(self.firings) + 1,
                rule=rule.id,
                matched=tuple(f["__factid__"] for f in matched),
                absent=absent,
                asserted=tuple(asserted),
                new=tuple(new),
            )
        )

    def _facts(self, rule, matched):
        """(the facts matched, the facts to assert, absences) for a firing of ``rule``.

        The scoring action matches every evidence fact and every veto (none is an absence of its own).
        """
        absent = ()
        if any(a.kind == "score" for a in rule.then):
            evidence = [f for f in self.facts.values() if isinstance(f, Evidence)]
            vetoes = [f for f in self.facts.values() if isinstance(f, Finding) and f["name"] == VETOED]
            matched = sorted(evidence + vetoes, key=lambda f: f["__factid__"])
            if not evidence:
                absent += (Absence(kind="evidence", name="for any model", values=None),)
            if not vetoes:
                absent += (Absence(kind="finding", name=VETOED, values=None),)
            facts = self._score_facts(evidence, {f["value"] for f in vetoes})
        else:
            facts = [self._fact_for(rule, a) for a in rule.then]
        return matched, facts, absent

    def _fact_for(self, rule, assertion):
        kind = assertion.kind
        if kind == "finding":
            return Finding(name=assertion.name, value=assertion.value)
        if kind == "recommend":
            return Finding(name=RECOMMENDED, value=assertion.name)
        if kind == "veto":
            return Finding(name=VETOED, value=assertion.name)
        if kind == "evidence":
            return Evidence(name=assertion.name, weight=assertion.weight, rule=rule.id)
        fields = {"kind": kind, "name": assertion.name, "rule": rule.id}
        if assertion.value is not None:
            fields["value"] = assertion.value
        if assertion.text is not None:
            fields["text"] = assertion.text
        return Conclusion(**fields)

    def _score_facts(self, evidence, vetoed):
        """The scoring action's facts: each model's Score, then the ranking findings (sourcing.expert.plan)."""
        totals, ranked = self.plan.score({fact["rule"] for fact in evidence}, vetoed)
        return [Score(name=m, value=totals[m]) for m in self.plan.models] + [
            Finding(name=name, value=value) for name, value in ranked
        ]


def _rhs(rule, branch, positives, negatives):
    names = [f"p{i}" for i in range(len(positives))]

    def action(engine, **bound):
        engine.fire(rule, [bound[name] for name in names], negatives)

    action.order = (rule.position, branch)
    action.__name__ = f"{rule.id}#{branch}"
    action.__signature__ = _ACTION_SIGNATURE  # experta asks for it at every rewrite of the rule
    return action


def _action_signature():
    from inspect import Parameter, Signature

    return Signature([Parameter("engine", Parameter.POSITIONAL_OR_KEYWORD), Parameter("bound", Parameter.VAR_KEYWORD)])


_ACTION_SIGNATURE = _action_signature()


def compile_rules(kb: KnowledgeBase, rule_plan: Plan | None = None) -> type:
    """Build the experta engine class for ``kb``: one Rule per DNF branch of each rule, layer by layer
    as ``rule_plan`` (default: ``plan(kb)``) orders them."""
    namespace = {}
    for layer in (rule_plan or plan(kb)).layers:
        for rule in layer.rules:
            for index, branch in enumerate(branches(rule.when, kb.question_map)):
                positives = [atom for atom, positive in branch if positive]
                negatives = [atom for atom, positive in branch if not positive]
                patterns = [getattr(AS, f"p{i}") << _pattern(atom) for i, atom in enumerate(positives)]
                patterns += [NOT(_pattern(atom)) for atom in negatives]
                if not patterns:
                    patterns = [InitialFact()]
                action = _rhs(rule, index, positives, negatives)
                namespace[f"rule_{rule.position:04d}_{index}"] = Rule(*patterns, salience=rule.salience)(action)
    return type("CompiledKnowledge", (_Engine,), namespace)


class Consultant:
    """A reusable engine for one knowledge base: ``consult(answers)`` as often as needed."""

    def __init__(self, kb, provenance=True):
        self.kb = kb
        self.plan = plan(kb)
        self._engine = compile_rules(kb, self.plan)()
        self._engine.provenance = provenance
        self.step_limit = STEPS_PER_RULE * len(kb.rules) + STEPS_BASE

    def run(self, answers):
        """Run the rules on ``answers``; return (facts by id, firings)."""
        engine = self._engine
        engine.start(self.kb, self.plan, answers)
        engine.run(steps=self.step_limit + 1)
        if engine.steps > self.step_limit:
            raise EngineError(self._runaway(engine))
        facts = {}
        for fact_id, fact in engine.facts.items():
            record = _record(fact_id, fact)
            if record is not None:
                facts[fact_id] = record
        return facts, list(engine.firings)

    def _runaway(self, engine):
        """The message for a run stopped at the step limit: the cycles lint finds, else the last rules fired."""
        found = cycles(self.kb)
        if found:
            named = "; ".join(" -> ".join(members + [members[0]]) for members in found)
        else:
            named = ", ".join(sorted({f.rule for f in engine.firings[-len(self.kb.rules) :]}))
        return (
            f"the rules kept firing past the limit of {self.step_limit} steps ({STEPS_PER_RULE} per rule + "
            f"{STEPS_BASE}); rules in a cycle: {named} (see 'sourcing kb lint')"
        )


def _record(fact_id, fact):
    data = fact.as_dict()
    if isinstance(fact, Conclusion):
        return FactRecord(
            id=fact_id,
            kind=data["kind"],
            name=data["name"],
            value=data.get("value"),
            text=data.get("text"),
            rule=data["rule"],
        )
    kind = _KIND_OF_CLASS.get(type(fact))
    if kind is None:
        return None  # experta's InitialFact
    if kind == "evidence":
        return FactRecord(id=fact_id, kind=kind, name=data["name"], weight=data["weight"], rule=data["rule"])
    return FactRecord(id=fact_id, kind=kind, name=data["name"], value=data["value"])
