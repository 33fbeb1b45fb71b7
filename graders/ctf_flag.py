"""The ctf-flag kind: find-the-flag challenges. The learner hands in one file, `flag.txt`, holding the flag they found
in the artifact they downloaded (lms/ctf/artifacts.py makes it for them, with their own flag inside). Nothing runs:
a TrustedGrader, judged in the worker.

`options.flag` says what is accepted:
- `{tag: <slug>}` (derived): each learner's own flag, `JIT{<tag>-<24 hex digits>}`, from `learner.key("ctf-flag")`
  (an HMAC under the server's secret: stable for a learner, another value for every other one);
- `{static: "JIT{...}"}`: the same flag for every learner;
- `{regex: "..."}`: any text the pattern matches in full (variants of one answer).
The comparison is made in constant time (hmac.compare_digest) after trimming whitespace.

`options.hints`: `[{id, cost, text: {fr, ar, en}}]`, opened on request on the exercise page; the grade subtracts the
costs of the hints this learner had opened when they submitted, floored at zero. Which hints those are, and whether
a wrong flag is one made for another learner, are facts the server hands in on the trusted side
(`learner.facts`: lms/ctf/grading.py), never read from what the learner sent.
`options.artifact`: `{generator: encoding | pcap | webpage, ...}` (lms/ctf/artifacts.py).
`options.wrong_tries`: `{max, minutes}`: at most `max` wrong flags per `minutes` (lms/ctf/pacing.py).
"""
from __future__ import annotations

import hmac
import re

from graders import register
from graders.base import CheckFeedback, ExerciseSpec, GradeResult, Learner, TrustedGrader, Verdict
from graders.judging import localized_message, pattern_problem

FLAG_FILE = "flag.txt"
KEY_PURPOSE = "ctf-flag"
FLAG_HEX_DIGITS = 24  # 96 bits: no learner guesses another's
MAX_FLAG_CHARS = 200  # what is compared; a longer file is refused before any comparison
TAG = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
HINT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
DERIVED_SHAPE = re.compile(r"^JIT\{[a-z0-9-]{1,32}-[0-9a-f]{%d}\}$" % FLAG_HEX_DIGITS)
OPTIONS = {"flag", "artifact", "hints", "wrong_tries"}
DEFAULT_WRONG_TRIES = {"max": 5, "minutes": 10}
CHECK_ID = "drapeau"
CHECK_NAME = {"fr": "Drapeau", "ar": "العلم", "en": "Flag"}

MESSAGES = {
    "empty": {"fr": "Le fichier flag.txt est vide : collez-y le drapeau trouvé.",
              "ar": "الملف flag.txt فارغ: الصق فيه العلم الذي وجدته.",
              "en": "flag.txt is empty: paste the flag you found into it."},
    "too_long": {"fr": "Un drapeau tient en {limit} caractères au plus ; flag.txt en contient davantage.",
                 "ar": "لا يتجاوز العلم {limit} حرفًا؛ والملف flag.txt يحتوي على أكثر من ذلك.",
                 "en": "A flag is at most {limit} characters long; flag.txt holds more."},
    "wrong": {"fr": "Ce n'est pas le bon drapeau.", "ar": "هذا ليس العلم الصحيح.", "en": "This is not the right flag."},
    "another_learner": {
        "fr": "Ce drapeau a été généré pour un autre apprenant : il est refusé, et vos formateurs en sont informés. "
              "Chaque apprenant a son propre drapeau, dans son propre fichier.",
        "ar": "هذا العلم مولَّد لمتعلّم آخر: إنه مرفوض، وقد أُبلغ مكوّنوك بذلك. لكل متعلّم علمه الخاص في ملفه الخاص.",
        "en": "This flag was made for another learner: it is refused, and your instructors have been told. Every "
              "learner has their own flag, in their own file."},
    "correct": {"fr": "Bon drapeau.", "ar": "العلم صحيح.", "en": "Right flag."},
    "hints": {"fr": "Bon drapeau. Indices ouverts : {count}, soit {cost} point(s) retiré(s).",
              "ar": "العلم صحيح. التلميحات المفتوحة: {count}، أي خصم {cost} نقطة.",
              "en": "Right flag. Hints opened: {count}, so {cost} point(s) taken off."},
}


def derived_flag(tag: str, learner: Learner) -> str:
    return "JIT{%s-%s}" % (tag, learner.key(KEY_PURPOSE)[:FLAG_HEX_DIGITS // 2].hex())


def flag_rule(spec: ExerciseSpec) -> dict:
    return spec.options.get("flag") or {}


def is_derived(spec: ExerciseSpec) -> bool:
    return "tag" in flag_rule(spec)


def expected_flag(spec: ExerciseSpec, learner: Learner) -> str | None:
    """The flag this learner must find (the one their artifact holds); None for a regex flag."""
    rule = flag_rule(spec)
    if "tag" in rule:
        return derived_flag(rule["tag"], learner)
    return rule.get("static")


def submitted_flag(files: dict[str, str]) -> str:
    """What flag.txt holds, trimmed of whitespace (and of a byte-order mark an editor may add)."""
    return (files.get(FLAG_FILE) or "").strip().lstrip("\ufeff").strip()


def flags_equal(submitted: str, expected: str) -> bool:
    """Constant time: how long a wrong flag took to refuse tells nothing of the right one."""
    return hmac.compare_digest(submitted.encode("utf-8"), expected.encode("utf-8"))


def hints_of(spec: ExerciseSpec) -> list[dict]:
    return list(spec.options.get("hints") or [])


def hint_penalty(spec: ExerciseSpec, opened) -> tuple[int, float]:
    """(how many of the exercise's hints were opened, their costs added up); ids the exercise lacks count nothing."""
    opened = set(opened or ())
    costs = [float(h["cost"]) for h in hints_of(spec) if h["id"] in opened]
    return len(costs), sum(costs)


def wrong_tries(spec: ExerciseSpec) -> dict:
    return {**DEFAULT_WRONG_TRIES, **(spec.options.get("wrong_tries") or {})}


def _multilingual_problem(value, where: str) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("fr"), str) or not value["fr"].strip() \
            or not all(isinstance(v, str) for v in value.values()):
        return f"{where} must map languages (fr, ar, en) to text, French at least"
    return ""


@register
class CtfFlagGrader(TrustedGrader):
    kind = "ctf-flag"
    grades_inline = True
    image = ""

    def validate(self, spec: ExerciseSpec) -> list[str]:
        problems = []
        if spec.files != [FLAG_FILE]:
            problems.append(f"a ctf-flag exercise takes one file: files: [{FLAG_FILE}]")
        unknown = sorted(set(spec.options) - OPTIONS)
        if unknown:
            problems.append(f"unknown options: {', '.join(unknown)} (known: {', '.join(sorted(OPTIONS))})")
        rule = flag_rule(spec)
        if not isinstance(rule, dict) or len(rule) != 1 or set(rule) - {"tag", "static", "regex"}:
            problems.append("options.flag must be exactly one of {tag: <slug>}, {static: <flag>}, {regex: <pattern>}")
        elif "tag" in rule and not (isinstance(rule["tag"], str) and TAG.match(rule["tag"])):
            problems.append(f"options.flag.tag must be a short slug ({TAG.pattern})")
        elif "static" in rule and not (isinstance(rule["static"], str) and rule["static"].strip() == rule["static"]
                                       and 0 < len(rule["static"]) <= MAX_FLAG_CHARS):
            problems.append(f"options.flag.static must be a flag of 1 to {MAX_FLAG_CHARS} characters, no spaces "
                            "around it")
        elif "regex" in rule and (problem := pattern_problem(rule["regex"]) or (
                "" if isinstance(rule["regex"], str) else "options.flag.regex must be one pattern")):
            problems.append(f"options.flag.regex: {problem}")
        problems += self._hint_problems(spec)
        tries = spec.options.get("wrong_tries") or {}
        if not isinstance(tries, dict) or set(tries) - {"max", "minutes"} or not all(
                isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1440 for v in tries.values()):
            problems.append("options.wrong_tries takes max and minutes, whole numbers from 1 to 1440")
        artifact = spec.options.get("artifact")
        if artifact is not None:
            # The generators live on the web side (they make the download); checked here so that check-content
            # catches a misspelt one. Imported late: graders do not depend on the web application otherwise.
            from lms.ctf.artifacts import artifact_problems

            problems += artifact_problems(artifact)
            if "regex" in rule:
                problems.append("options.artifact needs a flag to put in it: a regex flag has none")
        return problems

    def _hint_problems(self, spec: ExerciseSpec) -> list[str]:
        hints = spec.options.get("hints") or []
        if not isinstance(hints, list):
            return ["options.hints must be a list of {id, cost, text}"]
        problems, seen = [], set()
        for number, hint in enumerate(hints, start=1):
            where = f"options.hints[{number}]"
            if not isinstance(hint, dict) or set(hint) != {"id", "cost", "text"}:
                problems.append(f"{where} must have exactly id, cost and text")
                continue
            if not isinstance(hint["id"], str) or not HINT_ID.match(hint["id"]) or hint["id"] in seen:
                problems.append(f"{where}.id must be a slug, unique in the exercise")
            seen.add(hint["id"])
            cost = hint["cost"]
            if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not 0 <= cost <= spec.points:
                problems.append(f"{where}.cost must be a number of points from 0 to the exercise's {spec.points}")
            if problem := _multilingual_problem(hint["text"], f"{where}.text"):
                problems.append(problem)
        return problems

    def grade(self, spec: ExerciseSpec, files: dict[str, str], learner: Learner) -> GradeResult:
        submitted = submitted_flag(files)
        facts = learner.facts
        diagnostics = {}
        if not submitted:
            passed, message = False, MESSAGES["empty"]
        elif len(submitted) > MAX_FLAG_CHARS:
            passed, message = False, localized_message(MESSAGES["too_long"], limit=MAX_FLAG_CHARS)
        else:
            rule = flag_rule(spec)
            expected = expected_flag(spec, learner)
            passed = (re.fullmatch(rule["regex"], submitted) is not None if expected is None
                      else flags_equal(submitted, expected))
            message = MESSAGES["correct"] if passed else MESSAGES["wrong"]
            if not passed and facts.get("flag_owner_id") is not None:
                # The server found this text to be the flag derived for a learner who downloaded the artifact: the
                # after-grade hook reports it to the instructors of both (lms/ctf/grading.py).
                message = MESSAGES["another_learner"]
                diagnostics["flag_of_learner"] = int(facts["flag_owner_id"])
        score = 0.0
        if passed:
            count, cost = hint_penalty(spec, facts.get("opened_hints"))
            score = max(0.0, round(spec.points - cost, 2))
            if count:
                message = localized_message(MESSAGES["hints"], count=count, cost=f"{cost:g}")
                diagnostics["hint_penalty"] = cost
        check = CheckFeedback(id=CHECK_ID, name=CHECK_NAME, passed=passed, hidden=False,
                              status="passed" if passed else "failed", message=message)
        return GradeResult(verdict=Verdict.PASSED if passed else Verdict.FAILED, score=score, max_score=spec.points,
                           checks=[check], diagnostics=diagnostics)

    def reference_files(self, spec: ExerciseSpec, solution: dict[str, str], learner: Learner) -> dict[str, str]:
        """A derived or static flag: this learner's own (what their artifact holds); a regex flag: solution/flag.txt."""
        expected = expected_flag(spec, learner)
        return {FLAG_FILE: expected + "\n"} if expected is not None else {FLAG_FILE: solution.get(FLAG_FILE, "")}
