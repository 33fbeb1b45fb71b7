"""Secure fixes: the learner patches a vulnerable application (SQL injection, stored XSS, ...) and trusted checks
attack the patched server and check that it still works.

One run is the http-service kind's (graders/http_service.py): the learner's server in one container, a trusted
prober in a second one sharing only its network namespace, checks as data in tests/public/checks.yaml and
tests/hidden/checks.yaml. Each check also names its `role`:
    feature   a normal use of the application (its requests and answers, with generated values)
    attack    an exploit, with a secret generated for this run and planted through the API (a victim's note),
              expecting that the answer does not give it away (`body_excludes: "{{secret}}"`)
Deleting the vulnerable route blocks every attack, so an attack counts only when every feature check passed too:
otherwise it fails with a message saying that the fix broke the application. The role never leaves this process
(the prober gets the requests only).
"""
from __future__ import annotations

from dataclasses import replace

from graders import register
from graders.base import ExerciseSpec, GradeResult
from graders.http_service import HttpServiceGrader, is_hidden
from graders.judging import localized_message, score
from sandboxes.runner import SandboxPlan, SandboxResult

ROLES = ("feature", "attack")
MESSAGES = {
    "feature_broken": {
        "fr": "L'attaque a été bloquée, mais le correctif a cassé l'application : des tests de fonctionnement "
              "échouent. Une faille n'est corrigée que si l'application marche encore.",
        "ar": "صُدّ الهجوم، لكن الإصلاح عطّل التطبيق: بعض اختبارات الاشتغال تفشل. لا تُعدّ الثغرة مصلحة إلا إذا "
              "ظل التطبيق يعمل.",
        "en": "The attack was blocked, but the fix broke the application: some feature checks fail. A vulnerability "
              "is fixed only if the application still works.",
    },
}


def without_roles(spec: ExerciseSpec) -> ExerciseSpec:
    """The spec as the http-service kind runs it: its checks without their role."""
    return replace(spec, checks=[{k: v for k, v in c.items() if k != "role"} for c in spec.checks])


@register
class SecureFixGrader(HttpServiceGrader):
    kind = "secure-fix"

    def validate(self, spec: ExerciseSpec) -> list[str]:
        problems = super().validate(without_roles(spec))
        for index, check in enumerate(spec.checks):
            if check.get("role") not in ROLES:
                problems.append(f"check #{index + 1} ({check.get('id', '?')}): role must be one of "
                                f"{', '.join(ROLES)}")
        for role in ROLES:
            checks = [c for c in spec.checks if c.get("role") == role]
            if not any(is_hidden(c) for c in checks):
                problems.append(f"checks: at least one hidden {role} check is required")
        return problems

    def plan(self, spec: ExerciseSpec, files: dict[str, str], practice: bool = False) -> SandboxPlan:
        return super().plan(without_roles(spec), files, practice)

    def evaluate(self, spec: ExerciseSpec, plan: SandboxPlan, result: SandboxResult) -> GradeResult:
        grade = super().evaluate(without_roles(spec), plan, result)
        roles = {c["id"]: c.get("role") for c in spec.checks}
        judged = grade.checks or grade.public_tests  # a practice run: the visible checks, as public tests
        if all(c.passed for c in judged if roles.get(c.id) == "feature"):
            return grade
        for check in judged:
            if roles.get(check.id) == "attack" and check.passed:
                check.passed, check.status = False, "failed"
                check.message = "" if check.hidden else localized_message(MESSAGES["feature_broken"])
        if grade.score:  # nothing to take back from a run that scored nothing (a practice run, a sandbox outcome)
            grade.score = score([(c.weight, c.passed) for c in grade.checks], spec.points, spec.scoring)
        return grade
