"""Read a source file (CSV, Parquet, JSON Lines, Excel) into a DuckDB view, failing whole or not at all.

CSV is read as text so that a bad value reaches validation (and quarantine) instead of failing the
read; Parquet keeps its types. Errors name the file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from cxlens.errors import InputFileError, first_line
from cxlens.store.sql import ident, literal

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".xlsx": "excel", ".xlsm": "excel"}


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputFileError(str(path), f"unknown file type '{path.suffix}'; use CSV, Parquet, JSON Lines or Excel (.xlsx)")
    return fmt


def read_source(con: duckdb.DuckDBPyConnection, path: str | Path, view: str, encoding: str = "utf-8") -> list[str]:
    """Create temp view `view` over the file; return its column names. Raises InputFileError."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(str(path), "file not found")
    fmt = file_format(path)
    quoted = literal(str(path))
    if fmt == "csv":
        _check_encoding(path, encoding)
        sql = (f"SELECT * FROM read_csv({quoted}, all_varchar=true, header=true, encoding={literal(encoding)}, "
               "strict_mode=false)")
    elif fmt == "parquet":
        sql = f"SELECT * FROM read_parquet({quoted})"
    elif fmt == "jsonl":
        sql = f"SELECT * FROM read_json({quoted}, format='newline_delimited')"
    else:
        con.register(f"{view}_arrow", _read_excel(path))
        sql = f"SELECT * FROM {ident(view + '_arrow')}"
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {ident(view)} AS {sql}")
        return [d[0] for d in con.execute(f"SELECT * FROM {ident(view)} LIMIT 0").description]
    except duckdb.Error as exc:
        raise InputFileError(str(path), f"cannot be read as {fmt}: {first_line(exc)}") from exc


def _check_encoding(path: Path, encoding: str) -> None:
    """Fail early and clearly on a file that is not in the stated encoding (DuckDB's error is cryptic)."""
    if encoding.lower().replace("-", "") not in ("utf8", "utf8bom"):
        return
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a multi-byte character cut at the sample's end is fine
            line = head[: exc.start].count(b"\n") + 1
            raise InputFileError(str(path), f"is not UTF-8 (invalid byte at line {line}); pass --encoding latin-1 or re-save as UTF-8") from exc


def _read_excel(path: Path):
    """First worksheet as an all-text Arrow table (Excel cells are typed loosely)."""
    import pandas as pd
    import pyarrow as pa

    try:
        frame = pd.read_excel(path, dtype=str, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        raise InputFileError(str(path), f"cannot be read as Excel: {exc}") from exc
    return pa.Table.from_pandas(frame.astype("string"), preserve_index=False)

