"""The strength of a bulk verdict (``Advisor.strength_of``) is the strength its definition gives.

``strength_of`` takes short cuts (bounds first, then the questions that change the model alone, the
foresight last); the definition counts the open questions and the unconfirmed items in full, as a
consultation does. They must agree on the shipped knowledge base and on generated ones.
"""

import random

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from kb_strategies import knowledge_bases, partial_answers

from sourcing.expert import Advisor, load
from sourcing.expert.errors import EngineError
from sourcing.expert.model import UNKNOWN

KB = load()


def defined_strength(advisor, answers):
    """The strength of complete ``answers`` from the full counts, without short cuts."""
    outcome = advisor.direct.run(answers)
    model = outcome.model
    if model == advisor.kb.undetermined.id:
        return None
    return advisor.strength(
        model,
        outcome.verdict.margin,
        len(advisor.open_questions(answers)),
        len(advisor.unconfirmed(answers, model)),
        sum(1 for c in outcome.of_kind("warning") if c.name == model),
        advisor._count_blockers(outcome.fired, model),
    )


def test_the_shipped_knowledge_base_agrees_with_the_definition():
    advisor, rng = Advisor(KB), random.Random(7)
    seen = set()
    for _ in range(600):
        answers = {q.id: UNKNOWN if rng.random() < 0.25 else rng.choice(q.values) for q in KB.questions}
        strength = advisor.strength_of(answers, advisor.direct.run(answers))
        assert strength == defined_strength(advisor, answers), answers
        seen.add((advisor.direct.run(answers).model == KB.fallback.id, strength))
    # the answer sets reach every level for the fallback, and more than one for a recommended model
    assert {(True, level.name) for level in KB.strength} <= seen
    assert len({strength for fallback, strength in seen if not fallback}) > 1


def test_a_fallback_whose_unknowns_change_nothing_alone_is_as_strong_as_if_they_were_known():
    advisor = Advisor(KB)
    rng = random.Random(3)
    checked = 0
    for _ in range(400):
        answers = {q.id: UNKNOWN if rng.random() < 0.2 else rng.choice(q.values) for q in KB.questions}
        outcome = advisor.direct.run(answers)
        if outcome.model != KB.fallback.id or advisor.open_questions(answers):
            continue
        known_strength = advisor.strength(
            outcome.model, outcome.verdict.margin, 0, 0, 0, advisor._count_blockers(outcome.fired, outcome.model)
        )
        assert advisor.strength_of(answers, outcome) == known_strength
        checked += UNKNOWN in answers.values()
    assert checked > 50


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(generated=knowledge_bases(), data=st.data())
def test_generated_knowledge_bases_agree_with_the_definition(generated, data):
    advisor = Advisor(generated.load())
    for _ in range(3):
        answers = advisor.complete(data.draw(partial_answers(advisor.kb.questions), label="answers"))
        try:
            outcome = advisor.direct.run(answers)
            expected = defined_strength(advisor, answers)
        except EngineError:
            assume(False)  # no single recommendation: no strength to compare
        assert advisor.strength_of(answers, outcome) == expected
