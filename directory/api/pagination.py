from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

PAGE_NOT_POSITIVE = "must be a whole number of 1 or more, got '{value}'"


class DirectoryPagination(PageNumberPagination):
    """Pages of 20 by default; ``page_size`` above 100 is capped at 100 (DESIGN §5)."""

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
