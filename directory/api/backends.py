from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ErrorDetail, ValidationError


def translate_errors(errors):
    """Return a form's errors as DRF's ValidationError, each message exactly as written.

    django-filter's own translation applies ``message % ()`` to every message, which
    fails (a 500) on a message that quotes a user's value containing ``%``. Only a
    message that has parameters (Django's built-in ones) is formatted with them.
    """
    return ValidationError(
        {
            name: [
                ErrorDetail(
                    error.message % error.params if error.params else error.message, code=error.code
                )
                for error in field_errors
            ]
            for name, field_errors in errors.as_data().items()
        }
    )


class SearchFilterBackend(DjangoFilterBackend):
    """django-filter's backend, with its own class so the OpenAPI extension can describe it,
    and error messages passed through verbatim (see translate_errors)."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise translate_errors(filterset.errors)
        return filterset.qs
