from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Window
from django.utils.functional import cached_property
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

PAGE_NOT_POSITIVE = "must be a whole number of 1 or more, got '{value}'"


def ordered_by_columns(queryset):
    """Whether the queryset is ordered by columns only, its own or related ones (an index's).

    Not when an item is an annotation or an expression other than a column (``F``); no
    ordering at all counts as columns.
    """
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
# Past any page a directory can have; an OFFSET beyond a 64-bit integer is a database error.
FARTHEST_ROW = 2**53


class IdsFirstPaginator(Paginator):
    """Fetches a page in the steps that cost the database least for its order.

    A page's rows carry computed columns (hours and closures as JSON). When the rows come
    in a column order (an index's), the first page is one query that reads no more rows
    than it shows, and the count is its own query. A later page asks for its ids first:
    otherwise PostgreSQL computes the JSON columns for every row ``OFFSET`` skips. So
    does the first page of a queryset with ``first_page_by_ids`` (programs), whose order's
    index holds what its filters read: the ids are found from the index alone even where
    matches are few and far between in that order.

    Ordered by an annotation (distance, text rank, a facility's lowest level: programs
    ordered by level sort on a column), PostgreSQL must find and sort every
    match for any page, which is the count's work too (except the level order with
    program filters, ``by_level``: its page is found level by level, its count is its own
    query, and neither sorts every match). So the page's ids come with the
    number of matches (``COUNT(*) OVER ()``) in one query that selects neither the rows'
    columns nor their JSON (its joins are the search's own), then the page's rows by id:
    one pass over the matches where a count query and a page query made two. No match
    on the first page is a count of 0; an empty later page takes Django's path (a count,
    then a 404 past the last page).

    Both ways, the rows are read by id through the queryset's ``page_rows`` (published
    ones, as they are then; the search's other filters are not applied again), and the
    search's annotations that are values (``distance_mi``) come with the ids. A queryset
    without ``page_rows`` (neighborhoods, care levels, service areas: no JSON columns),
    or a paginator with orphans, is paged as Django pages it.
    """

    @cached_property
    def level_pages(self):
        """The ``LevelPages`` of a level order with program filters (``by_level``), else None."""
        return self.object_list.level_pages() if by_level(self.object_list) else None

    @cached_property
    def count(self):
        if self.level_pages is not None:
            return self.level_pages.count()  # its own query, whatever the page
        return super().count

    def page(self, number):
        object_list = self.object_list
        if self.orphans or not hasattr(object_list, "page_rows") or ordered_by_columns(object_list):
            return super().page(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            return super().page(number)  # Django's error for what is not a page number
        bottom = (number - 1) * self.per_page
        if not 0 <= bottom <= FARTHEST_ROW:
            return super().page(number)  # less than 1, or past any last page: Django's error
        top = bottom + self.per_page
        if self.level_pages is not None:
            found = self.level_pages.ids(bottom, top)
        else:
            found = _ids_and_values(
                object_list.annotate(**{MATCHES: Window(Count("*"))}), bottom, top
            )
        if not found:
            if number > 1 or not self.allow_empty_first_page:
                return super().page(number)  # past the last page: Django's error
            self.__dict__["count"] = 0  # Paginator.count is a cached_property
            return self._get_page([], number, self)
        if self.level_pages is None:
            self.__dict__["count"] = next(iter(found.values()))[MATCHES]
        return self._get_page(_rows(object_list, found), number, self)

    def _get_page(self, object_list, number, paginator):
        if (
            isinstance(object_list, QuerySet)
            and (object_list.query.low_mark or getattr(object_list, "first_page_by_ids", False))
            and hasattr(object_list, "page_rows")
            and ordered_by_columns(object_list)
        ):
            query = object_list.query
            found = _ids_and_values(self.object_list, query.low_mark, query.high_mark)
            object_list = _rows(self.object_list, found)
        return super()._get_page(object_list, number, paginator)


def by_level(queryset):
    """Whether the queryset is a ``by_lowest_level`` order (FacilityQuerySet) as it was
    made: not reordered, reversed, sliced, filtered or given new values since (its pages
    are found from what it was made of, ``querysets.LevelOrder``)."""
    from directory.querysets import LEVEL_ORDER

    order = getattr(queryset, "level_order", None)
    if order is None:
        return False
    query = queryset.query
    added = set(_values(queryset)) - {"lowest_rank"} - set(order.facilities.query.annotations)
    return (
        query.order_by == LEVEL_ORDER
        and query.standard_ordering
        and not query.is_sliced
        and query.where == order.where
        and not added
    )


def _values(queryset):
    """The queryset's annotations that are values of the row (a distance, a rank, the
    number of matches), not child rows as JSON."""
    from directory.querysets import RowsAsJSON

    annotations = queryset.query.annotation_select
    return [name for name, value in annotations.items() if not isinstance(value, RowsAsJSON)]


def _ids_and_values(queryset, bottom, top):
    """Return ``{id: {annotation: value}}`` for the rows from ``bottom`` to ``top``, in order,
    with the values of ``_values``."""
    shown = _values(queryset)
    rows = queryset.prefetch_related(None).values_list("pk", *shown)[bottom:top]
    return {pk: dict(zip(shown, values, strict=True)) for pk, *values in rows}


def _rows(queryset, found):
    """The rows of these ids, in their order, with their values, as ``page_rows`` reads them.

    A row deleted or no longer published since its id was read is left out (the count
    is the one already told).
    """
    rows = {row.pk: row for row in queryset.page_rows(list(found))}
    page = []
    for pk, values in found.items():
        if pk in rows:
            for name, value in values.items():
                setattr(rows[pk], name, value)
            page.append(rows[pk])
    return page


class DirectoryPagination(PageNumberPagination):
    """Pages of 20 by default; ``page_size`` above 100 is capped at 100 (DESIGN §5)."""

    django_paginator_class = IdsFirstPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param, "")
        if value.isascii() and value.isdigit() and len(value.lstrip("0")) > 3:
            return self.max_page_size  # DRF's int() refuses thousands of digits: capped too
        return super().get_page_size(request)

    def paginate_queryset(self, queryset, request, view=None):
        errors = {}
        for name in (self.page_query_param, self.page_size_query_param):
            value = request.query_params.get(name)
            # (Not int(value): a string of thousands of digits is a ValueError.)
            if value is not None and not (value.isascii() and value.isdigit() and value.strip("0")):
                errors[name] = [PAGE_NOT_POSITIVE.format(value=value[:50])]
        if errors:
            raise serializers.ValidationError(errors)
        return super().paginate_queryset(queryset, request, view)
