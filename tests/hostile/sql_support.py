"""A small sql-query exercise (cities and regions: one visible database, two hidden ones with the same schema and
other data), its reference statement, and the grading of a statement through the real SqlQueryGrader and runner,
shared by the sql-query kind's unit, integration and hostile tests."""
from __future__ import annotations

import json
from dataclasses import dataclass

import docker
import pytest

from graders.base import ExerciseSpec, GradeResult, Verdict
from graders.sql_query import SqlQueryGrader, fill_expected
from sandboxes.runner import SandboxPlan, SandboxResult, SandboxRunner

POINTS = 10.0
SCHEMA = """CREATE TABLE regions(id INTEGER PRIMARY KEY, nom TEXT NOT NULL);
CREATE TABLE villes(id INTEGER PRIMARY KEY, nom TEXT NOT NULL, region_id INTEGER REFERENCES regions(id),
                    population INTEGER);
"""
VISIBLE_DB = SCHEMA + """INSERT INTO regions VALUES (1, 'Souss-Massa'), (2, 'Oriental');
INSERT INTO villes VALUES (1, 'Agadir', 1, 421844), (2, 'Oujda', 2, 494252), (3, 'Taroudant', 1, 80149),
                          (4, 'Nador', 2, 161726);
"""
HIDDEN_DB = SCHEMA + """INSERT INTO regions VALUES (1, 'Drâa-Tafilalet'), (2, 'Béni Mellal-Khénifra');
INSERT INTO villes VALUES (1, 'Errachidia', 1, 111390), (2, 'Ouarzazate', 1, 71067), (3, 'Khouribga', 2, 196196);
"""
HIDDEN_DB_2 = SCHEMA + """INSERT INTO regions VALUES (1, 'Guelmim-Oued Noun'), (2, 'Laâyoune-Sakia El Hamra'),
  (3, 'Dakhla-Oued Ed-Dahab');
INSERT INTO villes VALUES (1, 'Guelmim', 1, 187808), (2, 'Tan-Tan', 1, 73209), (3, 'Laâyoune', 2, 217732),
                          (4, 'Dakhla', 3, 106277);
"""
REFERENCE = ("SELECT r.nom AS region, SUM(v.population) AS habitants FROM villes v JOIN regions r "
             "ON r.id = v.region_id GROUP BY r.nom ORDER BY habitants DESC")
# The visible database's answer, typed in: right on the example, wrong on every hidden database.
HARD_CODED = "SELECT 'Oriental' AS region, 655978 AS habitants UNION ALL SELECT 'Souss-Massa', 501993"
HIDDEN_ANSWERS = ("182457", "196196", "261017", "217732", "106277")  # the hidden databases' sums: never shown
NAME = {"fr": "Vérification", "ar": "فحص", "en": "Check"}


def make_spec(**options) -> ExerciseSpec:
    spec = ExerciseSpec.from_dict({
        "kind": "sql-query", "uuid": "sql-villes", "files": ["requete.sql"], "points": POINTS,
        "limits": {"wall_seconds": 8, "cpu_seconds": 4, "memory_mb": 256},
        "options": {"databases": {"villes": VISIBLE_DB, "villes-cachee": HIDDEN_DB, "villes-sud": HIDDEN_DB_2},
                    "require": ["join"], "statement": ["select"], **options},
        "checks": [{"id": "exemple", "name": NAME, "hidden": False, "database": "villes"},
                   {"id": "autre-base", "name": NAME, "database": "villes-cachee"},
                   {"id": "base-sud", "name": NAME, "database": "villes-sud"}]})
    assert fill_expected(spec, REFERENCE) == []
    return spec


def describe(grade: GradeResult) -> str:
    return (f"verdict={grade.verdict} score={grade.score} message={grade.message!r} "
            f"checks={[(c.id, c.status, c.message) for c in grade.checks]} "
            f"diagnostics={json.dumps(grade.diagnostics, default=str)[:1500]}")


@dataclass
class SqlRun:
    runner: SandboxRunner
    docker_client: docker.DockerClient
    spec: ExerciseSpec
    grader: SqlQueryGrader = SqlQueryGrader()

    def grade(self, text: str) -> tuple[GradeResult, SandboxPlan, SandboxResult]:
        assert self.grader.validate(self.spec) == []
        plan = self.grader.plan(self.spec, {"requete.sql": text})
        assert not any(answer in json.dumps(plan.job()) for answer in HIDDEN_ANSWERS)
        result = self.runner.run(plan)
        self.runner.flush()  # removal is asynchronous
        with pytest.raises(docker.errors.NotFound):
            self.docker_client.containers.get(result.container_id)
        return self.grader.judge(self.spec, plan, result), plan, result

    def check(self, text: str, verdict: Verdict, score: float | None = None) -> GradeResult:
        """A hostile case: its verdict and score, nothing hidden shown, and the reference passing right after."""
        grade, _, _ = self.grade(text)
        assert grade.verdict == verdict, describe(grade)
        if score is not None:
            assert grade.score == score, describe(grade)
        shown = json.dumps(grade.feedback(), ensure_ascii=False)
        assert not [answer for answer in HIDDEN_ANSWERS if answer in shown]
        assert "Errachidia" not in shown and "Guelmim" not in shown  # nothing of a hidden database
        assert all(c.message == "" and c.details == {} for c in grade.checks if c.hidden)
        benign, _, _ = self.grade(REFERENCE)
        assert (benign.verdict, benign.score) == (Verdict.PASSED, POINTS), describe(benign)
        return grade
