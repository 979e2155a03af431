"""The HTML report of a consistency check (placeholder)."""

from __future__ import annotations

from accountrules.batch.check import ConsistencyReport


def report_html(report: ConsistencyReport, source: str = "") -> str:
    return f"<!doctype html><title>{source}</title><pre>{report.summary}</pre>"
