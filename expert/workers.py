"""Worker processes that apply one function to a stream of tasks and give the results back in order.

Each worker has its own two pipes and no lock is shared between processes, so ending the workers (all
done, a failure, Ctrl-C, a killed parent) never waits on a lock that a killed process held, as
``multiprocessing.Pool.terminate`` can (CPython issues 73945, 78178, 96995). A thread in each worker
reads its tasks as they come, so the parent's writes never block on a worker busy writing a result.
"""

from __future__ import annotations

import pickle
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sourcing.expert.errors import EngineError

AHEAD = 2  # tasks in flight per worker: one being worked on, one waiting for it


def ordered(
    function: Callable[[Any], Any],
    tasks: Iterable[Any],
    jobs: int,
    start: Callable[..., None] | None = None,
    start_args: tuple = (),
) -> Iterator[Any]:
    """Yield ``function(task)`` for each of ``tasks``, in their order, computed by ``jobs`` worker
    processes that each run ``start(*start_args)`` first, if given. At most ``AHEAD`` tasks per worker are in
    flight, so memory stays bounded however many tasks come. An exception raised by ``function`` is
    raised here; the workers end with the generator (exhausted, closed, or left by an exception)."""
    import multiprocessing

    context = multiprocessing.get_context()
    workers = [_Worker(context, function, start, start_args) for _ in range(jobs)]
    waiting: deque[_Worker] = deque()
    try:
        for task in tasks:
            worker = min(workers, key=_load)
            worker.send(task)
            waiting.append(worker)
            if len(waiting) >= AHEAD * jobs:
                yield waiting.popleft().receive()
        while waiting:
            yield waiting.popleft().receive()
    finally:
        for worker in workers:
            worker.end()


def _load(worker: _Worker) -> int:
    return worker.in_flight


class _Worker:
    """One worker process and the parent's ends of its two pipes."""

    def __init__(self, context, function, start, start_args):
        tasks_out, self.tasks = context.Pipe(duplex=False)
        self.results, results_in = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_serve, args=(tasks_out, results_in, function, start, start_args), daemon=True
        )
        self.process.start()
        tasks_out.close()  # the worker's ends: once it is gone, reading its results meets the end of file
        results_in.close()
        self.in_flight = 0

    def send(self, task):
        self.in_flight += 1
        try:
            self.tasks.send_bytes(pickle.dumps(task, pickle.HIGHEST_PROTOCOL))
        except BrokenPipeError:
            raise self._ended() from None

    def receive(self):
        try:
            done, value = pickle.loads(self.results.recv_bytes())
        except EOFError:
            raise self._ended() from None
        self.in_flight -= 1
        if not done:
            raise value
        return value

    def _ended(self):
        self.process.join(1)
        code = self.process.exitcode
        how = "still running" if code is None else f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        return EngineError(f"a worker process ended unexpectedly ({how}); the run was stopped")

    def end(self):
        """End the worker at once: it is idle once every result is in, and anything it still had to do
        is no longer wanted. (Waiting for it to read the end of its tasks could wait for ever: a worker
        started after it holds a copy of the pipe's writing end.)"""
        self.tasks.close()
        self.process.terminate()
        self.process.join()
        self.results.close()


def _serve(tasks, results, function, start, start_args):
    """A worker's life: start, then answer each task read (by a thread, as it comes) until they end."""
    import queue
    import threading

    if start is not None:
        start(*start_args)
    inbox: queue.SimpleQueue = queue.SimpleQueue()
    threading.Thread(target=_read, args=(tasks, inbox), daemon=True).start()
    while (task := inbox.get()) is not None:
        try:
            reply = pickle.dumps((True, function(task)), pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # given to the parent, which raises it
            reply = _failure(error)
        results.send_bytes(reply)


def _read(tasks, inbox):
    try:
        while True:
            inbox.put(pickle.loads(tasks.recv_bytes()))
    except (EOFError, OSError):
        inbox.put(None)


def _failure(error):
    try:
        return pickle.dumps((False, error), pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle is sent as its text
        return pickle.dumps((False, RuntimeError(f"{type(error).__name__}: {error}")), pickle.HIGHEST_PROTOCOL)
