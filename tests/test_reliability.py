"""What an unlucky archive or a hostile input can do, each pinned: a clean `Error:` and exit 1, no record lost."""

from __future__ import annotations

import functools
import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from accountrules import CaseValidationError, Engine, evaluate_many
from accountrules.batch.forkserver import start_method
from accountrules.batch.records import Record
from accountrules.batch.synth import CorpusSpec, generate
from accountrules.validation import parse_case_text

ROOT = Path(__file__).resolve().parents[1]
SPEC_EXAMPLE = ROOT / "examples" / "cases" / "spec-example.json"


def run(*args: str, stdin: bytes = b"", stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    """The installed command line, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "accountrules", *args],
        input=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return [g.text for g in generate(CorpusSpec(cases=6, seed=7, patterns=3, recorded=False))]


@pytest.fixture(scope="module")
def expected(lines: list[str]) -> list[bytes]:
    engine = Engine.default()
    return [engine.evaluate(text).to_json(indent=None).encode("utf-8") for text in lines]


# --- one JSON reader ----------------------------------------------------------------------------------------


def test_a_key_repeated_before_a_spaced_colon_is_refused_by_both_readers(tmp_path: Path) -> None:
    """`"case_id" :` written twice: evaluate and batch both refuse the case with the same words."""
    text = SPEC_EXAMPLE.read_text(encoding="utf-8").replace('"case_id":', '"case_id": "x", "case_id" :', 1)
    with pytest.raises(CaseValidationError, match="the key 'case_id' appears twice in one object; keep one"):
        parse_case_text(text)
    archive = tmp_path / "a.jsonl"
    archive.write_text(json.dumps(json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8")))[:-1] + ', "case_id" : "y"}\n')
    result = run("batch", str(archive), "--workers", "0")
    assert result.returncode == 1
    record = json.loads(result.stdout)
    assert record == {"line": 1, "case_id": "y", "error": "the key 'case_id' appears twice in one object; keep one"}


def test_a_number_of_4301_digits_is_an_error_not_a_crash(tmp_path: Path) -> None:
    """A count written with 4,301 digits is a validation error (exit 1), in the library and on the command line."""
    text = SPEC_EXAMPLE.read_text(encoding="utf-8").replace(
        '"violations_in_period": 4', '"violations_in_period": ' + "9" * 4301
    )
    with pytest.raises(CaseValidationError, match="a number in the JSON is too long to read"):
        parse_case_text(text)
    case = tmp_path / "long.json"
    case.write_text(text, encoding="utf-8")
    result = run("evaluate", str(case))
    assert result.returncode == 1
    assert result.stderr.decode().startswith(f"Error: {case}: a number in the JSON is too long to read")


@pytest.mark.parametrize("given", [1693526400, -0.0, "2023-09-01T00:00:00", "2023-09-01 00:00"])
def test_decided_on_is_a_date_string_and_nothing_else(given: object) -> None:
    """decided_on as a timestamp, a float or a date and time is refused at its path (SPEC §9.1)."""
    data = json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    data["decided_on"] = given
    with pytest.raises(CaseValidationError, match=r"^decided_on: "):
        parse_case_text(json.dumps(data))


# --- .json archives are exactly one array -------------------------------------------------------------------


def test_two_arrays_in_a_json_archive_are_an_error_after_the_first(
    tmp_path: Path, lines: list[str], expected: list[bytes]
) -> None:
    """The records of the first array are written, then `Error:` names what follows the bracket; exit 1."""
    archive = tmp_path / "two.json"
    archive.write_text(f"[{lines[0]}, {lines[1]}]\n[{lines[2]}]\n", encoding="utf-8")
    result = run("batch", str(archive), "--workers", "0")
    assert result.returncode == 1
    assert result.stdout.splitlines() == expected[:2]
    assert result.stderr.decode().splitlines() == [
        f"Error: {archive}: after the array's closing bracket comes '[{lines[2][:19]}'; a .json archive holds "
        "exactly one array (for several, use JSON lines: one case per line) (the 2 records before it were written)"
    ]


def test_a_json_archive_without_its_closing_bracket_is_an_error(
    tmp_path: Path, lines: list[str], expected: list[bytes]
) -> None:
    """A missing `]`: every element is written, then `Error:`; exit 1."""
    archive = tmp_path / "open.json"
    archive.write_text(f"[{lines[0]}, {lines[1]}\n", encoding="utf-8")
    result = run("batch", str(archive), "--workers", "0")
    assert result.returncode == 1
    assert result.stdout.splitlines() == expected[:2]
    assert result.stderr.decode().splitlines() == [
        f"Error: {archive}: the array is not closed: ']' is missing after the element at index 1 "
        "(the 2 records before it were written)"
    ]


# --- compressed archives --------------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_truncated_gzip_archive_keeps_every_readable_record(tmp_path: Path, workers: str) -> None:
    """An archive cut short: every complete record before the cut is written, whatever the workers, then
    `Error:`; exit 1."""
    texts = [g.text for g in generate(CorpusSpec(cases=400, seed=3, patterns=20, recorded=False))]
    whole = gzip.compress("".join(t + "\n" for t in texts).encode("utf-8"))
    archive = tmp_path / "cut.jsonl.gz"
    archive.write_bytes(whole[: len(whole) * 2 // 3])
    readable = 0
    with gzip.open(archive, "rb") as stream:
        try:
            for _ in stream:
                readable += 1
        except EOFError:
            pass
    result = run("batch", str(archive), "--workers", workers)
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == readable > 100
    assert result.stderr.decode().splitlines() == [
        f"Error: {archive}: the compressed data ends early or is damaged; the records before the damage were read "
        f"(the {readable} records before it were written)"
    ]


def test_a_gz_archive_that_is_not_gzip_is_an_error(tmp_path: Path) -> None:
    """A `.gz` name on plain text: `Error:` saying it is not gzip data; exit 1, nothing written."""
    archive = tmp_path / "plain.jsonl.gz"
    archive.write_text(SPEC_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    result = run("batch", str(archive), "--workers", "0")
    assert (result.returncode, result.stdout) == (1, b"")
    assert result.stderr.decode().startswith(f"Error: {archive}: not valid gzip data (Not a gzipped file")


# --- the input is never overwritten -----------------------------------------------------------------------------


def test_batch_refuses_to_write_over_its_input(tmp_path: Path, lines: list[str]) -> None:
    """`batch A.jsonl -o A.jsonl` stops before opening the output: exit 1, the archive intact."""
    archive = tmp_path / "a.jsonl"
    archive.write_text("".join(t + "\n" for t in lines), encoding="utf-8")
    before = archive.read_bytes()
    result = run("batch", str(archive), "-o", str(archive), "--workers", "0")
    assert result.returncode == 1
    assert (
        result.stderr.decode() == f"Error: {archive}: is the input archive itself; write the output to another file\n"
    )
    assert archive.read_bytes() == before


@pytest.mark.parametrize("name", ["out.json", "OUT.YAML", "a.json"])
def test_batch_refuses_to_write_a_case_file_of_its_input_folder(tmp_path: Path, lines: list[str], name: str) -> None:
    """`batch cases/ -o cases/out.json` is refused whether the file exists or not: the next run would read the
    output as a case, and a run writing over a case file destroys it before it is read."""
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a.json").write_text(lines[0], encoding="utf-8")
    result = run("batch", str(folder), "-o", str(folder / name), "--workers", "0")
    assert result.returncode == 1
    assert result.stderr.decode() == (
        f"Error: {folder / name}: would be a case file of the input folder {folder}; "
        "write the output outside it, or name it .jsonl\n"
    )
    assert sorted(p.name for p in folder.iterdir()) == ["a.json"]
    assert (folder / "a.json").read_text(encoding="utf-8") == lines[0]


def test_batch_writes_jsonl_into_its_input_folder(tmp_path: Path, lines: list[str], expected: list[bytes]) -> None:
    """An output in the input folder that is not a case file (.jsonl) is written, and the next run reads the
    same cases."""
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a.json").write_text(lines[0], encoding="utf-8")
    for _ in range(2):
        result = run("batch", str(folder), "-o", str(folder / "out.jsonl"), "--workers", "0")
        assert result.returncode == 0
        assert (folder / "out.jsonl").read_bytes() == expected[0] + b"\n"


def test_check_refuses_to_write_its_report_over_its_input(tmp_path: Path, lines: list[str]) -> None:
    """`check A.jsonl --json A.jsonl` is refused the same way."""
    archive = tmp_path / "a.jsonl"
    archive.write_text("".join(t + "\n" for t in lines), encoding="utf-8")
    result = run("check", str(archive), "--json", str(archive), "--workers", "0")
    assert result.returncode == 1
    assert (
        result.stderr.decode() == f"Error: {archive}: is the input archive itself; write the output to another file\n"
    )


# --- bounded reads ------------------------------------------------------------------------------------------------


def test_evaluate_reads_at_most_5_mb_of_an_endless_stream() -> None:
    """`evaluate /dev/zero` stops after 5 MB with the size error; exit 1."""
    result = run("evaluate", "/dev/zero")
    assert result.returncode == 1
    assert result.stderr.decode().startswith("Error: /dev/zero: the input is larger than 5 MB")


# --- output that cannot be written ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["evaluate", str(SPEC_EXAMPLE), "--format", "json"],
        ["evaluate", str(SPEC_EXAMPLE), "--format", "markdown"],
        ["schema", "case"],
        ["explain", str(SPEC_EXAMPLE), "--person", "p1"],
        ["rules", "list"],
        ["rules", "show", "O-LIFESAVING"],
        ["batch", str(SPEC_EXAMPLE.parent / "01-lifesaving-concealment.json"), "--workers", "0"],
    ],
)
def test_a_full_disk_is_an_error_line_and_exit_1(command: list[str]) -> None:
    """Output to /dev/full: `Error: cannot write the output: No space left on device`, exit 1, no traceback."""
    with open("/dev/full", "wb") as full:
        result = run(*command, stdout=full.fileno())
    assert result.returncode == 1
    assert result.stderr.decode().splitlines()[-1] == "Error: cannot write the output: No space left on device"
    assert "Traceback" not in result.stderr.decode()


def test_batch_to_a_full_disk_file_is_an_error_line(tmp_path: Path, lines: list[str]) -> None:
    """`batch -o /dev/full`: the same clean error."""
    archive = tmp_path / "a.jsonl"
    archive.write_text("".join(t + "\n" for t in lines), encoding="utf-8")
    result = run("batch", str(archive), "-o", "/dev/full", "--workers", "0")
    assert result.returncode == 1
    assert result.stderr.decode().splitlines()[-1].endswith("No space left on device")


# --- what the terminal and a document receive -------------------------------------------------------------------

HOSTILE = {
    "case_id": "c1",
    "title": "t\n# Injected <script>alert(1)</script>",
    "unit": {"name": "u\x1b[2J", "level": "county"},
    "people": [{"id": "p1", "name": "张\x1b]0;pwned\x07某 <b>x</b>\n## h", "roles": ["staff"]}],
    "violations": [{"id": "v1", "kind": "four_winds", "severity": "minor", "area": "other", "offenders": ["p1"]}],
}


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(HOSTILE), encoding="utf-8")
    return path


def test_escape_sequences_in_names_never_reach_the_terminal(hostile: Path) -> None:
    """The text view shows a name's control characters as escapes (\\x1b), never the raw bytes."""
    result = run("evaluate", str(hostile), "--format", "text")
    assert result.returncode == 0
    text = result.stdout.decode()
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "张\\x1b]0;pwned\\x07某" in text


def test_markdown_escapes_html_and_cannot_gain_a_heading(hostile: Path) -> None:
    """Names and titles in Markdown carry no raw HTML, and a line break in them starts no heading."""
    result = run("evaluate", str(hostile), "--format", "markdown")
    assert result.returncode == 0
    text = result.stdout.decode()
    assert "<" not in text.replace("\\<", "")
    assert [line for line in text.splitlines() if line.startswith("#")] == [
        "# 问责建议 Accountability recommendation: c1 t \\# Injected \\<script\\>alert(1)\\</script\\>",
        "## 人员 People",
        "## 推理过程 Reasoning trace",
    ]


def test_an_escape_sequence_in_a_bad_value_is_shown_escaped_in_the_error(tmp_path: Path) -> None:
    """A misspelt value holding an escape sequence is quoted in `Error:` with the sequence escaped."""
    case = json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    case["violations"][0]["kind"] = "x\x1b[2J"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    result = run("evaluate", str(path))
    assert result.returncode == 1
    assert "\x1b" not in result.stderr.decode()
    assert result.stderr.decode().startswith(f"Error: {path}: violations[0].kind: 'x\\x1b[2J' is not one of")


def test_bidirectional_controls_are_shown_escaped_in_text_and_errors(tmp_path: Path) -> None:
    """A right-to-left override (U+202E) in a name or an id cannot reorder what the terminal shows: the table and
    the `Error:` line show it as \\u202e."""
    case = json.loads(SPEC_EXAMPLE.read_text(encoding="utf-8"))
    case["people"][0]["name"] = "张\u202e某"
    path = tmp_path / "bidi.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    shown = run("evaluate", str(path), "--format", "text")
    assert shown.returncode == 0
    assert "\u202e" not in shown.stdout.decode()
    assert "张\\u202e某 p1" in shown.stdout.decode()
    case["conduct"][1]["person"] = "p1\u2066"
    path.write_text(json.dumps(case), encoding="utf-8")
    refused = run("evaluate", str(path))
    assert refused.returncode == 1
    assert refused.stderr.decode() == (
        f"Error: {path}: conduct[1].person: no person 'p1\\u2066' (people are: p1, p2, p3). Did you mean 'p1'?\n"
    )


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_output_is_utf8_whatever_the_locale_says(encoding: str) -> None:
    """With a locale that cannot write Chinese (PYTHONIOENCODING=ascii, as a legacy code page), the JSON written
    to a file or a pipe is the UTF-8 of a UTF-8 run, not an encoding failure."""
    expected = run("evaluate", str(SPEC_EXAMPLE), "--format", "json").stdout
    result = subprocess.run(
        [sys.executable, "-m", "accountrules", "evaluate", str(SPEC_EXAMPLE), "--format", "json"],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": encoding},
        timeout=300,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout == expected


# --- every error names the case file --------------------------------------------------------------------------------


def test_explain_errors_name_the_case_file() -> None:
    """`explain` for a person the case does not hold: `Error: <file>: no person …`."""
    result = run("explain", str(SPEC_EXAMPLE), "--person", "p9")
    assert result.returncode == 1
    assert result.stderr.decode() == (
        f"Error: {SPEC_EXAMPLE}: no person 'p9' in case 2023-017 (people are: p1, p2, p3).\n"
    )


@pytest.mark.parametrize("command", ["evaluate", "explain"])
def test_engine_errors_name_the_case_file(command: str) -> None:
    """A case over the work limit (`--max-work 2`): `Error: <file>: the case has …`, exit 1."""
    extra = ["--person", "p1"] if command == "explain" else []
    result = run(command, str(SPEC_EXAMPLE), *extra, "--max-work", "2")
    assert result.returncode == 1
    assert result.stderr.decode() == (
        f"Error: {SPEC_EXAMPLE}: the case has 3 people × 1 violations = 3, more than the 2 one case may take; split "
        "the case, or raise the limit (--max-work, or CaseLimits(max_work=…) in the library)\n"
    )


def test_batch_max_work_makes_error_records(tmp_path: Path, lines: list[str], expected: list[bytes]) -> None:
    """`batch --max-work 1`: every case of more than one person or violation becomes an error record."""
    archive = tmp_path / "a.jsonl"
    archive.write_text("".join(t + "\n" for t in lines[:2]), encoding="utf-8")
    result = run("batch", str(archive), "--workers", "0", "--max-work", "1")
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in records] == [1, 2]
    assert all(r["error"].startswith("the case has ") for r in records)


def test_the_cli_default_limit_is_the_library_one() -> None:
    """`--max-work`'s default is `CaseLimits().max_work`."""
    from accountrules.cli.common import DEFAULT_MAX_WORK
    from accountrules.validation import CaseLimits

    assert CaseLimits().max_work == DEFAULT_MAX_WORK


# --- the forkserver helper dies mid-run -------------------------------------------------------------------------


def kill_forkserver_on(numbers: frozenset[int], marker: str, record: Record) -> None:
    """Test hook: on these records, once (a ``marker`` file says it happened), the worker kills the process that
    forked it, the forkserver helper."""
    if record.number in numbers and not os.path.exists(marker):
        Path(marker).write_text("killed", encoding="utf-8")
        os.kill(os.getppid(), signal.SIGKILL)


def test_a_killed_forkserver_costs_no_record(tmp_path: Path) -> None:
    """The forkserver helper killed mid-run: every record still gets its determination, in order, and no
    worker prints a traceback."""
    texts = [g.text for g in generate(CorpusSpec(cases=60, seed=11, patterns=8, recorded=False))]
    engine = Engine.default()
    expected = [engine.evaluate(t).to_json(indent=None).encode("utf-8") for t in texts]
    hook = functools.partial(kill_forkserver_on, frozenset({20}), str(tmp_path / "killed"))
    got = list(evaluate_many(None, texts, workers=2, as_json=True, chunk_size=4, hook=hook))
    assert (tmp_path / "killed").exists()
    assert got == expected


def _parent_is_a_forkserver() -> bool:
    return b"forkserver" in Path(f"/proc/{os.getppid()}/cmdline").read_bytes()


def hold_then_crash_once(folder: str, crash: int, record: Record) -> None:
    """Test hook: until a ``killed`` file appears, every worker waits on its first record (saying so with a
    ``waiting-PID`` file), and then, orphaned, holds its chunk until a ``done`` file appears; after it, record
    ``crash`` kills the worker once, but only in a worker whose forkserver is alive (one started after the
    kill)."""
    here = Path(folder)
    if not (here / "killed").exists():
        (here / f"waiting-{os.getpid()}").touch()
        deadline = time.monotonic() + 60
        for marker in ("killed", "done"):
            while not (here / marker).exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        return
    if record.number == crash and not (here / "crashed").exists() and _parent_is_a_forkserver():
        (here / "crashed").touch()
        os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads the process table from /proc")
def test_a_forkserver_death_strikes_no_record(tmp_path: Path) -> None:
    """The forkserver dies while both workers hold a chunk: the workers live on, orphaned, so their records did
    no harm and are handed out again without a strike. A record of those chunks that later crashes a worker
    once is run again and answered (a strike from the forkserver's death would have set it aside)."""
    from multiprocessing import forkserver

    texts = [g.text for g in generate(CorpusSpec(cases=16, seed=11, patterns=8, recorded=False))]
    engine = Engine.default()
    expected = [engine.evaluate(t).to_json(indent=None).encode("utf-8") for t in texts]

    def kill_when_both_wait() -> None:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("waiting-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(forkserver._forkserver._forkserver_pid, signal.SIGKILL)  # type: ignore[attr-defined]
        (tmp_path / "killed").touch()

    killer = threading.Thread(target=kill_when_both_wait)
    killer.start()
    hook = functools.partial(hold_then_crash_once, str(tmp_path), 5)
    try:
        got = list(evaluate_many(None, texts, workers=2, as_json=True, chunk_size=4, hook=hook))
    finally:
        (tmp_path / "done").touch()
        killer.join()
    assert len(list(tmp_path.glob("waiting-*"))) == 2
    assert (tmp_path / "crashed").exists()
    assert got == expected


# --- no process left behind -------------------------------------------------------------------------------------


def _group(pgid: int) -> list[str]:
    """The processes of process group ``pgid``, zombies included, as ``pid state``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended while listed
            continue
        if int(fields[2]) == pgid:
            found.append(f"{stat.parent.name} {fields[0]}")
    return found


#: Run before the command, then replaced by it: SIGINT back at its default action, as a shell leaves it for a
#: command it runs in the foreground. A test run started in the background (`&` in a script) ignores SIGINT, and an
#: ignored signal stays ignored across exec: the command would never see Ctrl-C. (A handler set here is reset by
#: exec; only "ignored" would survive it.) An exec, not ``preexec_fn``, which is unsafe in a process with threads.
_AT_ITS_DEFAULT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, '-m', 'accountrules', *sys.argv[1:]])"
)


def _start(*args: str) -> subprocess.Popen[bytes]:
    """The command line in a process group of its own, Ctrl-C at its default (as a shell runs a command), its
    output discarded."""
    return subprocess.Popen(
        [sys.executable, "-c", _AT_ITS_DEFAULT, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_batch_with_workers_leaves_no_process_behind(tmp_path: Path, lines: list[str]) -> None:
    """When `batch --workers 2` returns, no process it started is left, not even a zombie helper."""
    archive = tmp_path / "archive.jsonl"
    archive.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    command = _start("batch", str(archive), "--workers", "2")
    assert command.wait(300) == 0
    assert _group(command.pid) == []


@pytest.fixture(scope="module")
def unlike_cases() -> list[str]:
    """5,000 cases that all differ: an archive that takes long enough to interrupt."""
    return [g.text for g in generate(CorpusSpec(cases=5000, seed=3, patterns=5000, recorded=False))]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_ctrl_c_during_batch_leaves_no_process_behind(tmp_path: Path, unlike_cases: list[str]) -> None:
    """Ctrl-C (SIGINT to the whole process group) while workers evaluate: once the command has returned, no
    process it started is left, not even a zombie helper."""
    archive = tmp_path / "archive.jsonl"
    archive.write_text("".join(t + "\n" for t in unlike_cases), encoding="utf-8")
    command = _start("batch", str(archive), "--workers", "2", "--cache", "0")
    for _ in range(600):  # the command, the resource tracker, the forkserver and two workers
        if len(_group(command.pid)) >= 5 or command.poll() is not None:
            break
        time.sleep(0.1)
    assert command.poll() is None, "the archive was evaluated before Ctrl-C could interrupt it"
    os.killpg(command.pid, signal.SIGINT)
    assert command.wait(60) == 130
    assert _group(command.pid) == []


def test_ctrl_c_during_batch_says_how_many_records_were_written(tmp_path: Path, unlike_cases: list[str]) -> None:
    """Ctrl-C while a batch writes to a file: exit 130 and one line on stderr saying how many records the output
    holds; that many lines are there, each a whole determination, in input order."""
    archive, written = tmp_path / "archive.jsonl", tmp_path / "out.jsonl"
    texts = unlike_cases
    archive.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    command = subprocess.Popen(
        [sys.executable, "-c", _AT_ITS_DEFAULT, "batch", str(archive), "-o", str(written), "-w", "0", "--cache", "0"],
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    for _ in range(600):  # until the first block is written
        if (written.exists() and written.stat().st_size) or command.poll() is not None:
            break
        time.sleep(0.05)
    assert command.poll() is None, "the archive was evaluated before Ctrl-C could interrupt it"
    os.killpg(command.pid, signal.SIGINT)
    _, stderr = command.communicate(timeout=60)
    assert command.returncode == 130
    message = stderr.decode()
    count = int(message.split(" after ", 1)[1].split(" records", 1)[0].replace(",", ""))
    assert message == (
        f"Interrupted (Ctrl-C) after {count:,} records: {written} holds them, in input order; "
        "the rest were not evaluated\n"
    )
    ids = [json.loads(line)["case_id"] for line in written.read_text(encoding="utf-8").splitlines()]
    assert ids == [json.loads(t)["case_id"] for t in texts[:count]]
    assert 0 < count < len(texts)


def report_ctrl_c_handling(conn: Any) -> None:
    """Run as a process's target: send back how it handles SIGINT, first thing."""
    conn.send(signal.getsignal(signal.SIGINT))
    conn.close()


@pytest.mark.skipif(start_method() != "forkserver", reason="reads what a process forked by the forkserver inherits")
def test_a_process_forked_for_a_worker_ignores_ctrl_c_from_its_first_instant() -> None:
    """A process the workers' forkserver forks ignores SIGINT before it runs any code of its own: a Ctrl-C
    while a worker starts prints no traceback from the worker."""
    from accountrules.batch.forkserver import context

    chosen = context()
    parent, child = chosen.Pipe()
    process = chosen.Process(target=report_ctrl_c_handling, args=(child,))  # type: ignore[attr-defined]
    process.start()
    child.close()
    got = parent.recv()
    process.join()
    parent.close()
    assert got == signal.SIG_IGN


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(start_method() != "forkserver", reason="interrupts the start of a worker by the forkserver")
def test_ctrl_c_while_a_worker_starts_leaves_no_worker_running(
    monkeypatch: pytest.MonkeyPatch, lines: list[str]
) -> None:
    """Ctrl-C just after the forkserver forked a worker, before the pool could know it: the run ends with
    KeyboardInterrupt and that worker is stopped with the others (left running, it kept `batch` waiting for ever)."""
    from multiprocessing import popen_forkserver

    forked: list[int] = []
    launch = popen_forkserver.Popen._launch  # type: ignore[attr-defined]

    def launch_then_ctrl_c(popen: Any, process: Any) -> None:
        launch(popen, process)
        forked.append(popen.pid)
        if len(forked) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(popen_forkserver.Popen, "_launch", launch_then_ctrl_c)
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            list(evaluate_many(None, lines, workers=2, as_json=True))
        assert [pid for pid in forked if _running(pid)] == []
    finally:
        signal.signal(signal.SIGINT, handler)
        for pid in forked:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_batch_with_workers_into_a_closed_pipe_ends_and_leaves_no_process(tmp_path: Path, lines: list[str]) -> None:
    """`batch --workers 2 | head -c1`: the pipe closes, the command ends with exit 1 (not a wait without end) and
    leaves no process behind."""
    archive = tmp_path / "archive.jsonl"
    archive.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    command = subprocess.Popen(
        [sys.executable, "-m", "accountrules", "batch", str(archive), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert command.stdout is not None
    command.stdout.close()  # the reader is gone before the first line
    try:
        assert command.wait(120) == 1
    finally:
        if command.poll() is None:
            os.killpg(command.pid, signal.SIGKILL)
            command.wait()
    assert _group(command.pid) == []
