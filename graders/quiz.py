"""The quiz kind: questions written as data, answered in one file (answers.json), judged on the trusted side with no
sandbox (a TrustedGrader).

Each question is a check of the exercise (tests/public/checks.yaml: the learner's feedback says right, partly right
or wrong, with the instructor's explanation; tests/hidden/checks.yaml: the question's name and right/wrong only):

    - id: code-transaction            # a slug, unique in the quiz
      name: {fr: ..., ar: ..., en: ...}
      type: single                    # single, multiple, short, numerical, matching, ordering, cloze
      prompt: {fr: ..., ar: ..., en: ...}
      weight: 1                       # optional (default 1)
      penalty: 0.25                   # optional: credit lost per wrong earlier try (default options.penalty)
      explanation: {fr: ..., ...}     # optional: shown with the feedback of a visible question
      # single / multiple
      choices: [{id: a, text: {...}, correct: true}, {id: b, text: {...}}]
      shuffle: true                   # optional (default true): choices in a per-learner order
      # short
      accept: ["ME21N", "ME21*"]      # accepted answers; * any characters, ? one character, \\* a literal star
      ignore: [case]                  # optional (default [case]): case, accents, spaces
      # numerical
      answer: 1800
      tolerance: 0.5                  # optional: absolute, or "2%" relative (default 0)
      units: [MAD, DH]                # optional: a unit given must be one of these; or {unit: factor to `answer`'s}
      unit_required: false            # optional
      # matching: each left to its right (the rights in a per-learner order)
      pairs: [{id: p1, left: {...}, right: {...}}]
      # ordering: the items in their right order (shown in a per-learner order, never the right one)
      items: [{id: i1, text: {...}}]
      partial: true                   # optional for matching/ordering/cloze (default true): credit per part
      # cloze: [[gap]] marks a gap in the text; each gap a short, numerical or choice sub-answer
      text: {fr: "La transaction [[tcode]] crée la commande.", ...}
      gaps: [{id: tcode, type: short, accept: [ME21N]}]
      # parameter variants (any type): one is picked per learner; {name} in the texts takes its params' value,
      # and the variant replaces the answer keys of its type (choices, accept, answer/tolerance/units, gaps)
      variants: [{params: {quantite: 120, prix: 15}, answer: 1800}]

`options:` of exercise.yaml: `shuffle_questions` (a per-learner order of the questions, default false) and
`penalty` (default 0).

Per learner, from `learner.key("quiz")`: the variant, the order of choices and of questions, and the tokens the page
and answers.json use for every choice, item and matching side (HMACs, so that nothing in the page tells a right
choice from another; answers naming tokens of another learner or question are simply wrong).

Scoring: a question earns a credit from 0 to 1 (multiple choice: right choices ticked / all right ones, minus wrong
ones ticked / all wrong ones, floored at zero; matching, ordering, cloze: the share of right pairs, places or gaps).
Tries: every earlier graded attempt where the question was answered and not fully right, counted until the first
attempt where it was right, costs `penalty` of its credit (floored at zero); once right, the penalty stays what it
was then. A question is passed when its answer is fully right. The answer key never leaves this module: the page
gets `learner_questions()` (texts and tokens only), and feedback never names a right answer.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import unicodedata

from graders import register
from graders.base import CheckFeedback, ExerciseSpec, GradeResult, Learner, TrustedGrader, Verdict
from graders.judging import inert_text, localized_message

ANSWERS_FILE = "answers.json"
MAX_ANSWERS_BYTES = 64 * 1024
MAX_TEXT_ANSWER = 200  # characters of a short or numerical answer
MAX_LIST_ANSWER = 100
TYPES = ("single", "multiple", "short", "numerical", "matching", "ordering", "cloze")
GAP_TYPES = ("short", "numerical", "choice")
IGNORABLE = ("case", "accents", "spaces")
OPTIONS = {"shuffle_questions", "penalty"}
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]{0,39})\}")
GAP = re.compile(r"\[\[([a-z0-9][a-z0-9_-]{0,39})\]\]")
LANGUAGES = ("fr", "ar", "en")
COMMON_KEYS = {"id", "name", "type", "prompt", "weight", "penalty", "explanation", "variants", "hidden"}
TYPE_KEYS = {
    "single": {"choices", "shuffle"}, "multiple": {"choices", "shuffle"}, "short": {"accept", "ignore"},
    "numerical": {"answer", "tolerance", "units", "unit_required"}, "matching": {"pairs", "partial"},
    "ordering": {"items", "partial"}, "cloze": {"text", "gaps", "partial"},
}
# What a variant may replace, per type: the answer's keys (texts change through {params}).
VARIANT_KEYS = {"single": {"choices"}, "multiple": {"choices"}, "short": {"accept"},
                "numerical": {"answer", "tolerance", "units"}, "matching": set(), "ordering": set(), "cloze": {"gaps"}}
GAP_KEYS = {"short": {"id", "type", "accept", "ignore"},
            "numerical": {"id", "type", "answer", "tolerance", "units", "unit_required"},
            "choice": {"id", "type", "choices"}}

MESSAGES = {
    "right": {"fr": "Bonne réponse.", "ar": "إجابة صحيحة.", "en": "Right answer."},
    "partial": {"fr": "Réponse en partie juste : {percent} % du crédit de la question.",
                "ar": "إجابة صحيحة جزئيًا: {percent}٪ من رصيد السؤال.",
                "en": "Partly right: {percent}% of the question's credit."},
    "wrong": {"fr": "Réponse incorrecte.", "ar": "إجابة غير صحيحة.", "en": "Wrong answer."},
    "missing": {"fr": "Pas de réponse à cette question.", "ar": "لا توجد إجابة عن هذا السؤال.",
                "en": "No answer to this question."},
    "malformed": {"fr": "Réponse illisible pour une question de ce type.",
                  "ar": "إجابة غير مقروءة لسؤال من هذا النوع.",
                  "en": "This answer cannot be read for a question of this type."},
    "not_a_number": {"fr": "« {got} » n'est pas un nombre (exemples : 12,5 ou 12.5).",
                     "ar": "«{got}» ليس عددًا (أمثلة: 12,5 أو 12.5).",
                     "en": "\"{got}\" is not a number (for example 12,5 or 12.5)."},
    "unit": {"fr": "Unité non acceptée ici : « {unit} ».", "ar": "وحدة غير مقبولة هنا: «{unit}».",
             "en": "Unit not accepted here: \"{unit}\"."},
    "unit_missing": {"fr": "Indiquez l'unité avec le nombre.", "ar": "اذكر الوحدة مع العدد.",
                     "en": "Give the unit with the number."},
    "penalty": {"fr": "Pénalité : {percent} % du crédit en moins pour {count} essai(s) faux avant celui-ci.",
                "ar": "خصم: {percent}٪ من الرصيد بسبب {count} محاولة خاطئة قبل هذه.",
                "en": "Penalty: {percent}% of the credit off for {count} wrong earlier tr(y/ies)."},
    "unreadable": {"fr": "Le fichier answers.json est illisible : {reason}.",
                   "ar": "الملف answers.json غير مقروء: {reason}.",
                   "en": "The file answers.json cannot be read: {reason}."},
}


class AnswersRefused(ValueError):
    """answers.json as a whole cannot be read (the reason, in English, names what is wrong)."""


# --- per-learner derivations -------------------------------------------------------------------------------------

def _digest(key: bytes, *parts: str) -> bytes:
    return hmac.new(key, "|".join(parts).encode(), hashlib.sha256).digest()


def token(key: bytes, question_id: str, role: str, item_id: str) -> str:
    """The opaque name of a choice, item or matching side for this learner (roles keep a pair's two sides apart)."""
    return "t" + _digest(key, "token", question_id, role, item_id).hex()[:12]


def permuted(key: bytes, purpose: str, ids: list[str]) -> list[str]:
    """`ids` in this learner's order for `purpose`: stable for them, another for another learner."""
    return sorted(ids, key=lambda item_id: _digest(key, "order", purpose, item_id))


def pick(key: bytes, purpose: str, count: int) -> int:
    return int.from_bytes(_digest(key, "pick", purpose)[:8], "big") % count


# --- texts -------------------------------------------------------------------------------------------------------

def texts(value) -> dict:
    """An instructor's text as {language: text} (a plain string is French)."""
    if isinstance(value, str):
        return {"fr": value}
    return {lang: str(text) for lang, text in (value or {}).items() if isinstance(text, (str, int, float))}


def _param_text(value, language: str) -> str:
    if isinstance(value, float) and language in ("fr", "ar"):
        return repr(value).replace(".", ",")
    return str(value)


def substituted(value, params: dict) -> dict:
    """{name} replaced by the variant's parameter in every language (plain replacement: no format(), no eval)."""
    result = texts(value)
    if not params:
        return result
    return {lang: PARAM.sub(lambda m, lang=lang: _param_text(params[m.group(1)], lang) if m.group(1) in params
                            else m.group(0), text) for lang, text in result.items()}


def normalised(text: str, ignore) -> str:
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    if "case" in ignore:
        text = text.casefold()
    if "accents" in ignore:  # Latin accents and Arabic diacritics (harakat) are combining marks; tatweel too
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        text = unicodedata.normalize("NFC", text.replace("\u0640", ""))
    if "spaces" in ignore:
        text = "".join(text.split())
    return text


def wildcard_regex(pattern: str) -> re.Pattern:
    """* any characters, ? one character, a backslash makes the next character literal; all else literal."""
    parts, escaped = [], False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def literal_of(pattern: str) -> str:
    """An answer the pattern accepts (the reference's): each wildcard as the shortest text it takes."""
    out, escaped = [], False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "?":
            out.append("x")
        elif char != "*":
            out.append(char)
    return "".join(out)


ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫−", "01234567890123456789.-")
NUMBER_AND_UNIT = re.compile(
    r"([-+]?(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,]\d+)?(?:[eE][-+]?\d{1,3})?)\s*(.*)", re.DOTALL)


def parse_number(value) -> tuple[float, str] | None:
    """(number, unit text) of an answer: 12,5 and 12.5 alike, thousands grouped by spaces (1 800), Arabic-Indic
    digits; None if it is no number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # a JSON integer of hundreds of digits: no float holds it
            return None
        return (number, "") if math.isfinite(number) else None
    if not isinstance(value, str):
        return None
    match = NUMBER_AND_UNIT.fullmatch(value.strip().translate(ARABIC_DIGITS))
    if not match:
        return None
    digits = re.sub(r"[ \u00a0\u202f]", "", match.group(1)).replace(",", ".")
    number = float(digits)
    return (number, match.group(2).strip()) if math.isfinite(number) else None


def unit_factors(units) -> dict[str, float]:
    if isinstance(units, dict):
        return {normalised(str(u), IGNORABLE[:2]): float(f) for u, f in units.items()}
    return {normalised(str(u), IGNORABLE[:2]): 1.0 for u in units or []}


def tolerance_of(tolerance, answer: float) -> float:
    if isinstance(tolerance, str):
        return abs(answer) * float(tolerance.strip().rstrip("%")) / 100
    return float(tolerance or 0)


# --- a question prepared for one learner -------------------------------------------------------------------------

def prepared(check: dict, key: bytes) -> dict:
    """The question as this learner meets it (variant applied, texts filled, choices ordered, tokens given), with
    its key: trusted side only. `public()` is what may be shown."""
    qid = check["id"]
    question = {k: v for k, v in check.items() if k != "variants"}
    params = {}
    if check.get("variants"):
        variant = check["variants"][pick(key, f"variant|{qid}", len(check["variants"]))]
        params = dict(variant.get("params") or {})
        question.update({k: v for k, v in variant.items() if k != "params"})
    kind = question["type"]
    out = {"id": qid, "type": kind, "name": texts(question.get("name") or qid),
           "prompt": substituted(question.get("prompt"), params), "weight": float(question.get("weight", 1)),
           "explanation": substituted(question.get("explanation"), params), "hidden": bool(check.get("hidden")),
           "partial": question.get("partial", True) is not False, "penalty": question.get("penalty")}
    if kind in ("single", "multiple"):
        out["choices"] = _choices(key, qid, question["choices"], params, question.get("shuffle", True) is not False)
    elif kind in ("short", "numerical"):
        out["rule"] = _rule(kind, question)
    elif kind == "matching":
        pairs = {p["id"]: p for p in question["pairs"]}
        out["left"] = [{"token": token(key, qid, "left", pid), "text": substituted(pairs[pid]["left"], params),
                        "right": token(key, qid, "right", pid)} for pid in pairs]
        out["right"] = [{"token": token(key, qid, "right", pid), "text": substituted(pairs[pid]["right"], params)}
                        for pid in permuted(key, f"right|{qid}", list(pairs))]
    elif kind == "ordering":
        right_order = [item["id"] for item in question["items"]]
        shown = permuted(key, f"items|{qid}", right_order)
        if shown == right_order and len(shown) > 1:  # never the answer as the starting order
            shown = shown[1:] + shown[:1]
        by_id = {item["id"]: item for item in question["items"]}
        out["items"] = [{"token": token(key, qid, "item", iid), "text": substituted(by_id[iid]["text"], params)}
                        for iid in shown]
        out["order"] = [token(key, qid, "item", iid) for iid in right_order]
    elif kind == "cloze":
        out["parts"] = {lang: _cloze_parts(text) for lang, text in substituted(question["text"], params).items()}
        out["gaps"] = []
        for gap in question["gaps"]:
            entry = {"id": gap["id"], "type": gap["type"]}
            if gap["type"] == "choice":
                entry["choices"] = _choices(key, f"{qid}/{gap['id']}", gap["choices"], params, True)
            else:
                entry["rule"] = _rule(gap["type"], gap)
            out["gaps"].append(entry)
    return out


def _choices(key: bytes, qid: str, choices: list[dict], params: dict, shuffle: bool) -> list[dict]:
    ids = [c["id"] for c in choices]
    by_id = {c["id"]: c for c in choices}
    return [{"token": token(key, qid, "choice", cid), "text": substituted(by_id[cid]["text"], params),
             "correct": by_id[cid].get("correct") is True}
            for cid in (permuted(key, f"choices|{qid}", ids) if shuffle else ids)]


def _rule(kind: str, data: dict) -> dict:
    if kind == "short":
        ignore = data.get("ignore", ["case"])
        return {"ignore": list(ignore), "accept": [str(a) for a in data["accept"]]}
    return {"answer": float(data["answer"]), "tolerance": data.get("tolerance", 0),
            "units": unit_factors(data.get("units")), "unit_required": data.get("unit_required") is True,
            "first_unit": next(iter(data.get("units") or []), None)}


def _cloze_parts(text: str) -> list[dict]:
    parts, at = [], 0
    for match in GAP.finditer(text):
        if match.start() > at:
            parts.append({"text": text[at:match.start()]})
        parts.append({"gap": match.group(1)})
        at = match.end()
    if at < len(text):
        parts.append({"text": text[at:]})
    return parts


def public(question: dict) -> dict:
    """What the learner's page may hold of a prepared question: texts and tokens, never which is right."""
    shown = {k: question[k] for k in ("id", "type", "name", "prompt")}
    if "choices" in question:
        shown["choices"] = [{"token": c["token"], "text": c["text"]} for c in question["choices"]]
    if question["type"] == "matching":
        shown["left"] = [{"token": x["token"], "text": x["text"]} for x in question["left"]]
        shown["right"] = list(question["right"])
    if question["type"] == "ordering":
        shown["items"] = list(question["items"])
    if question["type"] == "cloze":
        shown["parts"] = question["parts"]
        shown["gaps"] = [{"id": g["id"], "type": g["type"],
                          **({"choices": [{"token": c["token"], "text": c["text"]} for c in g["choices"]]}
                             if g["type"] == "choice" else {})} for g in question["gaps"]]
    return shown


# --- judging one answer ------------------------------------------------------------------------------------------

def judge_answer(question: dict, answer) -> tuple[float, str, dict]:
    """(credit 0..1, outcome, values for the message) of a learner's answer; outcome one of right, partial, wrong,
    missing, malformed, not_a_number, unit, unit_missing."""
    if answer is None or answer == "" or answer == [] or answer == {}:
        return 0.0, "missing", {}
    kind = question["type"]
    if kind == "single":
        if not isinstance(answer, str):
            return 0.0, "malformed", {}
        return _outcome(1.0 if any(c["correct"] and c["token"] == answer for c in question["choices"]) else 0.0)
    if kind == "multiple":
        return _judge_multiple(question["choices"], answer)
    if kind in ("short", "numerical"):
        return _judge_text(kind, question["rule"], answer)
    if kind == "matching":
        if not isinstance(answer, dict) or len(answer) > MAX_LIST_ANSWER:
            return 0.0, "malformed", {}
        right = sum(1 for x in question["left"] if answer.get(x["token"]) == x["right"])
        return _share(right, len(question["left"]), question["partial"])
    if kind == "ordering":
        order = _ordering(answer, {i["token"] for i in question["items"]})
        if order is None:
            return 0.0, "malformed", {}
        placed = sum(1 for got, want in zip(order, question["order"]) if got == want)
        return _share(placed, len(question["order"]), question["partial"])
    if kind == "cloze":
        if not isinstance(answer, dict) or len(answer) > MAX_LIST_ANSWER:
            return 0.0, "malformed", {}
        right = 0
        for gap in question["gaps"]:
            got = answer.get(gap["id"])
            if gap["type"] == "choice":
                right += isinstance(got, str) and any(c["correct"] and c["token"] == got for c in gap["choices"])
            else:
                right += _judge_text(gap["type"], gap["rule"], got)[0] == 1.0
        return _share(right, len(question["gaps"]), question["partial"])
    return 0.0, "malformed", {}


def _outcome(credit: float) -> tuple[float, str, dict]:
    if credit >= 1.0:
        return 1.0, "right", {}
    if credit <= 0.0:
        return 0.0, "wrong", {}
    return credit, "partial", {"percent": round(credit * 100)}


def _share(right: int, total: int, partial: bool) -> tuple[float, str, dict]:
    if not partial:
        return _outcome(1.0 if right == total else 0.0)
    return _outcome(right / total if total else 0.0)


def _judge_multiple(choices: list[dict], answer) -> tuple[float, str, dict]:
    if (not isinstance(answer, list) or len(answer) > MAX_LIST_ANSWER or not all(isinstance(a, str) for a in answer)
            or len(set(answer)) != len(answer)):  # a choice ticked twice is a tampered answer, not two
        return 0.0, "malformed", {}
    ticked = set(answer)
    right = [c for c in choices if c["correct"]]
    wrong = [c for c in choices if not c["correct"]]
    credit = sum(c["token"] in ticked for c in right) / len(right)
    if wrong:
        credit -= sum(c["token"] in ticked for c in wrong) / len(wrong)
    return _outcome(max(0.0, credit))


def _judge_text(kind: str, rule: dict, answer) -> tuple[float, str, dict]:
    if answer is None or answer == "":
        return 0.0, "missing", {}
    if kind == "short":
        if not isinstance(answer, str) or len(answer) > MAX_TEXT_ANSWER:
            return 0.0, "malformed", {}
        got = normalised(answer, rule["ignore"])
        accepted = any(wildcard_regex(normalised(p, rule["ignore"])).fullmatch(got) for p in rule["accept"])
        return _outcome(1.0 if accepted else 0.0)
    if (isinstance(answer, bool) or not isinstance(answer, (str, int, float))
            or isinstance(answer, str) and len(answer) > MAX_TEXT_ANSWER):
        return 0.0, "malformed", {}
    parsed = parse_number(answer)
    if parsed is None:
        return 0.0, "not_a_number", {"got": str(answer)}
    number, unit = parsed
    factor = 1.0
    if unit:
        factor = rule["units"].get(normalised(unit, IGNORABLE[:2]).rstrip("."))
        if factor is None:
            return 0.0, "unit", {"unit": unit}
    elif rule["unit_required"]:
        return 0.0, "unit_missing", {}
    value, want = number * factor, rule["answer"]
    margin = tolerance_of(rule["tolerance"], want) + 1e-9 * max(1.0, abs(want))
    return _outcome(1.0 if abs(value - want) <= margin else 0.0)


def _ordering(answer, tokens: set[str]) -> list[str] | None:
    """The learner's order: a list of tokens, or {token: position} (the page's position fields)."""
    if isinstance(answer, dict):
        try:
            positions = {t: int(str(p).strip()) for t, p in answer.items()}
        except ValueError:
            return None
        if sorted(positions.values()) != list(range(1, len(positions) + 1)):
            return None
        answer = sorted(positions, key=positions.get)
    if (not isinstance(answer, list) or len(answer) != len(tokens) or not all(isinstance(t, str) for t in answer)
            or set(answer) != tokens or len(set(answer)) != len(answer)):  # lists or objects inside: unhashable
        return None
    return answer


def reference_answer(question: dict):
    """A fully right answer (the reference solution's, for check-content)."""
    kind = question["type"]
    if kind == "single":
        return next(c["token"] for c in question["choices"] if c["correct"])
    if kind == "multiple":
        return [c["token"] for c in question["choices"] if c["correct"]]
    if kind in ("short", "numerical"):
        return _reference_text(kind, question["rule"])
    if kind == "matching":
        return {x["token"]: x["right"] for x in question["left"]}
    if kind == "ordering":
        return list(question["order"])
    return {g["id"]: (next(c["token"] for c in g["choices"] if c["correct"]) if g["type"] == "choice"
                      else _reference_text(g["type"], g["rule"])) for g in question["gaps"]}


def _reference_text(kind: str, rule: dict) -> str:
    if kind == "short":
        return literal_of(rule["accept"][0])
    if rule["unit_required"]:
        unit = rule["first_unit"]
        return f"{_number_text(rule['answer'] / rule['units'][normalised(str(unit), IGNORABLE[:2])])} {unit}"
    return _number_text(rule["answer"])


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


# --- answers.json ------------------------------------------------------------------------------------------------

def _no_duplicates(pairs):
    seen = {}
    for name, value in pairs:
        if name in seen:
            raise AnswersRefused(f"the key {inert_text(name, 40)!r} is given twice")
        seen[name] = value
    return seen


def read_answers(text) -> dict:
    """The learner's answers.json as {question id: answer}: a JSON object of at most MAX_ANSWERS_BYTES."""
    if text is None or not str(text).strip():
        return {}
    if len(text.encode("utf-8", "surrogatepass")) > MAX_ANSWERS_BYTES:
        raise AnswersRefused(f"larger than {MAX_ANSWERS_BYTES // 1024} KiB")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except AnswersRefused:
        raise
    except (ValueError, RecursionError) as exc:
        raise AnswersRefused(f"not valid JSON ({inert_text(str(exc), 120)})") from None
    if not isinstance(data, dict):
        raise AnswersRefused('it must be a JSON object, {"question id": answer, ...}')
    return data


# --- the grader --------------------------------------------------------------------------------------------------

def earlier_wrong_tries(previous, question_id: str) -> int:
    """Earlier graded attempts where the question was answered and not fully right, up to its first right one."""
    count = 0
    for attempt in previous:
        check = next((c for c in attempt.get("checks") or [] if isinstance(c, dict) and c.get("id") == question_id),
                     None)
        if check is None or check.get("status") == "missing":
            continue
        if check.get("passed"):
            break
        count += 1
    return count


def _message(templates: dict, **values) -> dict:
    return localized_message(templates, max_chars=80, **values)


def _join(*messages: dict) -> dict:
    return {lang: " ".join(m[lang] for m in messages if m.get(lang)) for lang in LANGUAGES}


def _localized_all(value: dict) -> dict:
    """An instructor's text in every language (French where one is missing)."""
    return {lang: value.get(lang) or value.get("fr") or "" for lang in LANGUAGES} if value else {}


@register
class QuizGrader(TrustedGrader):
    kind = "quiz"
    grades_inline = True
    image = ""

    # -- the learner's questions ------------------------------------------------------------------------------

    def questions_for(self, spec: ExerciseSpec, learner: Learner) -> list[dict]:
        """Every question as this learner meets it, in their order, key included (trusted side only)."""
        key = learner.key("quiz")
        questions = [prepared(check, key) for check in spec.checks]
        if spec.options.get("shuffle_questions"):
            order = permuted(key, "questions", [q["id"] for q in questions])
            questions.sort(key=lambda q: order.index(q["id"]))
        return questions

    def learner_questions(self, spec: ExerciseSpec, learner: Learner) -> list[dict]:
        """What the exercise page shows this learner: no answer key."""
        return [public(q) for q in self.questions_for(spec, learner)]

    def reference_files(self, spec: ExerciseSpec, solution: dict[str, str], learner: Learner) -> dict[str, str]:
        """The key is the reference: this learner's right answers (their variant, their tokens)."""
        answers = {q["id"]: reference_answer(q) for q in self.questions_for(spec, learner)}
        return {ANSWERS_FILE: json.dumps(answers, ensure_ascii=False)}

    # -- grading ---------------------------------------------------------------------------------------------

    def grade(self, spec: ExerciseSpec, files: dict[str, str], learner: Learner) -> GradeResult:
        questions = self.questions_for(spec, learner)
        try:
            answers = read_answers(files.get(ANSWERS_FILE))
            refused = ""
        except AnswersRefused as exc:
            answers, refused = {}, str(exc)
        default_penalty = float(spec.options.get("penalty", 0) or 0)
        checks, earned, total, all_right = [], 0.0, 0.0, True
        for question in questions:
            if refused:
                credit, outcome, values = 0.0, "unreadable", {"reason": refused}
            else:
                credit, outcome, values = judge_answer(question, answers.get(question["id"]))
            penalty = default_penalty if question["penalty"] is None else float(question["penalty"])
            tries = earlier_wrong_tries(learner.previous, question["id"])
            factor = max(0.0, 1.0 - penalty * tries)
            message = _message(MESSAGES[outcome], **values)
            if tries and penalty and credit > 0:
                message = _join(message, _message(MESSAGES["penalty"], percent=round(min(1.0, penalty * tries) * 100),
                                                  count=tries))
            if outcome not in ("right", "missing", "unreadable") and question["explanation"]:
                message = _join(message, _localized_all(question["explanation"]))
            weight = question["weight"]
            total += weight
            earned += weight * credit * factor
            all_right = all_right and credit >= 1.0
            checks.append(CheckFeedback(
                id=question["id"], name=question["name"], passed=credit >= 1.0, hidden=question["hidden"],
                status="passed" if credit >= 1.0 else "missing" if outcome == "missing" else "failed",
                message=message, weight=weight))
        if spec.scoring == "all_or_nothing" and not all_right:
            earned = 0.0
        points = round(spec.points * earned / total, 2) if total else 0.0
        unknown = sorted(set(answers) - {q["id"] for q in questions})
        message = (f"answers.json cannot be read: {refused}" if refused else
                   f"ignored answers to unknown questions: {inert_text(', '.join(unknown), 120)}" if unknown else "")
        return GradeResult(verdict=Verdict.PASSED if all_right and questions else Verdict.FAILED, score=points,
                           max_score=spec.points, checks=checks, message=message,
                           diagnostics={"answered": sorted(set(answers) & {q["id"] for q in questions})})

    # -- the instructor's definition -------------------------------------------------------------------------

    def validate(self, spec: ExerciseSpec) -> list[str]:
        problems = []
        if spec.files != [ANSWERS_FILE]:
            problems.append(f"files must be [{ANSWERS_FILE}] (the learner's answers, one file)")
        unknown = set(spec.options) - OPTIONS
        if unknown:
            problems.append(f"options: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(OPTIONS))}")
        problems += _penalty_problems("options.penalty", spec.options.get("penalty", 0))
        if not spec.checks:
            problems.append("a quiz needs at least one question (tests/public/checks.yaml or tests/hidden/checks.yaml)")
        seen = set()
        for number, check in enumerate(spec.checks, start=1):
            qid = check.get("id")
            where = f"question {qid!r}" if isinstance(qid, str) else f"question #{number}"
            if not isinstance(qid, str) or not SLUG.match(qid):
                problems.append(f"{where}: id must be a slug (lowercase letters, digits, - and _)")
                continue
            if qid in seen:
                problems.append(f"{where}: id used twice")
            seen.add(qid)
            problems += [f"{where}: {p}" for p in _question_problems(check)]
        return problems


def _penalty_problems(where: str, value) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        return [f"{where} must be a number from 0 to 1 (the share of the credit lost per wrong earlier try)"]
    return []


def _text_problems(where: str, value, required: bool = True) -> list[str]:
    if value is None and not required:
        return []
    if isinstance(value, str) and value.strip():
        return []
    if isinstance(value, dict) and isinstance(value.get("fr"), str) and value["fr"].strip() and all(
            lang in LANGUAGES and isinstance(text, str) for lang, text in value.items()):
        return []
    return [f"{where} must be a text, or {{fr: ..., ar: ..., en: ...}} with the French one at least"]


def _question_problems(check: dict) -> list[str]:
    kind = check.get("type")
    if kind not in TYPES:
        return [f"type must be one of {', '.join(TYPES)} (got {kind!r})"]
    problems = []
    extra = set(check) - COMMON_KEYS - TYPE_KEYS[kind]
    if extra:
        problems.append(f"unknown key(s) {', '.join(sorted(map(str, extra)))} for a {kind} question; it takes "
                        f"{', '.join(sorted((COMMON_KEYS | TYPE_KEYS[kind]) - {'hidden'}))}")
    problems += _text_problems("name", check.get("name"))
    problems += _text_problems("prompt", check.get("prompt"), required=kind != "cloze")
    problems += _text_problems("explanation", check.get("explanation"), required=False)
    weight = check.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 100:
        problems.append("weight must be a number above 0 (at most 100)")
    if "penalty" in check:
        problems += _penalty_problems("penalty", check["penalty"])
    for key in ("shuffle", "partial", "unit_required"):
        if key in check and not isinstance(check[key], bool):
            problems.append(f"{key} must be true or false")
    variants = check.get("variants")
    if variants is None:
        problems += _answer_problems(kind, check, "")
        problems += _placeholder_problems(check, {})
        return problems
    if not isinstance(variants, list) or not variants or len(variants) > 200:
        return problems + ["variants must be a list of 1 to 200 parameter sets ({params: {...}, <answer keys>})"]
    for number, variant in enumerate(variants, start=1):
        where = f"variant {number}: "
        if not isinstance(variant, dict):
            problems.append(where + "must be a mapping {params: {...}, <answer keys>}")
            continue
        params = variant.get("params") or {}
        if not isinstance(params, dict) or not all(
                isinstance(k, str) and PARAM.fullmatch("{" + k + "}") and isinstance(v, (str, int, float))
                and not isinstance(v, bool) for k, v in params.items()):
            problems.append(where + "params must map names (letters, digits, _) to texts or numbers")
            continue
        extra = set(variant) - {"params"} - VARIANT_KEYS[kind]
        if extra:
            allowed = ", ".join(sorted(VARIANT_KEYS[kind])) or "nothing but params"
            problems.append(where + f"may not set {', '.join(sorted(map(str, extra)))} (a {kind} variant sets "
                            f"{allowed})")
            continue
        merged = {**check, **{k: v for k, v in variant.items() if k != "params"}}
        problems += _answer_problems(kind, merged, where)
        problems += [where + p for p in _placeholder_problems(merged, params)]
    return problems


def _all_texts(check: dict) -> list[str]:
    found = []
    for key in ("prompt", "explanation", "text"):
        found += texts(check.get(key)).values()
    for choice in check.get("choices") or []:
        found += texts(choice.get("text")).values() if isinstance(choice, dict) else []
    for item in check.get("items") or []:
        found += texts(item.get("text")).values() if isinstance(item, dict) else []
    for pair in check.get("pairs") or []:
        if isinstance(pair, dict):
            found += list(texts(pair.get("left")).values()) + list(texts(pair.get("right")).values())
    return found


def _placeholder_problems(check: dict, params: dict) -> list[str]:
    if not check.get("variants"):
        return []
    missing = sorted({name for text in _all_texts(check) for name in PARAM.findall(text)} - set(params))
    return [f"the texts use {{{name}}} but params does not give it" for name in missing]


def _answer_problems(kind: str, data: dict, where: str) -> list[str]:
    if kind in ("single", "multiple"):
        return [where + p for p in _choice_problems(kind, data.get("choices"))]
    if kind == "short":
        return [where + p for p in _short_problems(data)]
    if kind == "numerical":
        return [where + p for p in _numerical_problems(data)]
    if kind == "matching":
        return [where + p for p in _list_problems("pairs", data.get("pairs"), ("left", "right"), 2)]
    if kind == "ordering":
        return [where + p for p in _list_problems("items", data.get("items"), ("text",), 2)]
    return [where + p for p in _cloze_problems(data)]


def _list_problems(key: str, entries, text_keys: tuple, minimum: int) -> list[str]:
    if not isinstance(entries, list) or not minimum <= len(entries) <= 30:
        return [f"{key} must list {minimum} to 30 entries, each {{id: ..., {': ..., '.join(text_keys)}: ...}}"]
    problems, ids = [], set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not SLUG.match(entry["id"]):
            problems.append(f"{key} #{number} needs an id (a slug)")
            continue
        if entry["id"] in ids:
            problems.append(f"{key}: id {entry['id']!r} used twice")
        ids.add(entry["id"])
        for text_key in text_keys:
            problems += _text_problems(f"{key} {entry['id']!r}: {text_key}", entry.get(text_key))
    return problems


def _choice_problems(kind: str, choices) -> list[str]:
    problems = _list_problems("choices", choices, ("text",), 2)
    if problems:
        return problems
    for choice in choices:
        if "correct" in choice and not isinstance(choice["correct"], bool):
            problems.append(f"choices {choice['id']!r}: correct must be true or false")
        if set(choice) - {"id", "text", "correct"}:
            problems.append(f"choices {choice['id']!r}: takes id, text and correct only")
    right = sum(1 for c in choices if c.get("correct") is True)
    if kind == "single" and right != 1:
        problems.append(f"a single-choice question needs exactly one choice with correct: true (has {right})")
    if kind == "multiple" and right < 1:
        problems.append("a multiple-choice question needs at least one choice with correct: true")
    return problems


def _short_problems(data: dict) -> list[str]:
    problems = []
    accept = data.get("accept")
    if (not isinstance(accept, list) or not accept or len(accept) > 50
            or not all(isinstance(a, str) and a.strip() and len(a) <= MAX_TEXT_ANSWER for a in accept)):
        problems.append("accept must list 1 to 50 accepted answers (texts; * and ? are wildcards)")
    elif not literal_of(accept[0]).strip():
        problems.append("the first accepted answer must hold more than wildcards (it is the reference answer)")
    ignore = data.get("ignore", ["case"])
    if not isinstance(ignore, list) or set(ignore) - set(IGNORABLE):
        problems.append(f"ignore must list some of {', '.join(IGNORABLE)}")
    return problems


def _numerical_problems(data: dict) -> list[str]:
    problems = []
    answer = data.get("answer")
    if isinstance(answer, bool) or not isinstance(answer, (int, float)) or not math.isfinite(answer):
        problems.append("answer must be a number")
    tolerance = data.get("tolerance", 0)
    if isinstance(tolerance, str):
        if not re.fullmatch(r"\d+(\.\d+)?%", tolerance.strip()):
            problems.append('tolerance must be a number (absolute) or a percentage such as "2%"')
    elif isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance < 0:
        problems.append('tolerance must be a number (absolute) or a percentage such as "2%"')
    units = data.get("units")
    if units is not None:
        if isinstance(units, list):
            good = bool(units) and all(isinstance(u, str) and u.strip() for u in units)
        elif isinstance(units, dict):
            good = bool(units) and all(isinstance(u, str) and u.strip() and isinstance(f, (int, float))
                                       and not isinstance(f, bool) and f > 0 for u, f in units.items())
        else:
            good = False
        if not good:
            problems.append("units must list the accepted units, or map each to its factor ({g: 0.001, kg: 1})")
    if data.get("unit_required") and not units:
        problems.append("unit_required needs units")
    return problems


def _cloze_problems(data: dict) -> list[str]:
    problems = _text_problems("text", data.get("text"))
    gaps = data.get("gaps")
    if not isinstance(gaps, list) or not 1 <= len(gaps) <= 30:
        return problems + ["gaps must list 1 to 30 gaps, each {id: ..., type: short | numerical | choice, ...}"]
    ids = []
    for number, gap in enumerate(gaps, start=1):
        if not isinstance(gap, dict) or not isinstance(gap.get("id"), str) or not GAP.fullmatch(f"[[{gap['id']}]]"):
            problems.append(f"gap #{number} needs an id (a slug)")
            continue
        where = f"gap {gap['id']!r}: "
        ids.append(gap["id"])
        kind = gap.get("type")
        if kind not in GAP_TYPES:
            problems.append(where + f"type must be one of {', '.join(GAP_TYPES)}")
            continue
        if set(gap) - GAP_KEYS[kind]:
            problems.append(where + f"a {kind} gap takes {', '.join(sorted(GAP_KEYS[kind]))}")
        problems += [where + p for p in (_choice_problems("single", gap.get("choices")) if kind == "choice"
                                         else _short_problems(gap) if kind == "short" else _numerical_problems(gap))]
    if len(set(ids)) != len(ids):
        problems.append("gaps: an id is used twice")
    for lang, text in texts(data.get("text")).items():
        marked = GAP.findall(text)
        if sorted(marked) != sorted(ids):
            problems.append(f"text.{lang} must mark each gap once as [[id]] (marks {', '.join(marked) or 'none'}; "
                            f"gaps {', '.join(ids)})")
    return problems
