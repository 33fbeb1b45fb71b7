"""The exercise page of a data-analysis exercise in a real browser: the learner downloads the visible dataset,
submits the script, and sees the figure their script drew (a PNG served as a sandboxed image), what it printed, and
the tables of their variables on the visible dataset; hidden checks show their name and status only. The same
after a reload of the submission's own page, and in Arabic (the page right to left, tables and code left to
right). A notebook exercise shows no editor but the starter's download and a file input: the learner uploads a
notebook (a bad one is refused in the page, in place), its result arrives live, and its page shows the code cells.
"""
from __future__ import annotations

import json

from tests.browser.test_exercise_page import (browser, css, log_in, open_exercise, submit_and_grade,  # noqa: F401
                                              wait)
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


NOTEBOOK_SLUG = "classeur-regions"


def test_a_notebook_exercise_is_handed_in_by_upload_and_shown_as_cells(browser, live_server, run_worker_burst,
                                                                      make_user, content, tmp_path):
    driver, exercise = browser, content[NOTEBOOK_SLUG]
    log_in(driver, live_server, make_user("learner"))
    driver.get(f"{live_server}/exercises/{exercise.uuid}")
    wait(driver, lambda d: d.execute_script("return document.readyState === 'complete'"), 15, "no exercise page")
    shown = driver.execute_script("""return {editors: document.querySelectorAll('.cm-editor, textarea').length,
        input: (function (i) { return i && {type: i.type, accept: i.accept, visible: i.offsetParent !== null}; })(
            document.querySelector('#submit-form input[name=notebook]')),
        starter: document.querySelector('#starter-download').getAttribute('href'),
        archive: document.querySelectorAll('input[name=archive]').length}""")
    assert shown == {"editors": 0, "input": {"type": "file", "accept": ".ipynb,application/x-ipynb+json",
                                             "visible": True},
                     "starter": f"/exercises/{exercise.uuid}/starter/analyse.ipynb", "archive": 0}, shown

    # A file that is no notebook: refused by the server, its message shown in the page, nothing reloaded.
    driver.execute_script("window.__sameDocument = 'yes';")
    broken = tmp_path / "analyse.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    css(driver, "#notebook-file").send_keys(str(broken))
    css(driver, "#submit-button").click()
    wait(driver, lambda d: css(d, "#submit-error").text, 15, "no error shown")
    assert "pas un JSON valide" in css(driver, "#submit-error").text
    assert driver.execute_script("return window.__sameDocument") == "yes"

    # The reference notebook, as Jupyter saves it after a run (an output in it): graded live, full marks.
    document = json.loads(solution_of(NOTEBOOK_SLUG)["analyse.ipynb"])
    document["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["LEARNER-MACHINE\n"]}]
    solved = tmp_path / "solved" / "analyse.ipynb"
    solved.parent.mkdir()
    solved.write_text(json.dumps(document), encoding="utf-8")
    css(driver, "#notebook-file").clear()
    css(driver, "#notebook-file").send_keys(str(solved))
    submit_and_grade(driver, run_worker_burst)
    assert css(driver, "#result .score").text == "10.0 / 10.0"
    assert not css(driver, "#submit-error").text
    page = f"{live_server}/submissions/{css(driver, '#result').get_attribute('data-submission-id')}"
    driver.get(page)
    wait(driver, lambda d: d.execute_script("return document.querySelectorAll('.notebook-cell .cm-editor').length"),
         15, "the cells are not shown in the read-only editor")
    cells = driver.execute_script("""return Array.from(document.querySelectorAll('.notebook-cell')).map(c => ({
        label: c.querySelector('h3').textContent, code: c.querySelector('.cm-content').textContent}))""")
    assert [c["label"] for c in cells] == ["Cellule 1", "Cellule 2", "Cellule 3", "Cellule 4"]
    assert "pd.read_excel" in cells[0]["code"] and "LEARNER-MACHINE" not in driver.page_source
    open_in_arabic(driver, live_server, content["graphique-mensuel"])  # the switch, then back to the page
    driver.get(page)
    wait(driver, lambda d: d.execute_script("return document.querySelectorAll('.notebook-cell .cm-editor').length"),
         15, "no cells in the Arabic page")
    assert directions(driver, "body", ".notebook-cell .cm-editor") == ["rtl", "ltr"]
    assert css(driver, ".notebook-cell h3").text == "الخلية 1"
