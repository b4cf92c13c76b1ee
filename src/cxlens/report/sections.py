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




def themes_section(store, min_n: int) -> Section | None:
    """Themes: what they cost in NPS (OLS effect with 95% CI), from the stored comment analyses."""
    import math

    from cxlens.report.charts import forest
    from cxlens.text.store_impact import store_theme_impact

    impact = store_theme_impact(store)
    if impact.empty:
        return None
    impact = impact.sort_values("nps_effect").reset_index(drop=True)
    weak = (impact["mentions"] < min_n).tolist()
    span = max(10.0, *(abs(v) for v in impact[["nps_effect_low", "nps_effect_high"]].to_numpy().ravel() if not math.isnan(v)))
    span = 10 * math.ceil(span / 10)
    chart = forest(impact["theme"].tolist(), impact["nps_effect"].tolist(), impact["nps_effect_low"].tolist(),
                   impact["nps_effect_high"].tolist(), weak, lo=-span, hi=span)
    shown = impact.assign(share=100 * impact["share"], low_n=weak)
    cols = ["theme", "mentions", "share", "mean_sentiment", "nps_with", "nps_without", "nps_gap", "nps_effect",
            "nps_effect_low", "nps_effect_high", "trend"]
    body = chart + table_html(shown, cols, weak_column="low_n", spark_column="trend")
    return Section("themes", "Themes: what they cost in NPS", body,
                   intro="Each theme's effect on NPS (points of NPS, OLS of the NPS contribution on all theme indicators "
                         "at once, HC1 95% interval), with its volume, share of commented NPS answers (%), mean sentiment "
                         "and the plain gap between answers that mention it and those that do not.",
                   note="Themes come from keyword lexicons (themes.yaml): a comment that merely names the bill counts as a "
                        "billing mention, which pulls effects towards zero. Read the ranking and signs first.")
