"""The structured-task kind: the learner fills in one file as data (a data model, a process flow, a configuration
table), read safely (graders.structured_parsing) and checked without running anything.

`options.task` says which:
- `data-model`: YAML `objects: {Name: {label, fields: {Field: {type, required, unique, to, values...}}}}`,
  Salesforce-style (lookup and master-detail relationships, picklists). A check names an `object`, optionally a
  `field` and the properties it must have (`type`, `required`, `unique`, `to`, `values` it must include), or a
  `relationship` (lookup / master-detail) `to` another object, whatever the field's name.
- `process-flow`: BPMN 2.0 XML (.bpmn/.xml) or YAML steps (graders.structured_flow). A check is a case: `facts`,
  and the `end` it must reach, the steps it must go `through` and those it must not (`not_through`); with
  `from_reference: true` the end and the tasks passed are the reference solution's, walked at import.
- `config-table`: YAML `{table: [rows]}` or CSV (one table); `options.tables` gives each table's `columns` (type
  text / number / boolean / choice with `values`, `required`), its `key` columns and, for rule tables, `rules:
  {order, match}` (the first row by `order` whose `match` cells equal the case's facts, a blank or * matching
  anything, applies: ServiceNow assignment rules). A check asks for a `row` (cells that find it) with `values`
  (equal, or {min, max} / {one_of}), for no row (`absent`), or the row a `case` of facts gets and its `expect`ed
  cells (or `from_reference: true` with `result: [columns]`).

Every grade starts with a "well-formed file" check that lists what is wrong with the document as a whole (a syntax
error with its line, an unknown field type, a gateway flow without a condition); when the file cannot be read,
every other check fails as skipped. Messages name what is missing, in French, Arabic and English
(graders.structured_messages); hidden checks report their name and pass/fail only.
"""
from __future__ import annotations

from pathlib import PurePosixPath

from graders import register
from graders.base import CheckFeedback, ExerciseSpec, GradeResult, Learner, TrustedGrader, Verdict
from graders.judging import score
from graders.structured_flow import (Process, facts_text, normal_name, process_from_bpmn,
                                     process_from_yaml, same_step, structure_problems, walk)
from graders.structured_messages import DOCUMENT_CHECK_NAME, joined, text
from graders.structured_parsing import MAX_BYTES, DocumentError, load_csv, load_xml, load_yaml

DOCUMENT_CHECK_ID = "document"
TASKS = ("data-model", "process-flow", "config-table")
EXTENSIONS = {"data-model": (".yaml", ".yml"), "process-flow": (".bpmn", ".xml", ".yaml", ".yml"),
              "config-table": (".yaml", ".yml", ".csv")}
OPTIONS = {"task", "tables", "max_bytes"}
MAX_BYTES_CAP = 256 * 1024
FIELD_TYPES = ("text", "textarea", "number", "currency", "percent", "date", "datetime", "checkbox", "email", "phone",
               "url", "picklist", "multipicklist", "lookup", "master-detail", "formula", "auto-number")
RELATIONSHIP_TYPES = ("lookup", "master-detail")
FIELD_PROPERTIES = {"type", "label", "required", "unique", "to", "values", "length", "precision", "scale", "default",
                    "formula", "description", "help"}
OBJECT_PROPERTIES = {"label", "plural_label", "description", "fields"}
COLUMN_TYPES = ("text", "number", "boolean", "choice")
TRUE_WORDS, FALSE_WORDS = {"true", "yes", "oui", "vrai", "1"}, {"false", "no", "non", "faux", "0"}


def _type_key(value) -> str:
    return str(value or "").casefold().replace("_", "").replace("-", "").replace(" ", "")


_FIELD_TYPE_BY_KEY = {_type_key(t): t for t in FIELD_TYPES}


# --- data models --------------------------------------------------------------------------------------------------

def read_data_model(document) -> tuple[dict, list]:
    """{normal object name: {"name", "fields": {normal field name: {"name", "type", ...}}}} and its problems."""
    if not isinstance(document, dict) or "objects" not in document:
        return {}, [("not_mapping", {"key": "objects"})]
    objects, problems = {}, []
    if not isinstance(document["objects"], dict):
        return {}, [("dm_objects_shape", {})]
    for object_name, description in document["objects"].items():
        if not isinstance(description, dict) or not isinstance(description.get("fields", {}), dict):
            problems.append(("dm_object_shape", {"object": object_name}))
            continue
        problems.extend(("dm_object_property", {"object": object_name, "property": str(p)})
                        for p in description if p not in OBJECT_PROPERTIES)
        fields = {}
        for field_name, spec in (description.get("fields") or {}).items():
            where = {"object": object_name, "field": field_name}
            if isinstance(spec, str):
                spec = {"type": spec}
            if not isinstance(spec, dict) or "type" not in spec:
                problems.append(("dm_field_shape", where))
                continue
            field_type = _FIELD_TYPE_BY_KEY.get(_type_key(spec["type"]))
            if field_type is None:
                problems.append(("dm_unknown_type", {**where, "type": str(spec["type"])[:40],
                                                     "types": ", ".join(FIELD_TYPES)}))
            problems.extend(("dm_unknown_property", {**where, "property": str(p)})
                            for p in spec if p not in FIELD_PROPERTIES)
            problems.extend(("dm_bad_flag", {**where, "property": flag}) for flag in ("required", "unique")
                            if flag in spec and not isinstance(spec[flag], bool))
            values = spec.get("values")
            if field_type in ("picklist", "multipicklist"):
                if not isinstance(values, list) or not values:
                    problems.append(("dm_picklist_values", where))
                    values = []
                seen = set()
                for value in values:
                    if normal_name(value) in seen:
                        problems.append(("dm_picklist_duplicate", {**where, "value": str(value)}))
                    seen.add(normal_name(value))
            fields[normal_name(field_name)] = {
                "name": str(field_name), "type": field_type, "to": str(spec.get("to") or ""),
                # A master-detail field is required by nature (Salesforce makes it so).
                "required": spec.get("required") is True or field_type == "master-detail",
                "unique": spec.get("unique") is True,
                "values": [normal_name(v) for v in values] if isinstance(values, list) else []}
        objects[normal_name(object_name)] = {"name": str(object_name), "fields": fields}
    for model_object in objects.values():
        masters = 0
        for field in model_object["fields"].values():
            if field["type"] not in RELATIONSHIP_TYPES:
                continue
            masters += field["type"] == "master-detail"
            where = {"object": model_object["name"], "field": field["name"], "type": field["type"]}
            if not field["to"]:
                problems.append(("dm_target_missing", where))
            elif normal_name(field["to"]) not in objects:
                problems.append(("dm_target_unknown", {**where, "target": field["to"]}))
        if masters > 2:
            problems.append(("dm_too_many_masters", {"object": model_object["name"], "count": masters}))
    return objects, problems


def judge_data_model(check: dict, objects: dict) -> dict | None:
    """The message of a failed check, None when it passes."""
    model_object = objects.get(normal_name(check["object"]))
    if model_object is None:
        return text("no_object", object=check["object"])
    if "relationship" in check:
        for field in model_object["fields"].values():
            if field["type"] == check["relationship"] and normal_name(field["to"]) == normal_name(check["to"]):
                return None
        return text("no_relationship", object=model_object["name"], type=check["relationship"], target=check["to"])
    if "field" not in check:
        return None
    field = model_object["fields"].get(normal_name(check["field"]))
    if field is None:
        return text("no_field", object=model_object["name"], field=check["field"])
    where = {"object": model_object["name"], "field": field["name"]}
    if "type" in check and field["type"] != check["type"]:
        return text("field_property", **where, property="type", got=str(field["type"] or "?"),
                    expected=check["type"])
    if "to" in check and normal_name(field["to"]) != normal_name(check["to"]):
        return text("field_property", **where, property="to", got=field["to"] or "—", expected=check["to"])
    for flag in ("required", "unique"):
        if flag in check and field[flag] != check[flag]:
            return text("field_property", **where, property=flag, got=str(field[flag]).lower(),
                        expected=str(check[flag]).lower())
    for value in check.get("values", []):
        if normal_name(value) not in field["values"]:
            return text("picklist_missing", **where, value=str(value))
    return None


# --- configuration tables -----------------------------------------------------------------------------------------

def _cell(value, column: dict):
    """A cell as its column's type, or (problem key, shown value) when it is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    kind = column.get("type", "text")
    if kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value, None
        try:
            number = float(str(value).replace(" ", "").replace("\u00a0", "").replace(",", "."))
        except ValueError:
            return None, "cfg_not_number"
        return (int(number) if number.is_integer() else number), None
    if kind == "boolean":
        if isinstance(value, bool):
            return value, None
        word = str(value).strip().casefold()
        if word in TRUE_WORDS | FALSE_WORDS:
            return word in TRUE_WORDS, None
        return None, "cfg_not_boolean"
    shown = " ".join(str(value).split())
    if kind == "choice" and normal_name(shown) not in {normal_name(v) for v in column.get("values", [])}:
        return None, "cfg_not_choice"
    return shown, None


def read_tables(document, tables_spec: dict, csv_rows: list | None) -> tuple[dict, list]:
    """{table: [{"_row": number, column: value}]} and its problems."""
    if csv_rows is not None:
        raw = {next(iter(tables_spec)): csv_rows}
    elif isinstance(document, dict):
        raw = document
    else:
        return {}, [("not_mapping", {"key": next(iter(tables_spec))})]
    tables, problems = {}, []
    for name in raw:
        if name not in tables_spec:
            problems.append(("cfg_unknown_table", {"table": str(name), "tables": ", ".join(tables_spec)}))
    for name, table_spec in tables_spec.items():
        columns = table_spec["columns"]
        rows = raw.get(name)
        if rows is None:
            problems.append(("cfg_missing_table", {"table": name}))
            continue
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            problems.append(("cfg_shape", {"table": name}))
            continue
        table, keys = [], {}
        for index, row in enumerate(rows, start=1):
            number = row.get("_line", index) if csv_rows is not None else index
            parsed = {"_row": number}
            for column in row:
                if column != "_line" and column not in columns:
                    problems.append(("cfg_unknown_column", {"table": name, "row": number, "column": str(column),
                                                            "columns": ", ".join(columns)}))
            for column, column_spec in columns.items():
                value, problem = _cell(row.get(column), column_spec)
                where = {"table": name, "row": number, "column": column}
                if problem:
                    problems.append((problem, {**where, "value": str(row.get(column))[:60],
                                               "values": ", ".join(map(str, column_spec.get("values", [])))}))
                elif value is None and column_spec.get("required"):
                    problems.append(("cfg_missing_value", where))
                parsed[column] = value
            key = tuple(_comparable(parsed.get(c)) for c in table_spec.get("key", []))
            if key and key in keys:
                problems.append(("cfg_duplicate", {"table": name, "first": keys[key], "row": number,
                                                   "where": _where(parsed, table_spec["key"])}))
            keys.setdefault(key, number)
            table.append(parsed)
        tables[name] = table
    return tables, problems


def _comparable(value):
    return normal_name(value) if isinstance(value, str) else value


def _same(expected, got) -> bool:
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        return abs(expected - got) < 1e-9
    return got is not None and _comparable(str(expected)) == _comparable(str(got))


def _shown(value) -> str:
    return "—" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _where(cells: dict, columns) -> str:
    return ", ".join(f"{column} = {_shown(cells.get(column))}" for column in columns)


def _meets(rule, got) -> bool:
    if isinstance(rule, dict):
        if "one_of" in rule:
            return any(_same(option, got) for option in rule["one_of"])
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return False
        return rule.get("min", got) <= got <= rule.get("max", got)
    return _same(rule, got)


def _rule_shown(rule) -> str:
    if isinstance(rule, dict):
        if "one_of" in rule:
            return " | ".join(map(_shown, rule["one_of"]))
        bounds = [f"≥ {rule['min']}"] if "min" in rule else []
        return " … ".join(bounds + ([f"≤ {rule['max']}"] if "max" in rule else []))
    return _shown(rule)


def applying_rule(table: list, rules: dict, facts: dict) -> dict | None:
    """The first row by `order` whose match cells equal the facts (blank or * matches anything)."""
    def matches(row):
        return all(row.get(c) in (None, "*") or _same(facts.get(c), row.get(c)) for c in rules["match"])
    ordered = sorted(table, key=lambda r: (r.get(rules["order"]) is None,
                                           r.get(rules["order"]) if isinstance(r.get(rules["order"]), (int, float))
                                           else 0, r["_row"]))
    return next((row for row in ordered if matches(row)), None)


def judge_config(check: dict, tables: dict, tables_spec: dict) -> dict | None:
    table_name = check["table"]
    table = tables.get(table_name, [])
    if "case" in check:
        row = applying_rule(table, tables_spec[table_name]["rules"], check["case"])
        facts = facts_text(check["case"], [])
        if row is None:
            return text("rule_no_match", case=check["name"], facts=facts, table=table_name)
        for column, rule in check.get("expect", {}).items():
            if not _meets(rule, row.get(column)):
                return text("rule_result", case=check["name"], facts=facts, row=row["_row"], column=column,
                            got=_shown(row.get(column)), expected=_rule_shown(rule))
        return None
    selector = check.get("row") or check.get("absent")
    found = [r for r in table if all(_same(v, r.get(c)) for c, v in selector.items())]
    where = _where(selector, selector)
    if "absent" in check:
        return text("row_present", table=table_name, where=where) if found else None
    if not found:
        return text("row_missing", table=table_name, where=where)
    for column, rule in check.get("values", {}).items():
        if not _meets(rule, found[0].get(column)):
            return text("row_value", table=table_name, where=where, column=column, got=_shown(found[0].get(column)),
                        expected=_rule_shown(rule))
    return None


# --- process flows ------------------------------------------------------------------------------------------------

def judge_case(check: dict, process: Process) -> dict | None:
    result = walk(process, check.get("facts") or {})
    case = check["name"]
    if result.problem:
        key, values = result.problem
        return text(key, case=case, path=result.path_text(), **values)
    path = {"path": result.path_text()}
    if "end" in check and not same_step(result.end, check["end"]):
        return text("case_wrong_end", case=case, got=result.end.label, expected=check["end"], **path)
    for step in check.get("through", []):
        if not any(same_step(node, step) for node in result.path):
            return text("case_missing_step", case=case, step=step, **path)
    for step in check.get("not_through", []):
        if any(same_step(node, step) for node in result.path):
            return text("case_forbidden_step", case=case, step=step, **path)
    return None


# --- the kind -----------------------------------------------------------------------------------------------------

@register
class StructuredTaskGrader(TrustedGrader):
    kind = "structured-task"
    grades_inline = True
    image = ""

    def _read(self, spec: ExerciseSpec, files: dict[str, str]):
        """(the document as the task's model, its problems): the model is None when the file cannot be read."""
        task, name = spec.options.get("task"), spec.files[0]
        suffix = PurePosixPath(name).suffix.lower()
        content = files.get(name) or ""
        max_bytes = int(spec.options.get("max_bytes", MAX_BYTES))
        try:
            if suffix in (".bpmn", ".xml"):
                document, csv_rows = load_xml(content, max_bytes), None
            elif suffix == ".csv":
                document, csv_rows = None, load_csv(content, max_bytes)
            else:
                document, csv_rows = load_yaml(content, max_bytes), None
        except DocumentError as problem:
            return None, [(problem.key, problem.values)]
        if task == "data-model":
            return read_data_model(document)
        if task == "config-table":
            return read_tables(document, spec.options["tables"], csv_rows)
        process = process_from_bpmn(document) if suffix in (".bpmn", ".xml") else process_from_yaml(document)
        return process, structure_problems(process)

    def grade(self, spec: ExerciseSpec, files: dict[str, str], learner: Learner) -> GradeResult:
        model, problems = self._read(spec, files)
        document = CheckFeedback(id=DOCUMENT_CHECK_ID, name=DOCUMENT_CHECK_NAME, passed=not problems, hidden=False,
                                 status="passed" if not problems else "failed")
        if problems:
            document.message = joined([text(key, **values) for key, values in problems])
        feedback = [document]
        task = spec.options["task"]
        for check in spec.checks:
            item = CheckFeedback(id=check["id"], name=check["name"], passed=False, hidden=bool(check.get("hidden")),
                                 weight=float(check.get("weight", 1)))
            if model is None:
                item.status, item.message = "skipped", text("skipped")
            else:
                if task == "data-model":
                    message = judge_data_model(check, model)
                elif task == "config-table":
                    message = judge_config(check, model, spec.options["tables"])
                else:
                    message = judge_case(check, model)
                item.passed, item.status = message is None, "passed" if message is None else "failed"
                item.message = message or ""
            feedback.append(item)
        points = score([(c.weight, c.passed) for c in feedback], spec.points, spec.scoring)
        verdict = Verdict.PASSED if all(c.passed for c in feedback) else Verdict.FAILED
        return GradeResult(verdict=verdict, score=points, max_score=spec.points, checks=feedback)

    # --- import -------------------------------------------------------------------------------------------------

    def complete(self, spec: ExerciseSpec, folder, solution: dict[str, str]) -> list[str]:
        """Cases marked `from_reference: true` get the reference solution's end (and tasks passed, for a flow; the
        `result` cells of the rule applied, for a table), worked out here on the trusted side."""
        wanted = [c for c in spec.checks if isinstance(c, dict) and c.get("from_reference")]
        if not wanted or self._options_problems(spec) or spec.files[0] not in solution:
            return []
        model, problems = self._read(spec, solution)
        if problems:
            return [f"reference solution: {text(key, **values)['en']}" for key, values in problems]
        out = []
        for check in wanted:
            where = f"check {check.get('id')}"
            if spec.options["task"] == "process-flow":
                result = walk(model, check.get("facts") or {})
                if result.problem:
                    out.append(f"{where}: the reference solution: "
                               f"{text(result.problem[0], case=check.get('id', ''), path=result.path_text(), **result.problem[1])['en']}")
                    continue
                check["end"] = result.end.label
                check["through"] = [n.label for n in result.path if n.kind == "task"]
            elif spec.options["task"] == "config-table" and "case" in check:
                rules = (spec.options["tables"].get(check.get("table")) or {}).get("rules")
                if not rules or not isinstance(check.get("result"), list):
                    out.append(f"{where}: from_reference needs a rule table and `result: [columns]`")
                    continue
                row = applying_rule(model.get(check["table"], []), rules, check["case"] or {})
                if row is None:
                    out.append(f"{where}: no rule of the reference solution applies to this case")
                    continue
                check["expect"] = {column: row.get(column) for column in check["result"]}
            else:
                out.append(f"{where}: from_reference is for process-flow cases and rule-table cases")
        return out

    def validate(self, spec: ExerciseSpec) -> list[str]:
        problems = self._options_problems(spec)
        if problems:
            return problems
        task, seen = spec.options["task"], set()
        for index, check in enumerate(spec.checks):
            where = f"check {check.get('id', index)}"
            if not isinstance(check.get("id"), str) or check["id"] in seen or check["id"] == DOCUMENT_CHECK_ID:
                problems.append(f"{where}: needs an id of its own (not {DOCUMENT_CHECK_ID!r})")
            seen.add(check.get("id"))
            if not isinstance(check.get("name"), (str, dict)) or not check.get("name"):
                problems.append(f"{where}: needs a name (fr/ar/en)")
            problems.extend(f"{where}: {p}" for p in getattr(self, f"_{task.replace('-', '_')}_check")(spec, check))
        return problems

    def _options_problems(self, spec: ExerciseSpec) -> list[str]:
        options, problems = spec.options, []
        problems.extend(f"unknown option {key!r}" for key in sorted(set(options) - OPTIONS))
        task = options.get("task")
        if task not in TASKS:
            return problems + [f"options.task must be one of {', '.join(TASKS)}"]
        if len(spec.files) != 1 or PurePosixPath(spec.files[0]).suffix.lower() not in EXTENSIONS[task]:
            problems.append(f"files must name exactly one file ending in {' or '.join(EXTENSIONS[task])}")
        max_bytes = options.get("max_bytes", MAX_BYTES)
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or not 1024 <= max_bytes <= MAX_BYTES_CAP:
            problems.append(f"options.max_bytes must be an integer from 1024 to {MAX_BYTES_CAP}")
        if task == "config-table":
            problems.extend(self._tables_problems(options.get("tables"), spec.files))
        elif "tables" in options:
            problems.append("options.tables is for config-table tasks")
        return problems

    def _tables_problems(self, tables, files) -> list[str]:
        if not isinstance(tables, dict) or not tables:
            return ["options.tables must map table names to {columns, key, rules}"]
        problems = []
        if files and files[0].endswith(".csv") and len(tables) != 1:
            problems.append("a CSV file holds one table: options.tables must name exactly one")
        for name, table in tables.items():
            columns = table.get("columns") if isinstance(table, dict) else None
            if not isinstance(columns, dict) or not columns:
                problems.append(f"table {name}: columns must map column names to {{type, values, required}}")
                continue
            for column, column_spec in columns.items():
                if not isinstance(column_spec, dict) or column_spec.get("type", "text") not in COLUMN_TYPES:
                    problems.append(f"table {name}, column {column}: type must be one of {', '.join(COLUMN_TYPES)}")
                elif column_spec.get("type") == "choice" and not column_spec.get("values"):
                    problems.append(f"table {name}, column {column}: a choice column needs values")
            unknown = [c for c in table.get("key", []) if c not in columns]
            rules = table.get("rules")
            if rules is not None:
                if not isinstance(rules, dict) or rules.get("order") not in columns or \
                        not isinstance(rules.get("match"), list) or not set(rules["match"]) <= set(columns):
                    problems.append(f"table {name}: rules must give order (a column) and match (a list of columns)")
            if unknown:
                problems.append(f"table {name}: key names unknown columns {', '.join(map(str, unknown))}")
        return problems

    def _data_model_check(self, spec, check) -> list[str]:
        problems = [] if isinstance(check.get("object"), str) else ["needs an object"]
        if "type" in check and check["type"] not in FIELD_TYPES:
            problems.append(f"type must be one of {', '.join(FIELD_TYPES)}")
        if "relationship" in check and (check["relationship"] not in RELATIONSHIP_TYPES or not check.get("to")):
            problems.append(f"relationship must be one of {', '.join(RELATIONSHIP_TYPES)}, with `to`")
        if set(check) & {"type", "required", "unique", "values"} and "field" not in check:
            problems.append("field properties need a field")
        if not isinstance(check.get("values", []), list):
            problems.append("values must be a list")
        return problems

    def _process_flow_check(self, spec, check) -> list[str]:
        problems = []
        if not isinstance(check.get("facts", {}), dict):
            problems.append("facts must map names to values")
        if not any(key in check for key in ("end", "through", "not_through")):
            problems.append("a case needs an end, through or not_through (or from_reference: true)")
        for key in ("through", "not_through"):
            if not isinstance(check.get(key, []), list):
                problems.append(f"{key} must be a list of step names")
        return problems

    def _config_table_check(self, spec, check) -> list[str]:
        tables = spec.options["tables"]
        table = tables.get(check.get("table"))
        if table is None:
            return [f"table must be one of {', '.join(tables)}"]
        forms = [key for key in ("row", "absent", "case") if key in check]
        if len(forms) != 1 or not isinstance(check[forms[0]], dict) or not check[forms[0]]:
            return ["needs one of row, absent or case (a mapping of columns to values)"]
        if forms[0] == "case" and not table.get("rules"):
            return [f"table {check['table']} has no rules: a case needs them"]
        if forms[0] == "case" and not isinstance(check.get("expect"), dict):
            return ["a case needs expect (the cells the rule applied must give) or from_reference: true"]
        named = set(check[forms[0]]) | set(check.get("values", {})) | set(check.get("expect", {}))
        unknown = sorted(map(str, named - set(table["columns"])))
        return [f"unknown column(s) {', '.join(unknown)}"] if unknown else []

