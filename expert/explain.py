"""Explanation chains: from a conclusion back through findings and evidence to the answers."""


def tree(result, fact_id, kb):
    """The explanation tree of one fact as nested dicts.

    A node is ``{"fact": {...}, "label": str, "because": [justification]}``;
    each justification is ``{"rule", "title", "from": [nodes], "absent": [labels]}``.
    Answers are leaves (``because`` is empty), and so are absences.
    """
    fact = result.facts[fact_id]
    node = {"fact": fact.to_dict(), "label": fact.label(), "because": []}
    for firing in result.justifications(fact_id):
        node["because"].append({
            "rule": firing.rule,
            "title": kb.rule(firing.rule).title,
            "from": [tree(result, premise, kb) for premise in firing.matched],
            "absent": [absence.label() for absence in firing.absent],
        })
    return node


def leaves(node):
    """Every leaf of a tree: ('answer', label) or ('absence', label) pairs, and anything else found."""
    found = []
    if not node["because"]:
        found.append((node["fact"]["kind"], node["label"]))
    for justification in node["because"]:
        found.extend(("absence", label) for label in justification["absent"])
        for child in justification["from"]:
            found.extend(leaves(child))
    return found


def render(node, style=lambda text, kind: text):
    """Indented text lines for a tree; a fact explained once is later shown as '(see above)'."""
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

    walk(node, 0)
    return lines
