"""Two PostgreSQL-only indexes of published facilities hold more columns (issue 6).

- ``facility_published_id`` (migration 0008, ``(id) WHERE status = 'published'``) gains
  ``INCLUDE (name, slug)``. A search ordered by level joins the facilities with the
  lowest rank of their matching programs and sorts by that rank, then name and slug;
  it read every published facility row for them (at 100,000 facilities,
  ``level_ordering_available``'s ids query 236 -> 167 ms back to back).
- ``facility_published_hood_name`` (migration 0006, ``(neighborhood_id, name, slug)
  WHERE status = 'published'``) gains ``INCLUDE (id, open_24_7)``: `service_area` and
  `open_at` test the facilities of a few neighborhoods from it alone. (Not
  ``facility_status_neighborhood``: with INCLUDE columns PostgreSQL no longer stores each
  (status, neighborhood) once with its rows, and that small index is what counts all
  published facilities: 93 pages against about 800 at 100,000 facilities.)

PostgreSQL only, like 0006 and 0008. The indexes are rebuilt while the table is locked
for writes (about a second each at 100,000 facilities); run ``VACUUM (ANALYZE)
directory_facility`` afterwards (docs/operations.md).
"""

from django.db import migrations

PUBLISHED = "WHERE status = 'published'"
FORWARD = [
    "DROP INDEX IF EXISTS facility_published_id",
    f"CREATE INDEX facility_published_id ON directory_facility (id) INCLUDE (name, slug) "
    f"{PUBLISHED}",
    "DROP INDEX IF EXISTS facility_published_hood_name",
    "CREATE INDEX facility_published_hood_name ON directory_facility "
    f"(neighborhood_id, name, slug) INCLUDE (id, open_24_7) {PUBLISHED}",
]
BACKWARD = [
    "DROP INDEX IF EXISTS facility_published_id",
    f"CREATE INDEX facility_published_id ON directory_facility (id) {PUBLISHED}",
    "DROP INDEX IF EXISTS facility_published_hood_name",
    "CREATE INDEX facility_published_hood_name ON directory_facility "
    f"(neighborhood_id, name, slug) {PUBLISHED}",
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
