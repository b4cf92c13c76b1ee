"""Store URLs pick the engine; the schema is created and versioned on every engine; external Parquet
tables are read in place; Spark stores keep no state outside their warehouse folder."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from engine_fixtures import engine_store, engine_url, make_url  # noqa: F401  (fixtures)

from cxlens.errors import StoreError
from cxlens.model import SCHEMA_VERSION, SYSTEM_TABLES, TABLES, table
from cxlens.store import Store
from cxlens.store.backends import connect
from cxlens.store.backends.spark import spark_params
from cxlens.query import Scope


def test_an_unknown_url_says_which_urls_work():
    with pytest.raises(StoreError, match="duckdb:///file, spark://local"):
        Store.open("cx.duckdb")


def test_a_failed_connection_does_not_print_the_password():
    with pytest.raises(StoreError) as err:
        Store.open("postgres://alice:s3cret@127.0.0.1:1/none")
    assert "s3cret" not in str(err.value) and "alice:***@" in str(err.value)


def test_spark_urls_name_the_master_and_options():
    assert spark_params("spark://local[*]") == ("local[*]", {})
    assert spark_params("spark://head:7077?warehouse=s3a://lake/cx&partitions=200") == \
        ("spark://head:7077", {"warehouse": "s3a://lake/cx", "partitions": "200"})


def test_a_new_store_has_every_table_empty_and_the_current_schema_version(engine_store):
    for name in [*TABLES, *SYSTEM_TABLES]:
        assert engine_store.count(name) == 0, name
        assert list(engine_store.table(name).columns) == [c for c, _ in _columns(name)], name
    assert engine_store.backend.read_version() == SCHEMA_VERSION


def test_reopening_a_store_keeps_its_version_and_does_not_migrate_again(engine_url):
    Store.open(engine_url).close()
    with Store.open(engine_url, migrate=False) as store:
        assert store.backend.read_version() == SCHEMA_VERSION
        assert store.count("responses") == 0


def _version_2_store(url: str, folder: Path, monkeypatch) -> None:
    """A store as cxlens at schema version 2 wrote it (responses without `aspect`), holding two answers."""
    from dataclasses import replace

    from conftest import TINY_CUSTOMERS, TINY_JOURNEY
    from cxlens.ingest import load, sync_journey
    from cxlens.model.journey import read_journey
    from cxlens.store import migrations

    old = replace(TABLES["responses"], columns=tuple(c for c in TABLES["responses"].columns if c.name != "aspect"))
    with monkeypatch.context() as patch:
        patch.setitem(TABLES, "responses", old)
        patch.setattr(migrations, "SCHEMA_VERSION", 2)
        with Store.open(url) as store:
            assert list(store.table("responses").columns) == list(old.names)
            journey = folder / "journey.yaml"
            journey.write_text(TINY_JOURNEY, encoding="utf-8")
            sync_journey(store, read_journey(journey))
            (folder / "customers.csv").write_text(TINY_CUSTOMERS, encoding="utf-8")
            load(store, folder / "customers.csv", "customers")
            (folder / "old.csv").write_text("response_id,customer_id,ts,touchpoint_id,metric,score\n"
                                            "R1,C1,2024-01-05 10:00:00,shop,csat,4\n"
                                            "R2,C2,2024-02-05 10:00:00,shop,expectation,5\n", encoding="utf-8")
            assert load(store, folder / "old.csv", "responses").inserted == 2
            assert store.backend.read_version() == 2


def test_a_version_2_store_gains_an_empty_aspect_column_and_keeps_its_answers(engine_url, tmp_path, monkeypatch):
    from cxlens.ingest import load
    from cxlens.metrics import csat_by

    folder = tmp_path / "files"
    folder.mkdir()
    _version_2_store(engine_url, folder, monkeypatch)
    with Store.open(engine_url) as store:
        assert store.backend.read_version() == SCHEMA_VERSION >= 3
        responses = store.table("responses")
        assert list(responses.columns) == list(TABLES["responses"].names)
        rows = responses.select("response_id", "score", "aspect").order_by("response_id").execute()
        assert rows["response_id"].tolist() == ["R1", "R2"] and rows["score"].tolist() == [4.0, 5.0]
        assert rows["aspect"].isna().all()
        # The migrated store takes aspect answers, also in a month whose old files lack the column (R1 updated).
        (folder / "new.csv").write_text("response_id,customer_id,ts,touchpoint_id,metric,score,aspect\n"
                                        "R1,C1,2024-01-05 10:00:00,shop,csat,3,\n"
                                        "R3,C3,2024-01-06 10:00:00,shop,csat,2,emotional\n", encoding="utf-8")
        r = load(store, folder / "new.csv", "responses")
        assert (r.inserted, r.updated, r.quarantined) == (1, 1, 0)
        got = csat_by(store, Scope(by=("aspect",)), min_n=1)
        assert dict(zip(got["aspect"], got["csat"])) == {"emotional": 2.0, "overall": 3.0}
    with Store.open(engine_url) as store:  # reopening does not migrate again
        assert store.backend.read_version() == SCHEMA_VERSION
        assert store.count("responses") == 3


def _columns(name: str) -> list[tuple[str, str]]:
    return table(name).ddl


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    """A Hive-partitioned Parquet folder of responses, as another pipeline would leave it."""
    folder = tmp_path / "lake" / "responses"
    folder.parent.mkdir(parents=True)
    duckdb.sql(f"""COPY (SELECT 'R' || i AS response_id, 'C' || (i % 3) AS customer_id,
                   TIMESTAMP '2024-01-01' + INTERVAL (i) DAY AS ts, 'shop' AS touchpoint_id, 'nps' AS metric,
                   (i % 11)::DOUBLE AS score, NULL::VARCHAR AS comment, NULL::VARCHAR AS language,
                   strftime(TIMESTAMP '2024-01-01' + INTERVAL (i) DAY, '%Y') AS year
                   FROM range(400) t(i)) TO '{folder}' (FORMAT parquet, PARTITION_BY (year))""")
    return folder


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_external_parquet_folders_are_read_in_place(engine, lake, tmp_path):
    url = make_url(engine, tmp_path / engine)
    with Store.open(url, external_tables={"responses": {"path": str(lake)}}) as store:
        assert store.count("responses") == 400
        per_year = store.execute(store.table("responses").group_by("year").aggregate(n=store.table("responses").count()))
        assert dict(zip(per_year["year"].astype(str), per_year["n"])) == {"2024": 366, "2025": 34}
        assert store.count("customers") == 0  # the other tables are still the store's own


def test_external_tables_on_postgres_are_refused_with_a_reason():
    from cxlens.store.backends.postgres import PostgresBackend

    with pytest.raises(StoreError, match="not supported on postgres"):
        PostgresBackend("postgres://nowhere/db", None).register_external("responses", {"path": "/lake/responses"})


def test_an_external_table_in_an_unknown_format_is_refused():
    backend = connect("duckdb://")
    with pytest.raises(StoreError, match="format 'csv' is not supported; use parquet or delta"):
        backend.register_external("responses", {"path": "/x", "format": "csv"})
    backend.close()


def test_a_missing_external_folder_names_the_table_and_path(tmp_path):
    with pytest.raises(StoreError, match="external table 'responses'.*nowhere"):
        Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}", external_tables={"responses": {"path": str(tmp_path / "nowhere.parquet")}})


@pytest.mark.spark
def test_two_spark_stores_in_one_process_do_not_see_each_others_tables(tmp_path):
    a = Store.open(make_url("spark", tmp_path / "a"))
    b = Store.open(make_url("spark", tmp_path / "b"))
    import pyarrow as pa

    row = {c: [None] for c, _ in _columns("touchpoints")}
    row.update(touchpoint_id=["shop"], name=["Shop"], stage=["purchase"])
    a.replace_rows("touchpoints", pa.table(row))
    assert (a.count("touchpoints"), b.count("touchpoints")) == (1, 0)
    a.close()
    b.close()


@pytest.mark.spark
def test_spark_settings_in_the_store_url_reach_the_session_and_stay_per_store(tmp_path):
    """`spark.*` query parameters are session settings (tuning without code); each store keeps its own."""
    tuned = Store.open(make_url("spark", tmp_path / "a") + "&spark.sql.shuffle.partitions=3&spark.sql.ansi.enabled=false")
    plain = Store.open(make_url("spark", tmp_path / "b"))
    try:
        assert tuned.backend.session.conf.get("spark.sql.shuffle.partitions") == "3"
        assert tuned.backend.session.conf.get("spark.sql.ansi.enabled") == "false"
        assert plain.backend.session.conf.get("spark.sql.shuffle.partitions") != "3"
    finally:
        tuned.close()
        plain.close()
