"""The sourcing expert system: knowledge loading, the experta engine, explanations.

Public API: ``Advisor`` (consult), ``load`` (knowledge base), the error classes.
Submodules load on first use, so that importing one (``sourcing.expert.errors``) stays
cheap; experta itself is imported only when a consultation first runs.
"""

from sourcing.expert.errors import EngineError, InputError, KnowledgeError, SourcingError

__all__ = ["Advisor", "load", "validate_answers", "EngineError", "InputError", "KnowledgeError", "SourcingError"]


def __getattr__(name):
    if name == "Advisor":
        from sourcing.expert.advisor import Advisor

        return Advisor
    if name == "load":
        from sourcing.expert.loader import load

        return load
    if name == "validate_answers":
        from sourcing.expert.answers import normalise

        return normalise
    raise AttributeError(f"module 'sourcing.expert' has no attribute {name!r}")
