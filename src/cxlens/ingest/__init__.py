"""Files in: read, map, validate, quarantine and upsert into the canonical tables."""

from cxlens.ingest.journey_sync import orphaned_references, sync_journey
from cxlens.ingest.load import LoadReport, load
from cxlens.ingest.mapping import Mapping, read_mapping
from cxlens.ingest.quarantine import quarantined_rows

__all__ = ["LoadReport", "Mapping", "load", "quarantined_rows", "orphaned_references", "read_mapping", "sync_journey"]
