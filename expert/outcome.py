"""What a consultation concludes, independent of the engine that computed it."""

from typing import NamedTuple

from sourcing.expert.errors import EngineError
from sourcing.expert.model import CANDIDATE, RECOMMENDED, VETOED
from sourcing.expert.record import Record


class Verdict(NamedTuple):
    """The recommended model (or the fallback, or the undetermined outcome), the runner-up and the
    fit margin between the model and its best rival that is not vetoed (None: no such rival).
    Immutable; a named tuple because bulk runs make one per answer set (five times cheaper to build
    than a frozen dataclass)."""

    model: str
    runner_up: str | None
    margin: float | None


def verdict(recommended, scores, vetoed, candidates):
    """Check that exactly one outcome was recommended; name the runner-up and the margin.

    ``scores`` are the fit totals in catalogue order, ``vetoed`` and ``candidates`` the models the
    vetoes excluded and the scoring ranked best. A recommended model's runner-up is its best rival
    (not vetoed first, then by fit); the fallback's is the candidate it replaces (on a tie or when
    every model was vetoed, the best fit); after a tie there is none.
    """
    if len(recommended) != 1:
        raise EngineError(
            f"the knowledge base concluded {len(recommended)} recommended models "
            f"({', '.join(recommended) or 'none'}); exactly one is required"
        )
    model = recommended[0]
    if not scores:
        raise EngineError("no scoring rule fired, so nothing ranked the models (see 'sourcing kb lint')")
    if model not in scores:
        if len(candidates) > 1:
            return Verdict(model, None, None)
        best = _best([m for m in scores if m in candidates], scores)
        return Verdict(model, _best(scores, scores) if best is None else best, None)
    rivals = [m for m in scores if m != model]
    rival = _best([m for m in rivals if m not in vetoed], scores)  # the best rival not vetoed
    if rival is None:
        return Verdict(model, _best(rivals, scores), None)
    return Verdict(model, rival, scores[model] - scores[rival])


def _best(models, scores):
    """The model of ``models`` with the highest score, the first of them on a tie (None: no model)."""
    best = None
    for m in models:
        if best is None or scores[m] > scores[best]:
            best = m
    return best


def verdict_from(findings, scores):
    """The Verdict of a run from the (finding, value) pairs it established and its fit ``scores``."""
    recommended, vetoed, candidates = [], set(), set()
    for name, value in findings:  # one pass: a bulk run calls this for every answer set
        if name == RECOMMENDED:
            recommended.append(value)
        elif name == VETOED:
            vetoed.add(value)
        elif name == CANDIDATE:
            candidates.add(value)
    recommended.sort()
    return verdict(recommended, scores, vetoed, candidates)


class Conclusion(Record):
    """One conclusion a rule asserted: its kind (expert/kinds.py), name (the model, area, structure or
    topic), value (a responsibility's owner), text, and the rule."""

    kind: str
    name: str
    value: str | None
    text: str | None
    rule: str


class Outcome(NamedTuple):
    """The result of the direct evaluator: no trace, just what fired and what follows. Immutable; a
    named tuple, like Verdict, because bulk runs make one per answer set."""

    verdict: Verdict
    fired: frozenset[str]
    findings: frozenset[tuple[str, str]]
    scores: dict[str, float]
    conclusions: tuple[Conclusion, ...]  # in the order of their rules

    @property
    def model(self) -> str:
        """The recommended model (or the fallback, or the undetermined outcome)."""
        return self.verdict.model

    def of_kind(self, kind: str) -> list[Conclusion]:
        """The conclusions of one kind (see expert/kinds.py)."""
        return [c for c in self.conclusions if c.kind == kind]
