"""The web-page kind in the real web sandbox (headless Chromium in fresh hardened containers): the bundled exercises'
references pass and starters fail, each check type, JavaScript off, screenshots of the visible viewports only."""
import json
from pathlib import Path

import docker
import pytest

from graders import get_grader
from graders.base import ExerciseSpec, Verdict
from graders.web_page import SCREENSHOT_MAX_BYTES
from lms.catalog.content import load_exercise

MODULE = Path(__file__).resolve().parents[3] / "exercises" / "front-end" / "html-css-dom"
EXERCISES = ["page-semantique", "formulaire-inscription", "grille-responsive", "compteur-clics", "liste-taches"]
LIMITS = {"wall_seconds": 20, "cpu_seconds": 10, "memory_mb": 512, "pids": 256, "tmpfs_mb": 64, "nofile": 1024,
          "cpus": 2}
VIEWPORTS = [{"name": "wide", "width": 1000, "height": 700}, {"name": "narrow", "width": 400, "height": 700},
             {"name": "secret", "width": 640, "height": 700, "hidden": True}]

PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>T</title>
<link rel="stylesheet" href="style.css"></head><body>
<header><h1 id="titre">Bonjour</h1><nav><a href="#a">A</a><a href="#b">B</a></nav></header>
<main><div class="cols"><section id="gauche">G</section><section id="droite">D</section></div>
<img src="logo.png" alt="Logo" width="10" height="10">
<form id="f" novalidate><label for="nom">Nom</label><input id="nom" required>
<button type="submit">OK</button></form><p id="salut" hidden></p>
<p id="cache" hidden>caché</p><noscript><p id="sans-js">Sans JavaScript</p></noscript></main>
<script src="script.js"></script></body></html>"""
STYLE = """.cols { display: flex; gap: 1rem; color: #336699; }
@media (max-width: 600px) { .cols { flex-direction: column; } }"""
SCRIPT = """document.querySelector("#f").addEventListener("submit", (e) => {
  e.preventDefault();
  const salut = document.querySelector("#salut");
  salut.textContent = "Salut " + document.querySelector("#nom").value;
  salut.hidden = false;
});
document.querySelector("#titre").dataset.js = "oui";"""
FILES = {"index.html": PAGE, "style.css": STYLE, "script.js": SCRIPT}

# One check of each type, visible ones at the visible widths and hidden ones (some at the hidden width).
EVERY_TYPE = [
    {"id": "count", "name": "count", "hidden": False, "selector": "nav a", "count": 2},
    {"id": "text", "name": "text", "hidden": False, "selector": "#titre", "text": {"equals": "Bonjour"}},
    {"id": "attribute", "name": "attribute", "hidden": False, "selector": "img", "attribute": "alt",
     "equals": "Logo"},
    {"id": "style", "name": "style", "hidden": False, "selector": ".cols",
     "style": {"display": "flex", "color": "#369", "column-gap": "1rem"}},
    {"id": "side-by-side", "name": "side by side", "hidden": False, "viewport": "wide", "selector": "#gauche",
     "layout": {"left-of": "#droite"}},
    {"id": "stacked", "name": "stacked", "hidden": False, "viewport": "narrow", "selector": "#droite",
     "layout": {"below": "#gauche"}},
    {"id": "hidden-at-first", "name": "hidden", "hidden": False, "selector": "#cache", "layout": "hidden"},
    {"id": "typed", "name": "typed", "hidden": False,
     "actions": [{"type": {"into": "#nom", "generate": "nom"}}, {"submit": "#f"}],
     "selector": "#salut", "text": {"equals": "Salut {{nom}}"}},
    {"id": "a11y", "name": "a11y", "hidden": False, "axe": ["image-alt", "label"]},
    {"id": "value", "name": "value", "actions": [{"type": {"into": "#nom", "generate": "nom"}},
                                                  {"press": {"key": "Enter", "into": "#nom"}}],
     "viewport": "secret", "selector": "#nom", "value": {"equals": "{{nom}}"}},
    {"id": "shown-after", "name": "shown", "actions": [{"click": "button"}], "selector": "#salut",
     "layout": "visible"},
    {"id": "secret-stacked", "name": "secret width", "viewport": "secret", "selector": "#droite",
     "layout": {"right-of": "#gauche"}},
    {"id": "inside", "name": "inside", "viewports": ["narrow", "secret"], "selector": "section",
     "layout": "inside-viewport"},
    {"id": "overflow", "name": "overflow", "viewports": ["wide", "narrow", "secret"],
     "layout": "no-horizontal-overflow"},
    {"id": "js-ran", "name": "js ran", "selector": "#titre", "attribute": "data-js", "equals": "oui"},
    {"id": "media", "name": "media", "source": {"css-at-rule": "media"}},
    {"id": "no-table", "name": "no table", "source": {"no-element": "table"}},
]


def spec_of(checks, **options) -> ExerciseSpec:
    spec = ExerciseSpec.from_dict({"kind": "web-page", "files": ["index.html", "style.css", "script.js"],
                                   "checks": checks, "limits": LIMITS, "points": 10,
                                   "options": {"viewports": VIEWPORTS, **options}})
    assert get_grader("web-page").validate(spec) == []
    return spec


@pytest.fixture
def grade(runner, docker_client):
    grader = get_grader("web-page")

    def run(spec, files):
        plan = grader.plan(spec, files)
        result = runner.run(plan)
        runner.flush()
        with pytest.raises(docker.errors.NotFound):  # whatever happened, the container is gone
            docker_client.containers.get(result.container_id)
        return grader.judge(spec, plan, result), result, plan

    return run


@pytest.mark.parametrize("slug", EXERCISES)
def test_bundled_reference_passes_and_starter_fails(grade, slug):
    exercise = load_exercise(MODULE / slug)
    spec = exercise.grading_spec()
    reference, _, _ = grade(spec, exercise.solution_files)
    assert (reference.verdict, reference.score) == (Verdict.PASSED, spec.points), \
        [(c.id, c.status, c.message) for c in reference.checks]
    starter, _, _ = grade(spec, exercise.starter_files)
    assert starter.score < spec.points and starter.verdict == Verdict.FAILED
    failing = [c for c in starter.checks if not c.passed and not c.hidden]
    assert failing and all(c.message["fr"] and c.message["ar"] and c.message["en"] for c in failing)
    assert {a.name for a in starter.artifacts} >= {c.details["artifact"] for c in failing if c.details}


def test_every_check_type_passes_on_a_page_that_does_it(grade):
    result, sandbox, plan = grade(spec_of(EVERY_TYPE), FILES)
    assert [(c.id, c.status) for c in result.checks if not c.passed] == []
    assert result.verdict == Verdict.PASSED and result.score == 10
    assert sandbox.warm is False and [s.name for s in sandbox.steps] == ["visible", "hidden"]


def test_each_check_type_fails_with_a_message_the_learner_can_act_on(grade):
    broken = {
        "index.html": PAGE.replace('<a href="#b">B</a>', "").replace('alt="Logo"', "")
                          .replace("Bonjour", "Bonsoir").replace('<p id="cache" hidden>', '<p id="cache">'),
        "style.css": ".cols { display: block; color: red; } section { width: 700px; }",
        "script.js": "",
    }
    result, _, plan = grade(spec_of(EVERY_TYPE), broken)
    status = {c.id: c.status for c in result.checks}
    assert all(status[c] == "failed" for c in ("count", "text", "attribute", "style", "side-by-side",
                                               "hidden-at-first", "typed", "a11y", "value", "shown-after",
                                               "secret-stacked", "inside", "overflow", "js-ran", "media")), status
    assert status["no-table"] == "passed" and status["stacked"] == "passed"
    messages = {c.id: c.message["en"] for c in result.checks if not c.hidden and not c.passed}
    assert messages["count"] == "\u201cnav a\u201d: 1 element(s), expected 2 (1000 px wide window)."
    assert messages["text"] == ("\u201c#titre\u201d: text \u201cBonsoir\u201d, expected: equal to "
                                "\u201cBonjour\u201d.")
    assert messages["style"] == ("\u201c.cols\u201d: display is \u201cblock\u201d, expected \u201cflex\u201d "
                                 "(1000 px wide window).")
    assert messages["side-by-side"] == ("\u201c#gauche\u201d should be to the left of \u201c#droite\u201d in a "
                                        "1000 px wide window.")
    assert "image-alt" in messages["a11y"]
    typed = plan.trusted["typed"]["typed"]["nom"]
    assert messages["typed"] == f"\u201c#salut\u201d: text \u201c\u201d, expected: equal to \u201cSalut {typed}\u201d."
    assert result.verdict == Verdict.FAILED and result.score == round(10 * 2 / len(EVERY_TYPE), 2)
    hidden_text = json.dumps(result.feedback(), ensure_ascii=False)
    assert plan.trusted["typed"]["value"]["nom"] not in hidden_text and "640" not in hidden_text


def test_javascript_off_is_really_off(grade):
    checks = [
        {"id": "no-js", "name": "no js", "hidden": False, "selector": "#titre", "attribute": "data-js",
         "present": False},
        {"id": "noscript", "name": "noscript", "hidden": False, "selector": "#sans-js", "layout": "visible"},
        {"id": "handler", "name": "handler", "hidden": False, "selector": "#marque", "count": 0},
        {"id": "a11y", "name": "axe with JavaScript off", "axe": ["image-alt"]},
        {"id": "no-submit-handler", "name": "no handler", "actions": [{"type": {"into": "#nom", "text": "x"}},
                                                                       {"submit": "#f"}],
         "selector": "#salut", "layout": "hidden"},
    ]
    page = PAGE.replace('alt="Logo"', 'alt="Logo" onload="document.body.insertAdjacentHTML(\'beforeend\', '
                                      '\'<b id=marque></b>\')"')
    page = page.replace("</body>", "<script>document.title = 'js'; document.body.append(Object.assign("
                                   "document.createElement('b'), {id: 'marque'}));</script></body>")
    files = {**FILES, "index.html": page}
    result, _, _ = grade(spec_of(checks, javascript=False), files)
    assert [(c.id, c.status) for c in result.checks if not c.passed] == [], [c.message for c in result.checks]
    on, _, _ = grade(spec_of(checks, javascript=True), files)
    assert {c.id for c in on.checks if not c.passed} == {"no-js", "noscript", "handler", "no-submit-handler"}


def test_screenshots_of_visible_viewports_only_capped_in_number_and_size(grade):
    viewports = [{"name": f"v{i}", "width": 300 + 200 * i, "height": 600} for i in range(4)]
    viewports.append({"name": "secret", "width": 1111, "height": 600, "hidden": True})
    checks = [{"id": "h1", "name": "h1", "hidden": False, "viewport": "v3", "selector": "h1", "count": 1},
              {"id": "wide", "name": "wide", "viewport": "secret", "selector": "h1", "count": 1}]
    spec = ExerciseSpec.from_dict({"kind": "web-page", "files": ["index.html", "style.css", "script.js"],
                                   "checks": checks, "limits": LIMITS, "options": {"viewports": viewports}})
    big = PAGE.replace("<main>", "<main>" + "".join(f"<p style='background:hsl({i * 7},80%,50%)'>{'x' * 300}</p>"
                                                   for i in range(60)))
    result, sandbox, _ = grade(spec, {**FILES, "index.html": big})
    assert result.verdict == Verdict.PASSED
    assert [a.name for a in result.artifacts] == ["screenshot-v0.jpeg", "screenshot-v1.jpeg", "screenshot-v2.jpeg"]
    for artifact in result.artifacts:
        assert artifact.content_type == "image/jpeg" and artifact.data.startswith(b"\xff\xd8\xff")
        assert 1000 < len(artifact.data) <= SCREENSHOT_MAX_BYTES
        assert "px" in artifact.caption["fr"]
    assert "screenshot" not in sandbox.step("hidden").records
    assert result.checks[0].details == {}  # its viewport (v3) is past the cap: no picture to point to


def test_a_practice_run_shows_the_visible_examples_with_their_screenshots(runner):
    exercise = load_exercise(MODULE / "grille-responsive")
    spec = exercise.grading_spec()
    assert set(exercise.public_tests) == {"checks.yaml"}  # shown on the exercise page
    grader = get_grader("web-page")
    for files, verdict in ((exercise.solution_files, Verdict.PASSED), (exercise.starter_files, Verdict.FAILED)):
        plan = grader.plan(spec, files, practice=True)
        result = runner.run(plan)
        grade = grader.judge(spec, plan, result)
        assert (grade.verdict, grade.score, grade.checks) == (verdict, 0.0, [])
        assert [t.id for t in grade.public_tests] == ["grid", "desktop-one-row", "phone-stacked"]
        assert [s.name for s in result.steps] == ["visible"]
        assert [a.name for a in grade.artifacts] == ["screenshot-desktop.jpeg", "screenshot-phone.jpeg"]


def test_no_check_sees_what_another_checks_actions_did(grade):
    """The page as loaded is observed, then acted on by the viewport's first scenario (no reload in between); every
    other scenario gets a fresh document with the origin's storage cleared: no click, typed text or stored value
    of one check reaches another check's observations."""
    page = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>T</title></head><body>
<p id="n"></p><button id="plus" type="button">+1</button><input id="nom"><p id="vu"></p>
<script>
let n = Number(localStorage.getItem("n") || 0) + Number(sessionStorage.getItem("n") || 0);
document.querySelector("#n").textContent = String(n);
document.querySelector("#vu").textContent = localStorage.getItem("nom") || "";
document.querySelector("#plus").addEventListener("click", () => {
  n += 1; document.querySelector("#n").textContent = String(n);
  localStorage.setItem("n", String(n)); sessionStorage.setItem("n", String(n));
});
document.querySelector("#nom").addEventListener("input", (e) => localStorage.setItem("nom", e.target.value));
</script></body></html>"""
    checks = [
        {"id": "start", "name": "start", "hidden": False, "viewport": "wide", "selector": "#n",
         "text": {"equals": "0"}},
        {"id": "two", "name": "two", "hidden": False, "viewport": "wide",
         "actions": [{"click": "#plus"}, {"click": "#plus"}], "selector": "#n", "text": {"equals": "2"}},
        {"id": "one", "name": "one", "hidden": False, "viewport": "wide", "actions": [{"click": "#plus"}],
         "selector": "#n", "text": {"equals": "1"}},
        {"id": "typed", "name": "typed", "hidden": False, "viewport": "wide",
         "actions": [{"type": {"into": "#nom", "text": "secret-a"}}], "selector": "#nom",
         "value": {"equals": "secret-a"}},
        {"id": "after-typed", "name": "after typed", "hidden": False, "viewport": "wide",
         "actions": [{"click": "#plus"}], "selector": "#vu", "text": {"equals": ""}},
        {"id": "narrow-start", "name": "narrow start", "hidden": False, "viewport": "narrow", "selector": "#n",
         "text": {"equals": "0"}},
        {"id": "narrow-one", "name": "narrow one", "hidden": False, "viewport": "narrow",
         "actions": [{"click": "#plus"}], "selector": "#n", "text": {"equals": "1"}},
        {"id": "secret-start", "name": "secret start", "viewport": "secret", "selector": "#n",
         "text": {"equals": "0"}},
        {"id": "secret-one", "name": "secret one", "viewport": "secret", "actions": [{"click": "#plus"}],
         "selector": "#n", "text": {"equals": "1"}},
        {"id": "secret-one-again", "name": "secret one again", "viewport": "secret",
         "actions": [{"click": "#plus"}], "selector": "#n", "text": {"equals": "1"}},
    ]
    result, _, plan = grade(spec_of(checks), {"index.html": page, "style.css": "", "script.js": ""})
    assert [(c.id, c.status) for c in result.checks if not c.passed] == [], [c.message for c in result.checks]
    assert [len(v["sessions"]) for v in plan.steps[0]["args"]["viewports"]] == [4, 1]
