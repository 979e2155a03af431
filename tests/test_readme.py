"""README's transcripts are real: each `$` command of its console blocks prints what the README shows, and its
Python example prints the output shown after it."""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: The terminal width the transcripts were taken at.
COLUMNS = "112"
#: A line that stands for the rest of the output, left out of the README.
ELIDED = "…"

FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str, int, int]]:
    """(language, body, start, end) of every fenced block of the README, in order."""
    return [(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(README)]


def console_commands() -> list[tuple[str, list[str]]]:
    """Every ``$`` command of the console blocks with the lines the README shows after it."""
    out: list[tuple[str, list[str]]] = []
    for language, body, _, _ in blocks():
        if language != "console":
            continue
        for line in body.rstrip("\n").split("\n"):
            if line.startswith("$ "):
                out.append((line[2:], []))
            else:
                out[-1][1].append(line)
    return out


def python_examples() -> list[tuple[str, str]]:
    """Each Python block that the README follows directly with a text block of its output."""
    found = blocks()
    return [
        (body, after[1])
        for (language, body, _, end), after in itertools.pairwise(found)
        if language == "python" and after[0] == "text" and not README[end : after[2]].strip()
    ]


BROKEN = {
    "case_id": "broken",
    "unit": {"name": "某县民政局", "level": "county"},
    "people": [
        {"id": "p1", "name": "张某", "roles": ["principal_leader"]},
        {"id": "p3", "name": "王某", "roles": ["staff"]},
    ],
    "violations": [
        {
            "id": "v1",
            "kind": "corruption",
            "severity": "serious",
            "area": "poverty_alleviation",
            "offenders": ["p3", "p9"],
        }
    ],
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the project's examples and the two bad case files the README's error transcripts read."""
    folder = tmp_path_factory.mktemp("readme")
    (folder / "examples").symlink_to(ROOT / "examples")
    (folder / ".venv" / "bin").mkdir(parents=True)
    (folder / ".venv" / "bin" / "accountrules").symlink_to(Path(sys.executable).parent / "accountrules")
    (folder / "broken.json").write_text(json.dumps(BROKEN, ensure_ascii=False), encoding="utf-8")
    misspelt = json.loads((ROOT / "examples" / "cases" / "spec-example.json").read_text(encoding="utf-8"))
    misspelt["conduct"][0]["acts"] = ["concealment"]
    (folder / "misspelt.json").write_text(json.dumps(misspelt, ensure_ascii=False), encoding="utf-8")
    return folder


def shown(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").split("\n")] if text.strip() else []


def program(words: list[str]) -> list[str]:
    """The installed ``accountrules`` script and this Python for the README's ``accountrules`` and ``python``."""
    head = words[0]
    if head in {"accountrules", ".venv/bin/accountrules"}:
        return [str(Path(sys.executable).parent / "accountrules"), *words[1:]]
    if head == "python":
        return [sys.executable, *words[1:]]
    return words


@pytest.mark.slow
def test_every_console_transcript_is_real_output(workdir: Path) -> None:
    """Each command, run in order in one folder, prints on stdout (and in its ``Error:`` lines on stderr)
    exactly the lines the README shows; a shown ``…`` stands for the rest."""
    env = {**os.environ, "COLUMNS": COLUMNS, "NO_COLOR": "1", "TERM": "dumb"}
    commands = console_commands()
    assert len(commands) >= 5
    for command, expected in commands:
        done = subprocess.run(
            program(shlex.split(command)), cwd=workdir, env=env, capture_output=True, text=True, timeout=600
        )
        errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
        got = shown(done.stdout) + errors
        if expected and expected[-1] == ELIDED:
            expected = expected[:-1]
            got = got[: len(expected)]
        assert got == [line.rstrip() for line in expected], command


@pytest.mark.parametrize(("code", "output"), python_examples(), ids=lambda v: v.split("\n")[0][:30])
def test_every_python_example_prints_what_is_shown(code: str, output: str) -> None:
    """The README's Python example, run from the project's folder, prints the text block that follows it."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert shown(done.stdout) == shown(output)


def test_the_readme_has_transcripts_to_check() -> None:
    """The README holds at least one Python example with its output, and console blocks with commands."""
    assert len(python_examples()) == 1
    assert [c for c, _ in console_commands()][:3] == [
        ".venv/bin/accountrules evaluate examples/cases/spec-example.json --format text",
        "accountrules evaluate broken.json",
        "accountrules evaluate misspelt.json",
    ]


def section(title: str) -> str:
    """The text of the README's ``## title`` section."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else len(README)]


def test_the_rule_snippet_is_a_rule_file() -> None:
    """The README's rule example is a rule file as a pack holds it: a mapping whose `rules` key lists rules."""
    import yaml

    snippets = [body for language, body, _, _ in blocks() if language == "yaml" and "id: L-COVER-UP" in body]
    assert [list(yaml.safe_load(body)) for body in snippets] == [["rules"]]
    assert [rule["id"] for rule in yaml.safe_load(snippets[0])["rules"]] == ["L-COVER-UP"]


def test_every_evaluate_many_call_shown_runs() -> None:
    """Each `evaluate_many(…)` call the README shows inline runs with its arguments in the order shown."""
    import accountrules
    from accountrules import Engine

    engine = Engine.default()
    case = json.loads((ROOT / "examples" / "cases" / "spec-example.json").read_text(encoding="utf-8"))
    calls = re.findall(r"`([\w.]*evaluate_many\([^`]*\))`", README)
    assert calls
    for call in calls:
        scope = {"accountrules": accountrules, "engine": engine, "cases": [case]}
        got = list(eval(call, scope))  # the README's own example
        assert [d.case_id for d in got] == ["2023-017"], call


def test_to_json_is_said_to_give_text() -> None:
    """The Library example says `to_json()` gives a str, which it does."""
    from accountrules import Engine

    case = json.loads((ROOT / "examples" / "cases" / "spec-example.json").read_text(encoding="utf-8"))
    line = next(line for line in section("Library").splitlines() if "determination.to_json()" in line)
    assert "# a str" in line
    assert isinstance(Engine.default().evaluate(case).to_json(), str)


def test_the_install_names_what_it_compiles_with() -> None:
    """The quick start says a C compiler and the Python headers are needed, and stays two commands."""
    quick = section("Quick start")
    assert "a C compiler and the Python headers" in quick
    bash = [body for language, body, start, _ in blocks() if language == "bash" and README.index(quick) < start]
    assert len(bash[0].strip().splitlines()) == 2


def test_the_python_313_section_gives_the_repair_command_the_error_prints() -> None:
    """The Python versions section gives the rebuild command that the 3.13 installation error prints."""
    source = (ROOT / "src" / "accountrules" / "engine" / "durable.py").read_text(encoding="utf-8")
    assert "pip install --no-cache-dir --force-reinstall durable-rules==2.0.28" in source
    assert (
        'CC="gcc -DPyEval_CallObject=PyObject_CallObject" .venv/bin/pip install --no-cache-dir --force-reinstall '
        "durable-rules==2.0.28" in section("Python versions")
    )
