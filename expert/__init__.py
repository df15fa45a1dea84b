"""The sourcing expert system: knowledge loading, the experta engine, explanations.

Public API: ``Advisor`` (consult), ``load`` (knowledge base), the error classes.
experta is imported only when a consultation first runs.
"""
from expert.advisor import Advisor
from expert.errors import EngineError, InputError, KnowledgeError, SourcingError
from expert.loader import load

__all__ = ["Advisor", "load", "EngineError", "InputError", "KnowledgeError", "SourcingError"]
