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
import itertools
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
from accountrules.batch.records import Block, Lines, Record, RecordError
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


#: What a worker is handed at once: records read here, or lines of a JSON-lines archive it reads itself.
Piece = list[Record] | Lines


@dataclass(slots=True)
class _Pending:
    """A piece read and not yet handed on: its answer once a worker gives it. A piece that was with a worker
    when it died is split into pieces of one record each (``parts``), each with a strike; its answer is theirs."""

    piece: Piece
    #: Records or lines, counted against the window.
    size: int
    strikes: int = 0
    answer: Any = None
    parts: list[_Pending] | None = None


@dataclass
class _Worker:
    process: Any
    conn: multiprocessing.connection.Connection
    ready: bool = False
    #: The pipe broke before the worker was seen to die: send it nothing more.
    lost: bool = False
    item: _Pending | None = None
    piece_id: int = -1
    #: Cache entries other workers made (pickled by them, one bytes object per answer), to go out with this
    #: worker's next piece.
    learnt: list[Any] = field(default_factory=list)


@dataclass
class Pool:
    """Evaluates records in ``workers`` processes: `run` yields ``(record, ok, value)`` in input order, `answers`
    each piece with its answer (a worker's results for its records, or, when ``joined``, their `Block`)."""

    spec: EngineSpec
    workers: int
    mode: Mode
    chunk_size: int = 128
    window: int = 0
    hook: Hook | None = None
    #: Called with the number of records handed on so far, after each batch of them.
    progress: Callable[[int], None] | None = None
    #: Answers are `Block`s: the lines `accountrules batch` writes for a piece's records (mode ``json``).
    joined: bool = False
    _workers: list[_Worker] = field(default_factory=list)
    _next_piece: int = 0

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise UsageError("a pool needs at least one worker")
        self.window = self.window or max(self.workers * self.chunk_size * 4, 64)
        self._context = context(checking=self.mode == "check")

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
                target=worker_main,
                args=(child, self.spec, self.mode, self.hook, self.joined),
                daemon=True,
                name=WORKER_NAME,
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
            if worker.item is not None:
                # a run cut short (Ctrl-C, an error): nobody will read this piece's answer, and a worker blocked
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

    @property
    def piece_size(self) -> int:
        """Records or lines in a piece: ``chunk_size``, within the window."""
        return min(self.chunk_size, self.window)

    def chunks(self, records: Iterable[Record]) -> Iterator[list[Record]]:
        """``records`` in pieces of `piece_size`."""
        source = iter(records)
        return iter(lambda: list(itertools.islice(source, self.piece_size)), [])

    def run(self, records: Iterable[Record]) -> Iterator[tuple[Record, bool, Any]]:
        """``(record, ok, value)`` for each of ``records``, in order (answers not ``joined``)."""
        for piece, results in self.answers(self.chunks(records)):
            assert isinstance(piece, list)
            for record, (ok, value) in zip(piece, results, strict=True):
                yield record, ok, value

    def answers(self, pieces: Iterable[Piece]) -> Iterator[tuple[Piece, Any]]:
        """Each of ``pieces`` with its answer, in order; at most ``window`` records or lines are read ahead of
        the oldest piece not yet handed on."""
        source = iter(pieces)
        pending: deque[_Pending] = deque()  # read, in order, not yet handed on
        queue: deque[_Pending] = deque()  # to hand out
        ahead = handed = 0
        exhausted = False
        start_failures = 0
        try:
            for _ in range(self.workers):
                self._start()
            while True:
                # read ahead, within the window
                while not exhausted and ahead < self.window and len(queue) < 2 * self.workers:
                    piece = next(source, None)
                    if piece is None:
                        exhausted = True
                        break
                    item = _Pending(piece, piece.last - piece.first + 1 if isinstance(piece, Lines) else len(piece))
                    pending.append(item)
                    queue.append(item)
                    ahead += item.size
                # hand out work
                for worker in self._workers:
                    if worker.ready and not worker.lost and worker.item is None and queue:
                        self._send(worker, queue)
                # hand on what is finished, in order
                before = handed
                while pending and self._settled(pending[0]):
                    item = pending.popleft()
                    ahead -= item.size
                    handed += item.answer.records if self.joined else len(item.answer)
                    yield item.piece, item.answer
                if exhausted and not pending:
                    return
                if handed != before:
                    if self.progress is not None:
                        self.progress(handed)
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
                                self._receive(worker, worker.conn.recv())
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
                        self._buried(worker, queue)
                        self._workers.remove(worker)
                        worker.conn.close()
                        self._start()
        finally:
            self._stop_all()

    def _settled(self, item: _Pending) -> bool:
        """Whether ``item`` has its answer: its own, or, once each of its parts has one, theirs joined."""
        if item.answer is not None:
            return True
        if item.parts is None or any(part.answer is None for part in item.parts):
            return False
        answers = [part.answer for part in item.parts]
        item.answer = Block.joined(answers) if self.joined else [result for one in answers for result in one]
        return True

    def _send(self, worker: _Worker, queue: deque[_Pending]) -> None:
        item = queue.popleft()
        worker.item = item
        worker.piece_id = self._next_piece
        self._next_piece += 1
        try:
            worker.conn.send((worker.piece_id, item.piece, worker.learnt))
            worker.learnt = []
        except OSError:  # it died before it could take the piece: the piece goes back, unharmed
            queue.appendleft(item)
            worker.item = None
            worker.lost = True

    def _receive(self, worker: _Worker, message: Any) -> None:
        head = message[0]
        if head == "ready":
            worker.ready = True
            return
        if head == "failed":
            raise AccountRulesError(f"a worker could not build its engine: {message[1]}")
        piece_id, answer, fresh = message
        if fresh:
            for other in self._workers:
                if other is not worker:
                    other.learnt.extend(fresh)
        if worker.item is None or piece_id != worker.piece_id:
            return
        if worker.item.answer is None:
            worker.item.answer = answer
        worker.item = None

    @staticmethod
    def _handed_back(worker: _Worker, queue: deque[_Pending]) -> None:
        """A worker whose forkserver died looks dead to the pool, yet runs on (its records did it no harm): its
        piece goes back whole, without strikes. Its pipe is closed here, so it ends when it next answers."""
        if worker.item is not None:
            queue.appendleft(worker.item)
            worker.item = None

    def _buried(self, worker: _Worker, queue: deque[_Pending]) -> None:
        """Account for the piece a dead worker held: each of its records gets a strike and is run again alone; a
        record run alone that dies again is set aside."""
        item, worker.item = worker.item, None
        if item is None or item.answer is not None:
            return
        if item.strikes == 0:  # a piece as read: its records one by one, each with its first strike
            records = list(item.piece.records()) if isinstance(item.piece, Lines) else item.piece
            item.parts = [_Pending([record], 1, strikes=1) for record in records]
            queue.extendleft(reversed(item.parts))
            return
        item.strikes += 1
        if item.strikes < STRIKES:
            queue.appendleft(item)
            return
        record = item.piece[0] if isinstance(item.piece, list) else next(item.piece.records())
        set_aside = RecordError(
            record.number,
            record.position,
            case_id_of(record.payload),
            f"the rule engine crashed {item.strikes} times on this record (worker exit code "
            f"{worker.process.exitcode}); it was set aside",
        )
        item.answer = Block.of([(False, set_aside)]) if self.joined else [(False, set_aside)]


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
