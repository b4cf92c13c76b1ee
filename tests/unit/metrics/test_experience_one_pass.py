"""NPS, CSAT and CES from one pass over the rollup (architecture D52): `cells_of` and `experience_by` give, metric for
metric, the very frames `cells`, `nps_by`, `csat_by` and `ces_by` give, from the rollup and from the raw answers, and
the cells equal a brute-force count in pandas.

The store: the planner tests' demo store (3,500 customers, seed 11; "(unknown)" touchpoints, segments and plans added),
whose rollup is current; the size rule is off so that the rollup answers whenever it can.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from test_rollup_planner import (assert_same_cells, no_size_rule, planner_source, planner_store,  # noqa: F401 (fixtures)
                                 random_scopes)

from cxlens.errors import AnalysisError, UsageError
from cxlens.metrics import ces_by, csat_by, experience_by, nps_by, scorecard
from cxlens.metrics import experience
from cxlens.metrics import plan as plan_module
from cxlens.metrics.experience import cells, cells_of
from cxlens.metrics.plan import RAW, ROLLUP, Plan
from cxlens.metrics.scales import THRESHOLDS
from cxlens.query import Scope
from cxlens.query.dimensions import group_keys

METRICS = ("nps", "csat", "ces")


def test_cells_of_three_metrics_equal_each_metrics_cells_both_ways_on_random_scopes(planner_store):
    nonempty = 0
    for i, (_, scope) in enumerate(random_scopes(planner_store, 30, seed=52)):
        cap = (None, 5, 40)[i % 3]
        keys = group_keys(scope.by, scope.period)
        together = cells_of(planner_store, METRICS, scope, customers_cap=cap)
        raw_together = cells_of(planner_store, METRICS, scope, source=RAW, customers_cap=cap)
        assert list(together) == list(METRICS)
        for metric in METRICS:
            what = f"{metric} {scope!r} cap {cap}"
            alone_raw = cells(planner_store, metric, scope, source=RAW, customers_cap=cap)
            assert_same_cells(together[metric], cells(planner_store, metric, scope, customers_cap=cap), keys, what)
            assert_same_cells(together[metric], alone_raw, keys, what + " vs raw")
            assert_same_cells(raw_together[metric], alone_raw, keys, what + " raw together vs raw")
            nonempty += len(alone_raw) > 0
    assert nonempty >= 60  # most scopes have cells: the comparison compares something


def test_one_rollup_query_answers_all_three_metrics(planner_store, monkeypatch):
    calls = []
    real = plan_module.rollup_rows
    monkeypatch.setattr(plan_module, "rollup_rows", lambda store, metric, scope: calls.append(metric) or
                        real(store, metric, scope))
    plans = []
    real_plan = experience.plan
    monkeypatch.setattr(experience, "plan", lambda *a, **k: plans.append(a[1]) or real_plan(*a, **k))
    experience_by(planner_store, Scope(by=("touchpoint", "segment"), period="month"), customers_cap=5)
    assert calls == [METRICS] and len(plans) == 1  # one query over the rollup, one plan (one staleness check)


def test_experience_by_equals_nps_by_csat_by_ces_by_from_the_rollup_and_the_raw_answers(planner_store, monkeypatch):
    scopes = [Scope(by=("touchpoint", "segment"), period="month"), Scope(by=("stage",), filters={"region": ("north",)}),
              Scope(), Scope(by=("aspect",), since="2099-01-01")]  # the last: no answer in it
    singles = {"nps": nps_by, "csat": csat_by, "ces": ces_by}
    for raw in (False, True):
        with monkeypatch.context() as m:
            if raw:
                m.setattr(experience, "plan", lambda store, metric, scope, **_: Plan(RAW, "forced by the test"))
            for scope in scopes:
                for cap in (None, 5):
                    got = experience_by(planner_store, scope, min_n=50, customers_cap=cap)
                    for metric, single in singles.items():
                        pd.testing.assert_frame_equal(got[metric], single(planner_store, scope, min_n=50, customers_cap=cap),
                                                      check_exact=True, obj=f"{metric} {scope!r} cap {cap} raw {raw}")


def test_the_scorecard_is_the_same_from_the_rollup_in_one_pass_and_from_the_raw_answers(planner_store, monkeypatch):
    one_pass = scorecard(planner_store, Scope(), customers_cap=5)
    with monkeypatch.context() as m:
        m.setattr(experience, "plan", lambda store, metric, scope, **_: Plan(RAW, "forced by the test"))
        raw = scorecard(planner_store, Scope(), customers_cap=5)
    pd.testing.assert_frame_equal(one_pass, raw, check_exact=False, rtol=1e-9)


def _brute_force(store, metric: str) -> pd.DataFrame:
    """Per touchpoint x segment x month, counted in pandas from the stored tables: n, distinct customers, answers at
    or above the high threshold and at or below the low one, the mean score (overall answers only)."""
    con = store.duckdb
    r = con.execute("SELECT customer_id, ts, touchpoint_id, score FROM responses WHERE metric = ? AND aspect IS NULL",
                    [metric]).df()
    c = con.execute("SELECT customer_id, segment FROM customers").df()
    t = con.execute("SELECT touchpoint_id FROM touchpoints").df()
    r = r.merge(c, on="customer_id", how="left")
    r["touchpoint"] = r["touchpoint_id"].where(r["touchpoint_id"].isin(t["touchpoint_id"]), "(unknown)")
    r["segment"] = r["segment"].fillna("(unknown)")
    r["period_start"] = pd.to_datetime(r["ts"]).dt.to_period("M").dt.start_time
    hi, lo = THRESHOLDS[metric]
    r["h"], r["l"] = (r["score"] >= hi).astype(int), (r["score"] <= lo).astype(int)
    g = r.groupby(["touchpoint", "segment", "period_start"])
    return g.agg(n=("score", "size"), customers=("customer_id", "nunique"), high=("h", "sum"), low=("l", "sum"),
                 mean=("score", "mean")).reset_index()


def test_cells_of_equal_a_brute_force_count_in_pandas(planner_store):
    scope = Scope(by=("touchpoint", "segment"), period="month")
    got = cells_of(planner_store, METRICS, scope)
    for metric in METRICS:
        brute = _brute_force(planner_store, metric)
        ours = got[metric].assign(period_start=lambda f: pd.to_datetime(f["period_start"]).dt.tz_localize(None))
        merged = ours.merge(brute, on=["touchpoint", "segment", "period_start"], how="outer", indicator=True,
                            suffixes=("", "_brute"))
        assert (merged["_merge"] == "both").all(), metric
        assert len(merged) > 50, metric
        for col in ("n", "customers", "high", "low"):
            np.testing.assert_allclose(merged[col].astype(float), merged[f"{col}_brute"].astype(float), rtol=1e-12,
                                       err_msg=f"{metric} {col}")
        np.testing.assert_allclose(merged["mean"], merged["mean_brute"], rtol=1e-9, err_msg=metric)


def test_cells_of_refuses_what_cells_refuses(planner_store):
    with pytest.raises(AnalysisError, match="unknown metric 'promoters'"):
        cells_of(planner_store, ("nps", "promoters"), Scope())
    with pytest.raises(UsageError):
        cells_of(planner_store, METRICS, Scope(), source="cache")
    with pytest.raises(UsageError):
        cells_of(planner_store, METRICS, Scope(), customers_cap=0)
    with pytest.raises(AnalysisError, match="theme filter"):
        cells_of(planner_store, METRICS, Scope(filters={"theme": ("billing",)}), source=ROLLUP)
    assert cells_of(planner_store, (), Scope()) == {}
