"""``batch --dask`` against a local ``batch`` on a large archive with bad lines, also with a worker killed mid-run.

    python benchmarks/dask_equal.py [--cases 20000] [--patterns 2000] [--engine durable]

Writes CASES generated cases (PATTERNS distinct fact patterns) with bad lines spread through them (broken JSON,
a blank line, a case that breaks the contract, an array), runs ``accountrules batch`` locally (2 workers), then
on a ``LocalCluster`` of 2 worker processes twice: once undisturbed, once with one worker killed (SIGKILL) as
soon as the cluster is busy. Prints whether each cluster run wrote the same bytes and exit status as the local
run, the count of error records, and whether the killed worker was replaced; exits 1 when anything differs.
tests/test_dask.py holds the same on smaller archives in the test run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from accountrules.batch.synth import CorpusSpec, generate

BAD_LINES = [
    '{"case_id": "broken", "unit": ',
    "",
    '{"case_id": "x1", "unit": {"name": "u", "level": "county"}}',
    "[1, 2]",
]
SCRIPT = Path(sys.executable).with_name("accountrules")


def archive(path: Path, cases: int, patterns: int) -> None:
    lines = [r.text for r in generate(CorpusSpec(cases=cases, seed=17, patterns=patterns, recorded=False))]
    step = max(len(lines) // (len(BAD_LINES) + 1), 1)
    for n, bad in enumerate(BAD_LINES, 1):
        lines.insert(n * step + n - 1, bad)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def batch(path: Path, out: Path, *options: str) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(SCRIPT), "batch", str(path), "-o", str(out), "--no-progress", *options], capture_output=True
    )
    return done.returncode, out.read_bytes(), time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--patterns", type=int, default=2_000)
    parser.add_argument("--engine", default="durable")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/accountrules-dask-equal"))
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    path = args.folder / "archive.jsonl"
    archive(path, args.cases, args.patterns)
    engine = ("--engine", args.engine)
    local = batch(path, args.folder / "local.jsonl", "--workers", "2", *engine)
    errors, lines = local[1].count(b'"error":'), local[1].count(b"\n")
    print(f"local batch: exit {local[0]}, {lines:,} lines, {errors} error records, {local[2]:.0f} s")
    print(f"  sha256 {hashlib.sha256(local[1]).hexdigest()}")

    from distributed import Client, LocalCluster

    failures = 0
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        address = cluster.scheduler_address
        plain = batch(path, args.folder / "dask.jsonl", "--dask", address, *engine)
        same = plain[:2] == local[:2]
        failures += not same
        print(f"--dask, undisturbed: {'same bytes and exit status' if same else 'DIFFERS'}, {plain[2]:.0f} s")

        pids = sorted(client.run(os.getpid).values())
        killed: list[int] = []

        def kill_one_when_busy() -> None:
            for _ in range(12_000):  # at most two minutes
                if any(client.processing().values()):
                    time.sleep(1.0)  # well inside the run
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(pids[0])
                    return
                time.sleep(0.01)

        killer = threading.Thread(target=kill_one_when_busy, daemon=True)
        killer.start()
        disturbed = batch(path, args.folder / "dask-killed.jsonl", "--dask", address, *engine)
        killer.join(120)
        client.wait_for_workers(2, timeout=120)
        survivors = sorted(client.run(os.getpid).values())
        same = disturbed[:2] == local[:2]
        replaced = bool(killed) and killed[0] not in survivors
        failures += not same or not replaced
        print(
            f"--dask, worker {killed[0] if killed else '?'} killed mid-run: "
            f"{'same bytes and exit status' if same else 'DIFFERS'}; the killed worker "
            f"{'was replaced' if replaced else 'was NOT killed or replaced'}; {disturbed[2]:.0f} s"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
