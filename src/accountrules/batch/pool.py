"""Supervised worker processes that evaluate a stream of records and give the results back in input order.

- Workers are started by a forkserver that has loaded what they run (`accountrules.batch.forkserver`).
- Workers never run the caller's script. multiprocessing normally re-runs the main module in every new process
  (as ``__mp_main__``), which makes a script without an ``if __name__ == "__main__":`` guard start over in each
  worker; a worker needs nothing from it (its target lives in `accountrules.batch.worker`), so the preparation
  data of processes named `WORKER_NAME` leaves the main module out.
- Records go out in chunks, at most ``window`` records are read ahead of the oldest unanswered one, and
  results are handed on as soon as every earlier record has been: memory stays flat whatever the archive's size.
- A worker that dies (a crash in the C engine kills the process) takes its chunk with it. Every record of
  that chunk that had no result gets one strike and is run again alone in a fresh worker; a record that
  kills a worker a second time is set aside as an error record. No record is lost or answered twice.
- A forkserver that dies makes every worker look dead, though they run on: their chunks go out again whole,
  without strikes, and a worker that fails to start because of it is started again.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import multiprocessing.connection
import multiprocessing.spawn
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from accountrules.batch.forkserver import STOP_SECONDS, WORKER_NAME, context
from accountrules.batch.records import Record, RecordError
from accountrules.batch.worker import EngineSpec, Hook, Mode, case_id_of, worker_main
from accountrules.errors import AccountRulesError, EvaluationError, UsageError

#: A record that has killed this many workers is set aside.
STRIKES = 2
#: Workers in a row that die before they are ready before the run gives up.
START_FAILURES = 3
#: Tries to start one worker process (the forkserver helper may be restarting) before the run gives up.
START_ATTEMPTS = 5
#: What tells a new process to re-run the caller's main module (by path or by module name).
_MAIN_KEYS = ("init_main_from_path", "init_main_from_name")


def _without_main(get_preparation_data: Callable[[str], dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    @functools.wraps(get_preparation_data)
    def prepare(name: str) -> dict[str, Any]:
        data = get_preparation_data(name)
        if name == WORKER_NAME:
            for key in _MAIN_KEYS:
                data.pop(key, None)
        return data

    prepare.__wrapped_by_accountrules__ = True  # type: ignore[attr-defined]
    return prepare


if not getattr(multiprocessing.spawn.get_preparation_data, "__wrapped_by_accountrules__", False):
    multiprocessing.spawn.get_preparation_data = _without_main(  # type: ignore[assignment]
        multiprocessing.spawn.get_preparation_data
    )


@dataclass(slots=True)
class _Pending:
    record: Record
    strikes: int = 0
    result: tuple[bool, Any] | None = None


@dataclass
class _Worker:
    process: Any
    conn: multiprocessing.connection.Connection
    ready: bool = False
    #: The pipe broke before the worker was seen to die: send it nothing more.
    lost: bool = False
    chunk: list[int] | None = None
    chunk_id: int = -1
    #: Cache entries other workers made (pickled by them, one bytes object per answer), to go out with this
    #: worker's next chunk.
    learnt: list[Any] = field(default_factory=list)


@dataclass
class Pool:
    """Evaluates records in ``workers`` processes; `run` yields ``(record, ok, value)`` in input order."""

    spec: EngineSpec
    workers: int
    mode: Mode
    chunk_size: int = 128
    window: int = 0
    hook: Hook | None = None
    #: Called with the number of records handed on so far, after each batch of them.
    progress: Callable[[int], None] | None = None
    _workers: list[_Worker] = field(default_factory=list)
    _next_chunk: int = 0

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise UsageError("a pool needs at least one worker")
        self.window = self.window or max(self.workers * self.chunk_size * 4, 64)
        self._context = context()

    # -- workers ---------------------------------------------------------------------------------------------

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe(duplex=True)
        with _ctrl_c_held():  # a worker forked is a worker known to the pool, and stopped with the others
            process = self._started(child, parent)
            child.close()
            worker = _Worker(process, parent)
            self._workers.append(worker)
        return worker

    def _started(
        self, child: multiprocessing.connection.Connection, parent: multiprocessing.connection.Connection
    ) -> Any:
        """A worker process started on ``child``, its end of the pipe."""
        for attempt in range(1, START_ATTEMPTS + 1):
            process = self._context.Process(  # type: ignore[attr-defined]
                target=worker_main, args=(child, self.spec, self.mode, self.hook), daemon=True, name=WORKER_NAME
            )
            try:
                process.start()
                return process
            except (OSError, EOFError) as exc:
                # the forkserver helper died (killed, or its socket lost), before it took the request (OSError) or
                # after (EOFError: it never sent the new process's id): multiprocessing starts a new one once it
                # has seen the old one end, which may take a moment
                if attempt == START_ATTEMPTS:
                    child.close()
                    parent.close()
                    raise EvaluationError(
                        f"could not start a worker process ({exc}); workers=0 evaluates here"
                    ) from None
                time.sleep(0.1 * attempt)
        raise AssertionError("START_ATTEMPTS is at least 1")

    def _stop_all(self) -> None:
        for worker in self._workers:
            with contextlib.suppress(OSError, ValueError):  # already gone
                worker.conn.send(None)
            if worker.chunk is not None:
                # a run cut short (Ctrl-C, an error): nobody will read this chunk's answer, and a worker blocked
                # writing it into a full pipe would only end when terminated; closed, its write fails and it ends
                worker.conn.close()
        for worker in self._workers:
            worker.process.join(STOP_SECONDS)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(STOP_SECONDS)
            worker.conn.close()
        self._workers.clear()

    # -- the run -----------------------------------------------------------------------------------------------

    def run(self, records: Iterable[Record]) -> Iterator[tuple[Record, bool, Any]]:
        source = iter(records)
        pending: dict[int, _Pending] = {}
        queue: deque[list[int]] = deque()
        read = emitted = 0
        exhausted = False
        start_failures = 0
        try:
            for _ in range(self.workers):
                self._start()
            while True:
                # read ahead, within the window
                while not exhausted and read - emitted < self.window and len(queue) < 2 * self.workers:
                    chunk: list[int] = []
                    while len(chunk) < self.chunk_size and read - emitted < self.window:
                        record = next(source, None)
                        if record is None:
                            exhausted = True
                            break
                        pending[read] = _Pending(record)
                        chunk.append(read)
                        read += 1
                    if chunk:
                        queue.append(chunk)
                # hand out work
                for worker in self._workers:
                    if worker.ready and not worker.lost and worker.chunk is None and queue:
                        self._send(worker, queue, pending)
                # hand on what is finished, in order
                handed = emitted
                while emitted < read and pending[emitted].result is not None:
                    item = pending.pop(emitted)
                    assert item.result is not None
                    emitted += 1
                    ok, value = item.result
                    yield item.record, ok, value
                if exhausted and emitted == read:
                    return
                if emitted != handed:
                    if self.progress is not None:
                        self.progress(emitted)
                    continue  # the window has room again: read on before waiting
                # wait for answers or deaths
                waitables: list[Any] = []
                for worker in self._workers:
                    waitables += [worker.conn, worker.process.sentinel]
                ready = multiprocessing.connection.wait(waitables)
                for worker in list(self._workers):
                    if worker.conn in ready:
                        try:
                            while worker.conn.poll():
                                self._receive(worker, worker.conn.recv(), pending)
                        except (EOFError, OSError):
                            pass  # the worker is gone; its sentinel says so
                    if worker.process.sentinel in ready or not worker.process.is_alive():
                        worker.process.join()
                        orphaned = _still_running(worker.process.pid)
                        if orphaned:
                            self._handed_back(worker, queue)
                        elif not worker.ready and not worker.lost:
                            start_failures += 1
                            if start_failures >= START_FAILURES:
                                raise EvaluationError(
                                    f"the worker processes could not start (exit code {worker.process.exitcode}); "
                                    "workers=0 evaluates in this process"
                                )
                        else:
                            start_failures = 0
                        self._buried(worker, pending, queue)
                        self._workers.remove(worker)
                        worker.conn.close()
                        self._start()
        finally:
            self._stop_all()

    def _send(self, worker: _Worker, queue: deque[list[int]], pending: dict[int, _Pending]) -> None:
        chunk = queue.popleft()
        worker.chunk = chunk
        worker.chunk_id = self._next_chunk
        self._next_chunk += 1
        try:
            worker.conn.send((worker.chunk_id, [pending[seq].record for seq in chunk], worker.learnt))
            worker.learnt = []
        except OSError:  # it died before it could take the chunk: the chunk goes back, unharmed
            queue.appendleft(chunk)
            worker.chunk = None
            worker.lost = True

    def _receive(self, worker: _Worker, message: Any, pending: dict[int, _Pending]) -> None:
        head = message[0]
        if head == "ready":
            worker.ready = True
            return
        if head == "failed":
            raise AccountRulesError(f"a worker could not build its engine: {message[1]}")
        chunk_id, results, fresh = message
        if fresh:
            for other in self._workers:
                if other is not worker:
                    other.learnt.extend(fresh)
        if worker.chunk is None or chunk_id != worker.chunk_id:
            return
        for seq, result in zip(worker.chunk, results, strict=True):
            item = pending.get(seq)
            if item is not None and item.result is None:
                item.result = result
        worker.chunk = None

    @staticmethod
    def _handed_back(worker: _Worker, queue: deque[list[int]]) -> None:
        """A worker whose forkserver died looks dead to the pool, yet runs on (its records did it no harm): its
        chunk goes back whole, without strikes. Its pipe is closed here, so it ends when it next answers."""
        if worker.chunk is not None:
            queue.appendleft(worker.chunk)
            worker.chunk = None

    def _buried(self, worker: _Worker, pending: dict[int, _Pending], queue: deque[list[int]]) -> None:
        """Account for the chunk a dead worker held: strike its unanswered records, rerun them one by one."""
        if worker.chunk is None:
            return
        code = worker.process.exitcode
        rerun: list[list[int]] = []
        for seq in worker.chunk:
            item = pending.get(seq)
            if item is None or item.result is not None:
                continue
            item.strikes += 1
            if item.strikes >= STRIKES:
                record = item.record
                item.result = (
                    False,
                    RecordError(
                        record.number,
                        record.position,
                        case_id_of(record.payload),
                        f"the rule engine crashed {item.strikes} times on this record (worker exit code {code}); "
                        "it was set aside",
                    ),
                )
            else:
                rerun.append([seq])
        queue.extendleft(reversed(rerun))
        worker.chunk = None


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Ctrl-C (SIGINT) held back until the block ends, then acted on. A worker is forked by the forkserver before
    ``start`` returns and records it: interrupted in between, the pool would not know the worker, nobody would
    stop it, and, orphaned, it would keep the resource tracker's pipe open, so that the command, waiting for the
    tracker to end, would wait for ever. Signals reach Python code in the main thread only: elsewhere, and when
    SIGINT is ignored or not Python's to handle, nothing is held."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return
    caught: list[FrameType | None] = []
    signal.signal(signal.SIGINT, lambda _signum, frame: caught.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            previous(signal.SIGINT, caught[0])


def _still_running(pid: int | None) -> bool:
    """Whether the process ``pid``, which the pool has seen end, still runs. A forkserver that dies closes every
    worker's sentinel, which then reads as exit code 255 while the workers live on as orphans; a worker that
    really ended was reaped by the forkserver (or by this process, under ``spawn``) before it was reported, and
    is gone. Checked on POSIX only (elsewhere signal 0 would end the process)."""
    if pid is None or os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, under another user: a reused number, not our worker
        return False
    return True
