"""NPS per group and period: exact counts on a tiny store, intervals against formulas, bootstrap and coverage."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxlens.errors import UsageError
from cxlens.metrics import nps_by
from cxlens.query import Scope
from cxlens.query.dimensions import label_periods, period_label
from cxlens.stats import nps_interval

NPS_COLUMNS = ["n", "customers", "nps", "promoters_pct", "passives_pct", "detractors_pct", "ci_low", "ci_high", "low_n"]


def test_nps_is_percent_promoters_minus_percent_detractors(tiny_store):
    overall = nps_by(tiny_store)
    assert list(overall.columns) == NPS_COLUMNS
    row = overall.iloc[0]
    assert row["n"] == 16
    assert row["promoters_pct"] == pytest.approx(100 * 5 / 16)
    assert row["detractors_pct"] == pytest.approx(100 * 7 / 16)
    assert row["nps"] == pytest.approx(100 * (5 - 7) / 16)
    assert row["promoters_pct"] + row["passives_pct"] + row["detractors_pct"] == pytest.approx(100)


def test_nps_by_touchpoint_and_month_has_dims_then_period_then_figures(tiny_store):
    frame = nps_by(tiny_store, Scope(by=("touchpoint",), period="month"))
    assert list(frame.columns) == ["touchpoint", "period"] + NPS_COLUMNS
    assert frame[["period", "n", "nps"]].values.tolist() == [["2024-01", 10, 10.0], ["2024-02", 6, -50.0]]


def test_nps_interval_is_adjusted_wald_of_lewis_and_sauro(tiny_store):
    row = nps_by(tiny_store, Scope(by=("touchpoint",), period="month")).iloc[0]  # 10 answers: 4 promoters, 3 detractors
    n, pp, pd_ = 13, 4.75 / 13, 3.75 / 13
    se = np.sqrt((pp + pd_ - (pp - pd_) ** 2) / n)
    assert row["ci_low"] == pytest.approx(100 * (pp - pd_ - 1.959964 * se), abs=1e-4)
    assert row["ci_high"] == pytest.approx(100 * (pp - pd_ + 1.959964 * se), abs=1e-4)


def test_cells_below_min_n_are_flagged(tiny_store):
    frame = nps_by(tiny_store, Scope(by=("touchpoint",), period="month"), min_n=8)
    assert frame["low_n"].tolist() == [False, True]


@pytest.mark.parametrize("dim", ["touchpoint", "stage", "segment", "region", "channel", "language", "plan", "account"])
def test_every_dimension_partitions_the_answers(tiny_store, dim):
    frame = nps_by(tiny_store, Scope(by=(dim,)))
    assert frame["n"].sum() == 16
    assert frame[dim].is_unique


def test_customer_language_and_segment_come_from_customers(tiny_store):
    frame = nps_by(tiny_store, Scope(by=("segment", "language")))
    business_de = frame[(frame["segment"] == "business") & (frame["language"] == "de")].iloc[0]
    assert business_de["n"] == 2  # C6 answered twice; the response language (en) is not used


def test_missing_dimension_values_are_counted_as_unknown(tiny_store):
    frame = nps_by(tiny_store, Scope(by=("account",)))
    assert dict(zip(frame["account"], frame["n"])) == {"(unknown)": 12, "A1": 4}


def test_unknown_dimension_or_period_is_a_usage_error_naming_the_parameter(tiny_store):
    with pytest.raises(UsageError, match="unknown dimension") as err:
        nps_by(tiny_store, Scope(by=("colour",)))
    assert err.value.parameter == "by" and "touchpoint" in err.value.allowed
    with pytest.raises(UsageError, match="period='fortnight'") as err:
        nps_by(tiny_store, Scope(by=("region",), period="fortnight"))
    assert err.value.parameter == "period"


def test_filters_and_date_window_restrict_answers(tiny_store):
    assert nps_by(tiny_store, Scope(filters={"region": "north"})).iloc[0]["n"] == 8
    assert nps_by(tiny_store, Scope(filters={"segment": ["value", "business"]})).iloc[0]["n"] == 10
    assert nps_by(tiny_store, Scope(since="2024-02-01")).iloc[0]["n"] == 6
    assert nps_by(tiny_store, Scope(until="2024-01-31")).iloc[0]["n"] == 10
    assert nps_by(tiny_store, Scope(since="2024-01-12", until="2024-01-12")).iloc[0]["n"] == 1


@pytest.mark.parametrize(("start", "period", "label"), [
    ("2024-05-01", "month", "2024-05"), ("2024-04-01", "quarter", "2024-Q2"), ("2024-01-01", "year", "2024"),
    ("2024-02-12", "week", "2024-W07"), ("2024-12-30", "week", "2025-W01"), ("2021-01-04", "week", "2021-W01"),
])
def test_period_labels_are_calendar_and_iso_week(start, period, label):
    assert period_label(pd.Timestamp(start), period) == label


@pytest.mark.parametrize("period", ["week", "month", "quarter", "year"])
def test_label_periods_labels_each_row_as_period_label_does(period):
    """Labels are computed once per distinct start: each row must still get its own start's label, in place."""
    rng = np.random.default_rng(7)
    starts = pd.Timestamp("2019-12-23") + pd.to_timedelta(rng.integers(0, 900, 500), unit="D")
    frame = pd.DataFrame({"segment": rng.choice(["a", "b"], 500), "period_start": starts, "n": np.arange(500)},
                         index=rng.permutation(500))
    labelled = label_periods(frame.copy(), period, 1)
    assert list(labelled.columns) == ["segment", "period", "n"]
    assert labelled["period"].tolist() == [period_label(s, period) for s in starts]
    assert labelled["n"].tolist() == list(range(500))


def test_weekly_periods_start_on_monday(tiny_store):
    frame = nps_by(tiny_store, Scope(period="week"))
    assert frame["period"].tolist()[:3] == ["2024-W01", "2024-W02", "2024-W03"]
    assert frame["n"].sum() == 16


def _draw(rng, n, shares, size):
    """Category counts (promoters, passives, detractors) of `size` samples of n answers."""
    return rng.multinomial(n, shares, size=size)


def test_nps_confidence_interval_matches_bootstrap():
    rng = np.random.default_rng(7)
    scores = rng.choice(11, size=400, p=np.r_[np.full(7, 0.05), 0.1, 0.15, 0.2, 0.2])
    promoters, detractors = int((scores >= 9).sum()), int((scores <= 6).sum())
    # brute force: resample the 400 individual answers with replacement
    idx = rng.integers(0, 400, size=(4000, 400))
    boot = 100 * ((scores[idx] >= 9).mean(axis=1) - (scores[idx] <= 6).mean(axis=1))
    b_low, b_high = np.quantile(boot, [0.025, 0.975])
    low, high = nps_interval(400, promoters, detractors, "adjusted-wald")
    assert low[0] == pytest.approx(b_low, abs=1.5) and high[0] == pytest.approx(b_high, abs=1.5)
    low, high = nps_interval(400, promoters, detractors, "bootstrap", n_boot=4000)
    assert low[0] == pytest.approx(b_low, abs=1.5) and high[0] == pytest.approx(b_high, abs=1.5)


@pytest.mark.parametrize("n", [20, 50, 200, 2000])
@pytest.mark.parametrize("shares", [(0.3, 0.4, 0.3), (0.6, 0.3, 0.1), (0.85, 0.1, 0.05)])
def test_nps_adjusted_wald_interval_covers_true_value_about_95_percent(n, shares):
    rng = np.random.default_rng(n)
    counts = _draw(rng, n, shares, 4000)
    low, high = nps_interval(np.full(4000, n), counts[:, 0], counts[:, 2])
    truth = 100 * (shares[0] - shares[2])
    coverage = np.mean((low <= truth) & (truth <= high))
    assert 0.925 <= coverage <= 0.975, coverage


def test_plain_wald_interval_undercovers_at_small_n_where_adjusted_wald_does_not():
    rng = np.random.default_rng(1)
    shares, n = (0.85, 0.1, 0.05), 20
    counts = _draw(rng, n, shares, 4000)
    truth = 100 * (shares[0] - shares[2])

    def coverage(method):
        low, high = nps_interval(np.full(4000, n), counts[:, 0], counts[:, 2], method)
        return np.mean((low <= truth) & (truth <= high))

    assert coverage("wald") < 0.92 < coverage("adjusted-wald")


def test_nps_cli_json_records_use_the_table_column_names(tiny_store, tmp_path, monkeypatch):
    from cxlens.cli import app
    from cxlens.workspace import Workspace

    monkeypatch.setattr(Workspace, "store", lambda self: _Unclosed(tiny_store))
    (tmp_path / "cxlens.toml").write_text("[metrics]\nmin_n = 8\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["nps", "--by", "touchpoint", "--period", "month", "--format", "json",
                                      "--workspace", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    # the capped distinct customers are the small-group rule's input, not published (architecture D48)
    assert list(rows[0]) == ["touchpoint", "period"] + [c for c in NPS_COLUMNS if c != "customers"]
    assert [r["low_n"] for r in rows] == [False, True]  # workspace min_n = 8
    table = CliRunner().invoke(app, ["nps", "--by", "touchpoint", "--period", "month", "--workspace", str(tmp_path)])
    assert "low n" in table.stdout


class _Unclosed:
    """Hands the fixture's store to the CLI without letting the command close it."""

    def __init__(self, store):
        self.store = store

    def __enter__(self):
        return self.store

    def __exit__(self, *exc):
        return None


def test_nps_counts_distinct_customers_per_cell_beside_answers(tiny_store):
    # relationship NPS: 16 answers from 8 customers (each answers in Jan and Feb, C1 and C2 twice in Jan)
    frame = nps_by(tiny_store, Scope(by=("touchpoint",), period="month")).set_index("period")
    assert frame.loc["2024-01", "n"] == 10 and frame.loc["2024-01", "customers"] == 8
    assert frame.loc["2024-02", "n"] == 6 and frame.loc["2024-02", "customers"] == 6
