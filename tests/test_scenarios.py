"""Scenario cases from sourcing.knowledge/scenarios: the knowledge base gives the advice the source gives."""

import pytest

from sourcing.expert import Advisor, scenarios

_ADVISOR = Advisor()
SCENARIOS = scenarios.load(_ADVISOR.kb)


def test_there_is_a_scenario_for_every_guide_and_wrong_fit_bullet():
    cited = {s.source for s in SCENARIOS}
    assert len(SCENARIOS) >= 20
    assert sum("Choose" in c for c in cited) >= 9
    assert sum("wrong choice" in c or "disappoint" in c for c in cited) >= 12


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario(scenario):
    assert scenarios.run(_ADVISOR, scenario).failures == (), f"{scenario.file}:{scenario.line} cites: {scenario.source}"


def test_scenarios_fire_every_rule():
    fired = set()
    for scenario in SCENARIOS:
        fired |= {f.rule for f in _ADVISOR.consult(scenario.answers).firings}
    assert [r.id for r in _ADVISOR.kb.rules if r.id not in fired] == []


def test_a_failing_expectation_is_reported():
    base = next(s for s in SCENARIOS if s.model != "bpo")
    wrong = scenarios.Scenario(
        **{
            **base.__dict__,
            "model": "bpo",
            "warnings": ("WRN-BPO-003",),
            "no_warnings": tuple(w.rule for w in _ADVISOR.consult(base.answers).warnings),
        }
    )
    failures = scenarios.run(_ADVISOR, wrong).failures
    assert any(f.startswith(f"model {base.model}, expected bpo") for f in failures)
    assert "warning WRN-BPO-003 did not appear" in failures
