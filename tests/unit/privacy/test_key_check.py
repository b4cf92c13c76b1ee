"""The store remembers which key its keyed values were made with: a load with another key is refused, while a
store that holds no keyed values (e.g. the demo, whose files have no identifier columns) may get a new key."""

from __future__ import annotations

import pytest

from cxlens.errors import ConfigError
from cxlens.privacy import KEY_ENV
from cxlens.privacy.keys import DEFAULT_KEY_FILE, KEY_CHECK, create_key_file, key_check
from test_pseudonymise import CUSTOMERS, workspace, write

PLAIN = "customer_id,segment\nC1,family\nC2,value\n"


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)


def test_a_load_with_another_key_is_refused_once_values_were_keyed(tmp_path):
    ws = workspace(tmp_path / "ws")
    ws.load(write(tmp_path / "c.csv", CUSTOMERS), "customers")
    key_file = tmp_path / "ws" / DEFAULT_KEY_FILE
    with ws.store() as store:
        first = store.meta(KEY_CHECK)
    assert first is not None and len(first) == 16
    key_file.unlink()
    create_key_file(key_file)  # a new key in place of the lost one
    with pytest.raises(ConfigError, match="keyed with another pseudonymisation key"):
        ws.load(tmp_path / "c.csv", "customers")
    with ws.store() as store:
        assert store.meta(KEY_CHECK) == first  # nothing recorded over it


def test_a_store_without_keyed_values_takes_a_new_key(tmp_path):
    ws = workspace(tmp_path / "ws")
    ws.load(write(tmp_path / "plain.csv", PLAIN), "customers")  # no identifier column: nothing keyed
    with ws.store() as store:
        assert store.meta(KEY_CHECK) is None
    (tmp_path / "ws" / DEFAULT_KEY_FILE).unlink()
    assert ws.ensure_pseudonym_key() == tmp_path / "ws" / DEFAULT_KEY_FILE  # made afresh, no error
    report = ws.load(write(tmp_path / "c.csv", CUSTOMERS), "customers")
    assert report.keyed
    with ws.store() as store:
        assert store.meta(KEY_CHECK) == key_check(ws.pseudonymiser().key)
