"""Audit records: a consultation written down so that it can be checked, explained and replayed.

A record holds the answers, the knowledge-base fingerprint, every fired rule
(id, content digest, title, content), the full justification graph (facts and
the firings that asserted them, from which facts) and the conclusions, sealed
by an integrity digest. ``read`` refuses a record that is malformed, of an
unknown schema, altered after writing, or whose justifications do not hold.
See docs/audit-record.md.
"""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict

from expert import yamlio
from expert.canonical import digest
from expert.conditions import evaluate, finding_test
from expert.errors import EngineError, InputError
from expert.outcome import verdict_from
from expert.report import conclusions
from expert.result import Absence, FactRecord, Firing, OpenQuestion, Result, Unconfirmed

SCHEMA = "sourcing.audit/1"
TOP_KEYS = {
    "schema": str, "tool": dict, "created": str, "knowledge_base": dict, "answers": dict,
    "rules": list, "facts": list, "firings": list, "conclusions": dict, "integrity": str,
}
# Optional fields of a fact, with their types.
FACT_FIELDS = {"value": (str, int, float), "weight": (int, float), "text": str, "rule": str}
# Facts that a rule asserts with its own id inside (so the fact names its rule).
RULE_NAMED_KINDS = ("evidence", "warning", "gap", "pricing", "responsibility", "note")


def build(result, kb, version, created):
    """The audit record of ``result`` as a JSON-ready dict; ``created`` is an ISO 8601 UTC time."""
    fired = list(dict.fromkeys(f.rule for f in result.firings))
    record = {
        "schema": SCHEMA,
        "tool": {"name": "sourcing", "version": version},
        "created": created,
        "knowledge_base": {
            "fingerprint": kb.fingerprint, "questions": len(kb.questions),
            "extensions": [Path(source).name for source in kb.sources[1:]],
            "rule_digests": {rule.id: rule.digest for rule in kb.rules},
        },
        "answers": dict(result.answers),
        "rules": [_rule_entry(kb.rule(rule_id)) for rule_id in fired],
        "facts": [dict(f.to_dict(), label=f.label()) for f in result.facts.values()],
        "firings": [_firing(f) for f in result.firings],
        "conclusions": conclusions(result, kb),
    }
    record["integrity"] = digest(record)
    return record


def _rule_entry(rule):
    return {"id": rule.id, "digest": rule.digest, "title": rule.title, "content": json.loads(rule.content)}


def _firing(firing):
    return {
        "step": firing.step, "rule": firing.rule, "matched": list(firing.matched),
        "absent": [a.to_dict() for a in firing.absent], "asserted": list(firing.asserted), "new": list(firing.new),
    }


@dataclass
class Record:
    """A validated audit record."""

    data: dict
    result: Result
    rules: Dict[str, dict]  # rule id -> {"id", "digest", "title", "content"}

    @property
    def titles(self):
        return {rule_id: entry["title"] for rule_id, entry in self.rules.items()}

    @property
    def fingerprint(self):
        return self.data["knowledge_base"].get("fingerprint")


class _Invalid(Exception):
    """A validation failure; ``read`` turns it into an InputError naming the file."""


def read(path, kb):
    """Read and validate the audit record at ``path``; InputError (exit 2) if it cannot be trusted.

    ``kb`` is the current knowledge base: rules whose content is unchanged in it
    are also checked against their logic (each firing's condition held on the
    facts it matched, and it asserted what the rule says).
    """
    data = yamlio.parse_json(yamlio.read_text(path), str(path))
    try:
        return _validate(data, kb)
    except _Invalid as problem:
        raise InputError(str(path), f"not a valid audit record: {problem}")


def _validate(data, kb):
    if not isinstance(data, dict):
        raise _Invalid("expected a JSON object")
    if "schema" not in data:
        raise _Invalid("no 'schema' key, so not a record written by 'sourcing consult --audit' "
                       "(an answers file goes with --answers FILE)")
    if data["schema"] != SCHEMA:
        raise _Invalid(f"unknown schema version {data['schema']!r}; this tool reads {SCHEMA}")
    for key, kind in TOP_KEYS.items():
        if key not in data:
            raise _Invalid(f"missing key '{key}' (truncated, or not written by sourcing)")
        if not isinstance(data[key], kind):
            raise _Invalid(f"key '{key}' must be a {'text' if kind is str else kind.__name__}")
    body = {k: v for k, v in data.items() if k != "integrity"}
    if digest(body) != data["integrity"]:
        raise _Invalid("the integrity digest does not match: the record was changed after it was written")
    rules = _rules(data["rules"])
    _field(data["knowledge_base"], "fingerprint", str, "knowledge_base")
    digests = _field(data["knowledge_base"], "rule_digests", dict, "knowledge_base")
    for rule_id, entry in rules.items():
        if digests.get(rule_id) != entry["digest"]:
            raise _Invalid(f"rule {rule_id}: its digest differs from the knowledge base's list")
    facts = _facts(data["facts"])
    firings = _firings(data["firings"], facts, rules)
    _check_justifications(data["answers"], facts, firings)
    _check_logic(kb, rules, facts, firings)
    result = _result(data, facts, firings)
    _check_conclusions(data["conclusions"], result)
    return Record(data=data, result=result, rules=rules)


def _field(entry, key, kind, where):
    value = entry.get(key) if isinstance(entry, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise _Invalid(f"{where}: '{key}' is missing or of the wrong type")
    return value


def _rules(entries):
    rules = {}
    for index, entry in enumerate(entries):
        where = f"rules[{index}]"
        rule_id = _field(entry, "id", str, where)
        if digest(_field(entry, "content", dict, where)) != _field(entry, "digest", str, where):
            raise _Invalid(f"rule {rule_id}: its content does not match its digest")
        if _field(entry, "title", str, where) != entry["content"].get("title") or entry["content"].get("id") != rule_id:
            raise _Invalid(f"rule {rule_id}: its id or title differs from its content")
        rules[rule_id] = entry
    return rules


def _facts(entries):
    facts = {}
    for index, entry in enumerate(entries):
        where = f"facts[{index}]"
        fact_id = _field(entry, "id", int, where)
        if fact_id in facts:
            raise _Invalid(f"fact {fact_id} appears twice")
        known = {k: entry[k] for k in FACT_FIELDS if k in entry}
        for key, value in known.items():
            if not isinstance(value, FACT_FIELDS[key]) or isinstance(value, bool):
                raise _Invalid(f"{where}: '{key}' is of the wrong type")
        facts[fact_id] = FactRecord(id=fact_id, kind=_field(entry, "kind", str, where),
                                    name=_field(entry, "name", str, where), **known)
    return facts


def _firings(entries, facts, rules):
    firings = []
    for index, entry in enumerate(entries):
        where = f"firings[{index}]"
        if _field(entry, "step", int, where) != index + 1:
            raise _Invalid(f"{where}: steps must run 1, 2, 3... in order")
        rule_id = _field(entry, "rule", str, where)
        if rule_id not in rules:
            raise _Invalid(f"step {index + 1}: rule {rule_id} is not listed under 'rules'")
        ids = {key: tuple(_field(entry, key, list, where)) for key in ("matched", "asserted", "new")}
        for key, values in ids.items():
            missing = [i for i in values if i not in facts]
            if missing:
                raise _Invalid(f"step {index + 1} ({rule_id}): '{key}' names fact {missing[0]}, which is not recorded")
        absent = tuple(_absence(a, where) for a in _field(entry, "absent", list, where))
        firings.append(Firing(step=index + 1, rule=rule_id, matched=ids["matched"], absent=absent,
                              asserted=ids["asserted"], new=ids["new"]))
    return firings


def _absence(entry, where):
    values = entry.get("values") if isinstance(entry, dict) else None
    if values is not None and not (isinstance(values, list) and all(isinstance(v, str) for v in values)):
        raise _Invalid(f"{where}: 'values' of an absence must be a list of text")
    return Absence(kind=_field(entry, "kind", str, where), name=_field(entry, "name", str, where),
                   values=tuple(values) if values else None)


def _check_justifications(answers, facts, firings):
    """Each fact is an answer or asserted by a firing whose premises were established before it."""
    established = set()
    for fact in facts.values():
        if fact.kind == "answer":
            if answers.get(fact.name) != fact.value:
                raise _Invalid(f"fact {fact.id} ({fact.label()}) does not match the recorded answers")
            established.add(fact.id)
    if len(established) != len(answers):
        raise _Invalid("the answers and the answer facts differ")
    for firing in firings:
        for fact_id in firing.matched:
            if fact_id not in established:
                raise _Invalid(f"step {firing.step} ({firing.rule}) matched fact {fact_id} "
                               "before anything established it")
        for fact_id in firing.asserted:
            fact = facts[fact_id]
            if fact.kind == "answer":
                raise _Invalid(f"step {firing.step} ({firing.rule}) claims to assert an answer (fact {fact_id})")
            if fact.kind in RULE_NAMED_KINDS and fact.rule != firing.rule:
                raise _Invalid(f"fact {fact_id} ({fact.label()}) names rule {fact.rule}, "
                               f"but step {firing.step} asserted it by {firing.rule}")
        established.update(firing.asserted)
    unjustified = [fact for fact in facts.values() if fact.id not in established]
    if unjustified:
        fact = unjustified[0]
        raise _Invalid(f"fact {fact.id} ({fact.label()}) has no justification")


def _check_logic(kb, rules, facts, firings):
    """For rules unchanged in ``kb``: each firing's condition held and its assertions match the rule."""
    current = {r.id: r for r in kb.rules}
    for firing in firings:
        rule = current.get(firing.rule)
        if rule is None or rule.digest != rules[firing.rule]["digest"]:
            continue  # edited or removed since: its logic is not here to check (replay reports it)
        matched = [facts[i] for i in firing.matched]
        answers = {f.name: f.value for f in matched if f.kind == "answer"}
        finding_state = finding_test((f.name, f.value) for f in matched if f.kind == "finding")
        if rule.when is not None and not evaluate(rule.when, lambda q: answers.get(q, ""), finding_state):
            raise _Invalid(f"step {firing.step}: rule {rule.id} does not hold on the facts it matched "
                           f"({'; '.join(f.label() for f in matched) or 'none'})")
        expected = _expected_labels(rule)
        if expected is None:
            _check_scores(firing, matched, [facts[i] for i in firing.asserted])
        elif sorted(facts[i].label() for i in firing.asserted) != expected:
            raise _Invalid(f"step {firing.step}: the facts asserted do not match what rule {rule.id} asserts")


def _check_scores(firing, evidence, asserted):
    """Each score asserted by the scoring action is the sum of the evidence it matched."""
    totals = {}
    for fact in evidence:
        totals[fact.name] = totals.get(fact.name, 0) + (fact.weight or 0)
    for fact in asserted:
        if fact.kind == "score" and fact.value != totals.get(fact.name, 0):
            raise _Invalid(f"step {firing.step}: {fact.label()} is not the sum of the evidence it matched")


def _expected_labels(rule):
    """The labels of the facts ``rule`` asserts (None for the scoring action, checked elsewhere)."""
    labels = []
    for a in rule.then:
        if a.kind == "score":
            return None
        kind, name, value = a.kind, a.name, a.value
        if kind == "recommend":
            kind, name, value = "finding", "recommended_model", a.name
        elif kind == "veto":
            kind, name, value = "finding", "vetoed", a.name
        labels.append(FactRecord(id=0, kind=kind, name=name, value=value, weight=a.weight).label())
    return sorted(labels)


def _result(data, facts, firings):
    try:
        conclusion = data["conclusions"]["recommendation"]
        undetermined = data["conclusions"]["could_not_determine"]["questions"]
        model = conclusion["model"]
        if conclusion["status"] == "undetermined" and model is None:
            model = getattr(facts.get(conclusion["fact"]), "value", None)
        return Result(
            answers=dict(data["answers"]), facts=facts, firings=firings,
            recommendation=model, runner_up=conclusion["runner_up"], margin=conclusion["margin"],
            scores={f.name: f.value for f in facts.values() if f.kind == "score"},
            strength=conclusion["strength"],
            open_questions=tuple(_open_question(q) for q in undetermined),
            unconfirmed=tuple(_unconfirmed(u) for u in conclusion["to_confirm"]),
            deciding_questions=tuple(_words(conclusion["deciding_questions"], "deciding questions")),
        )
    except (KeyError, TypeError) as error:
        raise _Invalid(f"the conclusions are incomplete (missing {error})")


def _words(value, what):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"the {what} must be a list of names")
    return value


def _unconfirmed(entry):
    if not isinstance(entry, dict) or not isinstance(entry.get("rule"), str):
        raise _Invalid("an item to confirm must name its rule and questions")
    return Unconfirmed(entry["rule"], tuple(_words(entry.get("questions"), "questions to confirm")))


def _open_question(entry):
    question, read_by = entry["question"], entry["read_by"]
    if not isinstance(question, str) or not isinstance(read_by, list) or not all(isinstance(r, str) for r in read_by):
        raise _Invalid("an open question must name a question and the rules that read it")
    return OpenQuestion(question, tuple(read_by))


def _check_conclusions(recorded, result):
    """The conclusions are exactly those the facts support."""
    facts = result.facts
    rec_fact = facts.get(recorded["recommendation"].get("fact"))
    if rec_fact is None or rec_fact.name != "recommended_model" or rec_fact.value != result.recommendation:
        raise _Invalid("the recommendation does not match the recommended_model fact")
    if recorded.get("scores") != result.scores:
        raise _Invalid("the scores do not match the score facts")
    try:
        expected = verdict_from({(f.name, f.value) for f in result.findings}, result.scores)
    except EngineError:
        raise _Invalid("the ranking facts are missing, or do not give exactly one recommendation")
    if expected.model != result.recommendation:
        raise _Invalid("the recommendation does not follow from the ranking facts")
    if (result.runner_up, result.margin) != (expected.runner_up, expected.margin):
        raise _Invalid("the runner-up or margin does not follow from the scores")
    sections = {"warnings": ("warning", "about"), "readiness_gaps": ("gap", "area"),
                "pricing": ("pricing", "structure"), "notes": ("note", "topic")}
    for section, (kind, name_key) in sections.items():
        listed = [(c.get("fact"), c.get(name_key), c.get("text"), c.get("rule")) for c in recorded.get(section, [])]
        actual = [(f.id, f.name, f.text, f.rule) for f in result.of_kind(kind)]
        if listed != actual:
            raise _Invalid(f"the {section.replace('_', ' ')} do not match the {kind} facts")
    responsibility = {k: v for k, v in recorded.get("responsibility", {}).items() if v is not None}
    if responsibility != result.responsibility:
        raise _Invalid("the responsibility matrix does not match the responsibility facts")
