"""A small seeded store for the customer view, and the brute-force pandas computation of the view from the same rows.

`write_people_files(folder)` writes a journey map (a plan_change touchpoint, a relationship touchpoint, a touchpoint
without a channel) and customers (ages in `attributes`, one not a number, some missing; missing signup dates and
regions), events (own channel or the touchpoint's, upper-case channel names), answers (relationship NPS, NPS elsewhere,
aspect answers, CSAT, CES, expectation), tickets (some unresolved), notes and outcomes (churn, missing revenue,
customers without any). `people_store` loads them the real way and writes text analyses (themes) and personas
directly. `brute_view` computes every column row by row from the definitions in cxlens.people.customer_view.
"""

from __future__ import annotations

import math
import random
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa

PEOPLE_JOURNEY = """
stages: [purchase, usage, support, advocacy]
touchpoints:
  - {id: shop, name: Shop, stage: purchase, channel: store}
  - {id: web_buy, name: Web order, stage: purchase, channel: web}
  - {id: app_use, name: App, stage: usage, channel: app}
  - {id: plan_change, name: Plan change, stage: usage, channel: app}
  - {id: call, name: Support call, stage: support, channel: call_center}
  - {id: chat, name: Chat, stage: support}
  - {id: relationship, name: Relationship, stage: advocacy}
"""
TOUCHPOINTS = {"shop": ("purchase", "store"), "web_buy": ("purchase", "web"), "app_use": ("usage", "app"),
               "plan_change": ("usage", "app"), "call": ("support", "call_center"), "chat": ("support", None),
               "relationship": ("advocacy", None)}
STAGES = ("purchase", "usage", "support", "advocacy")
THEMES = ("billing", "price", "staff", "waiting")
DIGITAL = {"app", "web", "chat", "email", "sms", "social"}
LAST = 2024 * 12 + 11  # 2024-12


def _month(m: int) -> str:
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


def _mi(ts) -> int:
    ts = pd.Timestamp(ts)
    return ts.year * 12 + ts.month - 1


def _ts(rng: random.Random, lo: int, hi: int) -> str:
    m = rng.randrange(lo, hi + 1)
    return f"{_month(m)}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"


def write_people_files(folder: Path, seed: int = 3, customers: int = 30) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    cust = ["customer_id,signup_date,segment,region,language,plan,account_id,age,page_views"]
    ev, resp, tick, notes, outs = (["event_id,customer_id,ts,touchpoint_id,channel"],
                                   ["response_id,customer_id,ts,touchpoint_id,metric,score,aspect,comment"],
                                   ["ticket_id,customer_id,touchpoint_id,opened_at,resolved_at,description"],
                                   ["note_id,customer_id,ts,source,text"],
                                   ["customer_id,month,active,revenue,cost_to_serve"])
    for c in range(customers):
        sm = 2023 * 12 + rng.randrange(0, 20)  # signup 2023-01 .. 2024-08
        signup = "" if c % 9 == 4 else f"{_month(sm)}-{rng.randint(1, 28):02d}"
        age = "" if c % 7 == 2 else ("n/a" if c == 5 else str(rng.randint(18, 80)))
        region = "" if c % 6 == 1 else rng.choice(["north", "south"])
        account = f"A{c % 3}" if c % 4 == 0 else ""
        cust.append(f"C{c:02d},{signup},{rng.choice(['a', 'b', 'c'])},{region},{rng.choice(['en', 'de'])},"
                    f"{rng.choice(['x', 'y'])},{account},{age},{rng.randint(0, 500)}")
        start = max(sm, 2023 * 12 + 6)
        for k in range(rng.choice([0, 1, 4, 9, 15])):
            tp = rng.choice(list(TOUCHPOINTS))
            own = rng.choice(["", "", "app", "APP", "sms", "store", "email", "field"])
            ev.append(f"E{c}-{k},C{c:02d},{_ts(rng, start, LAST + 1)},{tp},{own}")
        for k in range(rng.choice([0, 1, 2, 4])):  # relationship NPS
            said = ("", "too expensive", "", "great network")[(c + k) % 4]  # not drawn: the seed's sequence stays
            resp.append(f"N{c}-{k},C{c:02d},{_ts(rng, start, LAST)},relationship,nps,{rng.randint(0, 10)},,{said}")
        if c % 5 == 0:  # the same instant twice: the larger response id is the latest
            resp.append(f"N{c}-t1,C{c:02d},2024-06-01 10:00:00,relationship,nps,3,,")
            resp.append(f"N{c}-t2,C{c:02d},2024-06-01 10:00:00,relationship,nps,9,,")
        if rng.random() < 0.4:  # not relationship answers
            resp.append(f"X{c},C{c:02d},{_ts(rng, start, LAST)},shop,nps,0,,")
            resp.append(f"Y{c},C{c:02d},{_ts(rng, start, LAST)},relationship,nps,0,emotional,")
        for k in range(rng.choice([0, 2, 3])):
            ts = _ts(rng, start, LAST)
            comment = rng.choice(["", "", "slow and costly", "friendly people"])
            resp.append(f"S{c}-{k},C{c:02d},{ts},{rng.choice(['shop', 'call'])},csat,{rng.randint(1, 5)},,{comment}")
            if rng.random() < 0.6:
                resp.append(f"E{c}-{k},C{c:02d},{ts},call,ces,{rng.randint(1, 7)},,")
            if rng.random() < 0.3:
                resp.append(f"Q{c}-{k},C{c:02d},{ts},call,expectation,{rng.randint(1, 5)},,")
        for k in range(rng.choice([0, 1, 3])):
            opened = pd.Timestamp(_ts(rng, start, LAST))
            resolved = "" if rng.random() < 0.3 else f"{opened + pd.Timedelta(days=rng.choice([1, 9, 40])):%Y-%m-%d %H:%M:%S}"
            tick.append(f"T{c}-{k},C{c:02d},call,{opened:%Y-%m-%d %H:%M:%S},{resolved},{rng.choice(['charged twice', 'no signal'])}")
        if rng.random() < 0.3:
            notes.append(f"M{c},C{c:02d},{_ts(rng, start, LAST)},call,customer upset about the bill")
        if c % 8 != 3:  # some customers have no outcomes
            churn = rng.choice([None, None, rng.randrange(start + 1, LAST + 1)])
            for m in range(start, (LAST if churn is None else churn) + 1):
                rev = "" if rng.random() < 0.1 else f"{rng.uniform(5, 60):.2f}"
                outs.append(f"C{c:02d},{_month(m)},{'false' if m == churn else 'true'},{rev},{rng.uniform(1, 9):.2f}")
    files = {"customers": cust, "events": ev, "responses": resp, "tickets": tick, "notes": notes, "outcomes": outs}
    for name, lines in files.items():
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "journey.yaml").write_text(PEOPLE_JOURNEY, encoding="utf-8")
    return folder


def analyses(folder: Path, seed: int = 4) -> pd.DataFrame:
    """comment_analysis rows (source, source_id, themes) for the texts of the files, plus one for a text not in them."""
    rng = random.Random(seed)
    d = read_files(folder)
    rows = []
    for source, frame, id_col, text_col in (("survey", d["responses"], "response_id", "comment"),
                                             ("ticket", d["tickets"], "ticket_id", "description"),
                                             ("note", d["notes"], "note_id", "text")):
        for r in frame.itertuples():
            if isinstance(getattr(r, text_col), str) and getattr(r, text_col).strip():
                themes = rng.sample(THEMES, rng.choice([0, 1, 1, 2, 3]))
                rows.append({"source": source, "source_id": getattr(r, id_col), "themes": ";".join(themes)})
    rows.append({"source": "survey", "source_id": "GONE-1", "themes": "billing"})
    return pd.DataFrame(rows)


def people_store(folder: Path, store_folder: Path, url: str | None = None, personas: bool = True):
    """A store with the files loaded the real way, `analyses` written to comment_analysis and personas for a third
    of the customers (the caller closes it)."""
    from cxlens.ingest import load, sync_journey
    from cxlens.model.journey import read_journey
    from cxlens.store import Store

    store = Store.open(url or f"duckdb:///{store_folder / 'cx.duckdb'}")
    sync_journey(store, read_journey(folder / "journey.yaml"))
    for kind in ("customers", "events", "responses", "tickets", "notes", "outcomes"):
        load(store, folder / f"{kind}.csv", kind)
    write_derived(store, folder, personas)
    return store


def write_derived(store, folder: Path, personas: bool = True) -> None:
    """`analyses` of the files written to comment_analysis and, with `personas`, `personas_rows` to personas."""
    a = analyses(folder)
    n = len(a)
    store.write_keyed("comment_analysis", ["source", "source_id"], pa.table({
        "source": a.source.tolist(), "source_id": a.source_id.tolist(), "text_sha1": ["x"] * n, "language": ["en"] * n,
        "sentiment": ["neutral"] * n, "sentiment_score": [0.0] * n, "themes": a.themes.tolist(), "emotions": [""] * n,
        "model": ["test"] * n, "analyzed_at": pa.array([pd.Timestamp("2025-01-01")] * n, pa.timestamp("us"))}))
    if personas:
        p = personas_rows(read_files(folder))
        store.write_keyed("personas", ["customer_id"], pa.table({c: p[c].tolist() for c in p.columns}))


def personas_rows(d: dict[str, pd.DataFrame]) -> pd.DataFrame:
    ids = [c for i, c in enumerate(d["customers"].customer_id) if i % 3 == 0]
    return pd.DataFrame({"customer_id": ids, "persona_id": [f"P{i % 2 + 1}" for i in range(len(ids))],
                         "persona": [["savers", "spenders"][i % 2] for i in range(len(ids))], "probability": [0.9] * len(ids)})


def read_files(folder: Path) -> dict[str, pd.DataFrame]:
    d = {}
    for k in ("customers", "events", "responses", "tickets", "notes", "outcomes"):
        f = pd.read_csv(folder / f"{k}.csv", dtype=str, keep_default_na=False).astype(object)
        d[k] = f.where(f != "", None)
    return d


def _within(ts, since: date | None, until: date | None) -> bool:
    t = pd.Timestamp(ts)
    return (since is None or t >= pd.Timestamp(since)) and (until is None or t < pd.Timestamp(until) + pd.Timedelta(days=1))


def brute_view(folder: Path, since: date | None = None, until: date | None = None, segments: list[str] | None = None,
               theme: str | None = None, personas: bool = True) -> pd.DataFrame:
    """The customer view computed customer by customer from the files (see cxlens.people.customer_view)."""
    d = read_files(folder)
    lo = None if since is None else since.year * 12 + since.month - 1
    hi = None if until is None else until.year * 12 + until.month - 1
    outs = d["outcomes"].assign(m=[int(s[:4]) * 12 + int(s[5:]) - 1 for s in d["outcomes"].month])
    outs = outs[[(lo is None or m >= lo) and (hi is None or m <= hi) for m in outs.m]]
    ev = d["events"][[_within(t, since, until) for t in d["events"].ts]]
    resp = d["responses"][[_within(t, since, until) for t in d["responses"].ts]]
    tick = d["tickets"][[_within(t, since, until) for t in d["tickets"].opened_at]]
    notes = d["notes"][[_within(t, since, until) for t in d["notes"].ts]]
    if len(outs):
        last = int(outs.m.max())
    else:
        stamps = [*ev.ts, *resp.ts, *tick.opened_at]
        last = max(_mi(t) for t in stamps) if stamps else None
    a = analyses(folder)
    themes_of = {(r.source, r.source_id): [t for t in r.themes.split(";") if t] for r in a.itertuples()}
    relationship = {("survey", r.response_id) for r in resp.itertuples() if r.metric == "nps" and pd.isna(r.aspect)
                    and r.touchpoint_id == "relationship" and isinstance(r.comment, str)}
    texts = ([("survey", r.response_id, r.customer_id) for r in resp.itertuples()]
             + [("ticket", r.ticket_id, r.customer_id) for r in tick.itertuples()]
             + [("note", r.note_id, r.customer_id) for r in notes.itertuples()])
    persona = personas_rows(d).set_index("customer_id") if personas else pd.DataFrame()
    rows = []
    for c in d["customers"].itertuples():
        cid = c.customer_id
        mentioned: dict[str, int] = {}
        voiced: dict[str, int] = {}  # comments on relationship answers only
        said = 0
        for source, sid, owner in texts:
            if owner == cid:
                for t in themes_of.get((source, sid), []):
                    mentioned[t] = mentioned.get(t, 0) + 1
                    if (source, sid) in relationship:
                        voiced[t] = voiced.get(t, 0) + 1
                said += (source, sid) in relationship and (source, sid) in themes_of
        if segments is not None and (c.segment or "(unknown)") not in segments:
            continue
        if theme is not None and theme not in mentioned:
            continue
        row = {"customer_id": cid, "segment": c.segment, "region": c.region, "language": c.language, "plan": c.plan,
               "account_id": c.account_id}
        row["age"] = float(c.age) if c.age not in (None, "n/a") else math.nan
        row["tenure_months"] = (last - _mi(c.signup_date)) if (c.signup_date and last is not None) else None
        e = ev[ev.customer_id == cid]
        stage = [TOUCHPOINTS[tp][0] for tp in e.touchpoint_id]
        channel = [(own if own is not None else TOUCHPOINTS[tp][1]) for own, tp in zip(e.channel, e.touchpoint_id)]
        channel = [None if ch is None else ch.lower() for ch in channel]
        known = [ch for ch in channel if ch is not None]
        row["events"] = len(e)
        for s in STAGES:
            row[f"events_{s}"] = stage.count(s)
        counts = pd.Series(known).value_counts() if known else pd.Series(dtype=int)
        row["channels_used"] = len(counts)
        row["top_channel"] = sorted(counts.index, key=lambda ch: (-counts[ch], ch))[0] if known else None
        row["digital_share"] = sum(ch in DIGITAL for ch in known) / len(known) if known else math.nan
        row["plan_changes"] = int((e.touchpoint_id == "plan_change").sum())
        r = resp[(resp.customer_id == cid) & resp.aspect.isna()]
        score = r.score.astype(float)
        row["responses"] = len(r)
        rel = r.assign(s=score)  # assign before filtering: on an empty frame assign would take the series' rows
        rel = rel[(rel.metric == "nps") & (rel.touchpoint_id == "relationship")]
        rel = rel.sort_values(["ts", "response_id"])
        row["nps_latest"] = float(rel.s.iloc[-1]) if len(rel) else math.nan
        row["nps_group"] = (None if not len(rel) else "detractor" if row["nps_latest"] <= 6
                            else "passive" if row["nps_latest"] <= 8 else "promoter")
        row["nps_trend"] = float(rel.s.iloc[-1] - rel.s.iloc[0]) if len(rel) >= 2 else math.nan
        row["csat_mean"] = score[r.metric == "csat"].mean() if (r.metric == "csat").any() else math.nan
        row["ces_mean"] = score[r.metric == "ces"].mean() if (r.metric == "ces").any() else math.nan
        t = tick[tick.customer_id == cid]
        row["tickets"] = len(t)
        row["tickets_unresolved"] = int(t.resolved_at.isna().sum())
        o = outs[outs.customer_id == cid]
        months = len(o) if len(o) else (None if row["tenure_months"] is None else row["tenure_months"] + 1)
        row["tickets_per_month"] = len(t) / months if months is not None and months > 0 else math.nan
        on = o[o.active == "true"]
        rev = on.revenue.dropna().astype(float)
        cost = on.cost_to_serve.dropna().astype(float)
        row["revenue_month"] = rev.mean() if len(rev) else math.nan
        row["cost_to_serve_month"] = cost.mean() if len(cost) else math.nan
        row["active"] = bool(((o.m == last) & (o.active == "true")).any()) if len(outs) else None
        ordered = sorted(mentioned, key=lambda t: (-mentioned[t], t))
        row["top_theme"] = ordered[0] if ordered else None
        row["themes"] = ",".join(ordered) if ordered else None
        row["relationship_comments"] = int(said)
        row["relationship_themes"] = ",".join(f"{t}:{voiced[t]}" for t in sorted(voiced, key=lambda t: (-voiced[t], t))) or None
        p = persona.loc[cid] if cid in persona.index else None
        row["persona_id"] = None if p is None else p.persona_id
        row["persona"] = None if p is None else p.persona
        rows.append(row)
    return pd.DataFrame(rows).sort_values("customer_id").reset_index(drop=True)


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """Values comparable across dtypes: numbers as float (NaN when missing), everything else object (None when missing)."""
    out = {}
    for col in df.columns:
        s = df[col]
        if col != "active" and (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)) and col not in ("active",):
            out[col] = pd.to_numeric(s).astype("float64")
        else:
            o = s.astype(object)
            out[col] = o.where(o.notna(), None)
    return pd.DataFrame(out)
