"""The text view of a golden-test run (``accountrules rules test``): a line per file, then each failure with
what was expected, what came out and the trace."""

from __future__ import annotations

from accountrules.tooling.goldens import GoldenReport


def goldens_text(report: GoldenReport) -> str:
    lines = [f"黄金测试 Golden tests of rule pack {report.pack.name} {report.pack.version}: {len(report.cases)} cases"]
    for file in dict.fromkeys(c.file for c in report.cases):
        mine = [c for c in report.cases if c.file == file]
        bad = sum(1 for c in mine if not c.passed)
        mark = "✗" if bad else "✓"
        tally = f"{bad} of {len(mine)} failed" if bad else f"{len(mine)} passed"
        lines.append(f"{mark} {file}: {tally}")
    for case in report.cases:
        if case.failure is not None:
            lines += ["", case.failure]
    lines.append("")
    if report.failed:
        lines.append(f"未通过 FAILED: {report.failed} of {len(report.cases)} cases")
    else:
        lines.append(f"通过 PASSED: all {len(report.cases)} cases")
    return "\n".join(lines) + "\n"
