"""`journey.yaml`: the journey map (stages and touchpoints), the vocabulary every table refers to.

A config model like the others in :mod:`cxlens.model`, so ingest can check touchpoint ids without
importing an analysis package.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cxlens.errors import ConfigError
from cxlens.model.config import read_config
from cxlens.model.schema import METRIC_SCALES, STAGES


class Touchpoint(BaseModel):
    """One touchpoint of the journey map, as the company describes it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    name: str
    stage: str
    channel: str = ""
    description: str = ""
    expectation: str = ""
    owner: str = ""
    moment_of_truth: bool = False
    targets: dict[str, float] = Field(default_factory=dict)
    self_rating: dict[str, float] = Field(default_factory=dict)

    @field_validator("targets", "self_rating")
    @classmethod
    def _known_metrics(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - set(METRIC_SCALES) - {"ces_low_effort", "csat_top2", "resolution_rate", "fcr"}
        if unknown:
            raise ValueError(f"unknown metric(s) {sorted(unknown)}; use {sorted(METRIC_SCALES)}")
        return value


class JourneyMap(BaseModel):
    """Ordered stages and their touchpoints."""

    model_config = ConfigDict(extra="forbid")

    stages: list[str] = Field(default_factory=lambda: list(STAGES))
    touchpoints: list[Touchpoint]

    @model_validator(mode="after")
    def _consistent(self) -> "JourneyMap":
        ids = [t.id for t in self.touchpoints]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate touchpoint id(s): {dupes}")
        for t in self.touchpoints:
            if t.stage not in self.stages:
                raise ValueError(f"touchpoint '{t.id}' has stage '{t.stage}', which is not in stages {self.stages}")
        return self

    def rows(self) -> list[dict]:
        """Rows of the canonical `touchpoints` table."""
        order = {s: i for i, s in enumerate(self.stages)}
        return [
            {
                "touchpoint_id": t.id, "name": t.name, "stage": t.stage, "stage_order": order[t.stage],
                "channel": t.channel, "description": t.description, "expectation": t.expectation,
                "owner": t.owner, "moment_of_truth": t.moment_of_truth,
                "targets": json.dumps(t.targets), "self_rating": json.dumps(t.self_rating),
            }
            for t in self.touchpoints
        ]

    def touchpoint(self, touchpoint_id: str) -> Touchpoint:
        return next(t for t in self.touchpoints if t.id == touchpoint_id)


def read_journey(path: str | Path) -> JourneyMap:
    """Read and validate a journey map; errors name the file and the offending entry."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: journey map not found; `cxlens init` writes a template.")
    return read_config(path, JourneyMap)
