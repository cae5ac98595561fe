"""Bulk import in the admin: upload an interchange file, read the dry-run summary, confirm;
the same import service as the command, all or nothing."""

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from directory import admin as directory_admin
from directory.models import Facility, Neighborhood
from directory.services import IMPORT_CHANGE_REASON
from tests.admin_support import make_curator
from tests.factories import FacilityRecord, ProgramRecord, SessionRecord, load

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:directory_facility_import")
CHANGELIST = reverse("admin:directory_facility_changelist")


@pytest.fixture
def curator(client):
    client.force_login(make_curator())
    return client


def upload(records, name="batch.json"):
    text = records if isinstance(records, str) else json.dumps(records)
    return SimpleUploadedFile(name, text.encode(), content_type="application/json")


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def test_the_dry_run_shows_what_would_be_created_and_updated_and_writes_nothing(curator):
    load(FacilityRecord(slug="harbor-house", name="Harbor House"))
    records = [
        FacilityRecord(slug="harbor-house", name="Harbor House (renamed)"),
        FacilityRecord(slug="echo-clinic"),
        FacilityRecord(slug="valley-place"),
    ]
    response = curator.post(IMPORT, {"file": upload(records)})
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.created, result.updated, result.problems) == (
        ["echo-clinic", "valley-place"],
        ["harbor-house"],
        [],
    )
    html = response.content.decode()
    assert '<strong id="created-count">2</strong>' in html
    assert '<strong id="updated-count">1</strong>' in html
    assert '<span id="created-slugs">echo-clinic, valley-place</span>' in html
    assert 'id="confirm-import"' in html
    assert list(Facility.objects.values_list("slug", "name")) == [("harbor-house", "Harbor House")]


def test_confirming_imports_the_file_with_the_curator_in_the_history(curator):
    load(FacilityRecord(slug="harbor-house", name="Harbor House"))
    records = [
        FacilityRecord(slug="harbor-house", name="Harbor House (renamed)"),
        FacilityRecord(
            slug="echo-clinic",
            name="Echo Clinic",
            programs=[ProgramRecord(level="iop", sessions=[SessionRecord(), SessionRecord()])],
        ),
    ]
    token = curator.post(IMPORT, {"file": upload(records)}).context["token"]
    response = curator.post(IMPORT, {"token": token}, follow=True)
    assert response.redirect_chain == [(CHANGELIST, 302)]
    assert messages_of(response) == ["Imported batch.json: created 1, updated 1 facilities."]
    assert dict(Facility.objects.values_list("slug", "name")) == {
        "echo-clinic": "Echo Clinic",
        "harbor-house": "Harbor House (renamed)",
    }
    echo = Facility.objects.get(slug="echo-clinic")
    assert echo.programs.get().days_per_week == 1
    assert list(
        Facility.history.filter(history_user__username="curator").values_list(
            "slug", "history_type", "history_change_reason"
        )
    ) == [
        ("harbor-house", "~", IMPORT_CHANGE_REASON),
        ("echo-clinic", "+", IMPORT_CHANGE_REASON),
    ]


def test_an_invalid_file_shows_every_problem_with_record_slug_and_field_and_writes_nothing(
    curator,
):
    records = [
        FacilityRecord(slug="fine"),
        FacilityRecord(slug="harbor-house", neighborhood="atlantis"),
        FacilityRecord(
            slug="night-place",
            programs=[ProgramRecord(sessions=[SessionRecord(day="funday")])],
        ),
    ]
    response = curator.post(IMPORT, {"file": upload(records)})
    assert [str(problem) for problem in response.context["result"].problems] == [
        "record 1 (harbor-house): neighborhood: unknown neighborhood 'atlantis'",
        "record 2 (night-place): programs[0].sessions[0].day: unknown day 'funday'",
    ]
    html = response.content.decode()
    assert (
        "<tr><td>1</td><td>harbor-house</td><td>neighborhood</td>"
        "<td>unknown neighborhood &#x27;atlantis&#x27;</td></tr>"
    ) in html
    assert (
        "<tr><td>2</td><td>night-place</td><td>programs[0].sessions[0].day</td>"
        "<td>unknown day &#x27;funday&#x27;</td></tr>"
    ) in html
    assert "token" not in response.context
    assert 'id="confirm-import"' not in html
    assert not Facility.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"slug": "a",', "not valid JSON: parse error: premature EOF"),
        ('{"slug": "a"}', "the file must hold a JSON array of facilities, got dict"),
    ],
)
def test_a_file_that_is_not_an_interchange_file_is_refused_on_the_field(curator, content, message):
    response = curator.post(IMPORT, {"file": upload(content)})
    [error] = response.context["form"].errors["file"]
    assert error.startswith(message)
    assert "result" not in response.context


def test_a_file_that_is_not_utf8_is_refused(curator):
    response = curator.post(IMPORT, {"file": SimpleUploadedFile("x.json", b"[\xff]")})
    assert response.context["form"].errors["file"] == [directory_admin.IMPORT_NOT_UTF8]


def test_a_file_over_the_limit_is_refused(curator, monkeypatch):
    monkeypatch.setattr(directory_admin, "MAX_IMPORT_BYTES", 100)
    content = json.dumps([FacilityRecord(slug="a")])
    response = curator.post(IMPORT, {"file": upload(content)})
    assert response.context["form"].errors["file"] == [
        directory_admin.IMPORT_TOO_LARGE.format(size=len(content), limit=100)
    ]


def test_an_altered_token_is_refused_and_writes_nothing(curator):
    forged = signing.dumps(
        {"name": "x.json", "text": json.dumps([FacilityRecord(slug="a")])}, salt="another-salt"
    )
    response = curator.post(IMPORT, {"token": forged}, follow=True)
    assert response.redirect_chain == [(IMPORT, 302)]
    assert messages_of(response) == [directory_admin.IMPORT_EXPIRED]
    assert not Facility.objects.exists()


def test_an_expired_token_is_refused(curator, monkeypatch):
    token = curator.post(IMPORT, {"file": upload([FacilityRecord(slug="a")])}).context["token"]
    monkeypatch.setattr(directory_admin, "IMPORT_TOKEN_MAX_AGE", -1)
    response = curator.post(IMPORT, {"token": token}, follow=True)
    assert messages_of(response) == [directory_admin.IMPORT_EXPIRED]
    assert not Facility.objects.exists()


def test_a_file_that_became_invalid_before_confirmation_writes_nothing(curator):
    town = Neighborhood.objects.create(
        slug="test-town",
        name="Test Town",
        kind="city",
        service_area_id=4,
        latitude=34,
        longitude=-118,
    )
    records = [FacilityRecord(slug="a", neighborhood="test-town"), FacilityRecord(slug="b")]
    token = curator.post(IMPORT, {"file": upload(records)}).context["token"]
    town.delete()  # between the dry run and the confirmation
    response = curator.post(IMPORT, {"token": token})
    assert messages_of(response) == ["Nothing was imported: the file has 1 problem(s)."]
    assert [str(p) for p in response.context["result"].problems] == [
        "record 0 (a): neighborhood: unknown neighborhood 'test-town'"
    ]
    assert not Facility.objects.exists()


def test_the_list_links_to_the_import(curator):
    response = curator.get(CHANGELIST)
    assert f'<a href="{IMPORT}" class="addlink">Import file</a>' in response.content.decode()


def test_a_user_who_may_only_view_facilities_cannot_import(client):
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_facility"))
    client.force_login(viewer)
    assert client.get(IMPORT).status_code == 403
    assert client.post(IMPORT, {"file": upload([FacilityRecord(slug="a")])}).status_code == 403
    assert not Facility.objects.exists()
