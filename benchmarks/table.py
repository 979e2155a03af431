"""One run, one table: cases/s of the hand-written function, of ``batch`` at 1, 2 and all cores and of
``batch --dask`` on two local workers, on an archive whose fact patterns repeat and on one whose cases all
differ, with both rule engines (or those ``--engines`` names); best and median of 3 runs, and the peak memory of
any one process.

    python benchmarks/table.py [--repeated 40000] [--different 4000] [--runs 3] [--engines durable,compiled]
                               [--json OUT.json]

Every figure is a whole command in its own process (start-up included), timed from start to exit, the output
written to a file; the dask cluster (``LocalCluster``, 2 worker processes of 1 thread) is started once, after every
local figure is taken, and is not timed, as a cluster that already runs: an idle cluster on the same two cores
slowed local ``batch --workers 2`` by about a third (its event loops wake the cores the workers run on), and
changes the environment of the commands started after it (dask sets ``MALLOC_TRIM_THRESHOLD_`` and
``PYTHONHASHSEED`` in its own process). Peak memory is sampled from /proc every 50 ms over the command's
process tree and, for ``--dask``, the cluster's worker processes; the largest resident size of any one process
is reported. Ratios divide by the hand-written function's figure of the same archive in the same run (median by
median, best by best). Compare figures within one run: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from archives import write_archives  # noqa: E402 - a sibling script
from peak_memory import rss, tree  # noqa: E402 - a sibling script

SCRIPT = Path(sys.executable).with_name("accountrules")
HANDWRITTEN = (
    "import sys; sys.path.insert(0, {here!r}); from handwritten import decide_line\n"
    "with open(sys.argv[1], 'rb') as lines, open(sys.argv[2], 'w', encoding='utf-8') as out:\n"
    "    for line in lines:\n"
    "        out.write(decide_line(line)); out.write('\\n')\n"
)


def timed(command: list[str], extra_pids: Callable[[], list[int]] = list) -> tuple[float, int]:
    """Seconds from start to exit of ``command``, and the peak resident bytes of any one of its processes (and of
    ``extra_pids()``, sampled alongside)."""
    peak = 0
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            pids = tree(process.pid) + extra_pids()
            peak = max(peak, *(rss(pid) for pid in pids), 0)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, error = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode not in (0, 1):  # 1: the archive holds bad records, which is allowed
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {error.decode(errors='replace')}")
    return elapsed, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeated", type=int, default=40_000)
    parser.add_argument("--different", type=int, default=4_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/accountrules-table"))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--engines", default="durable,compiled", help="the rule engines to run batch with, comma-separated"
    )
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    paths = write_archives(args.folder, args.repeated, args.different)
    cores = os.cpu_count() or 1
    out = args.folder / "out.jsonl"

    def batch(*options: str) -> Callable[[Path], list[str]]:
        return lambda path: [str(SCRIPT), "batch", str(path), "-o", str(out), "--no-progress", *options]

    scheduler: list[str] = []  # the cluster's address, once it is started

    def dask_batch(engine: str) -> Callable[[Path], list[str]]:
        return lambda path: batch("--dask", scheduler[0], "--engine", engine)(path)

    configurations: list[tuple[str, Callable[[Path], list[str]], bool]] = [
        (
            "hand-written function",
            lambda p: [sys.executable, "-c", HANDWRITTEN.format(here=str(HERE)), str(p), str(out)],
            False,
        ),
    ]
    for engine in args.engines.split(","):
        for count, label in ((1, "1 core"), (2, "2 cores"), (cores, f"all cores ({cores})")):
            configurations.append(
                (f"batch {label}, {engine}", batch("--workers", str(count), "--engine", engine), False)
            )
        configurations.append((f"batch --dask, 2 workers, {engine}", dask_batch(engine), True))

    cases = {}
    for corpus, path in paths.items():
        with path.open("rb") as lines:
            cases[corpus] = sum(1 for _ in lines)
    found: dict[tuple[str, str], dict[str, Any]] = {}

    def measure(on_cluster: bool, workers: list[int]) -> None:
        for corpus, path in paths.items():
            for name, command, needs_cluster in configurations:
                if needs_cluster != on_cluster:
                    continue
                rates, peaks = [], []
                for _ in range(args.runs):
                    seconds, peak = timed(command(path), (lambda: workers) if on_cluster else list)
                    rates.append(cases[corpus] / seconds)
                    peaks.append(peak)
                row = found[corpus, name] = {
                    "archive": corpus,
                    "cases": cases[corpus],
                    "run": name,
                    "best": max(rates),
                    "median": statistics.median(rates),
                    "peak_mb": max(peaks) / 1e6,
                }
                print(
                    f"{corpus:9} {name:38} median {row['median']:8,.0f}  best {row['best']:8,.0f} cases/s",
                    file=sys.stderr,
                )

    measure(on_cluster=False, workers=[])
    from distributed import Client, LocalCluster

    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    )
    client = Client(cluster)  # type: ignore[no-untyped-call]
    scheduler.append(cluster.scheduler_address)
    try:
        measure(on_cluster=True, workers=sorted(client.run(os.getpid).values()))
    finally:
        client.close()  # type: ignore[no-untyped-call]
        cluster.close()  # type: ignore[no-untyped-call]
    rows = [found[corpus, name] for corpus in paths for name, _, _ in configurations]

    print("| archive | run | cases/s median | best | ratio median (best) | peak MB, one process |")
    print("|---|---|---:|---:|---:|---:|")
    for row in rows:
        yardstick = next(r for r in rows if r["archive"] == row["archive"] and r["run"] == "hand-written function")
        ratio = f"{row['median'] / yardstick['median']:.2f} ({row['best'] / yardstick['best']:.2f})"
        print(
            f"| {row['archive']} ({row['cases']:,}) | {row['run']} | {row['median']:,.0f} | {row['best']:,.0f} | "
            f"{ratio} | {row['peak_mb']:,.0f} |"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
