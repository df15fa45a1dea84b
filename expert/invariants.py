"""The invariants of sound advice, checked one answer set at a time (``kb lint`` and the tests).

Each check runs the direct evaluator (proven to agree with experta) and, where
the invariant compares answers, one changed copy of the answer set:

- KB401 no recommended model is vetoed for the known answers;
- KB402 every stabilise-first result names at least one concrete gap;
- KB403 the pricing preference never changes the recommended model;
- KB404 monotone: a better readiness answer (the question's ``order``) never
  takes the recommendation away from a model whose requirements read it, nor
  turns it into stabilise first; moving a fit question along its ``order``
  never makes the model it ``favours`` the recommendation;
- KB405 ``unknown`` never scores better than the worst known value, for any model.

A violation blames the rule that concluded the wrong result, so ``kb lint``
reports it at that rule's FILE:LINE with the answer set as a counter-example.
"""

from dataclasses import dataclass

from sourcing.expert.direct import DirectEvaluator
from sourcing.expert.errors import EngineError
from sourcing.expert.model import UNKNOWN, VETOED, KnowledgeBase
from sourcing.expert.partial import Foresight

CODES = {
    "KB401": "a vetoed model is recommended",
    "KB402": "stabilise first names no gap",
    "KB403": "the pricing preference changes the recommended model",
    "KB404": "a better answer makes the advice worse",
    "KB405": "an unknown answer scores better than a known one",
}


@dataclass(frozen=True)
class Violation:
    """One broken invariant: its code, the rule to blame (or None), what happened, and the answers."""

    code: str
    rule: str | None
    message: str
    answers: dict[str, str]


class Invariants:
    """The invariant checks for one knowledge base."""

    def __init__(self, kb: KnowledgeBase, evaluator: DirectEvaluator | None = None):
        self.kb = kb
        self.direct = evaluator or DirectEvaluator(kb)
        self.fallback = kb.fallback.id
        foresight = Foresight(kb)
        self.concerns = {
            q.id: {r.requires for r in kb.rules if r.requires and q.id in foresight.questions_behind(r.unmet)}
            for q in kb.questions
        }
        self.ordered = [q for q in kb.questions if q.order]
        self.pricing = [q for q in kb.questions if q.kind == "pricing"]

    def check(self, answers: dict[str, str], rng) -> list[Violation]:
        """Every violation found on complete ``answers``; ``rng`` picks the changed copies to compare.

        Answers that do not give exactly one recommendation are checked for vetoed recommendations
        only (``kb lint``'s completeness check reports the rest).
        """
        state = self.direct.fire(answers)
        found = self._wrong_fit(answers, state)
        if len(self.direct.recommended(state)) != 1:
            return found
        outcome = self.direct.run(answers)
        found += self._gapless(answers, outcome)
        found += self._pricing(answers, outcome, rng) + self._monotone(answers, outcome, rng)
        return found + self._unknown(answers, outcome, rng)

    def _run(self, answers):
        """The Outcome of ``answers``, or None when they do not give exactly one recommendation."""
        try:
            return self.direct.run(answers)
        except EngineError:
            return None

    def blame(self, run, model=None):
        """The rule that recommended ``model`` (default: the model of the Outcome ``run``)."""
        model = model or run.model
        return next(
            (
                rule
                for rule in sorted(run.fired, key=lambda r: self.kb.rule(r).position)
                if any(a.kind == "recommend" and a.name == model for a in self.kb.rule(rule).then)
            ),
            None,
        )

    def _wrong_fit(self, answers, state):
        found = []
        for model in self.direct.recommended(state):
            if (VETOED, model) in state.findings:
                vetoes = sorted(r for r in state.fired if model in self.kb.rule(r).vetoes)
                found.append(
                    Violation(
                        "KB401",
                        self.blame(state, model),
                        f"recommends {model}, which {', '.join(vetoes)} vetoed",
                        answers,
                    )
                )
        return found

    def _gapless(self, answers, outcome):
        if outcome.model != self.fallback or outcome.of_kind("gap"):
            return []
        return [Violation("KB402", self.blame(outcome), f"recommends {self.fallback} without naming a gap", answers)]

    def _pricing(self, answers, outcome, rng):
        found = []
        for question in self.pricing:
            other = rng.choice([v for v in question.choices if v != answers[question.id]])
            changed = self._run({**answers, question.id: other})
            if changed is not None and changed.model != outcome.model:
                found.append(
                    Violation(
                        "KB403",
                        self.blame(changed),
                        f"{question.id} = {other} instead of "
                        f"{answers[question.id]} changes {outcome.model} to {changed.model}",
                        answers,
                    )
                )
        return found

    def _monotone(self, answers, outcome, rng):
        if not self.ordered:
            return []
        question = rng.choice(self.ordered)
        value = answers[question.id]
        if value == UNKNOWN or value == question.order[0]:
            return []
        better = question.order[question.order.index(value) - 1]
        changed = self._run({**answers, question.id: better})
        if changed is None:
            return []
        worse, worse_answers = None, None
        if question.kind == "readiness":
            if outcome.model in self.concerns[question.id] and changed.model != outcome.model:
                worse = f"takes {outcome.model} away (now {changed.model})"
            elif outcome.model != self.fallback and changed.model == self.fallback:
                worse = f"turns {outcome.model} into {self.fallback}"
        elif question.favours and outcome.model == question.favours and changed.model != question.favours:
            worse, worse_answers = f"{value} instead of {better} makes it {question.favours}", answers
        if worse is None:
            return []
        if worse_answers is None:
            return [
                Violation(
                    "KB404",
                    self.blame(changed),
                    f"the better {question.id} = {better} instead of {value} {worse}",
                    answers,
                )
            ]
        return [Violation("KB404", self.blame(outcome), f"{question.id}: {worse}", worse_answers)]

    def _unknown(self, answers, outcome, rng):
        question = rng.choice(self.kb.questions)
        runs = {
            v: (outcome if v == answers[question.id] else self._run({**answers, question.id: v}))
            for v in question.choices
        }
        if None in runs.values():
            return []
        unknown = runs[UNKNOWN]
        found = []
        for model, score in unknown.scores.items():
            worst = min(runs[v].scores[model] for v in question.values)
            if score > worst:
                value = min(question.values, key=lambda v: runs[v].scores[model])
                extra = sorted(unknown.fired - runs[value].fired, key=lambda r: self.kb.rule(r).position)
                found.append(
                    Violation(
                        "KB405",
                        extra[0] if extra else None,
                        f"{question.id} = unknown gives {model} {score}, more than "
                        f"{question.id} = {value} ({runs[value].scores[model]})",
                        {**answers, question.id: UNKNOWN},
                    )
                )
        return found
