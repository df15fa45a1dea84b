"""Read the knowledge files and validate them into the intermediate form.

Every problem is collected (not only the first) and reported as
``FILE:LINE: RULE-ID: message`` through a KnowledgeError.
"""
from pathlib import Path

from expert import yamlio
from expert.canonical import canonical, digest
from expert.errors import InputError, KnowledgeError, Problem
from expert.model import (
    CONTENDER, LAYER_KINDS, LAYERS, LEADING, RECOMMENDED, SECOND, UNKNOWN,
    All, Any, Assertion, Atom, KnowledgeBase, Model, Not, Question, RuleSpec, StrengthLevel,
)

RULE_KEYS = {"id", "title", "rationale", "source", "layer", "status", "when", "then", "references"}
REQUIRED_RULE_KEYS = ("id", "title", "rationale", "source", "layer", "then")
STATUSES = ("stable", "test", "experimental", "deprecated")
# For each kind of assertion: the keys it takes besides its own kind key.
ASSERTION_KEYS = {
    "finding": ("value",),
    "evidence": ("weight",),
    "recommend": (),
    "warning": ("text",),
    "gap": ("text",),
    "pricing": ("text",),
    "responsibility": ("owner",),
    "note": ("text",),
    "score": (),
}


def default_directory():
    """The directory of the knowledge files shipped with the package."""
    import knowledge
    return knowledge.directory()


def load(directory=None):
    """Load and validate the knowledge base in ``directory`` (default: the shipped one)."""
    directory = Path(directory or default_directory())
    problems = []
    reader = _Reader(directory, problems)
    questions = reader.questions(directory / "questions.yaml")
    models = reader.models(directory / "models.yaml")
    rule_files = sorted((directory / "rules").glob("*.yaml"))
    raw_rules = [item for path in rule_files for item in reader.rule_entries(path)]
    rules = _RuleBuilder(questions, models, problems).build(raw_rules)
    if problems:
        raise KnowledgeError(problems)
    scored, fallback, areas, owners, strength, weakest = models
    fingerprint = digest({"questions": reader.raw["questions"], "models": reader.raw["models"],
                          "rules": [rule.digest for rule in rules]})
    return KnowledgeBase(
        questions=tuple(questions.values()), models=scored, fallback=fallback, areas=areas,
        owners=owners, strength=strength, weakest=weakest, rules=rules, fingerprint=fingerprint,
    )


class _Reader:
    """Reads the questions, models and rule files, noting structural problems."""

    def __init__(self, directory, problems):
        self.directory = directory
        self.problems = problems
        self.raw = {"questions": None, "models": None}  # parsed documents, for the fingerprint

    def _name(self, path):
        try:
            return str(path.relative_to(self.directory.parent))
        except ValueError:
            return str(path)

    def _document(self, path, top_key):
        try:
            document = yamlio.read_file(path, self._name(path))
        except InputError as error:
            self.problems.append(Problem(self._name(path), None, None, error.message))
            return []
        if not isinstance(document, dict) or not isinstance(document.get(top_key), list):
            self.problems.append(Problem(self._name(path), 1, None, f"expected a mapping with a '{top_key}' list"))
            return []
        return document[top_key]

    def _note(self, path, node, rule_id, message):
        self.problems.append(Problem(self._name(path), getattr(node, "line", None), rule_id, message))

    def questions(self, path):
        result = {}
        self.raw["questions"] = entries = self._document(path, "questions")
        for entry in entries:
            if not _has(entry, ("id", "prompt", "values")) or not isinstance(entry["values"], dict):
                self._note(path, entry, None, "a question needs id, prompt and a mapping of values to help lines")
                continue
            values = tuple(str(_yaml_word(v)) for v in entry["values"])
            if UNKNOWN in values:
                self._note(path, entry, entry["id"], "'unknown' is implicit; do not declare it")
            if entry["id"] in result:
                self._note(path, entry, entry["id"], "duplicate question id")
            result[entry["id"]] = Question(
                id=entry["id"], prompt=str(entry["prompt"]), values=values,
                help=tuple((str(_yaml_word(k)), str(v)) for k, v in entry["values"].items()),
            )
        return result

    def models(self, path):
        try:
            self.raw["models"] = document = yamlio.read_file(path, self._name(path))
            scored = tuple(Model(m["id"], m["label"], m["summary"]) for m in document["models"])
            fb = document["fallback"]
            fallback = Model(fb["id"], fb["label"], fb["summary"])
            areas = tuple((str(k), str(v)) for k, v in document["responsibility"]["areas"].items())
            owners = tuple(document["responsibility"]["owners"])
            strength = tuple(
                StrengthLevel(s["name"], float(s["min_margin"]), int(s["max_open_unknowns"]))
                for s in document["strength"]["levels"]
            )
            weakest = str(document["strength"]["otherwise"])
        except InputError as error:
            self.problems.append(Problem(self._name(path), None, None, error.message))
        except (KeyError, TypeError, ValueError) as error:
            self.problems.append(Problem(self._name(path), None, None, f"malformed models file ({error})"))
        else:
            return scored, fallback, areas, owners, strength, weakest
        return (), Model("stabilize_first", "", ""), (), (), (), "weak"

    def rule_entries(self, path):
        for entry in self._document(path, "rules"):
            yield self._name(path), entry


def _has(entry, keys):
    return isinstance(entry, dict) and all(k in entry for k in keys)


class _RuleBuilder:
    """Validates raw rule entries against the catalogue and each other, then builds RuleSpecs."""

    def __init__(self, questions, models, problems):
        self.questions = questions
        scored, fallback, areas, owners, _, _ = models
        self.model_ids = tuple(m.id for m in scored)
        self.recommendable = self.model_ids + (fallback.id,)
        self.areas = tuple(a for a, _ in areas)
        self.owners = owners
        self.problems = problems

    def build(self, raw_rules):
        parsed = []
        seen = {}
        for position, (file, entry) in enumerate(raw_rules):
            rule = self._parse(file, entry, position)
            if rule is None:
                continue
            if rule.id in seen:
                self._note(file, entry, rule.id, f"duplicate rule id (first defined at {seen[rule.id]})")
                continue
            seen[rule.id] = f"{file}:{rule.line}"
            parsed.append(rule)
        asserted = self._asserted_findings(parsed)
        for rule in parsed:
            if rule.when is not None:
                self._check_condition(rule, rule.when, asserted, negated=False)
        return tuple(parsed)

    def _note(self, file, node, rule_id, message):
        self.problems.append(Problem(file, getattr(node, "line", None), rule_id, message))

    def _parse(self, file, entry, position):
        if not isinstance(entry, dict):
            self._note(file, entry, None, "a rule must be a mapping")
            return None
        rule_id = entry.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            self._note(file, entry, None, "a rule needs an 'id' (text)")
            return None
        ok = True
        for key in sorted(set(map(str, entry)) - RULE_KEYS):
            self._note(file, entry, rule_id, f"unknown key '{key}'; allowed: {', '.join(sorted(RULE_KEYS))}")
            ok = False
        for key in REQUIRED_RULE_KEYS:
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
        when = self._condition(entry["when"]) if entry.get("when") is not None else None
        then = self._assertions(entry.get("then"), layer)
        if not ok or then is None or (entry.get("when") is not None and when is None):
            return None
        references = entry.get("references") or ()
        return RuleSpec(
            id=rule_id, title=entry["title"].strip(), rationale=" ".join(entry["rationale"].split()),
            source=entry["source"].strip(), layer=layer, status=status, when=when, then=then,
            position=position, file=file, line=entry.line or 0,
            references=tuple(str(r) for r in references), content=canonical(entry), digest=digest(entry),
        )

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
        extra = set(node) - {"answer", "finding", "is", "in"}
        if len(kinds) != 1 or extra or ("is" in node and "in" in node):
            return self._bad(node, "a test is {answer|finding: NAME} with 'is: VALUE' or 'in: [VALUES]', "
                                   "or all/any/not of tests")
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

    def _check_condition(self, rule, condition, asserted, negated):
        if isinstance(condition, (All, Any)):
            for item in condition.items:
                self._check_condition(rule, item, asserted, negated)
        elif isinstance(condition, Not):
            self._check_condition(rule, condition.item, asserted, not negated)
        else:
            self._check_atom(rule, condition, asserted, negated)

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
                note(f"finding '{atom.name}' is never asserted with value '{value}'; "
                     f"asserted values: {', '.join(sorted(layers_by_value))}")
        own = LAYERS.index(rule.layer)
        for value in atom.values or tuple(layers_by_value):
            for layer in layers_by_value.get(value, ()):
                index = LAYERS.index(layer)
                if index > own or (negated and index == own):
                    relation = "a later" if index > own else "the same"
                    note(f"{'negated ' if negated else ''}test of finding '{atom.name}' = '{value}' which is asserted "
                         f"in {relation} layer ({layer}); a rule may only test findings of earlier layers"
                         f"{'' if negated else ' or its own'}")

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
            return self._bad(item, f"an assertion names exactly one kind; allowed: {', '.join(ASSERTION_KEYS)}")
        kind = kinds[0]
        allowed_keys = {kind, *ASSERTION_KEYS[kind]}
        if set(item) != allowed_keys:
            return self._bad(item, f"'{kind}' takes the keys {', '.join(sorted(allowed_keys))}")
        if kind not in LAYER_KINDS[layer]:
            allowed = ", ".join(LAYER_KINDS[layer])
            return self._bad(item, f"the {layer} layer cannot assert '{kind}'; allowed: {allowed}")
        name = str(_yaml_word(item[kind]))
        checks = {
            "evidence": (name, self.model_ids, "model"),
            "recommend": (name, self.recommendable, "model"),
            "warning": (name, self.recommendable, "model"),
            "responsibility": (name, self.areas, "responsibility area"),
        }
        if kind in checks:
            value, allowed, what = checks[kind]
            if value not in allowed:
                return self._bad(item, f"'{value}' is not a {what}; allowed: {', '.join(allowed)}")
        if kind == "responsibility" and item["owner"] not in self.owners:
            return self._bad(item, f"owner '{item['owner']}' is not allowed; allowed: {', '.join(self.owners)}")
        weight = item.get("weight")
        if kind == "evidence" and (isinstance(weight, bool) or not isinstance(weight, (int, float))):
            return self._bad(item, f"weight {weight!r} is not a number")
        text = item.get("text")
        if "text" in allowed_keys and (not isinstance(text, str) or not text.strip()):
            return self._bad(item, "'text' must be non-empty text")
        value = item.get("value", item.get("owner"))
        return Assertion(kind=kind, name=name, value=None if value is None else str(_yaml_word(value)),
                         weight=weight, text=" ".join(text.split()) if text else None)

    def _asserted_findings(self, rules):
        """{finding name: {value: [layers that assert it]}}, built-in findings included."""
        asserted = {}

        def add(name, value, layer):
            asserted.setdefault(name, {}).setdefault(value, []).append(layer)

        for rule in rules:
            for a in rule.then:
                if a.kind == "finding":
                    add(a.name, a.value, rule.layer)
                elif a.kind == "recommend":
                    add(RECOMMENDED, a.name, rule.layer)
                elif a.kind == "score":
                    for name in (LEADING, SECOND, CONTENDER):
                        for model in self.model_ids:
                            add(name, model, rule.layer)
        return asserted


def _yaml_word(value):
    """YAML 1.1 reads yes/no as booleans; knowledge files mean the words."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value
