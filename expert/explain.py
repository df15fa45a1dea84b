"""Explanation chains: from a conclusion back through findings and evidence to the answers.

The justification graph holds, for every fact, the firings that asserted it
(rule, premises, absences relied on). A tree is that graph unfolded from one
fact: its leaves are answers and absences only.
"""


def graph(result, titles):
    """{fact id (text): {"fact", "label", "because": [{"rule", "title", "from": [ids], "absent": [labels]}]}}.

    ``titles`` maps rule ids to titles (``KnowledgeBase.titles``, or an audit record's).
    """
    nodes = {}
    for fact in result.facts.values():
        nodes[str(fact.id)] = {"fact": fact.to_dict(), "label": fact.label(), "because": []}
    for firing in result.firings:
        for fact_id in firing.asserted:
            nodes[str(fact_id)]["because"].append({
                "rule": firing.rule,
                "title": titles[firing.rule],
                "from": [str(i) for i in firing.matched],
                "absent": [absence.label() for absence in firing.absent],
            })
    return nodes


def tree(nodes, fact_id):
    """The explanation tree of one fact: each justification's premises unfolded recursively."""
    node = nodes[str(fact_id)]
    return {
        "fact": node["fact"],
        "label": node["label"],
        "because": [
            {"rule": j["rule"], "title": j["title"], "from": [tree(nodes, premise) for premise in j["from"]],
             "absent": list(j["absent"])}
            for j in node["because"]
        ],
    }


def leaves(node):
    """Every leaf of a tree as (kind, label): answers have kind 'answer', absences 'absence'."""
    found = []
    if not node["because"]:
        found.append((node["fact"]["kind"], node["label"]))
    for justification in node["because"]:
        found.extend(("absence", label) for label in justification["absent"])
        for child in justification["from"]:
            found.extend(leaves(child))
    return found


def render(trees, style=lambda text, kind: text):
    """Indented text lines for one or more trees; a fact explained once is later shown as '(see above)'."""
    lines = []
    shown = set()

    def walk(node, depth):
        pad = "  " * depth
        fact_id = node["fact"]["id"]
        if node["because"] and fact_id in shown:
            lines.append(f"{pad}{style(node['label'], node['fact']['kind'])}  (see above)")
            return
        shown.add(fact_id)
        lines.append(pad + style(node["label"], node["fact"]["kind"]))
        for justification in node["because"]:
            lines.append(f"{pad}  <- {style(justification['rule'], 'rule')} {justification['title']}")
            for child in justification["from"]:
                walk(child, depth + 2)
            for label in justification["absent"]:
                lines.append(f"{pad}    {style(label, 'absence')}")

    for root in ([trees] if isinstance(trees, dict) else trees):
        walk(root, 0)
    return lines


SHAPES = {"answer": "box", "finding": "ellipse", "evidence": "diamond", "score": "octagon"}


def dot(nodes, fact_ids):
    """Graphviz DOT of the explanation of ``fact_ids``: one node per fact, edges labelled with rules.

    Answers are boxes, findings ellipses, evidence diamonds, scores octagons,
    conclusions notes, the recommendation a double octagon; absences relied on
    are dashed.
    """
    lines = ["digraph explanation {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    seen, edges, absences = set(), [], {}
    pending = [str(i) for i in fact_ids]
    while pending:
        fact_id = pending.pop(0)
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
        shape = "doubleoctagon" if fact["name"] == "recommended_model" else SHAPES.get(fact["kind"], "note")
        lines.append(f"  f{fact_id} [shape={shape}, label={quote_dot(node['label'])}];")
    for label, name in absences.items():
        lines.append(f"  {name} [shape=box, style=dashed, label={quote_dot(label)}];")
    for source, target, rule in dict.fromkeys(edges):
        lines.append(f"  {source} -> {target} [label={quote_dot(rule)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def quote_dot(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


CONCLUSION_KINDS = ("warning", "gap", "pricing", "responsibility", "note")


def select(result, ident):
    """The fact ids that ``ident`` names: 'recommendation', a fact id, a fired rule id, or a fact name/kind.

    Returns [] when nothing matches.
    """
    ident = ident.strip()
    if ident in ("", "recommendation"):
        return [result.recommendation_fact().id]
    if ident.isdecimal():
        return [int(ident)] if int(ident) in result.facts else []
    by_rule = [i for f in result.firings if f.rule == ident.upper() for i in f.new]
    if by_rule:
        return by_rule
    kind = ident.rstrip("s") if ident.rstrip("s") in CONCLUSION_KINDS else None
    return [f.id for f in result.facts.values()
            if f.kind != "answer" and (f.name == ident or f.kind == kind)]
