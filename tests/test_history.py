"""History (django-simple-history): every change to facilities, programs, sessions, hours and
closures is recorded with who and when, by the admin and by imports, and a previous version
can be read back."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.models import Closure, Facility, Hours, OpenSpan, Program, Session
from directory.services import IMPORT_CHANGE_REASON, facility_import
from tests.admin_support import add_inline_row, form_data, inline_prefix, make_curator
from tests.factories import (
    ClosureRecord,
    FacilityRecord,
    HoursRecord,
    ProgramRecord,
    SessionRecord,
    load,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(client):
    client.force_login(make_curator())
    return client


def harbor_record(**changes):
    fields = {
        "slug": "harbor-house",
        "name": "Harbor House",
        "hours": [HoursRecord(day="mon")],
        "closures": [ClosureRecord()],
        "programs": [ProgramRecord(name="Evening IOP", level="iop", sessions=[SessionRecord()])],
    }
    return FacilityRecord(**{**fields, **changes})


def kinds(model):
    """Return (history type, change reason, user name) of the model's history, oldest first."""
    return [
        (
            row.history_type,
            row.history_change_reason,
            row.history_user and row.history_user.username,
        )
        for row in model.history.order_by("history_date", "history_id")
    ]


def test_a_curator_edit_records_the_previous_and_the_new_version_with_the_user(curator):
    load(harbor_record())
    facility = Facility.objects.get()
    url = reverse("admin:directory_facility_change", args=[facility.pk])
    data = form_data(curator.get(url))
    data.update(name="Harbor House Clinic", phone="213-555-0123")
    assert curator.post(url, data).status_code == 302

    latest, previous = facility.history.order_by("-history_date", "-history_id")[:2]
    assert (latest.history_type, latest.history_user.username) == ("~", "curator")
    assert (latest.name, latest.phone, latest.version) == ("Harbor House Clinic", "213-555-0123", 2)
    # the previous version, as it was, can be read back
    assert (previous.history_type, previous.history_user) == ("+", None)
    old = previous.instance
    assert (old.name, old.phone, old.version) == ("Harbor House", "", 1)
    assert latest.diff_against(previous).changed_fields == ["name", "phone"]
    assert facility.history.as_of(previous.history_date).name == "Harbor House"


def test_inline_changes_record_the_user_on_hours_closures_programs_and_sessions(curator):
    load(harbor_record())
    facility = Facility.objects.get()
    url = reverse("admin:directory_facility_change", args=[facility.pk])
    response = curator.get(url)
    data = form_data(response)
    data[f"{inline_prefix(response, 'hours')}-0-closes_at"] = "18:30"
    data[f"{inline_prefix(response, 'closure')}-0-DELETE"] = "on"
    data[f"{inline_prefix(response, 'program')}-0-name"] = "Evening IOP (adults)"
    assert curator.post(url, data).status_code == 302

    program = facility.programs.get()
    url = reverse("admin:directory_program_change", args=[program.pk])
    response = curator.get(url)
    data = add_inline_row(
        form_data(response),
        inline_prefix(response, "session"),
        1,
        day="2",
        starts_at="18:00",
        ends_at="21:00",
    )
    assert curator.post(url, data).status_code == 302

    imported = ("+", IMPORT_CHANGE_REASON, None)
    assert kinds(Hours) == [imported, ("~", None, "curator")]
    assert kinds(Closure) == [imported, ("-", None, "curator")]
    assert kinds(Program) == [imported, ("~", None, "curator"), ("~", None, "curator")]
    assert kinds(Session) == [imported, ("+", None, "curator")]
    deleted = Closure.history.get(history_type="-")
    assert (deleted.starts_on.isoformat(), deleted.reason) == ("2026-12-24", "Holiday")


def test_an_import_records_creations_then_updates_and_the_replaced_children(curator):
    load(harbor_record())
    load(
        harbor_record(
            name="Harbor House (moved)",
            hours=[HoursRecord(day="tue")],
            closures=[],
            programs=[ProgramRecord(name="Day IOP", level="iop")],
        )
    )
    reason = IMPORT_CHANGE_REASON
    assert kinds(Facility) == [("+", reason, None), ("~", reason, None)]
    assert kinds(Hours) == [("+", reason, None), ("-", reason, None), ("+", reason, None)]
    assert kinds(Closure) == [("+", reason, None), ("-", reason, None)]
    assert kinds(Program) == [("+", reason, None), ("-", reason, None), ("+", reason, None)]
    assert kinds(Session) == [("+", reason, None), ("-", reason, None)]
    # what the import replaced can still be read
    session = Session.history.get(history_type="-")
    assert (session.day, session.starts_at.isoformat(), session.ends_at.isoformat()) == (
        0,
        "18:00:00",
        "21:00:00",
    )
    assert Program.history.get(history_type="-").name == "Evening IOP"
    assert [h.day for h in Hours.objects.all()] == [1]


def test_a_reimport_takes_the_same_number_of_queries_for_2_or_20_facilities():
    def reimport_queries(count):
        records = [
            harbor_record(
                slug=f"f{count}-{n}",
                hours=[HoursRecord(day="mon"), HoursRecord(day="tue")],
                programs=[
                    ProgramRecord(sessions=[SessionRecord(), SessionRecord(day="wed")]),
                    ProgramRecord(),
                ],
            )
            for n in range(count)
        ]
        load(*records)
        with CaptureQueriesContext(connection) as queries:
            assert facility_import(records=records).ok
        return len(queries)

    assert reimport_queries(2) == reimport_queries(20)


def test_the_history_page_lists_the_facility_and_the_changes_to_its_parts(curator):
    load(harbor_record())
    facility = Facility.objects.get()
    curator.post(
        reverse("admin:directory_facility_changelist"),
        {"action": "publish", "_selected_action": [facility.pk]},
    )
    response = curator.get(reverse("admin:directory_facility_history", args=[facility.pk]))
    assert response.status_code == 200
    rows = response.context["page_obj"].object_list
    assert [(row.history_type, row.history_change_reason) for row in rows] == [
        ("~", "admin action: publish"),
        ("+", IMPORT_CHANGE_REASON),
    ]
    assert rows[0].history_user.username == "curator"
    assert [(c["part"], c["object"], c["type"]) for c in response.context["part_changes"]] == [
        ("opening hours", "Monday 09:00–17:00", "Created"),
        ("closure", "2026-12-24–2026-12-25 Holiday", "Created"),
        ("program", "Evening IOP (iop)", "Created"),
        ("session", "Evening IOP: Monday 18:00–21:00", "Created"),
    ]
    assert "<td>Evening IOP: Monday 18:00–21:00</td>" in response.content.decode()


def test_nothing_else_refers_to_the_rows_an_import_deletes_in_bulk():
    """The import deletes children without the ORM's cascade (services._delete_children);
    a new model referring to one of them must be handled there first."""

    def referring(model):
        return sorted(
            f"{relation.related_model._meta.label}.{relation.field.name}"
            for relation in model._meta.related_objects
        )

    assert referring(Program) == ["directory.Session.program"]
    assert referring(Session) == []
    assert referring(Hours) == []
    assert referring(Closure) == []
    assert referring(OpenSpan) == []
