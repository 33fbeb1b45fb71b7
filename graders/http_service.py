"""HTTP services: the learner's Flask or Express app is started in the sandbox and probed over HTTP.

The learner's server runs in one container; a trusted prober runs in a second one that joins only its network
namespace (sandboxes/runner.py: plans with a prober), waits for the port, sends each check's requests and records
the exchanges. Checks are data (tests/public/checks.yaml: visible examples; tests/hidden/checks.yaml: hidden
checks): a sequence of requests with placeholders for values generated here at plan time ({{word}}, {{int:18-60}},
or names declared in `generate:`) and for values captured from earlier answers (`capture: {id: id}`), each request
with its expectations (status, headers, JSON body equal / containing / matching a small schema, raw body text that
must or must not be in the answer: `body_contains`, `body_excludes`), and `restart:
true` steps between requests (persistence: the server is restarted between two rounds of requests). Expectations
never leave this process: they are judged here against the recorded exchanges.

Visible examples run in the visible phase (their transcript and the server's log are shown), hidden checks in
the hidden phase against a fresh server process, with payloads generated for this run: a hidden check shows its
name and pass/fail only.
"""
from __future__ import annotations

import json
import random
import re

from graders import register
from graders.base import (LIMIT_PRECEDENCE, CheckFeedback, ExerciseSpec, Grader, GradeResult, Verdict,
                          sandbox_outcome)
from graders.judging import inert_text, localized_message, parse_records, score, values_equal
from sandboxes.limits import validate_limits
from sandboxes.runner import RUNTIME_RUNC, SandboxPlan, SandboxResult, StepOutcome

CHECK_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
VALUE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.:-]*)\s*\}\}")
GENERATOR = re.compile(r"^(word|email|int:(-?\d{1,9})-(-?\d{1,9})|hex:(\d{1,2}))$")
SUM = re.compile(r"^sum:([A-Za-z_][A-Za-z0-9_]*),([A-Za-z_][A-Za-z0-9_]*)$")  # of two generated ints, in generate:
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ENTRY_COMMANDS = {".py": ["python3", "-u"], ".js": ["node"]}
SERVE_STEP, HIDDEN_SERVE_STEP = "serve", "hidden-serve"
PROBE_STEP, HIDDEN_PROBE_STEP = "probe", "hidden-probe"
SERVER_RECORD = "_server"  # the prober's readiness record: no check id can be it (CHECK_ID)
RECORD_KEYS = {"exchanges", "rounds"}
BODY_TEXT_KEYS = {"body_contains", "body_excludes"}  # judged on the raw text of the answer, JSON or not
JSON_KEYS = {"json", "json_contains", "json_keys", "json_has_item", "schema"}
EXPECT_KEYS = {"status", "headers", *BODY_TEXT_KEYS, *JSON_KEYS}
SCHEMA_TYPES = {"object": dict, "array": list, "string": str, "integer": int, "number": (int, float),
                "boolean": bool, "null": type(None)}
SCHEMA_KEYS = {"type", "required", "properties", "items", "enum", "minItems"}
DEFAULTS = {"port": 5000, "ready_seconds": 5.0, "request_timeout": 2.0}
OPTIONS = ("entry", "port", "ready_seconds", "request_timeout")
MAX_REQUESTS_PER_PHASE = 40
MAX_RESTARTS_PER_CHECK = 4
BODY_CAP = 16 * 1024  # bytes of an answer the prober keeps
SHOWN_BODY_CAP = 1000
MAX_JSON_DEPTH = 64  # characters of a body in a visible transcript
LOG_CAP = 2000
MESSAGE_CAP = 500
PROBER_LIMITS = validate_limits({"memory_mb": 128, "pids": 16, "output_kb": 64})
SYLLABLES = ("ba", "ko", "li", "mu", "ne", "ra", "si", "tu", "va", "zo", "da", "fe", "gi", "ho", "ja", "ke", "lo",
             "mi", "no", "pa", "ri", "sa", "te", "vi", "yo", "za", "bu", "ce", "du", "ga")

MESSAGES = {
    "not_ready": {
        "fr": "Votre serveur n'a pas répondu sur le port {port} en {seconds} s.",
        "ar": "لم يستجب خادمك على المنفذ {port} خلال {seconds} ثانية.",
        "en": "Your server did not answer on port {port} within {seconds} s.",
    },
    "timeout": {
        "fr": "{method} {path} : pas de réponse en {seconds} s.",
        "ar": "{method} {path}: لا توجد إجابة خلال {seconds} ثانية.",
        "en": "{method} {path}: no answer within {seconds} s.",
    },
    "connection": {
        "fr": "{method} {path} : la connexion a échoué ({error}).",
        "ar": "{method} {path}: فشل الاتصال ({error}).",
        "en": "{method} {path}: the connection failed ({error}).",
    },
    "unresolved": {
        "fr": "{method} {path} : requête non envoyée, la valeur {name} n'a pas pu être lue dans une réponse précédente.",
        "ar": "{method} {path}: لم يُرسل الطلب، تعذّرت قراءة القيمة {name} من إجابة سابقة.",
        "en": "{method} {path}: not sent, the value {name} could not be read from an earlier answer.",
    },
    "status": {
        "fr": "{method} {path} : code de statut attendu {expected}, reçu {got}.",
        "ar": "{method} {path}: رمز الحالة المتوقع {expected}، والمستلم {got}.",
        "en": "{method} {path}: expected status {expected}, got {got}.",
    },
    "header": {
        "fr": "{method} {path} : l'en-tête {name} doit contenir « {expected} », reçu « {got} ».",
        "ar": "{method} {path}: يجب أن يحتوي الترويسة {name} على «{expected}»، والمستلم «{got}».",
        "en": "{method} {path}: header {name} should contain \"{expected}\", got \"{got}\".",
    },
    "too_large": {
        "fr": "{method} {path} : la réponse dépasse {cap} octets.",
        "ar": "{method} {path}: الإجابة تتجاوز {cap} بايت.",
        "en": "{method} {path}: the answer is larger than {cap} bytes.",
    },
    "not_json": {
        "fr": "{method} {path} : la réponse n'est pas du JSON valide.",
        "ar": "{method} {path}: الإجابة ليست JSON صالحًا.",
        "en": "{method} {path}: the answer is not valid JSON.",
    },
    "json": {
        "fr": "{method} {path} : corps JSON attendu {expected}, reçu {got}.",
        "ar": "{method} {path}: جسم JSON المتوقع {expected}، والمستلم {got}.",
        "en": "{method} {path}: expected the JSON body {expected}, got {got}.",
    },
    "json_contains": {
        "fr": "{method} {path} : le corps JSON doit contenir {expected}, reçu {got}.",
        "ar": "{method} {path}: يجب أن يحتوي جسم JSON على {expected}، والمستلم {got}.",
        "en": "{method} {path}: the JSON body should contain {expected}, got {got}.",
    },
    "json_keys": {
        "fr": "{method} {path} : le corps JSON doit être un objet avec la clé « {key} ».",
        "ar": "{method} {path}: يجب أن يكون جسم JSON كائنًا يحتوي على المفتاح «{key}».",
        "en": "{method} {path}: the JSON body should be an object with the key \"{key}\".",
    },
    "json_has_item": {
        "fr": "{method} {path} : le corps JSON doit être une liste contenant un élément {expected}.",
        "ar": "{method} {path}: يجب أن يكون جسم JSON قائمة تحتوي على عنصر {expected}.",
        "en": "{method} {path}: the JSON body should be a list with an item {expected}.",
    },
    "schema_type": {
        "fr": "{method} {path} : à {where}, type attendu {expected}, reçu {got}.",
        "ar": "{method} {path}: في {where}، النوع المتوقع {expected}، والمستلم {got}.",
        "en": "{method} {path}: at {where}, expected type {expected}, got {got}.",
    },
    "schema_required": {
        "fr": "{method} {path} : à {where}, la clé « {key} » manque.",
        "ar": "{method} {path}: في {where}، المفتاح «{key}» مفقود.",
        "en": "{method} {path}: at {where}, the key \"{key}\" is missing.",
    },
    "schema_value": {
        "fr": "{method} {path} : à {where}, valeur inattendue {got}.",
        "ar": "{method} {path}: في {where}، قيمة غير متوقعة {got}.",
        "en": "{method} {path}: at {where}, unexpected value {got}.",
    },
    "body_contains": {
        "fr": "{method} {path} : la réponse doit contenir « {text} ».",
        "ar": "{method} {path}: يجب أن تحتوي الإجابة على «{text}».",
        "en": "{method} {path}: the answer should contain \"{text}\".",
    },
    "body_excludes": {
        "fr": "{method} {path} : la réponse ne doit pas contenir « {text} ».",
        "ar": "{method} {path}: يجب ألا تحتوي الإجابة على «{text}».",
        "en": "{method} {path}: the answer must not contain \"{text}\".",
    },
    "secret_shown": {
        "fr": "{method} {path} : la réponse divulgue le secret déposé par le test.",
        "ar": "{method} {path}: تكشف الإجابة السرّ الذي زرعه الاختبار.",
        "en": "{method} {path}: the answer gives away the planted secret.",
    },
    "server_exited": {
        "fr": "Votre serveur s'est arrêté de lui-même (statut {status}).",
        "ar": "توقف خادمك من تلقاء نفسه (الحالة {status}).",
        "en": "Your server stopped by itself (status {status}).",
    },
}


def is_hidden(check: dict) -> bool:
    return check.get("hidden", True) is not False


def substitute(template, values: dict):
    """Placeholders {{name}} replaced by values: a string that is one placeholder takes the value as it is (a number
    stays a number). Raises KeyError naming one without a value. (The prober has the same rule for captures.)"""
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template.strip())
        if whole:
            return values[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)
    if isinstance(template, list):
        return [substitute(item, values) for item in template]
    if isinstance(template, dict):
        return {key: substitute(value, values) for key, value in template.items()}
    return template


def placeholders(template) -> set[str]:
    if isinstance(template, str):
        return set(PLACEHOLDER.findall(template))
    if isinstance(template, list):
        return set().union(*map(placeholders, template)) if template else set()
    if isinstance(template, dict):
        return set().union(*map(placeholders, template.values())) if template else set()
    return set()


def generate(expression: str, rng: random.Random):
    """A fresh value for a generator expression: word, email, int:A-B, hex:N."""
    match = GENERATOR.match(expression)
    if expression == "word":
        return "".join(rng.choice(SYLLABLES) for _ in range(3)) + rng.choice(SYLLABLES)[0]
    if expression == "email":
        return f"{generate('word', rng)}{rng.randint(10, 99)}@example.org"
    if match.group(2) is not None:
        return rng.randint(int(match.group(2)), int(match.group(3)))
    return "".join(rng.choice("0123456789abcdef") for _ in range(int(match.group(4))))


def check_values(check: dict, rng: random.Random) -> dict:
    """The values of one run of a check: its `generate:` names, and one value per generator expression used as a
    placeholder (so `{{word}}` in a request and in an expectation is the same word)."""
    values = {}
    for name, expression in (check.get("generate") or {}).items():
        total = SUM.match(expression)
        values[name] = values[total.group(1)] + values[total.group(2)] if total else generate(expression, rng)
    for name in sorted(placeholders(check.get("steps"))):
        if name not in values and GENERATOR.match(name):
            values[name] = generate(name, rng)
    return values


def check_rounds(check: dict) -> int:
    return 1 + sum(1 for step in check["steps"] if step.get("restart"))


def _schema_problems(schema, where: str) -> list[str]:
    if not isinstance(schema, dict) or set(schema) - SCHEMA_KEYS:
        return [f"{where}: a schema is a mapping of {', '.join(sorted(SCHEMA_KEYS))}"]
    problems = []
    types = schema.get("type", [])
    for name in types if isinstance(types, list) else [types]:
        if name not in SCHEMA_TYPES:
            problems.append(f"{where}: unknown type {name!r}")
    if not isinstance(schema.get("required", []), list):
        problems.append(f"{where}: required must be a list of keys")
    for key, sub in (schema.get("properties") or {}).items():
        problems += _schema_problems(sub, f"{where}.{key}")
    if "items" in schema:
        problems += _schema_problems(schema["items"], f"{where}[]")
    return problems


def schema_mismatch(schema: dict, value, where: str = "$") -> tuple[str, dict] | None:
    """The first way `value` does not match `schema` (a message key and its values), None if it matches."""
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        # JSON has no bool that is a number, and a whole float is no integer.
        if not any(isinstance(value, SCHEMA_TYPES[n]) and not (isinstance(value, bool) and n in ("integer", "number"))
                   for n in names):
            return "schema_type", {"where": where, "expected": " | ".join(names), "got": _json_type(value)}
    if "enum" in schema and not any(values_equal(option, value) for option in schema["enum"]):
        return "schema_value", {"where": where, "got": _preview(value, 100)}
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                return "schema_required", {"where": where, "key": key}
        for key, sub in (schema.get("properties") or {}).items():
            if key in value:
                found = schema_mismatch(sub, value[key], f"{where}.{key}")
                if found:
                    return found
    if isinstance(value, list):
        if len(value) < int(schema.get("minItems", 0)):
            return "schema_value", {"where": where, "got": f"{len(value)} item(s)"}
        if "items" in schema:
            for index, item in enumerate(value):
                found = schema_mismatch(schema["items"], item, f"{where}[{index}]")
                if found:
                    return found
    return None


def _json_type(value) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if isinstance(value, SCHEMA_TYPES[name]) and not (isinstance(value, bool) and name in ("integer", "number")):
            return name
    return type(value).__name__


def _preview(value, cap: int = 300) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)[:cap]
    except (TypeError, ValueError, RecursionError):
        return "?"


def json_contains(expected, got) -> bool:
    """Every key of an expected object is in the answer with a matching value (recursively); lists and scalars
    must be equal (lists element by element)."""
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(k in got and json_contains(v, got[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return (isinstance(got, list) and len(got) == len(expected)
                and all(json_contains(e, g) for e, g in zip(expected, got)))
    return values_equal(expected, got)


def parse_body(exchange: dict):
    """(True, value) for an answer that is JSON, (False, None) otherwise: also for one nested so deeply that
    comparing it would exhaust the judge's stack."""
    if exchange.get("truncated") or not isinstance(exchange.get("body"), str):
        return False, None
    try:
        value = json.loads(exchange["body"])
    except (ValueError, RecursionError):
        return False, None
    return (True, value) if _depth(value) <= MAX_JSON_DEPTH else (False, None)


def _depth(value) -> int:
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            pending += [(child, depth + 1) for child in item.values()]
        elif isinstance(item, list):
            pending += [(child, depth + 1) for child in item]
    return deepest


@register
class HttpServiceGrader(Grader):
    kind = "http-service"
    image = "service"
    # tests/public/ holds the visible examples (checks.yaml), shown as they are; a practice run sends them.
    public_test_glob = "*"

    # --- definition ---------------------------------------------------------------------------------------

    @staticmethod
    def settings(spec: ExerciseSpec) -> dict:
        return {**DEFAULTS, **spec.options}

    def validate(self, spec: ExerciseSpec) -> list[str]:
        problems = []
        unknown = set(spec.options) - set(OPTIONS)
        if unknown:
            problems.append(f"options: unknown {', '.join(sorted(unknown))} ({', '.join(OPTIONS)})")
        problems += self.server_problems(spec)
        if not any(is_hidden(c) for c in spec.checks):
            problems.append("checks: at least one hidden check is required")
        if all(is_hidden(c) for c in spec.checks):
            problems.append("checks: at least one visible example is required (tests/public/checks.yaml)")
        return problems + self.check_problems(spec)

    def server_problems(self, spec: ExerciseSpec) -> list[str]:
        """What is wrong with the options that start and reach the learner's server, and its runtime."""
        problems = []
        options = self.settings(spec)
        entry = options.get("entry")
        if entry not in spec.files or not isinstance(entry, str) or \
                not any(entry.endswith(ext) for ext in ENTRY_COMMANDS):
            problems.append("options.entry: the server's file (.py or .js), one of files, is required")
        port = options["port"]
        if type(port) is not int or not 1024 <= port <= 65535:
            problems.append("options.port must be a port number between 1024 and 65535")
        for key, high in (("ready_seconds", 15), ("request_timeout", 10)):
            value = options[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.2 <= value <= high:
                problems.append(f"options.{key} must be a number of seconds between 0.2 and {high}")
        if spec.runtime != RUNTIME_RUNC:
            problems.append(f"runtime: {spec.kind} runs under runc only (under gVisor each container has a network "
                            "stack of its own, so the prober could not reach the server)")
        return problems

    def check_problems(self, spec: ExerciseSpec) -> list[str]:
        """What is wrong with each of the spec's checks."""
        problems = []
        seen = set()
        for hidden in (False, True):
            total = sum(sum(1 for s in c.get("steps") or [] if isinstance(s, dict) and "request" in s)
                        for c in spec.checks if is_hidden(c) == hidden)
            if total > MAX_REQUESTS_PER_PHASE:
                problems.append(f"checks: at most {MAX_REQUESTS_PER_PHASE} requests per phase (visible, hidden)")
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
            problems += [f"{where}: {p}" for p in self.steps_problems(check)]
        return problems

    @staticmethod
    def steps_problems(check: dict) -> list[str]:
        """What is wrong with a check's `generate` and request `steps` (also a fullstack page check's setup)."""
        problems = []
        known = set()
        generated = check.get("generate") or {}
        if not isinstance(generated, dict):
            return ["generate must map names to generators (word, email, int:A-B, hex:N)"]
        integers = set()
        for name, expression in generated.items():
            total = SUM.match(expression) if isinstance(expression, str) else None
            if total and not {total.group(1), total.group(2)} <= integers:
                problems.append(f"generate.{name}: sum:x,y adds two int values generated before it")
            elif not VALUE_NAME.match(str(name)) or not isinstance(expression, str) or not (
                    GENERATOR.match(expression) or total):
                problems.append(f"generate.{name}: must be one of word, email, int:A-B, hex:N, sum:x,y")
            if isinstance(expression, str) and (expression.startswith("int:") or total):
                integers.add(name)
            known.add(name)
        steps = check.get("steps")
        if not isinstance(steps, list) or not any(isinstance(s, dict) and "request" in s for s in steps):
            return problems + ["steps: a list with at least one request is required"]
        if sum(1 for s in steps if isinstance(s, dict) and s.get("restart")) > MAX_RESTARTS_PER_CHECK:
            problems.append(f"steps: at most {MAX_RESTARTS_PER_CHECK} restarts")
        for number, step in enumerate(steps, 1):
            at = f"step {number}"
            if not isinstance(step, dict):
                problems.append(f"{at}: must be a mapping")
                continue
            if step.get("restart"):
                if set(step) != {"restart"} or step["restart"] is not True:
                    problems.append(f"{at}: a restart step is just `restart: true`")
                continue
            if set(step) - {"request", "expect", "capture"}:
                problems.append(f"{at}: takes request, expect and capture")
            request = step.get("request")
            if not isinstance(request, dict) or set(request) - {"method", "path", "headers", "json", "body"}:
                problems.append(f"{at}: request takes method, path, headers, json or body")
                continue
            if request.get("method") not in METHODS:
                problems.append(f"{at}: method must be one of {', '.join(METHODS)}")
            if not isinstance(request.get("path"), str) or not request["path"].startswith("/") \
                    or any(c in request["path"] for c in " \r\n"):
                problems.append(f"{at}: path must start with / and hold no space")
            headers = request.get("headers", {})
            if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                        for k, v in headers.items()):
                problems.append(f"{at}: headers must map names to text")
            if "json" in request and "body" in request or not isinstance(request.get("body", ""), str):
                problems.append(f"{at}: either json (any JSON value) or body (text)")
            expect = step.get("expect") or {}
            if not isinstance(expect, dict) or set(expect) - EXPECT_KEYS or not expect:
                problems.append(f"{at}: expect takes {', '.join(sorted(EXPECT_KEYS))}")
                expect = {}
            status = expect.get("status")
            if status is not None and not (type(status) is int or isinstance(status, list)
                                           and all(type(s) is int for s in status)):
                problems.append(f"{at}: expect.status must be a status code or a list of them")
            if not isinstance(expect.get("headers", {}), dict):
                problems.append(f"{at}: expect.headers must map header names to the text they contain")
            if not isinstance(expect.get("json_keys", []), list):
                problems.append(f"{at}: expect.json_keys must be a list of keys")
            for key in BODY_TEXT_KEYS & set(expect):
                texts = expect[key] if isinstance(expect[key], list) else [expect[key]]
                if not texts or not all(isinstance(t, str) and t for t in texts):
                    problems.append(f"{at}: expect.{key} must be a text or a list of texts, none empty")
            if "json_has_item" in expect and not isinstance(expect["json_has_item"], dict):
                problems.append(f"{at}: expect.json_has_item must be a mapping")
            if "schema" in expect:
                problems += [f"{at}: {p}" for p in _schema_problems(expect["schema"], "schema")]
            for name in placeholders(request) | placeholders(expect):
                if name not in known and not GENERATOR.match(name):
                    problems.append(f"{at}: placeholder {{{{{name}}}}} is neither generated nor captured earlier")
            capture = step.get("capture") or {}
            if not isinstance(capture, dict) or not all(VALUE_NAME.match(str(k)) and isinstance(v, str)
                                                        for k, v in capture.items()):
                problems.append(f"{at}: capture maps names to dotted paths in the answer (id, items.0.id)")
                capture = {}
            known |= set(capture)
        return problems

    # --- plan ---------------------------------------------------------------------------------------------

    def supports_practice(self, spec: ExerciseSpec) -> bool:
        return any(not is_hidden(c) for c in spec.checks)

    def plan(self, spec: ExerciseSpec, files: dict[str, str], practice: bool = False) -> SandboxPlan:
        """`practice`: the visible examples only (one phase), judged like a graded run but scoring nothing."""
        options = self.settings(spec)
        values = self.generated_values(spec)
        serve_steps, probe_steps = [], []
        for hidden in (False, True):
            checks = [c for c in spec.checks if is_hidden(c) == hidden]
            if not checks or hidden and practice:
                continue
            probe_steps.append(self.probe_step(checks, hidden, values, options))
            # The server outlives the prober's phase: the runner ends it.
            serve_steps.append(self.serve_step(spec, hidden, probe_steps[-1]["timeout"] + 3))
        prober = SandboxPlan(image=self.image, files={}, steps=probe_steps, limits=PROBER_LIMITS)
        return SandboxPlan(image=self.image, files={name: files[name] for name in spec.files}, steps=serve_steps,
                           limits=spec.limits, runtime=spec.runtime, prober=prober,
                           trusted={"values": values, "practice": practice})

    @staticmethod
    def generated_values(spec: ExerciseSpec) -> dict:
        rng = random.SystemRandom()
        return {check["id"]: check_values(check, rng) for check in spec.checks if "steps" in check}

    def serve_step(self, spec: ExerciseSpec, hidden: bool, seconds: float) -> dict:
        """The learner container's step of a phase: its server, from the submitted files, for `seconds` at most."""
        entry = self.settings(spec)["entry"]
        command = [*ENTRY_COMMANDS[entry[entry.rindex("."):]], entry]
        return {"name": HIDDEN_SERVE_STEP if hidden else SERVE_STEP, "action": "serve", "hidden": hidden,
                "timeout": seconds, "args": {"command": command, "keep": sorted({f.split("/")[0] for f in spec.files})}}

    @staticmethod
    def probe_step(checks: list[dict], hidden: bool, values: dict, options: dict) -> dict:
        """The prober's step of a phase: the checks' requests, round by round (a restart between two)."""
        rounds = max(check_rounds(c) for c in checks)
        requests = sum(1 for c in checks for s in c["steps"] if "request" in s)
        seconds = rounds * options["ready_seconds"] + requests * (options["request_timeout"] + 0.1) + 1
        # Only what to send and what to read back: the expectations stay here.
        observed = [{"id": c["id"], "values": values[c["id"]],
                     "steps": [{"restart": True} if s.get("restart") else
                               {"request": s["request"], "capture": s.get("capture") or {}}
                               for s in c["steps"]]}
                    for c in checks]
        return {"name": HIDDEN_PROBE_STEP if hidden else PROBE_STEP, "action": "probe", "hidden": hidden,
                "timeout": seconds, "segments": rounds - 1,
                "args": {"port": options["port"], "ready_seconds": options["ready_seconds"],
                         "request_timeout": options["request_timeout"], "body_cap": BODY_CAP, "checks": observed}}

    # --- judge --------------------------------------------------------------------------------------------

    def evaluate(self, spec: ExerciseSpec, plan: SandboxPlan, result: SandboxResult) -> GradeResult:
        options = self.settings(spec)
        outcome = sandbox_outcome(result)
        checks: list[CheckFeedback] = []
        limit_hits: set[Verdict] = set()
        errors: list[str] = []  # learner-facing lines, from the visible phase only
        diagnostics: dict = {"sandbox_status": result.status, "outputs": {}, "stderr": {}}
        platform_problem = ""
        phases = {}
        practice = plan.trusted.get("practice") is True
        for hidden, serve_name, probe_name in ((False, SERVE_STEP, PROBE_STEP), (True, HIDDEN_SERVE_STEP,
                                                                                 HIDDEN_PROBE_STEP)):
            ids = [c["id"] for c in spec.checks if is_hidden(c) == hidden]
            if not ids or hidden and practice:
                continue
            server, probe = result.step(serve_name), result.step(probe_name)
            records = parse_records(probe.records, [*ids, SERVER_RECORD], RECORD_KEYS)
            readiness, _ = records.get(SERVER_RECORD)
            if not outcome and (probe.missing or readiness is None):
                platform_problem = platform_problem or f"{probe_name}: {records.tampered or 'no readiness record'}"
            rounds = readiness.get("rounds") if isinstance(readiness, dict) else None
            ready = [isinstance(r, dict) and r.get("ready") is True for r in rounds] if isinstance(rounds, list) else []
            phases[hidden] = (server, records, ready)
            verdict = self._limit_verdict(server)
            if verdict:
                limit_hits.add(verdict)
            diagnostics["stderr"][serve_name] = server_log(server)
            if not hidden and not outcome:
                if server_died(server):
                    errors.append(_last_line(server.stderr) or _last_line(server.stdout)
                                  or f"exit status {server.exit_code or server.signal}")
                if ready and not ready[0] and not errors:
                    errors.append(_last_line(server.stderr) or _last_line(server.stdout))

        for check in spec.checks:
            hidden = is_hidden(check)
            if hidden and practice:
                continue
            feedback = CheckFeedback(id=check["id"], name=check["name"], passed=False, hidden=hidden,
                                     status="error", weight=float(check.get("weight", 1)))
            checks.append(feedback)
            if outcome or platform_problem or hidden not in phases:
                feedback.status = "missing" if not outcome else "error"
                continue
            server, records, ready = phases[hidden]
            record, problem = records.get(check["id"])
            exchanges = record.get("exchanges") if record else None
            if not isinstance(exchanges, list):
                platform_problem = platform_problem or f"{check['id']}: {problem or 'no exchanges'}"
                feedback.status = "missing"
                continue
            judged = self._judge_check(check, plan.trusted["values"].get(check["id"], {}), exchanges, options)
            feedback.passed, feedback.status, messages, transcript = judged
            if feedback.status == "timeout":
                limit_hits.add(Verdict.TIME_LIMIT)
            diagnostics["outputs"][check["id"]] = feedback.status
            if hidden:
                continue
            if ready and not ready[0]:
                messages.insert(0, localized_message(MESSAGES["not_ready"], port=options["port"],
                                                     seconds=options["ready_seconds"]))
            elif server_died(server):
                messages.append(localized_message(MESSAGES["server_exited"],
                                                  status=server.exit_code if server.signal is None
                                                  else f"signal {server.signal}"))
            feedback.message = messages[0] if messages else ""
            feedback.details = {"transcript": transcript}
            if not feedback.passed and (server.stdout or server.stderr):
                feedback.details["server_log"] = server_log(server)

        points = score([(c.weight, c.passed) for c in checks], spec.points, spec.scoring)
        if platform_problem and not outcome:
            diagnostics["platform"] = inert_text(platform_problem, 500)
            return GradeResult(verdict=Verdict.GRADING_ERROR, score=0.0, max_score=spec.points, checks=checks,
                               diagnostics=diagnostics)
        verdict, message = self._verdict(outcome, checks, limit_hits, errors, phases)
        if practice:  # the examples as public tests: they inform, score nothing
            return GradeResult(verdict=verdict, score=0.0, max_score=0.0, checks=[], public_tests=checks,
                               message=inert_text(message, MESSAGE_CAP), diagnostics=diagnostics)
        return GradeResult(verdict=verdict, score=points if not outcome else 0.0, max_score=spec.points,
                           checks=checks, message=inert_text(message, MESSAGE_CAP), diagnostics=diagnostics)

    @staticmethod
    def _limit_verdict(server: StepOutcome) -> Verdict | None:
        if server.pids_exhausted:
            return Verdict.PROCESS_LIMIT
        if server.oom_killed:
            return Verdict.MEMORY_LIMIT
        if server.output_exceeded:
            return Verdict.OUTPUT_LIMIT
        if server.signal == 24:  # SIGXCPU: the CPU time limit
            return Verdict.TIME_LIMIT
        return None

    @staticmethod
    def _verdict(outcome, checks, limit_hits, errors, phases) -> tuple[Verdict, str]:
        if outcome:
            return outcome
        if checks and all(c.passed for c in checks):
            return Verdict.PASSED, ""
        for verdict in LIMIT_PRECEDENCE:
            if verdict in limit_hits:
                return verdict, errors[0] if errors else ""
        never_ready = any(ready and not ready[0] for _, _, ready in phases.values())
        died = any(server_died(s) for s, _, _ in phases.values())
        if errors or never_ready or died:
            return Verdict.RUNTIME_ERROR, next((e for e in errors if e), "")
        return Verdict.FAILED, ""

    def _judge_check(self, check: dict, generated: dict, exchanges: list, options: dict):
        """(passed, status, messages, transcript) of one check from the prober's exchanges, in order."""
        values = dict(generated)
        messages, transcript = [], []
        status = "passed"
        recorded = iter(exchanges)
        for step in check["steps"]:
            item = next(recorded, None)
            if step.get("restart"):
                if not (isinstance(item, dict) and item.get("restart") is True):
                    return False, "missing", messages, transcript
                transcript.append({"restart": True})
                continue
            if not isinstance(item, dict) or "method" not in item:
                return False, "missing", messages, transcript
            captured = item.get("captured")
            if isinstance(captured, dict):  # scalars only (the prober captures no tree)
                values.update({k: v for k, v in captured.items() if k in (step.get("capture") or {})
                               and (v is None or type(v) in (str, int, float, bool))})
            problem, problem_status = self.judge_exchange(step, item, values, options)
            shown = self._shown_exchange(step, item, values)
            if problem:
                shown["problem"] = problem
                messages.append(problem)
                if status == "passed":
                    status = problem_status
            transcript.append(shown)
        return status == "passed", status, messages, transcript

    @staticmethod
    def _shown_exchange(step: dict, item: dict, values: dict) -> dict:
        request = step["request"]
        try:
            path = substitute(request["path"], values)
            sent = substitute(request.get("json", request.get("body")), values)
        except KeyError:
            path, sent = request["path"], request.get("json", request.get("body"))
        shown = {"method": request["method"], "path": inert_text(str(path), 300),
                 "status": item.get("status") if type(item.get("status")) is int else None}
        if sent is not None:
            shown["request_body"] = inert_text(sent if isinstance(sent, str) else
                                               json.dumps(sent, ensure_ascii=False, indent=2), SHOWN_BODY_CAP)
        is_json, body = parse_body(item)
        text = json.dumps(body, ensure_ascii=False, indent=2) if is_json else item.get("body")
        if isinstance(text, str) and text:
            trimmed = len(text) > SHOWN_BODY_CAP or item.get("truncated")
            shown["response_body"] = inert_text(text, SHOWN_BODY_CAP) + (" …" if trimmed else "")
        return shown

    def judge_exchange(self, step: dict, item: dict, values: dict, options: dict):
        """(problem message or None, check status) of one request."""
        request = step["request"]
        try:
            path = str(substitute(request["path"], values))
        except KeyError:
            path = request["path"]
        where = {"method": request["method"], "path": path}
        if "unresolved" in item:
            name = str(item["unresolved"]).strip("'\"")
            return localized_message(MESSAGES["unresolved"], name=name, **where), "failed"
        error = item.get("error")
        if error == "not_ready":
            return localized_message(MESSAGES["not_ready"], port=options["port"],
                                     seconds=options["ready_seconds"]), "error"
        if error == "timeout":
            return localized_message(MESSAGES["timeout"], seconds=options["request_timeout"], **where), "timeout"
        if error or type(item.get("status")) is not int:
            return localized_message(MESSAGES["connection"], error=str(error or "no status")[:120], **where), "error"
        expect = step.get("expect") or {}
        try:
            expect = substitute(expect, values)
        except KeyError as exc:
            return localized_message(MESSAGES["unresolved"], name=str(exc).strip("'\""), **where), "failed"
        wanted = expect.get("status")
        if wanted is not None and item["status"] not in (wanted if isinstance(wanted, list) else [wanted]):
            shown = " / ".join(map(str, wanted)) if isinstance(wanted, list) else wanted
            return localized_message(MESSAGES["status"], expected=shown, got=item["status"], **where), "failed"
        headers = item.get("headers") if isinstance(item.get("headers"), dict) else {}
        for name, text in (expect.get("headers") or {}).items():
            got = headers.get(str(name).lower())
            if not isinstance(got, str) or str(text).lower() not in got.lower():
                return localized_message(MESSAGES["header"], name=name, expected=str(text), got=str(got or ""),
                                         **where), "failed"
        if not EXPECT_KEYS.intersection(expect) - {"status", "headers"}:
            return None, "passed"
        if item.get("truncated"):  # a cut body proves no absence either
            return localized_message(MESSAGES["too_large"], cap=BODY_CAP, **where), "failed"
        body = item["body"] if isinstance(item.get("body"), str) else None
        problem = body_text_problem((step.get("expect") or {}), expect, body, where)
        if problem or not JSON_KEYS.intersection(expect):
            return problem, "failed" if problem else "passed"
        is_json, body = parse_body(item)
        if not is_json:
            return localized_message(MESSAGES["not_json"], **where), "failed"
        if "json" in expect and not values_equal(expect["json"], body):
            return localized_message(MESSAGES["json"], expected=_preview(expect["json"]), got=_preview(body),
                                     **where), "failed"
        if "json_contains" in expect and not json_contains(expect["json_contains"], body):
            return localized_message(MESSAGES["json_contains"], expected=_preview(expect["json_contains"]),
                                     got=_preview(body), **where), "failed"
        for key in expect.get("json_keys") or []:
            if not isinstance(body, dict) or key not in body:
                return localized_message(MESSAGES["json_keys"], key=str(key), **where), "failed"
        if "json_has_item" in expect and not (isinstance(body, list) and any(json_contains(expect["json_has_item"], x)
                                                                             for x in body)):
            return localized_message(MESSAGES["json_has_item"], expected=_preview(expect["json_has_item"]),
                                     **where), "failed"
        if "schema" in expect:
            found = schema_mismatch(expect["schema"], body)
            if found:
                key, found_values = found
                return localized_message(MESSAGES[key], **found_values, **where), "failed"
        return None, "passed"


def _texts(value) -> list:
    return value if isinstance(value, list) else [value]


def body_text_problem(template: dict, expect: dict, body: str | None, where: dict) -> dict | None:
    """The message of the first `body_contains` text missing from the raw answer or `body_excludes` text in it
    (case-sensitive; no body proves nothing), None if none. `template`: the expectation before substitution, so
    that a text made of generated values (a planted secret) is never printed back."""
    for wanted in _texts(expect.get("body_contains", [])):
        if body is None or str(wanted) not in body:
            return localized_message(MESSAGES["body_contains"], text=str(wanted), **where)
    for banned, written in zip(_texts(expect.get("body_excludes", [])), _texts(template.get("body_excludes", []))):
        if body is None or str(banned) in body:
            if placeholders(written):
                return localized_message(MESSAGES["secret_shown"], **where)
            return localized_message(MESSAGES["body_excludes"], text=str(banned), **where)
    return None


def server_died(server: StepOutcome) -> bool:
    """Whether the learner's server ended by itself before the runner stopped it."""
    return server.exit_code not in (0, None) or server.signal is not None


def server_log(server: StepOutcome) -> str:
    return inert_text((server.stdout + server.stderr)[-LOG_CAP:], LOG_CAP)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
