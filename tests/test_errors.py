"""Error answers are JSON under /api/: unknown routes, malformed slugs (which must never
reach PostgreSQL, where a NUL character is a 500), and Django's 500 handler."""

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from directory.api.errors import (
    DATABASE_UNAVAILABLE,
    NOT_FOUND,
    SERVER_ERROR,
    server_error,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/facilities/a%00b/",
        "/api/v1/facilities/a.b/",
        "/api/v1/care-levels/a%00b/",
        "/api/v1/neighborhoods/echo%00park/",
        "/api/v1/no-such-collection/",
    ],
)
def test_a_path_no_route_matches_answers_404_json(api, path):
    response = api.get(path)
    assert (response.status_code, response["Content-Type"], response.json()) == (
        404,
        "application/json",
        {"detail": NOT_FOUND},
    )


@pytest.mark.parametrize("path", ["/api/v1/programs/1%00/", "/api/v1/service-areas/1%00/"])
def test_a_malformed_number_answers_404_json(api, path):
    response = api.get(path)
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


def test_outside_the_api_an_unknown_path_is_django_s_page(api):
    response = api.get("/no-such-page")
    assert (response.status_code, response["Content-Type"]) == (404, "text/html; charset=utf-8")


def handled(path, error):
    """Return the 500 handler's answer while ``error`` is being handled, as Django calls it."""
    request = RequestFactory().get(path)
    try:
        raise error
    except Exception:
        return server_error(request)


@pytest.mark.parametrize("path", ["/api/v1/facilities/", "/admin/", "/healthz"])
def test_the_500_handler_answers_503_json_when_the_database_is_unreachable(path):
    response = handled(path, OperationalError("connection refused"))
    assert (response.status_code, response["Retry-After"], response.content) == (
        503,
        "5",
        f'{{"detail":"{DATABASE_UNAVAILABLE}"}}'.encode(),
    )


def test_the_500_handler_answers_json_under_the_api():
    response = handled("/api/v1/facilities/", ValueError("a bug"))
    assert (response.status_code, response.content) == (
        500,
        f'{{"detail":"{SERVER_ERROR}"}}'.encode(),
    )


def test_the_500_handler_answers_django_s_page_elsewhere():
    response = handled("/admin/", ValueError("a bug"))
    assert (response.status_code, response["Content-Type"]) == (500, "text/html; charset=utf-8")
