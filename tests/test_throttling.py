"""Anonymous throttling (ANON_THROTTLE_RATE): 429 with Retry-After, per client address,
shared between processes through Redis, and never an outage of its own."""

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from directory.api.throttling import AnonymousRateThrottle

pytestmark = pytest.mark.django_db

URL = "/api/v1/care-levels/"
THROTTLED = {"detail": "Request was throttled. Expected available in 60 seconds."}
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def two_a_minute(settings, monkeypatch):
    settings.ANON_THROTTLE_RATE = "2/min"
    # A stopped clock: Retry-After is then exactly the rate's period, however slow the run.
    monkeypatch.setattr(AnonymousRateThrottle, "timer", staticmethod(lambda: 1_000_000.0))
    cache.clear()


def redis_reachable():
    host, port = REDIS_URL.split("//")[1].split("/")[0].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


def test_the_request_past_the_rate_answers_429_with_retry_after(api, two_a_minute):
    statuses = [api.get(URL).status_code for _ in range(2)]
    response = api.get(URL)
    assert statuses == [200, 200]
    assert (response.status_code, response.json(), response["Retry-After"]) == (
        429,
        THROTTLED,
        "60",
    )


def test_throttling_counts_per_client_address(api, two_a_minute):
    for _ in range(2):
        api.get(URL, REMOTE_ADDR="192.0.2.1")
    assert api.get(URL, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert api.get(URL, REMOTE_ADDR="192.0.2.2").status_code == 200


def test_a_forged_x_forwarded_for_does_not_escape_the_throttle(api, two_a_minute):
    statuses = [api.get(URL, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(3)]
    assert statuses == [200, 200, 429]


def test_behind_one_proxy_the_client_is_the_last_forwarded_address(api, two_a_minute, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for _ in range(2):
        api.get(URL, HTTP_X_FORWARDED_FOR="forged, 192.0.2.1")
    assert api.get(URL, HTTP_X_FORWARDED_FOR="other, 192.0.2.1").status_code == 429
    assert api.get(URL, HTTP_X_FORWARDED_FOR="192.0.2.2").status_code == 200


def test_none_switches_throttling_off(api, settings):
    settings.ANON_THROTTLE_RATE = "none"
    assert {api.get(URL).status_code for _ in range(5)} == {200}


def test_curators_are_not_throttled_as_anonymous(two_a_minute):
    curator = User.objects.create_user("sam", password="unused-in-tests", is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=curator).key}")
    assert {client.get(URL).status_code for _ in range(4)} == {200}


def test_an_unreachable_throttle_cache_lets_requests_through(api, settings, caplog):
    settings.ANON_THROTTLE_RATE = "2/min"
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    assert [api.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    assert "throttle cache unavailable, request let through" in caplog.text


THROTTLED_ELSEWHERE = """
import json, django
django.setup()
from django.test import Client
response = Client().get("/api/v1/care-levels/")
print(json.dumps([response.status_code, response.get("Retry-After")]))
"""


def test_processes_sharing_a_redis_cache_share_the_count(api, settings):
    """Two requests here, the third from another process: it is the one throttled."""
    if not redis_reachable():
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"throttle-test-{uuid.uuid4().hex}"
    settings.ANON_THROTTLE_RATE = "2/min"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    assert [api.get(URL).status_code for _ in range(2)] == [200, 200]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "CACHE_URL": REDIS_URL,
        "ANON_THROTTLE_RATE": "2/min",
        # The throttle answers before the view runs: that process never opens its database.
        "DATABASE_URL": "sqlite:////nonexistent/never-opened.sqlite3",
    }
    script = THROTTLED_ELSEWHERE.replace(
        "django.setup()",
        f"django.setup()\nfrom django.conf import settings\n"
        f"settings.CACHES['default']['KEY_PREFIX'] = {prefix!r}",
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    status, retry_after = json.loads(completed.stdout.strip().splitlines()[-1])
    # Seconds until the first of the two requests here leaves the minute's window.
    assert (status, 50 <= int(retry_after) <= 60) == (429, True)
    # The keys expire with the rate's period (a minute): nothing to clean up.
