"""``facility_published_hood_name`` holds each facility's id and ``open_24_7`` (issue 6).

Migration 0006 made ``(neighborhood_id, name, slug) WHERE status = 'published'`` for
`neighborhood` in the default order. With ``INCLUDE (id, open_24_7)``, `service_area`
and `open_at` test the facilities of the area's neighborhoods from it alone instead of
their rows. (Not ``facility_status_neighborhood``, the plain index that counts all
published facilities: with INCLUDE columns PostgreSQL could no longer store each
(status, neighborhood) once with its rows, and it grew from 93 pages to about 800 at
100,000 facilities.)

PostgreSQL only, like 0006. The index is rebuilt while the table is locked for writes
(about a second at 100,000 facilities); run ``VACUUM (ANALYZE) directory_facility``
afterwards (docs/operations.md).
"""

from django.db import migrations

KEY = "ON directory_facility (neighborhood_id, name, slug)"
PUBLISHED = "WHERE status = 'published'"
FORWARD = [
    "DROP INDEX IF EXISTS facility_published_hood_name",
    f"CREATE INDEX facility_published_hood_name {KEY} INCLUDE (id, open_24_7) {PUBLISHED}",
]
BACKWARD = [
    "DROP INDEX IF EXISTS facility_published_hood_name",
    f"CREATE INDEX facility_published_hood_name {KEY} {PUBLISHED}",
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
