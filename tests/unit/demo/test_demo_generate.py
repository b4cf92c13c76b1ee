"""The demo generator writes canonical files and its planted effects can be recovered from them.

The statistical tests re-estimate each planted effect by brute force with pandas/numpy, the way an
analyst would, and compare with truth.json; each would fail if the effect were absent (ratio 1,
slope 0, wrong ranking). 20,000 customers (the default size, ~3 s) give enough churn events for a hazard ratio per year.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlens.demo import DemoFiles, generate
from cxlens.model.journey import read_journey
from cxlens.model import METRIC_SCALES, TABLES

N = 20_000


@pytest.fixture(scope="module")
def demo(shared_demo) -> DemoFiles:
    return shared_demo(N, 11)  # generated once per run (conftest); read only


@pytest.fixture(scope="module")
def data(demo: DemoFiles) -> dict:
    return read_demo(demo)


def read_demo(demo: DemoFiles) -> dict:
    """The generated tables with the planted bad rows removed (as the loader would quarantine them)."""
    customers = pd.read_csv(demo.customers)
    known = set(customers["customer_id"])
    tps = {t.id for t in read_journey(demo.journey).touchpoints}
    resp = pd.read_csv(demo.responses)
    resp["ts"] = pd.to_datetime(resp["ts"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    lo = resp["metric"].map(lambda m: METRIC_SCALES[m][0])
    hi = resp["metric"].map(lambda m: METRIC_SCALES[m][1])
    resp = resp[resp["response_id"].notna() & resp["customer_id"].isin(known) & resp["touchpoint_id"].isin(tps)
                & resp["ts"].notna() & resp["score"].between(lo, hi)]
    tickets = pd.read_csv(demo.tickets)
    for col in ("opened_at", "first_response_at", "resolved_at"):
        tickets[col] = pd.to_datetime(tickets[col], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    tickets = tickets[tickets["ticket_id"].notna() & tickets["customer_id"].isin(known)
                      & tickets["touchpoint_id"].isin(tps) & tickets["opened_at"].notna()]
    outcomes = pd.read_csv(demo.outcomes)
    outcomes["m"] = (outcomes["month"].str[:4].astype(int) - 2024) * 12 + outcomes["month"].str[5:7].astype(int) - 1
    outcomes["churn"] = ~outcomes["active"]
    nps = resp[resp["metric"] == "nps"].copy()
    nps["group"] = np.where(nps["score"] <= 6, "detractor", np.where(nps["score"] <= 8, "passive", "promoter"))
    nps["m"] = (nps["ts"].dt.year - 2024) * 12 + nps["ts"].dt.month - 1
    return {"customers": customers, "events": pd.read_parquet(demo.events), "responses": resp, "nps": nps,
            "tickets": tickets, "outcomes": outcomes, "truth": json.loads(demo.truth.read_text(encoding="utf-8"))}


def _ticket_csat(data: dict) -> pd.DataFrame:
    """Post-resolution CSAT answers joined to their ticket (same customer and touchpoint, within 2 days)."""
    csat = data["responses"].query("metric == 'csat'").sort_values("ts")
    t = data["tickets"].dropna(subset=["resolved_at"]).sort_values("resolved_at")
    t = t[["customer_id", "resolved_at", "opened_at", "touchpoint_id"]].rename(columns={"touchpoint_id": "ticket_tp"})
    m = pd.merge_asof(csat, t, left_on="ts", right_on="resolved_at", by="customer_id", direction="backward",
                      tolerance=pd.Timedelta("2D"))
    m = m[m["ticket_tp"] == m["touchpoint_id"]].copy()
    m["days"] = (m["resolved_at"] - m["opened_at"]).dt.total_seconds() / 86_400
    return m


def _months_at_risk(data: dict, answers: pd.DataFrame) -> pd.DataFrame:
    """Churn in the two months after each answer (the rest of the quarter), with the customer's segment."""
    oc = data["outcomes"][["customer_id", "m", "churn"]]
    rows = [answers.assign(m=answers["m"] + k).merge(oc, on=["customer_id", "m"]) for k in (1, 2)]
    return pd.concat(rows).merge(data["customers"][["customer_id", "segment"]], on="customer_id")


def _mantel_haenszel_rate_ratio(df: pd.DataFrame, a: str, b: str) -> float:
    """Rate ratio of group a vs b stratified by segment (Rothman, Modern Epidemiology, ch. 15)."""
    num = den = 0.0
    for _, s in df.groupby("segment"):
        d1, t1 = s.loc[s["group"] == a, "churn"].sum(), (s["group"] == a).sum()
        d0, t0 = s.loc[s["group"] == b, "churn"].sum(), (s["group"] == b).sum()
        if t1 + t0:
            num += d1 * t0 / (t1 + t0)
            den += d0 * t1 / (t1 + t0)
    return num / den


def _ols(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares coefficients (without the intercept) of y on the columns of x."""
    return np.linalg.lstsq(np.column_stack([np.ones(len(x)), x]), y, rcond=None)[0][1:]


def test_generate_writes_every_file_with_canonical_columns(demo: DemoFiles) -> None:
    for path in (demo.journey, demo.truth, demo.personas_truth, demo.comments_truth, demo.notes_truth,
                 demo.aspect_survey, demo.aspect_mapping, *demo.tables().values()):
        assert path.exists() and path.stat().st_size > 0, path
    assert list(demo.tables()) == ["customers", "events", "responses", "tickets", "outcomes", "notes"]
    customers = pd.read_csv(demo.customers, nrows=5)
    assert list(customers.columns) == [c for c in TABLES["customers"].names if c != "attributes"] + ["age", "handset", "name", "email", "phone", "postcode"]
    assert list(pd.read_parquet(demo.events).columns) == list(TABLES["events"].names)
    for kind in ("responses", "tickets", "outcomes", "notes"):
        # responses.csv asks overall questions only: the per-aspect answers come in aspect_survey.csv
        names = [c for c in TABLES[kind].names if (kind, c) != ("responses", "aspect")]
        assert list(pd.read_csv(getattr(demo, kind), nrows=5).columns) == names, kind


def test_timestamps_and_months_are_iso(data: dict, demo: DemoFiles) -> None:
    raw = pd.read_csv(demo.tickets, dtype=str)
    parsed = pd.to_datetime(raw["opened_at"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    assert raw.loc[parsed.notna(), "opened_at"].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}").all()
    assert parsed.isna().sum() == data["truth"]["bad_rows"]["tickets"]["unparsable_date"]
    assert data["outcomes"]["month"].str.fullmatch(r"202[45]-\d{2}").all()
    assert pd.read_csv(demo.customers, dtype=str)["signup_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    ev = data["events"]
    assert ev["event_id"].is_unique and ev["ts"].min() >= pd.Timestamp("2024-01-01") and ev["ts"].max() < pd.Timestamp("2026-01-01")


def test_journey_yaml_validates_and_owners_overrate_themselves(demo: DemoFiles, data: dict) -> None:
    journey = read_journey(demo.journey)
    ids = {t.id for t in journey.touchpoints}
    assert "relationship" in ids and 20 <= len(ids) <= 30
    assert set(data["events"]["touchpoint_id"]) <= ids
    assert set(data["nps"]["touchpoint_id"]) == {"relationship"}
    csat = data["responses"].query("metric == 'csat'").groupby("touchpoint_id")["score"].mean()
    over = [journey.touchpoint(tp).self_rating["csat"] > mean for tp, mean in csat.items()]
    assert np.mean(over) >= 0.9


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    def digests(files: DemoFiles) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in
                (files.customers, files.events, files.responses, files.tickets, files.outcomes, files.truth)}

    a = digests(generate(tmp_path / "a", customers=600, seed=3))
    b = digests(generate(tmp_path / "b", customers=600, seed=3))
    c = digests(generate(tmp_path / "c", customers=600, seed=4))
    assert a == b
    assert all(a[name] != c[name] for name in a)


def test_bad_rows_found_independently_match_truth(demo: DemoFiles, data: dict) -> None:
    known = set(data["customers"]["customer_id"])
    tps = {t.id for t in read_journey(demo.journey).touchpoints}
    for kind, key, ts_col in (("responses", "response_id", "ts"), ("tickets", "ticket_id", "opened_at")):
        raw = pd.read_csv(getattr(demo, kind))
        reasons = pd.Series("", index=raw.index)
        reasons[pd.to_datetime(raw[ts_col], format="%Y-%m-%d %H:%M:%S", errors="coerce").isna()] = "unparsable_date"
        reasons[~raw["touchpoint_id"].isin(tps)] = "unknown_touchpoint"
        reasons[~raw["customer_id"].isin(known)] = "unknown_customer"
        reasons[raw[key].isna()] = "missing_key"
        if kind == "responses":
            bounds = raw["metric"].map(METRIC_SCALES)
            out = [not (lo <= s <= hi) for s, (lo, hi) in zip(raw["score"], bounds)]
            reasons[np.array(out)] = "score_out_of_range"
        found = reasons[reasons != ""]
        truth = data["truth"]["bad_rows"][kind]
        assert found.value_counts().to_dict() == {k: v for k, v in truth.items() if isinstance(v, int) and k != "total"}
        assert len(found) == truth["total"] and 10 <= truth["total"] <= 20
        assert sorted(found.index + 2) == [r["line"] for r in truth["rows"]]


def test_outcomes_follow_the_documented_churn_convention(data: dict) -> None:
    oc = data["outcomes"].sort_values(["customer_id", "m"])
    per = oc.groupby("customer_id").agg(first=("m", "min"), last=("m", "max"), n=("m", "size"), churned=("churn", "sum"),
                                        last_active=("active", "last"))
    assert (per["n"] == per["last"] - per["first"] + 1).all()  # no gaps
    assert per["churned"].max() == 1
    assert (per.loc[per["churned"] == 1, "last_active"] == False).all()  # noqa: E712  churn month is the last row
    assert (per.loc[per["churned"] == 0, "last"] == 23).all()
    assert (oc.loc[oc["churn"], ["revenue", "upgrades", "referrals"]] == 0).all().all()


def test_detractor_churn_hazard_is_the_planted_multiple_and_drifts(data: dict) -> None:
    risk = _months_at_risk(data, data["nps"][["customer_id", "m", "group"]])
    planted = data["truth"]["churn"]["detractor_vs_promoter"]
    measured = {}
    for year, rows in risk.groupby(np.where(risk["m"] < 12, "2024", "2025")):
        measured[year] = _mantel_haenszel_rate_ratio(rows, "detractor", "promoter")
        passive = _mantel_haenszel_rate_ratio(rows, "passive", "promoter")
        assert measured[year] == pytest.approx(planted[year], rel=0.35), (year, measured)
        assert 1.0 < passive < measured[year]
    assert measured["2025"] > measured["2024"]


def test_breakpoint_has_the_highest_abandonment_rate(data: dict) -> None:
    ev, oc = data["events"], data["outcomes"]
    churned = set(oc.loc[oc["churn"], "customer_id"])
    last = ev.sort_values("ts").groupby("customer_id")["touchpoint_id"].last()
    reached = ev.groupby("touchpoint_id")["customer_id"].nunique()
    rate = (last[last.index.isin(churned)].value_counts() / reached).fillna(0).sort_values(ascending=False)
    assert rate.index[0] == data["truth"]["breakpoint"]["touchpoint_id"]
    assert rate.iloc[0] > 2 * rate.iloc[1]
    # Non-linear paths: port-in retries, repeat support contacts, several channels per touchpoint.
    repeats = ev.groupby(["customer_id", "touchpoint_id"]).size()
    assert repeats.xs("port_in", level=1).max() >= 2
    assert ev.groupby("touchpoint_id")["channel"].nunique().max() >= 3


def test_slow_resolution_lowers_support_csat_by_the_planted_slope(data: dict) -> None:
    m = _ticket_csat(data)
    slope = np.polyfit(m["days"], m["score"], 1)[0]
    planted = data["truth"]["resolution_csat"]["slope_per_day"]
    assert slope == pytest.approx(planted, abs=0.07)


def test_regression_on_touchpoint_csat_recovers_nps_driver_ranking(data: dict) -> None:
    weights = pd.Series(data["truth"]["nps_drivers"]["weights"])
    csat = data["responses"].query("metric == 'csat'")
    per_customer = csat.pivot_table(index="customer_id", columns="touchpoint_id", values="score", aggfunc="mean")
    y = data["nps"].groupby("customer_id")["score"].mean()
    x = per_customer.reindex(y.index)
    cols = [tp for tp in weights.index if tp in x and x[tp].notna().mean() >= 0.05]  # enough answers to estimate
    features = np.column_stack([x[cols].fillna(x[cols].mean()).to_numpy(), x[cols].isna().to_numpy(float)])
    coef = pd.Series(_ols(features, y.to_numpy())[: len(cols)], index=cols)
    top = list(data["truth"]["nps_drivers"]["ranking"][:3])
    assert list(coef.sort_values(ascending=False).index[:3]) == top
    assert coef[top].min() > coef[weights[cols] == 0].max()


def test_theme_mentions_shift_nps_with_the_planted_sign(demo: DemoFiles, data: dict) -> None:
    themes = pd.read_csv(demo.comments_truth)
    nps = data["nps"].merge(themes[["response_id", "themes"]], on="response_id", how="left")
    effects = data["truth"]["themes"]["nps_effect_points"]
    mentions = nps["themes"].fillna("").str.split(";")
    dummies = np.column_stack([mentions.map(lambda ts, t=t: t in ts).to_numpy(float) for t in effects])
    for (theme, planted), est in zip(effects.items(), _ols(dummies, nps["score"].to_numpy())):
        assert np.sign(est) == np.sign(planted), theme
        assert est == pytest.approx(planted, abs=0.6), theme


def test_value_differs_by_nps_group_with_the_planted_multipliers(data: dict) -> None:
    oc = data["outcomes"].merge(data["nps"][["customer_id", "m", "group"]], on=["customer_id", "m"])
    oc = oc[oc["active"]].merge(data["customers"][["customer_id", "segment"]], on="customer_id")
    planted = data["truth"]["value_link"]["multiplier_by_segment"]
    for metric in ("revenue", "cost_to_serve"):
        mean = oc.groupby(["segment", "group"])[metric].mean().unstack()
        for segment, row in mean.iterrows():
            ratio = row["detractor"] / row["promoter"]
            assert ratio == pytest.approx(planted[segment][metric]["detractor"], rel=0.08), (metric, segment)
    referrals = oc.groupby("group")["referrals"].mean()
    assert referrals["detractor"] < referrals["passive"] < referrals["promoter"]


def test_bad_moments_of_truth_raise_churn(data: dict) -> None:
    m = _ticket_csat(data)
    m = m[m["touchpoint_id"].isin(data["truth"]["moments_of_truth"]["churn_drivers"])]
    m["m"] = (m["ts"].dt.year - 2024) * 12 + m["ts"].dt.month - 1
    m["group"] = np.where(m["score"] <= 2, "low", np.where(m["score"] >= 4, "high", "mid"))
    risk = _months_at_risk(data, m[["customer_id", "m", "group"]])
    assert _mantel_haenszel_rate_ratio(risk, "low", "high") > 1.5


def test_comments_are_varied_multilingual_and_follow_region(demo: DemoFiles, data: dict) -> None:
    comments = pd.read_csv(demo.comments_truth).merge(data["responses"][["response_id", "comment"]], on="response_id")
    assert set(comments["language"]) == {"en", "ar", "zh", "ru", "de"}
    assert set(";".join(comments["themes"]).split(";")) == set(data["truth"]["themes"]["ids"])
    single = comments[~comments["themes"].str.contains(";")]
    distinct = single.groupby(["language", "themes"])["comment"].nunique()
    assert distinct.min() >= 20 and distinct.median() >= 60
    for lang in ("en", "ar", "zh", "ru", "de"):
        assert min(data["truth"]["themes"]["distinct_sentences_per_theme"][lang].values()) >= 100
    c = data["customers"]
    assert (c.loc[c["region"] == "north", "language"] == "ar").mean() > 0.5
    assert c["account_id"].notna().sum() > c["account_id"].nunique() > 0  # several contacts per account


def test_personas_truth_covers_every_customer(demo: DemoFiles, data: dict) -> None:
    personas = pd.read_csv(demo.personas_truth)
    assert set(personas["customer_id"]) == set(data["customers"]["customer_id"])
    defined = {p["id"]: p["share"] for p in data["truth"]["personas"]["definitions"]}
    assert 4 <= len(defined) <= 6
    share = personas["persona_id"].value_counts(normalize=True)
    for pid, planted in defined.items():
        assert share[pid] == pytest.approx(planted, abs=0.03)


def test_the_per_aspect_survey_export_carries_the_planted_aspect_gaps(demo: DemoFiles, data: dict) -> None:
    """Brute force on the wide export: per touchpoint and aspect, mean CSAT minus mean expectation."""
    from cxlens.ingest import read_mapping

    truth = data["truth"]["aspect_gaps"]
    wide = pd.read_csv(demo.aspect_survey)
    questions = read_mapping(demo.aspect_mapping).wide.questions
    assert len(wide) == truth["respondents"] and wide[[q.column for q in questions]].notna().sum().sum() == truth["answers"]
    # no CRM id: respondents are resolved to customers from what they typed (test_demo_identities)
    assert "ExternalRef" not in wide and read_mapping(demo.aspect_mapping).identity.record == "ResponseId"
    for tp, gaps in truth["expected_gap"].items():
        for aspect, planted in gaps.items():
            csat, exp = (wide[f"{tp}_{aspect}_{m}"].dropna() for m in ("csat", "expectation"))
            se = np.sqrt(csat.var() / len(csat) + exp.var() / len(exp))
            assert abs(csat.mean() - exp.mean() - planted) < 4 * se, (tp, aspect)
