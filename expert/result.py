"""The result of a consultation as plain data (no experta types)."""

from typing import Any

from sourcing.expert.kinds import BY_NAME
from sourcing.expert.record import Record


def number(value: Any) -> Any:
    """Integral floats print as ints so the JSON reads 3, not 3.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class FactRecord(Record):
    id: int
    kind: str
    name: str
    value: object | None = None
    weight: float | None = None
    text: str | None = None
    rule: str | None = None

    def label(self) -> str:
        """A short human reading of the fact."""
        if self.kind == "answer":
            return f"answer {self.name} = {self.value}"
        if self.kind == "finding":
            return f"finding {self.name} = {self.value}"
        if self.kind == "evidence":
            return f"evidence {number(self.weight):+} for {self.name}"
        if self.kind == "score":
            return f"score {self.name} = {number(self.value)}"
        if self.kind in BY_NAME and self.value is not None:  # a responsibility: its area and owner
            return f"{self.kind} {self.name}: {self.value}"
        return f"{self.kind} {self.name}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form: id, kind, name and whichever of value/weight/text/rule apply."""
        data = {"id": self.id, "kind": self.kind, "name": self.name}
        if self.value is not None:
            data["value"] = number(self.value)
        if self.weight is not None:
            data["weight"] = number(self.weight)
        if self.text is not None:
            data["text"] = self.text
        if self.rule is not None:
            data["rule"] = self.rule
        return data


class Absence(Record):
    """Something a NOT condition relied on: a finding (or evidence) that was not established."""

    kind: str
    name: str
    values: tuple[str, ...] | None

    def label(self) -> str:
        """E.g. 'not established: finding readiness_blocker'."""
        what = f"{self.kind} {self.name}"
        if self.values:
            what += " = " + " or ".join(self.values)
        return "not established: " + what

    def to_dict(self) -> dict[str, Any]:
        """JSON form: kind, name, label and the values relied on."""
        data: dict[str, Any] = {"kind": self.kind, "name": self.name, "label": self.label()}
        if self.values:
            data["values"] = list(self.values)
        return data


class Firing(Record):
    """One rule firing: what it matched, which absences it relied on, what it asserted."""

    step: int
    rule: str
    matched: tuple[int, ...]
    absent: tuple[Absence, ...]
    asserted: tuple[int, ...]
    new: tuple[int, ...]


class OpenQuestion(Record):
    """An unanswered question whose answer could still change the recommended model."""

    question: str
    read_by: tuple[str, ...]


class Unconfirmed(Record):
    """A veto or requirement of the recommended model that unknown answers leave open: to confirm."""

    rule: str
    questions: tuple[str, ...]


class Result(Record):
    """A consultation: the answers, every fact with the firing that asserted it, the recommendation
    (the model, runner-up, margin and strength) and what is still open."""

    answers: dict[str, str]
    facts: dict[int, FactRecord]
    firings: list[Firing]
    recommendation: str
    runner_up: str | None
    margin: float | None
    scores: dict[str, float]
    strength: str | None
    open_questions: tuple[OpenQuestion, ...] = ()
    unconfirmed: tuple[Unconfirmed, ...] = ()
    deciding_questions: tuple[str, ...] = ()

    def of_kind(self, kind: str) -> list[FactRecord]:
        """The facts of one kind, in the order they were asserted."""
        return [f for f in self.facts.values() if f.kind == kind]

    @property
    def warnings(self) -> list[FactRecord]:
        return self.of_kind("warning")

    @property
    def gaps(self) -> list[FactRecord]:
        return self.of_kind("gap")

    @property
    def responsibility(self) -> dict[str, Any]:
        """{area: owner} for the recommended model."""
        return {f.name: f.value for f in self.of_kind("responsibility")}

    @property
    def findings(self) -> list[FactRecord]:
        return self.of_kind("finding")

    def finding_values(self, name: str) -> list[Any]:
        """The values of finding ``name`` established, in the order they were asserted."""
        return [f.value for f in self.findings if f.name == name]

    @property
    def undetermined(self) -> list[str]:
        """Findings the rules marked as undetermined for lack of answers."""
        return [f.name for f in self.findings if f.value == "undetermined"]

    def recommendation_fact(self) -> FactRecord:
        """The fact that holds the recommended model."""
        return next(f for f in self.findings if f.name == "recommended_model")

    def justifications(self, fact_id: int) -> list[Firing]:
        """The firings that asserted ``fact_id`` (first the one that created it)."""
        return [f for f in self.firings if fact_id in f.asserted]
