"""The PyYAML side of ``sourcing.expert.yamlio``: a safe loader that keeps lines and bounds the document.

Imported only when a document needs a YAML parser (PyYAML's import is not cheap);
``yamlio.parse`` decides.
"""

from typing import Any

import yaml

from sourcing.expert import yamlio
from sourcing.expert.errors import InputError

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when it is there


class _SafeLineLoader(_BaseLoader):
    """Safe loader (libyaml when available) that records mapping lines and refuses duplicate keys."""


def _refused(message, mark):
    """The error PyYAML's constructors raise, for ``message`` at ``mark``."""
    return yaml.constructor.ConstructorError(None, None, message, mark)


_NOT_PLAIN = "a mapping key must be a plain value"


def _construct_mapping(loader, node):
    if not isinstance(node, yaml.MappingNode):  # a !!map tag on a scalar or a sequence
        raise _refused(f"expected a mapping, found a {node.id}", node.start_mark)
    seen = set()
    for key_node, _ in node.value:  # explicit keys only: merged (<<) keys may be overridden
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)  # a set is unhashable, yet 'key in seen' takes it
        except TypeError:
            raise _refused(_NOT_PLAIN, key_node.start_mark)
        if key in seen:
            raise _refused(f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    loader.flatten_mapping(node)
    mapping = yamlio.LineDict()
    mapping.line = node.start_mark.line + 1
    for key_node, value_node in node.value:  # merged keys too, which the loop above did not see
        key, value = loader.construct_object(key_node, deep=True), loader.construct_object(value_node, deep=True)
        try:
            mapping[key] = value
        except TypeError:
            raise _refused(_NOT_PLAIN, key_node.start_mark)
    return mapping


_SafeLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _number_constructor(kind):
    construct = _SafeLineLoader.yaml_constructors[f"tag:yaml.org,2002:{kind}"]

    def build(loader, node):
        value = None if len(node.value) > yamlio.MAX_NUMBER else construct(loader, node)
        problem = yamlio.number_problem(node.value, value)
        if problem:
            raise InputError(loader.source, problem, line=node.start_mark.line + 1)
        return value

    return build


for _kind in ("int", "float"):
    _SafeLineLoader.add_constructor(f"tag:yaml.org,2002:{_kind}", _number_constructor(_kind))


def _problem_text(error):
    if isinstance(error, yaml.reader.ReaderError):
        return f"character {error.character!r} at position {error.position}: {error.reason}"
    mark = getattr(error, "problem_mark", None)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    problem = getattr(error, "problem", None) or str(error)
    if "could not determine a constructor" in problem:
        problem = "YAML tags that construct objects are not allowed (" + problem.split("for the tag")[-1].strip() + ")"
    return where + problem


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text safely (see ``yamlio.parse``); raise InputError naming ``source`` on failure."""
    loader = _SafeLineLoader(text)
    loader.source = source
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "&" in text:  # an anchor: aliases may repeat what it names
            _check_nodes(node, source)
            return loader.construct_document(node)
        _check_depth(node, source)  # no anchor, so no alias: a tree, as large as its text
        if type(node) is not yaml.MappingNode:  # PyYAML builds a top-level list's items last: its errors first
            return loader.construct_document(node)
        return _tree(loader, node)
    except yaml.YAMLError as error:
        raise InputError(source, "malformed YAML/JSON: " + _problem_text(error))
    except RecursionError:
        raise InputError(source, f"nesting deeper than {yamlio.MAX_DEPTH} levels")
    finally:
        loader.dispose()


_MAP, _SEQ, _STR = (f"tag:yaml.org,2002:{kind}" for kind in ("map", "seq", "str"))


def _tree(loader, node):
    """What ``loader.construct_document(node)`` builds from a tree (no aliases), built directly: plain
    mappings, sequences and strings here, every other node (a number, true/false/null, a date, a merge
    key, a tag) by PyYAML's constructors, as before. tests/test_yamlio.py holds the two equal."""
    if _plain(node):
        return node.value
    tag = node.tag
    if tag == _SEQ and type(node) is yaml.SequenceNode:
        return [_tree(loader, child) for child in node.value]
    if tag != _MAP or type(node) is not yaml.MappingNode or not all(_plain(key) for key, _ in node.value):
        return loader.construct_object(node, deep=True)
    seen: set = set()
    for key_node, _ in node.value:  # every key before any value, as _construct_mapping does
        if key_node.value in seen:
            raise _refused(f"duplicate key {key_node.value!r}", key_node.start_mark)
        seen.add(key_node.value)
    mapping = yamlio.LineDict((key.value, _tree(loader, value)) for key, value in node.value)
    mapping.line = node.start_mark.line + 1
    return mapping


def _plain(node):
    return node.tag == _STR and type(node) is yaml.ScalarNode


def _children(node):
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_depth(root, source):
    """Bound the nesting of a composed YAML tree (a document without anchors: every node appears once)."""
    frontier, level = [root], 1
    while frontier:
        if level > yamlio.MAX_DEPTH:
            raise InputError(source, f"nesting deeper than {yamlio.MAX_DEPTH} levels")
        below = []
        for node in frontier:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    below += (key, value)
            elif isinstance(node, yaml.SequenceNode):
                below += node.value
        frontier, level = below, level + 1


def _check_nodes(root, source):
    """Bound depth and expanded size of a composed YAML node graph, without expanding it.

    Only what aliases and merge keys add counts: a node's expanded size less the
    distinct nodes seen so far (every later node adds at least itself to the root),
    so a large plain document passes and an alias bomb is stopped early.
    """
    size = {}  # id(node) -> values under it once expanded
    depth = {}  # id(node) -> nesting levels under it
    stack, on_path = [(root, False)], set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size[id(child)] for child in children)
            depth[key] = 1 + max((depth[id(child)] for child in children), default=0)
            if size[key] - len(size) > yamlio.MAX_NODES:
                raise InputError(
                    source, f"more than {yamlio.MAX_NODES:,} values once aliases are expanded (an alias bomb?)"
                )
            if depth[key] > yamlio.MAX_DEPTH:
                raise InputError(source, f"nesting deeper than {yamlio.MAX_DEPTH} levels")
            continue
        if key in size:
            continue
        if key in on_path:
            raise InputError(source, "a recursive alias (a value that contains itself)")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)
