"""A rule engine built without Python 3.13's define fails at once, with the command that repairs it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: What the dynamic loader says about durable_rules' extension when it was compiled without the define.
BROKEN_EXTENSION = (
    "raise ImportError('/venv/lib/python3.13/site-packages/durable_rules_engine.cpython-313-x86_64-linux-gnu.so: "
    "undefined symbol: PyEval_CallObject')\n"
)


def test_broken_extension_gives_the_repair_command(tmp_path: Path) -> None:
    """`evaluate` exits 1 with `Error:` and the exact reinstall command, never a traceback."""
    (tmp_path / "durable_rules_engine.py").write_text(BROKEN_EXTENSION, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "accountrules", "evaluate", str(ROOT / "examples" / "cases" / "spec-example.json")],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path / "cache")},
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        "",
        "Error: the rule engine durable_rules was compiled without the define Python 3.13 needs; rebuild it with: "
        f'CC="gcc -DPyEval_CallObject=PyObject_CallObject" {sys.executable} -m pip install --no-cache-dir '
        "--force-reinstall durable-rules==2.0.28\n",
    )
