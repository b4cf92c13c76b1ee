"""Privacy by design: keep what analysis needs and nothing more, and let a company answer access and erasure
requests completely (docs/privacy.md).

Pseudonymisation (keyed hashes of identifier columns) and comment redaction run at load, before anything is
stored; erasure removes a customer from every table the model declares with a customer key and then makes
the bytes physically gone; access requests export everything stored about one customer; small groups are
suppressed in every published figure; retention deletes what is older than configured.

Layer: below ingest (which calls pseudonymisation and redaction at load) and above the store; it imports
only store, model and errors, so every analysis and app can use it.
"""
