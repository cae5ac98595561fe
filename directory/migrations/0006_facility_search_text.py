"""Keyword search over one derived column, and indexes for the search shapes (issue 6).

``Facility.search_text`` (kept by directory.services) holds the organization's name,
the facility's and its programs' names and descriptions; this migration fills it for
existing rows. The PostgreSQL-only indexes (like 0003's) are:

- ``facility_search_text``: GIN over the column's English text-search vector,
  published rows only, so ``q`` is one indexed predicate;
- ``facility_published_verified``: the ``ordering=-verified_at`` order;
- ``facility_published_hood_name``: ``neighborhood=`` with the default order;
- ``program_name_id``: the ``/programs/`` default order;
- ``program_by_appointment``: programs without sessions (``available``);
- ``program_minutes_facility`` / ``program_days_facility``: week-total filters,
  answered from the index alone.
"""

from django.db import migrations, models

SEPARATOR = "\n"


def indexes():
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector
    from django.db.models import F, Q

    published = Q(status="published")
    return [
        (
            "Facility",
            GinIndex(
                SearchVector("search_text", config="english"),
                name="facility_search_text",
                condition=published,
            ),
        ),
        (
            "Facility",
            models.Index(
                F("verified_at").desc(nulls_last=True),
                F("name"),
                F("slug"),
                name="facility_published_verified",
                condition=published,
            ),
        ),
        (
            "Facility",
            models.Index(
                fields=["neighborhood", "name", "slug"],
                name="facility_published_hood_name",
                condition=published,
            ),
        ),
        ("Program", models.Index(fields=["name", "id"], name="program_name_id")),
        (
            "Program",
            models.Index(
                fields=["facility"], name="program_by_appointment", condition=Q(days_per_week=0)
            ),
        ),
        (
            "Program",
            models.Index(fields=["minutes_per_week", "facility"], name="program_minutes_facility"),
        ),
        (
            "Program",
            models.Index(fields=["days_per_week", "facility"], name="program_days_facility"),
        ),
    ]


FILL_POSTGRESQL = r"""
UPDATE directory_facility AS f
SET search_text = COALESCE(o.name, '') || E'\n' || f.name || E'\n' || f.description
    || COALESCE((SELECT string_agg(E'\n' || p.name || E'\n' || p.description, '' ORDER BY p.id)
                 FROM directory_program AS p WHERE p.facility_id = f.id), '')
FROM directory_facility AS f2
LEFT JOIN directory_organization AS o ON o.id = f2.organization_id
WHERE f2.id = f.id
"""


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL_POSTGRESQL)
        return
    Facility = apps.get_model("directory", "Facility")
    Program = apps.get_model("directory", "Program")
    programs = {}
    for facility_id, name, description in Program.objects.order_by("id").values_list(
        "facility_id", "name", "description"
    ):
        programs.setdefault(facility_id, []).extend([name, description])
    changed = []
    for facility in Facility.objects.select_related("organization").iterator(chunk_size=2000):
        organization = facility.organization.name if facility.organization_id else ""
        parts = [organization, facility.name, facility.description, *programs.get(facility.id, [])]
        facility.search_text = SEPARATOR.join(parts)
        changed.append(facility)
    Facility.objects.bulk_update(changed, ["search_text"], batch_size=1000)


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
    dependencies = [("directory", "0005_curators_group")]

    operations = [
        migrations.AddField(
            model_name="facility",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create, drop, elidable=False),
    ]
