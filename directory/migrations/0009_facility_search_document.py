"""The keyword-search vector stored, so that checking a candidate row is cheap (issue 6).

PostgreSQL only (like 0003, 0006 and 0008). Before, ``q`` matched the expression index
``facility_search_text`` over ``to_tsvector('english', search_text)``. When the planner
combined it with another index whose matches must be rechecked (``payment ?| …`` on the
jsonb GIN index always is), every candidate row's vector was computed again from its
text: 0.8 s for 23,000 rows at 100,000 facilities. Now:

- ``directory_facility.search_document``: a generated (``STORED``) ``tsvector`` column,
  ``to_tsvector('english', COALESCE(search_text, ''))``, kept by the database on every
  write of ``search_text`` (itself kept by ``directory.services``). Not a model field:
  Django never selects or writes it (``FacilityQuerySet.matching_text`` names it).
- ``facility_search_document``: GIN over that column, published rows only; it replaces
  ``facility_search_text``.

The column rewrites ``directory_facility``; on a filled database run
``VACUUM (ANALYZE) directory_facility`` afterwards.
"""

from django.db import migrations

DOCUMENT = "to_tsvector('english'::regconfig, COALESCE(search_text, ''::text))"
FORWARD = [
    "ALTER TABLE directory_facility ADD COLUMN search_document tsvector "
    f"GENERATED ALWAYS AS ({DOCUMENT}) STORED",
    "CREATE INDEX facility_search_document ON directory_facility USING gin (search_document) "
    "WHERE status = 'published'",
    "DROP INDEX IF EXISTS facility_search_text",
]
BACKWARD = [
    f"CREATE INDEX facility_search_text ON directory_facility USING gin ({DOCUMENT}) "
    "WHERE status = 'published'",
    "DROP INDEX IF EXISTS facility_search_document",
    "ALTER TABLE directory_facility DROP COLUMN IF EXISTS search_document",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("directory", "0008_growth_indexes")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False)]
