#!/usr/bin/env bash
# Load test: 50 concurrent clients for 60 s against gunicorn on loopback (scripts/loadtest.py).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
exec .venv/bin/python scripts/loadtest.py "$@"
