"""Loading through identity resolution: the index written by a customers load, a survey without customer ids
resolved to customers (long and wide mappings), quarantine reasons, `identity_links`, transactions, erasure."""

from __future__ import annotations

import json

import pytest

from identity_fixtures import identity_workspace, planted, precision_recall, write_csv, RECORD_COLUMNS

from cxlens.errors import ConfigError, InputFileError
from cxlens.ingest.load import load
from cxlens.ingest.mapping import read_mapping
from cxlens.workspace import Workspace


@pytest.fixture
def planted_files():
    return planted(n_customers=200, n_records=120, seed=3)


def _rows(ws: Workspace, name: str) -> list[dict]:
    with ws.store() as store:
        return store.to_pyarrow(store.table(name)).to_pylist()


def _loaded(tmp_path, planted_files, wide: bool = False) -> tuple[Workspace, dict]:
    customers, records, truth = planted_files
    root = identity_workspace(tmp_path / "ws", customers, records, wide=wide)
    ws = Workspace.open(root)
    report = ws.load(root / "customers.csv", "customers")
    assert report.identity["customers"] == len(customers)
    return ws, truth


@pytest.mark.parametrize("wide", [False, True], ids=["long", "wide"])
def test_survey_rows_reach_their_customers_through_identity_resolution(tmp_path, planted_files, wide):
    ws, truth = _loaded(tmp_path, planted_files, wide)
    report = ws.load(ws.root / "survey.csv", "responses", ws.root / "survey.yaml")
    links = _rows(ws, "identity_links")
    assert len(links) == len(truth) == report.identity["records"]
    precision, recall = precision_recall(links, truth)
    assert precision >= 0.99 and recall >= 0.8, (precision, recall)
    linked = {r["record"]: r["customer_id"] for r in links if r["status"] == "linked"}
    stored = {r["response_id"].split(":")[0]: r["customer_id"] for r in _rows(ws, "responses")}
    assert stored == linked  # each answer carries the customer its row was linked to, and only linked rows load
    assert report.inserted == len(linked) and report.quarantined == len(truth) - len(linked)


def test_rows_not_linked_are_quarantined_with_the_reason_and_no_raw_identifier(tmp_path, planted_files):
    ws, truth = _loaded(tmp_path, planted_files)
    ws.load(ws.root / "survey.csv", "responses", ws.root / "survey.yaml")
    quarantined = ws.quarantined("responses", limit=None)
    links = {r["row_number"]: r for r in _rows(ws, "identity_links")}
    assert quarantined and all(q["field"] == "customer_id" for q in quarantined)
    for q in quarantined:
        link = links[q["row_number"]]
        assert link["status"] in ("review", "unmatched")
        assert q["reason"].startswith(f"{ws.root / 'survey.csv'}, row {q['row_number']}: ")
        assert ("uncertain match, listed for review" if link["status"] == "review" else "no customer matched") in q["reason"]
    outsiders = [r for r in links.values() if truth[r["record"]] is None]
    assert outsiders and all(r["status"] != "linked" for r in outsiders)
    # Only keyed values are stored: no raw e-mail, phone or name of the survey anywhere in quarantine or the index.
    raw = " ".join(json.dumps(q) for q in ws.quarantined(limit=None)) + json.dumps(_rows(ws, "identity_keys"))
    _, records, _ = planted_files
    assert not any(r["RespondentEmail"] and r["RespondentEmail"] in raw for r in records)
    # A phone as written and as its digits (10+ digits: a shorter fragment such as "07700" turns up by chance in
    # the hex of keyed values, which once failed CI with nothing leaked).
    phones = [r["RespondentPhone"] for r in records if r["RespondentPhone"]]
    digits = ["".join(c for c in phone if c.isdigit()) for phone in phones]
    assert phones and not any(p in raw for p in phones) and not any(d in raw for d in digits if len(d) >= 10)
    assert "Smith" not in raw


def test_a_failing_load_leaves_the_index_and_the_link_tables_as_they_were(tmp_path, planted_files):
    ws, _ = _loaded(tmp_path, planted_files)
    ws.load(ws.root / "survey.csv", "responses", ws.root / "survey.yaml")
    before = {t: _rows(ws, t) for t in ("identity_keys", "identity_links", "responses", "quarantine")}
    customers, records, _ = planted_files
    write_csv(ws.root / "survey.csv", records[:10], RECORD_COLUMNS)
    (ws.root / "customers.csv").write_text("customer_id,email\nC0000,changed@example.com\n", encoding="utf-8")

    def boom():
        raise RuntimeError("disk full")

    secret = ws._identity_secret(ws.pseudonymiser())
    with ws.store(migrate=True) as store:
        for path, kind, mapping in ((ws.root / "survey.csv", "responses", read_mapping(ws.root / "survey.yaml")),
                                    (ws.root / "customers.csv", "customers", None)):
            with pytest.raises(RuntimeError, match="disk full"):
                load(store, path, kind, mapping, pseudonymiser=ws.pseudonymiser(), identity=ws._identity(secret),
                     _before_commit=boom)
    assert {t: _rows(ws, t) for t in before} == before


def test_a_customers_reload_replaces_that_customers_keys(tmp_path, planted_files):
    ws, _ = _loaded(tmp_path, planted_files)
    keys = [r for r in _rows(ws, "identity_keys") if r["customer_id"] == "C0000"]
    assert {r["kind"] for r in keys} == {"name", "email", "phone", "postcode"}
    (ws.root / "c2.csv").write_text("customer_id,email\nC0000,new.address@example.com\n", encoding="utf-8")
    ws.load(ws.root / "c2.csv", "customers")
    now = [r for r in _rows(ws, "identity_keys") if r["customer_id"] == "C0000"]
    assert [r["kind"] for r in now] == ["email"] and now[0]["key"] not in {r["key"] for r in keys}
    assert sum(r["customer_id"] == "C0001" for r in _rows(ws, "identity_keys")) == 4  # others untouched


def test_erasure_removes_a_customers_keys_and_every_link_naming_them(tmp_path, planted_files):
    ws, _ = _loaded(tmp_path, planted_files)
    ws.load(ws.root / "survey.csv", "responses", ws.root / "survey.yaml")
    links = _rows(ws, "identity_links")
    named = {r["candidate_customer_id"] for r in links if r["status"] != "linked" and r["candidate_customer_id"]}
    named |= {r["customer_id"] for r in links if r["status"] == "linked"}
    victim = sorted(named)[0]
    report = ws.forget([victim], by="test")
    assert report.rows_removed["identity_keys"] >= 1 and report.rows_removed["identity_links"] >= 1
    assert not any(victim in (r["customer_id"], r["candidate_customer_id"]) for r in _rows(ws, "identity_links"))
    assert not any(r["customer_id"] == victim for r in _rows(ws, "identity_keys"))


def test_identity_mapping_errors_name_the_file_and_the_field(tmp_path, planted_files):
    ws, _ = _loaded(tmp_path, planted_files)
    bad = {
        "both.yaml": ("identity: {email: RespondentEmail}\ncolumns: {customer_id: Id}\n", "identity: the mapping also names a customer_id"),
        "empty.yaml": ("identity: {record: ResponseId}\n", "identity: name at least one identifier column"),
        "typo.yaml": ("identity: {emial: RespondentEmail}\n", "identity.emial: unknown key; allowed: record, email"),
        "wide.yaml": ("constants: {ts: 2024-05-01}\nwide: {response_id: R, questions: [{column: N, metric: nps, touchpoint: app}]}\n",
                      "wide: name the respondent's customer id"),
    }
    for name, (text, message) in bad.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as err:
            read_mapping(tmp_path / name)
        assert str(err.value).startswith(str(tmp_path / name)) and message in str(err.value), str(err.value)
    (tmp_path / "missing.yaml").write_text("identity: {email: Mail}\ncolumns: {response_id: ResponseId, score: NPS}\n"
                                           "constants: {touchpoint_id: app, metric: nps, ts: 2024-05-01}\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        ws.load(ws.root / "survey.csv", "responses", tmp_path / "missing.yaml")
    assert "identity.email names column 'Mail'" in str(err.value) and "survey.csv" in str(err.value)


def test_resolving_before_any_customer_was_indexed_says_what_to_load_first(tmp_path, planted_files):
    customers, records, _ = planted_files
    ws = Workspace.open(identity_workspace(tmp_path / "ws", customers, records))
    with pytest.raises(InputFileError, match="load a customers file with e-mail, phone, name or postcode columns first"):
        ws.load(ws.root / "survey.csv", "responses", ws.root / "survey.yaml")


def test_identities_summary_counts_and_scores_against_a_truth_file(tmp_path, planted_files):
    ws, truth = _loaded(tmp_path, planted_files)
    ws.load(ws.root / "survey.csv", "responses", ws.root / "survey.yaml")
    (tmp_path / "truth.json").write_text(json.dumps({"identity": {"mapping": truth}}), encoding="utf-8")
    source = ws.identities(tmp_path / "truth.json")["sources"][0]
    links = _rows(ws, "identity_links")
    precision, recall = precision_recall(links, truth)
    assert source["records"] == len(truth) and source["precision"] == pytest.approx(precision)
    assert source["recall"] == pytest.approx(recall)
    assert source["linked"] == source["by_email"] + source["by_external_id"] + source["by_phone_name"] + source["by_probability"]
    assert source["customers"] == len({r["customer_id"] for r in links if r["status"] == "linked"})
    review = ws.identity_review()
    assert len(review) == source["review"] and all(r["candidate_customer_id"] for r in review)
