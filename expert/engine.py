"""Compile the knowledge base into experta rules, run a consultation, record provenance.

This is the only module that uses experta (imported through ``sourcing.expert.compat``).
Each branch of a rule's condition (in DNF) becomes one experta ``Rule`` whose
positive patterns are bound, so every firing knows exactly which facts it
matched and which absences it relied on.
"""

import inspect  # experta imports it anyway
import io
import pickle

from sourcing.expert.compat import AS, NOT, Fact, InitialFact, KnowledgeEngine, ReteMatcher, Rule, Strategy, experta
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
    (tested equal to experta's). An engine given a network (its nodes, from the cache) uses it unbuilt."""

    def __init__(self, engine):
        if engine.network is None:
            super().__init__(engine)  # builds the network
        else:
            super(ReteMatcher, self).__init__(engine)
            self._every_node = engine.network
            self.root_node = engine.network[-1]

    @staticmethod
    def prepare_ruleset(engine):
        return {
            rule.new_conditions(*((InitialFact(),) if isinstance(rule[0], NOT) else ()), *rule)
            for rule in engine.get_rules()
        }

    @staticmethod
    def build_beta_part(ruleset, alpha_terminals):
        """experta's ``build_beta_part`` for rules that are one conjunction of patterns and NOTs each: the
        same nodes, wired the same way, without the new singledispatch function (and its dispatch cache)
        experta's ``wire_rule`` makes for every rule, most of the cost of building the network. Any other
        rule goes to experta's ``wire_rule``."""
        for rule in ruleset:
            if not all(isinstance(element, (Fact, NOT)) for element in rule) or isinstance(rule[0], NOT):
                _wire_rule(rule, alpha_terminals)
                continue
            current = alpha_terminals[rule[0]]
            for element in rule[1:]:
                node = (_NotNode if isinstance(element, NOT) else _OrdinaryMatchNode)(_SameContextCheck())
                current.add_child(node, node.activate_left)
                right = alpha_terminals[element[0] if isinstance(element, NOT) else element]
                right.add_child(node, node.activate_right)
                current = node
            conflict_set = _ConflictSetNode(rule)
            current.add_child(conflict_set, conflict_set.activate)

    def nodes(self) -> tuple:
        """Every node of the network once, each after the nodes it feeds (the root last); found on first use."""
        if "_every_node" not in self.__dict__:
            found, pending = {}, [(self.root_node, False)]
            while pending:  # depth first, a node listed once all its children are
                node, expanded = pending.pop()
                if id(node) in found:
                    continue
                if expanded:
                    found[id(node)] = node
                else:
                    pending.append((node, True))
                    pending.extend((child.node, False) for child in reversed(node.children))
            self._every_node = tuple(found.values())
        return self._every_node

    def reset(self):
        """Wipe the memory of every node once (experta's reset walks shared nodes again for each parent)."""
        for node in self.nodes():
            node._reset()

    def _get_conflict_set_nodes(self):
        """experta's, kept per matcher (experta keeps only the last matcher's: two engines in turn walk
        their whole networks at every step)."""
        if "_conflict_sets" not in self.__dict__:
            self._conflict_sets = tuple(node for node in self.nodes() if isinstance(node, _ConflictSetNode))
        return self._conflict_sets

    def changes(self, adding=None, deleting=None):
        """experta's ``changes``, asking only the conflict sets that hold something for their activations
        (it asks all of them at every step of a run)."""
        for fact in deleting or ():
            self.root_node.remove(fact)
        for fact in adding or ():
            self.root_node.add(fact)
        added, removed = [], []
        for node in self._get_conflict_set_nodes():
            if node.added or node.removed:
                now_added, now_removed = node.get_activations()
                added.extend(now_added)
                removed.extend(now_removed)
        return added, removed


_ConflictSetNode = experta.matchers.rete.nodes.ConflictSetNode
_NotNode = experta.matchers.rete.nodes.NotNode
_OrdinaryMatchNode = experta.matchers.rete.nodes.OrdinaryMatchNode
_SameContextCheck = experta.matchers.rete.check.SameContextCheck
_wire_rule = experta.matchers.rete.utils.wire_rule


class _Engine(KnowledgeEngine):
    """experta engine that records every firing (see Consultant for the public API)."""

    __strategy__ = _LayeredStrategy
    __matcher__ = _Matcher

    provenance = True  # False only to measure what recording provenance costs (benchmarks/)

    def __init__(self, network=None):
        self.network = network  # the nodes of a network built before (see _Matcher), or None to build one
        super().__init__()

    def get_deffacts(self):
        """experta's ``get_deffacts``, without looking at every member (each rule among them) at every reset."""
        cls = type(self)
        if "_deffacts" not in cls.__dict__:
            cls._deffacts = tuple(
                name for name in dir(cls) if isinstance(inspect.getattr_static(cls, name), experta.DefFacts)
            )
        found = [getattr(self, name) for name in cls._deffacts]
        for deffacts in found:
            deffacts.ke = self
        return sorted(found, key=lambda d: d.order)

    def start(self, kb, plan, answers):
        self.kb = kb
        self.plan = plan
        self.steps = 0
        self.firings = []
        self.known = {}  # content key -> fact id, to find the fact a duplicate assertion meant (never an answer)
        self.reset()
        # One declaration: experta walks its conflict sets once, not once per answer; ids in catalogue order.
        self.declare(*(Answer(name=q.id, value=answers.get(q.id, UNKNOWN)) for q in kb.questions))

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


def _action_signature():
    Parameter = inspect.Parameter
    return inspect.Signature(
        [Parameter("engine", Parameter.POSITIONAL_OR_KEYWORD), Parameter("bound", Parameter.VAR_KEYWORD)]
    )


class _Action:
    """The action of one branch of a rule: fire the rule (by id, in the engine's knowledge base) with the
    facts bound to p0, p1, ... A module-level class, so that a built network can be pickled (the cache)."""

    __signature__ = _action_signature()  # experta asks for it at every rewrite of the rule

    def __init__(self, rule_id, order, positives, negatives):
        self.rule_id = rule_id
        self.order = order  # (rule position, branch): the agenda's order (_LayeredStrategy)
        self.names = tuple(f"p{i}" for i in range(positives))
        self.negatives = tuple(negatives)
        self.__name__ = f"{rule_id}#{order[1]}"

    def __call__(self, engine, **bound):
        engine.fire(engine.kb.rule(self.rule_id), [bound[name] for name in self.names], self.negatives)


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
                action = _Action(rule.id, (rule.position, index), len(positives), negatives)
                namespace[f"rule_{rule.position:04d}_{index}"] = Rule(*patterns, salience=rule.salience)(action)
    return type("CompiledKnowledge", (_Engine,), namespace)


class Consultant:
    """A reusable engine for one knowledge base: ``consult(answers)`` as often as needed.

    The engine's network comes from the cache (``sourcing.expert.cache.derived``) when the knowledge base
    came from it and a network was kept for it; else it is built, and kept for the next process."""

    def __init__(self, kb: KnowledgeBase, provenance: bool = True) -> None:
        self.kb = kb
        self.plan = plan(kb)
        self.provenance = provenance
        self.step_limit = STEPS_PER_RULE * len(kb.rules) + STEPS_BASE
        self._engine = self._cached_engine()
        self.cached = self._engine is not None  # the network came from the cache
        if self._engine is None:
            self._engine = self._built_engine(keep=True)

    def _cached_engine(self):
        """An engine on the network kept in the cache for this knowledge base, or None."""
        from sourcing.expert import cache

        nodes = _unpickled_network(cache.derived(self.kb, NETWORK_KIND, _network_version()), self.kb)
        if nodes is None:
            return None
        engine = _Engine(nodes)
        engine.provenance = self.provenance
        return engine

    def _built_engine(self, keep):
        """An engine whose network is built now; with ``keep``, the network is also kept in the cache."""
        engine = compile_rules(self.kb, self.plan)()
        engine.provenance = self.provenance
        if keep:
            from sourcing.expert import cache

            if cache.wanted(self.kb):
                payload = _pickled_network(engine.matcher.nodes())
                if payload is not None:
                    cache.keep_derived(self.kb, NETWORK_KIND, _network_version(), payload)
        return engine

    def run(self, answers):
        """Run the rules on ``answers``; return (facts by id, firings)."""
        try:
            return self._run(answers)
        except EngineError:
            raise
        except Exception:
            if not self.cached:
                raise
            self._engine, self.cached = self._built_engine(keep=False), False  # a network that misbehaves
            return self._run(answers)

    def _run(self, answers):
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


# The network kept in the cache: its nodes, each after the nodes it feeds, pickled with the reductions
# below (experta's checks, constraints, conditional elements and patterns do not pickle as they are).
NETWORK_KIND = "net"
_NETWORK_FORMAT = 1


def _network_version():
    """What a kept network depends on beyond the knowledge base's cache key (which covers this code)."""
    return f"{_NETWORK_FORMAT} experta {experta.__version__}"


def _rule_from(cls, elements):
    """An experta Rule (or a subclass) of ``elements``; the pickle then restores its attributes."""
    return cls(*elements)


def _fact_from(cls, items):
    """A pattern fact with the fields it had (already in experta's frozen form), without the hash experta
    keeps of them: another process need not hash them alike."""
    fact = cls()
    dict.update(fact, items)
    return fact


class _NetworkPickler(pickle.Pickler):
    """Pickles experta's objects by the calls that make them."""

    def reducer_override(self, obj):
        if isinstance(obj, _FeatureCheck):
            return _FeatureCheck, (obj.what, obj.how)
        if isinstance(obj, Rule):
            return _rule_from, (type(obj), tuple(obj)), obj.__dict__
        if isinstance(obj, experta.L):
            return experta.L, (obj.value, obj.__bind__)
        if isinstance(obj, experta.P):
            return experta.P, (obj.match, obj.__bind__)
        if isinstance(obj, experta.W):
            return experta.W, (obj.__bind__,)
        if isinstance(obj, _ConditionalElement):
            return type(obj), tuple(obj)
        if isinstance(obj, Fact):
            return _fact_from, (type(obj), dict(obj))
        return NotImplemented


_FeatureCheck = experta.matchers.rete.check.FeatureCheck
_ConditionalElement = experta.conditionalelement.ConditionalElement


def _pickled_network(nodes):
    """The pickle of a network's ``nodes`` (from _Matcher.nodes), or None when it does not pickle."""
    buffer = io.BytesIO()
    try:
        _NetworkPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(nodes)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return None
    return buffer.getvalue()


def _unpickled_network(payload, kb):
    """The nodes pickled in ``payload`` when they are a network for ``kb``'s rules; else None (rebuilt)."""
    if payload is None:
        return None
    try:
        nodes = pickle.loads(payload)  # noqa: S301 (the user's own 0600 cache file, checksum verified)
    except Exception:  # written by other code: rebuilt
        return None
    if not isinstance(nodes, tuple) or not nodes or not all(isinstance(n, _Node) for n in nodes):
        return None
    rules = {rule.id: rule for rule in kb.rules}
    for node in nodes:
        if isinstance(node, _ConflictSetNode):
            action = node.rule._wrapped
            rule = rules.get(getattr(action, "rule_id", None))
            if not isinstance(action, _Action) or rule is None or node.rule.salience != rule.salience:
                return None
    return nodes


_Node = experta.matchers.rete.abstract.Node
