"""Hypothesis strategies shared by the property tests."""

from hypothesis import strategies as st

from sourcing.expert import load

KB = load()
MISSING = None


@st.composite
def answer_sets(draw, allow_missing=True):
    """A mapping of question -> value, unknowns included, some questions missing."""
    answers = {}
    for question in KB.questions:
        options = list(question.choices) + ([MISSING] if allow_missing else [])
        value = draw(st.sampled_from(options))
        if value is not MISSING:
            answers[question.id] = value
    return answers
