"""Convert the SAMHSA mental-health treatment directory into interchange records.

Source: Substance Abuse and Mental Health Services Administration (SAMHSA), *National
Directory of Mental Health Treatment Facilities 2022* (spreadsheet edition, May 2022),
"Facilities List" and "Service Code Reference" sheets. Public domain; citation appreciated.
The Los Angeles County rows and the code list are in ``fixtures/samhsa/`` (see
``../shared/data/README.md`` for how the rows were selected).

This module is pure (standard library only, no ORM): ``convert`` turns the rows of the
directory CSV into records of the interchange format (DESIGN §6) and a list of rejected rows;
the ``import_samhsa`` management command hands the records to the import service.

Every row ends up either in ``Conversion.records`` or in ``Conversion.rejections``.

Mapping (the code meanings are those of ``samhsa_service_codes.csv``)
--------------------------------------------------------------------

Identity and address

- ``name``: ``name1``; when ``name2`` is present it is appended. The directory cuts names at
  about 36 characters and carries the rest over into ``name2`` ("Starview Community Services
  and" + "Teammates"), so when ``name1`` ends with a joining word (and, at, of, for, the, &,
  ...) the two are joined with a space; otherwise ``name2`` names a site or program of the
  provider ("Didi Hirsch Mental Health Services" + "Jump Street") and is joined with " — ".
- ``slug``: ASCII, lowercase, hyphenated slug of name1 + name2 + city, at most 80 characters.
  When several records of the file get the same slug, all of them get their ZIP code appended
  (``...-los-angeles-90057``); records that still share a slug are ordered by street (then
  file order), the first keeps it and the others get ``-2``, ``-3``... The slug depends only
  on the row's own fields and on its namesakes', not on the order of the file, so
  re-importing the same edition updates the same facilities.
- ``organization``: null. ``name1`` is not a reliable operator name (it is truncated, and
  sometimes it is a region such as "East San Gabriel Valley"), so no organization is made up.
- ``address``: street = street1 + ", " + street2 (when present), runs of spaces collapsed;
  city and state as published; postal_code = the first five digits of ``zip``.
- ``phone``: as published (including extensions such as "x202"); when empty, ``intake1``.
- ``latitude``/``longitude`` null, ``website`` "", ``hours`` and ``closures`` empty,
  ``open_24_7`` false: the directory has none of these, so these facilities never match
  ``near`` or time filters.
- ``neighborhood``: ``neighborhoods[city.lower()]`` when the caller's mapping has the city
  (incorporated cities and LA-city communities), else null. The city "Los Angeles" itself
  names no single neighborhood and is always null.
- ``status`` "published", ``verified_at`` = ``EDITION_DATE`` (so they show as needing
  verification), ``source`` "samhsa-2022".
- ``description``: the facility type(s) (FT codes), the special programs or groups (SG),
  the emergency services (EMS), then the attribution, as sentences of the code names.

Programs (one per service setting code, in the order of the levels' ranks)

- SET codes of the 2022 list: OP → ``outpatient`` ("Outpatient mental health services"),
  PHDT → ``php`` ("Partial hospitalization / day treatment"), RES → ``residential``
  ("Residential treatment"), HI → ``inpatient`` ("Hospital inpatient"). The list has no
  other SET code (ORT, OIT, ODT, RS, RL, HIT of DESIGN §2 are substance-use directory codes;
  they are mapped too, for other editions).
- A row without any SET code whose facility type is OMH ("Outpatient mental health
  facility": less-than-24-hour ambulatory care, by the code list's own definition) gets one
  ``outpatient`` program, as if it had OP: county clinics such as San Fernando Mental Health
  Center list no setting but are clearly outpatient. No other facility type (PSY, MSNH ...)
  is used to guess a level, and OMH is not used when the row has a SET code. A row with
  neither is rejected.
- ``description``: "Treatment approaches: " + the names of the TAP codes (except TELE, which
  is the ``telehealth`` flag), in the order of the code list; "" when there are none.
- ``dual_diagnosis``: true on every program when SUMH (type of care: co-occurring treatment)
  or CO (special program for clients with co-occurring disorders) is present.
- ``detox``: always false. The 2022 mental-health code list has no withdrawal-management
  (detoxification) code; those codes belong to SAMHSA's substance-use directory.
- ``accepting_new_clients``: true (the directory lists facilities that take clients).
- ``telehealth``: true when TELE is present, on the programs whose level lets the client
  live at home (outpatient, iop, php) only: TELE is a facility-level code, and a residential
  or inpatient stay is not delivered by telehealth (no false positives in searches).
- Ages (AGE codes): CHLD "Children/adolescents" 0–17, YAD "Young adults" 18–25, ADLT
  "Adults" 26–64, SNR "Seniors" 65+ (null maximum). The code list describes CHLD as "12 or
  younger", but its name includes adolescents and the next group starts at 18, so 0–17 is
  used. ``min_age``/``max_age`` are the lowest and highest bounds of the groups served (a
  program has a single age range, so a gap such as CHLD + SNR without YAD/ADLT is filled);
  null/null when no age code is present. The same range applies to every program.
- ``sessions``: empty (by appointment; the directory has no schedules).

Payment (PAY and PYAS codes), sorted and distinct

- MD Medicaid → medi-cal, MC Medicare → medicare, PI Private health insurance →
  private-insurance, SF Cash or self-payment → self-pay, SS Sliding fee scale (category PYAS)
  → sliding-scale, VAF U.S. Department of VA funds → va, MI Federal military insurance
  (e.g., TRICARE) → tricare.
- Not mapped (no vocabulary slug fits): PA payment assistance (not necessarily free care),
  SI other state-financed insurance, and the funding sources CLF, CMHG, CSBG, FG, ITU, OSF,
  PCF, SCJJ, SEF, SMHA, SWFS. The list has no "free care" code, so ``free`` never appears.

Languages (SL and OL codes), sorted and distinct

- "en" always (the directory is in English); SP → es; AH (sign language services for the
  deaf and hard of hearing) → asl.
- OL: F4 Arabic ar, F17 Any Chinese language zh, F25 Farsi fa, F28 French fr, F30 German de,
  F31 Greek el, F35 Hebrew he, F36 Hindi hi, F42 Italian it, F43 Japanese ja, F47 Korean ko,
  F66 Polish pl, F67 Portuguese pt, F70 Russian ru, F81 Tagalog tl, F92 Vietnamese vi,
  N24 Ojibwa oj.
- Dropped: F19 "Creole" (does not say which creole, so no single ISO 639-1 code), F37 Hmong
  and N40 Yupik (no ISO 639-1 code), and the umbrella codes FX "Other languages" and NX
  "American Indian or Alaska Native languages" (the specific languages follow as OL codes).

Other codes

All other codes of the list (pharmacotherapies, testing, smoking policy...) are known but not
used. Codes absent from the code list do not reject a row: they are ignored and counted in
``Conversion.unknown_codes``.

Rejections

A row is rejected, with the reasons (``REASON_*``, joined by "; "), when name1, street1 or
city is empty, the state is not CA, the ZIP does not start with five digits (5 digits, or
ZIP+4 as 9 digits with or without a hyphen), or no SET code maps to a care level and the
facility type is not OMH.
"""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

EDITION_DATE = "2022-05-01"  # the spreadsheet edition is May 2022
SOURCE = "samhsa-2022"
SLUG_MAX_LENGTH = 80

DIRECTORY_COLUMNS = (
    "name1",
    "name2",
    "street1",
    "street2",
    "city",
    "state",
    "zip",
    "phone",
    "intake1",
    "intake2",
    "intake1a",
    "intake2a",
    "service_code_info",
)
CODES_COLUMNS = (
    "category_code",
    "category_name",
    "service_code",
    "service_name",
    "service_description",
)

ATTRIBUTION = (
    "Source: SAMHSA National Directory of Mental Health Treatment Facilities 2022 (public domain)."
)

# Rejection reasons (joined with "; " when a row has several problems).
REASON_NO_NAME = "name1 is empty"
REASON_NO_STREET = "street1 is empty"
REASON_NO_CITY = "city is empty"
REASON_NOT_CA = "state is not CA: {state!r}"
REASON_BAD_ZIP = "zip is not 5 digits (or ZIP+4): {zip!r}"
REASON_NO_LEVEL = (
    "no service setting code for a care level (OP, PHDT, RES or HI) "
    "and not an outpatient mental health facility (OMH)"
)

# Service setting code -> (level slug, program name). DESIGN §2.
LEVEL_RANKS = {"outpatient": 1, "iop": 2, "php": 3, "residential": 4, "inpatient": 5}
LIVES_AT_HOME = frozenset({"outpatient", "iop", "php"})
SETTINGS = {
    "OP": ("outpatient", "Outpatient mental health services"),
    "ORT": ("outpatient", "Outpatient treatment"),
    "OIT": ("iop", "Intensive outpatient treatment"),
    "PHDT": ("php", "Partial hospitalization / day treatment"),
    "ODT": ("php", "Outpatient day treatment"),
    "RES": ("residential", "Residential treatment"),
    "RS": ("residential", "Short-term residential treatment"),
    "RL": ("residential", "Long-term residential treatment"),
    "HI": ("inpatient", "Hospital inpatient"),
    "HIT": ("inpatient", "Hospital inpatient treatment"),
}

# Facility type -> the setting code it implies, used only for rows without a setting code.
FACILITY_TYPE_SETTINGS = {"OMH": "OP"}

DUAL_DIAGNOSIS_CODES = frozenset({"SUMH", "CO"})
TELEHEALTH_CODE = "TELE"

PAYMENTS = {
    "MD": "medi-cal",
    "MC": "medicare",
    "PI": "private-insurance",
    "SF": "self-pay",
    "SS": "sliding-scale",
    "VAF": "va",
    "MI": "tricare",
}

BASE_LANGUAGE = "en"
LANGUAGES = {
    "SP": "es",
    "AH": "asl",
    "F4": "ar",
    "F17": "zh",
    "F25": "fa",
    "F28": "fr",
    "F30": "de",
    "F31": "el",
    "F35": "he",
    "F36": "hi",
    "F42": "it",
    "F43": "ja",
    "F47": "ko",
    "F66": "pl",
    "F67": "pt",
    "F70": "ru",
    "F81": "tl",
    "F92": "vi",
    "N24": "oj",
}
# Language codes deliberately not mapped (see the module docstring).
UNMAPPED_LANGUAGES = frozenset({"F19", "F37", "N40", "FX", "NX"})

# Age group code -> (min age, max age or None for no upper bound).
AGE_GROUPS = {
    "CHLD": (0, 17),
    "YAD": (18, 25),
    "ADLT": (26, 64),
    "SNR": (65, None),
}

# Categories whose code names make up the facility description, in this order.
DESCRIPTION_CATEGORIES = (
    ("FT", "Facility type: {}."),
    ("SG", "Special programs or groups: {}."),
    ("EMS", "Emergency mental health services: {}."),
)
TREATMENT_CATEGORY = "TAP"
TREATMENT_PREFIX = "Treatment approaches: "

# A name1 ending with one of these words continues in name2.
_JOINING_WORDS = frozenset({"and", "at", "of", "for", "the", "&", "de", "del", "la", "in", "to"})
_ZIP_RE = re.compile(r"(\d{5})(?:-?\d{4})?")


@dataclass(frozen=True)
class Rejection:
    row: int  # 1-based data row number (the header is not counted)
    name: str
    reason: str


@dataclass
class Conversion:
    records: list[dict]
    rejections: list[Rejection]
    unknown_codes: Counter = field(default_factory=Counter)


def read_service_codes(path_or_file) -> dict[str, tuple[str, str]]:
    """Read ``samhsa_service_codes.csv``: service_code -> (category_code, service_name)."""
    if isinstance(path_or_file, str | bytes | os.PathLike):
        with open(path_or_file, encoding="utf-8", newline="") as f:
            return _read_service_codes(f)
    return _read_service_codes(path_or_file)


def _read_service_codes(f) -> dict[str, tuple[str, str]]:
    reader = csv.DictReader(f)
    _check_header(reader.fieldnames, CODES_COLUMNS, "service codes file")
    codes: dict[str, tuple[str, str]] = {}
    for number, row in enumerate(reader, start=1):
        code = (row["service_code"] or "").strip()
        if not code:
            raise ValueError(f"service codes file: row {number} has no service_code")
        if code in codes:
            raise ValueError(f"service codes file: row {number}: duplicate service_code {code!r}")
        codes[code] = ((row["category_code"] or "").strip(), (row["service_name"] or "").strip())
    return codes


def _check_header(fieldnames, expected: tuple[str, ...], what: str) -> None:
    found = list(fieldnames or [])
    if found == list(expected):
        return
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    problems = []
    if missing:
        problems.append("missing columns: " + ", ".join(missing))
    if extra:
        problems.append("extra columns: " + ", ".join(extra))
    if not problems:
        duplicated = sorted({c for c in found if found.count(c) > 1})
        if duplicated:
            problems.append("duplicated columns: " + ", ".join(duplicated))
        else:
            problems.append("columns out of order, expected: " + ",".join(expected))
    raise ValueError(f"{what}: unexpected header: " + "; ".join(problems))


def convert_file(path, *, neighborhoods: Mapping[str, str], codes: Mapping) -> Conversion:
    """Read a directory CSV file (UTF-8) and ``convert`` its rows."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        _check_header(reader.fieldnames, DIRECTORY_COLUMNS, "SAMHSA directory file")
        return convert(reader, neighborhoods=neighborhoods, codes=codes)


def convert(
    rows: Iterable[dict], *, neighborhoods: Mapping[str, str], codes: Mapping
) -> Conversion:
    """Convert directory rows (dicts keyed by ``DIRECTORY_COLUMNS``) into interchange records."""
    order = {code: index for index, code in enumerate(codes)}
    records: list[dict] = []
    slug_keys: list[tuple[str, str, str]] = []  # (base slug, ZIP, street) per record
    rejections: list[Rejection] = []
    unknown: Counter = Counter()
    for number, row in enumerate(rows, start=1):
        value = {column: _clean(row.get(column)) for column in DIRECTORY_COLUMNS}
        row_codes = _parse_codes(value["service_code_info"])
        unknown.update(code for code in row_codes if code not in codes)
        problems = _problems(value, row_codes)
        if problems:
            name = _facility_name(value["name1"], value["name2"])
            rejections.append(Rejection(number, name, "; ".join(problems)))
            continue
        record = _record(value, row_codes, neighborhoods=neighborhoods, codes=codes, order=order)
        records.append(record)
        base = _slugify(" ".join([value["name1"], value["name2"], value["city"]]))
        slug_keys.append((base, _zip5(value), record["address"]["street"]))
    for record, slug in zip(records, _unique_slugs(slug_keys), strict=True):
        record["slug"] = slug
    return Conversion(records=records, rejections=rejections, unknown_codes=unknown)


def _clean(text) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _parse_codes(info: str) -> list[str]:
    """The distinct codes of ``service_code_info``, in their order ("*" separates categories)."""
    return list(dict.fromkeys(code for code in info.replace("*", " ").split()))


def _zip5(value: dict) -> str:
    match = _ZIP_RE.fullmatch(value["zip"])
    return match.group(1) if match else ""


def _problems(value: dict, row_codes: list[str]) -> list[str]:
    problems = []
    if not value["name1"]:
        problems.append(REASON_NO_NAME)
    if not value["street1"]:
        problems.append(REASON_NO_STREET)
    if not value["city"]:
        problems.append(REASON_NO_CITY)
    if value["state"] != "CA":
        problems.append(REASON_NOT_CA.format(state=value["state"]))
    if not _zip5(value):
        problems.append(REASON_BAD_ZIP.format(zip=value["zip"]))
    if not _setting_codes(row_codes):
        problems.append(REASON_NO_LEVEL)
    return problems


def _setting_codes(row_codes) -> set[str]:
    """Return the row's setting codes; without any, those its facility type implies (OMH)."""
    settings = {code for code in row_codes if code in SETTINGS}
    if settings:
        return settings
    return {FACILITY_TYPE_SETTINGS[code] for code in row_codes if code in FACILITY_TYPE_SETTINGS}


def _facility_name(name1: str, name2: str) -> str:
    if not name2:
        return name1
    if not name1:
        return name2
    last_word = name1.rsplit(" ", 1)[-1].lower()
    if last_word in _JOINING_WORDS:
        return f"{name1} {name2}"
    return f"{name1} — {name2}"


def _record(value, row_codes, *, neighborhoods, codes, order) -> dict:
    present = set(row_codes)
    city = value["city"]
    street = value["street1"] + (", " + value["street2"] if value["street2"] else "")
    neighborhood = None if city.lower() == "los angeles" else neighborhoods.get(city.lower())
    return {
        "slug": "",  # set once every record of the file is known
        "name": _facility_name(value["name1"], value["name2"]),
        "description": _description(present, codes, order),
        "organization": None,
        "address": {
            "street": street,
            "city": city,
            "state": value["state"],
            "postal_code": _zip5(value),
        },
        "latitude": None,
        "longitude": None,
        "neighborhood": neighborhood,
        "phone": value["phone"] or value["intake1"],
        "website": "",
        "languages": sorted({BASE_LANGUAGE} | {LANGUAGES[c] for c in present if c in LANGUAGES}),
        "payment": sorted({PAYMENTS[c] for c in present if c in PAYMENTS}),
        "open_24_7": False,
        "hours": [],
        "closures": [],
        "programs": _programs(present, codes, order),
        "status": "published",
        "verified_at": EDITION_DATE,
        "source": SOURCE,
    }


def _names_in(category: str, present: set[str], codes: Mapping, order: Mapping) -> list[str]:
    found = [c for c in present if c in codes and codes[c][0] == category]
    return [codes[c][1] for c in sorted(found, key=order.__getitem__)]


def _description(present: set[str], codes: Mapping, order: Mapping) -> str:
    sentences = []
    for category, template in DESCRIPTION_CATEGORIES:
        names = _names_in(category, present, codes, order)
        if names:
            sentences.append(template.format("; ".join(names)))
    sentences.append(ATTRIBUTION)
    return " ".join(sentences)


def _age_range(present: set[str]) -> tuple[int | None, int | None]:
    groups = [AGE_GROUPS[c] for c in AGE_GROUPS if c in present]
    if not groups:
        return None, None
    min_age = min(low for low, _ in groups)
    max_age = None if any(high is None for _, high in groups) else max(h for _, h in groups)
    return min_age, max_age


def _programs(present: set[str], codes: Mapping, order: Mapping) -> list[dict]:
    levels: dict[str, str] = {}  # level -> program name (the first setting code wins)
    settings = _setting_codes(present)
    for code, (level, name) in SETTINGS.items():
        if code in settings:
            levels.setdefault(level, name)
    approaches = [
        codes[c][1]
        for c in sorted(present & set(codes), key=order.__getitem__)
        if codes[c][0] == TREATMENT_CATEGORY and c != TELEHEALTH_CODE
    ]
    description = TREATMENT_PREFIX + ", ".join(approaches) + "." if approaches else ""
    dual_diagnosis = bool(present & DUAL_DIAGNOSIS_CODES)
    telehealth = TELEHEALTH_CODE in present
    min_age, max_age = _age_range(present)
    return [
        {
            "name": levels[level],
            "level": level,
            "description": description,
            "dual_diagnosis": dual_diagnosis,
            "detox": False,
            "accepting_new_clients": True,
            "telehealth": telehealth and level in LIVES_AT_HOME,
            "min_age": min_age,
            "max_age": max_age,
            "sessions": [],
        }
        for level in sorted(levels, key=LEVEL_RANKS.__getitem__)
    ]


def _slugify(text: str, max_length: int = SLUG_MAX_LENGTH) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "facility"


def _with_suffix(base: str, suffix: str) -> str:
    return base[: SLUG_MAX_LENGTH - len(suffix) - 1].rstrip("-") + "-" + suffix


def _unique_slugs(keys: list[tuple[str, str, str]]) -> list[str]:
    """Make the slugs unique within the file, given (base slug, ZIP, street) per record.

    All records sharing a base slug get their ZIP appended. Records that still share it are
    ordered by street (then file order): the first keeps it, the others get -2, -3...
    """
    base_counts = Counter(base for base, _, _ in keys)
    candidates = [
        _with_suffix(base, postal) if base_counts[base] > 1 else base for base, postal, _ in keys
    ]
    order = sorted(range(len(keys)), key=lambda i: (candidates[i], keys[i][2], i))
    used = set(candidates)
    slugs = list(candidates)
    seen: set[str] = set()
    for index in order:
        candidate = candidates[index]
        if candidate not in seen:
            seen.add(candidate)
            continue
        counter = 2
        while _with_suffix(candidate, str(counter)) in used:
            counter += 1
        slugs[index] = _with_suffix(candidate, str(counter))
        used.add(slugs[index])
    return slugs
