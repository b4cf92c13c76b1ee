"""Benchmark: value linkage on 1M customers x 24 months (issue #19), cxlens against pandas + lifelines and raw DuckDB.

Data (DuckDB SQL into Parquet under bench/out/value/): customers (8 segments, 3 plans, 5 regions, signed up
2019-2023), a latent NPS group per customer (25% detractors, 35% passives, 40% promoters), monthly outcomes
2024-01..2025-12 with a planted churn hazard base[segment] x {detractor 2.5, passive 1.5, promoter 1} (the
relationship ends in the first month with active = false), revenue and cost to serve by segment and group,
upgrades and referrals; relationship-NPS answers in the first month of each quarter from a random 30% of
the active customers, the score within the latent group's range. cxlens reads its DuckDB store (built
once: `setup_s`, timed apart, then its stored value frames as every load rebuilds them: `frames_s`, architecture
D54); pandas reads the Parquet files, its idiomatic storage; raw DuckDB reads
the store's tables.

Contenders, each in a fresh process, interleaved, `--rounds` times (min and median seconds, peak RSS of the
measured process itself):
  cxlens   dataset: answers_frame (horizons 12 and 24) and customer_month_frame; groups: outcomes_by_group at
           12 and 24 months (customer-level CR1 intervals); cox: churn_hazards (time-varying NPS group,
           strata segment x plan, cluster-robust); the pipeline is all of it plus retention_curves, store
           opening included
  pandas   the same by hand: per-answer 12/24-month sums (cumulative sums looked up with merge_asof), the
           customer-month latest-answer join (merge_asof), group ratios with the CR1 sandwich in numpy, and
           lifelines' CoxTimeVaryingFitter (Efron ties, strata segment x plan; its robust variance is
           "not available yet", so model-based errors: a little less work than cxlens's cluster-robust ones). lifelines pins
           pandas<3 (docs/architecture.md D20), so this runs in its own venv, bench/out/peer-venv, created
           once; without it the pandas contender runs in the project venv without the Cox part (marked)
  duckdb   raw SQL for the dataset and the groups (the floor): ASOF JOIN, conditional sums, CR1 in SQL
Checks: row counts and sums of both frames, group values and intervals equal across contenders, cxlens's
hazard ratios within 1e-3 (relative) of lifelines'.
Goals: dataset and groups >= 10x faster than pandas; the whole value pipeline < 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

import duckdb
from rich.markup import escape

from common import OUT, console, print_table, run_measured

SEGMENTS = ["youth", "value", "family", "premium", "sme", "corporate", "senior", "student"]
BASE_HAZARD = [0.012, 0.010, 0.008, 0.006, 0.007, 0.005, 0.009, 0.014]  # per segment, promoters
HAZARD_RATIO = {"detractor": 2.5, "passive": 1.5, "promoter": 1.0}  # planted
ANSWER_SHARE = 30  # % of active customers answering each quarter
MONTHS = 24
JOURNEY_YAML = "stages: [advocacy]\ntouchpoints:\n  - {id: relationship, name: Overall relationship, stage: advocacy}\n"
PEER_VENV = OUT / "peer-venv"
PEER_PACKAGES = ["lifelines==0.30.3", "pandas", "numpy", "pyarrow"]


def make_data(con, customers: int, work) -> dict:
    """Customers, outcomes and responses as Parquet (kept between runs: the same data for every contender)."""
    paths = {k: work / f"{k}_{customers}.parquet" for k in ("customers", "outcomes", "responses")}
    if all(p.exists() for p in paths.values()):
        return paths
    segs = "[" + ", ".join(f"'{s}'" for s in SEGMENTS) + "]"
    base = "[" + ", ".join(map(str, BASE_HAZARD)) + "]"
    mult = "[" + ", ".join(map(str, HAZARD_RATIO.values())) + "]"
    # g: latent group 0 detractor, 1 passive, 2 promoter; k: 0-based churn month (geometric), >= 24 = stays
    con.execute(f"""CREATE OR REPLACE TEMP TABLE c AS
        SELECT i, 'C' || lpad(i::VARCHAR, 8, '0') AS customer_id, DATE '2019-01-01' + (hash(i * 3) % 1826)::INT AS signup_date,
               {segs}[(1 + i % 8)::BIGINT] AS segment, 'r' || (i % 5) AS region, 'en' AS language, 'p' || (i % 3) AS plan,
               i % 8 AS s, CASE WHEN hash(i * 7) % 100 < 25 THEN 0 WHEN hash(i * 7) % 100 < 60 THEN 1 ELSE 2 END AS g
        FROM range({customers}) t(i)""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ck AS
        SELECT *, floor(ln(((hash(i * 11) % 1000000000) + 0.5) / 1e9)
                        / ln(1 - {base}[(s + 1)::BIGINT] * {mult}[(g + 1)::BIGINT]))::BIGINT AS k FROM c""")
    con.execute(f"""COPY (SELECT customer_id, signup_date, segment, region, language, plan FROM ck)
                    TO '{paths["customers"]}' (FORMAT parquet)""")
    noise = "(0.5 + (hash(i * {a} + j * {b}) % 1000) / 1000.0)"  # uniform 0.5..1.5: mean one
    con.execute(f"""COPY (
        SELECT customer_id, strftime(DATE '2024-01-01' + to_months(j::INT), '%Y-%m') AS month, j < k AS active,
               round((20 + 5 * s) * [0.9, 1.0, 1.1][(g + 1)::BIGINT] * {noise.format(a=13, b=17)}, 2) AS revenue,
               round((4 + s) * [1.3, 1.1, 1.0][(g + 1)::BIGINT] * {noise.format(a=19, b=23)}, 2) AS cost_to_serve,
               (hash(i * 29 + j * 31) % 1000 < [10, 15, 20][(g + 1)::BIGINT])::BIGINT AS upgrades,
               (hash(i * 37 + j * 41) % 1000 < [5, 10, 30][(g + 1)::BIGINT])::BIGINT AS referrals
        FROM ck, range({MONTHS}) t(j) WHERE j <= k ORDER BY customer_id, month)
        TO '{paths["outcomes"]}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)""")
    con.execute(f"""COPY (
        SELECT 'R' || lpad((i * 8 + q)::VARCHAR, 10, '0') AS response_id, customer_id,
               TIMESTAMP '2024-01-01' + to_months((3 * q)::INT) + to_seconds((hash(i * 43 + q) % (27 * 86400))::BIGINT) AS ts,
               'relationship' AS touchpoint_id, 'nps' AS metric,
               (CASE g WHEN 0 THEN hash(i * 47 + q) % 7 WHEN 1 THEN 7 + hash(i * 47 + q) % 2 ELSE 9 + hash(i * 47 + q) % 2 END)::DOUBLE AS score,
               NULL::VARCHAR AS comment, NULL::VARCHAR AS language, NULL::VARCHAR AS aspect
        FROM ck, range({MONTHS // 3}) t(q) WHERE hash(i * 53 + q) % 100 < {ANSWER_SHARE} AND 3 * q <= k)
        TO '{paths["responses"]}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)""")
    return paths


SETUP_STORE = """
import time
import yaml
from cxlens.store import Store
from cxlens.ingest import sync_journey
from cxlens.model.journey import JourneyMap
t0 = time.perf_counter()
s = Store.open("duckdb:///{db}")
sync_journey(s, JourneyMap.model_validate(yaml.safe_load('''{journey}''')))
con = s.duckdb
con.execute("INSERT INTO customers (customer_id, signup_date, segment, region, language, plan) "
            "SELECT customer_id, signup_date, segment, region, language, plan FROM read_parquet('{customers}')")
con.execute("INSERT INTO outcomes (customer_id, month, active, revenue, cost_to_serve, upgrades, referrals) "
            "SELECT customer_id, month, active, revenue, cost_to_serve, upgrades, referrals FROM read_parquet('{outcomes}')")
con.execute("INSERT INTO responses (response_id, customer_id, ts, touchpoint_id, metric, score, comment, language, aspect) "
            "SELECT response_id, customer_id, ts, touchpoint_id, metric, score, comment, language, aspect FROM read_parquet('{responses}')")
con.execute("CHECKPOINT")
t1 = time.perf_counter()
from cxlens.value.upkeep import refresh_value
refresh_value(s)  # what every load of customers, outcomes, responses or tickets does through a workspace (D54)
con.execute("CHECKPOINT")
RESULT = {{"setup_s": t1 - t0, "frames_s": time.perf_counter() - t1}}
s.close()
"""

# The answers every contender reports (a dict): dataset sizes and sums, group figures, hazard ratios.
SUMMARY = '''
def summary(a, cm, groups, hrs):
    sums = {{c: float(a[c].sum()) for c in ("months_12", "churned_12", "complete_12", "revenue_12", "cost_to_serve_24",
                                          "upgrades_24", "referrals_24", "months_24", "churned_24", "complete_24")}}
    sums.update(cm_rows_answered=int(cm["nps_score"].notna().sum()), cm_nps_score=float(cm["nps_score"].sum()),
                cm_last_nps_score=float(cm["last_nps_score"].sum()), cm_tenure=float(cm["tenure"].sum()),
                cm_churned=int(cm["churned"].sum()), a_tenure=float(a["tenure"].sum()))
    return {{"answers_rows": len(a), "cm_rows": len(cm), "sums": sums, "groups": groups, "hazard_ratios": hrs}}
'''

# What libraries write to stdout (DuckDB's progress bar, from C++) goes to stderr: RESULT is the last line.
QUIET = "import os, sys\n_stdout = os.dup(1)\nos.dup2(2, 1)\n"

CXLENS = QUIET + """
import time
from cxlens.store import Store
from cxlens.value import answers_frame, churn_hazards, customer_month_frame, outcomes_by_group, retention_curves
t0 = time.perf_counter()
s = Store.open("duckdb:///{db}", read_only=True)
{memory}t1 = time.perf_counter()
a = answers_frame(s, horizons=(12, 24))
cm = customer_month_frame(s)
t2 = time.perf_counter()
groups = {{}}
for h in (12, 24):
    g = outcomes_by_group(s, horizon=h)
    groups.update({{f"{{h}}|{{r.group}}|{{r.metric}}": [r.value, r.ci_low, r.ci_high] for r in g.itertuples()}})
t3 = time.perf_counter()
hz = churn_hazards(cm)
t4 = time.perf_counter()
curves = retention_curves(cm)
t5 = time.perf_counter()
for h in (12, 24):  # the same figures from the answers frame already built (pandas on per customer x group sums)
    outcomes_by_group(a, horizon=h)
t6 = time.perf_counter()
""" + SUMMARY + """
hrs = {{r.group: r.hazard_ratio for r in hz.itertuples() if r.group != "promoter"}}
sys.stdout.flush()
os.dup2(_stdout, 1)
RESULT = {{"seconds": t5 - t0, "dataset_s": t2 - t1, "groups_s": t3 - t2, "cox_s": t4 - t3, "curves_s": t5 - t4, "groups_frame_s": t6 - t5,
          "open_s": t1 - t0, **summary(a, cm, groups, hrs)}}
"""

PANDAS = QUIET + """
import time
import numpy as np
import pandas as pd
from scipy import stats
t0 = time.perf_counter()
o = pd.read_parquet("{outcomes}")
c = pd.read_parquet("{customers}")
r = pd.read_parquet("{responses}")
# outcome months: m, year, churned, no rows after the first churn month; tenure from the signup month
year = o["month"].str[:4].astype("int64")
o["m"] = year * 12 + o["month"].str[5:7].astype("int64") - 1
o["year"] = year
o["churned"] = (~o["active"].astype(bool)).astype("int64")
o = o.sort_values(["customer_id", "m"], ignore_index=True)
o = o[o.groupby("customer_id")["churned"].cumsum() - o["churned"] == 0]
signup = pd.to_datetime(c["signup_date"])
c["start"] = np.fmin((signup.dt.year * 12 + signup.dt.month - 1).astype("int64"), c["customer_id"].map(o.groupby("customer_id")["m"].min()))
prof = c.set_index("customer_id")[["segment", "plan", "region", "start"]]
# relationship answers with their group
a = r[(r["metric"] == "nps") & (r["touchpoint_id"] == "relationship") & r["aspect"].isna()]
a = a[["customer_id", "response_id", "ts", "score"]].copy()
a["m"] = (a["ts"].dt.year * 12 + a["ts"].dt.month - 1).astype("int64")
a["year"] = a["ts"].dt.year.astype("int64")
a["group"] = np.select([a["score"] <= 6, a["score"] <= 8], ["detractor", "passive"], "promoter")
a = a.join(prof, on="customer_id")
a["tenure"] = a["m"] - a["start"]
# per-answer sums over months m+1..m+h: cumulative sums per customer, looked up at m and m+h (merge_asof)
vals = ["one", "churned", "revenue", "cost_to_serve", "upgrades", "referrals"]
o["one"] = 1
cum = o.groupby("customer_id")[vals].cumsum().add_prefix("c_")
right = pd.concat([o[["customer_id", "m"]], cum], axis=1).sort_values("m")
left = a[["response_id", "customer_id", "m"]]
def cum_at(month):
    k = left.assign(at=month).sort_values("at")
    j = pd.merge_asof(k, right, left_on="at", right_on="m", by="customer_id", suffixes=("", "_o"))
    return j.set_index("response_id").reindex(a["response_id"])
at0 = cum_at(left["m"])
for h in (12, 24):
    ath = cum_at(left["m"] + h)
    d = ath[["c_" + v for v in vals]].fillna(0).to_numpy() - at0[["c_" + v for v in vals]].fillna(0).to_numpy()
    a[f"months_{{h}}"] = d[:, 0].astype("int64")
    a[f"churned_{{h}}"] = (d[:, 1] > 0).astype("int64")
    known = (ath["m_o"] == ath["m"] + h).to_numpy() | (d[:, 1] > 0)  # reached m+h or churned before
    a[f"complete_{{h}}"] = (known & (a["m"].to_numpy() + h <= o["m"].max())).astype("int64")  # and the data reaches m+h
    for i, v in enumerate(vals[2:], start=2):
        a[f"{{v}}_{{h}}"] = d[:, i]
# customer-months with the latest answer before the month (merge_asof, strictly before) and its age
latest = a.sort_values(["customer_id", "m", "ts", "response_id"]).groupby(["customer_id", "m"]).tail(1)
cm = o.drop(columns=["one", "active"]).join(prof, on="customer_id")
cm["tenure"] = cm["m"] - cm["start"]
cm = pd.merge_asof(cm.sort_values("m"), latest[["customer_id", "m", "score"]].rename(columns={{"m": "am"}}).sort_values("am"),
                   left_on="m", right_on="am", by="customer_id", allow_exact_matches=False)
cm["last_nps_score"] = cm["score"]
cm["last_nps_age"] = cm["m"] - cm["am"]
cm["nps_score"] = cm["score"].where(cm["last_nps_age"] <= 2)
cm["nps_group"] = np.select([cm["nps_score"] <= 6, cm["nps_score"] <= 8, cm["nps_score"] > 8],
                            ["detractor", "passive", "promoter"], None)
cm = cm.sort_values(["customer_id", "m"], ignore_index=True)
t1 = time.perf_counter()
# groups: ratio of sums per group, CR1 sandwich by customer (Cochran 1977 §6.4; Cameron & Miller 2015 eq. 12)
groups = {{}}
for h in (12, 24):
    comp = a[f"complete_{{h}}"]
    f = pd.DataFrame({{"customer_id": a["customer_id"], "group": a["group"], "complete": comp,
                      "churned": a[f"churned_{{h}}"] * comp, "active_months": a[f"months_{{h}}"] - a[f"churned_{{h}}"],
                      **{{v: a[f"{{v}}_{{h}}"] for v in vals[2:]}}}})
    cells = f.groupby(["customer_id", "group"], as_index=False).sum()
    for metric in ["retention"] + vals[2:]:
        y = cells["churned" if metric == "retention" else metric].astype(float)
        x = cells["complete" if metric == "retention" else "active_months"].astype(float)
        Y, X = y.groupby(cells["group"]).sum(), x.groupby(cells["group"]).sum()
        R = Y / X
        u = (y - cells["group"].map(R) * x) / cells["group"].map(X)
        V = (u ** 2).groupby(cells["group"]).sum()
        G = cells.loc[x > 0, "customer_id"].nunique()
        N, K = X.sum(), int((X > 0).sum())
        t = stats.t.ppf(0.975, G - 1) if G > 1 else np.nan
        se = np.sqrt(G / (G - 1) * (N - 1) / (N - K) * V) if G > 1 and N > K else V * np.nan
        value = 1 - R if metric == "retention" else R
        for g in value.index:
            groups[f"{{h}}|{{g}}|{{metric}}"] = [value[g], value[g] - t * se[g], value[g] + t * se[g]]
t2 = time.perf_counter()
hrs = {{}}
try:
    from lifelines import CoxTimeVaryingFitter
except ImportError:
    CoxTimeVaryingFitter = None
if CoxTimeVaryingFitter is not None:
    d = cm[cm["nps_group"].notna()]
    d = pd.DataFrame({{"id": d["customer_id"], "start": d["tenure"].astype(float), "stop": d["tenure"] + 1.0,
                      "event": d["churned"], "detractor": (d["nps_group"] == "detractor").astype(float),
                      "passive": (d["nps_group"] == "passive").astype(float), "segment": d["segment"], "plan": d["plan"]}})
    ctv = CoxTimeVaryingFitter()
    ctv.fit(d, id_col="id", event_col="event", start_col="start", stop_col="stop", strata=["segment", "plan"])  # robust=True: "Not available yet" in 0.30.3
    hrs = {{k: float(v) for k, v in ctv.hazard_ratios_.items()}}
t3 = time.perf_counter()
""" + SUMMARY + """
sys.stdout.flush()
os.dup2(_stdout, 1)
RESULT = {{"seconds": t3 - t0, "dataset_s": t1 - t0, "groups_s": t2 - t1, "cox_s": t3 - t2,
          "cox": CoxTimeVaryingFitter is not None, **summary(a, cm, groups, hrs)}}
"""

DUCKDB = QUIET + """
import time
import duckdb
import numpy as np
from scipy import stats
t0 = time.perf_counter()
con = duckdb.connect("{db}", read_only=True)
{memory}con.execute(\"\"\"CREATE TEMP VIEW om AS
    WITH o AS (SELECT customer_id, month, CAST(substr(month, 1, 4) AS BIGINT) AS year,
                      CAST(substr(month, 1, 4) AS BIGINT) * 12 + CAST(substr(month, 6, 2) AS BIGINT) - 1 AS m,
                      CASE WHEN active THEN 0 ELSE 1 END AS churned, revenue, cost_to_serve,
                      upgrades::DOUBLE AS upgrades, referrals::DOUBLE AS referrals FROM outcomes)
    SELECT * FROM o QUALIFY m <= coalesce(min(CASE WHEN churned = 1 THEN m END) OVER (PARTITION BY customer_id), m)\"\"\")
con.execute(\"\"\"CREATE TEMP VIEW prof AS
    SELECT c.customer_id, coalesce(c.segment, '(unknown)') AS segment, coalesce(c.plan, '(unknown)') AS plan,
           coalesce(c.region, '(unknown)') AS region,
           coalesce(least(year(signup_date) * 12 + month(signup_date) - 1, f.m0), year(signup_date) * 12 + month(signup_date) - 1, f.m0) AS start
    FROM customers c LEFT JOIN (SELECT customer_id, min(m) AS m0 FROM om GROUP BY 1) f USING (customer_id)\"\"\")
con.execute(\"\"\"CREATE TEMP VIEW ans AS
    SELECT r.customer_id, r.response_id, r.ts, year(r.ts) * 12 + month(r.ts) - 1 AS m, year(r.ts) AS year, r.score,
           CASE WHEN r.score <= 6 THEN 'detractor' WHEN r.score <= 8 THEN 'passive' ELSE 'promoter' END AS "group",
           p.segment, p.plan, p.region, year(r.ts) * 12 + month(r.ts) - 1 - p.start AS tenure
    FROM responses r LEFT JOIN prof p USING (customer_id)
    WHERE r.metric = 'nps' AND r.touchpoint_id = 'relationship' AND r.aspect IS NULL\"\"\")
per = ", ".join(f"sum(CASE WHEN o.m <= a.m + {{h}} THEN 1 ELSE 0 END) AS months_{{h}}, "
                f"max(CASE WHEN o.m <= a.m + {{h}} AND o.churned = 1 THEN 1 ELSE 0 END) AS churned_{{h}}, "
                f"max(CASE WHEN a.m + {{h}} <= (SELECT max(m) FROM om) AND (o.m = a.m + {{h}} OR (o.m <= a.m + {{h}} AND o.churned = 1)) "
                f"THEN 1 ELSE 0 END) AS complete_{{h}}, "
                + ", ".join(f"sum(CASE WHEN o.m <= a.m + {{h}} THEN o.{{v}} ELSE 0 END) AS {{v}}_{{h}}"
                            for v in ("revenue", "cost_to_serve", "upgrades", "referrals")) for h in (12, 24))
cols = ", ".join(f"coalesce(f.{{c}}_{{h}}, 0) AS {{c}}_{{h}}" for h in (12, 24)
                 for c in ("months", "churned", "complete", "revenue", "cost_to_serve", "upgrades", "referrals"))
con.execute(f\"\"\"CREATE TEMP TABLE answers AS
    SELECT a.*, {{cols}} FROM ans a LEFT JOIN (
        SELECT a.response_id, {{per}} FROM ans a JOIN om o ON o.customer_id = a.customer_id AND o.m > a.m AND o.m <= a.m + 24
        GROUP BY a.response_id) f USING (response_id)\"\"\")
a = con.execute("SELECT * FROM answers ORDER BY customer_id, ts, response_id").df()
cm = con.execute(\"\"\"
    WITH latest AS (SELECT customer_id, m AS am, score FROM ans
                    QUALIFY row_number() OVER (PARTITION BY customer_id, m ORDER BY ts DESC, response_id DESC) = 1)
    SELECT o.customer_id, o.month, o.m, o.year, o.m - p.start AS tenure, p.segment, p.plan, p.region, o.churned,
           o.revenue, o.cost_to_serve, o.upgrades, o.referrals,
           CASE WHEN o.m - l.am <= 2 THEN l.score END AS nps_score,
           CASE WHEN o.m - l.am > 2 THEN NULL WHEN l.score <= 6 THEN 'detractor' WHEN l.score <= 8 THEN 'passive'
                WHEN l.score > 8 THEN 'promoter' END AS nps_group,
           l.score AS last_nps_score, o.m - l.am AS last_nps_age
    FROM om o LEFT JOIN prof p USING (customer_id) ASOF LEFT JOIN latest l ON o.customer_id = l.customer_id AND o.m > l.am
    ORDER BY o.customer_id, o.m\"\"\").df()
t1 = time.perf_counter()
groups = {{}}
for h in (12, 24):
    for metric, y, x in [("retention", f"churned_{{h}} * complete_{{h}}", f"complete_{{h}}")] + [
            (v, f"{{v}}_{{h}}", f"months_{{h}} - churned_{{h}}") for v in ("revenue", "cost_to_serve", "upgrades", "referrals")]:
        rows = con.execute(f\"\"\"
            WITH cells AS (SELECT customer_id, "group", sum({{y}})::DOUBLE AS y, sum({{x}})::DOUBLE AS x FROM answers
                           GROUP BY ALL),
                 g AS (SELECT "group", sum(y) / sum(x) AS r, sum(x) AS xs FROM cells GROUP BY 1),
                 v AS (SELECT c."group", any_value(g.r) AS r, sum(((c.y - g.r * c.x) / g.xs) ^ 2) AS v
                       FROM cells c JOIN g USING ("group") GROUP BY 1)
            SELECT v."group", v.r, v.v, (SELECT count(DISTINCT customer_id) FROM cells WHERE x > 0),
                   (SELECT sum(xs) FROM g), (SELECT count(*) FROM g WHERE xs > 0) FROM v\"\"\").fetchall()
        for g, r, v, G, N, K in rows:
            ok = G > 1 and N > K and r is not None
            se = np.sqrt(G / (G - 1) * (N - 1) / (N - K) * v) if ok else np.nan  # CR1 (Cameron & Miller 2015, eq. 12)
            t = stats.t.ppf(0.975, G - 1) if ok else np.nan
            r = np.nan if r is None else r
            value = 1 - r if metric == "retention" else r
            groups[f"{{h}}|{{g}}|{{metric}}"] = [value, value - t * se, value + t * se]
t2 = time.perf_counter()
""" + SUMMARY + """
sys.stdout.flush()
os.dup2(_stdout, 1)
RESULT = {{"seconds": t2 - t0, "dataset_s": t1 - t0, "groups_s": t2 - t1, **summary(a, cm, groups, {{}})}}
"""

CONTENDERS = ("cxlens", "pandas", "duckdb")


def peer_python() -> tuple[str, str]:
    """The interpreter for the pandas + lifelines contender and a note: the peer venv (created once), else this one."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        console.print(f"creating {PEER_VENV} with {' '.join(PEER_PACKAGES)} (once) ...")
        base = getattr(sys, "_base_executable", sys.executable)
        made = subprocess.run([base, "-m", "venv", str(PEER_VENV)], capture_output=True, text=True)
        if made.returncode == 0:
            made = subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES], capture_output=True, text=True)
        if made.returncode != 0:
            console.print(f"[yellow]peer venv not created: {made.stderr.strip()[-300:]}[/yellow]")
    ok = python.exists() and subprocess.run([str(python), "-c", "import lifelines, pandas, pyarrow"],
                                             capture_output=True).returncode == 0
    if ok:
        version = subprocess.run([str(python), "-c", "import lifelines, pandas; print(lifelines.__version__, pandas.__version__)"],
                                 capture_output=True, text=True).stdout.split()
        return str(python), f"pandas {version[1]} + lifelines {version[0]} (bench/out/peer-venv)"
    return sys.executable, "pandas WITHOUT the Cox part (no lifelines: the peer venv could not be created)"


def same_answers(results: dict[str, dict]) -> list[str]:
    """Differences between contenders: dataset sizes and sums, group figures (relative 1e-6), hazard ratios (1e-3)."""
    problems = []
    names = list(results)
    base_name, base = names[0], results[names[0]]
    for name in names[1:]:
        r = results[name]
        for key in ("answers_rows", "cm_rows"):
            if r[key] != base[key]:
                problems.append(f"{key}: {name} {r[key]:,} vs {base_name} {base[key]:,}")
        for key, v in base["sums"].items():
            if not _close(r["sums"][key], v, 1e-9):
                problems.append(f"dataset {key}: {name} {r['sums'][key]} vs {base_name} {v}")
        if set(r["groups"]) != set(base["groups"]):
            problems.append(f"groups: {name} has {sorted(set(r['groups']) ^ set(base['groups']))} unlike {base_name}")
        for key in set(r["groups"]) & set(base["groups"]):
            if not all(_close(x, y, 1e-6) for x, y in zip(r["groups"][key], base["groups"][key])):
                problems.append(f"group {key}: {name} {r['groups'][key]} vs {base_name} {base['groups'][key]}")
        for key in set(r["hazard_ratios"]) & set(base["hazard_ratios"]):
            if not _close(r["hazard_ratios"][key], base["hazard_ratios"][key], 1e-3):
                problems.append(f"hazard ratio {key}: {name} {r['hazard_ratios'][key]:.5f} vs {base_name} "
                                f"{base['hazard_ratios'][key]:.5f}")
    return problems


def _close(x, y, rel: float) -> bool:
    """Equal within `rel` (relative, absolute below 1), or both NaN (a figure with no units, e.g. no complete answer)."""
    if x != x or y != y:
        return x != x and y != y
    return abs(x - y) <= rel * max(1.0, abs(y))


def main(customers: int = 1_000_000, rounds: int = 3, contenders: tuple[str, ...] = CONTENDERS,
         memory_gb: float | None = None) -> list[dict]:
    work = OUT / "value"
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    paths = make_data(con, customers, work)
    outcome_rows = con.execute(f"SELECT count(*) FROM '{paths['outcomes']}'").fetchone()[0]
    answer_rows = con.execute(f"SELECT count(*) FROM '{paths['responses']}'").fetchone()[0]
    db = work / f"store_{customers}.duckdb"
    db.unlink(missing_ok=True)  # built by this cxlens, so its schema is current
    setup = run_measured(SETUP_STORE.format(db=db, journey=JOURNEY_YAML, **paths))
    python, peer_note = peer_python() if "pandas" in contenders else (sys.executable, "")
    limit = f"SET memory_limit = '{memory_gb}GB'" if memory_gb else ""
    code = {"cxlens": CXLENS.format(db=db, memory=f"s.duckdb.execute(\"{limit}\")\n" if limit else ""),
            "pandas": PANDAS.format(**paths), "duckdb": DUCKDB.format(db=db, memory=f"con.execute(\"{limit}\")\n" if limit else "")}
    runs: dict[str, list[dict]] = {name: [] for name in contenders}
    loads = [os.getloadavg()[0]]  # the machine is shared: its 1-minute load average around each run
    failed: dict[str, str] = {}
    for _ in range(rounds):  # interleaved: each round runs every contender once, each in a fresh process
        for name in [n for n in contenders if n not in failed]:
            try:
                runs[name].append(run_measured(code[name], python=python if name == "pandas" else None))
            except RuntimeError as exc:  # e.g. killed for memory: the table says so, the others go on
                errors = [line for line in str(exc).splitlines() if "Error" in line]
                failed[name] = errors[-1][:200] if errors else "killed without an error message (a signal: out of memory?)"
            loads.append(os.getloadavg()[0])
    runs = {name: r for name, r in runs.items() if r and name not in failed}
    for name, why in failed.items():
        console.print(f"[red]{name} failed:[/red] {escape(why)}")
    problems = same_answers({name: r[0] for name, r in runs.items()}) if runs else []
    if not runs:
        return []
    contenders = tuple(runs)
    first = contenders[0]
    base = min(x["seconds"] for x in runs[first])
    table = []
    for name, r in runs.items():
        best = min(r, key=lambda x: x["seconds"])
        label = {"pandas": "pandas+lifelines" if best.get("cox") else "pandas (no Cox)", "duckdb": "duckdb SQL"}.get(name, name)
        table.append({"method": label, "min_s": best["seconds"], "median_s": statistics.median(x["seconds"] for x in r),
                      "dataset_s": min(x["dataset_s"] for x in r), "groups_s": min(x["groups_s"] for x in r),
                      "cox_s": min(x["cox_s"] for x in r) if "cox_s" in best else None,
                      "peak_mb": max(x["peak_mb"] for x in r), f"x_{first}": best["seconds"] / base})
    table += [{"method": f"{name}: failed (see below)"} for name in failed]
    print_table(f"Value linkage on {customers:,} customers x {MONTHS} months: {outcome_rows:,} customer-months, "
                f"{answer_rows:,} NPS answers ({rounds} rounds, min and median; dataset, groups, Cox: min seconds)",
                table, ["method", "min_s", "median_s", "dataset_s", "groups_s", "cox_s", "peak_mb", f"x_{first}"])
    if "pandas" in runs:
        console.print(f"pandas contender: {peer_note}")
    console.print("answers: " + ("only one contender ran: nothing to compare" if len(runs) < 2 else
                                 "the same from every contender (dataset sizes and sums, group figures and intervals"
                                 + (", hazard ratios within 1e-3" if "pandas" in runs and runs["pandas"][0].get("cox") else "")
                                 + ")" if not problems else "DIFFER: " + escape("; ".join(problems))))
    goals = {}
    if "cxlens" in runs:
        mine = {k: min(x[k] for x in runs["cxlens"]) for k in ("seconds", "dataset_s", "groups_s", "cox_s")}
        hrs = runs["cxlens"][0]["hazard_ratios"]
        console.print("cxlens hazard ratios vs promoters: " + ", ".join(f"{g} {v:.3f} (planted {HAZARD_RATIO[g]})"
                                                                        for g, v in hrs.items()))
        if "pandas" in runs:
            for part in ("dataset_s", "groups_s"):
                ratio = min(x[part] for x in runs["pandas"]) / mine[part]
                goals[f"{part[:-2]} pandas/cxlens >= 10x"] = ratio >= 10
                console.print(f"{part[:-2]}: pandas/cxlens {ratio:.1f}x (goal >= 10x): {'met' if ratio >= 10 else 'NOT met'}")
            if runs["pandas"][0].get("cox"):
                ratio = min(x["cox_s"] for x in runs["pandas"]) / mine["cox_s"]
                console.print(f"cox: lifelines/cxlens {ratio:.1f}x (no goal)")
            frame_s = min(x["groups_frame_s"] for x in runs["cxlens"])
            ratio = min(x["groups_s"] for x in runs["pandas"]) / frame_s
            console.print(f"groups from the answers frame already built (outcomes_by_group(frame), not in the pipeline): "
                          f"{frame_s:.2f} s, pandas/cxlens {ratio:.1f}x")
        if "duckdb" in runs:
            for part in ("dataset_s", "groups_s"):
                ratio = mine[part] / min(x[part] for x in runs["duckdb"])
                console.print(f"{part[:-2]}: cxlens/raw DuckDB {ratio:.2f}x (the floor; no goal)")
        goals["pipeline < 60 s"] = mine["seconds"] < 60
        console.print(f"cxlens whole value pipeline (open, dataset, groups 12+24, Cox, retention curves) {mine['seconds']:.1f} s "
                      f"(goal < 60 s on 2 cores): {'met' if mine['seconds'] < 60 else 'NOT met'}")
        console.print("peak memory (RSS of each measured process): "
                      + ", ".join(f"{row['method']} {row['peak_mb']:,.0f} MB" for row in table))
    console.print(f"setup (cxlens store loaded once from the Parquet files): {setup['setup_s']:.1f} s, then its value frames "
                  f"stored as every load does (value_months, value_answers, value_groups; D54): {setup['frames_s']:.1f} s; machine: "
                  f"{os.cpu_count()} cores, 1-minute load average {min(loads):.1f}-{max(loads):.1f} during the runs")
    (work / f"result_{customers}.json").write_text(json.dumps(
        {"customers": customers, "customer_months": outcome_rows, "answers": answer_rows, "rounds": rounds,
         "table": table, "problems": problems, "failed": failed, "duckdb_memory_gb": memory_gb, "goals": goals, "setup_s": setup["setup_s"], "frames_s": setup["frames_s"], "pandas": peer_note, "load_average": [min(loads), max(loads)],
         "runs": {n: [{k: v for k, v in x.items() if k not in ("groups", "sums")} for x in r] for n, r in runs.items()}},
        indent=1))
    return table


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=",".join(CONTENDERS), help="contenders, comma-separated: cxlens,pandas,duckdb")
    parser.add_argument("--duckdb-memory", type=float, default=None,
                        help="GB: DuckDB's memory_limit for cxlens and raw DuckDB (default DuckDB's own: 80%% of RAM)")
    args = parser.parse_args()
    main(args.customers, args.rounds, tuple(args.only.split(",")), args.duckdb_memory)
