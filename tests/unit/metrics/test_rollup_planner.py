"""The planner (cxlens.metrics.plan): the rollup answers a Scope it covers with the very cells the raw answers give,
and a stale rollup is never read.

The store: the demo company (3,500 customers, seed 11) with its customers, answers and per-aspect survey loaded,
plus answers the demo never has: at a touchpoint the map lacks, from a customer the store lacks, and from customers
whose segment and plan are empty, so "(unknown)" cells are compared too.
"""

from __future__ import annotations

import logging
import random
import shutil
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from conftest import _demo_store_in, build_once, demo_identity

from cxlens.errors import AnalysisError
from cxlens.ingest import load, read_mapping
from cxlens.metrics import ces_by, csat_by, nps_by, scorecard
from cxlens.metrics import experience
from cxlens.metrics.experience import cells
from cxlens.metrics import plan_rules
from cxlens.metrics.plan import RAW, ROLLUP, ROLLUP_DIMENSIONS, Plan, plan
from cxlens.metrics.plan_rules import reads_months
from cxlens.metrics.rollup import refresh_rollup
from cxlens.metrics.scales import THRESHOLDS
from cxlens.query import Scope
from cxlens.query.dimensions import group_keys
from cxlens.query.rows import responses
from cxlens.store import Store
from cxlens.store import records

CUSTOMERS, SEED = 3500, 11


@pytest.fixture(autouse=True)
def no_size_rule(monkeypatch):
    """The demo store's rollup is about as long as its answers, so the size rule (D48) would send every scope to the
    raw answers: these tests compare the two paths, so the rollup answers whenever it can (one test puts it back)."""
    monkeypatch.setattr(plan_rules, "SHRINK", 0.0)
INTEGERS = ("n", "customers")
FLOATS = ("n_eff", "high", "low", "mean", "sd")


def _build(folder, files) -> None:
    identity = demo_identity()
    store = _demo_store_in(folder, files, ("customers", "responses"), identity)
    try:
        load(store, files.aspect_survey, "responses", read_mapping(files.aspect_mapping), identity=identity)
        con = store.duckdb
        # what the demo never has: a touchpoint the map lacks, a customer the store lacks, empty segments and plans
        con.execute("UPDATE customers SET segment = NULL WHERE customer_id IN (SELECT customer_id FROM customers "
                    "ORDER BY customer_id LIMIT 300)")
        con.execute("UPDATE customers SET plan = NULL WHERE customer_id IN (SELECT customer_id FROM customers "
                    "ORDER BY customer_id DESC LIMIT 200)")
        con.execute("INSERT INTO responses (response_id, customer_id, ts, touchpoint_id, metric, score) "
                    "SELECT 'X' || response_id, customer_id, ts, 'not_on_the_map', metric, score FROM responses "
                    "WHERE aspect IS NULL ORDER BY response_id LIMIT 400")
        con.execute("INSERT INTO responses (response_id, customer_id, ts, touchpoint_id, metric, score) "
                    "SELECT 'Y' || response_id, 'nobody-' || customer_id, ts, touchpoint_id, metric, score FROM responses "
                    "WHERE aspect IS NULL ORDER BY response_id DESC LIMIT 400")
        refresh_rollup(store)
    finally:
        store.close()


@pytest.fixture(scope="module")
def planner_source(shared_demo, tmp_path_factory):
    """Folder of the planner's demo store with a current rollup (built once per run). Never open it: copy it."""
    files = shared_demo(CUSTOMERS, SEED)
    return build_once(tmp_path_factory, f"planner-demo-store-{CUSTOMERS}-{SEED}", lambda out: _build(out, files))


def _copy(source, tmp_path_factory) -> Store:
    folder = tmp_path_factory.mktemp("planner-store")
    for path in source.glob("cx.duckdb*"):
        shutil.copy(path, folder / path.name)
    return Store.open(f"duckdb:///{folder / 'cx.duckdb'}")


@pytest.fixture(scope="module")
def planner_store(planner_source, tmp_path_factory):
    """A copy of the planner's store, shared by this module's tests that only read."""
    store = _copy(planner_source, tmp_path_factory)
    yield store
    store.close()


def _values(store) -> dict[str, list[str]]:
    """Every value each dimension takes in the answers (as the raw rows read them, "(unknown)" included)."""
    rows = responses(store, list(THRESHOLDS), Scope(by=("aspect",)))
    frame = rows.select(*ROLLUP_DIMENSIONS).distinct().execute()
    return {d: sorted(frame[d].dropna().unique().tolist()) for d in ROLLUP_DIMENSIONS}


def random_scopes(store, count: int, seed: int) -> list[tuple[str, Scope]]:
    """`count` seeded (metric, Scope) pairs over everything the rollup covers: 0-3 dimensions (stage, channel and
    aspect included), 0-2 filters with 1-2 values each, any period, since/until days inside or at the data's ends,
    some of them whole months."""
    rng = random.Random(seed)
    values = _values(store)
    r = store.table("responses")
    span = r.aggregate(lo=r.ts.min(), hi=r.ts.max()).execute().iloc[0]
    first, last = span.lo.date(), span.hi.date()
    days = (last - first).days
    out = []
    for _ in range(count):
        by = tuple(rng.sample(ROLLUP_DIMENSIONS, rng.randint(0, 3)))
        filters = {}
        for dim in rng.sample(ROLLUP_DIMENSIONS, rng.choice([0, 0, 1, 1, 2])):
            filters[dim] = tuple(rng.sample(values[dim], min(len(values[dim]), rng.randint(1, 2))))
        since = first + timedelta(days=rng.randint(-3, days)) if rng.random() < 0.5 else None
        until = (since or first) + timedelta(days=rng.randint(0, days)) if rng.random() < 0.5 else None
        if rng.random() < 0.4:  # whole months: the month rows answer where the period allows (D64)
            since = since and since.replace(day=1)
            until = until and (until.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        out.append((rng.choice(list(THRESHOLDS)), Scope(by=by, period=rng.choice([None, "week", "month", "quarter", "year"]),
                                                         since=since, until=until, filters=filters)))
    return out


def assert_same_cells(a: pd.DataFrame, b: pd.DataFrame, keys: list[str], what: str) -> None:
    """Same keys in the same order, integers equal, floats equal to 1e-9 relative (NaN where the other is NaN)."""
    assert list(a.columns) == list(b.columns), what
    assert len(a) == len(b), f"{what}: {len(a)} cells vs {len(b)}"
    for k in keys:
        assert a[k].tolist() == b[k].tolist(), f"{what}: key {k}"
    for col in INTEGERS:
        assert a[col].tolist() == b[col].tolist(), f"{what}: {col}"
    for col in FLOATS:
        np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-9, atol=0, equal_nan=True,
                                   err_msg=f"{what}: {col}")


def test_rollup_and_raw_answers_give_the_same_cells_on_random_scopes(planner_store):
    scopes = random_scopes(planner_store, 60, seed=23)
    nonempty, monthly = 0, 0
    for metric, scope in scopes:
        chosen = plan(planner_store, metric, scope)
        assert chosen.source == ROLLUP, (scope, chosen)
        assert ("month rows" in chosen.reason) == reads_months(scope)
        from_rollup = cells(planner_store, metric, scope)
        from_raw = cells(planner_store, metric, scope, source=RAW)
        assert_same_cells(from_rollup, from_raw, group_keys(scope.by, scope.period), f"{metric} {scope!r}")
        nonempty += len(from_raw) > 0
        monthly += reads_months(scope) and len(from_raw) > 0
    assert nonempty >= 45  # the scopes are not all empty: the comparison compares something
    assert 15 <= monthly <= nonempty - 15  # both the month rows and the day rows answered some


def test_the_unknown_and_overall_cells_come_out_the_same_both_ways(planner_store):
    scope = Scope(by=("touchpoint", "segment", "plan", "aspect"))
    a, b = cells(planner_store, "csat", scope), cells(planner_store, "csat", scope, source=RAW)
    assert_same_cells(a, b, list(scope.by), "unknown cells")
    assert {"(unknown)"} <= set(a["touchpoint"]) and {"(unknown)"} <= set(a["segment"]) and {"(unknown)"} <= set(a["plan"])
    assert {"overall", "functional", "emotional", "experiential"} <= set(a["aspect"])
    # without aspect among the dimensions or filters only overall answers count, on both paths
    overall = cells(planner_store, "csat", Scope(by=("touchpoint",)))
    assert overall["n"].sum() == a.loc[a["aspect"] == "overall", "n"].sum()


def test_the_metric_tables_and_the_scorecard_are_the_same_from_the_rollup(planner_store, monkeypatch):
    scope = Scope(by=("stage",), period="month", filters={"region": ("north", "south")})
    answers = {"nps": nps_by(planner_store, scope, compare="previous"), "csat": csat_by(planner_store, scope),
               "ces": ces_by(planner_store, scope, compare="rest"), "scorecard": scorecard(planner_store, Scope())}
    with monkeypatch.context() as m:
        m.setattr(experience, "plan", lambda store, metric, scope, **_: Plan(RAW, "forced by the test"))
        raw = {"nps": nps_by(planner_store, scope, compare="previous"), "csat": csat_by(planner_store, scope),
               "ces": ces_by(planner_store, scope, compare="rest"), "scorecard": scorecard(planner_store, Scope())}
    for name, frame in answers.items():
        pd.testing.assert_frame_equal(frame, raw[name], check_exact=False, rtol=1e-9, obj=name)


def test_scopes_the_rollup_does_not_cover_read_the_raw_answers_and_say_why(planner_store):
    cases = {Scope(weighting="poststratify"): "weighted", Scope(filters={"theme": ("billing",)}): "theme",
             Scope(by=("account",)): "account", Scope(filters={"account": ("A1",)}): "account"}
    for scope, word in cases.items():
        chosen = plan(planner_store, "nps", scope)
        assert chosen.source == RAW and word in chosen.reason, (scope, chosen)
    with pytest.raises(AnalysisError, match="weighted"):
        cells(planner_store, "nps", Scope(weighting="poststratify"), source=ROLLUP)
    assert plan(planner_store, "nps", Scope(by=("touchpoint", "stage", "channel"))).source == ROLLUP


def test_a_stale_rollup_is_never_read_and_the_warning_names_the_rebuild(planner_source, tmp_path_factory, tmp_path,
                                                                         caplog):
    store = _copy(planner_source, tmp_path_factory)
    try:
        _stale_rollup_checks(store, tmp_path, caplog)
    finally:
        store.close()


def _stale_rollup_checks(store, tmp_path, caplog) -> None:
    ids = store.table("customers").customer_id.execute().sort_values().tolist()[:100]
    tps = store.table("touchpoints").touchpoint_id.execute().tolist()
    lines = ["response_id,customer_id,ts,touchpoint_id,metric,score"]
    lines += [f"NEW{i},{c},2099-01-0{1 + i % 5} 12:00:00,{tps[i % len(tps)]},nps,{i % 11}" for i, c in enumerate(ids)]
    (tmp_path / "more.csv").write_text("\n".join(lines) + "\n")
    scope = Scope(by=("touchpoint",), period="year")
    before = cells(store, "nps", scope)
    load(store, tmp_path / "more.csv", "responses")  # a load without the workspace's hook: the rollup is not touched
    with caplog.at_level(logging.WARNING, logger="cxlens.metrics.plan"):
        chosen = plan(store, "nps", scope)
        after = cells(store, "nps", scope)
    assert chosen.source == RAW and "cxlens rollup rebuild" in chosen.reason
    assert any("cxlens rollup rebuild" in r.getMessage() for r in caplog.records)
    assert after["n"].sum() == before["n"].sum() + 100  # the new answers count: nothing was read from the stale rollup
    assert_same_cells(after, cells(store, "nps", scope, source=RAW), group_keys(scope.by, scope.period), "stale")
    refresh_rollup(store)
    assert plan(store, "nps", scope).source == ROLLUP
    assert_same_cells(cells(store, "nps", scope), after, group_keys(scope.by, scope.period), "rebuilt")
    # edited behind the rollup's back: scores changed by a re-load of the same answers, answers deleted, a
    # customer's segment moved by a customers load
    (tmp_path / "edited.csv").write_text("\n".join(lines[:1] + [line.rsplit(",", 1)[0] + ",10" for line in lines[1:]]) + "\n")
    load(store, tmp_path / "edited.csv", "responses")
    assert plan(store, "nps", scope).source == RAW
    edited = cells(store, "nps", scope)
    assert edited["high"].sum() > after["high"].sum() and edited["n"].sum() == after["n"].sum()
    refresh_rollup(store)
    store.duckdb.execute("DELETE FROM responses WHERE response_id IN ('NEW1', 'NEW2')")
    assert plan(store, "nps", scope).source == RAW
    refresh_rollup(store)
    (tmp_path / "customers.csv").write_text("customer_id,segment\n" + "\n".join(f"{c},moved" for c in ids[:20]) + "\n")
    load(store, tmp_path / "customers.csv", "customers")
    by_segment = Scope(by=("segment",))
    assert plan(store, "nps", by_segment).source == RAW
    moved = cells(store, "nps", by_segment).set_index("segment")
    assert moved.loc["moved", "n"] > 0  # the raw answers see the customers' new segment at once


# ------------------------------------------------------------------------------------------------ capped customers (D48)

def test_capped_cells_are_the_same_both_ways_and_equal_the_exact_count_capped(planner_store):
    from cxlens.metrics.rollup import MOST, recorded

    most = recorded(planner_store)[MOST]
    bounded = counted = 0
    for metric, scope in random_scopes(planner_store, 40, seed=47):
        exact = cells(planner_store, metric, scope, source=RAW)
        for cap in (5, 40):
            from_rollup = cells(planner_store, metric, scope, customers_cap=cap)
            from_raw = cells(planner_store, metric, scope, source=RAW, customers_cap=cap)
            what = f"{metric} {scope!r} cap {cap}"
            assert_same_cells(from_rollup, from_raw, group_keys(scope.by, scope.period), what)
            assert from_raw["customers"].tolist() == exact["customers"].clip(upper=cap).tolist(), what
            bounded += int((from_raw["n"] >= cap * most[metric]).sum())
            counted += int((from_raw["n"] < cap * most[metric]).sum())
    assert bounded > 0 and counted > 0  # both ways of knowing min(C, cap) were taken


def _lines(frame, keys):
    from cxlens.privacy.suppress import _margin_lines

    return _margin_lines(frame, keys) if keys else [np.arange(len(frame))]


def test_suppression_on_capped_counts_makes_the_same_decisions_as_on_exact_counts(planner_store):
    from cxlens.privacy.suppress import suppressed_cells

    rng = random.Random(5)
    checked = 0
    for metric, scope in random_scopes(planner_store, 40, seed=48):
        if not scope.by:
            continue
        keys = group_keys(scope.by, scope.period)
        exact = cells(planner_store, metric, scope, source=RAW)
        if len(exact) < 2:
            continue
        for k in (5, 20):
            capped = cells(planner_store, metric, scope, customers_cap=k)
            e, c = exact["customers"].to_numpy(), capped["customers"].to_numpy()
            assert ((e < k) == (c < k)).all()  # every primary decision
            for _ in range(20):  # the sum check on any set of cells
                pick = rng.sample(range(len(e)), rng.randint(1, min(len(e), 4))) if len(e) else []
                assert (e[pick].sum() >= k) == (c[pick].sum() >= k)
            hidden = suppressed_cells(capped, keys, k)
            assert (hidden[e < k]).all()
            for line in _lines(capped, keys):  # the rule holds on the EXACT counts: two hidden, k customers together
                inside = line[hidden[line]]
                if len(line) >= 2 and len(inside) and len(line[~hidden[line]]):
                    assert len(inside) >= 2 and e[inside].sum() >= k, (metric, scope)
            checked += int(hidden.any())
    assert checked >= 5


def test_complements_break_ties_on_the_fewest_answers():
    from cxlens.privacy.suppress import suppressed_cells

    frame = pd.DataFrame({"segment": ["a", "b", "c", "d"], "customers": [2, 5, 5, 5], "n": [4, 90, 30, 60]})
    assert suppressed_cells(frame, ["segment"], 5).tolist() == [True, False, True, False]
    exact = frame.assign(customers=[2, 9, 12, 7])  # exact counts still decide first
    assert suppressed_cells(exact, ["segment"], 5).tolist() == [True, False, False, True]
    assert suppressed_cells(frame.drop(columns="n"), ["segment"], 5).tolist() == [True, True, False, False]


def test_a_three_customer_segment_answering_18_times_is_suppressed_on_both_paths(planner_source, tmp_path_factory):
    from cxlens.privacy.suppress import suppressed_cells

    store = _copy(planner_source, tmp_path_factory)
    try:
        con = store.duckdb
        con.execute("INSERT INTO customers (customer_id, segment) VALUES ('vip0', 'vip'), ('vip1', 'vip'), ('vip2', 'vip')")
        con.execute("INSERT INTO responses (response_id, customer_id, ts, touchpoint_id, metric, score) "
                    "SELECT 'V' || i, 'vip' || (i % 3), TIMESTAMP '2024-02-01 10:00:00' + INTERVAL (i) DAY, "
                    "(SELECT min(touchpoint_id) FROM touchpoints), 'nps', 0 FROM range(18) t(i)")
        refresh_rollup(store)
        scope = Scope(by=("segment",))
        for source in (RAW, ROLLUP):
            got = cells(store, "nps", scope, source=source, customers_cap=5).set_index("segment")
            assert got.loc["vip", "n"] == 18 and got.loc["vip", "customers"] == 3, source
            hidden = suppressed_cells(got.reset_index(), ["segment"], 5)
            assert hidden[list(got.index).index("vip")], source
    finally:
        store.close()


def test_the_most_answers_bound_stays_an_upper_bound_after_loads_and_erasure(tmp_path, monkeypatch):
    from rollup_fixtures import customers_csv, load_kept, responses_csv, small_store

    from cxlens.metrics import rollup, rollup_upkeep
    from cxlens.privacy.erase import forget

    def most_by_hand(store):
        r = store.table("responses").execute()
        return r.groupby(["metric", "customer_id"]).size().groupby("metric").max().to_dict()

    def check(store):
        bound = rollup.recorded(store)[rollup.MOST]
        truth = most_by_hand(store)
        assert all(bound.get(m, 0) >= v for m, v in truth.items()), (bound, truth)
        return bound, truth

    monkeypatch.setattr(rollup, "WHOLE_SHARE", 1.0)  # refresh by days, not whole rebuilds
    store, rng = small_store(tmp_path)
    try:
        rollup.refresh_rollup(store)
        bound, truth = check(store)
        assert bound == truth  # a full rebuild counts it exactly
        # one customer answers 80 more times on two days: the bound must rise past the old one
        lines = ["response_id,customer_id,ts,touchpoint_id,metric,score"]
        tp = store.table("touchpoints").touchpoint_id.execute().iloc[0]
        lines += [f"M{i},C3,2024-01-0{2 + i % 2} 10:{i % 60:02d}:00,{tp},nps,{i % 11}" for i in range(80)]
        (tmp_path / "many.csv").write_text("\n".join(lines) + "\n")
        upkeep = load_kept(store, tmp_path / "many.csv", "responses")
        assert upkeep.done["days"] is not None  # by days, not a rebuild
        raised, truth = check(store)
        assert raised["nps"] == truth["nps"] > bound["nps"]
        load_kept(store, responses_csv(tmp_path / "more.csv", rng, range(9000, 9050), 30, days=3), "responses")
        check(store)
        forget(store, ["C3"], "test", on_deleted=rollup_upkeep.DeletionMaintenance(store, ["C3"]))
        after, truth = check(store)
        assert after == truth and after["nps"] < raised["nps"]  # counted again over every customer: exact
        # a customers load moving customers changes nobody's number of answers: the bound is kept as it was
        load_kept(store, customers_csv(tmp_path / "moved.csv", rng, 30, changed={1, 2}), "customers")
        assert check(store)[0] == after
        assert rollup.rollup_is_current(store)
        # the staleness check's one statement reads what the Ibis queries read
        state = records.built_and_now(store, rollup.META_KEY, lambda: rollup._fingerprint_query(store),
                                      lambda row: rollup._fingerprint(row, store))
        assert records.record_and_row(store, rollup.META_KEY, lambda: rollup._fingerprint_query(store)) is not None
        assert state == (rollup.recorded(store), rollup.rollup_fingerprint(store))
    finally:
        store.close()


def test_the_size_rule_reads_the_answers_where_the_rollup_is_not_much_smaller(planner_store, monkeypatch):
    monkeypatch.setattr(plan_rules, "SHRINK", 4.0)
    scope = Scope(by=("segment",))
    chosen = plan(planner_store, "nps", scope)
    assert chosen.source == RAW and "smaller than the answers" in chosen.reason
    forced = cells(planner_store, "nps", scope, source=ROLLUP)  # forcing still reads the rollup
    assert_same_cells(forced, cells(planner_store, "nps", scope), ["segment"], "forced")
    monkeypatch.setattr(plan_rules, "SHRINK", 0.5)
    assert plan(planner_store, "nps", scope).source == ROLLUP
