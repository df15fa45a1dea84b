"""The knowledge-base cache: a hit equals a fresh load, a changed byte is a miss, bad cache files are rebuilt."""

import os
import re
import shutil

import pytest
from click.testing import CliRunner

from sourcing import knowledge
from sourcing.cli.main import cli
from sourcing.expert import cache, loader
from sourcing.expert.errors import KnowledgeError


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("SOURCING_NO_CACHE", raising=False)
    return home / "sourcing"


@pytest.fixture
def base(tmp_path):
    """A copy of the shipped knowledge directory that a test may edit."""
    return shutil.copytree(knowledge.directory(), tmp_path / "knowledge", ignore=shutil.ignore_patterns("*.py"))


def files_in(folder):
    return sorted(folder.glob("kb-*.pickle")) if folder.exists() else []


def test_a_hit_equals_a_fresh_load_and_does_not_read_the_knowledge_files(cache_home, base, monkeypatch):
    first = cache.load(base)
    [written] = files_in(cache_home)
    assert oct(written.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setattr(loader, "load", lambda *args: pytest.fail("the loader ran on a cache hit"))
    again = cache.load(base)
    assert again == first and again.fingerprint == first.fingerprint and again.sources == first.sources
    assert [r.digest for r in again.rules] == [r.digest for r in first.rules]


def test_a_changed_file_is_never_served_stale(cache_home, base):
    before = cache.load(base)
    rules = base / "rules" / "10-findings.yaml"
    text = rules.read_text()
    status = rules.stat()
    edited = text.replace(
        "title: The buyer wants to keep tight day-to-day control",
        "title: The buyer wants to keep TIGHT day-to-day control",
    )
    assert edited != text and len(edited) == len(text)
    rules.write_text(edited)
    os.utime(rules, ns=(status.st_atime_ns, status.st_mtime_ns))  # same size, same mtime: only content differs
    after = cache.load(base)
    assert after.rule("CTL-001").title == "The buyer wants to keep TIGHT day-to-day control"
    assert after.fingerprint != before.fingerprint and len(files_in(cache_home)) == 2


def test_an_extension_is_part_of_the_key(cache_home, tmp_path):
    extension = tmp_path / "ext"
    (extension / "rules").mkdir(parents=True)
    (extension / "rules" / "x.yaml").write_text("rules: []\n")
    plain, extended = cache.load(), cache.load(None, [str(extension)])
    assert extended.sources == plain.sources + (str(extension),)
    (extension / "rules" / "x.yaml").write_text("rules: [1]\n")
    with pytest.raises(KnowledgeError):
        cache.load(None, [str(extension)])
    with pytest.raises(KnowledgeError):  # an invalid knowledge base is never cached
        cache.load(None, [str(extension)])


DAMAGES = ["garbage", "truncated", "empty", "foreign pickle", "readable by others", "a symlink"]


def sealed(payload):
    """``payload`` as a cache file holds it: the format line, its BLAKE2b checksum, the payload."""
    import hashlib

    return cache.MAGIC + hashlib.blake2b(payload, digest_size=32).digest() + payload


def damage_file(path, damage, tmp_path):
    """Damage the cache file ``path`` in the way ``damage`` (one of DAMAGES) names."""
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(os.urandom(len(data)))
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "foreign pickle":
        import pickle

        path.write_bytes(sealed(pickle.dumps({"not": "what the cache keeps"})))
    elif damage == "readable by others":
        os.chmod(path, 0o644)
    else:
        elsewhere = tmp_path / "elsewhere.pickle"
        elsewhere.write_bytes(data)
        os.chmod(elsewhere, 0o600)
        path.unlink()
        path.symlink_to(elsewhere)


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_bad_cache_file_is_ignored_and_rebuilt(cache_home, base, damage, tmp_path):
    fresh = cache.load(base)
    [path] = files_in(cache_home)
    damage_file(path, damage, tmp_path)
    assert cache.load(base) == fresh
    assert cache._read(path) is not None or damage == "a symlink"  # rebuilt in place (a link is replaced)
    assert cache.load(base) == fresh


def test_an_unwritable_cache_is_no_cache_and_no_message(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.delenv("SOURCING_NO_CACHE", raising=False)
    done = CliRunner().invoke(cli, ["consult", "--no-input", "--set", "need=process", "--format", "json"])
    assert done.exit_code == 0 and done.stderr == ""
    assert blocked.read_text() == "not a directory\n"


def test_sourcing_no_cache_turns_it_off(cache_home, monkeypatch):
    monkeypatch.setenv("SOURCING_NO_CACHE", "1")
    assert cache.load() == loader.load()
    assert cache.compiled("x = 1\n", "<test>").co_filename == "<test>"
    assert not cache_home.exists() or list(cache_home.iterdir()) == []


def test_compiled_code_is_reused_only_for_the_same_source(cache_home, monkeypatch):
    first = cache.compiled("y = [1, 2]\n", "<test>")
    [written] = cache_home.glob("code-*")
    assert oct(written.stat().st_mode & 0o777) == "0o600"
    namespace = {}
    exec(first, namespace)
    assert namespace["y"] == [1, 2]
    monkeypatch.setattr("builtins.compile", lambda *args: pytest.fail("compiled again on a cache hit"))
    assert cache.compiled("y = [1, 2]\n", "<test>") == first
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home.parent))
    other = cache.compiled("y = [1, 3]\n", "<test>")
    exec(other, namespace)
    assert namespace["y"] == [1, 3]


def test_a_corrupt_code_file_is_ignored_and_rebuilt(cache_home):
    cache.compiled("z = 5\n", "<test>")
    [written] = cache_home.glob("code-*")
    written.write_bytes(written.read_bytes()[:-3] + b"xyz")
    namespace = {}
    exec(cache.compiled("z = 5\n", "<test>"), namespace)
    assert namespace["z"] == 5
    assert cache._read(written) is not None  # rewritten sound


def test_only_recent_cache_files_are_kept(cache_home, tmp_path):
    for n in range(cache.KEPT["kb"] + 3):
        extension = tmp_path / f"ext{n}"
        (extension / "rules").mkdir(parents=True)
        cache.load(None, [str(extension)])
    assert len(files_in(cache_home)) == cache.KEPT["kb"]
    for n in range(cache.KEPT["code"] + 3):
        cache.compiled(f"x = {n}\n", "<test>")
    assert len(list(cache_home.glob("code-*"))) == cache.KEPT["code"]


def direct_files(folder):
    return sorted(folder.glob("direct-*.pickle")) if folder.exists() else []


def same_runs(evaluator, reference):
    """The two direct evaluators give the same outcome and verdict on every scenario, and the same answer
    classes."""
    from sourcing.expert import scenarios

    assert evaluator.verdict_classes == reference.verdict_classes
    for scenario in scenarios.load(reference.kb):
        answers = {q.id: scenario.answers.get(q.id, "unknown") for q in reference.kb.questions}
        assert evaluator.run(answers) == reference.run(answers)
        assert evaluator.verdict(answers) == reference.verdict(answers)
    return True


def test_the_direct_evaluator_s_prepared_form_is_reused_and_runs_alike(cache_home, monkeypatch):
    from sourcing.expert import direct

    kb = cache.load()
    built = direct.DirectEvaluator(kb)
    [written] = direct_files(cache_home)
    assert oct(written.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setattr(direct, "_prepared", lambda *args: pytest.fail("prepared again on a cache hit"))
    assert same_runs(direct.DirectEvaluator(kb), built)


@pytest.mark.parametrize("damage", DAMAGES + ["unpicklable", "another form", "a program that defines nothing"])
def test_a_bad_prepared_form_is_ignored_and_rebuilt(cache_home, damage, tmp_path, monkeypatch):
    import pickle

    from sourcing.expert import codegen, direct

    kb = cache.load()
    reference = direct.DirectEvaluator(kb)
    [path] = direct_files(cache_home)
    if damage == "unpicklable":  # a pickle that names what does not exist
        path.write_bytes(sealed(path.read_bytes()[len(cache.MAGIC) + 32 :].replace(b"_Form", b"_Forn")))
    elif damage == "another form":  # a sound pickle of the program alone
        path.write_bytes(sealed(pickle.dumps(pickle.loads(path.read_bytes()[len(cache.MAGIC) + 32 :]).program)))
    elif damage == "a program that defines nothing":
        form = pickle.loads(path.read_bytes()[len(cache.MAGIC) + 32 :])
        empty = codegen.Program(compile("", "<knowledge>", "exec"), {}, form.program.names)
        path.write_bytes(sealed(pickle.dumps(form._replace(program=empty))))
    else:
        damage_file(path, damage, tmp_path)
    prepared = []
    original = direct._prepared
    monkeypatch.setattr(direct, "_prepared", lambda *args: prepared.append(1) or original(*args))
    assert same_runs(direct.DirectEvaluator(kb), reference) and prepared == [1]
    assert same_runs(direct.DirectEvaluator(kb), reference) and prepared == [1]  # written sound again


def test_a_changed_rule_gets_its_own_prepared_form(cache_home, base):
    from sourcing.expert.direct import DirectEvaluator

    DirectEvaluator(cache.load(base))
    rules = base / "rules" / "50-warnings.yaml"
    text = rules.read_text()
    edited = re.sub(r"(text: >-\n\s+)", r"\1Edited: ", text, count=1)
    assert edited != text
    rules.write_text(edited)
    changed = DirectEvaluator(cache.load(base))
    assert len(direct_files(cache_home)) == 2
    assert any(c.text.startswith("Edited: ") for c in changed.conclusions if c.text)
    assert same_runs(changed, DirectEvaluator(loader.load(base)))


def test_no_prepared_form_is_written_without_the_cache_or_for_a_base_it_did_not_load(cache_home, monkeypatch):
    from sourcing.expert.direct import DirectEvaluator

    DirectEvaluator(loader.load())  # not a knowledge base the cache gave
    assert direct_files(cache_home) == []
    kb = cache.load()
    monkeypatch.setenv("SOURCING_NO_CACHE", "1")
    DirectEvaluator(kb)
    assert direct_files(cache_home) == []


def test_a_write_never_goes_through_a_file_or_link_at_its_temporary_name(tmp_path, monkeypatch):
    """The temporary file is created exclusively (as tempfile.mkstemp does): a name already taken, even
    by a link to another file, is never written through; with no free name, nothing is kept."""
    victim = tmp_path / "victim"
    victim.write_text("mine")
    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setattr(os, "urandom", lambda n: b"\x01" * n)
    (folder / f".kb-{'01' * 8}").symlink_to(victim)
    cache._write(str(folder), "kb-x.pickle", b"payload")
    assert victim.read_text() == "mine"
    assert sorted(p.name for p in folder.iterdir()) == [f".kb-{'01' * 8}"]
    monkeypatch.undo()
    cache._write(str(folder), "kb-x.pickle", b"payload")
    assert sorted(p.name for p in folder.iterdir()) == [f".kb-{'01' * 8}", "kb-x.pickle"]
    assert oct((folder / "kb-x.pickle").stat().st_mode & 0o777) == "0o600"
