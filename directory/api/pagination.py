from django.core.paginator import Paginator
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

PAGE_NOT_POSITIVE = "must be a whole number of 1 or more, got '{value}'"


class IdsFirstPaginator(Paginator):
    """Fetches a page after the first in two steps: its ids, then its rows by id.

    A representation's rows carry computed columns (hours and closures as JSON). When
    an index gives the order, PostgreSQL computes them for every row it reads, the rows
    ``OFFSET`` skips included; asking for the ids first keeps that work to the page.
    The first page needs no second step (its scan stops at the page's end).
    """

    def _get_page(self, object_list, number, paginator):
        if isinstance(object_list, QuerySet) and object_list.query.low_mark:
            ids = list(object_list.prefetch_related(None).values_list("pk", flat=True))
            rows = {row.pk: row for row in self.object_list.filter(pk__in=ids)}
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
