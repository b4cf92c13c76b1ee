"""The demo's people: CRM identities in customers.csv and the survey respondents' typed versions of them.

Each check recomputes from the written files (brute force, with its own small normalisers, independent of
cxlens.ingest.identity) what truth.json claims: who each respondent is, how often each variation happens,
and that the identities came from their own random stream (nothing else of the demo changed).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlens.demo import DemoFiles, generate
from cxlens.demo import params as P
from cxlens.demo.identities import email_key, format_phone

N, SEED = 20_000, 11  # the demo test_demo_generate uses: generated once per run
SCRIPTS = {"ar": "[\u0600-\u06FF]", "zh": "[\u4E00-\u9FFF]", "ru": "[\u0400-\u04FF]"}  # Arabic, CJK, Cyrillic


@pytest.fixture(scope="module")
def demo(shared_demo) -> DemoFiles:
    return shared_demo(N, SEED)


@pytest.fixture(scope="module")
def people(demo: DemoFiles) -> dict:
    customers = pd.read_csv(demo.customers, dtype=str, keep_default_na=False)
    survey = pd.read_csv(demo.aspect_survey, dtype=str, keep_default_na=False)
    truth = json.loads(demo.truth.read_text(encoding="utf-8"))["identity"]
    survey["true_id"] = survey["ResponseId"].map(truth["mapping"])
    crm = customers.set_index("customer_id")
    linked = survey[survey["true_id"].notna()].join(crm, on="true_id")
    return {"customers": customers, "survey": survey, "truth": truth, "linked": linked}


def national(phone: str) -> str:
    """A GB mobile as written anywhere in the demo -> `07xxxxxxxxx` (digits of any script, +44/0044/(0) dropped)."""
    digits = "".join(str(int(ch)) for ch in phone if ch.isdigit())
    for prefix in ("0044", "440", "44"):
        if digits.startswith(prefix):
            return "0" + digits[len(prefix):]
    return digits


def near(measured: int, rows: int, rate: float) -> bool:
    """Within 4 binomial standard errors of the planted rate."""
    return abs(measured - rows * rate) <= 4 * np.sqrt(rows * rate * (1 - rate)) + 1


def test_phone_formats_and_email_keys_follow_the_written_conventions() -> None:
    assert format_phone("07123456789", "spaced") == "07123 456789"
    assert format_phone("07123456789", "international") == "+447123456789"
    assert format_phone("07123456789", "double_zero") == "0044 7123 456789"
    assert format_phone("07123456789", "trunk_in_brackets") == "+44 (0)7123 456789"
    assert format_phone("07123456789", "dashed") == "07123-456-789"
    assert {national(format_phone("07123456789", s)) for s in P.SURVEY_PHONE_FORMATS} == {"07123456789"}
    assert national("٠٧١٢٣ ٤٥٦٧٨٩") == "07123456789"
    assert email_key(" J.Smith+cx@GMail.com") == "jsmith@gmail.com"
    assert email_key("J.Smith@outlook.com") == "j.smith@outlook.com"


def test_identities_come_from_their_own_stream_so_nothing_else_changes(tmp_path: Path, monkeypatch) -> None:
    def digests(files: DemoFiles) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in
                (files.events, files.responses, files.tickets, files.outcomes, files.notes, files.notes_truth,
                 files.personas_truth, files.comments_truth)}

    a = generate(tmp_path / "a", customers=600, seed=3)
    monkeypatch.setattr(P, "IDENTITY_RNG_STREAM", P.IDENTITY_RNG_STREAM + 1)
    b = generate(tmp_path / "b", customers=600, seed=3)
    assert digests(a) == digests(b)
    ca, cb = (pd.read_csv(f.customers, dtype=str) for f in (a, b))
    assert ca.drop(columns=["name", "email", "phone", "postcode"]).equals(cb.drop(columns=["name", "email", "phone", "postcode"]))
    assert (ca["email"] != cb["email"]).mean() > 0.9  # the identity stream did change
    sa, sb = (pd.read_csv(f.aspect_survey, dtype=str) for f in (a, b))
    respondent = ["RespondentName", "RespondentEmail", "RespondentPhone", "Postcode"]
    assert sa.drop(columns=respondent).equals(sb.drop(columns=respondent))
    ta, tb = (json.loads(f.truth.read_text(encoding="utf-8")) for f in (a, b))
    assert {k: v for k, v in ta.items() if k != "identity"} == {k: v for k, v in tb.items() if k != "identity"}


def test_customers_carry_a_name_in_their_script_a_unique_email_a_gb_mobile_and_a_regional_postcode(people: dict) -> None:
    c = people["customers"]
    assert list(c.columns[-4:]) == ["name", "email", "phone", "postcode"] and (c[["name", "email", "phone", "postcode"]] != "").all().all()
    for lg, group in c.groupby("language"):
        native = group["name"].str.contains(SCRIPTS[lg]) if lg in SCRIPTS else group["name"].str.fullmatch(r"[A-Za-zÄÖÜäöüß' ]+ [A-Za-zÄÖÜäöüß' ]+")
        assert native.all(), lg
    assert c["email"].str.fullmatch(r"[a-z0-9._]+@[a-z.]+\.[a-z]+").all()
    assert c["email"].map(email_key).is_unique
    assert set(c["email"].str.partition("@")[2]) == set(P.EMAIL_DOMAINS)
    phones = c["phone"].map(national)
    assert phones.str.fullmatch(r"07\d{9}").all() and phones.str[:3].isin(P.GB_MOBILE_PREFIXES).all()
    assert c["phone"].str.fullmatch(r"\d+").mean() == pytest.approx(P.CRM_PHONE_FORMATS["compact"], abs=0.02)
    areas = {region: "|".join(codes) for region, codes in P.REGION_POSTCODE_AREAS.items()}
    assert all(re.fullmatch(rf"({areas[r]})\d{{1,2}} \d[A-Z]{{2}}", pc) for r, pc in zip(c["region"], c["postcode"]))


def test_only_family_households_share_a_phone_with_their_postcode_and_family_name(people: dict) -> None:
    c = people["customers"].assign(national=lambda d: d["phone"].map(national))
    shared = c[c.duplicated("national", keep=False)]
    assert (shared["segment"] == "family").all()
    for _, household in shared.groupby("national"):
        assert household["postcode"].nunique() == 1 and household["language"].nunique() == 1
        if household["language"].iloc[0] in ("en", "de", "ru", "ar"):
            assert household["name"].str.split(" ").str[-1].nunique() == 1
    family = c["segment"] == "family"
    members = len(shared) - shared["national"].nunique()  # all but the phone's first holder
    assert members / family.sum() == pytest.approx(P.FAMILY_SHARED_PHONE, abs=0.03)
    assert people["truth"]["households"]["customers_sharing_a_phone"] == members


def test_truth_maps_every_survey_row_to_its_customer_or_to_none(people: dict) -> None:
    s, truth, c = people["survey"], people["truth"], people["customers"]
    assert truth["source"] == "aspect_survey.csv" and truth["record_column"] == "ResponseId"
    assert set(truth["mapping"]) == set(s["ResponseId"]) and len(s) == truth["records"]
    assert s["true_id"].dropna().isin(c["customer_id"]).all()
    outsiders = s[s["true_id"].isna()]
    assert len(outsiders) == truth["non_customer_records"] and near(len(outsiders), len(s), P.RESPONDENT_VARIATIONS["non_customer"])
    # An outsider holds no customer's e-mail; their phone is a customer's only in a household, and then nobody there
    # has their name.
    assert not set(outsiders["RespondentEmail"].map(email_key)) & set(c["email"].map(email_key))
    crm = c.assign(national=c["phone"].map(national))
    for _, row in outsiders[outsiders["RespondentPhone"] != ""].iterrows():
        home = crm[crm["national"] == national(row["RespondentPhone"])]
        assert home.empty or (home["segment"] == "family").all() and row["RespondentName"] not in set(home["name"])
    assert truth["applied"]["non_customer_household"] >= 1


def test_survey_rows_vary_from_the_crm_at_the_planted_rates(people: dict) -> None:
    """Brute force over the linked rows: each field against the true customer's CRM value."""
    v, linked, applied = P.RESPONDENT_VARIATIONS, people["linked"], people["truth"]["applied"]
    rows = len(people["survey"])
    for field, column in (("email", "RespondentEmail"), ("phone", "RespondentPhone"), ("name", "RespondentName"),
                          ("postcode", "Postcode")):
        empty = int((people["survey"][column] == "").sum())
        assert empty == applied[f"{field}_missing"] and near(empty, rows, v[f"{field}_missing"]), field

    email = linked[linked["RespondentEmail"] != ""]
    same = email["RespondentEmail"].map(email_key) == email["email"].map(email_key)
    exact = email["RespondentEmail"] == email["email"]
    assert 0.87 < same.mean() < 0.95  # a new address (6% of customers) or a typo (3%) differ; case and +tags do not
    assert near(int((~exact[same]).sum()), int(same.sum()), v["email_case"] + v["email_plus_tag"] - v["email_case"] * v["email_plus_tag"])

    phone = linked[linked["RespondentPhone"] != ""]
    assert near(int((phone["RespondentPhone"].map(national) != phone["phone"].map(national)).sum()), len(phone), v["phone_typo"])
    arabic = phone[phone["language"] == "ar"]["RespondentPhone"].str.contains("[٠-٩]")
    assert near(int(arabic.sum()), len(arabic), v["phone_arabic_digits"])
    assert phone["RespondentPhone"].str.startswith("0044").sum() > 0 and phone["RespondentPhone"].str.contains(r"\(0\)").sum() > 0

    named = linked[(linked["RespondentName"] != "") & linked["language"].isin(list(SCRIPTS))]
    in_latin = ~named.apply(lambda r: bool(re.search(SCRIPTS[r["language"]], r["RespondentName"])), axis=1)
    assert near(int(in_latin.sum()), len(named), v["name_latin"])
    german = linked[(linked["RespondentName"] != "") & (linked["language"] == "de") & linked["name"].str.contains("[äöüß]")]
    ascii_spelt = ~german["RespondentName"].str.contains("[äöüßÄÖÜ]")
    assert ascii_spelt.mean() == pytest.approx(v["name_ascii_german"], abs=0.06)

    postcode = linked[linked["Postcode"] != ""]
    written = postcode["Postcode"].str.upper().str.replace(" ", "")
    assert near(int((written != postcode["postcode"].str.replace(" ", "")).sum()), len(postcode), v["postcode_moved"])
    assert near(int((postcode["Postcode"] != postcode["postcode"]).sum()), len(postcode),
                v["postcode_moved"] + v["postcode_format"] - v["postcode_moved"] * v["postcode_format"])
