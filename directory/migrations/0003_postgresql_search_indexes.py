"""PostgreSQL-only indexes: full-text search vectors and the JSON "any of" columns.

Django's GinIndex is PostgreSQL-only, and the same models also run on SQLite,
so these are added here when the database is PostgreSQL and skipped elsewhere.
The indexes are built from the very expressions directory.querysets filters
with (then directory.querysets.text_document), so the planner can use them. Migration
0021 drops the three text-search ones: ``q`` reads stored documents since 0009.
"""

from django.db import migrations


def indexes():
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

    def document(*fields):
        return SearchVector(*fields, config="english")

    return [
        ("Facility", GinIndex(document("name", "description"), name="facility_text_search")),
        ("Program", GinIndex(document("name", "description"), name="program_text_search")),
        ("Organization", GinIndex(document("name"), name="organization_text_search")),
        ("Facility", GinIndex(fields=["languages"], name="facility_languages")),
        ("Facility", GinIndex(fields=["payment"], name="facility_payment")),
    ]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in indexes():
        schema_editor.add_index(apps.get_model("directory", model_name), index)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in indexes():
        schema_editor.remove_index(apps.get_model("directory", model_name), index)


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_reference_data")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
