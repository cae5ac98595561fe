"""Benchmark of importing a large interchange file (issue 6): facilities per second and
peak memory of ``import_facilities``.

The file is written as a stream from the synthetic dataset of ``manage.py bench`` (one
record in memory at a time), then imported by ``manage.py import_facilities FILE`` in a
subprocess with this process's environment (so the same DATABASE_URL), whose peak
resident set size is read from the kernel when it exits. A peak that stays flat as N
grows shows that the import's memory is bounded. Only source='synthetic' facilities are
ever deleted.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from directory import bench
from directory.models import Facility

MIB = 2**20
SUBPROCESS_FAILED = "import_facilities exited with {code}: {stderr}"
NOT_ALL_IMPORTED = "expected {expected} synthetic facilities after the import, found {found}"


def write_interchange_file(path, count, *, seed, neighborhoods=None):
    """Write the synthetic records 0 … count - 1 of ``seed`` to path as an interchange file.

    One record at a time: ``[``, the records separated by ``,\\n``, ``]``. Return its size
    in bytes.
    """
    records = bench.synthetic_records(count, seed=seed, neighborhoods=neighborhoods)
    with open(path, "w", encoding="utf-8") as out:
        out.write("[")
        for index, record in enumerate(records):
            out.write(",\n" if index else "\n")
            out.write(json.dumps(record, ensure_ascii=False))
        out.write("\n]\n")
    return Path(path).stat().st_size


def import_in_subprocess(path):
    """Run ``manage.py import_facilities path``; return (its stdout, peak RSS in bytes).

    os.wait4 gives the rusage of that one child (RUSAGE_CHILDREN would be the largest of
    every child this process ever waited for). ru_maxrss is in KiB on Linux.
    """
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "import_facilities", path]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        child = subprocess.Popen(command, cwd=settings.BASE_DIR, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if child.returncode != 0:
            tail = stderr.read().decode("utf-8", errors="replace").strip()[-2000:]
            raise CommandError(SUBPROCESS_FAILED.format(code=child.returncode, stderr=tail))
        return stdout.read().decode("utf-8", errors="replace"), usage.ru_maxrss * 1024


class Command(BaseCommand):
    help = (
        "Benchmark import_facilities on a large file (issue 6): write N synthetic facilities "
        "to an interchange file, delete the synthetic facilities, import the file with "
        "`manage.py import_facilities` in a subprocess, and report facilities/second and the "
        "subprocess's peak memory. Only source='synthetic' facilities are ever deleted."
    )

    def add_arguments(self, parser):
        bench.add_dataset_arguments(parser)
        parser.add_argument(
            "--keep-file",
            action="store_true",
            help="keep the interchange file (its path is printed) instead of deleting it",
        )
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="import in this process (call_command) instead of a subprocess: for tests, "
            "whose database a subprocess cannot see; no peak memory is reported",
        )

    def handle(self, *args, facilities, seed, output, keep_file, keep, in_process, **options):
        if facilities < 1:
            raise CommandError("--facilities must be at least 1")
        try:
            bench.refuse_non_synthetic(keep=keep)
        except bench.BenchError as error:
            raise CommandError(str(error)) from None
        progress = self.stderr.write if options["verbosity"] >= 1 else (lambda message: None)
        neighborhoods = bench.NeighborhoodPicker.from_database()
        descriptor, path = tempfile.mkstemp(prefix="bench-import-", suffix=".json")
        os.close(descriptor)
        try:
            clock = time.perf_counter()
            size = write_interchange_file(path, facilities, seed=seed, neighborhoods=neighborhoods)
            write_seconds = time.perf_counter() - clock
            progress(f"wrote {facilities} facilities to {path} ({size / MIB:.1f} MiB)")
            with transaction.atomic():
                deleted = bench.delete_synthetic()
            progress(f"deleted {deleted} synthetic rows; importing")
            clock = time.perf_counter()
            if in_process:
                printed, peak_rss = StringIO(), None
                call_command("import_facilities", path, stdout=printed)
                printed = printed.getvalue()
            else:
                printed, peak_rss = import_in_subprocess(path)
            import_seconds = time.perf_counter() - clock
        finally:
            if keep_file:
                progress(f"kept {path}")
            else:
                Path(path).unlink(missing_ok=True)
        found = Facility.objects.filter(source=bench.SYNTHETIC).count()
        if found != facilities:
            raise CommandError(NOT_ALL_IMPORTED.format(expected=facilities, found=found))
        bench.refresh_statistics(compact=bool(deleted))
        report = {
            "facilities": facilities,
            "seed": seed,
            "file_bytes": size,
            "file_mib": round(size / MIB, 1),
            "write_seconds": round(write_seconds, 2),
            "import_seconds": round(import_seconds, 2),
            "facilities_per_second": round(facilities / import_seconds, 1),
            "peak_rss_mib": None if peak_rss is None else round(peak_rss / MIB, 1),
            "mode": "in-process" if in_process else "subprocess",
            "import_output": printed.strip(),
            "file": path if keep_file else None,
            "machine": bench.machine_info(),
        }
        if output:
            try:
                bench.write_report(output, report)
            except bench.BenchError as error:
                raise CommandError(str(error)) from None
        memory = (
            "peak RSS not measured (in-process)"
            if peak_rss is None
            else f"peak RSS {report['peak_rss_mib']} MiB"
        )
        self.stdout.write(
            f"imported {facilities} facilities from a {report['file_mib']} MiB file in "
            f"{report['import_seconds']} s on {report['machine']['db']['vendor']}: "
            f"{report['facilities_per_second']} facilities/s, {memory}"
        )
