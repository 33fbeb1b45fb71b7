"""The staff pages of a bootcamp in a real browser (headless Chromium through Selenium, the app on 127.0.0.1): an
instructor publishes a module from the schedule page, reads the gradebook, marks attendance with one tap (no
reload), and sees these pages right to left in Arabic; the learner then finds the module open with its due date,
in French and in Arabic."""
from __future__ import annotations

from datetime import date, time, timedelta

from lms.attendance.models import AttendanceMark
from lms.attendance.services import create_session
from lms.clock import to_local, utcnow
from lms.extensions import db
from tests.browser.test_exercise_page import browser, css, log_in, wait  # noqa: F401
from tests.browser.test_web_workspace import directions

PAGE_WAIT = 15


def set_moment(driver, selector: str, moment) -> None:
    """A datetime-local input set as a person's date picker would (its value, then its events)."""
    driver.execute_script("var i = document.querySelector(arguments[0]); i.value = arguments[1];"
                          "i.dispatchEvent(new Event('input', {bubbles: true}));", selector,
                          to_local(moment).strftime("%Y-%m-%dT%H:%M"))


def to_arabic(driver) -> None:
    from selenium.webdriver.support.ui import Select

    Select(css(driver, "#language")).select_by_value("ar")
    css(driver, "form.language-switch button[type=submit]").click()
    wait(driver, lambda d: d.execute_script("return document.documentElement.lang") == "ar", PAGE_WAIT,
         "no Arabic page")


def test_an_instructor_publishes_grades_and_marks_then_the_learner_sees_the_module(browser, live_server, make_user,
                                                                                   programme):
    cohort = programme.cohort(programme.centre("casablanca-settat", "Centre Casa Anfa"), name="Anfa A")
    exercise = programme.exercise()
    instructor = make_user("instructor", name="Karim Instructor")
    programme.grant(instructor, "instructor", cohort=cohort)
    learner = make_user(name="Salma Bennani")
    programme.enrol(learner, cohort)
    due = utcnow().replace(second=0, microsecond=0) + timedelta(days=5)

    # The schedule: the module, not published, then published with its dates; the page says so.
    log_in(browser, live_server, instructor)
    browser.get(f"{live_server}/programme/cohorts/{cohort.id}/schedule")
    row = f"#module-{exercise.module_id}"
    assert "unpublished" in css(browser, row).get_attribute("class")
    set_moment(browser, f"{row} input[name$='-opens_at']", utcnow() - timedelta(hours=1))
    set_moment(browser, f"{row} input[name$='-due_at']", due)
    css(browser, f"{row} form.dates button[type=submit]").click()
    wait(browser, lambda d: css(d, row).get_attribute("class") == "published", PAGE_WAIT,
         "the module was not published")
    assert "publié pour la cohorte" in css(browser, "main").text

    # The gradebook: the learner's row, nothing handed in yet.
    browser.get(f"{live_server}/gradebook/cohorts/{cohort.id}")
    assert "Salma Bennani" in css(browser, "table.gradebook tbody").text

    # Attendance: one tap marks the learner present, the page is not reloaded, the mark is stored.
    session = create_session(instructor, cohort, date.today(), time(9, 0), time(12, 30), "Salle 2")
    browser.get(f"{live_server}/attendance/sessions/{session.id}")
    browser.execute_script("window.__sameDocument = 'yes';")
    present = f"li[data-learner='{learner.id}'] button.mark-present"
    css(browser, present).click()
    wait(browser, lambda d: css(d, present).get_attribute("aria-pressed") == "true", PAGE_WAIT, "no mark shown")
    assert browser.execute_script("return window.__sameDocument") == "yes"
    db.session.expire_all()
    assert db.session.query(AttendanceMark).filter_by(user_id=learner.id).one().status == "present"

    # In Arabic the staff pages read right to left; the figures of the gradebook stay left to right.
    to_arabic(browser)
    for path, selector in ((f"/programme/cohorts/{cohort.id}/schedule", "table.schedule"),
                           (f"/gradebook/cohorts/{cohort.id}", "table.gradebook"),
                           (f"/attendance/sessions/{session.id}", "ul.mark-roster")):
        browser.get(live_server + path)
        assert directions(browser, "body", selector) == ["rtl", "rtl"], path
    browser.get(f"{live_server}/gradebook/cohorts/{cohort.id}")
    assert "سجل النقاط" in css(browser, "h1").text
    browser.delete_all_cookies()

    # The learner: the module is open, the exercise tells the due date in Morocco time, in French then Arabic.
    log_in(browser, live_server, learner)
    browser.get(f"{live_server}/exercises/{exercise.uuid}")
    shown = to_local(due).strftime("%Y-%m-%d %H:%M")
    assert f"À rendre le {shown} (heure du Maroc)" in css(browser, "#timing").text
    to_arabic(browser)
    browser.get(f"{live_server}/exercises/{exercise.uuid}")
    assert "آخر أجل" in css(browser, "#timing").text and shown in css(browser, "#timing").text
    assert directions(browser, "#timing")[0] == "rtl"
