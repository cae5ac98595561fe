from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "directory"
    verbose_name = "LA Care Directory"

    def ready(self):
        from directory import lookups  # noqa: F401  (registers the any_of lookup)
        from directory.api import schema  # noqa: F401  (registers the OpenAPI extension)
