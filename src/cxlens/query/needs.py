"""What data an analysis needs from the store, and when it is missing, why and the command that adds it.

Apps ask `missing(store, "nps", ...)` before an analysis, so an empty or partly loaded store explains itself in one
line (`no tickets in the store: load them with `cxlens load FILE --kind tickets``) instead of an empty table or an
error; the report lists the sections it leaves out with the same reasons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxlens.errors import UsageError

if TYPE_CHECKING:
    from cxlens.store import Store

__all__ = ["NEEDS", "missing"]

# What an analysis can need from the store -> why it is missing and the command that adds it (one line each).
_LOAD = "`cxlens load FILE --kind {kind}`"
NEEDS = {
    "customers": "no customers in the store: load them with " + _LOAD.format(kind="customers"),
    "touchpoints": "no touchpoints in the store: list them in journey.yaml; the next `cxlens load` writes them",
    "responses": "no survey answers in the store: load them with " + _LOAD.format(kind="responses"),
    "nps": "no NPS answers in the store: load answers with metric nps using " + _LOAD.format(kind="responses"),
    "csat": "no CSAT answers in the store: load answers with metric csat using " + _LOAD.format(kind="responses"),
    "ces": "no CES answers in the store: load answers with metric ces using " + _LOAD.format(kind="responses"),
    "expectation": "no expectation answers in the store: load answers with metric expectation using "
                   + _LOAD.format(kind="responses"),
    "tickets": "no tickets in the store: load them with " + _LOAD.format(kind="tickets"),
    "events": "no journey events in the store: load them with " + _LOAD.format(kind="events"),
    "outcomes": "no outcomes in the store (churn is read from them): load them with " + _LOAD.format(kind="outcomes"),
    "answers_or_tickets": "no survey answers and no tickets in the store: load them with "
                          + _LOAD.format(kind="responses") + " or " + _LOAD.format(kind="tickets"),
    "self_rating": "no touchpoint has a self_rating: add one in journey.yaml (`self_rating: {csat: 4.5}`), then run a load",
    "nps_comments": "no NPS answer has a comment: load answers with a comment column using " + _LOAD.format(kind="responses"),
    "texts": "no texts in the store: load answers with comments, tickets or notes using " + _LOAD.format(kind="notes"),
    "analysed_comments": "the comments are not analysed yet: run `cxlens text analyze`",
}


def missing(store: Store, *needs: str) -> str | None:
    """Why `store` cannot serve an analysis that needs `needs` (keys of NEEDS), as one line naming the command that
    adds the data; None when everything is there. Apps call it before an analysis so an empty store explains itself."""
    for need in needs:
        if not _has(store, need):
            return NEEDS[need]
    return None


def _has(store: Store, need: str) -> bool:
    if need in ("nps", "csat", "ces", "expectation", "nps_comments"):
        r = store.table("responses")
        r = r.filter(r.metric == ("nps" if need == "nps_comments" else need))
        if need == "nps_comments":
            r = r.filter(r.comment.notnull() & (r.comment.strip() != ""))
        return int(r.limit(1).count().execute()) > 0
    if need == "texts":
        r = store.table("responses")
        return store.count("tickets") + store.count("notes") > 0 or int(r.filter(r.comment.notnull()).count().execute()) > 0
    if need == "answers_or_tickets":
        return _has(store, "responses") or _has(store, "tickets")
    if need == "self_rating":
        t = store.table("touchpoints")
        return int(t.filter(t.self_rating.notnull() & (t.self_rating != "{}")).count().execute()) > 0
    if need == "analysed_comments":
        return store.count("comment_analysis") > 0
    if need not in NEEDS:
        raise UsageError("need", need, sorted(NEEDS))
    return store.count(need) > 0
