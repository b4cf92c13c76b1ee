"""Workspace config, journey map validation and schema migrations."""

from __future__ import annotations

import json

import pytest

from cxlens.errors import ConfigError, StoreError
from cxlens.ingest import sync_journey
from cxlens.model.journey import read_journey
from cxlens.model import SCHEMA_VERSION
from cxlens.store import Store
from cxlens.store.migrations import current_version
from cxlens.workspace import Workspace, init


def test_init_writes_a_config_and_a_journey_template_that_validates(tmp_path):
    init(tmp_path / "ws")
    ws = Workspace.open(tmp_path / "ws")
    assert ws.store_url == f"duckdb:///{tmp_path / 'ws' / 'cx.duckdb'}"
    assert ws.min_n == 30
    journey = read_journey(ws.journey_path)
    assert journey.touchpoints[0].id == "store_visit"
    with pytest.raises(ConfigError, match="already exists"):
        init(tmp_path / "ws")


def test_a_folder_without_config_is_explained(tmp_path):
    with pytest.raises(ConfigError, match="cxlens init"):
        Workspace.open(tmp_path)


@pytest.mark.parametrize("yaml_text, message", [
    ("touchpoints:\n  - {id: a, name: A, stage: nowhere}\n", "stage 'nowhere'"),
    ("touchpoints:\n  - {id: a, name: A, stage: usage}\n  - {id: a, name: B, stage: usage}\n", "duplicate touchpoint"),
    ("touchpoints:\n  - {id: a, name: A, stage: usage, targets: {happiness: 3}}\n", "unknown metric"),
    ("touchpoints:\n  - {id: a, name: A, stage: usage, colour: red}\n", "colour"),
    ("touchpoints: [\n", "not valid YAML"),
])
def test_invalid_journey_maps_name_the_problem(tmp_path, yaml_text, message):
    path = tmp_path / "journey.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError, match=message) as err:
        read_journey(path)
    assert "journey.yaml" in str(err.value)


def test_journey_rows_carry_stage_order_targets_and_self_rating(tmp_path):
    path = tmp_path / "journey.yaml"
    path.write_text("stages: [purchase, usage]\ntouchpoints:\n"
                    "  - {id: a, name: A, stage: usage, moment_of_truth: true, targets: {nps: 20}, self_rating: {csat: 4.6}}\n")
    row = read_journey(path).rows()[0]
    assert row["stage_order"] == 1 and row["moment_of_truth"] is True
    assert json.loads(row["targets"]) == {"nps": 20} and json.loads(row["self_rating"]) == {"csat": 4.6}
    store = Store.open("duckdb:///:memory:")
    assert sync_journey(store, read_journey(path)) == 1
    assert sync_journey(store, read_journey(path)) == 1  # replaces, never duplicates
    assert store.count("touchpoints") == 1


def test_a_new_store_is_at_the_current_schema_version_and_reopening_keeps_data(tmp_path):
    url = f"duckdb:///{tmp_path / 'cx.duckdb'}"
    with Store.open(url) as store:
        assert current_version(store) == SCHEMA_VERSION
        store.duckdb.execute("INSERT INTO customers (customer_id) VALUES ('C1')")
    with Store.open(url) as store:
        assert store.count("customers") == 1


def test_a_store_newer_than_the_code_is_refused(tmp_path):
    url = f"duckdb:///{tmp_path / 'cx.duckdb'}"
    with Store.open(url) as store:
        store.duckdb.execute(f"UPDATE cxlens_meta SET value = '{SCHEMA_VERSION + 1}' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer than this cxlens"):
        Store.open(url)


def test_an_unknown_store_url_is_refused():
    with pytest.raises(StoreError, match="nonsense://nowhere"):
        Store.open("nonsense://nowhere")


def test_a_version_1_store_is_migrated_to_the_current_version_keeping_its_data(tmp_path):
    url = f"duckdb:///{tmp_path / 'cx.duckdb'}"
    with Store.open(url) as store:
        store.duckdb.execute("INSERT INTO customers (customer_id) VALUES ('C1')")
        store.duckdb.execute("DROP TABLE notes")  # what a store written by schema version 1 looks like
        store.duckdb.execute("DROP TABLE comment_analysis")
        store.duckdb.execute("UPDATE cxlens_meta SET value = '1' WHERE key = 'schema_version'")
    with Store.open(url) as store:
        assert current_version(store) == SCHEMA_VERSION  # v2 adds the tables back, v3 finds `aspect` already there
        assert store.count("customers") == 1 and store.count("notes") == 0 and store.count("comment_analysis") == 0


def test_relative_store_paths_resolve_against_the_workspace_not_the_current_directory(tmp_path):
    init(tmp_path / "a", store_url="spark://local[2]?warehouse=lake&partitions=4")
    assert Workspace.open(tmp_path / "a").store_url == f"spark://local[2]?warehouse={tmp_path / 'a' / 'lake'}&partitions=4"
    init(tmp_path / "b", store_url="spark://local[2]?warehouse=/abs/lake")
    assert Workspace.open(tmp_path / "b").store_url == "spark://local[2]?warehouse=/abs/lake"
