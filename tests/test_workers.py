"""expert/workers.py: results in order, failures raised, bounded work in flight, and no worker left behind."""

import os
import subprocess
import sys
import textwrap
import time

import pytest
from processes import running

from sourcing.expert import workers
from sourcing.expert.errors import EngineError

pytestmark = pytest.mark.skipif(
    not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"), reason="needs Linux /proc"
)


def _children():
    with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as handle:
        return {int(child) for child in handle.read().split()}


def _slow_for_small(number):
    time.sleep(0.002 * (number % 5))  # uneven: a later task often finishes before an earlier one
    return number * number


def test_results_come_in_the_order_of_the_tasks():
    assert list(workers.ordered(_slow_for_small, range(60), 3)) == [n * n for n in range(60)]


def _failing_at_seven(number):
    if number == 7:
        raise ValueError("seven")
    return number


class _Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("not this one")


def _unpicklable_at_two(number):
    if number == 2:
        raise _Unpicklable("two")
    return number


def test_an_exception_in_a_worker_is_raised_in_order_and_the_workers_end():
    before = _children()
    results = workers.ordered(_failing_at_seven, range(20), 2)
    assert [next(results) for _ in range(7)] == list(range(7))
    with pytest.raises(ValueError, match="seven"):
        next(results)
    assert _children() <= before


class _NotReadBack(Exception):
    def __init__(self, what, why):  # pickles as NotReadBack(message), which cannot be built again
        super().__init__(f"{what}: {why}")


def _not_read_back_at_one(number):
    if number == 1:
        raise _NotReadBack("one", "no")
    return number


@pytest.mark.parametrize(
    ("function", "text"), [(_unpicklable_at_two, "_Unpicklable: two"), (_not_read_back_at_one, "_NotReadBack: one: no")]
)
def test_an_exception_that_does_not_pickle_both_ways_comes_back_as_its_text(function, text):
    with pytest.raises(RuntimeError, match=text):
        list(workers.ordered(function, range(5), 2))


def _failing_start():
    raise ValueError("no knowledge base here")


def test_a_failed_start_is_raised_here_and_prints_nothing(capfd):
    with pytest.raises(ValueError, match="no knowledge base here"):
        list(workers.ordered(abs, range(5), 2, _failing_start))
    assert capfd.readouterr().err == ""


def _open_descriptors():
    return len(os.listdir("/proc/self/fd"))


def test_a_failed_run_closes_every_descriptor_at_once():
    before = _open_descriptors()
    for _ in range(3):
        with pytest.raises(ValueError):
            list(workers.ordered(_failing_at_seven, range(20), 2))
    assert _open_descriptors() == before


def test_the_tasks_are_read_only_a_few_ahead_of_the_results():
    read = []

    def tasks():
        for number in range(100):
            read.append(number)
            yield number

    results = workers.ordered(abs, tasks(), 2)
    for taken in range(1, 30):
        next(results)
        assert len(read) <= taken + workers.AHEAD * 2
    results.close()


def test_leaving_early_or_failing_tasks_end_every_worker():
    before = _children()
    results = workers.ordered(abs, range(1000), 2)
    next(results)
    assert len(_children() - before) == 2
    results.close()
    assert _children() <= before

    def broken():
        yield from range(10)
        raise OSError("the input went away")

    with pytest.raises(OSError, match="went away"):
        list(workers.ordered(abs, broken(), 2))
    assert _children() <= before


def _killed_at_three(number):
    if number == 3:
        os.kill(os.getpid(), 9)
    return number


def test_a_worker_killed_mid_run_is_an_error_not_a_hang():
    """multiprocessing.Pool replaces a killed worker and waits for its lost task for ever."""
    with pytest.raises(EngineError, match=r"a worker process ended unexpectedly \(killed by signal 9\)"):
        list(workers.ordered(_killed_at_three, range(10), 2))


def test_a_finished_run_does_not_wait_for_its_idle_workers():
    """A worker forked later holds a copy of an earlier worker's task pipe, so that worker never reads
    the end of its tasks: waiting for it to leave by itself stalled every run (5 s, then a kill)."""
    began = time.monotonic()
    assert list(workers.ordered(abs, range(-4, 0), 2)) == [4, 3, 2, 1]
    assert time.monotonic() - began < 4


def _script(body):
    """Run ``body`` (Python; ``workers`` imported) in a new session, so that signals it sends to its
    group reach only it and its workers."""
    code = "import os, signal, sys, time\nfrom sourcing.expert import workers\n" + textwrap.dedent(body)
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def test_workers_end_when_their_parent_is_killed():
    """The parent's ends of the task pipes are closed in every worker, so the end of its tasks is
    the end of the parent, with no help from the kernel or the start function."""
    process = _script("""
        def slow(n):
            time.sleep(0.05)
            return os.getpid()
        for pid in workers.ordered(slow, range(10**6), 2):
            print(pid, flush=True)
    """)
    pids = {int(process.stdout.readline()) for _ in range(8)}
    assert len(pids) == 2
    process.kill()
    process.wait(60)
    for _ in range(100):
        if not any(running(pid) for pid in pids):
            break
        time.sleep(0.05)
    assert not any(running(pid) for pid in pids)


def test_ctrl_c_while_the_workers_start_interrupts_the_parent_only():
    """A Ctrl-C that comes while the workers are being started: the parent stops with
    KeyboardInterrupt, the workers print nothing, and none is left."""
    process = _script("""
        def interrupt_all():
            os.killpg(0, signal.SIGINT)  # as a terminal's Ctrl-C does
            time.sleep(0.2)
        try:
            list(workers.ordered(abs, range(100), 2, interrupt_all))
        except KeyboardInterrupt:
            print("interrupted", open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read().split())
    """)
    out, err = process.communicate(timeout=60)
    assert out == "interrupted []\n" and err == "", (out, err)


def test_a_stopped_worker_is_still_ended():
    process = _script("""
        def stop_at_zero(n):
            if n == 0:
                os.kill(os.getpid(), signal.SIGSTOP)
            return n
        def tasks():
            yield from range(3)
            raise OSError("the input went away")
        try:
            list(workers.ordered(stop_at_zero, tasks(), 2))
        except OSError as error:
            print(error)
    """)
    out, err = process.communicate(timeout=60)
    assert out == "the input went away\n" and err == "", (out, err)


def test_the_workers_are_forked_whatever_the_default_start_method():
    """Python 3.14 defaults to a fork server on Linux; the workers are still the parent's children."""
    process = _script("""
        import multiprocessing
        multiprocessing.set_start_method("forkserver")
        print(sorted(set(workers.ordered(lambda n: os.getppid(), range(8), 2))) == [os.getpid()])
    """)
    out, err = process.communicate(timeout=60)
    assert out == "True\n" and err == "", (out, err)
