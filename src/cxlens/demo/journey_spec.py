"""The demo operator's journey map: touchpoints as the company describes them, plus how they behave.

The descriptive half (name, channel, owner, targets, self_rating...) is written to `journey.yaml`;
the behavioural half (`mu`: true mean CSAT latent, survey rates, channels) drives the simulation and
goes to `truth.json`, so the gap between what owners believe and what customers say is known.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from cxlens.demo.params import BREAKPOINT

STAGES = ("awareness", "purchase", "onboarding", "usage", "billing", "support", "renewal", "advocacy")

# id, stage, name, channel, owner, moment_of_truth, mu (true CSAT latent mean), self-rating over-rate,
# description, expectation. Owners over-rate themselves by `overrate` CSAT points.
_TP = (
    ("website_browse", "awareness", "Browse plans online", "web", "Digital marketing", False, 3.9, 0.3,
     "Prospect compares plans and handsets on the website.", "Clear prices without small print"),
    ("store_visit", "awareness", "Store visit", "store", "Retail network", False, 4.0, 0.4,
     "Customer walks into a store for advice or service.", "Someone who listens and knows the products"),
    ("credit_check", "purchase", "Credit check", "web", "Risk team", False, 3.7, 0.5,
     "Postpaid applicants are credit-checked before the contract.", "A quick yes or no"),
    ("online_checkout", "purchase", "Online checkout", "web", "E-commerce", False, 3.9, 0.3,
     "Customer orders a plan or SIM online.", "Order done in five minutes"),
    ("store_purchase", "purchase", "Store purchase", "store", "Retail network", False, 4.1, 0.3,
     "Customer signs up in a store.", "Leave the store with a working phone"),
    ("sim_delivery", "onboarding", "SIM delivery", "courier", "Logistics", False, 3.8, 0.4,
     "Physical SIM is delivered by courier.", "SIM arrives when promised"),
    ("port_in", "onboarding", "Number port-in", "app", "Onboarding squad", True, 3.2, 0.9,
     "Customer moves their existing number from another operator.", "Keep my number without a day offline"),
    ("activation", "onboarding", "Activation", "app", "Onboarding squad", True, 3.8, 0.5,
     "SIM or eSIM is activated and the line goes live.", "It just works"),
    ("app_login", "usage", "Self-care app", "app", "Digital products", False, 3.6, 0.7,
     "Customer uses the app to check usage, bills and offers.", "Everything in two taps"),
    ("data_topup", "usage", "Data top-up", "app", "Digital products", False, 3.9, 0.3,
     "Customer buys extra data or recharges credit.", "Instant top-up, fair price"),
    ("plan_change", "usage", "Plan change", "app", "Product management", False, 3.7, 0.4,
     "Customer switches to another plan or add-on.", "Change now, pay the right amount"),
    ("roaming_abroad", "usage", "Roaming abroad", "sms", "Roaming team", False, 3.5, 0.6,
     "Customer uses the phone abroad and gets roaming notices.", "No bill shock after a trip"),
    ("first_bill", "billing", "First bill", "email", "Billing team", True, 3.5, 0.8,
     "New postpaid customer receives the first invoice.", "A bill I understand, as sold"),
    ("bill_payment", "billing", "Monthly bill and payment", "app", "Billing team", False, 3.8, 0.5,
     "Customer reviews and pays the monthly bill.", "Correct, on time, easy to pay"),
    ("billing_inquiry", "billing", "Billing inquiry", "call_center", "Billing team", True, 3.4, 0.8,
     "Customer contacts the company about a charge.", "The error fixed on first contact"),
    ("support_chat", "support", "Support chat", "chat", "Customer care", False, 3.6, 0.5,
     "Customer asks for help in the app or web chat.", "A human answer within minutes"),
    ("support_call", "support", "Support call", "call_center", "Customer care", True, 3.5, 0.7,
     "Customer calls the contact centre with a problem.", "Short wait, one call, problem solved"),
    ("store_repair", "support", "Store repair desk", "store", "Retail network", False, 3.7, 0.4,
     "Device or SIM problem handled at a store.", "Fixed or replaced on the spot"),
    ("tech_visit", "support", "Technician visit", "field", "Field operations", False, 3.8, 0.3,
     "A technician checks coverage or equipment on site.", "Arrives in the slot, fixes it"),
    ("complaint_escalation", "support", "Formal complaint", "email", "Customer relations", False, 2.9, 0.9,
     "An unresolved problem becomes a formal complaint.", "Someone finally takes ownership"),
    ("contract_renewal", "renewal", "Contract renewal", "store", "Retention team", True, 3.7, 0.5,
     "Contract reaches its end date and is renewed or renegotiated.", "Loyalty rewarded, not punished"),
    ("retention_offer", "renewal", "Retention offer", "call_center", "Retention team", False, 3.6, 0.5,
     "Customer at risk is called with an offer.", "An offer that fits, without pressure"),
    ("device_upgrade", "renewal", "Device upgrade", "store", "Retail network", False, 4.0, 0.3,
     "Customer upgrades handset or plan tier.", "Smooth switch, data moved"),
    ("loyalty_reward", "advocacy", "Loyalty reward", "app", "CRM", False, 3.9, 0.3,
     "Customer redeems points or a birthday gift.", "A reward that feels personal"),
    ("referral", "advocacy", "Referral", "app", "CRM", False, 4.1, 0.2,
     "Customer recommends a friend who signs up.", "My friend gets the deal I was promised"),
    ("relationship", "advocacy", "Overall relationship", "survey", "Chief Customer Officer", False, 3.7, 0.5,
     "Journey-wide touchpoint for the quarterly relationship NPS survey.", "An operator I would recommend"),
)

TOUCHPOINT_IDS = tuple(t[0] for t in _TP)
TP_INDEX = {tp: i for i, tp in enumerate(TOUCHPOINT_IDS)}
MU = {t[0]: t[6] for t in _TP}
OVERRATE = {t[0]: t[7] for t in _TP}
COMPANY_MOMENTS_OF_TRUTH = tuple(t[0] for t in _TP if t[5])

# Share of events followed by a CSAT survey (CES and expectation are asked on part of those).
SURVEY_RATE = {
    "website_browse": 0.03, "store_visit": 0.20, "credit_check": 0.15, "online_checkout": 0.25,
    "store_purchase": 0.25, "sim_delivery": 0.20, "port_in": 0.35, "activation": 0.35,
    "app_login": 0.035, "data_topup": 0.06, "plan_change": 0.20, "roaming_abroad": 0.15,
    "first_bill": 0.30, "bill_payment": 0.05, "contract_renewal": 0.30, "retention_offer": 0.25,
    "device_upgrade": 0.25, "loyalty_reward": 0.10, "referral": 0.0,
}
TICKET_SURVEY_RATE = 0.40  # support touchpoints are surveyed after the ticket is resolved
CES_SHARE = 0.5
EXPECTATION_SHARE = 0.3

# Channels actually used at a touchpoint (the map names the main one): switching is part of the data.
EVENT_CHANNELS = {
    "port_in": (("app", 0.5), ("store", 0.3), ("call_center", 0.2)),
    "activation": (("app", 0.6), ("store", 0.3), ("call_center", 0.1)),
    "bill_payment": (("app", 0.55), ("web", 0.25), ("direct_debit", 0.15), ("store", 0.05)),
    "plan_change": (("app", 0.6), ("web", 0.2), ("store", 0.1), ("call_center", 0.1)),
    "data_topup": (("app", 0.7), ("sms", 0.2), ("store", 0.1)),
    "billing_inquiry": (("call_center", 0.6), ("chat", 0.3), ("store", 0.1)),
    "contract_renewal": (("store", 0.5), ("app", 0.3), ("call_center", 0.2)),
}
MAIN_CHANNEL = {t[0]: t[3] for t in _TP}


def journey_map() -> dict:
    """The journey map as the dict `journey.yaml` holds; owners' self-ratings exceed reality."""
    touchpoints = []
    for tp_id, stage, name, channel, owner, mot, mu, over, desc, expect in _TP:
        csat_self = round(min(5.0, mu + over), 1)
        # Ambitious but reachable, so the scorecard shows both meets and misses; NPS: more promoters than detractors.
        targets = {"csat": 3.8, "ces": 4.6} if tp_id != "relationship" else {"nps": 0.0}
        self_rating = {"csat": csat_self} if tp_id != "relationship" else {"nps": 35.0}
        if tp_id == BREAKPOINT:
            targets["expectation"] = 3.5
        touchpoints.append({
            "id": tp_id, "name": name, "stage": stage, "channel": channel, "description": desc,
            "expectation": expect, "owner": owner, "moment_of_truth": mot,
            "targets": targets, "self_rating": self_rating,
        })
    return {"stages": list(STAGES), "touchpoints": touchpoints}


def write_journey_yaml(path: Path) -> Path:
    """Write `journey.yaml` (valid for `cxlens.journey.read_journey`) and return its path."""
    header = "# Journey map of Meridian Mobile, the cxlens demo operator (generated by `cxlens demo`).\n"
    path.write_text(header + yaml.safe_dump(journey_map(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
