"""Render report sections to one self-contained HTML file (inline CSS and SVG, no external resources).

Every figure comes from `cxlens.report.sections`; this module only sets up Jinja and writes the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Sequence

import jinja2

from cxlens import __version__
from cxlens.report import formats
from cxlens.report.charts import interval_geometry, sparkline_geometry
from cxlens.report.components import Section
from cxlens.report.sections import Missing, report_contents


def environment() -> jinja2.Environment:
    """The Jinja environment of the report templates, with autoescaping on and everything the component
    macros need; call it to render components elsewhere: `{% import "components.html" as c %}{{ c.table(block) }}`."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("cxlens.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html"]))
    env.filters.update(number=formats.number, p_value=formats.p_value, fixed=formats.fixed)
    env.tests["rtl"] = formats.is_rtl
    env.globals.update(interval_geometry=interval_geometry, sparkline_geometry=sparkline_geometry)
    return env


def render_sections(sections: Sequence[Section], title: str, subtitle: str = "", min_n: int = 30) -> str:
    """The report page around `sections`, as one HTML string."""
    return environment().get_template("report.html").render(
        title=title, subtitle=subtitle, sections=sections, version=__version__,
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"), min_n=min_n)


@dataclass(frozen=True)
class WrittenReport:
    """What `build_report` wrote: the file, and the sections left out for want of data (each with its reason)."""

    path: Path
    missing: list[Missing]


def render_report(store, title: str = "Customer experience report", min_n: int = 30,
                  extra: Sequence[Section] | None = None, min_group: int = 5) -> str:
    """The whole report of `store` as one HTML string (inline CSS and SVG, no external resources).

    `extra`: the analysis sections between the headline metrics and the quarantine; by default every
    measurement section that has data (scorecard, changes, outcomes, gaps, themes). Sections the data cannot
    support are listed at the end with the reason.
    """
    return _render(store, report_contents(store, min_n, extra, min_group).sections, title, min_n)


def _render(store, sections: Sequence[Section], title: str, min_n: int) -> str:
    return render_sections(sections, title, subtitle=f"Store: {store.url}", min_n=min_n)


def build_report(store, path: str | Path, title: str = "Customer experience report", min_n: int = 30,
                 extra: Sequence[Section] | None = None, min_group: int = 5) -> WrittenReport:
    """Write the report of `store` to `path` and say which sections were left out and why (to tell the user)."""
    path = Path(path)
    contents = report_contents(store, min_n, extra, min_group)
    path.write_text(_render(store, contents.sections, title, min_n), encoding="utf-8")
    return WrittenReport(path, contents.missing)


def write_report(store, path: str | Path, **kwargs) -> Path:
    """Write the report of `store` to `path` (keywords as `render_report`); returns the path."""
    return build_report(store, path, **kwargs).path
