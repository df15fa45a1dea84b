"""The shipped knowledge base: contract catalogue, rule metadata, traceability to the source."""

import re

import pytest
from conftest import shared_file

from sourcing.expert.model import LAYERS

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
    assert models == [m.id for m in kb.models + (kb.fallback,)]
    assert "`recommendation.status`" in text and kb.undetermined.id == "undetermined"


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
    "Choose staff augmentation when:",
    "Choose managed services when:",
    "Choose BPO when:",
    "Staff augmentation is often the wrong fit when:",
    "Managed services can be the wrong fit when:",
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


@pytest.mark.parametrize(
    "section",
    [
        "How pricing usually differs",
        "Where managed services and BPO overlap",
        "Where augmentation can disappoint",
        "The easiest way to compare them",
        "The bottom line",
    ],
)
def test_sections_are_traceable(kb, section):
    assert any(r.source.startswith(section) for r in kb.rules)
    text = shared_file("sources", "staff-augmentation-vs-managed-services-vs-bpo.txt").read_text()
    assert section in text


def _flat(text):
    return " ".join(text.replace("FTE", "FTE ").split())


def test_every_citation_points_at_a_passage_that_says_it(kb):
    """'Section > ... > passage': the section heads the source and the passage (up to its first colon, for a
    list it introduces) is in it; 'companion:slug > passage' names a companion page and a fact of it."""
    main = _flat(shared_file("sources", "staff-augmentation-vs-managed-services-vs-bpo.txt").read_text())
    notes = shared_file("sources", "companion-notes.md").read_text()
    pages = {
        slug: _flat(body) for slug, body in re.findall(r"^## companion:([\w-]+)\n(.*?)(?=^## |\Z)", notes, re.M | re.S)
    }
    signals = _flat(notes.split("## Readiness signals", 1)[1])
    for rule in kb.rules:
        parts = [p.strip() for p in rule.source.split(" > ")]
        if parts[0].startswith("companion:"):
            slug = parts[0].split(":", 1)[1]
            assert slug in pages, f"{rule.id}: no companion page {slug}"
            text = pages[slug]
        elif parts[0] == "companion-notes":
            assert parts[1] == "Readiness signals", rule.id
            text, parts = signals, parts[1:]
        else:
            assert parts[0] in main, f"{rule.id}: no section {parts[0]!r}"
            text = main
        passage = parts[-1].split(": ")[0] if len(parts) > 1 else None
        if passage is not None:
            assert _flat(passage).strip('"') in text, f"{rule.id}: {passage!r} is not in the source"


@pytest.mark.parametrize("header", GUIDE_HEADERS[3:])
def test_every_wrong_fit_bullet_is_a_veto_or_a_requirement_never_a_weight(kb, header):
    text = shared_file("sources", "staff-augmentation-vs-managed-services-vs-bpo.txt").read_text()
    for bullet in _bullets(text, header):
        encoding = [r for r in kb.rules if bullet in r.source]
        assert any(r.vetoes or r.requires for r in encoding), bullet
        assert not any(a.kind == "evidence" and a.weight < 0 for r in encoding for a in r.then), bullet
