"""What a consultation concludes, independent of the engine that computed it."""
from dataclasses import dataclass
from typing import Dict, FrozenSet, Optional, Tuple

from expert.errors import EngineError


@dataclass(frozen=True)
class Verdict:
    """The recommended model, the runner-up and the score margin between them."""

    model: str
    runner_up: str
    margin: Optional[float]


def verdict(recommended, leading, second, scores):
    """Check that exactly one model was recommended; name the runner-up and the margin.

    The fallback has no score: its runner-up is the leading scored model, and it has no margin.
    """
    if len(recommended) != 1:
        raise EngineError(f"the knowledge base concluded {len(recommended)} recommended models "
                          f"({', '.join(recommended) or 'none'}); exactly one is required")
    model = recommended[0]
    if leading is None:
        raise EngineError("no scoring rule fired, so nothing ranked the models (see 'sourcing kb lint')")
    runner_up = second if model in scores else leading
    if runner_up not in scores:
        raise EngineError(f"the ranking names no scored runner-up ({runner_up})")
    margin = scores[model] - scores[runner_up] if model in scores else None
    return Verdict(model, runner_up, margin)


@dataclass(frozen=True)
class Outcome:
    """The result of the direct evaluator: no trace, just what fired and what follows."""

    verdict: Verdict
    fired: FrozenSet[str]
    findings: FrozenSet[Tuple[str, str]]
    scores: Dict[str, float]
    conclusions: Tuple[Tuple[str, str, Optional[str], Optional[str], str], ...]  # kind, name, value, text, rule

    @property
    def model(self):
        return self.verdict.model

    def of_kind(self, kind):
        """The conclusions of one kind (warning, gap, pricing, responsibility, note)."""
        return [c for c in self.conclusions if c[0] == kind]
