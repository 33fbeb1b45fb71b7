"""The exercise page of a data-analysis exercise in a real browser: the learner downloads the visible dataset,
submits the script, and sees the figure their script drew (a PNG served as a sandboxed image), what it printed, and
the tables of their variables on the visible dataset; hidden checks show their name and status only. The same
after a reload of the submission's own page, and in Arabic (the page right to left, tables and code left to
right)."""
from __future__ import annotations

from tests.browser.test_exercise_page import browser, css, log_in, open_exercise, submit_and_grade  # noqa: F401
from tests.browser.test_sql_workspace import result_tables
from tests.browser.test_web_workspace import directions, open_in_arabic, set_file
from tests.conftest import solution_of

SLUG = "graphique-mensuel"


def shown_figures(driver) -> list[dict]:
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('#result figure.artifact img')).map(img => ({
          loaded: img.complete && img.naturalWidth > 0, width: img.naturalWidth, alt: img.alt}));""")


def test_data_exercise_shows_the_figure_the_output_and_the_tables(browser, live_server, run_worker_burst, make_user,
                                                                  content):
    driver, exercise = browser, content[SLUG]
    log_in(driver, live_server, make_user("learner"))
    open_exercise(driver, live_server, exercise)
    links = driver.execute_script(
        "return Array.from(document.querySelectorAll('.data-files a')).map(a => a.getAttribute('href'))")
    assert links and all("/exemple/" in link for link in links)  # the visible dataset only
    solution = solution_of(SLUG)["analyse.py"]
    set_file(driver, "analyse.py", solution)
    submit_and_grade(driver, run_worker_burst)
    assert css(driver, "#result .score").text == "10.0 / 10.0"
    assert css(driver, "#result h3").text == "Figures"
    live = shown_figures(driver)
    assert len(live) == 1 and live[0]["loaded"] and live[0]["width"] > 100, live
    assert live[0]["alt"] == "Figure 1 (jeu de données exemple)"
    tables = result_tables(driver)
    assert tables and all(t["rows"] for t in tables)
    hidden = driver.execute_script("""return Array.from(document.querySelectorAll('#result li')).filter(
        li => Array.from(li.querySelectorAll('span.muted')).some(s => s.textContent.trim().startsWith('(')))
        .map(li => li.querySelectorAll('table, pre, img').length)""")
    assert hidden and set(hidden) == {0}
    page = f"{live_server}/submissions/{css(driver, '#result').get_attribute('data-submission-id')}"
    driver.get(page)
    assert [f["loaded"] for f in shown_figures(driver)] == [True] and result_tables(driver) == tables
    open_in_arabic(driver, live_server, exercise)
    driver.get(page)
    assert css(driver, "#result h3").text == "الأشكال"
    assert directions(driver, "body", "#result .table-scroll") == ["rtl", "ltr"]
