"""The self-contained HTML report: one file, no network, readable by anyone the analyst sends it to."""

from cxlens.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]
