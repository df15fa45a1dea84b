"""Property tests over generated answers: the contract holds, one model, deterministic, no crash."""

import json

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from strategies import KB, answer_sets

from sourcing.cli.main import cli

MODELS = {"staff_augmentation", "managed_services", "bpo", "stabilize_first", "undetermined"}
FILE_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def consult(answers_text):
    return CliRunner().invoke(
        cli, ["consult", "--answers", "-", "--no-input", "--format", "json"], input=answers_text, catch_exceptions=False
    )


@settings(max_examples=60, deadline=None)
@given(answers=answer_sets())
def test_any_answer_set_gives_exactly_one_model_deterministically(advisor, answers):
    first = advisor.consult(answers)
    second = advisor.consult(dict(reversed(list(answers.items()))))
    assert first.recommendation in MODELS
    assert [f.name for f in first.findings].count("recommended_model") == 1
    assert first.firings == second.firings and first.facts == second.facts
    assert first.strength in ({None} if first.recommendation == "undetermined" else {"strong", "moderate", "weak"})
    if first.margin is not None:
        assert first.margin > 0, "a margin of 0 is a tie, and a tie is never decided by file order"


@FILE_SETTINGS
@given(answers=answer_sets())
def test_cli_json_follows_the_contract(answers):
    result = consult(json.dumps(answers))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    status, model = data["recommendation"]["status"], data["recommendation"]["model"]
    assert (status, model in MODELS) == ("recommended", True) or (status, model) == ("undetermined", None)
    assert set(data["scores"]) == {"staff_augmentation", "managed_services", "bpo"}
    assert data["answers"] == {q.id: answers.get(q.id, "unknown") for q in KB.questions}
    assert all({"rule", "matched", "asserted"} <= set(step) for step in data["trace"])
    assert consult(yaml.safe_dump(answers)).output == result.output


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
keys = st.one_of(st.sampled_from([q.id for q in KB.questions]), st.text(max_size=12))


@FILE_SETTINGS
@given(raw=st.dictionaries(keys, values, max_size=6))
@example(raw={"\n": None})
@example(raw={"need": "capacity\nskills"})
def test_any_mapping_gives_a_result_or_one_clear_line(raw):
    result = consult(json.dumps(raw))
    assert result.exit_code in (0, 2)
    if result.exit_code == 2:
        assert result.output.startswith("error: <stdin>: ") and result.output.count("\n") == 1


@FILE_SETTINGS
@given(text=st.text(max_size=200))
def test_any_text_gives_a_result_or_one_clear_line(text):
    result = consult(text)
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output


def _every_change_set(advisor, answers, target, max_changes):
    """The search of expert.whynot done the plain way: every change set run through the direct evaluator."""
    from itertools import combinations, product

    from sourcing.expert.whynot import Change, applied

    questions = advisor.kb.questions
    options = {q.id: [Change(q.id, answers[q.id], v) for v in q.values if v != answers[q.id]] for q in questions}
    found = {}
    for size in range(1, max_changes + 1):
        for chosen in combinations([q.id for q in questions], size):
            for changes in product(*(options[q] for q in chosen)):
                if not any(frozenset(c) <= frozenset(changes) for c in found):
                    outcome = advisor.evaluate(applied(answers, changes), validated=True)
                    if outcome.model == target:
                        found[changes] = outcome.verdict.margin
    return found


@settings(max_examples=25, deadline=None)
@given(answers=answer_sets(), target=st.sampled_from(sorted(MODELS - {"undetermined"})))
def test_the_search_finds_what_running_every_change_set_finds(advisor, answers, target):
    from sourcing.expert.whynot import search

    answers = advisor.complete(answers)
    found, evaluated = search(advisor, answers, target, 2)
    plain = _every_change_set(advisor, answers, target, 2)
    assert set(found) == set(plain)
    assert all(len(a) <= len(b) for a, b in zip(found, found[1:]))
    assert search(advisor, answers, target, 2, enough=3)[0][:3] == found[:3]
    sizes = [len(c) for c in found]
    assert evaluated >= sizes.count(1)


@settings(max_examples=60, deadline=None)
@given(answers=answer_sets())
def test_the_advice_layers_of_the_foresight_see_what_all_layers_see(advisor, answers):
    answers = advisor.complete(answers)
    foresight = advisor.foresight
    full = foresight.outlook({q: v for q, v in answers.items() if v != "unknown"})
    short = foresight.advice_outlook(answers)
    model = advisor.evaluate(answers, validated=True).model
    assert foresight.open_questions(answers, short) == foresight.open_questions(answers, full)
    assert foresight.unconfirmed(answers, model, short) == foresight.unconfirmed(answers, model, full)
    assert foresight.deciding(short) == foresight.deciding(full)
    assert len(foresight.advice_layers) < len(foresight.layers)  # the consequences are left out


def test_the_network_is_prepared_from_the_rules_experta_would_prepare(advisor):
    from sourcing.expert.compat import ReteMatcher
    from sourcing.expert.engine import _Matcher

    engine = advisor.consultant._engine
    assert [list(rule) for rule in _Matcher.prepare_ruleset(engine)] == [
        list(rule) for rule in ReteMatcher.prepare_ruleset(engine)
    ]
    assert _Matcher.prepare_ruleset(engine) == ReteMatcher.prepare_ruleset(engine)
