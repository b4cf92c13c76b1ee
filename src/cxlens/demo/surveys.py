"""Survey answers in the canonical long format: quarterly relationship NPS plus touchpoint surveys.

Scores are read off the latents (NPS latent, event/ticket experience), so every planted effect shows
up in what customers answer; comments carry the NPS themes or the touchpoint's obvious topic.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

from cxlens.demo import params as P
from cxlens.demo.comments import compose
from cxlens.demo.journey_spec import (
    CES_SHARE, EXPECTATION_SHARE, MAIN_CHANNEL, MU, SURVEY_RATE, TICKET_SURVEY_RATE, TOUCHPOINT_IDS,
)
from cxlens.demo.journeys import HOUR
from cxlens.demo.lifecycle import Lifecycle, nps_score
from cxlens.demo.population import DAY, MONTH_START, WINDOW_END, Population
from cxlens.demo.tickets import Tickets

_NEG_TOPIC = {
    "first_bill": "billing_errors", "bill_payment": "billing_errors", "billing_inquiry": "billing_errors",
    "roaming_abroad": "billing_errors", "plan_change": "price_value", "data_topup": "price_value",
    "contract_renewal": "price_value", "retention_offer": "price_value", "device_upgrade": "price_value",
    "app_login": "app_experience", "online_checkout": "app_experience", "activation": "app_experience",
    "port_in": "app_experience", "website_browse": "app_experience", "tech_visit": "network_coverage",
}
_TICKET_NEG_TOPIC = {"billing_error": "billing_errors", "roaming_charges": "billing_errors",
                     "network_coverage": "network_coverage", "slow_data": "network_coverage", "app_issue": "app_experience"}
_PERSONAL = {"store", "call_center", "chat", "field", "courier"}


def _nps_surveys(rng: np.random.Generator, pop: Population, life: Lifecycle, ready: np.ndarray) -> pd.DataFrame:
    """A random NPS_SAMPLE_SHARE of the customers active in the first month of each quarter answer."""
    frames = []
    for qi in range(P.QUARTERS):
        m = 3 * qi
        eligible = (pop.start_month <= m) & (life.churn_month > m) & (ready < MONTH_START[m + 1] - 2 * DAY)
        idx = np.flatnonzero(eligible & (rng.random(pop.n) < P.NPS_SAMPLE_SHARE))
        lo = np.maximum(MONTH_START[m], ready[idx] + HOUR)
        ts = lo + (rng.random(len(idx)) * (MONTH_START[m + 1] - lo)).astype(np.int64)
        frames.append(pd.DataFrame({
            "cust": idx, "ts": ts, "tp": "relationship", "nps": nps_score(life.nps_latent[idx, qi]),
            "commented": life.commented[idx, qi], "quarter": qi,
        }))
    df = pd.concat(frames, ignore_index=True)
    t = life.themes[df["cust"].to_numpy(), df["quarter"].to_numpy()]
    df["themes"] = [tuple(P.THEMES[j] for j in np.flatnonzero(row)) if c else ()
                    for row, c in zip(t, df["commented"].to_numpy())]
    return df.drop(columns=["commented", "quarter"])


def _csat_topic(tp: np.ndarray, csat: np.ndarray) -> list[tuple[str, ...]]:
    """The obvious theme of a touchpoint comment: its problem when unhappy, staff or speed when happy."""
    out: list[tuple[str, ...]] = []
    for t, s in zip(tp, csat):
        if s <= 2:
            out.append((_NEG_TOPIC.get(t, "waiting_time"),))
        else:
            out.append(("friendly_staff",) if MAIN_CHANNEL[t] in _PERSONAL else ("fast_resolution",))
    return out


def _touchpoint_surveys(rng: np.random.Generator, pop: Population, ev: dict[str, np.ndarray], t: Tickets) -> pd.DataFrame:
    """CSAT (+ CES, expectation on part) after sampled events and after resolved tickets."""
    rate = np.array([SURVEY_RATE.get(tp, 0.0) for tp in TOUCHPOINT_IDS])[ev["tp"]]
    pick = np.flatnonzero(rng.random(len(rate)) < rate)
    e = pd.DataFrame({"cust": ev["cust"][pick], "ts": ev["ts"][pick] + rng.integers(HOUR, 3 * DAY, len(pick)),
                      "tp": np.array(TOUCHPOINT_IDS, dtype=object)[ev["tp"][pick]], "x": ev["x"][pick], "days": np.nan,
                      "topic": None})
    done = np.flatnonzero((t.resolved > 0) & (rng.random(len(t.cust)) < TICKET_SURVEY_RATE))
    k = pd.DataFrame({"cust": t.cust[done], "ts": t.resolved[done] + rng.integers(HOUR, 2 * DAY, len(done)),
                      "tp": t.tp[done], "x": t.x[done], "days": t.days[done],
                      "topic": [_TICKET_NEG_TOPIC.get(c) for c in t.category[done]]})
    df = pd.concat([e, k], ignore_index=True)
    df = df[df["ts"] < WINDOW_END].reset_index(drop=True)
    n = len(df)
    x = df["x"].to_numpy()
    mu = np.array([MU[tp] for tp in df["tp"]])
    df["csat"] = np.clip(np.rint(x), 1, 5)
    ces = np.clip(np.rint(4.6 + 1.2 * (x - mu) + rng.normal(0, 0.7, n)), 1, 7)
    df["ces"] = np.where(rng.random(n) < CES_SHARE, ces, np.nan)
    # What the customer expected, on the CSAT scale (gap model: perceived CSAT minus expectation).
    exp = np.clip(np.rint(pop.expects[df["cust"].to_numpy()] + rng.normal(0, 0.6, n)), 1, 5)
    df["expectation"] = np.where(rng.random(n) < EXPECTATION_SHARE, exp, np.nan)

    # Comments: rarer than on NPS; only clear-cut experiences (CSAT <= 2 or >= 4) get one.
    ticket = df["days"].notna().to_numpy()
    clear = (df["csat"] != 3).to_numpy()
    wants = clear & (rng.random(n) < np.where(ticket, 0.2, P.CSAT_COMMENT_SHARE))
    themes: list[tuple[str, ...]] = [()] * n
    tp, csat, days, topic = (df[c].to_numpy() for c in ("tp", "csat", "days", "topic"))
    for i in np.flatnonzero(wants):
        if ticket[i] and csat[i] <= 2:
            themes[i] = ("waiting_time",) if days[i] > 3 or not isinstance(topic[i], str) else (topic[i],)
        elif ticket[i]:
            themes[i] = ("fast_resolution",) if days[i] < 1 else ("friendly_staff",)
        else:
            themes[i] = _csat_topic(tp[i : i + 1], csat[i : i + 1])[0]
    df["themes"] = themes
    return df.drop(columns=["x", "days", "topic"])


def build_responses(rng: np.random.Generator, pop: Population, life: Lifecycle, ev: dict[str, np.ndarray],
                    t: Tickets, ready: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The canonical `responses` rows (sorted by time) and the comments' truth (language, themes)."""
    surveys = pd.concat([_nps_surveys(rng, pop, life, ready), _touchpoint_surveys(rng, pop, ev, t)], ignore_index=True)
    surveys = surveys.sort_values(["ts", "cust"], kind="stable").reset_index(drop=True)
    surveys["sid"] = [f"S{i:07d}" for i in range(1, len(surveys) + 1)]

    # Comment text in the customer's language; some non-English speakers write in English.
    r = random.Random(int(rng.integers(2**63)))
    has = np.flatnonzero(surveys["themes"].map(len).to_numpy() > 0)
    cust_lang = np.array(P.LANGUAGES, dtype=object)[pop.language[surveys["cust"].to_numpy()[has]]]
    to_en = rng.random(len(has)) < 0.07
    lang = np.where(to_en, "en", cust_lang)
    texts = [compose(r, lg, th) for lg, th in zip(lang, surveys["themes"].to_numpy()[has])]
    comment = np.full(len(surveys), None, dtype=object)
    comment[has] = texts
    language = np.full(len(surveys), None, dtype=object)
    language[has] = np.where(rng.random(len(has)) < 0.8, lang, None)  # 20% left for language detection
    surveys["comment"], surveys["language"] = comment, language

    rows = []
    for metric in ("nps", "csat", "ces", "expectation"):
        s = surveys[surveys[metric].notna()]
        carries_comment = metric in ("nps", "csat")
        rows.append(pd.DataFrame({
            "response_id": s["sid"] + "-" + metric, "cust": s["cust"], "ts": s["ts"], "touchpoint_id": s["tp"],
            "metric": metric, "score": s[metric].astype(float),
            "comment": s["comment"] if carries_comment else None,
            "language": s["language"] if carries_comment else None,
        }))
    responses = pd.concat(rows, ignore_index=True).sort_values(["ts", "response_id"], kind="stable").reset_index(drop=True)
    truth = pd.DataFrame({
        "response_id": surveys["sid"].to_numpy()[has] + np.where(surveys["nps"].notna().to_numpy()[has], "-nps", "-csat"),
        "language": lang, "themes": [";".join(th) for th in surveys["themes"].to_numpy()[has]],
    })
    return responses, truth
