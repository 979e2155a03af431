"""Worker processes never re-run the script that started them."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, pathlib, sys
from accountrules import Engine
with open(sys.argv[1], "a", encoding="utf-8") as marker:
    marker.write("ran\\n")
case = json.loads(pathlib.Path(sys.argv[2]).read_text(encoding="utf-8"))
print(json.dumps([d.person("p3").form for d in Engine.default().evaluate_many([case] * 3, workers=2)]))
"""


def test_unguarded_script_runs_once_with_two_workers(tmp_path: Path) -> None:
    """A script without an `if __name__ == "__main__":` guard runs once, and its three cases are evaluated."""
    script, marker = tmp_path / "unguarded.py", tmp_path / "runs.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(marker), str(ROOT / "examples" / "cases" / "spec-example.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, json.loads(done.stdout), marker.read_text(encoding="utf-8")) == (0, [3, 3, 3], "ran\n")
