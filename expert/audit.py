"""Audit records: a consultation written down so that it can be checked, explained and replayed.

A record (schema ``sourcing.audit/2``, defined here: SHAPE) holds the answers, the
knowledge-base fingerprint, every fired rule (id, content digest, title, content),
the full justification graph (facts and the firings that asserted them, from
which facts) and the outcome the facts alone do not say, with an
integrity checksum (SHA-256: it detects accidental damage, not forgery, since
anyone can recompute it) and, when a key is given, an HMAC-SHA256 signature
(which only the key's holders can make). ``read`` refuses a record that is
malformed, of an unknown schema, altered after writing, wrongly signed, or whose
justifications do not hold. A ``sourcing.audit/1`` record (which embedded the
consult JSON of its day) is checked as written, then converted to the /2 form.
See docs/audit-record.md.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from sourcing.expert import kinds, yamlio
from sourcing.expert.canonical import canonical, digest
from sourcing.expert.conditions import evaluate, finding_test
from sourcing.expert.errors import EngineError, InputError, shown
from sourcing.expert.model import CANDIDATE, FIT, LEADING, RECOMMENDED, VETOED, KnowledgeBase
from sourcing.expert.outcome import verdict_from
from sourcing.expert.result import Absence, FactRecord, Firing, OpenQuestion, Result, Unconfirmed, number

SCHEMA = "sourcing.audit/2"  # what build writes
SCHEMA_V1 = "sourcing.audit/1"  # still read: converted to the /2 form (see _from_v1)
# Optional fields of a fact, with their types.
FACT_FIELDS = {"value": (str, int, float), "weight": (int, float), "text": str, "rule": str}
# Facts that a rule asserts with its own id inside (so the fact names its rule), and every kind of fact.
RULE_NAMED_KINDS = ("evidence", *kinds.NAMES)
FACT_KINDS = ("answer", "finding", "score", *RULE_NAMED_KINDS)
SIGNATURE = "hmac-sha256:"
NUMBER = (int, float)
MAYBE = type(None)


class Each:
    """Shape of a mapping of text to values of one shape (``Each(str)``: {text: text})."""

    def __init__(self, shape):
        self.shape = shape


# The shape of a record: a type (or tuple of alternatives), [shape] for a list, {key: shape} for a
# mapping with those keys ('key?' optional), Each(shape). The first keys are those of both versions.
_COMMON = {
    "schema": str,
    "tool": {"version?": str},
    "created": str,
    "knowledge_base": {"fingerprint": str, "questions?": int, "extensions?": [str], "rule_digests": Each(str)},
    "answers": Each(str),
    "rules": [{"id": str, "digest": str, "title": str, "content": dict}],
    "facts": [{"id": int, "kind": str, "name": str, **{f"{k}?": v for k, v in FACT_FIELDS.items()}, "label?": str}],
    "firings": [
        {
            "step": int,
            "rule": str,
            "matched": [int],
            "asserted": [int],
            "new": [int],
            "absent": [{"kind": str, "name": str, "values?": ([str], MAYBE)}],
        }
    ],
}
_TO_CONFIRM = [{"rule": str, "title?": str, "questions": [str]}]
_OPEN_QUESTIONS = [{"question": str, "read_by": [str]}]
SHAPE = {
    **_COMMON,
    "outcome": {
        "model": str,
        "fact": int,
        "strength": (str, MAYBE),
        "runner_up": (str, MAYBE),
        "margin": (int, float, MAYBE),
        "to_confirm": _TO_CONFIRM,
        "open_questions": _OPEN_QUESTIONS,
        "deciding_questions": [str],
    },
    "integrity": str,
    "signature?": str,
}


def _listing_v1(key):
    return [{"fact": int, key: str, "text": str, "rule": str}]


# sourcing.audit/1 held the consult JSON's conclusions of its day: frozen here, whatever that JSON becomes.
SHAPE_V1 = {
    **_COMMON,
    "conclusions": {
        "recommendation": {
            "status": str,
            "model": (str, MAYBE),
            "strength": (str, MAYBE),
            "fact": int,
            "runner_up": (str, MAYBE),
            "margin": (int, float, MAYBE),
            "to_confirm": _TO_CONFIRM,
            "deciding_questions": [str],
        },
        "scores": Each(NUMBER),
        "responsibility": Each((str, MAYBE)),
        "warnings": _listing_v1("about"),
        "readiness_gaps": _listing_v1("area"),
        "pricing": _listing_v1("structure"),
        "notes": _listing_v1("topic"),
        "could_not_determine": {"questions": _OPEN_QUESTIONS, "findings?": [str]},
    },
    "integrity": str,
    "signature?": str,
}
SHAPES = {SCHEMA: SHAPE, SCHEMA_V1: SHAPE_V1}


def build(result: Result, kb: KnowledgeBase, version: str, created: str, key: bytes | None = None) -> dict:
    """The audit record of ``result`` as a JSON-ready dict; ``created`` is an ISO 8601 UTC time.

    With ``key`` (bytes), the record is also signed (HMAC-SHA256).
    """
    fired = list(dict.fromkeys(f.rule for f in result.firings))
    record = {
        "schema": SCHEMA,
        "tool": {"name": "sourcing", "version": version},
        "created": created,
        "knowledge_base": {
            "fingerprint": kb.fingerprint,
            "questions": len(kb.questions),
            "extensions": [Path(source).name for source in kb.sources[1:]],
            "rule_digests": {rule.id: rule.digest for rule in kb.rules},
        },
        "answers": dict(result.answers),
        "rules": [_rule_entry(kb.rule(rule_id)) for rule_id in fired],
        "facts": [dict(f.to_dict(), label=f.label()) for f in result.facts.values()],
        "firings": [_firing(f) for f in result.firings],
        "outcome": _outcome(result, kb),
    }
    record["integrity"] = digest(record)
    if key:
        record["signature"] = signature(record, key)
    return record


def _outcome(result: Result, kb: KnowledgeBase) -> dict:
    """What the facts alone do not say: the outcome and the recommended_model fact that holds it, its
    strength, runner-up and margin, what is left to confirm, the open and the deciding questions."""
    return {
        "model": result.recommendation,
        "fact": result.recommendation_fact().id,
        "strength": result.strength,
        "runner_up": result.runner_up,
        "margin": number(result.margin),
        "to_confirm": [
            {"rule": u.rule, "title": kb.rule(u.rule).title, "questions": list(u.questions)} for u in result.unconfirmed
        ],
        "open_questions": [{"question": q.question, "read_by": list(q.read_by)} for q in result.open_questions],
        "deciding_questions": list(result.deciding_questions),
    }


def signature(record: dict, key: bytes) -> str:
    """``hmac-sha256:<hex>`` of the canonical form of ``record`` without its signature, keyed by ``key``."""
    body = canonical({k: v for k, v in record.items() if k != "signature"}).encode("utf-8")
    return SIGNATURE + hmac.new(key, body, hashlib.sha256).hexdigest()


def _rule_entry(rule):
    return {"id": rule.id, "digest": rule.digest, "title": rule.title, "content": json.loads(rule.content)}


def _firing(firing):
    return {
        "step": firing.step,
        "rule": firing.rule,
        "matched": list(firing.matched),
        "absent": [a.to_dict() for a in firing.absent],
        "asserted": list(firing.asserted),
        "new": list(firing.new),
    }


@dataclass
class Record:
    """A validated audit record."""

    data: dict  # in the /2 form (a /1 record converted), without its integrity checksum and signature
    result: Result
    rules: dict[str, dict]  # rule id -> {"id", "digest", "title", "content"}
    signed: bool = False  # True when a key was given and the signature verified with it
    written_as: str = SCHEMA  # the schema of the file as written

    @property
    def titles(self):
        return {rule_id: entry["title"] for rule_id, entry in self.rules.items()}

    @property
    def fingerprint(self):
        return self.data["knowledge_base"]["fingerprint"]


class _Invalid(Exception):
    """A validation failure; ``read`` turns it into an InputError naming the file."""


def read(path: str | Path, kb: KnowledgeBase, key: bytes | None = None) -> Record:
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
        raise _Invalid(
            "no 'schema' key, so not a record written by 'sourcing consult --audit' "
            "(an answers file goes with --answers FILE)"
        )
    written_as = data["schema"]
    if not isinstance(written_as, str) or written_as not in SHAPES:
        raise _Invalid(f"unknown schema version {shown(written_as)!r}; this tool reads {SCHEMA} and {SCHEMA_V1}")
    for key in SHAPES[written_as]:
        if not key.endswith("?") and key not in data:
            raise _Invalid(f"missing key '{key}' (truncated, or not written by sourcing)")
    _shape(data, SHAPES[written_as], "")
    signed = sign_key is not None and "signature" in data
    if signed and not hmac.compare_digest(signature(data, sign_key).encode(), data["signature"].encode("utf-8")):
        raise _Invalid(
            "the signature does not match the key: the record was changed after it was signed, "
            "or signed with another key"
        )
    body = {k: v for k, v in data.items() if k not in ("integrity", "signature")}
    if digest(body) != data["integrity"]:
        raise _Invalid("the integrity checksum does not match: the record was changed or damaged after it was written")
    if written_as == SCHEMA_V1:
        body = _from_v1(body)
    rules = _rules(body["rules"])
    digests = body["knowledge_base"]["rule_digests"]
    if body["knowledge_base"]["fingerprint"] == kb.fingerprint and list(digests.items()) != [
        (r.id, r.digest) for r in kb.rules
    ]:
        raise _Invalid(
            "knowledge_base: the fingerprint is the current knowledge base's, but the rule digests "
            "are not: the record is inconsistent"
        )
    for rule_id, entry in rules.items():
        if digests.get(rule_id) != entry["digest"]:
            raise _Invalid(f"rule {rule_id}: its digest differs from the knowledge base's list")
    facts = _facts(body["facts"])
    firings = _firings(body["firings"], facts, rules)
    _check_justifications(body["answers"], facts, firings)
    _check_logic(kb, rules, facts, firings, body["knowledge_base"]["fingerprint"] == kb.fingerprint)
    result = _result(body["outcome"], body["answers"], facts, firings)
    _check_outcome(body["outcome"], result)
    _check_names(body["outcome"], digests, body["answers"], V1_PLACES if written_as == SCHEMA_V1 else None)
    if written_as == SCHEMA_V1:
        _check_v1_conclusions(data["conclusions"], result)
    return Record(data=body, result=result, rules=rules, signed=signed, written_as=written_as)


def _from_v1(body):
    """The /2 form of a /1 record's ``body`` (its shape checked): its conclusions' recommendation and open
    questions become the outcome; the rest of them, which the facts hold, is checked by _check_v1_conclusions."""
    found = body["conclusions"]
    recommendation = found["recommendation"]
    model = recommendation["model"]
    if model is None:  # undetermined: the recommended_model fact names the outcome
        model = next((str(f.get("value")) for f in body["facts"] if f["id"] == recommendation["fact"]), "")
    outcome = {
        key: recommendation[key]
        for key in ("fact", "strength", "runner_up", "margin", "to_confirm", "deciding_questions")
    }
    converted = {k: v for k, v in body.items() if k != "conclusions"}
    converted.update(
        schema=SCHEMA, outcome=dict(outcome, model=model, open_questions=found["could_not_determine"]["questions"])
    )
    return converted


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
        if entry["kind"] not in FACT_KINDS:
            raise _Invalid(f"fact {fact_id}: unknown kind {shown(entry['kind'])!r}; allowed: {', '.join(FACT_KINDS)}")
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
        absent = tuple(
            Absence(kind=a["kind"], name=a["name"], values=tuple(a["values"]) if a.get("values") else None)
            for a in entry["absent"]
        )
        firings.append(
            Firing(
                step=index + 1,
                rule=rule_id,
                matched=ids["matched"],
                absent=absent,
                asserted=ids["asserted"],
                new=ids["new"],
            )
        )
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
                raise _Invalid(
                    f"step {firing.step} ({firing.rule}) matched fact {fact_id} before anything established it"
                )
        for fact_id in firing.asserted:
            fact = facts[fact_id]
            if fact.kind == "answer":
                raise _Invalid(f"step {firing.step} ({firing.rule}) claims to assert an answer (fact {fact_id})")
            if fact.kind in RULE_NAMED_KINDS and fact.rule != firing.rule:
                raise _Invalid(
                    f"fact {fact_id} ({fact.label()}) names rule {fact.rule}, "
                    f"but step {firing.step} asserted it by {firing.rule}"
                )
        established.update(firing.asserted)
    unjustified = [fact for fact in facts.values() if fact.id not in established]
    if unjustified:
        fact = unjustified[0]
        raise _Invalid(f"fact {fact.id} ({fact.label()}) has no justification")


def _check_logic(kb, rules, facts, firings, own_kb):
    """For rules unchanged in ``kb``: each firing's condition held and its assertions match the rule.
    ``own_kb``: ``kb`` is the record's own knowledge base (same fingerprint), so its models are the record's."""
    current = {r.id: r for r in kb.rules}
    for firing in firings:
        rule = current.get(firing.rule)
        if rule is None or rule.digest != rules[firing.rule]["digest"]:
            continue  # edited or removed since: its logic is not here to check (replay reports it)
        matched = [facts[i] for i in firing.matched]
        answers = {f.name: f.value for f in matched if f.kind == "answer"}
        finding_state = finding_test((f.name, f.value) for f in matched if f.kind == "finding")
        if rule.when is not None and not evaluate(rule.when, lambda q, known=answers: known.get(q, ""), finding_state):
            raise _Invalid(
                f"step {firing.step}: rule {rule.id} does not hold on the facts it matched "
                f"({'; '.join(f.label() for f in matched) or 'none'})"
            )
        expected = _expected_facts(rule)
        if expected is None:
            _check_scores(firing, matched, [facts[i] for i in firing.asserted], kb if own_kb else None)
        elif sorted((facts[i].label(), facts[i].text or "") for i in firing.asserted) != expected:
            raise _Invalid(f"step {firing.step}: the facts asserted do not match what rule {rule.id} asserts")


def _check_scores(firing, matched, asserted, kb):
    """The scoring action asserts one score per model, the sum of the evidence it matched, and ranking
    findings; with ``kb`` (the record's own knowledge base), exactly the scores and ranking it gives."""
    totals = {}
    for fact in matched:
        if fact.kind == "evidence":
            totals[fact.name] = totals.get(fact.name, 0) + (fact.weight or 0)
    scored = [fact.name for fact in asserted if fact.kind == "score"]
    if len(set(scored)) != len(scored):
        raise _Invalid(f"step {firing.step}: the scoring action scores a model twice")
    for fact in asserted:
        if fact.kind == "score" and fact.value != totals.get(fact.name, 0):
            raise _Invalid(f"step {firing.step}: {fact.label()} is not the sum of the evidence it matched")
        if fact.kind != "score" and (fact.kind, fact.name) not in {("finding", n) for n in (CANDIDATE, LEADING, FIT)}:
            raise _Invalid(f"step {firing.step}: the scoring action does not assert {fact.label()}")
    if kb is not None:
        totals = {m.id: totals.get(m.id, 0) for m in kb.models}
        vetoed = {f.value for f in matched if f.kind == "finding" and f.name == VETOED}
        expected = [FactRecord(0, "score", model, total).label() for model, total in totals.items()]
        expected += [
            FactRecord(0, "finding", name, value).label() for name, value in kb.ranked_findings(totals, vetoed)
        ]
        if sorted(expected) != sorted(fact.label() for fact in asserted):
            raise _Invalid(f"step {firing.step}: the scores and ranking differ from what the scoring action gives")


def _expected_facts(rule):
    """(label, text) of each fact ``rule`` asserts, sorted (None for the scoring action, checked elsewhere)."""
    labels = []
    for a in rule.then:
        if a.kind == "score":
            return None
        kind, name, value = a.kind, a.name, a.value
        if kind == "recommend":
            kind, name, value = "finding", "recommended_model", a.name
        elif kind == "veto":
            kind, name, value = "finding", "vetoed", a.name
        labels.append((FactRecord(id=0, kind=kind, name=name, value=value, weight=a.weight).label(), a.text or ""))
    return sorted(labels)


def _result(outcome, answers, facts, firings):
    """The Result a record holds (its shape already checked)."""
    return Result(
        answers=dict(answers),
        facts=facts,
        firings=firings,
        recommendation=outcome["model"],
        runner_up=outcome["runner_up"],
        margin=outcome["margin"],
        scores={f.name: f.value for f in facts.values() if f.kind == "score"},
        strength=outcome["strength"],
        open_questions=tuple(OpenQuestion(q["question"], tuple(q["read_by"])) for q in outcome["open_questions"]),
        unconfirmed=tuple(Unconfirmed(u["rule"], tuple(u["questions"])) for u in outcome["to_confirm"]),
        deciding_questions=tuple(outcome["deciding_questions"]),
    )


def _check_outcome(outcome, result):
    """The outcome is the one the facts support: its fact, the ranking, the runner-up and margin."""
    rec_fact = result.facts.get(outcome["fact"])
    if rec_fact is None or rec_fact.name != RECOMMENDED or rec_fact.value != result.recommendation:
        raise _Invalid("the recommendation does not match the recommended_model fact")
    try:
        expected = verdict_from({(f.name, f.value) for f in result.findings}, result.scores)
    except EngineError:
        raise _Invalid("the ranking facts are missing, or do not give exactly one recommendation")
    if expected.model != result.recommendation:
        raise _Invalid("the recommendation does not follow from the ranking facts")
    if (result.runner_up, result.margin) != (expected.runner_up, expected.margin):
        raise _Invalid("the runner-up or margin does not follow from the scores")


# Where a /1 record keeps the lists _from_v1 moves into the outcome (for the messages of _check_names).
V1_PLACES = {
    "to_confirm": "conclusions.recommendation.to_confirm",
    "open_questions": "conclusions.could_not_determine.questions",
    "deciding_questions": "conclusions.recommendation.deciding_questions",
}


def _check_names(outcome, rule_ids, question_ids, places=None):
    """Every rule and question the outcome names (to confirm, open, deciding) is one of the record's own
    knowledge base: the report words them from it. ``places``: where a /1 record keeps those lists."""
    where = places or {key: f"outcome.{key}" for key in V1_PLACES}

    def check(ids, kind, place, known):
        for name in ids:
            if name not in known:
                raise _Invalid(f"{place}: {kind} {shown(repr(name))} is not in the record's knowledge base")

    for index, item in enumerate(outcome["to_confirm"]):
        check([item["rule"]], "rule", f"{where['to_confirm']}[{index}]", rule_ids)
        check(item["questions"], "question", f"{where['to_confirm']}[{index}]", question_ids)
    for index, item in enumerate(outcome["open_questions"]):
        check([item["question"]], "question", f"{where['open_questions']}[{index}]", question_ids)
        check(item["read_by"], "rule", f"{where['open_questions']}[{index}]", rule_ids)
    check(outcome["deciding_questions"], "question", where["deciding_questions"], question_ids)


# The conclusion lists of sourcing.audit/1: (key, kind of fact, the key of its name); frozen with that schema.
V1_LISTINGS = (
    ("warnings", "warning", "about"),
    ("readiness_gaps", "gap", "area"),
    ("pricing", "pricing", "structure"),
    ("notes", "note", "topic"),
)


def _check_v1_conclusions(recorded, result):
    """A /1 record's conclusions are exactly those its facts support."""
    if recorded.get("scores") != result.scores:
        raise _Invalid("the scores do not match the score facts")
    for section, kind, name_key in V1_LISTINGS:
        listed = [(c["fact"], c[name_key], c["text"], c["rule"]) for c in recorded[section]]
        actual = [(f.id, f.name, f.text, f.rule) for f in result.of_kind(kind)]
        if listed != actual:
            raise _Invalid(f"the {section.replace('_', ' ')} do not match the {kind} facts")
    responsibility = {k: v for k, v in recorded["responsibility"].items() if v is not None}
    if responsibility != result.responsibility:
        raise _Invalid("the responsibility matrix does not match the responsibility facts")
