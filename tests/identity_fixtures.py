"""Hand-built customers and a second source with a planted truth, for the identity resolution tests.

`planted(...)` draws customers (Latin and Cyrillic names, e-mails, GB mobiles, postcodes; families sharing a phone and
a surname) and records of a survey tool that point at them with stated variations (e-mail typos, new addresses,
phone formats with +44, 0044, spaces and Arabic-Indic digits, name typos, another word order, Latin spellings of
Cyrillic names, missing fields) plus people who are no customer at all. The truth says which customer each record
is (None: nobody), so precision and recall are counted by brute force.
"""

from __future__ import annotations

import csv
import random
import textwrap
from pathlib import Path

FIRST = ["anna", "john", "jane", "peter", "maria", "david", "sarah", "james", "laura", "michael", "emma", "thomas",
         "olivia", "daniel", "sophie", "robert", "lucy", "george", "hannah", "william", "grace", "oliver", "chloe",
         "harry", "amelia", "jack", "isla", "noah", "mia", "leo"]
LAST = ["smith", "jones", "taylor", "brown", "williams", "wilson", "johnson", "davies", "robinson", "wright",
        "thompson", "evans", "walker", "white", "roberts", "green", "hall", "wood", "jackson", "clarke", "patel",
        "khan", "lewis", "james", "phillips", "mason", "mitchell", "rose", "davis", "rodriguez"]
# Cyrillic customers: (customer's name, the other Latin spelling a survey tool may hold)
CYRILLIC = [("Александр Иванов", "Alexander Ivanov"), ("Мария Петрова", "Mariya Petrova"),
            ("Дмитрий Смирнов", "Dmitriy Smirnov"), ("Елена Кузнецова", "Yelena Kuznetsova"),
            ("Сергей Попов", "Sergey Popov"), ("Ольга Соколова", "Olga Sokolova")]
POSTCODES = ["SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "EC1A 1BB", "W1A 0AX", "LS1 4AP", "G1 1XQ",
             "CF10 1EP", "BT1 5GS", "EH1 1YZ", "L1 8JQ", "NE1 4ST", "BS1 4DJ"]
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _phone(i: int) -> str:
    return f"07700 9{i:05d}"


def _typo(text: str, rng: random.Random) -> str:
    """Two neighbouring letters swapped (not at the start): the commonest typing slip."""
    if len(text) < 4:
        return text + "x"
    i = rng.randrange(1, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def _phone_variant(phone: str, rng: random.Random) -> str:
    digits = phone.replace(" ", "")[1:]
    return rng.choice([phone, f"+44 {digits[:4]} {digits[4:]}", f"0044{digits}", f"+44({digits[:4]}){digits[4:]}",
                       phone.translate(ARABIC_INDIC)])


def planted(n_customers: int = 400, n_records: int = 240, seed: int = 7, outsiders: float = 0.1):
    """(customers, records, truth): customer dicts (customer_id, name, email, phone, postcode, segment), record dicts
    (ResponseId, RespondentName, RespondentEmail, RespondentPhone, Postcode, NPS) and ResponseId -> customer id/None."""
    rng = random.Random(seed)
    customers = []
    for i in range(n_customers):
        family = i > 0 and rng.random() < 0.2 and customers[-1]["phone_owner"] == i - 1
        cyrillic = rng.random() < 0.08
        if cyrillic:
            name, latin = CYRILLIC[rng.randrange(len(CYRILLIC))]
            first, last = latin.lower().split()
        else:
            first = rng.choice(FIRST)
            last = customers[-1]["last"] if family else rng.choice(LAST)
            name, latin = f"{first.title()} {last.title()}", None
        customers.append({
            "customer_id": f"C{i:04d}", "name": name, "latin": latin, "first": first, "last": last,
            "email": f"{first}.{last}{i}@{rng.choice(['example.com', 'mail.co.uk', 'post.net'])}",
            "phone": customers[-1]["phone"] if family else _phone(i), "phone_owner": i - 1 if family else i,
            "postcode": customers[-1]["postcode"] if family else rng.choice(POSTCODES), "segment": "family" if family else "value",
        })
    records, truth = [], {}
    for j in range(n_records):
        rid = f"R{j:04d}"
        if rng.random() < outsiders:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            records.append({"ResponseId": rid, "RespondentName": f"{first.title()} {last.title()}",
                            "RespondentEmail": f"{first}{last}{j}@elsewhere.org" if rng.random() < 0.7 else "",
                            "RespondentPhone": f"07911 1{j:05d}" if rng.random() < 0.5 else "",
                            "Postcode": rng.choice(POSTCODES), "NPS": rng.randrange(11)})
            truth[rid] = None
            continue
        c = customers[rng.randrange(n_customers)]
        truth[rid] = c["customer_id"]
        r = rng.random()
        email = (c["email"] if r < 0.45 else _typo(c["email"], rng) if r < 0.65
                 else f"{c['first']}{rng.randrange(100)}@newmail.com" if r < 0.8 else "")
        r = rng.random()
        name = c["latin"] or c["name"] if c["latin"] and rng.random() < 0.6 else c["name"]
        if not c["latin"]:
            name = (_typo(name, rng) if r < 0.15 else f"{c['last'].title()}, {c['first'].title()}" if r < 0.25
                    else name.upper() if r < 0.3 else name)
        records.append({"ResponseId": rid, "RespondentName": name, "RespondentEmail": email,
                        "RespondentPhone": _phone_variant(c["phone"], rng) if rng.random() < 0.7 else "",
                        "Postcode": c["postcode"] if rng.random() < 0.8 else "", "NPS": rng.randrange(11)})
    return customers, records, truth


CUSTOMER_COLUMNS = ["customer_id", "name", "email", "phone", "postcode", "segment"]
RECORD_COLUMNS = ["ResponseId", "RespondentName", "RespondentEmail", "RespondentPhone", "Postcode", "NPS"]
JOURNEY = """\
stages: [usage]
touchpoints:
  - {id: app, name: App, stage: usage, channel: app}
"""
LONG_MAPPING = """\
identity: {record: ResponseId, email: RespondentEmail, phone: RespondentPhone, name: RespondentName, postcode: Postcode}
columns: {response_id: ResponseId, score: NPS}
constants: {touchpoint_id: app, metric: nps, ts: 2024-05-01}
"""
WIDE_MAPPING = """\
identity: {record: ResponseId, email: RespondentEmail, phone: RespondentPhone, name: RespondentName, postcode: Postcode}
constants: {ts: 2024-05-01}
wide:
  response_id: ResponseId
  questions:
    - {column: NPS, metric: nps, touchpoint: app}
"""


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def identity_workspace(root: Path, customers: list[dict], records: list[dict], store_url: str | None = None,
                       wide: bool = False) -> Path:
    """A workspace (phone_region GB) with customers.csv, survey.csv and survey.yaml written, nothing loaded."""
    from cxlens.workspace import Workspace

    Workspace.create(root, store_url)
    (root / "journey.yaml").write_text(JOURNEY, encoding="utf-8")
    with (root / "cxlens.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[identity]\nphone_region = "GB"\n')
    write_csv(root / "customers.csv", customers, CUSTOMER_COLUMNS)
    write_csv(root / "survey.csv", records, RECORD_COLUMNS)
    (root / "survey.yaml").write_text(textwrap.dedent(WIDE_MAPPING if wide else LONG_MAPPING), encoding="utf-8")
    return root


def precision_recall(links: list[dict], truth: dict[str, str | None]) -> tuple[float, float]:
    """Brute force: precision = correct links / links, recall = correct links / records of customers."""
    linked = [r for r in links if r["status"] == "linked"]
    correct = sum(1 for r in linked if truth[r["record"]] == r["customer_id"])
    customers = sum(1 for v in truth.values() if v is not None)
    return correct / len(linked), correct / customers
