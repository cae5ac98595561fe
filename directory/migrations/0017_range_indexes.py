"""GiST indexes for the time searches' interval tests, and a narrower 24/7 index (issue 6).

PostgreSQL only (like 0003 and 0008); SQLite keeps its plans.

- ``open_span_range``: ``GiST (int4range(start_minute, end_minute, '[]'))`` over the open
  spans lasting at least an hour (``BY_APPOINTMENT_MINIMUM_MINUTES``). ``available``
  asks, for programs by appointment, whether their facility has a span overlapping a
  window by an hour: a range overlap (``querysets.intervals_reaching``). A B-tree on
  the start or the end bounds one side only, so PostgreSQL read every span (at 100,000
  facilities a weekend window read all 170,000, 40 ms, for 38,000).
- ``hours_span_range``: the same over opening hours, for ``open_at``'s probe of
  intervals that started the day before and are still open (few: those running past
  midnight), which a B-tree could only find by reading all of that day's hours.
- ``facility_open_24_7``: ``(id) WHERE open_24_7`` replaces ``facility_id_open_24_7``
  (``(id) INCLUDE (open_24_7)``, migration 0008): ``available`` hashes the facilities
  open 24/7, and this index holds those alone (at 100,000: 14,000 entries, 1 ms,
  instead of reading 100,000, 7 ms).

Two program indexes become covering (their model definitions): ``program_level_facility``
holds the columns the program filters read (``PROGRAM_FILTER_COLUMNS``), so a facility
search probing each candidate's programs reads no program row (at 100,000 facilities
``near_level_available_dual``'s 15,900 probes: 100 -> 77 ms, ``level_range`` 44 -> 33);
``program_level_days`` holds what ``available`` reads after narrowing by level and
session days (facility, clock span, publication).
"""

import importlib

from django.db import migrations, models

# 0009's runner of PostgreSQL-only statements (SQLite skips them).
run = importlib.import_module("directory.migrations.0009_facility_search_document").run

# BY_APPOINTMENT_MINIMUM_MINUTES when this was written: the index's predicate must be the
# query's (``end_minute >= start_minute + 60``) for PostgreSQL to use it.
MINIMUM_MINUTES = 60
WEEK_SPAN = "int4range(start_minute, end_minute, '[]')"
FORWARD = [
    f"CREATE INDEX open_span_range ON directory_openspan USING gist ({WEEK_SPAN}) "
    f"WHERE end_minute >= (start_minute + {MINIMUM_MINUTES})",
    f"CREATE INDEX hours_span_range ON directory_hours USING gist ({WEEK_SPAN})",
    "DROP INDEX IF EXISTS facility_id_open_24_7",
    "CREATE INDEX facility_open_24_7 ON directory_facility (id) WHERE open_24_7",
]
BACKWARD = [
    "DROP INDEX IF EXISTS facility_open_24_7",
    "CREATE INDEX facility_id_open_24_7 ON directory_facility (id) INCLUDE (open_24_7)",
    "DROP INDEX IF EXISTS hours_span_range",
    "DROP INDEX IF EXISTS open_span_range",
]


class Migration(migrations.Migration):
    dependencies = [("directory", "0016_levels_offered")]

    operations = [
        migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False),
        migrations.RemoveIndex(model_name="program", name="program_level_facility"),
        migrations.AddIndex(
            model_name="program",
            index=models.Index(
                fields=["care_level", "facility"],
                include=(
                    "id",
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
                ),
                name="program_level_facility",
            ),
        ),
        migrations.RemoveIndex(model_name="program", name="program_level_days"),
        migrations.AddIndex(
            model_name="program",
            index=models.Index(
                fields=["care_level", "session_days"],
                include=("facility", "first_start_minute", "last_end_minute", "published"),
                name="program_level_days",
            ),
        ),
    ]
