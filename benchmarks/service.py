"""Requests per second and p50/p99 latency of ``accountrules serve`` for 16 concurrent clients, beside
``accountrules batch`` on the same cases.

Run with ``python benchmarks/service.py [--requests 800] [--clients 16] [--workers N]``: it starts ``accountrules
serve`` on a free loopback port, sends the example cases round-robin (each client on its own keep-alive
connection), stops the service, then runs ``accountrules batch`` on an archive of the same requests and prints
both figures. Figures only, never assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "examples" / "cases").glob("*.json"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def script() -> str:
    found = shutil.which("accountrules", path=str(Path(sys.executable).parent))
    if not found:
        raise SystemExit("the accountrules script is not installed beside this Python; pip install -e '.[server]'")
    return found


def wait_until_ready(base: str, process: subprocess.Popen[bytes], workers: int) -> None:
    answered = 0
    while answered < 2 * workers:
        if process.poll() is not None:
            raise SystemExit("accountrules serve ended before it answered")
        try:
            answered += httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        except httpx.TransportError:
            time.sleep(0.2)


def serve_figures(requests: int, clients: int, workers: int) -> tuple[float, list[float]]:
    """Requests per second and every latency (seconds) against a fresh ``accountrules serve``."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [script(), "serve", "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    bodies = [case.read_bytes() for case in CASES]
    try:
        wait_until_ready(base, process, workers)

        def run(numbers: range) -> list[float]:
            took = []
            with httpx.Client(base_url=base, timeout=120) as client:
                for n in numbers:
                    start = time.perf_counter()
                    answer = client.post("/v1/evaluate", content=bodies[n % len(bodies)])
                    took.append(time.perf_counter() - start)
                    if answer.status_code != 200:
                        raise SystemExit(f"request {n}: {answer.status_code} {answer.text[:200]}")
            return took

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            runs = list(pool.map(run, [range(i, requests, clients) for i in range(clients)]))
        elapsed = time.perf_counter() - start
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    return requests / elapsed, [t for run in runs for t in run]


def batch_figure(requests: int, workers: int) -> float:
    """Cases per second of ``accountrules batch`` (cache off) on an archive of the same requests."""
    lines = [json.dumps(json.loads(CASES[n % len(CASES)].read_text(encoding="utf-8"))) for n in range(requests)]
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "requests.jsonl"
        archive.write_text("\n".join(lines) + "\n", encoding="utf-8")
        start = time.perf_counter()
        output = Path(tmp) / "out.jsonl"
        command = [script(), "batch", str(archive), "-o", str(output), "--workers", str(workers), "--cache", "0"]
        subprocess.run([*command, "--no-progress"], check=True)
        return requests / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    options = parser.parse_args()
    rate, latencies = serve_figures(options.requests, options.clients, options.workers)
    cuts = statistics.quantiles(latencies, n=100)
    batched = batch_figure(options.requests, options.workers)
    print(f"{options.requests} requests, {options.clients} clients, {options.workers} workers")
    print(f"serve: {rate:.0f} requests/s, p50 {cuts[49] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms")
    print(f"batch: {batched:.0f} cases/s (the same cases, cache off, process start included)")


if __name__ == "__main__":
    main()
