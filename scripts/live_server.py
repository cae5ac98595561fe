"""Serve the app under gunicorn with the production settings, on a database of its own,
for the fuzz and load tests (scripts/fuzz.py, scripts/loadtest.py).

The database is created on the PostgreSQL server of ``DATABASE_URL`` (or the local one
on 127.0.0.1:5432), migrated and loaded with the demo listings; it is dropped, and
gunicorn stopped, when the ``live_server`` block ends. Everything stays on loopback.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
DEMO_DATA = PROJECT / "fixtures" / "demo_facilities.json"
# The reverse proxy's header (docs/operations.md); clients here send it themselves.
FORWARDED_PROTO = {"X-Forwarded-Proto": "https"}
CREATE_CURATOR = """
import django
django.setup()
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
user = User.objects.create_user("live-server-curator")
user.groups.add(Group.objects.get(name="Curators"))
print(Token.objects.create(user=user).key)
"""


@dataclass(frozen=True)
class LiveServer:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    token: str  # a curator's API token
    database_url: str
    log: Path


def server_url():
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else DEFAULT_SERVER


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_environment(database_url, **extra):
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SECURE_", "CACHE_", "CORS_", "ANON_", "DEBUG"))
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "DATABASE_URL": database_url,
        # One client address sends everything: the throttle would answer most with 429.
        "ANON_THROTTLE_RATE": "none",
        **extra,
    }


@contextmanager
def scratch_database():
    """Yield the URL of a new, empty PostgreSQL database; drop it afterwards."""
    import environ
    import psycopg

    config = environ.Env.db_url_config(server_url())
    host, port = config["HOST"] or "127.0.0.1", int(config["PORT"] or 5432)
    user, password = config["USER"] or "postgres", config["PASSWORD"] or ""
    name = f"la_care_live_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(
        host=host, port=port, user=user, password=password or None, dbname="postgres"
    )
    admin.autocommit = True
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            credentials = user + (f":{password}" if password else "")
            yield f"postgres://{credentials}@{host}:{port}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*arguments, env, timeout=None):
    """Run ``manage.py arguments`` with the environment ``env``; return its stdout.

    On failure, writes its output to stderr and exits (a test using it fails with it).
    """
    completed = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"manage.py {' '.join(arguments)} failed")
    return completed.stdout


def wait_until_serving(url, server, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited before serving")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start serving in time")


@contextmanager
def live_server(*, workers=2, log_directory=None, setup_code=None, **environment):
    """Yield a LiveServer: gunicorn on a fresh database with the demo listings.

    ``setup_code``, if given, is Python run (after django.setup()) once the demo
    listings are in, e.g. to add more data; ``environment`` adds or overrides settings.
    """
    with scratch_database() as database_url:
        env = production_environment(database_url, **environment)
        manage("migrate", "--no-input", env=env)
        manage("import_facilities", str(DEMO_DATA), env=env)
        if setup_code:
            subprocess.run(
                [sys.executable, "-c", f"import django\ndjango.setup()\n{setup_code}"],
                cwd=PROJECT,
                env=env,
                check=True,
            )
        token = subprocess.run(
            [sys.executable, "-c", CREATE_CURATOR],
            cwd=PROJECT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        port = free_port()
        log_directory = Path(log_directory or PROJECT / "tmp")
        log_directory.mkdir(parents=True, exist_ok=True)
        log = log_directory / f"gunicorn-{port}.log"
        with log.open("w") as log_file:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi:application",
                    f"--bind=127.0.0.1:{port}",
                    f"--workers={workers}",
                    "--timeout=60",
                    "--access-logfile=-",
                ],
                cwd=PROJECT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
            try:
                url = f"http://127.0.0.1:{port}"
                wait_until_serving(url, server)
                yield LiveServer(url=url, token=token, database_url=database_url, log=log)
            finally:
                server.terminate()
                server.wait(timeout=30)
