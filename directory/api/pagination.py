from django.core.paginator import Paginator
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

PAGE_NOT_POSITIVE = "must be a whole number of 1 or more, got '{value}'"


def ordered_by_columns(queryset):
    """Whether the queryset is ordered by its model's columns only (no annotation)."""
    annotations = queryset.query.annotations
    for item in queryset.query.order_by:
        name = (
            item
            if isinstance(item, str)
            else getattr(getattr(item, "expression", item), "name", None)
        )
        if name is None or name.lstrip("-") in annotations:
            return False
    return True


class IdsFirstPaginator(Paginator):
    """Fetches a page after the first in two steps when that pays: its ids, then its rows.

    A representation's rows carry computed columns (hours and closures as JSON). When
    an index gives the order (model columns), PostgreSQL computes them for every row it
    reads, the rows ``OFFSET`` skips included; asking for the ids first keeps that work
    to the page. Ordered by an annotation (distance, rank, level), the rows are sorted
    first and the columns computed after the limit, and a second query would repeat the
    search: one query then. The first page needs no second step.
    """

    def _get_page(self, object_list, number, paginator):
        if (
            isinstance(object_list, QuerySet)
            and object_list.query.low_mark
            and ordered_by_columns(object_list)
        ):
            ids = list(object_list.prefetch_related(None).values_list("pk", flat=True))
            rows = {row.pk: row for row in self.object_list.filter(pk__in=ids).order_by()}
            # A row archived between the two queries is left out (the count is already told).
            object_list = [rows[pk] for pk in ids if pk in rows]
        return super()._get_page(object_list, number, paginator)


class DirectoryPagination(PageNumberPagination):
    """Pages of 20 by default; ``page_size`` above 100 is capped at 100 (DESIGN §5)."""

    django_paginator_class = IdsFirstPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        errors = {}
        for name in (self.page_query_param, self.page_size_query_param):
            value = request.query_params.get(name)
            if value is not None and not (value.isascii() and value.isdigit() and int(value) > 0):
                errors[name] = [PAGE_NOT_POSITIVE.format(value=value[:50])]
        if errors:
            raise serializers.ValidationError(errors)
        return super().paginate_queryset(queryset, request, view)
