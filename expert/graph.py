"""The dependency graph of a knowledge base: questions and findings feed rules, rules assert facts."""

from dataclasses import dataclass

from sourcing.expert.conditions import branches
from sourcing.expert.model import RECOMMENDED


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    negated: bool = False


@dataclass(frozen=True)
class Graph:
    nodes: tuple[tuple[str, str, str], ...]  # (node id, kind, label)
    edges: tuple[Edge, ...]

    def to_dict(self):
        return {
            "nodes": [{"id": n, "kind": k, "label": label} for n, k, label in self.nodes],
            "edges": [{"from": e.source, "to": e.target, "label": e.label, "negated": e.negated} for e in self.edges],
        }


def dependencies(kb):
    """Questions -> rules (reads), findings -> rules (tests; negated when under 'not'),
    rules -> findings, evidence and conclusions (asserts)."""
    nodes, edges = {}, []

    def node(kind, name, label=None):
        node_id = f"{kind}:{name}"
        nodes.setdefault(node_id, (node_id, kind, label or name))
        return node_id

    for rule in kb.rules:
        rule_node = node("rule", rule.id, f"{rule.id}\n{rule.title}")
        tests = {}
        for branch in branches(rule.when, kb.question_map):
            for atom, positive in branch:
                source = node("question" if atom.kind == "answer" else "finding", atom.name)
                tests[source] = tests.get(source, True) and positive
        for source, positive in tests.items():
            edges.append(
                Edge(source, rule_node, "reads" if source.startswith("question") else "tests", negated=not positive)
            )
        for a in rule.then:
            edges.append(_assertion_edge(rule_node, a, node))
    return Graph(nodes=tuple(nodes.values()), edges=tuple(dict.fromkeys(edges)))


def _assertion_edge(rule_node, a, node):
    if a.kind == "finding":
        return Edge(rule_node, node("finding", a.name), a.value)
    if a.kind == "recommend":
        return Edge(rule_node, node("recommendation", RECOMMENDED, "recommended model"), a.name)
    if a.kind == "evidence":
        return Edge(rule_node, node("evidence", a.name, f"evidence for {a.name}"), f"{a.weight:+}")
    if a.kind == "score":
        return Edge(rule_node, node("finding", "leading_model"), "ranks")
    return Edge(rule_node, node("conclusion", f"{a.kind}:{a.name}", f"{a.kind} {a.name}"), a.value or "")
