"""`accountrules serve` as a real process on 127.0.0.1: many concurrent clients, every answer right."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from accountrules import Engine
from accountrules.validation import load_case

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "examples" / "cases").glob("*.json"))

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    """A running `accountrules serve` with two workers on a free port; stopped with SIGINT afterwards."""
    script = shutil.which("accountrules", path=str(Path(sys.executable).parent))
    assert script, "the accountrules script is not installed beside this Python; pip install -e . first"
    port = free_port()
    process = subprocess.Popen(
        [script, "serve", "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        ready = 0
        for _ in range(600):  # both workers answering (a worker imports the library and the pack first)
            try:
                ready = ready + 1 if httpx.get(f"{base}/healthz", timeout=5).status_code == 200 else 0
            except httpx.TransportError:
                ready = 0
            if ready >= 4 or process.poll() is not None:
                break
            time.sleep(0.2)
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        assert b"Traceback" not in stderr


def test_800_requests_from_16_clients_all_get_the_right_determination(service: str, engine: Engine) -> None:
    """800 evaluations sent by 16 concurrent clients each return the determination of their own case."""
    bodies = [case.read_bytes() for case in CASES]
    expected = [(engine.evaluate(load_case(case)).to_json() + "\n").encode() for case in CASES]

    def ask(client: httpx.Client, numbers: range) -> list[bool]:
        with client:
            answers = [client.post("/v1/evaluate", content=bodies[n % len(bodies)]) for n in numbers]
        pairs = zip(numbers, answers, strict=True)
        return [a.status_code == 200 and a.content == expected[n % len(bodies)] for n, a in pairs]

    clients = [httpx.Client(base_url=service, timeout=120) for _ in range(16)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        runs = pool.map(ask, clients, [range(i, 800, 16) for i in range(16)])
        right = [ok for run in runs for ok in run]
    assert right.count(True) == 800


def test_bad_input_to_the_real_service_gets_no_traceback(service: str) -> None:
    """Malformed, invalid and oversized bodies get 400, 422 and 413 from the running service, without a
    traceback."""
    answers = [
        httpx.post(f"{service}/v1/evaluate", content=body, timeout=60)
        for body in (b"{", b'{"case_id": 5}', b" " * (5 * 1024 * 1024 + 1))
    ]
    assert [a.status_code for a in answers] == [400, 422, 413]
    assert not any("Traceback" in a.text for a in answers)


def test_a_port_in_use_is_an_error_line_and_exit_1() -> None:
    """`serve --port P` while something listens on P: exit 1 and an `Error:` line with what to change (not
    uvicorn's start-up failure status 3, which `check` uses for inconsistencies)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "accountrules", "serve", "--port", str(port), "--workers", "1"],
            capture_output=True,
            timeout=120,
            check=False,
        )
    in_use = f"[Errno {errno.EADDRINUSE}] {os.strerror(errno.EADDRINUSE)}"
    assert result.returncode == 1
    assert result.stderr.decode().splitlines()[-1] == (
        f"Error: --port {port}: cannot listen on 127.0.0.1:{port} ({in_use}); "
        "choose another --port, or a --host that is an address of this machine"
    )
