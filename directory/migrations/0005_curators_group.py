"""The Curators group: curators add, change and view listings but delete nothing and manage
no users (README "Curators"); superusers can do everything.

Permissions are normally created after the last migration (post_migrate), so this
migration creates the directory's permissions itself before it grants them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Curators"
# Listings and their parts: add, change and view, never delete.
EDITABLE = ["organization", "facility", "program", "session", "hours", "closure"]
# Reference data (data migrations) and the history of listings: view only.
VIEW_ONLY = [
    "carelevel",
    "neighborhood",
    "servicearea",
    "historicalfacility",
    "historicalprogram",
    "historicalsession",
    "historicalhours",
    "historicalclosure",
]
CODENAMES = [f"{action}_{model}" for model in EDITABLE for action in ("add", "change", "view")] + [
    f"view_{model}" for model in VIEW_ONLY
]


def create_curators(apps, schema_editor):
    app_config = apps.get_app_config("directory")
    app_config.models_module = True  # create_permissions skips an app without models
    create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="directory", codename__in=CODENAMES
    )
    found = sorted(permissions.values_list("codename", flat=True))
    if found != sorted(CODENAMES):
        missing = ", ".join(sorted(set(CODENAMES) - set(found)))
        raise RuntimeError(f"permissions missing for the Curators group: {missing}")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.set(permissions)


def remove_curators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("directory", "0004_history"),
    ]

    operations = [migrations.RunPython(create_curators, remove_curators)]
