"""The sql-query kind: the learner's statement (one .sql file) runs on a fresh copy of each of the exercise's SQLite
databases, in the sql sandbox, one step per check; the visible database's steps first, the hidden databases' (same
schema, other data) in the hidden phase, where their scripts first enter the container.

The expected results are the reference statement's on the same databases, computed on the trusted side by the
same code (sandboxes/images/common/sqlrun.py) and stored in each check's `expect` (`fill_expected`); they never
enter a container. A check compares either the rows of a query (graders.sql_results: order, column names and order,
tolerance per column, NULLs, duplicates, as the check's `compare:` says) or, for a data-changing statement, the
tables it names in `tables:` afterwards. Rules on the text itself (`options.require` / `forbid`: JOIN, GROUP BY, no
subquery..., `options.statement`: the statement types allowed) are read on parsed tokens (graders.sql_text) and
shown as a check of their own, which earns nothing but, failed, leaves the statement no points: the right rows
without the construct asked for prove nothing of the skill.

A visible check shows its result table: a query's rows, or each table the statement left (passed or not); a
hidden one only its name and status. Staff see every check's expected result on the exercise page
(`expected_preview`), never a learner.
"""
from __future__ import annotations

import importlib.util
import sqlite3
from dataclasses import replace
from pathlib import Path

from graders import register
from graders.base import (LIMIT_PRECEDENCE, CheckFeedback, ExerciseSpec, Grader, GradeResult, Verdict,
                          sandbox_outcome)
from graders.judging import inert_text, localized_message, parse_records, score
from graders.python import is_hidden, step_limit_verdict
from graders.sql_results import CompareRules, compare_results, comparison_message, rules_problems
from graders.sql_text import (CONSTRUCTS, MAX_SQL_CHARS, STATEMENT_TYPES, construct_problems,
                              has_top_level_order_by, parse_statements, statement_type, text_problem)
from sandboxes.runner import SandboxPlan, SandboxResult

SQLRUN_PATH = Path(__file__).resolve().parent.parent / "sandboxes" / "images" / "common" / "sqlrun.py"
STEP_PREFIX = "query-"
RULES_CHECK_ID = "regles-requete"
OPTIONS = {"databases", "require", "forbid", "statement", "row_cap", "statement_seconds"}
DEFAULT_SECONDS = 2.0
MAX_SECONDS = 10.0
MAX_ROW_CAP = 5000
DATABASE_CAP_BYTES = 2 * 1024 * 1024
TABLE_ROWS_SHOWN = 20
TABLES_SHOWN = 5  # a check comparing more tables than this shows the first ones
STEP_MARGIN_SECONDS = 3.0  # the child's start and the database's build, beside the statement's own budget

MESSAGES = {
    "empty": {"fr": "Le fichier ne contient aucune instruction SQL.", "ar": "لا يحتوي الملف على أي تعليمة SQL.",
              "en": "The file holds no SQL statement."},
    "too_long": {"fr": "L'instruction dépasse {limit} caractères.", "ar": "تتجاوز التعليمة {limit} حرفًا.",
                 "en": "The statement is longer than {limit} characters."},
    "several_statements": {
        "fr": "Une seule instruction est attendue, le fichier en contient {count}.",
        "ar": "المنتظر تعليمة واحدة، والملف يحتوي على {count}.",
        "en": "One statement is expected; the file holds {count}."},
    "refused": {"fr": "Instruction refusée ici : {what}.", "ar": "تعليمة مرفوضة هنا: {what}.",
                "en": "Statement refused here: {what}."},
    "sqlite_error": {"fr": "Erreur SQLite : {error}", "ar": "خطأ SQLite: {error}", "en": "SQLite error: {error}"},
    "timeout": {"fr": "L'instruction a dépassé {seconds} s.", "ar": "تجاوزت التعليمة {seconds} ثانية.",
                "en": "The statement ran longer than {seconds} s."},
    "no_rows": {"fr": "Votre instruction ne renvoie aucune ligne : une requête SELECT est attendue ici.",
                "ar": "تعليمتك لا تُرجع أي صف: المنتظر هنا استعلام SELECT.",
                "en": "Your statement returns no rows: a SELECT query is expected here."},
    "rows_instead": {"fr": "Votre instruction renvoie des lignes ; elle devait modifier la table {table}.",
                     "ar": "تعليمتك تُرجع صفوفًا؛ وكان عليها أن تعدّل الجدول {table}.",
                     "en": "Your statement returns rows; it was to change the table {table}."},
    "table": {"fr": "Table {table} après votre instruction : {detail}", "ar": "الجدول {table} بعد تعليمتك: {detail}",
              "en": "Table {table} after your statement: {detail}"},
    "table_error": {"fr": "La table {table} ne peut plus être lue ({error}).",
                    "ar": "لم يعد من الممكن قراءة الجدول {table} ({error}).",
                    "en": "The table {table} can no longer be read ({error})."},
    "missing": {"fr": "Aucun résultat pour cette base.", "ar": "لا توجد نتيجة لهذه القاعدة.",
                "en": "No result for this database."},
    "required": {"fr": "La requête doit utiliser : {construct}.", "ar": "يجب أن يستعمل الاستعلام: {construct}.",
                 "en": "The query must use: {construct}."},
    "forbidden": {"fr": "La requête ne doit pas utiliser : {construct}.",
                  "ar": "يجب ألا يستعمل الاستعلام: {construct}.", "en": "The query must not use: {construct}."},
    "statement_type": {"fr": "Instruction attendue : {expected} ; la vôtre : {got}.",
                       "ar": "التعليمة المنتظرة: {expected}؛ تعليمتك: {got}.",
                       "en": "Statement expected: {expected}; yours: {got}."},
}
RULES_CHECK_NAME = {"fr": "Construction de la requête", "ar": "بناء الاستعلام", "en": "How the query is built"}
CONSTRUCT_NAMES = {"join": "JOIN", "group_by": "GROUP BY", "having": "HAVING", "order_by": "ORDER BY",
                   "window": "OVER (…)", "subquery": "(SELECT …)", "cte": "WITH", "distinct": "DISTINCT",
                   "union": "UNION", "limit": "LIMIT", "aggregate": "COUNT / SUM / AVG…", "case": "CASE"}
VERDICT_ORDER = (Verdict.TIME_LIMIT, Verdict.RUNTIME_ERROR, Verdict.FAILED)


def load_sqlrun():
    """sandboxes/images/common/sqlrun.py, the code the sql image runs too: the reference's results are made by
    the very code that makes the learner's."""
    spec = importlib.util.spec_from_file_location("lms_sqlrun", SQLRUN_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SQLRUN = load_sqlrun()


def _seconds(spec: ExerciseSpec) -> float:
    return float(spec.options.get("statement_seconds", DEFAULT_SECONDS))


def _row_cap(spec: ExerciseSpec) -> int:
    return int(spec.options.get("row_cap", SQLRUN.ROW_CAP))


def fill_expected(spec: ExerciseSpec, reference: str) -> list[str]:
    """Run the reference statement on each check's database (trusted side) and store what it gives in the
    check's `expect` (and whether its own ORDER BY orders the result); the problems, if it cannot."""
    statements = parse_statements(reference)
    problem, values = text_problem(reference, statements)
    if problem:
        return [f"reference solution: {localized_message(MESSAGES[problem], **values)['en']}"]
    ordered = has_top_level_order_by(statements[0])
    problems = []
    for check in spec.checks:
        script = spec.options.get("databases", {}).get(check.get("database"))
        if not isinstance(script, str):
            continue  # validate() names it
        observation = SQLRUN.run_statement(script, reference, tables=check.get("tables", []),
                                           row_cap=_row_cap(spec), seconds=max(_seconds(spec), 5.0))
        if "error" in observation:
            problems.append(f"check {check.get('id')}: the reference solution fails: {observation['error']}")
            continue
        if check.get("tables"):
            check["expect"] = {"tables": observation["tables"]}
        else:
            check["expect"] = {key: observation[key] for key in ("columns", "rows") if key in observation}
        check["reference_ordered"] = ordered
    return problems


@register
class SqlQueryGrader(Grader):
    kind = "sql-query"
    image = "sql"
    public_test_glob = "checks.yaml"  # the example's check, shown on the exercise page (no public test to run)

    # --- import ---------------------------------------------------------------------------------------------

    def complete(self, spec: ExerciseSpec, folder, solution: dict[str, str]) -> list[str]:
        """The databases from the exercise's data/*.sql (named by their file's stem; `options.databases` may give
        them instead), then each check's expected result from the reference solution."""
        if "databases" not in spec.options:
            scripts = sorted(Path(folder, "data").glob("*.sql"))
            too_big = [p.name for p in scripts if p.stat().st_size > DATABASE_CAP_BYTES]
            if too_big:
                return [f"data/{', '.join(too_big)}: larger than {DATABASE_CAP_BYTES // (1024 * 1024)} MB"]
            spec.options["databases"] = {p.stem: p.read_text(encoding="utf-8") for p in scripts}
        if spec.files and spec.files[0] in solution:
            return fill_expected(spec, solution[spec.files[0]])
        return []

    # --- validate -------------------------------------------------------------------------------------------

    def validate(self, spec: ExerciseSpec) -> list[str]:
        problems = []
        if len(spec.files) != 1 or not spec.files[0].endswith(".sql"):
            problems.append("files must name exactly one .sql file (the learner's statement)")
        options = spec.options
        for key in sorted(set(options) - OPTIONS):
            problems.append(f"unknown option {key!r}")
        databases = options.get("databases")
        if not isinstance(databases, dict) or not databases:
            problems.append("options.databases must map database names to their SQL scripts")
            databases = {}
        tables_of = {}
        for name, script in databases.items():
            tables_of[name], problem = self._database_tables(script)
            if problem:
                problems.append(f"database {name!r}: {problem}")
        for key in ("require", "forbid"):
            unknown = [c for c in options.get(key, []) if c not in CONSTRUCTS]
            if unknown:
                problems.append(f"options.{key}: unknown construct(s) {', '.join(map(str, unknown))}; "
                                f"known: {', '.join(CONSTRUCTS)}")
        unknown = [t for t in options.get("statement", []) if t not in STATEMENT_TYPES]
        if unknown:
            problems.append(f"options.statement: unknown type(s) {', '.join(map(str, unknown))}")
        seconds, cap = options.get("statement_seconds", DEFAULT_SECONDS), options.get("row_cap", SQLRUN.ROW_CAP)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0.1 <= seconds <= MAX_SECONDS:
            problems.append(f"options.statement_seconds must be a number from 0.1 to {MAX_SECONDS:g}")
        if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= MAX_ROW_CAP:
            problems.append(f"options.row_cap must be an integer from 1 to {MAX_ROW_CAP}")
        seen = set()
        for index, check in enumerate(spec.checks):
            where = f"check {check.get('id', index)}"
            if not check.get("id") or check["id"] in seen or check["id"] == RULES_CHECK_ID:
                problems.append(f"{where}: needs an id of its own")
            seen.add(check.get("id"))
            if check.get("database") not in databases:
                problems.append(f"{where}: database must be one of {', '.join(databases) or '(none)'}")
            problems.extend(f"{where}: {p}" for p in rules_problems(check.get("compare")))
            tables = check.get("tables", [])
            if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
                problems.append(f"{where}: tables must be a list of table names")
            elif check.get("database") in tables_of:
                missing = [t for t in tables if t.casefold() not in tables_of[check["database"]]]
                if missing:
                    problems.append(f"{where}: no table {', '.join(missing)} in database {check['database']!r}")
            expect = check.get("expect")
            if not isinstance(expect, dict) or not (("columns" in expect and "rows" in expect) or "tables" in expect):
                problems.append(f"{where}: no expected result (computed from the reference solution)")
        if spec.checks and all(is_hidden(c) for c in spec.checks):
            problems.append("at least one check must be visible (hidden: false): the learner's example")
        if spec.checks and not any(is_hidden(c) for c in spec.checks):
            problems.append("at least one check must be hidden: another database, against hard-coded answers")
        if not spec.checks:
            problems.append("no checks")
        return problems

    @staticmethod
    def _database_tables(script) -> tuple[set, str]:
        """The tables a database script makes (lower case), or why it cannot be used."""
        if not isinstance(script, str) or not script.strip():
            return set(), "its SQL script is empty"
        if len(script.encode("utf-8")) > DATABASE_CAP_BYTES:
            return set(), f"its SQL script is larger than {DATABASE_CAP_BYTES // (1024 * 1024)} MB"
        try:
            connection = SQLRUN.open_database(script)
        except sqlite3.Error as exc:
            return set(), f"its SQL script fails: {exc}"
        try:
            names = connection.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')").fetchall()
        finally:
            connection.close()
        return {name.casefold() for (name,) in names}, ""

    # --- plan -----------------------------------------------------------------------------------------------

    def plan(self, spec: ExerciseSpec, files: dict[str, str], practice: bool = False) -> SandboxPlan:
        """One step per check: the check's database script in its arguments, so a hidden database enters the
        container only with the hidden phase; expected results stay here."""
        statement = spec.files[0]
        seconds = _seconds(spec)
        steps = [{"name": STEP_PREFIX + check["id"], "action": "query", "hidden": is_hidden(check),
                  "timeout": seconds + STEP_MARGIN_SECONDS,
                  "args": {"check": check["id"], "statement": statement,
                           "database": spec.options["databases"][check["database"]],
                           "tables": list(check.get("tables", [])), "row_cap": _row_cap(spec), "seconds": seconds}}
                 for check in spec.checks]
        return SandboxPlan(image=self.image, files={statement: files[statement]}, steps=steps, limits=spec.limits,
                           runtime=spec.runtime)

    # --- staff preview --------------------------------------------------------------------------------------

    def expected_preview(self, spec: ExerciseSpec) -> list[dict]:
        """What the reference solution gave for each check (its rows, or the tables it left), capped as the
        learner's own results are."""
        preview = []
        for check in spec.checks:
            expect = check.get("expect") or {}
            if "tables" in expect:
                shown = _named_tables(expect["tables"], list(expect["tables"]))
            else:
                shown = {"result_tables": [_shown_table(expect)], "tables_more": 0}
            preview.append({"id": check.get("id"), "name": check.get("name", check.get("id")),
                            "hidden": is_hidden(check), "database": check.get("database"),
                            "tables": shown["result_tables"], "tables_more": shown["tables_more"]})
        return preview

    # --- judge ----------------------------------------------------------------------------------------------

    def evaluate(self, spec: ExerciseSpec, plan: SandboxPlan, result: SandboxResult) -> GradeResult:
        text = plan.files.get(spec.files[0], "")
        statements = parse_statements(text) if len(text) <= MAX_SQL_CHARS else []  # parsed once (sqlparse is slow)
        problem, values = text_problem(text, statements)
        checks, limit_hits, verdicts, diagnostics = [], set(), set(), {"sandbox_status": result.status}
        message = ""
        if problem:
            message = localized_message(MESSAGES[problem], **values)
            verdicts.add(Verdict.RUNTIME_ERROR)
        for check in spec.checks:
            feedback = CheckFeedback(id=check["id"], name=check.get("name", check["id"]), passed=False,
                                     hidden=is_hidden(check), weight=float(check.get("weight", 1)))
            if problem:
                feedback.status, feedback.message = "error", message
            else:
                self._judge_check(spec, check, result.step(STEP_PREFIX + check["id"]), feedback, limit_hits,
                                  verdicts, diagnostics)
            if feedback.hidden:
                feedback.message, feedback.details = "", {}
            checks.append(feedback)
        rules = self._rules_feedback(spec, statements[0]) if not problem else None
        if rules is not None:
            if any(c.status in ("error", "timeout", "missing") for c in checks):
                # A statement that did not run everywhere earns nothing for how it is written.
                rules.passed, rules.status, rules.message = False, "skipped", ""
            checks.append(rules)
        points = score([(c.weight, c.passed) for c in checks], spec.points, spec.scoring)
        if rules is not None and not rules.passed:
            points = 0.0  # the right rows without the construct asked for prove nothing of the skill
        outcome = sandbox_outcome(result)
        if outcome:
            verdict, message = outcome
        elif limit_hits:
            verdict = next(v for v in LIMIT_PRECEDENCE if v in limit_hits)
        elif all(c.passed for c in checks):
            verdict = Verdict.PASSED
        else:
            verdict = next((v for v in VERDICT_ORDER if v in verdicts), Verdict.FAILED)
        if not message:
            message = next((c.message for c in checks if not c.hidden and c.status == "error" and c.message), "")
        return GradeResult(verdict=verdict, score=points, max_score=spec.points, checks=checks,
                           message=message if isinstance(message, dict) else inert_text(message, 300),
                           diagnostics=diagnostics)

    def _judge_check(self, spec, check, step, feedback, limit_hits, verdicts, diagnostics):
        records = parse_records(step.records, [check["id"]], {"obs"})
        record, problem = records.get(check["id"])
        limit = step_limit_verdict(step)
        if limit:
            limit_hits.add(limit)
        observation = record.get("obs") if record else None
        if not isinstance(observation, dict):
            feedback.status = "timeout" if limit == Verdict.TIME_LIMIT else "missing"
            feedback.message = localized_message(MESSAGES["missing"])
            diagnostics[check["id"]] = problem or "no observation"
            return
        if "error" in observation:
            if observation["error"] == SQLRUN.TIMEOUT:
                feedback.status = "timeout"
                feedback.message = localized_message(MESSAGES["timeout"], seconds=f"{_seconds(spec):g}")
                verdicts.add(Verdict.TIME_LIMIT)
            else:
                feedback.status = "error"
                feedback.message = localized_message(MESSAGES["sqlite_error"], error=str(observation["error"]))
                verdicts.add(Verdict.RUNTIME_ERROR)
            return
        expect, rules = check["expect"], CompareRules.from_dict(check.get("compare"))
        if "tables" in expect:
            self._judge_tables(expect, observation, rules, feedback)
        elif not isinstance(observation.get("columns"), list) or not isinstance(observation.get("rows"), list):
            feedback.status, feedback.message = "failed", localized_message(MESSAGES["no_rows"])
        else:
            comparison = compare_results(expect, observation, rules, bool(check.get("reference_ordered")))
            feedback.passed = comparison.agrees
            feedback.status = "passed" if comparison.agrees else "failed"
            feedback.message = comparison_message(comparison) if not comparison.agrees else ""
            feedback.details = {"result_table": _shown_table(observation)}

    @staticmethod
    def _judge_tables(expect, observation, rules, feedback):
        tables = observation.get("tables")
        if "columns" in observation or not isinstance(tables, dict):
            feedback.status = "failed"
            feedback.message = localized_message(MESSAGES["rows_instead"], table=", ".join(expect["tables"]))
            return
        table_rules = replace(rules, order="any")  # a table's rows have no order of their own
        for name, wanted in expect["tables"].items():
            got = tables.get(name)
            if not isinstance(got, dict) or "error" in got:
                error = got.get("error", "missing") if isinstance(got, dict) else "missing"
                feedback.status = "failed"
                feedback.message = localized_message(MESSAGES["table_error"], table=name, error=str(error))
                return
            comparison = compare_results(wanted, got, table_rules)
            if not comparison.agrees:
                detail = comparison_message(comparison)
                feedback.status = "failed"
                feedback.message = {language: MESSAGES["table"][language].format(table=name, detail=detail[language])
                                    for language in detail}
                feedback.details = {"result_tables": [_named_table(name, got)]}  # the one that differs
                return
        feedback.passed, feedback.status = True, "passed"
        # Passed, the learner still sees what their statement left, as a query's check shows its rows. judge()
        # blanks it for a hidden check (it would show the hidden database).
        feedback.details = _named_tables(tables, list(expect["tables"]))

    @staticmethod
    def _rules_feedback(spec: ExerciseSpec, statement) -> CheckFeedback | None:
        """The rules on the text (constructs, statement type) as a visible check of their own, if any are set."""
        require, forbid = list(spec.options.get("require", [])), list(spec.options.get("forbid", []))
        allowed = list(spec.options.get("statement", []))
        if not (require or forbid or allowed):
            return None
        messages = []
        kind = statement_type(statement)
        if allowed and kind not in allowed:
            messages.append(localized_message(MESSAGES["statement_type"],
                                              expected=" / ".join(a.upper() for a in allowed), got=kind.upper()))
        for rule, construct in construct_problems(statement, require, forbid):
            messages.append(localized_message(MESSAGES[rule], construct=CONSTRUCT_NAMES[construct]))
        # It earns nothing itself (weight 0); failed, the statement scores nothing (evaluate).
        feedback = CheckFeedback(id=RULES_CHECK_ID, name=dict(RULES_CHECK_NAME), passed=not messages, hidden=False,
                                 status="failed" if messages else "passed", weight=0.0)
        if messages:
            feedback.message = {language: " ".join(m[language] for m in messages) for language in messages[0]}
        return feedback


def _named_table(name: str, observation: dict) -> dict:
    return {"table": inert_text(str(name), 80), **_shown_table(observation)}


def _named_tables(tables: dict, names: list) -> dict:
    """Feedback details showing the tables `names` of `tables` (at most TABLES_SHOWN), each labelled by its name."""
    return {"result_tables": [_named_table(name, tables[name]) for name in names[:TABLES_SHOWN]],
            "tables_more": max(0, len(names) - TABLES_SHOWN)}


def _shown_table(observation: dict) -> dict:
    """A result as it is shown, its columns and first rows: the learner's under a visible check, or the
    reference's in the staff preview."""
    rows = observation.get("rows", [])
    return {"columns": [inert_text(str(c), 80) for c in observation.get("columns", [])],
            "rows": [[inert_text(v, 200) if isinstance(v, str) else v for v in row] for row in rows[:TABLE_ROWS_SHOWN]],
            "more": max(0, len(rows) - TABLE_ROWS_SHOWN) + (1 if observation.get("truncated") else 0)}
