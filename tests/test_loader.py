"""Loading knowledge files: every problem reported at once as FILE:LINE: RULE-ID: message."""

import os
import shutil
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sourcing import knowledge
from sourcing.expert import KnowledgeError, load


def make_kb(tmp_path, rules_yaml):
    """A knowledge directory with the shipped questions and models and one rules file."""
    shutil.copy(knowledge.directory() / "questions.yaml", tmp_path / "questions.yaml")
    shutil.copy(knowledge.directory() / "models.yaml", tmp_path / "models.yaml")
    (tmp_path / "rules").mkdir(exist_ok=True)
    (tmp_path / "rules" / "rules.yaml").write_text(textwrap.dedent(rules_yaml))
    return tmp_path


GOOD_RULE = """
  - id: T-001
    title: a test rule
    layer: findings
    rationale: A test.
    source: "The short answer > x"
    when:
      answer: need
      is: capacity
    then:
      - finding: f
        value: "yes"
"""


NOT_F_RULE = """
  - id: T-002
    title: holds while finding f is not established
    layer: {layer}
    rationale: A test.
    source: "x > y"
    when:
      not:
        finding: f
    then:
      - finding: g
        value: "yes"
"""


def problems(tmp_path, rules_yaml):
    with pytest.raises(KnowledgeError) as caught:
        load(make_kb(tmp_path, rules_yaml))
    return [str(p) for p in caught.value.problems]


def test_a_valid_extension_loads(tmp_path):
    kb = load(make_kb(tmp_path, "rules:" + GOOD_RULE))
    assert [r.id for r in kb.rules] == ["T-001"]
    assert kb.rules[0].line == 2


def test_all_problems_are_reported_with_file_line_and_id(tmp_path):
    found = problems(
        tmp_path,
        """\
        rules:
          - id: T-001
            title: unknown key and missing source
            layer: findings
            rationale: A test.
            colour: blue
            then:
              - finding: f
                value: "yes"
          - id: T-002
            title: unknown question and value
            layer: findings
            rationale: A test.
            source: "x > y"
            when:
              all:
                - answer: nedd
                  is: capacity
                - answer: need
                  is: lots
            then:
              - finding: g
                value: "yes"
          - id: T-003
            title: weight is text
            layer: evidence
            rationale: A test.
            source: "x > y"
            when:
              finding: nowhere
            then:
              - evidence: bpo
                weight: heavy
    """,
    )
    text = "\n".join(found)
    assert "rules/rules.yaml:2: T-001: unknown key 'colour'" in text
    assert "rules/rules.yaml:2: T-001: missing 'source'" in text
    assert "T-002: condition on unknown question 'nedd'" in text
    assert (
        "rules/rules.yaml:19: T-002: question 'need' has no value 'lots'; "
        "allowed: capacity, skills, service, process, unknown"
    ) in text
    assert "T-003: weight 'heavy' is not a number" in text


def test_duplicate_ids_and_unknown_findings(tmp_path):
    found = problems(
        tmp_path,
        "rules:" + GOOD_RULE + GOOD_RULE.replace("answer: need", "finding: nothing").replace("is: capacity", "is: x"),
    )
    assert any("T-001: duplicate rule id (first defined at " in p and p.endswith("rules/rules.yaml:2)") for p in found)


def test_conditions_on_findings_nobody_asserts(tmp_path):
    ghost = GOOD_RULE.replace("answer: need", "finding: ghost").replace("is: capacity", "is: x")
    found = problems(tmp_path, "rules:" + ghost)
    assert any("condition on finding 'ghost' that no rule asserts" in p for p in found)


def test_negated_finding_of_the_same_layer_is_refused(tmp_path):
    found = problems(tmp_path, "rules:" + GOOD_RULE + NOT_F_RULE.format(layer="findings"))
    assert any("T-002: negated test of finding 'f' = 'yes' which is asserted in the same layer" in p for p in found)


@pytest.mark.parametrize(
    "change, message",
    [
        (("layer: findings", "layer: magic"), "layer 'magic' is not allowed; allowed: findings, readiness"),
        (
            ('- finding: f\n        value: "yes"', "- evidence: bpo\n        weight: 1"),
            "the findings layer cannot assert 'evidence'",
        ),
        (("      is: capacity", "      in: capacity"), "'in' takes a non-empty list of values"),
        (('- finding: f\n        value: "yes"', "- warning: bpo"), "'warning' takes the keys text, warning"),
        (("    rationale: A test.", "    rationale: [1]"), "'rationale' must be text"),
    ],
)
def test_specific_problems(tmp_path, change, message):
    old, new = change
    assert old in GOOD_RULE
    found = problems(tmp_path, "rules:" + GOOD_RULE.replace(old, new))
    assert any(message in p for p in found), found


def test_malformed_and_unsafe_files(tmp_path):
    found = problems(tmp_path, "rules: [\n")
    assert any("rules/rules.yaml: malformed YAML/JSON" in p for p in found)
    found = problems(tmp_path, "rules:\n  - !!python/object/apply:os.system ['echo hi']\n")
    assert any("YAML tags that construct objects are not allowed" in p for p in found)


def test_the_shipped_knowledge_base_is_valid():
    kb = load()
    assert len({r.id for r in kb.rules}) == len(kb.rules)


def test_a_link_before_dot_dot_decides_which_base_is_read(tmp_path):
    """'..' is left to the system, as the cache's key leaves it: x/link/../kb is other/kb when x/link
    leads to other/deep (a textual clean-up would read x/kb, or find nothing)."""
    shutil.copytree(knowledge.directory(), tmp_path / "other" / "kb", ignore=shutil.ignore_patterns("*.py"))
    (tmp_path / "other" / "deep").mkdir()
    (tmp_path / "x").mkdir()
    os.symlink(tmp_path / "other" / "deep", tmp_path / "x" / "link")
    given = str(tmp_path / "x" / "link" / ".." / "kb")
    kb = load(given)
    assert kb.sources == (given,) and kb.fingerprint == load().fingerprint


def test_a_rules_folder_that_cannot_be_read_is_a_problem_not_an_empty_base(tmp_path, monkeypatch):
    from sourcing.expert import loader

    extension = tmp_path / "ext"
    (extension / "rules").mkdir(parents=True)
    listdir = os.listdir

    def refusing(path):
        if os.fspath(path).endswith(os.path.join("ext", "rules")):
            raise PermissionError(13, "Permission denied")
        return listdir(path)

    monkeypatch.setattr(loader.os, "listdir", refusing)
    with pytest.raises(KnowledgeError) as error:
        load(None, [extension])
    assert [str(p) for p in error.value.problems] == ["ext/rules: cannot be read: Permission denied"]


@pytest.mark.skipif(os.sep != "/", reason="POSIX paths")
@given(st.lists(st.sampled_from(["", ".", "..", "a", "kb", "b.yaml"]), max_size=6).map("/".join))
def test_paths_are_written_as_pathlib_writes_them(text):
    from pathlib import PurePosixPath

    from sourcing.expert.loader import _clean

    assert _clean(text) == str(PurePosixPath(text))
