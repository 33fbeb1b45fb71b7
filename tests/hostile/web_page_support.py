"""Machinery of the web-page hostile cases: a small exercise, a benign page that passes it, and `WebHostile.check`,
which grades a hostile page in a real web sandbox and asserts the verdict, the score, that the container is gone,
that nothing of the hidden phase (its width, its typed text) is in what the learner sees, and that the benign page
graded right after still gets full marks."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import docker
import pytest

from graders.base import ExerciseSpec, GradeResult, Verdict
from graders.web_page import WebPageGrader
from sandboxes.runner import SandboxResult, SandboxRunner

POINTS = 10.0
SECRET_WIDTH = 777  # the hidden viewport's width: nowhere in what the learner may see
SPEC = ExerciseSpec.from_dict({
    "kind": "web-page", "files": ["index.html", "style.css", "script.js"], "points": POINTS,
    "limits": {"wall_seconds": 8, "cpu_seconds": 8, "memory_mb": 512, "pids": 256, "tmpfs_mb": 64, "nofile": 1024,
               "cpus": 2},
    "options": {"viewports": [{"name": "desktop", "width": 1000, "height": 700},
                              {"name": "secret", "width": SECRET_WIDTH, "height": 700, "hidden": True}]},
    "checks": [
        {"id": "title", "name": "title", "hidden": False, "selector": "h1", "text": {"equals": "Bonjour"}},
        {"id": "colour", "name": "colour", "hidden": False, "selector": "h1", "style": {"color": "#336699"}},
        {"id": "side", "name": "side by side", "hidden": False, "selector": "#go", "layout": {"right-of": "#in"}},
        {"id": "echo", "name": "echo", "hidden": False,
         "actions": [{"type": {"into": "#in", "generate": "word"}}, {"click": "#go"}],
         "selector": "#out", "text": {"equals": "{{word}}"}},
        {"id": "hidden-echo", "name": "hidden echo", "viewport": "secret",
         "actions": [{"type": {"into": "#in", "generate": "word"}}, {"click": "#go"}],
         "selector": "#out", "text": {"equals": "{{word}}"}},
        {"id": "overflow", "name": "no overflow", "viewport": "secret", "layout": "no-horizontal-overflow"},
    ],
})


def points_for(passed: int) -> float:
    """The score of a grade with `passed` of the exercise's equally weighted checks right."""
    return round(POINTS * passed / len(SPEC.checks), 2)

BENIGN_HTML = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Echo</title>
<link rel="stylesheet" href="style.css"></head><body>
<h1>Bonjour</h1><label for="in">Mot</label> <input id="in"> <button id="go" type="button">Go</button>
<p id="out"></p>
<script src="script.js"></script></body></html>"""
BENIGN_CSS = "h1 { color: #336699; }"
BENIGN_JS = """document.querySelector("#go").addEventListener("click", () => {
  document.querySelector("#out").textContent = document.querySelector("#in").value;
});"""
BENIGN = {"index.html": BENIGN_HTML, "style.css": BENIGN_CSS, "script.js": BENIGN_JS}
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def page(script: str = "", head: str = "", css: str = BENIGN_CSS, html: str = BENIGN_HTML) -> dict[str, str]:
    """The benign page with more script (run before the benign one) and more in its head."""
    html = html.replace("</head>", f"{head}</head>").replace('<script src="script.js">',
                                                                f"<script>{script}</script><script src=\"script.js\">")
    return {"index.html": html, "style.css": css, "script.js": BENIGN_JS}


def describe(grade: GradeResult, result: SandboxResult) -> str:
    steps = "; ".join(f"{s.name}: exit={s.exit_code} timeout={s.timed_out} oom={s.oom_killed} "
                      f"pids={s.pids_exhausted} missing={s.missing} stderr={s.stderr[-300:]!r}" for s in result.steps)
    return (f"verdict={grade.verdict} score={grade.score} status={result.status} "
            f"checks={[(c.id, c.status) for c in grade.checks]} | {steps} | {result.diagnostics[-300:]!r}")


@dataclass
class WebHostile:
    runner: SandboxRunner
    docker_client: docker.DockerClient
    grader: WebPageGrader

    def grade(self, files: dict[str, str]) -> tuple[GradeResult, SandboxResult, dict]:
        plan = self.grader.plan(SPEC, files)
        steps = json.dumps(plan.steps)
        assert "Bonjour" not in steps and "336699" not in steps  # expected values never go in
        # Nor the hidden width in the visible phase's message (as a number of its own: the typed text is random
        # digits, "tajine-7771", which may hold it by chance).
        assert not re.search(rf"(?<![\w-]){SECRET_WIDTH}(?!\d)", json.dumps(plan.job()))
        result = self.runner.run(plan)
        return self.grader.judge(SPEC, plan, result), result, plan.trusted["typed"]

    def assert_gone(self, result: SandboxResult) -> None:
        self.runner.flush()
        with pytest.raises(docker.errors.NotFound):
            self.docker_client.containers.get(result.container_id)

    def assert_benign_passes(self) -> None:
        grade, result, _ = self.grade(BENIGN)
        assert (grade.verdict, grade.score) == (Verdict.PASSED, POINTS), describe(grade, result)
        self.assert_gone(result)

    def check(self, files: dict[str, str], verdict, score) -> tuple[GradeResult, SandboxResult]:
        grade, result, typed = self.grade(files)
        allowed = verdict if isinstance(verdict, (set, frozenset)) else {verdict}
        assert grade.verdict in allowed, describe(grade, result)
        if score is not None:  # None: the caller asserts the score itself
            scores = score if isinstance(score, set) else {score}
            assert grade.score in scores, describe(grade, result)
        assert grade.verdict != Verdict.GRADING_ERROR
        assert_shows_nothing_hidden(grade, typed)
        self.assert_gone(result)
        self.assert_benign_passes()
        return grade, result


def assert_shows_nothing_hidden(grade: GradeResult, typed: dict) -> None:
    """What the learner sees holds nothing of the hidden phase (its width, its typed text), carries no control
    character, and is storable as JSON; screenshots are the visible viewport's only."""
    shown = json.dumps(grade.feedback(), ensure_ascii=False)
    for value in [str(SECRET_WIDTH), typed["hidden-echo"]["word"]]:
        assert value not in shown, f"hidden {value!r} shown to the learner: {shown[:1000]}"
    for check in grade.checks:
        texts = list(check.message.values()) if isinstance(check.message, dict) else [check.message]
        assert all(isinstance(t, str) and not CONTROL.search(t) and len(t) <= 2000 for t in texts)
        assert not check.hidden or (check.message == "" and check.details == {})
    assert len(grade.message) <= 500 and not CONTROL.search(grade.message)
    assert [a.name for a in grade.artifacts] in ([], ["screenshot-desktop.jpeg"])
    assert all(len(a.data) <= 150 * 1024 for a in grade.artifacts)
