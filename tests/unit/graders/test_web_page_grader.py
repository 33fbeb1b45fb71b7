"""The web-page judge on plain data: style normalisation, layout relations, counts, texts, static source facts,
the plan (no expected value in it, hidden checks in the hidden step) and the grade built from records."""
import base64
import json

import pytest

from graders.base import ExerciseSpec, Verdict
from graders.web_page import (WebPageGrader, judge_observation, judge_source, normalise_colour, normalise_style,
                              relation_holds, source_facts)
from sandboxes.runner import SandboxResult, StepOutcome

VIEWPORTS = [{"name": "desktop", "width": 1200, "height": 800}, {"name": "phone", "width": 375, "height": 700},
             {"name": "tablet", "width": 760, "height": 900, "hidden": True}]
LIMITS = {"wall_seconds": 10, "memory_mb": 512, "pids": 256, "tmpfs_mb": 64, "nofile": 1024}


def spec_with(checks, **options) -> ExerciseSpec:
    return ExerciseSpec.from_dict({"kind": "web-page", "files": ["index.html", "style.css", "script.js"],
                                   "checks": checks, "limits": LIMITS,
                                   "options": {"viewports": VIEWPORTS, **options}})


@pytest.mark.parametrize("written, computed", [
    ("#333", "rgb(51, 51, 51)"), ("#FFF", "rgb(255, 255, 255)"), ("#00000080", "rgba(0, 0, 0, 0.5)"),
    ("red", "rgb(255, 0, 0)"), ("rebeccapurple", "rgb(102, 51, 153)"), ("transparent", "rgba(0, 0, 0, 0)"),
    ("rgb(10 20 30)", "rgb(10, 20, 30)"), ("rgba(10,20,30,.5)", "rgba(10, 20, 30, 0.5)"),
    ("hsl(0, 100%, 50%)", "rgb(255, 0, 0)"), ("rgb(100%, 0%, 0%)", "rgb(255, 0, 0)"),
])
def test_colours_normalise_to_what_the_browser_computes(written, computed):
    assert normalise_colour(written.lower()) == computed
    assert normalise_style("color", written) == normalise_style("color", computed) == computed


@pytest.mark.parametrize("prop, written, computed", [
    ("margin-left", "1rem", "16px"), ("padding", "0", "0px"), ("font-size", "12pt", "16px"),
    ("padding", "0.5rem 1rem", "8px 16px"), ("border", "1px solid #CCC", "1px solid rgb(204, 204, 204)"),
    ("display", " GRID ", "grid"), ("font-weight", "bold", "700"), ("width", "2.5px", "2.5px"),
    ("display", "flex !important", "flex"),
])
def test_lengths_to_px_and_keywords_lower_case(prop, written, computed):
    assert normalise_style(prop, written) == computed


def test_a_colour_is_not_a_length_nor_the_other_way_round():
    assert normalise_style("color", "#333") != normalise_style("color", "rgb(51, 51, 52)")
    assert normalise_style("margin", "1em") != normalise_style("margin", "15px")
    assert normalise_colour("notacolour") is None


A = {"x": 0, "y": 0, "w": 100, "h": 50}
RIGHT = {"x": 100, "y": 10, "w": 100, "h": 50}
BELOW = {"x": 0, "y": 60, "w": 100, "h": 50}


@pytest.mark.parametrize("relation, a, b, holds", [
    ("left-of", A, RIGHT, True), ("left-of", RIGHT, A, False), ("right-of", RIGHT, A, True),
    ("above", A, BELOW, True), ("below", BELOW, A, True), ("below", A, BELOW, False),
    ("same-row", A, RIGHT, True), ("same-row", A, BELOW, False),
    ("left-of", {"x": 0, "y": 0, "w": 100.5, "h": 1}, RIGHT, True),  # within a pixel
    ("left-of", {"x": 0, "y": 0, "w": 102, "h": 1}, RIGHT, False),
])
def test_layout_relations(relation, a, b, holds):
    assert relation_holds(relation, a, b) is holds


def judge(check, obs, typed=None):
    return judge_observation(check, obs, typed or {}, 1200)


def test_counts_exact_min_and_max():
    assert judge({"selector": "a", "count": 3}, {"count": 3})[0]
    passed, note = judge({"selector": "nav a", "min": 3}, {"count": 2})
    assert not passed and "2 élément(s), attendu 3 – …" in note["fr"] and "nav a" in note["ar"]
    assert judge({"selector": "li", "max": 2}, {"count": 0})[0]
    assert not judge({"selector": "li", "min": 1, "max": 2}, {"count": 3})[0]
    assert not judge({"selector": "li", "count": 0}, {"count": "0"})[0]  # odd data fails, never passes


def test_text_equals_contains_matches_with_typed_text():
    check = {"selector": "#out", "text": {"equals": "Merci, {{nom}} !"}}
    assert judge(check, {"count": 1, "texts": ["Merci, olive-1234 !"]}, {"nom": "olive-1234"})[0]
    passed, note = judge(check, {"count": 1, "texts": ["Merci, Amina !"]}, {"nom": "olive-1234"})
    assert not passed and note["en"] == ("\u201c#out\u201d: text \u201cMerci, Amina !\u201d, expected: equal to "
                                         "\u201cMerci, olive-1234 !\u201d.")
    regex = {"selector": "ul", "text": {"matches": "{{a}}.*{{b}}"}}
    assert judge(regex, {"count": 1, "texts": ["x.y-1 then z"]}, {"a": "x.y-1", "b": "z"})[0]
    assert not judge(regex, {"count": 1, "texts": ["xzy-1 then z"]}, {"a": "x.y-1", "b": "z"})[0]  # escaped
    assert not judge({"selector": "p", "text": {"contains": "a"}}, {"count": 1, "texts": [None]})[0]
    passed, note = judge({"selector": "p", "text": {"contains": "a"}}, {"count": 0, "texts": []})
    assert not passed and "Aucun élément" in note["fr"]


def test_every_observed_element_must_hold():
    check = {"selector": "img", "attribute": "alt", "present": True}
    assert judge(check, {"count": 2, "values": ["Logo", ""]})[0]  # an empty alt is present (decorative image)
    passed, note = judge(check, {"count": 2, "values": ["Logo", None]})
    assert not passed and note["fr"] == "« img » n'a pas d'attribut alt."
    assert judge({"selector": "#e", "attribute": "type", "equals": "email"}, {"count": 1, "values": ["email"]})[0]
    assert not judge({"selector": "p", "attribute": "style", "present": False}, {"count": 1, "values": [""]})[0]
    style = {"selector": ".card", "style": {"display": "grid", "color": "#333"}}
    assert judge(style, {"count": 1, "styles": [{"display": "grid", "color": "rgb(51, 51, 51)"}]})[0]
    passed, note = judge(style, {"count": 2, "styles": [{"display": "grid", "color": "rgb(51, 51, 51)"},
                                                        {"display": "block", "color": "rgb(51, 51, 51)"}]})
    assert not passed and "display" in note["en"] and "“block”" in note["en"]


def test_visibility_viewport_and_overflow():
    assert judge({"selector": ".e", "layout": "visible"}, {"count": 1, "visible": [True]})[0]
    assert not judge({"selector": ".e", "layout": "visible"}, {"count": 2, "visible": [True, False]})[0]
    assert judge({"selector": ".e", "layout": "hidden"}, {"count": 0, "visible": []})[0]
    assert not judge({"selector": ".e", "layout": "hidden"}, {"count": 1, "visible": [True]})[0]
    inside = {"selector": ".c", "layout": "inside-viewport"}
    assert judge(inside, {"count": 1, "rects": [{"x": 0, "y": 0, "w": 375, "h": 9}], "viewport": {"width": 375}})[0]
    assert not judge(inside, {"count": 1, "rects": [{"x": 10, "y": 0, "w": 375, "h": 9}],
                              "viewport": {"width": 375}})[0]
    overflow = {"layout": "no-horizontal-overflow"}
    assert judge(overflow, {"scroll_width": 375, "viewport": {"width": 375}})[0]
    passed, note = judge(overflow, {"scroll_width": 900, "viewport": {"width": 375}})
    assert not passed and "900 px" in note["fr"]
    assert not judge(overflow, {"scroll_width": "375", "viewport": {"width": 375}})[0]


def test_axe_violations_and_failed_actions():
    check = {"axe": ["image-alt"]}
    assert judge(check, {"violations": []})[0]
    passed, note = judge(check, {"violations": [{"rule": "image-alt", "count": 2, "targets": ["img", ".logo"]}]})
    assert not passed and note["en"] == "Accessibility: image-alt (2 element(s): img, .logo)."
    assert not judge(check, {})[0]
    action = {"actions": [{"click": "#plus"}], "selector": "#n", "text": {"equals": "1"}}
    passed, note = judge(action, {"action_failed": {"index": 0, "reason": "TimeoutError"}})
    assert not passed and "click #plus" in note["fr"]
    assert not judge({"selector": "a[[", "count": 1}, {"invalid": "SyntaxError"})[0]


HTML = """<!doctype html><html><head><style>@media (max-width: 600px) { .g { display: grid } }</style></head>
<body><nav><a href="#">A</a></nav><table></table><p style="color:red">x</p></body></html>"""


def test_static_source_facts():
    facts = source_facts({"index.html": HTML, "style.css": "/* display: flex */ .c { GAP: 1rem; color: #333 }"})
    assert judge_source({"source": {"element": "nav"}}, facts) == (True, None)
    passed, note = judge_source({"source": {"no-element": "table"}}, facts)
    assert not passed and note["fr"] == "Le HTML ne devrait pas utiliser d'élément <table>."
    assert not judge_source({"source": {"no-inline-style": True}}, facts)[0]
    assert judge_source({"source": {"css-at-rule": "media"}}, facts)[0]
    assert judge_source({"source": {"css-property": {"display": "grid"}}}, facts)[0]
    assert not judge_source({"source": {"css-property": {"display": "flex"}}}, facts)[0]  # in a comment only
    assert judge_source({"source": {"css-property": "gap"}}, facts)[0]
    assert judge_source({"source": {"css-property": {"color": "rgb(51,51,51)"}}}, facts)[0]
    assert not judge_source({"source": {"element": "footer"}}, facts)[0]


CHECKS = [
    {"id": "title", "name": "t", "hidden": False, "selector": "h1", "text": {"contains": "Bonjour"}},
    {"id": "add", "name": "a", "hidden": False, "actions": [{"type": {"into": "#i", "generate": "item"}},
                                                            {"click": "#go"}],
     "selector": "#list", "text": {"contains": "{{item}}"}},
    {"id": "narrow", "name": "n", "viewport": "tablet", "layout": "no-horizontal-overflow"},
    {"id": "hidden-add", "name": "h", "viewports": ["desktop", "tablet"],
     "actions": [{"type": {"into": "#i", "generate": "item"}}, {"press": {"key": "Enter", "into": "#i"}}],
     "selector": "#list li", "count": 1},
    {"id": "grid", "name": "g", "source": {"css-property": {"display": "grid"}}},
]


def test_validation_names_each_problem():
    grader = WebPageGrader()
    assert grader.validate(spec_with(CHECKS)) == []
    bad = spec_with([
        {"id": "a", "name": "a", "hidden": False, "viewport": "tablet", "selector": "h1", "count": 1},
        {"id": "b", "name": "b", "selector": "h1", "text": {"starts": "x"}},
        {"id": "c", "name": "c", "selector": "p", "text": {"contains": "{{nope}}"}},
        {"id": "d", "name": "d", "selector": "p", "count": 1, "style": {"color": "red"}},
        {"id": "e", "name": "e", "source": {"css-property": "display"}, "actions": [{"click": "#x"}]},
        {"id": "f", "name": "f", "selector": "p", "text": {"matches": "("}},
        {"id": "g", "name": "g", "viewport": "watch", "layout": "no-horizontal-overflow"},
    ])
    problems = "\n".join(grader.validate(bad))
    assert "cannot use the hidden viewport 'tablet'" in problems
    assert "text takes one of equals, contains, matches" in problems
    assert "uses {{nope}}, which no action of this check generates" in problems
    assert "exactly one observation is required" in problems
    assert "a source check takes no actions" in problems
    assert "not a valid regular expression" in problems
    assert "unknown viewport 'watch'" in problems
    small = ExerciseSpec.from_dict({"kind": "web-page", "files": ["page.html"], "checks": CHECKS,
                                    "options": {"viewports": [{"name": "x", "width": 100, "height": 600,
                                                               "hidden": True}]}})
    problems = "\n".join(grader.validate(small))
    assert "index.html is required" in problems and "memory_mb must be at least 384" in problems
    assert "width must be a whole number of pixels from 240 to 2560" in problems
    assert "at least one viewport must be visible" in problems


def test_plan_carries_no_expected_value_and_keeps_hidden_checks_hidden():
    spec = spec_with(CHECKS)
    plan = WebPageGrader().plan(spec, {"index.html": "<h1>x</h1>", "style.css": "", "script.js": ""})
    visible, hidden = plan.steps
    assert (visible["name"], visible["hidden"], hidden["name"], hidden["hidden"]) == ("visible", False,
                                                                                      "hidden", True)
    sent = json.dumps(plan.steps)
    assert "Bonjour" not in sent and "no-horizontal-overflow" not in sent and "grid" not in sent
    # The visible step: every visible viewport with its screenshot, only visible checks; never the hidden width.
    assert [(v["name"], "screenshot" in v) for v in visible["args"]["viewports"]] == [("desktop", True),
                                                                                       ("phone", True)]
    assert "tablet" not in json.dumps(visible) and "hidden-add" not in json.dumps(visible)
    assert [v["name"] for v in hidden["args"]["viewports"]] == ["desktop", "tablet"]
    assert "screenshot" not in json.dumps(hidden) and hidden["args"]["page_errors"] is False
    # The typed text is chosen here, once per check, and kept in the plan's trusted data to judge.
    typed = plan.trusted["typed"]
    assert typed["add"]["item"] in json.dumps(visible) and typed["add"]["item"] not in json.dumps(hidden)
    assert typed["hidden-add"]["item"] in json.dumps(hidden) and typed["hidden-add"]["item"] not in json.dumps(visible)
    other = WebPageGrader().plan(spec, {})
    assert other.trusted["typed"]["add"]["item"] != typed["add"]["item"] or \
        other.trusted["typed"]["hidden-add"]["item"] != typed["hidden-add"]["item"]
    assert spec_with(CHECKS, javascript=False).options["javascript"] is False
    off = WebPageGrader().plan(spec_with(CHECKS, javascript=False), {})
    assert all(step["args"]["javascript"] is False for step in off.steps)


JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100


def result_of(plan, visible_records, hidden_records, **hidden_flags):
    steps = [StepOutcome(name="visible", exit_code=0, hidden=False, stdout="TypeError: x is not a function\n",
                         records="".join(json.dumps(r) + "\n" for r in visible_records)),
             StepOutcome(name="hidden", hidden=True, records="".join(json.dumps(r) + "\n" for r in hidden_records),
                         **{"exit_code": 0, **hidden_flags})]
    return SandboxResult(status="completed", steps=steps, container_id="c", warm=False)


def test_grade_from_records_with_screenshots_for_visible_viewports_only():
    spec = spec_with(CHECKS)
    grader = WebPageGrader()
    files = {"index.html": "<h1>x</h1>", "style.css": ".g { display: grid }", "script.js": ""}
    plan = grader.plan(spec, files)
    typed = plan.trusted["typed"]
    shot = base64.b64encode(JPEG).decode()
    visible = [{"id": "title@desktop", "obs": {"count": 1, "texts": ["Bonjour"]}},
               {"id": "add@desktop", "obs": {"count": 1, "texts": [f"- {typed['add']['item']}"]}},
               {"id": "screenshot@desktop", "jpeg": shot}, {"id": "screenshot@phone", "jpeg": "bm90IGEganBlZw=="}]
    hidden = [{"id": "narrow@tablet", "obs": {"scroll_width": 760, "viewport": {"width": 760}}},
              {"id": "hidden-add@desktop", "obs": {"count": 1}}, {"id": "hidden-add@tablet", "obs": {"count": 2}}]
    grade = grader.judge(spec, plan, result_of(plan, visible, hidden))
    assert grade.verdict == Verdict.FAILED and grade.score == 8.0
    assert [(c.id, c.status) for c in grade.checks] == [("title", "passed"), ("add", "passed"),
                                                          ("narrow", "passed"), ("hidden-add", "failed"),
                                                          ("grid", "passed")]
    assert [a.name for a in grade.artifacts] == ["screenshot-desktop.jpeg"]  # not a JPEG: dropped
    assert grade.checks[0].details == {"artifact": "screenshot-desktop.jpeg"}
    assert grade.checks[3].message == "" and grade.checks[3].details == {}
    assert grade.message == "TypeError: x is not a function"  # the visible page's first error

    timed_out = [{"id": "narrow@tablet", "error": "timeout"}, {"id": "hidden-add@desktop", "error": "timeout"},
                 {"id": "hidden-add@tablet", "error": "timeout"}]
    grade = grader.judge(spec, plan, result_of(plan, visible, timed_out, timed_out=True))
    assert grade.verdict == Verdict.TIME_LIMIT and [c.status for c in grade.checks][2:4] == ["timeout", "timeout"]
    forged = visible + [{"id": "narrow@tablet", "obs": {}}]  # an id the visible step was never asked about
    grade = grader.judge(spec, plan, result_of(plan, forged, hidden))
    assert not any(c.passed for c in grade.checks[:2]) and grade.artifacts == []
    crashed = result_of(plan, visible, [{"id": "narrow@tablet", "error": "memory"}], oom_killed=True)
    assert grader.judge(spec, plan, crashed).verdict == Verdict.MEMORY_LIMIT
    failed_platform = result_of(plan, visible, hidden, exit_code=2)
    assert grader.judge(spec, plan, failed_platform).verdict == Verdict.GRADING_ERROR


def test_a_practice_run_is_the_visible_step_alone_and_scores_nothing():
    spec = spec_with(CHECKS)
    grader = WebPageGrader()
    assert grader.supports_practice(spec)
    plan = grader.plan(spec, {"index.html": "<h1>x</h1>"}, practice=True)
    assert [step["name"] for step in plan.steps] == ["visible"] and "tablet" not in json.dumps(plan.steps)
    typed = plan.trusted["typed"]
    records = [{"id": "title@desktop", "obs": {"count": 1, "texts": ["Bonjour"]}},
               {"id": "add@desktop", "obs": {"count": 1, "texts": [typed["add"]["item"]]}}]
    result = SandboxResult(status="completed", container_id="c", warm=False, steps=[
        StepOutcome(name="visible", exit_code=0, hidden=False, records="".join(json.dumps(r) + "\n" for r in records))])
    grade = grader.judge(spec, plan, result)
    assert (grade.verdict, grade.score, grade.max_score, grade.checks) == (Verdict.PASSED, 0.0, 0.0, [])
    assert [(t.id, t.passed) for t in grade.public_tests] == [("title", True), ("add", True)]
