"""Render the canonical model as Markdown, so `docs/data-model.md` never drifts from the code."""

from __future__ import annotations

from cxlens.model.schema import METRIC_SCALES, SCHEMA_VERSION, TABLES, Table
from cxlens.model.system import META, SYSTEM_TABLES

_INTRO = f"""# The canonical data model

Every source is mapped into these six tables (schema version {SCHEMA_VERSION}). `cxlens load FILE --kind KIND`
fills `customers`, `events`, `responses`, `tickets` and `outcomes`; `touchpoints` comes from `journey.yaml`.
A row whose **key** exists already is updated column-wise: the columns the file (or its mapping) provides
are written and the stored row keeps the others, so one customer view can be assembled from several
exports (demographics, services, location); `attributes` objects are merged key by key. `--replace`
replaces whole rows instead. A row that fails a check goes to `quarantine` with file, row number, field,
value and reason. Child tables (events, responses, tickets, outcomes)
may only name customers and touchpoints that exist.

Score scales: {", ".join(f"`{m}` {lo}–{hi}" for m, (lo, hi) in METRIC_SCALES.items())}.
NPS groups: promoters 9–10, passives 7–8, detractors 0–6.
Timestamps are stored as UTC without a zone: a value with an offset (`Z`, `+05:00`, `-0800`) or a zone
name (`Europe/Berlin`) is converted to UTC when loaded, a value without one is taken as UTC, and an
unknown zone or a year outside 1900–2100 is quarantined.

This file is generated from `src/cxlens/model/schema.py` and `system.py` (`python -m cxlens.model.docs > docs/data-model.md`);
a test fails when they differ.
"""

_SYSTEM_INTRO = """
# System and derived tables

cxlens keeps these beside the canonical tables, in the same store: what was loaded (`loads`), what was
refused and why (`quarantine`), text analysis results (`comment_analysis`), the journeys' stored step
numbering (`journey_steps`, rebuilt by every events load) and the schema version (`cxlens_meta`).
"""


def data_model_markdown() -> str:
    """The Markdown of docs/data-model.md: every stored table, column by column."""
    parts = [_INTRO]
    for table in TABLES.values():
        parts.append(_table_markdown(table))
    parts.append(_SYSTEM_INTRO)
    for table in [*SYSTEM_TABLES.values(), META]:
        parts.append(_table_markdown(table))
    return "".join(parts)


def _table_markdown(table: Table) -> str:
    parts = [f"\n## `{table.name}`\n\n{table.doc}\n"]
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
