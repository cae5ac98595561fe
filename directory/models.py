"""The directory's domain (DESIGN §3): where care is offered, at which level, and when.

Facilities, programs, sessions, hours and closures keep their history
(django-simple-history): every save and delete leaves a historical row with who and when.
The rules that forms must check (the admin's) are in ``clean()``, which calls
``directory.validation``, the same functions the import's serializers call.
"""

import json
from datetime import date, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import (
    Case,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.functional import cached_property
from simple_history.models import HistoricalRecords

from directory import schedule, validation
from directory.choices import Day, NeighborhoodKind, Source, Status
from directory.lookups import CodesField, CodesOf
from directory.querysets import FacilityQuerySet, ProgramQuerySet
from directory.schedule import MINUTES_PER_DAY

# What the API shows of a closure, after its id (FacilityQuerySet.for_representation).
CLOSURE_COLUMNS = ["id", "starts_on", "ends_on", "reason"]
# What the API shows of opening hours and sessions, after their id; fetched as one JSON
# column with their facility or program (querysets.RowsAsJSON), read by child_list.
HOURS_COLUMNS = ["id", "day", "opens_at", "closes_at"]
SESSION_COLUMNS = ["id", "day", "starts_at", "ends_at"]
# Derived columns are not history: they follow from the rows that are (sessions, hours).
WEEK_MINUTE_FIELDS = ["start_minute", "end_minute"]


def child_list(rows, related, columns, *, parse, ordered_by):
    """A parent's child rows as the API shows them: dicts of ``columns`` after the id.

    ``rows`` is the JSON column fetched with the parent (querysets.RowsAsJSON: an array of
    ``columns`` per row), whose text values ``parse`` turns back into the fields' types
    (by column); without it (None) the rows come from the ``related`` manager. Ordered
    by the ``ordered_by`` columns, then id.
    """
    if rows is None:
        rows = [[getattr(item, column) for column in columns] for item in related.all()]
    else:
        converters = [parse.get(column) for column in columns]
        rows = [
            [
                value if convert is None else convert(value)
                for convert, value in zip(converters, row, strict=True)
            ]
            for row in json.loads(rows)
        ]
    positions = [columns.index(column) for column in ordered_by] + [0]
    rows.sort(key=lambda row: [row[position] for position in positions])
    return [dict(zip(columns[1:], row[1:], strict=True)) for row in rows]


def weekly_list(rows, related, columns):
    """Weekly intervals (id, day, two clock times) as the API shows them, by day and time.

    ``child_list`` for ``HOURS_COLUMNS`` and ``SESSION_COLUMNS``: the times come back
    from JSON as text.
    """
    times = dict.fromkeys(columns[2:], time.fromisoformat)
    return child_list(rows, related, columns, parse=times, ordered_by=columns[1:])


class MinuteOfDay(Func):
    """Minutes since midnight of a TIME column, as an integer both databases can index."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite stores TIME as 'HH:MM[:SS]' text.
        template = (
            "(CAST(substr(%(expressions)s, 1, 2) AS INTEGER) * 60"
            " + CAST(substr(%(expressions)s, 4, 2) AS INTEGER))"
        )
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        template = (
            "(EXTRACT(HOUR FROM %(expressions)s) * 60 + EXTRACT(MINUTE FROM %(expressions)s))"
            "::integer"
        )
        return self.as_sql(compiler, connection, template=template, **extra_context)


def week_minute(day_field, time_field):
    return F(day_field) * MINUTES_PER_DAY + MinuteOfDay(time_field)


def week_minute_end(day_field, start_field, end_field):
    """Return the end in minutes of the week; an end at or before the start is the next day."""
    next_day = Case(
        When(**{f"{end_field}__lte": F(start_field)}, then=Value(MINUTES_PER_DAY)), default=0
    )
    return F(day_field) * MINUTES_PER_DAY + MinuteOfDay(end_field) + next_day


class ServiceArea(models.Model):
    """One of the eight LA County Department of Mental Health Service Areas."""

    number = models.PositiveSmallIntegerField(
        primary_key=True, validators=[MinValueValidator(1), MaxValueValidator(8)]
    )
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=8), name="service_area_number_1_to_8"
            ),
        ]

    def __str__(self):
        return f"SA {self.number} {self.name}"


class Neighborhood(models.Model):
    """An LA County Countywide Statistical Area with its centroid and service area."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=NeighborhoodKind.choices)
    city = models.CharField(max_length=100, blank=True)
    service_area = models.ForeignKey(
        ServiceArea, on_delete=models.PROTECT, related_name="neighborhoods"
    )
    latitude = models.FloatField()
    longitude = models.FloatField()
    population = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class CareLevel(models.Model):
    """A level of care on the spectrum (DESIGN §2); its properties are data, not code."""

    slug = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    rank = models.PositiveSmallIntegerField(unique=True)
    lives_at_home = models.BooleanField()
    round_the_clock = models.BooleanField()
    summary = models.TextField(blank=True)
    typical_intensity = models.CharField(max_length=200, blank=True)
    asam_level = models.CharField("ASAM level", max_length=20, blank=True)
    locus_level = models.CharField("LOCUS level", max_length=20, blank=True)
    samhsa_codes = models.JSONField("SAMHSA setting codes", default=list, blank=True)

    class Meta:
        ordering = ["rank"]

    def __str__(self):
        return self.name


class Organization(models.Model):
    """The provider that runs one or more facilities."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


def verification_cutoff():
    """Return the oldest ``verified_at`` that does not need verification yet.

    A listing verified before this date (STALE_AFTER_DAYS ago, in Los Angeles) is stale.
    """
    return timezone.localdate() - timedelta(days=settings.STALE_AFTER_DAYS)


def needing_verification():
    """Return a Q for listings that need verification: never verified, or verified too long ago.

    The queryset form of ``Facility.needs_verification`` (the admin filters with it).
    """
    return Q(verified_at__isnull=True) | Q(verified_at__lt=verification_cutoff())


class Facility(models.Model):
    """One site where care is offered."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="facilities",
    )
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, default="CA", blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    neighborhood = models.ForeignKey(
        Neighborhood,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="facilities",
    )
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(max_length=300, blank=True)
    # Codes and slugs from directory.choices; stored as JSON arrays so one row
    # carries them (filtered with the `any_of` lookup, see directory.lookups).
    languages = models.JSONField(default=list, blank=True)
    payment = models.JSONField(default=list, blank=True)
    # The same codes kept by the database as text[] on PostgreSQL (directory.lookups),
    # what `language` and `payment` filter: an index answers them exactly (issue 6).
    language_codes = models.GeneratedField(
        expression=CodesOf("languages"), output_field=CodesField(), db_persist=True
    )
    payment_codes = models.GeneratedField(
        expression=CodesOf("payment"), output_field=CodesField(), db_persist=True
    )
    open_24_7 = models.BooleanField("open 24/7", default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    verified_at = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.CURATED)
    # Incremented by every write; a write that read an older version is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Derived by directory.services (import and refresh_schedule): the organization's
    # name, the facility's and its programs' names and descriptions, one per line, so
    # that keyword search is one (GIN-indexed, on PostgreSQL) predicate per facility.
    search_text = models.TextField(default="", blank=True, editable=False)
    # Derived from its programs (``levels_offered``; kept by the import, Program.save and
    # delete, Facility.save and refresh_schedule): the slugs of the care levels it offers,
    # least intensive first. A search whose only program filters are care levels reads
    # this instead of probing each facility's programs (issue 6).
    levels = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FacilityQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=["search_text", "levels", "language_codes", "payment_codes"]
    )

    class Meta:
        ordering = ["name", "slug"]
        verbose_name_plural = "facilities"
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90) | Q(latitude__isnull=True),
                name="facility_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180) | Q(longitude__isnull=True),
                name="facility_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="facility_coordinates_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="facility_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="facility_source_valid"
            ),
        ]
        indexes = [
            # Covering (PostgreSQL; SQLite keeps the key only, hence models.W040 is
            # silenced in settings): a `near` search, with `language`, `payment` or care
            # levels and the distance order's tie-break, reads this index alone, never the
            # wide rows (search documents make a row about 1.4 kB). Migrations 0013, 0016.
            models.Index(
                fields=["latitude", "longitude"],
                include=["id", "name", "slug", "language_codes", "payment_codes", "levels"],
                name="facility_published_coords",
                condition=Q(status=Status.PUBLISHED),
            ),
            # With the id (covering, migration 0013): a search ordered by level joins the
            # facilities with their programs' lowest rank and sorts by it, then name and
            # slug, reading this index instead of every facility row.
            models.Index(
                fields=["name", "slug"],
                include=["id"],
                name="facility_published_name",
                condition=Q(status=Status.PUBLISHED),
            ),
            # The languages and payment of the published facilities, narrow (about 80
            # bytes an entry, where facility_published_coords takes twice that): a search
            # testing them over many facilities reads this (migration 0018).
            models.Index(
                fields=["id"],
                include=["language_codes", "payment_codes"],
                name="facility_published_codes",
                condition=Q(status=Status.PUBLISHED),
            ),
            # Not covering: without INCLUDE columns PostgreSQL stores each (status,
            # neighborhood) once with its rows (deduplication), 93 pages at 100,000
            # facilities instead of 800, and counts published facilities from it. The
            # covering one for `service_area` is facility_published_hood_name (0014).
            models.Index(fields=["status", "neighborhood"], name="facility_status_neighborhood"),
            models.Index(fields=["verified_at"], name="facility_verified_at"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)
            refresh_program_visibility([self])
            # This instance's ``levels`` may predate a change to its programs.
            refresh_levels([self.pk])

    @cached_property
    def program_list(self):
        """The programs, as ``FacilityQuerySet.for_representation`` prefetches them."""
        return list(self.programs.all())

    @property
    def hours_list(self):
        """The opening hours as the API shows them (``weekly_list``)."""
        return weekly_list(getattr(self, "hours_rows", None), self.hours, HOURS_COLUMNS)

    @property
    def closure_list(self):
        """The closures as the API shows them (``child_list``), by start and end."""
        return child_list(
            getattr(self, "closure_rows", None),
            self.closures,
            CLOSURE_COLUMNS,
            parse={"starts_on": date.fromisoformat, "ends_on": date.fromisoformat},
            ordered_by=["starts_on", "ends_on"],
        )

    @property
    def needs_verification(self):
        """Return True when no curator has confirmed the listing within STALE_AFTER_DAYS.

        A listing never verified (``verified_at`` empty) always needs verification.
        """
        return self.verified_at is None or self.verified_at < verification_cutoff()

    @property
    def is_published(self):
        """Whether anonymous users see the facility (the instance form of ``published()``)."""
        return self.status == Status.PUBLISHED

    def clean(self):
        problem = validation.coordinates_problem(self.latitude, self.longitude)
        if problem:
            missing = "longitude" if self.longitude is None else "latitude"
            raise ValidationError({missing: problem})

    def claim_version(self, seen_version):
        """Increment the stored version if it is still ``seen_version``; return whether it was.

        One conditional UPDATE, so of two writers who read the same version only the
        first one wins; the loser must not write (DESIGN: no lost edits).
        """
        claimed = Facility.objects.filter(pk=self.pk, version=seen_version).update(
            version=F("version") + 1
        )
        if claimed:
            self.version = seen_version + 1
        return bool(claimed)


# The columns the program-level search filters read (directory.filters.matching_programs),
# held by the covering indexes program_level_facility and program_default_order. The ages,
# which may be null, come last: in an index entry with a null, PostgreSQL finds each
# column after it by walking the ones before, where those before it have fixed offsets
# (at 100,000 facilities a count testing accepting_new_clients and days_per_week over
# every program's entry: 62 -> 46 ms).
PROGRAM_FILTER_COLUMNS = [
    "dual_diagnosis",
    "detox",
    "accepting_new_clients",
    "telehealth",
    "session_days",
    "first_start_minute",
    "last_end_minute",
    "days_per_week",
    "minutes_per_week",
    "published",
    "min_age",
    "max_age",
]


class Program(models.Model):
    """A service offered at a facility at one care level."""

    # Indexed by program_facility_filters (Meta.indexes), which leads with the facility.
    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="programs", db_index=False
    )
    name = models.CharField(max_length=200)
    care_level = models.ForeignKey(CareLevel, on_delete=models.PROTECT, related_name="programs")
    description = models.TextField(blank=True)
    dual_diagnosis = models.BooleanField(
        default=False,
        help_text="Treats co-occurring mental-health and substance-use disorders.",
    )
    detox = models.BooleanField(default=False, help_text="Medically supervised withdrawal.")
    accepting_new_clients = models.BooleanField(default=True)
    telehealth = models.BooleanField(default=False)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    # Maintained from the sessions by directory.services (one writer), so that
    # the week-total filters are plain indexed comparisons.
    days_per_week = models.PositiveSmallIntegerField(default=0, editable=False)
    minutes_per_week = models.PositiveIntegerField(default=0, editable=False)
    # The days on which sessions start, as schedule.day_mask (0: by appointment).
    session_days = models.PositiveSmallIntegerField(default=0, editable=False)
    # The earliest start and latest end of its sessions on the clock of each session's
    # start day (schedule.clock_span; past 1440 for an overnight session).
    first_start_minute = models.PositiveSmallIntegerField(default=0, editable=False)
    last_end_minute = models.PositiveSmallIntegerField(default=0, editable=False)
    # Copies of its facility's ``is_published`` and name (FACILITY_COPIES): a program
    # search knows what anonymous users see without joining facilities, and its default
    # order (name, facility name, id) is an index's, so a page reads about as many
    # programs as it shows, not every program of the first name (issue 6).
    published = models.BooleanField(default=False, editable=False)
    facility_name = models.CharField(max_length=200, default="", editable=False)

    objects = ProgramQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=[
            "days_per_week",
            "minutes_per_week",
            "session_days",
            "first_start_minute",
            "last_end_minute",
            "published",
            "facility_name",
        ]
    )

    class Meta:
        ordering = ["facility", "care_level__rank", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(min_age__lte=F("max_age")),
                name="program_min_age_not_above_max_age",
            ),
            models.CheckConstraint(
                condition=Q(min_age__lte=150) | Q(min_age__isnull=True),
                name="program_min_age_plausible",
            ),
            models.CheckConstraint(
                condition=Q(max_age__lte=150) | Q(max_age__isnull=True),
                name="program_max_age_plausible",
            ),
        ]
        indexes = [
            # Covering (PostgreSQL, migration 0017): a facility search probes each candidate
            # facility's programs at the allowed levels, and the program filters' columns
            # (with the id, which the sessions test correlates on) are read from here, not
            # from each program's row.
            models.Index(
                fields=["care_level", "facility"],
                include=["id", *PROGRAM_FILTER_COLUMNS],
                name="program_level_facility",
            ),
            # The foreign key's index, covering (PostgreSQL, migration 0020): a count of the
            # facilities with a matching program (whatever its level) merges the published
            # facilities' ids with this index in facility order, reading no program row.
            models.Index(
                fields=["facility"],
                include=["id", "care_level", *PROGRAM_FILTER_COLUMNS],
                name="program_facility_filters",
            ),
            models.Index(fields=["minutes_per_week"], name="program_minutes_per_week"),
            # Covering (PostgreSQL, migration 0017): `available` narrows programs by level
            # and session days, then reads their facility, clock span and publication.
            models.Index(
                fields=["care_level", "session_days"],
                include=["facility", "first_start_minute", "last_end_minute", "published"],
                name="program_level_days",
            ),
            models.Index(
                fields=["facility"], name="program_published_facility", condition=Q(published=True)
            ),
            # Not partial: a search with facility filters reads the facilities' status,
            # not ``published`` (ProgramQuerySet.visible). Covering (PostgreSQL, migration
            # 0018): a page's ids are found in this order from the index alone, however
            # few of the programs it passes match (ProgramQuerySet.first_page_by_ids).
            models.Index(
                fields=["name", "facility_name", "id"],
                include=["facility", "care_level", *PROGRAM_FILTER_COLUMNS],
                name="program_default_order",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.care_level_id and self.care_level.slug})"

    def save(self, *args, **kwargs):
        if self.facility_id is None:
            return super().save(*args, **kwargs)
        # The stored status and name, read under the facility's row lock: the facility
        # instance may have been read before another writer changed them (a form's
        # choice), and that writer's refresh_program_visibility could not see this
        # program yet.
        with transaction.atomic(using=kwargs.get("using")):
            # A program moved to another facility (only a shell can) leaves levels there.
            moved_from = None
            if self.pk is not None:
                stored_program = Program.objects.filter(pk=self.pk)
                moved_from = stored_program.values_list("facility_id", flat=True).first()
            lock_facilities([self.facility_id, moved_from])
            stored = Facility.objects.filter(pk=self.facility_id).only("status", "name").first()
            if stored is not None:  # else the insert fails on the foreign key
                for name, value in facility_copies(stored).items():
                    setattr(self, name, value)
            if kwargs.get("update_fields"):
                kwargs["update_fields"] = {*kwargs["update_fields"], *FACILITY_COPIES}
            super().save(*args, **kwargs)
            refresh_levels([self.facility_id, moved_from])

    def delete(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            # The facility first, as save() and the import lock it: a writer that changes
            # its programs meanwhile waits, and this refresh then sees its programs.
            lock_facilities([self.facility_id])
            result = super().delete(*args, **kwargs)
            refresh_levels([self.facility_id])
            return result

    @property
    def hours_per_week(self):
        return schedule.hours_from_minutes(self.minutes_per_week)

    @property
    def session_list(self):
        """The sessions as the API shows them (``weekly_list``)."""
        return weekly_list(getattr(self, "session_rows", None), self.sessions, SESSION_COLUMNS)

    def clean(self):
        problem = validation.age_range_problem(self.min_age, self.max_age)
        if problem:
            raise ValidationError({"max_age": problem})


# What a program keeps of its facility (issue 6): what program searches filter and order
# on without joining facilities. Kept by Facility.save and Program.save, by the import
# (services._create_children) and, after bulk writes, by refresh_program_visibility.
FACILITY_COPIES = ("published", "facility_name")


def facility_copies(facility):
    """Return the values of ``FACILITY_COPIES`` for the programs of this facility."""
    return {"published": facility.is_published, "facility_name": facility.name}


def refresh_program_visibility(facilities):
    """Bring the copies (``facility_copies``) of these facilities' programs in line with
    the facilities as stored, in one statement that writes only programs that differ.

    For writes that change a facility's status or name without its ``save()`` (bulk
    updates).
    """
    stored = Facility.objects.filter(pk=OuterRef("facility_id"))
    copies = {
        "published": Exists(stored.published()),
        "facility_name": Subquery(stored.values("name")[:1]),
    }
    Program.objects.filter(facility_id__in=[facility.pk for facility in facilities]).exclude(
        **copies
    ).update(**copies)


def levels_offered(care_level_ids):
    """Return ``Facility.levels`` for programs at these care levels (ids, repeats allowed):
    the levels' slugs, least intensive first, once each."""
    from directory import reference

    ids = set(care_level_ids)
    return [level.slug for level in reference.care_levels().values() if level.pk in ids]


def lock_facilities(facility_ids):
    """Lock these facilities' rows until the transaction ends, in id order (so that two
    writers locking several never wait for each other in a circle)."""
    ids = {pk for pk in facility_ids if pk is not None}
    locked = Facility.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    list(locked.values_list("pk", flat=True))  # evaluated: the rows are locked now


def refresh_levels(facility_ids):
    """Bring ``Facility.levels`` of these facilities in line with their stored programs.

    For every write of programs that is not the import (which derives ``levels`` from the
    file): Program.save and delete, Facility.save, and
    ``services.refresh_program_summaries`` (refresh_schedule, the admin's program
    deletes). Writes only facilities whose levels differ.
    """
    ids = {pk for pk in facility_ids if pk is not None}
    if not ids:
        return
    offered = {pk: [] for pk in ids}
    programs = Program.objects.filter(facility_id__in=ids).order_by()
    for facility_id, care_level_id in programs.values_list("facility_id", "care_level_id"):
        offered[facility_id].append(care_level_id)
    for pk, levels in Facility.objects.filter(pk__in=ids).values_list("pk", "levels"):
        wanted = levels_offered(offered[pk])
        if levels != wanted:
            Facility.objects.filter(pk=pk).update(levels=wanted)


class Session(models.Model):
    """A weekly meeting time of a program; an end at or before the start is the next day."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="sessions")
    day = models.PositiveSmallIntegerField(choices=Day.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    start_minute = models.GeneratedField(
        expression=week_minute("day", "starts_at"),
        output_field=IntegerField(),
        db_persist=True,
    )
    end_minute = models.GeneratedField(
        expression=week_minute_end("day", "starts_at", "ends_at"),
        output_field=IntegerField(),
        db_persist=True,
    )

    history = HistoricalRecords(excluded_fields=WEEK_MINUTE_FIELDS)

    class Meta:
        ordering = ["day", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(day__lte=6), name="session_day_valid"),
            models.CheckConstraint(
                condition=~Q(starts_at=F("ends_at")), name="session_start_not_end"
            ),
        ]
        indexes = [
            models.Index(fields=["program", "start_minute", "end_minute"], name="session_span"),
        ]

    def __str__(self):
        return f"{Day(self.day).label} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"

    def clean(self):
        if None in (self.day, self.starts_at, self.ends_at):
            return  # a missing value is reported on its own field
        problem = validation.interval_problem(self.day, self.starts_at, self.ends_at)
        if problem:
            raise ValidationError({"ends_at": problem})


class Hours(models.Model):
    """A weekly open interval of a facility; several per day are allowed."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="hours")
    day = models.PositiveSmallIntegerField(choices=Day.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()
    start_minute = models.GeneratedField(
        expression=week_minute("day", "opens_at"),
        output_field=IntegerField(),
        db_persist=True,
    )
    end_minute = models.GeneratedField(
        expression=week_minute_end("day", "opens_at", "closes_at"),
        output_field=IntegerField(),
        db_persist=True,
    )

    history = HistoricalRecords(excluded_fields=WEEK_MINUTE_FIELDS)

    class Meta:
        ordering = ["day", "opens_at"]
        verbose_name = "opening hours"
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(condition=Q(day__lte=6), name="hours_day_valid"),
            models.CheckConstraint(
                condition=~Q(opens_at=F("closes_at")), name="hours_open_not_close"
            ),
        ]
        indexes = [
            models.Index(fields=["facility", "start_minute", "end_minute"], name="hours_span"),
            # `open_at` hashes the hours containing the instant when it tests many
            # facilities: a range of start times read from this index alone, not every
            # hours row (migration 0013).
            models.Index(
                fields=["start_minute"], include=["end_minute", "facility"], name="hours_start"
            ),
        ]

    def __str__(self):
        return f"{Day(self.day).label} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    def clean(self):
        if None in (self.day, self.opens_at, self.closes_at):
            return  # a missing value is reported on its own field
        problem = validation.interval_problem(self.day, self.opens_at, self.closes_at)
        if problem:
            raise ValidationError({"closes_at": problem})


class OpenSpan(models.Model):
    """A facility's weekly open time with touching hours joined, derived from its hours.

    Written only by ``directory.services.refresh_schedule``; it lets the
    by-appointment rule ("open hours overlap a window by 60 continuous minutes")
    run in SQL. ``end_minute`` may pass the end of the week (Sunday into Monday).
    """

    # No index of its own: ``open_span`` begins with the facility (migration 0021).
    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="open_spans", db_index=False
    )
    start_minute = models.IntegerField()
    end_minute = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["facility", "start_minute", "end_minute"], name="open_span"),
        ]

    def __str__(self):
        return f"{self.start_minute}–{self.end_minute}"


class Closure(models.Model):
    """An inclusive date range when a facility is closed (holidays)."""

    # No index of its own: ``closure_dates`` begins with the facility (migration 0021).
    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="closures", db_index=False
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_on", "ends_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")), name="closure_starts_before_ends"
            ),
        ]
        indexes = [
            models.Index(fields=["facility", "starts_on", "ends_on"], name="closure_dates"),
        ]

    def __str__(self):
        return f"{self.starts_on}–{self.ends_on} {self.reason}".strip()

    def clean(self):
        problem = validation.closure_range_problem(self.starts_on, self.ends_on)
        if problem:
            raise ValidationError({"ends_on": problem})


class DataVersion(models.Model):
    """One row whose ``number`` grows with every write to the directory's tables.

    Database triggers (migration 0007) increment it in the writer's own transaction,
    whatever wrote: the import service, the admin (``save()`` or ``queryset.update()``),
    the write API, a shell. Cached search answers are keyed by it
    (``directory.api.cache``), so a committed change is never answered from the cache.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    number = models.BigIntegerField(default=0)

    def __str__(self):
        return str(self.number)
