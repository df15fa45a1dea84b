"""The three-valued foresight: agrees with experta, and skips only questions that cannot matter."""

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import KB, answer_sets

from sourcing.expert.conditions import atoms
from sourcing.expert.partial import outlook


@settings(max_examples=80, deadline=None)
@given(answers=answer_sets())
def test_with_every_answer_known_it_agrees_with_the_engine(advisor, answers):
    complete = advisor.complete(answers)
    view = outlook(advisor.kb, complete)
    assert view.recommendations == {advisor.consult(complete).recommendation}
    fired = {f.rule for f in advisor.consult(complete).firings}
    assert {rid for rid, state in view.status.items() if state} == fired


@settings(max_examples=60, deadline=None)
@given(answers=answer_sets(), data=st.data())
def test_a_skipped_question_cannot_change_the_model(advisor, answers, data):
    open_ids = [q.id for q in KB.questions if q.id not in answers]
    assume(open_ids)
    question = data.draw(st.sampled_from(open_ids))
    assume(not advisor.foresight.deciding_rules(answers, question))
    models = {advisor.consult(dict(answers, **{question: v})).recommendation for v in KB.question(question).choices}
    assert len(models) == 1, f"{question} was skippable but changes the model"


@settings(max_examples=60, deadline=None)
@given(answers=answer_sets(allow_missing=False), data=st.data())
def test_unknowns_not_listed_cannot_change_the_model(advisor, answers, data):
    listed = {q for q, _ in advisor.foresight.open_questions(answers)}
    unlisted = [q for q, v in answers.items() if v == "unknown" and q not in listed]
    assume(unlisted)
    question = data.draw(st.sampled_from(unlisted))
    base = advisor.consult(answers).recommendation
    for value in KB.question(question).values:
        assert advisor.consult(dict(answers, **{question: value})).recommendation == base


def test_a_blocker_settles_the_recommendation(advisor):
    known = {"process_stability": "chaotic"}
    view = advisor.foresight.outlook(known)
    assert view.settled and view.recommendations == {"stabilize_first"}
    assert all(not advisor.foresight.deciding_rules(known, q.id) for q in KB.questions if q.id not in known)


def test_waiting_rules_are_the_undecided_readers(advisor):
    waiting = {r.id for r in advisor.foresight.waiting_rules({}, "duration")}
    assert waiting == {r.id for r in advisor.kb.rules if any(a.name == "duration" for a in atoms(r.when))}
    assert {"EV-SA-005", "EV-MS-006"} <= waiting
    assert advisor.foresight.waiting_rules({"duration": "ongoing"}, "duration") == []
