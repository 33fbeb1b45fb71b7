"""The exercise page of a web-page exercise in a real browser (Debian's headless Chromium through Selenium, the app
on 127.0.0.1): one tab per file, a live preview of the learner's page that follows the editor and can reach
nothing but itself, left to right inside the Arabic page, and the screenshots of the graded viewports in the
result panel."""
from __future__ import annotations

from pathlib import Path

from tests.browser.test_exercise_page import browser, css, log_in, open_exercise, submit_and_grade, wait  # noqa: F401

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"
FILES = ["index.html", "style.css", "script.js"]
PREVIEW_WAIT = 15


def set_file(driver, name: str, text: str) -> None:
    """Replace a file's text through its editor's view, as typing would (the textarea and the preview follow)."""
    driver.execute_script("""
        var textarea = document.querySelector('textarea[data-file="' + arguments[0] + '"]');
        var view = window.LMSEditor.create(textarea).view;
        view.dispatch({changes: {from: 0, to: view.state.doc.length, insert: arguments[1]}});""", name, text)


def in_preview(driver, script: str):
    """Run `script` inside the preview's document (an opaque origin: WebDriver still switches into it)."""
    driver.switch_to.frame(css(driver, "#preview-frame"))
    try:
        return driver.execute_script(script)
    finally:
        driver.switch_to.default_content()


def preview_text(driver, selector: str):
    return in_preview(driver, f"var e = document.querySelector({selector!r}); return e && e.textContent;")


def open_in_arabic(driver, server: str, exercise) -> None:
    from selenium.webdriver.support.ui import Select

    Select(css(driver, "#language")).select_by_value("ar")
    css(driver, "form.language-switch button[type=submit]").click()
    wait(driver, lambda d: d.execute_script("return document.documentElement.lang") == "ar", 15, "no Arabic page")
    open_exercise(driver, server, exercise)


def directions(driver, *selectors: str) -> list[str]:
    return driver.execute_script(
        "return arguments[0].map(s => getComputedStyle(document.querySelector(s)).direction);", list(selectors))


def test_tabs_preview_and_screenshots_of_a_web_page_exercise(browser, live_server, run_worker_burst, make_user,
                                                             content):
    driver, exercise = browser, content["compteur-clics"]
    log_in(driver, live_server, make_user("learner"))
    open_exercise(driver, live_server, exercise)

    # One tab per file, the first one open; a click opens another and hides the rest.
    tabs = driver.find_elements("css selector", ".file-tabs [role=tab]")
    assert [t.text for t in tabs] == FILES
    visible = "return Array.from(document.querySelectorAll('.file-panel')).map(p => !p.hidden);"
    assert driver.execute_script(visible) == [True, False, False]
    tabs[1].click()
    assert driver.execute_script(visible) == [False, True, False]
    assert tabs[1].get_attribute("aria-selected") == "true" and tabs[0].get_attribute("aria-selected") == "false"

    # The preview shows the starter page, its script running (the page's JavaScript is on for this exercise).
    wait(driver, lambda d: preview_text(d, "#compteur") == "0", PREVIEW_WAIT, "the preview did not show the starter")
    set_file(driver, "index.html", '<!doctype html><html><head><link rel="stylesheet" href="style.css"></head>'
                                   '<body><h1 id="marque">Bonjour</h1><script src="script.js"></script></body></html>')
    set_file(driver, "style.css", "#marque { color: rgb(200, 10, 20); }")
    set_file(driver, "script.js", "document.querySelector('#marque').textContent += ' depuis le script';")
    wait(driver, lambda d: preview_text(d, "#marque") == "Bonjour depuis le script", PREVIEW_WAIT,
         "the preview did not follow the editors")
    assert in_preview(driver, "return getComputedStyle(document.querySelector('#marque')).color") == "rgb(200, 10, 20)"

    # It can reach nothing: not the page that holds it, not the app's API (no cookie, no request at all).
    reach = in_preview(driver, """
        var out = {};
        try { out.parent = String(window.parent.document.title); } catch (e) { out.parent = 'blocked'; }
        out.origin = String(window.origin);
        return out;""")
    assert reach == {"parent": "blocked", "origin": "null"}
    # A fresh preview document, then a page asking the app's API for the learner's submissions.
    fetched = driver.execute_async_script("""
        var done = arguments[arguments.length - 1];
        var frame = document.querySelector('#preview-frame');
        window.addEventListener('message', function (e) { if (e.data && e.data.probe) done(e.data.probe); });
        frame.onload = function () {
          frame.contentWindow.postMessage({type: 'lms-preview', html: '<script>fetch("/api/v1/submissions").then(' +
            'function () { parent.postMessage({probe: "reached"}, "*"); }, ' +
            'function () { parent.postMessage({probe: "refused"}, "*"); });<\\/script>'}, '*');
        };
        frame.src = document.querySelector('#preview').dataset.frameUrl + '?probe';""")
    assert fetched == "refused"

    # In Arabic the page is right to left; the tabs and the preview stay left to right.
    open_in_arabic(driver, live_server, exercise)
    assert directions(driver, "body", ".file-tabs", "#preview-frame", ".cm-editor") == ["rtl", "ltr", "ltr", "ltr"]

    # Submit the reference solution: the result shows the screenshots of the visible viewports, as images.
    for name in FILES:
        set_file(driver, name, (EXERCISES / "front-end" / "html-css-dom" / "compteur-clics" / "solution" / name)
                 .read_text())
    submit_and_grade(driver, run_worker_burst)
    assert css(driver, "#result .score").text == "10.0 / 10.0"
    images = driver.execute_script("""
        return Array.from(document.querySelectorAll('#result .artifact img')).map(function (img) {
            return {src: img.getAttribute('src'), loaded: img.complete && img.naturalWidth > 0}; });""")
    assert images and all(i["src"].startswith("/submissions/") and "/artifacts/" in i["src"] for i in images)
    wait(driver, lambda d: d.execute_script(
        "return Array.from(document.querySelectorAll('#result .artifact img')).every(i => i.complete && "
        "i.naturalWidth > 0)"), 15, "the screenshots did not load")


def test_fullstack_exercise_tabs_transcript_and_screenshot(browser, live_server, run_worker_burst, make_user, content):
    """A fullstack exercise: one tab per file (server, template, script, style), no preview (its pages come from
    the server), and after grading the visible checks' screenshot and request transcript."""
    driver, exercise = browser, content["taches-persistantes"]
    folder = EXERCISES / "fullstack" / "applications-web" / "taches-persistantes"
    files = ["app.py", "templates/index.html", "static/app.js", "static/style.css"]
    log_in(driver, live_server, make_user("learner"))
    open_exercise(driver, live_server, exercise)
    tabs = driver.find_elements("css selector", ".file-tabs [role=tab]")
    assert [t.text for t in tabs] == files
    assert driver.find_elements("css selector", "#preview-frame") == []
    for name in files:
        set_file(driver, name, (folder / "solution" / name).read_text())
    submit_and_grade(driver, run_worker_burst)
    assert css(driver, "#result .score").text == "10.0 / 10.0"
    lines = driver.execute_script(
        "return Array.from(document.querySelectorAll('#result .transcript .request-line')).map(e => e.textContent)")
    assert lines[:2] == ["POST /api/taches", "GET /api/taches"]
    wait(driver, lambda d: d.execute_script(
        "var i = Array.from(document.querySelectorAll('#result .artifact img')); return i.length > 0 && "
        "i.every(x => x.complete && x.naturalWidth > 0)"), 15, "the screenshot did not load")
    # In Arabic: the page right to left, the file tabs and the code left to right, the same four tabs.
    open_in_arabic(driver, live_server, exercise)
    assert directions(driver, "body", ".file-tabs", ".cm-editor") == ["rtl", "ltr", "ltr"]
    assert [t.text for t in driver.find_elements("css selector", ".file-tabs [role=tab]")] == files
