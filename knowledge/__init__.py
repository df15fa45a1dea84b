"""The sourcing knowledge base: questions, models, rules and scenarios as YAML data."""


def directory():
    """The directory holding the shipped knowledge files."""
    from pathlib import Path  # not at import: a start that finds the knowledge base in the cache needs no pathlib

    return Path(__file__).resolve().parent
