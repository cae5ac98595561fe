"""Cached anonymous search answers (issue 6, directory.api.cache): a committed write of any
kind is never answered from the cache, nor is an answer past the minute or date it was
computed for, nor a curator's request."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from directory import schedule
from directory.api.cache import answer_key
from directory.api.permissions import CURATORS_GROUP
from directory.models import (
    CareLevel,
    Closure,
    DataVersion,
    Facility,
    Hours,
    Neighborhood,
    OpenSpan,
    Organization,
    Program,
    ServiceArea,
    Session,
)
from directory.services import facility_import
from tests.admin_support import make_curator
from tests.factories import FacilityRecord, HoursRecord, ProgramRecord, SessionRecord, load

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/facilities/?level=iop"


def names(api, url=SEARCH):
    response = api.get(url)
    assert response.status_code == 200, response.content
    return [facility["name"] for facility in response.json()["results"]]


def version():
    return DataVersion.objects.get(pk=1).number


@pytest.fixture
def clinic():
    load(
        FacilityRecord(
            slug="echo-park-iop",
            name="Echo Park IOP",
            hours=[HoursRecord(day="tue", opens_at="09:00", closes_at="18:00")],
            programs=[ProgramRecord(name="Evening IOP", level="iop", sessions=[SessionRecord()])],
        )
    )
    return Facility.objects.get(slug="echo-park-iop")


def test_a_repeated_search_is_answered_from_the_cache(api, clinic):
    first = api.get(SEARCH)
    with CaptureQueriesContext(connection) as queries:
        again = api.get(SEARCH)
    assert len(queries) == 1  # the data version
    assert again.content == first.content


def test_other_parameters_are_other_answers(api, clinic):
    assert names(api) == ["Echo Park IOP"]
    assert names(api, "/api/v1/facilities/?level=residential") == []
    programs = api.get("/api/v1/programs/?level=iop").json()["results"]
    assert [program["name"] for program in programs] == ["Evening IOP"]


def test_an_import_is_seen_at_once(api, clinic):
    assert names(api) == ["Echo Park IOP"]
    record = dict(FacilityRecord(slug="echo-park-iop", name="Echo Park Recovery"))
    record["programs"] = [dict(ProgramRecord(level="iop"))]
    assert facility_import(records=[record]).ok
    assert names(api) == ["Echo Park Recovery"]


def test_a_write_api_patch_is_seen_at_once(api, clinic):
    curator = User.objects.create_user("carla")
    curator.groups.add(Group.objects.get(name=CURATORS_GROUP))
    writer = APIClient()
    writer.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=curator).key}")
    etag = writer.get(f"/api/v1/facilities/{clinic.slug}/")["ETag"]
    assert names(api) == ["Echo Park IOP"]
    response = writer.patch(
        f"/api/v1/facilities/{clinic.slug}/",
        {"name": "Echo Park Renamed"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content
    assert names(api) == ["Echo Park Renamed"]


def test_an_admin_bulk_action_is_seen_at_once(api, client, clinic):
    client.force_login(make_curator())
    assert names(api) == ["Echo Park IOP"]
    response = client.post(
        "/admin/directory/facility/",
        {"action": "archive", "_selected_action": [clinic.pk]},
    )
    assert response.status_code == 302
    assert names(api) == []


def test_an_orm_update_of_a_program_is_seen_at_once(api, clinic):
    # (Not its care level: a facility search by level alone reads Facility.levels, which
    # a bulk update leaves as it was until refresh_levels, like every derived column.)
    accepting = "/api/v1/facilities/?level=iop&accepting=true"
    assert names(api, accepting) == ["Echo Park IOP"]
    Program.objects.filter(facility=clinic).update(accepting_new_clients=False)
    assert names(api, accepting) == []


@pytest.mark.parametrize(
    "model",
    [
        ServiceArea,
        Neighborhood,
        CareLevel,
        Organization,
        Facility,
        Program,
        Session,
        Hours,
        OpenSpan,
        Closure,
    ],
)
def test_every_write_to_a_directory_table_increments_the_data_version(clinic, model):
    Closure.objects.create(
        facility=clinic, starts_on=date(2026, 12, 25), ends_on=date(2026, 12, 25)
    )
    Organization.objects.create(slug="county", name="County")
    before = version()
    column = model._meta.pk.attname
    # An UPDATE that changes nothing still counts: the trigger cannot know, and need not.
    assert model.objects.update(**{column: F(column)}) > 0
    assert version() > before


def test_inserts_and_deletes_increment_it_too(clinic):
    before = version()
    closure = Closure.objects.create(
        facility=clinic, starts_on=date(2026, 12, 25), ends_on=date(2026, 12, 25)
    )
    after_insert = version()
    closure.delete()
    assert before < after_insert < version()


def test_history_tables_and_other_apps_leave_it_alone(clinic):
    before = version()
    User.objects.create_user("someone")
    Facility.history.filter(slug=clinic.slug).update(history_change_reason="note")
    assert version() == before


def test_a_curators_requests_are_not_cached(clinic):
    curator = User.objects.create_user("carla")
    curator.groups.add(Group.objects.get(name=CURATORS_GROUP))
    writer = APIClient()
    writer.force_authenticate(curator)
    writer.get(SEARCH)
    with CaptureQueriesContext(connection) as queries:
        assert writer.get(SEARCH).status_code == 200
    assert not any("directory_dataversion" in query["sql"] for query in queries)
    assert any("COUNT(*)" in query["sql"] for query in queries)


def test_no_cache_when_api_cache_seconds_is_zero(api, clinic, settings):
    settings.API_CACHE_SECONDS = 0
    api.get(SEARCH)
    with CaptureQueriesContext(connection) as queries:
        api.get(SEARCH)
    assert not any("directory_dataversion" in query["sql"] for query in queries)
    assert len(queries) == 3  # count, page (hours and closures as columns), programs


def test_errors_are_not_cached(api, clinic, rf_api):
    url = "/api/v1/facilities/?level=nope"
    first, again = api.get(url), api.get(url)
    assert (first.status_code, again.status_code) == (400, 400)
    assert again.json() == first.json()
    assert cache.get(answer_key(rf_api(url))) is None
    assert cache.get(answer_key(rf_api(SEARCH))) is None
    api.get(SEARCH)
    assert cache.get(answer_key(rf_api(SEARCH)))["count"] == 1


def at(monkeypatch, *args):
    instant = datetime(*args, tzinfo=schedule.LOS_ANGELES)
    monkeypatch.setattr(timezone, "now", lambda: instant)


def test_open_now_answers_change_on_the_closing_minute_and_just_after(api, clinic, monkeypatch):
    url = "/api/v1/facilities/?open_now=true"
    at(monkeypatch, 2026, 12, 1, 17, 59, 30)
    assert names(api, url) == ["Echo Park IOP"]
    at(monkeypatch, 2026, 12, 1, 18, 0, 0)  # the closing minute itself: still open
    assert names(api, url) == ["Echo Park IOP"]
    at(monkeypatch, 2026, 12, 1, 18, 0, 0, 1)  # just after
    assert names(api, url) == []
    at(monkeypatch, 2026, 12, 1, 18, 0, 59)
    assert names(api, url) == []
    at(monkeypatch, 2026, 12, 1, 17, 59, 59)  # back: its own minute's answer
    assert names(api, url) == ["Echo Park IOP"]


def test_needs_verification_changes_with_the_date(api, clinic, monkeypatch, settings):
    settings.STALE_AFTER_DAYS = 30
    Facility.objects.filter(pk=clinic.pk).update(verified_at=date(2026, 11, 1))
    at(monkeypatch, 2026, 12, 1, 23, 59)
    monkeypatch.setattr(timezone, "localdate", lambda *a: date(2026, 12, 1))
    first = api.get(SEARCH).json()["results"][0]["needs_verification"]
    at(monkeypatch, 2026, 12, 2, 0, 1)
    monkeypatch.setattr(timezone, "localdate", lambda *a: date(2026, 12, 2))
    second = api.get(SEARCH).json()["results"][0]["needs_verification"]
    assert (first, second) == (False, True)


def test_the_key_names_the_version_the_day_or_the_minute(rf_api, clinic):
    now = datetime(2026, 12, 1, 18, 0, tzinfo=schedule.LOS_ANGELES)
    day = answer_key(rf_api("/api/v1/facilities/?level=iop"), now=now)
    minute = answer_key(rf_api("/api/v1/facilities/?open_now=true"), now=now)
    later = answer_key(rf_api("/api/v1/facilities/?open_now=true"), now=now + timedelta(seconds=1))
    assert day.split(":")[:2] == ["directory.answer", str(version())]
    assert day.split(":")[2] == "2026-12-01"
    assert minute.split(":", 2)[2].startswith(f"{now.astimezone(UTC):%Y-%m-%dT%H:%M}=")
    assert later.split(":", 2)[2].startswith(f"{now.astimezone(UTC):%Y-%m-%dT%H:%M}+")


@pytest.fixture
def rf_api():
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    def make(url):
        request = Request(APIRequestFactory().get(url))
        request.user = AnonymousUser()
        return request

    return make
