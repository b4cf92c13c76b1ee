"""A small seeded store for value linkage, and the brute-force pandas computation of its frames.

`write_value_files(folder)` writes customers, outcomes, responses and tickets CSVs (and the plain journey) with
every edge case the dataset must handle: customers without outcomes or answers, a churn month, an answer in the
churn month, rows after a churn (dropped), two answers in one month, NPS at other touchpoints and aspect
answers (not relationship answers), missing regions and revenue, unresolved tickets, follow-up that ends at the
data's last month (censoring). `brute_months` and `brute_answers` compute `customer_month_frame` and
`answers_frame` from the same CSVs row by row, straight from the definitions.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd

from conftest import PLAIN_JOURNEY

LAST = 2024 * 12 + 11  # 2024-12: the data's last month


def _mi(ts: pd.Timestamp) -> int:
    return ts.year * 12 + ts.month - 1


def _month(m: int) -> str:
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


def write_value_files(folder: Path, seed: int = 5, customers: int = 40) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    cust = ["customer_id,signup_date,segment,region,language,plan"]
    outs = ["customer_id,month,active,revenue,cost_to_serve,upgrades,referrals"]
    resp = ["response_id,customer_id,ts,touchpoint_id,metric,score,aspect"]
    tick = ["ticket_id,customer_id,touchpoint_id,opened_at,resolved_at"]
    for c in range(customers):
        sm = 2023 * 12 + 10 + rng.randrange(0, 6)  # signup 2023-11 .. 2024-04
        region = "" if c % 7 == 3 else rng.choice(["north", "south"])
        cust.append(f"C{c},{_month(sm)}-{rng.randint(1, 28):02d},{'ab'[c % 2]},{region},{rng.choice(['en', 'de'])},{'xy'[c % 3 == 0]}")
        start = max(sm, 2024 * 12)
        churn = rng.choice([None, None, rng.randrange(start + 1, LAST + 3)])
        churn = None if churn is not None and churn > LAST else churn
        churn = rng.randrange(start + 1, LAST) if c % 13 == 0 else churn
        if c % 11 != 5:  # some customers have no outcomes at all
            end = LAST if churn is None else churn
            for m in range(start, end + 1):
                active = "false" if m == churn else "true"
                rev = "" if rng.random() < 0.05 else f"{rng.uniform(5, 50):.2f}"
                outs.append(f"C{c},{_month(m)},{active},{rev},{rng.uniform(1, 9):.2f},{rng.choice([0, 0, 0, 1])},{rng.choice([0, 0, 1, 2])}")
            if churn is not None and c % 13 == 0 and churn < LAST:  # a row after the churn month: not at risk
                outs.append(f"C{c},{_month(churn + 1)},true,10.00,1.00,0,0")
        last = LAST if churn is None else churn
        for k in range(rng.choice([0, 1, 2, 3, 5])):
            m = rng.randrange(start, last + 1)
            day = rng.randint(1, 27)
            resp.append(f"N{c}-{k},C{c},{_month(m)}-{day:02d} {rng.randint(8, 20):02d}:00:00,relationship,nps,{rng.randint(0, 10)},")
            if rng.random() < 0.2:  # another answer the same month, later: the month's latest
                resp.append(f"N{c}-{k}b,C{c},{_month(m)}-{day + 1:02d} 10:00:00,relationship,nps,{rng.randint(0, 10)},")
        if churn is not None and c % 4 == 0:  # an answer in the churn month itself
            resp.append(f"N{c}-churn,C{c},{_month(churn)}-15 10:00:00,relationship,nps,{rng.randint(0, 10)},")
        if rng.random() < 0.3:  # not relationship answers: NPS at a touchpoint, an aspect answer
            resp.append(f"X{c},C{c},{_month(start)}-10 10:00:00,shop,nps,0,")
            resp.append(f"Y{c},C{c},{_month(start)}-11 10:00:00,relationship,nps,0,emotional")
        for k in range(rng.choice([0, 2, 4])):
            m = rng.randrange(start, last + 1)
            ts = f"{_month(m)}-{rng.randint(1, 28):02d} 09:00:00"
            resp.append(f"S{c}-{k},C{c},{ts},{rng.choice(['shop', 'call'])},csat,{rng.randint(1, 5)},")
            if rng.random() < 0.5:
                resp.append(f"E{c}-{k},C{c},{ts},call,ces,{rng.randint(1, 7)},")
        for k in range(rng.choice([0, 1, 3])):
            om = rng.randrange(start, last + 1)
            opened = pd.Timestamp(f"{_month(om)}-{rng.randint(1, 28):02d} 09:00:00")
            resolved = "" if rng.random() < 0.25 else f"{opened + pd.Timedelta(days=rng.choice([0.5, 3, 20, 45, 80])):%Y-%m-%d %H:%M:%S}"
            tick.append(f"T{c}-{k},C{c},call,{opened:%Y-%m-%d %H:%M:%S},{resolved}")
    for name, lines in (("customers", cust), ("outcomes", outs), ("responses", resp), ("tickets", tick)):
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
    (folder / "journey.yaml").write_text(PLAIN_JOURNEY, encoding="utf-8")


def _read(folder: Path) -> dict[str, pd.DataFrame]:
    read = {k: pd.read_csv(folder / f"{k}.csv", dtype={"region": str, "aspect": str}, keep_default_na=True)
            for k in ("customers", "outcomes", "responses", "tickets")}
    read["responses"]["ts"] = pd.to_datetime(read["responses"]["ts"])
    read["tickets"]["opened_at"] = pd.to_datetime(read["tickets"]["opened_at"])
    read["tickets"]["resolved_at"] = pd.to_datetime(read["tickets"]["resolved_at"])
    return read


def _group(score: float) -> str | None:
    if score is None or np.isnan(score):
        return None
    return "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"


def _at_risk(outcomes: pd.DataFrame) -> pd.DataFrame:
    o = outcomes.copy()
    o["m"] = [int(s[:4]) * 12 + int(s[5:]) - 1 for s in o.month]
    o["churned"] = (~o.active.astype(bool)).astype(int)
    keep = []
    for _, g in o.groupby("customer_id"):
        churn = g.m[g.churned == 1]
        keep.append(g if churn.empty else g[g.m <= churn.min()])
    return pd.concat(keep).sort_values(["customer_id", "m"]).reset_index(drop=True)


def _starts(d: dict[str, pd.DataFrame], o: pd.DataFrame) -> dict[str, int]:
    first = o.groupby("customer_id").m.min().to_dict()
    out = {}
    for r in d["customers"].itertuples():
        s = pd.Timestamp(r.signup_date)
        out[r.customer_id] = min(_mi(s), first.get(r.customer_id, 10**9))
    return out


def _relationship(d: dict[str, pd.DataFrame]) -> pd.DataFrame:
    r = d["responses"]
    return r[(r.metric == "nps") & (r.touchpoint_id == "relationship") & r.aspect.isna()].copy()


def brute_months(folder: Path, answer_months: int = 2) -> pd.DataFrame:
    """`customer_month_frame` of the files in `folder`, month by month from the definitions."""
    d = _read(folder)
    o = _at_risk(d["outcomes"])
    start = _starts(d, o)
    cust = d["customers"].set_index("customer_id")
    nps = _relationship(d)
    nps["am"] = nps.ts.map(_mi)
    other = d["responses"][d["responses"].aspect.isna()].copy()
    other["am"] = other.ts.map(_mi)
    t = d["tickets"]
    rows = []
    for r in o.itertuples():
        c = cust.loc[r.customer_id]
        mine = nps[(nps.customer_id == r.customer_id) & (nps.am < r.m)].sort_values(["ts", "response_id"])
        last = mine.iloc[-1] if len(mine) else None
        age = None if last is None else r.m - last.am
        recent = last is not None and age <= answer_months
        hist = other[(other.customer_id == r.customer_id) & (other.am >= r.m - 3) & (other.am < r.m)]
        csat, ces = hist[hist.metric == "csat"].score, hist[hist.metric == "ces"].score
        tm = t[t.customer_id == r.customer_id]
        om = pd.Series([_mi(x) for x in tm.opened_at], index=tm.index, dtype='int64')
        opened = tm[(om >= r.m - 3) & (om < r.m)]
        start_of_m = pd.Timestamp(year=r.m // 12, month=r.m % 12 + 1, day=1)
        unresolved = opened.resolved_at.isna() | (opened.resolved_at >= start_of_m)
        rows.append({
            "customer_id": r.customer_id, "month": r.month, "m": r.m, "year": r.m // 12, "tenure": r.m - start[r.customer_id],
            "segment": c.segment, "plan": c.plan, "region": "(unknown)" if pd.isna(c.region) else c.region,
            "churned": r.churned, "revenue": r.revenue, "cost_to_serve": r.cost_to_serve,
            "upgrades": float(r.upgrades), "referrals": float(r.referrals),
            "nps_score": last.score if recent else np.nan, "nps_group": _group(last.score) if recent else None,
            "nps_age": age if recent else pd.NA,
            "last_nps_score": np.nan if last is None else last.score, "last_nps_group": None if last is None else _group(last.score),
            "last_nps_age": pd.NA if last is None else age,
            "csat_3m": csat.mean() if len(csat) else np.nan, "ces_3m": ces.mean() if len(ces) else np.nan,
            "tickets_3m": len(opened), "unresolved_3m": int(unresolved.sum()),
        })
    # groups in pandas' text type, missing as NaN (the frames' type since architecture D54)
    return pd.DataFrame(rows).astype({"nps_age": "Int64", "last_nps_age": "Int64", "nps_group": str, "last_nps_group": str})


def brute_answers(folder: Path, horizons=(12, 24)) -> pd.DataFrame:
    """`answers_frame` of the files in `folder`, answer by answer from the definitions."""
    d = _read(folder)
    o = _at_risk(d["outcomes"])
    start = _starts(d, o)
    cust = d["customers"].set_index("customer_id")
    rows = []
    for a in _relationship(d).itertuples():
        am = _mi(a.ts)
        c = cust.loc[a.customer_id]
        row = {"customer_id": a.customer_id, "response_id": a.response_id, "ts": a.ts, "m": am, "year": a.ts.year,
               "score": float(a.score), "group": _group(a.score), "segment": c.segment, "plan": c.plan,
               "region": "(unknown)" if pd.isna(c.region) else c.region, "tenure": am - start[a.customer_id]}
        mine = o[o.customer_id == a.customer_id]
        for h in horizons:
            f = mine[(mine.m > am) & (mine.m <= am + h)]
            churned = int(f.churned.sum() > 0)
            row.update({f"months_{h}": len(f), f"churned_{h}": churned,
                        f"complete_{h}": int(am + h <= o.m.max() and (churned or (f.m == am + h).any())),
                        **{f"{n}_{h}": float(f[n].fillna(0).sum()) for n in ("revenue", "cost_to_serve", "upgrades", "referrals")}})
        rows.append(row)
    return pd.DataFrame(rows).astype({"tenure": "Int64", "group": str})


def brute_history(folder: Path) -> pd.DataFrame:
    """`dataset`'s history columns per relationship answer (response_id index), from the definitions."""
    d = _read(folder)
    r = d["responses"][d["responses"].aspect.isna()]
    nps = _relationship(d)
    nps["am"] = nps.ts.map(_mi)
    rows = {}
    for a in nps.itertuples():
        mine = nps[nps.customer_id == a.customer_id].sort_values(["ts", "response_id"])
        row = {}
        for metric in ("csat", "ces"):
            before = r[(r.customer_id == a.customer_id) & (r.metric == metric) & (r.ts <= a.ts)].sort_values(["ts", "response_id"])
            row[f"{metric}_latest"] = before.score.iloc[-1] if len(before) else np.nan
        x, y = (mine.am - mine.am.min()) / 12.0, mine.score.astype(float)
        row["customer_answers"] = len(mine)
        row["customer_latest_group"] = _group(mine.score.iloc[-1])
        row["nps_trend_per_year"] = np.polyfit(x, y, 1)[0] if x.nunique() > 1 else np.nan
        rows[a.response_id] = row
    return pd.DataFrame.from_dict(rows, orient="index").astype({"customer_latest_group": str})


def value_store(files: Path, folder: Path):
    """A DuckDB store in `folder` with the journey and the four CSVs of `files` loaded the real way (the caller closes it)."""
    from cxlens.ingest import load, sync_journey
    from cxlens.model.journey import read_journey
    from cxlens.store import Store

    store = Store.open(f"duckdb:///{folder / 'cx.duckdb'}")
    sync_journey(store, read_journey(files / "journey.yaml"))
    for kind in ("customers", "outcomes", "responses", "tickets"):
        load(store, files / f"{kind}.csv", kind)
    return store
