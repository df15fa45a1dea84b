"""The public entry point: load a knowledge base once, consult it many times."""

from collections.abc import Mapping
from itertools import combinations, islice, product
from typing import TYPE_CHECKING, Any

from sourcing.expert import answers as answers_io
from sourcing.expert.direct import DirectEvaluator
from sourcing.expert.errors import EngineError
from sourcing.expert.model import UNKNOWN
from sourcing.expert.outcome import Outcome, verdict_from
from sourcing.expert.plan import Kept
from sourcing.expert.result import OpenQuestion, Result, Unconfirmed

if TYPE_CHECKING:  # annotations only: the engine module brings experta; the foresight is imported when used
    from sourcing.expert.engine import Consultant
    from sourcing.expert.model import KnowledgeBase
    from sourcing.expert.partial import Foresight, Outlook

DECIDING_SEARCH = 2  # the most questions the search for the deciding questions of a tie combines
BLOCKER_COUNTS_KEPT = 4096  # blocker counts kept per set of blocking rules fired; more, and it starts again


class Advisor:
    """Holds a validated knowledge base and a reusable engine for it."""

    def __init__(self, kb: "KnowledgeBase | None" = None) -> None:
        if kb is None:
            from sourcing.expert.loader import load  # the loader brings YAML: only when no base is given

            kb = load()
        self.kb = kb
        self._foresight: Foresight | None = None
        self._consultant: Consultant | None = None
        self._direct: DirectEvaluator | None = None
        self._roles = {
            rule.id: (rule.requires, rule.vetoes) for rule in kb.rules if rule.requires or rule.vetoes
        }  # the rules that can block or veto a model
        self._role_rules = frozenset(self._roles)
        self._most_open = max((level.max_open_unknowns for level in kb.strength), default=0)
        self._blocker_counts = Kept(self._blocking_reasons, BLOCKER_COUNTS_KEPT)  # blocking rules fired -> count
        self._reads: dict[
            tuple[str, str], frozenset[str]
        ] = {}  # (rule id, "unmet" or "when") -> the questions behind that condition

    @property
    def foresight(self) -> "Foresight":
        """The three-valued evaluation of partial answers, built on first use (answers with nothing
        unknown never need it)."""
        if self._foresight is None:
            from sourcing.expert.partial import Foresight

            self._foresight = Foresight(self.kb)
        return self._foresight

    @property
    def consultant(self) -> "Consultant":
        """The experta engine, built on first use (importing experta is not free)."""
        if self._consultant is None:
            from sourcing.expert.engine import Consultant

            self._consultant = Consultant(self.kb)
        return self._consultant

    @property
    def direct(self) -> DirectEvaluator:
        """The direct evaluator, built on first use."""
        if self._direct is None:
            self._direct = DirectEvaluator(self.kb)
        return self._direct

    def complete(self, answers: Mapping[str, str]) -> dict[str, str]:
        """Every question of the catalogue, in order, missing ones as ``unknown``."""
        return {q.id: answers.get(q.id, UNKNOWN) for q in self.kb.questions}

    def validate(self, answers: Any, source: str = "answers") -> dict[str, str]:
        """``answers`` checked against the catalogue exactly as the CLI checks a file: InputError (naming
        ``source``, the key and the allowed values) for an unknown question or a value not allowed."""
        return answers_io.normalise(self.kb, answers, source)

    def consult(self, answers: Mapping[str, str]) -> Result:
        """Run a consultation on ``answers`` (validated first); return a Result."""
        answers = self.complete(self.validate(answers))
        facts, firings = self.consultant.run(answers)
        pairs = {(f.name, f.value) for f in facts.values() if f.kind == "finding"}
        scores = {f.name: f.value for f in facts.values() if f.kind == "score"}
        decided = verdict_from(pairs, scores)
        if UNKNOWN in answers.values():
            view = self.foresight.advice_outlook(answers)
            open_questions = self.open_questions(answers, view)
            unconfirmed = self.unconfirmed(answers, decided.model, view)
        else:  # nothing unknown: nothing open, nothing to confirm
            open_questions = unconfirmed = ()
        warnings = sum(1 for f in facts.values() if f.kind == "warning" and f.name == decided.model)
        blockers = self._blockers(firings, decided.model)
        deciding = self.deciding_questions(answers) if decided.model == self.kb.undetermined.id else ()
        return Result(
            answers=answers,
            facts=facts,
            firings=firings,
            recommendation=decided.model,
            runner_up=decided.runner_up,
            margin=decided.margin,
            scores=scores,
            strength=self.strength(
                decided.model, decided.margin, len(open_questions), len(unconfirmed), warnings, blockers
            ),
            open_questions=open_questions,
            unconfirmed=unconfirmed,
            deciding_questions=deciding,
        )

    def evaluate(self, answers: Mapping[str, str], validated: bool = False) -> Outcome:
        """The direct evaluator's Outcome for ``answers``: fast, no trace (bulk work). Pass ``validated``
        when the answers were already checked (``validate``) to skip checking them again."""
        return self.direct.run(self.complete(answers if validated else self.validate(answers)))

    def open_questions(self, answers: Mapping[str, str], view: "Outlook | None" = None) -> tuple[OpenQuestion, ...]:
        """The unknown questions whose answer, given alone, would change the recommended model.

        The foresight names the questions that could matter at all (rules still waiting on them); each
        is then tried with every value through the direct evaluator, so a question that could only
        matter together with others is not counted against the advice. ``view`` may pass the
        foresight's ``advice_outlook`` of ``answers`` when it was already computed."""
        return tuple(self._open(self.complete(answers), view))

    def _open(self, answers, view=None, model=None):
        """The OpenQuestions of complete ``answers``, one at a time (``model``: their recommended model)."""
        if UNKNOWN not in answers.values():
            return
        candidates = self.foresight.open_questions(answers, view)
        if not candidates:
            return
        model = self.direct.verdict(answers).model if model is None else model
        for q, rules in candidates:
            if self._changes_model(answers, q, model):
                yield OpenQuestion(q, rules)

    def _changes_model(self, answers, question, model):
        """Whether another answer to ``question`` alone gives complete ``answers`` another recommended model
        than ``model`` (one value tried per class of values the verdict cannot tell apart)."""
        classes = self.direct.verdict_classes[question]
        tried = {classes[answers[question]]}
        for value in self.kb.question(question).values:
            if classes[value] not in tried:
                tried.add(classes[value])
                if self._model_with(answers, question, value) != model:
                    return True
        return False

    def _model_with(self, answers, question, value):
        try:
            return self.direct.verdict({**answers, question: value}).model
        except EngineError:
            return None  # no single recommendation: the answer changes the advice

    def unconfirmed(
        self, answers: Mapping[str, str], model: str, view: "Outlook | None" = None
    ) -> tuple[Unconfirmed, ...]:
        """The vetoes and requirements of ``model`` that unknown answers leave open: to confirm. ``view``
        may pass the foresight's ``advice_outlook`` of ``answers`` when it was already computed."""
        return tuple(
            Unconfirmed(rule, questions) for rule, questions in self.foresight.unconfirmed(answers, model, view)
        )

    def deciding_questions(self, answers: Mapping[str, str]) -> tuple[str, ...]:
        """The fewest unknown questions whose answers, whatever they are, decide an undetermined result
        (searched up to DECIDING_SEARCH questions); otherwise every unknown question that could."""
        answers = self.complete(answers)
        unknown = [q for q in self.kb.questions if answers[q.id] == UNKNOWN]
        for size in range(1, DECIDING_SEARCH + 1):
            for group in combinations(unknown, size):
                if all(
                    self._decided({**answers, **dict(zip((q.id for q in group), values))})
                    for values in product(*(q.values for q in group))
                ):
                    return tuple(q.id for q in group)
        return tuple(q.question for q in self.open_questions(answers))

    def _decided(self, answers):
        """Whether complete ``answers`` give one recommendation that is not the undetermined outcome (answers
        that give no single recommendation decide nothing: an EngineError is not the consultation's)."""
        try:
            return self.direct.verdict(answers).model != self.kb.undetermined.id
        except EngineError:
            return False

    def strength_of(self, answers: Mapping[str, str], outcome: Outcome) -> str | None:
        """The strength ``consult`` gives for a direct evaluator's ``outcome`` of ``answers``.

        More open questions or unconfirmed items can only weaken a strength, so the foresight runs
        only when the strength with none of them differs from the strength with the most the unknown
        answers allow (every unknown question a deciding rule can read open, every check with an
        unknown question behind it unconfirmed), and, when there is nothing to confirm, only when one of
        those questions alone changes the model (an open question is one that does); open questions are
        counted only as far as the strength levels look."""
        model = outcome.model
        if model == self.kb.undetermined.id:
            return None
        warnings = sum(1 for c in outcome.of_kind("warning") if c.name == model)
        blockers = self._count_blockers(outcome.fired, model)
        margin = outcome.verdict.margin
        best = self.strength(model, margin, 0, 0, warnings, blockers)
        if len(answers) != len(self.kb.questions):  # validated answers with every question are complete
            answers = self.complete(answers)
        unknown = [q for q, v in answers.items() if v == UNKNOWN]
        if best == self.kb.weakest or not unknown:
            return best
        readers = [q for q in unknown if q in self.foresight.deciding_reads]  # the open questions are among them
        most_unconfirmed = self.foresight.most_unconfirmed(model, unknown)
        worst = self.strength(model, margin, len(readers), most_unconfirmed, warnings, blockers)
        if worst == best:
            return best
        changes = {}  # question -> whether another answer to it alone changes the model

        def changing(question):
            if question not in changes:
                changes[question] = self._changes_model(answers, question, model)
            return changes[question]

        if not most_unconfirmed and not any(map(changing, readers)):
            return best  # nothing to confirm, and no question that changes the model: no open question
        view = self.foresight.advice_outlook(answers)
        unconfirmed = len(self.foresight.unconfirmed(answers, model, view)) if most_unconfirmed else 0
        candidates = self.foresight.open_questions(answers, view)
        open_count = sum(1 for _ in islice((q for q, _ in candidates if changing(q)), self._most_open + 1))
        return self.strength(model, margin, open_count, unconfirmed, warnings, blockers)

    def strength(
        self,
        model: str,
        margin: float | None,
        open_count: int,
        unconfirmed: int = 0,
        warnings: int = 0,
        blockers: int = 0,
    ) -> str | None:
        """The first strength level whose thresholds ``model`` meets (None for the undetermined outcome).

        A recommended model needs the fit margin over its best rival that is not vetoed (no rival: any
        margin), few open unknowns, unconfirmed requirements and warnings. The fallback is as strong
        as the distinct reasons that block the candidates, and the unknowns that could still change it.
        """
        if model == self.kb.undetermined.id:
            return None
        fallback = model == self.kb.fallback.id
        for level in self.kb.strength:
            if open_count > level.max_open_unknowns:
                continue
            if fallback and blockers >= level.min_blockers:
                return level.name
            if (
                not fallback
                and (margin is None or margin >= level.min_margin)
                and unconfirmed <= level.max_unconfirmed
                and warnings <= level.max_warnings
            ):
                return level.name
        return self.kb.weakest

    def _blockers(self, firings, model):
        return self._count_blockers({f.rule for f in firings}, model)

    def _count_blockers(self, fired, model):
        """The reasons behind a fallback: per blocked candidate, the requirement rules that block it, or,
        when nothing was blocked (every model vetoed), per model the vetoes; the least of these counts."""
        if model != self.kb.fallback.id:
            return 0
        blocking = self._role_rules.intersection(fired)  # the count reads only these: kept per set seen
        return self._blocker_counts[blocking]

    def _blocking_reasons(self, fired):
        """``_count_blockers`` for the fallback, from the fired rules that block or veto."""
        reasons = {}
        for rule_id in sorted(fired):  # each one of self._roles (_count_blockers keeps only those)
            requires, vetoes = self._roles[rule_id]
            if requires:
                reasons.setdefault(("blocked", requires), []).append(self._behind(rule_id, "unmet"))
            for name in vetoes:
                reasons.setdefault(("vetoed", name), []).append(self._behind(rule_id, "when"))
        blocked = [reads for (kind, _), reads in reasons.items() if kind == "blocked"]
        counted = blocked or [reads for (kind, _), reads in reasons.items() if kind == "vetoed"]
        return min((self._independent(reads) for reads in counted), default=0)

    @staticmethod
    def _independent(reads):
        """How many of the conditions that read ``reads`` (the questions behind each) rest on answers of
        their own: those whose questions are not all read by another (one unwritten process that
        blocks twice is one reason, not two)."""
        return sum(
            1
            for i, r in enumerate(reads)
            if not any(r < other or (r == other and j < i) for j, other in enumerate(reads))
        )

    def _behind(self, rule_id, part):
        """The questions behind the ``part`` ("unmet" or "when") of rule ``rule_id``, kept once found."""
        key = (rule_id, part)
        if key not in self._reads:
            self._reads[key] = frozenset(self.foresight.questions_behind(getattr(self.kb.rule(rule_id), part)))
        return self._reads[key]
