"""The invariants of sound advice (sourcing.expert.invariants), over generated answer sets and through kb lint."""

import json
import os
import random

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from strategies import KB, answer_sets

from sourcing.cli.main import cli
from sourcing.expert import load, workers
from sourcing.expert.invariants import Invariants
from sourcing.expert.model import BLOCKED, UNKNOWN, VETOED
from sourcing.expert.whynot import why_not

SETS = int(os.environ.get("SOURCING_INVARIANT_SETS", "100000"))
WORKERS = 2


def _check_range(task):
    """Check ``count`` seeded answer sets (a fifth of them partial); return the violations found."""
    seed, count = task
    checks, rng, found = Invariants(load()), random.Random(seed), []
    for _ in range(count):
        partial = rng.random() < 0.2
        answers = {
            q.id: UNKNOWN if partial and rng.random() < 0.5 else rng.choice(q.choices) for q in checks.kb.questions
        }
        found += [(v.code, v.rule, v.message, v.answers) for v in checks.check(answers, rng)]
    return found


def test_the_invariants_hold_on_generated_answer_sets():
    share = SETS // WORKERS
    parts = workers.ordered(_check_range, [(seed, share) for seed in range(WORKERS)], WORKERS)
    found = [v for part in parts for v in part]
    assert SETS >= 100000 or os.environ.get("SOURCING_INVARIANT_SETS")
    assert found[:3] == []


def _models(result):
    return {f.name: [] for f in result.findings} and {
        name: [f.value for f in result.findings if f.name == name] for name in (VETOED, BLOCKED)
    }


@settings(max_examples=150, deadline=None)
@given(answers=answer_sets())
def test_experta_never_recommends_a_vetoed_or_blocked_model(advisor, answers):
    result = advisor.consult(answers)
    found = _models(result)
    assert result.recommendation not in found[VETOED] + found[BLOCKED]
    if result.recommendation == advisor.kb.fallback.id:
        assert result.gaps, "stabilise first must name at least one concrete gap"
    if result.recommendation == advisor.kb.undetermined.id:
        assert result.strength is None and result.deciding_questions
        assert all(result.answers[q] == UNKNOWN for q in result.deciding_questions)


@settings(max_examples=25, deadline=None)
@given(answers=answer_sets(allow_missing=False))
def test_why_not_never_proposes_an_unknown_answer(advisor, answers):
    target = next(m.id for m in advisor.kb.all_models if m.id != advisor.consult(answers).recommendation)
    analysis = why_not(advisor, answers, target, max_changes=1)
    assert all(c.after != UNKNOWN for cf in analysis.counterfactuals for c in cf.changes)


def _consult_json(answers):
    result = CliRunner().invoke(
        cli, ["consult", "--answers", "-", "--no-input", "--format", "json"], input=json.dumps(answers)
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_service_wanted_under_tight_control_is_augmentation_with_the_veto_explained():
    data = _consult_json(
        {
            "need": "service",
            "daily_control": "tight",
            "supervision_capacity": "high",
            "operating_model": "strong",
            "governance_capability": "none",
        }
    )
    assert data["recommendation"] == {**data["recommendation"], "status": "recommended", "model": "staff_augmentation"}
    vetoes = {v["model"]: v["rules"] for v in data["vetoes"]}
    assert "VETO-MS-001" in vetoes["managed_services"]
    assert data["recommendation"]["conditional"] and data["recommendation"]["strength"] != "strong"


def test_an_empty_answers_file_is_undetermined_with_the_deciding_questions():
    data = _consult_json({})
    recommendation = data["recommendation"]
    assert (recommendation["status"], recommendation["model"]) == ("undetermined", None)
    assert recommendation["deciding_questions"] and set(recommendation["deciding_questions"]) <= set(data["answers"])
    assert set(data["scores"]) == {"staff_augmentation", "managed_services", "bpo"}


def _extension(tmp_path, rules):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "50-broken.yaml").write_text(yaml.safe_dump({"rules": rules}, sort_keys=False))
    return tmp_path


def _lint(tmp_path, *extra):
    result = CliRunner().invoke(
        cli,
        [
            "--kb",
            str(tmp_path),
            "kb",
            "lint",
            "--format",
            "json",
            "--samples",
            "300",
            "--invariant-samples",
            "600",
            *extra,
        ],
    )
    return result.exit_code, json.loads(result.output)


BASE = {"title": "Broken on purpose", "rationale": "A test of kb lint.", "source": "A test > of the invariants"}


def test_lint_reports_a_rule_that_lets_a_vetoed_model_win_at_its_file_and_line(tmp_path):
    ext = _extension(
        tmp_path,
        [
            {
                "id": "REC-003",
                "replaces": "REC-003",
                **BASE,
                "layer": "recommendation",
                "when": {"finding": "provider_role", "is": "service_owner"},
                "then": [{"recommend": "managed_services"}],
            }
        ],
    )
    code, report = _lint(ext)
    assert code == 1
    wrong = [i for i in report["issues"] if i["code"] == "KB401"]
    assert wrong and wrong[0]["rule"] == "REC-003"
    assert wrong[0]["location"].endswith("rules/50-broken.yaml:1") or ":" in wrong[0]["location"]
    assert wrong[0]["location"].split(":")[0].endswith("50-broken.yaml")
    example = wrong[0]["example"]
    assert CliRunner().invoke(
        cli,
        ["--kb", str(ext), "consult", "--answers", "-", "--no-input", "--format", "json"],
        input=json.dumps(example),
    ).exit_code in (0, 2)


def test_lint_refuses_negative_fit_weights_and_fit_that_reads_readiness(tmp_path):
    ext = _extension(
        tmp_path,
        [
            {
                "id": "EV-X-001",
                **BASE,
                "layer": "evidence",
                "when": {"answer": "governance_capability", "is": "mature"},
                "then": [{"evidence": "managed_services", "weight": 2}],
            },
            {
                "id": "EV-X-002",
                **BASE,
                "layer": "evidence",
                "when": {"answer": "need", "is": "capacity"},
                "then": [{"evidence": "bpo", "weight": -2}],
            },
        ],
    )
    code, report = _lint(ext)
    codes = {(i["code"], i["rule"]) for i in report["issues"]}
    assert code == 1 and {("KB406", "EV-X-001"), ("KB407", "EV-X-002")} <= codes


def test_the_shipped_base_passes_every_invariant_check_in_lint():
    code, report = _lint_shipped()
    assert code == 0, [i for i in report["issues"] if i["severity"] == "error"]


def _lint_shipped():
    result = CliRunner().invoke(
        cli, ["kb", "lint", "--format", "json", "--samples", "500", "--invariant-samples", "1500"]
    )
    return result.exit_code, json.loads(result.output)


@pytest.mark.parametrize("question", [q for q in KB.questions if q.kind == "pricing"], ids=lambda q: q.id)
def test_pricing_is_a_consequence_only(kb, question):
    readers = [r for r in kb.rules if any(a.name == question.id for a in _answer_atoms(r.when))]
    assert readers and all(r.layer == "consequences" for r in readers)


def _answer_atoms(condition):
    from sourcing.expert.conditions import atoms

    return [a for a in atoms(condition) if a.kind == "answer"]
