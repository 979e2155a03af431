"""`accountrules batch` on the command line: exact output and exit codes."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accountrules import Engine
from accountrules.batch.synth import CorpusSpec, generate
from accountrules.cli import app, workers

TERMINAL = {"COLUMNS": "120", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env=TERMINAL)


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return [g.text for g in generate(CorpusSpec(cases=12, seed=5, patterns=4, recorded=False))]


def invoke(runner: CliRunner, *args: str, stdin: bytes | None = None) -> tuple[int, bytes, str]:
    result = runner.invoke(app, list(args), input=stdin)
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout_bytes, result.stderr


def determinations(engine: Engine, lines: list[str]) -> bytes:
    return b"".join(engine.evaluate(text).to_json(indent=None).encode("utf-8") + b"\n" for text in lines)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("workers", ["0", "2"])
def test_batch_prints_one_determination_per_line_and_exits_0(
    runner: CliRunner, engine: Engine, lines: list[str], tmp_path: Path, workers: str
) -> None:
    """Every record evaluated: the determinations, one compact JSON line each, nothing on stderr, exit 0."""
    archive = write(tmp_path / "archive.jsonl", lines)
    assert invoke(runner, "batch", str(archive), "--workers", workers) == (0, determinations(engine, lines), "")


def test_batch_writes_the_output_file_and_compresses_gz(
    runner: CliRunner, engine: Engine, lines: list[str], tmp_path: Path
) -> None:
    """``-o out.jsonl`` and ``-o out.jsonl.gz`` hold the same lines; stdout stays empty."""
    archive = write(tmp_path / "archive.jsonl", lines)
    plain, packed = tmp_path / "out.jsonl", tmp_path / "out.jsonl.gz"
    assert invoke(runner, "batch", str(archive), "-o", str(plain), "--workers", "0") == (0, b"", "")
    assert invoke(runner, "batch", str(archive), "--output", str(packed), "--workers", "0") == (0, b"", "")
    assert plain.read_bytes() == gzip.decompress(packed.read_bytes()) == determinations(engine, lines)


def test_batch_reads_stdin(runner: CliRunner, engine: Engine, lines: list[str]) -> None:
    """``-`` reads the archive from stdin."""
    data = "".join(line + "\n" for line in lines[:3]).encode("utf-8")
    assert invoke(runner, "batch", "-", "--workers", "0", stdin=data) == (0, determinations(engine, lines[:3]), "")


def test_batch_reads_a_json_array(runner: CliRunner, engine: Engine, lines: list[str], tmp_path: Path) -> None:
    """A .json archive is an array of cases."""
    archive = tmp_path / "archive.json"
    archive.write_text("[" + ",\n".join(lines[:4]) + "]", encoding="utf-8")
    assert invoke(runner, "batch", str(archive), "--workers", "0") == (0, determinations(engine, lines[:4]), "")


def test_bad_records_are_error_lines_and_exit_1(
    runner: CliRunner, engine: Engine, lines: list[str], tmp_path: Path
) -> None:
    """Bad records become error lines in place; stderr names them; exit 1."""
    case_id = json.loads(lines[1])["case_id"]
    unknown = json.dumps({**json.loads(lines[1]), "verdict": "x"}, ensure_ascii=False)
    archive = write(tmp_path / "archive.jsonl", ["{oops", lines[0], unknown])
    code, stdout, stderr = invoke(runner, "batch", str(archive), "--workers", "0")
    oops = {
        "line": 1,
        "case_id": None,
        "error": "column 2: not valid JSON: Expecting property name enclosed in double quotes",
    }
    verdict = {
        "line": 3,
        "case_id": case_id,
        "error": "verdict: unknown field 'verdict'; remove it or correct its name.",
    }
    assert code == 1
    assert stdout.decode("utf-8").splitlines() == [
        json.dumps(oops),
        engine.evaluate(lines[0]).to_json(indent=None),
        json.dumps(verdict),
    ]
    assert stderr == (
        "Error: 2 of 3 records could not be evaluated: line 1: column 2: not valid JSON: Expecting property name "
        f"enclosed in double quotes; line 3 (case {case_id}): verdict: unknown field 'verdict'; remove it or "
        "correct its name.\n"
    )


def test_a_missing_archive_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    """An archive that does not exist: one line on stderr, exit 1."""
    missing = tmp_path / "nope.jsonl"
    assert invoke(runner, "batch", str(missing)) == (1, b"", f"Error: {missing}: no such file; check the path\n")


def _case_folder(folder: Path, lines: list[str]) -> Path:
    """A folder of case files, written out of name order: b.json, a.json, c.yaml, and a note that is no case."""
    import yaml

    folder.mkdir()
    (folder / "b.json").write_text(lines[0], encoding="utf-8")
    (folder / "a.json").write_text(lines[1], encoding="utf-8")
    (folder / "c.yaml").write_text(yaml.safe_dump(json.loads(lines[2]), allow_unicode=True), encoding="utf-8")
    (folder / "notes.txt").write_text("not a case", encoding="utf-8")
    return folder


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_folder_is_its_case_files_in_name_order(
    runner: CliRunner, engine: Engine, lines: list[str], tmp_path: Path, workers: str
) -> None:
    """A folder: one determination per .json and .yaml file in it, in the order of their names; other files
    are not cases."""
    folder = _case_folder(tmp_path / "cases", lines)
    expected = determinations(engine, [lines[1], lines[0], lines[2]])
    assert invoke(runner, "batch", str(folder), "--workers", workers) == (0, expected, "")


def test_a_bad_file_of_a_folder_is_an_error_record_naming_it(
    runner: CliRunner, engine: Engine, lines: list[str], tmp_path: Path
) -> None:
    """A bad case file of a folder: its error record, by index in name order, names the file and, for YAML,
    the line."""
    folder = _case_folder(tmp_path / "cases", lines)
    (folder / "d.yml").write_text("case_id: [\n", encoding="utf-8")
    code, stdout, _ = invoke(runner, "batch", str(folder), "--workers", "0")
    assert (code, stdout.splitlines()[3:]) == (
        1,
        [
            json.dumps(
                {
                    "index": 3,
                    "case_id": None,
                    "error": f"{folder / 'd.yml'}: line 2: not valid YAML: did not find expected node content",
                },
                ensure_ascii=False,
            ).encode("utf-8")
        ],
    )


def test_a_pipe_in_a_folder_is_an_error_record_not_a_wait(
    runner: CliRunner, engine: Engine, lines: list[str], tmp_path: Path
) -> None:
    """A named pipe among the case files of a folder is an error record naming it; the run does not wait on it."""
    folder = _case_folder(tmp_path / "cases", lines)
    os.mkfifo(folder / "d.json")
    code, stdout, _ = invoke(runner, "batch", str(folder), "--workers", "0")
    expected = {
        "index": 3,
        "case_id": None,
        "error": f"{folder / 'd.json'}: is not a regular file (a pipe, a device or a socket)",
    }
    assert (code, stdout.splitlines()[3:]) == (1, [json.dumps(expected, ensure_ascii=False).encode("utf-8")])


def test_a_yaml_case_file_is_an_archive_of_one_case(
    runner: CliRunner, engine: Engine, lines: list[str], tmp_path: Path
) -> None:
    """A single .yaml case file given as the archive: its one determination, not a JSON-lines error."""
    import yaml

    case = tmp_path / "case.yaml"
    case.write_text(yaml.safe_dump(json.loads(lines[2]), allow_unicode=True), encoding="utf-8")
    assert invoke(runner, "batch", str(case), "--workers", "0") == (0, determinations(engine, [lines[2]]), "")


def test_a_folder_without_cases_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    """A folder with no case file in it: one line on stderr, exit 1."""
    expected = (
        f"Error: {tmp_path}: the folder holds no case files (.json, .yaml or .yml); give a folder of cases or an "
        "archive\n"
    )
    assert invoke(runner, "batch", str(tmp_path)) == (1, b"", expected)


def test_a_bad_rule_pack_is_an_error(runner: CliRunner, lines: list[str], tmp_path: Path) -> None:
    """``--rules`` pointing at a folder with no pack: ``Error: …``, exit 1, before anything is read."""
    archive = write(tmp_path / "archive.jsonl", lines[:1])
    code, stdout, stderr = invoke(runner, "batch", str(archive), "--rules", str(tmp_path))
    assert (code, stdout) == (1, b"")
    assert stderr.startswith("Error: ")
    assert "pack.yaml" in stderr


def test_progress_is_shown_on_stderr_when_asked(runner: CliRunner, lines: list[str], tmp_path: Path) -> None:
    """``--progress`` draws the bar on stderr (cases and cases/s); stdout holds only the results."""
    archive = write(tmp_path / "archive.jsonl", lines)
    code, stdout, stderr = invoke(runner, "batch", str(archive), "--workers", "0", "--progress")
    assert code == 0
    assert len(stdout.splitlines()) == len(lines)
    assert "12 案 cases" in stderr
    assert "案/秒 cases/s" in stderr


@pytest.mark.parametrize("command", ["batch", "check"])
def test_the_last_progress_frame_shows_the_final_count_of_the_total(
    runner: CliRunner, lines: list[str], tmp_path: Path, command: str
) -> None:
    """With two workers, the bar's last frame counts every record, out of the total."""
    archive = write(tmp_path / "archive.jsonl", lines)
    code, _, stderr = invoke(runner, command, str(archive), "--workers", "2", "--progress")
    assert code == {"batch": 0, "check": 4}[command]  # no case records an outcome: nothing to check
    frames = [line for line in stderr.rstrip("\n").split("\n") if not line.startswith("Nothing to check:")]
    assert f"{len(lines)} / {len(lines)} 案 cases" in frames[-1]


def test_the_installed_script_batches_without_traceback(engine: Engine, lines: list[str], tmp_path: Path) -> None:
    """In a real process with two workers: the same lines, and a bad record is reported without a traceback."""
    archive = write(tmp_path / "archive.jsonl", [lines[0], "[]", lines[1]])
    beside = Path(sys.executable).with_name("accountrules")
    script = str(beside) if beside.exists() else shutil.which("accountrules")
    assert script
    env = {k: v for k, v in os.environ.items() if k != "ACCOUNTRULES_DEBUG"}
    done = subprocess.run(
        [script, "batch", str(archive), "--workers", "2"], capture_output=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] + b"\n" + done.stdout.splitlines()[2] + b"\n" == determinations(
        engine, [lines[0], lines[1]]
    )
    assert json.loads(done.stdout.splitlines()[1]) == {
        "line": 2,
        "case_id": None,
        "error": "expected a JSON object (a case), got an array",
    }
    assert done.stderr.decode("utf-8").startswith("Error: 1 of 3 records could not be evaluated: line 2: ")
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["batch", "check"])
def test_a_huge_number_of_workers_is_refused(runner: CliRunner, lines: list[str], tmp_path: Path, command: str) -> None:
    """`--workers` beyond 256 is an error line and exit 1, before any process starts (not thousands of them)."""
    archive = write(tmp_path / "archive.jsonl", lines[:1])
    code, stdout, stderr = invoke(runner, command, str(archive), "--workers", "99999999999999999999")
    assert (code, stdout, stderr.split(" (the default")[0]) == (
        1,
        b"",
        "Error: --workers 99999999999999999999: give at most 256",
    )


def test_batch_loads_no_model_of_the_check() -> None:
    """What `batch` runs, in its own process and in its workers (`accountrules.batch.preload`), leaves the check's
    module unloaded; `check`'s workers load it."""
    script = (
        "import sys, accountrules.batch.api, accountrules.batch.preload; "
        "from accountrules.batch.forkserver import CHECKING; "
        "print('accountrules.batch.check' in sys.modules, 'accountrules.batch.check' in CHECKING)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)
    assert done.stdout == b"False True\n"


@pytest.mark.parametrize(
    "args",
    [
        ["batch", "in.jsonl"],
        ["batch", "in.jsonl", "--workers", "2", "-o", "out.jsonl"],
        ["check", "in.jsonl", "-w3"],
        ["batch", "in.jsonl", "--workers=1"],
    ],
)
def test_the_forkserver_starts_before_parsing_for_local_workers(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command line asking for batch or check with local workers starts their forkserver before it is parsed,
    set to load the check's models for check only."""
    started: list[tuple[int, str | None, bool]] = []
    monkeypatch.setattr(workers, "start_workers", lambda *given: started.append(given))
    workers.start_workers_early(args)
    assert started == [(1, None, args[0] == "check")]


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["evaluate", "case.json"],
        ["batch", "in.jsonl", "--workers", "0"],
        ["batch", "in.jsonl", "-w0"],
        ["batch", "in.jsonl", "--workers=0"],
        ["batch", "in.jsonl", "--dask", "tcp://127.0.0.1:8786"],
        ["check", "in.jsonl", "--help"],
        ["batch", "in.jsonl", "--workers", "many"],
    ],
)
def test_the_forkserver_waits_for_the_command_otherwise(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Other commands, no local workers, help, or a worker count that is not a number start no forkserver early."""
    started: list[tuple[int, str | None]] = []
    monkeypatch.setattr(workers, "start_workers", lambda *given: started.append(given))
    workers.start_workers_early(args)
    assert started == []


def test_the_entry_point_imports_no_command_line_library_before_the_forkserver() -> None:
    """The console entry point's package and its start of the forkserver import neither typer nor rich."""
    probe = (
        "import sys, accountrules.cli, accountrules.cli.workers, accountrules.batch.forkserver; "
        "print([name for name in ('typer', 'rich', 'click') if name in sys.modules])"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert found == "[]\n"
