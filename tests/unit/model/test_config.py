"""One config reader: YAML/TOML by suffix, pydantic validation, errors naming file, key and what is allowed."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict

from cxlens.errors import ConfigError
from cxlens.model.config import WorkspaceConfig, read_config


class Small(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    size: int = 1


def test_yaml_and_toml_read_into_the_same_model(tmp_path):
    (tmp_path / "a.yaml").write_text("name: x\nsize: 3\n")
    (tmp_path / "a.toml").write_text('name = "x"\nsize = 3\n')
    assert read_config(tmp_path / "a.yaml", Small) == read_config(tmp_path / "a.toml", Small) == Small(name="x", size=3)


@pytest.mark.parametrize("text, message", [
    ("name: x\ncolour: red\n", "colour: unknown key; allowed: name, size"),
    ("name: x\nsize: big\n", "size: Input should be a valid integer"),
    ("size: 2\n", "name: Field required"),
    ("name: [\n", "not valid YAML"),
])
def test_a_bad_config_names_the_file_and_the_key(tmp_path, text, message):
    path = tmp_path / "small.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="small.yaml") as err:
        read_config(path, Small)
    assert message in str(err.value)


def test_a_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        read_config(tmp_path / "nothing.toml", Small)


@pytest.mark.parametrize("toml, key, allowed", [
    ('[tables.foo]\npath = "/lake/foo"\n', "tables.foo", "customers, touchpoints, events"),
    ('[metrics]\nmin_n = "thirty"\n', "metrics.min_n", "a whole number >= 1"),
    ("[metrics]\nmin_n = 0\n", "metrics.min_n", "a whole number >= 1"),
    ('[store]\nurl = "duckdb:///x"\ncolour = "red"\n', "store.colour", "allowed: url"),
    ('[tables.events]\npath = "/lake/events"\nformat = "csv"\n', "tables.events.format", "'parquet' or 'delta'"),
    ('[tables.events]\nformat = "parquet"\n', "tables.events.path", "Field required"),
    ('[warehouse]\n', "warehouse", "allowed: store, metrics, privacy, value, identity, tables"),
])
def test_cxlens_toml_problems_name_the_file_the_key_and_the_allowed_values(tmp_path, toml, key, allowed):
    path = tmp_path / "cxlens.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        read_config(path, WorkspaceConfig)
    text = str(err.value)
    assert text.startswith(f"{path}: {key}:") and allowed in text, text


def test_cxlens_toml_defaults_and_external_tables():
    config = WorkspaceConfig.model_validate({"tables": {"events": {"path": "/lake/events", "format": "delta", "version": 4}}})
    assert config.store.url == "duckdb:///cx.duckdb" and config.metrics.min_n == 30
    assert config.external_tables() == {"events": {"path": "/lake/events", "format": "delta", "version": 4}}
