"""Static and exhaustive checks of a knowledge base, each with a stable code and severity.

Static checks read the rules only: rules that can never fire, cycles through
findings, unused questions, findings and values, rules with the same
conditions that conflict or repeat each other. The completeness check runs the
rules (through the direct evaluator) on the whole answer space when it is
small enough, otherwise on a seeded random sample, and reports every kind of
failure with a counter-example answer set.
"""

import random
from dataclasses import dataclass
from itertools import product
from math import prod

from sourcing.expert.conditions import ConditionError, atoms, branches, check
from sourcing.expert.direct import DirectEvaluator
from sourcing.expert.invariants import CODES as INVARIANT_CODES
from sourcing.expert.invariants import Invariants
from sourcing.expert.model import CANDIDATE, FIT, LEADING, RECOMMENDED, UNKNOWN, VETOED
from sourcing.expert.partial import Foresight
from sourcing.expert.plan import cycles

# code: (severity, what it means)
CHECKS = {
    "KB101": ("error", "a rule can never fire"),
    "KB102": ("error", "rules form a cycle through findings"),
    "KB103": ("error", "some answers give no recommended model"),
    "KB104": ("error", "some answers give several recommended models"),
    "KB105": ("error", "rules with the same conditions recommend different models"),
    "KB106": ("error", "a rule fires for no answers at all (whole answer space run)"),
    "KB107": ("error", "the rules fail on some answers"),
    "KB108": ("error", "a condition no evaluator can read"),
    "KB201": ("warning", "a question no rule reads"),
    "KB202": ("warning", "a finding no rule uses"),
    "KB203": ("warning", "rules with the same conditions assert different values of one finding"),
    "KB204": ("warning", "rules with the same conditions assert the same facts"),
    "KB205": ("warning", "a rule fired for none of the sampled answers"),
    "KB301": ("info", "a question value no rule tests"),
    **{code: ("error", what) for code, what in INVARIANT_CODES.items()},
    "KB406": ("error", "fit evidence or a veto reads a readiness or pricing question"),
    "KB407": ("error", "fit evidence with a negative weight or a test that holds on unknown"),
}
BUILT_IN_FINDINGS = {
    LEADING: "scoring",
    CANDIDATE: "scoring",
    FIT: "scoring",
    VETOED: "vetoes",
    RECOMMENDED: "recommendation",
}
SEVERITIES = ("error", "warning", "info")
COMPLETENESS = ("KB103", "KB104", "KB107")  # the checks that answers give exactly one model, ranked


@dataclass(frozen=True)
class Issue:
    code: str
    location: str  # FILE:LINE, or the knowledge base
    rule: str | None
    message: str
    example: dict[str, str] | None = None  # a counter-example answer set

    @property
    def severity(self):
        return CHECKS[self.code][0]

    def to_dict(self):
        data = {
            "code": self.code,
            "severity": self.severity,
            "location": self.location,
            "rule": self.rule,
            "message": self.message,
        }
        if self.example is not None:
            data["example"] = self.example
        return data


@dataclass
class Report:
    issues: tuple[Issue, ...]
    space: int  # size of the whole answer space
    exhaustive: bool
    runs: int  # answer sets evaluated
    seed: int | None
    rules: int = 0

    @property
    def failed(self):
        """True when an error-level check failed."""
        return any(i.severity == "error" for i in self.issues)

    @property
    def complete(self):
        """True when every answer set run gave exactly one recommendation and a ranking."""
        return not any(i.code in COMPLETENESS for i in self.issues)

    @property
    def counts(self):
        """{severity: number of issues}."""
        return {s: sum(i.severity == s for i in self.issues) for s in SEVERITIES}

    def to_dict(self):
        return {
            "ok": not self.failed,
            "completeness": {
                "answer_space": self.space,
                "method": "exhaustive" if self.exhaustive else "sampled",
                "answer_sets": self.runs,
                "seed": self.seed,
            },
            "counts": self.counts,
            "issues": [i.to_dict() for i in self.issues],
        }


def lint(kb, samples=20000, seed=0, exhaustive_limit=100000, invariant_samples=2000):
    """Run every check on ``kb``; the answer space is enumerated when no larger than ``exhaustive_limit``.

    The invariants of sound advice (sourcing.expert.invariants) run on ``invariant_samples`` seeded answer sets.
    A condition no evaluator can read (KB108, only in a knowledge base built without the loader) is the
    only issue reported: nothing else can run.
    """
    unreadable = _unreadable(kb)
    if unreadable:
        return Report(
            issues=tuple(unreadable),
            space=prod(len(q.choices) for q in kb.questions),
            exhaustive=False,
            runs=0,
            seed=None,
            rules=len(kb.rules),
        )
    issues = []
    issues += _never_fire(kb)
    issues += _cycles(kb)
    issues += _same_conditions(kb)
    issues += _unused(kb)
    issues += _fit_reads(kb)
    issues += _invariants(kb, invariant_samples, seed)
    space = prod(len(q.choices) for q in kb.questions)
    exhaustive = space <= exhaustive_limit
    completeness, runs = _completeness(kb, exhaustive, samples, seed)
    dead = {i.rule for i in issues if i.code == "KB101"}
    issues += [i for i in completeness if i.rule not in dead]
    order = {code: n for n, code in enumerate(CHECKS)}
    issues.sort(key=lambda i: (SEVERITIES.index(i.severity), order[i.code], _position(kb, i.rule)))
    return Report(
        issues=tuple(issues),
        space=space,
        exhaustive=exhaustive,
        runs=runs,
        seed=None if exhaustive else seed,
        rules=len(kb.rules),
    )


def _position(kb, rule_id):
    try:
        return kb.rule(rule_id).position
    except KeyError:
        return -1


def _where(item):
    """FILE:LINE of a rule or question."""
    return f"{item.file}:{item.line}"


def _unreadable(kb):
    """KB108: conditions that would crash an evaluator (an unknown node, an empty all/any, a malformed test)."""
    issues = []
    for rule in kb.rules:
        for condition in (rule.when, rule.unmet):
            try:
                check(condition, kb.question_map)
            except ConditionError as error:
                issues.append(Issue("KB108", _where(rule), rule.id, f"a condition no evaluator can read: {error}"))
                break
    return issues


def _literal_key(branch):
    return frozenset((a.kind, a.name, a.values, positive) for a, positive in branch)


def _contradicts(branch):
    """True when a branch requires a finding and also its absence."""
    required = {}
    for a, positive in branch:
        if positive and a.kind == "finding":
            required.setdefault(a.name, []).append(set(a.values) if a.values else None)
    for a, positive in branch:
        if positive or a.kind != "finding" or a.name not in required:
            continue
        for values in required[a.name]:
            if a.values is None or (values is not None and values <= set(a.values)):
                return True
    return False


def _asserts(rule, kb):
    return rule.asserted_findings([m.id for m in kb.models])


def _never_fire(kb):
    """KB101: rules whose every branch contradicts itself or needs a finding no firable rule asserts."""
    live = {rule.id: [b for b in branches(rule.when, kb.question_map) if not _contradicts(b)] for rule in kb.rules}
    reachable, firable = set(), set()
    changed = True
    while changed:
        changed = False
        for rule in kb.rules:
            if rule.id in firable:
                continue
            for branch in live[rule.id]:
                needs = [a for a, positive in branch if positive and a.kind == "finding"]
                if all(
                    any((a.name, v) in reachable for v in (a.values or _values_of(reachable, a.name))) for a in needs
                ):
                    firable.add(rule.id)
                    reachable.update(_asserts(rule, kb))
                    changed = True
                    break
    issues = []
    for rule in kb.rules:
        if rule.id in firable:
            continue
        if not live[rule.id]:
            reason = "its conditions contradict each other"
        else:
            missing = sorted(
                {
                    f"{a.name}" + (f" = {'/'.join(a.values)}" if a.values else "")
                    for branch in live[rule.id]
                    for a, positive in branch
                    if positive
                    and a.kind == "finding"
                    and not any((a.name, v) in reachable for v in (a.values or _values_of(reachable, a.name)))
                }
            )
            reason = f"it needs finding {', '.join(missing)}, which no rule that can fire asserts"
        issues.append(Issue("KB101", _where(rule), rule.id, f"can never fire: {reason}"))
    return issues


def _values_of(reachable, name):
    return [v for n, v in reachable if n == name]


def _cycles(kb):
    """KB102: every cycle of rules through findings."""
    issues = []
    for members in cycles(kb):
        first = kb.rule(members[0])
        issues.append(
            Issue("KB102", _where(first), first.id, f"cycle through findings: {' -> '.join(members + [members[0]])}")
        )
    return issues


def _same_conditions(kb):
    """KB105/KB203/KB204: pairs of rules with equivalent conditions that conflict or repeat."""
    groups = {}
    for rule in kb.rules:
        key = frozenset(_literal_key(b) for b in branches(rule.when, kb.question_map))
        groups.setdefault(key, []).append(rule)
    issues = []
    for rules in groups.values():
        for i, first in enumerate(rules):
            for second in rules[i + 1 :]:
                issues += _compare_pair(first, second)
    return issues


def _compare_pair(first, second):
    pair = f"{first.id} and {second.id} have the same conditions"
    if set(first.then) == set(second.then):
        return [Issue("KB204", _where(second), second.id, f"{pair} and assert the same facts")]
    found = []
    recommends = {a.name for a in first.then if a.kind == "recommend"} ^ {
        a.name for a in second.then if a.kind == "recommend"
    }
    if len(recommends) > 1 or (recommends and all(any(a.kind == "recommend" for a in r.then) for r in (first, second))):
        found.append(Issue("KB105", _where(second), second.id, f"{pair} but recommend different models"))
    values = {}
    for rule in (first, second):
        for a in rule.then:
            if a.kind == "finding":
                values.setdefault(a.name, {}).setdefault(a.value, rule.id)
    for name, by_value in values.items():
        if len(set(by_value.values())) > 1 and len(by_value) > 1:
            shown = ", ".join(f"{v} ({r})" for v, r in by_value.items())
            found.append(Issue("KB203", _where(second), second.id, f"{pair} but assert {name} = {shown}"))
    return found


def _unused(kb):
    """KB201/KB202/KB301: questions no rule reads, findings no rule tests, values no rule tests."""
    read, tested_values, tested_findings = set(), {}, set()
    for rule in kb.rules:
        for a in atoms(rule.when):
            if a.kind == "answer":
                read.add(a.name)
            else:
                tested_findings.add(a.name)
        for branch in branches(rule.when, kb.question_map):
            for a, _ in branch:
                if a.kind == "answer":
                    tested_values.setdefault(a.name, set()).update(a.values)
    issues = []
    for question in kb.questions:
        if question.id not in read:
            issues.append(Issue("KB201", _where(question), None, f"no rule reads question '{question.id}'"))
            continue
        for value in question.values:
            if value not in tested_values.get(question.id, ()):
                issues.append(Issue("KB301", _where(question), None, f"no rule tests {question.id} = {value}"))
    for rule in kb.rules:
        for name, _ in _asserts(rule, kb):
            if name not in tested_findings and name not in BUILT_IN_FINDINGS:
                issues.append(Issue("KB202", _where(rule), rule.id, f"no rule uses finding '{name}'"))
                tested_findings.add(name)  # report each finding once
    return issues


def _fit_reads(kb):
    """KB406/KB407: fit evidence and vetoes read fit questions only, fit weights are never negative and
    no fit test holds on ``unknown``; only consequences read a pricing question."""
    foresight, issues = Foresight(kb), []
    for rule in kb.rules:
        reads = foresight.questions_behind(rule.when) if rule.when is not None else set()
        kinds = {kb.question(q).kind for q in reads}
        fit = rule.layer in ("evidence", "vetoes")
        if (fit and kinds - {"fit"}) or (rule.layer != "consequences" and "pricing" in kinds):
            named = sorted(q for q in reads if kb.question(q).kind != "fit")
            issues.append(
                Issue(
                    "KB406",
                    _where(rule),
                    rule.id,
                    f"the {rule.layer} layer reads {', '.join(named)}: fit is what the buyer wants to "
                    f"move; readiness decides whether a model can work now, pricing follows the model",
                )
            )
        if rule.layer != "evidence":
            continue
        if any(a.kind == "evidence" and a.weight < 0 for a in rule.then):
            issues.append(
                Issue(
                    "KB407",
                    _where(rule),
                    rule.id,
                    "a negative fit weight: an unknown answer would "
                    "score better than this one; express a wrong fit as a veto",
                )
            )
        if any(
            UNKNOWN in (a.values or ())
            for branch in branches(rule.when, kb.question_map)
            for a, _ in branch
            if a.kind == "answer"
        ):
            issues.append(
                Issue(
                    "KB407",
                    _where(rule),
                    rule.id,
                    "fit evidence that holds when an answer is "
                    "unknown: unknown must never score better than a known answer",
                )
            )
    return issues


def _invariants(kb, samples, seed):
    """KB401-KB405 over seeded answer sets (complete and partial), one counter-example per rule and code."""
    checks, rng, found = Invariants(kb), random.Random(seed), {}
    for _ in range(samples):
        answers = {q.id: q.choices[-1] if rng.random() < 0.2 else rng.choice(q.values) for q in kb.questions}
        for violation in checks.check(answers, rng):
            found.setdefault((violation.code, violation.rule), [violation, 0])[1] += 1
    issues = []
    for (code, rule_id), (violation, count) in found.items():
        where = _where(kb.rule(rule_id)) if rule_id else "knowledge base"
        example = {q: v for q, v in violation.answers.items() if v != UNKNOWN}
        issues.append(
            Issue(
                code, where, rule_id, f"{violation.message} ({count} of {samples} sampled answer sets)", example=example
            )
        )
    return issues


def _answer_sets(kb, exhaustive, samples, seed):
    questions = [q.id for q in kb.questions]
    if exhaustive:
        for values in product(*(q.choices for q in kb.questions)):
            yield dict(zip(questions, values))
        return
    rng = random.Random(seed)
    for _ in range(samples):
        yield {q.id: rng.choice(q.choices) for q in kb.questions}


def _completeness(kb, exhaustive, samples, seed):
    """KB103/KB104/KB107 with a counter-example each, and rules that never fired (KB106/KB205)."""
    evaluator = DirectEvaluator(kb)
    failures, fired, runs = {}, set(), 0
    for answers in _answer_sets(kb, exhaustive, samples, seed):
        runs += 1
        state = evaluator.fire(answers)
        fired |= state.fired
        models = evaluator.recommended(state)
        if len(models) != 1:
            code = "KB103" if not models else "KB104"
            failures.setdefault((code, tuple(models)), [answers, 0])[1] += 1
        elif not any(n == FIT for n, _ in state.findings):
            failures.setdefault(("KB107", ()), [answers, 0])[1] += 1
    scope = "of all" if exhaustive else "of the sampled"
    issues = []
    for (code, models), (example, count) in failures.items():
        what = {
            "KB103": "no recommended model",
            "KB104": f"several recommended models ({', '.join(models)})",
            "KB107": "a recommendation but no ranking (no scoring rule fired)",
        }[code]
        shown = {q: v for q, v in example.items() if v != UNKNOWN}
        issues.append(
            Issue(code, "knowledge base", None, f"{count} {scope} {runs} answer sets give {what}", example=shown)
        )
    for rule in kb.rules:
        if rule.id not in fired:
            code = "KB106" if exhaustive else "KB205"
            issues.append(Issue(code, _where(rule), rule.id, f"fired for none {scope} {runs} answer sets"))
    return issues, runs
