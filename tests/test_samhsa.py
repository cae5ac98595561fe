"""Tests of the SAMHSA directory converter (``directory.samhsa``): pure, no database."""

import csv
import io
from collections import Counter
from pathlib import Path

import pytest

from directory import samhsa

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "samhsa"
DIRECTORY_CSV = FIXTURES / "samhsa_mh_directory_2022_la.csv"
CODES_CSV = FIXTURES / "samhsa_service_codes.csv"

NEIGHBORHOODS = {
    "pasadena": "pasadena",
    "north hollywood": "north-hollywood",
    "los angeles": "los-angeles",  # must be ignored: the city names no single neighborhood
}


@pytest.fixture(scope="module")
def codes():
    return samhsa.read_service_codes(CODES_CSV)


def make_row(**overrides):
    row = {
        "name1": "Echo Wellness",
        "name2": "",
        "street1": "100 Main Street",
        "street2": "",
        "city": "Pasadena",
        "state": "CA",
        "zip": "91101",
        "phone": "626-555-0100",
        "intake1": "",
        "intake2": "",
        "intake1a": "",
        "intake2a": "",
        "service_code_info": "MH * OP",
    }
    row.update(overrides)
    return row


def convert(rows, codes, neighborhoods=NEIGHBORHOODS):
    result = samhsa.convert(rows, neighborhoods=neighborhoods, codes=codes)
    assert len(result.records) + len(result.rejections) == len(rows)
    return result


def one(codes, **overrides):
    result = convert([make_row(**overrides)], codes)
    assert result.rejections == []
    return result.records[0]


def program(**overrides):
    base = {
        "name": "Outpatient mental health services",
        "level": "outpatient",
        "description": "",
        "dual_diagnosis": False,
        "detox": False,
        "accepting_new_clients": True,
        "telehealth": False,
        "min_age": None,
        "max_age": None,
        "sessions": [],
    }
    base.update(overrides)
    return base


# --- the code list --------------------------------------------------------------------


def test_read_service_codes(codes):
    assert len(codes) == 176
    assert codes["OP"] == ("SET", "Outpatient")
    assert codes["SS"] == ("PYAS", "Sliding fee scale (fee is based on income and other factors)")
    assert codes["MI"] == ("PAY", "Federal military insurance (e.g., TRICARE)")
    assert codes["F47"] == ("OL", "Korean")


def test_read_service_codes_from_file_object():
    text = (
        "category_code,category_name,service_code,service_name,service_description\n"
        "SET,Service Setting,OP,Outpatient,\n"
    )
    assert samhsa.read_service_codes(io.StringIO(text)) == {"OP": ("SET", "Outpatient")}


def test_read_service_codes_rejects_wrong_header():
    text = "category,service_code,service_name\nSET,OP,Outpatient\n"
    with pytest.raises(ValueError) as error:
        samhsa.read_service_codes(io.StringIO(text))
    assert str(error.value) == (
        "service codes file: unexpected header: missing columns: category_code, "
        "category_name, service_description; extra columns: category"
    )


def test_mapping_tables_agree_with_the_code_list(codes):
    categories = {code: category for code, (category, _) in codes.items()}
    set_codes = {code for code, category in categories.items() if category == "SET"}
    assert set_codes == {"OP", "PHDT", "RES", "HI"}
    assert set_codes <= set(samhsa.SETTINGS)
    assert {categories[c] for c in samhsa.PAYMENTS} == {"PAY", "PYAS"}
    assert {categories[c] for c in samhsa.AGE_GROUPS} == {"AGE"}
    assert categories["SUMH"] == "TC" and categories["CO"] == "SG"
    assert categories["TELE"] == "TAP"
    language_codes = {c for c, category in categories.items() if category in ("SL", "OL")}
    # every language code is either mapped or deliberately dropped
    assert language_codes == set(samhsa.LANGUAGES) | samhsa.UNMAPPED_LANGUAGES
    assert not set(samhsa.LANGUAGES) & samhsa.UNMAPPED_LANGUAGES


def test_vocabularies_are_the_projects():
    choices = pytest.importorskip("directory.choices")
    assert set(samhsa.PAYMENTS.values()) <= {value for value, _ in choices.Payment.choices}
    assert set(samhsa.LANGUAGES.values()) | {"en"} <= choices.LANGUAGE_CODES


# --- one row, one exact record ------------------------------------------------------------


def test_hand_written_row_gives_the_exact_record(codes):
    row = make_row(
        name1="Starview Community Services and",
        name2="Teammates",
        street1="1714 West 3rd Street",
        street2="Suite  100",
        city="North Hollywood",
        zip="91601-2345",
        phone="818-555-0199 x12",
        service_code_info=(
            "MH SUMH * OP RES * OMH * ARIPI * CBT DBT TELE * CIT * PVTN * MD PI CLF * PA SS * "
            "TAY CO * ADLT YAD * SP FX * F47 F37 * VAPN * CM"
        ),
    )
    result = convert([row], codes)
    approaches = "Treatment approaches: Cognitive behavioral therapy, Dialectical behavior therapy."
    assert result.records == [
        {
            "slug": "starview-community-services-and-teammates-north-hollywood",
            "name": "Starview Community Services and Teammates",
            "description": (
                "Facility type: Outpatient mental health facility. "
                "Special programs or groups: Young adults; "
                "Clients with co-occurring mental and substance use disorders. "
                "Emergency mental health services: Crisis intervention team. "
                "Source: SAMHSA National Directory of Mental Health Treatment Facilities 2022 "
                "(public domain)."
            ),
            "organization": None,
            "address": {
                "street": "1714 West 3rd Street, Suite 100",
                "city": "North Hollywood",
                "state": "CA",
                "postal_code": "91601",
            },
            "latitude": None,
            "longitude": None,
            "neighborhood": "north-hollywood",
            "phone": "818-555-0199 x12",
            "website": "",
            "languages": ["en", "es", "ko"],
            "payment": ["medi-cal", "private-insurance", "sliding-scale"],
            "open_24_7": False,
            "hours": [],
            "closures": [],
            "programs": [
                program(
                    description=approaches,
                    dual_diagnosis=True,
                    telehealth=True,
                    min_age=18,
                    max_age=64,
                ),
                program(
                    name="Residential treatment",
                    level="residential",
                    description=approaches,
                    dual_diagnosis=True,
                    telehealth=False,
                    min_age=18,
                    max_age=64,
                ),
            ],
            "status": "published",
            "verified_at": "2022-05-01",
            "source": "samhsa-2022",
        }
    ]
    assert list(result.records[0]) == [
        "slug",
        "name",
        "description",
        "organization",
        "address",
        "latitude",
        "longitude",
        "neighborhood",
        "phone",
        "website",
        "languages",
        "payment",
        "open_24_7",
        "hours",
        "closures",
        "programs",
        "status",
        "verified_at",
        "source",
    ]
    assert result.rejections == []
    assert result.unknown_codes == Counter()


def test_minimal_row(codes):
    record = one(codes)
    assert record["name"] == "Echo Wellness"
    assert record["slug"] == "echo-wellness-pasadena"
    assert record["description"] == samhsa.ATTRIBUTION
    assert record["neighborhood"] == "pasadena"
    assert record["languages"] == ["en"]
    assert record["payment"] == []
    assert record["programs"] == [program()]


# --- identity and address ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name1", "name2", "name"),
    [
        ("Didi Hirsch", "Jump Street", "Didi Hirsch — Jump Street"),
        (
            "Resnick Neuropsychiatric Hospital at",
            "UCLA",
            "Resnick Neuropsychiatric Hospital at UCLA",
        ),
        (
            "Asian Pacific Counseling and",
            "Treatment Center",
            "Asian Pacific Counseling and Treatment Center",
        ),
        ("Coastal Family", "Mental Health Center", "Coastal Family — Mental Health Center"),
        ("Arcadia Mental Health Center", "", "Arcadia Mental Health Center"),
    ],
)
def test_name(codes, name1, name2, name):
    assert one(codes, name1=name1, name2=name2)["name"] == name


def test_address_and_phone(codes):
    record = one(codes, street1=" 330  East Live Oak Avenue ", street2="", zip="910061234")
    assert record["address"]["street"] == "330 East Live Oak Avenue"
    assert record["address"]["postal_code"] == "91006"
    assert one(codes, phone="", intake1="888-522-1504")["phone"] == "888-522-1504"


@pytest.mark.parametrize(
    ("city", "neighborhood"),
    [
        ("Pasadena", "pasadena"),
        ("PASADENA", "pasadena"),
        ("North Hollywood", "north-hollywood"),
        ("Los Angeles", None),
        ("Altadena", None),
    ],
)
def test_neighborhood_from_city(codes, city, neighborhood):
    assert one(codes, city=city)["neighborhood"] == neighborhood


# --- programs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("info", "levels"),
    [
        ("MH * OP", [("outpatient", "Outpatient mental health services")]),
        ("MH * PHDT", [("php", "Partial hospitalization / day treatment")]),
        ("MH * RES", [("residential", "Residential treatment")]),
        ("MH * HI", [("inpatient", "Hospital inpatient")]),
        (
            "MH * HI OP PHDT RES",
            [
                ("outpatient", "Outpatient mental health services"),
                ("php", "Partial hospitalization / day treatment"),
                ("residential", "Residential treatment"),
                ("inpatient", "Hospital inpatient"),
            ],
        ),
    ],
)
def test_one_program_per_setting_code_in_rank_order(codes, info, levels):
    programs = one(codes, service_code_info=info)["programs"]
    assert [(p["level"], p["name"]) for p in programs] == levels


@pytest.mark.parametrize(
    ("info", "dual"),
    [
        ("MH SUMH * OP RES", True),
        ("MH * OP RES * CO", True),
        ("MH SUMH * OP RES * CO", True),
        ("SA MH * OP RES * IDD * TRMA", False),
    ],
)
def test_dual_diagnosis_from_sumh_or_co_on_every_program(codes, info, dual):
    programs = one(codes, service_code_info=info)["programs"]
    assert [p["dual_diagnosis"] for p in programs] == [dual, dual]


def test_detox_is_never_set(codes):
    programs = one(codes, service_code_info="SA MH SUMH * OP PHDT RES HI")["programs"]
    assert [p["detox"] for p in programs] == [False] * 4
    assert [p["accepting_new_clients"] for p in programs] == [True] * 4


def test_telehealth_on_levels_where_the_client_lives_at_home(codes):
    programs = one(codes, service_code_info="MH * OP PHDT RES HI * TELE")["programs"]
    assert [(p["level"], p["telehealth"]) for p in programs] == [
        ("outpatient", True),
        ("php", True),
        ("residential", False),
        ("inpatient", False),
    ]
    programs = one(codes, service_code_info="MH * OP PHDT * CBT")["programs"]
    assert [p["telehealth"] for p in programs] == [False, False]


def test_program_description_lists_treatment_approaches_in_code_list_order(codes):
    programs = one(codes, service_code_info="MH * OP * TELE IPT GT CBT")["programs"]
    assert programs[0]["description"] == (
        "Treatment approaches: Cognitive behavioral therapy, Group therapy, "
        "Individual psychotherapy."
    )


@pytest.mark.parametrize(
    ("ages", "min_age", "max_age"),
    [
        ("", None, None),
        ("CHLD", 0, 17),
        ("YAD", 18, 25),
        ("ADLT", 26, 64),
        ("SNR", 65, None),
        ("CHLD YAD", 0, 25),
        ("YAD ADLT", 18, 64),
        ("ADLT SNR", 26, None),
        ("ADLT CHLD SNR YAD", 0, None),
        ("CHLD SNR", 0, None),  # a single range per program: the gap is filled
    ],
)
def test_age_groups(codes, ages, min_age, max_age):
    info = "MH * OP RES" + (f" * {ages}" if ages else "")
    programs = one(codes, service_code_info=info)["programs"]
    assert [(p["min_age"], p["max_age"]) for p in programs] == [(min_age, max_age)] * 2


# --- payment and languages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payment_codes", "payment"),
    [
        ("MD", ["medi-cal"]),
        ("MC", ["medicare"]),
        ("PI", ["private-insurance"]),
        ("SF", ["self-pay"]),
        ("SS", ["sliding-scale"]),
        ("VAF", ["va"]),
        ("MI", ["tricare"]),
        ("CLF CMHG CSBG FG ITU OSF PCF SCJJ SEF SI SMHA SWFS * PA", []),
        (
            "VAF SF PI MI MD MC * PA SS",
            sorted(set(samhsa.PAYMENTS.values())),
        ),
    ],
)
def test_payment(codes, payment_codes, payment):
    record = one(codes, service_code_info=f"MH * OP * {payment_codes}")
    assert record["payment"] == payment


@pytest.mark.parametrize(
    ("language_codes", "languages"),
    [
        ("SP", ["en", "es"]),
        ("AH", ["asl", "en"]),
        ("FX * F47", ["en", "ko"]),
        ("FX * F17 F25 F81 F4 F92", ["ar", "en", "fa", "tl", "vi", "zh"]),
        (
            "FX * F31 F35 F36 F28 F30 F42 F43 F66 F67 F70",
            ["de", "el", "en", "fr", "he", "hi", "it", "ja", "pl", "pt", "ru"],
        ),
        ("NX * N24", ["en", "oj"]),
        ("FX NX * F19 F37 N40", ["en"]),  # Creole, Hmong, Yupik: no ISO 639-1 code
        ("AH SP FX * F47 F17", ["asl", "en", "es", "ko", "zh"]),
    ],
)
def test_languages(codes, language_codes, languages):
    record = one(codes, service_code_info=f"MH * OP * {language_codes}")
    assert record["languages"] == languages


# --- slugs -----------------------------------------------------------------------------------


def test_slug_is_ascii_and_at_most_80_characters(codes):
    record = one(
        codes, name1="Centro de Salud Mental Señora Niño", name2="Área Este", city="El Monte"
    )
    assert record["slug"] == "centro-de-salud-mental-senora-nino-area-este-el-monte"
    long_name = one(codes, name1="Comprehensive " * 10, city="Long Beach")["slug"]
    assert len(long_name) <= 80
    assert long_name == ("comprehensive-" * 6)[:80].rstrip("-")


def test_slug_is_deterministic(codes):
    rows = [make_row(), make_row(name1="Other Place", city="Glendale")]
    first = [r["slug"] for r in convert(rows, codes).records]
    second = [r["slug"] for r in convert([dict(r) for r in rows], codes).records]
    assert first == second == ["echo-wellness-pasadena", "other-place-glendale"]


def test_slug_collisions_get_the_zip_then_a_counter_by_street(codes):
    rows = [
        make_row(street1="9 Zeta Street", zip="91101"),
        make_row(street1="5 Alpha Street", zip="91101"),
        make_row(street1="1 Main Street", zip="91105"),
        make_row(name1="Unique Place"),
        make_row(street1="7 Beta Street", zip="91101"),
    ]
    slugs = [r["slug"] for r in convert(rows, codes).records]
    assert slugs == [
        "echo-wellness-pasadena-91101-3",
        "echo-wellness-pasadena-91101",
        "echo-wellness-pasadena-91105",
        "unique-place-pasadena",
        "echo-wellness-pasadena-91101-2",
    ]
    # the same facilities keep their slugs whatever the order of the file
    reversed_slugs = [r["slug"] for r in convert(rows[::-1], codes).records]
    assert reversed_slugs == slugs[::-1]


def test_suffixed_slug_stays_within_80_characters(codes):
    rows = [make_row(name1="Comprehensive " * 10, zip=z) for z in ("91101", "91102")]
    slugs = [r["slug"] for r in convert(rows, codes).records]
    assert [len(s) for s in slugs] == [80, 80]
    assert [s[-6:] for s in slugs] == ["-91101", "-91102"]


def test_rejected_rows_take_no_slug(codes):
    rows = [make_row(service_code_info="MH * PSY"), make_row()]
    result = convert(rows, codes)
    assert [r["slug"] for r in result.records] == ["echo-wellness-pasadena"]


def test_an_outpatient_facility_type_without_setting_codes_gives_an_outpatient_program(codes):
    record = one(codes, service_code_info="MH SUMH * OMH * CFT TELE * ADLT YAD")
    assert record["programs"] == [
        program(
            description="Treatment approaches: Couples/family therapy.",
            dual_diagnosis=True,
            telehealth=True,
            min_age=18,
            max_age=64,
        )
    ]


def test_the_facility_type_is_not_used_when_the_row_has_a_setting_code(codes):
    record = one(codes, service_code_info="MH * RES * OMH")
    assert [p["level"] for p in record["programs"]] == ["residential"]


@pytest.mark.parametrize("facility_type", ["PSY", "CMHC", "MSMH", "PH", "RTCA"])
def test_other_facility_types_without_setting_codes_are_rejected(codes, facility_type):
    result = convert([make_row(service_code_info=f"MH * {facility_type}")], codes)
    assert result.rejections == [samhsa.Rejection(1, "Echo Wellness", samhsa.REASON_NO_LEVEL)]


# --- rejections ------------------------------------------------------------------------------


def test_rejection_reasons_are_exact(codes):
    rows = [
        make_row(),
        make_row(name1="No Setting", service_code_info="MH SUMH * PSY * ADLT"),
        make_row(name1="Bad Zip", zip="9110"),
        make_row(name1="Nevada", state="NV"),
        make_row(name1="", name2="Program", street1="", city=""),
        make_row(name1="Everything Wrong", state="", zip="ABCDE", service_code_info=""),
    ]
    result = convert(rows, codes)
    assert [r["name"] for r in result.records] == ["Echo Wellness"]
    assert result.rejections == [
        samhsa.Rejection(2, "No Setting", samhsa.REASON_NO_LEVEL),
        samhsa.Rejection(3, "Bad Zip", "zip is not 5 digits (or ZIP+4): '9110'"),
        samhsa.Rejection(4, "Nevada", "state is not CA: 'NV'"),
        samhsa.Rejection(
            5,
            "Program",
            "name1 is empty; street1 is empty; city is empty",
        ),
        samhsa.Rejection(
            6,
            "Everything Wrong",
            "state is not CA: ''; zip is not 5 digits (or ZIP+4): 'ABCDE'; "
            + samhsa.REASON_NO_LEVEL,
        ),
    ]
    assert samhsa.REASON_NO_LEVEL == (
        "no service setting code for a care level (OP, PHDT, RES or HI) "
        "and not an outpatient mental health facility (OMH)"
    )
    assert samhsa.REASON_BAD_ZIP.format(zip="9110") == result.rejections[1].reason


def test_unknown_codes_are_counted_not_rejected(codes):
    rows = [
        make_row(service_code_info="MH * OP * ZZZ * QQ"),
        make_row(name1="B", service_code_info="OP ZZZ"),
    ]
    result = convert(rows, codes)
    assert len(result.records) == 2
    assert result.unknown_codes == Counter({"ZZZ": 2, "QQ": 1})


def test_missing_columns_in_a_row_do_not_crash(codes):
    row = make_row()
    del row["street2"], row["intake1"]
    assert convert([row], codes).records[0]["address"]["street"] == "100 Main Street"


# --- files -----------------------------------------------------------------------------------


def write_csv(path, header, rows=()):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def test_convert_file(tmp_path, codes):
    path = tmp_path / "directory.csv"
    row = make_row()
    write_csv(path, samhsa.DIRECTORY_COLUMNS, [[row[c] for c in samhsa.DIRECTORY_COLUMNS]])
    result = samhsa.convert_file(path, neighborhoods=NEIGHBORHOODS, codes=codes)
    assert result.records == convert([row], codes).records


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            [c for c in samhsa.DIRECTORY_COLUMNS if c != "zip"] + ["website"],
            "SAMHSA directory file: unexpected header: missing columns: zip; "
            "extra columns: website",
        ),
        (
            list(samhsa.DIRECTORY_COLUMNS[:-1]),
            "SAMHSA directory file: unexpected header: missing columns: service_code_info",
        ),
        (
            ["name2", "name1"] + list(samhsa.DIRECTORY_COLUMNS[2:]),
            "SAMHSA directory file: unexpected header: columns out of order, expected: "
            + ",".join(samhsa.DIRECTORY_COLUMNS),
        ),
    ],
)
def test_convert_file_checks_the_header(tmp_path, codes, header, message):
    path = tmp_path / "directory.csv"
    write_csv(path, header)
    with pytest.raises(ValueError) as error:
        samhsa.convert_file(path, neighborhoods={}, codes=codes)
    assert str(error.value) == message


# --- the real file ---------------------------------------------------------------------------


def test_real_file(codes):
    result = samhsa.convert_file(DIRECTORY_CSV, neighborhoods={}, codes=codes)
    assert len(result.records) == 193
    assert result.rejections == []
    # the three county clinics listed with facility type OMH and no setting code
    omh_only = {r["name"]: [p["level"] for p in r["programs"]] for r in result.records}
    assert {
        name: omh_only[name]
        for name in (
            "San Fernando Mental Health Center",
            "Long Beach Mental Health — Adult Program",
            "Downtown Mental Health Center",
        )
    } == {
        "San Fernando Mental Health Center": ["outpatient"],
        "Long Beach Mental Health — Adult Program": ["outpatient"],
        "Downtown Mental Health Center": ["outpatient"],
    }
    levels = Counter(p["level"] for r in result.records for p in r["programs"])
    assert levels == {"outpatient": 157, "php": 26, "residential": 36, "inpatient": 18}
    assert sum(any(p["dual_diagnosis"] for p in r["programs"]) for r in result.records) == 163
    assert result.unknown_codes == Counter()
    slugs = [r["slug"] for r in result.records]
    assert len(set(slugs)) == 193
    assert max(len(s) for s in slugs) <= 80
    assert all(r["neighborhood"] is None for r in result.records)
    assert {r["source"] for r in result.records} == {"samhsa-2022"}
    languages = Counter(code for r in result.records for code in r["languages"])
    assert languages["en"] == 193 and languages["es"] == 148 and languages["asl"] == 67
    payment = Counter(slug for r in result.records for slug in r["payment"])
    assert payment == {
        "medi-cal": 136,
        "self-pay": 119,
        "medicare": 106,
        "private-insurance": 94,
        "sliding-scale": 47,
        "tricare": 27,
        "va": 12,
    }


def test_real_file_is_stable_across_runs(codes):
    first = samhsa.convert_file(DIRECTORY_CSV, neighborhoods={}, codes=codes)
    second = samhsa.convert_file(DIRECTORY_CSV, neighborhoods={}, codes=codes)
    assert first == second
    by_street = {
        r["address"]["street"]: r["slug"]
        for r in first.records
        if r["name"] == "Paradigm Treatment Centers — Paradigm Malibu"
    }
    assert by_street == {
        "29149 Cliffside Drive": "paradigm-treatment-centers-paradigm-malibu-malibu-90265",
        "6323 Via Escondido Drive": "paradigm-treatment-centers-paradigm-malibu-malibu-90265-2",
    }


def test_real_file_neighborhoods(codes):
    neighborhoods = {"pasadena": "pasadena", "van nuys": "van-nuys", "los angeles": "x"}
    result = samhsa.convert_file(DIRECTORY_CSV, neighborhoods=neighborhoods, codes=codes)
    assert Counter(r["neighborhood"] for r in result.records) == {
        None: 176,
        "pasadena": 11,
        "van-nuys": 6,
    }
