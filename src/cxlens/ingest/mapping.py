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
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from cxlens.errors import ConfigError
from cxlens.model import ASPECTS, METRIC_SCALES
from cxlens.model.config import read_config


class Question(BaseModel):
    """One question column of a wide survey export."""

    model_config = ConfigDict(extra="forbid")

    column: str
    metric: str
    touchpoint: str
    comment: str | None = None
    aspect: str | None = None  # functional, emotional or experiential; None = the overall question
    values: dict[str, float] = Field(default_factory=dict)

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
    customer_id: str
    ts: str
    language: str | None = None
    questions: list[Question] = Field(min_length=1)


class Mapping(BaseModel):
    """Canonical column <- source column, date formats, value maps, constants, optional wide unpivot."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str] = Field(default_factory=dict)
    dates: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str | float | int | bool]] = Field(default_factory=dict)
    constants: dict[str, str | float | int | bool] = Field(default_factory=dict)
    wide: Wide | None = None


def read_mapping(path: str | Path | None) -> Mapping:
    """Read a mapping YAML file; no path means the identity mapping."""
    if path is None:
        return Mapping()
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: mapping file not found")
    return read_config(path, Mapping)
