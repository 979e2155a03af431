"""The text view of a rule pack's verification (``accountrules rules verify``): the space covered, then each
check with its verdict, its problems and where its counterexample was written."""

from __future__ import annotations

from accountrules.tooling.verify import Coverage, VerifyReport


def coverage_line(c: Coverage) -> str:
    """How much of one template was evaluated, and how its dimensions were combined."""
    if c.depth is None:
        how = "exhaustive 全部"
    else:
        core = f"every {c.core} with " if c.core else ""
        combos = f"every combination of up to {c.depth} classes"
        if c.depth == 1:
            combos = "every class of every dimension"
        how = f"{core}{combos}"
    return f"{c.template:<10} {c.cases:>6,} of {c.product:,} cases ({c.dimensions} dimensions; {how})"


def verification_text(report: VerifyReport) -> str:
    pack, space = report.pack, report.space
    lines = [
        f"规则包校验 Verify rule pack: {pack.name} {pack.version} ({pack.rules} rules)"
        + (f", 版本 version {report.in_force}" if report.in_force else ""),
        f"事实空间 Fact space: {space.class_count} classes that the conditions tell apart",
        *(f"  {line}" for line in space.classes),
        "模板 Templates:",
        *(f"  {coverage_line(c)}" for c in space.templates),
        f"用时 Time: {report.evaluations:,} evaluations of {space.cases:,} cases in {report.seconds:.1f} s "
        f"(seed {report.seed})",
        "",
    ]
    for check in report.checks:
        mark = "–" if check.skipped else "✓" if check.passed else "✗"
        lines.append(f"{mark} {check.title} — {check.checked:,} {check.unit}")
        if check.note:
            lines.append(f"    {check.note}")
        lines.extend(f"    {problem}" for problem in check.problems)
        example = check.counterexample
        if example is not None:
            lines.append(f"    {example.message}")
            where = " → after: ".join(example.files) or "—"
            lines.append(f"    反例 counterexample: {where}")
            plural = "" if example.departures == 1 else "s"
            lines.append(
                f"    (template {example.template}, {example.departures} departure{plural} from its plain case)"
            )
    failed = sum(1 for c in report.checks if not c.passed)
    lines.append("")
    if failed:
        lines.append(f"未通过 FAILED: {failed} of {len(report.checks)} checks")
    else:
        lines.append(f"通过 PASSED: all {len(report.checks)} checks")
    return "\n".join(lines) + "\n"
