"""Immutable plain-data classes that cost almost nothing to define.

``@dataclass(frozen=True)`` compiles six methods for each class while its module
is imported: about 1.4 ms a class on the development machine, and a consultation
loaded some forty classes, half of what ``import click`` costs. A ``Record``
subclass declares its fields the same way (annotations in order, defaults,
``uncompared(default)`` for ``field(default=..., compare=False)``) and shares one
generic ``__init__``, ``__eq__``, ``__hash__`` and ``__repr__``; assigning or
deleting a field raises ``FrozenError``; ``replace`` does what ``dataclasses.replace``
does. Class attributes hold the defaults, as with a dataclass; ``functools.cached_property``
works (it writes the instance dictionary directly). Names that start with ``_`` are not
fields. ``dataclasses.fields`` and ``dataclasses.replace`` do not apply to a Record.
"""

from typing import Any, TypeVar

R = TypeVar("R", bound="Record")


class FrozenError(AttributeError):
    """A field of a record was assigned or deleted."""


class _Uncompared:
    __slots__ = ("default",)

    def __init__(self, default: Any) -> None:
        self.default = default


def uncompared(default: Any) -> Any:
    """A field's default, for a field that equality and hashing ignore (where a thing was written)."""
    return _Uncompared(default)


class Record:
    """Base of the plain-data classes (see the module docstring)."""

    _fields: tuple[str, ...] = ()  # every field, in order: the base class's first
    _compared: tuple[str, ...] = ()  # the fields equality and hashing read
    _defaults: dict[str, Any] = {}
    _names: frozenset[str] = frozenset()  # the fields, to look one up

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = [name for name in _own_annotations(cls) if not name.startswith("_")]
        fields = list(cls._fields) + [name for name in own if name not in cls._fields]  # a base's keep their place
        defaults = dict(cls._defaults)  # a redeclared field keeps an inherited default, as in a dataclass
        ignored = {name for name in cls._fields if name not in cls._compared and name not in own}
        for name in own:
            if name in cls.__dict__:
                default = cls.__dict__[name]
                if isinstance(default, _Uncompared):
                    ignored.add(name)
                    default = default.default
                    setattr(cls, name, default)
                defaults[name] = default
        for before, after in zip(fields, fields[1:]):
            if before in defaults and after not in defaults:
                raise TypeError(f"{cls.__name__}: field {after!r} without a default follows {before!r} with one")
        cls._fields, cls._defaults, cls._names = tuple(fields), defaults, frozenset(fields)
        cls._compared = tuple(name for name in fields if name not in ignored)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields, state = self._fields, self.__dict__
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__}() takes {len(fields)} arguments, {len(args)} given")
        state.update(zip(fields, args))
        for name, value in kwargs.items():
            if name in state or name not in self._names:
                problem = "got two values for" if name in state else "has no field"
                raise TypeError(f"{type(self).__name__}() {problem} {name!r}")
            state[name] = value
        if len(state) < len(fields):
            for name in fields:
                if name not in state:
                    if name not in self._defaults:
                        raise TypeError(f"{type(self).__name__}() missing argument {name!r}")
                    state[name] = self._defaults[name]

    def _key(self) -> tuple:
        state = self.__dict__
        return tuple(state[name] for name in self._compared)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        state = self.__dict__
        return f"{type(self).__name__}({', '.join(f'{name}={state[name]!r}' for name in self._fields)})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenError(f"cannot delete field {name!r}")


def _own_annotations(cls: type) -> dict[str, Any]:
    """The annotations ``cls`` itself declares, in order (Python 3.14 evaluates them lazily: names only)."""
    if "__annotations__" in cls.__dict__:
        return cls.__dict__["__annotations__"]
    try:
        import annotationlib  # Python 3.14+
    except ImportError:
        return {}
    return annotationlib.get_annotations(cls, format=annotationlib.Format.FORWARDREF)


def replace(record: R, **changes: Any) -> R:
    """A copy of ``record`` with ``changes`` made (TypeError for a name that is not a field)."""
    state = record.__dict__
    return type(record)(**{**{name: state[name] for name in record._fields}, **changes})
