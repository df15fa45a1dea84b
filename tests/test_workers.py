"""expert/workers.py: results in order, failures raised, bounded work in flight, and no worker left behind."""

import os
import time

import pytest

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


def test_an_exception_that_does_not_pickle_comes_back_as_its_text():
    with pytest.raises(RuntimeError, match="_Unpicklable: two"):
        list(workers.ordered(_unpicklable_at_two, range(5), 2))


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
