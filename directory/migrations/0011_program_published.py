"""``Program.published``: a copy of its facility's status, published or not (issue 6).

A program search filters on it instead of joining facilities to read their status: the
count of the program list becomes an index-only scan. The facility's and the program's
``save()`` and the admin's bulk actions (``refresh_program_visibility``) and the import
(``services._create_children``) keep it; this migration fills it for existing rows.
"""

import importlib

from django.db import migrations, models
from django.db.models import Q

session_days = importlib.import_module("directory.migrations.0010_program_session_days")


def fill_published(apps, schema_editor):
    Program = apps.get_model("directory", "Program")
    Program.objects.filter(facility__status="published").update(published=True)


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0010_program_session_days"),
    ]

    operations = [
        # SQLite adds (and removes) a column by rebuilding the table, which drops 0007's
        # data-version triggers on it: put them back after either.
        migrations.RunPython(migrations.RunPython.noop, session_days.restore_sqlite_triggers),
        migrations.AddField(
            model_name="program",
            name="published",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(session_days.restore_sqlite_triggers, migrations.RunPython.noop),
        migrations.RunPython(fill_published, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="program",
            index=models.Index(
                condition=Q(published=True),
                fields=["facility"],
                name="program_published_facility",
            ),
        ),
    ]
