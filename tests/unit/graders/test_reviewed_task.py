"""The reviewed-task kind on plain data: the rubric's validation, a score from the chosen levels, the pre-checks
of a deliverable (files filled in, sizes, sections, an https link), and the grade: awaiting review or failed."""
import copy

import pytest

from graders.base import ExerciseSpec, Learner, Verdict
from graders.reviewed_task import (ReviewedTaskGrader, RubricError, link_problem, pre_checks, rubric_problems,
                                   score_from_levels)

TEXTS = {"fr": "Texte", "ar": "نص", "en": "Text"}


def level(points):
    return {"points": points, "name": TEXTS}


RUBRIC = [
    {"id": "code", "name": TEXTS, "description": TEXTS, "levels": [level(0), level(3), level(6)]},
    {"id": "rapport", "name": TEXTS, "description": TEXTS, "levels": [level(0), level(2), level(4)]},
]
OPTIONS = {"link": "depot.url", "link_hosts": ["github.com"], "extensions": [".md"],
           "pre_checks": [{"file": "RAPPORT.md", "min_bytes": 20, "max_bytes": 200, "contains": ["## Tests"]}],
           "rubric": RUBRIC}
GOOD = {"depot.url": "https://github.com/salma/projet\n", "RAPPORT.md": "# Rapport\n\n## Tests\n\n14 tests pytest."}
LEARNER = Learner(user_id=1, key=lambda purpose: b"k" * 32)


def spec(points=10.0, **options):
    return ExerciseSpec(kind="reviewed-task", files=["depot.url", "RAPPORT.md"], checks=[], points=points,
                        options={**copy.deepcopy(OPTIONS), **options})


def test_a_right_rubric_has_no_problem():
    assert ReviewedTaskGrader().validate(spec()) == []


def broken(change):
    rubric = copy.deepcopy(RUBRIC)
    change(rubric)
    return rubric


@pytest.mark.parametrize("rubric, points, expected", [
    (broken(lambda r: r[0].update(levels=[])), 10, "criterion 'code' has no level"),
    (broken(lambda r: r[0].pop("levels")), 10, "criterion 'code' has no level"),
    (RUBRIC, 12, "add up to 10 points, but the exercise is worth 12"),
    (broken(lambda r: r[1].update(id="code")), 10, "criterion 'code': id used twice"),
    (broken(lambda r: r[0]["name"].pop("ar")), 10, "criterion 'code': name needs a text in each of fr, ar, en"),
    (broken(lambda r: r[0]["levels"][1].update(points=-1)), 10, "level 2: points must be a number"),
    (broken(lambda r: r[0]["levels"][1].update(points=6)), 10, "two levels give the same points"),
    ([], 10, "options.rubric must list the criteria"),
])
def test_rubric_mistakes_are_explained(rubric, points, expected):
    problems = rubric_problems(rubric, points)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize("options, expected", [
    ({"link": "lien.txt"}, "options.link names 'lien.txt', which is not one of files"),
    ({"extensions": [".py"]}, "file 'RAPPORT.md' has an extension outside options.extensions"),
    ({"pre_checks": [{"file": "autre.md"}]}, "pre-check 1: file must be one of the submitted text files"),
    ({"pre_checks": [{"file": "RAPPORT.md", "min_bytes": 9, "max_bytes": 3}]}, "min_bytes is above max_bytes"),
    ({"pre_checks": [{"file": "RAPPORT.md", "taille": 3}]}, "pre-check 1 takes contains, file"),
    ({"colour": "red"}, "unknown setting 'colour'"),
])
def test_option_mistakes_are_explained(options, expected):
    problems = ReviewedTaskGrader().validate(spec(**options))
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize("chosen, score", [({"code": 2, "rapport": 2}, 10.0), ({"code": 1, "rapport": 0}, 3.0),
                                           ({"code": 0, "rapport": 1}, 2.0)])
def test_the_score_is_the_sum_of_the_chosen_levels(chosen, score):
    assert score_from_levels(RUBRIC, chosen) == score


@pytest.mark.parametrize("chosen, expected", [({"code": 2}, "no level chosen for: rapport"),
                                              ({"code": 3, "rapport": 0}, "criterion code: no level 3"),
                                              ({"code": 0, "rapport": 0, "style": 1}, "unknown criterion: style")])
def test_a_review_that_does_not_fit_the_rubric_is_refused(chosen, expected):
    with pytest.raises(RubricError, match=expected):
        score_from_levels(RUBRIC, chosen)


@pytest.mark.parametrize("link, problem", [
    ("https://github.com/salma/projet", None), ("  https://gitlab.github.com/x  ", None),
    ("", "empty"), ("http://github.com/salma", "not_https"), ("javascript:alert(1)", "not_https"),
    ("https://user:pw@github.com/x", "not_a_link"), ("https://127.0.0.1/x", "not_a_link"),
    ("https://localhost/x", "not_a_link"), ("https://github.com:8443/x", "not_a_link"),
    ("https://github.com/a b", "not_a_link"), ("https://" + "a" * 2000 + ".com", "not_a_link"),
])
def test_links_are_checked_as_text(link, problem):
    assert link_problem(link) == problem


def test_a_link_to_another_host_is_refused_when_hosts_are_named():
    assert link_problem("https://evil.example/x", ["github.com"]) == "wrong_host"
    assert link_problem("https://notgithub.com/x", ["github.com"]) == "wrong_host"


def test_a_complete_deliverable_awaits_review_with_no_automatic_points():
    grade = ReviewedTaskGrader().grade_trusted(spec(), GOOD, LEARNER)
    assert grade.verdict == Verdict.AWAITING_REVIEW and (grade.score, grade.max_score) == (0.0, 0.0)
    assert [c.id for c in grade.checks] == ["link", "filled-1", "size-1", "contains-1-1"]
    assert all(c.passed and not c.hidden for c in grade.checks)


@pytest.mark.parametrize("files, failing, words", [
    ({**GOOD, "depot.url": ""}, {"link"}, "Collez le lien"),
    ({**GOOD, "depot.url": "http://github.com/x"}, {"link"}, "https://"),
    ({**GOOD, "RAPPORT.md": "   "}, {"filled-1", "size-1", "contains-1-1"}, "est vide"),
    ({**GOOD, "RAPPORT.md": "## Tests"}, {"size-1"}, "au moins 20 attendus"),
    ({**GOOD, "RAPPORT.md": "## Tests" + "x" * 300}, {"size-1"}, "au plus 200"),
    ({**GOOD, "RAPPORT.md": "# Rapport sans la section attendue"}, {"contains-1-1"}, "ne contient pas"),
])
def test_a_deliverable_that_fails_a_pre_check_is_failed_and_told_why(files, failing, words):
    grade = ReviewedTaskGrader().grade_trusted(spec(), files, LEARNER)
    assert grade.verdict == Verdict.FAILED and (grade.score, grade.max_score) == (0.0, 10.0)
    assert {c.id for c in grade.checks if not c.passed} == failing
    messages = [c.message for c in grade.checks if not c.passed]
    assert all(set(m) == {"fr", "ar", "en"} for m in messages)
    assert any(words in m["fr"] for m in messages)


def test_the_pre_checks_only_read_text():
    hostile = {"depot.url": "https://github.com/x", "RAPPORT.md": "## Tests <script>alert(1)</script> {0} {file}"}
    checks = pre_checks(spec(), hostile)
    assert all(c.passed for c in checks)  # braces and markup are text: nothing is formatted or run
