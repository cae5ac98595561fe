"""``Program.first_start_minute`` and ``last_end_minute``: its sessions' clock span (issue 6).

The earliest start and the latest end of the program's sessions, in minutes since the
midnight of each session's start day (``schedule.clock_span``). With windows of the same
clock times every day, ``available`` decides from them and the session days alone,
instead of reading every session outside the windows. directory.services keeps them
with ``days_per_week``; this migration fills them for existing rows from their sessions.
"""

import importlib
from collections import defaultdict

from django.db import migrations, models

from directory import schedule

BATCH = 5000
session_days = importlib.import_module("directory.migrations.0010_program_session_days")


def fill_clock_spans(apps, schema_editor):
    Program = apps.get_model("directory", "Program")
    Session = apps.get_model("directory", "Session")
    intervals = defaultdict(list)
    rows = Session.objects.values_list("program_id", "day", "starts_at", "ends_at").order_by()
    for program_id, day, starts_at, ends_at in rows.iterator(chunk_size=BATCH):
        intervals[program_id].append(schedule.Interval.weekly(day, starts_at, ends_at))
    by_span = defaultdict(list)
    for program_id, sessions in intervals.items():
        by_span[schedule.clock_span(sessions)].append(program_id)
    for (first_start, last_end), ids in by_span.items():
        for start in range(0, len(ids), BATCH):
            Program.objects.filter(pk__in=ids[start : start + BATCH]).update(
                first_start_minute=first_start, last_end_minute=last_end
            )


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0011_program_published"),
    ]

    operations = [
        # SQLite adds (and removes) a column by rebuilding the table, which drops 0007's
        # data-version triggers on it: put them back after either.
        migrations.RunPython(migrations.RunPython.noop, session_days.restore_sqlite_triggers),
        migrations.AddField(
            model_name="program",
            name="first_start_minute",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="program",
            name="last_end_minute",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(session_days.restore_sqlite_triggers, migrations.RunPython.noop),
        migrations.RunPython(fill_clock_spans, migrations.RunPython.noop),
    ]
