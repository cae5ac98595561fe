"""The programs' foreign-key index covers the program filters (issue 6).

``program_facility_filters`` is ``(facility_id) INCLUDE (id, care_level_id, the
PROGRAM_FILTER_COLUMNS)`` and replaces the plain index Django made for the foreign key,
which it serves as well. A search whose program filters name no level
(``max_days_per_week``, ``accepting``, ``telehealth``, hours per week, ages) counts the
facilities with a matching program by merging the published facilities' ids with this
index in facility order, reading no program row (with parallel query off, as the app
sets it): at 100,000 facilities ``max_days_per_week=2&accepting=true`` counted in 19 ms
against 46 for the parallel hash join over ``program_level_facility``
(docs/performance.md, session 11).

On PostgreSQL the index is built while ``directory_program`` is locked against writes (a
few seconds at 100,000 facilities); SQLite creates the key column only. Run
``VACUUM (ANALYZE)`` afterwards on a filled database (docs/operations.md).
"""

import django.db.models.deletion
from django.db import migrations, models

# The name Django gave the foreign key's index (the same on SQLite and PostgreSQL).
FOREIGN_KEY_INDEX = "directory_program_facility_id_f1523564"


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0019_text_match_cost'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='program',
            index=models.Index(fields=['facility'], include=('id', 'care_level', 'dual_diagnosis', 'detox', 'accepting_new_clients', 'telehealth', 'session_days', 'first_start_minute', 'last_end_minute', 'days_per_week', 'minutes_per_week', 'published', 'min_age', 'max_age'), name='program_facility_filters'),
        ),
        # Django's own AlterField would also drop the indexes it finds on the column alone
        # that the models do not declare (migration 0006's program_by_appointment) and
        # rebuild the foreign key; here only the foreign key's plain index goes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='program',
                    name='facility',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='programs', to='directory.facility'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{FOREIGN_KEY_INDEX}"',
                    f'CREATE INDEX "{FOREIGN_KEY_INDEX}" ON "directory_program" ("facility_id")',
                ),
            ],
        ),
    ]
