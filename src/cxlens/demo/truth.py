"""`truth.json`: every planted effect with its exact parameters and how to measure it.

Analyses and tests compare their estimates against these keys, so each entry states the quantity
(equation, scale, unit) rather than just a number.
"""

from __future__ import annotations

import numpy as np

from cxlens.demo import params as P
from cxlens.demo.comments import BANKS, distinct_sentences
from cxlens.demo.journey_spec import COMPANY_MOMENTS_OF_TRUTH, MU, OVERRATE, TOUCHPOINT_IDS
from cxlens.demo.lifecycle import Lifecycle
from cxlens.demo.population import Population

TRUTH_VERSION = 1


def build_truth(seed: int, pop: Population, life: Lifecycle, abandon_ts: np.ndarray, counts: dict[str, int], bad_rows: dict,
                aspect_gaps: dict | None = None, identity: dict | None = None) -> dict:
    """The machine-readable description of the demo company's hidden structure."""
    persona_n = np.bincount(pop.persona, minlength=len(P.PERSONAS))
    return {
        "truth_version": TRUTH_VERSION,
        "company": "Meridian Mobile, a fictional mobile operator",
        "seed": seed,
        "customers": pop.n,
        "period": {"first_month": "2024-01", "last_month": "2025-12", "months": P.MONTHS},
        "rows": counts,
        "conventions": {
            "outcomes": ("one row per customer and month, from the first month in the window (the signup month for "
                         "new customers, 2024-01 for the existing base) through the churn month; the churn month has "
                         "active=false and zero revenue, cost_to_serve, upgrades and referrals, and no rows follow. "
                         "Customers who never churn have rows through 2025-12."),
            "nps_groups": {"detractor": [0, 6], "passive": [7, 8], "promoter": [9, 10]},
            "nps_survey": (f"touchpoint 'relationship'; in the first month of each quarter a random "
                           f"{P.NPS_SAMPLE_SHARE:.0%} of the customers active that month answer"),
            "ces": "1-7 agreement with 'the company made it easy' (CES 2.0): higher means less effort",
            "expectation": "1-5 on the CSAT scale: the service level the customer expected (persona expectation level + noise); perceived CSAT minus it is the gap",
            "response_id": "<survey id>-<metric>: the answers of one survey share the survey id",
            "comments": ("on NPS and CSAT rows; `language` is left empty on 20% of commented rows for language "
                         "detection; the true language and themes are in comments_truth.csv"),
            "events_ts": "events.parquet `ts` is a timestamp[s] without time zone; CSV timestamps are 'YYYY-MM-DD HH:MM:SS'",
            "customer_extra_columns": ["age", "handset", "name", "email", "phone", "postcode"],
        },
        "personas": {
            "file": "personas_truth.csv",
            "definitions": [
                {"id": p["id"], "name": p["name"], "share": p["share"], "customers": int(persona_n[i]),
                 "description": p["description"], "segments": p["segment"], "age_range": list(p["age"]),
                 "attitude_mean": p["attitude"], "digital_channel_share": p["digital"],
                 "tickets_per_month": p["tickets"], "expectation_level": p["expects"],
                 "theme_propensity": p["themes"], "experience_shift": p["tp_shift"]}
                for i, p in enumerate(P.PERSONAS)
            ],
        },
        "breakpoint": {
            "touchpoint_id": P.BREAKPOINT,
            "port_in_share_of_new_customers": P.PORT_IN_SHARE,
            "abandon_probability": P.PORT_IN_ABANDON,
            "abandoned_customers": int((abandon_ts >= 0).sum()),
            "measure": ("share of customers whose events end at the touchpoint, among customers who reached it; "
                        "abandoners retry port_in 1-3 times, never activate and churn in the month they give up (1 h to 5 days "
                        "after their last try: usually the signup month, the next month for late signups)"),
        },
        "moments_of_truth": {
            "churn_drivers": {tp: {"beta_per_csat_point": b} for tp, b in P.CHURN_MOT_BETA.items()},
            "equation": ("monthly hazard *= exp(-beta * (x - q[i,t])) where x is the CSAT latent of the customer's most "
                         f"recent ticket at the touchpoint opened in this or the previous {P.MOT_WINDOW - 1} months and "
                         "q[i,t] the customer's usual experience level there (see nps_drivers); the post-resolution "
                         "CSAT survey is round(x) clipped to 1..5, so low CSAT at these touchpoints predicts churn"),
            "company_flagged": list(COMPANY_MOMENTS_OF_TRUTH),
            "flagged_without_churn_effect": [t for t in COMPANY_MOMENTS_OF_TRUTH if t not in P.CHURN_MOT_BETA],
        },
        "churn": {
            "base_monthly_hazard_by_segment": P.BASE_HAZARD,
            "nps_group_multiplier_by_year": P.CHURN_MULTIPLIER,
            "detractor_vs_promoter": {y: P.CHURN_MULTIPLIER[y]["detractor"] for y in P.CHURN_MULTIPLIER},
            "hazard_cap": P.HAZARD_CAP,
            "equation": ("h[i,m] = min(cap, base[segment] * multiplier[year(m)][group(i,m)] * moments_of_truth_factor); "
                         "group(i,m) is the NPS group of the customer's latent NPS in the quarter of month m (exactly the "
                         "group of the answer when the customer is surveyed that quarter); no churn in the joining month"),
            "how_to_measure": ("for each NPS answer in month m, churn in months m+1 and m+2 (same quarter) per customer-"
                               "month at risk, by group; stratify by segment (Mantel-Haenszel or Cox with strata)"),
            "churned_customers": int((life.churn_month < P.MONTHS).sum()),
        },
        "value_link": {
            "baseline_by_segment": P.SEGMENT_VALUE,
            "multiplier_by_segment": P.VALUE_LINK,
            "equation": ("monthly revenue and cost_to_serve = baseline * multiplier[segment][metric][group(i,m)] * "
                         "mean-one lognormal noise (sd 0.12 and 0.25); upgrades and referrals ~ Poisson(baseline * "
                         "multiplier); active months only. upgrades and referrals also appear as device_upgrade and "
                         "referral events"),
        },
        "nps_drivers": {
            "weights": {tp: P.NPS_WEIGHTS.get(tp, 0.0) for tp in TOUCHPOINT_IDS if tp != "relationship"},
            "intercept": P.NPS_INTERCEPT,
            "equation": ("L[i,q] = intercept + sum_t weight_t * (q[i,t] - mu_t) + u_i + e_iq + theme effects; the answer "
                         "is round(L) clipped to 0..10. q[i,t] = mu_t + persona shift + "
                         f"{P.ATTITUDE_LOADING} * attitude_i + N(0, {P.Q_SD}) is the customer's experience level at the "
                         f"touchpoint; a touchpoint CSAT answer is round(q + N(0, {P.EVENT_SD})) clipped to 1..5"),
            "noise_sd": {"customer_u": P.NPS_CUSTOMER_SD, "quarter_e": P.NPS_QUARTER_SD},
            "ranking": [tp for tp, w in sorted(P.NPS_WEIGHTS.items(), key=lambda kv: -kv[1]) if w > 0],
        },
        "resolution_csat": {
            "slope_per_day": P.RESOLUTION_CSAT_SLOPE,
            "equation": ("ticket CSAT latent x = q[i,t] + N(0, event_sd) + slope * (days_to_resolve - 2.5); the "
                         "post-resolution survey (touchpoint = ticket touchpoint, answered 1-48 h after resolved_at) is "
                         "round(x) clipped to 1..5"),
            "touchpoints": ["support_call", "support_chat", "store_repair", "billing_inquiry"],
        },
        "themes": {
            "ids": list(P.THEMES),
            "negative": list(P.NEGATIVE_THEMES),
            "languages": list(P.LANGUAGES),
            "nps_effect_points": P.THEME_NPS_EFFECT,
            "equation": ("a customer-quarter writes a comment with probability "
                         f"{P.NPS_COMMENT_SHARE}; it mentions 1 theme (70%) or 2 (30%) drawn by persona propensity, "
                         "independent of experiences; each mentioned theme adds its effect to that quarter's NPS latent. "
                         "OLS of the NPS score on theme-mention dummies over all NPS answers recovers the effects "
                         "(slightly attenuated by rounding and clipping)"),
            "file": "comments_truth.csv",
            "distinct_sentences_per_theme": {lg: {t: distinct_sentences(lg, t) for t in P.THEMES} for lg in BANKS},
        },
        "touchpoints": {
            "true_mean_csat_latent": MU,
            "owner_overrating_csat_points": OVERRATE,
        },
        "bad_rows": bad_rows,
        "aspect_gaps": aspect_gaps or {},
        "identity": identity or {},
    }
