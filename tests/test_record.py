"""Record: the plain-data base class behaves as a frozen dataclass does, without compiling at import."""

import pickle
from functools import cached_property

import pytest

from sourcing.expert.model import Atom, KnowledgeBase, Question
from sourcing.expert.record import FrozenError, Record, replace, uncompared


class Point(Record):
    x: int
    y: int = 0
    where: str = uncompared("here")


class Labelled(Point):
    label: str = ""

    @cached_property
    def text(self):
        return f"{self.label}({self.x}, {self.y})"


def test_fields_in_order_with_defaults_and_keywords():
    point = Labelled(1, label="a")
    assert (point.x, point.y, point.where, point.label) == (1, 0, "here", "a")
    assert Labelled._fields == ("x", "y", "where", "label")
    assert repr(point) == "Labelled(x=1, y=0, where='here', label='a')"
    assert Point.y == 0 and Point.where == "here"  # class attributes hold the defaults, as in a dataclass


def test_equality_and_hash_ignore_uncompared_fields_and_other_classes():
    assert Point(1, 2, "a.yaml") == Point(1, 2, "b.yaml")
    assert hash(Point(1, 2, "a.yaml")) == hash(Point(1, 2, "b.yaml"))
    assert Point(1, 2) != Point(1, 3)
    assert Point(1, 0) != Labelled(1, 0)  # another class is never equal
    assert Point(1, 2) != (1, 2)
    assert len({Point(1), Point(1, where="x"), Point(2)}) == 2


def test_a_record_cannot_change():
    point = Point(1)
    with pytest.raises(FrozenError):
        point.x = 2
    with pytest.raises(FrozenError):
        del point.x
    assert isinstance(FrozenError("x"), AttributeError)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Point(), "missing argument 'x'"),
        (lambda: Point(1, 2, "w", 4), "takes 3 arguments, 4 given"),
        (lambda: Point(1, z=2), "has no field 'z'"),
        (lambda: Point(1, x=2), "got two values for 'x'"),
        (lambda: replace(Point(1), z=2), "has no field 'z'"),
    ],
)
def test_wrong_arguments_are_refused(make, message):
    with pytest.raises(TypeError, match=message):
        make()


def test_a_field_without_default_after_one_with_is_refused():
    with pytest.raises(TypeError, match="'b' without a default follows 'a'"):

        class Broken(Record):
            a: int = 1
            b: int


def test_replace_copies_and_changes():
    point = Labelled(1, 2, "f", "l")
    moved = replace(point, y=5)
    assert (moved.x, moved.y, moved.where, moved.label) == (1, 5, "f", "l")
    assert point.y == 2


def test_cached_properties_and_pickling():
    point = Labelled(1, 2, label="p")
    assert point.text == "p(1, 2)"
    again = pickle.loads(pickle.dumps(point))
    assert again == point and again.text == "p(1, 2)" and again.where == "here"


def test_the_knowledge_types_keep_their_semantics():
    atom = Atom("answer", "need", ("process",), line=3)
    assert atom == Atom("answer", "need", ("process",), line=9)  # where it was written does not count
    assert replace(atom, name="other").name == "other"
    question = Question("q", "Q?", ("a", "b"), ())
    assert question.choices == ("a", "b", "unknown")
    assert "questions" in KnowledgeBase._fields and KnowledgeBase._fields[0] == "models"


def test_a_redeclared_field_keeps_its_place_and_an_inherited_default_as_in_a_dataclass():
    class Moved(Point):
        x: int = 5
        extra: int = 3

    class Again(Moved):
        x: int  # no default of its own: Moved's applies

    assert Moved._fields == ("x", "y", "where", "extra")
    assert repr(Moved(7)) == "Moved(x=7, y=0, where='here', extra=3)"
    assert Again().x == 5 and Again._fields == Moved._fields
