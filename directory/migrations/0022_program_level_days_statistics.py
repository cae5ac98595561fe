"""Extended statistics of the programs' care levels and session days together (issue 6).

PostgreSQL estimates ``care_level_id = 3 AND session_days IN (0, 32, 64, 96)`` as the
product of the two columns' frequencies, as if they were independent. They are not: in
the benchmark's 100,000 facilities every partial hospitalization program meets on
weekdays, so none fits a weekend window, yet PostgreSQL expected about 4,000 facilities
to have one. ``ordering=level`` finds its page level by level
(``querysets.LevelPages``), each level's facilities in name order until it has
the page; for a level believed common but empty, that walk read all 90,081 published
facilities (264 ms) instead of finding none (0.03 ms). With these statistics
(most-common combinations of the two columns, kept by ``ANALYZE``) PostgreSQL expects
what is there, and the page's ids took 4.7 ms.

PostgreSQL only (SQLite has no extended statistics). Creating them is immediate; the
next ``ANALYZE`` of the programs (autovacuum's, or the one docs/operations.md advises
after a large import) fills them.
"""

from django.db import migrations

NAME = "program_level_days_mcv"
CREATE = f"CREATE STATISTICS {NAME} (mcv) ON care_level_id, session_days FROM directory_program"
DROP = f"DROP STATISTICS {NAME}"


def on_postgresql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0021_drop_unused_indexes")]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP))]
