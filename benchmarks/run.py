"""Measure the performance targets of docs/performance.md and print them as a table.

    python benchmarks/run.py            (about a minute on a 2-core machine)

Whole-process figures run the installed ``sourcing`` command in a subprocess
and report the median of several runs; in-process figures time the library.
Nothing here asserts: the figures are for people to read and compare.
"""
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from tabulate import tabulate

from expert import Advisor, load
from expert.direct import DirectEvaluator
from expert.engine import Consultant
from expert.model import Atom, Not

REPO = Path(__file__).resolve().parent.parent
SOURCING = str(Path(sys.executable).with_name("sourcing"))
EXAMPLE = str(REPO / "examples" / "customer-support.yaml")
ROWS = 20000


def wall(args, runs=5):
    """Median wall time of a whole ``sourcing`` process."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([SOURCING, *args], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_call(function, items, repeat=3):
    """Best-of-``repeat`` mean time of ``function`` over ``items``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            function(item)
        best = min(best, (time.perf_counter() - start) / len(items))
    return best


def answer_sets(kb, count, seed=0, blank=0.1):
    rng = random.Random(seed)
    return [{q.id: ("unknown" if rng.random() < blank else rng.choice(q.values)) for q in kb.questions}
            for _ in range(count)]


def portfolio_file(kb, directory):
    path = Path(directory) / "portfolio.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id"] + [q.id for q in kb.questions])
        for n, answers in enumerate(answer_sets(kb, ROWS, seed=1), start=1):
            writer.writerow([f"P{n}"] + ["" if v == "unknown" else v for v in answers.values()])
    return str(path)


def _rename(condition, copy):
    if isinstance(condition, Atom):
        return replace(condition, name=f"{condition.name}~{copy}") if condition.kind == "finding" else condition
    if isinstance(condition, Not):
        return Not(_rename(condition.item, copy))
    return type(condition)(tuple(_rename(item, copy) for item in condition.items))


def scaled(kb, factor):
    """``kb`` with its findings, readiness, evidence and consequence rules copied ``factor`` times;
    each copy asserts renamed findings (name~k) and reads the renamed findings of its own copy."""
    copies = []
    for copy in range(1, factor):
        for rule in kb.rules:
            if rule.layer in ("scoring", "recommendation"):
                continue
            when = _rename(rule.when, copy) if rule.when is not None else None
            then = tuple(replace(a, name=f"{a.name}~{copy}") if a.kind == "finding" else a for a in rule.then)
            copies.append(replace(rule, id=f"{rule.id}~{copy}", when=when, then=then))
    rules = list(kb.rules) + copies
    rules = tuple(replace(rule, position=n) for n, rule in enumerate(rules))
    return replace(kb, rules=rules)


def main():
    kb = load()
    rows = []

    def add(what, figure, target=""):
        rows.append([what, figure, target])
        print(f"  {what}: {figure}", file=sys.stderr)

    with tempfile.TemporaryDirectory() as directory:
        path = portfolio_file(kb, directory)
        out = str(Path(directory) / "out.csv")
        for jobs in ([], ["--jobs", "1"]):
            seconds = wall(["assess", path, "--format", "csv", "-o", out, *jobs], runs=3)
            add(f"assess {ROWS:,} rows to CSV, {' '.join(jobs) or 'default: one process per CPU'} (whole process)",
                f"{seconds:.2f} s = {ROWS / seconds:,.0f} rows/s", "" if jobs else ">= 10,000 rows/s")
    add("why-not managed_services, 1-2 change search (whole process)",
        f"{wall(['why-not', 'managed_services', '--answers', EXAMPLE]) * 1000:.0f} ms", "< 500 ms")
    add("consult --answers F --no-input --format json (whole process)",
        f"{wall(['consult', '--answers', EXAMPLE, '--no-input', '--format', 'json']) * 1000:.0f} ms", "< 300 ms")
    add("sourcing --help (whole process)", f"{wall(['--help']) * 1000:.0f} ms", "< 100 ms")

    sample = answer_sets(kb, 200, seed=2)
    recorded, bare = Consultant(kb), Consultant(kb, provenance=False)
    with_provenance = per_call(recorded.run, sample)
    without = per_call(bare.run, sample)
    add("experta consultation with provenance / without", f"{with_provenance * 1000:.2f} ms / "
        f"{without * 1000:.2f} ms = {with_provenance / without:.2f}x", "<= 1.2x")
    fresh = per_call(lambda answers: Consultant(kb).run(answers), sample[:20], repeat=1)
    add("new engine per consultation / reused engine", f"{fresh * 1000:.1f} ms / {with_provenance * 1000:.2f} ms "
        f"= {fresh / with_provenance:.1f}x", "")
    advisor = Advisor(kb)
    add("direct evaluator, one answer set", f"{per_call(advisor.evaluate, sample) * 1e6:.0f} us", "")
    add("strength as consult gives it (foresight), one answer set",
        f"{per_call(lambda a: advisor.open_questions(a), sample) * 1e6:.0f} us", "")

    print(tabulate(rows, headers=["measure", "figure", "target"], tablefmt="github"))
    print()
    scale_rows = []
    for factor in (1, 2, 4, 8):
        big = scaled(kb, factor)
        start = time.perf_counter()
        consultant = Consultant(big)
        build = time.perf_counter() - start
        run = per_call(consultant.run, sample[:40], repeat=2)
        direct = per_call(DirectEvaluator(big).run, sample, repeat=2)
        scale_rows.append([f"{factor}x", len(big.rules), f"{build * 1000:.0f} ms", f"{run * 1000:.1f} ms",
                           f"{direct * 1e6:.0f} us"])
        print(f"  scale {factor}x done", file=sys.stderr)
    print(tabulate(scale_rows, headers=["knowledge base", "rules", "experta build", "experta consultation",
                                        "direct evaluator"], tablefmt="github"))
    print(f"\n(Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
