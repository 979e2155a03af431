"""``accountrules batch`` and ``accountrules check``."""

from __future__ import annotations

import gzip
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, Optional

import typer

from accountrules.cli.common import (
    DEFAULT_MAX_WORK,
    EngineOption,
    MaxWorkOption,
    RuleEngine,
    RulesOption,
    engine_for,
    fail,
    format_option,
    limits,
    show,
    user_errors,
)
from accountrules.cli.workers import start_workers
from accountrules.render.views import Format, view

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from accountrules.batch.check import BadRecord
    from accountrules.batch.records import Source
    from accountrules.batch.worker import Mode
    from accountrules.engine.evaluate import Engine

#: Error records named in the closing message of ``batch``.
SHOWN_ERRORS = 5
#: Exit statuses of `check` besides 0 (consistent) and 1 (a bad record): inconsistencies found; nothing to check.
INCONSISTENT = 3
NOTHING_TO_CHECK = 4
#: The exit status of a batch stopped by Ctrl-C, as a shell reports a command that SIGINT ended (128 + 2).
INTERRUPTED = 130


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


InputArgument = Annotated[
    str,
    typer.Argument(
        metavar="IN",
        help="Archive of cases: .jsonl (one case per line), .json (an array of cases), either .gz; a .yaml case "
        "file; or a folder of case files (.json, .yaml), read in the order of their names; - reads stdin.",
    ),
]
WorkersOption = Annotated[
    Optional[int],  # noqa: UP045 - typer reads this annotation at run time on Python 3.10
    typer.Option("--workers", "-w", min=0, help="Worker processes (default: one per core; 0: in this process)."),
]
ProgressOption = Annotated[
    Optional[bool],  # noqa: UP045
    typer.Option("--progress/--no-progress", help="Progress bar on stderr (default: when stderr is a terminal)."),
]
DaskOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--dask",
        metavar="ADDRESS",
        help="Run on the dask.distributed scheduler at ADDRESS (e.g. tcp://10.0.0.5:8786); its workers read a plain "
        ".jsonl archive from the same path themselves. Needs the 'dask' extra.",
    ),
]
CacheOption = Annotated[
    int,
    typer.Option("--cache", min=0, help="Determinations each worker keeps for like cases (0: none)."),
]


def register(app: typer.Typer) -> None:
    """Add the batch and consistency commands to ``app``."""
    app.command("batch")(batch)
    app.command("check")(check)


def batch(
    source: InputArgument,
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="OUT", help="Output file (.jsonl, or .gz to compress); - stdout.")
    ] = "-",
    workers: WorkersOption = None,
    rules: RulesOption = None,
    progress: ProgressOption = None,
    cache: CacheOption = 4096,
    dask: DaskOption = None,
    max_work: MaxWorkOption = DEFAULT_MAX_WORK,
    runtime: EngineOption = RuleEngine.durable,
) -> None:
    """批量评估 Evaluate an archive of cases: one JSON line per record, in input order, the determination or
    {"line": N, "case_id": …, "error": …} for a bad record. Exit 0 when every record was evaluated, 1 when some
    were error records."""
    processes = _workers(workers)
    _refuse_overwriting(source, output)
    start_workers(processes, dask)
    from accountrules.batch.api import batch_output
    from accountrules.batch.records import Block, RecordError

    engine = _engine(rules, processes, runtime.value)
    errors: list[RecordError] = []
    count = 0
    with _opened(source) as archive, _output(output) as out, _progress_bar(archive, progress) as tick:
        blocks = (
            Block.each(_on_cluster(source, dask, "json", rules, cache, tick, runtime.value))
            if dask is not None
            else batch_output(
                engine,
                archive,
                workers=processes,
                cache_entries=cache,
                progress=tick,
                limits=limits(max_work),
                runtime=runtime.value,
            )
        )
        with user_errors():
            try:
                for block in blocks:
                    out.write(block.data)
                    count += block.records
                    errors += block.errors
            except KeyboardInterrupt:
                where = "the output" if output == "-" else output
                typer.echo(
                    f"Interrupted (Ctrl-C) after {count:,} records: {where} holds them, in input order; "
                    "the rest were not evaluated",
                    err=True,
                )
                raise typer.Exit(INTERRUPTED) from None
            finally:  # on an error too (a closed pipe), the workers stop before the command returns
                getattr(blocks, "close", lambda: None)()
        if tick is not None:
            tick.done(count)
    problems = []
    if errors:
        shown = "; ".join(str(e) for e in errors[:SHOWN_ERRORS])
        more = f"; and {len(errors) - SHOWN_ERRORS} more" if len(errors) > SHOWN_ERRORS else ""
        problems.append(f"{len(errors)} of {count} records could not be evaluated: {shown}{more}")
    if archive.error:
        problems.append(f"{source}: {archive.error} (the {count:,} records before it were written)")
    if problems:
        raise fail("\n".join(problems))


def check(
    source: InputArgument,
    json_out: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--json",
            metavar="OUT.json",
            help="Also write the findings as JSON to this file (- for stdout: the same as --format json); its JSON "
            "Schema is the one of the library's ConsistencyReport model (accountrules.batch).",
        ),
    ] = None,
    report: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--report",
            metavar="OUT.html",
            help="Also write the self-contained HTML report to this file.",
            dir_okay=False,
        ),
    ] = None,
    output_format: Annotated[Format, format_option("consistency")] = Format.text,
    workers: WorkersOption = None,
    rules: RulesOption = None,
    all_people: Annotated[
        bool, typer.Option("--all", help="List people within the range in the JSON too (large archives: large file).")
    ] = False,
    progress: ProgressOption = None,
    cache: CacheOption = 4096,
    dask: DaskOption = None,
    max_work: MaxWorkOption = DEFAULT_MAX_WORK,
    runtime: EngineOption = RuleEngine.durable,
) -> None:
    """一致性检查 Check recorded decisions against the rules: each recorded person within, too lenient or too harsh;
    like cases recorded unlike; responsible leaders left out of the record (一案双查). Exit 1 when a record was bad,
    else 4 when no valid case records an outcome (nothing to check), else 3 when inconsistencies were found, else 0
    (2: a command line that cannot be parsed)."""
    processes = _workers(workers)
    for written in (json_out, report):
        if written is not None:
            _refuse_overwriting(source, str(written))
    start_workers(processes, dask, checking=True)
    from accountrules.batch.api import check_consistency

    engine = _engine(rules, processes, runtime.value)
    with _opened(source) as archive, _progress_bar(archive, progress) as tick, user_errors():
        if dask is not None:
            from accountrules.batch.api import consistency_report, pack_of

            checks = _on_cluster(source, dask, "check", rules, cache, tick, runtime.value)
            result = consistency_report(pack_of(rules), checks, keep_within=all_people)
        else:
            result = check_consistency(
                archive,
                engine,
                workers=processes,
                keep_within=all_people,
                progress=tick,
                cache_entries=cache,
                limits=limits(max_work),
                runtime=runtime.value,
            )
        if tick is not None:
            tick.done(result.summary.records)
    name = _display_name(source)
    show("consistency", Format.json if json_out == "-" else output_format, result, source=name)
    if json_out not in (None, "-"):
        _write_text(Path(json_out), view("consistency", Format.json)(result))
    if report is not None:
        _write_text(report, view("consistency", Format.html)(result, source=name))
    summary = result.summary
    problems = []
    if summary.bad_records:
        shown = "; ".join(_bad(b) for b in result.bad_records[:SHOWN_ERRORS])
        more = f"; and {summary.bad_records - SHOWN_ERRORS} more" if summary.bad_records > SHOWN_ERRORS else ""
        problems.append(f"{summary.bad_records} of {summary.records} records could not be checked: {shown}{more}")
    if archive.error:
        problems.append(f"{source}: {archive.error} (the {summary.records:,} records before it were checked)")
    if problems:
        raise fail("\n".join(problems))
    if not summary.cases_with_record:
        typer.echo(
            f"Nothing to check: none of the {summary.cases:,} valid cases records an outcome (its 'recorded' "
            "field); add what was decided to compare it with the rules.",
            err=True,
        )
        raise typer.Exit(NOTHING_TO_CHECK)
    if summary.inconsistent:
        raise typer.Exit(INCONSISTENT)


# ---------------------------------------------------------------------------------------------------------------


def _on_cluster(
    source: str, address: str, mode: Mode, rules: Path | None, cache: int, tick: Any, runtime: str
) -> Iterator[tuple[Any, bool, Any]]:
    """The results of ``source`` evaluated on the dask.distributed cluster at ``address``, in order."""
    try:
        from accountrules.batch.scale import dask_stream
    except ImportError:
        raise fail("--dask needs the 'dask' extra: pip install 'accountrules[dask]'") from None
    try:
        for count, result in enumerate(
            dask_stream(source, address, mode=mode, rules=rules, cache_entries=cache, runtime=runtime), 1
        ):
            yield result
            if tick is not None and count % 1000 == 0:
                tick(count)
    except OSError as exc:  # the scheduler cannot be reached
        raise fail(f"the dask scheduler at {address} could not be reached: {exc}") from None


#: The most worker processes a command starts: each loads the rule engine, and more than the machine's cores only
#: wait for them.
MAX_WORKERS = 256


def _workers(asked: int | None) -> int:
    """The number of worker processes: one per core unless ``--workers`` says otherwise, at most `MAX_WORKERS`."""
    if asked is None:
        return default_workers()
    if asked > MAX_WORKERS:
        raise fail(f"--workers {asked}: give at most {MAX_WORKERS} (the default, one per core, is {default_workers()})")
    return asked


def _engine(rules: Path | None, workers: int, runtime: str) -> Engine | Path | None:
    """The engine to evaluate with in this process, or, for workers (which build their own), the pack's folder
    once it is known to load: either way a bad pack stops the command before the archive is read."""
    from accountrules.batch.api import pack_of

    with user_errors():
        if workers == 0:
            return engine_for(rules, runtime)  # type: ignore[no-any-return]
        pack_of(rules)
    return rules


def _refuse_overwriting(source: str, output: str) -> None:
    """Writing over the archive being read would destroy it before it is read; so would writing over a case file
    of a folder being read, and an output written there as a case file would be read as a case the next time."""
    if source == "-" or output == "-":
        return
    from accountrules.batch.records import CASE_FILE_SUFFIXES

    written = Path(output)
    if os.path.isdir(source) and written.suffix.lower() in CASE_FILE_SUFFIXES:
        try:
            inside = os.path.samefile(written.resolve().parent, source)
        except OSError:  # the output's folder does not exist: nothing of the input is there
            inside = False
        if inside:
            raise fail(
                f"{output}: would be a case file of the input folder {source}; "
                "write the output outside it, or name it .jsonl"
            )
    try:
        same = os.path.samefile(source, output)
    except OSError:  # one of them does not exist (yet)
        return
    if same:
        raise fail(f"{output}: is the input archive itself; write the output to another file")


def _bad(record: BadRecord) -> str:
    where = f"line {record.line}" if record.line is not None else f"index {record.index}"
    case = f" (case {record.case_id})" if record.case_id else ""
    return f"{where}{case}: {record.error}"


def _display_name(source: str) -> str:
    return "<stdin>" if source == "-" else Path(source).name


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"{path}: cannot write: {exc.strerror or exc}") from None


@contextmanager
def _opened(source: str) -> Iterator[Source]:
    from accountrules.batch.records import Folder, open_source

    try:
        archive = open_source(source)
    except FileNotFoundError:
        raise fail(f"{source}: no such file; check the path") from None
    except PermissionError:
        raise fail(f"{source}: cannot read the file: permission denied") from None
    if isinstance(archive, Folder) and not archive.files:
        raise fail(
            f"{source}: the folder holds no case files (.json, .yaml or .yml); give a folder of cases or an archive"
        )
    with archive:
        yield archive


@contextmanager
def _output(name: str) -> Iterator[IO[bytes]]:
    if name == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    from accountrules.batch.records import BUFFER

    try:
        out: Any = gzip.open(name, "wb") if name.endswith(".gz") else open(name, "wb", buffering=BUFFER)  # noqa: SIM115
    except OSError as exc:
        raise fail(f"{name}: cannot write: {exc.strerror or exc}") from None
    with out:
        yield out


class _Ticker:
    """Moves a rich progress bar: cases so far and cases/s while running; the final count out of the total
    when done."""

    def __init__(self, bar: Progress, task: TaskID, archive: Source) -> None:
        self.bar, self.task, self.archive = bar, task, archive
        self.started = time.perf_counter()

    def __call__(self, count: int) -> None:
        self.bar.update(self.task, completed=self.archive.done, cases=f"{count:,}", rate=self._rate(count))

    def done(self, count: int) -> None:
        """The last frame: every record read, ``count / count``, whatever the workers last reported."""
        total = self.archive.size if self.archive.size is not None else self.archive.done
        self.bar.update(self.task, total=total, completed=total, cases=f"{count:,} / {count:,}", rate=self._rate(count))

    def _rate(self, count: int) -> float:
        return count / max(time.perf_counter() - self.started, 1e-9)


@contextmanager
def _progress_bar(archive: Source, wanted: bool | None) -> Iterator[_Ticker | None]:
    """A rich progress bar on stderr (cases, cases/s, and how far through the file), or None."""
    if not (sys.stderr.isatty() if wanted is None else wanted):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[cases]} 案 cases · {task.fields[rate]:,.0f} 案/秒 cases/s"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        yield _Ticker(bar, bar.add_task(_display_name(archive.name), total=archive.size, cases="0", rate=0.0), archive)
