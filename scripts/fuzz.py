"""Fuzz every operation of the live OpenAPI schema with schemathesis (issue 7).

Serves the app under gunicorn with the production settings on a fresh PostgreSQL
database holding the demo listings (scripts/live_server.py), then runs schemathesis
against /api/schema/ twice: the reads as an anonymous client, the writes as a curator
(with a token). Exits non-zero on any finding, so CI (.ci/run) fails.

    .venv/bin/python scripts/fuzz.py              # what CI runs
    FUZZ_MAX_EXAMPLES=200 FUZZ_SEED=7 .venv/bin/python scripts/fuzz.py
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from live_server import DEMO_DATA, PROJECT, live_server

CHECKS = [
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
]
# Hypothesis generates up to this many cases per operation in the fuzzing phase (per
# mode: valid and invalid data); the examples and coverage phases add their own.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "50"))
# A fixed seed keeps CI repeatable; change it (or the count) to explore further.
SEED = os.environ.get("FUZZ_SEED", "20261128")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# Random slugs and entity tags almost always answer 404 and 412. So that the cases also
# reach the code behind those checks, most of them name a stored object (a demo listing,
# a neighborhood, a care level) and write with If-Match: * (the checks themselves have
# their tests in tests/test_write_api.py).
KNOWN_OBJECT_PROBABILITY = 0.7
CONFIG = """
[dictionaries.stored-slugs]
values = {slugs}

[dictionaries.any-etag]
values = ["*"]

[parameters]
"path.slug" = {{ dictionary = "stored-slugs", probability = {probability} }}
"header.If-Match" = {{ dictionary = "any-etag", probability = {probability} }}
"""


def write_config(directory):
    slugs = [listing["slug"] for listing in json.loads(DEMO_DATA.read_text())]
    slugs += ["echo-park", "long-beach", "iop", "residential"]
    path = Path(directory) / "schemathesis.toml"
    path.write_text(CONFIG.format(slugs=json.dumps(slugs), probability=KNOWN_OBJECT_PROBABILITY))
    return path


def schemathesis(server, config, *options):
    command = [
        str(SCHEMATHESIS),
        f"--config-file={config}",
        "run",
        f"{server.url}/api/schema/",
        f"--checks={','.join(CHECKS)}",
        f"--max-examples={MAX_EXAMPLES}",
        f"--seed={SEED}",
        "--generation-database=none",
        # NUL characters too: PostgreSQL refuses them in text (a 500 unless checked first).
        "--generation-allow-x00=true",
        "--header=X-Forwarded-Proto: https",
        "--request-timeout=30",
        # Hypothesis health checks judge the data generation (and time it), not the API.
        "--suppress-health-check=all",
        "--no-color",
        *options,
    ]
    print(
        "$",
        " ".join(c if "Token " not in c else "--header=Authorization: Token …" for c in command),
    )
    sys.stdout.flush()
    return subprocess.run(command, cwd=PROJECT, check=False).returncode


def main():
    with live_server(workers=2) as server, tempfile.TemporaryDirectory() as directory:
        config = write_config(directory)
        reads = schemathesis(server, config, "--include-method=GET")
        writes = schemathesis(
            server,
            config,
            "--include-method=POST",
            "--include-method=PUT",
            "--include-method=PATCH",
            "--include-method=DELETE",
            f"--header=Authorization: Token {server.token}",
        )
        if reads or writes:
            print(f"schemathesis found problems; the server's log: {server.log}")
            with server.log.open() as log:
                sys.stdout.write(log.read()[-20000:])
        return 1 if reads or writes else 0


if __name__ == "__main__":
    sys.exit(main())
