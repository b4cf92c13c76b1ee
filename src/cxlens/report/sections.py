"""Report sections: each function runs one analysis and returns its figures as a `Section` of components.

No HTML here: the macros in templates/components.html render these, in the report and wherever else
the same figures are shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from pathlib import Path
from typing import Callable, Sequence

from cxlens import metrics
from cxlens.errors import AnalysisError, first_line
from cxlens.metrics import consistency, delivery_gap, expectation_gap, outcomes_by, scorecard
from cxlens.model import TABLES
from cxlens.privacy.suppress import smallest_group, suppress, suppress_series
from cxlens.report.published import published_scorecard
from cxlens.query import Scope
from cxlens.report.components import Block, Card, Cards, Heading, Paragraph, Section, interval_chart, table
from cxlens.report.persona_sections import persona_section
from cxlens.report.value_sections import value_section
from cxlens.report.journey_sections import (breakpoints_section, journey_map_section, moments_section, paths_section,
                                           sankey_section)
from cxlens.text.models import analysed_models, model_line, stored_languages
from cxlens.text.store_impact import store_theme_impact
from cxlens.query.needs import missing
from cxlens.value.drivers import csat_drivers

_METRICS = {
    # metric -> (function name, value column, scale low, scale high, extra columns, how to read it)
    "nps": ("nps_by", "nps", -100, 100, ["promoters_pct", "passives_pct", "detractors_pct"],
            "Net Promoter Score with its 95% interval (adjusted Wald, Lewis & Sauro 2021)"),
    "csat": ("csat_by", "csat", 1, 5, ["top2_pct"], "Mean CSAT (1-5) with its 95% t interval"),
}


def overview_section(store) -> Section:
    """Rows per stored table and every load's accounting (read = inserted + updated + unchanged + quarantined)."""
    counts = {name: store.count(name) for name in TABLES}
    blocks: list[Block] = [Cards(tuple(Card(n, name) for name, n in counts.items()))]
    loads = store.table("loads").execute()
    if len(loads):
        loads = loads.assign(file=loads["file"].map(lambda p: Path(p).name))
        blocks += [Heading("Loads"),
                   table(loads, ["kind", "file", "rows_read", "inserted", "updated", "unchanged", "quarantined"])]
    return Section("overview", "Data in the store", tuple(blocks),
                   intro="Every row read is accounted for: inserted + updated + unchanged + quarantined = rows read.")


def metric_section(store, metric: str, by: str, min_n: int, min_group: int = 5) -> Section:
    """One metric ("nps" or "csat") per value of one dimension, as an interval chart and a table, best first.

    Groups of fewer than `min_group` customers (and their complements) are empty cells, left out of the chart."""
    fn, col, lo, hi, extra, how = _METRICS[metric]
    frame = getattr(metrics, fn)(store, Scope(by=(by,)), min_n=min_n, customers_cap=min_group)  # D48
    frame, note = suppress(frame, groups=[by], min_group=min_group)
    frame = frame.sort_values(col, ascending=False, na_position="last")
    drawn = frame[frame[col].notna()]
    chart = interval_chart(drawn[by].astype(str).tolist(), drawn[col].tolist(), drawn["ci_low"].tolist(),
                           drawn["ci_high"].tolist(), drawn["low_n"].tolist(), lo=lo, hi=hi)
    rows = table(frame, [by, "n", col, "ci_low", "ci_high", *extra], weak_column="low_n")
    return Section(f"{metric}-{by}", f"{metric.upper()} by {by}", (chart, rows),
                   intro=f"{how}, by {by}. Bars that overlap widely are not reliably different." + (f" {note}" if note else ""))


def quarantine_section(store) -> Section:
    """Refused rows counted by kind, field and reason."""
    q = store.table("quarantine")
    summary = q.group_by(["kind", "field", "reason"]).aggregate(rows=q.count()).order_by(["kind", "field"]).execute()
    block = table(summary, ["kind", "field", "reason", "rows"]) if len(summary) else Paragraph("No row was refused.")
    return Section("quarantine", "Quarantined rows", (block,),
                   intro="Rows that failed validation, by reason. `cxlens quarantine` lists each with file, row and value.")


_SCORECARD_COLUMNS = [
    ("stage", "stage"), ("touchpoint", "touchpoint"), ("n_nps", "n NPS"), ("nps", "NPS"), ("csat", "CSAT"),
    ("ces", "CES"), ("resolution_rate", "resolved %"), ("fcr_rate", "FCR %"),
    ("expectation_gap", "gap"), ("csat_trend", "CSAT trend"), ("status", "status"),
]


def scorecard_section(store, min_n: int, min_group: int = 5) -> Section:
    """The touchpoint scorecard with monthly CSAT sparklines and target status (small groups suppressed)."""
    card, notes = published_scorecard(scorecard(store, min_n=min_n, customers_cap=min_group), "touchpoint", min_group)
    present = [(c, label) for c, label in _SCORECARD_COLUMNS if c in card.columns]
    shown = card[[c for c, _ in present] + ["low_n"]].copy()
    shown["status"] = shown["status"].astype(str)
    rows = table(shown, [c for c, _ in present], weak_column="low_n", spark_column="csat_trend", labels=dict(present))
    return Section("scorecard", "Touchpoint scorecard", (rows,),
                   intro="Every touchpoint in journey order: experience (NPS, CSAT 1-5, CES 1-7 where higher is easier), "
                         "outcomes of its tickets, the expectation gap (perceived CSAT minus expectation), monthly CSAT trend "
                         "and status against the targets in journey.yaml.",
                   note="'below target significantly' means the whole 95% interval lies below the target; "
                        "'below target' may still be noise." + "".join(f" {n}" for n in notes))


def themes_section(store, min_n: int, min_group: int = 5) -> Section | None:
    """Themes: what they cost in NPS (OLS effect with 95% CI), from the stored comment analyses; None without any.
    A theme whose NPS with or without it describes fewer than `min_group` customers is an empty row, not drawn."""
    impact = store_theme_impact(store)
    if impact.empty:
        return None
    impact, note = suppress(impact.assign(_c=smallest_group(impact, ["customers", "customers_without"])),
                            groups=["theme"], min_group=min_group, customers="_c", keep=["months"])
    impact = impact.assign(**{c: impact[c].map(lambda t: t if isinstance(t, list) else [])
                              for c in ("trend", "months", "trend_customers") if c in impact})
    impact, point = suppress_series(impact, series="trend", counts="trend_customers", periods="months",
                                    min_group=min_group)
    note = note or point
    impact = impact.sort_values("nps_effect", na_position="last").reset_index(drop=True)
    weak = (pd.to_numeric(impact["mentions"]) < min_n).tolist()
    bounds = impact[["nps_effect_low", "nps_effect_high"]].to_numpy(float).ravel()
    span = max([10.0, *(abs(v) for v in bounds if not math.isnan(v))])
    span = 10 * math.ceil(span / 10)
    drawn = impact["nps_effect"].notna().to_numpy()
    chart = interval_chart(impact["theme"][drawn].tolist(), impact["nps_effect"][drawn].tolist(),
                           impact["nps_effect_low"][drawn].tolist(), impact["nps_effect_high"][drawn].tolist(),
                           [w for w, d in zip(weak, drawn) if d], lo=-span, hi=span)
    shown = impact.assign(share=100 * pd.to_numeric(impact["share"]), low_n=weak)
    cols = ["theme", "mentions", "share", "mean_sentiment", "nps_with", "nps_without", "nps_gap", "nps_effect",
            "nps_effect_low", "nps_effect_high", "trend"]
    return Section("themes", "Themes: what they cost in NPS", (chart, table(shown, cols, weak_column="low_n", spark_column="trend")),
                   intro="Each theme's effect on NPS (points of NPS, OLS of the NPS contribution on all theme indicators "
                         "at once, HC1 95% interval), with its volume, share of commented NPS answers (%), mean sentiment "
                         "and the plain gap between answers that mention it and those that do not.",
                   note="Themes come from keyword lexicons and example similarity (themes.yaml): a comment that merely "
                        "names the bill counts as a billing mention, which pulls effects towards zero. Read the ranking "
                        "and signs first." + _sentiment_models(store) + (f" {note}" if note else ""))


def _sentiment_models(store) -> str:
    """" Sentiment: en ..., ar ...": the model that scored each language of the stored comments (no silent model)."""
    models = analysed_models(store)
    if models is None:
        return " The models that scored these comments were not recorded: re-run `cxlens text analyze --full`."
    line = model_line(models, stored_languages(store).get("survey", []))
    return f" {line[0].upper()}{line[1:]}."


# The comparison columns of a cell, emptied in the period after a suppressed one (its change gives it away).
_COMPARED = ("vs", "change", "change_ci_low", "change_ci_high", "p_value", "q_value", "significant", "direction")
_CHANGE_VIEWS = (  # (metric function, value column, by, period): transactional CSAT moves monthly, relationship NPS quarterly
    ("csat_by", "csat", "touchpoint", "month"),
    ("nps_by", "nps", "segment", "quarter"),
)


def changes_section(store, min_n: int, min_group: int = 5, shown: int = 5) -> Section | None:
    """The latest period against the one before, per view: the real changes, else the largest moves and their q.

    Why not every wiggle: a report that lists each move teaches readers to chase noise. The tests are those
    of `cxlens csat|nps --compare previous` (Welch / multinomial z, Benjamini-Hochberg across the cells).
    """
    blocks: list[Block] = []
    notes: list[str] = []
    for fn, col, by, period in _CHANGE_VIEWS:
        cells = getattr(metrics, fn)(store, Scope(by=(by,), period=period), compare="previous", min_n=min_n,
                                     customers_cap=min_group)
        cells, note = suppress(cells, groups=[by, "period"], min_group=min_group, previous=_COMPARED)
        notes += [note] if note and note not in notes else []
        cells = cells[cells["change"].notna()]  # a suppressed cell, or the one after it, is no change to show
        compared = cells[cells["vs"].notna()]
        if compared.empty:
            continue
        latest = compared[compared["period"] == compared["period"].max()]
        real = latest[latest["significant"].fillna(False).astype(bool)]
        rows = real if len(real) else latest.reindex(latest["change"].abs().sort_values(ascending=False).index).head(shown)
        cols = [by, "n", col, "change", "change_ci_low", "change_ci_high", "q_value", "direction"]
        blocks += [
            Heading(f"{col.upper()} by {by}: {latest['period'].iloc[0]} vs {latest['vs'].iloc[0]}"),
            Paragraph(f"{len(real)} of {len(latest)} {by}s changed beyond sampling noise (q < 0.05)"
                      f"{'' if len(real) else '; the largest moves, all within noise'}:"),
            table(rows.sort_values("change"), cols, weak_column="low_n"),
        ]
    if not blocks:
        return None
    return Section("changes", "What really changed since the period before", tuple(blocks),
                   intro="Each figure against the period before it, with the 95% interval of the change and its "
                         "Benjamini-Hochberg q-value across the cells compared: only q < 0.05 counts as a real rise or fall."
                         + "".join(f" {n}" for n in notes))


def outcomes_section(store, min_n: int, min_group: int = 5) -> Section | None:
    """Ticket outcomes per touchpoint and which of them move CSAT (the regression `outcomes --drivers` runs)."""
    if store.count("tickets") == 0:
        return None
    outcomes, note = suppress(outcomes_by(store, Scope(by=("touchpoint",)), min_n=min_n), groups=["touchpoint"],
                              min_group=min_group)
    outcomes = outcomes.sort_values("resolution_p50_h", ascending=False, na_position="last")
    notes = [note] if note else []
    blocks: list[Block] = [table(outcomes, ["touchpoint", "tickets", "resolution_rate", "fcr_rate", "reopen_rate", "frt_p50_h",
                                            "resolution_p50_h", "resolution_p90_h", "open_tickets", "backlog_age_p50_d"],
                                 weak_column="low_n")]
    try:
        drivers, note = suppress(csat_drivers(store), groups=["driver"], min_group=min_group, keep=["unit"])
        notes += [note] if note and note not in notes else []
        blocks += [Heading("What moves CSAT after a ticket"),
                   table(drivers, ["driver", "unit", "effect", "ci_low", "ci_high", "p_value", "std_effect", "n", "customers"])]
    except AnalysisError:
        pass  # no ticket is followed by a CSAT answer: the outcome table still stands
    return Section("outcomes", "Outcomes: was the problem solved, and how fast", tuple(blocks),
                   intro="Per touchpoint: resolution, first-contact resolution and reopen rates (%), hours to first response "
                         "and to resolution (median, 90th percentile), open tickets and their median age in days. Below: CSAT "
                         "points per unit of each outcome (OLS; 95% intervals cluster-robust by customer, since one customer's "
                         "tickets are not independent), strongest first by standardised effect."
                         + "".join(f" {n}" for n in notes))


def gaps_section(store, min_n: int, min_group: int = 5) -> Section | None:
    """Expectation gap, delivery gap (owners' self-rating) and inconsistent touchpoints, in one section."""
    blocks: list[Block] = []
    notes: list[str] = []
    for title, compute, cols, groups, keep in (
        ("Expectation vs perception (CSAT 1-5)", lambda: expectation_gap(store, min_n=min_n),
         ["touchpoint", "n_expectation", "expectation", "n_csat", "csat", "gap", "ci_low", "ci_high", "significant"],
         ["touchpoint"], ()),
        ("What owners believe vs what customers say", lambda: delivery_gap(store, min_n=min_n),
         ["touchpoint", "owner", "metric", "self_rating", "observed", "ci_low", "ci_high", "gap", "status"],
         ["touchpoint", "metric"], ("owner", "self_rating")),
        ("Inconsistent delivery (varies beyond sampling noise)",
         lambda: consistency(store).query("inconsistent"),
         ["touchpoint", "across", "groups", "n", "tau", "i2_pct", "q_value"], ["touchpoint", "across"], ()),
    ):
        try:
            frame = compute()
        except AnalysisError:
            continue
        frame, note = suppress(frame, groups=groups, min_group=min_group, keep=keep)
        notes += [note] if note and note not in notes else []
        if len(frame):
            blocks += [Heading(title), table(frame, cols, weak_column="low_n" if "low_n" in frame else None)]
    if not blocks:
        return None
    return Section("gaps", "Gaps: expectation, delivery and consistency", tuple(blocks),
                   intro="Negative gaps are shortfalls, ranked from the largest. 'over-rated' means the owner's self-rating lies "
                         "above the customers' whole 95% interval. Inconsistency: Cochran's Q with DerSimonian-Laird tau "
                         "(between-group SD on the metric's scale), Benjamini-Hochberg q < 0.05."
                         + "".join(f" {n}" for n in notes))


@dataclass(frozen=True)
class Missing:
    """A section the report leaves out: its title and why (what data is missing and the command that adds it)."""

    title: str
    reason: str


@dataclass(frozen=True)
class ReportContents:
    """The report as data: the sections in reading order, and the sections left out with their reasons."""

    sections: list[Section]
    missing: list[Missing]


# Measurement sections: (title, what each needs in the store, builder, why it is out when the builder finds nothing).
_MEASUREMENTS: tuple[tuple[str, tuple[str, ...], Callable, str], ...] = (
    ("Journey map", ("touchpoints",), journey_map_section, ""),
    ("How customers really move: top paths", ("events",), paths_section, ""),
    ("Journey flows (Sankey)", ("events",), sankey_section, ""),
    ("Breakpoints: where the experience fails", ("events",), breakpoints_section, ""),
    ("Moments of truth and of magic", ("responses", "outcomes"), moments_section,
     "no touchpoint has enough customers with a bad or great experience to estimate"),
    ("Touchpoint scorecard", ("touchpoints", "answers_or_tickets"), scorecard_section, ""),
    ("What really changed since the period before", ("responses",), changes_section,
     "fewer than two months of CSAT (or quarters of NPS) answers to compare"),
    ("Outcomes", ("tickets",), outcomes_section, ""),
    ("Gaps: expectation, delivery and consistency", ("responses",), gaps_section,
     "no expectation answers, no self_rating in journey.yaml, and no touchpoint whose delivery varies beyond noise"),
    ("Themes: what they cost in NPS", ("nps", "nps_comments", "analysed_comments"), themes_section,
     "no theme is mentioned in the analysed NPS comments"),
    ("What experience is worth", ("nps", "outcomes"), value_section,
     "no customer-month follows a relationship-NPS answer"),
)


def _built(store, title: str, needs: Sequence[str], build: Callable[[], Section | None], empty: str,
           made: list[Section], left_out: list[Missing]) -> None:
    """Build one section into `made`, or say in `left_out` why it cannot be built from this store."""
    reason = missing(store, *needs)
    if reason is None:
        try:
            section = build()
        except AnalysisError as exc:  # the data is there but cannot answer (e.g. too few answers)
            reason = first_line(exc)
        else:
            if section is not None:
                made.append(section)
                return
            reason = empty or "no data for it"
    left_out.append(Missing(title, reason))


def measurement_contents(store, min_n: int, min_group: int = 5) -> ReportContents:
    """Every analysis section that has data, in reading order (scorecard, changes, outcomes, gaps, themes),
    and the ones that have none, with the reason and the command that adds the data."""
    made: list[Section] = []
    left_out: list[Missing] = []
    for title, needs, build, empty in _MEASUREMENTS:
        _built(store, title, needs, lambda build=build: build(store, min_n, min_group), empty, made, left_out)
    personas = persona_section(store, min_n, min_group)  # only once `cxlens personas fit` ran: never listed as missing
    if personas is not None:
        made.append(personas)
    return ReportContents(made, left_out)


def measurement_sections(store, min_n: int, min_group: int = 5) -> list[Section]:
    """Every analysis section that has data, in reading order: scorecard, changes, outcomes, gaps, themes."""
    return measurement_contents(store, min_n, min_group).sections


def missing_section(left_out: Sequence[Missing]) -> Section:
    """The sections a report leaves out, each with why and the command that would add the data."""
    import pandas as pd

    frame = pd.DataFrame([{"section": m.title, "why": m.reason} for m in left_out], columns=["section", "why"])
    return Section("missing", "Not in this report", (table(frame, ["section", "why"]),),
                   intro="These sections need data the store does not hold yet; load it (or run the command named) "
                         "and write the report again.")


def report_contents(store, min_n: int, extra: Sequence[Section] | None = None, min_group: int = 5) -> ReportContents:
    """The whole report as data, in reading order: overview, NPS by segment, CSAT by touchpoint, `extra`
    (by default every measurement section that has data), quarantine, then what is left out and why.

    A store without NPS answers, tickets or analysed comments still gets a report: the sections its data supports.
    `min_group`: the workspace's `[privacy] min_group`; smaller groups are suppressed in every section.
    """
    made: list[Section] = [overview_section(store)]
    left_out: list[Missing] = []
    _built(store, "NPS by segment", ("nps",), lambda: metric_section(store, "nps", "segment", min_n, min_group), "", made, left_out)
    _built(store, "CSAT by touchpoint", ("csat",), lambda: metric_section(store, "csat", "touchpoint", min_n, min_group), "",
           made, left_out)
    if extra is None:
        measured = measurement_contents(store, min_n, min_group)
        extra, left_out = measured.sections, left_out + measured.missing
    made += [*extra, quarantine_section(store)]
    if left_out:
        made.append(missing_section(left_out))
    return ReportContents(made, left_out)


def report_sections(store, min_n: int, extra: Sequence[Section] | None = None) -> list[Section]:
    """The sections of `report_contents`, the list of what is left out (if anything) last."""
    return report_contents(store, min_n, extra).sections
