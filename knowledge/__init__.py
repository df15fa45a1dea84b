"""The sourcing knowledge base: questions, models, rules and scenarios as YAML data."""

from pathlib import Path


def directory():
    """The directory holding the shipped knowledge files."""
    return Path(__file__).resolve().parent
