"""The curators' admin: the facility list (columns, filters, search, actions), the forms
(validation on the field, language and payment choices, inlines) and the derived columns
kept true after a save."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from directory import validation
from directory.models import CareLevel, Facility, OpenSpan, Program
from tests.admin_support import (
    add_inline_row,
    form_data,
    inline_prefix,
    post_change,
)
from tests.factories import FacilityRecord, HoursRecord, ProgramRecord, SessionRecord, load

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:directory_facility_changelist")


def days_ago(days):
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def change_url(facility):
    return reverse("admin:directory_facility_change", args=[facility.pk])


def program_url(program):
    return reverse("admin:directory_program_change", args=[program.pk])


def listed(response):
    """Return the names of the facilities on a changelist page, in order."""
    return [facility.name for facility in response.context["cl"].result_list]


# --- the list ------------------------------------------------------------------------------


def test_the_list_shows_name_neighborhood_service_area_levels_status_source_and_dates(
    admin_client,
):
    load(
        FacilityRecord(
            slug="harbor-house",
            name="Harbor House",
            neighborhood="echo-park",
            programs=[ProgramRecord(level="iop"), ProgramRecord(level="outpatient")],
            verified_at=days_ago(10),
        ),
        FacilityRecord(
            slug="no-place",
            name="No Place",
            neighborhood=None,
            status="draft",
            source="samhsa-2022",
            verified_at=None,
        ),
    )
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert listed(response) == ["Harbor House", "No Place"]
    assert '<td class="field-neighborhood nowrap">Echo Park</td>' in html
    assert '<td class="field-service_area">4</td>' in html
    assert '<td class="field-levels_offered">outpatient, iop</td>' in html
    assert '<td class="field-status">Published</td>' in html
    assert '<td class="field-source">Curated</td>' in html
    assert '<td class="field-source">SAMHSA directory 2022</td>' in html
    assert (
        '<td class="field-verification"><span class="needs-verification">'
        "needs verification</span></td>"
    ) in html
    assert html.count('class="needs-verification"') == 1


def test_the_list_takes_the_same_queries_for_3_or_30_facilities(
    admin_client, django_assert_num_queries
):
    def page_queries(count):
        load(
            *(
                FacilityRecord(slug=f"f{count}-{n}", programs=[ProgramRecord(), ProgramRecord()])
                for n in range(count)
            )
        )
        # session, user, the level and the service-area filter choices, 2 counts
        # (filtered and total), the page of facilities with their neighborhoods (the
        # levels offered are the facilities' own ``levels``: no query of programs)
        with django_assert_num_queries(7):
            response = admin_client.get(CHANGELIST)
        return len(response.context["cl"].result_list)

    assert page_queries(3) == 3
    assert page_queries(27) == 30


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=draft", ["Draft One"]),
        ("status=published", ["Dual Iop", "Old Residential", "Plain Outpatient"]),
        ("source=samhsa-2022", ["Old Residential"]),
        ("level=iop", ["Dual Iop"]),
        ("level=residential", ["Old Residential"]),
        ("level=php", []),
        ("service_area=4", ["Draft One", "Dual Iop", "Plain Outpatient"]),
        ("service_area=2", ["Old Residential"]),
        ("dual_diagnosis=yes", ["Dual Iop"]),
        ("dual_diagnosis=no", ["Draft One", "Old Residential", "Plain Outpatient"]),
        ("needs_verification=yes", ["Draft One", "Old Residential"]),
        ("needs_verification=no", ["Dual Iop", "Plain Outpatient"]),
        ("level=outpatient&needs_verification=yes", ["Draft One"]),
    ],
)
def test_each_list_filter_gives_exactly_its_facilities(admin_client, settings, query, expected):
    settings.STALE_AFTER_DAYS = 180
    load(
        FacilityRecord(
            slug="dual-iop",
            programs=[
                ProgramRecord(level="iop", dual_diagnosis=True),
                ProgramRecord(level="outpatient"),
            ],
            verified_at=days_ago(180),  # the last day that is still fresh
        ),
        FacilityRecord(
            slug="plain-outpatient",
            programs=[ProgramRecord(level="outpatient")],
            verified_at=days_ago(0),
        ),
        FacilityRecord(
            slug="old-residential",
            neighborhood="van-nuys",
            source="samhsa-2022",
            programs=[ProgramRecord(level="residential")],
            verified_at=days_ago(181),  # one day too old
        ),
        FacilityRecord(
            slug="draft-one",
            status="draft",
            programs=[ProgramRecord(level="outpatient")],
            verified_at=None,
        ),
    )
    assert listed(admin_client.get(f"{CHANGELIST}?{query}")) == expected


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("harbor", ["Harbor House"]),
        ("lantern", ["Harbor House"]),  # the organization's name
        ("sunset blvd", ["Echo Clinic"]),  # the street
        ("van nuys", ["Valley Place"]),  # the neighborhood's name
        ("nothing-like-it", []),
    ],
)
def test_search_covers_name_organization_street_and_neighborhood(admin_client, words, expected):
    load(
        FacilityRecord(
            slug="harbor-house",
            name="Harbor House",
            organization={"slug": "lantern", "name": "Lantern Health"},
        ),
        FacilityRecord(
            slug="echo-clinic",
            name="Echo Clinic",
            address={"street": "1200 Sunset Blvd", "city": "Los Angeles", "postal_code": "90026"},
        ),
        FacilityRecord(slug="valley-place", name="Valley Place", neighborhood="van-nuys"),
    )
    assert listed(admin_client.get(CHANGELIST, {"q": words})) == expected


# --- actions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("publish", "published", "Published 2 listing(s)."),
        ("archive", "archived", "Archived 2 listing(s)."),
    ],
)
def test_publish_and_archive_change_the_selected_listings_only(
    admin_client, action, status, message
):
    load(
        FacilityRecord(slug="a", status="draft"),
        FacilityRecord(slug="b", status="archived"),
        FacilityRecord(slug="c", status="draft"),
    )
    chosen = Facility.objects.filter(slug__in=["a", "b"])
    response = admin_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [f.pk for f in chosen]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [message]
    assert dict(Facility.objects.values_list("slug", "status")) == {
        "a": status,
        "b": status,
        "c": "draft",
    }
    assert dict(Facility.objects.values_list("slug", "version")) == {"a": 2, "b": 2, "c": 1}


def test_mark_verified_today_sets_todays_date_and_clears_the_badge(admin_client):
    load(FacilityRecord(slug="old", verified_at=days_ago(400)), FacilityRecord(slug="kept"))
    old = Facility.objects.get(slug="old")
    assert old.needs_verification
    response = admin_client.post(
        CHANGELIST,
        {"action": "mark_verified_today", "_selected_action": [old.pk]},
        follow=True,
    )
    today = timezone.localdate()
    assert [str(m) for m in response.context["messages"]] == [
        f"Marked 1 listing(s) verified on {today.isoformat()}."
    ]
    old.refresh_from_db()
    assert (old.verified_at, old.needs_verification, old.version) == (today, False, 2)
    assert Facility.objects.get(slug="kept").verified_at.isoformat() == "2026-10-01"


# --- the admin index ---------------------------------------------------------------------------


def test_the_index_counts_listings_needing_verification_and_links_to_them(admin_client):
    load(
        FacilityRecord(slug="never", verified_at=None),
        FacilityRecord(slug="old", verified_at=days_ago(181)),
        FacilityRecord(slug="fresh", verified_at=days_ago(1)),
    )
    response = admin_client.get(reverse("admin:index"))
    assert (
        f'<p><a href="{CHANGELIST}?needs_verification=yes">2 listings need verification</a></p>'
        in response.content.decode()
    )
    linked = admin_client.get(f"{CHANGELIST}?needs_verification=yes")
    assert listed(linked) == ["Never", "Old"]


def test_the_index_says_one_listing_needs_verification(admin_client):
    load(FacilityRecord(slug="never", verified_at=None))
    response = admin_client.get(reverse("admin:index"))
    assert "1 listing needs verification</a>" in response.content.decode()


# --- forms: validation on the field --------------------------------------------------------


@pytest.fixture
def harbor(admin_client):
    load(
        FacilityRecord(
            slug="harbor-house",
            name="Harbor House",
            hours=[HoursRecord(day="mon", opens_at="09:00", closes_at="17:00")],
            programs=[ProgramRecord(name="Evening IOP", level="iop", sessions=[SessionRecord()])],
        )
    )
    return Facility.objects.get(slug="harbor-house")


def field_errors(response, field, form=None):
    form = form or response.context["adminform"].form
    return form.errors.get(field, [])


def inline_errors(response, model_name, index, field):
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model._meta.model_name == model_name:
            return inline.formset.forms[index].errors.get(field, [])
    raise LookupError(model_name)


def test_hours_whose_start_equals_their_end_are_refused_on_closes_at(admin_client, harbor):
    url = change_url(harbor)
    data = form_data(admin_client.get(url))
    prefix = inline_prefix(admin_client.get(url), "hours")
    data[f"{prefix}-0-closes_at"] = "09:00"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert inline_errors(response, "hours", 0, "closes_at") == [
        "start and end are both 09:00: an interval cannot be empty"
    ]
    assert Facility.objects.get(pk=harbor.pk).hours.get().closes_at.isoformat() == "17:00:00"


def test_an_unknown_day_is_refused_on_the_day(admin_client, harbor):
    url = change_url(harbor)
    response = admin_client.get(url)
    data = form_data(response)
    data[f"{inline_prefix(response, 'hours')}-0-day"] = "9"
    response = admin_client.post(url, data)
    assert inline_errors(response, "hours", 0, "day") == [
        "Select a valid choice. 9 is not one of the available choices."
    ]


def test_a_closure_ending_before_it_starts_is_refused_on_ends_on(admin_client, harbor):
    url = change_url(harbor)
    response = admin_client.get(url)
    data = add_inline_row(
        form_data(response),
        inline_prefix(response, "closure"),
        0,
        starts_on="2026-12-26",
        ends_on="2026-12-24",
        reason="Holiday",
    )
    response = admin_client.post(url, data)
    assert inline_errors(response, "closure", 0, "ends_on") == [
        validation.CLOSURE_RANGE.format(starts_on="2026-12-26", ends_on="2026-12-24")
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"latitude": "34.05", "longitude": ""}, "longitude", validation.COORDINATES_PAIR),
        ({"latitude": "", "longitude": "-118.2"}, "latitude", validation.COORDINATES_PAIR),
        (
            {"latitude": "91", "longitude": "-118.2"},
            "latitude",
            "Ensure this value is less than or equal to 90.",
        ),
    ],
)
def test_coordinates_are_checked_on_their_field(admin_client, harbor, changes, field, message):
    response = post_change(admin_client, change_url(harbor), **changes)
    assert field_errors(response, field) == [message]
    harbor.refresh_from_db()
    assert (harbor.latitude, harbor.longitude) == (34.0779, -118.2606)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"min_age": "30", "max_age": "18"},
            "max_age",
            validation.AGE_RANGE.format(min_age=30, max_age=18),
        ),
        (
            {"min_age": "151", "max_age": ""},
            "min_age",
            "Ensure this value is less than or equal to 150.",
        ),
        (
            {"min_age": "-1", "max_age": ""},
            "min_age",
            "Ensure this value is greater than or equal to 0.",
        ),
    ],
)
def test_program_ages_are_checked_on_their_field(admin_client, harbor, changes, field, message):
    program = harbor.programs.get()
    response = post_change(admin_client, program_url(program), **changes)
    assert field_errors(response, field) == [message]
    program.refresh_from_db()
    assert (program.min_age, program.max_age) == (None, None)


def test_the_program_inline_checks_ages_too(admin_client, harbor):
    url = change_url(harbor)
    response = admin_client.get(url)
    prefix = inline_prefix(response, "program")
    data = form_data(response)
    data.update({f"{prefix}-0-min_age": "65", f"{prefix}-0-max_age": "17"})
    response = admin_client.post(url, data)
    assert inline_errors(response, "program", 0, "max_age") == ["min_age 65 is above max_age 17"]


def test_a_session_whose_start_equals_its_end_is_refused_on_ends_at(admin_client, harbor):
    url = program_url(harbor.programs.get())
    response = admin_client.get(url)
    data = form_data(response)
    data[f"{inline_prefix(response, 'session')}-0-ends_at"] = "18:00"
    response = admin_client.post(url, data)
    assert inline_errors(response, "session", 0, "ends_at") == [
        "start and end are both 18:00: an interval cannot be empty"
    ]


# --- forms: languages, payment -------------------------------------------------------------


def test_languages_and_payment_are_chosen_from_the_vocabularies_and_stored_sorted(
    admin_client, harbor
):
    url = change_url(harbor)
    response = post_change(
        admin_client,
        url,
        languages=["ko", "es", "en", "asl"],
        payment=["self-pay", "medi-cal", "va"],
    )
    assert response.status_code == 302
    harbor.refresh_from_db()
    assert harbor.languages == ["asl", "en", "es", "ko"]
    assert harbor.payment == ["medi-cal", "self-pay", "va"]


def test_unknown_language_and_payment_codes_are_refused(admin_client, harbor):
    response = post_change(admin_client, change_url(harbor), languages=["xx"], payment=["cash"])
    assert field_errors(response, "languages") == [
        "Select a valid choice. xx is not one of the available choices."
    ]
    assert field_errors(response, "payment") == [
        "Select a valid choice. cash is not one of the available choices."
    ]


# --- inlines and derived columns ---------------------------------------------------------------


def test_the_program_inline_links_to_each_programs_own_page(admin_client, harbor):
    program = harbor.programs.get()
    response = admin_client.get(change_url(harbor))
    assert f'href="{program_url(program)}"' in response.content.decode()
    sessions = admin_client.get(program_url(program))
    assert inline_prefix(sessions, "session") == "sessions"


def test_saving_hours_in_the_admin_refreshes_the_open_spans(admin_client, harbor):
    url = change_url(harbor)
    response = admin_client.get(url)
    data = add_inline_row(
        form_data(response),
        inline_prefix(response, "hours"),
        1,
        day="0",
        opens_at="17:00",
        closes_at="20:00",
    )
    assert admin_client.post(url, data).status_code == 302
    # Monday 09:00-17:00 and 17:00-20:00 touch: one span, 540 to 1200 minutes
    assert list(
        OpenSpan.objects.filter(facility=harbor).values_list("start_minute", "end_minute")
    ) == [(540, 1200)]


def test_saving_sessions_on_the_program_page_refreshes_the_week_totals(admin_client, harbor):
    program = harbor.programs.get()
    assert (program.days_per_week, program.minutes_per_week) == (1, 180)
    url = program_url(program)
    response = admin_client.get(url)
    data = add_inline_row(
        form_data(response),
        inline_prefix(response, "session"),
        1,
        day="2",
        starts_at="18:00",
        ends_at="20:30",
    )
    assert admin_client.post(url, data).status_code == 302
    program.refresh_from_db()
    assert (program.days_per_week, program.minutes_per_week) == (2, 330)
    assert program.session_days == 0b101  # Monday (the fixture's session) and Wednesday
    assert (program.first_start_minute, program.last_end_minute) == (1080, 1260)  # 18:00-21:00


def test_deleting_a_session_in_the_admin_refreshes_the_week_totals(admin_client, harbor):
    program = harbor.programs.get()
    url = program_url(program)
    response = admin_client.get(url)
    data = form_data(response)
    data[f"{inline_prefix(response, 'session')}-0-DELETE"] = "on"
    assert admin_client.post(url, data).status_code == 302
    program.refresh_from_db()
    assert (program.days_per_week, program.minutes_per_week, program.sessions.count()) == (0, 0, 0)
    assert program.session_days == 0
    assert (program.first_start_minute, program.last_end_minute) == (0, 0)


def test_a_facility_added_with_hours_and_a_program_in_one_save(admin_client):
    add = reverse("admin:directory_facility_add")
    response = admin_client.get(add)
    data = form_data(response)
    data.update(name="New Place", slug="new-place", status="draft", source="curated")
    add_inline_row(
        data, inline_prefix(response, "hours"), 0, day="4", opens_at="22:00", closes_at="02:00"
    )
    iop = CareLevel.objects.get(slug="iop")
    add_inline_row(data, inline_prefix(response, "program"), 0, name="Night IOP", care_level=iop.pk)
    response = admin_client.post(add, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    facility = Facility.objects.get(slug="new-place")
    assert facility.version == 1
    assert list(facility.programs.values_list("name", "care_level__slug")) == [("Night IOP", "iop")]
    # Friday 22:00 to Saturday 02:00
    assert list(
        OpenSpan.objects.filter(facility=facility).values_list("start_minute", "end_minute")
    ) == [(4 * 1440 + 22 * 60, 5 * 1440 + 120)]
    assert Program.objects.get().days_per_week == 0


def test_renaming_an_organization_updates_its_facilities_text_search(admin_client, api):
    from directory.models import Organization

    load(
        FacilityRecord(
            slug="lantern-clinic",
            name="Harbor Clinic",
            organization={"slug": "lantern", "name": "Lantern"},
        )
    )
    organization = Organization.objects.get(slug="lantern")
    response = admin_client.post(
        f"/admin/directory/organization/{organization.pk}/change/",
        {"slug": "lantern", "name": "Jacaranda Network"},
    )
    assert response.status_code == 302
    found = api.get("/api/v1/facilities/?q=jacaranda").json()["results"]
    assert [result["slug"] for result in found] == ["lantern-clinic"]
    assert api.get("/api/v1/facilities/?q=lantern").json()["results"] == []
