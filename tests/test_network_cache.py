"""The experta network kept in the cache: a consultation on it equals one on a freshly built network and
one on plain experta (answers declared one by one, experta's own matcher); a bad file is rebuilt."""

import json
import os
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from strategies import answer_sets
from test_cache import DAMAGES, cache_home, damage_file, sealed  # noqa: F401 (cache_home: a fixture)
from test_engine import ANSWERS as EXAMPLE

from sourcing.expert import Advisor, cache, report, scenarios
from sourcing.expert import engine as engine_module
from sourcing.expert.compat import KnowledgeEngine, ReteMatcher
from sourcing.expert.engine import Answer, Consultant, compile_rules
from sourcing.expert.model import UNKNOWN


def network_files(folder):
    return sorted(folder.glob(f"{engine_module.NETWORK_KIND}-*")) if folder.exists() else []


def plain_experta(kb):
    """A Consultant whose engine is experta as it comes: experta's matcher (its own DNF preparation,
    reset and conflict-set walk), experta's deffacts lookup, and every answer declared on its own."""

    class Plain(compile_rules(kb)):
        __matcher__ = ReteMatcher
        get_deffacts = KnowledgeEngine.get_deffacts

        def start(self, kb, plan, answers):
            self.kb, self.plan, self.steps, self.firings, self.known = kb, plan, 0, [], {}
            self.reset()
            for question in kb.questions:
                self._declare_recorded(Answer(name=question.id, value=answers.get(question.id, UNKNOWN)))

    consultant = Consultant(kb)
    consultant._engine, consultant.cached = Plain(), False
    return consultant


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """(built, from the cache, plain experta) consultants for the shipped knowledge base."""
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg"))
    try:
        kb = cache.load()
        built, from_cache = Consultant(kb), Consultant(kb)
    finally:
        os.environ["XDG_CACHE_HOME"] = saved
    assert not built.cached and from_cache.cached
    return built, from_cache, plain_experta(kb)


def complete(kb, answers):
    return {q.id: answers.get(q.id, UNKNOWN) for q in kb.questions}


def assert_same_runs(engines, answers):
    built, from_cache, plain = engines
    answers = complete(built.kb, answers)
    expected = plain.run(answers)
    assert expected[1], "no rule fired"
    assert built.run(answers) == expected
    assert from_cache.run(answers) == expected


def test_every_scenario_runs_alike_on_a_cached_a_built_and_a_plain_network(engines):
    for scenario in scenarios.load(engines[0].kb):
        assert_same_runs(engines, scenario.answers)


@settings(max_examples=150, deadline=None)
@given(answers=answer_sets())
def test_generated_answers_run_alike_on_a_cached_a_built_and_a_plain_network(engines, answers):
    assert_same_runs(engines, answers)


def test_the_report_and_trace_are_the_same_from_a_cached_network(cache_home):
    kb = cache.load()
    fresh = Advisor(kb)
    assert not fresh.consultant.cached
    again = Advisor(kb)
    assert again.consultant.cached
    for answers in [EXAMPLE] + [s.answers for s in scenarios.load(kb)][:10]:
        texts = [json.dumps(report.build(a.consult(answers), kb, "t"), sort_keys=True) for a in (fresh, again)]
        assert texts[0] == texts[1]


def test_a_network_without_provenance_asserts_the_same_facts(cache_home):
    kb = cache.load()
    recorded = Consultant(kb)
    bare = Consultant(kb, provenance=False)
    assert bare.cached
    facts, firings = recorded.run(complete(kb, EXAMPLE))
    assert firings and bare.run(complete(kb, EXAMPLE)) == (facts, [])


def test_a_network_pickled_in_another_process_gives_the_same_json(cache_home, tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(EXAMPLE))
    command = [sys.executable, "-m", "sourcing", "consult", "--answers", str(answers), "--no-input", "--format", "json"]
    outputs = []
    for seed, no_cache in (("0", ""), ("1", ""), ("7", "1")):
        env = dict(os.environ, PYTHONHASHSEED=seed, XDG_CACHE_HOME=str(cache_home.parent))
        env.pop("SOURCING_NO_CACHE", None)
        if no_cache:
            env["SOURCING_NO_CACHE"] = no_cache
        outputs.append(subprocess.run(command, capture_output=True, env=env, check=True).stdout)
        if seed == "0":
            assert len(network_files(cache_home)) == 1  # written by the first process, read by the second
    assert outputs[0] == outputs[1] == outputs[2]


@pytest.mark.parametrize("damage", DAMAGES + ["other rules", "unpicklable"])
def test_a_bad_network_file_is_ignored_and_rebuilt(cache_home, damage, tmp_path):
    kb = cache.load()
    answers = complete(kb, EXAMPLE)
    expected = Consultant(kb).run(answers)
    [path] = network_files(cache_home)
    if damage == "other rules":  # a sound network, but for a knowledge base without the shipped rules
        nodes = Consultant(kb)._engine.matcher.nodes()
        for node in nodes:
            if isinstance(node, engine_module._ConflictSetNode):
                node.rule._wrapped.rule_id = "NOT-A-RULE"
        path.write_bytes(sealed(engine_module._pickled_network(nodes)))
    elif damage == "unpicklable":  # a pickle that names what does not exist
        path.write_bytes(sealed(path.read_bytes()[len(cache.MAGIC) + 32 :].replace(b"_Action", b"_Actiom")))
    else:
        damage_file(path, damage, tmp_path)
    rebuilt = Consultant(kb)
    assert not rebuilt.cached and rebuilt.run(answers) == expected
    again = Consultant(kb)
    assert again.cached and again.run(answers) == expected  # the file was written sound again


def test_another_experta_version_uses_another_file(cache_home, monkeypatch):
    kb = cache.load()
    Consultant(kb)
    [first] = network_files(cache_home)
    version = engine_module.experta.__version__
    monkeypatch.setattr(engine_module.experta, "__version__", "0.0-other")
    other = Consultant(kb)
    assert not other.cached and len(network_files(cache_home)) == 2
    monkeypatch.setattr(engine_module.experta, "__version__", version)
    assert Consultant(kb).cached and first.exists()


def test_a_changed_knowledge_file_is_a_new_network(cache_home, tmp_path):
    import shutil

    from sourcing import knowledge

    base = shutil.copytree(knowledge.directory(), tmp_path / "kb", ignore=shutil.ignore_patterns("*.py"))
    kb = cache.load(base)
    assert not Consultant(kb).cached and Consultant(kb).cached
    rules = base / "rules" / "10-findings.yaml"
    rules.write_text(rules.read_text() + "\n# a comment\n")
    changed = cache.load(base)
    assert not Consultant(changed).cached and len(network_files(cache_home)) == 2


def test_a_cached_network_that_misbehaves_is_rebuilt(cache_home):
    kb = cache.load()
    answers = complete(kb, EXAMPLE)
    expected = Consultant(kb).run(answers)
    broken = Consultant(kb)
    assert broken.cached
    broken._engine.matcher.root_node.children = None  # running it raises TypeError
    assert broken.run(answers) == expected and not broken.cached


def test_sourcing_no_cache_builds_and_keeps_nothing(cache_home, monkeypatch):
    kb = cache.load()
    monkeypatch.setenv("SOURCING_NO_CACHE", "1")
    consultant = Consultant(kb)
    assert not consultant.cached and network_files(cache_home) == []
    assert not Consultant(kb).cached


def test_a_knowledge_base_the_cache_did_not_give_is_built(cache_home):
    from sourcing.expert import loader

    kb = loader.load()
    assert not Consultant(kb).cached and not Consultant(kb).cached and network_files(cache_home) == []


def network_shape(matcher):
    """Each rule's conflict set with everything that feeds it: node types, checks and input ports."""
    parents = {}
    for node in matcher.nodes():
        for child in node.children:
            parents.setdefault(id(child.node), []).append((child.callback.__name__, node))

    def describe(node):
        feeding = sorted((port, describe(parent)) for port, parent in parents.get(id(node), []))
        check = re.sub(r"__pattern_\d+__", "__pattern__", str(getattr(node, "matcher", "")))  # named by an id()
        return type(node).__name__, check, tuple(feeding)

    return sorted((node.rule.__name__, describe(node)) for node in matcher._get_conflict_set_nodes())


def test_the_network_is_wired_as_experta_wires_it(advisor):
    class ExpertaWiring(engine_module._Matcher):
        build_beta_part = staticmethod(ReteMatcher.build_beta_part)

    compiled = compile_rules(advisor.kb)

    class Reference(compiled):
        __matcher__ = ExpertaWiring

    ours, theirs = compiled().matcher, Reference().matcher
    assert len(ours._get_conflict_set_nodes()) == len(theirs._get_conflict_set_nodes()) > 100
    assert network_shape(ours) == network_shape(theirs)
    assert sorted(type(n).__name__ for n in ours.nodes()) == sorted(type(n).__name__ for n in theirs.nodes())
