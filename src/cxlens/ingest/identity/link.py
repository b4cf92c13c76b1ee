"""Link records of another source to customers: deterministic rules first, then a Fellegi-Sunter model (Splink).

Why this order: an exact e-mail or external id is near-certain evidence and costs nothing to check; a phone number
is shared in families, so it links only together with a similar name. What the rules leave (a typo in the e-mail, a
new address, another transliteration of the name) is scored by the probabilistic model of Fellegi & Sunter (1969,
"A theory for record linkage", JASA 64:1183-1210), fitted by Splink 5 on DuckDB:

- comparisons on the keyed values only (`IdentityKeys`): exact e-mail, phone, postcode and external-id keys, and the
  Dice coefficient of the keyed bigram sets of names and e-mails in levels (custom SQL on DuckDB lists:
  `2 * len(list_intersect(a, b)) / (len(a) + len(b))`);
- u (how often a level occurs among non-matching pairs) from random pairs, m (among true matches) by the EM
  algorithm (Winkler 1988, "Using the EM algorithm for weight computation in the Fellegi-Sunter model of record
  linkage"), each EM pass blocked on one key so the other comparisons are learnt;
- candidate pairs blocked on keys that survive a typo in another field: phone, postcode, e-mail, sorted name, id.

The candidates of one record compete (a record is at most one customer, so their posteriors are normalised
together, `_competing`). A record links when its best candidate's probability reaches `match_probability`; between
`review_probability` and that it is listed for review (not linked); below, it is unmatched.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field

import pyarrow as pa

from cxlens.ingest.identity.index import Identity, encode, gram_list
from cxlens.ingest.identity.keys import dice
from cxlens.ingest.identity.normalise import KINDS

NAME_RULE_DICE = 0.8  # rule:phone+name: family members share a phone, so the name must agree this closely
HOUSEHOLD_NAME_DICE = 0.75  # a probabilistic link with names less alike and no e-mail agreement goes to review
RULES = ("rule:email", "rule:external_id", "rule:phone+name")
FELLEGI_SUNTER = "fellegi_sunter"
LINK_COLUMNS = ("row_number", "record", "customer_id", "method", "match_weight", "match_probability", "status",
                "candidate_customer_id", "conflict", "reason")
SECOND_CANDIDATE = 0.2  # a record not linked whose second candidate has at least this probability is a conflict
LINK_SCHEMA = pa.schema([("row_number", pa.int64()), ("record", pa.string()), ("customer_id", pa.string()),
                         ("method", pa.string()), ("match_weight", pa.float64()), ("match_probability", pa.float64()),
                         ("status", pa.string()), ("candidate_customer_id", pa.string()), ("conflict", pa.bool_()),
                         ("reason", pa.string())])


@dataclass
class Resolution:
    """The decision for every record (`links`: LINK_SCHEMA columns, `reason` filled for rows not linked), values
    that could not be normalised per kind, the fitted model's parameters, and warnings to show the user."""

    links: pa.Table
    unreadable: dict[str, int] = field(default_factory=dict)
    model: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """records, linked (and per method), review, unmatched."""
        status = self.links.column("status").to_pylist()
        method = self.links.column("method").to_pylist()
        out = {"records": len(status), "linked": status.count("linked"), "review": status.count("review"),
               "unmatched": status.count("unmatched")}
        for m in (*RULES, FELLEGI_SUNTER):
            out[m] = sum(1 for s, mm in zip(status, method) if s == "linked" and mm == m)
        return out


@dataclass
class _Side:
    """One side of the linkage, encoded: per kind, its exact keys (a set per entity) and grams."""

    ids: list[str]
    keys: dict[str, list[set[str]]]
    grams: dict[str, list[list[int]]]


def resolve(index: pa.Table, rows: list[int], records: list[str | None], values: dict[str, list],
            identity: Identity, file: str = "") -> Resolution:
    """Decide, for each record, which customer of `index` (`identity_keys` rows) it is: `values` maps an identity
    kind to the records' raw values (aligned with `rows`); returns one decision per record."""
    customers = _customer_side(index)
    recs, unreadable = _record_side(rows, values, identity)
    decisions: dict[int, dict] = {}
    lookup = _lookups(customers)
    for i, row in enumerate(rows):
        found = _by_rule(i, recs, customers, lookup)
        if found:
            decisions[row] = {"customer_id": found[1], "method": found[0], "status": "linked",
                              "candidate_customer_id": found[1]}
    left = [i for i, row in enumerate(rows) if row not in decisions]
    model: dict = {}
    warnings: list[str] = []
    if left and customers.ids:
        scored, model, warnings = _fellegi_sunter(customers, recs, rows, identity)
        for i in left:
            decisions[rows[i]] = _household_check(_decide(scored.get(str(rows[i]), []), identity, file, rows[i]),
                                                  i, recs, customers, lookup["_pos"], file)
    for i in left:
        decisions.setdefault(rows[i], _decide([], identity, file, rows[i]))
    _mark_conflicts(rows, recs, decisions)
    table = {name: [] for name in LINK_COLUMNS}
    for row, record in zip(rows, records):
        d = decisions[row]
        table["row_number"].append(row)
        table["record"].append(record)
        for name in LINK_COLUMNS[2:]:
            table[name].append(d.get(name))
    return Resolution(pa.table(table, schema=LINK_SCHEMA), dict(unreadable), model, warnings)


def _household_check(decision: dict, i: int, recs: _Side, customers: _Side, pos: dict[str, int], file: str) -> dict:
    """A probabilistic link whose names differ (Dice < HOUSEHOLD_NAME_DICE) and whose e-mails do not agree is listed
    for review instead: household members share a phone, a postcode and a family name, which the model (fitted on
    random pairs, where such agreement is rare) takes as strong evidence of one person."""
    if decision["status"] != "linked" or not recs.grams["name"][i]:
        return decision
    c = pos[decision["customer_id"]]
    name = dice(recs.grams["name"][i], customers.grams["name"][c])
    email = bool(recs.keys["email"][i] & customers.keys["email"][c]) or \
        dice(recs.grams["email"][i], customers.grams["email"][c]) >= 0.8
    if name >= HOUSEHOLD_NAME_DICE or email:
        return decision
    return {**decision, "status": "review", "customer_id": None,
            "reason": f"{file + ', ' if file else ''}row {decision['row']}: uncertain match, listed for review (best "
                      f"candidate {decision['candidate_customer_id']}, p={decision['match_probability']:.3f}, but the "
                      f"names differ (Dice {name:.2f}) and the e-mails do not agree: a household member sharing the "
                      "phone?)"}


def _mark_conflicts(rows: list[int], recs: _Side, decisions: dict[int, dict]) -> None:
    """`conflict` on each decision: a customer linked from records whose e-mail or phone keys disagree (each such
    record), or a record not linked with a second candidate of probability >= SECOND_CANDIDATE (set by `_decide`)."""
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for i, row in enumerate(rows):
        d = decisions[row]
        if d["status"] == "linked":
            for kind in ("email", "phone"):
                seen[d["customer_id"]][kind] |= recs.keys[kind][i]
    clashing = {c for c, kinds in seen.items() if any(len(keys) > 1 for keys in kinds.values())}
    for d in decisions.values():
        d["conflict"] = bool(d.get("conflict")) or (d["status"] == "linked" and d["customer_id"] in clashing)


def _customer_side(index: pa.Table) -> _Side:
    by_customer: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    grams: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for customer, kind, key, text in zip(*(index.column(c).to_pylist() for c in ("customer_id", "kind", "key", "grams"))):
        by_customer[customer][kind].add(key)
        if text and kind not in grams[customer]:
            grams[customer][kind] = gram_list(text)
    ids = sorted(by_customer)
    return _Side(ids, {k: [by_customer[c].get(k, set()) for c in ids] for k in KINDS},
                 {k: [grams[c].get(k, []) for c in ids] for k in ("name", "email")})


def _record_side(rows: list[int], values: dict[str, list], identity: Identity) -> tuple[_Side, dict[str, int]]:
    keys, grams, unreadable = {}, {}, {}
    for kind, raw in values.items():
        encoded = encode(identity.keys, kind, raw, identity.phone_region)
        keys[kind] = [{k} if k else set() for k in encoded.keys]
        if kind in ("name", "email"):
            grams[kind] = [g or [] for g in encoded.grams]
        unreadable[kind] = encoded.unreadable
    for kind in KINDS:
        keys.setdefault(kind, [set() for _ in rows])
    for kind in ("name", "email"):
        grams.setdefault(kind, [[] for _ in rows])
    return _Side([str(r) for r in rows], keys, grams), unreadable


def _by_rule(i: int, recs: _Side, customers: _Side, lookup: dict) -> tuple[str, str] | None:
    """(rule, customer) when a deterministic rule names exactly one customer; None otherwise."""
    for kind, rule in (("email", "rule:email"), ("external_id", "rule:external_id")):
        for key in recs.keys[kind][i]:
            found = lookup[kind].get(key, set())
            if len(found) == 1:
                return rule, next(iter(found))
    phone_keys = recs.keys["phone"][i]
    name = recs.grams["name"][i]
    if phone_keys and name:
        sharing = set().union(*(lookup["phone"].get(k, set()) for k in phone_keys))
        close = [c for c in sharing if dice(name, customers.grams["name"][lookup["_pos"][c]]) >= NAME_RULE_DICE]
        if len(close) == 1:
            return "rule:phone+name", close[0]
    return None


def _lookups(customers: _Side) -> dict:
    """key -> customers holding it, per kind, and customer -> position."""
    lookup: dict = {"_pos": {c: i for i, c in enumerate(customers.ids)}}
    for kind in ("email", "external_id", "phone"):
        table: dict[str, set[str]] = defaultdict(set)
        for customer, keys in zip(customers.ids, customers.keys[kind]):
            for key in keys:
                table[key].add(customer)
        lookup[kind] = table
    return lookup


def _decide(candidates: list[tuple[float, float, str]], identity: Identity, file: str, row: int) -> dict:
    """The decision from the scored candidates (probability, weight, customer), best first."""
    where = f"{file}, row {row}" if file else f"row {row}"
    if not candidates:
        return {"status": "unmatched", "method": FELLEGI_SUNTER,
                "reason": f"{where}: no customer matched (no candidate shares a blocking key)"}
    p, weight, best = candidates[0]
    second = candidates[1] if len(candidates) > 1 else None
    out = {"method": FELLEGI_SUNTER, "match_weight": weight, "match_probability": p, "candidate_customer_id": best,
           "row": row}
    if p >= identity.match_probability:
        return {**out, "status": "linked", "customer_id": best}
    two = second is not None and second[0] >= SECOND_CANDIDATE
    also = f"; a second candidate {second[2]} has p={second[0]:.3f}" if two else ""
    out["conflict"] = two
    if p >= identity.review_probability:
        return {**out, "status": "review",
                "reason": f"{where}: uncertain match, listed for review (best candidate {best}, p={p:.3f}{also})"}
    return {**out, "status": "unmatched",
            "reason": f"{where}: no customer matched (best candidate {best}, p={p:.3f}{also})"}


# ----------------------------------------------------------------------------------------- Fellegi-Sunter (Splink)

def _frame(side: _Side, kinds: list[str]) -> pa.Table:
    """One row per entity: unique_id, the first key per kind, and the grams of names and e-mails."""
    cols: dict[str, list] = {"unique_id": side.ids}
    for kind in kinds:
        cols[kind] = [min(keys) if keys else None for keys in side.keys[kind]]
    for kind in ("name", "email"):
        if kind in kinds:
            cols[f"{kind}_grams"] = [g or None for g in side.grams[kind]]
    schema = pa.schema([(n, pa.list_(pa.int64()) if n.endswith("_grams") else pa.string()) for n in cols])
    return pa.table(cols, schema=schema)


def _dice_sql(column: str) -> str:
    # Dice coefficient of two keyed bigram sets (Dice 1945; PPRL: Schnell, Bachteler & Reiher 2009)
    return f"(2.0 * len(list_intersect({column}_l, {column}_r)) / (len({column}_l) + len({column}_r)))"


def _comparisons(kinds: list[str]) -> list:
    import splink.comparison_library as cl

    def null(column: str) -> dict:
        return {"sql_condition": f"{column}_l IS NULL OR {column}_r IS NULL", "label_for_charts": "missing",
                "is_null_level": True}

    def level(sql: str, label: str, m: float) -> dict:
        return {"sql_condition": sql, "label_for_charts": label, "m_probability": m}

    out = []
    for kind in kinds:
        levels = [null(kind), level(f"{kind}_l = {kind}_r", "same key", 0.8)]
        if kind == "email":
            levels = [null("email"), levels[1], level(f"{_dice_sql('email_grams')} >= 0.8", "e-mail grams dice >= 0.8", 0.1)]
        if kind == "name":
            dice_sql = _dice_sql("name_grams")
            levels = [null("name_grams"), level(f"{dice_sql} >= 0.92", "name dice >= 0.92", 0.75),
                      level(f"{dice_sql} >= 0.75", "name dice >= 0.75", 0.12),
                      level(f"{dice_sql} >= 0.5", "name dice >= 0.5", 0.08)]
        levels.append(level("ELSE", "different", 0.05))
        out.append(cl.CustomComparison(comparison_levels=levels, output_column_name=kind))
    return out


def _fellegi_sunter(customers: _Side, recs: _Side, rows: list[int],
                    identity: Identity) -> tuple[dict[str, list[tuple[float, float, str]]], dict, list[str]]:
    """Record -> its scored candidates (probability, weight, customer), best first; the fitted m and u; warnings."""
    import duckdb
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    kinds = [k for k in ("email", "phone", "postcode", "external_id", "name")
             if k in customers.keys and k in recs.keys and any(customers.keys[k]) and any(recs.keys[k])]
    if not kinds:
        return {}, {}, ["identity: the records and the customers share no identifier kind; nothing could be compared"]
    blocking = [block_on(k) for k in kinds]
    settings = SettingsCreator(
        link_type="link_only", comparisons=_comparisons(kinds), blocking_rules_to_generate_predictions=blocking,
        # prior: each record is one of the customers (Fellegi & Sunter's lambda over all record-customer pairs)
        probability_two_random_records_match=min(0.5, 1.0 / max(len(customers.ids), 2)),
        retain_intermediate_calculation_columns=False, retain_matching_columns=False)
    con = duckdb.connect(":memory:")
    con.execute("SET threads = 1")  # Splink's random sampling of u is reproducible only on one thread
    warnings: list[str] = []
    logging.getLogger("splink").setLevel(logging.ERROR)
    try:
        db = DuckDBAPI(con)
        left = db.register(_frame(customers, kinds), dataset_display_name="customers")
        right = db.register(_frame(recs, kinds), dataset_display_name="records")
        linker = Linker([left, right], settings, log_level=logging.ERROR)
        pairs = len(customers.ids) * len(rows)
        linker.training.estimate_u_using_random_sampling(max_pairs=min(3e5, max(1e4, pairs / 4)), seed=20)
        for k in [k for k in ("postcode", "phone", "email") if k in kinds]:
            try:  # each pass learns the m of the comparisons other than its blocking key
                linker.training.estimate_parameters_using_expectation_maximisation(block_on(k))
            except Exception as exc:  # noqa: BLE001 - Splink raises bare Exceptions when a block has too few pairs
                warnings.append(f"identity: m probabilities not re-estimated on pairs sharing {k} ({exc}); the starting "
                                "values stay; load more records to fit them")
        predicted = linker.inference.predict(threshold_match_probability=0.001)
        frame = predicted.as_pandas_dataframe()
        model = {c["output_column_name"]: [{"level": lv.get("label_for_charts"), "m": lv.get("m_probability"),
                                            "u": lv.get("u_probability")} for lv in c["comparison_levels"]]
                 for c in linker.misc.save_model_to_json()["comparisons"]}
    finally:
        con.close()
    scored: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    customers_left = frame["source_dataset_l"].astype(str).eq("customers")
    for on_left, a, b, p, w in zip(customers_left, frame["unique_id_l"], frame["unique_id_r"],
                                   frame["match_probability"], frame["match_weight"]):
        customer, record = (a, b) if on_left else (b, a)
        scored[str(record)].append((float(p), float(w), str(customer)))
    return {record: _competing(candidates) for record, candidates in scored.items()}, model, warnings


def _competing(candidates: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """The candidates' probabilities given that a record is at most one customer, best first.

    Splink scores each pair alone: posterior odds_i = prior odds x Bayes factor_i. The hypotheses "the record is
    candidate i" and "it is none of them" exclude each other, so by Bayes' rule P_i = odds_i / (1 + sum_j odds_j):
    two family members that both look likely share the probability instead of both passing the threshold.
    """
    odds = [math.exp2(min(w, 1000.0)) for _, w, _ in candidates]
    total = 1.0 + sum(odds)
    out = [(o / total, math.log2(o / (total - o)) if total > o else math.inf, c) for o, (_, _, c) in zip(odds, candidates)]
    return sorted(out, key=lambda c: (-c[0], c[2]))
