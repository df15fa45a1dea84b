"""Scenario cases kept beside the rules: answers, the expected model, warnings that must (not) appear."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sourcing.expert import yamlio
from sourcing.expert.answers import normalise
from sourcing.expert.errors import InputError, KnowledgeError, Problem, shown
from sourcing.expert.model import KnowledgeBase

SCENARIO_KEYS = {"id", "title", "source", "answers", "expect"}
EXPECT_KEYS = {"model", "warnings", "no_warnings", "fires", "no_fires", "strength"}


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    source: str
    answers: dict[str, str]
    model: str
    warnings: tuple[str, ...]
    no_warnings: tuple[str, ...]
    fires: tuple[str, ...]
    no_fires: tuple[str, ...]
    strength: str
    file: str
    line: int


def load(kb):
    """Every scenario in the ``scenarios/`` folder of each of ``kb``'s directories, validated against ``kb``."""
    problems, scenarios, seen = [], [], {}
    for root in map(Path, kb.sources):
        for path in sorted((root / "scenarios").glob("*.yaml")):
            name = str(path.relative_to(root.parent))
            try:
                document = yamlio.read_file(path, name, root)
            except InputError as error:
                problems.append(Problem(name, error.line, None, error.message))
                continue
            entries = document.get("scenarios") if isinstance(document, dict) else None
            if not isinstance(entries, list):
                problems.append(Problem(name, 1, None, "expected a mapping with a 'scenarios' list"))
                continue
            for entry in entries:
                scenario = _parse(kb, name, entry, problems)
                if scenario is None:
                    continue
                if scenario.id in seen:
                    problems.append(
                        Problem(
                            name,
                            scenario.line,
                            scenario.id,
                            f"duplicate scenario id (first defined at {seen[scenario.id]})",
                        )
                    )
                    continue
                seen[scenario.id] = f"{name}:{scenario.line}"
                scenarios.append(scenario)
    if problems:
        raise KnowledgeError(problems)
    return scenarios


def _parse(kb, name, entry, problems):
    line = getattr(entry, "line", None)
    sid = entry.get("id") if isinstance(entry, dict) and isinstance(entry.get("id"), str) else None
    try:
        if not isinstance(entry, dict) or set(entry) != SCENARIO_KEYS:
            raise ValueError(f"a scenario has exactly the keys {', '.join(sorted(SCENARIO_KEYS))}")
        for key in ("id", "title", "source"):
            if not isinstance(entry[key], str) or not entry[key].strip():
                raise ValueError(f"'{key}' must be text")
        expect = entry["expect"]
        if not isinstance(expect, dict) or "model" not in expect or set(expect) - EXPECT_KEYS:
            raise ValueError(f"'expect' needs 'model' and may have {', '.join(sorted(EXPECT_KEYS - {'model'}))}")
        if expect["model"] not in [m.id for m in kb.all_models]:
            raise ValueError(
                f"unknown model {shown(expect['model'])}; allowed: {', '.join(m.id for m in kb.all_models)}"
            )
        levels = [level.name for level in kb.strength] + [kb.weakest]
        if expect.get("strength", levels[0]) not in levels:
            raise ValueError(f"unknown strength {shown(expect['strength'])}; allowed: {', '.join(levels)}")
        rule_ids = {r.id for r in kb.rules}
        listed = []
        for key in ("warnings", "no_warnings", "fires", "no_fires"):
            ids = expect.get(key, [])
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise ValueError(f"'{key}' takes a list of rule ids")
            listed += ids
        unknown = [r for r in listed if r not in rule_ids]
        if unknown:
            raise ValueError(f"unknown rule id(s): {', '.join(unknown)}")
        answers = normalise(kb, entry["answers"], f"{name} {sid} answers")
    except (ValueError, InputError) as error:
        problems.append(Problem(name, line, sid, str(error)))
        return None
    return Scenario(
        id=sid,
        title=entry["title"],
        source=entry["source"],
        answers=answers,
        model=expect["model"],
        warnings=tuple(expect.get("warnings", ())),
        no_warnings=tuple(expect.get("no_warnings", ())),
        fires=tuple(expect.get("fires", ())),
        no_fires=tuple(expect.get("no_fires", ())),
        strength=expect.get("strength"),
        file=name,
        line=line or 0,
    )


@dataclass(frozen=True)
class Run:
    """One scenario run: its failures (none when it passes) and the rules that fired."""

    scenario: Scenario
    failures: tuple[str, ...]
    fired: frozenset[str]

    @property
    def passed(self):
        return not self.failures


def run(advisor, scenario):
    """Run one scenario through the experta engine and check its expectations."""
    result = advisor.consult(scenario.answers)
    fired = frozenset(f.rule for f in result.firings)
    return Run(scenario=scenario, failures=tuple(_failures(scenario, result, fired)), fired=fired)


def coverage(kb, runs):
    """(rule ids fired by at least one run, rule ids fired by none), each in knowledge-base order."""
    fired = set().union(*(r.fired for r in runs)) if runs else set()
    return [r.id for r in kb.rules if r.id in fired], [r.id for r in kb.rules if r.id not in fired]


@dataclass(frozen=True)
class ScenarioReport:
    """What ``kb test`` found: every run, the rules fired and never fired, the coverage and its minimum."""

    runs: tuple[Run, ...]
    fired: list[str]
    never_fired: list[str]
    percent: float
    min_coverage: float

    @property
    def below_minimum(self) -> bool:
        """Whether fewer rules fired than the minimum coverage asks."""
        return self.percent < self.min_coverage

    @property
    def failed(self) -> bool:
        """Whether a scenario failed or the coverage is below the minimum."""
        return self.below_minimum or any(not r.passed for r in self.runs)

    def to_dict(self) -> dict:
        """JSON form: each scenario's verdict, then the coverage."""
        return {
            "scenarios": [
                {
                    "id": r.scenario.id,
                    "file": r.scenario.file,
                    "line": r.scenario.line,
                    "passed": r.passed,
                    "failures": list(r.failures),
                }
                for r in self.runs
            ],
            "coverage": {
                "percent": round(self.percent, 1),
                "fired": self.fired,
                "never_fired": self.never_fired,
                "min_coverage": self.min_coverage,
            },
        }


def report(kb: KnowledgeBase, runs: Sequence[Run], min_coverage: float = 0) -> ScenarioReport:
    """The ScenarioReport of ``runs`` on ``kb``: coverage is the share of its rules fired by some run."""
    fired, never = coverage(kb, runs)
    percent = 100.0 * len(fired) / len(kb.rules) if kb.rules else 100.0
    return ScenarioReport(tuple(runs), fired, never, percent, min_coverage)


def _failures(scenario, result, fired):
    failures = []
    if result.recommendation != scenario.model:
        failures.append(f"model {result.recommendation}, expected {scenario.model}")
    warned = {w.rule for w in result.warnings}
    failures += [f"warning {w} did not appear" for w in scenario.warnings if w not in warned]
    failures += [f"warning {w} appeared" for w in scenario.no_warnings if w in warned]
    failures += [f"rule {r} did not fire" for r in scenario.fires if r not in fired]
    failures += [f"rule {r} fired" for r in scenario.no_fires if r in fired]
    if scenario.strength and result.strength != scenario.strength:
        failures.append(f"strength {result.strength}, expected {scenario.strength}")
    return failures
