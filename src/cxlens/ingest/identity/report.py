"""What identity resolution did, read back from `identity_links`: per source file, how many records were linked
(by which rule, by probability), listed for review or left unmatched, how many customers they map to, conflicts,
and, against a known truth, precision and recall.

Precision = correctly linked / linked; recall = correctly linked / records whose true customer is in the store
(records of non-customers count against precision when linked, never towards recall).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pyarrow as pa

from cxlens.errors import ConfigError

# method -> the summary's column of records it linked
LINK_METHODS = {"rule:email": "by_email", "rule:external_id": "by_external_id", "rule:phone+name": "by_phone_name",
                "fellegi_sunter": "by_probability"}


def links(store) -> pa.Table:
    """Every row of `identity_links` (empty when the store has none)."""
    if not store.backend.has_table("identity_links"):
        return pa.table({})
    return store.to_pyarrow(store.table("identity_links"))


def identity_summary(store, truth: str | Path | None = None) -> dict:
    """{"sources": [one dict per file]}: records, linked, linked per method, review, unmatched, customers,
    conflicts (rows whose `conflict` is set), and with `truth` precision, recall and the counts behind them."""
    rows = links(store).to_pylist()
    wanted = read_truth(truth) if truth else None
    by_file: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_file[row["file"]].append(row)
    sources = []
    for file, decided in sorted(by_file.items()):
        linked = [r for r in decided if r["status"] == "linked"]
        summary = {"source": Path(file).name, "file": file, "records": len(decided), "linked": len(linked),
                   **{column: sum(r["method"] == m for r in linked) for m, column in LINK_METHODS.items()},
                   "review": sum(r["status"] == "review" for r in decided),
                   "unmatched": sum(r["status"] == "unmatched" for r in decided),
                   "customers": len({r["customer_id"] for r in linked}),
                   # records linked to a customer whose other records' e-mail or phone disagree, or with two candidates
                   "conflicts": sum(1 for r in decided if r.get("conflict"))}
        if wanted is not None:
            summary.update(accuracy(decided, wanted))
        sources.append(summary)
    return {"sources": sources}


def accuracy(decided: list[dict], truth: dict[str, str | None]) -> dict:
    """Precision and recall of the linked records against `truth` (record -> customer id, None: not a customer)."""
    scored = [r for r in decided if r["record"] in truth]
    linked = [r for r in scored if r["status"] == "linked"]
    correct = sum(1 for r in linked if truth[r["record"]] == r["customer_id"])
    customers = sum(1 for r in scored if truth[r["record"]] is not None)
    return {"truth_records": len(scored), "true_customers": customers, "correct": correct,
            "precision": correct / len(linked) if linked else None,
            "recall": correct / customers if customers else None}


def review_rows(store) -> list[dict]:
    """The records listed for review, most probable first: file, row, record, best candidate, probability."""
    rows = [r for r in links(store).to_pylist() if r["status"] == "review"]
    rows.sort(key=lambda r: (-(r["match_probability"] or 0), r["file"], r["row_number"]))
    return [{"source": Path(r["file"]).name, "row": r["row_number"], "record": r["record"],
             "candidate_customer_id": r["candidate_customer_id"], "match_probability": r["match_probability"],
             "match_weight": r["match_weight"], "conflict": r.get("conflict")} for r in rows]


def read_truth(path: str | Path) -> dict[str, str | None]:
    """record -> true customer id (None: not a customer) from a truth.json's `identity.mapping`, or a CSV with
    columns record,customer_id (an empty customer_id: not a customer)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: truth file not found")
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        mapping = (data.get("identity") or {}).get("mapping") if isinstance(data, dict) else None
        if not isinstance(mapping, dict):
            raise ConfigError(f"{path}: no identity.mapping object (record -> customer id or null) in this truth file")
        return {str(k): (str(v) if v is not None else None) for k, v in mapping.items()}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"record", "customer_id"} <= set(reader.fieldnames):
            raise ConfigError(f"{path}: a truth CSV needs the columns record and customer_id "
                              f"(found: {', '.join(reader.fieldnames or [])})")
        return {row["record"]: (row["customer_id"] or None) for row in reader}
