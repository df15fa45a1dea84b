"""expert/compat.py: experta imports on this Python, and its tokens built directly are experta's own."""

import random

import pytest

from sourcing.expert import compat, load
from sourcing.expert.engine import Answer, Consultant
from sourcing.expert.model import UNKNOWN

Token = compat.experta.matchers.rete.token.Token


def experta_tokens(monkeypatch):
    """Give Token back the constructor and copy experta ships."""
    monkeypatch.setattr(Token, "__new__", compat.EXPERTA_TOKEN["__new__"])
    monkeypatch.setattr(Token, "copy", compat.EXPERTA_TOKEN["copy"])


def token_parts(token):
    return type(token), token.tag, token.data, token.context


CASES = [
    lambda: (Token.TagType.VALID, Answer(question="q", value="v"), None),
    lambda: (Token.TagType.INVALID, [Answer(question="q", value="v"), Answer(question="r", value="w")], None),
    lambda: (Token.TagType.VALID, (Answer(question="q", value="v"),), {"bound": 1}),
]


@pytest.mark.parametrize("case", CASES)
def test_a_token_is_the_token_experta_builds(case, monkeypatch):
    tag, data, context = case()
    ours = Token(tag, data, context)
    copied = ours.copy()
    experta_tokens(monkeypatch)
    theirs = Token(tag, data, context)
    assert token_parts(ours) == token_parts(theirs) == token_parts(copied) == token_parts(theirs.copy())
    assert copied.data is not ours.data and copied.context is not ours.context  # a copy owns its sets
    assert (ours.context is context) == (theirs.context is context)  # a given context is kept, not copied
    assert Token.valid(data[0] if isinstance(data, list) else data).is_valid()


def test_consultations_are_the_same_with_the_tokens_experta_builds(monkeypatch):
    kb = load()
    rng = random.Random(5)
    answer_sets = [
        {q.id: UNKNOWN if rng.random() < 0.2 else rng.choice(q.values) for q in kb.questions} for _ in range(8)
    ]
    ours = [Consultant(kb).run(answers) for answers in answer_sets]
    experta_tokens(monkeypatch)
    assert [Consultant(kb).run(answers) for answers in answer_sets] == ours


def test_only_the_release_it_was_read_from_is_changed(monkeypatch):
    assert compat.experta.__version__ == "1.9.4"  # setup.cfg's pin
    assert Token.__new__ is compat._token and Token.copy is compat._token_copy
    experta_tokens(monkeypatch)
    monkeypatch.setattr(compat.experta, "__version__", "1.9.5")
    compat._build_tokens_directly()
    assert Token.__new__ is compat.EXPERTA_TOKEN["__new__"] and Token.copy is compat.EXPERTA_TOKEN["copy"]
