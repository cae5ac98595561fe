"""The performance benchmark of issue 6: a synthetic dataset, a query mix, and how to time it.

The dataset is reproducible: facility ``i`` of seed ``s`` is drawn from its own
``random.Random`` seeded with ``(s, i)``, so the same seed gives the same records
whatever the size, and any record can be regenerated alone (``--reuse`` checks a
few). Records are interchange records (DESIGN §6) written through
``directory.services.facility_import``, the path every listing takes, so the
derived columns (days and minutes per week, open spans) are right.

Only facilities with ``source="synthetic"`` are ever deleted.

Timing: each query of the mix is requested through the real URL with Django's
test client (API latency), and the statements one request ran are captured with
their parameters and executed again directly through a cursor (the database's
own time, including the round trip and fetching the rows). The ratio of the two
is the framework's overhead.
"""

import gc
import http.client
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import django
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils.text import slugify
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_app_model_primary_key_name, get_history_model_for_model

from config.process import collect_between_requests, settle_garbage_collector
from directory.choices import Source
from directory.models import (
    CareLevel,
    Closure,
    Facility,
    Hours,
    Neighborhood,
    OpenSpan,
    Organization,
    Program,
    ServiceArea,
    Session,
)
from directory.schedule import DAYS
from directory.services import facility_import

SYNTHETIC = Source.SYNTHETIC.value
ORGANIZATION_PREFIX = "synthetic-org-"
DEFAULT_SEED = 42
# Timed runs per query. The p95 of 30 runs is their second slowest, which one pause of
# the machine moves; of 100, the sixth slowest (session 9: a single run of 30 put
# max_days_per_week's p95 at 95.6 ms for a p50 of 70.4).
DEFAULT_RUNS = 100
WARM_UP = 3
# Dates are drawn relative to a fixed day, not today, so a dataset is the same every day.
REFERENCE_DATE = date(2026, 6, 30)

NON_SYNTHETIC_PRESENT = (
    "the database holds {count} facilities that are not synthetic (e.g. '{example}'); "
    "the benchmark only ever deletes source='synthetic' facilities, but refuses to mix its "
    "dataset with real listings unless --keep is given (they are then left untouched and "
    "counted in the searches). Use an empty database, e.g. "
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/la_care_bench"
)
WRK_MISSING = (
    "--http needs the load generator wrk, which is not installed: "
    "apt-get install -y wrk (Debian), or run without --http"
)
GUNICORN_MISSING = "--http needs gunicorn (in requirements.txt): pip install -r requirements.txt"


# --- the synthetic dataset -----------------------------------------------------------------

WEEKDAYS = DAYS[:5]

# (code, share of facilities); English is almost everywhere and is added separately.
LANGUAGE_SHARES = (
    ("es", 0.45),
    ("ko", 0.06),
    ("zh", 0.06),
    ("hy", 0.05),
    ("tl", 0.05),
    ("vi", 0.04),
    ("fa", 0.03),
    ("ru", 0.03),
    ("asl", 0.03),
    ("ar", 0.02),
    ("ja", 0.02),
    ("km", 0.01),
)
PAYMENT_SHARES = (
    ("medi-cal", 0.65),
    ("self-pay", 0.55),
    ("private-insurance", 0.50),
    ("medicare", 0.35),
    ("sliding-scale", 0.30),
    ("free", 0.10),
    ("va", 0.06),
    ("tricare", 0.05),
)
# (min_age, max_age) and weight; None is an open bound.
AGE_BANDS = (
    ((18, None), 55),
    ((None, None), 18),
    ((12, 17), 11),
    ((13, 25), 5),
    ((60, None), 4),
    ((5, 12), 3),
    ((18, 64), 4),
)
STATUS_WEIGHTS = (("published", 90), ("draft", 7), ("archived", 3))
HOLIDAYS = (
    ("2026-11-26", "2026-11-27", "Thanksgiving"),
    ("2026-12-24", "2026-12-25", "Christmas"),
    ("2026-12-31", "2027-01-01", "New Year"),
    ("2026-07-03", "2026-07-03", "Independence Day (observed)"),
)

NAME_WORDS = (
    "Harbor", "Cedar", "Bridge", "Sunrise", "Pathways", "Hope", "New Leaf", "Oak Tree",
    "Serenity", "Horizon", "Lighthouse", "Willow", "Crossroads", "Mariposa", "Open Door",
    "Sycamore", "Riverbend", "Canyon", "Golden State", "Safe Harbor", "Heritage", "Compass",
)  # fmt: skip
FACILITY_KINDS = {
    "clinic": ("Counseling Center", "Community Mental Health", "Wellness Clinic",
               "Family Services", "Behavioral Health Clinic"),
    "intensive": ("Treatment Center", "Recovery Center", "Day Treatment Center"),
    "evening": ("Evening Recovery Program", "Counseling Collective"),
    "residential": ("Recovery House", "Residential Treatment", "Healing Ranch"),
    "hospital": ("Behavioral Hospital", "Psychiatric Hospital", "Medical Center"),
    "after_hours": ("Crisis Stabilization Center", "Night Clinic", "Urgent Care"),
}  # fmt: skip
# Profile and weight: which kind of site a facility is decides its levels and its hours.
PROFILE_WEIGHTS = (
    ("clinic", 50),
    ("intensive", 20),
    ("evening", 8),
    ("residential", 12),
    ("hospital", 5),
    ("after_hours", 5),
)
# The first level a profile always offers, then the levels its other programs are drawn from.
PROFILE_LEVELS = {
    "clinic": ("outpatient", ("outpatient", "outpatient", "iop"), (1, 3)),
    "intensive": ("iop", ("php", "outpatient", "iop", "php"), (2, 4)),
    "evening": ("iop", ("outpatient", "iop"), (1, 3)),
    "residential": ("residential", ("iop", "outpatient", "residential", "php"), (1, 4)),
    "hospital": ("inpatient", ("php", "residential", "iop", "inpatient"), (2, 4)),
    "after_hours": ("outpatient", ("outpatient", "iop"), (1, 2)),
}
TOPICS = (
    "trauma", "anxiety", "depression", "co-occurring disorders", "substance use", "grief",
    "psychosis", "bipolar disorder", "eating disorders", "family conflict", "veterans",
    "LGBTQ+ affirming care", "mindfulness", "DBT skills", "CBT", "relapse prevention",
)  # fmt: skip
PROGRAM_NAMES = {
    "outpatient": ("Individual Therapy", "Medication Management", "Family Therapy",
                   "Outpatient Group", "Couples Counseling", "Psychiatric Evaluation"),
    "iop": ("Intensive Outpatient Program", "Dual Diagnosis IOP", "Recovery IOP",
            "Mood Disorders IOP"),
    "php": ("Partial Hospitalization Program", "Day Treatment", "Adolescent Day Program"),
    "residential": ("Residential Treatment", "Women's Residential", "Sober Living Program",
                    "Crisis Residential"),
    "inpatient": ("Acute Psychiatric Unit", "Medical Detox Unit", "Inpatient Stabilization"),
}  # fmt: skip
STREETS = (
    "Main St", "Broadway", "Sunset Blvd", "Vermont Ave", "Figueroa St", "Olympic Blvd",
    "Atlantic Ave", "Colorado Blvd", "Pacific Coast Hwy", "Ventura Blvd", "Whittier Blvd",
    "Crenshaw Blvd", "Lankershim Blvd", "Garvey Ave", "Valley Blvd", "Hawthorne Blvd",
)  # fmt: skip


def facility_rng(seed, index):
    """Return the random generator of facility ``index`` in the dataset of ``seed``."""
    # A str seed is hashed with SHA-512: the same on every run and platform.
    return random.Random(f"la-care-bench:{seed}:{index}")


def organization_count(facilities):
    """Return how many organizations a dataset of this size shares among its facilities."""
    return max(1, facilities // 8)


def organization_record(seed, number):
    """Return the organization ``number`` (its name is the same in every record naming it)."""
    rng = random.Random(f"la-care-bench:{seed}:organization:{number}")
    name = f"{rng.choice(NAME_WORDS)} {rng.choice(('Health', 'Care', 'Services'))} Network"
    return {"slug": f"{ORGANIZATION_PREFIX}{number}", "name": f"{name} {number}"}


@dataclass(frozen=True)
class NeighborhoodPicker:
    """Neighborhoods drawn in proportion to their population."""

    neighborhoods: tuple[tuple, ...]
    cumulative_weights: tuple[float, ...]

    @classmethod
    def from_database(cls):
        rows = tuple(
            Neighborhood.objects.order_by("slug").values_list(
                "slug", "name", "city", "latitude", "longitude", "population"
            )
        )
        if not rows:
            raise ValueError("no neighborhoods: run `manage.py migrate` first")
        weights, total = [], 0.0
        for row in rows:
            # A neighborhood with no recorded population still gets the odd facility.
            total += max(row[5], 500)
            weights.append(total)
        return cls(rows, tuple(weights))

    def pick(self, rng):
        return rng.choices(self.neighborhoods, cum_weights=self.cumulative_weights)[0]


def _hhmm(minutes):
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def _weekly(days, starts_at, ends_at):
    return [{"day": day, "starts_at": starts_at, "ends_at": ends_at} for day in days]


def _opening(days, opens_at, closes_at):
    return [{"day": day, "opens_at": opens_at, "closes_at": closes_at} for day in days]


def _hours(rng, profile):
    """Return (open_24_7, weekly hours) of a facility of this profile."""
    if profile in ("residential", "hospital"):
        if rng.random() < (0.8 if profile == "residential" else 0.95):
            return True, []
        return False, _opening(DAYS, "07:00", "23:00")
    if profile == "after_hours":
        shape = rng.randrange(3)
        if shape == 0:
            return False, _opening(DAYS, "18:00", "02:00")
        if shape == 1:
            return False, _opening(("fri", "sat"), "20:00", "08:00") + _opening(
                WEEKDAYS[:4], "17:00", "00:00"
            )
        return False, _opening(DAYS, "16:00", "00:00")
    if profile == "intensive":
        hours = _opening(WEEKDAYS, "08:00", "20:00")
        if rng.random() < 0.5:
            hours += _opening(("sat",), "09:00", "14:00")
        return False, hours
    if profile == "evening":
        return False, _opening(WEEKDAYS, "12:00", "21:00") + _opening(("sat",), "09:00", "15:00")
    opens_at, closes_at = rng.choice((("08:00", "17:00"), ("09:00", "18:00"), ("08:30", "17:30")))
    if rng.random() < 0.15:
        # Closed for lunch: two intervals a day.
        hours = _opening(WEEKDAYS, opens_at, "12:00") + _opening(WEEKDAYS, "13:00", closes_at)
    else:
        hours = _opening(WEEKDAYS, opens_at, closes_at)
    if rng.random() < 0.4:
        late = rng.choice(("tue", "thu"))
        hours = [h for h in hours if h["day"] != late] + _opening((late,), opens_at, "20:00")
    if rng.random() < 0.3:
        hours += _opening(("sat",), "09:00", "13:00")
    return False, hours


def _sessions(rng, level, profile):
    """Return the weekly sessions of a program at this level (none: by appointment)."""
    if level in ("residential", "inpatient"):
        return []
    if level == "outpatient":
        if profile == "after_hours":
            return _weekly((rng.choice(("fri", "sat")),), "22:00", "00:30")
        if rng.random() < 0.55:
            return []
        start = rng.choice((600, 840, 1080, 1140) if profile != "evening" else (1080, 1140))
        length = rng.choice((60, 90))
        days = rng.sample(WEEKDAYS, rng.choice((1, 1, 2)))
        if rng.random() < 0.15:
            days = ["sat"]
        return _weekly(sorted(days, key=DAYS.index), _hhmm(start), _hhmm(start + length))
    if level == "php":
        starts_at, ends_at = rng.choice(
            (("09:00", "15:00"), ("08:30", "14:30"), ("10:00", "16:00"))
        )
        days = WEEKDAYS if rng.random() < 0.8 else WEEKDAYS[:4]
        return _weekly(days, starts_at, ends_at)
    # IOP: a morning, afternoon, evening or weekend track.
    tracks = ("evening", "weekend") if profile == "evening" else (
        "morning", "afternoon", "evening", "evening", "weekend"
    )  # fmt: skip
    track = rng.choice(tracks)
    if track == "weekend":
        return _weekly(("sat", "sun"), "09:00", "13:00") + (
            _weekly(("wed",), "18:00", "21:00") if rng.random() < 0.5 else []
        )
    days = rng.choice((("mon", "wed", "fri"), ("mon", "tue", "thu"), WEEKDAYS[:4], WEEKDAYS))
    starts_at, ends_at = {
        "morning": ("09:00", "12:00"),
        "afternoon": ("13:00", "16:00"),
        "evening": rng.choice((("18:00", "21:00"), ("17:30", "20:30"))),
    }[track]
    return _weekly(days, starts_at, ends_at)


def _program(rng, level, profile):
    min_age, max_age = rng.choices(
        [band for band, _ in AGE_BANDS], weights=[w for _, w in AGE_BANDS]
    )[0]
    name = rng.choice(PROGRAM_NAMES[level])
    sessions = _sessions(rng, level, profile)
    if sessions and sessions[0]["starts_at"] >= "17:00":
        name = f"Evening {name}"
    elif sessions and sessions[0]["day"] in ("sat", "sun"):
        name = f"Weekend {name}"
    if max_age is not None and max_age <= 17:
        name = f"Youth {name}"
    topics = rng.sample(TOPICS, 2)
    dual_share = {"iop": 0.5, "residential": 0.6, "inpatient": 0.5}.get(level, 0.25)
    detox_share = {"inpatient": 0.7, "residential": 0.3}.get(level, 0.02)
    return {
        "name": name,
        "level": level,
        "description": f"Focus on {topics[0]} and {topics[1]}.",
        "dual_diagnosis": rng.random() < dual_share,
        "detox": rng.random() < detox_share,
        "accepting_new_clients": rng.random() < 0.8,
        "telehealth": level in ("outpatient", "iop") and rng.random() < 0.35,
        "min_age": min_age,
        "max_age": max_age,
        "sessions": sessions,
    }


def synthetic_record(index, *, seed, neighborhoods, organizations):
    """Return interchange record ``index`` of the synthetic dataset of ``seed``."""
    rng = facility_rng(seed, index)
    profile = rng.choices(*zip(*PROFILE_WEIGHTS, strict=True))[0]
    n_slug, n_name, n_city, n_lat, n_lng, _ = neighborhoods.pick(rng)
    name = f"{n_name} {rng.choice(NAME_WORDS)} {rng.choice(FACILITY_KINDS[profile])}"
    slug = f"{slugify(name)[:80]}-{index + 1}"
    first_level, other_levels, (fewest, most) = PROFILE_LEVELS[profile]
    levels = [first_level] + [
        rng.choice(other_levels) for _ in range(rng.randint(fewest, most) - 1)
    ]
    open_24_7, hours = _hours(rng, profile)
    languages = ["en"] if rng.random() < 0.97 else []
    languages += [code for code, share in LANGUAGE_SHARES if rng.random() < share]
    payment = [slug_ for slug_, share in PAYMENT_SHARES if rng.random() < share] or ["self-pay"]
    verified_at = (
        None
        if rng.random() < 0.08
        else (REFERENCE_DATE - timedelta(days=rng.randrange(730))).isoformat()
    )
    organization = None
    if rng.random() < 0.7:
        organization = organization_record(seed, rng.randrange(organizations))
    closures = []
    if rng.random() < 0.15:
        starts_on, ends_on, reason = rng.choice(HOLIDAYS)
        closures = [{"starts_on": starts_on, "ends_on": ends_on, "reason": reason}]
    return {
        "slug": slug,
        "name": name,
        "description": f"Synthetic listing. {profile.replace('_', '-').title()} site; "
        f"specialties: {', '.join(rng.sample(TOPICS, 3))}.",
        "organization": organization,
        "address": {
            "street": f"{rng.randint(100, 19999)} {rng.choice(STREETS)}",
            "city": n_city or "Los Angeles",
            "state": "CA",
            "postal_code": f"9{rng.randint(0, 1)}{rng.randint(0, 999):03d}",
        },
        # About a mile of jitter around the neighborhood's centroid.
        "latitude": round(n_lat + rng.gauss(0, 0.012), 5),
        "longitude": round(n_lng + rng.gauss(0, 0.015), 5),
        "neighborhood": n_slug,
        "phone": f"(213) 555-{rng.randint(0, 9999):04d}",
        "website": f"https://care.example.org/{slug}",
        "languages": languages,
        "payment": payment,
        "open_24_7": open_24_7,
        "hours": hours,
        "closures": closures,
        "programs": [_program(rng, level, profile) for level in levels],
        "status": rng.choices(*zip(*STATUS_WEIGHTS, strict=True))[0],
        "verified_at": verified_at,
        "source": SYNTHETIC,
    }


def synthetic_records(count, *, seed, neighborhoods=None) -> Iterator[dict]:
    """Yield the interchange records 0 … ``count - 1`` of the dataset of ``seed``."""
    neighborhoods = neighborhoods or NeighborhoodPicker.from_database()
    organizations = organization_count(count)
    for index in range(count):
        yield synthetic_record(
            index, seed=seed, neighborhoods=neighborhoods, organizations=organizations
        )


# --- loading it ----------------------------------------------------------------------------


class BenchError(Exception):
    """The benchmark cannot run as asked; the message says why and what to do."""


def refuse_non_synthetic(*, keep):
    """Raise BenchError if the database holds non-synthetic facilities, unless ``keep``."""
    others = Facility.objects.exclude(source=SYNTHETIC)
    if not keep and others.exists():
        example = others.order_by("slug").values_list("slug", flat=True).first()
        raise BenchError(NON_SYNTHETIC_PRESENT.format(count=others.count(), example=example))


def add_dataset_arguments(parser):
    """Declare the options both benchmark commands take: the dataset and --keep/--force."""
    parser.add_argument("--facilities", type=int, required=True, help="dataset size")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--output", help="write the report as JSON to this file")
    parser.add_argument(
        "--keep",
        "--force",
        action="store_true",
        dest="keep",
        help="run even though the database holds non-synthetic facilities "
        "(they are kept untouched; bench counts them in its searches)",
    )


def write_report(path, report):
    """Write the report as JSON to path; raise BenchError if it cannot be written."""
    try:
        Path(path).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    except OSError as error:
        raise BenchError(f"cannot write {path}: {error}") from None


def delete_synthetic():
    """Delete the synthetic facilities (and their now unused organizations); nothing else.

    Return the number of rows deleted. The history of synthetic rows goes with them.
    """
    deleted = _delete_with_dependents(Facility.objects.filter(source=SYNTHETIC))
    deleted += _delete_with_dependents(
        Organization.objects.filter(slug__startswith=ORGANIZATION_PREFIX, facilities__isnull=True)
    )
    return deleted


def _delete_with_dependents(queryset):
    """Delete the rows, what cascades from them and their history, in set-wise statements.

    The collector's delete would fetch every row and send post_delete for each, and
    simple-history would then write a deletion row for each: minutes and hundreds of
    thousands of history rows for a benchmark's throwaway data. A raw delete does not
    cascade, so dependents (CASCADE relations, followed down) go first.
    """
    deleted = 0
    for relation in queryset.model._meta.related_objects:
        if relation.many_to_many or relation.on_delete is not models.CASCADE:
            continue  # PROTECT and the like: the database refuses, as it should.
        dependents = relation.related_model._base_manager.filter(
            **{f"{relation.field.name}__in": queryset.values("pk")}
        )
        deleted += _delete_with_dependents(dependents)
    try:
        historical = get_history_model_for_model(queryset.model)
    except NotHistoricalModelError:
        pass
    else:
        key = get_app_model_primary_key_name(queryset.model)
        history = historical._base_manager.filter(**{f"{key}__in": queryset.values("pk")})
        history.order_by()._raw_delete(history.db)
    return deleted + queryset.order_by()._raw_delete(queryset.db)


def matches_existing(count, seed):
    """Return True if the synthetic facilities in the database are the dataset (count, seed).

    Checks the count and a few regenerated records (first, middle, last) field by field.
    """
    synthetic = Facility.objects.filter(source=SYNTHETIC)
    if count == 0 or synthetic.count() != count:
        return False
    neighborhoods = NeighborhoodPicker.from_database()
    for index in sorted({0, count // 2, count - 1}):
        record = synthetic_record(
            index, seed=seed, neighborhoods=neighborhoods, organizations=organization_count(count)
        )
        stored = synthetic.filter(slug=record["slug"]).annotate(n=Count("programs")).first()
        if stored is None or (stored.name, stored.latitude, stored.n) != (
            record["name"],
            record["latitude"],
            len(record["programs"]),
        ):
            return False
    return True


@dataclass
class LoadResult:
    facilities: int = 0
    seconds: float = 0.0
    import_seconds: float = 0.0
    delete_seconds: float = 0.0
    analyze_seconds: float = 0.0
    reused: bool = False

    @property
    def facilities_per_second(self):
        if self.reused or not self.import_seconds:
            return None
        return round(self.facilities / self.import_seconds, 1)


def load_dataset(count, *, seed, reuse=False, progress=None):
    """Replace the synthetic facilities with the dataset (count, seed); return timings.

    One transaction: the old synthetic rows are deleted and the new ones streamed
    through ``facility_import`` (which takes them a chunk at a time, generated as it
    reads), so a failure leaves the database as it was. Then the planner's statistics
    are refreshed.
    """
    progress = progress or (lambda message: None)
    result = LoadResult(facilities=count)
    if reuse and matches_existing(count, seed):
        progress(f"reusing the {count} synthetic facilities already loaded (seed {seed})")
        result.reused = True
        return result
    started = time.perf_counter()
    neighborhoods = NeighborhoodPicker.from_database()
    with transaction.atomic():
        clock = time.perf_counter()
        deleted = delete_synthetic()
        result.delete_seconds = time.perf_counter() - clock
        if deleted:
            progress(f"deleted {deleted} synthetic rows in {result.delete_seconds:.1f} s")
        clock = time.perf_counter()
        imported = facility_import(
            records=synthetic_records(count, seed=seed, neighborhoods=neighborhoods)
        )
        result.import_seconds = time.perf_counter() - clock
        if not imported.ok:
            raise BenchError(
                "the generator made an invalid record: "
                + "; ".join(str(p) for p in imported.problems[:5])
            )
        progress(f"imported {count} facilities ({result.facilities_per_second} facilities/s)")
    clock = time.perf_counter()
    refresh_statistics(compact=bool(deleted))
    result.analyze_seconds = time.perf_counter() - clock
    result.seconds = time.perf_counter() - started
    return result


def refresh_statistics(*, compact=False):
    """Rebuild the indexes and refresh the planner's statistics (and visibility map)
    after a bulk load, as docs/operations.md says to after a large import.

    Autovacuum would refresh them eventually; a benchmark must not depend on when. An
    index that grows while rows arrive in another order than its own is left with
    half-empty pages: at 100,000 facilities ``program_level_facility`` was 29 MB after the
    import against 16 MB built at once, and the searches reading many of its entries ran
    about a third slower (session 9). PostgreSQL's advice for a bulk load is to build the
    indexes after it; here they are rebuilt (``REINDEX TABLE``). With ``compact`` (a
    dataset replaced another), PostgreSQL rewrites the tables instead (``VACUUM FULL``,
    which rebuilds their indexes too): the new rows were written while the old ones'
    space could not yet be reused, and scanning tables twice their size made a second
    run's searches up to 60 % slower than the first's (session 5).
    """
    tables = [m._meta.db_table for m in (Facility, Organization, Program, Session, Hours)]
    tables += [m._meta.db_table for m in (OpenSpan, Closure)]
    # The reference tables too: migrations fill them, and a server without autovacuum
    # (CI's) never analyzes them. Without statistics PostgreSQL expected one neighborhood
    # per service area (area 4 has 47) and planned `service_area` searches as no server
    # with autovacuum would.
    tables += [m._meta.db_table for m in (Neighborhood, ServiceArea, CareLevel)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # VACUUM cannot run inside a transaction (e.g. a test's); ANALYZE can. VACUUM
            # FULL leaves the visibility map empty (every index-only scan would read the
            # table): a plain VACUUM follows it.
            if connection.in_atomic_block:
                verbs = ["ANALYZE"]
            else:
                verbs = ["VACUUM (FULL)" if compact else "REINDEX TABLE", "VACUUM (ANALYZE)"]
            for verb in verbs:
                for table in tables:
                    cursor.execute(f"{verb} {connection.ops.quote_name(table)}")
        elif connection.vendor == "sqlite":
            cursor.execute("ANALYZE")


def dataset_summary():
    """Return the row counts of what the searches read."""
    facilities = Facility.objects.all()
    return {
        "facilities": facilities.count(),
        "synthetic_facilities": facilities.filter(source=SYNTHETIC).count(),
        "published_facilities": facilities.filter(status="published").count(),
        "programs": Program.objects.count(),
        "sessions": Session.objects.count(),
        "hours": Hours.objects.count(),
        "open_spans": OpenSpan.objects.count(),
        "closures": Closure.objects.count(),
        "organizations": Organization.objects.count(),
    }


# --- the query mix -------------------------------------------------------------------------

DOWNTOWN = "34.0522,-118.2437"
SANTA_MONICA = "34.0195,-118.4912"

# Name → URL. Every filter family of DESIGN §5 appears at least once, alone and combined.
QUERY_MIX = {
    "list": "/api/v1/facilities/",
    "neighborhood": "/api/v1/facilities/?neighborhood=long-beach",
    "near_level_available_dual": (
        f"/api/v1/facilities/?near={DOWNTOWN}&radius_mi=10&level=iop"
        "&available=weekdays@17:00-21:30&dual_diagnosis=true"
    ),
    "near_level_payment": (
        f"/api/v1/facilities/?near={DOWNTOWN}&radius_mi=10&level=outpatient&payment=medi-cal"
    ),
    "q_one_word": "/api/v1/facilities/?q=trauma",
    "q_payment": "/api/v1/facilities/?q=trauma&payment=medi-cal",
    "q_payment_relevance": "/api/v1/facilities/?q=trauma&payment=medi-cal&ordering=relevance",
    "q_two_words": "/api/v1/facilities/?q=recovery+center",
    "open_at_service_area": "/api/v1/facilities/?open_at=2026-03-04T19:30&service_area=4",
    "min_hours_per_week": "/api/v1/facilities/?min_hours_per_week=9",
    "lives_at_home_language_age": "/api/v1/facilities/?lives_at_home=true&language=es&age=16",
    "max_days_per_week": "/api/v1/facilities/?max_days_per_week=2&accepting=true",
    "level_range": "/api/v1/facilities/?min_level=iop&max_level=residential&detox=true",
    "verified_telehealth": "/api/v1/facilities/?ordering=-verified_at&telehealth=true",
    "level_ordering_available": (
        "/api/v1/facilities/?ordering=level&available=sat-sun@09:00-14:00"
    ),
    "programs_near": f"/api/v1/programs/?near={SANTA_MONICA}&radius_mi=5&level=outpatient",
    "programs_hours_language": (
        "/api/v1/programs/?max_hours_per_week=12&min_hours_per_week=3&language=ko"
    ),
    "programs_list": "/api/v1/programs/",
}
DEEP_PAGE = 200


def query_mix():
    """Return the query mix, with a deep page that exists in the loaded dataset.

    Page 200 (offset 3,980) from 4,000 published facilities on, so the 10,000 and
    100,000 runs ask for the same URL.
    """
    published = Facility.objects.published().count()
    page = max(1, min(DEEP_PAGE, published // 20 // 2))
    return {**QUERY_MIX, "deep_page": f"/api/v1/facilities/?page={page}"}


# The search whose throughput is compared with the trivial endpoint's under --http.
TYPICAL_SEARCH = "near_level_payment"
TRIVIAL_ENDPOINT = "/api/v1/service-areas/"


def percentile(samples, fraction):
    """Return the sample at ``fraction`` (0–1), linearly interpolated between ranks."""
    ordered = sorted(samples)
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 2)


@dataclass
class Statement:
    sql: str
    params: object
    seconds: list[float] = field(default_factory=list)


class StatementRecorder:
    """An execute wrapper that keeps each statement with the parameters the driver gets."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append(Statement(sql, params))
        return execute(sql, params, many, context)


def _time_statements(statements):
    """Execute the statements again, in order, through a plain cursor; return the total time."""
    total = 0.0
    with connection.cursor() as cursor:
        for statement in statements:
            clock = time.perf_counter()
            cursor.execute(statement.sql, statement.params)
            cursor.fetchall()
            elapsed = time.perf_counter() - clock
            statement.seconds.append(elapsed)
            total += elapsed
    return total


def explain(statement):
    """Return EXPLAIN (ANALYZE, BUFFERS) of a captured statement (PostgreSQL), else None."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement.sql}", statement.params)
        return "\n".join(row[0] for row in cursor.fetchall())


# How long the in-process measurement of cached answers lets them live.
CACHED_SECONDS = 600


class SearchSamples:
    """One search's timings on the current database: its API requests in-process, and the
    statements one request ran, captured and executed again through a plain cursor."""

    def __init__(self, url):
        self.url, self.client = url, Client()
        self.api, self.sql, self.statements = [], [], []
        self.response = self.body = self.error = None
        self.queries = 0

    def prepare(self, warm_up=WARM_UP):
        """Warm up and capture the statements; False (and ``error``) unless it answers 200."""
        response = self.client.get(self.url)
        if response.status_code != 200:
            self.error = {
                "url": self.url,
                "status": response.status_code,
                "error": response.content[:500].decode("utf-8", "replace"),
            }
            return False
        for _ in range(warm_up - 1):
            self.client.get(self.url)
        recorder = StatementRecorder()
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(recorder):
            self.response = self.client.get(self.url)
        self.body, self.queries = self.response.json(), len(captured.captured_queries)
        self.statements = recorder.statements
        for _ in range(warm_up):
            _time_statements(self.statements)
        for statement in self.statements:
            statement.seconds.clear()
        return True

    def sample(self, runs):
        """Time ``runs`` requests, then ``runs`` executions of their statements.

        Between requests, what the serving worker runs once it has sent an answer
        (config/workers.py: ``collect_between_requests``; it collects nothing unless
        ``--gc-freeze`` set the serving thresholds), untimed as a client does not wait
        for it.
        """
        self.api += [self._timed_request() for _ in range(runs)]
        self.sql += [_time_statements(self.statements) for _ in range(runs)]

    def _timed_request(self):
        """Seconds one request took; then what the serving worker runs between requests."""
        clock = time.perf_counter()
        self.client.get(self.url)
        seconds = time.perf_counter() - clock
        collect_between_requests()
        return seconds

    def result(self):
        if self.error:
            return self.error
        body, statements = self.body, self.statements
        result = {
            "url": self.url,
            "status": self.response.status_code,
            "count": body.get("count") if isinstance(body, dict) else None,
            "results": len(body.get("results", [])) if isinstance(body, dict) else None,
            "queries": self.queries,
            "api_p50_ms": _ms(percentile(self.api, 0.5)),
            "api_p95_ms": _ms(percentile(self.api, 0.95)),
            "sql_p50_ms": _ms(percentile(self.sql, 0.5)),
            "sql_p95_ms": _ms(percentile(self.sql, 0.95)),
            "response_bytes": len(self.response.content),
            "statements": [
                {"p50_ms": _ms(statistics.median(s.seconds)), "sql": s.sql[:300]}
                for s in statements
            ],
        }
        result["api_over_sql_p50"] = (
            round(result["api_p50_ms"] / result["sql_p50_ms"], 2) if result["sql_p50_ms"] else None
        )
        return result

    def slowest(self):
        return max(self.statements, key=lambda s: statistics.median(s.seconds), default=None)

    def cached_p50_ms(self, runs):
        """The p50 of ``runs`` answers from the answer cache (the first stores it)."""
        with override_settings(API_CACHE_SECONDS=CACHED_SECONDS):
            self.client.get(self.url)  # stored
            cached = [self._timed_request() for _ in range(runs)]
        return _ms(percentile(cached, 0.5))


def measure(url, *, runs, warm_up=WARM_UP, with_explain=False, alongside=None):
    """Return the timings of one search: API and SQL p50/p95, queries, count, statements.

    With ``alongside`` (an ``Alongside`` database), the same search is timed there too,
    in turns of ``ALONGSIDE_TURN`` requests (then as many replays of its statements) on
    each database, so that whatever the machine does meanwhile falls on both alike; its
    timings go under ``alongside``, and ``api_p95_over_alongside`` is the ratio of the
    two p95s.
    """
    here = SearchSamples(url)
    if not here.prepare(warm_up):
        return here.error
    there = None
    if alongside is not None:
        with alongside.active():
            there = SearchSamples(url)
            try:
                there.prepare(warm_up)
            except Exception as error:  # the test client re-raises the view's exceptions
                there.error = {"url": url, "status": 500, "error": repr(error)[:500]}
    if there is None or there.error:
        here.sample(runs)  # alone: the result says so (``alongside`` holds the error)
    else:
        for turn, start in enumerate(range(0, runs, ALONGSIDE_TURN)):
            count = min(ALONGSIDE_TURN, runs - start)
            if turn % 2:
                here.sample(count)
            with alongside.active():
                there.sample(count)
            if not turn % 2:
                here.sample(count)
    result = here.result()
    slowest = here.slowest()
    if with_explain and slowest is not None:
        result["slowest_sql"] = slowest.sql
        result["explain"] = explain(slowest)
    result["api_cached_p50_ms"] = here.cached_p50_ms(runs)
    if there is not None:
        result["alongside"] = there.result()
        if not there.error:
            result["api_p95_over_alongside"] = round(
                result["api_p95_ms"] / result["alongside"]["api_p95_ms"], 2
            )
    return result


# Requests (then statement replays) per turn on each database when timing side by side.
ALONGSIDE_TURN = 10
ALONGSIDE_ENGINE = "--alongside {url}: not the configured database's engine"
ALONGSIDE_DATASET = (
    "--alongside: {name} holds no synthetic dataset of this seed (load one there first, "
    "e.g. with bench_import)"
)
ALONGSIDE_UNREACHABLE = "--alongside: {name} does not answer: {error}"
ALONGSIDE_UNMIGRATED = (
    "--alongside: {name} has unapplied migrations: run migrate there, then VACUUM (ANALYZE)"
)


class Alongside:
    """Another database holding the synthetic dataset at another size (``bench
    --alongside``), made Django's default connection while ``active``.

    Both connections stay open, so neither database's server process starts cold on its
    turn; each keeps its own reference data (``directory.reference``: care levels and
    neighborhoods by id).
    """

    def __init__(self, settings_dict):
        from django.db.utils import load_backend

        self.settings_dict = settings_dict
        backend = load_backend(settings_dict["ENGINE"])
        self.wrapper = backend.DatabaseWrapper(settings_dict, DEFAULT_DB_ALIAS)
        self.reference = {}

    @classmethod
    def at(cls, url):
        """The database at this URL (as ``DATABASE_URL`` gives it), with the configured
        database's other settings (the PostgreSQL session settings among them)."""
        import environ

        found = environ.Env.db_url_config(url)
        if found["ENGINE"] != connection.settings_dict["ENGINE"]:
            raise BenchError(ALONGSIDE_ENGINE.format(url=url))
        keys = ("NAME", "USER", "PASSWORD", "HOST", "PORT")
        settings_dict = {**connection.settings_dict, **{key: found.get(key, "") for key in keys}}
        settings_dict["OPTIONS"] = {**settings_dict.get("OPTIONS", {}), **found.get("OPTIONS", {})}
        return cls(settings_dict)

    def check(self, seed):
        """Return what the database holds (and its server), or raise BenchError unless it
        answers, is migrated and holds the synthetic dataset of this seed."""
        from django.db import DatabaseError
        from django.db.migrations.executor import MigrationExecutor

        name = self.settings_dict["NAME"]
        with self.active():
            try:
                executor = MigrationExecutor(self.wrapper)
                unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
                synthetic = Facility.objects.filter(source=SYNTHETIC).count()
            except DatabaseError as error:
                raise BenchError(ALONGSIDE_UNREACHABLE.format(name=name, error=error)) from None
            if unapplied:
                raise BenchError(ALONGSIDE_UNMIGRATED.format(name=name))
            if not matches_existing(synthetic, seed):
                raise BenchError(ALONGSIDE_DATASET.format(name=name))
            return {
                "database": str(name),
                "server": machine_info()["db"],
                "dataset": dataset_summary(),
            }

    @contextmanager
    def active(self):
        from directory import reference

        previous, previous_reference = connections[DEFAULT_DB_ALIAS], reference._cache
        connections[DEFAULT_DB_ALIAS], reference._cache = self.wrapper, self.reference
        try:
            yield self
        finally:
            connections[DEFAULT_DB_ALIAS], reference._cache = previous, previous_reference

    def close(self):
        self.wrapper.close()


@contextmanager
def timing_settings():
    """The settings searches are timed under in-process (``run_query_mix``, or ``measure``
    of any URL in a shell).

    DEBUG off: the debug cursor's bookkeeping is not what production pays. The test
    client's host allowed, and no throttling, which would answer 429s. The answer cache
    off: repeated requests would time the cache, not the search (the cached figures are
    measured apart, as api_cached_p50_ms, and under gunicorn).
    """
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    with override_settings(
        DEBUG=False, ALLOWED_HOSTS=hosts, ANON_THROTTLE_RATE="none", API_CACHE_SECONDS=0
    ):
        yield


def run_query_mix(
    *,
    runs,
    warm_up=WARM_UP,
    with_explain=False,
    names=None,
    gc_freeze=False,
    progress=None,
    alongside=None,
):
    """Return {name: timings} for the query mix (or the named part of it), each timed side
    by side with ``alongside`` too when it is given (``measure``).

    The load's garbage is collected first so that it does not fall into a timed request.
    With ``gc_freeze`` the surviving objects are then frozen (``gc.freeze()``), as a server
    would after start-up: full collections then skip them.
    """
    progress = progress or (lambda message: None)
    results = {}
    gc.collect()
    if gc_freeze:
        settle_garbage_collector()
    with timing_settings():
        for name, url in query_mix().items():
            if names and name not in names:
                continue
            results[name] = measure(
                url, runs=runs, warm_up=warm_up, with_explain=with_explain, alongside=alongside
            )
            timing = results[name]
            growth = timing.get("api_p95_over_alongside")
            progress(
                f"{name}: api p50 {timing.get('api_p50_ms')} ms, "
                f"sql p50 {timing.get('sql_p50_ms')} ms, {timing.get('queries')} queries"
                + ("" if growth is None else f", p95 {growth}x alongside")
            )
    return results


# --- throughput under gunicorn -------------------------------------------------------------

REQUESTS_PER_SECOND = re.compile(r"Requests/sec:\s+([0-9.]+)")
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
# wrk drops a request it has waited this long for (and does not count it): far above
# any latency the benchmark expects, so that slow searches are measured, not dropped.
WRK_TIMEOUT_SECONDS = 60
LATENCY_LINE = re.compile(r"^\s+(50|90|99)%\s+([0-9.]+)(us|ms|s)\s*$", re.MULTILINE)


def parse_wrk(output):
    """Return {requests_per_second, non_2xx, socket_errors, latency_ms: {50, 90, 99}}
    from wrk's report."""
    match = REQUESTS_PER_SECOND.search(output)
    if not match:
        raise BenchError(f"could not read wrk's Requests/sec in:\n{output}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    non_2xx = NON_2XX.search(output)
    errors = SOCKET_ERRORS.search(output)
    kinds = ("connect", "read", "write", "timeout")
    return {
        "requests_per_second": float(match.group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": dict(zip(kinds, map(int, errors.groups()), strict=True))
        if errors
        else dict.fromkeys(kinds, 0),
        "latency_ms": {
            p: round(float(v) * scale[unit], 2) for p, v, unit in LATENCY_LINE.findall(output)
        },
    }


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _gunicorn():
    beside_python = Path(sys.executable).parent / "gunicorn"
    return str(beside_python) if beside_python.exists() else shutil.which("gunicorn")


class Gunicorn:
    """The app served by gunicorn on a free loopback port, for as long as the block runs."""

    def __init__(self, *, workers=2, timeout=60, environment=None):
        self.workers, self.timeout = workers, timeout
        self.extra_environment = environment or {}
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log = None

    def __enter__(self):
        executable = _gunicorn()
        if not executable:
            raise BenchError(GUNICORN_MISSING)
        environment = {
            **os.environ,
            "ANON_THROTTLE_RATE": "none",
            # Served as in production: no debug cursor, no browsable API.
            "DEBUG": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP on loopback; in production TLS ends at the proxy in front.
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            **self.extra_environment,
        }
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in __exit__)
            prefix="bench-gunicorn-", suffix=".log", delete=False
        )
        self.process = subprocess.Popen(
            [executable, "config.wsgi:application", "-w", str(self.workers)]
            + ["-c", str(Path(settings.BASE_DIR) / "config" / "gunicorn.conf.py")]
            + ["-b", f"127.0.0.1:{self.port}", "--chdir", str(settings.BASE_DIR)],
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited at start; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise BenchError(f"gunicorn did not answer /healthz within {self.timeout} s")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            # The master stops its workers on SIGTERM; only the process we started is signalled.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log:
            self.log.close()
        return False


def _status(port, path):
    """Return the status of GET path on the loopback port, without following redirects."""
    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection_.request("GET", path)
        return connection_.getresponse().status
    finally:
        connection_.close()


def wrk(url, *, duration=10, threads=2, connections=16):
    """Return wrk's figures for ``url`` (a loopback address only)."""
    if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise BenchError(f"load is only ever sent to this machine's loopback, not {url}")
    executable = shutil.which("wrk")
    if not executable:
        raise BenchError(WRK_MISSING)
    completed = subprocess.run(
        [executable, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
        + ["--timeout", f"{WRK_TIMEOUT_SECONDS}s", url],
        capture_output=True,
        text=True,
        timeout=duration + WRK_TIMEOUT_SECONDS + 60,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return parse_wrk(completed.stdout)


def measure_throughput(*, duration=10, warm_up=2, progress=None):
    """Serve the app under gunicorn (2 workers); return rps of the typical search and trivial.

    Twice: as deployed (anonymous answers cached, ``directory.api.cache``), then with the
    cache off (``API_CACHE_SECONDS=0``: every search runs its queries), as ``search_uncached``.
    """
    progress = progress or (lambda message: None)
    if not shutil.which("wrk"):
        raise BenchError(WRK_MISSING)
    rounds = [
        (
            {},
            {
                "search": QUERY_MIX[TYPICAL_SEARCH],
                "trivial": TRIVIAL_ENDPOINT,
                "healthz": "/healthz",
            },
        ),
        ({"API_CACHE_SECONDS": "0"}, {"search_uncached": QUERY_MIX[TYPICAL_SEARCH]}),
    ]
    figures = {}
    for environment, targets in rounds:
        with Gunicorn(environment=environment) as server:
            for name, path in targets.items():
                url = server.base_url + path
                # wrk counts redirects as successes: make sure the page itself answers.
                status = _status(server.port, path)
                if status != 200:
                    raise BenchError(f"{name}: {path} answered {status} under gunicorn, not 200")
                wrk(url, duration=warm_up)
                figures[name] = {"url": path, **wrk(url, duration=duration)}
                progress(f"{name}: {figures[name]['requests_per_second']:.1f} requests/s ({path})")
    for name, figure in figures.items():
        if figure["non_2xx"]:
            raise BenchError(f"{name}: {figure['non_2xx']} responses were not 2xx under load")
        if any(figure["socket_errors"].values()):
            raise BenchError(f"{name}: socket errors under load: {figure['socket_errors']}")
    return figures


# --- the report ----------------------------------------------------------------------------


def machine_info():
    """Return what the figures depend on: CPU, cores, memory, Python, Django, the database."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory_gb = round(pages * page_size / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    database = {"vendor": connection.vendor, "name": str(connection.settings_dict["NAME"])}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
            database["version"] = cursor.fetchone()[0]
            for setting in ("shared_buffers", "effective_cache_size", *settings.POSTGRESQL_SESSION):
                cursor.execute(f"SHOW {setting}")
                database[setting] = cursor.fetchone()[0]
            # The planner's cost of matching a text-search vector (migration 0019).
            cursor.execute(
                "SELECT procost FROM pg_proc "
                "WHERE oid = 'ts_match_vq(tsvector,tsquery)'::regprocedure"
            )
            database["ts_match_vq_cost"] = float(cursor.fetchone()[0])
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            database["version"] = f"SQLite {cursor.fetchone()[0]}"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average": _load_average(),
        "memory_gb": memory_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "db": database,
    }


def _load_average():
    """Return the 1, 5 and 15 minute load averages: other work on the machine skews timings."""
    try:
        return [round(load, 2) for load in os.getloadavg()]
    except OSError:
        return None


TABLE_COLUMNS = (
    ("query", "{:<28}", "name"),
    ("count", "{:>7}", "count"),
    ("q", "{:>3}", "queries"),
    ("api p50", "{:>8}", "api_p50_ms"),
    ("api p95", "{:>8}", "api_p95_ms"),
    ("sql p50", "{:>8}", "sql_p50_ms"),
    ("sql p95", "{:>8}", "sql_p95_ms"),
    ("api/sql", "{:>7}", "api_over_sql_p50"),
    ("cached", "{:>7}", "api_cached_p50_ms"),
    ("p95/alongside", "{:>13}", "api_p95_over_alongside"),
)


def format_table(queries):
    """Return the per-query timings as a fixed-width text table (milliseconds)."""

    def cell(fmt, value):
        width = int(re.search(r"\d+", fmt).group())
        text = "-" if value is None else str(value)
        return fmt.format(text[:width] if fmt.startswith("{:<") else text)

    lines = [" ".join(cell(fmt, title) for title, fmt, _ in TABLE_COLUMNS)]
    for name, timing in queries.items():
        row = {"name": name, **timing}
        lines.append(" ".join(cell(fmt, row.get(key)) for _, fmt, key in TABLE_COLUMNS))
    return "\n".join(lines)


# Issue 6's targets: API p50 at most 3 × SQL p50 (at the larger size), p95 at the larger
# size at most 3 × p95 at the smaller, the typical search at least 40 % of the trivial
# endpoint's requests/s (answer cache on, as deployed), at most 6 queries a search.
OVERHEAD_LIMIT = 3
GROWTH_LIMIT = 3
THROUGHPUT_SHARE = 0.4
QUERIES_LIMIT = 6


def _worst(ratios, limit):
    """How many of ``{query: ratio}`` are within ``limit`` (unrounded), and the highest."""
    name = max(ratios, key=ratios.get)
    return {
        "limit": limit,
        "met": sum(ratio <= limit for ratio in ratios.values()),
        "of": len(ratios),
        "highest": {"query": name, "ratio": round(ratios[name], 2)},
    }


def targets(report):
    """Return how the report's figures stand against issue 6's targets.

    With ``alongside`` the growth target compares each search's p95 on the larger dataset
    with its p95 on the smaller (whichever database is the configured one; the configured
    one when both are the same size), and the overhead target is taken on the larger.
    Searches that did not answer 200, here or alongside, are left out of what needs them
    and listed in ``not_timed`` with their status (``name (alongside)`` for the other
    database), which the command reports as its failure.

    ``python_shift_ms`` (side by side only) asks whether any one change ``d`` of every
    request's Python time, the same number of milliseconds at both sizes (negative: a
    cut), would meet both ratio targets for every search with today's SQL: growth needs
    ``d ≥ (p95 large − 3 × p95 small) / 2`` for each search, overhead ``d ≤ 3 × SQL p50 −
    API p50`` (at the larger size). ``one_shift_meets_both`` is whether the largest of
    the one is at most the smallest of the other. It is a model: a change of Python time
    moves p50 and p95 alike, and the SQL stays as it is.
    """
    queries = report["queries"]
    there = {name: t["alongside"] for name, t in queries.items() if "alongside" in t}
    failed = {name: t["status"] for name, t in queries.items() if t["status"] != 200}
    failed |= {f"{n} (alongside)": t["status"] for n, t in there.items() if t["status"] != 200}
    timed = {name: t for name, t in queries.items() if name not in failed}
    alongside = {name: t for name, t in there.items() if f"{name} (alongside)" not in failed}
    here_larger = "alongside" not in report or (
        report["dataset"]["synthetic_facilities"]
        >= report["alongside"]["dataset"]["synthetic_facilities"]
    )
    larger, smaller = (timed, alongside) if here_larger else (alongside, timed)
    figures = {
        "not_timed": failed,
        "overhead": None,
        "growth": None,
        "python_shift_ms": None,
        "throughput": None,
        "queries": None,
    }
    overhead = {n: t["api_p50_ms"] / t["sql_p50_ms"] for n, t in larger.items() if t["sql_p50_ms"]}
    if overhead:
        figures["overhead"] = _worst(overhead, OVERHEAD_LIMIT)
    both = sorted(n for n in set(larger) & set(smaller) if smaller[n]["api_p95_ms"])
    if both:
        growth = {n: larger[n]["api_p95_ms"] / smaller[n]["api_p95_ms"] for n in both}
        figures["growth"] = _worst(growth, GROWTH_LIMIT)
        needs = {
            n: (larger[n]["api_p95_ms"] - GROWTH_LIMIT * smaller[n]["api_p95_ms"])
            / (GROWTH_LIMIT - 1)
            for n in both
        }
        allows = {
            n: OVERHEAD_LIMIT * larger[n]["sql_p50_ms"] - larger[n]["api_p50_ms"] for n in both
        }
        least, most = max(needs, key=needs.get), min(allows, key=allows.get)
        figures["python_shift_ms"] = {
            "growth_needs_at_least": {"query": least, "ms": round(needs[least], 2)},
            "overhead_allows_at_most": {"query": most, "ms": round(allows[most], 2)},
            "one_shift_meets_both": needs[least] <= allows[most],
        }
    if report.get("search_over_trivial_rps") is not None:
        ratio = report["search_over_trivial_rps"]
        figures["throughput"] = {
            "limit": THROUGHPUT_SHARE,
            "ratio": ratio,
            "met": ratio >= THROUGHPUT_SHARE,
        }
    # On either database: a search's plan may differ with the size.
    counts = [(t["queries"], n) for side in (timed, alongside) for n, t in side.items()]
    if counts:
        ran, name = max(counts, key=lambda pair: pair[0])
        figures["queries"] = {
            "limit": QUERIES_LIMIT,
            "highest": {"query": name, "queries": ran},
            "met": ran <= QUERIES_LIMIT,
        }
    return figures


def format_targets(figures):
    """Return ``targets``' figures as lines of text."""
    lines = []
    for key, title in (("overhead", "API/SQL p50"), ("growth", "p95 larger/smaller")):
        figure = figures[key]
        if figure is not None:
            highest = figure["highest"]
            lines.append(
                f"{title} <= {figure['limit']}: {figure['met']} of {figure['of']}; highest "
                f"{highest['query']} {highest['ratio']}"
            )
    shift = figures["python_shift_ms"]
    if shift is not None:
        needs, allows = shift["growth_needs_at_least"], shift["overhead_allows_at_most"]
        lines.append(
            f"one change of every request's Python time, in ms: growth needs at least "
            f"{needs['ms']} ({needs['query']}), overhead allows at most {allows['ms']} "
            f"({allows['query']}): "
            + ("both can be met" if shift["one_shift_meets_both"] else "no change meets both")
        )
    throughput = figures["throughput"]
    if throughput is not None:
        lines.append(
            f"typical search / trivial requests/s >= {throughput['limit']}: {throughput['ratio']}"
            + ("" if throughput["met"] else " (not met)")
        )
    queries = figures["queries"]
    if queries is not None:
        highest = queries["highest"]
        lines.append(
            f"queries per search <= {queries['limit']}: at most {highest['queries']} "
            f"({highest['query']})" + ("" if queries["met"] else " (not met)")
        )
    if figures["not_timed"]:
        lines.append(
            "not timed (no 200): "
            + ", ".join(f"{name} {status}" for name, status in figures["not_timed"].items())
        )
    return "\n".join(lines)


def run(
    *,
    facilities,
    seed=DEFAULT_SEED,
    runs=DEFAULT_RUNS,
    http=False,
    http_duration=10,
    keep=False,
    reuse=False,
    with_explain=False,
    names=None,
    gc_freeze=False,
    alongside=None,
    progress: Callable[[str], None] | None = None,
):
    """Load the dataset, time the query mix (and throughput with ``http``); return the report.

    With ``alongside`` (an ``Alongside`` database: the dataset at another size), the mix is
    timed on both side by side, and the report says what that database holds.
    """
    progress = progress or (lambda message: None)
    refuse_non_synthetic(keep=keep)
    if http and not shutil.which("wrk"):
        raise BenchError(WRK_MISSING)
    held = None if alongside is None else alongside.check(seed)  # before a long load
    loaded = load_dataset(facilities, seed=seed, reuse=reuse, progress=progress)
    report = {
        "facilities": facilities,
        "seed": seed,
        "runs": runs,
        "machine": machine_info(),
        "dataset": dataset_summary(),
        "import_facilities_per_second": loaded.facilities_per_second,
        "load_seconds": {
            "delete": round(loaded.delete_seconds, 2),
            "import": round(loaded.import_seconds, 2),
            "analyze": round(loaded.analyze_seconds, 2),
            "total": round(loaded.seconds, 2),
            "reused": loaded.reused,
        },
        "gc_freeze": gc_freeze,
        "queries": run_query_mix(
            runs=runs,
            with_explain=with_explain,
            names=names,
            gc_freeze=gc_freeze,
            progress=progress,
            alongside=alongside,
        ),
        "search_rps": None,
        "trivial_rps": None,
    }
    if http:
        # A failure under load must not lose the minutes of figures gathered before it.
        try:
            figures = measure_throughput(duration=http_duration, progress=progress)
        except BenchError as error:
            report["http_error"] = str(error)
        else:
            report["http"] = figures
            report["search_rps"] = figures["search"]["requests_per_second"]
            report["search_rps_uncached"] = figures["search_uncached"]["requests_per_second"]
            report["trivial_rps"] = figures["trivial"]["requests_per_second"]
            report["search_over_trivial_rps"] = round(
                report["search_rps"] / report["trivial_rps"], 3
            )
            report["uncached_search_over_trivial_rps"] = round(
                report["search_rps_uncached"] / report["trivial_rps"], 3
            )
    if held is not None:
        report["alongside"] = held
    report["targets"] = targets(report)
    report["load_average_after"] = _load_average()
    return report
