"""Audit records, HOW (explain), WHY-NOT (with counterfactuals), replay and --explore."""

import json
import shutil
from datetime import datetime
from itertools import combinations
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import REPO
from figures import FIGURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sourcing import knowledge
from sourcing.cli.audit_render import tree_lines
from sourcing.cli.main import cli
from sourcing.expert import audit, explain, load, replay
from sourcing.expert.canonical import digest
from sourcing.expert.errors import InputError

DEVELOPERS = str(REPO / "examples" / "developer-capacity.yaml")
SUPPORT = str(REPO / "examples" / "customer-support.yaml")
MESSY = str(REPO / "examples" / "messy-claims.yaml")
MODELS = ("staff_augmentation", "managed_services", "bpo", "stabilize_first")


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def record(tmp_path):
    """Consult on the developer-capacity example with --audit; return the record's path."""
    path = tmp_path / "record.json"
    done = invoke("consult", "--answers", DEVELOPERS, "--no-input", "--format", "json", "--audit", str(path))
    assert done.exit_code == 0, done.output
    return path


def rewrite(path, change):
    """Apply ``change`` to the record's data, reseal it, and write it back."""
    data = json.loads(path.read_text())
    change(data)
    data.pop("integrity")
    data["integrity"] = digest(data)
    path.write_text(json.dumps(data))


# -- the record -----------------------------------------------------------------


def test_record_holds_what_an_auditor_needs(record, kb):
    data = json.loads(record.read_text())
    assert data["schema"] == audit.SCHEMA
    assert data["tool"]["version"]
    created = datetime.fromisoformat(data["created"].replace("Z", "+00:00"))
    assert created.utcoffset().total_seconds() == 0
    assert data["knowledge_base"]["fingerprint"] == kb.fingerprint
    assert data["answers"]["need"] == "capacity" and len(data["answers"]) == len(kb.questions)
    fired = {f["rule"] for f in data["firings"]}
    assert {r["id"] for r in data["rules"]} == fired
    for entry in data["rules"]:
        assert entry["digest"] == kb.rule(entry["id"]).digest == digest(entry["content"])
    assert data["outcome"]["model"] == "staff_augmentation" and "conclusions" not in data
    for firing in data["firings"]:
        assert firing["asserted"] and set(firing["new"]) <= set(firing["asserted"])


def test_an_existing_record_is_kept_without_force(record):
    before = record.read_text()
    done = invoke("consult", "--answers", SUPPORT, "--no-input", "--audit", str(record))
    assert done.exit_code == 2
    assert f"{record}: already exists; use --force" in done.output
    assert record.read_text() == before
    done = invoke("consult", "--answers", SUPPORT, "--no-input", "--audit", str(record), "--force")
    assert done.exit_code == 0
    assert json.loads(record.read_text())["outcome"]["model"] == "bpo"
    assert not [p for p in record.parent.iterdir() if p.name.startswith(".sourcing-")]


def test_round_trip_explain_gives_the_live_chain(record):
    live = json.loads(invoke("consult", "--answers", DEVELOPERS, "--no-input", "--format", "json", "--explain").output)
    explained = json.loads(invoke("explain", str(record), "--format", "json").output)
    assert explained["explanations"] == [live["explanation"]]
    for warning in live["warnings"]:
        out = json.loads(
            invoke("explain", str(record), "--format", "json", "--conclusion", str(warning["fact"])).output
        )
        assert out["explanations"] == [explain.tree(live["justifications"], warning["fact"])]


# -- explain --------------------------------------------------------------------


def test_explain_text_lists_the_chain_and_the_conclusions(record):
    out = invoke("explain", str(record)).output
    assert "finding recommended_model = staff_augmentation" in out
    assert "<- REC-002" in out and "answer need = capacity" in out
    assert "Conclusions to explain" in out and "[PRI-001]" in out


@pytest.mark.parametrize(
    "conclusion, expected",
    [
        ("PRI-001", "pricing per_person"),
        ("control_retention", "finding control_retention = tight"),
        ("VETO-MS-001", "finding vetoed = managed_services"),
    ],
)
def test_explain_one_conclusion(record, conclusion, expected):
    done = invoke("explain", str(record), "--conclusion", conclusion)
    assert done.exit_code == 0 and expected in done.output
    first_tree_line = done.output.split("\n")[2]
    assert first_tree_line.startswith(expected) and "Conclusions to explain" not in done.output


def test_explain_names_what_can_be_explained_when_nothing_matches(record):
    done = invoke("explain", str(record), "--conclusion", "nonsense")
    assert done.exit_code == 2
    assert "--conclusion: nothing named 'nonsense'" in done.output and "allowed: recommendation" in done.output


def test_explain_dot_shapes_and_labelled_edges(record):
    out = invoke("explain", str(record), "--format", "dot").output
    assert out.startswith("digraph explanation {") and out.rstrip().endswith("}")
    assert '[shape=box, label="answer need = capacity"]' in out
    assert "shape=doubleoctagon" in out and "shape=diamond" in out and "shape=ellipse" in out
    assert '[label="REC-002"]' in out and "style=dashed" in out


# -- validation -----------------------------------------------------------------


def _fact_value(name, value):
    def change(data):
        data["answers"][name] = value
        for fact in data["facts"]:
            if fact["kind"] == "answer" and fact["name"] == name:
                fact["value"], fact["label"] = value, f"answer {name} = {value}"

    return change


def _recommend(model):
    def change(data):
        data["outcome"]["model"] = model

    return change


def _score(model, value):
    def change(data):
        fact = next(f for f in data["facts"] if f["kind"] == "score" and f["name"] == model)
        fact["value"], fact["label"] = value, f"score {model} = {value}"

    return change


def _drop_firing(index):
    def change(data):
        del data["firings"][index]
        for step, firing in enumerate(data["firings"], start=1):
            firing["step"] = step

    return change


@pytest.mark.parametrize(
    "change, message",
    [
        (_fact_value("daily_control", "outcomes_only"), "does not hold on the facts it matched"),
        (_recommend("bpo"), "the recommendation does not match"),
        (_drop_firing(3), "before anything established it"),
        (_drop_firing(-1), "has no justification"),
        (lambda d: d.update(schema="sourcing.audit/99"), "unknown schema version 'sourcing.audit/99'"),
        (lambda d: d.pop("facts"), "missing key 'facts'"),
        (_score("bpo", 100), "is not the sum of the evidence it matched"),
        (lambda d: d["facts"][0].update(kind="hunch"), "unknown kind 'hunch'"),
        (lambda d: d["rules"][0]["content"].update(title="edited"), "does not match its digest"),
    ],
)
def test_tampered_records_are_rejected(record, change, message):
    rewrite(record, change)
    done = invoke("explain", str(record))
    assert done.exit_code == 2
    assert message in done.output and done.output.count("\n") == 1
    assert done.output.startswith(f"error: {record}: not a valid audit record: ")


@pytest.fixture
def open_record(tmp_path):
    """A record with items to confirm and open questions (only the need is answered)."""
    path = tmp_path / "open.json"
    done = invoke("consult", "--no-input", "--set", "need=process", "--audit", str(path))
    assert done.exit_code == 0, done.output
    return path


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda o: o["to_confirm"][0].update(rule="x"), "outcome.to_confirm[0]: rule 'x'"),
        (lambda o: o["to_confirm"][0].update(questions=["x"]), "outcome.to_confirm[0]: question 'x'"),
        (lambda o: o["open_questions"][0].update(question="x"), "outcome.open_questions[0]: question 'x'"),
        (lambda o: o["open_questions"][0].update(read_by=["x"]), "outcome.open_questions[0]: rule 'x'"),
        (lambda o: o.update(deciding_questions=["x"]), "outcome.deciding_questions: question 'x'"),
    ],
)
@pytest.mark.parametrize("command", ["explain", "replay"])
def test_an_outcome_naming_what_its_knowledge_base_lacks_is_refused(open_record, change, message, command):
    rewrite(open_record, lambda data: change(data["outcome"]))
    done = invoke(command, str(open_record))
    assert done.exit_code == 2 and done.output.count("\n") == 1
    assert f"not a valid audit record: {message} is not in the record's knowledge base" in done.output


def test_an_edit_without_resealing_breaks_the_integrity_checksum(record):
    record.write_text(record.read_text().replace('"need": "capacity"', '"need": "skills"', 1))
    done = invoke("replay", str(record))
    assert done.exit_code == 2 and "integrity checksum does not match" in done.output


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.99])
def test_truncated_records_are_rejected(record, cut):
    text = record.read_text()
    record.write_text(text[: int(len(text) * cut)])
    done = invoke("replay", str(record))
    assert done.exit_code == 2 and "not valid JSON (truncated?)" in done.output


def test_reading_a_record_checks_with_the_library_api(record, kb):
    assert audit.read(record, kb).result.recommendation == "staff_augmentation"
    record.write_text("[]")
    with pytest.raises(InputError, match="expected a JSON object"):
        audit.read(record, kb)


# -- replay ---------------------------------------------------------------------


@pytest.fixture
def kb_copy(tmp_path):
    target = tmp_path / "kb"
    shutil.copytree(knowledge.directory(), target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def test_replay_on_the_same_knowledge_is_identical(record):
    done = invoke("replay", str(record))
    assert done.exit_code == 0
    assert "Conclusions: identical." in done.output and "Knowledge base: unchanged" in done.output


def test_replay_names_an_edited_weight(record, kb_copy):
    rules = kb_copy / "rules" / "30-evidence-staff-augmentation.yaml"
    text = rules.read_text()
    rules.write_text(text.replace("weight: 4\n", "weight: 1\n", 1))
    done = invoke("--knowledge", str(kb_copy), "replay", str(record))
    assert done.exit_code == 1, done.output
    assert "Knowledge base: changed" in done.output
    assert "score staff_augmentation: 16 -> 13" in done.output
    assert "EV-SA-001    edited" in done.output
    report = json.loads(invoke("--knowledge", str(kb_copy), "replay", str(record), "--format", "json").output)
    assert report["identical"] is False and not report["fingerprint"]["same"]
    assert [r["rule"] for r in report["rules"] if r["change"] == "edited"] == ["EV-SA-001"]


def test_a_reformatted_knowledge_base_keeps_its_fingerprint(record, kb_copy, kb):
    for path in [kb_copy / "questions.yaml", *sorted((kb_copy / "rules").glob("*.yaml"))]:
        data = yaml.safe_load(path.read_text())
        path.write_text(yaml.safe_dump(data, sort_keys=True, default_flow_style=True, width=60))
    assert load(kb_copy).fingerprint == kb.fingerprint
    done = invoke("--knowledge", str(kb_copy), "replay", str(record))
    assert done.exit_code == 0 and "Knowledge base: unchanged" in done.output


def test_any_change_of_logic_changes_the_fingerprint(kb_copy, kb):
    rules = kb_copy / "rules" / "10-findings.yaml"
    rules.write_text(rules.read_text().replace("is: tight", "in: [tight, shared]", 1))
    changed = load(kb_copy)
    assert changed.fingerprint != kb.fingerprint
    assert [r.id for r in changed.rules if r.digest != kb.rule(r.id).digest] == ["CTL-001"]


# -- why-not --------------------------------------------------------------------


def _apply(answers, changes):
    trial = dict(answers)
    trial.update((c["question"], c["to"]) for c in changes)
    return trial


@pytest.mark.parametrize(
    "example", ["developer-capacity.yaml", "customer-support.yaml", "messy-claims.yaml", "it-service-desk.json"]
)
@pytest.mark.parametrize("target", MODELS)
def test_every_counterfactual_works_and_is_minimal(advisor, example, target):
    path = str(REPO / "examples" / example)
    done = invoke("why-not", target, "--answers", path, "--format", "json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    answers = advisor.complete(
        json.loads(invoke("consult", "--answers", path, "--no-input", "--format", "json").output)["answers"]
    )
    if report["is_recommended"]:
        assert report["counterfactuals"] == []
        return
    sizes = [len(cf["changes"]) for cf in report["counterfactuals"]]
    assert sizes == sorted(sizes) and set(sizes) <= {1, 2}
    for cf in report["counterfactuals"]:
        changes = cf["changes"]
        assert all(answers[c["question"]] == c["from"] != c["to"] for c in changes)
        assert advisor.consult(_apply(answers, changes)).recommendation == target
        for size in range(1, len(changes)):
            for subset in combinations(changes, size):
                assert advisor.consult(_apply(answers, subset)).recommendation != target


def test_why_not_finds_every_single_change(advisor):
    """Exhaustiveness on one change: every single change that works is reported."""
    report = json.loads(invoke("why-not", "stabilize_first", "--answers", SUPPORT, "--format", "json").output)
    reported = {
        (cf["changes"][0]["question"], cf["changes"][0]["to"])
        for cf in report["counterfactuals"]
        if len(cf["changes"]) == 1
    }
    base = json.loads(invoke("consult", "--answers", SUPPORT, "--no-input", "--format", "json").output)["answers"]
    expected = {
        (q.id, v)
        for q in advisor.kb.questions
        for v in q.values
        if v != base[q.id] and advisor.evaluate(dict(base, **{q.id: v})).model == "stabilize_first"
    }
    assert reported == expected and expected


def test_why_not_text_explains_the_gap(record):
    out = invoke("why-not", "bpo", str(record)).output
    assert "Why not BPO?" in out and "Recommended: Staff augmentation" in out
    assert "Vetoed: the source calls it the wrong fit here" in out and "VETO-BPO-002" in out
    assert "What REC-004 needs" in out and "[NOT met] finding leading_model is bpo" in out
    assert "1. need: capacity -> process, daily_control: tight -> outcomes_only" in out
    assert "re-checked with the experta engine" in out


def test_why_not_says_when_no_small_change_exists():
    out = invoke("why-not", "managed_services", "--answers", MESSY).output
    assert "No set of up to 2 answer changes makes Managed services the recommendation" in out
    assert "Try --max-changes 3" in out


def test_a_wider_search_finds_three_changes(advisor):
    report = json.loads(
        invoke("why-not", "managed_services", "--answers", MESSY, "--max-changes", "3", "--format", "json").output
    )
    base = advisor.complete(
        json.loads(invoke("consult", "--answers", MESSY, "--no-input", "--format", "json").output)["answers"]
    )
    assert report["counterfactuals"] and report["search"]["max_changes"] == 3
    for cf in report["counterfactuals"]:
        assert len(cf["changes"]) == 3
        assert advisor.consult(_apply(base, cf["changes"])).recommendation == "managed_services"
        for pair in combinations(cf["changes"], 2):
            assert advisor.consult(_apply(base, pair)).recommendation != "managed_services"


def test_why_not_the_recommended_model(record):
    out = invoke("why-not", "staff-augmentation", str(record)).output
    assert "Staff augmentation is the recommendation" in out and "What would have to change" not in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["why-not", "outsourcing", "--answers", SUPPORT], "MODEL: 'outsourcing' is not a model; allowed: staff_aug"),
        (["why-not", "bpo"], "give an audit RECORD, or --answers FILE"),
        (["why-not", "bpo", "x.json", "--answers", SUPPORT], "give an audit RECORD, or --answers FILE"),
        (["why-not", "bpo", "--max-changes", "9", "--answers", SUPPORT], "--max-changes"),
    ],
)
def test_why_not_bad_arguments(args, message):
    done = invoke(*args)
    assert done.exit_code == 2 and message in done.output


# -- explore --------------------------------------------------------------------


def test_explore_answers_how_and_why_not():
    commands = "how\nhow control_retention\nwhy-not bpo\nwhy-not nothing\nlist\nfly\nquit\n"
    done = CliRunner().invoke(
        cli, ["consult", "--answers", DEVELOPERS, "--no-input", "--no-trace", "--explore"], input=commands
    )
    assert done.exit_code == 0, done.output
    err = done.stderr
    assert "how [ID]" in err and "<- REC-002" in err
    assert "finding control_retention = tight" in err
    assert "Why not BPO?" in err and "'nothing' is not a model" in err
    assert "Conclusions to explain" in err
    assert "Why not BPO?" not in done.stdout  # the result alone on standard output


def test_explore_ends_at_end_of_input():
    done = CliRunner().invoke(cli, ["consult", "--answers", DEVELOPERS, "--no-input", "--explore"], input="how\n")
    assert done.exit_code == 0 and "<- REC-002" in done.stderr


def test_record_path_in_a_missing_directory_fails_cleanly(tmp_path):
    path = Path(tmp_path) / "missing" / "record.json"
    done = invoke("consult", "--answers", DEVELOPERS, "--no-input", "--audit", str(path))
    assert done.exit_code == 2
    assert f"error: {path}: cannot write" in done.output and "--set need=capacity" in done.output


# -- generated damage -----------------------------------------------------------


def _paths(value, prefix=()):
    """Every (path, leaf) of a JSON value."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _paths(v, prefix + (k,))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _paths(v, prefix + (i,))]
    return [(prefix, value)]


@pytest.fixture(scope="module")
def pristine(advisor):
    result = advisor.consult({"need": "capacity", "daily_control": "tight", "operating_model": "strong"})
    return audit.build(result, advisor.kb, "0.1.0", "2026-11-29T00:00:00Z")


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 300),
    st.text(max_size=12),
    st.sampled_from(["bpo", "managed_services", "tight", "finding", "answer", "unknown"]),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), reseal=st.booleans())
def test_a_damaged_record_is_read_or_refused_never_crashes(tmp_path, advisor, pristine, data, reseal):
    damaged = json.loads(json.dumps(pristine))
    paths = _paths(damaged)
    path, old = paths[data.draw(st.integers(0, len(paths) - 1))]
    new = data.draw(leaves.filter(lambda v: v != old or type(v) is not type(old)))
    target = damaged
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    if reseal:
        damaged.pop("integrity")
        damaged["integrity"] = digest(damaged)
    file = tmp_path / "damaged.json"
    file.write_text(json.dumps(damaged))
    FIGURES["hostile"] += 1
    try:
        checked = audit.read(file, advisor.kb)
    except InputError as error:
        assert "\n" not in str(error) and str(error).startswith(f"{file}: ")
        FIGURES["refused"] += 1
        return
    FIGURES["accepted"] += 1
    assert reseal, "an edit without resealing must break the integrity digest"
    assert checked.result.recommendation == pristine["outcome"]["model"]
    assert checked.result.scores == {f["name"]: f["value"] for f in pristine["facts"] if f["kind"] == "score"}
    assert checked.result.answers == pristine["answers"]
    tree_lines(explain.tree(explain.graph(checked.result, checked.titles), checked.result.recommendation_fact().id))
    replayed = replay.replay(checked, advisor)  # what reading cannot verify (strength, open questions), replay does
    assert all(c.what == "strength" or c.what.startswith("open question ") for c in replayed.conclusions)


def test_an_answers_file_given_as_a_record_gets_a_hint():
    done = invoke("why-not", "bpo", DEVELOPERS)
    assert done.exit_code == 2 and "developer-capacity.yaml: not valid JSON (truncated?)" in done.output
    done = invoke("why-not", "bpo", str(REPO / "examples" / "it-service-desk.json"))
    assert done.exit_code == 2 and "an answers file goes with --answers FILE" in done.output


# -- sourcing.audit/1 -----------------------------------------------------------

V1 = REPO / "tests" / "data" / "record-v1.json"  # written by sourcing 0.1.0 (schema /1), signed with V1_KEY
V1_UNSIGNED = REPO / "tests" / "data" / "record-v1-unsigned.json"  # the same tool: stabilise first, unsigned
V1_KEY = REPO / "tests" / "data" / "record-v1.key"
V1_EXPLAINED = REPO / "tests" / "data" / "record-v1-explain.json"  # what that tool's 'explain --format json' gave


def test_new_records_are_of_schema_2(record):
    assert json.loads(record.read_text())["schema"] == audit.SCHEMA == "sourcing.audit/2"


@pytest.mark.parametrize("path", [V1, V1_UNSIGNED])
def test_a_v1_record_is_read_in_the_v2_form(kb, path):
    checked = audit.read(path, kb, V1_KEY.read_bytes().strip())
    written = json.loads(path.read_text())
    assert written["schema"] == checked.written_as == audit.SCHEMA_V1
    assert checked.signed == ("signature" in written)
    assert checked.data["schema"] == audit.SCHEMA and set(checked.data) == {key.rstrip("?") for key in audit.SHAPE} - {
        "integrity",
        "signature",
    }
    recorded = written["conclusions"]["recommendation"]
    assert checked.data["outcome"]["model"] == checked.result.recommendation == recorded["model"]
    assert (checked.result.strength, checked.result.runner_up) == (recorded["strength"], recorded["runner_up"])
    assert [u.rule for u in checked.result.unconfirmed] == [u["rule"] for u in recorded["to_confirm"]]
    assert [q.question for q in checked.result.open_questions] == [
        q["question"] for q in written["conclusions"]["could_not_determine"]["questions"]
    ]


def test_a_v1_record_is_verified_explained_and_replayed(kb):
    verified = invoke("explain", str(V1), "--format", "json", "--sign-key", str(V1_KEY))
    assert verified.exit_code == 0 and "signature verified" in verified.stderr
    assert json.loads(verified.stdout) == json.loads(V1_EXPLAINED.read_text()), "the /1 tool's explanation"
    assert "<- WRN-SA-002" in invoke("explain", str(V1), "--conclusion", "warnings").output
    assert "gap process\n  <- REQ-BPO-001" in invoke("explain", str(V1_UNSIGNED), "--conclusion", "gaps").output
    for path in (V1, V1_UNSIGNED):
        same = json.loads(path.read_text())["knowledge_base"]["fingerprint"] == kb.fingerprint
        replayed = invoke("replay", str(path), "--format", "json")
        assert json.loads(replayed.output)["fingerprint"]["same"] == same
        if same:
            assert replayed.exit_code == 0 and json.loads(replayed.output)["identical"]


def test_a_v1_record_keeps_its_checksum_and_signature(tmp_path):
    copy = tmp_path / "v1.json"
    copy.write_text(V1.read_text().replace('"need": "service"', '"need": "skills"', 1))
    assert "integrity checksum does not match" in invoke("replay", str(copy)).output
    shutil.copy(V1, copy)
    other = tmp_path / "other.key"
    other.write_text("not the key it was signed with")
    done = invoke("explain", str(copy), "--sign-key", str(other))
    assert done.exit_code == 2 and "the signature does not match the key" in done.output


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda d: d["conclusions"]["warnings"][0].update(text="edited"),
            "the warnings do not match the warning facts",
        ),
        (lambda d: d["conclusions"]["scores"].update(bpo=100), "the scores do not match"),
        (lambda d: d["conclusions"]["responsibility"].update(service_design=None), "the responsibility matrix"),
        (lambda d: d["conclusions"]["recommendation"].update(model="bpo"), "the recommendation does not match"),
        (lambda d: d["conclusions"].pop("notes"), "conclusions: missing key 'notes'"),
    ],
)
def test_a_resealed_v1_record_must_still_agree_with_its_facts(tmp_path, change, message):
    copy = tmp_path / "v1.json"
    shutil.copy(V1, copy)
    rewrite(copy, lambda data: (data.pop("signature"), change(data)))  # an unsigned forgery
    done = invoke("explain", str(copy))
    assert done.exit_code == 2 and message in done.output and done.output.count("\n") == 1
