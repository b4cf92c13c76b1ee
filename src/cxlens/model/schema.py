"""Column-by-column definition of the canonical tables.

Types are portable SQL names (VARCHAR, DOUBLE, BIGINT, BOOLEAN, DATE, TIMESTAMP) that DuckDB,
Spark and PostgreSQL all understand, so one definition serves every engine.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 11

# Ordered journey stages; journey.yaml may use a subset or its own order.
STAGES = ("awareness", "purchase", "onboarding", "usage", "billing", "support", "renewal", "advocacy")

# metric -> (min, max) of the score scale.
METRIC_SCALES: dict[str, tuple[int, int]] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "expectation": (1, 5),
}

# What a survey question may ask about, besides the experience overall (`aspect` NULL): the
# functional (did it work), emotional (how did it feel) and experiential (how was the whole
# interaction) sides of a touchpoint, so the gap model can say which side falls short.
ASPECTS = ("functional", "emotional", "experiential")


@dataclass(frozen=True)
class Column:
    """One canonical column: its type, whether a row needs it, and what it means."""

    name: str
    type: str
    doc: str
    example: str = ""
    required: bool = False
    key: bool = False
    references: str | None = None  # "customers.customer_id": unknown values are quarantined

    @property
    def ibis_type(self) -> str:
        """The Ibis type of the column's SQL type (for casting computed rows to a stored table's types)."""
        return _IBIS_TYPES[self.type]


_IBIS_TYPES = {"VARCHAR": "string", "BIGINT": "int64", "DOUBLE": "float64", "BOOLEAN": "boolean", "DATE": "date",
               "TIMESTAMP": "timestamp"}


@dataclass(frozen=True)
class Table:
    """A canonical table. `key` columns identify a row: loading a row whose key exists updates it."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    keeps_extra_columns: bool = False  # extra source columns go to `attributes` (JSON)
    customer_column: str | None = None  # the customer key when it is not a `customer_id` column

    @property
    def customer_key(self) -> str | None:
        """Column naming the customer a row belongs to (what erasure deletes by); None when rows have none."""
        return self.customer_column or ("customer_id" if "customer_id" in self.names else None)

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def ddl(self) -> list[tuple[str, str]]:
        """(column, portable SQL type) pairs, in table order: what a store creates."""
        return [(c.name, c.type) for c in self.columns]

    @property
    def identifiers(self) -> tuple[str, ...]:
        """Text columns naming one customer, or one row of a table of customers' rows (answers, tickets, events):
        the customer key and, where there is one, the table's only key. They hold many distinct values (one per
        answer, ticket or customer), which stores may write differently (D70)."""
        if self.customer_key is None:
            return ()
        only_key = self.key if len(self.key) == 1 else ()
        return tuple(c.name for c in self.columns if c.type == "VARCHAR" and c.name in {*only_key, self.customer_key})

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_CUSTOMER_REF = "customers.customer_id"
_TOUCHPOINT_REF = "touchpoints.touchpoint_id"

CUSTOMERS = Table(
    "customers",
    "One row per customer (a person, or a contact of a B2B client company).",
    (
        Column("customer_id", "VARCHAR", "Identifier of the customer in the source CRM.", "C000123", True, True),
        Column("signup_date", "DATE", "Date the customer relationship began.", "2024-03-17"),
        Column("segment", "VARCHAR", "Business segment (e.g. value, family, business).", "family"),
        Column("region", "VARCHAR", "Geographic region.", "north"),
        Column("language", "VARCHAR", "Preferred language, BCP-47 code.", "ar"),
        Column("plan", "VARCHAR", "Product or tariff plan.", "unlimited"),
        Column("account_id", "VARCHAR", "B2B client company the contact belongs to; analyses can roll up to it.", "A0042"),
        Column("attributes", "VARCHAR", "JSON object of every extra source column, kept rather than dropped.", '{"age": 41}'),
    ),
    keeps_extra_columns=True,
)

TOUCHPOINTS = Table(
    "touchpoints",
    "The journey map's touchpoints, loaded from journey.yaml (the shared vocabulary).",
    (
        Column("touchpoint_id", "VARCHAR", "Short stable identifier.", "bill_shock", True, True),
        Column("name", "VARCHAR", "Readable name.", "First bill", True),
        Column("stage", "VARCHAR", "Journey stage the touchpoint belongs to.", "billing", True),
        Column("stage_order", "BIGINT", "Position of the stage in the journey (0-based).", "4"),
        Column("channel", "VARCHAR", "Main channel (app, web, store, call_center, email, sms...).", "app"),
        Column("description", "VARCHAR", "What happens at this touchpoint.", "Customer receives the first invoice"),
        Column("expectation", "VARCHAR", "What the customer expects here, in their words.", "A bill I understand"),
        Column("owner", "VARCHAR", "Person or team accountable for the touchpoint.", "Billing team"),
        Column("moment_of_truth", "BOOLEAN", "Whether the company considers it a moment of truth.", "true"),
        Column("targets", "VARCHAR", "JSON object of per-metric targets.", '{"nps": 20, "csat": 4.2}'),
        Column("self_rating", "VARCHAR", "JSON object: the owner's belief of what is delivered, per metric.", '{"csat": 4.5}'),
    ),
)

EVENTS = Table(
    "events",
    "Journey events: a customer passing a touchpoint at a time.",
    (
        Column("event_id", "VARCHAR", "Event identifier; derived from the other columns when the source has none.", "E991", True, True),
        Column("customer_id", "VARCHAR", "Customer the event belongs to.", "C000123", True, references=_CUSTOMER_REF),
        Column("ts", "TIMESTAMP", "When the event happened.", "2024-05-02 10:31:00", True),
        Column("touchpoint_id", "VARCHAR", "Touchpoint passed.", "activation", True, references=_TOUCHPOINT_REF),
        Column("channel", "VARCHAR", "Channel used for this event.", "store"),
    ),
)

RESPONSES = Table(
    "responses",
    "Survey answers, one row per question answered (long format).",
    (
        Column("response_id", "VARCHAR", "Identifier of this answer.", "R55-nps", True, True),
        Column("customer_id", "VARCHAR", "Respondent.", "C000123", True, references=_CUSTOMER_REF),
        Column("ts", "TIMESTAMP", "When the answer was given.", "2024-06-30 18:02:00", True),
        Column("touchpoint_id", "VARCHAR", "Touchpoint asked about (relationship surveys use a journey-wide touchpoint).", "support_call", True, references=_TOUCHPOINT_REF),
        Column("metric", "VARCHAR", "nps (0-10), csat (1-5), ces (1-7) or expectation (1-5).", "nps", True),
        Column("score", "DOUBLE", "The answer on the metric's scale.", "9", True),
        Column("comment", "VARCHAR", "Free-text comment given with the answer.", "Fast and friendly"),
        Column("language", "VARCHAR", "Language of the comment, BCP-47 (filled by text analysis when missing).", "de"),
        Column("aspect", "VARCHAR", "Which side of the touchpoint the question asked about: functional, emotional or "
               "experiential; empty for the overall question. Only `--by aspect` (or a filter on it) counts "
               "aspect answers; otherwise metrics use the overall answers.", "emotional"),
    ),
)

TICKETS = Table(
    "tickets",
    "Support tickets: the outcome side of service (was it resolved, how fast).",
    (
        Column("ticket_id", "VARCHAR", "Ticket identifier.", "T7781", True, True),
        Column("customer_id", "VARCHAR", "Customer who raised it.", "C000123", True, references=_CUSTOMER_REF),
        Column("touchpoint_id", "VARCHAR", "Touchpoint the problem arose at.", "billing_inquiry", references=_TOUCHPOINT_REF),
        Column("category", "VARCHAR", "Problem category.", "billing_error"),
        Column("channel", "VARCHAR", "Channel the ticket came in through.", "chat"),
        Column("opened_at", "TIMESTAMP", "When the ticket was opened.", "2024-07-01 09:00:00", True),
        Column("first_response_at", "TIMESTAMP", "First answer from the company.", "2024-07-01 09:40:00"),
        Column("resolved_at", "TIMESTAMP", "When it was resolved; empty while open.", "2024-07-02 16:00:00"),
        Column("reopened", "BOOLEAN", "Whether the ticket was reopened after resolution.", "false"),
        Column("contacts", "BIGINT", "Number of customer contacts the ticket took.", "2"),
        Column("description", "VARCHAR", "Free-text description (goes through text analysis).", "Charged twice"),
    ),
)

OUTCOMES = Table(
    "outcomes",
    "Monthly business outcomes per customer: the value side of CX.",
    (
        Column("customer_id", "VARCHAR", "Customer.", "C000123", True, True, references=_CUSTOMER_REF),
        Column("month", "VARCHAR", "Calendar month, YYYY-MM.", "2024-07", True, True),
        Column("active", "BOOLEAN", "Customer was active (not churned) in the month.", "true", True),
        Column("revenue", "DOUBLE", "Revenue in the month.", "34.50"),
        Column("cost_to_serve", "DOUBLE", "Cost to serve in the month.", "6.20"),
        Column("upgrades", "BIGINT", "Upgrades in the month.", "0"),
        Column("referrals", "BIGINT", "Referrals in the month.", "1"),
    ),
)

NOTES = Table(
    "notes",
    "Free text that is neither a survey comment nor a ticket: interview notes, call notes, chat transcripts.",
    (
        Column("note_id", "VARCHAR", "Identifier of the note.", "N301", True, True),
        Column("customer_id", "VARCHAR", "Customer the note is about.", "C000123", True, references=_CUSTOMER_REF),
        Column("ts", "TIMESTAMP", "When the conversation took place.", "2024-08-12 14:00:00", True),
        Column("source", "VARCHAR", "Where the text comes from: interview, call, chat, social...", "interview", True),
        Column("touchpoint_id", "VARCHAR", "Touchpoint discussed, when known.", "support_call", references=_TOUCHPOINT_REF),
        Column("text", "VARCHAR", "The note itself, in any language.", "Kunde war verärgert über die Rechnung", True),
        Column("language", "VARCHAR", "Language, BCP-47 (filled by text analysis when missing).", "de"),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (CUSTOMERS, TOUCHPOINTS, EVENTS, RESPONSES, TICKETS, OUTCOMES, NOTES)}

# What `cxlens load --kind` accepts (touchpoints come from journey.yaml instead).
KINDS = ("customers", "events", "responses", "tickets", "outcomes", "notes")

# Tables whose rows point at a customer: loaded after customers.
CHILD_TABLES = ("events", "responses", "tickets", "outcomes", "notes")
