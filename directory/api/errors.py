"""Error answers: always JSON, in DRF's shape, with the right status.

- DRF views: ``exception_handler`` (the REST_FRAMEWORK setting).
- Anything else that fails while the database is down (a middleware, a plain Django
  view such as the admin's): ``server_error``, Django's 500 handler (config/urls.py),
  answers 503 JSON too, so a database outage never shows an HTML error page.
- A path no route matches under /api/: ``page_not_found`` answers 404 JSON.
"""

import logging
import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "The directory's database is unavailable. Try again shortly."
# Seconds a client should wait before retrying after a 503.
RETRY_AFTER_SECONDS = 5
# DRF's JSON is compact; the answers made here look the same.
COMPACT = {"separators": (",", ":")}
SERVER_ERROR = "Server error."
NOT_FOUND = "Not found."
# Failures that mean the database cannot be reached (as opposed to a bad query, a bug).
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = (
        "This request must be conditional: send If-Match with the ETag of the facility "
        "as you last read it."
    )
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "The facility has changed since you read it (If-Match does not match its ETag). "
        "Read it again, reapply your change and retry."
    )
    default_code = "precondition_failed"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def database_unavailable():
    """Return the 503 JSON answer for a database outage."""
    return JsonResponse(
        {"detail": DATABASE_UNAVAILABLE},
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        json_dumps_params=COMPACT,
    )


def exception_handler(exc, context):
    """Return DRF's answer, or 503 JSON when the database cannot be reached."""
    response = drf_exception_handler(exc, context)
    if response is None and isinstance(exc, UNAVAILABLE_ERRORS):
        logger.warning("database unavailable: %s", exc)
        response = Response(
            {"detail": DATABASE_UNAVAILABLE},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    elif response is None and isinstance(exc, DatabaseError):
        raise exc
    return response


def server_error(request):
    """Django's 500 handler: 503 JSON in a database outage, JSON 500 under /api/, else HTML.

    Django calls it while handling the exception, so ``sys.exc_info()`` names it.
    """
    error = sys.exc_info()[1]
    if isinstance(error, UNAVAILABLE_ERRORS):
        return database_unavailable()
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": SERVER_ERROR},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
            json_dumps_params=COMPACT,
        )
    return defaults.server_error(request)


def page_not_found(request, exception):
    """Django's 404 handler: JSON under /api/ (no route matched), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": NOT_FOUND}, status=status.HTTP_404_NOT_FOUND, json_dumps_params=COMPACT
        )
    return defaults.page_not_found(request, exception)
