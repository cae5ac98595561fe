"""The write API (issue 7): curators create, replace, patch and archive facilities with a
token, through the import's validation, and If-Match keeps two writers from silently
overwriting each other."""

import threading

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from directory import writes
from directory.api.errors import PreconditionFailed, PreconditionRequired
from directory.api.permissions import CURATORS_GROUP, IsCuratorOrReadOnly
from directory.models import Facility
from directory.services import facility_export
from tests.factories import FacilityRecord, HoursRecord, ProgramRecord, SessionRecord, load

pytestmark = pytest.mark.django_db

URL = "/api/v1/facilities/"


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def curator():
    user = User.objects.create_user("carla", password="unused-in-tests")
    user.groups.add(Group.objects.get(name=CURATORS_GROUP))
    return user


@pytest.fixture
def curator_api(curator):
    return client_for(curator)


@pytest.fixture
def echo_park():
    load(
        FacilityRecord(
            slug="echo-park-wellness",
            name="Echo Park Wellness",
            phone="(213) 555-0100",
            hours=[HoursRecord()],
            programs=[ProgramRecord(name="Evening IOP", level="iop", sessions=[SessionRecord()])],
        )
    )
    return Facility.objects.get(slug="echo-park-wellness")


def etag_of(slug, client):
    response = client.get(f"{URL}{slug}/")
    assert response.status_code == 200
    return response["ETag"]


def record(**fields):
    """Return an interchange record as a client sends it (JSON-ready)."""
    return dict(FacilityRecord(**fields))


# --- create -------------------------------------------------------------------------------


def test_a_curator_creates_a_facility(curator_api, api):
    response = curator_api.post(
        URL,
        record(slug="harbor-house", name="Harbor House", programs=[ProgramRecord(name="IOP")]),
        format="json",
    )
    facility = Facility.objects.get(slug="harbor-house")
    assert response.status_code == 201
    assert response["Location"] == "http://testserver/api/v1/facilities/harbor-house/"
    assert response["ETag"] == writes.facility_etag(facility)
    assert response.json() == api.get(f"{URL}harbor-house/").json()
    assert (response.json()["name"], response.json()["programs"][0]["name"]) == (
        "Harbor House",
        "IOP",
    )
    assert facility.version == 1


def test_a_record_without_an_address_gets_the_empty_one(curator_api):
    """Found by the fuzzer: the import crashed (500) on a record without an address."""
    response = curator_api.post(URL, {"slug": "no-address", "name": "No Address"}, format="json")
    assert (response.status_code, response.json()["address"]) == (
        201,
        {"street": "", "city": "", "state": "CA", "postal_code": ""},
    )


def test_a_record_without_status_is_created_as_a_hidden_draft(curator_api, api):
    draft = record(slug="quiet-draft")
    del draft["status"]
    response = curator_api.post(URL, draft, format="json")
    assert (response.status_code, response.json()["status"]) == (201, "draft")
    assert api.get(f"{URL}quiet-draft/").status_code == 404
    assert api.get(URL).json()["results"] == []


def test_create_reports_every_problem_by_field_and_writes_nothing(curator_api):
    bad = record(
        slug="harbor-house",
        languages=["en", "xx"],
        programs=[
            ProgramRecord(
                name="IOP", sessions=[SessionRecord(day="mon"), SessionRecord(day="funday")]
            )
        ],
        colour="blue",
    )
    response = curator_api.post(URL, bad, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "languages": [
            "unknown language 'xx': expected an ISO 639-1 two-letter code (e.g. 'es') or 'asl'"
        ],
        "programs[0].sessions[1].day": ["unknown day 'funday'"],
        "colour": ["unknown field"],
    }
    assert not Facility.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ([], {"non_field_errors": ["expected an object, got list"]}),
        ("text", {"non_field_errors": ["expected an object, got str"]}),
        ({}, {"slug": ["This field is required."], "name": ["This field is required."]}),
    ],
)
def test_create_needs_an_object_with_slug_and_name(curator_api, body, errors):
    response = curator_api.post(URL, body, format="json")
    assert (response.status_code, response.json()) == (400, errors)


def test_malformed_json_answers_400(curator_api):
    response = curator_api.post(URL, "{", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


@pytest.mark.parametrize("status", ["published", "draft", "archived"])
def test_creating_a_taken_slug_answers_409_and_changes_nothing(curator_api, status):
    load(FacilityRecord(slug="harbor-house", name="Harbor House", status=status))
    response = curator_api.post(URL, record(slug="harbor-house", name="Other"), format="json")
    assert (response.status_code, response.json()) == (
        409,
        {"slug": [writes.SLUG_TAKEN.format(slug="harbor-house")]},
    )
    facility = Facility.objects.get()
    assert (facility.name, facility.version) == ("Harbor House", 1)


# --- who may write ------------------------------------------------------------------------


WRITES = [
    ("post", URL),
    ("put", f"{URL}echo-park-wellness/"),
    ("patch", f"{URL}echo-park-wellness/"),
    ("delete", f"{URL}echo-park-wellness/"),
]


@pytest.mark.parametrize(("method", "url"), WRITES)
def test_anonymous_writes_answer_401_naming_the_token_scheme(api, echo_park, method, url):
    response = getattr(api, method)(url, {"name": "X"}, format="json", HTTP_IF_MATCH="*")
    assert (response.status_code, response.json()) == (
        401,
        {"detail": "Authentication credentials were not provided."},
    )
    assert response["WWW-Authenticate"] == "Token"
    assert Facility.objects.get().version == 1


@pytest.mark.parametrize(("method", "url"), WRITES)
def test_writes_of_users_who_are_not_curators_answer_403(echo_park, method, url):
    member = client_for(User.objects.create_user("member", password="unused-in-tests"))
    response = getattr(member, method)(url, {"name": "X"}, format="json", HTTP_IF_MATCH="*")
    assert (response.status_code, response.json()) == (
        403,
        {"detail": IsCuratorOrReadOnly.message},
    )
    assert Facility.objects.get().version == 1


def test_staff_may_write_without_being_in_the_group(echo_park):
    staff = client_for(User.objects.create_user("sam", password="unused-in-tests", is_staff=True))
    response = staff.patch(
        f"{URL}echo-park-wellness/", {"name": "Renamed"}, format="json", HTTP_IF_MATCH="*"
    )
    assert (response.status_code, response.json()["name"]) == (200, "Renamed")


def test_an_inactive_curators_token_answers_401(curator, echo_park):
    client = client_for(curator)
    curator.is_active = False
    curator.save()
    response = client.patch(f"{URL}echo-park-wellness/", {}, format="json", HTTP_IF_MATCH="*")
    assert (response.status_code, response.json()) == (
        401,
        {"detail": "User inactive or deleted."},
    )


def test_an_unknown_token_answers_401_even_on_reads(api, echo_park):
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    response = api.get(f"{URL}echo-park-wellness/")
    assert (response.status_code, response.json()) == (401, {"detail": "Invalid token."})


def test_token_writes_need_no_csrf_token(curator):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=curator).key}")
    response = client.post(URL, record(slug="harbor-house"), format="json")
    assert response.status_code == 201


def test_session_writes_need_a_csrf_token(curator):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(curator)
    response = client.post(URL, record(slug="harbor-house"), format="json")
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "CSRF Failed: CSRF cookie not set."},
    )
    assert not Facility.objects.exists()


# --- reads: ETag, If-None-Match, drafts ---------------------------------------------------


def test_a_facility_has_a_strong_quoted_etag_from_slug_and_version(api, echo_park):
    response = api.get(f"{URL}echo-park-wellness/")
    etag = response["ETag"]
    assert etag.startswith('"echo-park-wellness.1.') and etag.endswith('"')
    assert len(etag) == len('"echo-park-wellness.1.12345678"')


def test_the_etag_changes_with_every_write(api, curator_api, echo_park):
    first = etag_of("echo-park-wellness", api)
    curator_api.patch(
        f"{URL}echo-park-wellness/", {"phone": "1"}, format="json", HTTP_IF_MATCH=first
    )
    second = etag_of("echo-park-wellness", api)
    assert second.startswith('"echo-park-wellness.2.')
    assert second != first


def test_the_etag_changes_when_the_listing_goes_stale(api, echo_park, settings):
    settings.STALE_AFTER_DAYS = 100000
    fresh = etag_of("echo-park-wellness", api)
    settings.STALE_AFTER_DAYS = 0
    stale = etag_of("echo-park-wellness", api)
    assert fresh.rsplit(".", 1)[0] == stale.rsplit(".", 1)[0]
    assert fresh != stale


def test_the_etag_changes_when_another_listing_renames_the_organization(api, echo_park):
    load(FacilityRecord(slug="echo-park-wellness", organization={"slug": "o", "name": "Old"}))
    before = etag_of("echo-park-wellness", api)
    load(FacilityRecord(slug="sister-site", organization={"slug": "o", "name": "New"}))
    assert etag_of("echo-park-wellness", api) != before


@pytest.mark.parametrize("held", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_if_none_match_with_the_current_etag_answers_304(api, echo_park, held):
    etag = etag_of("echo-park-wellness", api)
    response = api.get(f"{URL}echo-park-wellness/", HTTP_IF_NONE_MATCH=held.format(etag=etag))
    assert (response.status_code, response.content, response["ETag"]) == (304, b"", etag)


@pytest.mark.parametrize("held", ['"echo-park-wellness.0.00000000"', "garbage", ""])
def test_if_none_match_with_another_etag_answers_200(api, echo_park, held):
    response = api.get(f"{URL}echo-park-wellness/", HTTP_IF_NONE_MATCH=held)
    assert (response.status_code, response.json()["slug"]) == (200, "echo-park-wellness")


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_a_curator_reads_drafts_and_archived_facilities_one_at_a_time(curator_api, api, status):
    load(FacilityRecord(slug="hidden", status=status))
    response = curator_api.get(f"{URL}hidden/")
    assert (response.status_code, response.json()["status"]) == (200, status)
    assert response["ETag"] == writes.facility_etag(Facility.objects.get())
    assert api.get(f"{URL}hidden/").status_code == 404
    assert curator_api.get(URL).json()["results"] == []


# --- replace (PUT) ------------------------------------------------------------------------


def test_put_replaces_the_whole_record(api, curator_api, echo_park):
    etag = etag_of("echo-park-wellness", api)
    replacement = record(
        name="Echo Park Wellness Center",
        programs=[ProgramRecord(name="Day Program", level="php")],
    )
    del replacement["slug"]
    response = curator_api.put(
        f"{URL}echo-park-wellness/", replacement, format="json", HTTP_IF_MATCH=etag
    )
    facility = Facility.objects.get()
    assert response.status_code == 200
    assert response["ETag"] == writes.facility_etag(facility) != etag
    assert response.json() == api.get(f"{URL}echo-park-wellness/").json()
    assert facility_export() == [{**replacement, "slug": "echo-park-wellness"}]
    assert facility.version == 2


def test_put_without_if_match_answers_428_and_changes_nothing(curator_api, echo_park):
    response = curator_api.put(
        f"{URL}echo-park-wellness/", record(slug="echo-park-wellness"), format="json"
    )
    assert (response.status_code, response.json()) == (
        428,
        {"detail": PreconditionRequired.default_detail},
    )
    assert Facility.objects.get().version == 1


@pytest.mark.parametrize(
    "held",
    ['"echo-park-wellness.0.00000000"', "W/{etag}", "{etag_unquoted}", "garbage", ""],
)
def test_a_stale_or_weak_if_match_answers_412_and_changes_nothing(
    api, curator_api, echo_park, held
):
    etag = etag_of("echo-park-wellness", api)
    before = facility_export()
    response = curator_api.put(
        f"{URL}echo-park-wellness/",
        record(slug="echo-park-wellness", name="Overwritten"),
        format="json",
        HTTP_IF_MATCH=held.format(etag=etag, etag_unquoted=etag.strip('"')),
    )
    assert (response.status_code, response.json()) == (
        412,
        {"detail": PreconditionFailed.default_detail},
    )
    assert facility_export() == before


def test_if_match_may_list_several_etags(api, curator_api, echo_park):
    etag = etag_of("echo-park-wellness", api)
    response = curator_api.patch(
        f"{URL}echo-park-wellness/",
        {"name": "New"},
        format="json",
        HTTP_IF_MATCH=f'"echo-park-wellness.0.00000000", {etag}',
    )
    assert response.status_code == 200


def test_put_of_an_unknown_slug_answers_404(curator_api):
    response = curator_api.put(
        f"{URL}nowhere/", record(slug="nowhere"), format="json", HTTP_IF_MATCH="*"
    )
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "No Facility matches the given query."},
    )
    assert not Facility.objects.exists()


def test_put_cannot_change_the_slug(curator_api, echo_park):
    response = curator_api.put(
        f"{URL}echo-park-wellness/", record(slug="elsewhere"), format="json", HTTP_IF_MATCH="*"
    )
    assert (response.status_code, response.json()) == (
        400,
        {"slug": [writes.SLUG_MISMATCH.format(given="elsewhere", slug="echo-park-wellness")]},
    )
    assert list(Facility.objects.values_list("slug", "version")) == [("echo-park-wellness", 1)]


def test_an_invalid_put_answers_400_and_changes_nothing(api, curator_api, echo_park):
    etag = etag_of("echo-park-wellness", api)
    before = facility_export()
    response = curator_api.put(
        f"{URL}echo-park-wellness/",
        record(slug="echo-park-wellness", neighborhood="atlantis"),
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "neighborhood": ["unknown neighborhood 'atlantis'"],
        },
    )
    assert facility_export() == before
    assert etag_of("echo-park-wellness", api) == etag


# --- patch --------------------------------------------------------------------------------


def test_patch_replaces_only_the_given_top_level_fields(api, curator_api, echo_park):
    before = facility_export()[0]
    etag = etag_of("echo-park-wellness", api)
    response = curator_api.patch(
        f"{URL}echo-park-wellness/",
        {"phone": "(213) 555-0199", "languages": ["ko", "en"]},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200
    assert facility_export() == [{**before, "phone": "(213) 555-0199", "languages": ["en", "ko"]}]
    assert response.json()["programs"][0]["name"] == "Evening IOP"


def test_patch_checks_the_merged_record_as_a_whole(curator_api, echo_park):
    before = facility_export()
    # Coordinates go together: the stored longitude stays, so a null latitude breaks the pair.
    response = curator_api.patch(
        f"{URL}echo-park-wellness/", {"latitude": None}, format="json", HTTP_IF_MATCH="*"
    )
    assert (response.status_code, response.json()) == (
        400,
        {"latitude": ["latitude and longitude go together: give both or neither"]},
    )
    assert facility_export() == before


@pytest.mark.parametrize("body", [[], "text", 3])
def test_patch_needs_an_object(curator_api, echo_park, body):
    response = curator_api.patch(
        f"{URL}echo-park-wellness/", body, format="json", HTTP_IF_MATCH="*"
    )
    kind = type(body).__name__
    assert (response.status_code, response.json()) == (
        400,
        {"non_field_errors": [writes.NOT_AN_OBJECT.format(kind=kind)]},
    )


def test_patch_reports_nested_problems_by_path(curator_api, echo_park):
    response = curator_api.patch(
        f"{URL}echo-park-wellness/",
        {"programs": [ProgramRecord(sessions=[SessionRecord(), SessionRecord(day="funday")])]},
        format="json",
        HTTP_IF_MATCH="*",
    )
    assert (response.status_code, response.json()) == (
        400,
        {"programs[0].sessions[1].day": ["unknown day 'funday'"]},
    )


# --- archive (DELETE) ---------------------------------------------------------------------


def test_delete_archives_the_facility_keeping_its_data_and_history(api, curator_api, echo_park):
    etag = etag_of("echo-park-wellness", api)
    before = facility_export()[0]
    response = curator_api.delete(f"{URL}echo-park-wellness/", HTTP_IF_MATCH=etag)
    facility = Facility.objects.get()
    assert (response.status_code, response.content) == (204, b"")
    assert response["ETag"] == writes.facility_etag(facility)
    assert facility_export() == [{**before, "status": "archived"}]
    assert api.get(f"{URL}echo-park-wellness/").status_code == 404
    assert curator_api.get(f"{URL}echo-park-wellness/").json()["status"] == "archived"
    assert [h.status for h in facility.history.order_by("history_date", "history_id")] == [
        "published",
        "archived",
    ]


def test_an_archived_facility_is_published_again_with_patch(api, curator_api, echo_park):
    curator_api.delete(f"{URL}echo-park-wellness/", HTTP_IF_MATCH="*")
    etag = etag_of("echo-park-wellness", curator_api)
    response = curator_api.patch(
        f"{URL}echo-park-wellness/", {"status": "published"}, format="json", HTTP_IF_MATCH=etag
    )
    assert (response.status_code, response.json()["status"]) == (200, "published")
    public = api.get(f"{URL}echo-park-wellness/")
    assert (public.status_code, public.json()["slug"], public.json()["status"]) == (
        200,
        "echo-park-wellness",
        "published",
    )


def test_deleting_an_archived_facility_changes_nothing(curator_api, echo_park):
    curator_api.delete(f"{URL}echo-park-wellness/", HTTP_IF_MATCH="*")
    response = curator_api.delete(f"{URL}echo-park-wellness/", HTTP_IF_MATCH="*")
    assert response.status_code == 204
    assert Facility.objects.get().version == 2


def test_delete_without_if_match_answers_428(curator_api, echo_park):
    response = curator_api.delete(f"{URL}echo-park-wellness/")
    assert response.status_code == 428
    assert Facility.objects.get().status == "published"


def test_delete_with_a_stale_etag_answers_412(api, curator_api, echo_park):
    stale = etag_of("echo-park-wellness", api)
    curator_api.patch(f"{URL}echo-park-wellness/", {"phone": "1"}, format="json", HTTP_IF_MATCH="*")
    response = curator_api.delete(f"{URL}echo-park-wellness/", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert Facility.objects.get().status == "published"


# --- no lost updates ----------------------------------------------------------------------


def test_of_two_writers_who_read_the_same_version_the_second_is_refused(
    api, curator_api, echo_park
):
    etag = etag_of("echo-park-wellness", api)
    first = curator_api.patch(
        f"{URL}echo-park-wellness/", {"phone": "first"}, format="json", HTTP_IF_MATCH=etag
    )
    second = curator_api.patch(
        f"{URL}echo-park-wellness/", {"name": "second"}, format="json", HTTP_IF_MATCH=etag
    )
    assert (first.status_code, second.status_code) == (200, 412)
    facility = Facility.objects.get()
    assert (facility.phone, facility.name) == ("first", "Echo Park Wellness")


def test_writes_record_the_curator_in_the_history(curator, curator_api, echo_park):
    curator_api.patch(f"{URL}echo-park-wellness/", {"phone": "1"}, format="json", HTTP_IF_MATCH="*")
    latest = Facility.objects.get().history.latest("history_date")
    assert (latest.phone, latest.history_user) == ("1", curator)


@pytest.mark.django_db(transaction=True)
def test_a_write_waits_for_a_concurrent_one_then_is_refused():
    """Two transactions on PostgreSQL: the second writer blocks on the row lock, then sees
    the first writer's version and is refused, instead of overwriting it."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; row locks are PostgreSQL's")
    load(FacilityRecord(slug="contested", name="Contested"))
    etag = writes.facility_etag(Facility.objects.select_related("organization").get())
    locked, outcome = threading.Event(), {}

    def second_writer():
        locked.wait(timeout=10)
        try:
            writes.facility_patch(slug="contested", changes={"name": "Second"}, if_match=[etag])
            outcome["second"] = "written"
        except writes.FacilityChanged:
            outcome["second"] = "refused"
        finally:
            connection.close()

    thread = threading.Thread(target=second_writer)
    thread.start()
    with transaction.atomic():
        # The first writer holds the lock while the second one tries.
        Facility.objects.select_for_update().get(slug="contested")
        locked.set()
        thread.join(timeout=1)
        assert thread.is_alive(), "the second writer should wait for the lock"
        writes.facility_patch(slug="contested", changes={"name": "First"}, if_match=[etag])
    thread.join(timeout=10)
    assert outcome == {"second": "refused"}
    assert Facility.objects.get().name == "First"
