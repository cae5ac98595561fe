"""Secure defaults (issue 7): the production settings refuse an insecure configuration,
pass `check --deploy` without a warning, redirect to HTTPS (except /healthz), send HSTS
and secure cookies; CORS answers only the configured origins."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
# The production environment the README documents, with a throwaway key.
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "t3st-only-Qm8x2Lr9Vw4Kp7Zs1Nc6Hb3Jf5Dg0Ty8Ue2Ia4Oo6Pq9Rr1Ss3Tt",
    "ALLOWED_HOSTS": "directory.example.org",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    "DATABASE_URL": "sqlite:////nonexistent/never-opened.sqlite3",
}
# Variables a developer's shell (or make) may carry that would change what is tested.
UNSET = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CACHE_URL",
    "CORS_ALLOWED_ORIGINS",
    "NUM_PROXIES",
} | {name for name in os.environ if name.startswith(("SECURE_", "SESSION_", "CSRF_"))}


def run(arguments, **environment):
    env = {name: value for name, value in os.environ.items() if name not in UNSET}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.update(environment)
    return subprocess.run(
        [sys.executable, *arguments], cwd=PROJECT, env=env, capture_output=True, text=True
    )


def production(**overrides):
    return {name: value for name, value in {**PRODUCTION, **overrides}.items() if value}


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY is not set."),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS is empty."),
    ],
)
def test_without_debug_the_app_refuses_to_start_without(missing, message):
    completed = run(["manage.py", "check"], **production(**{missing: ""}))
    assert completed.returncode == 1
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in completed.stderr


@pytest.mark.parametrize(
    "weak_key",
    ["too-short", "a" * 80, "django-insecure-" + "Qm8x2Lr9Vw4Kp7Zs1Nc6Hb3Jf5Dg0Ty8Ue2Ia4Oo6Pq9R"],
)
def test_without_debug_the_app_refuses_a_weak_secret_key(weak_key):
    completed = run(["manage.py", "check"], **production(SECRET_KEY=weak_key))
    assert completed.returncode == 1
    assert "ImproperlyConfigured: SECRET_KEY is too weak" in completed.stderr


def test_with_debug_a_development_key_is_used():
    completed = run(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.SECRET_KEY, settings.ALLOWED_HOSTS)",
        ],
        DEBUG="true",
    )
    assert completed.stdout.split(" ", 1)[0] == (
        "insecure-local-development-key-never-use-in-production"
    )


def test_check_deploy_finds_nothing_in_the_documented_production_settings():
    completed = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production())
    assert (completed.returncode, completed.stdout, completed.stderr) == (
        0,
        "System check identified no issues (0 silenced).\n",
        "",
    )


SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in %r}))
"""


def production_settings(*names, **environment):
    completed = run(["-c", SETTINGS % (names,)], **production(**environment))
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_production_defaults_are_the_strict_ones():
    assert production_settings(
        "SECURE_SSL_REDIRECT",
        "SECURE_REDIRECT_EXEMPT",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "X_FRAME_OPTIONS",
        "CORS_ALLOWED_ORIGINS",
    ) == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_REDIRECT_EXEMPT": ["^healthz$"],
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "X_FRAME_OPTIONS": "DENY",
        "CORS_ALLOWED_ORIGINS": [],
    }


def test_the_environment_overrides_the_production_defaults():
    assert production_settings(
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_PROXY_SSL_HEADER",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_PRELOAD="false",
        SECURE_PROXY_SSL_HEADER="",
    ) == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_a_proxy_header_needs_a_name_and_a_value():
    completed = run(["manage.py", "check"], **production(SECURE_PROXY_SSL_HEADER="HTTP_X_PROTO"))
    assert completed.returncode == 1
    assert "SECURE_PROXY_SSL_HEADER must be a header and a value" in completed.stderr


REQUESTS = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="directory.example.org")
answers = {}
for name, path, headers in [
    ("plain http", "/api/v1/", {}),
    ("https via the proxy", "/api/v1/", {"HTTP_X_FORWARDED_PROTO": "https"}),
    ("healthz over http", "/healthz", {}),
    ("other host", "/api/v1/", {"HTTP_HOST": "evil.example.com"}),
]:
    response = client.get(path, **headers)
    answers[name] = [
        response.status_code,
        response.get("Location"),
        response.get("Strict-Transport-Security"),
    ]
print(json.dumps(answers))
"""


def test_production_redirects_to_https_except_healthz_and_sends_hsts():
    completed = run(["-c", REQUESTS], **production())
    assert completed.returncode == 0, completed.stderr
    answers = json.loads(completed.stdout.strip().splitlines()[-1])
    assert answers == {
        "plain http": [301, "https://directory.example.org/api/v1/", None],
        "https via the proxy": [
            200,
            None,
            "max-age=31536000; includeSubDomains; preload",
        ],
        # The database file does not exist: /healthz answered (503) instead of redirecting.
        "healthz over http": [503, None, None],
        # A host name outside ALLOWED_HOSTS is refused (before any redirect).
        "other host": [400, None, None],
    }


# --- CORS (in process: django-cors-headers reads its settings per request) ------------------


@pytest.fixture
def allowed_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://finder.example.org"]


@pytest.mark.django_db
def test_an_allowed_origin_may_read(api, allowed_origin):
    response = api.get("/api/v1/care-levels/", HTTP_ORIGIN="https://finder.example.org")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://finder.example.org"
    assert response["Access-Control-Expose-Headers"] == "ETag, Retry-After"


@pytest.mark.django_db
def test_another_origin_gets_no_cors_headers(api, allowed_origin):
    response = api.get("/api/v1/care-levels/", HTTP_ORIGIN="https://evil.example.com")
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_a_preflight_from_an_allowed_origin_allows_reads_only(api, allowed_origin):
    response = api.options(
        "/api/v1/facilities/",
        HTTP_ORIGIN="https://finder.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://finder.example.org"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


def test_a_preflight_from_another_origin_is_not_allowed(api, allowed_origin):
    response = api.options(
        "/api/v1/facilities/",
        HTTP_ORIGIN="https://evil.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert "Access-Control-Allow-Origin" not in response


def test_without_configured_origins_nobody_gets_cors_headers(api, settings):
    settings.CORS_ALLOWED_ORIGINS = []
    response = api.options(
        "/api/v1/facilities/",
        HTTP_ORIGIN="https://finder.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert "Access-Control-Allow-Origin" not in response


def test_the_server_entry_point_refuses_to_start_without_debug_or_a_secret_key():
    completed = run(["-c", "import config.wsgi"])
    assert completed.returncode == 1
    assert "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set." in (
        completed.stderr
    )


def test_manage_py_defaults_to_local_development():
    completed = run(
        ["manage.py", "shell", "-c", "from django.conf import settings; print(settings.DEBUG)"]
    )
    assert (completed.returncode, completed.stdout.strip().splitlines()[-1]) == (0, "True")
