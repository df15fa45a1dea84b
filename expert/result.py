"""The result of a consultation as plain data (no experta types)."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from sourcing.expert.kinds import BY_NAME


def number(value):
    """Integral floats print as ints so the JSON reads 3, not 3.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(frozen=True)
class FactRecord:
    id: int
    kind: str
    name: str
    value: Optional[object] = None
    weight: Optional[float] = None
    text: Optional[str] = None
    rule: Optional[str] = None

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

    def to_dict(self):
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


@dataclass(frozen=True)
class Absence:
    """Something a NOT condition relied on: a finding (or evidence) that was not established."""

    kind: str
    name: str
    values: Optional[Tuple[str, ...]]

    def label(self):
        """E.g. 'not established: finding readiness_blocker'."""
        what = f"{self.kind} {self.name}"
        if self.values:
            what += " = " + " or ".join(self.values)
        return "not established: " + what

    def to_dict(self):
        data = {"kind": self.kind, "name": self.name, "label": self.label()}
        if self.values:
            data["values"] = list(self.values)
        return data


@dataclass(frozen=True)
class Firing:
    """One rule firing: what it matched, which absences it relied on, what it asserted."""

    step: int
    rule: str
    matched: Tuple[int, ...]
    absent: Tuple[Absence, ...]
    asserted: Tuple[int, ...]
    new: Tuple[int, ...]


@dataclass(frozen=True)
class OpenQuestion:
    """An unanswered question whose answer could still change the recommended model."""

    question: str
    read_by: Tuple[str, ...]


@dataclass(frozen=True)
class Unconfirmed:
    """A veto or requirement of the recommended model that unknown answers leave open: to confirm."""

    rule: str
    questions: Tuple[str, ...]


@dataclass
class Result:
    answers: Dict[str, str]
    facts: Dict[int, FactRecord]
    firings: List[Firing]
    recommendation: str
    runner_up: Optional[str]
    margin: Optional[float]
    scores: Dict[str, float]
    strength: Optional[str]
    open_questions: Tuple[OpenQuestion, ...] = field(default=())
    unconfirmed: Tuple[Unconfirmed, ...] = field(default=())
    deciding_questions: Tuple[str, ...] = field(default=())

    def of_kind(self, kind: str) -> List[FactRecord]:
        """The facts of one kind, in the order they were asserted."""
        return [f for f in self.facts.values() if f.kind == kind]

    @property
    def warnings(self):
        return self.of_kind("warning")

    @property
    def gaps(self):
        return self.of_kind("gap")

    @property
    def responsibility(self):
        """{area: owner} for the recommended model."""
        return {f.name: f.value for f in self.of_kind("responsibility")}

    @property
    def findings(self):
        return self.of_kind("finding")

    def finding_values(self, name):
        """The values of finding ``name`` established, in the order they were asserted."""
        return [f.value for f in self.findings if f.name == name]

    @property
    def undetermined(self):
        """Findings the rules marked as undetermined for lack of answers."""
        return [f.name for f in self.findings if f.value == "undetermined"]

    def recommendation_fact(self):
        """The fact that holds the recommended model."""
        return next(f for f in self.findings if f.name == "recommended_model")

    def justifications(self, fact_id):
        """The firings that asserted ``fact_id`` (first the one that created it)."""
        return [f for f in self.firings if fact_id in f.asserted]
