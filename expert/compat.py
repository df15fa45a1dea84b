"""The one place that imports experta.

experta 1.9.4 pins ``frozendict==1.2``, whose module subclasses
``collections.Mapping``; that alias was removed in Python 3.10. We keep both
pins exactly as experta declares them (so ``pip check`` stays clean) and give
``collections`` the alias back before experta imports frozendict. The check
reads the module's own attributes, so it never trips the deprecated-alias
warning of older Pythons and stays silent under ``-W error`` on 3.10 to 3.13.

It also makes experta's RETE tokens cheaper to build (``_build_tokens_directly``).
"""

import collections
import collections.abc
import logging

if "Mapping" not in vars(collections):
    setattr(collections, "Mapping", collections.abc.Mapping)  # noqa: B010 (not an attribute mypy knows)

_root_handlers = list(logging.getLogger().handlers)

import experta  # noqa: E402  (must follow the alias above)
from experta import AS, NOT, Fact, InitialFact, KnowledgeEngine, L, Rule  # noqa: E402
from experta.abstract import Strategy  # noqa: E402
from experta.matchers import ReteMatcher  # noqa: E402
from experta.matchers.rete.token import Token as _Token  # noqa: E402

# experta calls logging.basicConfig() on import; undo that side effect so the
# host application keeps control of its own logging.
logging.getLogger().handlers[:] = _root_handlers

EXPERTA_TOKEN = {"__new__": _Token.__new__, "copy": _Token.copy}  # experta's own (tests hold ours alike)


def _token(cls, tag, data, context=None):
    """experta's ``Token.__new__`` without its argument checks: the same token of the same sets."""
    return tuple.__new__(
        cls, (tag, {data} if isinstance(data, Fact) else set(data), {} if context is None else context)
    )


def _token_copy(self):
    """experta's ``Token.copy``: the same tag, copies of the data and the context."""
    return tuple.__new__(type(self), (self.tag, self.data.copy(), self.context.copy()))


def _build_tokens_directly():
    """experta 1.9.4 checks the arguments of every token it makes (isinstance over every fact, behind
    ``assert``), and the matcher makes and copies thousands of them a consultation, each from facts and
    a mapping it built itself: a fifth of a consultation's instructions. Build them directly instead.
    Only for the experta release whose Token this was read from (setup.cfg pins it)."""
    if experta.__version__ == "1.9.4":
        _Token.__new__ = _token
        _Token.copy = _token_copy


_build_tokens_directly()

__all__ = ["experta", "AS", "NOT", "Fact", "InitialFact", "KnowledgeEngine", "L", "ReteMatcher", "Rule", "Strategy"]
