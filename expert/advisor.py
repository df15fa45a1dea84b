"""The public entry point: load a knowledge base once, consult it many times."""
from expert.direct import DirectEvaluator
from expert.loader import load
from expert.model import LEADING, RECOMMENDED, SECOND, UNKNOWN
from expert.outcome import verdict
from expert.partial import Foresight
from expert.result import OpenQuestion, Result


class Advisor:
    """Holds a validated knowledge base and a reusable engine for it."""

    def __init__(self, kb=None):
        self.kb = kb if kb is not None else load()
        self.foresight = Foresight(self.kb)
        self._consultant = None
        self._direct = None

    @property
    def consultant(self):
        """The experta engine, built on first use (importing experta is not free)."""
        if self._consultant is None:
            from expert.engine import Consultant
            self._consultant = Consultant(self.kb)
        return self._consultant

    def complete(self, answers):
        """Every question of the catalogue, in order, missing ones as ``unknown``."""
        return {q.id: answers.get(q.id, UNKNOWN) for q in self.kb.questions}

    def consult(self, answers):
        """Run a consultation on validated ``answers``; return a Result."""
        answers = self.complete(answers)
        facts, firings = self.consultant.run(answers)
        findings = {}
        for fact in facts.values():
            if fact.kind == "finding":
                findings.setdefault(fact.name, []).append(fact.value)
        scores = {f.name: f.value for f in facts.values() if f.kind == "score"}
        leading, second = (findings.get(name, [None])[0] for name in (LEADING, SECOND))
        decided = verdict(findings.get(RECOMMENDED, []), leading, second, scores)
        open_questions = self.open_questions(answers)
        return Result(
            answers=answers, facts=facts, firings=firings, recommendation=decided.model,
            runner_up=decided.runner_up, margin=decided.margin, scores=scores,
            strength=self.strength(decided.margin, len(open_questions)), open_questions=open_questions,
        )

    def evaluate(self, answers):
        """The direct evaluator's Outcome for validated ``answers``: fast, no trace (bulk work)."""
        if self._direct is None:
            self._direct = DirectEvaluator(self.kb)
        return self._direct.run(self.complete(answers))

    def open_questions(self, answers):
        """The unknown questions whose answer could still change the recommended model."""
        return tuple(OpenQuestion(q, rules) for q, rules in self.foresight.open_questions(answers))

    def strength_of(self, answers, margin):
        """The strength ``consult`` gives, asking the foresight only when margin and unknowns leave it open."""
        if not any(margin is None or margin >= level.min_margin for level in self.kb.strength):
            return self.kb.weakest
        if UNKNOWN not in answers.values():
            return self.strength(margin, 0)
        return self.strength(margin, len(self.open_questions(answers)))

    def strength(self, margin, open_count):
        """The first strength level whose margin and open-unknown thresholds are met."""
        for level in self.kb.strength:
            if (margin is None or margin >= level.min_margin) and open_count <= level.max_open_unknowns:
                return level.name
        return self.kb.weakest
