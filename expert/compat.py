"""The one place that imports experta.

experta 1.9.4 pins ``frozendict==1.2``, whose module subclasses
``collections.Mapping``; that alias was removed in Python 3.10. We keep both
pins exactly as experta declares them (so ``pip check`` stays clean) and give
``collections`` the alias back before experta imports frozendict. The check
reads the module's own attributes, so it never trips the deprecated-alias
warning of older Pythons and stays silent under ``-W error`` on 3.10 to 3.13.
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

# experta calls logging.basicConfig() on import; undo that side effect so the
# host application keeps control of its own logging.
logging.getLogger().handlers[:] = _root_handlers

__all__ = ["experta", "AS", "NOT", "Fact", "InitialFact", "KnowledgeEngine", "L", "ReteMatcher", "Rule", "Strategy"]
