"""The report's value section: what experience is worth, where the link is heading, what drives it, who may leave.

One section, built from one customer-month frame (`cxlens.value.dataset.customer_month_frame`, built in the engine
once): outcomes by NPS group, churn hazard ratios per year and their trend, the money value of moving 5% of
detractors to passives, key drivers with the importance-vs-performance quadrant, and how well churn can be
predicted. Each part that the data cannot support is left out with its reason in the section's note, so a store
without CSAT answers still shows the value of NPS. Figures from fewer than `min_group` customers are suppressed.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from cxlens.errors import AnalysisError, first_line
from cxlens.privacy.suppress import suppress, suppress_rows
from cxlens.query import Scope
from cxlens.report.components import Block, Figure, Heading, Paragraph, Section, table
from cxlens.report.quadrant import quadrant_svg
from cxlens.report.retention_chart import retention_svg
from cxlens.value import churn_hazards, nps_drivers, outcomes_by_group, retention_curves, scenario, trend
from cxlens.value.dataset import customer_month_frame
from cxlens.value.risk import churn_risk

REPORT_MOVE = "detractor:passive:5%"
REPORT_BOOT = 100  # bootstrap refits for the report's intervals (the CLI's default is 200)
_GROUP_METRICS = ("retention", "revenue", "cost_to_serve")


def value_section(store, min_n: int, min_group: int = 5) -> Section | None:
    """Outcomes by NPS group, churn hazard ratios by year and their trend, the value of moving detractors,
    key drivers and churn risk; None when the store has no customer-months with a relationship-NPS answer."""
    frame = customer_month_frame(store, Scope())
    if frame.empty or frame["nps_group"].isna().all():
        return None
    blocks: list[Block] = []
    notes: list[str] = []
    for part in (lambda: _groups(store, min_group), lambda: _hazards(frame, min_group), lambda: _worth(frame, min_group),
                 lambda: _drivers(store, min_group), lambda: _risk(frame)):
        _add(part, blocks, notes)
    if not blocks:
        return None
    return Section("value", "What experience is worth", tuple(blocks),
                   intro="The link from what customers say (their relationship-NPS group) to what they do afterwards: "
                         "retention and money by group, the churn hazard by group and year with the trend of that link, "
                         f"the value of moving 5% of detractors to passives, the touchpoints that drive NPS, and how well "
                         "churn can be foreseen. Intervals are 95% and customer-level (see docs/value.md)."
                         + "".join(f" {n}" for n in notes))


def _add(part: Callable[[], tuple[list[Block], str | None]], blocks: list[Block], notes: list[str]) -> None:
    """Run one part; a part the data cannot support is named in the notes instead of failing the section."""
    try:
        made, note = part()
    except AnalysisError as exc:
        notes.append(f"Left out: {first_line(exc)}")
        return
    blocks += made
    if note and note not in notes:
        notes.append(note)


def _groups(store, min_group: int) -> tuple[list[Block], str | None]:
    frame = outcomes_by_group(store, horizon=12)
    frame = frame[frame["metric"].isin(_GROUP_METRICS)]
    frame, note = suppress_rows(frame, customers="customers", min_group=min_group, keep=("group", "metric"))
    return [Heading("Twelve months after an answer, by NPS group"),
            table(frame, ["group", "metric", "value", "ci_low", "ci_high", "ratio", "ratio_ci_low", "ratio_ci_high",
                          "customers"]),
            Paragraph("retention: share still a customer 12 months after the answer; revenue and cost_to_serve: per active "
                      "month; ratio: to promoters.")], note


def _hazards(frame: pd.DataFrame, min_group: int) -> tuple[list[Block], str | None]:
    hazards = churn_hazards(frame, by_year=True)
    hazards = hazards.assign(year=hazards["year"].astype("string"))  # a year, not a quantity: no thousands separator
    hazards, note = suppress_rows(hazards, customers="customers", min_group=min_group, keep=("group", "year"))
    blocks: list[Block] = [Heading("Retention and churn hazard by NPS group"),
                           Figure(retention_svg(_published_curves(frame, min_group), standalone=False)),
                           table(hazards, ["group", "year", "hazard_ratio", "ci_low", "ci_high", "customers", "events"])]
    try:
        blocks.append(Paragraph(trend(frame).attrs.get("sentence", "")))
    except AnalysisError as exc:
        blocks.append(Paragraph(f"Trend: {first_line(exc)}"))
    blocks += [Paragraph(n) for n in hazards.attrs.get("notes", []) if "proportional hazards" in n]
    return blocks, note


def _published_curves(frame: pd.DataFrame, min_group: int) -> pd.DataFrame:
    """Kaplan-Meier curves by NPS group, without a group of fewer than `min_group` customers."""
    curves = retention_curves(frame)
    return curves[pd.to_numeric(curves["customers"]) >= min_group]


def _worth(frame: pd.DataFrame, min_group: int) -> tuple[list[Block], str | None]:
    worth = scenario(frame, [REPORT_MOVE], by=(), n_boot=REPORT_BOOT)
    worth, note = suppress_rows(worth, customers="customers_moved", min_group=min_group, keep=("move",))
    sentences = [n for n in worth.attrs.get("notes", []) if "E-value" in n]
    return [Heading("What moving 5% of detractors to passives is worth per year"),
            table(worth, ["move", "customers_moved", "value_per_year", "ci_low", "ci_high", "currency",
                          "value_per_customer", "risk_ratio", "e_value"]),
            *(Paragraph(s) for s in sentences)], note


def _drivers(store, min_group: int) -> tuple[list[Block], str | None]:
    drivers = nps_drivers(store)
    drivers, note = suppress(drivers, groups=["driver"], min_group=min_group, keep=["rank"])
    return [Heading("What drives NPS: touchpoints by importance and performance"),
            Figure(quadrant_svg(drivers, standalone=False)),
            table(drivers, ["rank", "driver", "weight", "weight_ci_low", "weight_ci_high", "share", "performance",
                            "quadrant", "significant"])], note


def _risk(frame: pd.DataFrame) -> tuple[list[Block], str | None]:
    model = churn_risk(frame)
    metrics = model.metrics[model.metrics["chosen"]] if "chosen" in model.metrics else model.metrics
    factors = model.factors.head(8)
    return [Heading("Who is about to leave: how well churn in the next 3 months can be foreseen"),
            table(metrics, ["model", "auc", "ci_low", "ci_high", "brier", "brier_skill", "calibration_slope", "n",
                            "churned"]),
            table(factors, ["rank", "factor", "odds_ratio_per_sd", "effect", "auc_drop"]),
            Paragraph("Validated on the latest months after training on earlier ones (no outcome after the validation "
                      "start reaches training). `cxlens value risk` lists the customers most at risk.")], None
