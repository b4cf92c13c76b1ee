"""The tables cxlens keeps beside the canonical ones: bookkeeping (`loads`, `quarantine`, `cxlens_meta`)
and derived results (`comment_analysis`, `journey_steps`, `personas`, `identity_keys`, `identity_links`,
`response_rollup`, `response_rollup_month`, `answer_counts`, `value_months`, `value_answers`, `value_groups`,
`ticket_facts`).

They use the same :class:`Table` and :class:`Column` as the canonical tables, so the store creates and
migrates them the same way, and privacy code sees which of them hold a customer's data
(`Table.customer_key`, or the raw source rows kept in `quarantine.raw`).
"""

from __future__ import annotations

from cxlens.model.schema import TABLES, Column, Table

LOADS = Table(
    "loads",
    "One row per `cxlens load`: which file went into which table, and what happened to its rows.",
    (
        Column("load_id", "VARCHAR", "Identifier of the load.", "3f9c2a1b7d4e", True, True),
        Column("kind", "VARCHAR", "Canonical table loaded.", "responses", True),
        Column("file", "VARCHAR", "Absolute path of the file.", "/data/nps.csv", True),
        Column("sha256", "VARCHAR", "SHA-256 of the file's bytes.", "9f86d0..."),
        Column("rows_read", "BIGINT", "Rows read (answers, for wide survey files).", "1200"),
        Column("inserted", "BIGINT", "Rows with a new key.", "1000"),
        Column("updated", "BIGINT", "Rows that replaced a changed row with the same key.", "150"),
        Column("unchanged", "BIGINT", "Rows identical to the stored row.", "40"),
        Column("quarantined", "BIGINT", "Rows refused (see `quarantine`).", "10"),
        Column("started_at", "TIMESTAMP", "When the load began (UTC).", "2024-07-01 09:00:00"),
        Column("finished_at", "TIMESTAMP", "When it committed (UTC).", "2024-07-01 09:00:04"),
        Column("mode", "VARCHAR", "merge (stored rows keep the columns the file lacks) or replace (whole rows).", "merge"),
        Column("columns", "VARCHAR", "JSON object: each column the load wrote -> stored rows whose value it changed.",
               '{"segment": 12, "region": 0}'),
        Column("skipped", "BIGINT", "Rows read but left out on purpose (earlier rows of a repeated key under "
               "`duplicates: last`).", "0"),
        Column("not_selected", "BIGINT", "Rows of the file the mapping's `where` did not select (not read).", "0"),
        Column("redactions", "VARCHAR", "JSON object: placeholder type -> identifiers the load replaced in free text "
               "(e-mails, phones, cards, IBANs, national ids; docs/privacy.md).", '{"email": 3, "phone": 5}'),
    ),
)

QUARANTINE = Table(
    "quarantine",
    "Rows a load refused, with the reason, so the source can be fixed and loaded again. "
    "`raw` keeps the whole source row, customer identifiers included.",
    (
        Column("load_id", "VARCHAR", "Load that refused the row.", "3f9c2a1b7d4e", True),
        Column("kind", "VARCHAR", "Canonical table the row was meant for.", "responses", True),
        Column("file", "VARCHAR", "Absolute path of the file.", "/data/nps.csv", True),
        Column("row_number", "BIGINT", "1-based data row of the file (header excluded).", "17"),
        Column("field", "VARCHAR", "Canonical column that failed.", "score"),
        Column("value", "VARCHAR", "The value as read.", "11"),
        Column("reason", "VARCHAR", "Why it was refused, in words.", "score outside the nps scale (0 to 10)"),
        Column("raw", "VARCHAR", "The source row as JSON.", '{"id": "R9", "score": "11"}'),
        Column("quarantined_at", "TIMESTAMP", "When (UTC).", "2024-07-01 09:00:03"),
    ),
)

# One row per analysed text (survey comment, ticket description, note): what `cxlens text analyze`
# found, keyed by (source, source_id); text_sha1 lets re-runs skip texts that did not change.
COMMENT_ANALYSIS = Table(
    "comment_analysis",
    "Text analysis results, one row per analysed survey comment, ticket description or note.",
    (
        Column("source", "VARCHAR", "survey, ticket or note.", "survey", True, True),
        Column("source_id", "VARCHAR", "response_id, ticket_id or note_id of the text.", "R55-nps", True, True),
        Column("text_sha1", "VARCHAR", "SHA-1 of the analysed text: a changed text is analysed again.", "a94a8f..."),
        Column("language", "VARCHAR", "Language found, BCP-47.", "de"),
        Column("sentiment", "VARCHAR", "negative, neutral or positive.", "negative"),
        Column("sentiment_score", "DOUBLE", "Sentiment from -1 to 1.", "-0.8"),
        Column("themes", "VARCHAR", "Themes found, `;`-separated.", "billing_errors;waiting_time"),
        Column("emotions", "VARCHAR", "Emotions found, `;`-separated.", "anger"),
        Column("model", "VARCHAR", "Analysis version (models and theme set).", "v1-..."),
        Column("analyzed_at", "TIMESTAMP", "When (UTC).", "2024-07-02 08:00:00"),
    ),
)

# Every event numbered in its customer's journey (the default numbering of `cxlens.journey.steps`: unit
# touchpoint, repeats kept, no sessions, whole history), rebuilt after each events load so journey analyses
# group a pre-numbered table instead of sorting all events per call (architecture D23). `cxlens_meta` key
# `journey_steps` records which events it reflects; a stale table is never read.
JOURNEY_STEPS = Table(
    "journey_steps",
    "Journey analyses' numbering of every event: one row per event, numbered per customer by time "
    "(then event id). Derived from `events`; rebuilt by every events load and `cxlens journey refresh`.",
    (
        Column("customer_id", "VARCHAR", "Customer whose journey it is.", "C123", True),
        Column("step", "BIGINT", "1-based position in the customer's journey.", "3", True),
        Column("event_id", "VARCHAR", "The event (`events.event_id`).", "E9001", True, True),
        Column("ts", "TIMESTAMP", "When it happened (UTC).", "2024-03-01 10:15:00", True),
        Column("touchpoint_id", "VARCHAR", "Touchpoint of the event.", "web_visit"),
        Column("channel", "VARCHAR", "The event's own channel (NULL: the touchpoint's).", "app"),
        Column("seconds_since_previous", "DOUBLE", "Seconds since the customer's previous step (NULL on the first).", "86400"),
        Column("last", "BOOLEAN", "Whether it is the customer's last step so far.", "false", True),
        Column("first_visit", "BOOLEAN", "Whether it is the customer's first step at this touchpoint (NULL in a "
               "table built before schema 7: it reads as stale until rebuilt).", "true"),
    ),
)

# Which persona each customer belongs to (`cxlens personas fit`, cxlens.personas): replaced whole by every fit; the
# fit's summary (features, BIC per k, stability, names, descriptions) is JSON in `cxlens_meta` key `personas`.
PERSONAS = Table(
    "personas",
    "Persona of each customer from the last `cxlens personas fit` (latent class model of the customer view): "
    "one row per customer, with the posterior probability of the persona. Replaced by every fit.",
    (
        Column("customer_id", "VARCHAR", "The customer.", "C123", True, True),
        Column("persona_id", "VARCHAR", "Persona number of the fit, P1 the largest.", "P2", True),
        Column("persona", "VARCHAR", "The persona's short name.", "young app-first prepaid", True),
        Column("probability", "DOUBLE", "Posterior probability of that persona given the customer's view.", "0.97"),
    ),
)

# Identity resolution (cxlens.ingest.identity, docs/people.md): the customers' identifiers in keyed form, written by
# every customers load from the file's raw values before they are pseudonymised; a reload replaces a customer's keys.
IDENTITY_KEYS = Table(
    "identity_keys",
    "Identity index: each customer's identifiers (e-mail, phone, name, postcode, external id), normalised and keyed "
    "(HMAC under the workspace secret), with keyed character bigrams for fuzzy comparison. No raw value is stored.",
    (
        Column("customer_id", "VARCHAR", "The customer.", "C123", True, True),
        Column("kind", "VARCHAR", "email, phone, name, postcode or external_id.", "email", True, True),
        Column("key", "VARCHAR", "HMAC-SHA-256 of the normalised value, 32 hex digits.", "9f2c...", True, True),
        Column("grams", "VARCHAR", "Keyed character bigrams of the normalised value (names and e-mails), comma-separated "
               "signed 64-bit integers.", "-8123...,4410..."),
    ),
)

# Every decision of identity resolution: one row per source row of a file loaded through a mapping's `identity:`
# block; a reload of the file replaces its rows.
IDENTITY_LINKS = Table(
    "identity_links",
    "Identity resolution's decision for each row of a file loaded through a mapping's `identity:` block: the "
    "customer it was linked to (or the best candidate), how and with what probability.",
    (
        Column("load_id", "VARCHAR", "Load that resolved the row.", "3f9c2a1b7d4e", True),
        Column("file", "VARCHAR", "Absolute path of the file.", "/data/survey.csv", True, True),
        Column("row_number", "BIGINT", "1-based data row of the file.", "17", True, True),
        Column("record", "VARCHAR", "The row's own id (the mapping's identity.record column).", "R_9x2"),
        Column("customer_id", "VARCHAR", "Customer linked (NULL: not linked).", "C123"),
        Column("method", "VARCHAR", "rule:email, rule:external_id, rule:phone+name or fellegi_sunter.", "rule:email"),
        Column("match_weight", "DOUBLE", "Fellegi-Sunter match weight (log2 Bayes factor) of the best candidate.", "14.2"),
        Column("match_probability", "DOUBLE", "Posterior probability that the best candidate is the record's person.", "0.998"),
        Column("status", "VARCHAR", "linked, review (uncertain, not linked) or unmatched.", "linked", True),
        Column("candidate_customer_id", "VARCHAR", "Best candidate customer (also for review and unmatched rows).", "C123"),
        Column("conflict", "BOOLEAN", "Whether the row conflicts: its customer is also linked from a row of the file "
               "whose e-mail or phone disagrees, or it was not linked and two candidates each have p >= 0.2.", "false"),
    ),
)

# The erasure audit (`cxlens forget`): that an erasure happened, when, on whose request and how many rows
# each table lost; deliberately without a customer key or any personal data, so it survives the erasure.
ERASURES = Table(
    "erasures",
    "One row per erasure (`cxlens forget`): when, on whose request, how many customers and rows per table. "
    "Holds no customer identifier: it is the record that the data is gone.",
    (
        Column("erasure_id", "VARCHAR", "Identifier of the erasure.", "5be0c2a9d1f3", True, True),
        Column("requested_at", "TIMESTAMP", "When the erasure began (UTC).", "2026-11-29 21:05:00", True),
        Column("done_at", "TIMESTAMP", "When the data was physically gone (UTC).", "2026-11-29 21:05:02"),
        Column("requested_by", "VARCHAR", "Who asked for it (the `--by` of `cxlens forget`, default the OS user).", "dpo@example.com"),
        Column("customer_count", "BIGINT", "Number of customer ids erased.", "1"),
        Column("rows_removed", "VARCHAR", "JSON object: table -> rows removed.", '{"customers": 1, "responses": 4}'),
    ),
)

# Sufficient statistics of every answer per day and cell (cxlens.metrics.rollup, architecture D45): experience metrics
# sum these rows instead of scanning every answer. Holds no customer id: erasure and retention recompute the days of
# the answers they delete. `cxlens_meta` key `response_rollup` records which answers it reflects; a stale table is
# never read.
RESPONSE_ROLLUP = Table(
    "response_rollup",
    "Sufficient statistics of the answers, one row per day, metric, touchpoint, the customer's current segment, "
    "region, language and plan, and aspect (NULLs kept as NULL: NULL aspect = the overall question). Derived from "
    "`responses` and `customers`; kept current by every load, `cxlens forget`, retention and `cxlens rollup rebuild`.",
    (
        Column("day", "DATE", "Day of the answers (the date of `responses.ts`).", "2024-06-30", True),
        Column("metric", "VARCHAR", "nps, csat, ces or expectation.", "nps", True),
        Column("touchpoint_id", "VARCHAR", "Touchpoint asked about (`responses.touchpoint_id`).", "support_call"),
        Column("segment", "VARCHAR", "The customer's current segment.", "family"),
        Column("region", "VARCHAR", "The customer's current region.", "north"),
        Column("language", "VARCHAR", "The customer's current language.", "de"),
        Column("plan", "VARCHAR", "The customer's current plan.", "unlimited"),
        Column("aspect", "VARCHAR", "functional, emotional or experiential; NULL for the overall question.", "emotional"),
        Column("n", "BIGINT", "Answers.", "12", True),
        Column("customers", "BIGINT", "Distinct customers among them (not additive across rows).", "11", True),
        Column("total", "DOUBLE", "Sum of the scores.", "97"),
        Column("total_sq", "DOUBLE", "Sum of the squared scores.", "811"),
        Column("high", "BIGINT", "Answers at or above the metric's high threshold (promoters, top-2-box, low effort).", "7"),
        Column("low", "BIGINT", "Answers at or below the metric's low threshold (detractors, bottom-2-box).", "2"),
    ),
)

# The same sums per month (cxlens.metrics.rollup, architecture D64): 30x fewer rows, so cuts by month, quarter or year
# over whole months read it instead. Always equal to `response_rollup` summed by month (written with it, in the same
# transaction, under the same record); no customer id, no distinct-customer count (it does not add up).
RESPONSE_ROLLUP_MONTH = Table(
    "response_rollup_month",
    "`response_rollup` summed per month: one row per month, metric, touchpoint, the customer's current segment, "
    "region, language and plan, and aspect. Written with `response_rollup`, in the same transaction.",
    (
        Column("month", "DATE", "First day of the month of the answers.", "2024-06-01", True),
        *(c for c in RESPONSE_ROLLUP.columns if c.name not in ("day", "customers")),
    ),
)

# Each customer's number of answers per metric (cxlens.metrics.rollup, architecture D66): the rollup's record keeps the
# most one customer gave (the small-group bound, D48), and with these rows a load finds the new most from the counts
# it changed instead of counting every answer again. Written with the rollup, under its record; erasure deletes a
# customer's rows by the customer key.
ANSWER_COUNTS = Table(
    "answer_counts",
    "Answers per customer and metric: the count behind the rollup's small-group bound (the most answers one customer "
    "gave). Derived from `responses`; written with `response_rollup`, in the same transaction.",
    (
        Column("customer_id", "VARCHAR", "The customer who answered.", "C123", True, True),
        Column("metric", "VARCHAR", "nps, csat, ces or expectation.", "nps", True, True),
        Column("answers", "BIGINT", "How many answers of that metric the customer gave.", "14", True),
    ),
)

# The customer's dimensions as value linkage's stored frames carry them (filters apply to the stored rows).
_CUSTOMER_DIMENSIONS = (
        Column("segment", "VARCHAR", "The customer's segment ('(unknown)' when missing).", "family"),
        Column("plan", "VARCHAR", "The customer's plan.", "unlimited"),
        Column("region", "VARCHAR", "The customer's region.", "north"),
        Column("language", "VARCHAR", "The customer's language.", "ar"),
)

# Value linkage's two frames (cxlens.value.stored, architecture D54), rebuilt by every load of customers, outcomes,
# responses or tickets, erasure and retention, so `cxlens value` reads rows instead of joining two years of
# outcomes to every answer per call. `cxlens_meta` key `value_frames` records what they reflect; a stale table is never read.
VALUE_MONTHS = Table(
    "value_months",
    "Value linkage's customer-months: one row per customer x outcome month at risk with the latest relationship-NPS "
    "answer before it and the 3 months' CSAT, CES and tickets. Derived; rebuilt by loads and `cxlens value refresh`.",
    (
        Column("customer_id", "VARCHAR", "The customer.", "C123", True, True),
        Column("month", "VARCHAR", "Outcome month, YYYY-MM.", "2024-07", True, True),
        Column("m", "BIGINT", "year*12 + month - 1.", "24294", True),
        Column("year", "BIGINT", "Calendar year of the month.", "2024", True),
        Column("tenure", "BIGINT", "Months since the signup month.", "14"),
        *_CUSTOMER_DIMENSIONS,
        Column("churned", "BIGINT", "1 in the month that ends the relationship.", "0", True),
        Column("revenue", "DOUBLE", "Revenue of the month.", "42.5"),
        Column("cost_to_serve", "DOUBLE", "Cost to serve of the month.", "6.1"),
        Column("upgrades", "DOUBLE", "Upgrades in the month.", "0"),
        Column("referrals", "DOUBLE", "Referrals in the month.", "1"),
        Column("last_nps_score", "DOUBLE", "Latest relationship-NPS answer dated before the month.", "9"),
        Column("last_nps_age", "BIGINT", "Its age in months.", "2"),
        Column("csat_3m", "DOUBLE", "Mean CSAT of the 3 months before.", "4.2"),
        Column("ces_3m", "DOUBLE", "Mean CES of the 3 months before.", "2.5"),
        Column("tickets_3m", "BIGINT", "Tickets opened in the 3 months before.", "1"),
        Column("unresolved_3m", "BIGINT", "Of them, not resolved by the start of the month.", "0"),
    ),
)

VALUE_ANSWERS = Table(
    "value_answers",
    "Value linkage's answers: one row per relationship-NPS answer with the customer's outcomes over the 12 and 24 "
    "months after it. Derived; rebuilt by loads and `cxlens value refresh`.",
    (
        Column("customer_id", "VARCHAR", "The customer.", "C123", True),
        Column("response_id", "VARCHAR", "The answer (`responses.response_id`).", "R55-nps", True, True),
        Column("ts", "TIMESTAMP", "When it was given.", "2024-06-30 18:00:00", True),
        Column("m", "BIGINT", "Its month, year*12 + month - 1.", "24293", True),
        Column("year", "BIGINT", "Its calendar year.", "2024", True),
        Column("score", "DOUBLE", "The NPS answer, 0-10.", "9"),
        Column("group", "VARCHAR", "detractor, passive or promoter.", "promoter"),
        *_CUSTOMER_DIMENSIONS,
        Column("tenure", "BIGINT", "Months since the signup month at the answer's month.", "13"),
        *(Column(f"{name}_{h}", kind, f"{what} over the {h} months after the answer.", example)
          for h in (12, 24) for name, kind, what, example in (
              ("months", "BIGINT", "Outcome months observed", "12"), ("churned", "BIGINT", "1 when they churned", "0"),
              ("complete", "BIGINT", "1 when the outcome is known", "1"), ("revenue", "DOUBLE", "Revenue", "510"),
              ("cost_to_serve", "DOUBLE", "Cost to serve", "73.2"), ("upgrades", "DOUBLE", "Upgrades", "1"),
              ("referrals", "DOUBLE", "Referrals", "0"))),
    ),
)

# Value linkage's outcomes by group need, per customer, the sums of their answers per NPS group and horizon: kept
# beside the answers (architecture D54, D55), so the groups' statistics add up one row per customer.
VALUE_GROUPS = Table(
    "value_groups",
    "Value linkage's answers summed per customer and NPS group over the 12 and 24 months after each answer: what "
    "outcomes by group add up. Derived from `value_answers`; rebuilt with it.",
    (
        Column("customer_id", "VARCHAR", "The customer.", "C123", True, True),
        *_CUSTOMER_DIMENSIONS,
        *(Column(f"{name}_{group}_{h}", "DOUBLE", f"{what} of the customer's {group} answers, {h} months.", "2")
          for h in (12, 24) for name, what in (
              ("answers", "Count"), ("complete", "Answers with a complete follow-up"),
              ("churned", "Complete answers followed by a churn"), ("active_months", "Active months after"),
              ("revenue", "Revenue after"), ("cost_to_serve", "Cost to serve after"), ("upgrades", "Upgrades after"),
              ("referrals", "Referrals after"))
          for group in ("detractor", "passive", "promoter")),
    ),
)

# One row per ticket with what ticket outcomes group, filter and measure by (cxlens.metrics.ticket_facts, architecture
# D57): the customer's current attributes copied on, hours and flags computed, so `outcomes_by` reads one narrow table
# instead of joining customers to every ticket. Kept current by tickets and customers loads in the load's transaction;
# erasure deletes by its customer key, retention with the tickets; `cxlens_meta` key `ticket_facts` records what it
# reflects, and a stale table is never read.
TICKET_FACTS = Table(
    "ticket_facts",
    "One row per ticket: its dimensions (the customer's current segment, region, language, plan and account copied "
    "on, '(unknown)' when missing), resolved/reopened/first-contact flags and hours. Derived from `tickets` and "
    "`customers`; kept current by every load, `cxlens forget`, retention and `cxlens rollup rebuild`.",
    (
        Column("ticket_id", "VARCHAR", "The ticket (`tickets.ticket_id`).", "T7781", True, True),
        Column("customer_id", "VARCHAR", "Customer who raised it.", "C000123", True),
        Column("opened_at", "TIMESTAMP", "When it was opened.", "2024-07-01 09:00:00", True),
        Column("touchpoint_id", "VARCHAR", "Touchpoint (NULL kept: the map's stage is joined when read).", "billing_inquiry"),
        Column("category", "VARCHAR", "Problem category.", "billing_error"),
        Column("channel", "VARCHAR", "The ticket's channel.", "chat"),
        Column("segment", "VARCHAR", "The customer's current segment.", "family"),
        Column("region", "VARCHAR", "The customer's current region.", "north"),
        Column("language", "VARCHAR", "The customer's current language.", "de"),
        Column("plan", "VARCHAR", "The customer's current plan.", "unlimited"),
        Column("account", "VARCHAR", "The customer's current account.", "A55"),
        Column("resolved", "BOOLEAN", "Resolved (a resolution time is known).", "true", True),
        Column("reopened", "BOOLEAN", "Reopened after resolution.", "false", True),
        Column("fcr", "BOOLEAN", "Resolved at the first contact and not reopened.", "true", True),
        Column("first_response_h", "DOUBLE", "Hours to the first response.", "0.67"),
        Column("resolution_h", "DOUBLE", "Hours to resolution.", "31.0"),
    ),
)

META = Table(
    "cxlens_meta",
    "Facts about the store itself, such as `schema_version`.",
    (
        Column("key", "VARCHAR", "Name of the fact.", "schema_version", True, True),
        Column("value", "VARCHAR", "Its value.", "3"),
    ),
)

# Created with the canonical tables by the first migration.
SYSTEM_TABLES: dict[str, Table] = {t.name: t for t in (LOADS, QUARANTINE, COMMENT_ANALYSIS, JOURNEY_STEPS, ERASURES,
                                                      PERSONAS, IDENTITY_KEYS, IDENTITY_LINKS, RESPONSE_ROLLUP,
                                                      RESPONSE_ROLLUP_MONTH, ANSWER_COUNTS,
                                                      VALUE_MONTHS, VALUE_ANSWERS, VALUE_GROUPS, TICKET_FACTS)}


def table(name: str) -> Table:
    """The canonical, system or meta table called `name` (KeyError when there is none).

    Looks `TABLES` up at call time, so a store sees the model as it is now (tests replace entries).
    """
    if name in TABLES:
        return TABLES[name]
    if name == META.name:
        return META
    return SYSTEM_TABLES[name]


def stored_tables() -> list[Table]:
    """Every table a store holds, the meta table first: what opening and migrating a store go through."""
    return [META, *TABLES.values(), *SYSTEM_TABLES.values()]
