"""``Program.session_days``: the days its sessions start on, as a day mask (issue 6).

``available`` reads it to skip, by the ``(care_level, session_days)`` index, the
programs that meet on a day no window reaches, instead of reading every session
outside the windows. directory.services keeps it with ``days_per_week``; this
migration fills it for existing rows from their sessions.
"""

import importlib
from collections import defaultdict

from django.db import migrations, models

BATCH = 5000
data_version = importlib.import_module("directory.migrations.0007_data_version")


def fill_session_days(apps, schema_editor):
    Program = apps.get_model("directory", "Program")
    Session = apps.get_model("directory", "Session")
    masks = defaultdict(int)
    days = Session.objects.values_list("program_id", "day").distinct().order_by()
    for program_id, day in days.iterator(chunk_size=BATCH):
        masks[program_id] |= 1 << day
    by_mask = defaultdict(list)
    for program_id, mask in masks.items():
        by_mask[mask].append(program_id)
    for mask, ids in by_mask.items():
        for start in range(0, len(ids), BATCH):
            Program.objects.filter(pk__in=ids[start : start + BATCH]).update(session_days=mask)


def sqlite_trigger_restorer(table):
    """Return a RunPython function putting back 0007's data-version triggers on ``table``
    (SQLite only).

    SQLite adds a column by rebuilding the table, which drops the table's triggers.
    """

    def restore(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for statement in data_version.sqlite_statements():
            if f" ON {table} " in statement:
                schema_editor.execute(
                    statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS")
                )

    return restore


restore_sqlite_triggers = sqlite_trigger_restorer("directory_program")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0009_facility_search_document"),
    ]

    operations = [
        # Backwards, removing the column rebuilds the table too: restore them after it.
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_triggers),
        migrations.AddField(
            model_name="program",
            name="session_days",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(restore_sqlite_triggers, migrations.RunPython.noop),
        migrations.RunPython(fill_session_days, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="program",
            index=models.Index(fields=["care_level", "session_days"], name="program_level_days"),
        ),
    ]
