"""Audit records: a consultation written down so that it can be checked, explained and replayed.

A record holds the answers, the knowledge-base fingerprint, every fired rule
(id, content digest, title, content), the full justification graph (facts and
the firings that asserted them, from which facts) and the conclusions, with an
integrity checksum (SHA-256: it detects accidental damage, not forgery, since
anyone can recompute it) and, when a key is given, an HMAC-SHA256 signature
(which only the key's holders can make). ``read`` refuses a record that is
malformed, of an unknown schema, altered after writing, wrongly signed, or whose
justifications do not hold. See docs/audit-record.md.
"""
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict

from sourcing.expert import yamlio
from sourcing.expert.canonical import canonical, digest
from sourcing.expert.conditions import evaluate, finding_test
from sourcing.expert.errors import EngineError, InputError
from sourcing.expert.outcome import verdict_from
from sourcing.expert.report import conclusions
from sourcing.expert.result import Absence, FactRecord, Firing, OpenQuestion, Result, Unconfirmed

SCHEMA = "sourcing.audit/1"
TOP_KEYS = {
    "schema": str, "tool": dict, "created": str, "knowledge_base": dict, "answers": dict,
    "rules": list, "facts": list, "firings": list, "conclusions": dict, "integrity": str,
}
# Optional fields of a fact, with their types.
FACT_FIELDS = {"value": (str, int, float), "weight": (int, float), "text": str, "rule": str}
SIGNATURE = "hmac-sha256:"
NUMBER = (int, float)
MAYBE = type(None)


class Each:
    """Shape of a mapping of text to values of one shape (``Each(str)``: {text: text})."""

    def __init__(self, shape):
        self.shape = shape


def _listing(key):
    return [{"fact": int, key: str, "text": str, "rule": str}]


# The shape of every nested field: a type (or tuple of alternatives), [shape] for a list,
# {key: shape} for a mapping with those keys ('key?' optional), Each(shape).
SHAPE = {
    "tool": {"version?": str},
    "knowledge_base": {"fingerprint": str, "questions?": int, "extensions?": [str], "rule_digests": Each(str)},
    "answers": Each(str),
    "rules": [{"id": str, "digest": str, "title": str, "content": dict}],
    "facts": [{"id": int, "kind": str, "name": str, **{f"{k}?": v for k, v in FACT_FIELDS.items()}, "label?": str}],
    "firings": [{"step": int, "rule": str, "matched": [int], "asserted": [int], "new": [int],
                 "absent": [{"kind": str, "name": str, "values?": ([str], MAYBE)}]}],
    "conclusions": {
        "recommendation": {"status": str, "model": (str, MAYBE), "strength": (str, MAYBE), "fact": int,
                           "runner_up": (str, MAYBE), "margin": (int, float, MAYBE),
                           "to_confirm": [{"rule": str, "title?": str, "questions": [str]}],
                           "deciding_questions": [str]},
        "scores": Each(NUMBER), "responsibility": Each((str, MAYBE)),
        "warnings": _listing("about"), "readiness_gaps": _listing("area"), "pricing": _listing("structure"),
        "notes": _listing("topic"),
        "could_not_determine": {"questions": [{"question": str, "read_by": [str]}], "findings?": [str]},
    },
    "signature?": str,
}
# Facts that a rule asserts with its own id inside (so the fact names its rule).
RULE_NAMED_KINDS = ("evidence", "warning", "gap", "pricing", "responsibility", "note")


def build(result, kb, version, created, key=None):
    """The audit record of ``result`` as a JSON-ready dict; ``created`` is an ISO 8601 UTC time.

    With ``key`` (bytes), the record is also signed (HMAC-SHA256).
    """
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
    if key:
        record["signature"] = signature(record, key)
    return record


def signature(record, key):
    """``hmac-sha256:<hex>`` of the canonical form of ``record`` without its signature, keyed by ``key``."""
    body = canonical({k: v for k, v in record.items() if k != "signature"}).encode("utf-8")
    return SIGNATURE + hmac.new(key, body, hashlib.sha256).hexdigest()


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
    signed: bool = False  # True when a key was given and the signature verified with it

    @property
    def titles(self):
        return {rule_id: entry["title"] for rule_id, entry in self.rules.items()}

    @property
    def fingerprint(self):
        return self.data["knowledge_base"]["fingerprint"]


class _Invalid(Exception):
    """A validation failure; ``read`` turns it into an InputError naming the file."""


def read(path, kb, key=None):
    """Read and validate the audit record at ``path``; InputError (exit 2) if it cannot be trusted.

    ``kb`` is the current knowledge base: rules whose content is unchanged in it
    are also checked against their logic (each firing's condition held on the
    facts it matched, and it asserted what the rule says). With ``key`` (bytes),
    a signed record's signature must verify; an unsigned one is read with
    ``signed`` false.
    """
    data = yamlio.parse_json(yamlio.read_text(path), str(path))
    try:
        return _validate(data, kb, key)
    except _Invalid as problem:
        raise InputError(str(path), f"not a valid audit record: {problem}")


def _validate(data, kb, sign_key):
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
    _shape(data, SHAPE, "")
    signed = sign_key is not None and "signature" in data
    if signed and not hmac.compare_digest(signature(data, sign_key).encode(), data["signature"].encode("utf-8")):
        raise _Invalid("the signature does not match the key: the record was changed after it was signed, "
                       "or signed with another key")
    body = {k: v for k, v in data.items() if k not in ("integrity", "signature")}
    if digest(body) != data["integrity"]:
        raise _Invalid("the integrity checksum does not match: the record was changed or damaged after it "
                       "was written")
    rules = _rules(data["rules"])
    digests = data["knowledge_base"]["rule_digests"]
    if data["knowledge_base"]["fingerprint"] == kb.fingerprint and list(digests.items()) != [
            (r.id, r.digest) for r in kb.rules]:
        raise _Invalid("knowledge_base: the fingerprint is the current knowledge base's, but the rule digests "
                       "are not: the record is inconsistent")
    for rule_id, entry in rules.items():
        if digests.get(rule_id) != entry["digest"]:
            raise _Invalid(f"rule {rule_id}: its digest differs from the knowledge base's list")
    facts = _facts(data["facts"])
    firings = _firings(data["firings"], facts, rules)
    _check_justifications(data["answers"], facts, firings)
    _check_logic(kb, rules, facts, firings)
    result = _result(data, facts, firings)
    _check_conclusions(data["conclusions"], result)
    return Record(data=data, result=result, rules=rules, signed=signed)


def _shape(value, shape, where):
    """Check ``value`` against ``shape`` (see SHAPE); _Invalid naming the field otherwise."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise _Invalid(f"{where or 'the record'} must be a mapping")
        for key, inner in shape.items():
            name = key.rstrip("?")
            if name in value:
                _shape(value[name], inner, f"{where}.{name}" if where else name)
            elif not key.endswith("?"):
                raise _Invalid(f"{where}: missing key '{name}'")
    elif isinstance(shape, list):
        if not isinstance(value, list):
            raise _Invalid(f"{where} must be a list")
        for index, item in enumerate(value):
            _shape(item, shape[0], f"{where}[{index}]")
    elif isinstance(shape, Each):
        if not isinstance(value, dict):
            raise _Invalid(f"{where} must be a mapping")
        for key, item in value.items():
            _shape(item, shape.shape, f"{where}.{key}")
    elif isinstance(shape, tuple) and not all(isinstance(s, type) for s in shape):
        for alternative in shape:
            try:
                return _shape(value, alternative, where)
            except _Invalid:
                continue
        raise _Invalid(f"{where} is of the wrong type")
    elif isinstance(value, bool) or not isinstance(value, shape):
        raise _Invalid(f"{where} is of the wrong type")


def _rules(entries):
    rules = {}
    for entry in entries:
        rule_id = entry["id"]
        if digest(entry["content"]) != entry["digest"]:
            raise _Invalid(f"rule {rule_id}: its content does not match its digest")
        if entry["title"] != entry["content"].get("title") or entry["content"].get("id") != rule_id:
            raise _Invalid(f"rule {rule_id}: its id or title differs from its content")
        rules[rule_id] = entry
    return rules


def _facts(entries):
    facts = {}
    for entry in entries:
        fact_id = entry["id"]
        if fact_id in facts:
            raise _Invalid(f"fact {fact_id} appears twice")
        known = {k: entry[k] for k in FACT_FIELDS if k in entry}
        facts[fact_id] = FactRecord(id=fact_id, kind=entry["kind"], name=entry["name"], **known)
    return facts


def _firings(entries, facts, rules):
    firings = []
    for index, entry in enumerate(entries):
        if entry["step"] != index + 1:
            raise _Invalid(f"firings[{index}]: steps must run 1, 2, 3... in order")
        rule_id = entry["rule"]
        if rule_id not in rules:
            raise _Invalid(f"step {index + 1}: rule {rule_id} is not listed under 'rules'")
        ids = {key: tuple(entry[key]) for key in ("matched", "asserted", "new")}
        for key, values in ids.items():
            missing = [i for i in values if i not in facts]
            if missing:
                raise _Invalid(f"step {index + 1} ({rule_id}): '{key}' names fact {missing[0]}, which is not recorded")
        absent = tuple(Absence(kind=a["kind"], name=a["name"], values=tuple(a["values"]) if a.get("values") else None)
                       for a in entry["absent"])
        firings.append(Firing(step=index + 1, rule=rule_id, matched=ids["matched"], absent=absent,
                              asserted=ids["asserted"], new=ids["new"]))
    return firings


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
    """The Result a record holds (its shape already checked against SHAPE)."""
    conclusion = data["conclusions"]["recommendation"]
    model = conclusion["model"]
    if model is None:  # undetermined: the recommended_model fact names the outcome
        model = getattr(facts.get(conclusion["fact"]), "value", None)
    return Result(
        answers=dict(data["answers"]), facts=facts, firings=firings,
        recommendation=model, runner_up=conclusion["runner_up"], margin=conclusion["margin"],
        scores={f.name: f.value for f in facts.values() if f.kind == "score"},
        strength=conclusion["strength"],
        open_questions=tuple(OpenQuestion(q["question"], tuple(q["read_by"]))
                             for q in data["conclusions"]["could_not_determine"]["questions"]),
        unconfirmed=tuple(Unconfirmed(u["rule"], tuple(u["questions"])) for u in conclusion["to_confirm"]),
        deciding_questions=tuple(conclusion["deciding_questions"]),
    )


def _check_conclusions(recorded, result):
    """The conclusions are exactly those the facts support."""
    facts = result.facts
    rec_fact = facts.get(recorded["recommendation"]["fact"])
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
        listed = [(c["fact"], c[name_key], c["text"], c["rule"]) for c in recorded[section]]
        actual = [(f.id, f.name, f.text, f.rule) for f in result.of_kind(kind)]
        if listed != actual:
            raise _Invalid(f"the {section.replace('_', ' ')} do not match the {kind} facts")
    responsibility = {k: v for k, v in recorded["responsibility"].items() if v is not None}
    if responsibility != result.responsibility:
        raise _Invalid("the responsibility matrix does not match the responsibility facts")
