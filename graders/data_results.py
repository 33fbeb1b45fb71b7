"""A learner's variables and figures against the reference's, by the rules a check declares (the data-analysis
kind). Both sides are observations as the data image reports them (sandboxes/images/data/runtime/observe.py):
plain JSON, read here on the trusted side only. Tables (data frames, series, arrays, lists) are compared by
graders.sql_results (order, column names and order, tolerance, missing and extra rows, the first differing cell);
scalars and figures here. Pure functions.
"""
from __future__ import annotations

import math

from graders.judging import inert_text, localized_message
from graders.sql_results import CompareRules, compare_results, comparison_message, rules_problems

INDEX_RULES = ("auto", "compare", "ignore")  # auto: compared unless the reference's is the default 0..n-1
LABEL_RULES = ("present", "exact", "ignored")
DEFAULT_RELATIVE = 1e-6  # what two right computations in floating point may differ by
TABLE_ROWS_SHOWN = 20
TYPE_NAMES = {
    "scalar": {"fr": "une valeur", "ar": "قيمة", "en": "a value"},
    "series": {"fr": "une série (Series)", "ar": "سلسلة (Series)", "en": "a series"},
    "frame": {"fr": "un tableau (DataFrame)", "ar": "جدول (DataFrame)", "en": "a data frame"},
    "array": {"fr": "un tableau numpy", "ar": "مصفوفة numpy", "en": "a numpy array"},
    "value": {"fr": "une liste ou un dictionnaire", "ar": "قائمة أو قاموس", "en": "a list or a dict"},
    "other": {"fr": "un objet d'un autre type", "ar": "كائن من نوع آخر", "en": "an object of another type"},
}
CHART_NAMES = {
    "bar": {"fr": "barres", "ar": "أعمدة", "en": "bar"},
    "barh": {"fr": "barres horizontales", "ar": "أعمدة أفقية", "en": "horizontal bar"},
    "line": {"fr": "courbe", "ar": "منحنى", "en": "line"},
    "scatter": {"fr": "nuage de points", "ar": "سحابة نقاط", "en": "scatter"},
    "pie": {"fr": "camembert", "ar": "دائرة نسبية", "en": "pie"},
}


def chart_name(kind, language: str) -> str:
    return CHART_NAMES.get(kind, {}).get(language) or inert_text(str(kind), 40)


MESSAGES = {
    "undefined": {"fr": "La variable {name} n'existe pas à la fin du programme.",
                  "ar": "المتغير {name} غير موجود في نهاية البرنامج.",
                  "en": "The variable {name} does not exist when the program ends."},
    "type": {"fr": "{name} devait être {expected}, c'est {got}.", "ar": "كان على {name} أن يكون {expected}، وهو {got}.",
             "en": "{name} was to be {expected}; it is {got}."},
    "scalar": {"fr": "{name} : attendu {expected}, obtenu {got}.", "ar": "{name}: المنتظر {expected}، المحصّل {got}.",
               "en": "{name}: expected {expected}, got {got}."},
    "columns": {"fr": "{name} : colonnes attendues {expected} ; les vôtres : {got}.",
                "ar": "{name}: الأعمدة المنتظرة {expected}؛ أعمدتك: {got}.",
                "en": "{name}: expected columns {expected}; yours: {got}."},
    "table": {"fr": "{name} : {detail}", "ar": "{name}: {detail}", "en": "{name}: {detail}"},
    "no_figure": {"fr": "Aucune figure n° {number} : le programme en a ouvert {count}.",
                  "ar": "لا يوجد شكل رقم {number}: فتح البرنامج {count} شكلًا.",
                  "en": "No figure number {number}: the program opened {count}."},
    "axes": {"fr": "La figure devait avoir {expected} graphique(s) (axes), elle en a {got}.",
             "ar": "كان على الشكل أن يضم {expected} رسمًا (محاور)، وهو يضم {got}.",
             "en": "The figure was to have {expected} plot(s) (axes); it has {got}."},
    "chart_type": {"fr": "Type de graphique attendu : {expected} ; le vôtre : {got}.",
                   "ar": "نوع الرسم المنتظر: {expected}؛ رسمك: {got}.",
                   "en": "Chart type expected: {expected}; yours: {got}."},
    "chart_count": {"fr": "Le graphique {chart} devait avoir {expected} élément(s) (barres, points), il en a {got}.",
                    "ar": "كان على الرسم {chart} أن يضم {expected} عنصرًا (أعمدة، نقاط)، وهو يضم {got}.",
                    "en": "The {chart} chart was to have {expected} item(s) (bars, points); it has {got}."},
    "chart_value": {"fr": "Graphique {chart}, élément {item}{label} : valeur attendue {expected}, obtenue {got}.",
                    "ar": "الرسم {chart}، العنصر {item}{label}: القيمة المنتظرة {expected}، المحصّلة {got}.",
                    "en": "{chart} chart, item {item}{label}: value expected {expected}, got {got}."},
    "label_missing": {"fr": "La figure n'a pas de {what}.", "ar": "لا يحتوي الشكل على {what}.",
                      "en": "The figure has no {what}."},
    "label_text": {"fr": "{what} attendu : « {expected} » ; le vôtre : « {got} ».",
                   "ar": "{what} المنتظر: «{expected}»؛ الخاص بك: «{got}».",
                   "en": "{what} expected: “{expected}”; yours: “{got}”."},
    "figure_error": {"fr": "La figure n'a pas pu être dessinée ({error}).", "ar": "تعذّر رسم الشكل ({error}).",
                     "en": "The figure could not be drawn ({error})."},
}
LABEL_NAMES = {"title": {"fr": "titre", "ar": "عنوان", "en": "title"},
               "xlabel": {"fr": "nom d'axe horizontal (xlabel)", "ar": "اسم للمحور الأفقي (xlabel)",
                          "en": "horizontal axis label (xlabel)"},
               "ylabel": {"fr": "nom d'axe vertical (ylabel)", "ar": "اسم للمحور العمودي (ylabel)",
                          "en": "vertical axis label (ylabel)"}}


def check_rules_problems(check: dict) -> list[str]:
    """What is wrong with a check's `compare:` mapping (variables: the table rules, `tolerance` as one number for
    every column or per column, `index`; figures: `tolerance`, `labels`)."""
    data = check.get("compare")
    if data is None:
        return []
    if not isinstance(data, dict):
        return ["compare must be a mapping"]
    problems = []
    tolerance = data.get("tolerance")
    if tolerance is not None and not isinstance(tolerance, dict):
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance < 0:
            problems.append("compare.tolerance must be a number >= 0 or map columns to numbers")
    if "figure" in check:
        for key in sorted(set(data) - {"tolerance", "labels"}):
            problems.append(f"compare: unknown rule {key!r} for a figure")
        if data.get("labels", "present") not in LABEL_RULES:
            problems.append(f"compare.labels must be one of {', '.join(LABEL_RULES)}")
        return problems
    if data.get("index", "auto") not in INDEX_RULES:
        problems.append(f"compare.index must be one of {', '.join(INDEX_RULES)}")
    table = {k: v for k, v in data.items() if k not in ("index", "tolerance")}
    if isinstance(tolerance, dict):
        table["tolerance"] = tolerance
    problems.extend(rules_problems(table))
    if data.get("order") == "reference":
        problems.append("compare.order must be strict or any")
    return problems


def _rules(data: dict | None, columns: list) -> CompareRules:
    data = dict(data or {})
    tolerance = data.pop("tolerance", None)
    data.pop("index", None)
    data.pop("labels", None)
    data.setdefault("order", "any")
    rules = CompareRules.from_dict(data)
    if isinstance(tolerance, dict):
        return CompareRules.from_dict({**data, "tolerance": tolerance})
    if tolerance is not None:
        return CompareRules.from_dict({**data, "tolerance": {str(c): float(tolerance) for c in columns}})
    return rules


def _cell(value):
    """Cells as sql_results compares them: booleans as their text (SQLite has none)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return str(value)
    return value


def _default_index(observation: dict) -> bool:
    index = observation.get("index", [])
    return observation.get("index_names") in ([None], None) and index == list(range(len(index)))


def as_table(observation: dict, with_index: bool) -> dict | None:
    """A frame, series, array or list as {"columns", "rows"}; None for what has no table form."""
    kind = observation.get("type")
    names = [n if n is not None else "index" for n in observation.get("index_names") or [None]]
    if kind == "frame":
        columns = [str(c) for c in observation.get("columns", [])]
        rows = [[_cell(v) for v in row] for row in observation.get("rows", [])]
        if with_index:
            index = observation.get("index", [])
            labels = [i if isinstance(i, list) else [i] for i in index]
            columns = [str(n) for n in names] + columns
            rows = [[_cell(v) for v in label] + row for label, row in zip(labels, rows)]
        return {"columns": columns, "rows": rows}
    if kind == "series":
        value_name = str(observation.get("name")) if observation.get("name") is not None else "valeur"
        values = [[_cell(v)] for v in observation.get("values", [])]
        if not with_index:
            return {"columns": [value_name], "rows": values}
        labels = [i if isinstance(i, list) else [i] for i in observation.get("index", [])]
        return {"columns": [str(n) for n in names] + [value_name],
                "rows": [[_cell(v) for v in label] + value for label, value in zip(labels, values)]}
    if kind in ("array", "value"):
        values = observation.get("values") if kind == "array" else observation.get("value")
        if isinstance(values, dict):
            return {"columns": ["cle", "valeur"], "rows": [[k, _cell(v)] for k, v in values.items()]}
        if isinstance(values, list):
            rows = [[_cell(c) for c in v] if isinstance(v, list) else [_cell(v)] for v in values]
            width = max((len(r) for r in rows), default=1)
            return {"columns": [f"c{i}" for i in range(width)], "rows": rows}
    return None


def show(value) -> str:
    if value is None:
        return "NaN/None"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return "'" + inert_text(value, 80) + "'"
    return inert_text(str(value), 80)


def numbers_close(expected, got, tolerance: float | None) -> bool:
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        if tolerance is not None:
            return abs(expected - got) <= tolerance
        return math.isclose(expected, got, rel_tol=DEFAULT_RELATIVE, abs_tol=1e-9)
    return expected == got


def compare_variable(name: str, expected: dict, got: dict, rules: dict | None) -> tuple[bool, dict, dict]:
    """(agrees, message, shown table) for one variable's observation against the reference's."""
    rules = dict(rules or {})
    if got.get("undefined"):
        return False, localized_message(MESSAGES["undefined"], name=name), {}
    kind, got_kind = expected.get("type"), got.get("type")
    numeric = {"array", "value"}
    if got_kind != kind and not (kind in numeric and got_kind in numeric | {"series"}):
        return False, {lang: MESSAGES["type"][lang].format(name=name, expected=TYPE_NAMES[kind][lang],
                                                           got=TYPE_NAMES.get(got_kind, TYPE_NAMES["other"])[lang])
                       for lang in MESSAGES["type"]}, {}
    if kind == "scalar":
        tolerance = rules.get("tolerance")
        ok = numbers_close(expected.get("value"), got.get("value"),
                           float(tolerance) if isinstance(tolerance, (int, float)) else None)
        message = {} if ok else localized_message(MESSAGES["scalar"], name=name, expected=show(expected.get("value")),
                                                  got=show(got.get("value")))
        return ok, message, {}
    index_rule = rules.get("index", "auto")
    with_index = index_rule == "compare" or (index_rule == "auto" and kind in ("frame", "series")
                                             and not _default_index(expected))
    want, have = as_table(expected, with_index), as_table(got, with_index)
    if want is None or have is None:
        return False, localized_message(MESSAGES["scalar"], name=name, expected="?", got="?"), {}
    table_rules = _rules(rules, want["columns"])
    if kind == "series" or got_kind != kind:
        table_rules = CompareRules(**{**table_rules.__dict__, "names": "ignored"})  # a series' name is incidental
    comparison = compare_results(want, have, table_rules)
    shown = shown_table(have, got)
    if not comparison.agrees:
        if comparison.problem == "columns":
            message = localized_message(MESSAGES["columns"], name=name, expected=", ".join(want["columns"]),
                                        got=", ".join(map(str, have["columns"])) or "-")
        else:
            detail = comparison_message(comparison)
            message = {lang: MESSAGES["table"][lang].format(name=name, detail=detail[lang]) for lang in detail}
        return False, message, shown
    if expected.get("shape") and got.get("shape") and expected["shape"] != got["shape"]:
        message = localized_message(MESSAGES["scalar"], name=f"{name}.shape", expected=str(expected["shape"]),
                                    got=str(got["shape"]))
        return False, message, shown
    return True, {}, shown


def shown_table(table: dict, observation: dict) -> dict:
    """The learner's table as shown under a visible check: its columns and first rows."""
    rows = table.get("rows", [])
    total = observation.get("length") or (observation.get("shape") or [len(rows)])[0]
    return {"columns": [inert_text(str(c), 80) for c in table.get("columns", [])],
            "rows": [[inert_text(v, 200) if isinstance(v, str) else v for v in row] for row in rows[:TABLE_ROWS_SHOWN]],
            "more": max(0, int(total) - min(len(rows), TABLE_ROWS_SHOWN)) if isinstance(total, int) else 0}


# --- figures -------------------------------------------------------------------------------------------------

def _chart_message(key: str, **values) -> dict:
    kind = values.pop("chart", "")
    return {lang: MESSAGES[key][lang].format(chart=chart_name(kind, lang), **{
        k: (inert_text(v, 120) if isinstance(v, str) else v) for k, v in values.items()}) for lang in MESSAGES[key]}


def _values_of(chart: dict) -> list:
    if chart.get("type") in ("line", "scatter"):
        return [point[1] if isinstance(point, list) and len(point) == 2 else None for point in chart.get("points", [])]
    return list(chart.get("values", []))


def compare_charts(want: dict, have: dict, tolerance: float | None) -> dict:
    """{} when one chart of the learner's draws what the reference's does, else the message."""
    kind = name = want.get("type")
    if want.get("count") != have.get("count"):
        return _chart_message("chart_count", chart=name, expected=want.get("count"), got=have.get("count"))
    expected, got = _values_of(want), _values_of(have)
    labels_want, labels_have = want.get("labels") or [], have.get("labels") or []
    if kind in ("bar", "barh", "pie") and labels_want and all(labels_want) and sorted(
            map(str, labels_want)) == sorted(map(str, labels_have)):
        by_label = dict(zip(map(str, labels_have), got))  # the same categories, maybe in another order
        got = [by_label.get(str(label)) for label in labels_want]
    for item, (e, g) in enumerate(zip(expected, got), start=1):
        if not numbers_close(e, g, tolerance):
            label = labels_want[item - 1] if item - 1 < len(labels_want) and labels_want[item - 1] else ""
            return _chart_message("chart_value", chart=name, item=item, label=f" ({label})" if label else "",
                                  expected=show(e), got=show(g))
    return {}


def compare_figure(number: int, expected: dict, figures: list, rules: dict | None) -> tuple[bool, dict]:
    """(agrees, message) for figure `number` (1 = the first opened) of the learner's against the reference's:
    the number of axes, and on each the charts' types, their number of bars or points and their values (within
    the tolerance), and the title and axis labels (present where the reference has them, or the same text)."""
    rules = dict(rules or {})
    tolerance = rules.get("tolerance")
    tolerance = float(tolerance) if isinstance(tolerance, (int, float)) else None
    if not isinstance(figures, list) or len(figures) < number or not isinstance(figures[number - 1], dict):
        count = len(figures) if isinstance(figures, list) else 0
        return False, localized_message(MESSAGES["no_figure"], number=number, count=count)
    figure = figures[number - 1]
    if figure.get("error"):
        return False, localized_message(MESSAGES["figure_error"], error=str(figure["error"]))
    want_axes, have_axes = expected.get("axes", []), figure.get("axes") or []
    if len(want_axes) != len(have_axes):
        return False, localized_message(MESSAGES["axes"], expected=len(want_axes), got=len(have_axes))
    label_rule = rules.get("labels", "present")
    for want, have in zip(want_axes, have_axes):
        want_charts = [c for c in want.get("charts", []) if c.get("type") != "area"]
        have_charts = [c for c in have.get("charts", []) if isinstance(c, dict) and c.get("type") != "area"]
        types_want = [c.get("type") for c in want_charts]
        types_have = [c.get("type") for c in have_charts]
        if sorted(types_want) != sorted(map(str, types_have)):
            return False, {lang: MESSAGES["chart_type"][lang].format(
                expected=", ".join(chart_name(t, lang) for t in types_want) or "-",
                got=", ".join(chart_name(t, lang) for t in types_have) or "-") for lang in MESSAGES["chart_type"]}
        pool = list(have_charts)
        for chart in want_charts:  # each reference chart against the learner's first of that type that matches
            same = [c for c in pool if c.get("type") == chart.get("type")]
            messages = [compare_charts(chart, c, tolerance) for c in same]
            if all(messages):
                return False, messages[0]
            pool.remove(same[messages.index({})])
        if label_rule != "ignored":
            for key in ("title", "xlabel", "ylabel"):
                wanted, got = str(want.get(key) or ""), str(have.get(key) or "")
                if wanted and not got.strip():
                    return False, {lang: MESSAGES["label_missing"][lang].format(what=LABEL_NAMES[key][lang])
                                   for lang in MESSAGES["label_missing"]}
                if wanted and label_rule == "exact" and wanted != got:
                    return False, {lang: MESSAGES["label_text"][lang].format(
                        what=LABEL_NAMES[key][lang].capitalize(), expected=inert_text(wanted, 120),
                        got=inert_text(got, 120)) for lang in MESSAGES["label_text"]}
    return True, {}
