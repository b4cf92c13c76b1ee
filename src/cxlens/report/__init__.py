"""The self-contained HTML report: one file, no network, readable by anyone the analyst sends it to.

Sections (`cxlens.report.sections`) return data made of components (`cxlens.report.components`); the
Jinja macros in templates/components.html render them, here and in any other view of the same figures.
"""

from cxlens.report.components import Section
from cxlens.report.html import WrittenReport, build_report, environment, render_report, render_sections, write_report

__all__ = ["Section", "WrittenReport", "build_report", "environment", "render_report", "render_sections", "write_report"]
