"""README's cluster examples hold against the code: the Spark code, run on a stand-in for Spark's context, writes
what ``batch`` writes; every option the Dask commands use exists."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accountrules.batch.synth import CorpusSpec, generate
from accountrules.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("### On a cluster: Dask and Spark", 1)[1].split("\n## ", 1)[0]
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)


def block(language: str) -> str:
    """The section's one block in ``language``."""
    found = [body for lang, body in FENCE.findall(SECTION) if lang == language]
    assert len(found) == 1, found
    return found[0]


class Partitioned:
    """Spark's RDD as far as the example uses it: elements split into partitions, each a list."""

    def __init__(self, parts: list[list[Any]]) -> None:
        self.parts = parts

    def zipWithIndex(self) -> Partitioned:
        counter = iter(range(sum(len(p) for p in self.parts)))
        return Partitioned([[(item, next(counter)) for item in part] for part in self.parts])

    def mapPartitions(self, function: Callable[[Iterator[Any]], Iterable[Any]]) -> Partitioned:
        return Partitioned([list(function(iter(part))) for part in self.parts])

    def saveAsTextFile(self, folder: str) -> None:
        Path(folder).mkdir()
        for number, part in enumerate(self.parts):
            text = "".join(f"{line}\n" for line in part)
            (Path(folder) / f"part-{number:05d}").write_text(text, encoding="utf-8")


class Context:
    """``sc`` as far as the example uses it: ``textFile`` reads lines without their ends, in ``slices`` parts."""

    def __init__(self, slices: int) -> None:
        self.slices = slices

    def textFile(self, path: str) -> Partitioned:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        size = -(-len(lines) // self.slices)
        return Partitioned([lines[i : i + size] for i in range(0, len(lines), size)])


def test_the_spark_example_writes_what_batch_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's mapPartitions code over three partitions gives, part after part, the lines of `batch`."""
    lines = [r.text for r in generate(CorpusSpec(cases=60, seed=5, patterns=20, recorded=False))]
    lines[10:10] = ["{not json", ""]
    lines.insert(45, '{"case_id": "x"}')
    (tmp_path / "archive.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    exec(block("python"), {"sc": Context(slices=3), "__name__": "spark_job"})
    parts = sorted((tmp_path / "determinations").iterdir())
    written = "".join(p.read_text(encoding="utf-8") for p in parts)
    result = CliRunner().invoke(app, ["batch", "archive.jsonl", "--workers", "0", "--no-progress"])
    assert result.exit_code == 1
    assert len(parts) == 3
    assert written == result.stdout
    assert [json.loads(x)["line"] for x in written.splitlines() if '"error"' in x] == [11, 46]


def test_every_option_of_the_dask_commands_exists() -> None:
    """Each command of the Dask block accepts every option it is shown with."""
    commands = [line.split("#")[0].strip() for line in block("bash").splitlines() if line.strip()]
    assert [c.split()[:2] for c in commands] == [
        ["dask", "scheduler"],
        ["dask", "worker"],
        ["accountrules", "batch"],
        ["accountrules", "check"],
    ]
    for command in commands:
        words = shlex.split(command)
        if words[0] == "dask":
            script = Path(sys.executable).with_name("dask")
            helped = subprocess.run([str(script), words[1], "--help"], capture_output=True, text=True).stdout
        else:
            helped = CliRunner().invoke(app, [words[1], "--help"], env={"COLUMNS": "200"}).stdout
        for option in (w for w in words if w.startswith("--")):
            assert option in helped, (command, option)
