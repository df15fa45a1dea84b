"""The interview policy (expert.interview): next question, answer, back, why, and typed values."""

import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import answer_sets

from sourcing.cli.main import cli
from sourcing.expert.errors import InputError
from sourcing.expert.interview import Interview
from sourcing.expert.model import UNKNOWN

BACK = "back"


def known(answers):
    return {q: v for q, v in answers.items() if v != UNKNOWN}


def play(interview, data, steps=60):
    """Answer (or go back) with drawn replies until the interview is done or ``steps`` run out."""
    for _ in range(steps):
        question = interview.next_question()
        if question is None:
            return
        reply = data.draw(st.sampled_from(question.choices + (BACK,)), label=question.id)
        if reply == BACK:
            interview.back()
        else:
            interview.answer(question.id, reply)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(given_answers=answer_sets(), data=st.data())
def test_skipped_questions_are_never_under_could_not_determine(advisor, given_answers, data):
    interview = Interview(advisor, given_answers)
    play(interview, data, steps=200)
    assert interview.next_question() is None
    skipped = set(interview.skipped())
    assert not skipped & set(interview.answers)
    undetermined = {o.question for o in advisor.consult(interview.answers).open_questions}
    assert not skipped & undetermined, f"skipped and could not determine: {skipped & undetermined}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(given_answers=answer_sets(), data=st.data())
def test_the_next_question_is_the_first_that_can_still_change_the_advice(advisor, given_answers, data):
    interview = Interview(advisor, given_answers)
    play(interview, data, steps=data.draw(st.integers(0, 8)))
    question = interview.next_question()
    fore = advisor.foresight
    deciding = [
        q.id
        for q in advisor.kb.questions
        if q.id not in interview.answers and fore.deciding_rules(known(interview.answers), q.id)
    ]
    assert (question.id if question else None) == (deciding[0] if deciding else None)
    position = interview.number(question) - 1 if question else len(advisor.kb.questions)
    assert interview.skipped() == [q.id for q in advisor.kb.questions[:position] if q.id not in interview.answers]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_back_returns_to_the_previous_question_then_the_one_before(advisor, data):
    interview = Interview(advisor)
    asked = []
    for _ in range(data.draw(st.integers(1, 6))):
        question = interview.next_question()
        if question is None:
            break
        asked.append(question)
        interview.answer(question.id, data.draw(st.sampled_from(question.choices)))
    for question in reversed(asked):
        assert interview.back() == question
        assert interview.next_question() == question and question.id not in interview.answers
    assert interview.back() is None and interview.answers == {}


def test_back_does_not_undo_given_answers_unless_they_were_asked(advisor):
    interview = Interview(advisor, {"need": "process", "work_domain": "technology"}, asked=["work_domain"])
    assert interview.kept == 2
    assert interview.back().id == "work_domain"
    assert interview.back() is None and interview.answers == {"need": "process"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(given_answers=answer_sets())
def test_why_names_only_the_deciding_rules(advisor, given_answers):
    interview = Interview(advisor, given_answers)
    question = interview.next_question()
    reasons = interview.why(question) if question else ()
    deciding = advisor.foresight.deciding_rules(known(given_answers), question.id) if question else []
    assert [r.rule for r in reasons] == deciding
    relevant = advisor.foresight.deciding(advisor.foresight.outlook(known(given_answers)))
    for reason in reasons:
        assert set(reason.values) <= set(question.values) and reason.conclusions
        assert {r.id for r in reason.leads_to} <= relevant
        assert not any(c.startswith(("finding ", "evidence ")) for c in reason.conclusions)


def test_values_by_number_name_and_unique_prefix(advisor, kb):
    interview = Interview(advisor)
    for question in kb.questions:
        assert interview.value(question, "0") == UNKNOWN
        for number, value in enumerate(question.values, start=1):
            assert interview.value(question, str(number)) == value == interview.value(question, f" {value} ")
            others = [v for v in question.choices if v != value]
            shortest = next(
                value[:n] for n in range(1, len(value) + 1) if not any(o.startswith(value[:n]) for o in others)
            )
            if shortest != value:
                assert interview.value(question, shortest) == value


def test_only_a_value_of_the_question_is_recorded(advisor, kb):
    interview = Interview(advisor)
    with pytest.raises(ValueError):
        interview.answer("need", "outcomes_only")
    assert interview.answers == {} and interview.back() is None


def test_an_ambiguous_prefix_names_the_values_it_could_be(advisor, kb):
    interview = Interview(advisor)
    need = kb.question("need")
    with pytest.raises(InputError, match="'s' could be skills or service"):
        interview.value(need, "s")
    assert interview.value(kb.question("daily_control"), "outcomes") == "outcomes_only"
    with pytest.raises(InputError, match="'lots' is not allowed"):
        interview.value(need, "lots")


def test_the_command_line_interview_agrees_with_its_result():
    """Every question answered unknown: the skipped line and the JSON's could-not-determine are disjoint."""
    done = CliRunner().invoke(cli, ["consult", "--format", "json"], input="0\n" * 40)
    assert done.exit_code == 0, done.output
    undetermined = {q["question"] for q in json.loads(done.stdout)["could_not_determine"]["questions"]}
    line = next((line for line in done.stderr.splitlines() if line.startswith("Skipped")), "Skipped: ")
    skipped = set(line.split(": ", 1)[1].split(", ")) - {""}
    assert undetermined and not skipped & undetermined
