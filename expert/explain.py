"""Explanation chains: from a conclusion back through findings and evidence to the answers.

The justification graph holds, for every fact, the firings that asserted it
(rule, premises, absences relied on). A tree is that graph unfolded from one
fact, each shared sub-chain once: its leaves are answers and absences, and a
fact already unfolded appears again only as a reference to it. Every walk is
iterative and bounded (MAX_DEPTH, MAX_NODES), whatever a record holds.
"""

from sourcing.expert import kinds
from sourcing.expert.errors import SourcingError

MAX_DEPTH = 100  # steps from a conclusion down to its answers
MAX_NODES = 20_000  # nodes of one explanation tree, references included


class TooLarge(SourcingError):
    """An explanation past MAX_DEPTH or MAX_NODES."""


def graph(result, titles):
    """{fact id (text): {"fact", "label", "because": [{"rule", "title", "from": [ids], "absent": [labels]}]}}.

    ``titles`` maps rule ids to titles (``KnowledgeBase.titles``, or an audit record's).
    """
    nodes = {}
    for fact in result.facts.values():
        nodes[str(fact.id)] = {"fact": fact.to_dict(), "label": fact.label(), "because": []}
    for firing in result.firings:
        for fact_id in firing.asserted:
            nodes[str(fact_id)]["because"].append(
                {
                    "rule": firing.rule,
                    "title": titles[firing.rule],
                    "from": [str(i) for i in firing.matched],
                    "absent": [absence.label() for absence in firing.absent],
                }
            )
    return nodes


def tree(nodes, fact_id, seen=None):
    """The explanation tree of one fact: each justification's premises unfolded in turn.

    A fact with a justification that was unfolded before (earlier in this tree,
    or in an earlier tree sharing ``seen``) is given as ``{"fact", "label",
    "because": [], "see": id}``. TooLarge past MAX_DEPTH levels or MAX_NODES nodes.
    """
    seen = set() if seen is None else seen
    root = {}
    pending, count = [(str(fact_id), root, 0)], 0
    while pending:
        key, out, depth = pending.pop()
        count += 1
        if depth > MAX_DEPTH or count > MAX_NODES:
            bound = f"deeper than {MAX_DEPTH} steps" if depth > MAX_DEPTH else f"larger than {MAX_NODES:,} nodes"
            raise TooLarge(
                f"the explanation of fact {fact_id} is {bound}; explain a nearer conclusion "
                "(--conclusion ID) or draw the graph (--format dot)"
            )
        node = nodes[key]
        out.update(fact=node["fact"], label=node["label"], because=[])
        if node["because"] and key in seen:
            out["see"] = node["fact"]["id"]
            continue
        seen.add(key)
        children = []
        for j in node["because"]:
            premises = [{} for _ in j["from"]]
            out["because"].append(
                {"rule": j["rule"], "title": j["title"], "from": premises, "absent": list(j["absent"])}
            )
            children += [(premise, child, depth + 1) for premise, child in zip(j["from"], premises)]
        pending.extend(reversed(children))  # first premise first: references follow what they refer to
    return root


def trees(nodes, fact_ids):
    """The trees of ``fact_ids``, a sub-chain shared between them unfolded once."""
    seen = set()
    return [tree(nodes, fact_id, seen) for fact_id in fact_ids]


def leaves(node):
    """Every leaf of a tree as (kind, label): answers have kind 'answer', absences 'absence'.

    A reference ("see") is no leaf: its leaves are where its fact was unfolded.
    """
    found, pending = [], [node]
    while pending:
        node = pending.pop()
        if "see" in node:
            continue
        if not node["because"]:
            found.append((node["fact"]["kind"], node["label"]))
        for justification in node["because"]:
            found.extend(("absence", label) for label in justification["absent"])
            pending.extend(reversed(justification["from"]))
    return found


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
    named = {kind.name for kind in kinds.named(ident)}
    return [f.id for f in result.facts.values() if f.kind != "answer" and (f.name == ident or f.kind in named)]
