"""A data version that every write to the directory's tables increments (issue 6).

Cached search answers (``directory.api.cache``) are keyed by ``DataVersion.number``.
Triggers keep it, so that no write path can forget to: the import service, the admin's
saves and ``queryset.update()`` actions, the write API, migrations and shells alike.
The increment happens in the writer's transaction, so readers see the new number
exactly when they can see the new rows.

- PostgreSQL: one statement-level trigger per table (insert, update, delete, truncate),
  so a bulk insert of thousands of rows costs one increment.
- SQLite: row-level triggers (the only kind it has), one per table and operation.

History tables are not watched: the API never reads them.
"""

from django.db import migrations, models

WATCHED_TABLES = [
    "directory_servicearea",
    "directory_neighborhood",
    "directory_carelevel",
    "directory_organization",
    "directory_facility",
    "directory_program",
    "directory_session",
    "directory_hours",
    "directory_openspan",
    "directory_closure",
]
BUMP = "UPDATE directory_dataversion SET number = number + 1 WHERE id = 1"
OPERATIONS = ["INSERT", "UPDATE", "DELETE"]


def postgresql_statements():
    yield (
        "CREATE FUNCTION directory_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
    )
    for table in WATCHED_TABLES:
        yield (
            f"CREATE TRIGGER {table}_data_version "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION directory_bump_data_version()"
        )


def sqlite_statements():
    for table in WATCHED_TABLES:
        for operation in OPERATIONS:
            yield (
                f"CREATE TRIGGER {table}_data_version_{operation.lower()} "
                f"AFTER {operation} ON {table} BEGIN {BUMP}; END"
            )


def create_triggers(apps, schema_editor):
    apps.get_model("directory", "DataVersion").objects.create(id=1, number=0)
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": postgresql_statements, "sqlite": sqlite_statements}[vendor]
    for statement in statements():
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in WATCHED_TABLES:
            schema_editor.execute(f"DROP TRIGGER {table}_data_version ON {table}")
        schema_editor.execute("DROP FUNCTION directory_bump_data_version()")
    else:
        for table in WATCHED_TABLES:
            for operation in OPERATIONS:
                schema_editor.execute(f"DROP TRIGGER {table}_data_version_{operation.lower()}")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0006_facility_search_text"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("number", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
