"""The interview policy: which question to ask next, answering, going back, and why a question matters now.

A question is asked only while its answer can still change the recommended
model (``Foresight.deciding_rules``). Answers of ``unknown`` count as open, as
they do for the result's *could not determine* list: a question the interview
passes over is, by the same computation, never one that could change the advice.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sourcing.expert.conditions import atoms, values_read
from sourcing.expert.model import UNKNOWN, Assertion, Question, RuleSpec
from sourcing.expert.names import unique_prefix


@dataclass(frozen=True)
class Reason:
    """A rule that makes a question matter now: when it applies, and what it would conclude, in words."""

    rule: RuleSpec
    values: tuple[str, ...]  # the answers of the question under which the rule can apply
    conclusions: tuple[str, ...]
    leads_to: tuple[RuleSpec, ...] = ()  # the deciding rules that test what it concludes


class Interview:
    """The answers of one interview and the questions still worth asking.

    ``answers`` were given beforehand (a file, --set); ``asked`` names those of
    them that ``back`` may change, oldest first (e.g. the answers of a resumed interview).
    """

    def __init__(self, advisor, answers: Mapping[str, str] | None = None, asked: Sequence[str] = ()):
        self.kb = advisor.kb
        self.foresight = advisor.foresight
        self.answers: dict[str, str] = dict(answers or {})
        self.kept = len(self.answers)
        self.history: list[str] = [q for q in asked if q in self.answers]

    def _scan(self) -> tuple[Question | None, list[str]]:
        """The next question to ask (None when done) and the unanswered ones passed over before it."""
        known = {q: v for q, v in self.answers.items() if v != UNKNOWN}
        view = self.foresight.outlook(known)
        relevant = self.foresight.deciding(view)
        passed: list[str] = []
        for question in self.kb.questions:
            if question.id in self.answers:
                continue
            if self.foresight.deciding_rules(known, question.id, view, relevant):
                return question, passed
            passed.append(question.id)
        return None, passed

    def next_question(self) -> Question | None:
        """The first unanswered question of the catalogue that could still change the advice; None when done."""
        return self._scan()[0]

    def skipped(self) -> list[str]:
        """The unanswered questions passed over because they could no longer change the advice."""
        return self._scan()[1]

    def number(self, question: Question) -> int:
        """The question's position in the catalogue, from 1."""
        return self.kb.questions.index(question) + 1

    def value(self, question: Question, text: str) -> str:
        """The value ``text`` names: a value, a unique prefix of one, its number, or 0 for unknown.

        InputError when it names none (or several) of them.
        """
        text = text.strip()
        if text.isascii() and text.isdecimal() and int(text) <= len(question.values):
            return question.choices[int(text) - 1] if int(text) else UNKNOWN
        return unique_prefix(text, question.choices, "answer", "allowed")

    def answer(self, question_id: str, value: str) -> None:
        """Record an answer (a value of the question, or ``unknown``)."""
        if value not in self.kb.question(question_id).choices:
            raise ValueError(f"{value!r} is not a value of {question_id}")
        self.answers.pop(question_id, None)
        self.answers[question_id] = value
        if question_id in self.history:
            self.history.remove(question_id)
        self.history.append(question_id)

    def back(self) -> Question | None:
        """Withdraw the latest answer that may be changed and return its question (None when there is none).

        The interview is then where it stood before that answer, so that question comes next.
        """
        if not self.history:
            return None
        question_id = self.history.pop()
        del self.answers[question_id]
        return self.kb.question(question_id)

    def why(self, question: Question) -> tuple[Reason, ...]:
        """The rules through which the answer to ``question`` could change the advice now."""
        known = {q: v for q, v in self.answers.items() if v != UNKNOWN and q != question.id}
        view = self.foresight.outlook(known)
        relevant = self.foresight.deciding(view)
        deciding = [r for r in self.kb.rules if r.id in relevant]
        labels = {m.id: m.label for m in self.kb.all_models}
        return tuple(
            Reason(
                rule,
                tuple(v for v in question.values if v in values_read(rule.when, question)),
                tuple(in_words(a, labels) for a in dict.fromkeys(rule.then)),
                tuple(r for r in deciding if r != rule and _tests_a_finding_of(r, rule)),
            )
            for rule in self.foresight.deciding_rules(known, question.id, view, relevant)
        )


def _tests_a_finding_of(rule: RuleSpec, source: RuleSpec) -> bool:
    """True when ``rule`` tests a finding that ``source`` asserts."""
    findings = {(a.name, a.value) for a in source.then if a.kind == "finding"}
    return any(
        atom.kind == "finding" and (atom.name, value) in findings
        for atom in atoms(rule.when)
        for value in (atom.values or {v for n, v in findings if n == atom.name})
    )


def in_words(assertion: Assertion, labels: Mapping[str, str]) -> str:
    """What an assertion concludes, as a buyer would read it; ``labels`` maps model ids to labels."""
    kind, name = assertion.kind, assertion.name
    if kind == "finding":
        return f"concludes that {name.replace('_', ' ')} is {str(assertion.value).replace('_', ' ')}"
    if kind == "evidence":
        weight = assertion.weight or 0
        amount = f"{abs(weight):g} point{'s' if abs(weight) != 1 else ''}"
        return f"counts {amount} {'for' if weight >= 0 else 'against'} {labels.get(name, name)}"
    if kind == "recommend":
        return f"recommends {labels.get(name, name)}"
    if kind == "score":
        return "weighs the evidence for each model"
    if kind == "responsibility":
        return f"puts {name.replace('_', ' ')} with the {assertion.value}"
    if assertion.text:
        return f"{kind}: {assertion.text}"
    return f"{kind} {name.replace('_', ' ')}"
