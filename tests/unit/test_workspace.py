"""Workspace config, journey map validation and schema migrations."""

from __future__ import annotations

import json

import pytest

from cxlens.errors import ConfigError, StoreError
from cxlens.ingest import sync_journey
from cxlens.model.journey import read_journey
from cxlens.model import SCHEMA_VERSION
from cxlens.store import Store
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
        assert store.schema_version() == SCHEMA_VERSION
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
        assert store.schema_version() == SCHEMA_VERSION  # v2 adds the tables back, v3 finds `aspect` already there
        assert store.count("customers") == 1 and store.count("notes") == 0 and store.count("comment_analysis") == 0


def test_relative_store_paths_resolve_against_the_workspace_not_the_current_directory(tmp_path):
    init(tmp_path / "a", store_url="spark://local[2]?warehouse=lake&partitions=4")
    assert Workspace.open(tmp_path / "a").store_url == f"spark://local[2]?warehouse={tmp_path / 'a' / 'lake'}&partitions=4"
    init(tmp_path / "b", store_url="spark://local[2]?warehouse=/abs/lake")
    assert Workspace.open(tmp_path / "b").store_url == "spark://local[2]?warehouse=/abs/lake"


def _version_1_workspace(root):
    """A workspace whose store cxlens at schema version 1 wrote (no notes, no comment_analysis), holding a customer."""
    init(root)
    with Workspace.open(root).store(migrate=True) as store:
        store.duckdb.execute("INSERT INTO customers (customer_id) VALUES ('C1')")
        store.duckdb.execute("DROP TABLE notes")
        store.duckdb.execute("DROP TABLE comment_analysis")
        store.duckdb.execute("UPDATE cxlens_meta SET value = '1' WHERE key = 'schema_version'")
    return Workspace.open(root)


def test_analyses_refuse_an_old_store_and_migrate_brings_it_to_the_current_version(tmp_path):
    ws = _version_1_workspace(tmp_path / "ws")
    with pytest.raises(StoreError, match="cxlens migrate"):
        ws.store()
    assert ws.migrate() == (1, SCHEMA_VERSION)
    assert ws.migrate() == (SCHEMA_VERSION, SCHEMA_VERSION)
    with ws.store() as store:
        assert store.count("customers") == 1 and store.count("notes") == 0


def test_cxlens_migrate_on_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from cxlens.cli import app

    _version_1_workspace(tmp_path / "ws")
    runner = CliRunner()
    refused = runner.invoke(app, ["nps", "-w", str(tmp_path / "ws")])
    assert refused.exit_code == 1 and "cxlens migrate" in refused.output
    done = runner.invoke(app, ["migrate", "-w", str(tmp_path / "ws")])
    assert done.exit_code == 0 and f"from schema version 1 to {SCHEMA_VERSION}" in done.output
    after = runner.invoke(app, ["nps", "-w", str(tmp_path / "ws")])  # runs now: the store has a customer, no NPS answer
    assert after.exit_code == 3 and "no NPS answers in the store" in after.output, after.output


@pytest.mark.parametrize("toml, key", [
    ('[tables.foo]\npath = "/lake/foo"\n', "tables.foo"),
    ('[metrics]\nmin_n = "thirty"\n', "metrics.min_n"),
])
def test_an_invalid_cxlens_toml_is_a_config_error_naming_the_file_and_key(tmp_path, toml, key):
    init(tmp_path)
    (tmp_path / "cxlens.toml").write_text(toml)
    with pytest.raises(ConfigError, match=f"cxlens.toml: {key}:"):
        Workspace.open(tmp_path)


def test_create_with_an_unusable_store_url_leaves_no_workspace_behind(tmp_path):
    with pytest.raises(StoreError, match="unsupported store URL"):
        Workspace.create(tmp_path / "ws", store_url="nonsense")
    assert not (tmp_path / "ws" / "cxlens.toml").exists() and not (tmp_path / "ws" / "journey.yaml").exists()
    ws = Workspace.create(tmp_path / "ws")
    with ws.store() as store:  # created at the current version: analyses open it as it is
        assert store.count("customers") == 0


def test_load_syncs_the_journey_first_and_themes_fall_back_to_the_default(tmp_path):
    from conftest import TINY_CUSTOMERS, TINY_JOURNEY

    ws = Workspace.create(tmp_path / "ws")
    ws.journey_path.write_text(TINY_JOURNEY, encoding="utf-8")
    (tmp_path / "customers.csv").write_text(TINY_CUSTOMERS, encoding="utf-8")
    report = ws.load(tmp_path / "customers.csv", "customers")
    assert report.inserted == 8
    with ws.store() as store:
        assert store.count("touchpoints") == 3
    assert ws.themes().ids and not ws.themes_path.exists()
    assert ws.init_themes() == ws.themes_path and ws.themes().ids == ws.themes().ids
    with pytest.raises(ConfigError, match="exists"):
        ws.init_themes()
