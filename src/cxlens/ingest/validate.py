"""Build the one SQL statement that types, checks and stages every row of a source.

Each canonical column becomes a typed expression plus zero or more checks; a check that fails
yields a {field, value, reason} struct, and a row with any such struct goes to quarantine. One
pass over the data, all rules at once, so validation costs little next to reading the file.
"""

from __future__ import annotations

from cxlens.errors import InputFileError
from cxlens.ingest.mapping import Mapping
from cxlens.model import METRIC_SCALES, Table

_TRUE = "'true','t','yes','y','1'"
_FALSE = "'false','f','no','n','0'"


def q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: object) -> str:
    """SQL literal for a mapping value."""
    if isinstance(value, bool):
        return "'true'" if value else "'false'"
    return "'" + str(value).replace("'", "''") + "'"


def source_expressions(table: Table, source_cols: list[str], mapping: Mapping, file: str) -> dict[str, str]:
    """Canonical column -> SQL expression over the source view (text or native type)."""
    exprs: dict[str, str] = {}
    lower = {c.lower(): c for c in source_cols}
    for col in table.columns:
        src = mapping.columns.get(col.name) or lower.get(col.name.lower())
        if col.name in mapping.constants:
            exprs[col.name] = lit(mapping.constants[col.name])
        elif src is not None:
            if src not in source_cols:
                raise InputFileError(file, f"mapping names source column '{src}' for '{col.name}', but the file has no such column", src)
            exprs[col.name] = q(src)
    if table.name == "events" and "event_id" not in exprs:
        # Derived key so that re-loading the same events is idempotent.
        parts = ", ".join(f"coalesce(CAST({exprs.get(c, 'NULL')} AS VARCHAR), '')" for c in ("customer_id", "ts", "touchpoint_id", "channel"))
        exprs["event_id"] = f"md5(concat_ws('|', {parts}))"
    missing = [c for c in table.required if c not in exprs]
    if missing:
        raise InputFileError(file, f"required column missing for {table.name} (columns found: {', '.join(source_cols)})", missing[0])
    if table.keeps_extra_columns:
        used = {v for v in mapping.columns.values()} | {c for c in source_cols if c.lower() in table.names}
        extra = [c for c in source_cols if c not in used]
        if extra:
            exprs["attributes"] = "to_json(struct_pack(" + ", ".join(f"{q(c)} := {q(c)}" for c in extra) + "))"
    for name, values in mapping.values.items():
        if name in exprs:
            cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in values.items())
            exprs[name] = f"(CASE CAST({exprs[name]} AS VARCHAR) {cases} ELSE CAST({exprs[name]} AS VARCHAR) END)"
    return exprs


def typed_expression(name: str, sql_type: str, raw: str, date_format: str | None) -> str:
    """Typed value of a raw expression; NULL when it cannot be parsed (a check reports that)."""
    text = f"NULLIF(trim(CAST({raw} AS VARCHAR)), '')"
    if name == "month":
        # Accept YYYY-MM, or any date/timestamp (then truncated to its month).
        return (f"CASE WHEN regexp_full_match({text}, '\\d{{4}}-\\d{{2}}') THEN {text} "
                f"ELSE strftime(TRY_CAST({text} AS DATE), '%Y-%m') END")
    if sql_type == "VARCHAR":
        return text
    if sql_type == "BOOLEAN":
        return f"(CASE WHEN lower({text}) IN ({_TRUE}) THEN true WHEN lower({text}) IN ({_FALSE}) THEN false END)"
    if sql_type in ("TIMESTAMP", "DATE") and date_format:
        return f"CAST(try_strptime({text}, {lit(date_format)}) AS {sql_type})"
    return f"TRY_CAST({text} AS {sql_type})"


def stage_sql(table: Table, exprs: dict[str, str], mapping: Mapping, source_view: str) -> str:
    """SELECT producing typed canonical columns, `_row`, `_errors` (list of structs) and `_raw`.

    `_raw` (the source row as JSON, kept in quarantine so nothing is lost) is built only for failing
    rows: carrying it for every row doubled the cost of a load.
    """
    typed, checks = [], []
    for col in table.columns:
        raw = exprs.get(col.name, "NULL")
        typed.append(f"{typed_expression(col.name, col.type, raw, mapping.dates.get(col.name))} AS {q(col.name)}")
        checks.extend(_column_checks(col.name, col.type, col.required, col.key))
    if table.name == "responses":
        checks.append(_score_range_check())
    refs = {c.name: c.references for c in table.columns if c.references}
    joins = []
    for i, (name, ref) in enumerate(refs.items()):
        ref_table, ref_col = ref.split(".")
        joins.append(f"LEFT JOIN (SELECT DISTINCT {ref_col} AS _k FROM {ref_table}) r{i} ON r{i}._k = t.{q(name)}")
        what = "customer (load customers first, or add it)" if ref_table == "customers" else "touchpoint (add it to journey.yaml)"
        checks.append(_check(f"t.{q(name)} IS NOT NULL AND r{i}._k IS NULL", name, f"t.{q(name)}", f"unknown {what}"))
    error_list = "list_filter([" + ", ".join(checks) + "], lambda x: x IS NOT NULL)" if checks else "[]"
    raw_cols = ", ".join(f"CAST({exprs.get(c.name, 'NULL')} AS VARCHAR) AS {q('_raw_' + c.name)}" for c in table.columns if _needs_parse(c.name, c.type))
    return f"""
        WITH src AS (SELECT * FROM {source_view}),
        t AS (SELECT _row, _src, {', '.join(typed)}{', ' + raw_cols if raw_cols else ''} FROM src)
        SELECT *, CASE WHEN len(_errors) > 0 THEN to_json(_src)::VARCHAR END AS _raw FROM (
            SELECT {', '.join('t.' + q(c.name) for c in table.columns)}, t._row, t._src, {error_list} AS _errors
            FROM t {' '.join(joins)})
    """


def _check(condition: str, field: str, value_sql: str, reason: str, reason_sql: str | None = None) -> str:
    """A struct {field, value, reason} when `condition` holds; `reason_sql` builds a reason from the row."""
    why = reason_sql or lit(reason)
    return f"CASE WHEN {condition} THEN {{'field': {lit(field)}, 'value': CAST({value_sql} AS VARCHAR), 'reason': {why}}} END"


_EXPECTED = {"TIMESTAMP": "a date-time", "DATE": "a date", "DOUBLE": "a number", "BIGINT": "a whole number",
             "BOOLEAN": "true/false"}


def _needs_parse(name: str, sql_type: str) -> bool:
    """Columns whose raw text can fail to parse (and so keep their raw value for the check)."""
    return sql_type != "VARCHAR" or name == "month"


def _column_checks(name: str, sql_type: str, required: bool, key: bool) -> list[str]:
    col = f"t.{q(name)}"
    parsed = _needs_parse(name, sql_type)
    raw_text = f"NULLIF(trim(t.{q('_raw_' + name)}), '')" if parsed else col
    checks = []
    if required:
        checks.append(_check(f"{raw_text} IS NULL", name, "NULL", "missing key" if key else "required value missing"))
    if parsed:
        expect = _EXPECTED.get(sql_type, "a month (YYYY-MM)")
        checks.append(_check(f"{raw_text} IS NOT NULL AND {col} IS NULL", name, raw_text, f"cannot parse as {expect}"))
    return checks


def _score_range_check() -> str:
    """Score must lie on its metric's scale; an unknown metric is its own reason."""
    ranges = " ".join(f"WHEN {lit(m)} THEN t.score BETWEEN {lo} AND {hi}" for m, (lo, hi) in METRIC_SCALES.items())
    scales = " ".join(f"WHEN {lit(m)} THEN '{lo} to {hi}'" for m, (lo, hi) in METRIC_SCALES.items())
    known = ", ".join(lit(m) for m in METRIC_SCALES)
    metric_check = _check(f"t.metric IS NOT NULL AND t.metric NOT IN ({known})", "metric", "t.metric",
                          f"unknown metric; use one of {', '.join(METRIC_SCALES)}")
    range_check = _check(f"t.metric IN ({known}) AND t.score IS NOT NULL AND NOT (CASE t.metric {ranges} END)",
                         "score", "t._raw_score", "", f"'score outside the ' || t.metric || ' scale (' || CASE t.metric {scales} END || ')'")
    return metric_check + ", " + range_check

