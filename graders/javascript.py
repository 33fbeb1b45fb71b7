"""JavaScript (Node.js) exercises: CommonJS functions checked by calls, programs checked on stdin/stdout, public
tests run with node's own test runner.

The shape is the Python kind's (graders/python.py): graded checks are data, visible examples run in the visible
phase and hidden checks in the hidden one, records come back as plain JSON and are judged here against expected
values that never left this process. What differs is the harness in the container (sandboxes/images/node/runtime/
harness.js): a per-call timeout, so a loop in one call does not cost the others, and records that say why a value
is not one (`kind`: thrown, import, timeout, undefined, not_plain, no_function), from which the learner's message
is built in French, Arabic and English.
"""
from __future__ import annotations

import dataclasses
import json
import re
import signal

from graders import register
from graders.base import CheckFeedback, ExerciseSpec, GradeResult, Verdict
from graders.judging import (inert_text, localized_message, outputs_equal, parse_records, pattern_problem, score,
                             values_equal)
from graders.python import PythonGrader, is_hidden, step_limit_verdict
from sandboxes.runner import SandboxPlan, SandboxResult, StepOutcome

FILE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\.js$")
PUBLIC_TEST_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\.test\.js$")
FUNCTION_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
CALLS_STEP = "calls"
HIDDEN_CALLS_STEP = "hidden-calls"
CHECK_STEP = "check"
PUBLIC_STEP = "public"
PROGRAM_STEP_PREFIX = "program:"
RECORD_KEYS = {"value", "kind", "error", "traceback", "detail"}
MESSAGE_CAP = 500
DETAIL_CAP = 2000
MAX_STEP_SECONDS = 30.0  # sandboxes.limits.MAXIMUMS.wall_seconds: no step may ask the runner for more
DEFAULT_CALL_SECONDS = 1.0
MAX_PUBLIC_TESTS = 200

CALL_WRONG = {
    "fr": "{call} a renvoyé {got}, attendu {expected}",
    "ar": "أعادت {call} القيمة {got}، والمتوقَّع {expected}",
    "en": "{call} returned {got}, expected {expected}",
}
CALL_UNDEFINED = {
    "fr": "{call} a renvoyé undefined : avez-vous oublié « return » ?",
    "ar": "أعادت {call} القيمة undefined: هل نسيت «return»؟",
    "en": "{call} returned undefined: did you forget `return`?",
}
CALL_NOT_PLAIN = {
    "fr": "{call} a renvoyé une valeur qui n'est pas une donnée JSON simple ({error}). Renvoyez des nombres, des "
          "chaînes, des booléens, null, des tableaux ou des objets littéraux.",
    "ar": "أعادت {call} قيمة ليست بيانات JSON بسيطة ({error}). أعِد أعدادًا أو سلاسل نصية أو قيمًا منطقية أو null "
          "أو مصفوفات أو كائنات حرفية.",
    "en": "{call} returned a value that is not plain JSON data ({error}). Return numbers, strings, booleans, null, "
          "arrays or object literals.",
}
CALL_THROWN = {
    "fr": "{call} a levé une erreur : {error}\n{traceback}",
    "ar": "أطلقت {call} خطأً: {error}\n{traceback}",
    "en": "{call} threw an error: {error}\n{traceback}",
}
IMPORT_FAILED = {
    "fr": "Le chargement de {module} a échoué : {error}\n{traceback}",
    "ar": "فشل تحميل {module}: {error}\n{traceback}",
    "en": "Loading {module} failed: {error}\n{traceback}",
}
NO_FUNCTION = {
    "fr": "{module} n'exporte pas de fonction {function} : ajoutez-la à module.exports = {{ {function} }}",
    "ar": "لا يُصدِّر {module} دالةً باسم {function}: أضِفها إلى module.exports = {{ {function} }}",
    "en": "{module} exports no function {function}: add it to module.exports = {{ {function} }}",
}
CALL_TIMEOUT = {
    "fr": "{call} n'a pas répondu en {seconds} s (une boucle infinie ?)",
    "ar": "لم تُجِب {call} خلال {seconds} ث (حلقة لا نهائية؟)",
    "en": "{call} did not answer within {seconds} s (an infinite loop?)",
}
CALL_MISSING = {
    "fr": "Pas de résultat pour {call} : le processus s'est arrêté avant (process.exit ? une limite atteinte ?)",
    "ar": "لا توجد نتيجة لـ {call}: توقفت العملية قبل ذلك (process.exit؟ أو بلوغ حدٍّ ما؟)",
    "en": "No result for {call}: the process stopped before it (process.exit? a limit reached?)",
}
PROGRAM_WRONG = {
    "fr": "Entrée :\n{stdin}\nSortie attendue{how} :\n{expected}\nVotre sortie :\n{got}",
    "ar": "المدخل:\n{stdin}\nالمخرج المتوقَّع{how}:\n{expected}\nمخرجك:\n{got}",
    "en": "Input:\n{stdin}\nExpected output{how}:\n{expected}\nYour output:\n{got}",
}
PROGRAM_ERROR = {
    "fr": "Le programme s'est arrêté avec une erreur ({status}) :\n{stderr}",
    "ar": "توقف البرنامج بخطأ ({status}):\n{stderr}",
    "en": "The program stopped with an error ({status}):\n{stderr}",
}
# How an output is compared, after "Expected output" (numeric and regex only: the others read as plain text).
COMPARE_HOW = {
    "numeric": {"fr": " (nombres à {tolerance} près)", "ar": " (الأعداد بفارق {tolerance})",
                "en": " (numbers within {tolerance})"},
    "regex": {"fr": " (expression régulière)", "ar": " (تعبير نمطي)", "en": " (regular expression)"},
}


def call_text(check: dict) -> str:
    """The call as the learner would write it: add(2, 3)."""
    call = check["call"]
    arguments = ", ".join(json.dumps(a, ensure_ascii=False) for a in call.get("args", []))
    return f"{call['function']}({arguments[:200]})"


def value_text(value, cap: int = 300) -> str:
    """A value that came out of the sandbox, as JSON (what the learner's code returned, in its own notation)."""
    try:
        return json.dumps(value, ensure_ascii=False)[:cap]
    except (TypeError, ValueError, RecursionError):
        return "<unreadable value>"


def _javascript_problems(check: dict, where: str) -> list[str]:
    """What the javascript kind asks of a check beyond the Python kind's rules (PythonGrader.validate)."""
    problems = []
    tolerance = check.get("tolerance")
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, (int, float))
                                  or tolerance < 0):
        problems.append(f"{where}: tolerance must be a number >= 0")
    call = check.get("call")
    if isinstance(call, dict) and isinstance(call.get("function"), str):
        if not FUNCTION_NAME.match(call["function"]):
            problems.append(f"{where}: call.function must name an exported function (a JavaScript identifier)")
        if "kwargs" in call:
            problems.append(f"{where}: JavaScript has no keyword arguments: pass an object in call.args instead")
    mode = check.get("compare", "lines")
    if "program" in check and mode == "regex":
        problem = pattern_problem(check.get("pattern"))
        if problem:
            problems.append(f"{where}: {problem}")
        elif isinstance(check.get("expect_stdout"), str) and not outputs_equal(
                "", check["expect_stdout"], "regex", pattern=check["pattern"]):
            problems.append(f"{where}: expect_stdout (the example shown) does not match the pattern")
    elif "pattern" in check:
        problems.append(f"{where}: pattern goes with compare: regex")
    return problems


@register
class JavaScriptGrader(PythonGrader):
    """The Python kind's verdict rules and practice-run shape (PythonGrader._verdict, _judge_practice), with
    Node's harness, messages of its own and node's TAP report."""

    kind = "javascript"
    image = "node"
    public_test_glob = "*.test.js"

    # --- definition ---------------------------------------------------------------------------------------

    def validate(self, spec: ExerciseSpec) -> list[str]:
        # The checks' shared rules (ids, names, weights, one of call or program and their shapes, a hidden check)
        # are the Python kind's; its file names are not ours.
        problems = [problem for problem in super().validate(dataclasses.replace(spec, files=[], public_tests={}))
                    if not problem.startswith("files:")]
        if not spec.files:
            problems.append("files: at least one submitted file is required")
        problems += [f"files: {name!r} is not a valid JavaScript file name (name.js)" for name in spec.files
                     if not FILE_NAME.match(name)]
        problems += [f"public test {name!r}: must be named <name>.test.js" for name in spec.public_tests
                     if not PUBLIC_TEST_NAME.match(name) or name in spec.files]
        timeout = spec.options.get("call_timeout_seconds", DEFAULT_CALL_SECONDS)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0.05 <= timeout <= 10:
            problems.append("options.call_timeout_seconds must be a number of seconds between 0.05 and 10")
        unknown = set(spec.options) - {"call_timeout_seconds"}
        if unknown:
            problems.append(f"options: unknown option(s) {', '.join(sorted(unknown))}")
        for index, check in enumerate(spec.checks):
            problems += _javascript_problems(check, f"check #{index + 1} ({check.get('id', '?')})")
        return problems

    # --- plan ---------------------------------------------------------------------------------------------

    def call_seconds(self, spec: ExerciseSpec) -> float:
        """Each call's own time limit: below the step's CPU limit, so that a loop in one call leaves time for the
        others."""
        wanted = float(spec.options.get("call_timeout_seconds", DEFAULT_CALL_SECONDS))
        return min(wanted, spec.limits.wall_seconds, spec.limits.cpu_seconds / 2)

    def plan(self, spec: ExerciseSpec, files: dict[str, str], practice: bool = False) -> SandboxPlan:
        entry = spec.files[0]
        sandbox_files = {name: files[name] for name in spec.files}
        if practice:
            # The public tests next to the learner's file, as the learner runs them: node --test *.test.js.
            sandbox_files.update(spec.public_tests)
            steps = [{"name": PUBLIC_STEP, "action": "node-test", "args": {"paths": sorted(spec.public_tests)},
                      "hidden": False}]
            return SandboxPlan(image=self.image, files=sandbox_files, steps=steps, limits=spec.limits,
                               runtime=spec.runtime)
        per_call = self.call_seconds(spec)
        steps = []
        for hidden, calls_step in ((False, CALLS_STEP), (True, HIDDEN_CALLS_STEP)):
            calls = [{"id": c["id"], "function": c["call"]["function"], "args": c["call"].get("args", [])}
                     for c in spec.checks if "call" in c and is_hidden(c) == hidden]
            if calls:
                # The calls go on the harness's stdin. The step may take each call's limit, plus the module's
                # load (the wall limit) and node's start.
                job = {"module": entry, "calls": calls, "call_timeout_ms": int(per_call * 1000),
                       "load_timeout_ms": int(spec.limits.wall_seconds * 1000)}
                steps.append({"name": calls_step, "action": "calls", "hidden": hidden, "args": {},
                              "stdin": json.dumps(job, ensure_ascii=False),
                              "timeout": min(MAX_STEP_SECONDS, 2 * spec.limits.wall_seconds + per_call * len(calls))})
            for check in spec.checks:
                if "program" in check and is_hidden(check) == hidden:
                    steps.append({"name": PROGRAM_STEP_PREFIX + check["id"], "action": "program", "hidden": hidden,
                                  "args": {"path": entry}, "stdin": check["program"].get("stdin", "")})
        if steps and not any(step["hidden"] is False for step in steps):
            # No visible example to show a syntax error: compiling the files (nothing of the learner's runs) does.
            steps.insert(0, {"name": CHECK_STEP, "action": "check", "hidden": False,
                             "args": {"paths": list(spec.files)}})
        return SandboxPlan(image=self.image, files=sandbox_files, steps=steps, limits=spec.limits,
                           runtime=spec.runtime)

    # --- judge --------------------------------------------------------------------------------------------

    def evaluate(self, spec: ExerciseSpec, plan: SandboxPlan, result: SandboxResult) -> GradeResult:
        if [step["name"] for step in plan.steps] == [PUBLIC_STEP]:
            return self._judge_practice(result)
        checks: list[CheckFeedback] = []
        errors: list[str] = []  # learner-facing error lines: from visible steps only
        limit_hits: set[Verdict] = set()
        diagnostics: dict = {"sandbox_status": result.status, "outputs": {}}
        module = spec.files[0]
        seconds = f"{self.call_seconds(spec):g}"

        checked = result.step(CHECK_STEP)
        if checked.exit_code not in (0, None):
            errors.append(_error_line(checked.stderr))
        records, consoles = {}, {}
        for hidden, calls_step in ((False, CALLS_STEP), (True, HIDDEN_CALLS_STEP)):
            call_ids = [c["id"] for c in spec.checks if "call" in c and is_hidden(c) == hidden]
            if not call_ids:
                continue
            step = result.step(calls_step)
            records.update(dict.fromkeys(call_ids, parse_records(step.records, call_ids, RECORD_KEYS)))
            verdict = step_limit_verdict(step)
            if verdict:
                limit_hits.add(verdict)
            if not hidden:
                consoles = {"console": inert_text(step.stdout[-DETAIL_CAP:], DETAIL_CAP)} if step.stdout else {}
                if step.signal not in (None, signal.SIGKILL) and not verdict:
                    errors.append(f"node stopped by signal {step.signal}")
                elif step.exit_code not in (0, None) and not step.records.strip():
                    errors.append(_error_line(step.stderr))  # the harness itself failed: node's own report

        for check in spec.checks:
            hidden = is_hidden(check)
            feedback = CheckFeedback(id=check["id"], name=check["name"], passed=False, hidden=hidden,
                                     weight=float(check.get("weight", 1)))
            if "call" in check:
                self._judge_call(check, records[check["id"]], feedback, module, seconds, errors, limit_hits,
                                 diagnostics)
                if not hidden and not feedback.passed and consoles:
                    feedback.details = dict(consoles)  # what the examples printed (console.log)
            else:
                self._judge_program(check, result.step(PROGRAM_STEP_PREFIX + check["id"]), feedback, errors,
                                    limit_hits, diagnostics)
            if hidden:  # its name, pass/fail and status, nothing else (judge() makes sure of it too)
                feedback.message, feedback.details = "", {}
            checks.append(feedback)

        points = score([(c.weight, c.passed) for c in checks], spec.points, spec.scoring)
        verdict, message = self._verdict(result, checks, limit_hits, errors)
        diagnostics["stderr"] = {s.name: inert_text(s.stderr[-2000:], 2000) for s in result.steps if s.stderr}
        diagnostics["outputs"] = {k: inert_text(v, 500) for k, v in diagnostics["outputs"].items()}
        return GradeResult(verdict=verdict, score=points, max_score=spec.points, checks=checks,
                           message=inert_text(message, MESSAGE_CAP), diagnostics=diagnostics)

    @staticmethod
    def _judge_call(check, step_records, feedback, module, seconds, errors, limit_hits, diagnostics):
        record, problem = step_records.get(check["id"])
        call = call_text(check)
        visible = not feedback.hidden
        if record is None:
            feedback.status = "missing"
            feedback.message = localized_message(CALL_MISSING, call=call)
            diagnostics["outputs"][check["id"]] = problem
            return
        if "value" in record:
            got = record["value"]
            feedback.passed = values_equal(check["expect"], got, check.get("tolerance"))
            feedback.status = "passed" if feedback.passed else "failed"
            diagnostics["outputs"][check["id"]] = value_text(got, 500)
            if not feedback.passed:
                feedback.message = localized_message(CALL_WRONG, call=call, got=value_text(got),
                                                     expected=value_text(check["expect"]))
            return
        kind = record.get("kind")
        error = record.get("error") if isinstance(record.get("error"), str) else ""
        traceback = record.get("traceback") if isinstance(record.get("traceback"), str) else ""
        diagnostics["outputs"][check["id"]] = f"{kind}: {error}"[:500]
        if kind == "timeout":
            feedback.status = "timeout"
            limit_hits.add(Verdict.TIME_LIMIT)
            feedback.message = localized_message(CALL_TIMEOUT, call=call, seconds=seconds)
        elif kind == "undefined":
            feedback.status = "failed"
            feedback.message = localized_message(CALL_UNDEFINED, call=call)
        elif kind == "not_plain":
            feedback.status = "failed"
            feedback.message = localized_message(CALL_NOT_PLAIN, call=call, error=error)
        elif kind == "no_function":
            feedback.status = "error"
            feedback.message = localized_message(NO_FUNCTION, module=module, function=check["call"]["function"])
            if visible:
                errors.append(error)
        elif kind in ("thrown", "import"):
            feedback.status = "error"
            if kind == "import":
                feedback.message = localized_message(IMPORT_FAILED, module=module, error=error, traceback=traceback)
            else:
                feedback.message = localized_message(CALL_THROWN, call=call, error=error, traceback=traceback)
            if visible:
                errors.append(error)
        else:  # a record of no kind we know: not ours
            feedback.status = "missing"
            feedback.message = localized_message(CALL_MISSING, call=call)

    @staticmethod
    def _judge_program(check, step: StepOutcome, feedback, errors, limit_hits, diagnostics):
        verdict = step_limit_verdict(step)
        stdin = check["program"].get("stdin", "")
        if step.missing:
            feedback.status = "missing"
        elif verdict:
            limit_hits.add(verdict)
            feedback.status = "timeout" if verdict == Verdict.TIME_LIMIT else "error"
        elif step.exit_code != 0:
            feedback.status = "error"
            status = f"exit code {step.exit_code}" if step.exit_code is not None else f"signal {step.signal}"
            feedback.message = localized_message(PROGRAM_ERROR, status=status, stderr=step.stderr[-300:])
            if not feedback.hidden:
                errors.append(_error_line(step.stderr) or status)
        else:
            mode = check.get("compare", "lines")
            feedback.passed = outputs_equal(check["expect_stdout"], step.stdout, mode, check.get("tolerance"),
                                            check.get("pattern"))
            feedback.status = "passed" if feedback.passed else "failed"
            if not feedback.passed:
                pattern = check.get("pattern")
                expected = ("\n".join(pattern) if isinstance(pattern, list) else pattern) if mode == "regex" \
                    else check["expect_stdout"]
                how = {language: text.format(tolerance=check.get("tolerance") or 0)
                       for language, text in COMPARE_HOW.get(mode, {}).items()}
                templates = {language: text.replace("{how}", how.get(language, ""))
                             for language, text in PROGRAM_WRONG.items()}
                feedback.message = localized_message(templates, stdin=stdin, expected=expected, got=step.stdout)
        diagnostics["outputs"][check["id"]] = step.stdout[:500]

    # --- practice runs: node --test with the TAP reporter on fd 3 -------------------------------------------

    @staticmethod
    def _public_feedback(step: StepOutcome) -> list[CheckFeedback]:
        tests = parse_tap(step.records)
        verdict = step_limit_verdict(step)
        if not tests or verdict:
            detail = (step.stderr[-1500:] or step.stdout[-1500:] or step.records[-1500:]) if not verdict \
                else verdict.value
            tests.append(CheckFeedback(id="public-tests", name="node --test", hidden=False, passed=False,
                                       status="timeout" if verdict == Verdict.TIME_LIMIT else "error",
                                       message=inert_text(detail, DETAIL_CAP)))
        return tests


def _error_line(stderr: str) -> str:
    """The line of node's report that names the error ("SyntaxError: Unexpected token"), else the last one."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    for line in lines:
        if re.match(r"^[A-Za-z]*Error\b.*:", line) or re.match(r"^[A-Z][A-Za-z]*Error$", line):
            return line[:300]
    return lines[-1][:300] if lines else ""


TAP_RESULT = re.compile(r"^(?P<indent> *)(?P<ok>not ok|ok) \d+ - (?P<name>.*?)(?: # (?P<directive>SKIP|TODO)\b.*)?$")
TAP_SUBTEST = re.compile(r"^(?P<indent> *)# Subtest: (?P<name>.*)$")


def _tap_block(lines: list[str], start: int, indent: str) -> tuple[dict, int]:
    """The YAML block after a result line (`---` ... `...`), read for the keys we show; returns it and where it
    ends. Only `error` (one line, or a |- block), `location` and `type` are read: a full YAML parser is not needed."""
    fields: dict = {}
    if start >= len(lines) or lines[start].strip() != "---":
        return fields, start
    inner = indent + "  "
    index = start + 1
    while index < len(lines) and lines[index].strip() != "...":
        line = lines[index]
        key, _, value = line[len(inner):].partition(": ") if line.startswith(inner) else ("", "", "")
        if key in ("error", "location", "type") and not line.startswith(inner + " "):
            value = value.strip()
            if value in ("|-", "|", ">-"):
                block = []
                while index + 1 < len(lines) and (lines[index + 1].startswith(inner + "  ")
                                                  or not lines[index + 1].strip()):
                    index += 1
                    block.append(lines[index][len(inner) + 2:])
                value = "\n".join(block).rstrip("\n")
            elif len(value) >= 2 and value[0] == value[-1] == "'":
                value = value[1:-1].replace("''", "'")
            fields[key] = value
        index += 1
    return fields, index + 1


def parse_tap(text: str) -> list[CheckFeedback]:
    """node --test's TAP report as one feedback per test (suites left out, nested names joined with " > ")."""
    lines = text.splitlines()
    tests: list[CheckFeedback] = []
    names: list[str] = []  # the enclosing subtests, by nesting level
    seen: set[str] = set()
    index = 0
    while index < len(lines) and len(tests) < MAX_PUBLIC_TESTS:
        line = lines[index]
        index += 1
        subtest = TAP_SUBTEST.match(line)
        if subtest:
            level = len(subtest["indent"]) // 4
            names = names[:level] + [subtest["name"]]
            continue
        result = TAP_RESULT.match(line)
        if not result:
            continue
        level = len(result["indent"]) // 4
        fields, index = _tap_block(lines, index, result["indent"])
        if fields.get("type") == "'suite'" or fields.get("type") == "suite":
            continue
        name = " > ".join(names[:level] + [result["name"]])[:300]
        test_id = name
        while test_id in seen:
            test_id += "'"
        seen.add(test_id)
        skipped = result["directive"] is not None
        passed = result["ok"] == "ok"
        message = "" if passed else "\n".join(part for part in (fields.get("error", ""), fields.get("location", ""))
                                               if part)
        tests.append(CheckFeedback(id=inert_text(test_id, 300), name=inert_text(name, 300), hidden=False,
                                   passed=passed and not skipped,
                                   status="skipped" if skipped else ("passed" if passed else "failed"),
                                   message=inert_text(message, DETAIL_CAP)))
    return tests
