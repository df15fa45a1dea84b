"""The shipped knowledge base: contract catalogue, rule metadata, traceability to the source."""
import re

import pytest

from conftest import shared_file
from expert.model import LAYERS

CONTRACT = {
    "need": ["capacity", "skills", "service", "process"],
    "work_domain": ["technology", "business_operations", "mixed"],
    "duration": ["temporary", "ongoing"],
    "urgency": ["immediate", "planned"],
    "daily_control": ["tight", "shared", "outcomes_only"],
    "supervision_capacity": ["high", "limited", "none"],
    "redesign_expected": ["yes", "no"],
    "operating_model": ["strong", "adequate", "weak"],
    "process_stability": ["stable", "evolving", "chaotic"],
    "documentation": ["documented", "partial", "tribal"],
    "measurability": ["clear_metrics", "some_metrics", "none"],
    "workflow_understanding": ["deep", "partial", "poor"],
    "political_sensitivity": ["low", "moderate", "high"],
    "governance_capability": ["mature", "developing", "none"],
    "scope_clarity": ["clear", "partial", "fluid"],
    "formal_service_levels": ["required", "nice_to_have", "not_needed"],
    "pricing_preference": ["per_person", "retainer", "per_transaction", "sla_linked", "no_preference"],
}


def test_catalogue_is_exactly_the_contract(kb):
    assert {q.id: list(q.values) for q in kb.questions} == CONTRACT
    assert all(q.choices[-1] == "unknown" for q in kb.questions)
    assert all(q.prompt and all(q.help_for(v) for v in q.values) for q in kb.questions)


def test_catalogue_matches_the_contract_file(kb):
    text = shared_file("spec", "consultation-contract.md").read_text()
    rows = re.findall(r"^\| (\w+) \| ([\w, ]+) \|", text, re.M)
    table = {qid: [v.strip() for v in values.split(",")] for qid, values in rows if qid not in ("id", "model")}
    table = {k: v for k, v in table.items() if k in CONTRACT or not set(v) & {"staff_augmentation"}}
    assert {k: v for k, v in table.items() if k in CONTRACT} == CONTRACT
    models = re.findall(r"^\| (staff_augmentation|managed_services|bpo|stabilize_first) \|", text, re.M)
    assert models == [m.id for m in kb.all_models]


def test_every_rule_has_its_metadata(kb):
    for rule in kb.rules:
        assert re.fullmatch(r"[A-Z]+(-[A-Z]+)?-\d{3}", rule.id), rule.id
        assert rule.title and rule.rationale and rule.source and rule.layer in LAYERS
        assert rule.source.startswith("companion:") or " > " in rule.source, rule.id
        assert 1 <= rule.rationale.count(".") <= 3, f"{rule.id}: rationale should be one or two sentences"


def test_rule_count_covers_the_source(kb):
    assert 50 <= len(kb.rules) <= 120


def _bullets(text, header):
    lines = text.splitlines()
    start = lines.index(header) + 1
    bullets = []
    for line in lines[start:]:
        if not line.startswith("- "):
            break
        bullets.append(line[2:].strip())
    return bullets


GUIDE_HEADERS = [
    "Choose staff augmentation when:", "Choose managed services when:", "Choose BPO when:",
    "Staff augmentation is often the wrong fit when:", "Managed services can be the wrong fit when:",
    "BPO is often the wrong fit when:",
]


@pytest.mark.parametrize("header", GUIDE_HEADERS)
def test_every_guide_and_wrong_fit_bullet_is_encoded(kb, header):
    text = shared_file("sources", "staff-augmentation-vs-managed-services-vs-bpo.txt").read_text()
    bullets = _bullets(text, header)
    assert len(bullets) >= 3
    sources = [r.source for r in kb.rules]
    missing = [b for b in bullets if not any(b in s for s in sources)]
    assert missing == []


@pytest.mark.parametrize("section", [
    "How pricing usually differs", "Where managed services and BPO overlap", "Where augmentation can disappoint",
    "The easiest way to compare them", "The bottom line",
])
def test_sections_are_traceable(kb, section):
    assert any(r.source.startswith(section) for r in kb.rules)
    text = shared_file("sources", "staff-augmentation-vs-managed-services-vs-bpo.txt").read_text()
    assert section in text


def test_companion_citations_name_a_companion_page(kb):
    notes = shared_file("sources", "companion-notes.md").read_text()
    slugs = set(re.findall(r"^## companion:([\w-]+)", notes, re.M)) | {"readiness-signals"}
    for rule in kb.rules:
        if rule.source.startswith("companion:"):
            assert rule.source.split(":", 1)[1] in slugs, rule.id


def test_every_wrong_fit_warning_has_matching_negative_evidence(kb):
    wrong_fit = {r.source for r in kb.rules if r.then[0].kind == "warning" and "wrong choice" in r.source}
    negative = {r.source for r in kb.rules for a in r.then if a.kind == "evidence" and a.weight < 0}
    assert wrong_fit - negative == set()
