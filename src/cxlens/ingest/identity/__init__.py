"""Identity resolution: which stored customer a record of another source (a survey tool, a ticketing system)
belongs to, when that source does not carry the CRM's customer id.

Why: customer data sits in silos, each with its own ids; a survey-tool export knows a respondent's name, e-mail
and phone, not the CRM number. Joining such sources on an exact `customer_id` loses them, so the loader resolves
each record to a customer instead, in three steps:

- normalise each identifier for its kind (`normalise`: e-mail, phone in E.164, name transliterated to Latin,
  postcode, external id) so that different writings of one value meet;
- key it (`keys`: HMAC under the workspace secret, plus keyed character bigrams for fuzzy comparison), since the
  store keeps identifiers only in keyed form (privacy default);
- link (`link`): deterministic rules first (exact e-mail, exact external id, exact phone with a similar name),
  then a Fellegi-Sunter model (Splink) for the records the rules leave; uncertain links are listed for review.

`index` keeps the customers' keyed identifiers (table `identity_keys`), written from the raw customers file at
load, before the pseudonymiser keys it. Every linkage decision is recorded in table `identity_links`.
"""

from cxlens.ingest.identity.index import Identity, identity_columns, read_index
from cxlens.ingest.identity.keys import IdentityKeys, dice
from cxlens.ingest.identity.link import Resolution, resolve
from cxlens.ingest.identity.normalise import (KINDS, ascii_digits, name_key, normalise, normalise_email,
                                              normalise_external_id, normalise_name, normalise_phone,
                                              normalise_postcode)

__all__ = ["KINDS", "Identity", "IdentityKeys", "Resolution", "identity_columns", "read_index", "resolve", "ascii_digits", "dice", "name_key", "normalise", "normalise_email",
           "normalise_external_id", "normalise_name", "normalise_phone", "normalise_postcode"]
