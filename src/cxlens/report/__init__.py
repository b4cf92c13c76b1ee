"""The self-contained HTML report: one file, no network, readable by anyone the analyst sends it to.

Sections (`cxlens.report.sections`) return data made of components (`cxlens.report.components`); the
Jinja macros in templates/components.html render them, here and in any other view of the same figures.
The names below are imported on first use, so a command that needs one module of the report (`cxlens scorecard`
uses `report.published`) does not import every section and the analyses behind them (architecture D37).
"""

from typing import TYPE_CHECKING

from cxlens._exports import export_lazily

if TYPE_CHECKING:
    from cxlens.report.components import Section
    from cxlens.report.html import WrittenReport, build_report, environment, render_report, render_sections, write_report

export_lazily(__name__, {"Section": "components", "WrittenReport": "html", "build_report": "html",
                         "environment": "html", "render_report": "html", "render_sections": "html",
                         "write_report": "html"})

__all__ = ["Section", "WrittenReport", "build_report", "environment", "render_report", "render_sections", "write_report"]
