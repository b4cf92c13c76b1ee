"""`generate()`: build the demo operator's data and write it as the files a real company would export.

The order follows the causal model: population -> journeys and tickets -> NPS latent and churn ->
outcomes -> surveys. Everything is drawn from one seeded generator, so a seed fixes every byte; the
per-aspect survey (added later) draws from a second stream of the same seed, so it changed nothing else,
and so do the people's names, e-mails, phones and postcodes (identities.py) in customers.csv and the survey.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from cxlens.demo import params as P
from cxlens.demo.aspects import aspect_truth, build_aspect_survey, response_ids, write_aspect_survey
from cxlens.demo.badrows import RESPONSE_DEFECTS, TICKET_DEFECTS, mix_in
from cxlens.demo.comments import ticket_description
from cxlens.demo.identities import People, draw_people, draw_respondents, identity_truth
from cxlens.demo.journey_spec import TOUCHPOINT_IDS, write_journey_yaml
from cxlens.demo.journeys import HOUR, EventLog, channels, experience, monthly_usage, onboarding
from cxlens.demo.lifecycle import simulate
from cxlens.demo.notes import build_notes
from cxlens.demo.population import EPOCH, MONTH_START, WINDOW_END, Population, build_population
from cxlens.demo.surveys import build_responses
from cxlens.demo.tickets import contact_events, draw_tickets, keep_tickets
from cxlens.demo.truth import build_truth


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the generated files; table files are named after their canonical table kind."""

    journey: Path
    customers: Path
    events: Path
    responses: Path
    tickets: Path
    outcomes: Path
    truth: Path
    personas_truth: Path
    comments_truth: Path
    notes: Path
    notes_truth: Path
    aspect_survey: Path  # wide per-aspect survey export, loaded as responses with `aspect_mapping`
    aspect_mapping: Path

    @classmethod
    def in_folder(cls, out_dir: str | Path) -> "DemoFiles":
        """The paths `generate(out_dir, ...)` writes: use it to reopen a demo generated earlier."""
        out = Path(out_dir)
        return cls(*(out / f for f in ("journey.yaml", "customers.csv", "events.parquet", "responses.csv",
                                       "tickets.csv", "outcomes.csv", "truth.json", "personas_truth.csv",
                                       "comments_truth.csv", "notes.csv", "notes_truth.csv",
                                       "aspect_survey.csv", "aspect_survey.yaml")))

    def tables(self) -> dict[str, Path]:
        """Table kind -> file, in the order they must be loaded (customers first)."""
        return {k: getattr(self, k) for k in ("customers", "events", "responses", "tickets", "outcomes", "notes")}


def _ts(seconds: np.ndarray) -> pa.Array:
    """ISO `YYYY-MM-DD HH:MM:SS` strings; negative values (not set) become nulls."""
    arr = pa.array(np.asarray(seconds, dtype=np.int64) + (EPOCH - np.datetime64(0, "s")).astype(np.int64),
                   type=pa.int64(), mask=np.asarray(seconds) < 0).cast(pa.timestamp("s"))
    return pc.strftime(arr, format="%Y-%m-%d %H:%M:%S")


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _write_csv(df: pd.DataFrame | pa.Table, path: Path) -> int:
    table = df if isinstance(df, pa.Table) else pa.Table.from_pandas(df, preserve_index=False)
    pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="needed"))
    return table.num_rows


def generate(out_dir: Path, customers: int = 20_000, seed: int = 7, progress: Callable[[str], None] | None = None) -> DemoFiles:
    """Generate the demo company into `out_dir` and return the file paths.

    Call it to get realistic, multilingual CX data whose hidden effects are known (`truth.json`),
    to try cxlens end to end or to check that an analysis recovers what was planted.
    """
    say = progress or (lambda _msg: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    files = DemoFiles.in_folder(out)
    write_journey_yaml(files.journey)

    say(f"drawing {customers:,} customers")
    pop = build_population(rng, customers)
    cid = _ids("C", pop.n, max(6, len(str(pop.n))))
    say("simulating journeys and tickets")
    log = EventLog()
    ready, abandon_ts = onboarding(rng, pop, log)
    monthly_usage(rng, pop, log, ready)
    tickets = draw_tickets(rng, pop, ready)
    contact_events(rng, tickets, log)
    say("simulating NPS, churn and value")
    life = simulate(rng, pop, tickets, ready, abandon_ts)
    oc = life.outcomes
    for tp, col in (("device_upgrade", "upgrades"), ("referral", "referrals")):
        rep = np.repeat(np.arange(len(oc["cust"])), oc[col])
        c, m = oc["cust"][rep], oc["month"][rep]
        ts = np.maximum(MONTH_START[m] + (rng.random(len(rep)) * (MONTH_START[m + 1] - MONTH_START[m])).astype(np.int64), ready[c] + HOUR)
        log.add(c, ts, tp, experience(rng, pop, c, tp), channels(rng, tp, len(c)))

    ev = log.arrays()
    keep = (ev["ts"] >= 0) & (ev["ts"] < WINDOW_END) & (ev["ts"] <= life.churn_ts[ev["cust"]])
    ev = {k: v[keep] for k, v in ev.items()}
    order = np.lexsort((ev["tp"], ev["cust"], ev["ts"]))
    ev = {k: v[order] for k, v in ev.items()}
    tickets = keep_tickets(tickets, tickets.opened <= life.churn_ts[tickets.cust])
    tickets = keep_tickets(tickets, np.argsort(tickets.opened, kind="stable"))

    say("writing customers and events")
    identity_rng = np.random.default_rng([seed, P.IDENTITY_RNG_STREAM])
    people = draw_people(identity_rng, pop)
    _write_customers(pop, cid, people, files.customers)
    tp_names = np.array(TOUCHPOINT_IDS, dtype=object)
    pq.write_table(pa.table({
        "event_id": _ids("E", len(ev["ts"]), 8), "customer_id": cid[ev["cust"]],
        "ts": pa.array(ev["ts"] + (EPOCH - np.datetime64(0, "s")).astype(np.int64), type=pa.int64()).cast(pa.timestamp("s")),
        "touchpoint_id": tp_names[ev["tp"]], "channel": ev["channel"],
    }), files.events, compression="zstd")

    say("writing surveys and comments")
    responses, comments = build_responses(rng, pop, life, ev, tickets, ready)
    responses.insert(1, "customer_id", cid[responses.pop("cust").to_numpy()])
    responses["ts"] = _ts(responses["ts"].to_numpy()).to_numpy(zero_copy_only=False)
    responses, bad_responses = mix_in(rng, responses, RESPONSE_DEFECTS, "response_id", "ts", "X")
    _write_csv(responses, files.responses)
    comments.to_csv(files.comments_truth, index=False)

    say("writing tickets and outcomes")
    lang = np.array(P.LANGUAGES)[pop.language[tickets.cust]]
    r = random.Random(int(rng.integers(2**63)))
    tk = pd.DataFrame({
        "ticket_id": _ids("T", len(tickets.cust), 7), "customer_id": cid[tickets.cust], "touchpoint_id": tickets.tp,
        "category": tickets.category, "channel": tickets.channel,
        "opened_at": _ts(tickets.opened).to_numpy(zero_copy_only=False),
        "first_response_at": _ts(tickets.first_response).to_numpy(zero_copy_only=False),
        "resolved_at": _ts(tickets.resolved).to_numpy(zero_copy_only=False),
        "reopened": tickets.reopened, "contacts": tickets.contacts,
        "description": [ticket_description(r, lg, c) for lg, c in zip(lang, tickets.category)],
    })
    customers_frame = pd.DataFrame({"customer_id": cid, "language": np.array(P.LANGUAGES)[pop.language]})
    notes, notes_truth = build_notes(rng, r, tk, customers_frame)
    _write_csv(notes, files.notes)
    notes_truth.to_csv(files.notes_truth, index=False)
    tk, bad_tickets = mix_in(rng, tk, TICKET_DEFECTS, "ticket_id", "opened_at", "TX")
    _write_csv(tk, files.tickets)
    _write_outcomes(oc, cid, files.outcomes)
    pd.DataFrame({"customer_id": cid, "persona_id": [P.PERSONAS[i]["id"] for i in pop.persona],
                  "persona": [P.PERSONAS[i]["name"] for i in pop.persona]}).to_csv(files.personas_truth, index=False)

    say("writing the per-aspect survey")
    aspects = build_aspect_survey(np.random.default_rng([seed, P.ASPECT_RNG_STREAM]), ev)
    respondents = draw_respondents(identity_rng, people, aspects["cust"].to_numpy())
    write_aspect_survey(aspects, _ts(aspects["ts"].to_numpy()).to_numpy(zero_copy_only=False), respondents.columns,
                        files.aspect_survey, files.aspect_mapping)

    say("writing truth.json")
    counts = {"customers": pop.n, "events": len(ev["ts"]), "responses": len(responses), "tickets": len(tk),
              "outcomes": len(oc["cust"]), "comments": len(comments), "notes": len(notes)}
    truth = build_truth(seed, pop, life, abandon_ts, counts, {"responses": bad_responses, "tickets": bad_tickets},
                        aspect_truth(aspects), identity_truth(people, respondents, response_ids(len(aspects)), cid))
    files.truth.write_text(json.dumps(truth, indent=2, ensure_ascii=False), encoding="utf-8")
    return files


def _write_customers(pop: Population, cid: np.ndarray, people: People, path: Path) -> None:
    signup = (EPOCH + pop.signup.astype("timedelta64[s]")).astype("datetime64[D]").astype(str)  # the base predates 2024
    _write_csv(pa.table({
        "customer_id": cid, "signup_date": signup,
        "segment": np.array(P.SEGMENTS, dtype=object)[pop.segment], "region": np.array(P.REGIONS, dtype=object)[pop.region],
        "language": np.array(P.LANGUAGES, dtype=object)[pop.language], "plan": pop.plan,
        "account_id": pa.array(pop.account_id, mask=pop.account_id == ""), "age": pop.age, "handset": pop.handset,
        **people.columns(),
    }), path)


def _write_outcomes(oc: dict[str, np.ndarray], cid: np.ndarray, path: Path) -> None:
    order = np.lexsort((oc["month"], oc["cust"]))
    month = oc["month"][order]
    labels = np.array([f"{P.START_YEAR + k // 12}-{k % 12 + 1:02d}" for k in range(P.MONTHS)], dtype=object)
    _write_csv(pa.table({
        "customer_id": cid[oc["cust"][order]], "month": labels[month], "active": oc["active"][order],
        "revenue": oc["revenue"][order], "cost_to_serve": oc["cost_to_serve"][order],
        "upgrades": oc["upgrades"][order].astype(np.int64), "referrals": oc["referrals"][order].astype(np.int64),
    }), path)
