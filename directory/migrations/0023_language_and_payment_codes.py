"""Languages and payment as ``text[]`` the database keeps (issue 6, docs/performance.md
session 15).

- ``language_codes``, ``payment_codes``: stored generated columns, copies of
  ``languages`` and ``payment`` (``directory.lookups.CodesOf``): ``text[]`` on
  PostgreSQL, the JSON text on SQLite. The ``language`` and ``payment`` filters test
  them (``any_of``: ``&&`` on PostgreSQL).
- PostgreSQL only: the GIN indexes of jsonb ``languages`` and ``payment`` (0003) give
  way to GIN indexes of the arrays, which answer ``&&`` exactly; jsonb's answered ``?|``
  with candidates that PostgreSQL tested again, with every other condition of the same
  bitmap (``q``'s document match too). Not partial: PostgreSQL never combines two
  indexes whose conditions overlap (``facility_search_document`` is ``WHERE published``
  too), and combining them is the point: ``q`` with ``payment`` counted 23,171 matches at
  100,000 facilities in 30 ms instead of 63 under ``EXPLAIN ANALYZE``.
- The covering indexes hold the arrays instead of the JSON (the filters read them).

Adding the columns rewrites ``directory_facility`` (about 6 s in all at 100,000
facilities, with the table locked); run ``VACUUM (ANALYZE) directory_facility`` afterwards. SQLite
rebuilds the table, which drops its data-version triggers (0007): they are put back,
both ways, as 0010 does.
"""

import importlib

import directory.lookups
from django.db import migrations, models

restore_sqlite_triggers = importlib.import_module(
    "directory.migrations.0010_program_session_days"
).sqlite_trigger_restorer("directory_facility")


def gin_indexes():
    from django.contrib.postgres.indexes import GinIndex

    old = [
        GinIndex(fields=["languages"], name="facility_languages"),
        GinIndex(fields=["payment"], name="facility_payment"),
    ]
    new = [
        GinIndex(fields=["language_codes"], name="facility_language_codes"),
        GinIndex(fields=["payment_codes"], name="facility_payment_codes"),
    ]
    return old, new


def swap_gin_indexes(apps, schema_editor, *, forward):
    if schema_editor.connection.vendor != "postgresql":
        return
    facility = apps.get_model("directory", "Facility")
    old, new = gin_indexes()
    drop, add = (old, new) if forward else (new, old)
    for index in drop:
        schema_editor.remove_index(facility, index)
    for index in add:
        schema_editor.add_index(facility, index)


def forward(apps, schema_editor):
    swap_gin_indexes(apps, schema_editor, forward=True)


def backward(apps, schema_editor):
    swap_gin_indexes(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0022_program_level_days_statistics"),
    ]

    operations = [
        # Backwards, removing the columns rebuilds the table too: restore them after it.
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_triggers),
        migrations.RemoveIndex(
            model_name="facility",
            name="facility_published_coords",
        ),
        migrations.RemoveIndex(
            model_name="facility",
            name="facility_published_codes",
        ),
        migrations.AddField(
            model_name="facility",
            name="language_codes",
            field=models.GeneratedField(
                db_persist=True,
                expression=directory.lookups.CodesOf("languages"),
                output_field=directory.lookups.CodesField(),
            ),
        ),
        migrations.AddField(
            model_name="facility",
            name="payment_codes",
            field=models.GeneratedField(
                db_persist=True,
                expression=directory.lookups.CodesOf("payment"),
                output_field=directory.lookups.CodesField(),
            ),
        ),
        migrations.AddIndex(
            model_name="facility",
            index=models.Index(
                condition=models.Q(("status", "published")),
                fields=["latitude", "longitude"],
                include=("id", "name", "slug", "language_codes", "payment_codes", "levels"),
                name="facility_published_coords",
            ),
        ),
        migrations.AddIndex(
            model_name="facility",
            index=models.Index(
                condition=models.Q(("status", "published")),
                fields=["id"],
                include=("language_codes", "payment_codes"),
                name="facility_published_codes",
            ),
        ),
        migrations.RunPython(restore_sqlite_triggers, migrations.RunPython.noop),
        migrations.RunPython(forward, backward, elidable=False),
    ]
