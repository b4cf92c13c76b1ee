"""Privacy by design: keep what analysis needs and nothing more, and let a company answer access and erasure
requests completely (docs/privacy.md).

Pseudonymisation (keyed hashes of identifier columns) and comment redaction run at load, before anything is
stored; erasure removes a customer from every table the model declares with a customer key and then makes
the bytes physically gone; access requests export everything stored about one customer; small groups are
suppressed in every published figure; retention deletes what is older than configured.

Layer: below ingest (which calls pseudonymisation and redaction at load) and above the store; it imports
only store, model and errors, so every analysis and app can use it.
"""

from cxlens.privacy.erase import ErasureReport, forget
from cxlens.privacy.keys import KEY_ENV, PseudonymKey, read_key
from cxlens.privacy.pseudonymise import PREFIX, Pseudonymiser, normalise
from cxlens.privacy.export import customer_record, export_customer
from cxlens.privacy.retention import RetentionReport, apply_retention, parse_period
from cxlens.privacy.redact import Redacted, redact, redact_many

__all__ = ["KEY_ENV", "PREFIX", "ErasureReport", "PseudonymKey", "Pseudonymiser", "RetentionReport", "apply_retention",
           "customer_record", "export_customer", "forget", "normalise", "parse_period", "read_key",
           "Redacted", "redact", "redact_many"]
