from django_filters.rest_framework import DjangoFilterBackend


class SearchFilterBackend(DjangoFilterBackend):
    """django-filter's backend; its own class so the OpenAPI extension can describe it."""
