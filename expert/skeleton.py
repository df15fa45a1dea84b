"""A commented skeleton rule file for knowledge engineers to start from."""

import json
import re
from string import Template

from sourcing import knowledge
from sourcing.expert.errors import InputError, shown

RULE_ID = re.compile(r"[A-Za-z0-9._-]+")

LAYERS = ("findings", "readiness", "evidence", "vetoes", "requirements", "consequences")
CONDITION = {
    "requirements": "    requires: bpo                # the model whose readiness this rule checks\n"
    "    unmet:                       # the answers that leave the requirement unmet",
}
THEN = {
    "findings": '      - finding: my_finding        # a new finding, tested by later rules\n        value: "yes"',
    "readiness": '      - finding: my_finding\n        value: "yes"',
    "evidence": "      - evidence: bpo              # a model: staff_augmentation, managed_services, bpo\n"
    "        weight: 1                  # never negative: a wrong fit is a veto",
    "vetoes": "      - veto: staff_augmentation   # the model the source calls the wrong fit here",
    "requirements": "      - gap: my_gap               # what to make ready, as a next step\n"
    "        text: What the buyer must put in place before the provider takes over.",
    "consequences": "      - note: my_topic            "
    "# or warning: MODEL / gap: AREA / pricing: STRUCTURE, with text\n"
    "        text: What the buyer should know when this holds.",
}


def rule_file(rule_id, layer, title):
    """The text of a skeleton rule file with one rule of ``layer``; InputError for an id that is not a word."""
    if not RULE_ID.fullmatch(rule_id):
        raise InputError("--id", f"{shown(rule_id)} is not a rule id (letters, digits, '.', '_' or '-')")
    template = Template((knowledge.directory() / "templates" / "rule.yaml.tmpl").read_text(encoding="utf-8"))
    return template.substitute(
        id=rule_id,
        layer=layer,
        title=json.dumps(" ".join(title.split()), ensure_ascii=False),
        condition=CONDITION.get(layer, "    when:"),
        then=THEN[layer],
    )
