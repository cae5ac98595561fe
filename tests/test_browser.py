"""A curator's day in a real browser: Debian's Chromium, driven by Selenium through Debian's
chromedriver (no browser or driver is downloaded), headless, against a live server.

The curator logs in, creates a facility with opening hours and a program, adds the
program's sessions on its own page, publishes the facility from the list, and the public
API then returns it with its hours and sessions.

The live server answers from another thread, so the test commits its data
(``transaction=True``), and the database is flushed after it. ``serialized_rollback``
gives the test the rows of the data migrations (care levels, neighborhoods, the Curators
group); ``migrated_data_restored`` (conftest) puts them back after the flush, so that the
tests that run later (transactional ones run last) find the database as migrated.
"""

import json
import shutil
from pathlib import Path
from urllib.request import urlopen

import pytest

from directory.models import Facility
from tests.admin_support import PASSWORD, make_curator

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path(shutil.which("chromedriver") or "/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
]
WAIT_SECONDS = 20

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM}: apt-get install chromium chromium-driver",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("migrated_data_restored"),
]


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


class Page:
    """The few gestures the test needs, each waiting for the page it leads to."""

    def __init__(self, driver, base_url):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import Select, WebDriverWait

        self.driver, self.base_url = driver, base_url
        self.by, self.select_class, self.conditions = By, Select, expected_conditions
        self.wait = WebDriverWait(driver, WAIT_SECONDS)

    def open(self, path):
        self.driver.get(self.base_url + path)

    def find(self, css):
        return self.wait.until(
            self.conditions.presence_of_element_located((self.by.CSS_SELECTOR, css))
        )

    def type(self, css, text):
        field = self.find(css)
        field.clear()
        field.send_keys(text)

    def choose(self, css, *, value=None, text=None):
        select = self.select_class(self.find(css))
        if value is not None:
            select.select_by_value(value)
        else:
            select.select_by_visible_text(text)

    def click(self, css):
        self.wait.until(
            self.conditions.element_to_be_clickable((self.by.CSS_SELECTOR, css))
        ).click()

    def submit_and_wait(self, css, *, until_path):
        """Click a submit button and wait for the page at until_path."""
        self.click(css)
        self.wait.until(lambda driver: driver.current_url.split("?")[0].endswith(until_path))

    def success_messages(self):
        return [m.text for m in self.driver.find_elements(self.by.CSS_SELECTOR, ".success")]


def api_get(live_server, path):
    with urlopen(f"{live_server.url}{path}", timeout=WAIT_SECONDS) as response:
        return json.loads(response.read())


def test_a_curator_creates_and_publishes_a_listing_that_the_api_then_returns(browser, live_server):
    make_curator("carmen")
    page = Page(browser, live_server.url)

    # log in
    page.open("/admin/login/?next=/admin/directory/facility/add/")
    page.type("#id_username", "carmen")
    page.type("#id_password", PASSWORD)
    page.submit_and_wait("input[type=submit]", until_path="/admin/directory/facility/add/")

    # a facility with opening hours and a program
    page.type("#id_name", "Sunset Evening Clinic")
    page.type("#id_slug", "sunset-evening-clinic")
    page.type("#id_street", "1200 Sunset Blvd")
    page.type("#id_city", "Los Angeles")
    page.type("#id_postal_code", "90026")
    page.click("input[name=payment][value=medi-cal]")
    page.choose("#id_hours-0-day", value="0")
    page.type("#id_hours-0-opens_at", "09:00")
    page.type("#id_hours-0-closes_at", "21:30")
    page.type("#id_programs-0-name", "Evening IOP")
    page.choose("#id_programs-0-care_level", text="Intensive outpatient (IOP)")
    page.click("#id_programs-0-dual_diagnosis")
    page.click("input[name=_continue]")
    page.find(".success")
    facility = Facility.objects.get(slug="sunset-evening-clinic")
    assert browser.current_url.endswith(f"/admin/directory/facility/{facility.pk}/change/")
    assert facility.status == "draft"

    # the program's sessions, on the program's own page (reached from the inline's link)
    program = facility.programs.get()
    page.click("a.inlinechangelink")
    page.find("#id_sessions-0-day")
    assert browser.current_url.endswith(f"/admin/directory/program/{program.pk}/change/")
    page.choose("#id_sessions-0-day", value="0")
    page.type("#id_sessions-0-starts_at", "18:00")
    page.type("#id_sessions-0-ends_at", "21:00")
    page.click("#sessions-group .add-row a")  # "Add another Session": a row made by the JS
    page.choose("#id_sessions-1-day", value="2")
    page.type("#id_sessions-1-starts_at", "18:00")
    page.type("#id_sessions-1-ends_at", "21:00")
    page.submit_and_wait("input[name=_save]", until_path="/admin/directory/program/")

    # not public until published
    with pytest.raises(Exception, match="404"):
        api_get(live_server, "/api/v1/facilities/sunset-evening-clinic/")

    # publish from the list
    page.open("/admin/directory/facility/")
    page.click(f"input[name=_selected_action][value='{facility.pk}']")
    page.choose("select[name=action]", value="publish")
    page.submit_and_wait("button[name=index]", until_path="/admin/directory/facility/")
    page.find(".success")
    assert page.success_messages() == ["Published 1 listing(s)."]

    body = api_get(live_server, "/api/v1/facilities/sunset-evening-clinic/")
    assert (body["name"], body["status"], body["payment"]) == (
        "Sunset Evening Clinic",
        "published",
        ["medi-cal"],
    )
    assert body["hours"] == [{"day": "mon", "opens_at": "09:00", "closes_at": "21:30"}]
    [program_body] = body["programs"]
    assert {key: program_body[key] for key in ("id", "name", "level", "dual_diagnosis")} == {
        "id": program.pk,
        "name": "Evening IOP",
        "level": "iop",
        "dual_diagnosis": True,
    }
    assert program_body["sessions"] == [
        {"day": "mon", "starts_at": "18:00", "ends_at": "21:00"},
        {"day": "wed", "starts_at": "18:00", "ends_at": "21:00"},
    ]
    assert (program_body["days_per_week"], program_body["hours_per_week"]) == (2, 6.0)
    found = api_get(live_server, "/api/v1/facilities/?level=iop&available=mon,wed@17:30-21:30")
    assert [result["slug"] for result in found["results"]] == ["sunset-evening-clinic"]
    assert list(
        Facility.history.order_by("history_date").values_list(
            "history_type", "history_change_reason", "history_user__username"
        )
    ) == [("+", None, "carmen"), ("~", "admin action: publish", "carmen")]
