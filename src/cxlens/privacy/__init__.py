"""Privacy by design: keep what analysis needs and nothing more, and let a company answer access and erasure
requests completely (docs/privacy.md).

Pseudonymisation (keyed hashes of identifier columns) and comment redaction run at load, before anything is
stored; erasure removes a customer from every table the model declares with a customer key and then makes
the bytes physically gone; access requests export everything stored about one customer; small groups are
suppressed in every published figure; retention deletes what is older than configured.

Layer: below ingest (which calls pseudonymisation and redaction at load) and above the store; it imports
only store, model and errors, so every analysis and app can use it. The names below are imported on first use
(`cxlens.privacy.suppress`, which every published table goes through, does not import phone-number parsing for
redaction): architecture D37.
"""

from typing import TYPE_CHECKING

from cxlens._exports import export_lazily

if TYPE_CHECKING:
    from cxlens.privacy.erase import ErasureReport, forget
    from cxlens.privacy.export import customer_record, export_customer
    from cxlens.privacy.keys import KEY_ENV, PseudonymKey, read_key
    from cxlens.privacy.pseudonymise import PREFIX, Pseudonymiser, normalise
    from cxlens.privacy.redact import Redacted, redact, redact_many
    from cxlens.privacy.retention import RetentionReport, apply_retention, parse_period

_EXPORTS = {
    "ErasureReport": "erase", "forget": "erase", "KEY_ENV": "keys", "PseudonymKey": "keys", "read_key": "keys",
    "PREFIX": "pseudonymise", "Pseudonymiser": "pseudonymise", "normalise": "pseudonymise",
    "customer_record": "export", "export_customer": "export", "RetentionReport": "retention",
    "apply_retention": "retention", "parse_period": "retention", "Redacted": "redact", "redact": "redact",
    "redact_many": "redact",
}
export_lazily(__name__, _EXPORTS)

__all__ = ["KEY_ENV", "PREFIX", "ErasureReport", "PseudonymKey", "Pseudonymiser", "RetentionReport", "apply_retention",
           "customer_record", "export_customer", "forget", "normalise", "parse_period", "read_key",
           "Redacted", "redact", "redact_many"]
