"""Mappings: how a source file's columns become canonical columns, written as YAML by the user.

A mapping can rename columns, parse dates with explicit formats, map values ('Very satisfied' -> 5),
set constants, and unpivot a wide survey export (one row per respondent, one column per question)
into one response per answered question.

Example (a Qualtrics-style export):

    columns: {customer_id: ExternalRef}
    dates: {ts: "%d/%m/%Y %H:%M"}
    wide:
      response_id: ResponseId
      customer_id: ExternalRef
      ts: EndDate
      questions:
        - {column: Q1, metric: nps, touchpoint: relationship, comment: Q1_TEXT}
        - {column: Q2, metric: csat, touchpoint: support_call, values: {"Very satisfied": 5, "Satisfied": 4}}
        - {column: billing_functional_expectation, metric: expectation, touchpoint: first_bill, aspect: functional}
        - {column: billing_functional_csat, metric: csat, touchpoint: first_bill, aspect: functional}

A question's `aspect` (functional, emotional or experiential) says which side of the touchpoint it
asked about; leave it out for the overall question. Per-aspect answers feed `--by aspect` (the gap
model per dimension: `cxlens gaps --kind expectation --by touchpoint,aspect`). A long-format file
gives the same with an `aspect` column.

What real exports need, without pre-processing the file:

- **Generated ids** where a file has none: `ids: {passenger: row}` adds a column `passenger` holding
  `<file stem>:<data-row number>` (`airlinesat:1`, `airlinesat:2`, ...); `ids: {response_id: [tweet_id, airline]}`
  adds the MD5 of the named columns' values. Either can then be named like any column (`columns:`, `wide:`).
  Both are stable across reloads of the same file: a row id depends only on the file's name and the row's
  position (the same file gives the same ids, so a reload updates instead of duplicating, and a customers load
  and a responses load of one file agree on who is who); a hash depends only on the row's values (stable even if
  rows are reordered, but two identical rows share it, and the later one wins as a duplicate key).
- **Dates**: a fixed date is a constant (`constants: {ts: 2015-06-01}`); a column may also be a template over
  several columns, `columns: {ts: "{year}-{month}-01"}` (the same in `wide:`), parsed like any date.
- **Rescaling**: `scale: {from: [1, 100]}` on a question (or on `wide:` for all its questions) maps the answers
  linearly onto the metric's scale (`to:` defaults to it: nps 0-10, csat 1-5, ces 1-7, expectation 1-5); for a
  long file `scales: {score: {from: [0, 5], to: [1, 5]}}` (without `to:`, each row's metric's scale). Scores
  become fractional where the scales do not divide evenly (1-100 onto 1-5: 76 -> 4.03).
- **Missing-value codes**: `missing: ["0", "NA", "-99"]` on a question (or on `wide:`) makes such cells absent
  answers: not loaded, not scored, not quarantined. For a long file `missing: {score: ["0"]}` empties the column
  (a required column then quarantines the row as missing, as an empty cell would).
- **Numeric labels**: a value map or missing code written as a number matches the number however it is written,
  so `values: {"1": ...}` matches `1`, `1.0` and ` 1 `; numeric scores such as `5.0` load as 5.

- **Selecting rows**: `where: {interaction: [conversion]}` loads only the rows whose column holds one of the
  values (several columns: all must match; numbers match numerically). The other rows are left out and counted
  as `skipped`, not quarantined: one event log can feed two loads (impressions as channel touches, conversions
  as a conversion touchpoint).
- **Repeated keys on purpose**: `duplicates: last` keeps the last row of each key and skips the earlier ones
  (counted, not quarantined), for a file that repeats a key by design, such as customers taken from an event
  log. The default, `quarantine`, treats a repeated key as the error it usually is.

- **No customer id**: `identity: {record: ResponseId, email: RespondentEmail, phone: RespondentPhone, name: Name,
  postcode: Postcode}` (any identifier columns; `external_id` too) resolves each row to a stored customer by identity
  resolution (cxlens.ingest.identity) instead of reading a customer id, for long and wide mappings alike; rows not
  linked are quarantined with the reason (docs/people.md).

Order: missing codes first, then value maps, then rescaling. User guide: docs/mappings.md.
"""

from __future__ import annotations

import string
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cxlens.errors import ConfigError
from cxlens.model import ASPECTS, METRIC_SCALES
from cxlens.model.config import read_config


Codes = list[str]


def _as_text(items: object) -> object:
    """YAML reads `[0, NA]` as a number and a string: codes and labels are matched as text (numbers numerically)."""
    if isinstance(items, list):
        return [str(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x for x in items]
    return items


def _keys_as_text(value: object) -> object:
    """YAML reads `{1: 5}` with a numeric key: value maps are keyed by the text a cell holds."""
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


class Scale(BaseModel):
    """A linear map from the source's scale onto the canonical one: `{from: [1, 100], to: [1, 5]}`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: tuple[float, float] = Field(alias="from")
    to: tuple[float, float] | None = None  # None: the metric's scale (METRIC_SCALES)

    def model_post_init(self, _: object) -> None:
        if self.source[0] == self.source[1]:
            raise ValueError(f"scale from {list(self.source)}: the two ends must differ")


def template_columns(spec: str) -> list[str]:
    """Columns named in a template such as "{year}-{month}-01"; [] when `spec` is a plain column name."""
    if "{" not in spec:
        return []
    return [name for _, name, _, _ in string.Formatter().parse(spec) if name]


class Question(BaseModel):
    """One question column of a wide survey export."""

    model_config = ConfigDict(extra="forbid")

    column: str
    metric: str
    touchpoint: str
    comment: str | None = None
    aspect: str | None = None  # functional, emotional or experiential; None = the overall question
    values: dict[str, float] = Field(default_factory=dict)
    scale: Scale | None = None  # None: the wide mapping's `scale`, or none
    missing: Codes | None = None  # None: the wide mapping's `missing`

    _codes = field_validator("missing", mode="before")(_as_text)

    @field_validator("values", mode="before")
    @classmethod
    def _labels_as_text(cls, value: object) -> object:
        return _keys_as_text(value)

    def model_post_init(self, _: object) -> None:
        if self.metric not in METRIC_SCALES:
            raise ValueError(f"question '{self.column}': metric '{self.metric}' is not one of {sorted(METRIC_SCALES)}")
        if self.aspect is not None and self.aspect not in ASPECTS:
            raise ValueError(f"question '{self.column}': aspect '{self.aspect}' is not one of {list(ASPECTS)} "
                             "(leave it out for the overall question)")


class Wide(BaseModel):
    """Which columns of a wide export identify the respondent, and which are questions."""

    model_config = ConfigDict(extra="forbid")

    response_id: str
    customer_id: str | None = None  # None: the mapping's `identity:` block resolves each respondent to a customer
    ts: str | None = None  # None: a constant `ts` (constants: {ts: 2015-06-01})
    language: str | None = None
    scale: Scale | None = None  # for every question without its own
    missing: Codes = Field(default_factory=list)  # for every question without its own
    questions: list[Question] = Field(min_length=1)

    _codes = field_validator("missing", mode="before")(_as_text)


IDENTITY_KINDS = ("email", "phone", "name", "postcode", "external_id")  # as cxlens.ingest.identity.normalise.KINDS


class Identity(BaseModel):
    """`identity:` of a mapping: the file has no customer id; each row is resolved to a customer from these columns
    (identity resolution, docs/people.md). `record` names the row's own id (kept in `identity_links`)."""

    model_config = ConfigDict(extra="forbid")

    record: str | None = None
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    postcode: str | None = None
    external_id: str | None = None

    def model_post_init(self, _: object) -> None:
        if not self.columns():
            raise ValueError(f"name at least one identifier column ({', '.join(IDENTITY_KINDS)}) to resolve rows by")

    def columns(self) -> dict[str, str]:
        """Identity kind -> the source column holding it."""
        return {kind: getattr(self, kind) for kind in IDENTITY_KINDS if getattr(self, kind)}


class Mapping(BaseModel):
    """Canonical column <- source column, date formats, value maps, constants, optional wide unpivot."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str] = Field(default_factory=dict)
    dates: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str | float | int | bool]] = Field(default_factory=dict)
    constants: dict[str, str | float | int | bool] = Field(default_factory=dict)
    ids: dict[str, Literal["row"] | list[str]] = Field(default_factory=dict)
    missing: dict[str, Codes] = Field(default_factory=dict)
    scales: dict[str, Scale] = Field(default_factory=dict)
    where: dict[str, Codes] = Field(default_factory=dict)  # source column -> values a loaded row holds there
    duplicates: Literal["quarantine", "last"] = "quarantine"
    wide: Wide | None = None
    identity: Identity | None = None  # resolve each row to a customer instead of reading a customer id

    @field_validator("constants", mode="before")
    @classmethod
    def _dates_as_text(cls, value: object) -> object:
        """YAML reads `2015-06-01` as a date: keep it as the ISO text the loader parses."""
        if isinstance(value, dict):
            return {k: v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat() if isinstance(v, date) else v
                    for k, v in value.items()}
        return value

    @field_validator("values", mode="before")
    @classmethod
    def _labels_as_text(cls, value: object) -> object:
        return {k: _keys_as_text(v) for k, v in value.items()} if isinstance(value, dict) else value

    @field_validator("where", mode="before")
    @classmethod
    def _selected_as_text(cls, value: object) -> object:
        """`where: {interaction: conversion}` (one value) or a list of values; numbers matched numerically."""
        if isinstance(value, dict):
            return {k: _as_text(v if isinstance(v, list) else [v]) for k, v in value.items()}
        return value

    @field_validator("missing", mode="before")
    @classmethod
    def _codes_as_text(cls, value: object) -> object:
        return {k: _as_text(v) for k, v in value.items()} if isinstance(value, dict) else value

    def model_post_init(self, _: object) -> None:
        if self.wide and self.wide.ts is None and "ts" not in self.constants:
            raise ValueError("wide: name the answer time (ts: a column) or give a fixed one (constants: {ts: 2024-06-01})")
        if self.identity is not None and ("customer_id" in self.columns or (self.wide and self.wide.customer_id)):
            raise ValueError("identity: the mapping also names a customer_id column; give one or the other (identity: "
                             "resolves each row to a customer when the file has no customer id)")
        if self.wide and self.wide.customer_id is None and self.identity is None:
            raise ValueError("wide: name the respondent's customer id (customer_id: a column), or resolve respondents "
                             "to customers with an identity: block")
        for name, spec in self.ids.items():
            if isinstance(spec, list) and not spec:
                raise ValueError(f"ids: {name}: name the columns to hash, or write `row`")


def read_mapping(path: str | Path | None) -> Mapping:
    """Read a mapping YAML file; no path means the identity mapping."""
    if path is None:
        return Mapping()
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: mapping file not found")
    return read_config(path, Mapping)
