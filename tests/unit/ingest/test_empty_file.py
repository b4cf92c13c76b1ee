"""An empty file says it is empty, not `required column missing (columns found: column0)`."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxlens.errors import InputFileError
from cxlens.ingest import load
from cxlens.store import Store


@pytest.mark.parametrize("name, content", [("empty.csv", b""), ("blank.csv", b"\n \r\n\n"), ("bom.csv", b"\xef\xbb\xbf\n"),
                                           ("empty.jsonl", b""), ("empty.parquet", b"")])
def test_an_empty_file_is_refused_as_empty(tmp_path: Path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    with Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}", migrate=True) as store:
        with pytest.raises(InputFileError) as caught:
            load(store, path, "customers")
        assert store.count("customers") == 0 and store.count("loads") == 0
    message = str(caught.value)
    assert message.startswith(f"{path}: the file is empty") and "column0" not in message, message


def test_a_header_without_rows_is_not_empty(tmp_path: Path):
    path = tmp_path / "header.csv"
    path.write_text("customer_id,segment\n", encoding="utf-8")
    with Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}", migrate=True) as store:
        assert load(store, path, "customers").rows_read == 0
