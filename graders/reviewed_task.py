"""The reviewed-task kind: a deliverable (text files, or an https link) that an instructor grades with a rubric.

The automatic path only runs pre-checks on the trusted side (a file filled in, its size, its extension, a section
it must hold, a valid link) and ends "awaiting review" with no score; the review, once released, writes the score
(lms/reviews). The rubric is data in exercise.yaml's `options:`:

    options:
      link: depot.url                 # optional: the one file of `files` that holds an https link
      link_hosts: [github.com]        # optional: the hosts such a link may point to
      extensions: [.md, .py]          # optional: the extensions the other files may have
      pre_checks:
        - {file: RAPPORT.md, min_bytes: 300, max_bytes: 20000, contains: ["## Tests"]}
      rubric:
        - id: architecture
          name: {fr: ..., ar: ..., en: ...}
          description: {fr: ..., ar: ..., en: ...}
          levels:
            - {points: 0, name: {fr: ..., ar: ..., en: ...}, description: {...}}
            - {points: 5, name: {...}}

A criterion is worth its best level; the criteria add up to the exercise's points. Nothing submitted is run,
parsed as markup or fetched: a link is only checked as text.
"""
from __future__ import annotations

import re
from posixpath import splitext
from urllib.parse import urlsplit

from graders import register
from graders.base import CheckFeedback, ExerciseSpec, GradeResult, Learner, SpecError, TrustedGrader, Verdict
from graders.judging import localized_message

LANGUAGES = ("fr", "ar", "en")
CRITERION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_CRITERIA = 12
MAX_LEVELS = 8
MAX_LINK_CHARS = 2000
HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
OPTIONS = {"link", "link_hosts", "extensions", "pre_checks", "rubric"}
PRE_CHECK_KEYS = {"file", "min_bytes", "max_bytes", "contains"}


class RubricError(ValueError):
    """A review that does not fit the rubric (an unknown criterion or level, a criterion left out)."""


def _texts_problem(value, where: str, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, dict) or not all(isinstance(value.get(lang), str) and value[lang].strip()
                                              for lang in LANGUAGES):
        return f"{where} needs a text in each of {', '.join(LANGUAGES)}"
    return None


def _is_points(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1000


def rubric_problems(rubric, points: float) -> list[str]:
    """What is wrong with a rubric, in an instructor's words ([] when it is right)."""
    if not isinstance(rubric, list) or not rubric:
        return ["options.rubric must list the criteria (each with its levels)"]
    if len(rubric) > MAX_CRITERIA:
        return [f"options.rubric has {len(rubric)} criteria; at most {MAX_CRITERIA}"]
    problems, seen, total = [], set(), 0.0
    for number, criterion in enumerate(rubric, 1):
        if not isinstance(criterion, dict):
            problems.append(f"criterion {number} must be a mapping (id, name, description, levels)")
            continue
        cid = criterion.get("id")
        label = f"criterion {cid!r}" if isinstance(cid, str) else f"criterion {number}"
        if not isinstance(cid, str) or not CRITERION_ID.match(cid):
            problems.append(f"{label}: id must be lowercase letters, digits and - ({CRITERION_ID.pattern})")
        elif cid in seen:
            problems.append(f"{label}: id used twice")
        seen.add(cid)
        problems += [p for p in (_texts_problem(criterion.get("name"), f"{label}: name"),
                                 _texts_problem(criterion.get("description"), f"{label}: description")) if p]
        levels = criterion.get("levels")
        if not isinstance(levels, list) or not levels:
            problems.append(f"{label} has no level: give it levels, each with its points")
            continue
        if len(levels) > MAX_LEVELS:
            problems.append(f"{label}: at most {MAX_LEVELS} levels")
        level_points = []
        for index, level in enumerate(levels, 1):
            where = f"{label}, level {index}"
            if not isinstance(level, dict):
                problems.append(f"{where} must be a mapping (points, name, description)")
                continue
            if not _is_points(level.get("points")):
                problems.append(f"{where}: points must be a number between 0 and 1000")
            else:
                level_points.append(float(level["points"]))
            problems += [p for p in (_texts_problem(level.get("name"), f"{where}: name"),
                                     _texts_problem(level.get("description"), f"{where}: description",
                                                    required=False)) if p]
        if len(set(level_points)) != len(level_points):
            problems.append(f"{label}: two levels give the same points")
        total += max(level_points, default=0.0)
    if not problems and abs(total - points) > 1e-9:
        problems.append(f"the criteria's best levels add up to {total:g} points, but the exercise is worth "
                        f"{points:g}: make them equal")
    return problems


def rubric_max(rubric: list[dict]) -> float:
    return sum(max(float(level["points"]) for level in criterion["levels"]) for criterion in rubric)


def score_from_levels(rubric: list[dict], chosen: dict[str, int]) -> float:
    """The points of a review: the chosen level of every criterion (by its index in the rubric), added up."""
    known = {criterion["id"]: criterion for criterion in rubric}
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise RubricError(f"unknown criterion: {', '.join(unknown)}")
    missing = [cid for cid in known if cid not in chosen]
    if missing:
        raise RubricError(f"no level chosen for: {', '.join(missing)}")
    total = 0.0
    for cid, index in chosen.items():
        levels = known[cid]["levels"]
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(levels):
            raise RubricError(f"criterion {cid}: no level {index!r}")
        total += float(levels[index]["points"])
    return round(total, 4)


def link_problem(text: str, hosts: list[str] | None = None) -> str | None:
    """Why a submitted link is refused (None: an https URL to a public host name, never fetched here)."""
    link = text.strip()
    if not link:
        return "empty"
    if len(link) > MAX_LINK_CHARS or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in link):
        return "not_a_link"
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:
        return "not_a_link"
    if parts.scheme != "https":
        return "not_https"
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None or port not in (None, 443) or not HOST.match(host):
        return "not_a_link"  # credentials, a port, an IP address or a name with no domain: nothing to review
    if hosts and not any(host == h or host.endswith("." + h) for h in hosts):
        return "wrong_host"
    return None


LINK_MESSAGES = {
    "empty": {"fr": "Collez le lien de votre livrable.", "ar": "الصق رابط العمل المطلوب.",
              "en": "Paste the link to your deliverable."},
    "not_a_link": {"fr": "Ce n'est pas un lien valide : {got}", "ar": "هذا ليس رابطًا صالحًا: {got}",
                   "en": "This is not a valid link: {got}"},
    "not_https": {"fr": "Le lien doit commencer par https:// : {got}", "ar": "يجب أن يبدأ الرابط بـ https:// : {got}",
                  "en": "The link must start with https://: {got}"},
    "wrong_host": {"fr": "Le lien doit pointer vers {hosts} : {got}", "ar": "يجب أن يشير الرابط إلى {hosts}: {got}",
                   "en": "The link must point to {hosts}: {got}"},
}
NAMES = {
    "link": {"fr": "Lien valide ({file})", "ar": "رابط صالح ({file})", "en": "Valid link ({file})"},
    "filled": {"fr": "Fichier {file} rempli", "ar": "الملف {file} مملوء", "en": "File {file} filled in"},
    "size": {"fr": "Taille de {file}", "ar": "حجم {file}", "en": "Size of {file}"},
    "contains": {"fr": "{file} contient « {text} »", "ar": "{file} يحتوي على « {text} »",
                 "en": "{file} contains “{text}”"},
}
MESSAGES = {
    "empty": {"fr": "Le fichier {file} est vide.", "ar": "الملف {file} فارغ.", "en": "The file {file} is empty."},
    "too_small": {"fr": "{file} fait {size} octets ; au moins {limit} attendus.",
                  "ar": "حجم {file} هو {size} بايت؛ المطلوب {limit} على الأقل.",
                  "en": "{file} is {size} bytes; at least {limit} expected."},
    "too_large": {"fr": "{file} fait {size} octets ; au plus {limit} acceptés.",
                  "ar": "حجم {file} هو {size} بايت؛ الحد الأقصى {limit}.",
                  "en": "{file} is {size} bytes; at most {limit} accepted."},
    "missing_text": {"fr": "{file} ne contient pas « {text} ».", "ar": "{file} لا يحتوي على « {text} ».",
                     "en": "{file} does not contain “{text}”."},
}


def _feedback(check_id: str, name: dict, problem: dict | None) -> CheckFeedback:
    return CheckFeedback(id=check_id, name=name, passed=problem is None, hidden=False,
                         status="passed" if problem is None else "failed", message=problem or "")


def pre_checks(spec: ExerciseSpec, files: dict[str, str]) -> list[CheckFeedback]:
    """The automatic checks of a deliverable, all visible: they read the files as text and nothing more."""
    options = spec.options
    results = []
    link_file = options.get("link")
    if link_file:
        text = files.get(link_file) or ""
        problem = link_problem(text, options.get("link_hosts"))
        results.append(_feedback("link", localized_message(NAMES["link"], file=link_file), problem and localized_message(
            LINK_MESSAGES[problem], got=text.strip()[:200], hosts=", ".join(options.get("link_hosts") or []))))
    for number, check in enumerate(options.get("pre_checks") or [], 1):
        name, text = check["file"], files.get(check["file"]) or ""
        size = len(text.encode("utf-8", "surrogatepass"))
        results.append(_feedback(f"filled-{number}", localized_message(NAMES["filled"], file=name),
                                 None if text.strip() else localized_message(MESSAGES["empty"], file=name)))
        if "min_bytes" in check or "max_bytes" in check:
            problem = None
            if size < check.get("min_bytes", 0):
                problem = localized_message(MESSAGES["too_small"], file=name, size=size, limit=check["min_bytes"])
            elif "max_bytes" in check and size > check["max_bytes"]:
                problem = localized_message(MESSAGES["too_large"], file=name, size=size, limit=check["max_bytes"])
            results.append(_feedback(f"size-{number}", localized_message(NAMES["size"], file=name), problem))
        for index, needle in enumerate(check.get("contains") or [], 1):
            results.append(_feedback(f"contains-{number}-{index}",
                                     localized_message(NAMES["contains"], file=name, text=needle),
                                     None if needle in text else localized_message(MESSAGES["missing_text"],
                                                                                   file=name, text=needle)))
    return results


@register
class ReviewedTaskGrader(TrustedGrader):
    kind = "reviewed-task"
    image = ""

    def validate(self, spec: ExerciseSpec) -> list[str]:
        options = spec.options
        problems = [f"options: unknown setting {key!r} (known: {', '.join(sorted(OPTIONS))})"
                    for key in sorted(set(options) - OPTIONS)]
        if spec.checks:
            problems.append("the reviewed-task kind takes no tests/ checks: its pre-checks are options.pre_checks")
        link = options.get("link")
        if link is not None and link not in spec.files:
            problems.append(f"options.link names {link!r}, which is not one of files ({', '.join(spec.files)})")
        hosts = options.get("link_hosts")
        if hosts is not None and (link is None or not isinstance(hosts, list)
                                  or not all(isinstance(h, str) and HOST.match(h) for h in hosts)):
            problems.append("options.link_hosts must list host names (example.org), with options.link set")
        extensions = options.get("extensions")
        if extensions is not None:
            if not isinstance(extensions, list) or not all(isinstance(e, str) and re.match(r"^\.[a-z0-9]{1,10}$", e)
                                                           for e in extensions):
                problems.append("options.extensions must list extensions such as .md or .py")
            else:
                problems += [f"file {name!r} has an extension outside options.extensions ({', '.join(extensions)})"
                             for name in spec.files if name != link and splitext(name)[1].lower() not in extensions]
        pre = options.get("pre_checks") or []
        if not isinstance(pre, list):
            problems.append("options.pre_checks must be a list")
            pre = []
        for number, check in enumerate(pre, 1):
            where = f"pre-check {number}"
            if not isinstance(check, dict) or set(check) - PRE_CHECK_KEYS:
                problems.append(f"{where} takes {', '.join(sorted(PRE_CHECK_KEYS))}")
                continue
            if check.get("file") not in spec.files or check.get("file") == link:
                problems.append(f"{where}: file must be one of the submitted text files, got {check.get('file')!r}")
            limits = [check[k] for k in ("min_bytes", "max_bytes") if k in check]
            if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in limits):
                problems.append(f"{where}: min_bytes and max_bytes are whole numbers of bytes")
            elif len(limits) == 2 and limits[0] > limits[1]:
                problems.append(f"{where}: min_bytes is above max_bytes")
            contains = check.get("contains", [])
            if not isinstance(contains, list) or not all(isinstance(t, str) and 0 < len(t) <= 200 for t in contains):
                problems.append(f"{where}: contains must list texts (1 to 200 characters)")
        return problems + rubric_problems(options.get("rubric"), spec.points)

    def grade(self, spec: ExerciseSpec, files: dict[str, str], learner: Learner) -> GradeResult:
        if self.validate(spec):
            raise SpecError("the rubric or the pre-checks of this exercise are invalid")
        checks = pre_checks(spec, files)
        if all(check.passed for check in checks):
            # Nothing automatic is worth points: the review writes the score (stored as none until then).
            return GradeResult(verdict=Verdict.AWAITING_REVIEW, score=0.0, max_score=0.0, checks=checks)
        return GradeResult(verdict=Verdict.FAILED, score=0.0, max_score=spec.points, checks=checks)
