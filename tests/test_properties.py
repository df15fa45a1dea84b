"""Property tests over generated answers: the contract holds, one model, deterministic, no crash."""
import json

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings, strategies as st

from sourcing.cli.main import cli
from strategies import KB, answer_sets

MODELS = {"staff_augmentation", "managed_services", "bpo", "stabilize_first", "undetermined"}
FILE_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def consult(answers_text):
    return CliRunner().invoke(cli, ["consult", "--answers", "-", "--no-input", "--format", "json"],
                              input=answers_text, catch_exceptions=False)


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
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=3), max_leaves=8)
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
