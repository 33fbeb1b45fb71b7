"""Fullstack applications: the learner's Flask or Express server (templates, static files, an API) started in the
sandbox, then its pages driven in a real browser and its API probed over HTTP: both check lists apply.

One run is the http-service kind's two containers: the learner's server in the service image, and a trusted prober
that joins only its network namespace, here in the web image, where Chromium loads the page from the learner's
server (http://127.0.0.1:PORT/), clicks through it and reads what the web-page kind reads (isolated world, axe-core,
screenshots of visible viewports), and where the HTTP checks' requests are sent. In each phase the prober's page
step comes first (the application as its users meet it), then its HTTP step with its restarts.

exercise.yaml `options:` the http-service kind's (entry, port, ready_seconds, request_timeout), the web-page kind's
(viewports, javascript, screenshots), and `page`: the path the browser opens (default /).
Checks (tests/public/checks.yaml, tests/hidden/checks.yaml) are of either kind: one with `steps:` is an HTTP check
(graders/http_service.py), any other a page check (graders/web_page.py). Each is judged by its kind's grader;
the grade is their union: one score over every check, the verdict of whichever part went worse.
A page check with actions may also take, from the HTTP side:
    generate: {email: email, secret: hex:12}   values made here (http-service generators); an action
                                               `type: {into: "#email", generate: email}` types that value
    setup: [{request: {...}, expect: {status: 201}}]   requests sent before each of its scenarios' document is
                                               loaded (an account to log in with), placeholders from `generate`;
                                               a failed one is named in the check's message

Why the learner's page may run in the prober: it runs in Chromium's renderers, as in the web-page kind, where no
hidden input is until the visible phase's renderers are dead (the web image's end_phase).
"""
from __future__ import annotations

import random
import re
from dataclasses import replace

from graders import register
from graders.base import (LIMIT_PRECEDENCE, CheckFeedback, ExerciseSpec, Grader, GradeResult, Verdict,
                          sandbox_outcome)
from graders.http_service import OPTIONS as HTTP_OPTIONS
from graders.http_service import SERVE_STEP, HttpServiceGrader, check_values, server_log, substitute
from graders.judging import parse_records, score
from graders.web_page import RECORD_KEYS, WebPageGrader, _problems_of_options, is_hidden, observation_id
from graders.web_page import check_viewports
from sandboxes.limits import validate_limits
from sandboxes.runner import SandboxPlan, SandboxResult

WEB_OPTIONS = ("viewports", "javascript", "screenshots")
PAGE_HTTP_KEYS = ("generate", "setup")  # a page check's HTTP side (the web-page kind reads `generate` names)
PAGE_PATH = re.compile(r"^/[A-Za-z0-9._~/?=&%-]{0,200}$")
# The prober runs Chromium: the web-page kind's floor, whatever the learner's server gets.
PROBER_LIMITS = validate_limits({"memory_mb": 512, "pids": 256, "nofile": 1024, "tmpfs_mb": 64, "output_kb": 64,
                                 "cpus": 1.0})
PROBER_START_SECONDS = 15.0
# Which part's verdict the grade takes when both did not pass: the one the learner should see first.
VERDICT_ORDER = (Verdict.GRADING_ERROR, *LIMIT_PRECEDENCE, Verdict.RUNTIME_ERROR, Verdict.FAILED, Verdict.PASSED)
HTTP = HttpServiceGrader()
WEB = WebPageGrader()


def has_http_side(check: dict) -> bool:
    return any(key in check for key in PAGE_HTTP_KEYS)


def is_http_check(check: dict) -> bool:
    return isinstance(check, dict) and "steps" in check


def split(spec: ExerciseSpec) -> tuple[ExerciseSpec, ExerciseSpec]:
    """The spec as the http-service kind sees it (its checks and options) and as the web-page kind does (its
    checks without their setup requests)."""
    http_options = {k: v for k, v in spec.options.items() if k in HTTP_OPTIONS}
    web_options = {k: v for k, v in spec.options.items() if k in WEB_OPTIONS}
    pages = [{k: v for k, v in c.items() if k != "setup"} for c in spec.checks if not is_http_check(c)]
    return (replace(spec, checks=[c for c in spec.checks if is_http_check(c)], options=http_options),
            replace(spec, checks=pages, options=web_options))


def setup_of(check: dict) -> dict:
    """A page check's HTTP side as an HTTP check (its generated values, its setup requests)."""
    return {"generate": check.get("generate") or {}, "steps": check.get("setup") or []}


@register
class FullstackGrader(Grader):
    kind = "fullstack"
    image = HTTP.image  # the learner's server; the prober's browser is WEB.image
    public_test_glob = "*"

    def validate(self, spec: ExerciseSpec) -> list[str]:
        known = (*HTTP_OPTIONS, *WEB_OPTIONS, "page")
        unknown = set(spec.options) - set(known)
        problems = [f"options: unknown {', '.join(sorted(unknown))} ({', '.join(known)})"] if unknown else []
        http_spec, web_spec = split(spec)
        problems += HTTP.server_problems(http_spec)
        problems += _problems_of_options(web_spec)
        if not PAGE_PATH.match(str(spec.options.get("page", "/"))):
            problems.append("options.page: the path the browser opens, starting with / (default /)")
        if problems:
            return problems
        if not http_spec.checks or not web_spec.checks:
            problems.append("checks: a fullstack exercise has page checks and HTTP checks (with steps:)")
        if not any(is_hidden(c) for c in spec.checks):
            problems.append("checks: at least one hidden check is required")
        if all(is_hidden(c) for c in spec.checks):
            problems.append("checks: at least one visible example is required (tests/public/checks.yaml)")
        ids = [c.get("id") for c in spec.checks if isinstance(c, dict)]
        problems += [f"checks: duplicate id {i!r}" for i in sorted({i for i in ids if ids.count(i) > 1}, key=str)]
        problems += HTTP.check_problems(http_spec) + WEB.check_problems(web_spec)
        for check in spec.checks:
            if is_http_check(check) or not has_http_side(check):
                continue
            where = f"check {check.get('id', '?')}"
            if "actions" not in check:
                problems.append(f"{where}: generate and setup go with actions (a scenario)")
            if "setup" in check and not check["setup"]:
                problems.append(f"{where}: setup lists at least one request")
            if any(isinstance(s, dict) and (set(s) - {"request", "expect"} or set(s.get("expect") or {}) - {"status"})
                   for s in check.get("setup") or []):
                problems.append(f"{where}: setup requests take request and expect: {{status: ...}} only")
            problems += [f"{where}: setup: {p}" for p in HTTP.steps_problems(setup_of(check))
                         if "setup" in check or not p.startswith("steps:")]
        return problems

    def supports_practice(self, spec: ExerciseSpec) -> bool:
        return not all(is_hidden(c) for c in spec.checks)

    def plan(self, spec: ExerciseSpec, files: dict[str, str], practice: bool = False) -> SandboxPlan:
        http_spec, web_spec = split(spec)
        options = HTTP.settings(http_spec)
        values = HTTP.generated_values(http_spec)
        typed = WEB.typed_values(web_spec)
        rng = random.SystemRandom()
        setups = {}
        for check in spec.checks:
            if not is_http_check(check) and has_http_side(check):
                values[check["id"]] = check_values(setup_of(check), rng)
                typed[check["id"]].update({name: str(values[check["id"]][name]) for name in check.get("generate", {})})
                setups[check["id"]] = [substitute(s["request"], values[check["id"]]) for s in check.get("setup", [])]
        page_steps = WEB.page_steps(web_spec, typed, practice)
        for step in page_steps:
            for viewport in step["args"]["viewports"]:
                for scenario in viewport["sessions"]:
                    check_id = scenario["observations"][0]["id"].rsplit("@", 1)[0]
                    if setups.get(check_id):
                        scenario["setup"] = setups[check_id]
        server = {"port": options["port"], "ready_seconds": options["ready_seconds"],
                  "path": spec.options.get("page", "/")}
        serve_steps, prober_steps = [], []
        for hidden in (False, True):
            if hidden and practice:
                continue
            steps = [{**page, "timeout": page["timeout"] + options["ready_seconds"],
                      "args": {**page["args"], "server": server}}
                     for page in page_steps if page["hidden"] == hidden]
            checks = [c for c in http_spec.checks if is_hidden(c) == hidden]
            if checks:
                steps.append(HTTP.probe_step(checks, hidden, values, options))
            if steps:
                prober_steps += steps
                # The server outlives the prober's phase (the runner ends it), whose container, Chromium's, starts
                # only once the server's is there: cold, and a browser to launch.
                seconds = sum(s["timeout"] for s in steps) + PROBER_START_SECONDS
                serve_steps.append(HTTP.serve_step(spec, hidden, seconds))
        prober = SandboxPlan(image=WEB.image, files={}, steps=prober_steps, limits=PROBER_LIMITS)
        return SandboxPlan(image=self.image, files={name: files[name] for name in spec.files}, steps=serve_steps,
                           limits=spec.limits, runtime=spec.runtime, prober=prober,
                           trusted={"typed": typed, "values": values, "practice": practice})

    def evaluate(self, spec: ExerciseSpec, plan: SandboxPlan, result: SandboxResult) -> GradeResult:
        http_spec, web_spec = split(spec)
        # Each part judged by its kind, the page part on a plan of the prober's page steps and the learner's files
        # (its source checks read them).
        page_plan = SandboxPlan(image=WEB.image, files=plan.files, limits=spec.limits, trusted=plan.trusted,
                                steps=[s for s in plan.prober.steps if s["action"] == "page"])
        parts = [WEB.evaluate(web_spec, page_plan, result), HTTP.evaluate(http_spec, plan, result)]
        practice = plan.trusted.get("practice") is True
        judged = {c.id: c for part in parts for c in (part.public_tests if practice else part.checks)}
        checks = [judged[c["id"]] for c in spec.checks if c["id"] in judged]
        self._judge_setups(checks, spec, web_spec, plan, result)
        self._add_server_log(checks, web_spec, result)
        worst = min(parts, key=lambda part: VERDICT_ORDER.index(part.verdict)
                    if part.verdict in VERDICT_ORDER else -1)
        verdict = worst.verdict
        if not sandbox_outcome(result) and verdict is Verdict.PASSED and not all(c.passed for c in checks):
            verdict = Verdict.FAILED
        diagnostics = {"sandbox_status": result.status, "page": parts[0].diagnostics, "http": parts[1].diagnostics}
        if practice:
            return GradeResult(verdict=verdict, score=0.0, max_score=0.0, checks=[], public_tests=checks,
                               message=worst.message, diagnostics=diagnostics, artifacts=parts[0].artifacts)
        points = 0.0 if verdict is Verdict.GRADING_ERROR or sandbox_outcome(result) else \
            score([(c.weight, c.passed) for c in checks], spec.points, spec.scoring)
        return GradeResult(verdict=verdict, score=points, max_score=spec.points, checks=checks,
                           message=worst.message, diagnostics=diagnostics, artifacts=parts[0].artifacts)

    @staticmethod
    def _judge_setups(checks: list[CheckFeedback], spec: ExerciseSpec, web_spec: ExerciseSpec, plan: SandboxPlan,
                      result: SandboxResult) -> None:
        """A page check whose setup request did not get what it expects fails, and (visible) says so first: its
        precondition is the learner's API."""
        pages = {c["id"]: c for c in spec.checks if not is_http_check(c) and c.get("setup")}
        judged = [c for c in checks if c.id in pages]
        if not judged:
            return
        by_id = {c["id"]: c for c in web_spec.checks}
        options = HTTP.settings(spec)
        records = {}
        for step in (s for s in plan.prober.steps if s["action"] == "page"):
            ids = [observation_id(c, v) for c in web_spec.checks if is_hidden(c) == step["hidden"]
                   and "source" not in c for v in check_viewports(c, web_spec)]
            ids += [f"screenshot@{v['name']}" for v in step["args"]["viewports"] if "screenshot" in v]
            records[step["hidden"]] = parse_records(result.step(step["name"]).records, ids, RECORD_KEYS)
        for feedback in judged:
            if feedback.hidden not in records:
                continue
            for viewport in check_viewports(by_id[feedback.id], web_spec):
                record, _ = records[feedback.hidden].get(observation_id(by_id[feedback.id], viewport))
                obs = record.get("obs") if isinstance(record, dict) and isinstance(record.get("obs"), dict) else {}
                problem = None
                for step, item in zip(pages[feedback.id]["setup"], obs.get("setup") or []):
                    if isinstance(item, dict):
                        problem, _ = HTTP.judge_exchange(
                            {"request": step["request"], "expect": step.get("expect") or {}}, item,
                            plan.trusted["values"].get(feedback.id, {}), options)
                    if problem:
                        break
                if problem:
                    feedback.passed, feedback.status = False, "failed"
                    if not feedback.hidden:
                        feedback.message = problem
                    break

    @staticmethod
    def _add_server_log(checks: list[CheckFeedback], web_spec: ExerciseSpec, result: SandboxResult) -> None:
        """A failed visible page check shows the server's log of the visible phase, as an HTTP check does."""
        page_ids = {c["id"] for c in web_spec.checks}
        server = result.step(SERVE_STEP)
        log = server_log(server) if server.stdout or server.stderr else ""
        for check in checks:
            if check.id in page_ids and not check.hidden and not check.passed and log:
                check.details = {**check.details, "server_log": log}

