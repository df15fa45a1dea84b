"""The flat-mapping reader (an answers file without PyYAML) gives what PyYAML gives, or steps aside."""

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sourcing.expert import yamlio
from sourcing.expert.errors import InputError
from sourcing.expert.yamlload import parse_yaml

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# Words PyYAML reads as something other than text, names, and near misses of both.
WORDS = ["yes", "No", "TRUE", "off", "On", "null", "NULL", "Null", "y", "n", "nul", "need", "process", "_x", "a1"]
names = st.one_of(st.sampled_from(WORDS), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True))
spaces = st.sampled_from(["", " ", "  "])
comments = st.sampled_from(["", "#", "# a note", "#: x", "# yes: no"])


@st.composite
def flat_lines(draw):
    """A line of a flat answers file, or one just outside what the flat reader takes."""
    kind = draw(st.sampled_from(["entry", "entry", "entry", "empty", "blank", "comment", "odd"]))
    if kind == "entry":
        comment = draw(comments)
        return f"{draw(names)}: {draw(names)}" + (f"{draw(st.sampled_from([' ', '  ']))}{comment}" if comment else "")
    if kind == "empty":
        return f"{draw(names)}:{draw(spaces)}"
    if kind == "blank":
        return draw(spaces)
    if kind == "comment":
        return draw(spaces) + "# " + draw(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=10))
    odd = [
        "  indented: x",
        "key:value",
        "key: two words",
        "- item",
        "key: 'quoted'",
        "---",
        "key: 12",
        "k\t: v",
        "key: ~",
        "key: value #c",
        "key: value# c",
        "key: [a]",
        "key: {a: b}",
        "key: &a x",
        "key: *a",
        "? key",
    ]
    return draw(st.sampled_from(odd))


documents = st.one_of(
    st.lists(flat_lines(), max_size=12).map("\n".join),
    st.lists(flat_lines(), max_size=12).map(lambda lines: "\n".join(lines) + "\n"),
    st.text(max_size=40),
)


def yaml_reading(text):
    """What the PyYAML loader makes of ``text``: the value, or the InputError's message."""
    try:
        return parse_yaml(text, "doc")
    except InputError as error:
        return error


@settings(max_examples=600)
@given(documents)
def test_the_flat_reader_gives_what_pyyaml_gives_or_steps_aside(text):
    flat = yamlio.flat_mapping(text)
    if flat is None:
        return
    expected = yaml_reading(text)
    assert not isinstance(expected, InputError), expected
    assert flat == expected and type(flat) is type(expected)
    assert flat.line == expected.line
    assert [type(v) for v in flat.values()] == [type(v) for v in expected.values()]  # True is not "yes"


@given(st.lists(st.tuples(names, names), min_size=1, max_size=8, unique_by=lambda pair: pair[0]))
def test_a_flat_file_of_distinct_names_is_read_without_pyyaml(pairs):
    pairs = [(k, v) for k, v in pairs if k not in yamlio._BOOLEANS and k not in yamlio._NULLS]
    if not pairs:
        return
    text = "# answers\n" + "".join(f"{k}: {v}\n" for k, v in pairs)
    assert yamlio.flat_mapping(text) == parse_yaml(text, "doc")


@pytest.mark.parametrize(
    "text",
    [
        "need: process\nneed: project\n",  # the duplicate is PyYAML's to report, at its line
        "yes: process\n",  # a key PyYAML reads as True
        "need: process\n  more\n",  # a plain scalar over two lines
        "need: procéss\n",  # not ASCII
        "need: process\r\n",
        "",
        "# only a comment\n",
        "need:process\n",  # one scalar, not a mapping
        "k" * 200 + ": x\n",
    ],
)
def test_what_the_flat_reader_does_not_take(text):
    assert yamlio.flat_mapping(text) is None


def test_a_duplicate_key_is_still_refused_at_its_line():
    with pytest.raises(InputError, match="line 2: duplicate key 'need'"):
        yamlio.parse("need: process\nneed: project\n", "answers.yaml")


def test_the_examples_are_read_without_pyyaml():
    for path in sorted(EXAMPLES.glob("*.yaml")):
        text = path.read_text()
        if yamlio.flat_mapping(text) is not None:
            assert yamlio.flat_mapping(text) == parse_yaml(text, str(path))
    assert yamlio.flat_mapping((EXAMPLES / "customer-support.yaml").read_text()) is not None


def test_a_consultation_from_a_flat_answers_file_does_not_import_pyyaml(tmp_path):
    """Once the knowledge base is cached, consult --format json with a flat answers file needs no PyYAML."""
    example = str(EXAMPLES / "customer-support.yaml")
    command = (
        f"import sys, runpy; sys.argv = ['sourcing', 'consult', '--answers', {example!r}, '--no-input', '--format',"
        " 'json']\ntry: runpy.run_module('sourcing', run_name='__main__')\nexcept SystemExit: pass"
        "\nprint('yaml' in sys.modules, file=sys.stderr)"
    )
    env = {"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", command], env=env, capture_output=True, check=True)  # fills the cache
    second = subprocess.run([sys.executable, "-c", command], env=env, capture_output=True, text=True, check=True)
    assert second.stderr.strip().splitlines()[-1] == "False"
    assert '"recommendation"' in second.stdout


@pytest.mark.parametrize("note", ["", "# R&D: an ampersand sends the document through the alias bound\n"])
def test_a_document_nested_past_the_bound_is_refused_either_way(note):
    nested = "".join(f"{'  ' * level}k{level}:\n" for level in range(yamlio.MAX_DEPTH + 2))
    with pytest.raises(InputError, match=f"nesting deeper than {yamlio.MAX_DEPTH} levels"):
        yamlio.parse(note + nested + "  " * (yamlio.MAX_DEPTH + 2) + "x\n", "deep.yaml")
    shallow = "".join(f"{'  ' * level}k{level}:\n" for level in range(yamlio.MAX_DEPTH - 2))
    assert yamlio.parse(note + shallow, "shallow.yaml")["k0"] is not None


# -- the tree of an anchor-free document, built directly (yamlload._tree) -----------------------------------

SCALARS = ["x", "two words", "'quoted'", '"a\\tb"', "12", "-3", "0x1f", "1.5", "1e400", "nan", ".inf", "yes", "off"]
SCALARS += ["~", "null", "2026-12-02", "!!str 12", "!!int '7'", "!!binary aGk=", "!!python/name:os.system", "''"]
KEYS = ["a", "b", "need", "12", "'q'"] * 3 + ["yes", "null", "!!str 3", "[x]", "{k: v}", "<<"]
FLOWS = [
    "[a, 1, yes]",
    "{a: 1, b: [x]}",
    "{a: 1, a: 2}",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "[]",
    "{}",
    "{<<: {a: 1}, b: 2}",
]


@st.composite
def yaml_trees(draw, depth=0):
    """YAML text for a tree of block mappings and sequences, flow collections, tags and odd scalars."""
    kind = draw(st.sampled_from(["scalar", "scalar", "map", "seq", "flow"] if depth < 3 else ["scalar"]))
    if kind == "scalar":
        return draw(st.sampled_from(SCALARS))
    if kind == "flow":
        return draw(st.sampled_from(FLOWS))
    pad = "  " * (depth + 1)
    if kind == "seq":
        items = draw(st.lists(yaml_trees(depth + 1), min_size=1, max_size=3))
        return "".join(f"\n{pad}- " + item.replace("\n", "\n  ") for item in items)
    pairs = draw(st.lists(st.tuples(st.sampled_from(KEYS), yaml_trees(depth + 1)), min_size=1, max_size=4))
    return "".join(f"\n{pad}{key}: {value}" for key, value in pairs)


def _reading(build, text):
    """The value ``build(loader, node)`` makes of ``text`` (every type and mapping line), or the error."""
    import yaml

    from sourcing.expert import yamlload

    loader = yamlload._SafeLineLoader(text)
    loader.source = "doc"
    try:
        return _shape(build(loader, loader.get_single_node()))
    except (yaml.YAMLError, InputError) as error:
        return ("error", str(error))
    finally:
        loader.dispose()


def _shape(value):
    if isinstance(value, dict):
        return ("map", type(value), getattr(value, "line", None), [(_shape(k), _shape(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [_shape(item) for item in value])
    return (type(value), repr(value))


def _pyyaml(loader, node):
    return loader.construct_document(node)


@settings(max_examples=500)
@given(yaml_trees().map(lambda text: "root:" + text if text.startswith("\n") else text))
def test_the_direct_tree_is_what_pyyaml_constructs(text):
    from sourcing.expert import yamlload

    assert _reading(yamlload._tree, text) == _reading(_pyyaml, text)


def test_the_shipped_knowledge_and_examples_read_the_same_both_ways():
    from sourcing import knowledge
    from sourcing.expert import yamlload

    paths = sorted(Path(knowledge.__file__).parent.rglob("*.yaml")) + sorted(EXAMPLES.glob("*.yaml"))
    assert len(paths) > 10
    for path in paths:
        text = path.read_text()
        assert _reading(yamlload._tree, text) == _reading(_pyyaml, text), path


@pytest.mark.parametrize("text", ["root:\n  <<:\n    [x]: x\n", "a: &m {[x]: 1}\nb:\n  <<: *m\n"])
def test_a_merged_key_that_is_not_a_plain_value_is_refused_in_one_line(text):
    """It raised a TypeError (a traceback) once the merge key had brought it in."""
    with pytest.raises(InputError, match="a mapping key must be a plain value"):
        parse_yaml(text, "doc")


@pytest.mark.parametrize("text", ["? !!set {a}\n: 1\n", "!!map [a, b]\n", "!!map x\n", "a: !!map [[a, b]]\n"])
def test_a_key_or_a_mapping_that_cannot_be_one_is_refused_in_one_line(text):
    """A set as a key, or a !!map tag on what is not a mapping, raised TypeError or ValueError."""
    with pytest.raises(InputError, match="a mapping key must be a plain value|expected a mapping"):
        parse_yaml(text, "doc")
