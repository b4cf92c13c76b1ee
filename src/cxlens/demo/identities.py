"""The demo's people: who each customer is, and how they wrote it when they answered a survey.

customers.csv (the CRM) holds each customer's `name` in their language and script (names.py), `email` (from
the Latin spelling, at a few domains), `phone` (a GB mobile, in the formats CRM agents typed over the years)
and `postcode` (a made-up scheme per region). A share of family-segment customers live in a household: they
share another family customer's phone, postcode and family name. The per-aspect survey export carries, instead
of the CRM id, what each respondent typed (`RespondentName`, `RespondentEmail`, `RespondentPhone`, `Postcode`)
with the variations of `params.RESPONDENT_VARIATIONS`, and a few respondents are no customer at all; so its rows
reach a customer only through identity resolution, and truth.json's `identity` section holds the true mapping.

All of it comes from the second random stream `np.random.default_rng([seed, IDENTITY_RNG_STREAM])`: adding it
changed no other generated value. The truth has no accidental collisions: no two customers share an e-mail
(compared as identity resolution normalises them: case, gmail dots, `+tags`), only a household shares a phone,
and a typo or a new address never lands on another person's e-mail or phone.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxlens.demo import params as P
from cxlens.demo.names import FAMILY, GIVEN, NON_LATIN, ascii_german, full_name
from cxlens.demo.population import Population

RESPONDENT_COLUMNS = {"name": "RespondentName", "email": "RespondentEmail", "phone": "RespondentPhone",
                      "postcode": "Postcode"}
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters UK postcodes use in the unit
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_HONORIFICS = {"en": ("Mr", "Mrs", "Ms", "Dr"), "de": ("Herr", "Frau", "Dr."), "other": ("Mr", "Ms", "Dr")}
_DOMAIN_TYPOS = {"gmail.com": ("gmial.com", "gmai.com"), "outlook.com": ("outlok.com", "outlook.co"),
                 "hotmail.co.uk": ("hotmial.co.uk", "hotmail.co"), "yahoo.co.uk": ("yahooo.co.uk", "yaho.co.uk"),
                 "icloud.com": ("icoud.com", "iclould.com"), "btinternet.com": ("btinterent.com", "btinternet.co"),
                 "sky.com": ("sky.co", "skyy.com"), "proton.me": ("protn.me", "proton.mr")}
_PLUS_TAGS = ("survey", "cx", "feedback", "meridian")
# Local-part patterns of an address and their weights: g/f given/family name, i initial, yy birth year, n a number.
_EMAIL_PATTERNS = (("{g}.{f}", 30), ("{g}{f}", 12), ("{i}.{f}", 8), ("{i}{f}", 7), ("{g}_{f}", 8), ("{f}.{g}", 8),
                   ("{g}.{f}{yy}", 12), ("{g}{f}{n}", 8), ("{g}{yyyy}", 7))


@dataclass
class People:
    """Per-customer identities (arrays of length n): the CRM columns and what they were drawn from."""

    language: np.ndarray   # language code (str)
    region: np.ndarray     # region name (str)
    given: np.ndarray      # index into names.GIVEN[language]
    family: np.ndarray     # index into names.FAMILY[language]
    birth_year: np.ndarray
    national: np.ndarray   # the mobile number in national form, `07123456789`
    household: np.ndarray  # index of the customer whose phone, postcode and family name this one shares; -1: none
    name: np.ndarray       # the CRM columns, as written to customers.csv
    email: np.ndarray
    phone: np.ndarray
    postcode: np.ndarray
    used_emails: set[str] = field(default_factory=set)  # email_key of every address handed out
    used_phones: set[str] = field(default_factory=set)  # national numbers handed out

    def columns(self) -> dict[str, np.ndarray]:
        """customers.csv's identity columns, in file order."""
        return {"name": self.name, "email": self.email, "phone": self.phone, "postcode": self.postcode}


@dataclass
class Respondents:
    """What the survey's respondents typed, one row per export row, and who they really are."""

    columns: pd.DataFrame   # RESPONDENT_COLUMNS' values (None where left empty)
    customer: np.ndarray    # true customer index per row; -1 for respondents who are no customer
    applied: dict[str, int]  # rows each variation changed (customers for email_new)


def email_key(address: str) -> str:
    """An address as identity resolution compares it (lower case, no `+tag`, no dots in a gmail local part)."""
    local, _, domain = address.strip().lower().partition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local = local.replace(".", "")
    return f"{local}@{domain}"


def format_phone(national: str, style: str) -> str:
    """A national GB mobile number (`07123456789`) written in one of the styles of params.*_PHONE_FORMATS."""
    rest = national[1:]
    styles = {
        "spaced": f"{national[:5]} {national[5:]}", "compact": national, "dashed": f"{national[:5]}-{national[5:8]}-{national[8:]}",
        "international_spaced": f"+44 {rest[:4]} {rest[4:]}", "international": f"+44{rest}",
        "double_zero": f"0044 {rest[:4]} {rest[4:]}", "trunk_in_brackets": f"+44 (0){rest[:4]} {rest[4:]}",
    }
    return styles[style]


def draw_people(rng: np.random.Generator, pop: Population) -> People:
    """Every customer's identity, from the second stream `rng` (see the module docstring)."""
    n = pop.n
    r = random.Random(int(rng.integers(2**63)))
    language = np.array(P.LANGUAGES, dtype=object)[pop.language]
    region = np.array(P.REGIONS, dtype=object)[pop.region]
    given = (rng.random(n) * np.array([len(GIVEN[lg]) for lg in P.LANGUAGES])[pop.language]).astype(np.int64)
    family = (rng.random(n) * np.array([len(FAMILY[lg]) for lg in P.LANGUAGES])[pop.language]).astype(np.int64)
    household = _households(rng, pop)
    members = np.flatnonzero(household >= 0)
    family[members] = family[household[members]]

    national = _unique_numbers(rng, n)
    national[members] = national[household[members]]
    postcode = np.array([_postcode(r, reg) for reg in region], dtype=object)
    postcode[members] = postcode[household[members]]
    styles = _styles(rng, P.CRM_PHONE_FORMATS, n)

    people = People(language=language, region=region, given=given, family=family,
                    birth_year=P.START_YEAR + P.MONTHS // 12 - pop.age.astype(np.int64), national=national,
                    household=household, name=np.empty(n, dtype=object), email=np.empty(n, dtype=object),
                    phone=np.array([format_phone(x, s) for x, s in zip(national, styles)], dtype=object),
                    postcode=postcode, used_phones=set(national))
    for i in range(n):
        lg = language[i]
        people.name[i] = full_name(lg, GIVEN[lg][given[i]][0], FAMILY[lg][family[i]][0])
        people.email[i] = _new_address(r, people, lg, int(given[i]), int(family[i]), int(people.birth_year[i]))
    return people


def _households(rng: np.random.Generator, pop: Population) -> np.ndarray:
    """For FAMILY_SHARED_PHONE of the family-segment customers, another family customer of the same region and
    language (who is in no other household) whose phone they share; -1 for everyone else."""
    household = np.full(pop.n, -1, dtype=np.int64)
    fam = pop.segment == P.SEGMENTS.index("family")
    member = fam & (rng.random(pop.n) < P.FAMILY_SHARED_PHONE)
    for reg in range(len(P.REGIONS)):
        for lg in range(len(P.LANGUAGES)):
            here = (pop.region == reg) & (pop.language == lg)
            holders, joining = np.flatnonzero(here & fam & ~member), np.flatnonzero(here & member)
            if len(holders):
                household[joining] = holders[rng.integers(0, len(holders), len(joining))]
    return household


def _unique_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct GB mobile numbers in national form."""
    prefixes = np.array(P.GB_MOBILE_PREFIXES, dtype=object)
    numbers: dict[str, None] = {}
    while len(numbers) < n:
        k = n - len(numbers)
        drawn = prefixes[rng.integers(0, len(prefixes), k)] + np.char.zfill(rng.integers(0, 10**8, k).astype(str), 8)
        numbers.update(dict.fromkeys(drawn))
    return np.array(list(numbers), dtype=object)


def _styles(rng: np.random.Generator, formats: dict[str, float], n: int) -> np.ndarray:
    names = np.array(list(formats), dtype=object)
    return names[rng.choice(len(names), size=n, p=np.array(list(formats.values())))]


def _postcode(r: random.Random, region: str, not_this: str | None = None) -> str:
    while True:
        code = (f"{r.choice(P.REGION_POSTCODE_AREAS[region])}{r.randint(1, 29)} {r.randint(0, 9)}"
                f"{r.choice(_UNIT_LETTERS)}{r.choice(_UNIT_LETTERS)}")
        if code != not_this:
            return code


def _latin_parts(lg: str, given: int, family: int, scheme: int = 1) -> tuple[str, str]:
    """(given, family) in Latin letters: scheme 1 the usual spelling, 2 the other one (names.py)."""
    return GIVEN[lg][given][scheme], FAMILY[lg][family][scheme]


def _new_address(r: random.Random, people: People, lg: str, given: int, family: int, birth_year: int,
                 not_domain: str | None = None) -> str:
    """An e-mail address no one holds yet, built from the Latin (ASCII) spelling of the name."""
    g, f = (_ascii_token(x) for x in _latin_parts(lg, given, family, 2 if lg == "de" else 1))
    domains = [d for d in P.EMAIL_DOMAINS if d != not_domain]
    weights = [P.EMAIL_DOMAINS[d] for d in domains]
    patterns, pattern_weights = zip(*_EMAIL_PATTERNS)
    local = r.choices(patterns, pattern_weights)[0].format(
        g=g, f=f, i=g[0], yy=f"{birth_year % 100:02d}", yyyy=birth_year, n=r.randint(1, 999))
    domain = r.choices(domains, weights)[0]
    address = f"{local}@{domain}"
    while email_key(address) in people.used_emails:
        address = f"{local}{r.randint(1, 9999)}@{domain}"
    people.used_emails.add(email_key(address))
    return address


def _ascii_token(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())


def draw_respondents(rng: np.random.Generator, people: People, cust: np.ndarray) -> Respondents:
    """What each survey respondent typed (`cust`: the customer each export row was drawn for), with the
    variations of params.RESPONDENT_VARIATIONS; NON_CUSTOMER of the rows are given to people who are no customer."""
    v = P.RESPONDENT_VARIATIONS
    n = len(cust)
    r = random.Random(int(rng.integers(2**63)))
    applied: Counter[str] = Counter()
    non_customer = rng.random(n) < v["non_customer"]
    flags = {name: rng.random(n) < rate for name, rate in v.items()
             if name not in ("non_customer", "non_customer_household", "email_new")}
    styles = _styles(rng, P.SURVEY_PHONE_FORMATS, n)
    changed = rng.random(people.name.shape[0]) < v["email_new"]
    new_email: dict[int, str] = {}
    for c in sorted(set(cust[~non_customer].tolist())):  # sorted: the draw order is fixed
        if changed[c]:
            new_email[c] = _new_address(r, people, people.language[c], int(people.given[c]), int(people.family[c]),
                                        int(people.birth_year[c]), people.email[c].partition("@")[2])
    applied["email_new"] = len(new_email)

    truth = np.where(non_customer, -1, cust)
    rows = []
    for i in range(n):
        row_flags = {name: bool(f[i]) for name, f in flags.items()}
        if non_customer[i]:
            person = _outsider(r, people, int(cust[i]), applied)
        else:
            c = int(cust[i])
            person = (people.language[c], int(people.given[c]), int(people.family[c]),
                      new_email.get(c, people.email[c]), people.national[c], people.postcode[c], people.region[c])
        rows.append(_typed(r, people, person, row_flags, styles[i], applied))
    columns = pd.DataFrame(rows, columns=list(RESPONDENT_COLUMNS.values()))
    applied["non_customer"] = int(non_customer.sum())
    return Respondents(columns=columns, customer=truth, applied=dict(sorted(applied.items())))


def _outsider(r: random.Random, people: People, like: int, applied: Counter) -> tuple:
    """A respondent who is no customer, speaking the language of customer `like`: NON_CUSTOMER_HOUSEHOLD of them
    a member of a customer household (its phone, postcode and family name, a given name no member has)."""
    lg, reg = people.language[like], people.region[like]
    shared = np.flatnonzero((people.household >= 0) & (people.language == lg))
    if len(shared) and r.random() < P.RESPONDENT_VARIATIONS["non_customer_household"]:
        holder = int(people.household[shared[r.randrange(len(shared))]])
        taken = set(people.given[(people.national == people.national[holder])].tolist())
        free = [g for g in range(len(GIVEN[lg])) if g not in taken]
        if free:
            applied["non_customer_household"] += 1
            given = r.choice(free)
            return (lg, given, int(people.family[holder]), _new_address(r, people, lg, given, int(people.family[holder]),
                    r.randint(1950, 2005)), people.national[holder], people.postcode[holder], reg)
    given, family = r.randrange(len(GIVEN[lg])), r.randrange(len(FAMILY[lg]))
    national = people.national[0]
    while national in people.used_phones:
        national = f"{r.choice(P.GB_MOBILE_PREFIXES)}{r.randrange(10**8):08d}"
    people.used_phones.add(national)
    return (lg, given, family, _new_address(r, people, lg, given, family, r.randint(1950, 2005)), national,
            _postcode(r, reg), reg)


def _typed(r: random.Random, people: People, person: tuple, flags: dict[str, bool], style: str,
           applied: Counter) -> list[str | None]:
    """The four respondent fields of one person as typed into the survey, with this row's variations."""
    lg, given, family, email, national, postcode, region = person
    return [_typed_name(r, lg, given, family, flags, applied), _typed_email(r, people, email, flags, applied),
            _typed_phone(r, people, lg, national, flags, style, applied),
            _typed_postcode(r, region, postcode, flags, applied)]


def _typed_name(r: random.Random, lg: str, given: int, family: int, flags: dict[str, bool], applied: Counter) -> str | None:
    v = P.RESPONDENT_VARIATIONS
    if flags["name_missing"]:
        applied["name_missing"] += 1
        return None
    latin = lg not in NON_LATIN
    g, f = GIVEN[lg][given][0], FAMILY[lg][family][0]
    if lg in NON_LATIN and r.random() < v["name_latin"]:
        latin = True
        scheme = 2 if r.random() < v["name_other_scheme"] else 1
        applied["name_latin"] += 1
        applied["name_other_scheme"] += scheme == 2
        g, f = _latin_parts(lg, given, family, scheme)
    elif lg == "de" and r.random() < v["name_ascii_german"] and (ascii_german(g), ascii_german(f)) != (g, f):
        applied["name_ascii_german"] += 1
        g, f = ascii_german(g), ascii_german(f)
    if flags["name_given_only"]:
        applied["name_given_only"] += 1
        name = g
    elif flags["name_family_first"] and (latin or lg == "ru"):
        applied["name_family_first"] += 1
        name = r.choice((f"{f}, {g}", f"{f.upper()} {g}"))
    elif lg == "zh" and latin:
        name = r.choice((f"{g} {f}", f"{f} {g}"))  # Chinese names in Latin letters come in both orders
    else:
        name = full_name(lg, g, f)
    if flags["name_typo"] and (latin or lg != "zh"):
        applied["name_typo"] += 1
        name = _typo(r, name)
    if flags["name_case"] and (latin or lg == "ru"):
        applied["name_case"] += 1
        name = r.choice((name.upper(), name.lower()))
    if flags["name_honorific"] and latin:
        applied["name_honorific"] += 1
        name = f"{r.choice(_HONORIFICS.get(lg, _HONORIFICS['other']))} {name}"
    return name


def _typo(r: random.Random, text: str) -> str:
    """One letter dropped, doubled or swapped with its neighbour."""
    letters = [k for k, ch in enumerate(text) if ch.isalpha()]
    k = r.choice(letters[1:] or letters)
    op = r.randrange(3)
    if op == 0:
        return text[:k] + text[k + 1:]
    if op == 1:
        return text[:k] + text[k] + text[k:]
    j = k - 1 if k == len(text) - 1 or not text[k + 1].isalpha() else k + 1
    a, b = sorted((j, k))
    return text[:a] + text[b] + text[a] + text[b + 1:]


def _typed_email(r: random.Random, people: People, email: str, flags: dict[str, bool], applied: Counter) -> str | None:
    if flags["email_missing"]:
        applied["email_missing"] += 1
        return None
    if flags["email_typo"]:
        local, _, domain = email.partition("@")
        for _ in range(10):
            typed = f"{local}@{r.choice(_DOMAIN_TYPOS[domain])}" if r.random() < 0.3 else f"{_typo(r, local)}@{domain}"
            if email_key(typed) not in people.used_emails and email_key(typed) != email_key(email):
                applied["email_typo"] += 1
                email = typed
                break
    if flags["email_plus_tag"]:
        applied["email_plus_tag"] += 1
        local, _, domain = email.partition("@")
        email = f"{local}+{r.choice(_PLUS_TAGS)}@{domain}"
    if flags["email_case"]:
        applied["email_case"] += 1
        local, _, domain = email.partition("@")
        email = ".".join(part.capitalize() for part in local.split(".")) + "@" + domain.capitalize()
    return email


def _typed_phone(r: random.Random, people: People, lg: str, national: str, flags: dict[str, bool], style: str,
                 applied: Counter) -> str | None:
    if flags["phone_missing"]:
        applied["phone_missing"] += 1
        return None
    if flags["phone_typo"]:
        for _ in range(10):
            k = r.randrange(3, len(national))
            typed = national[:k] + r.choice([d for d in "0123456789" if d != national[k]]) + national[k + 1:]
            if typed not in people.used_phones:
                applied["phone_typo"] += 1
                national = typed
                break
    text = format_phone(national, style)
    applied[f"phone_format_{style}"] += 1
    if lg == "ar" and r.random() < P.RESPONDENT_VARIATIONS["phone_arabic_digits"]:
        applied["phone_arabic_digits"] += 1
        text = text.translate(_ARABIC_INDIC)
    return text


def _typed_postcode(r: random.Random, region: str, postcode: str, flags: dict[str, bool], applied: Counter) -> str | None:
    if flags["postcode_missing"]:
        applied["postcode_missing"] += 1
        return None
    if flags["postcode_moved"]:
        applied["postcode_moved"] += 1
        postcode = _postcode(r, region, not_this=postcode)
    if flags["postcode_format"]:
        applied["postcode_format"] += 1
        postcode = r.choice((postcode.lower(), postcode.replace(" ", ""), postcode.lower().replace(" ", "")))
    return postcode


def identity_truth(people: People, respondents: Respondents, response_ids: list[str], customer_ids: np.ndarray) -> dict:
    """truth.json's `identity` section: the true ResponseId -> customer_id mapping and what varies how often."""
    linked = respondents.customer >= 0
    mapping = {rid: (str(customer_ids[c]) if c >= 0 else None) for rid, c in zip(response_ids, respondents.customer)}
    return {
        "source": "aspect_survey.csv", "record_column": "ResponseId", "columns": RESPONDENT_COLUMNS,
        "customers_file": "customers.csv", "customers_columns": {k: k for k in RESPONDENT_COLUMNS}, "phone_region": "GB",
        "records": len(response_ids), "customer_records": int(linked.sum()), "non_customer_records": int((~linked).sum()),
        "distinct_customers": int(len(np.unique(respondents.customer[linked]))),
        "households": {"customers_sharing_a_phone": int((people.household >= 0).sum()),
                       "households": int(len(np.unique(people.household[people.household >= 0]))),
                       "share_of_family_customers": P.FAMILY_SHARED_PHONE},
        "variations": P.RESPONDENT_VARIATIONS,
        "applied": respondents.applied,
        "crm_phone_formats": P.CRM_PHONE_FORMATS, "survey_phone_formats": P.SURVEY_PHONE_FORMATS,
        "email_domains": P.EMAIL_DOMAINS,
        "how_to_measure": ("link each survey row (record_column) to a customer or to none; precision = correct links / "
                           "links made, recall = correct links / customer_records (rows whose mapping is not null). "
                           "variations: configured rates (per row, email_new per customer, name_latin/name_other_scheme/"
                           "phone_arabic_digits/name_ascii_german/non_customer_household of the rows they can apply to); "
                           "applied: rows (customers for email_new) each variation changed"),
        "mapping": mapping,
    }
