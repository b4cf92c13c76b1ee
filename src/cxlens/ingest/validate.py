"""Build the one SQL statement that types, checks and stages every row of a source.

Each canonical column becomes a typed expression plus zero or more checks; a check that fails
yields a {field, value, reason} struct, and a row with any such struct goes to quarantine. One
pass over the data, all rules at once, so validation costs little next to reading the file.

Time: the store keeps naive UTC timestamps. A value with an offset (`Z`, `+05:00`, `-0800`) or a
zone name (`Europe/Berlin`) is converted to UTC, whatever the session's time zone; a naive value is
taken to be UTC already and kept as it is. Years outside 1900-2100 (placeholders such as 0001-01-01
or 9999-12-31) are refused rather than let into trends. A date or month is taken after that conversion
(`2024-01-31T23:30:00-05:00` is in February). A 12-hour time after an ISO date (`2024-03-01 10:00 PM`) is
read as such; with any other date order (`3/1/2024 10:00 PM`: March or January?) the row is quarantined
with the reason saying how to state the format (`dates: {ts: "%m/%d/%Y %I:%M %p"}`).
"""

from __future__ import annotations

import string

from cxlens.errors import InputFileError
from cxlens.ingest.mapping import Mapping, Scale, template_columns
from cxlens.model import ASPECTS, METRIC_SCALES, Table
from cxlens.store.sql import ident, literal

_TRUE = "'true','t','yes','y','1'"
_FALSE = "'false','f','no','n','0'"


def source_expressions(table: Table, source_cols: list[str], mapping: Mapping, file: str) -> dict[str, str]:
    """Canonical column -> SQL expression over the source view (text or native type)."""
    exprs: dict[str, str] = {}
    lower = {c.lower(): c for c in source_cols}
    for col in table.columns:
        src = mapping.columns.get(col.name) or lower.get(col.name.lower())
        if col.name in mapping.constants:
            exprs[col.name] = literal(mapping.constants[col.name])
        elif src is not None:
            exprs[col.name] = column_sql(src, source_cols, file, col.name)
    if table.name == "events" and "event_id" not in exprs:
        # Derived key so that re-loading the same events is idempotent.
        parts = ", ".join(f"coalesce(CAST({exprs.get(c, 'NULL')} AS VARCHAR), '')" for c in ("customer_id", "ts", "touchpoint_id", "channel"))
        exprs["event_id"] = f"md5(concat_ws('|', {parts}))"
    missing = [c for c in table.required if c not in exprs]
    if missing:
        raise InputFileError(file, f"required column missing for {table.name} (columns found: {', '.join(source_cols)})", missing[0])
    if table.keeps_extra_columns:
        used = ({v for v in mapping.columns.values()} | {c for v in mapping.columns.values() for c in template_columns(v)}
                | {c for c in source_cols if c.lower() in table.names})
        extra = [c for c in source_cols if c not in used]
        if extra:
            exprs["attributes"] = "to_json(struct_pack(" + ", ".join(f"{ident(c)} := {ident(c)}" for c in extra) + "))"
    metric = exprs.get("metric")
    for name in [n for n in exprs if n in mapping.values or n in mapping.missing or n in mapping.scales]:
        target = None
        if name in mapping.scales:
            target = _scale_target(mapping.scales[name], metric, file)
        exprs[name] = recode_sql(exprs[name], mapping.missing.get(name, ()), mapping.values.get(name, {}),
                                 mapping.scales.get(name), target)
    return exprs


def column_sql(spec: str, source_cols: list[str], file: str, what: str) -> str:
    """SQL for a mapped column: the column itself, or a template over columns ("{year}-{month}-01")."""
    names = template_columns(spec) or [spec]
    for name in names:
        if name not in source_cols:
            raise InputFileError(file, f"mapping names source column '{name}' for '{what}', but the file has no such column", name)
    if "{" not in spec:
        return ident(spec)
    parts = []
    for text, name, _, _ in string.Formatter().parse(spec):
        if text:
            parts.append(literal(text))
        if name:
            parts.append(f"CAST({ident(name)} AS VARCHAR)")
    return "(" + " || ".join(parts) + ")"  # NULL when any column is empty, so a half date is "missing"


def trimmed(text: str) -> str:
    """SQL equal to DuckDB's `trim(text)` that calls trim only where it can change something. trim removes Unicode
    space separators (Zs: the space and 16 others, all outside ASCII) and copies every string it is given: 1.0-1.3 s
    per 10M timestamps, against 0.3 s for these byte checks (architecture D62). Pure-ASCII text (byte length = length
    in characters) can only carry plain spaces; anything else goes to trim as before."""
    return (f"(CASE WHEN starts_with({text}, ' ') OR ends_with({text}, ' ') OR strlen({text}) <> length({text}) "
            f"THEN trim({text}) ELSE {text} END)")


def _matches(text: str, code: str) -> str:
    """`text` is `code`: numerically when the code is a number (so "1" matches "1.0"), else as text."""
    try:
        number = float(code)
    except ValueError:
        return f"{text} = {literal(code.strip())}"
    return f"({text} = {literal(code.strip())} OR TRY_CAST({text} AS DOUBLE) = {number!r})"


def selection_sql(where: dict[str, list[str]], source_cols: list[str], file: str) -> str | None:
    """The mapping's `where` as a SQL condition on source columns (None: every row is loaded)."""
    if not where:
        return None
    parts = []
    for column, values in where.items():
        if column not in source_cols:
            raise InputFileError(file, f"mapping selects rows by column '{column}', but the file has no such column", column)
        text = trimmed(f"CAST({ident(column)} AS VARCHAR)")
        parts.append("(" + " OR ".join(_matches(text, v) for v in values) + ")")
    return " AND ".join(parts)


def recode_sql(expr: str, missing, values: dict, scale: Scale | None, target: tuple[str, str] | None = None) -> str:
    """Text of `expr` after missing codes (-> NULL), value maps and a linear rescale, in that order.

    `target` is (low, high) as SQL (the metric's scale, per row where the metric varies); text that is not
    a number is left for validation to report as it was written.
    """
    text = f"NULLIF({trimmed(f'CAST({expr} AS VARCHAR)')}, '')"
    if missing:
        text = f"(CASE WHEN {' OR '.join(_matches(text, c) for c in missing)} THEN NULL ELSE {text} END)"
    if values:
        cases = " ".join(f"WHEN {_matches(text, k)} THEN {literal(str(v))}" for k, v in values.items())
        text = f"(CASE {cases} ELSE {text} END)"
    if scale is not None:
        a, b = scale.source
        lo, hi = target if scale.to is None and target else (repr(scale.to[0]), repr(scale.to[1])) if scale.to else (None, None)
        number = f"TRY_CAST({text} AS DOUBLE)"
        mapped = f"round({lo} + ({number} - {a!r}) * ({hi} - {lo}) / ({b!r} - {a!r}), 10)"
        text = f"(CASE WHEN {number} IS NULL THEN {text} ELSE CAST({mapped} AS VARCHAR) END)"
    return text


def _scale_target(scale: Scale, metric: str | None, file: str) -> tuple[str, str] | None:
    """(low, high) SQL of the canonical scale: the stated `to`, else the scale of each row's metric."""
    if scale.to is not None:
        return None
    if metric is None:
        raise InputFileError(file, "scales: give `to: [low, high]`, or a metric column so its scale is used", "score")
    lows = " ".join(f"WHEN {literal(m)} THEN {lo}" for m, (lo, _) in METRIC_SCALES.items())
    highs = " ".join(f"WHEN {literal(m)} THEN {hi}" for m, (_, hi) in METRIC_SCALES.items())
    m = trimmed(f"CAST({metric} AS VARCHAR)")
    return f"(CASE {m} {lows} END)", f"(CASE {m} {highs} END)"


# Canonical type -> source types that convert exactly with a plain CAST (Parquet, JSON, Excel keep types);
# a TIMESTAMP WITH TIME ZONE is converted to UTC instead (see `typed_expression`).
_TZ_NATIVE = "TIMESTAMP WITH TIME ZONE"
_NATIVE = {
    "TIMESTAMP": ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE", _TZ_NATIVE),
    "DATE": ("DATE",),
    # Every integer converts to DOUBLE without failing (at worst rounded beyond 2^53: no score is).
    "DOUBLE": ("DOUBLE", "FLOAT", "HUGEINT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT",
               "UHUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"),
    "BIGINT": ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UINTEGER", "USMALLINT", "UTINYINT"),
    "BOOLEAN": ("BOOLEAN",),
}


def native_columns(table: Table, exprs: dict[str, str], source_types: dict[str, str]) -> dict[str, str]:
    """Canonical columns read straight from a source column that already has a compatible type -> that type.

    They need no text round trip: casting a Parquet timestamp to text and parsing it back cost a
    quarter of a 10M-row load, and such a value cannot fail to parse.
    """
    native = {}
    for col in table.columns:
        src = exprs.get(col.name)
        if col.name == "month" or src is None:
            continue
        for name, sql_type in source_types.items():
            if src == ident(name) and sql_type.upper() in _NATIVE.get(col.type, ()):
                native[col.name] = sql_type.upper()
    return native


# A date-time text that ends in a zone: Z, an offset (+05, +05:00, -0800) or a name (UTC, Europe/Berlin, XYZ).
_ZONE_SUFFIX = r"\d:\d\d(:\d\d(\.\d*)?)?\s*([zZ]|[+-]\d\d(:?\d\d)?|[A-Za-z][A-Za-z0-9_/+-]*)$"
# A 12-hour time at the end: 10:00 PM, 10:00:05 am, 10:00 p.m.
_TWELVE_HOUR = r"\d:\d\d(:\d\d)?\s*[AaPp]\.?[Mm]\.?$"
_TWELVE_HOUR_FORMATS = ["%Y-%m-%d %I:%M %p", "%Y-%m-%d %I:%M:%S %p", "%Y-%m-%dT%I:%M %p", "%Y-%m-%dT%I:%M:%S %p"]
_YEARS = (1900, 2100)
_ISO_FORMATS = "['%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d']"


def _has_zone(text: str) -> str:
    return f"(regexp_matches({text}, {literal(_ZONE_SUFFIX)}) AND NOT {_is_twelve_hour(text)})"


def _is_twelve_hour(text: str) -> str:
    return f"regexp_matches({text}, {literal(_TWELVE_HOUR)})"


def _text_timestamp(text: str) -> str:
    """Naive UTC timestamp of a date-time text: offsets and zone names converted, ISO 12-hour times read.

    Text that strptime reads whole as an ISO date or date-time (whitespace around it at most) can carry neither a zone
    nor AM/PM, so it goes straight to the cast `general_timestamp_branches` would reach for it: one strict parse instead
    of two regular expressions per value (1.9-2.5 -> 1.3-1.9 s per 10M timestamps, architecture D62)."""
    return (f"CASE WHEN try_strptime({text}, {_ISO_FORMATS}) IS NOT NULL THEN TRY_CAST({text} AS TIMESTAMP) "
            f"{general_timestamp_branches(text)} END")


def general_timestamp_branches(text: str) -> str:
    """The WHEN ... ELSE branches of a CASE reading any date-time text: a zone converted to UTC, an ISO 12-hour time,
    else the plain cast. Alone (`CASE <these> END`) they read every text as `_text_timestamp` does, only slower:
    tests/unit/ingest/test_validate_fast_paths.py compares the two."""
    twelve = f"upper(regexp_replace({text}, '\\s*([AaPp])\\.?[Mm]\\.?$', ' \\1M'))"
    formats = "[" + ", ".join(literal(f) for f in _TWELVE_HOUR_FORMATS) + "]"
    # Twitter-style `11:35:52 -0800`: DuckDB reads an offset or Z only when it follows the time directly.
    zoned = f"regexp_replace({text}, '\\s+([zZ]|[+-]\\d\\d(:?\\d\\d)?)$', '\\1')"
    # A plain TIMESTAMP cast would drop the zone and keep the wall-clock time (and drop PM).
    return (f"WHEN {_has_zone(text)} THEN timezone('UTC', TRY_CAST({zoned} AS TIMESTAMPTZ)) "
            f"WHEN {_is_twelve_hour(text)} THEN try_strptime({twelve}, {formats}) "
            f"ELSE TRY_CAST({text} AS TIMESTAMP)")


def typed_expression(name: str, sql_type: str, raw: str, date_format: str | None, native: bool | str = False) -> str:
    """Typed value of a raw expression; NULL when it cannot be parsed (a check reports that).

    `native` is the source's own type when it already fits (see `native_columns`); timestamps with a
    zone, native or text, come out as naive UTC.
    """
    if native == _TZ_NATIVE and sql_type == "TIMESTAMP":
        return f"timezone('UTC', {raw})"
    if native:
        return f"CAST({raw} AS {sql_type})"
    text = f"NULLIF({trimmed(f'CAST({raw} AS VARCHAR)')}, '')"
    if name == "month":
        # Accept YYYY-MM, or any date/timestamp (then truncated to its month).
        return (f"CASE WHEN regexp_full_match({text}, '\\d{{4}}-\\d{{2}}') THEN {text} "
                f"ELSE strftime({_text_timestamp(text)}, '%Y-%m') END")
    if sql_type == "VARCHAR":
        return text
    if sql_type == "BOOLEAN":
        return f"(CASE WHEN lower({text}) IN ({_TRUE}) THEN true WHEN lower({text}) IN ({_FALSE}) THEN false END)"
    if sql_type in ("TIMESTAMP", "DATE") and date_format:
        parsed = f"try_strptime({text}, {literal(date_format)})"
        if "%z" in date_format or "%Z" in date_format:  # strptime then gives a TIMESTAMP WITH TIME ZONE
            parsed = f"timezone('UTC', {parsed})"
        return f"CAST({parsed} AS {sql_type})"
    if sql_type in ("TIMESTAMP", "DATE"):
        return f"CAST({_text_timestamp(text)} AS {sql_type})"
    return f"TRY_CAST({text} AS {sql_type})"


def stage_sql(table: Table, exprs: dict[str, str], mapping: Mapping, source_view: str, raw_columns: list[str],
              native: dict[str, str] | None = None) -> str:
    """SELECT producing typed canonical columns, `_row`, `_errors` and `_raw`.

    `_errors` (a list of {field, value, reason}) and `_raw` (the source row as JSON, kept in
    quarantine so nothing is lost) are NULL for good rows and built only for failing ones: building
    them for every row doubled the cost of a load. `raw_columns` are the source columns that make
    up `_raw`; a lone `_src` (wide files: the respondent's whole row as a struct) is written as is.
    `native` maps the columns whose source already has their type to that type (see `native_columns`).
    """
    native = native or {}
    typed, checks = [], []
    for col in table.columns:
        raw = exprs.get(col.name, "NULL")
        is_native = col.name in native
        typed.append(f"{typed_expression(col.name, col.type, raw, mapping.dates.get(col.name), native.get(col.name, False))} "
                     f"AS {ident(col.name)}")
        checks.extend(_column_checks(col.name, col.type, col.required, col.key, is_native, col.name in mapping.dates))
    if table.name == "responses":
        checks.extend(_score_range_checks("score" in native))
        if "aspect" in table.names:
            checks.append(_aspect_check())
    refs = {c.name: c.references for c in table.columns if c.references}
    joins = []
    for i, (name, ref) in enumerate(refs.items()):
        ref_table, ref_col = ref.split(".")
        joins.append(f"LEFT JOIN (SELECT DISTINCT {ident(ref_col)} AS _k FROM {ident(ref_table)}) r{i} ON r{i}._k = t.{ident(name)}")
        what = "customer (load customers first, or add it)" if ref_table == "customers" else "touchpoint (add it to journey.yaml)"
        checks.append(_check(f"t.{ident(name)} IS NOT NULL AND r{i}._k IS NULL", name, f"t.{ident(name)}", f"unknown {what}"))
    errors = "NULL"
    if checks:
        errors = (f"CASE WHEN {' OR '.join('(' + c + ')' for c, _ in checks)} THEN "
                  f"list_filter([{', '.join(case for _, case in checks)}], lambda x: x IS NOT NULL) END")
    raw_cols = [f"CAST({exprs.get(c.name, 'NULL')} AS VARCHAR) AS {ident('_raw_' + c.name)}" for c in table.columns
                if _needs_parse(c.name, c.type) and c.name not in native]
    kept = [f"{ident(c)} AS _s_{i}" for i, c in enumerate(raw_columns)]
    raw_json = ("_s_0" if raw_columns == ["_src"] else
                "struct_pack(" + ", ".join(f"{ident(c)} := _s_{i}" for i, c in enumerate(raw_columns)) + ")")
    canonical = ", ".join(ident(c.name) for c in table.columns)
    return f"""
        WITH t AS (SELECT _row, {', '.join(typed + raw_cols + kept)} FROM {source_view})
        SELECT {canonical}, _row, _errors, CASE WHEN _errors IS NOT NULL THEN to_json({raw_json})::VARCHAR END AS _raw
        FROM (SELECT t.*, {errors} AS _errors FROM t {' '.join(joins)})
    """


def _check(condition: str, field: str, value_sql: str, reason: str, reason_sql: str | None = None) -> tuple[str, str]:
    """(condition, a struct {field, value, reason} when `condition` holds); `reason_sql` builds a reason from the row."""
    why = reason_sql or literal(reason)
    return condition, f"CASE WHEN {condition} THEN {{'field': {literal(field)}, 'value': CAST({value_sql} AS VARCHAR), 'reason': {why}}} END"


_EXPECTED = {"TIMESTAMP": "a date-time", "DATE": "a date", "DOUBLE": "a number", "BIGINT": "a whole number",
             "BOOLEAN": "true/false"}


def _needs_parse(name: str, sql_type: str) -> bool:
    """Columns whose raw text can fail to parse (and so keep their raw value for the check)."""
    return sql_type != "VARCHAR" or name == "month"


def _column_checks(name: str, sql_type: str, required: bool, key: bool, native: bool = False,
                   formatted: bool = False) -> list[tuple[str, str]]:
    col = f"t.{ident(name)}"
    parsed = _needs_parse(name, sql_type) and not native
    raw_text = f"NULLIF({trimmed('t.' + ident('_raw_' + name))}, '')" if parsed else col
    checks = []
    # The typed value is NULL whenever its text is: testing it first (cheap, rarely true) spares the text's test on
    # nearly every row (architecture D62); the conditions are the same.
    if required:
        missing = f"{col} IS NULL AND {raw_text} IS NULL" if parsed else f"{raw_text} IS NULL"
        checks.append(_check(missing, name, "NULL", "missing key" if key else "required value missing"))
    if parsed:
        expect = _EXPECTED.get(sql_type, "a month (YYYY-MM)")
        reason = f"cannot parse as {expect}"
        why = None
        if sql_type in ("TIMESTAMP", "DATE") and not formatted:
            # Only failing rows evaluate this: a readable date-time with a zone DuckDB does not know, or a
            # 12-hour time after a date whose order cannot be told (3/1/2024: March or January?).
            why = (f"CASE WHEN {_has_zone(raw_text)} AND TRY_CAST({raw_text} AS TIMESTAMP) IS NOT NULL "
                   f"THEN {literal(_UNKNOWN_ZONE)} WHEN {_is_twelve_hour(raw_text)} THEN {literal(_TWELVE_HOUR_REASON)} "
                   f"ELSE {literal(reason)} END")
        checks.append(_check(f"{col} IS NULL AND {raw_text} IS NOT NULL", name, raw_text, reason, why))
    if sql_type in ("TIMESTAMP", "DATE"):
        lo, hi = _YEARS
        value = raw_text if parsed else col
        checks.append(_check(f"{col} IS NOT NULL AND NOT ({col} >= DATE '{lo}-01-01' AND {col} < DATE '{hi + 1}-01-01')",
                             name, value, f"year outside {lo} to {hi} (a placeholder date?); correct the value or leave it empty"))
    return checks


_TWELVE_HOUR_REASON = ("cannot parse a 12-hour time after this date order; write the date as YYYY-MM-DD, or state the "
                       "format in the mapping, e.g. dates: {ts: \"%m/%d/%Y %I:%M %p\"}")
_UNKNOWN_ZONE = ("unknown time zone; write an offset (Z, +05:00, -0800) or a zone name such as Europe/Berlin, "
                 "or leave the zone out for UTC")


def _aspect_check() -> tuple[str, str]:
    """An aspect outside the three is most likely a label the mapping did not translate: say which ones work."""
    known = ", ".join(literal(a) for a in ASPECTS)
    return _check(f"t.aspect IS NOT NULL AND t.aspect NOT IN ({known})", "aspect", "t.aspect",
                  f"unknown aspect; use one of {', '.join(ASPECTS)}, or leave it empty for the overall question "
                  "(a mapping's values: can translate other labels)")


def _score_range_checks(native_score: bool) -> list[tuple[str, str]]:
    """Score must lie on its metric's scale; an unknown metric is its own reason."""
    ranges = " ".join(f"WHEN {literal(m)} THEN t.score BETWEEN {lo} AND {hi}" for m, (lo, hi) in METRIC_SCALES.items())
    scales = " ".join(f"WHEN {literal(m)} THEN '{lo} to {hi}'" for m, (lo, hi) in METRIC_SCALES.items())
    known = ", ".join(literal(m) for m in METRIC_SCALES)
    metric_check = _check(f"t.metric IS NOT NULL AND t.metric NOT IN ({known})", "metric", "t.metric",
                          f"unknown metric; use one of {', '.join(METRIC_SCALES)}")
    range_check = _check(f"t.metric IN ({known}) AND t.score IS NOT NULL AND NOT (CASE t.metric {ranges} END)",
                         "score", "t.score" if native_score else "t._raw_score", "",
                         f"'score outside the ' || t.metric || ' scale (' || CASE t.metric {scales} END || ')'")
    return [metric_check, range_check]
