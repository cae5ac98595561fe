"""Load test (issue 7): 50 concurrent clients for 60 seconds against gunicorn, on loopback.

Serves the app with the production settings on a fresh PostgreSQL database holding
the demo listings plus a synthetic dataset (directory.bench, 2,000 facilities by
default), checks that every URL of the mix answers 200, then runs wrk with
scripts/loadtest.lua, which rotates through the mix. Prints the figures (p50/p95
latency, requests per second) and exits non-zero on any error or non-200 answer.
wrk stops by itself after the duration; everything stays on 127.0.0.1.

    make loadtest                                   # or scripts/loadtest.sh
    LOADTEST_DURATION=10 LOADTEST_WORKERS=3 .venv/bin/python scripts/loadtest.py
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from live_server import DEMO_DATA, FORWARDED_PROTO, live_server

DURATION = int(os.environ.get("LOADTEST_DURATION", "60"))
CONNECTIONS = int(os.environ.get("LOADTEST_CONNECTIONS", "50"))
THREADS = int(os.environ.get("LOADTEST_THREADS", "2"))
# gunicorn's sync workers; (2 × cores) + 1 is its own advice.
WORKERS = int(os.environ.get("LOADTEST_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
SYNTHETIC_FACILITIES = int(os.environ.get("LOADTEST_FACILITIES", "2000"))
LUA = Path(__file__).with_name("loadtest.lua")
DOWNTOWN = "34.0522,-118.2437"
ECHO_PARK = "34.0779,-118.2606"
# What front ends and referral coordinators ask (README examples, DESIGN §5 filters).
SEARCHES = [
    "/api/v1/facilities/",
    "/api/v1/facilities/?level=iop&available=mon-fri@18:00-21:30",
    "/api/v1/facilities/?max_level=php&lives_at_home=true&age=16",
    "/api/v1/facilities/?level=residential&dual_diagnosis=true&payment=medi-cal",
    "/api/v1/facilities/?open_at=2026-12-24T20:00&service_area=4",
    "/api/v1/facilities/?q=trauma%20family&language=ko",
    f"/api/v1/facilities/?near={ECHO_PARK}&radius_mi=5&level=iop&dual_diagnosis=true",
    f"/api/v1/facilities/?level=iop&dual_diagnosis=true&near={ECHO_PARK}&radius_mi=5"
    "&payment=medi-cal&language=es&available=weekdays@17:00-22:00",
    f"/api/v1/facilities/?near={DOWNTOWN}&radius_mi=10&payment=medi-cal&ordering=distance",
    "/api/v1/facilities/?open_now=true&payment=medi-cal",
    "/api/v1/facilities/?language=es&accepting=true&page=2",
    "/api/v1/facilities/?q=recovery&detox=true",
    "/api/v1/programs/?level=php&max_days_per_week=5&min_hours_per_week=20",
    "/api/v1/programs/?level=outpatient&telehealth=true&language=es",
    f"/api/v1/programs/?near={DOWNTOWN}&radius_mi=8&available=sat-sun@09:00-14:00",
    "/api/v1/care-levels/",
    "/api/v1/neighborhoods/?service_area=4&q=park",
]
DETAILS_FROM_DEMO = 10
LOAD_SYNTHETIC = """
from directory import bench
bench.load_dataset({count}, seed=bench.DEFAULT_SEED)
"""


def paths():
    listings = json.loads(DEMO_DATA.read_text())
    slugs = [listing["slug"] for listing in listings if listing.get("status") == "published"]
    details = [f"/api/v1/facilities/{slug}/" for slug in slugs[:DETAILS_FROM_DEMO]]
    # Searches are what the service is for: two of them for each page view of a listing.
    return SEARCHES * 2 + details


def check_every_path(url, mix):
    """Fail before the run if a URL of the mix does not answer 200."""
    for path in sorted(set(mix)):
        request = urllib.request.Request(url + path, headers=FORWARDED_PROTO)
        try:
            with urllib.request.urlopen(request, timeout=30):
                pass
        except urllib.error.HTTPError as error:
            raise SystemExit(f"{path} answered {error.code}: {error.read()[:300]!r}") from None


def main():
    wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    setup_code = LOAD_SYNTHETIC.format(count=SYNTHETIC_FACILITIES) if SYNTHETIC_FACILITIES else None
    mix = paths()
    with (
        live_server(workers=WORKERS, setup_code=setup_code) as server,
        tempfile.TemporaryDirectory() as directory,
    ):
        check_every_path(server.url, mix)
        path_file = Path(directory) / "paths.txt"
        path_file.write_text("\n".join(mix) + "\n")
        print(
            f"wrk: {CONNECTIONS} connections, {THREADS} threads, {DURATION} s, "
            f"{len(set(mix))} URLs; gunicorn: {WORKERS} workers; "
            f"{SYNTHETIC_FACILITIES} synthetic + demo facilities on PostgreSQL",
            flush=True,
        )
        completed = subprocess.run(
            [
                wrk,
                f"--threads={THREADS}",
                f"--connections={CONNECTIONS}",
                f"--duration={DURATION}s",
                "--timeout=10s",
                "--latency",
                f"--script={LUA}",
                server.url,
                "--",
                str(path_file),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    print(completed.stdout)
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    failures = sum(
        figures[name]
        for name in ("not_200", "connect_errors", "read_errors", "write_errors", "timeouts")
    )
    print(
        f"p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
        f"{figures['requests_per_second']:.0f} requests/s, "
        f"{figures['requests']} requests, {failures} errors or non-200 answers"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
