"""The http-service grader on plain data: check definitions validated at import, plans that carry no expectation
and keep hidden payloads out of the visible phase, and the judge on synthetic prober records (what the learner
sees: verdict, score, each check's status, message and transcript)."""
import json
import random

import pytest

from graders import get_grader
from graders.base import ExerciseSpec, Verdict
from graders.http_service import (BODY_CAP, check_values, json_contains, schema_mismatch, substitute)
from sandboxes.runner import SandboxResult, StepOutcome

CHECKS = [
    {"id": "create", "name": {"fr": "Créer", "ar": "إنشاء", "en": "Create"}, "hidden": False, "steps": [
        {"request": {"method": "POST", "path": "/api/users", "json": {"name": "Ada", "age": 36}},
         "expect": {"status": 201, "json_contains": {"name": "Ada"},
                    "schema": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}},
         "capture": {"user": "id"}},
        {"restart": True},
        {"request": {"method": "GET", "path": "/api/users/{{user}}"},
         "expect": {"status": 200, "json": {"id": "{{user}}", "name": "Ada", "age": 36},
                    "headers": {"Content-Type": "application/json"}}},
    ]},
    {"id": "hidden-create", "name": "Hidden create", "generate": {"name": "word", "age": "int:18-60"}, "steps": [
        {"request": {"method": "POST", "path": "/api/users", "json": {"name": "{{name}}", "age": "{{age}}"}},
         "expect": {"status": 201, "json_contains": {"name": "{{name}}", "age": "{{age}}"}}},
    ]},
    {"id": "bad-age", "name": "Bad age", "steps": [
        {"request": {"method": "POST", "path": "/api/users", "json": {"name": "{{word}}", "age": "old"}},
         "expect": {"status": 400, "json_keys": ["error"]}},
    ]},
]


def make_spec(**changes):
    return ExerciseSpec.from_dict({"kind": "http-service", "files": ["app.py"], "points": 9,
                                   "options": {"entry": "app.py", "port": 5000}, "checks": CHECKS, **changes})


@pytest.fixture
def grader():
    return get_grader("http-service")


class FakeServer:
    """Plays the prober against a function (method, path, sent) -> (status, body, headers): the records the
    prober writes (captures substituted as it does)."""

    def __init__(self, answer):
        self.answer = answer
        self.users = {}

    def records(self, step: dict, ready: bool = True, **exchange_fields) -> str:
        lines = [{"id": "_server", "rounds": [{"ready": ready, "ms": 10.0}]}]
        for check in step["args"]["checks"]:
            values, exchanges = dict(check["values"]), []
            for item in check["steps"]:
                if item.get("restart"):
                    exchanges.append({"restart": True})
                    continue
                try:
                    request = substitute(item["request"], values)
                except KeyError as exc:  # the prober sends nothing then
                    exchanges.append({**{k: item["request"][k] for k in ("method", "path")}, "unresolved": str(exc)})
                    continue
                exchange = {"method": request["method"], "path": request["path"], "sent": request.get("json")}
                if not ready:
                    exchange["error"] = "not_ready"
                else:
                    status, body, headers = self.answer(request["method"], request["path"], request.get("json"))
                    exchange.update(status=status, headers=headers, truncated=False,
                                    body=body if isinstance(body, str) else json.dumps(body))
                    exchange.update(exchange_fields)
                    if isinstance(body, dict):
                        captured = {k: body[p] for k, p in item.get("capture", {}).items() if p in body}
                        exchange["captured"] = captured
                        values.update(captured)
                exchanges.append(exchange)
            lines.append({"id": check["id"], "exchanges": exchanges})
        return "\n".join(json.dumps(line) for line in lines)


def good_api(method, path, sent):
    """A correct users API."""
    headers = {"content-type": "application/json"}
    if method == "POST":
        if not isinstance(sent.get("age"), int):
            return 400, {"error": "age must be an integer"}, headers
        return 201, {"id": 7, **sent}, headers
    return 200, {"id": 7, "name": "Ada", "age": 36}, headers


def run(grader, spec, answer=good_api, status="completed", serve=None, **record_fields):
    plan = grader.plan(spec, {"app.py": "app"})
    server = FakeServer(answer)
    steps = []
    for serve_name, probe_step in zip(("serve", "hidden-serve"), plan.prober.steps):
        steps.append(StepOutcome(name=serve_name, hidden=probe_step["hidden"], **{"exit_code": 0, **(serve or {})}))
        ready = record_fields.pop("ready", True) if serve_name == "serve" else True
        steps.append(StepOutcome(name=probe_step["name"], exit_code=0, hidden=probe_step["hidden"],
                                 records=server.records(probe_step, ready=ready, **record_fields)))
    result = SandboxResult(status=status, steps=steps, container_id="c", warm=True)
    if status != "completed":
        result.steps = [StepOutcome(name=s.name, missing=True, hidden=s.hidden) for s in steps]
    return grader.judge(spec, plan, result), plan


# --- definitions ----------------------------------------------------------------------------------------------

def test_the_bundled_shape_is_valid(grader):
    assert grader.validate(make_spec()) == []


@pytest.mark.parametrize("change, problem", [
    ({"options": {"port": 5000}}, "options.entry"),
    ({"options": {"entry": "app.py", "port": 80}}, "options.port"),
    ({"options": {"entry": "app.py", "command": "rm -rf /"}}, "unknown command"),
    ({"runtime": "runsc"}, "runc only"),
    ({"checks": [CHECKS[0]]}, "at least one hidden check"),
    ({"checks": CHECKS[1:]}, "at least one visible example"),
    ({"checks": [CHECKS[0], {**CHECKS[1], "steps": [{"request": {"method": "GET", "path": "/{{nope}}"},
                                                    "expect": {"status": 200}}]}]}, "{{nope}} is neither"),
    ({"checks": [CHECKS[0], {**CHECKS[1], "steps": [{"request": {"method": "BREW", "path": "/"},
                                                    "expect": {"status": 200}}]}]}, "method must be"),
    ({"checks": [CHECKS[0], {**CHECKS[1], "steps": [{"request": {"method": "GET", "path": "/"},
                                                    "expect": {"schema": {"type": "integr"}}}]}]}, "unknown type"),
    ({"checks": [CHECKS[0], {**CHECKS[1], "steps": [{"request": {"method": "GET", "path": "/"},
                                                    "expect": {"body_is": "x"}}]}]}, "expect takes"),
    ({"checks": [CHECKS[0], {**CHECKS[1], "generate": {"total": "sum:a,b"}}]}, "sum:x,y adds"),
    ({"checks": [CHECKS[0], {**CHECKS[1], "steps": [{"restart": True}]}]}, "at least one request"),
])
def test_invalid_definitions_are_refused_with_a_clear_message(grader, change, problem):
    problems = grader.validate(make_spec(**change))
    assert any(problem in p for p in problems), problems


def test_a_capture_can_only_be_used_after_the_request_that_captures_it(grader):
    steps = [{"request": {"method": "GET", "path": "/api/users/{{user}}"}, "expect": {"status": 200}},
             {"request": {"method": "POST", "path": "/api/users"}, "expect": {"status": 201},
              "capture": {"user": "id"}}]
    problems = grader.validate(make_spec(checks=[CHECKS[0], {**CHECKS[1], "steps": steps}]))
    assert any("{{user}} is neither" in p for p in problems)


# --- plans ----------------------------------------------------------------------------------------------------

def test_plan_carries_no_expectation_and_hidden_payloads_only_in_the_hidden_messages(grader):
    plan = grader.plan(make_spec(), {"app.py": "app"})
    plan.check()
    visible = json.dumps([plan.job(), plan.prober.job()])
    hidden = json.dumps([plan.hidden_job("n"), plan.prober.hidden_job("n")])
    assert '"expect"' not in visible + hidden
    name = plan.trusted["values"]["hidden-create"]["name"]
    assert name not in visible and name in hidden
    # The learner's container gets the files and the server's command; the prober no file at all.
    assert plan.files == {"app.py": "app"} and plan.prober.files == {}
    assert [(s["name"], s["hidden"]) for s in plan.steps] == [("serve", False), ("hidden-serve", True)]
    assert plan.steps[0]["args"]["command"] == ["python3", "-u", "app.py"]
    # The visible check restarts the server once: one pause of the prober; none in the hidden phase.
    assert [s["segments"] for s in plan.prober.steps] == [1, 0]
    # The server outlives the prober's phase: the runner ends it.
    assert all(serve["timeout"] > probe["timeout"] for serve, probe in zip(plan.steps, plan.prober.steps))


def test_generated_values_are_fresh_per_run_and_shared_within_a_check():
    check = {"id": "c", "steps": [{"request": {"method": "POST", "path": "/{{word}}", "json": {"n": "{{int:5-9}}"}},
                                   "expect": {"json": {"w": "{{word}}"}}}],
             "generate": {"a": "int:1-3", "b": "int:10-20", "total": "sum:a,b", "key": "hex:8"}}
    first, second = check_values(check, random.Random(1)), check_values(check, random.Random(2))
    assert set(first) == {"a", "b", "total", "key", "word", "int:5-9"}
    assert first["total"] == first["a"] + first["b"] and 5 <= first["int:5-9"] <= 9
    assert len(first["key"]) == 8 and first["word"].isalpha()
    assert first != second


def test_substitution_keeps_types_of_whole_placeholders():
    values = {"id": 7, "name": "Ada"}
    assert substitute({"id": "{{id}}", "path": "/u/{{id}}", "list": ["{{ name }}"]}, values) == {
        "id": 7, "path": "/u/7", "list": ["Ada"]}
    with pytest.raises(KeyError):
        substitute("/u/{{missing}}", values)


def test_json_contains_and_schema():
    assert json_contains({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}, "d": 3})
    assert not json_contains({"a": 1}, {"a": True}) and not json_contains({"a": [1]}, {"a": [1, 2]})
    schema = {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["id"],
                                                       "properties": {"id": {"type": "integer"}}}}
    assert schema_mismatch(schema, [{"id": 1}]) is None
    assert schema_mismatch(schema, [{"id": True}]) == ("schema_type", {"where": "$[0].id", "expected": "integer",
                                                                        "got": "boolean"})
    assert schema_mismatch(schema, [{}]) == ("schema_required", {"where": "$[0]", "key": "id"})
    assert schema_mismatch(schema, [])[0] == "schema_value"


# --- judging --------------------------------------------------------------------------------------------------

def test_a_correct_api_passes_with_its_transcript(grader):
    grade, _ = run(grader, make_spec())
    assert (grade.verdict, grade.score) == (Verdict.PASSED, 9)
    transcript = grade.checks[0].details["transcript"]
    assert transcript[1] == {"restart": True}
    assert transcript[2]["method"] == "GET" and transcript[2]["path"] == "/api/users/7"
    assert json.loads(transcript[0]["request_body"]) == {"name": "Ada", "age": 36}
    assert json.loads(transcript[0]["response_body"]) == {"id": 7, "name": "Ada", "age": 36}
    assert all(c.details == {} and c.message == "" for c in grade.checks if c.hidden)


def test_a_wrong_status_is_explained_in_three_languages(grader):
    def answer(method, path, sent):
        status, body, headers = good_api(method, path, sent)
        return (200 if status == 201 else status), body, headers

    grade, _ = run(grader, make_spec(), answer)
    assert grade.verdict == Verdict.FAILED and grade.score == 3.0  # bad-age still right
    create = grade.checks[0]
    assert create.status == "failed"
    assert create.message == {
        "fr": "POST /api/users : code de statut attendu 201, reçu 200.",
        "ar": "POST /api/users: رمز الحالة المتوقع 201، والمستلم 200.",
        "en": "POST /api/users: expected status 201, got 200."}
    assert create.details["transcript"][0]["problem"] == create.message
    assert [c.passed for c in grade.checks] == [False, False, True]
    assert grade.checks[1].message == ""  # hidden: pass/fail only


def test_expectations_use_captured_and_generated_values(grader):
    def answer(method, path, sent):
        if method == "POST":
            return 201, {"id": 7, "name": sent["name"] if sent["name"] == "Ada" else sent["name"].upper(),
                         "age": sent["age"]}, {}
        return 200, {"id": 8, "name": "Ada", "age": 36}, {"content-type": "application/json"}

    grade, plan = run(grader, make_spec(), answer)
    create = grade.checks[0]
    assert create.message["en"] == ('GET /api/users/7: expected the JSON body {"id": 7, "name": "Ada", "age": 36}, '
                                    'got {"id": 8, "name": "Ada", "age": 36}.')
    assert not grade.checks[1].passed  # the generated name came back in capitals


def test_schema_and_header_problems(grader):
    def answer(method, path, sent):
        if method == "POST":
            return (201, {"id": "7", **sent}, {}) if isinstance(sent["age"], int) else (400, {"error": "x"}, {})
        return 200, {"id": 7, "name": "Ada", "age": 36}, {"content-type": "text/html"}

    grade, _ = run(grader, make_spec(), answer)
    assert grade.checks[0].message["en"] == "POST /api/users: at $.id, expected type integer, got string."
    assert grade.checks[0].details["transcript"][2]["problem"]["en"] == (
        'GET /api/users/7: header Content-Type should contain "application/json", got "text/html".')


def test_server_never_ready_names_the_port_and_shows_its_log(grader):
    serve = {"stderr": "Traceback...\nNameError: name 'Flsk' is not defined\n", "exit_code": 1}
    grade, _ = run(grader, make_spec(), serve=serve, ready=False)
    assert (grade.verdict, grade.score) == (Verdict.RUNTIME_ERROR, 6.0)  # the hidden phase's server answered
    first = grade.checks[0]
    assert first.message["en"] == "Your server did not answer on port 5000 within 5.0 s."
    assert first.message["ar"] == "لم يستجب خادمك على المنفذ 5000 خلال 5.0 ثانية."
    assert "NameError" in first.details["server_log"] and grade.message == "NameError: name 'Flsk' is not defined"


def test_timeouts_are_the_time_limit(grader):
    grade, _ = run(grader, make_spec(), error="timeout")
    assert grade.verdict == Verdict.TIME_LIMIT and grade.score == 0
    assert {c.status for c in grade.checks} == {"timeout"}
    assert grade.checks[0].message["en"] == "POST /api/users: no answer within 2.0 s."


def test_a_truncated_answer_is_too_large(grader):
    grade, _ = run(grader, make_spec(), truncated=True)
    assert grade.checks[0].message["en"] == f"POST /api/users: the answer is larger than {BODY_CAP} bytes."


@pytest.mark.parametrize("flag, verdict", [("output_exceeded", Verdict.OUTPUT_LIMIT),
                                           ("pids_exhausted", Verdict.PROCESS_LIMIT),
                                           ("oom_killed", Verdict.MEMORY_LIMIT)])
def test_limits_of_the_server_are_named(grader, flag, verdict):
    grade, _ = run(grader, make_spec(), answer=lambda *a: (500, "boom", {}), serve={flag: True})
    assert grade.verdict == verdict and grade.score == 0


def test_a_run_that_did_not_complete_shows_nothing(grader):
    grade, _ = run(grader, make_spec(), status="bad_frame")
    assert grade.verdict == Verdict.RUNTIME_ERROR and grade.score == 0
    assert all(c.message == "" and c.details == {} for c in grade.checks)


def test_missing_prober_records_are_the_platforms_fault(grader):
    spec = make_spec()
    plan = grader.plan(spec, {"app.py": "app"})
    steps = [StepOutcome(name="serve", exit_code=0, hidden=False), StepOutcome(name="probe", hidden=False),
             StepOutcome(name="hidden-serve", exit_code=0), StepOutcome(name="hidden-probe")]
    grade = grader.judge(spec, plan, SandboxResult(status="completed", steps=steps, container_id="c", warm=True))
    assert grade.verdict == Verdict.GRADING_ERROR and grade.score == 0


def test_an_exchange_that_could_not_be_sent_names_the_missing_capture(grader):
    def answer(method, path, sent):
        return (201, {"ident": 7, **sent}, {}) if method == "POST" else good_api(method, path, sent)

    grade, _ = run(grader, make_spec(), answer)
    create = grade.checks[0]
    assert create.message["en"] == 'POST /api/users: at $, the key "id" is missing.'
    assert create.details["transcript"][2]["problem"]["en"] == (
        "GET /api/users/{{user}}: not sent, the value user could not be read from an earlier answer.")


def test_a_practice_run_sends_the_examples_only_and_scores_nothing(grader):
    spec = make_spec()
    assert grader.supports_practice(spec)
    plan = grader.plan(spec, {"app.py": "app"}, practice=True)
    assert [s["name"] for s in plan.steps] == ["serve"] and [s["name"] for s in plan.prober.steps] == ["probe"]
    assert "hidden-create" not in json.dumps([plan.job(), plan.prober.job()])
    steps = [StepOutcome(name="serve", exit_code=0, hidden=False),
             StepOutcome(name="probe", exit_code=0, hidden=False,
                         records=FakeServer(good_api).records(plan.prober.steps[0]))]
    grade = grader.judge(spec, plan, SandboxResult(status="completed", steps=steps, container_id="c", warm=True))
    assert (grade.verdict, grade.score, grade.max_score, grade.checks) == (Verdict.PASSED, 0, 0, [])
    assert [t.id for t in grade.public_tests] == ["create"] and grade.public_tests[0].details["transcript"]


def test_an_answer_nested_too_deeply_is_no_json_and_never_crashes_the_judge(grader):
    def answer(method, path, sent):
        return 201, "[" * 900 + "]" * 900, {}

    grade, _ = run(grader, make_spec(), answer)
    assert grade.verdict == Verdict.FAILED
    assert grade.checks[0].message["en"] == "POST /api/users: the answer is not valid JSON."


# --- raw body text: body_contains, body_excludes ------------------------------------------------------------

def text_spec(expect: dict, hidden: bool = False):
    checks = [{"id": "page", "name": "Page", "hidden": hidden, "generate": {"secret": "hex:16"}, "steps": [
        {"request": {"method": "POST", "path": "/search", "json": {"q": "{{secret}}"}}, "expect": expect}]},
        {**CHECKS[2], "hidden": not hidden}]
    return make_spec(checks=checks)


def page(text):
    return lambda method, path, sent: (200, text(sent) if callable(text) else text, {"content-type": "text/html"})


@pytest.mark.parametrize("expect, problem", [
    ({"body_excludes": ""}, "expect.body_excludes must be a text"),
    ({"body_contains": []}, "expect.body_contains must be a text"),
    ({"body_contains": ["ok", 3]}, "expect.body_contains must be a text"),
])
def test_body_text_expectations_are_validated(grader, expect, problem):
    assert any(problem in p for p in grader.validate(text_spec(expect)))


def test_body_contains_reads_the_raw_text_of_a_page_that_is_not_json(grader):
    spec = text_spec({"status": 200, "body_contains": ["<li>", "Bonjour"]})
    assert grader.validate(spec) == []
    result, _ = run(grader, spec, page("<ul><li>Bonjour</li></ul>"))
    assert result.checks[0].passed
    result, _ = run(grader, spec, page("<ul><li>bonjour</li></ul>"))  # case-sensitive
    assert result.checks[0].status == "failed"
    assert result.checks[0].message["en"] == 'POST /search: the answer should contain "Bonjour".'


def test_body_excludes_a_literal_text_names_it(grader):
    spec = text_spec({"body_excludes": ["<script>", "onerror="]})
    result, _ = run(grader, spec, page("<p>&lt;script&gt;</p>"))
    assert result.checks[0].passed
    result, _ = run(grader, spec, page("<p><img src=x onerror=alert(1)></p>"))
    assert result.checks[0].status == "failed" and 'must not contain "onerror="' in result.checks[0].message["en"]


def test_body_excludes_a_planted_secret_never_prints_it(grader):
    spec = text_spec({"status": [200, 400], "body_excludes": "{{secret}}"})
    result, plan = run(grader, spec, page(lambda sent: f"<p>all notes: {sent.get('q', '')}</p>"))
    secret = plan.trusted["values"]["page"]["secret"]
    check = result.checks[0]
    assert check.status == "failed" and check.message["en"].endswith("the answer gives away the planted secret.")
    assert all(secret not in text for text in check.message.values())
    result, _ = run(grader, spec, page("<p>nothing found</p>"))
    assert result.checks[0].passed


def test_a_truncated_body_proves_no_absence(grader):
    spec = text_spec({"body_excludes": "{{secret}}"})
    result, _ = run(grader, spec, page("<p>nothing</p>"), truncated=True)
    assert result.checks[0].status == "failed" and "larger than" in result.checks[0].message["en"]
