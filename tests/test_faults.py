"""Database outage (issue 7): a running gunicorn answers 503 JSON while PostgreSQL is
unreachable and recovers by itself, with no restart, when it comes back.

The outage is played by a TCP proxy between the app and the real server (tests/tcp_proxy.py),
so the machine's PostgreSQL, which other tests use, keeps running. The app runs with the
production settings (DEBUG off) on a database of its own, created and dropped here.
"""

import http.client
import json
import subprocess
import sys
import time
import uuid

import environ
import pytest

from directory.api.errors import DATABASE_UNAVAILABLE
from scripts import live_server
from scripts.live_server import PROJECT, manage
from tests.factories import FacilityRecord
from tests.tcp_proxy import TcpProxy

UNAVAILABLE = {"detail": DATABASE_UNAVAILABLE}
REQUESTS_PER_CHECK = 4  # two workers: each of them answers some
# A well-formed session key: the session is looked up in the database.
SESSION_COOKIE = "sessionid=0123456789abcdef0123456789abcdef"


def connect(config, database):
    import psycopg

    return psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 5432),
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname=database,
        autocommit=True,
        connect_timeout=3,
    )


@pytest.fixture(scope="module")
def database():
    """Create a database of the test's own; yield (server config, its name); drop it."""
    import psycopg

    config = environ.Env.db_url_config(live_server.server_url())
    try:
        admin = connect(config, "postgres")
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    name = f"la_care_faults_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield config, name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def url(config, name, port):
    credentials = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgres://{credentials}@127.0.0.1:{port}/{name}"


def production_environment(database_url):
    return live_server.production_environment(database_url, DATABASE_CONNECT_TIMEOUT="3")


@pytest.fixture(scope="module")
def proxy(database):
    config, _ = database
    proxy = TcpProxy((config["HOST"] or "127.0.0.1", int(config["PORT"] or 5432)))
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def app(database, proxy, tmp_path_factory):
    """Yield the port of gunicorn (two workers) serving the app through the proxy."""
    config, name = database
    direct = production_environment(url(config, name, config["PORT"] or 5432))
    manage("migrate", "--no-input", env=direct, timeout=300)
    listings = tmp_path_factory.mktemp("faults") / "listings.json"
    listings.write_text(json.dumps([FacilityRecord(slug="steady-clinic", name="Steady Clinic")]))
    manage("import_facilities", str(listings), env=direct, timeout=300)
    port = live_server.free_port()
    log = (tmp_path_factory.mktemp("faults") / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--timeout=30",
        ],
        cwd=PROJECT,
        env=production_environment(url(config, name, proxy.port)),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_serving(port, server)
        yield port, server
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def wait_until_serving(port, server, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        try:
            if get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("gunicorn did not start serving")


def get(port, path, **headers):
    """Return (status, content type, Retry-After, parsed JSON body or raw text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "GET", path, headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https", **headers}
        )
        response = connection.getresponse()
        body = response.read().decode()
        content_type = response.getheader("Content-Type")
        if content_type == "application/json":
            body = json.loads(body)
        return response.status, content_type, response.getheader("Retry-After"), body
    finally:
        connection.close()


def answers(port, path, **headers):
    return [get(port, path, **headers) for _ in range(REQUESTS_PER_CHECK)]


def test_an_outage_answers_503_json_and_the_running_server_recovers(app, proxy):
    port, server = app
    listed = get(port, "/api/v1/facilities/")
    assert (listed[0], [f["slug"] for f in listed[3]["results"]]) == (200, ["steady-clinic"])

    proxy.cut()
    try:
        unavailable = (503, "application/json", "5", UNAVAILABLE)
        assert answers(port, "/api/v1/facilities/") == [unavailable] * REQUESTS_PER_CHECK
        assert (
            answers(port, "/api/v1/facilities/steady-clinic/") == [unavailable] * REQUESTS_PER_CHECK
        )
        assert (
            answers(port, "/healthz")
            == [
                (
                    503,
                    "application/json",
                    None,
                    {"status": "unavailable", "database": "unreachable"},
                )
            ]
            * REQUESTS_PER_CHECK
        )
        # With a session cookie, authentication reads the database: in DRF (the API
        # root itself reads nothing) ...
        assert (
            answers(port, "/api/v1/", Cookie=SESSION_COOKIE) == [unavailable] * REQUESTS_PER_CHECK
        )
        # ... and in a plain Django view (the admin's), answered by the 500 handler.
        assert (
            answers(port, "/admin/login/", Cookie=SESSION_COOKIE)
            == [unavailable] * REQUESTS_PER_CHECK
        )
    finally:
        proxy.restore()

    recovered = answers(port, "/api/v1/facilities/")
    assert [(status, body["count"]) for status, _, _, body in recovered] == [
        (200, 1)
    ] * REQUESTS_PER_CHECK
    assert (
        answers(port, "/healthz")
        == [(200, "application/json", None, {"status": "ok"})] * REQUESTS_PER_CHECK
    )
    assert server.poll() is None, "the same gunicorn serves throughout"


def test_healthz_answers_over_plain_http_for_load_balancers(app):
    port, _ = app
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())) == (200, {"status": "ok"})
    connection.request("GET", "/api/v1/facilities/", headers={"Host": "127.0.0.1"})
    response = connection.getresponse()
    response.read()
    assert (response.status, response.getheader("Location")) == (
        301,
        "https://127.0.0.1/api/v1/facilities/",
    )
    connection.close()
