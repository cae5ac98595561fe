"""``Program.facility_name``: a copy of its facility's name (issue 6).

The program search's default order is the program's name, then its facility's name,
then its id. With the facility's name on a joined table, PostgreSQL could only walk the
programs by name and sort each group of equal names by facility name, and program names
repeat ("Outpatient Program"): a first page read every program of the first name with
its facility row (about 2,000 at 100,000 facilities). With the copy the order is the
index ``program_default_order``'s and a page reads about as many programs as it shows.
The writes that keep ``published`` keep it (``Facility.save``, ``Program.save``,
``refresh_program_visibility``, the import); this migration fills it.
"""

import importlib

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

session_days = importlib.import_module("directory.migrations.0010_program_session_days")


def fill_facility_name(apps, schema_editor):
    Facility = apps.get_model("directory", "Facility")
    Program = apps.get_model("directory", "Program")
    name = Facility.objects.filter(pk=OuterRef("facility_id")).values("name")[:1]
    Program.objects.update(facility_name=Subquery(name))


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0014_published_hood_name_covering"),
    ]

    operations = [
        # SQLite adds (and removes) a column by rebuilding the table, which drops 0007's
        # data-version triggers on it: put them back after either.
        migrations.RunPython(migrations.RunPython.noop, session_days.restore_sqlite_triggers),
        migrations.AddField(
            model_name="program",
            name="facility_name",
            field=models.CharField(default="", editable=False, max_length=200),
        ),
        migrations.RunPython(session_days.restore_sqlite_triggers, migrations.RunPython.noop),
        # The index before the fill: built after it in the same transaction, over rows the
        # fill updated in place, PostgreSQL would mark it usable only once every older
        # transaction on the server had ended (pg_index.indcheckxmin).
        migrations.AddIndex(
            model_name="program",
            index=models.Index(
                fields=["name", "facility_name", "id"], name="program_default_order"
            ),
        ),
        migrations.RunPython(fill_facility_name, migrations.RunPython.noop),
    ]
