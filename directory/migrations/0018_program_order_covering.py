"""Covering indexes for pages found by their ids and for language and payment (issue 6).

- ``program_default_order`` holds each program's facility, level and the columns the
  program filters read (``PROGRAM_FILTER_COLUMNS``). A program search in its default
  order finds the first page's ids from the index alone: where few programs match, it
  passed every program before them reading each row (at 100,000 facilities
  ``programs_hours_language`` read 32,776 rows for a page: 24 ms; from the index 8 ms).
- ``facility_published_codes``: ``(id) INCLUDE (languages, payment) WHERE published``,
  narrow, for the searches that test a language or a payment option over many facilities
  (``lives_at_home_language_age``'s count at 100k: 70 -> 48 ms).

On PostgreSQL ``program_default_order`` is dropped and built again while
``directory_program`` is locked against reads and writes (2 s at 100,000 facilities), and
``facility_published_codes`` is built while ``directory_facility`` is locked for writes;
SQLite creates the key columns only. Run ``VACUUM (ANALYZE)`` afterwards on a
filled database (docs/operations.md).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0017_range_indexes'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='program',
            name='program_default_order',
        ),
        migrations.AddIndex(
            model_name='facility',
            index=models.Index(condition=models.Q(('status', 'published')), fields=['id'], include=('languages', 'payment'), name='facility_published_codes'),
        ),
        migrations.AddIndex(
            model_name='program',
            index=models.Index(fields=['name', 'facility_name', 'id'], include=('facility', 'care_level', 'dual_diagnosis', 'detox', 'accepting_new_clients', 'telehealth', 'session_days', 'first_start_minute', 'last_end_minute', 'days_per_week', 'minutes_per_week', 'published', 'min_age', 'max_age'), name='program_default_order'),
        ),
    ]
