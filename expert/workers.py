"""Worker processes that apply one function to a stream of tasks and give the results back in order.

Each worker has its own two pipes and no lock is shared between processes, so ending the workers (all
done, a failure, Ctrl-C, a killed parent) never waits on a lock that a killed process held, as
``multiprocessing.Pool.terminate`` can (CPython issues 73945, 78178, 96995). A thread in each worker
reads its tasks as they come, so the parent's writes never block on a worker busy writing a result.
"""

from __future__ import annotations

import pickle
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sourcing.expert.errors import EngineError

AHEAD = 2  # tasks in flight per worker: one being worked on, one waiting for it
_PROTOCOL = pickle.HIGHEST_PROTOCOL
_MASK = hasattr(signal, "pthread_sigmask")  # POSIX: Ctrl-C held while a worker starts


def ordered(
    function: Callable[[Any], Any],
    tasks: Iterable[Any],
    jobs: int,
    start: Callable[..., None] | None = None,
    start_args: tuple = (),
) -> Iterator[Any]:
    """Yield ``function(task)`` for each of ``tasks``, in their order, computed by ``jobs`` worker
    processes that each run ``start(*start_args)`` first, if given. At most ``AHEAD`` tasks per worker
    are in flight, so memory stays bounded however many tasks come. An exception raised by ``start`` or
    ``function`` is raised here. Workers ignore Ctrl-C (it is the parent's to handle), end when the
    parent dies, and are ended with the generator (exhausted, closed, or left by an exception)."""
    context = _context()
    workers: list[_Worker] = []
    waiting: deque[_Worker] = deque()
    try:
        for _ in range(jobs):
            workers.append(_Worker(context, function))
            workers[-1].start(start, start_args, inherited=[w.parent_ends for w in workers])
        for task in tasks:
            worker = min(workers, key=_load)
            worker.send(task)
            waiting.append(worker)
            if len(waiting) >= AHEAD * jobs:
                yield waiting.popleft().receive()
        while waiting:
            yield waiting.popleft().receive()
    finally:
        with _ctrl_c_held():  # a second Ctrl-C waits until every worker is ended
            for worker in workers:
                worker.end()


def _context():
    """Fork where it is available and safe (the workers then share what the parent built, and the
    parent is their parent, also on Python 3.14, whose default is a fork server); spawn elsewhere."""
    import multiprocessing

    usable = "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"
    return multiprocessing.get_context("fork" if usable else "spawn")


@contextmanager
def _ctrl_c_held():
    """Hold Ctrl-C (SIGINT blocked, on POSIX) in the block; one that came meanwhile is raised after it."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if _MASK else None
    try:
        yield
    finally:
        if held is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _load(worker: _Worker) -> int:
    return worker.in_flight


class _Worker:
    """One worker process and the parent's ends of its two pipes."""

    def __init__(self, context, function):
        tasks_in, self.tasks = context.Pipe(duplex=False)
        self.results, results_out = context.Pipe(duplex=False)
        self.child_ends = (tasks_in, results_out)
        self.parent_ends = (self.tasks, self.results)
        self.context, self.function = context, function
        self.process = None
        self.in_flight = 0

    def start(self, start, start_args, inherited):
        """Start the process with Ctrl-C held (the child inherits the mask and ignores it before letting
        it through; one that came meanwhile is raised here, once the worker is started). A forked child
        closes the parent's ends it inherited (``inherited``, its own included), so that the end of its
        tasks is the end of the parent."""
        inherited = [end for ends in inherited for end in ends] if self.context.get_start_method() == "fork" else []
        self.process = self.context.Process(
            target=_serve, args=(*self.child_ends, self.function, start, start_args, inherited), daemon=True
        )
        with _ctrl_c_held():
            try:
                self.process.start()
            finally:
                for end in self.child_ends:
                    end.close()  # once the worker is gone, reading its results meets the end of file

    def send(self, task):
        self.in_flight += 1
        try:
            self.tasks.send_bytes(pickle.dumps(task, _PROTOCOL))
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
        """End the worker at once (SIGKILL, which a stopped process obeys too): it is idle once every
        result is in, and anything it still had to do is no longer wanted."""
        for end in (*self.parent_ends, *self.child_ends):
            end.close()
        if self.process is not None and self.process.pid is not None:
            self.process.kill()
            self.process.join()
            self.process.close()  # its file descriptors now, not at the next garbage collection


def _serve(tasks, results, function, start, start_args, inherited):
    """A worker's life: ignore Ctrl-C, start, then answer each task read (by a thread, as it comes)
    until the tasks end; a failed start is the answer to every task."""
    import queue
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _MASK:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    for end in inherited:
        end.close()
    failed = None
    if start is not None:
        try:
            start(*start_args)
        except Exception as error:
            failed = _failure(error)
    inbox: queue.SimpleQueue = queue.SimpleQueue()
    threading.Thread(target=_read, args=(tasks, inbox), daemon=True).start()
    while (task := inbox.get()) is not None:
        reply = failed
        if reply is None:
            try:
                reply = pickle.dumps((True, function(task)), _PROTOCOL)
            except Exception as error:  # given to the parent, which raises it
                reply = _failure(error)
        try:
            results.send_bytes(reply)
        except OSError:  # the parent is gone
            return


def _read(tasks, inbox):
    try:
        while True:
            inbox.put(pickle.loads(tasks.recv_bytes()))
    except (EOFError, OSError):
        inbox.put(None)


def _failure(error):
    """The reply that raises ``error`` in the parent; its text in a RuntimeError when it does not
    survive pickling both ways."""
    try:
        reply = pickle.dumps((False, error), _PROTOCOL)
        pickle.loads(reply)
        return reply
    except Exception:
        return pickle.dumps((False, RuntimeError(f"{type(error).__name__}: {error}")), _PROTOCOL)
