"""Read the knowledge files and validate them into the intermediate form.

Every problem is collected (not only the first) and reported as
``FILE:LINE: RULE-ID: message`` through a KnowledgeError.
"""

import os
import re

from sourcing.expert import yamlio
from sourcing.expert.canonical import canonical, digest, text_digest
from sourcing.expert.conditions import MAX_BRANCHES, branch_count, normal_fold
from sourcing.expert.errors import InputError, KnowledgeError, Problem, shown
from sourcing.expert.kinds import KINDS, in_layer
from sourcing.expert.model import (
    BLOCKED,
    CANDIDATE,
    LAYER_KINDS,
    LAYERS,
    QUESTION_KINDS,
    UNKNOWN,
    All,
    Any,
    Assertion,
    Atom,
    KnowledgeBase,
    Model,
    ModelCatalogue,
    Not,
    Question,
    RuleSpec,
    StrengthLevel,
)
from sourcing.expert.names import did_you_mean, unknown_key, unknown_key_in
from sourcing.expert.record import replace

ATOM_KEYS = ("answer", "finding", "is", "in")
QUESTION_KEYS = {"id", "prompt", "values"}
OPTIONAL_QUESTION_KEYS = {"purpose", "examples", "kind", "order", "favours"}
RULE_KEYS = {"id", "title", "rationale", "source", "layer", "status", "when", "then", "references", "requires", "unmet"}
STRENGTH_KEYS = {"name", "min_margin", "max_open_unknowns", "max_unconfirmed", "max_warnings", "min_blockers"}
EXTENSION_KEYS = {"replaces", "disables"}
QUESTION_ID = re.compile(r"[A-Za-z0-9_-]+")
REQUIRED_RULE_KEYS = ("id", "title", "rationale", "source", "layer", "then")
STATUSES = ("stable", "test", "experimental", "deprecated")
# For each kind of assertion: the keys it takes besides its own kind key (conclusions: expert/kinds.py).
ASSERTION_KEYS = {
    "finding": ("value",),
    "evidence": ("weight",),
    "recommend": (),
    "veto": (),
    **{kind.name: (kind.detail,) for kind in KINDS},
    "score": (),
}


def default_directory():
    """The directory of the knowledge files shipped with the package (a path as text: the loader works
    with os.path, since importing pathlib costs a cold start ~4 ms)."""
    from sourcing import knowledge

    return knowledge.folder()


def _clean(path):
    """``path`` as pathlib writes it: '.' parts and repeated or trailing separators dropped, '..' kept
    (a link before it decides where it leads, as the cache's key sees it)."""
    text = os.fspath(path)
    if os.altsep:
        text = text.replace(os.altsep, os.sep)
    drive, rest = os.path.splitdrive(text)
    root = ""
    if rest.startswith(os.sep):  # POSIX keeps exactly two leading separators, as pathlib does
        root = os.sep * 2 if rest[:2] == os.sep * 2 and rest[:3] != os.sep * 3 and os.sep == "/" else os.sep
    parts = [part for part in rest.split(os.sep) if part not in ("", ".")]
    return drive + root + os.sep.join(parts) if drive or root or parts else "."


def _under(root, *names):
    return _clean(os.path.join(root, *names))


def _present(path):
    """True unless ``path`` is missing; a file that cannot be looked at is there (reading it says why)."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        pass  # there, but it cannot be looked at
    return True


def load(directory=None, extensions=()):
    """Load and validate a knowledge base: ``directory`` (default: the shipped one) plus extensions.

    An extension directory may hold ``questions.yaml`` (new questions),
    ``rules/*.yaml`` (new rules, or rules that ``replaces:`` or ``disables:`` a
    rule of the base) and ``scenarios/*.yaml``.
    """
    directory = _clean(directory or default_directory())
    extensions = tuple(_clean(e) for e in extensions)
    problems = []
    reader = _Reader(problems)
    for root in (directory, *extensions):
        if not os.path.isdir(root):
            problems.append(Problem(root, None, None, "is not a knowledge directory"))
    if problems:
        raise KnowledgeError(problems)
    questions = reader.questions(directory, {})
    for root in extensions:
        if _present(_under(root, "questions.yaml")):
            reader.questions(root, questions)
    models = reader.models(directory)
    shipped = list(reader.rule_entries(directory))
    added = [item for root in extensions for item in reader.rule_entries(root)]
    rules = _RuleBuilder(questions, models, problems).build(shipped, added)
    if problems:
        raise KnowledgeError(sorted(problems, key=lambda p: (p.file, p.line or 0)))
    fingerprint = digest(
        {"questions": reader.raw["questions"], "models": reader.raw["models"], "rules": [rule.digest for rule in rules]}
    )
    return KnowledgeBase(
        **vars(models),
        questions=tuple(questions.values()),
        rules=rules,
        fingerprint=fingerprint,
        sources=(directory, *extensions),
    )


class _Reader:
    """Reads the questions, models and rule files, noting structural problems."""

    def __init__(self, problems):
        self.problems = problems
        self.raw = {"questions": [], "models": None}  # parsed documents, for the fingerprint

    @staticmethod
    def _name(path, root):
        """``path`` (under ``root``) as shown in messages: relative to the folder holding ``root``."""
        parent = os.path.dirname(root)
        try:
            return os.path.relpath(path, parent) if parent else path
        except ValueError:  # another drive
            return path

    def _document(self, path, root, top_key):
        name = self._name(path, root)
        try:
            document = yamlio.read_file(path, name, root)
        except InputError as error:
            self.problems.append(Problem(name, error.line, None, error.message))
            return []
        if not isinstance(document, dict) or not isinstance(document.get(top_key), list):
            self.problems.append(Problem(name, 1, None, f"expected a mapping with a '{top_key}' list"))
            return []
        return document[top_key]

    def _note(self, name, node, rule_id, message):
        self.problems.append(Problem(name, getattr(node, "line", None), rule_id, message))

    def questions(self, root, result):
        """Add the questions of ``root``/questions.yaml to ``result`` ({id: Question}); return it."""
        path = _under(root, "questions.yaml")
        name = self._name(path, root)
        entries = self._document(path, root, "questions")
        self.raw["questions"] += entries
        for entry in entries:
            problem = _question_problem(entry)
            if problem:
                self._note(name, entry, entry.get("id") if isinstance(entry, dict) else None, problem)
                continue
            values = tuple(str(_yaml_word(v)) for v in entry["values"])
            if UNKNOWN in values:
                self._note(name, entry, entry["id"], "'unknown' is implicit; do not declare it")
            if entry["id"] in result:
                self._note(name, entry, entry["id"], "duplicate question id")
                continue
            order = tuple(str(_yaml_word(v)) for v in entry.get("order") or ())
            if order and sorted(order) != sorted(values):
                self._note(name, entry, entry["id"], f"'order' lists every value once, best first: {', '.join(values)}")
                continue
            result[entry["id"]] = Question(
                id=entry["id"],
                prompt=str(entry["prompt"]),
                values=values,
                help=tuple((str(_yaml_word(k)), str(v)) for k, v in entry["values"].items()),
                kind=entry.get("kind", "fit"),
                order=order,
                favours=entry.get("favours"),
                file=name,
                line=entry.line or 0,
                purpose=" ".join(entry.get("purpose", "").split()),
                examples=tuple((str(_yaml_word(k)), " ".join(v.split())) for k, v in entry.get("examples", {}).items()),
            )
        return result

    def models(self, root: str) -> ModelCatalogue:
        """The catalogue of ``root``/models.yaml (an empty one, with the problem noted, if it is bad)."""
        path = _under(root, "models.yaml")
        name = self._name(path, root)
        try:
            self.raw["models"] = document = yamlio.read_file(path, name, root)
            return _models_from(document)
        except InputError as error:
            self.problems.append(Problem(name, error.line, None, error.message))
        except ValueError as error:
            self.problems.append(Problem(name, getattr(error, "line", None), None, str(error)))
        return ModelCatalogue((), Model("stabilize_first", "", ""), Model("undetermined", "", ""), (), (), (), "weak")

    def rule_entries(self, root):
        """(file name, raw entry) for every rule of ``root``/rules/*.yaml, in file order."""
        folder = _under(root, "rules")
        try:
            names = sorted(name for name in os.listdir(folder) if name.endswith(".yaml"))
        except (FileNotFoundError, NotADirectoryError):  # no rules folder: no rules
            names = []
        except OSError as error:  # one that cannot be read is a problem, not an empty folder
            self.problems.append(Problem(self._name(folder, root), None, None, f"cannot be read: {error.strerror}"))
            names = []
        for path in (_under(folder, name) for name in names):
            for entry in self._document(path, root, "rules"):
                yield self._name(path, root), entry


def _mapping(value, keys, what):
    """``value`` if it is a mapping with exactly ``keys``; ValueError otherwise."""
    if not isinstance(value, dict) or set(value) != set(keys):
        raise ValueError(f"{unknown_key_in(value, keys)}{what} is a mapping of exactly: {', '.join(keys)}")
    return value


def _word(value, what):
    if not isinstance(value, str) or not QUESTION_ID.fullmatch(value):
        raise ValueError(f"{what} must be a word of letters, digits, '_' or '-'")
    return value


def _model(entry, what):
    entry = _mapping(entry, ("id", "label", "summary"), what)
    if not all(isinstance(entry[k], str) for k in ("label", "summary")):
        raise ValueError(f"{what}: label and summary must be text")
    return Model(_word(entry["id"], f"{what} id"), entry["label"], entry["summary"])


def _models_from(document) -> ModelCatalogue:
    """The ModelCatalogue of the parsed models.yaml (ValueError if bad)."""
    document = _mapping(document, ("models", "fallback", "undetermined", "responsibility", "strength"), "models.yaml")
    if not isinstance(document["models"], list) or len(document["models"]) < 2:
        raise ValueError("'models' lists at least two models (the scoring ranks a leader and a second)")
    scored = tuple(_model(m, "a model") for m in document["models"])
    fallback = _model(document["fallback"], "'fallback'")
    undetermined = _model(document["undetermined"], "'undetermined'")
    if len({m.id for m in scored + (fallback, undetermined)}) != len(scored) + 2:
        raise ValueError("model ids must be unique")
    responsibility = _mapping(document["responsibility"], ("areas", "owners"), "'responsibility'")
    areas, owners = responsibility["areas"], responsibility["owners"]
    if not isinstance(areas, dict) or not areas or not all(isinstance(v, str) for v in areas.values()):
        raise ValueError("'responsibility: areas' maps each area to its label")
    if not isinstance(owners, list) or not owners:
        raise ValueError("'responsibility: owners' lists the owners")
    strength = _mapping(document["strength"], ("levels", "otherwise"), "'strength'")
    levels = []
    for level in strength["levels"] if isinstance(strength["levels"], list) else [None]:
        level = _mapping(level, sorted(STRENGTH_KEYS), "a strength level")
        margin = level["min_margin"]
        if isinstance(margin, bool) or not isinstance(margin, (int, float)) or margin != margin:
            raise ValueError("a strength level's min_margin must be a number")
        counts = {key: level[key] for key in sorted(STRENGTH_KEYS - {"name", "min_margin"})}
        for key, count in counts.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"a strength level's {key} must be a whole number")
        levels.append(StrengthLevel(_word(level["name"], "a strength level name"), float(margin), **counts))
    return ModelCatalogue(
        scored,
        fallback,
        undetermined,
        tuple((_word(k, "an area"), v) for k, v in areas.items()),
        tuple(_word(o, "an owner") for o in owners),
        tuple(levels),
        _word(strength["otherwise"], "'strength: otherwise'"),
    )


def _question_problem(entry):
    """What is wrong with a question entry, or None."""
    if not isinstance(entry, dict) or not QUESTION_KEYS <= set(entry):
        return "a question has id, prompt and values (a mapping of each value to a help line)"
    for key in entry:
        if key not in QUESTION_KEYS | OPTIONAL_QUESTION_KEYS:
            allowed = sorted(QUESTION_KEYS | OPTIONAL_QUESTION_KEYS)
            return f"{unknown_key(key, allowed)}; allowed: {', '.join(allowed)}"
    if entry.get("kind", "fit") not in QUESTION_KINDS:
        return f"'kind' must be one of: {', '.join(QUESTION_KINDS)}"
    if "order" in entry and not isinstance(entry["order"], list):
        return "'order' lists the values, best first"
    if "favours" in entry and ("order" not in entry or not isinstance(entry["favours"], str)):
        return "'favours' names the model that a fit question's earlier values (its 'order') favour"
    if not isinstance(entry["id"], str) or not QUESTION_ID.fullmatch(entry["id"]):
        return "a question id is a word of letters, digits, '_' or '-'"
    if not isinstance(entry["prompt"], str) or not entry["prompt"].strip():
        return "'prompt' must be text"
    values = entry["values"]
    if not isinstance(values, dict) or not values:
        return "'values' maps each value to a one-line help text"
    for value, help_line in values.items():
        word = _yaml_word(value)
        if not isinstance(word, str) or not word.strip() or not word.isprintable() or "=" in word:
            return f"value {shown(word)} must be printable text without '='"
        if not isinstance(help_line, str):
            return f"the help line of value {shown(word)} must be text"
    if "purpose" in entry and (not isinstance(entry["purpose"], str) or not entry["purpose"].strip()):
        return "'purpose' must be text"
    examples = entry.get("examples", {})
    if not isinstance(examples, dict):
        return "'examples' maps values to an example of each"
    declared = [str(_yaml_word(v)) for v in values]
    for value, example in examples.items():
        word = str(_yaml_word(value))
        if word not in declared:
            return f"'examples' names {shown(word)!r}, not a value{did_you_mean(word, declared)}"
        if not isinstance(example, str) or not example.strip():
            return f"the example of value {shown(word)} must be text"
    return None


class _RuleBuilder:
    """Validates raw rule entries against the catalogue and each other, then builds RuleSpecs."""

    def __init__(self, questions, models, problems):
        self.questions = questions
        self.model_ids = tuple(m.id for m in models.models)
        self.recommendable = self.model_ids + (models.fallback.id, models.undetermined.id)
        self.areas = tuple(a for a, _ in models.areas)
        self.owners = models.owners
        self.problems = problems
        self.unchecked = []  # rules refused for other reasons whose conditions are still checked

    def build(self, shipped, added=()):
        """RuleSpecs from the base's (file, entry) pairs, then the extensions' in order.

        An extension rule with ``replaces: ID`` takes the place of rule ID; one with
        ``disables: ID`` (or a list) removes it; any other reuse of an id is an error.
        """
        rules = {}  # id -> RuleSpec, in firing position order
        for file, entry in shipped:
            rule = self._parse(file, entry, extension=False)
            if rule is not None and self._unique(rules, rule.id, file, entry, extension=False):
                rules[rule.id] = rule
        for file, entry in added:
            self._extend(rules, file, entry)
        parsed = [replace(rule, position=position) for position, rule in enumerate(rules.values())]
        asserted = self._asserted_findings(parsed)
        for rule in parsed + self.unchecked:
            if rule.when is not None:
                self._check_condition(rule, rule.when, asserted)
                if branch_count(rule.when) > MAX_BRANCHES:
                    self._note(
                        rule.file,
                        rule,
                        rule.id,
                        f"the condition expands to {branch_count(rule.when):,} "
                        f"alternatives; at most {MAX_BRANCHES} are allowed",
                    )
        return tuple(parsed)

    def _note(self, file, node, rule_id, message):
        self.problems.append(Problem(file, getattr(node, "line", None), rule_id, message))

    def _unique(self, rules, rule_id, file, entry, extension=True):
        """True when ``rule_id`` is new; otherwise note the duplicate and return False."""
        if rule_id not in rules:
            return True
        first = rules[rule_id]
        hint = f"; to change it, say 'replaces: {rule_id}' or 'disables: {rule_id}'" if extension else ""
        self._note(file, entry, rule_id, f"duplicate rule id (first defined at {first.file}:{first.line}){hint}")
        return False

    def _targets(self, rules, file, entry, key):
        """The existing rule ids named by ``entry[key]`` (text or a list); problems noted for the others."""
        named = entry.get(key)
        named = [named] if isinstance(named, str) else named
        if not isinstance(named, list) or not named or not all(isinstance(n, str) for n in named):
            self._note(file, entry, entry.get("id"), f"'{key}' takes a rule id or a list of rule ids")
            return []
        missing = [n for n in named if n not in rules]
        for name in missing:
            self._note(file, entry, entry.get("id"), f"'{key}: {name}' names no rule defined before this one")
        return [n for n in named if n in rules]

    def _extend(self, rules, file, entry):
        """Apply one extension entry: a new rule, a replacement, and/or disabled rules."""
        if isinstance(entry, dict) and "disables" in entry and "then" not in entry and "layer" not in entry:
            self._disable_only(rules, file, entry)
            return
        rule = self._parse(file, entry, extension=True)
        if not isinstance(entry, dict):
            return
        disabled = self._targets(rules, file, entry, "disables") if "disables" in entry else []
        target = entry.get("replaces")
        if target is not None and (not isinstance(target, str) or target not in rules):
            self._note(file, entry, entry.get("id"), f"'replaces: {target}' names no rule defined before this one")
            target = None
        if rule is None:
            if target is None and isinstance(entry.get("id"), str):
                self._unique(rules, entry["id"], file, entry)  # a reused id is reported even on a broken rule
            return
        if target is not None:
            if rule.id != target and not self._unique(rules, rule.id, file, entry):
                return
            rebuilt = {(rule.id if k == target else k): (rule if k == target else v) for k, v in rules.items()}
            rules.clear()
            rules.update(rebuilt)
        elif self._unique(rules, rule.id, file, entry):
            rules[rule.id] = rule
        for rule_id in disabled:
            rules.pop(rule_id, None)

    def _disable_only(self, rules, file, entry):
        rule_id = entry.get("id")
        allowed = {"id", "title", "rationale", "source", "references", "status", "disables"}
        for key in sorted(set(map(str, entry)) - allowed):
            self._note(
                file,
                entry,
                rule_id,
                f"{unknown_key(key, allowed)} in a disabling entry; allowed: {', '.join(sorted(allowed))}",
            )
        for key in ("id", "title", "rationale", "source"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                self._note(file, entry, rule_id, f"missing '{key}' (a disabling entry says who and why)")
        for target in self._targets(rules, file, entry, "disables"):
            del rules[target]

    def _parse(self, file, entry, extension):
        if not isinstance(entry, dict):
            self._note(file, entry, None, "a rule must be a mapping")
            return None
        rule_id = entry.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            self._note(file, entry, None, "a rule needs an 'id' (text)")
            return None
        ok = True
        allowed = RULE_KEYS | (EXTENSION_KEYS if extension else set())
        for key in sorted(set(map(str, entry)) - allowed):
            named = (
                f"unknown key '{key}' (only in an extension directory, --kb DIR)"
                if key in EXTENSION_KEYS
                else unknown_key(key, allowed)
            )
            self._note(file, entry, rule_id, f"{named}; allowed: {', '.join(sorted(allowed))}")
            ok = False
        requirement = "requires" in entry or "unmet" in entry
        for key in (
            REQUIRED_RULE_KEYS
            if not requirement
            else ("id", "title", "rationale", "source", "layer", "requires", "unmet")
        ):
            if key not in entry or entry[key] in (None, "", []):
                self._note(file, entry, rule_id, f"missing '{key}'")
                ok = False
        for key in ("title", "rationale", "source"):
            if key in entry and not isinstance(entry[key], str):
                self._note(file, entry, rule_id, f"'{key}' must be text")
                ok = False
        layer = entry.get("layer")
        if layer not in LAYERS:
            self._note(file, entry, rule_id, f"layer {layer!r} is not allowed; allowed: {', '.join(LAYERS)}")
            return None
        status = entry.get("status", "stable")
        if status not in STATUSES:
            self._note(file, entry, rule_id, f"status {status!r} is not allowed; allowed: {', '.join(STATUSES)}")
            ok = False
        self._context = (file, entry, rule_id)
        if requirement:
            when, then, requires, unmet = self._requirement(entry, layer)
            ok = ok and unmet is not None
        else:
            when = self._condition(entry["when"]) if entry.get("when") is not None else None
            if layer == "scoring" and entry.get("when") is not None:  # the foresight counts on it firing
                self._bad(entry, "the scoring layer always ranks the models: no 'when'")
                ok = False
            then = self._assertions(entry.get("then"), layer)
            requires = unmet = None
        if not ok or then is None or (entry.get("when") is not None and when is None):
            if when is not None:  # still check its condition against the catalogue: every problem at once
                self.unchecked.append(
                    RuleSpec(
                        id=rule_id,
                        title="",
                        rationale="",
                        source="",
                        layer=layer,
                        status=status,
                        when=when,
                        then=(),
                        position=0,
                        file=file,
                        line=entry.line or 0,
                    )
                )
            return None
        references = entry.get("references") or ()
        content = canonical(entry)
        return RuleSpec(
            id=rule_id,
            title=entry["title"].strip(),
            rationale=" ".join(entry["rationale"].split()),
            source=entry["source"].strip(),
            layer=layer,
            status=status,
            when=when,
            then=then,
            position=0,
            file=file,
            line=entry.line or 0,
            references=tuple(str(r) for r in references),
            requires=requires,
            unmet=unmet,
            content=content,
            digest=text_digest(content),
        )

    def _requirement(self, entry, layer):
        """(when, then, model, unmet) of a requirements rule: it fires when ``requires`` names a candidate
        and the ``unmet`` condition holds, and asserts that candidate blocked (plus its optional gaps)."""
        model = str(_yaml_word(entry.get("requires")))
        if layer != "requirements" or "when" in entry:
            self._bad(entry, "'requires' and 'unmet' make a requirements rule: layer requirements, no 'when'")
            return None, None, None, None
        if model not in self.model_ids:
            self._bad(entry, f"'requires: {model}' is not a model; allowed: {', '.join(self.model_ids)}")
            return None, None, None, None
        unmet = self._condition(entry["unmet"]) if entry.get("unmet") is not None else None
        gaps = self._assertions(entry["then"], layer) if "then" in entry else ()
        if unmet is None or gaps is None:
            return None, None, None, None
        if any(a.kind not in in_layer(layer) for a in gaps):
            self._bad(entry["then"], f"a requirements rule's 'then' may only assert {', '.join(in_layer(layer))}")
            return None, None, None, None
        line = getattr(entry, "line", None) or 0
        when = All((Atom("finding", CANDIDATE, (model,), line), unmet))
        return when, (Assertion("finding", BLOCKED, model),) + gaps, model, unmet

    # -- conditions -------------------------------------------------------

    def _bad(self, node, message):
        file, entry, rule_id = self._context
        self._note(file, node if getattr(node, "line", None) else entry, rule_id, message)
        return None

    def _condition(self, node):
        if isinstance(node, list):
            node = {"all": node}
        if not isinstance(node, dict) or len(node) == 0:
            return self._bad(node, "a condition must be a mapping")
        if "all" in node or "any" in node:
            key = "all" if "all" in node else "any"
            if len(node) != 1 or not isinstance(node[key], list) or not node[key]:
                return self._bad(node, f"'{key}' takes a non-empty list of conditions and nothing else")
            items = [self._condition(item) for item in node[key]]
            if any(item is None for item in items):
                return None
            return (All if key == "all" else Any)(tuple(items))
        if "not" in node:
            if len(node) != 1:
                return self._bad(node, "'not' takes one condition and nothing else")
            item = self._condition(node["not"])
            return Not(item) if item is not None else None
        return self._atom(node)

    def _atom(self, node):
        kinds = [k for k in ("answer", "finding") if k in node]
        extra = set(node) - set(ATOM_KEYS)
        if len(kinds) != 1 or extra or ("is" in node and "in" in node):
            return self._bad(
                node,
                f"{unknown_key_in(node, ATOM_KEYS)}a test is {{answer|finding: NAME}} with "
                "'is: VALUE' or 'in: [VALUES]', or all/any/not of tests",
            )
        kind = kinds[0]
        if "is" in node:
            values = (str(_yaml_word(node["is"])),)
        elif "in" in node:
            if not isinstance(node["in"], list) or not node["in"]:
                return self._bad(node, "'in' takes a non-empty list of values")
            values = tuple(str(_yaml_word(v)) for v in node["in"])
        elif kind == "finding":
            values = None
        else:
            return self._bad(node, "an answer test needs 'is' or 'in'")
        return Atom(kind, str(node[kind]), values, line=getattr(node, "line", None) or 0)

    def _check_condition(self, rule, condition, asserted):
        """Note every test of ``condition`` that the catalogue or the layers do not allow."""

        def ignore(parts):
            return None

        normal_fold(
            condition, lambda atom, positive: self._check_atom(rule, atom, asserted, not positive), ignore, ignore, None
        )

    def _check_atom(self, rule, atom, asserted, negated):
        def note(message):
            self.problems.append(Problem(rule.file, atom.line or rule.line, rule.id, message))

        if atom.kind == "answer":
            question = self.questions.get(atom.name)
            if question is None:
                return note(f"condition on unknown question '{atom.name}'; allowed: {', '.join(self.questions)}")
            for value in atom.values:
                if value not in question.choices:
                    note(f"question '{atom.name}' has no value '{value}'; allowed: {', '.join(question.choices)}")
            return None
        if atom.name not in asserted:
            return note(f"condition on finding '{atom.name}' that no rule asserts")
        layers_by_value = asserted[atom.name]
        for value in atom.values or ():
            if value not in layers_by_value:
                note(
                    f"finding '{atom.name}' is never asserted with value '{value}'; "
                    f"asserted values: {', '.join(sorted(layers_by_value))}"
                )
        own = LAYERS.index(rule.layer)
        for value in atom.values or tuple(layers_by_value):
            for layer in layers_by_value.get(value, ()):
                index = LAYERS.index(layer)
                if index > own or (negated and index == own):
                    relation = "a later" if index > own else "the same"
                    note(
                        f"{'negated ' if negated else ''}test of finding '{atom.name}' = '{value}' which is asserted "
                        f"in {relation} layer ({layer}); a rule may only test findings of earlier layers"
                        f"{'' if negated else ' or its own'}"
                    )

    # -- assertions -------------------------------------------------------

    def _assertions(self, node, layer):
        if not isinstance(node, list) or not node:
            return self._bad(node, "'then' takes a non-empty list of assertions")
        result = []
        for item in node:
            assertion = self._assertion(item, layer)
            if assertion is None:
                return None
            result.append(assertion)
        return tuple(result)

    def _assertion(self, item, layer):
        kinds = [k for k in ASSERTION_KEYS if isinstance(item, dict) and k in item]
        if len(kinds) != 1:
            other_keys = {key for keys in ASSERTION_KEYS.values() for key in keys}
            named = unknown_key_in(item, {*ASSERTION_KEYS, *other_keys}) if not kinds else ""
            return self._bad(item, f"{named}an assertion names exactly one kind; allowed: {', '.join(ASSERTION_KEYS)}")
        kind = kinds[0]
        allowed_keys = {kind, *ASSERTION_KEYS[kind]}
        if set(item) != allowed_keys:
            return self._bad(
                item, f"{unknown_key_in(item, allowed_keys)}'{kind}' takes the keys {', '.join(sorted(allowed_keys))}"
            )
        if kind not in LAYER_KINDS[layer]:
            allowed = ", ".join(LAYER_KINDS[layer])
            return self._bad(item, f"the {layer} layer cannot assert '{kind}'; allowed: {allowed}")
        name = str(_yaml_word(item[kind]))
        named = {"model": (self.recommendable, "model"), "area": (self.areas, "responsibility area")}
        checks = {
            "evidence": (self.model_ids, "model"),
            "veto": (self.model_ids, "model"),
            "recommend": (self.recommendable, "model"),
            **{k.name: named[k.names] for k in KINDS if k.names},
        }
        if kind in checks:
            allowed, what = checks[kind]
            if name not in allowed:
                return self._bad(item, f"'{name}' is not a {what}; allowed: {', '.join(allowed)}")
        if "owner" in allowed_keys and item["owner"] not in self.owners:
            return self._bad(item, f"owner '{item['owner']}' is not allowed; allowed: {', '.join(self.owners)}")
        weight = item.get("weight")
        if kind == "evidence" and (isinstance(weight, bool) or not isinstance(weight, (int, float))):
            return self._bad(item, f"weight {weight!r} is not a number")
        text = item.get("text")
        if "text" in allowed_keys and (not isinstance(text, str) or not text.strip()):
            return self._bad(item, "'text' must be non-empty text")
        value = item.get("value", item.get("owner"))
        return Assertion(
            kind=kind,
            name=name,
            value=None if value is None else str(_yaml_word(value)),
            weight=weight,
            text=" ".join(text.split()) if text else None,
        )

    def _asserted_findings(self, rules):
        """{finding name: {value: [layers that assert it]}}, built-in findings included."""
        asserted = {}

        def add(name, value, layer):
            asserted.setdefault(name, {}).setdefault(value, []).append(layer)

        for rule in rules:
            for name, value in rule.asserted_findings(self.model_ids):
                add(name, value, rule.layer)
        return asserted


def _yaml_word(value):
    """YAML 1.1 reads yes/no as booleans; knowledge files mean the words."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value
