from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Window
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


# The annotation carrying the number of matches on every row of a counted page.
MATCHES = "matches_in_all_pages"


class IdsFirstPaginator(Paginator):
    """Fetches a page in the steps that cost the database least for its order.

    A page's rows carry computed columns (hours and closures as JSON). When the rows come
    in a column order (an index's), the first page is one query that reads no more rows
    than it shows, and the count is its own query. A later page asks for its ids first:
    otherwise PostgreSQL computes the JSON columns for every row ``OFFSET`` skips.

    Ordered by an annotation (distance, rank, level), PostgreSQL must find and sort every
    match for any page, which is the count's work too. So the page's ids come with the
    number of matches (``COUNT(*) OVER ()``) in one narrow query (no joins, no JSON),
    then the page's rows by id (the queryset's ``page_rows``): one pass over the matches
    where a count query and a page query made two. An empty page takes Django's path
    (a count: past the last page is a 404 as ever).
    """

    def page(self, number):
        object_list = self.object_list
        if (
            "count" in self.__dict__  # already counted (DRF's page=last)
            or self.orphans
            or not hasattr(object_list, "page_rows")
            or ordered_by_columns(object_list)
        ):
            return super().page(number)
        number = int(number)
        if number < 1:
            return super().page(number)  # Django's "less than 1" error
        shown = [name for name in object_list.query.annotations if is_value(object_list, name)]
        bottom = (number - 1) * self.per_page
        found = list(
            object_list.annotate(**{MATCHES: Window(Count("*"))}).values_list(
                "pk", MATCHES, *shown
            )[bottom : bottom + self.per_page]
        )
        if not found:
            if number > 1 or not self.allow_empty_first_page:
                return super().page(number)  # past the last page: Django's error
            self.__dict__["count"] = 0
            return self._get_page([], number, self)
        self.__dict__["count"] = found[0][1]
        rows = _in_order(object_list, [row[0] for row in found])
        for row, (_, _, *values) in zip(rows, found, strict=True):
            for name, value in zip(shown, values, strict=True):
                setattr(row, name, value)
        return self._get_page(rows, number, self)

    def _get_page(self, object_list, number, paginator):
        if (
            isinstance(object_list, QuerySet)
            and object_list.query.low_mark
            and ordered_by_columns(object_list)
        ):
            ids = list(object_list.prefetch_related(None).values_list("pk", flat=True))
            object_list = _in_order(self.object_list, ids)
        return super()._get_page(object_list, number, paginator)


def is_value(queryset, name):
    """Whether the annotation is a value of the row (distance, rank), not child rows as JSON."""
    from directory.querysets import RowsAsJSON

    return not isinstance(queryset.query.annotations[name], RowsAsJSON)


def _in_order(queryset, ids):
    """The rows of these ids, in this order, as the queryset represents them.

    A row archived since its id was read is left out (the count is already told).
    """
    if hasattr(queryset, "page_rows"):
        rows = {row.pk: row for row in queryset.page_rows(ids)}
    else:
        rows = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()}
    return [rows[pk] for pk in ids if pk in rows]


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
