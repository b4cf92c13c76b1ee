"""Report sections beyond the overview: each turns one analysis into a titled block."""

from __future__ import annotations

from cxlens.report.html import Section, table_html

_SCORECARD_COLUMNS = [
    ("stage", "stage"), ("touchpoint", "touchpoint"), ("n_nps", "n NPS"), ("nps", "NPS"), ("csat", "CSAT"),
    ("ces", "CES"), ("resolution_rate", "resolved %"), ("fcr_rate", "FCR %"),
    ("expectation_gap", "gap"), ("csat_trend", "CSAT trend"), ("status", "status"),
]


def scorecard_section(store, min_n: int) -> Section:
    """The touchpoint scorecard with monthly NPS sparklines and target status."""
    from cxlens.metrics import scorecard

    card = scorecard(store, min_n=min_n)
    present = [(c, label) for c, label in _SCORECARD_COLUMNS if c in card.columns]
    shown = card[[c for c, _ in present] + ["low_n"]].rename(columns=dict(present))
    shown["status"] = shown["status"].astype(str)
    body = table_html(shown, [label for _, label in present], weak_column="low_n", spark_column="CSAT trend")
    return Section("scorecard", "Touchpoint scorecard", body,
                   intro="Every touchpoint in journey order: experience (NPS, CSAT 1-5, CES 1-7 where higher is easier), "
                         "outcomes of its tickets, the expectation gap (perceived CSAT minus expectation), monthly CSAT trend "
                         "and status against the targets in journey.yaml.",
                   note="'below target significantly' means the whole 95% interval lies below the target; "
                        "'below target' may still be noise.")


