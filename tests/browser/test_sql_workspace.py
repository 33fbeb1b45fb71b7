"""The exercise page of a sql-query exercise in a real browser: the learner's statement graded on the visible
database and on hidden ones; the visible check shows the learner's result table (live, then as the server renders
it after a reload), left to right inside the Arabic page; hidden checks show their name and status only."""
from __future__ import annotations

from tests.browser.test_exercise_page import browser, css, log_in, open_exercise, submit_and_grade  # noqa: F401
from tests.browser.test_web_workspace import directions, open_in_arabic, set_file
from tests.conftest import solution_of

# Every city of the region, not only those above the threshold: the example fails, its table shows what came out.
TOO_MANY = "SELECT nom AS ville, population FROM villes WHERE region_id = 6 ORDER BY population DESC, nom"


def result_tables(driver, captions: bool = False) -> list[dict]:
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('#result .result-table')).map(t => ({
          ...(arguments[0] ? {caption: t.querySelector('summary').textContent} : {}),
          columns: Array.from(t.querySelectorAll('th')).map(c => c.textContent),
          rows: Array.from(t.querySelectorAll('tbody tr')).map(r => Array.from(r.cells).map(c => c.textContent)),
          open: t.open}));""", captions)


def test_sql_exercise_shows_the_learners_result_table(browser, live_server, run_worker_burst, make_user, content):
    driver, exercise = browser, content["filtrer-villes"]
    log_in(driver, live_server, make_user("learner"))
    open_exercise(driver, live_server, exercise)
    assert [t.text for t in driver.find_elements("css selector", ".file-tabs [role=tab]")] in ([], ["requete.sql"])
    set_file(driver, "requete.sql", TOO_MANY)
    submit_and_grade(driver, run_worker_burst)
    assert css(driver, "#result .score").text == "0.0 / 10.0"
    live = result_tables(driver)
    assert len(live) == 1 and live[0]["columns"] == ["ville", "population"] and live[0]["open"]
    expected = exercise.spec["checks"][0]["expect"]["rows"]
    assert len(live[0]["rows"]) > len(expected)  # the cities under the threshold are there too
    assert all(row in [[str(v) for v in r] for r in live[0]["rows"]] for row in [[str(v) for v in e] for e in expected])
    messages = driver.execute_script(
        "return Array.from(document.querySelectorAll('#result li.ko pre.message')).map(e => e.textContent)")
    assert any("en trop" in m for m in messages), messages  # French by default: the extra rows named
    # Hidden checks: their name and status, no table, no message.
    hidden = driver.execute_script("""return Array.from(document.querySelectorAll('#result li')).filter(
        li => Array.from(li.querySelectorAll('span.muted')).some(s => s.textContent.trim().startsWith('(')))
        .map(li => li.querySelectorAll('table, pre').length)""")
    assert hidden and set(hidden) == {0}
    # The submission's own page, rendered by the server, shows the same table; in Arabic it stays left to right.
    page = f"{live_server}/submissions/{css(driver, '#result').get_attribute('data-submission-id')}"
    driver.get(page)
    assert result_tables(driver) == live
    open_in_arabic(driver, live_server, exercise)
    driver.get(page)
    assert directions(driver, "body", "#result .table-scroll") == ["rtl", "ltr"]
    assert result_tables(driver) == live


def test_a_passing_update_shows_the_table_it_left(browser, live_server, run_worker_burst, make_user, content):
    """The visible check of a data-changing statement, passed: the table after the statement, named, closed (it
    passed), live and as the server renders it; the hidden checks still show no table."""
    driver, exercise = browser, content["appliquer-remise"]
    log_in(driver, live_server, make_user("learner"))
    open_exercise(driver, live_server, exercise)
    set_file(driver, "requete.sql", solution_of("appliquer-remise")["requete.sql"])
    submit_and_grade(driver, run_worker_burst)
    assert css(driver, "#result .score").text == "10.0 / 10.0"
    live = result_tables(driver, captions=True)
    expected = next(c for c in exercise.spec["checks"] if c["id"] == "exemple")["expect"]["tables"]["commandes"]
    assert [(t["caption"], t["columns"], t["open"]) for t in live] == [
        ("Table commandes après votre instruction", expected["columns"], False)]
    assert cells(live[0]["rows"]) == cells(expected["rows"][:20])
    driver.get(f"{live_server}/submissions/{css(driver, '#result').get_attribute('data-submission-id')}")
    served = result_tables(driver, captions=True)
    assert [(t["caption"], t["open"], cells(t["rows"])) for t in served] == [
        (live[0]["caption"], False, cells(live[0]["rows"]))]


def cells(rows) -> list[list]:
    """Rows as numbers where they read as numbers: the live page writes a REAL 37.0 as JavaScript does (37), the
    server as Python does (37.0)."""
    def value(v):
        try:
            return float(v)
        except (TypeError, ValueError):
            return "NULL" if v is None else str(v)
    return [[value(v) for v in row] for row in rows]
