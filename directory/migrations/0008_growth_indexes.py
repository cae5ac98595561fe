"""Shapes that keep searches flat as the directory grows (issue 6, "indexes, not scans").

PostgreSQL only (like 0003 and 0006); SQLite has no ranking and keeps its plans.

- ``directory_facility.rank_document``: a *generated* (``STORED``) ``tsvector`` column,
  ``to_tsvector('english', name || ' ' || description)``, the very document
  ``FacilityQuerySet.ranked_by_text`` ranks ``q`` matches by. The database keeps it
  on every insert and update, whatever the write path (import, admin, write API,
  ``queryset.update()``), so the rank reads a stored vector instead of parsing each
  match's text again. It is not a model field: Django never selects or writes it.
- ``facility_published_id``: ``(id) WHERE status = 'published'``, so "published
  facilities" is an index-only scan (the counts of ``/programs/`` and of the program
  filters) instead of a sequential scan of the wide facility rows.
- ``facility_id_open_24_7``: ``(id) INCLUDE (open_24_7)``, so ``available``'s "facility
  open 24/7" test, hashed over every facility, is an index-only scan too.

Adding the generated column rewrites ``directory_facility``; on a filled database run
``VACUUM (ANALYZE) directory_facility`` afterwards, or index-only scans read the heap
until autovacuum has set the visibility map.
"""

from django.db import migrations

RANK_DOCUMENT = (
    "to_tsvector('english'::regconfig, "
    "COALESCE(name, ''::character varying)::text || ' '::text || COALESCE(description, ''::text))"
)
FORWARD = [
    f"ALTER TABLE directory_facility ADD COLUMN rank_document tsvector "
    f"GENERATED ALWAYS AS ({RANK_DOCUMENT}) STORED",
    "CREATE INDEX facility_published_id ON directory_facility (id) WHERE status = 'published'",
    "CREATE INDEX facility_id_open_24_7 ON directory_facility (id) INCLUDE (open_24_7)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS facility_id_open_24_7",
    "DROP INDEX IF EXISTS facility_published_id",
    "ALTER TABLE directory_facility DROP COLUMN IF EXISTS rank_document",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("directory", "0007_data_version")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
