from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "directory"
    verbose_name = "LA Care Directory"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from directory import (
            lookups,  # noqa: F401  (registers the any_of lookup)
            reference,
        )
        from directory.api import schema  # noqa: F401  (registers the OpenAPI extension)
        from directory.models import CareLevel, Neighborhood

        for model in (CareLevel, Neighborhood):
            post_save.connect(reference.clear, sender=model, dispatch_uid=f"reference-{model}")
            post_delete.connect(reference.clear, sender=model, dispatch_uid=f"reference-{model}-d")
