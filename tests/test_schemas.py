"""The published JSON Schemas (docs/schemas/) hold for what consult --format json and --audit write."""

import json

import pytest
from click.testing import CliRunner

jsonschema = pytest.importorskip("jsonschema")

from conftest import REPO  # noqa: E402

from sourcing.cli.main import cli  # noqa: E402
from sourcing.expert import (
    audit,  # noqa: E402
    scenarios,  # noqa: E402
)
from sourcing.expert import report as report_io  # noqa: E402

EXAMPLES = sorted(p.name for p in (REPO / "examples").iterdir())


def _validator(name):
    schema = json.loads((REPO / "docs" / "schemas" / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def consult_schema():
    return _validator("consult-result.schema.json")


def _consult(*args):
    result = CliRunner().invoke(cli, ["consult", "--no-input", "--format", "json", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_consult_result_validates(consult_schema, example):
    consult_schema.validate(_consult("--answers", str(REPO / "examples" / example), "--explain"))


def test_every_scenario_result_validates(consult_schema, advisor, kb):
    for scenario in scenarios.load(kb):
        report = report_io.build(advisor.consult(scenario.answers), kb, "0+test")
        errors = [e.message for e in consult_schema.iter_errors(report)]
        assert not errors, (scenario.id, errors[:3])


def test_an_undetermined_result_validates(consult_schema):
    data = _consult()
    assert data["recommendation"]["status"] == "undetermined" and data["recommendation"]["model"] is None
    consult_schema.validate(data)


def test_a_broken_result_fails(consult_schema):
    data = _consult("--answers", str(REPO / "examples" / EXAMPLES[0]))
    data["recommendation"]["model"] = "foo"
    with pytest.raises(jsonschema.ValidationError):
        consult_schema.validate(data)
    del data["scores"][next(iter(data["scores"]))]
    wrong = {tuple(error.absolute_path) for error in consult_schema.iter_errors(data)}
    assert wrong == {("recommendation", "model"), ("scores",)}


def test_an_audit_record_validates_and_a_broken_one_fails(tmp_path):
    schema = _validator("audit-record.schema.json")
    path = tmp_path / "record.json"
    result = CliRunner().invoke(
        cli,
        ["consult", "--no-input", "--answers", str(REPO / "examples" / EXAMPLES[0]), "--audit", str(path)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    record = json.loads(path.read_text())
    schema.validate(record)
    record["schema"] = "sourcing.audit/1"
    record["outcome"]["fact"] = "7"
    assert {e.validator for e in schema.iter_errors(record)} == {"const", "type"}


@pytest.mark.parametrize("name", ["record-v1.json", "record-v1-unsigned.json"])
def test_the_v1_records_validate_against_the_v1_schema_only(name):
    record = json.loads((REPO / "tests" / "data" / name).read_text())
    _validator("audit-record-v1.schema.json").validate(record)
    assert not _validator("audit-record.schema.json").is_valid(record)


def _agrees(shape, schema, where="record"):
    """Every key the reader's shape requires, the schema requires; every key it knows, the schema describes."""
    if isinstance(shape, dict):
        described, required = schema.get("properties", {}), set(schema.get("required", ()))
        for key, inner in shape.items():
            name = key.rstrip("?")
            assert name in described, f"{where}.{name} is not in the schema"
            assert key.endswith("?") or name in required, f"{where}.{name} is required by the reader only"
            _agrees(inner, described[name], f"{where}.{name}")
    elif isinstance(shape, list):
        assert schema.get("type") == "array", where
        _agrees(shape[0], schema["items"], f"{where}[]")


@pytest.mark.parametrize(
    "shape, name", [(audit.SHAPE, "audit-record.schema.json"), (audit.SHAPE_V1, "audit-record-v1.schema.json")]
)
def test_the_published_schemas_describe_what_the_reader_checks(shape, name):
    _agrees(shape, json.loads((REPO / "docs" / "schemas" / name).read_text()))


def test_a_signed_record_validates(tmp_path):
    key = tmp_path / "key"
    key.write_bytes(b"a key of our own, long enough")
    path = tmp_path / "signed.json"
    done = CliRunner().invoke(
        cli,
        [
            "consult",
            "--answers",
            str(REPO / "examples" / "customer-support.yaml"),
            "--no-input",
            "--audit",
            str(path),
            "--sign-key",
            str(key),
        ],
    )
    assert done.exit_code == 0, done.output
    record = json.loads(path.read_text())
    assert record["signature"].startswith("hmac-sha256:")
    jsonschema.validate(record, json.loads((REPO / "docs" / "schemas" / "audit-record.schema.json").read_text()))
