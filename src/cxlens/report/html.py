"""Assemble the report from analyses; every number comes from the library, nothing is computed here
except layout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Sequence

import jinja2
import pandas as pd

from cxlens import __version__
from cxlens.model import TABLES
from cxlens.report.charts import forest, sparkline, text_cell


@dataclass
class Section:
    """One block of the report."""

    id: str
    title: str
    body: str
    intro: str = ""
    note: str = ""


def table_html(frame: pd.DataFrame, columns: Sequence[str], weak_column: str | None = None,
               spark_column: str | None = None) -> str:
    """An HTML table of `columns`; rows where `weak_column` is true are greyed (too few answers)."""
    head = "".join(f"<th>{c}</th>" for c in columns)
    rows = []
    for _, r in frame.iterrows():
        cells = []
        for c in columns:
            v = r.get(c)
            if c == spark_column:
                cells.append(f"<td>{sparkline(list(v) if v is not None else [])}</td>")
            elif v is None or v is pd.NA:  # a missing figure shows as an empty cell, never as "<NA>"
                cells.append('<td class="num"></td>')
            elif c in ("p_value", "q_value") and isinstance(v, float) and not pd.isna(v):
                cells.append(f'<td class="num">{"&lt; 0.001" if v < 0.001 else f"{v:.3f}"}</td>')
            elif c == "status" and isinstance(v, str):
                cells.append(f'<td class="status-{v.replace(" ", "_")}">{v}</td>')
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                cells.append(f'<td class="num">{_number(v)}</td>')
            else:
                cells.append(f"<td>{text_cell(v)}</td>")
        weak = weak_column and bool(r.get(weak_column))
        rows.append(f'<tr{" class=weak" if weak else ""}>{"".join(cells)}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _number(v: float | int) -> str:
    """Two decimals on small scales (CSAT 3.71), one on percentages and NPS, thousands separators on counts."""
    if pd.isna(v):
        return ""
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 10 else f"{v:,.1f}"
    return f"{v:,}"


_METRICS = {
    # metric -> (function name, value column, scale low, scale high, extra columns, how to read it)
    "nps": ("nps_by", "nps", -100, 100, ["promoters_pct", "passives_pct", "detractors_pct"],
            "Net Promoter Score with its 95% interval (adjusted Wald, Lewis & Sauro 2021)"),
    "csat": ("csat_by", "csat", 1, 5, ["top2_pct"], "Mean CSAT (1-5) with its 95% t interval"),
}


def metric_section(store, metric: str, by: str, min_n: int) -> Section:
    """One metric per value of one dimension, as a forest plot and a table, best first."""
    from cxlens import metrics

    fn, col, lo, hi, extra, how = _METRICS[metric]
    frame = getattr(metrics, fn)(store, [by], min_n=min_n).sort_values(col, ascending=False)
    chart = forest(frame[by].astype(str).tolist(), frame[col].tolist(), frame["ci_low"].tolist(),
                   frame["ci_high"].tolist(), frame["low_n"].tolist(), lo=lo, hi=hi)
    table = table_html(frame, [by, "n", col, "ci_low", "ci_high", *extra], weak_column="low_n")
    return Section(f"{metric}-{by}", f"{metric.upper()} by {by}", chart + table,
                   intro=f"{how}, by {by}. Bars that overlap widely are not reliably different.")


def overview_section(store) -> Section:
    counts = {name: store.count(name) for name in TABLES}
    kpis = "".join(f'<div class="kpi"><b>{n:,}</b><span>{name}</span></div>' for name, n in counts.items())
    loads = store.table("loads").execute()
    body = f'<div class="kpis">{kpis}</div>'
    if len(loads):
        loads = loads.assign(file=loads["file"].map(lambda p: Path(p).name))
        body += "<h3>Loads</h3>" + table_html(loads, ["kind", "file", "rows_read", "inserted", "updated", "unchanged", "quarantined"])
    return Section("overview", "Data in the store", body,
                   intro="Every row read is accounted for: inserted + updated + unchanged + quarantined = rows read.")


def quarantine_section(store) -> Section:
    q = store.table("quarantine")
    summary = q.group_by(["kind", "field", "reason"]).aggregate(rows=q.count()).order_by(["kind", "field"]).execute()
    body = table_html(summary, ["kind", "field", "reason", "rows"]) if len(summary) else "<p>No row was refused.</p>"
    return Section("quarantine", "Quarantined rows", body,
                   intro="Rows that failed validation, by reason. `cxlens quarantine` lists each with file, row and value.")


def render_report(store, title: str = "Customer experience report", min_n: int = 30,
                  extra: Sequence[Section] | None = None) -> str:
    """The whole report as one HTML string (inline CSS and SVG, no external resources).

    `extra`: the analysis sections between the headline metrics and the quarantine; by default every
    measurement section that has data (scorecard, changes, outcomes, gaps, themes).
    """
    if extra is None:
        from cxlens.report.sections import measurement_sections

        extra = measurement_sections(store, min_n)
    sections = [overview_section(store), metric_section(store, "nps", "segment", min_n),
                metric_section(store, "csat", "touchpoint", min_n), *extra, quarantine_section(store)]
    env = jinja2.Environment(loader=jinja2.PackageLoader("cxlens.report", "templates"), autoescape=True)
    return env.get_template("report.html").render(
        title=title, subtitle=f"Store: {store.url}", sections=sections, version=__version__,
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"), min_n=min_n)


def write_report(store, path: str | Path, **kwargs) -> Path:
    """Write the report to `path`; returns the path."""
    path = Path(path)
    path.write_text(render_report(store, **kwargs), encoding="utf-8")
    return path
