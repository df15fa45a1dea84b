"""The sourcing knowledge base: questions, models, rules and scenarios as YAML data."""

import os


def folder() -> str:
    """The directory holding the shipped knowledge files, as text (no pathlib: a cold start does not need it)."""
    return os.path.dirname(os.path.realpath(__file__))


def directory():
    """The directory holding the shipped knowledge files, as a Path."""
    from pathlib import Path

    return Path(folder())
