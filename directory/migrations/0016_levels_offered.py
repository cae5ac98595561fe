"""``Facility.levels``: the care levels a facility's programs are at (issue 6).

A facility search whose only program filters are care levels (``level``,
``min_level``, ``max_level``, ``lives_at_home``) asked, for every candidate facility,
whether one of its programs is at an allowed level: at 100,000 facilities the typical
search (``near`` + ``level`` + ``payment``) probed the programs of 20,614 facilities in
the circle. With the levels on the facility row, and in the covering coordinates
index, it reads that index alone. The writes that change programs keep it
(``directory.models.refresh_levels``, the import); this migration fills it.
"""

import importlib

from django.db import migrations, models

session_days = importlib.import_module("directory.migrations.0010_program_session_days")

# An UPDATE with this many ids at most (SQLite's default limit of host parameters is 32,766).
CHUNK = 10_000


# SQLite adds a column with a callable default by rebuilding the table, which drops its
# triggers.
restore_sqlite_triggers = session_days.sqlite_trigger_restorer("directory_facility")


def fill_levels(apps, schema_editor):
    """One UPDATE per set of levels offered (at most 31 sets), not one per facility."""
    CareLevel = apps.get_model("directory", "CareLevel")
    Facility = apps.get_model("directory", "Facility")
    Program = apps.get_model("directory", "Program")
    ranked = list(CareLevel.objects.order_by("rank").values_list("pk", "slug"))
    offered = {}
    pairs = Program.objects.order_by().values_list("facility_id", "care_level_id").distinct()
    for facility_id, care_level_id in pairs.iterator(chunk_size=10_000):
        offered.setdefault(facility_id, set()).add(care_level_id)
    facilities = {}
    for facility_id, ids in offered.items():
        levels = tuple(slug for pk, slug in ranked if pk in ids)
        facilities.setdefault(levels, []).append(facility_id)
    for levels, ids in facilities.items():
        for start in range(0, len(ids), CHUNK):
            Facility.objects.filter(pk__in=ids[start : start + CHUNK]).update(levels=list(levels))


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0015_program_facility_name"),
    ]

    operations = [
        # Backwards, removing the column rebuilds the table too: restore them after it.
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_triggers),
        migrations.AddField(
            model_name="facility",
            name="levels",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.RunPython(restore_sqlite_triggers, migrations.RunPython.noop),
        # The index before the fill (see 0015): built after it in the same transaction,
        # PostgreSQL would mark it usable only once every older transaction had ended.
        migrations.RemoveIndex(model_name="facility", name="facility_published_coords"),
        migrations.AddIndex(
            model_name="facility",
            index=models.Index(
                condition=models.Q(("status", "published")),
                fields=["latitude", "longitude"],
                include=("id", "name", "slug", "languages", "payment", "levels"),
                name="facility_published_coords",
            ),
        ),
        migrations.RunPython(fill_levels, migrations.RunPython.noop),
    ]
