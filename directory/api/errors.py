"""Error answers: always JSON, in DRF's shape."""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "The directory's database is unavailable. Try again shortly."


def exception_handler(exc, context):
    """Return DRF's answer, or 503 JSON when the database cannot be reached."""
    response = drf_exception_handler(exc, context)
    if response is None and isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unavailable: %s", exc)
        response = Response(
            {"detail": DATABASE_UNAVAILABLE},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    elif response is None and isinstance(exc, DatabaseError):
        raise exc
    return response
