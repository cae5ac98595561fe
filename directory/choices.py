"""Vocabularies of the directory (DESIGN §3): days, statuses, sources, languages, payment."""

from django.db import models


class Day(models.IntegerChoices):
    """Days of the week, numbered as Python's ``date.weekday()`` (Monday = 0)."""

    MON = 0, "Monday"
    TUE = 1, "Tuesday"
    WED = 2, "Wednesday"
    THU = 3, "Thursday"
    FRI = 4, "Friday"
    SAT = 5, "Saturday"
    SUN = 6, "Sunday"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class Source(models.TextChoices):
    DEMO = "demo", "Demo (fictional)"
    SAMHSA_2022 = "samhsa-2022", "SAMHSA directory 2022"
    CURATED = "curated", "Curated"
    SYNTHETIC = "synthetic", "Synthetic (benchmark)"


class NeighborhoodKind(models.TextChoices):
    CITY = "city", "Incorporated city"
    LA_CITY_COMMUNITY = "la-city-community", "Community in the City of Los Angeles"
    UNINCORPORATED = "unincorporated", "Unincorporated area"


class Payment(models.TextChoices):
    MEDI_CAL = "medi-cal", "Medi-Cal"
    MEDICARE = "medicare", "Medicare"
    PRIVATE_INSURANCE = "private-insurance", "Private insurance"
    SLIDING_SCALE = "sliding-scale", "Sliding scale"
    SELF_PAY = "self-pay", "Self-pay"
    FREE = "free", "Free"
    VA = "va", "VA"
    TRICARE = "tricare", "TRICARE"


# ISO 639-1 two-letter codes, plus "asl" for American Sign Language (DESIGN §3).
ISO_639_1 = frozenset(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
    st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu
    """.split()  # noqa: SIM905 (a list of 183 quoted codes reads worse)
)
SIGN_LANGUAGES = frozenset({"asl"})
LANGUAGE_CODES = ISO_639_1 | SIGN_LANGUAGES

# Names for the languages most often met in Los Angeles; other codes show as themselves.
LANGUAGE_NAMES = {
    "ar": "Arabic",
    "asl": "American Sign Language",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fa": "Persian (Farsi)",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hy": "Armenian",
    "it": "Italian",
    "ja": "Japanese",
    "km": "Khmer",
    "ko": "Korean",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "th": "Thai",
    "tl": "Tagalog",
    "vi": "Vietnamese",
    "zh": "Chinese",
}
LANGUAGE_CHOICES = sorted(
    ((code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGE_CODES), key=lambda c: c[1]
)
