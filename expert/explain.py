"""Explanation chains: from a conclusion back through findings and evidence to the answers.

The justification graph holds, for every fact, the firings that asserted it
(rule, premises, absences relied on). A tree is that graph unfolded from one
fact: its leaves are answers and absences only.
"""


def graph(result, kb):
    """{fact id (text): {"fact", "label", "because": [{"rule", "title", "from": [ids], "absent": [labels]}]}}."""
    nodes = {}
    for fact in result.facts.values():
        nodes[str(fact.id)] = {"fact": fact.to_dict(), "label": fact.label(), "because": []}
    for firing in result.firings:
        for fact_id in firing.asserted:
            nodes[str(fact_id)]["because"].append({
                "rule": firing.rule,
                "title": kb.rule(firing.rule).title,
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
