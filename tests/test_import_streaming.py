"""Importing a large interchange file (issue 6): streamed from the file, written in chunks
in one transaction, all or nothing across chunk boundaries, and its benchmark command.

``BATCH_SIZE`` is made 3 here so that a handful of records spans several chunks.
"""

import io
import json
import os
from io import StringIO
from pathlib import Path

import ijson
import pytest
from django.core.management import CommandError, call_command

from directory import bench, services
from directory.management.commands.bench_import import write_interchange_file
from directory.models import Facility, Organization, Program
from directory.services import facility_import, iter_interchange
from scripts.live_server import manage as run_manage
from tests.factories import FacilityRecord, ProgramRecord, load

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chunks_of_three(monkeypatch):
    monkeypatch.setattr(services, "BATCH_SIZE", 3)


def interchange_bytes(records, tail="\n]\n"):
    """Return an interchange file as export writes records: one per line."""
    return ("[\n" + ",\n".join(json.dumps(record) for record in records) + tail).encode()


def write(tmp_path, records, tail="\n]\n", name="facilities.json"):
    path = tmp_path / name
    path.write_bytes(interchange_bytes(records, tail))
    return path


def import_file(path, *arguments):
    stdout, stderr = StringIO(), StringIO()
    call_command("import_facilities", str(path), *arguments, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def failed_import(path, *arguments):
    stderr = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_facilities", str(path), *arguments, stderr=stderr)
    return str(error.value), stderr.getvalue()


def records(*slugs, **fields):
    return [FacilityRecord(slug=slug, **fields) for slug in slugs]


def nothing_stored():
    return not (
        Facility.objects.exists()
        or Facility.history.exists()
        or Program.objects.exists()
        or Organization.objects.exists()
    )


def test_the_c_backend_of_ijson_is_installed():
    assert ijson.backend == "yajl2_c"


def test_a_file_of_several_chunks_imports_every_record(tmp_path):
    slugs = [f"clinic-{n}" for n in range(8)]
    path = write(tmp_path, records(*slugs, programs=[ProgramRecord(name="Evening IOP")]))

    stdout, stderr = import_file(path)

    assert (stdout, stderr) == (f"{path}: created 8, updated 0 facilities\n", "")
    assert sorted(Facility.objects.values_list("slug", flat=True)) == slugs
    assert list(
        Program.objects.order_by("facility__slug").values_list("facility__slug", "name")
    ) == [(slug, "Evening IOP") for slug in slugs]
    assert sorted(Facility.history.values_list("slug", "history_change_reason")) == [
        (slug, services.IMPORT_CHANGE_REASON) for slug in slugs
    ]


def test_created_and_updated_are_told_apart_in_every_chunk():
    load(FacilityRecord(slug="b", name="Old B"), FacilityRecord(slug="f", name="Old F"))

    result = facility_import(records=iter(records("a", "b", "c", "d", "e", "f", "g")))

    assert (result.ok, result.created, result.updated) == (
        True,
        ["a", "c", "d", "e", "g"],
        ["b", "f"],
    )
    assert Facility.objects.get(slug="f").name == "F"
    assert Facility.objects.get(slug="f").version == 2


def test_each_chunk_is_written_before_the_next_is_read():
    stored_when_read = []

    def stream():
        for n in range(7):
            stored_when_read.append(Facility.objects.count())
            yield FacilityRecord(slug=f"clinic-{n}")

    assert facility_import(records=stream()).ok
    assert stored_when_read == [0, 0, 0, 3, 3, 3, 6]


def test_a_slug_repeated_in_a_later_chunk_names_the_first_record_and_writes_nothing(tmp_path):
    path = write(tmp_path, records("a", "b", "c", "d", "a", "e", "b"))

    error, stderr = failed_import(path)

    assert stderr == (
        "record 4 (a): slug: slug 'a' appears again (first in record 0)\n"
        "record 6 (b): slug: slug 'b' appears again (first in record 1)\n"
    )
    assert error == f"{path}: 2 problem(s) in 7 record(s); nothing was imported"
    assert nothing_stored()


def test_an_organization_named_another_way_in_a_later_chunk_writes_nothing():
    lantern = {"slug": "lantern", "name": "Lantern"}
    result = facility_import(
        records=iter(
            [
                *records("a", "b", organization=lantern),
                *records("c", "d"),
                *records("e", organization={"slug": "lantern", "name": "Lanterns"}),
            ]
        )
    )

    assert [str(problem) for problem in result.problems] == [
        "record 4 (e): organization.name: organization 'lantern' is named 'Lanterns' here "
        "but 'Lantern' in record 0"
    ]
    assert (result.created, result.updated) == (["a", "b", "c", "d"], [])
    assert nothing_stored()


def test_problems_in_every_chunk_are_reported_with_their_index_in_the_file(tmp_path):
    path = write(
        tmp_path,
        [
            FacilityRecord(slug="a"),
            FacilityRecord(slug="b", neighborhood="atlantis"),
            *records("c", "d", "e"),
            FacilityRecord(slug="f", programs=[ProgramRecord(level="nope")]),
            FacilityRecord(slug="g"),
        ],
    )

    error, stderr = failed_import(path)

    assert stderr == (
        "record 1 (b): neighborhood: unknown neighborhood 'atlantis'\n"
        "record 5 (f): programs[0].level: unknown care level 'nope'\n"
    )
    assert error == f"{path}: 2 problem(s) in 7 record(s); nothing was imported"
    assert nothing_stored()


def test_invalid_json_after_the_first_chunks_rolls_everything_back(tmp_path):
    load(FacilityRecord(slug="kept", name="Kept Name"))
    path = write(
        tmp_path,
        [FacilityRecord(slug="kept", name="Changed"), *records("a", "b", "c")],
        tail=',\n{"slug": "f4", "latitude": NaN}\n]\n',
    )

    error, _ = failed_import(path)

    assert error == (
        f"{path}: not valid JSON: lexical error: invalid char in json text. "
        """(after 4 complete record(s), at ', {"slug": "f4", "latitude": NaN} ]')"""
    )
    assert list(Facility.objects.values_list("slug", "name", "version")) == [
        ("kept", "Kept Name", 1)
    ]
    assert list(Facility.history.values_list("slug", "name")) == [("kept", "Kept Name")]


def test_a_file_cut_short_is_not_valid_json(tmp_path):
    path = write(tmp_path, records("a", "b", "c", "d"), tail=',\n{"slug": "e",')

    error, _ = failed_import(path)

    assert (
        error == f"{path}: not valid JSON: parse error: premature EOF (after 4 complete record(s))"
    )
    assert nothing_stored()


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ({"slug": "a"}, "dict"),
        ("a", "str"),
        (3, "int"),
        (2.5, "float"),
        (None, "NoneType"),
        (True, "bool"),
    ],
)
def test_a_file_that_is_not_an_array_says_what_it_holds(tmp_path, content, kind):
    path = tmp_path / "facilities.json"
    path.write_text(f"  \n{json.dumps(content)}\n", encoding="utf-8")

    error, _ = failed_import(path)

    assert error == f"{path}: the file must hold a JSON array of facilities, got {kind}"


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(
        json.dumps([{"slug": "pena", "name": "Peña"}], ensure_ascii=False).encode("latin-1")
    )

    error, _ = failed_import(path)

    assert error == (
        f"{path}: not UTF-8 text: lexical error: invalid bytes in UTF8 string. "
        """(after 0 complete record(s), at '{"slug": "pena", "name": "Pe\ufffda"}]')"""
    )


def test_a_byte_order_mark_is_refused(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + interchange_bytes(records("a")))

    error, _ = failed_import(path)

    assert error == (
        f"{path}: not valid JSON: the file begins with a byte order mark (BOM); "
        "save it as UTF-8 without one"
    )


def test_nan_in_a_file_is_not_valid_json_and_says_where():
    with pytest.raises(services.InterchangeError) as error:
        list(iter_interchange(io.BytesIO(b'[{"slug": "a", "latitude": NaN}]')))

    assert str(error.value) == (
        "not valid JSON: lexical error: invalid char in json text. "
        """(after 0 complete record(s), at '[{"slug": "a", "latitude": NaN}]')"""
    )


def test_numbers_come_out_as_json_loads_gives_them():
    text = b'[{"a": 1, "b": 1.0, "c": 1e3, "d": -0.5, "e": [34, -118.2606], "f": null}]'

    streamed = list(iter_interchange(io.BytesIO(text)))

    assert streamed == json.loads(text)
    assert [type(value) for value in streamed[0].values()] == [
        int,
        float,
        float,
        float,
        list,
        type(None),
    ]
    assert [type(value) for value in streamed[0]["e"]] == [int, float]


def test_dry_run_across_chunks_reports_and_writes_nothing(tmp_path):
    load(FacilityRecord(slug="e", name="Old E"))
    path = write(tmp_path, records("a", "b", "c", "d", "e", "f", "g"))

    stdout, _ = import_file(path, "--dry-run")
    result = facility_import(records=iter(records("a", "b", "c", "d", "e", "f", "g")), dry_run=True)

    assert stdout == (
        f"{path}: would create 6, would update 1 facilities (dry run: nothing written)\n"
    )
    assert (result.created, result.updated) == (["a", "b", "c", "d", "f", "g"], ["e"])
    assert list(Facility.objects.values_list("slug", "name", "version")) == [("e", "Old E", 1)]
    assert Facility.history.count() == 1


@pytest.mark.parametrize("binary", [True, False], ids=["stdin", "text-stream"])
def test_the_standard_input_is_read_with_a_dash(binary):
    data = interchange_bytes(records("a", "b", "c", "d"))
    stdin = (
        io.TextIOWrapper(io.BytesIO(data), encoding="utf-8") if binary else StringIO(data.decode())
    )
    stdout = StringIO()

    call_command("import_facilities", "-", stdin=stdin, stdout=stdout)

    assert stdout.getvalue() == "-: created 4, updated 0 facilities\n"
    assert sorted(Facility.objects.values_list("slug", flat=True)) == ["a", "b", "c", "d"]


# --- bench_import ----------------------------------------------------------------------------


def test_the_benchmark_file_holds_the_synthetic_dataset(tmp_path):
    path = tmp_path / "bench.json"

    size = write_interchange_file(path, 7, seed=5)

    assert size == path.stat().st_size
    assert json.loads(path.read_text(encoding="utf-8")) == list(bench.synthetic_records(7, seed=5))
    assert path.read_text(encoding="utf-8").count(",\n{") == 6


def test_bench_import_imports_the_file_and_reports(tmp_path):
    output = tmp_path / "report.json"
    stdout = StringIO()

    call_command(
        "bench_import",
        "--facilities=30",
        "--in-process",
        "--keep-file",
        f"--output={output}",
        stdout=stdout,
        verbosity=0,
    )

    report = json.loads(output.read_text())
    kept = Path(report["file"])
    try:
        assert json.loads(kept.read_text()) == list(
            bench.synthetic_records(30, seed=bench.DEFAULT_SEED)
        )
        assert report["file_bytes"] == kept.stat().st_size
    finally:
        kept.unlink()
    assert (report["facilities"], report["mode"], report["peak_rss_mib"]) == (
        30,
        "in-process",
        None,
    )
    assert report["import_output"] == f"{kept}: created 30, updated 0 facilities"
    assert report["facilities_per_second"] > 0
    assert Facility.objects.filter(source=bench.SYNTHETIC).count() == 30
    assert stdout.getvalue().startswith(
        f"imported 30 facilities from a {report['file_mib']} MiB file"
    )


def test_bench_import_spares_real_listings():
    load(FacilityRecord(slug="real-clinic", source="curated"))

    with pytest.raises(CommandError, match="1 facilities that are not synthetic .*'real-clinic'"):
        call_command("bench_import", "--facilities=3", "--in-process", verbosity=0)

    assert list(Facility.objects.values_list("slug", flat=True)) == ["real-clinic"]


def test_bench_import_measures_a_subprocess_on_its_own_database(tmp_path):
    """End to end: a scratch SQLite database, the import in a subprocess, its peak memory."""
    environment = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
    }
    output = tmp_path / "report.json"

    def manage(*arguments):
        return run_manage(*arguments, env=environment, timeout=300)

    manage("migrate", "--no-input", "-v0")
    printed = manage("bench_import", "--facilities=30", f"--output={output}", "-v0")

    report = json.loads(output.read_text())
    assert (report["facilities"], report["mode"], report["file"]) == (30, "subprocess", None)
    assert report["import_output"].endswith(": created 30, updated 0 facilities")
    assert 20 < report["peak_rss_mib"] < 1000
    assert printed.endswith(
        f"{report['facilities_per_second']} facilities/s, peak RSS {report['peak_rss_mib']} MiB\n"
    )
