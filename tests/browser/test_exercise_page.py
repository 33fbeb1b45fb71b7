"""The exercise page in a real browser: Debian's headless Chromium driven by Selenium 4 against the app served over
HTTP on 127.0.0.1 (live_server), with submissions graded by a real RQ worker in real Docker containers.

A learner logs in through the form, writes the solution in the CodeMirror editor, submits, and sees the verdict
arrive without reloading the page; in Arabic the page is right to left while the code editor stays left to right.

Needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver) and selenium in the venv:
without them these tests fail (they are never skipped). Selenium Manager is never used (no download): the driver
and the browser are both given by path.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL_HINT = "install them with: apt-get install -y chromium chromium-driver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1366,900")
PASSWORD = "correct-horse-battery"  # what tests/conftest.py's make_user gives every account
EXERCISES = Path(__file__).resolve().parents[2] / "exercises"
EXAMPLE_CHECKS_FR = ["Exemple de l'énoncé", "Deux valeurs"]  # tests/public/checks.yaml: shown with a message
HIDDEN_CHECKS_FR = ["Trois entiers", "Un seul élément", "Nombres négatifs", "Nombres décimaux",
                    "Très grandes valeurs", "Liste vide"]
# Expected values of moyenne's hidden checks that appear nowhere else (not in the statement, starter or public tests).
HIDDEN_EXPECTED = ["-0.75", "2.3333333333333335", "1e+18", "1.0e+18", "1000000000000000000"]
LOGIN_WAIT = 15
VERDICT_WAIT = 120  # cold containers on a 2-core machine


def exercise_file(slug: str, kind: str) -> str:
    folder = next(EXERCISES.glob(f"*/*/{slug}"))
    return (folder / kind / "solution.py").read_text()


@pytest.fixture
def browser(tmp_path, monkeypatch):
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        pytest.fail(f"headless browser tests: {', '.join(missing)} not found; {INSTALL_HINT}", pytrace=False)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("headless browser tests: selenium is not installed in the venv (pip install selenium==4.51.0)",
                    pytrace=False)
    monkeypatch.setenv("SE_OFFLINE", "true")  # belt and braces: Selenium Manager must never download anything
    monkeypatch.setenv("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        try:
            driver.save_screenshot(str(tmp_path / "last.png"))  # kept in pytest's tmp dir, to look at after a failure
        finally:
            driver.quit()


def wait(driver, condition, timeout: float, message: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition, message)


def css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def log_in(driver, server: str, user) -> None:
    driver.get(f"{server}/login")
    css(driver, "#email").send_keys(user.email)
    css(driver, "#password").send_keys(PASSWORD)
    css(driver, "main form button[type=submit]").click()
    wait(driver, lambda d: d.current_url.rstrip("/").endswith("/tracks"), LOGIN_WAIT,
         f"login did not lead to the tracks (at {driver.current_url})")


def open_exercise(driver, server: str, exercise) -> None:
    driver.get(f"{server}/exercises/{exercise.uuid}")
    wait(driver, lambda d: d.execute_script("return !!document.querySelector('.cm-editor .cm-content')"), 15,
         "the CodeMirror editor did not appear")


def editor_text(driver) -> str:
    return driver.execute_script("return window.LMSEditor.create(document.querySelector("
                                 "'textarea[data-file=\"solution.py\"]')).getValue();")


def submit_and_grade(driver, run_worker_burst) -> dict:
    """Click Submit, let the worker grade the queued submission, wait for the final verdict (no reload allowed)."""
    driver.execute_script("window.__sameDocument = 'yes';")
    css(driver, "#submit-button").click()
    wait(driver, lambda d: d.execute_script("return document.querySelector('#live-result #result') !== null"), 20,
         "the submission did not appear under the editor")
    first = css(driver, "#live-result #result")
    shown = {"first_final": first.get_attribute("data-final"), "first_badge": css(driver, "#result .badge").text}
    # The submission is in the queue now (the API answered): grade it with a real worker, in this thread (RQ wants
    # the main thread for its signal handlers) while the page keeps polling the live server.
    from selenium.common.exceptions import TimeoutException

    final = "var r = document.querySelector('#live-result #result'); return r !== null && r.dataset.final === 'true';"
    for _ in range(3):  # a job retried after an infrastructure error is back in the queue: grade it again
        run_worker_burst()
        try:
            wait(driver, lambda d: d.execute_script(final), VERDICT_WAIT / 3, "no final verdict")
            break
        except TimeoutException:
            continue
    else:
        pytest.fail(f"no final verdict on the page; it shows: {css(driver, '#live-result').text!r}")
    assert driver.execute_script("return window.__sameDocument") == "yes", "the page was reloaded"
    return shown


def graded_checks(driver) -> list[dict]:
    """The items of the 'graded checks' list of the result panel (the first list: public tests come after)."""
    return driver.execute_script("""
        var lists = document.querySelectorAll('#live-result #result ul.checks');
        if (!lists.length) return [];
        return Array.from(lists[0].querySelectorAll('li')).map(function (li) {
            return {cls: li.className, mark: li.querySelector('.mark').textContent,
                    name: li.querySelector('.check-name').textContent, text: li.textContent,
                    messages: li.querySelectorAll('pre').length};
        });""")


def test_solve_moyenne_then_read_the_page_in_arabic(browser, live_server, run_worker_burst, make_user, content):
    from selenium.webdriver.support.ui import Select

    driver, exercise = browser, content["moyenne"]
    log_in(driver, live_server, make_user("learner"))
    open_exercise(driver, live_server, exercise)
    assert driver.execute_script("return [document.documentElement.lang, document.documentElement.dir]") == ["fr", "ltr"]

    # The editor holds the starter code, and so does the (hidden) textarea the form sends.
    starter = exercise_file("moyenne", "starter")
    assert editor_text(driver) == starter
    assert "# TODO" in css(driver, ".cm-editor .cm-content").text
    assert not css(driver, "textarea[data-file='solution.py']").is_displayed()

    # Replace the code through the editor's view, as typing would; the textarea follows.
    solution = exercise_file("moyenne", "solution")
    synced = driver.execute_script("""
        var textarea = document.querySelector('textarea[data-file="solution.py"]');
        var view = window.LMSEditor.create(textarea).view;
        view.dispatch({changes: {from: 0, to: view.state.doc.length, insert: arguments[0]}});
        return [view.state.doc.toString(), textarea.value];""", solution)
    assert synced == [solution, solution]
    assert "return sum(nombres) / len(nombres)" in css(driver, ".cm-editor .cm-content").text

    shown = submit_and_grade(driver, run_worker_burst)
    assert shown["first_final"] == "false"
    assert shown["first_badge"] in ("En file d'attente", "En cours de correction")

    result = css(driver, "#live-result #result")
    assert css(driver, "#result .badge").text == "Réussi"
    assert css(driver, "#result .score").text == "10.0 / 10.0"
    assert "Vérifications notées" in result.text
    checks = graded_checks(driver)
    assert [c["name"] for c in checks] == EXAMPLE_CHECKS_FR + HIDDEN_CHECKS_FR
    assert all(c["cls"] == "ok" and c["mark"] == "✓" and "réussi" in c["text"] for c in checks), checks
    # The table of my submissions got the verdict too, and the button is back.
    if os.environ.get("LMS_SCREENSHOTS"):
        driver.save_screenshot(os.path.join(os.environ["LMS_SCREENSHOTS"], "exercise-fr-passed.png"))
    row = css(driver, "#submissions-table tbody tr")
    assert "Réussi" in row.text and "10.0 / 10.0" in row.text
    assert css(driver, "#submit-button").text == "Soumettre" and css(driver, "#submit-button").is_enabled()

    # Switch the page to Arabic with the header's language switch, then reload the exercise page.
    Select(css(driver, "#language")).select_by_value("ar")
    css(driver, "form.language-switch button[type=submit]").click()
    wait(driver, lambda d: d.execute_script("return document.documentElement.lang") == "ar", 15,
         "the language switch did not give an Arabic page")
    open_exercise(driver, live_server, exercise)
    assert driver.execute_script("return [document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    directions = driver.execute_script("""
        var dir = function (el) { return getComputedStyle(el).direction; };
        return {body: dir(document.body), editor: dir(document.querySelector('.cm-editor')),
                content: dir(document.querySelector('.cm-editor .cm-content')),
                score: dir(document.querySelector('#submissions-table .score'))};""")
    assert directions == {"body": "rtl", "editor": "ltr", "content": "ltr", "score": "ltr"}
    # The code is laid out left to right: line numbers on the left, the first line's text against them.
    layout = driver.execute_script("""
        var content = document.querySelector('.cm-editor .cm-content').getBoundingClientRect();
        var gutter = document.querySelector('.cm-editor .cm-gutters').getBoundingClientRect();
        var range = document.createRange();
        range.selectNodeContents(document.querySelector('.cm-editor .cm-line'));
        var text = range.getBoundingClientRect();
        return {gutterLeftOfContent: gutter.right <= content.left + 1,
                textGapLeft: text.left - content.left, textGapRight: content.right - text.right};""")
    assert layout["gutterLeftOfContent"], layout
    assert layout["textGapLeft"] < 20 < layout["textGapRight"], layout
    if os.environ.get("LMS_SCREENSHOTS"):
        driver.save_screenshot(os.path.join(os.environ["LMS_SCREENSHOTS"], "exercise-ar.png"))
    assert css(driver, "#submit-button").text == "إرسال"
    assert "ناجح" in css(driver, "#submissions-table tbody tr").text
    assert editor_text(driver) == starter  # a new page starts again from the starter code


def test_starter_code_fails_without_revealing_hidden_expectations(browser, live_server, run_worker_burst, make_user,
                                                                  content):
    driver, exercise = browser, content["moyenne"]
    log_in(driver, live_server, make_user("learner"))
    open_exercise(driver, live_server, exercise)
    assert editor_text(driver) == exercise_file("moyenne", "starter")

    submit_and_grade(driver, run_worker_burst)

    if os.environ.get("LMS_SCREENSHOTS"):
        driver.save_screenshot(os.path.join(os.environ["LMS_SCREENSHOTS"], "exercise-fr-failed.png"))
    badge = css(driver, "#result .badge")
    assert badge.text != "Réussi" and "badge-passed" not in badge.get_attribute("class")
    assert badge.text == "Mauvaise réponse"
    score = css(driver, "#result .score").text
    assert score.endswith(" / 10.0") and float(score.split(" / ")[0]) < 10.0
    checks = graded_checks(driver)
    assert [c["name"] for c in checks] == EXAMPLE_CHECKS_FR + HIDDEN_CHECKS_FR
    examples, checks = checks[:len(EXAMPLE_CHECKS_FR)], checks[len(EXAMPLE_CHECKS_FR):]
    # A failed example explains itself (its expected value is public anyway).
    assert all(c["cls"] == "ko" and c["messages"] == 1 and "expected" in c["text"] for c in examples), examples
    failed = [c for c in checks if c["cls"] == "ko"]
    assert failed, checks
    for check in failed:
        assert check["mark"] == "✗"
        assert "(caché)" in check["text"] and "échoué" in check["text"]
        assert check["messages"] == 0  # no message, so no expected value, under a hidden check
    # Not in the live result, nor anywhere in the page.
    page = driver.page_source
    for value in HIDDEN_EXPECTED:
        assert value not in page, value
    graded_text = " ".join(c["text"] for c in checks).lower()
    for word in ("attendu", "expected", "obtenu", "got"):
        assert word not in graded_text
