"""Python exercises: functions checked by calls, programs checked on stdin/stdout, pytest public tests.

Graded checks are data: visible examples (tests/public/checks.yaml) and hidden checks (tests/hidden/checks.yaml).
The container receives only the calls to make and the inputs to feed; return values come back as plain JSON
records and program outputs as captured text, and both are compared here against expected values that never
left this process. Public pytest tests run next to the learner's code in practice runs, which only inform:
anything in-process can be fooled, so they carry no points (and a graded run does not pay for pytest).

Visible examples run in the visible phase (their own calls step, their own program steps), hidden checks in the
hidden phase, which starts once the visible one is over (graders/base.py): the learner sees the examples'
errors with their tracebacks, and of the hidden checks only their names, pass/fail and status.
"""
from __future__ import annotations

import json
import re
import signal

from graders import register
from graders.base import (LIMIT_PRECEDENCE, CheckFeedback, ExerciseSpec, Grader, GradeResult, Verdict,
                          sandbox_outcome)
from graders.judging import COMPARE_MODES, inert_text, outputs_equal, parse_records, score, values_equal
from sandboxes.runner import SandboxPlan, SandboxResult, StepOutcome

CHECK_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
FILE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.py$")
CALLS_STEP = "calls"  # the visible examples' calls
HIDDEN_CALLS_STEP = "hidden-calls"
COMPILE_STEP = "compile"
PUBLIC_STEP = "public"
PROGRAM_STEP_PREFIX = "program:"
MESSAGE_CAP = 500  # the submission's one-line message
DETAIL_CAP = 2000  # a visible check's or a public test's message (an error with its traceback)
RECORD_KEYS = {"value", "error", "traceback"}


def _preview(value, cap: int = 500) -> str:
    """repr() of a value that came out of a sandbox, for staff: a deeply nested one must not crash the judge."""
    try:
        return repr(value)[:cap]
    except RecursionError:
        return "<value nested too deeply>"


def _call_message(check: dict, got: str) -> str:
    call = check["call"]
    arguments = ", ".join([repr(a) for a in call.get("args", [])]
                          + [f"{k}={v!r}" for k, v in call.get("kwargs", {}).items()])
    return f"{call['function']}({arguments[:200]}) returned {got}, expected {check['expect']!r}"[:MESSAGE_CAP]


def is_hidden(check: dict) -> bool:
    return check.get("hidden", True) is not False


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def step_limit_verdict(step: StepOutcome) -> Verdict | None:
    # A fork bomb usually also exhausts memory: the process limit is the cause to report.
    if step.pids_exhausted:
        return Verdict.PROCESS_LIMIT
    if step.oom_killed:
        return Verdict.MEMORY_LIMIT
    if step.output_exceeded:
        return Verdict.OUTPUT_LIMIT
    if step.timed_out or step.signal == signal.SIGXCPU:
        return Verdict.TIME_LIMIT
    return None


@register
class PythonGrader(Grader):
    kind = "python"
    image = "python"
    public_test_glob = "test_*.py"

    # --- definition ---------------------------------------------------------------------------------------

    def validate(self, spec: ExerciseSpec) -> list[str]:
        problems = []
        if not spec.files:
            problems.append("files: at least one submitted file is required")
        problems += [f"files: {name!r} is not a valid Python module file name" for name in spec.files
                     if not FILE_NAME.match(name)]
        problems += [f"public test {name!r}: must be named test_*.py" for name in spec.public_tests
                     if not (name.startswith("test_") and FILE_NAME.match(name))]
        if not any(is_hidden(check) for check in spec.checks):
            problems.append("checks: at least one hidden check is required")
        seen = set()
        for index, check in enumerate(spec.checks):
            where = f"check #{index + 1} ({check.get('id', '?')})"
            check_id = check.get("id")
            if not isinstance(check_id, str) or not CHECK_ID.match(check_id):
                problems.append(f"{where}: id must match {CHECK_ID.pattern}")
            elif check_id in seen:
                problems.append(f"{where}: duplicate id")
            seen.add(check_id)
            if not check.get("name"):
                problems.append(f"{where}: a name is required")
            weight = check.get("weight", 1)
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
                problems.append(f"{where}: weight must be a positive number")
            if ("call" in check) == ("program" in check):
                problems.append(f"{where}: exactly one of call or program is required")
            elif "call" in check:
                call = check["call"]
                if not isinstance(call, dict) or not isinstance(call.get("function"), str):
                    problems.append(f"{where}: call.function is required")
                elif not isinstance(call.get("args", []), list) or not isinstance(call.get("kwargs", {}), dict):
                    problems.append(f"{where}: call.args must be a list and call.kwargs a mapping")
                if "expect" not in check:
                    problems.append(f"{where}: expect is required for a call check")
            else:
                if not isinstance(check["program"], dict) or not isinstance(check["program"].get("stdin", ""), str):
                    problems.append(f"{where}: program.stdin must be text")
                if not isinstance(check.get("expect_stdout"), str):
                    problems.append(f"{where}: expect_stdout (text) is required for a program check")
                if check.get("compare", "lines") not in COMPARE_MODES:
                    problems.append(f"{where}: compare must be one of {', '.join(COMPARE_MODES)}")
        return problems

    # --- plan ---------------------------------------------------------------------------------------------

    def plan(self, spec: ExerciseSpec, files: dict[str, str], practice: bool = False) -> SandboxPlan:
        entry = spec.files[0]
        sandbox_files = {name: files[name] for name in spec.files}
        if practice:
            # A practice run: the public pytest tests, next to the learner's code; they inform, never grade.
            for name, text in spec.public_tests.items():
                sandbox_files[f"tests/{name}"] = text
            steps = [{"name": PUBLIC_STEP, "action": "pytest", "args": {"paths": ["tests"]}, "hidden": False}]
            return SandboxPlan(image=self.image, files=sandbox_files, steps=steps, limits=spec.limits,
                               runtime=spec.runtime)
        steps = []
        # The visible examples first, each kind of check in steps of its own visibility: no process that gets a
        # hidden input runs the learner's code for an example.
        for hidden, calls_step in ((False, CALLS_STEP), (True, HIDDEN_CALLS_STEP)):
            calls = [
                {"id": c["id"], "function": c["call"]["function"], "args": c["call"].get("args", []),
                 "kwargs": c["call"].get("kwargs", {})}
                for c in spec.checks if "call" in c and is_hidden(c) == hidden
            ]
            if calls:
                steps.append({"name": calls_step, "action": "calls", "hidden": hidden,
                              "args": {"module": entry[:-3], "calls": calls,
                                       "call_timeout": spec.limits.wall_seconds}})
            for check in spec.checks:
                if "program" in check and is_hidden(check) == hidden:
                    steps.append({"name": PROGRAM_STEP_PREFIX + check["id"], "action": "program", "hidden": hidden,
                                  "args": {"path": entry}, "stdin": check["program"].get("stdin", "")})
        if steps and not any(step["hidden"] is False for step in steps):
            # No visible example to show a syntax error: compiling the files (nothing of the learner's runs) in a
            # visible step of its own does.
            steps.insert(0, {"name": COMPILE_STEP, "action": "compile", "hidden": False,
                             "args": {"paths": list(spec.files)}})
        return SandboxPlan(image=self.image, files=sandbox_files, steps=steps, limits=spec.limits,
                           runtime=spec.runtime)

    # --- judge --------------------------------------------------------------------------------------------

    def supports_practice(self, spec: ExerciseSpec) -> bool:
        return bool(spec.public_tests)

    def evaluate(self, spec: ExerciseSpec, plan: SandboxPlan, result: SandboxResult) -> GradeResult:
        if [step["name"] for step in plan.steps] == [PUBLIC_STEP]:
            return self._judge_practice(result)
        checks: list[CheckFeedback] = []
        errors: list[str] = []  # learner-facing error lines: from visible steps only
        limit_hits: set[Verdict] = set()
        diagnostics: dict = {"sandbox_status": result.status, "outputs": {}}

        compiled = result.step(COMPILE_STEP)
        if compiled.exit_code not in (0, None):
            errors.append(_last_line(compiled.stderr))
        records = {}
        for hidden, calls_step in ((False, CALLS_STEP), (True, HIDDEN_CALLS_STEP)):
            call_ids = [c["id"] for c in spec.checks if "call" in c and is_hidden(c) == hidden]
            if not call_ids:
                continue
            step = result.step(calls_step)
            step_records = parse_records(step.records, call_ids, RECORD_KEYS)
            records.update(dict.fromkeys(call_ids, step_records))
            verdict = step_limit_verdict(step)
            if verdict:
                limit_hits.add(verdict)
            if not hidden and (step.exit_code not in (0, None) or step.signal not in (None, signal.SIGKILL)):
                errors.append(_last_line(step.stderr))

        for check in spec.checks:
            hidden = is_hidden(check)
            feedback = CheckFeedback(id=check["id"], name=check["name"], passed=False, hidden=hidden,
                                     weight=float(check.get("weight", 1)))
            if "call" in check:
                record, problem = records[check["id"]].get(check["id"])
                if record is None:
                    feedback.status = "missing"
                    diagnostics["outputs"][check["id"]] = problem
                elif "error" in record:
                    error = record["error"] if isinstance(record["error"], str) else _preview(record["error"])
                    feedback.status = "timeout" if error == "timeout" else "error"
                    if feedback.status == "timeout":
                        limit_hits.add(Verdict.TIME_LIMIT)
                    elif not hidden:
                        errors.append(error)
                        traceback = record.get("traceback")
                        feedback.message = traceback if isinstance(traceback, str) and traceback else error
                    diagnostics["outputs"][check["id"]] = error[:500]
                else:
                    feedback.passed = values_equal(check["expect"], record.get("value"), check.get("tolerance"))
                    feedback.status = "passed" if feedback.passed else "failed"
                    diagnostics["outputs"][check["id"]] = _preview(record.get("value"))
                    if not feedback.passed:
                        feedback.message = _call_message(check, _preview(record.get("value"), 300))
            else:
                step = result.step(PROGRAM_STEP_PREFIX + check["id"])
                verdict = step_limit_verdict(step)
                if step.missing:
                    feedback.status = "missing"
                elif verdict:
                    limit_hits.add(verdict)
                    feedback.status = "timeout" if verdict == Verdict.TIME_LIMIT else "error"
                elif step.exit_code != 0:
                    feedback.status = "error"
                    if not hidden:
                        errors.append(_last_line(step.stderr) or f"exit status {step.exit_code or step.signal}")
                        feedback.message = step.stderr[-DETAIL_CAP:]  # the program's traceback
                else:
                    feedback.passed = outputs_equal(check["expect_stdout"], step.stdout, check.get("compare", "lines"),
                                                    check.get("tolerance"), check.get("pattern"))
                    feedback.status = "passed" if feedback.passed else "failed"
                    if not feedback.passed:
                        feedback.message = (f"input:\n{check['program'].get('stdin', '')[:300]}\n"
                                            f"expected output:\n{check['expect_stdout'][:300]}\n"
                                            f"your output:\n{step.stdout[:300]}")
                diagnostics["outputs"][check["id"]] = step.stdout[:500]
            # A hidden check shows its name, pass/fail and status, nothing else (judge() makes sure of it too).
            feedback.message = "" if hidden else inert_text(feedback.message, DETAIL_CAP)
            checks.append(feedback)

        points = score([(c.weight, c.passed) for c in checks], spec.points, spec.scoring)
        verdict, message = self._verdict(result, checks, limit_hits, errors)
        diagnostics["stderr"] = {s.name: inert_text(s.stderr[-2000:], 2000) for s in result.steps if s.stderr}
        diagnostics["outputs"] = {k: inert_text(v, 500) for k, v in diagnostics["outputs"].items()}
        # Everything learner-made is stored and shown: capped, control characters made visible.
        return GradeResult(verdict=verdict, score=points, max_score=spec.points, checks=checks,
                           message=inert_text(message, MESSAGE_CAP), diagnostics=diagnostics)

    def _judge_practice(self, result: SandboxResult) -> GradeResult:
        tests = self._public_feedback(result.step(PUBLIC_STEP))
        step = result.step(PUBLIC_STEP)
        limit = step_limit_verdict(step)
        if result.status != "completed":
            verdict, message = self._verdict(result, [], set(), [])
        elif limit:
            verdict, message = limit, ""
        else:
            all_good = tests and all(t.passed or t.status == "skipped" for t in tests)
            verdict = Verdict.PASSED if all_good else Verdict.FAILED
            message = ""
        return GradeResult(verdict=verdict, score=0.0, max_score=0.0, checks=[], public_tests=tests,
                           message=inert_text(message, MESSAGE_CAP),
                           diagnostics={"sandbox_status": result.status,
                                        "stderr": {s.name: inert_text(s.stderr[-2000:], 2000)
                                                   for s in result.steps if s.stderr}})

    @staticmethod
    def _verdict(result: SandboxResult, checks, limit_hits, errors) -> tuple[Verdict, str]:
        outcome = sandbox_outcome(result)
        if outcome:
            return outcome
        if checks and all(c.passed for c in checks):
            return Verdict.PASSED, ""
        for verdict in LIMIT_PRECEDENCE:
            if verdict in limit_hits:
                return verdict, ""
        errors = [e for e in errors if e]
        if errors or any(c.status in ("error", "missing") for c in checks):
            return Verdict.RUNTIME_ERROR, errors[0] if errors else ""
        return Verdict.FAILED, ""

    @staticmethod
    def _public_feedback(step: StepOutcome) -> list[CheckFeedback]:
        tests = []
        seen = set()
        for line in step.records.splitlines()[:200]:
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if not isinstance(record, dict) or not isinstance(record.get("id"), str) or record["id"] in seen:
                continue
            seen.add(record["id"])
            outcome = record.get("outcome")
            test_id = inert_text(record["id"], 300)
            message = record.get("message")
            message = message[-DETAIL_CAP:] if isinstance(message, str) else ""
            tests.append(CheckFeedback(id=test_id, name=test_id.split("::")[-1], hidden=False,
                                       passed=outcome == "passed",
                                       status={"passed": "passed", "skipped": "skipped"}.get(outcome, "failed"),
                                       message=inert_text(message, DETAIL_CAP)))
        verdict = step_limit_verdict(step)
        if not tests or verdict:
            detail = (step.stdout[-1500:] or step.stderr[-1500:]) if not verdict else verdict.value
            tests.append(CheckFeedback(id="public-tests", name="pytest", hidden=False, passed=False,
                                       status="timeout" if verdict == Verdict.TIME_LIMIT else "error",
                                       message=inert_text(detail, DETAIL_CAP)))
        return tests
