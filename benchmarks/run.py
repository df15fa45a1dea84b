"""Measure the performance targets of docs/performance.md as ratios to anchors run beside them.

    python benchmarks/run.py            (a few minutes on a 2-core machine)
    python benchmarks/run.py --quick    (about a minute: fewer runs, smaller portfolios, no 1,000,000 rows)

Absolute times on a shared machine say little; ratios to an anchor measured in
the same interleaved loop (whole processes: ``python -c pass``, ``python -c
"import click"``) or in the same process (the direct evaluator: one flat
generated function over the same rules) hold up. Every whole-process figure is
the median of interleaved runs, CPU time (user + system, workers included)
beside wall time; a target "holds" on the CPU ratio. Memory is the peak over
the whole process tree, sampled from /proc (RSS and PSS summed over the
processes), beside the largest single ``ru_maxrss``. Nothing here asserts: the
figures are for people to read.

Measure a regular install (``pip install .``): the commands run with bytecode
written and read as a user's would (PYTHONDONTWRITEBYTECODE is dropped for them).
"""

import argparse
import csv
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tabulate import tabulate

from sourcing.expert import codegen, load
from sourcing.expert.conditions import map_atoms
from sourcing.expert.direct import DirectEvaluator
from sourcing.expert.engine import Consultant
from sourcing.expert.record import replace

REPO = Path(__file__).resolve().parent.parent
SOURCING = str(Path(sys.executable).with_name("sourcing"))
EXAMPLE = str(REPO / "examples" / "customer-support.yaml")


def timed(args, env=None, stdout=subprocess.DEVNULL):
    """(wall seconds, CPU seconds of the process and all it waited for) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=False, stdout=stdout, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def interleaved(commands, rounds):
    """{name: (median wall, median CPU)} of ``commands`` ({name: (args, env factory)}), run in turn."""
    samples = {name: [] for name in commands}
    for _ in range(rounds):
        for name, (args, env) in commands.items():
            samples[name].append(timed(args, env()))
    return {
        name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
        for name, runs in samples.items()
    }


def environment(**changes):
    env = dict(os.environ)
    env.pop("SOURCING_NO_CACHE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as a user runs it: modules from their bytecode
    env.update(changes)
    return env


def whole_processes(rounds, add):
    warm = tempfile.mkdtemp(prefix="sourcing-bench-warm-")
    consult = [SOURCING, "consult", "--answers", EXAMPLE, "--no-input", "--format", "json"]
    subprocess.run(consult, env=environment(XDG_CACHE_HOME=warm), stdout=subprocess.DEVNULL, check=False)
    commands = {
        "python -c pass": ([sys.executable, "-c", "pass"], environment),
        "python -c 'import click'": ([sys.executable, "-c", "import click"], environment),
        "sourcing --help": ([SOURCING, "--help"], environment),
        "consult --no-input --format json, cache warm": (consult, lambda: environment(XDG_CACHE_HOME=warm)),
        "consult --no-input --format json, cache cold": (
            consult,
            lambda: environment(XDG_CACHE_HOME=tempfile.mkdtemp(prefix="sourcing-bench-cold-")),
        ),
        "why-not managed_services (search up to 2 changes), cache warm": (
            [SOURCING, "why-not", "managed_services", "--answers", EXAMPLE],
            lambda: environment(XDG_CACHE_HOME=warm),
        ),
    }
    figures = interleaved(commands, rounds)
    click_wall, click_cpu = figures["python -c 'import click'"]
    targets = {
        "sourcing --help": 1.2,
        "consult --no-input --format json, cache warm": 2.5,
        "consult --no-input --format json, cache cold": 4,
        "why-not managed_services (search up to 2 changes), cache warm": 3,
    }
    for name, (wall, cpu) in figures.items():
        target = targets.get(name)
        add(
            name,
            f"CPU {cpu / click_cpu:.2f}x import click ({cpu * 1000:.0f} ms); "
            f"wall {wall / click_wall:.2f}x ({wall * 1000:.0f} ms)",
            f"<= {target}x" if target else "(anchor)",
            None if target is None else cpu / click_cpu <= target,
        )


def answer_sets(kb, count, seed=0, blank=0.1):
    rng = random.Random(seed)
    return [
        {q.id: ("unknown" if rng.random() < blank else rng.choice(q.values)) for q in kb.questions}
        for _ in range(count)
    ]


def portfolio_file(kb, path, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id"] + [q.id for q in kb.questions])
        rng = random.Random(1)
        for n in range(1, rows + 1):
            writer.writerow([f"P{n}"] + ["" if rng.random() < 0.1 else rng.choice(q.values) for q in kb.questions])
    return str(path)


def _tree_memory(pid):
    """(RSS, PSS) in KiB summed over ``pid`` and its children, from /proc (zeros where unreadable)."""
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            pids += [int(child) for child in handle.read().split()]
    except OSError:
        pass
    rss = pss = 0
    for each in pids:
        try:
            with open(f"/proc/{each}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss


def watched(args):
    """(wall, CPU, peak summed RSS MiB, peak summed PSS MiB, largest ru_maxrss MiB) of one process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_rss = peak_pss = 0
    while process.poll() is None:
        rss, pss = _tree_memory(process.pid)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.05)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak_rss / 1024, peak_pss / 1024, after.ru_maxrss / 1024


def portfolios(kb, rows, big, add):
    with tempfile.TemporaryDirectory() as directory:
        path = portfolio_file(kb, Path(directory) / "portfolio.csv", rows)
        out = str(Path(directory) / "out.csv")
        for jobs in ([], ["--jobs", "1"]):
            wall, cpu, rss, pss, maxrss = watched([SOURCING, "assess", path, "--format", "csv", "-o", out, *jobs])
            label = f"assess {rows:,} CSV rows, {' '.join(jobs) or 'default workers'}"
            memory = f"peak {rss:.0f} MiB RSS / {pss:.0f} MiB PSS summed, largest process {maxrss:.0f} MiB"
            if jobs:
                add(label, f"{rows / wall:,.0f} rows/s wall, {rows / cpu:,.0f} rows per CPU-second; {memory}")
                continue
            add(f"{label}: wall", f"{rows / wall:,.0f} rows/s wall; {memory}", ">= 10,000 rows/s", rows / wall >= 10000)
            add(
                f"{label}: CPU",
                f"{rows / cpu:,.0f} rows per CPU-second (workers included)",
                ">= 6,000 rows/CPU-s",
                rows / cpu >= 6000,
            )
        if big:
            path = portfolio_file(kb, Path(directory) / "big.csv", big)
            wall, cpu, rss, pss, maxrss = watched([SOURCING, "assess", path, "--format", "csv", "-o", out])
            add(
                f"assess {big:,} CSV rows, default workers: peak memory",
                f"{rss:.0f} MiB RSS / {pss:.0f} MiB PSS summed over all processes, largest process "
                f"{maxrss:.0f} MiB; {big / wall:,.0f} rows/s wall, {big / cpu:,.0f} rows per CPU-second",
                "< 150 MiB (RSS summed)",
                rss < 150,
            )


def per_call(functions, items, repeat=3, block=10):
    """The best-of-``repeat`` mean CPU time of each of ``functions`` over ``items``, measured in turn over
    blocks of ``block`` items (interleaved, so that a change of load falls on all of them alike)."""
    best = [float("inf")] * len(functions)
    blocks = [items[i : i + block] for i in range(0, len(items), block)]
    for _ in range(repeat):
        totals = [0.0] * len(functions)
        for part in blocks:
            for index, function in enumerate(functions):
                start = time.process_time()
                for item in part:
                    function(item)
                totals[index] += time.process_time() - start
        best = [min(b, t / len(items)) for b, t in zip(best, totals)]
    return best


def flat_function(kb):
    """The anchor of the direct evaluator: every rule's condition once, in one generated function, no layers,
    no fixed point, no actions: what no evaluator of these rules can do without."""
    rules = [(r.id, r.when, (), (), (), None) for r in kb.rules]
    [layer] = codegen.boolean_layers([(False, rules)])
    return lambda answers: layer(answers, set(), set(), set(), set(), None)


def _rename(condition, copy):
    return map_atoms(condition, lambda a: replace(a, name=f"{a.name}~{copy}") if a.kind == "finding" else a)


def extended(kb, extra):
    """``kb`` with ``extra`` generated rules: copies of its findings, readiness, evidence and consequence
    rules, each copy asserting renamed findings (name~k) and reading those of its own copy."""
    originals = [rule for rule in kb.rules if rule.layer not in ("scoring", "recommendation")]
    copies = []
    for n in range(extra):
        rule, copy = originals[n % len(originals)], 1 + n // len(originals)
        when = _rename(rule.when, copy)
        then = tuple(replace(a, name=f"{a.name}~{copy}") if a.kind == "finding" else a for a in rule.then)
        copies.append(replace(rule, id=f"{rule.id}~{copy}", when=when, then=then))
    rules = tuple(replace(rule, position=n) for n, rule in enumerate(list(kb.rules) + copies))
    return replace(kb, rules=rules)


def evaluators(kb, add, quick):
    sample = answer_sets(kb, 200, seed=2)
    flat, direct = per_call([flat_function(kb), DirectEvaluator(kb).run], sample, repeat=5)
    add(
        "direct evaluator / one flat generated function over the same rules (same process, CPU)",
        f"{direct / flat:.1f}x ({direct * 1e6:.0f} us / {flat * 1e6:.1f} us)",
        "<= 3x",
        direct / flat <= 3,
    )
    recorded, bare = Consultant(kb), Consultant(kb, provenance=False)
    with_provenance, without = per_call([recorded.run, bare.run], sample[:60])
    add(
        "experta consultation with provenance / the same engine recording nothing (CPU)",
        f"{with_provenance / without:.2f}x ({with_provenance * 1000:.2f} ms / {without * 1000:.2f} ms)",
        "<= 1.2x",
        with_provenance / without <= 1.2,
    )
    start = time.process_time()
    Consultant(kb)
    add(
        "building the experta network / one consultation (CPU)",
        f"{(time.process_time() - start) * 1000:.0f} ms / {with_provenance * 1000:.1f} ms",
    )
    base = len(kb.rules)
    sizes = (100, 500) if quick else (100, 500, 2000)
    bigger = [DirectEvaluator(extended(kb, extra)) for extra in sizes]
    costs = per_call([DirectEvaluator(kb).run] + [evaluator.run for evaluator in bigger], sample[:100], repeat=3)
    exponents = [
        (len(evaluator.kb.rules), cost, math.log(cost / costs[0]) / math.log(len(evaluator.kb.rules) / base))
        for evaluator, cost in zip(bigger, costs[1:])
    ]
    add(
        f"direct evaluator growth from {base} rules ({costs[0] * 1e6:.0f} us), measured interleaved",
        "; ".join(f"{n} rules: {cost * 1e6:.0f} us, exponent {exponent:.2f}" for n, cost, exponent in exponents),
        f"<= 1.1 at {exponents[-1][0]} rules",
        exponents[-1][2] <= 1.1,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and rows: about a minute")
    quick = parser.parse_args().quick
    kb = load()
    rows = []

    def add(what, figure, target="", holds=None):
        rows.append([what, figure, target, "" if holds is None else "yes" if holds else "no"])
        print(f"  {what}: {figure}", file=sys.stderr)

    load_before = os.getloadavg()
    whole_processes(5 if quick else 21, add)
    evaluators(kb, add, quick)
    portfolios(kb, 20000 if quick else 100000, None if quick else 1000000, add)
    print(tabulate(rows, headers=["measure", "figure", "target", "holds"], tablefmt="github"))
    print(
        f"\nPython {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load_before[0]:.2f} before "
        f"and {os.getloadavg()[0]:.2f} after, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


if __name__ == "__main__":
    main()
