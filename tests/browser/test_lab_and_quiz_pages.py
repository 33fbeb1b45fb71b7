"""The cybersecurity and enterprise tracks' pages in a real browser (headless Chromium through Selenium, the app on
127.0.0.1), in French and Arabic.

An exploit lab: the page offers the target's source as a download, the learner writes the exploit in the editor,
submits, and reads what the exploit printed against the example instance (the secret it pulled out), left to right
inside the Arabic page; hidden checks show their name and status only.

A quiz: the learner meets their own questions (no key in the page), answers in the form, and the result arrives in
the answer to the submission (graded in the request): one item per question with its feedback, in both languages.
"""
from __future__ import annotations

from tests.browser.test_exercise_page import browser, css, log_in, open_exercise, submit_and_grade, wait  # noqa: F401
from tests.browser.test_web_workspace import directions, set_file
from tests.conftest import solution_of
from tests.e2e.test_quiz_flow import keyed_questions

LAB = "injection-sql-boutique"
QUIZ = "achat-paiement"


def choose_language(driver, language: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(css(driver, "#language")).select_by_value(language)
    css(driver, "form.language-switch button[type=submit]").click()
    wait(driver, lambda d: d.execute_script("return document.documentElement.lang") == language, 15,
         f"no {language} page")


def result_items(driver) -> list[dict]:
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('#result ul.checks li')).map(li => ({
            text: li.textContent, hidden: li.textContent.includes('('),
            blocks: li.querySelectorAll('pre, table, details').length,
            console: (li.querySelector('pre.console') || {}).textContent || ''}));""")


def test_exploit_lab_page_shows_what_the_exploit_printed(browser, live_server, run_worker_burst, make_user, content):
    driver, exercise = browser, content[LAB]
    log_in(driver, live_server, make_user("learner"))
    open_exercise(driver, live_server, exercise)
    links = driver.execute_script(
        "return Array.from(document.querySelectorAll('.data-files a')).map(a => [a.textContent, a.href])")
    assert [text for text, _ in links] == ["target/app.py"]
    assert links[0][1].endswith(f"/exercises/{exercise.uuid}/data/app.py")
    set_file(driver, "exploit.py", solution_of(LAB)["exploit.py"])
    submit_and_grade(driver, run_worker_burst)
    assert css(driver, "#result .score").text == "10.0 / 10.0"
    items = result_items(driver)
    assert len(items) == 4
    printed = items[0]["console"]
    assert "notes_direction -> direction : Code du coffre : " in printed  # the example's secret, pulled out
    hidden = [item for item in items if "autre instance" in item["text"]]
    assert len(hidden) == 2 and all(item["blocks"] == 0 for item in hidden)  # names and status only

    page = f"{live_server}/submissions/{css(driver, '#result').get_attribute('data-submission-id')}"
    choose_language(driver, "ar")
    driver.get(page)
    assert "استُخرج سرّ النسخة النموذجية" in css(driver, "#result").text
    assert directions(driver, "body", "#result pre.console") == ["rtl", "ltr"]


def open_quiz(driver, server: str, exercise) -> None:
    driver.get(f"{server}/exercises/{exercise.uuid}")
    wait(driver, lambda d: d.execute_script("return document.querySelectorAll('#quiz fieldset').length > 0"), 15,
         "no quiz questions on the page")


def test_quiz_page_in_french_and_arabic_graded_in_the_request(browser, live_server, run_worker_burst, make_user,
                                                             content):
    driver, exercise = browser, content[QUIZ]
    learner = make_user("learner")
    keyed = keyed_questions(exercise, learner)
    log_in(driver, live_server, learner)
    open_quiz(driver, live_server, exercise)
    order = driver.execute_script(
        "return Array.from(document.querySelectorAll('#quiz fieldset')).map(f => f.dataset.question)")
    assert sorted(order) == sorted(keyed)  # this learner's questions, in their order
    source = driver.page_source
    assert '"correct"' not in source and "data-correct" not in source
    # The right choice of every single-choice question, ticked as a person would; the others left blank.
    answered = 0
    for question_id in order:
        question = keyed[question_id]
        if question["type"] != "single":
            continue
        right = next(c["token"] for c in question["choices"] if c["correct"])
        driver.execute_script("""
            var box = document.querySelector('fieldset[data-question="' + arguments[0] + '"] input[value="'
                                             + arguments[1] + '"]');
            document.querySelector('label[for="' + box.id + '"]').click();""", question_id, right)
        answered += 1
    assert answered
    submit_and_grade(driver, run_worker_burst)
    items = result_items(driver)
    assert len(items) == len(order)
    score = css(driver, "#result .score").text
    got, total = (float(part) for part in score.split(" / "))
    assert total == 10.0 and 0 < got < 10.0  # the single-choice questions right, the rest unanswered
    feedback = [item["text"] for item in items]
    assert sum(text.startswith("✓") for text in feedback) == answered, feedback
    assert sum("Pas de réponse à cette question." in text for text in feedback) == len(order) - answered

    choose_language(driver, "ar")
    open_quiz(driver, live_server, exercise)
    legends = driver.execute_script(
        "return Array.from(document.querySelectorAll('#quiz legend')).map(l => l.textContent.trim())")
    assert legends[0].startswith("السؤال 1")
    assert directions(driver, "body", "#quiz fieldset") == ["rtl", "rtl"]
