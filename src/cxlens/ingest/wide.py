"""Number a source's rows, add the mapping's generated ids, and unpivot a wide survey export.

A wide export (one row per respondent, one column per question) becomes one row per answered question.
The respondents' rows are materialised once as a temp table and every question reads that table: a view
over the file was re-read (and the CSV re-parsed) once per question, so the fixed cost grew with the
number of questions (see docs/architecture.md, D on the wide load).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from cxlens.errors import InputFileError, UsageError
from cxlens.ingest.mapping import Mapping, Question, template_columns
from cxlens.ingest.validate import column_sql, recode_sql, selection_sql
from cxlens.model import METRIC_SCALES, Table
from cxlens.store.sql import ident, literal


def number_rows(con: duckdb.DuckDBPyConnection, path: Path, table: Table, mapping: Mapping, source_cols: list[str],
                source_view: str, numbered_view: str, numbered: bool = False) -> int | None:
    """Create `numbered_view`: every source row with its 1-based data-row number `_row` (header excluded),
    the mapping's generated ids, and for wide files one row per answer. Returns the respondents of a wide file.

    Wide files keep each respondent's whole row as the struct `_src`, so a quarantined answer shows it.
    `numbered`: `source_view` has `_row` already, first (cxlens.ingest.readers.number_source; not for wide files).
    """
    rows = f"{numbered_view}_rows"
    src = "s AS _src, " if mapping.wide else ""
    ids = _generated_ids(mapping, path, source_cols)
    numbered = (f"SELECT s.* FROM {source_view} s" if numbered and not mapping.wide
                else f"SELECT row_number() OVER () AS _row, {src}s.* FROM {source_view} s")
    selected = selection_sql(mapping.where, source_cols, str(path))
    if selected:  # numbered first, so row numbers stay the file's
        numbered = f"SELECT * FROM ({numbered}) WHERE coalesce({selected}, false)"
    select = f"SELECT *{''.join(f', {sql} AS {ident(name)}' for name, sql in ids.items())} FROM ({numbered})"
    if not mapping.wide:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {rows} AS {select}")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {numbered_view} AS SELECT * FROM {rows}")
        return None
    if table.name != "responses":
        raise UsageError("kind", table.name, ("responses",), message=f"{path}: a wide mapping only applies to kind=responses")
    columns = [*source_cols, *ids]
    rows = f"{numbered_view}_respondents"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {rows} AS {select}")  # read once, not once per question
    wide = mapping.wide
    header = {name: _column(spec, columns, path) for name, spec in
              (("customer_id", wide.customer_id), ("ts", wide.ts), ("language", wide.language))}
    respondent = _column(wide.response_id, columns, path)
    parts = []
    for qn in wide.questions:
        _column(qn.column, columns, path)
        comment = _column(qn.comment, columns, path)
        score = _score_sql(qn, wide.missing, wide.scale)
        parts.append(
            f"SELECT _row, _src, CAST({respondent} AS VARCHAR) || ':' || {literal(qn.column)} AS response_id, "
            f"{header['customer_id']} AS customer_id, {header['ts']} AS ts, {literal(qn.touchpoint)} AS touchpoint_id, "
            f"{literal(qn.metric)} AS metric, {score} AS score, {comment} AS comment, {header['language']} AS language, "
            f"CAST({literal(qn.aspect) if qn.aspect else 'NULL'} AS VARCHAR) AS aspect "
            f"FROM {rows} WHERE {score} IS NOT NULL"
        )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {numbered_view} AS " + " UNION ALL ".join(parts))
    return con.execute(f"SELECT count(*) FROM {rows}").fetchone()[0]


def _column(spec: str | None, columns: list[str], path: Path) -> str:
    """SQL for a column the wide mapping names (or a template over columns); NULL when not named."""
    if spec is None:
        return "NULL"
    for name in template_columns(spec) or [spec]:
        if name not in columns:
            raise InputFileError(str(path), "column named in the wide mapping is missing from the file", name)
    return column_sql(spec, columns, str(path), "wide")


def _score_sql(qn: Question, default_missing: list[str], default_scale) -> str:
    """A question's answer as text: missing codes -> NULL (no answer), labels mapped, rescaled to its metric."""
    missing = qn.missing if qn.missing is not None else default_missing
    scale = qn.scale or default_scale
    lo, hi = METRIC_SCALES[qn.metric]
    return recode_sql(ident(qn.column), missing, qn.values, scale, (repr(float(lo)), repr(float(hi))))


def _generated_ids(mapping: Mapping, path: Path, source_cols: list[str]) -> dict[str, str]:
    """Generated id column -> SQL over the numbered rows (see the mapping module: `ids`).

    A row id is `<file stem>:<row>`: the same file gives the same ids on every load (rows are numbered in
    file order), so reloads update rather than duplicate and two loads of one file (customers, responses) agree.
    A hash id is the MD5 of the named columns' text, so it depends on the row's values only.
    """
    ids = {}
    for name, spec in mapping.ids.items():
        if name in source_cols:
            raise InputFileError(str(path), f"the mapping's ids: would add a column '{name}', but the file has one; "
                                 "choose another name", name)
        if spec == "row":
            ids[name] = f"{literal(path.stem + ':')} || CAST(_row AS VARCHAR)"
            continue
        for col in spec:
            if col not in source_cols:
                raise InputFileError(str(path), f"ids: {name} hashes column '{col}', but the file has no such column", col)
        parts = ", ".join(f"coalesce(CAST({ident(c)} AS VARCHAR), '')" for c in spec)
        ids[name] = f"md5(concat_ws('|', {parts}))"
    return ids
