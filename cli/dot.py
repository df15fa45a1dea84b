"""Graphviz DOT: the explanation of recorded conclusions, and the dependency graph of a knowledge base."""

from collections import deque
from collections.abc import Sequence

from sourcing.expert.graph import Graph

PREAMBLE = (
    "  rankdir=LR;",
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
)
FACT_SHAPES = {"answer": "box", "finding": "ellipse", "evidence": "diamond", "score": "octagon"}
NODE_SHAPES = {
    "question": "box",
    "finding": "ellipse",
    "rule": "component",
    "evidence": "diamond",
    "conclusion": "note",
    "recommendation": "doubleoctagon",
}


def quote(text: str) -> str:
    """``text`` as a quoted DOT string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def explanation(nodes: dict[str, dict], fact_ids: Sequence[int]) -> str:
    """The explanation of ``fact_ids`` (``nodes``: expert.explain.graph): one node per fact, edges labelled
    with rules.

    Answers are boxes, findings ellipses, evidence diamonds, scores octagons,
    conclusions notes, the recommendation a double octagon; absences relied on
    are dashed.
    """
    lines = ["digraph explanation {", *PREAMBLE]
    seen: set = set()
    edges: list = []
    absences: dict = {}
    pending = deque(str(i) for i in fact_ids)
    while pending:
        fact_id = pending.popleft()
        if fact_id in seen:
            continue
        seen.add(fact_id)
        for justification in nodes[fact_id]["because"]:
            for premise in justification["from"]:
                edges.append((f"f{premise}", f"f{fact_id}", justification["rule"]))
                pending.append(premise)
            for label in justification["absent"]:
                name = absences.setdefault(label, f"a{len(absences) + 1}")
                edges.append((name, f"f{fact_id}", justification["rule"]))
    for fact_id in sorted(seen, key=int):
        node = nodes[fact_id]
        fact = node["fact"]
        shape = "doubleoctagon" if fact["name"] == "recommended_model" else FACT_SHAPES.get(fact["kind"], "note")
        lines.append(f"  f{fact_id} [shape={shape}, label={quote(node['label'])}];")
    for label, name in absences.items():
        lines.append(f"  {name} [shape=box, style=dashed, label={quote(label)}];")
    for source, target, rule in dict.fromkeys(edges):
        lines.append(f"  {source} -> {target} [label={quote(rule)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dependencies(graph: Graph) -> str:
    """The dependency graph (expert.graph.dependencies): one shape per kind of node; negated tests dashed."""
    lines = ["digraph knowledge {", *PREAMBLE]
    ids = {node_id: f"n{i}" for i, (node_id, _, _) in enumerate(graph.nodes)}
    for node_id, kind, label in graph.nodes:
        lines.append(f"  {ids[node_id]} [shape={NODE_SHAPES[kind]}, label={quote(label)}];")
    for e in graph.edges:
        style = ", style=dashed" if e.negated else ""
        lines.append(f"  {ids[e.source]} -> {ids[e.target]} [label={quote(e.label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
