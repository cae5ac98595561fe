"""``facility_published_id`` holds each published facility's name and slug too (issue 6).

Migration 0008 made ``(id) WHERE status = 'published'`` so that "published facilities"
is an index-only scan. A search ordered by level joins the facilities with the lowest
rank of their matching programs and sorts by that rank, then name and slug: with the
name and slug in this index it reads no facility row (at 100,000 facilities,
``level_ordering_available``'s ids query 236 -> 167 ms back to back).

PostgreSQL only, like 0008 (SQLite has neither the index nor partial covering indexes).
The index is rebuilt while the table is locked for writes (about a second at 100,000
facilities); run ``VACUUM (ANALYZE) directory_facility`` afterwards (docs/operations.md).
"""

from django.db import migrations

FORWARD = [
    "DROP INDEX IF EXISTS facility_published_id",
    "CREATE INDEX facility_published_id ON directory_facility (id) INCLUDE (name, slug) "
    "WHERE status = 'published'",
]
BACKWARD = [
    "DROP INDEX IF EXISTS facility_published_id",
    "CREATE INDEX facility_published_id ON directory_facility (id) WHERE status = 'published'",
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
    dependencies = [("directory", "0013_covering_indexes")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
