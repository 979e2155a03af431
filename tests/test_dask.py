"""Scale-out on dask.distributed: `batch --dask` and `check --dask` write exactly what the local commands write,
also when a worker is lost mid-run; `partition` gives the lines `batch` writes."""

from __future__ import annotations

import gzip
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accountrules import Engine
from accountrules.batch import scale
from accountrules.batch.scale import byte_ranges, partition
from accountrules.batch.synth import CorpusSpec, generate
from accountrules.cli import app

distributed = pytest.importorskip("distributed")

BAD_LINES = [
    '{"case_id": "broken", "unit": ',
    "",
    '{"case_id": "x1", "unit": {"name": "u", "level": "county"}}',
    "[1, 2]",
]


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    ) as local:  # type: ignore[no-untyped-call]
        yield local


def archive(
    tmp_path: Path, cases: int, *, patterns: int, seed: int = 11, recorded: bool = False, engine: Engine | None = None
) -> Path:
    """An archive of generated cases with bad lines spread through it."""
    spec = CorpusSpec(cases=cases, seed=seed, patterns=patterns, recorded=recorded)
    lines = [g.text for g in generate(spec, engine)]
    for at, bad in zip(range(len(lines) // 5, len(lines), max(len(lines) // 5, 1)), BAD_LINES, strict=False):
        lines.insert(at, bad)
    path = tmp_path / f"archive-{cases}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, bytes]:
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout_bytes


def test_byte_ranges_cover_the_file_at_line_ends(tmp_path: Path) -> None:
    """Ranges follow each other without gap, each ends just after a line end, the last at the file's end."""
    path = tmp_path / "lines.jsonl"
    path.write_bytes(b"a" * 10 + b"\n" + b"b" * 30 + b"\n" + b"c\n" + b"d" * 5)
    assert byte_ranges(path, target=8) == [(0, 11), (11, 42), (42, 49)]


def test_partition_gives_the_lines_batch_writes(tmp_path: Path) -> None:
    """Lines numbered from 101 give, line for line, what `batch` writes for them, error records numbered alike."""
    path = archive(tmp_path, 40, patterns=40)
    lines = path.read_bytes().splitlines()
    code, local = run("batch", str(path), "--workers", "0", "--no-progress")
    expected = [json.loads(line) for line in local.splitlines()]
    for item in expected:
        if "line" in item:
            item["line"] += 100
    got = [json.loads(line) for line in partition(lines, first_line=101)]
    assert (code, got) == (1, expected)


@pytest.mark.slow
def test_batch_on_cluster_equals_local_batch(tmp_path: Path, cluster: object) -> None:
    """20,000 cases with bad lines, cut into byte ranges: the same bytes and exit status as a local batch."""
    path = archive(tmp_path, 20_000, patterns=300)
    local = run("batch", str(path), "--workers", "0", "--no-progress")
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    on_cluster = run("batch", str(path), "--dask", address, "--no-progress")
    assert on_cluster == local
    assert local[0] == 1


def test_compressed_archive_is_sent_by_the_caller(tmp_path: Path, cluster: object) -> None:
    """A .gz archive (which workers cannot cut) is read by the caller and sent in chunks: the same bytes."""
    plain = archive(tmp_path, 300, patterns=50)
    packed = tmp_path / "archive.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    assert run("batch", str(packed), "--dask", address, "--no-progress") == run(
        "batch", str(plain), "--workers", "0", "--no-progress"
    )


def test_check_on_cluster_equals_local_check(tmp_path: Path, cluster: object) -> None:
    """`check --dask` writes the same consistency report as a local check."""
    path = archive(tmp_path, 500, patterns=60, recorded=True, engine=Engine.default())
    local_json, cluster_json = tmp_path / "local.json", tmp_path / "cluster.json"
    local = run("check", str(path), "--workers", "0", "--no-progress", "--json", str(local_json))
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    on_cluster = run("check", str(path), "--dask", address, "--no-progress", "--json", str(cluster_json))
    assert (on_cluster[0], cluster_json.read_bytes()) == (local[0], local_json.read_bytes())


@pytest.mark.slow
def test_worker_lost_mid_run_costs_no_record(tmp_path: Path, cluster: object) -> None:
    """A worker killed while the archive runs: its tasks run again elsewhere, and the output is unchanged.

    Both sides use the compiled runtime (proven to decide as durable_rules does, tests/test_compiled.py), which
    keeps the workers busy long enough to be killed mid-run at a fifth of the time."""
    path = archive(tmp_path, 6_000, patterns=6_000, seed=13)
    local = run("batch", str(path), "--workers", "0", "--no-progress", "--engine", "compiled")
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    with distributed.Client(address) as client:  # type: ignore[no-untyped-call]
        pids = sorted(client.run(os.getpid).values())

        def kill_one_when_busy() -> None:
            for _ in range(6000):  # at most a minute
                if any(client.processing().values()):
                    os.kill(pids[0], signal.SIGKILL)
                    return
                time.sleep(0.01)

        killer = threading.Thread(target=kill_one_when_busy, daemon=True)
        killer.start()
        on_cluster = run("batch", str(path), "--dask", address, "--no-progress", "--engine", "compiled")
        killer.join(60)
        client.wait_for_workers(2, timeout=120)
        survivors = sorted(client.run(os.getpid).values())
    assert on_cluster == local
    assert pids[0] not in survivors


def test_unreachable_scheduler_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scheduler nobody answers at: exit 1 with `Error:` naming the address, no traceback."""
    monkeypatch.setattr(scale, "CONNECT_SECONDS", 2)  # the command waits 15 s before it gives up
    path = archive(tmp_path, 3, patterns=3)
    result = CliRunner().invoke(app, ["batch", str(path), "--dask", "tcp://127.0.0.1:9", "--no-progress"])
    assert (result.exit_code, result.stderr.startswith("Error: the dask scheduler at tcp://127.0.0.1:9 ")) == (1, True)
