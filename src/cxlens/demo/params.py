"""Every number the demo company is built from, in one place.

The planted effects that later analyses must recover live here as plain data, so the generator
uses exactly the values that `truth.json` reports: one definition, no drift between the two.
"""

from __future__ import annotations

START_YEAR = 2024
MONTHS = 24  # 2024-01 .. 2025-12
QUARTERS = MONTHS // 3

SEGMENTS = (
    "youth_prepaid", "value", "family", "premium",
    "business_sme", "business_corporate", "senior", "student",
)
BUSINESS_SEGMENTS = ("business_sme", "business_corporate")

# Promoter-level monthly churn hazard per segment (the baseline the NPS-group multipliers scale).
BASE_HAZARD = {
    "youth_prepaid": 0.020, "value": 0.014, "family": 0.008, "premium": 0.006,
    "business_sme": 0.008, "business_corporate": 0.005, "senior": 0.006, "student": 0.016,
}

# Monthly churn hazard multiplier by NPS group and calendar year (promoters = 1): the drift of item 5.
CHURN_MULTIPLIER = {
    "2024": {"promoter": 1.0, "passive": 1.4, "detractor": 2.0},
    "2025": {"promoter": 1.0, "passive": 1.8, "detractor": 4.0},
}
HAZARD_CAP = 0.5

# Baseline monthly value per segment (promoter level): revenue and cost in EUR, rates per month.
SEGMENT_VALUE = {
    "youth_prepaid":      {"revenue": 14.0, "cost_to_serve": 3.0, "upgrades": 0.010, "referrals": 0.030},
    "value":              {"revenue": 18.0, "cost_to_serve": 3.5, "upgrades": 0.010, "referrals": 0.020},
    "family":             {"revenue": 62.0, "cost_to_serve": 8.0, "upgrades": 0.025, "referrals": 0.030},
    "premium":            {"revenue": 78.0, "cost_to_serve": 9.0, "upgrades": 0.035, "referrals": 0.030},
    "business_sme":       {"revenue": 55.0, "cost_to_serve": 7.0, "upgrades": 0.020, "referrals": 0.015},
    "business_corporate": {"revenue": 90.0, "cost_to_serve": 11.0, "upgrades": 0.030, "referrals": 0.010},
    "senior":             {"revenue": 24.0, "cost_to_serve": 5.0, "upgrades": 0.005, "referrals": 0.015},
    "student":            {"revenue": 16.0, "cost_to_serve": 3.0, "upgrades": 0.012, "referrals": 0.040},
}

# Multipliers of the segment baseline by NPS group (promoter = 1). Business segments tie value
# to experience more strongly than consumer segments, so the per-segment tables differ.
_CONSUMER_LINK = {
    "revenue": {"detractor": 0.90, "passive": 0.96},
    "cost_to_serve": {"detractor": 1.50, "passive": 1.20},
    "upgrades": {"detractor": 0.40, "passive": 0.70},
    "referrals": {"detractor": 0.10, "passive": 0.35},
}
_BUSINESS_LINK = {
    "revenue": {"detractor": 0.80, "passive": 0.92},
    "cost_to_serve": {"detractor": 1.80, "passive": 1.30},
    "upgrades": {"detractor": 0.30, "passive": 0.60},
    "referrals": {"detractor": 0.05, "passive": 0.30},
}
VALUE_LINK = {
    seg: {m: {**g, "promoter": 1.0} for m, g in (_BUSINESS_LINK if seg in BUSINESS_SEGMENTS else _CONSUMER_LINK).items()}
    for seg in SEGMENTS
}

REGIONS = ("capital", "north", "south", "east", "coast")
REGION_SHARE = (0.34, 0.18, 0.16, 0.14, 0.18)
LANGUAGES = ("en", "ar", "zh", "ru", "de")
# P(language | region): language follows the region's communities.
REGION_LANGUAGE = {
    "capital": (0.36, 0.30, 0.14, 0.10, 0.10),
    "north":   (0.12, 0.74, 0.04, 0.06, 0.04),
    "south":   (0.20, 0.22, 0.50, 0.05, 0.03),
    "east":    (0.15, 0.20, 0.05, 0.55, 0.05),
    "coast":   (0.38, 0.12, 0.05, 0.10, 0.35),
}

# Plans per segment with probabilities; prepaid plans have no monthly bill.
SEGMENT_PLANS = {
    "youth_prepaid": (("prepaid_basic", 0.45), ("prepaid_data", 0.55)),
    "value": (("prepaid_basic", 0.40), ("postpaid_s", 0.60)),
    "family": (("family_share", 0.75), ("postpaid_m", 0.25)),
    "premium": (("postpaid_unlimited", 0.80), ("postpaid_m", 0.20)),
    "business_sme": (("business_flex", 1.0),),
    "business_corporate": (("business_enterprise", 1.0),),
    "senior": (("postpaid_s", 0.60), ("prepaid_basic", 0.40)),
    "student": (("prepaid_data", 0.60), ("postpaid_s", 0.40)),
}
PREPAID_PLANS = ("prepaid_basic", "prepaid_data")
HANDSETS = ("iphone", "samsung", "xiaomi", "huawei", "other")

THEMES = (
    "billing_errors", "network_coverage", "waiting_time", "price_value", "app_experience",
    "friendly_staff", "fast_resolution",
)
NEGATIVE_THEMES = THEMES[:5]
# Shift of the NPS latent (0-10 points) of a response whose comment mentions the theme.
THEME_NPS_EFFECT = {
    "billing_errors": -1.6, "network_coverage": -1.2, "waiting_time": -1.0, "price_value": -0.7,
    "app_experience": -0.5, "friendly_staff": 0.9, "fast_resolution": 1.3,
}

# Latent personas: who they are, and the attitude/behaviour profile that generates their data.
# segment: P(segment | persona); attitude: mean general warmth (sd 1); digital: P(digital channel);
# tickets: support tickets per month; expects: expectation level on the CSAT scale;
# themes: relative propensity to write about each theme; tp_shift: persona-specific experience shifts.
PERSONAS = (
    {"id": "P1", "name": "digital_natives", "share": 0.22,
     "description": "Young, app-first, price-aware; judge the operator by its app and data.",
     "segment": {"youth_prepaid": 0.55, "student": 0.35, "value": 0.10},
     "age": (17, 29), "attitude": 0.0, "digital": 0.90, "tickets": 0.040, "expects": 3.8,
     "themes": {"app_experience": 3, "price_value": 2, "network_coverage": 2, "fast_resolution": 1},
     "tp_shift": {"app_login": 0.2, "data_topup": 0.2, "store_visit": -0.3}},
    {"id": "P2", "name": "bargain_hunters", "share": 0.20,
     "description": "Cost-focused, low loyalty; any price rise or bill surprise is a reason to leave.",
     "segment": {"value": 0.65, "youth_prepaid": 0.20, "senior": 0.15},
     "age": (25, 60), "attitude": -0.6, "digital": 0.55, "tickets": 0.055, "expects": 3.4,
     "themes": {"price_value": 4, "billing_errors": 2, "waiting_time": 1},
     "tp_shift": {"bill_payment": -0.2, "billing_inquiry": -0.3}},
    {"id": "P3", "name": "connected_families", "share": 0.20,
     "description": "Shared family plans; many lines make bills complex and billing errors costly.",
     "segment": {"family": 0.85, "premium": 0.10, "value": 0.05},
     "age": (30, 55), "attitude": 0.1, "digital": 0.60, "tickets": 0.070, "expects": 3.6,
     "themes": {"billing_errors": 3, "friendly_staff": 1, "fast_resolution": 1, "price_value": 1},
     "tp_shift": {"first_bill": -0.3, "billing_inquiry": -0.2}},
    {"id": "P4", "name": "premium_loyalists", "share": 0.12,
     "description": "High spend, high expectations, warm toward the brand when service is personal.",
     "segment": {"premium": 0.80, "family": 0.20},
     "age": (30, 65), "attitude": 0.7, "digital": 0.65, "tickets": 0.045, "expects": 4.2,
     "themes": {"friendly_staff": 3, "fast_resolution": 2, "network_coverage": 1},
     "tp_shift": {"store_visit": 0.3, "support_call": 0.2}},
    {"id": "P5", "name": "busy_professionals", "share": 0.14,
     "description": "Business contacts; coverage and fast resolution matter, waiting does not go down well.",
     "segment": {"business_sme": 0.50, "business_corporate": 0.50},
     "age": (26, 62), "attitude": -0.1, "digital": 0.70, "tickets": 0.060, "expects": 4.0,
     "themes": {"network_coverage": 3, "waiting_time": 3, "fast_resolution": 2},
     "tp_shift": {"support_call": -0.2, "roaming_abroad": -0.3}},
    {"id": "P6", "name": "traditional_seniors", "share": 0.12,
     "description": "Store and phone first, loyal and patient; value friendly staff, struggle with the app.",
     "segment": {"senior": 0.85, "value": 0.15},
     "age": (60, 85), "attitude": 0.4, "digital": 0.20, "tickets": 0.050, "expects": 3.3,
     "themes": {"friendly_staff": 4, "app_experience": 2, "waiting_time": 1},
     "tp_shift": {"app_login": -0.5, "store_visit": 0.4, "support_call": 0.2}},
)

# Touchpoint experience model: q[i,t] = mu_t + persona shift + ATTITUDE_LOADING * attitude_i + N(0, Q_SD).
ATTITUDE_LOADING = 0.15
Q_SD = 0.55
EVENT_SD = 0.55  # event-to-event noise around the customer's experience level

# Relationship NPS: L[i,q] = NPS_INTERCEPT + sum_t NPS_WEIGHTS[t] * (q[i,t] - mu_t) + u_i + e_iq + themes.
NPS_INTERCEPT = 7.5
NPS_WEIGHTS = {
    "app_login": 1.8, "bill_payment": 1.3, "store_visit": 0.9, "support_call": 0.5,
    "data_topup": 0.0, "contract_renewal": 0.0,
}
NPS_CUSTOMER_SD = 1.0
NPS_QUARTER_SD = 0.6
NPS_SAMPLE_SHARE = 0.38
NPS_COMMENT_SHARE = 0.60  # share of customer-quarters salient enough to write a comment
CSAT_COMMENT_SHARE = 0.06

# Moments of truth whose ticket experience drives churn: hazard *= exp(-beta * (x - q[i,t])) for
# MOT_WINDOW months after a ticket opened at that touchpoint, i.e. the *surprise* of the ticket
# against the customer's usual level, so the effect is independent of the NPS group.
CHURN_MOT_BETA = {"support_call": 0.8, "billing_inquiry": 0.7}
MOT_WINDOW = 4

# Every extra day to resolve a ticket lowers the CSAT latent of its support touchpoint by this much.
RESOLUTION_CSAT_SLOPE = -0.20

# Onboarding: share of new customers who port a number, and P(abandon | porting) at the breakpoint.
NEW_CUSTOMER_SHARE = 0.45
PORT_IN_SHARE = 0.60
PORT_IN_ABANDON = 0.40
BREAKPOINT = "port_in"

# Per-aspect survey (a separate, Qualtrics-style wide export): at these touchpoints a share of the
# events is followed by expectation and CSAT questions on each aspect. Latents: expectation
# ~ N(ASPECT_EXPECTATION_MU, ASPECT_SD), perceived ~ N(ASPECT_EXPECTATION_MU + gap, ASPECT_SD); answers
# are the latents rounded and clipped to 1..5. At the first bill (a moment of truth) the bill is
# right (functional gap small) but it feels cold and confusing (emotional shortfall large).
ASPECT_GAPS = {
    "first_bill": {"functional": -0.1, "emotional": -1.2, "experiential": -0.5},
    "contract_renewal": {"functional": 0.3, "emotional": -0.6, "experiential": -0.2},
    "activation": {"functional": -0.7, "emotional": 0.2, "experiential": -0.1},
}
ASPECT_EXPECTATION_MU = 3.9
ASPECT_SD = 0.8
ASPECT_SURVEY_RATE = 0.30  # share of the touchpoint's events followed by the aspect survey
ASPECT_ITEM_SKIP = 0.05    # share of aspect questions a respondent leaves empty
ASPECT_RNG_STREAM = 7      # np.random.default_rng([seed, ASPECT_RNG_STREAM]): the main stream is untouched

# The people of the demo (identities.py): names, e-mails, phones and postcodes in customers.csv and, as the
# respondents typed them, in the per-aspect survey export (the second source, linked by identity resolution).
# Drawn from np.random.default_rng([seed, IDENTITY_RNG_STREAM]), so every other generated value is unchanged.
IDENTITY_RNG_STREAM = 11
EMAIL_DOMAINS = {"gmail.com": 0.32, "outlook.com": 0.14, "hotmail.co.uk": 0.12, "yahoo.co.uk": 0.10,
                 "icloud.com": 0.10, "btinternet.com": 0.08, "sky.com": 0.08, "proton.me": 0.06}
GB_MOBILE_PREFIXES = ("071", "072", "073", "074", "075", "078")  # ranges every GB numbering plan calls mobile
# How the CRM (customers.csv) writes a phone: agents typed them over the years, so the formats vary.
CRM_PHONE_FORMATS = {"spaced": 0.55, "compact": 0.25, "international_spaced": 0.10, "international": 0.05,
                     "dashed": 0.05}
# How survey respondents write theirs (Arabic speakers partly in Arabic-Indic digits, see below).
SURVEY_PHONE_FORMATS = {"spaced": 0.35, "compact": 0.20, "international_spaced": 0.15, "international": 0.10,
                        "double_zero": 0.08, "trunk_in_brackets": 0.07, "dashed": 0.05}
FAMILY_SHARED_PHONE = 0.30  # share of family-segment customers in a household: the phone, postcode, family name of another
# Made-up postcode areas per region: `<area><district 1-29> <sector 0-9><unit, 2 letters>`, e.g. `MC12 4AB`.
REGION_POSTCODE_AREAS = {"capital": ("MC", "MW"), "north": ("NH", "NT"), "south": ("SU", "SL"),
                         "east": ("EA", "EK"), "coast": ("CT", "CB")}
# Variations of the survey's respondent columns against the CRM: per respondent row unless the comment says otherwise.
RESPONDENT_VARIATIONS = {
    "non_customer": 0.015,            # the respondent is no customer (no true match)
    "non_customer_household": 0.25,   # of non-customers: a customer's household member (their phone, postcode, family name)
    "name_missing": 0.04,
    "name_latin": 0.45,               # of respondents named in Arabic, Chinese or Cyrillic script: written in Latin
    "name_other_scheme": 0.35,        # of those: the second transliteration scheme (names.py)
    "name_ascii_german": 0.30,        # of German-speaking respondents: umlauts written ue/oe/ae, ß as ss
    "name_family_first": 0.06,        # `Smith, James` or `SMITH James`
    "name_case": 0.06,                # all upper or all lower case
    "name_typo": 0.04,                # one letter dropped, doubled or swapped (not in Chinese characters)
    "name_given_only": 0.02,
    "name_honorific": 0.03,           # Mr, Ms, Dr, Herr, Frau ... before a Latin-script name
    "email_missing": 0.07,
    "email_new": 0.06,                # per customer: they answer from an address the CRM does not hold
    "email_typo": 0.03,               # one letter of the local part dropped, doubled or swapped, or the domain mistyped
    "email_case": 0.05,               # capitals: `James.Smith@Gmail.com`
    "email_plus_tag": 0.02,           # `james.smith+survey@gmail.com`
    "phone_missing": 0.12,
    "phone_typo": 0.01,               # one digit wrong
    "phone_arabic_digits": 0.30,      # of Arabic-speaking respondents giving a phone: Arabic-Indic digits
    "postcode_missing": 0.25,
    "postcode_format": 0.20,          # lower case and/or without the space
    "postcode_moved": 0.03,           # a new postcode in the same region
}
