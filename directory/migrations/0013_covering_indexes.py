"""Covering indexes for the searches that read many facilities (issue 6, session 7).

- ``facility_published_coords`` gains ``INCLUDE (id, name, slug, languages, payment)``:
  a `near` search, alone or with `language` or `payment`, and the distance order's
  tie-break (name, slug) read this index alone instead of each facility's wide row;
  so does a full pass over published facilities testing `language` or `payment`.
- ``facility_published_name`` gains ``INCLUDE (id)``: a search ordered by level joins
  the facilities with their programs' lowest rank and sorts by it, then name and slug,
  from this index instead of every facility row.
- ``hours_start``: ``(start_minute) INCLUDE (end_minute, facility_id)``. When `open_at`
  tests many facilities PostgreSQL hashes the hours containing the instant; this reads
  that range of start times alone instead of every hours row.

On PostgreSQL they are built while the tables are locked for writes (seconds at 100,000
facilities); run ``VACUUM (ANALYZE)`` on a filled database afterwards so that index-only
scans need not read the tables (docs/operations.md). SQLite creates the key columns only.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0012_program_clock_span'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='facility',
            name='facility_published_coords',
        ),
        migrations.RemoveIndex(
            model_name='facility',
            name='facility_published_name',
        ),
        migrations.AddIndex(
            model_name='facility',
            index=models.Index(condition=models.Q(('status', 'published')), fields=['latitude', 'longitude'], include=('id', 'name', 'slug', 'languages', 'payment'), name='facility_published_coords'),
        ),
        migrations.AddIndex(
            model_name='facility',
            index=models.Index(condition=models.Q(('status', 'published')), fields=['name', 'slug'], include=('id',), name='facility_published_name'),
        ),
        migrations.AddIndex(
            model_name='hours',
            index=models.Index(fields=['start_minute'], include=('end_minute', 'facility'), name='hours_start'),
        ),
    ]
