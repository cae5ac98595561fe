"""Indexes no query needs, dropped: each write no longer keeps them (issue 6).

After an import of 100,000 facilities and two runs of the benchmark's query mix,
PostgreSQL's ``pg_stat_user_indexes`` counted no scan of the first five and two of the
last (beside 157,268 of ``closure_dates``), and no query the code builds needs them
(docs/performance.md, session 13):

- ``facility_text_search``, ``program_text_search``, ``organization_text_search``
  (PostgreSQL, migration 0003): GIN over ``to_tsvector`` of names and descriptions
  (organizations: names).
  ``q`` matches ``directory_facility.search_document`` (migration 0009) and ranks by
  ``rank_document``; each insert still computed these three text-search vectors.
- ``program_by_appointment`` (PostgreSQL, migration 0006): programs with
  ``days_per_week = 0``. ``available`` tells by-appointment programs by
  ``session_days = 0`` (migration 0010), which that predicate does not match.
- The plain foreign-key indexes of ``directory_openspan`` and ``directory_closure``:
  ``open_span`` and ``closure_dates`` begin with the facility and serve the same
  lookups (the child rows of a facility, the cascade of a deletion).

Reversing the migration builds them again.
"""

import django.db.models.deletion
from django.db import migrations, models

NAME = "COALESCE(name, ''::character varying)::text"
NAME_AND_DESCRIPTION = f"({NAME} || ' '::text) || COALESCE(description, ''::text)"


def text_search_index(table, document):
    """What migration 0003 built: GIN over the English text-search vector of ``document``."""
    return f"{table} USING gin (to_tsvector('english'::regconfig, {document}))"


POSTGRESQL_INDEXES = {
    "facility_text_search": text_search_index("directory_facility", NAME_AND_DESCRIPTION),
    "program_text_search": text_search_index("directory_program", NAME_AND_DESCRIPTION),
    "organization_text_search": text_search_index("directory_organization", NAME),
    "program_by_appointment": "directory_program (facility_id) WHERE days_per_week = 0",
}
# The names Django gave the foreign keys' indexes (the same on SQLite and PostgreSQL).
FOREIGN_KEY_INDEXES = {
    "openspan": ("directory_openspan_facility_id_c543cbc6", "directory_openspan"),
    "closure": ("directory_closure_facility_id_cc6bd844", "directory_closure"),
}


def drop_postgresql_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in POSTGRESQL_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create_postgresql_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in POSTGRESQL_INDEXES.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON {definition}')


def without_foreign_key_index(model_name, related_name):
    """Drop only the foreign key's own index (see migration 0020 for why not AlterField)."""
    index, table = FOREIGN_KEY_INDEXES[model_name]
    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.AlterField(
                model_name=model_name,
                name="facility",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name=related_name,
                    to="directory.facility",
                ),
            ),
        ],
        database_operations=[
            migrations.RunSQL(
                f'DROP INDEX IF EXISTS "{index}"',
                f'CREATE INDEX "{index}" ON "{table}" ("facility_id")',
            ),
        ],
    )


class Migration(migrations.Migration):
    dependencies = [("directory", "0020_program_facility_filters")]

    operations = [
        migrations.RunPython(drop_postgresql_indexes, create_postgresql_indexes, elidable=False),
        without_foreign_key_index("openspan", "open_spans"),
        without_foreign_key_index("closure", "closures"),
    ]
