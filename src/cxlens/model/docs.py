"""Render the canonical model as Markdown, so `docs/data-model.md` never drifts from the code."""

from __future__ import annotations

from cxlens.model.schema import METRIC_SCALES, SCHEMA_VERSION, TABLES

_INTRO = f"""# The canonical data model

Every source is mapped into these six tables (schema version {SCHEMA_VERSION}). `cxlens load FILE --kind KIND`
fills `customers`, `events`, `responses`, `tickets` and `outcomes`; `touchpoints` comes from `journey.yaml`.
A row whose **key** exists already is updated (upsert); a row that fails a check goes to `quarantine`
with file, row number, field, value and reason. Child tables (events, responses, tickets, outcomes)
may only name customers and touchpoints that exist.

Score scales: {", ".join(f"`{m}` {lo}–{hi}" for m, (lo, hi) in METRIC_SCALES.items())}.
NPS groups: promoters 9–10, passives 7–8, detractors 0–6.

This file is generated from `src/cxlens/model/schema.py` (`python -m cxlens.model.docs > docs/data-model.md`);
a test fails when they differ.
"""


def data_model_markdown() -> str:
    parts = [_INTRO]
    for table in TABLES.values():
        parts.append(f"\n## `{table.name}`\n\n{table.doc}\n")
        if table.keeps_extra_columns:
            parts.append("\nSource columns that are not canonical are kept, as a JSON object in `attributes`.\n")
        parts.append("\n| column | type | key | required | meaning | example |\n|---|---|---|---|---|---|\n")
        for c in table.columns:
            ref = f" Must exist in `{c.references}`." if c.references else ""
            parts.append(f"| `{c.name}` | {c.type} | {'yes' if c.key else ''} | {'yes' if c.required else ''} | "
                         f"{c.doc}{ref} | `{c.example}` |\n")
    return "".join(parts)


if __name__ == "__main__":
    print(data_model_markdown(), end="")
