"""Peak memory of ``accountrules batch`` on a large archive (SPEC §8: ≤ 300 MB whatever the file size).

    python benchmarks/peak_memory.py [--cases 1000000] [--workers 2] [--archive PATH]

Writes the archive (seeded, repeated patterns) unless it exists, runs ``accountrules batch`` under
``/usr/bin/time -v`` with the output thrown away, samples the resident memory of the whole process tree (the
command, the fork server and the workers) every 0.2 s from /proc, and prints the peaks: of the tree together,
and of the largest single process. Not part of the test run: it takes minutes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from accountrules.batch.synth import CorpusSpec, write
from accountrules.engine.evaluate import Engine

PAGE = 4096


def tree(root: int) -> list[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(status.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--archive", type=Path, default=Path("/tmp/accountrules-peak-memory.jsonl"))
    args = parser.parse_args()
    if not args.archive.exists():
        started = time.perf_counter()
        with args.archive.open("w", encoding="utf-8") as out:
            write(CorpusSpec(cases=args.cases, seed=11, patterns=300), out, Engine.default())
        print(f"wrote {args.archive} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    size = args.archive.stat().st_size
    script = Path(sys.executable).with_name("accountrules")
    command = ["/usr/bin/time", "-v", str(script), "batch", str(args.archive), "-o", "/dev/null"]
    command += ["--workers", str(args.workers), "--no-progress"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    peak_tree = peak_one = 0
    while process.poll() is None:
        sizes = [rss(pid) for pid in tree(process.pid)]
        peak_tree, peak_one = max(peak_tree, sum(sizes)), max(peak_one, *sizes, 0)
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    timing = process.stderr.read() if process.stderr else ""
    reported = next((line.split(":")[1].strip() for line in timing.splitlines() if "Maximum resident" in line), "?")
    with args.archive.open("rb") as archive:
        lines = sum(1 for _ in archive)
    rate = lines / elapsed
    print(f"archive: {lines:,} cases, {size / 1e6:,.0f} MB")
    print(f"batch --workers {args.workers}: {elapsed:,.0f} s, {rate:,.0f} cases/s, exit {process.returncode}")
    print(f"peak RSS, whole process tree (sampled): {peak_tree / 1e6:,.0f} MB")
    print(f"peak RSS, largest single process (sampled): {peak_one / 1e6:,.0f} MB")
    print(f"peak RSS, /usr/bin/time -v (the command's own process): {int(reported) / 1e3:,.0f} MB")
    return process.returncode


if __name__ == "__main__":
    raise SystemExit(main())
