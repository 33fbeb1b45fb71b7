"""Facts of a SQL text, read on parsed tokens (sqlparse), never on raw text: a keyword in a string literal or a
comment is no construct. For the sql-query kind: the constructs an exercise requires or forbids, the statement's
type, whether its result order is the reference's ORDER BY, and the statements refused before anything runs.

Pure functions over text, trusted side; the learner's text is only parsed here, never run.
"""
from __future__ import annotations

import sqlparse
from sqlparse import sql as groups
from sqlparse import tokens as ttypes

# What an exercise may require or forbid (`require:` / `forbid:`), each a test on the parsed statement.
CONSTRUCTS = ("join", "group_by", "having", "order_by", "window", "subquery", "cte", "distinct", "union",
              "limit", "aggregate", "case")
AGGREGATES = frozenset({"COUNT", "SUM", "AVG", "MIN", "MAX", "GROUP_CONCAT", "TOTAL"})
STATEMENT_TYPES = ("select", "insert", "update", "delete", "create", "drop", "alter")
# Refused before the sandbox runs anything (the sandbox's authorizer refuses them too): other files, extensions,
# the database's settings.
REFUSED_KEYWORDS = {"ATTACH": "attach", "DETACH": "attach", "PRAGMA": "pragma", "VACUUM": "vacuum"}
REFUSED_FUNCTIONS = {"LOAD_EXTENSION": "load_extension", "READFILE": "readfile", "WRITEFILE": "writefile"}
MAX_SQL_CHARS = 20_000


def parse_statements(text: str) -> list[groups.Statement]:
    """The text's statements, empty ones (a trailing ';', comments only) left out."""
    return [statement for statement in sqlparse.parse(text or "")
            if any(not token.is_whitespace and token.ttype not in ttypes.Comment
                   and token.ttype not in ttypes.Punctuation for token in statement.flatten())]


def statement_type(statement: groups.Statement) -> str:
    """select, insert, update, delete, create, drop, alter, or "unknown" (a CTE counts as what it leads to)."""
    kind = statement.get_type().lower()
    return kind if kind in STATEMENT_TYPES else "unknown"


def _keywords(statement) -> list[str]:
    return [token.normalized for token in statement.flatten()
            if token.ttype in ttypes.Keyword or token.ttype in ttypes.Keyword.DML]


def _walk(group):
    for token in group.tokens:
        yield token
        if token.is_group:
            yield from _walk(token)


def _function_names(statement) -> list[str]:
    names = []
    for token in _walk(statement):
        if isinstance(token, groups.Function):
            name = token.get_name()
            if name:
                names.append(name.upper())
    return names


def _has_subquery(statement) -> bool:
    """A parenthesised SELECT anywhere but a CTE's own body (WITH x AS (SELECT ...) is the `cte` construct)."""
    for token in _walk(statement):
        if isinstance(token, groups.Parenthesis) and not _is_cte_body(statement, token):
            if any(inner.ttype in ttypes.Keyword.DML and inner.normalized == "SELECT"
                   for inner in token.flatten()):
                return True
    return False


def _is_cte_body(statement, parenthesis) -> bool:
    leading = statement.token_first(skip_cm=True)
    if leading is None or leading.ttype not in ttypes.Keyword.CTE:
        return False
    for token in statement.tokens:
        if token.ttype in ttypes.Keyword.DML:  # the CTEs end where the main statement starts
            return False
        if token.is_group and any(inner is parenthesis for inner in token.tokens):
            return True
        if isinstance(token, groups.IdentifierList) and any(
                inner.is_group and any(p is parenthesis for p in inner.tokens) for inner in token.tokens):
            return True
    return False


def constructs(statement: groups.Statement) -> set[str]:
    """The CONSTRUCTS this statement uses."""
    keywords = _keywords(statement)
    found = set()
    if any(k.endswith("JOIN") for k in keywords):
        found.add("join")
    for keyword, name in (("GROUP BY", "group_by"), ("HAVING", "having"), ("ORDER BY", "order_by"),
                          ("DISTINCT", "distinct"), ("LIMIT", "limit"), ("CASE", "case")):
        if keyword in keywords:
            found.add(name)
    if any(k.startswith("UNION") or k in ("INTERSECT", "EXCEPT") for k in keywords):
        found.add("union")
    if any(isinstance(token, groups.Over) for token in _walk(statement)):
        found.add("window")
    leading = statement.token_first(skip_cm=True)
    if leading is not None and leading.ttype in ttypes.Keyword.CTE:
        found.add("cte")
    if _has_subquery(statement):
        found.add("subquery")
    if AGGREGATES & set(_function_names(statement)):
        found.add("aggregate")
    return found


def has_top_level_order_by(statement: groups.Statement) -> bool:
    """Whether the statement's own result is ordered: an ORDER BY outside any parenthesis (a window's or a
    subquery's orders only what it is in)."""
    return any(token.ttype in ttypes.Keyword and token.normalized == "ORDER BY" for token in statement.tokens)


def refused(statement: groups.Statement) -> str:
    """What of this statement the sandbox would refuse (ATTACH, PRAGMA, load_extension...), or ""."""
    words = [t for t in statement.flatten() if not t.is_whitespace and t.ttype not in ttypes.Comment]
    if words and words[0].value.upper() in REFUSED_KEYWORDS:  # PRAGMA is a name to sqlparse
        return REFUSED_KEYWORDS[words[0].value.upper()]
    for token in statement.flatten():
        if token.ttype in ttypes.Keyword and token.normalized in REFUSED_KEYWORDS:
            return REFUSED_KEYWORDS[token.normalized]
    for name in _function_names(statement):
        if name in REFUSED_FUNCTIONS:
            return REFUSED_FUNCTIONS[name]
    return ""


def text_problem(text: str, statements: list | None = None) -> tuple[str, dict]:
    """Why a submitted SQL text cannot be run at all, as (message key, values), or ("", {}): empty, too long, more
    than one statement, or a refused construct. `statements`: the text's, if parsed already."""
    if len(text or "") > MAX_SQL_CHARS:
        return "too_long", {"limit": MAX_SQL_CHARS}
    statements = parse_statements(text) if statements is None else statements
    if not statements:
        return "empty", {}
    if len(statements) > 1:
        return "several_statements", {"count": len(statements)}
    what = refused(statements[0])
    if what:
        return "refused", {"what": what}
    return "", {}


def construct_problems(statement: groups.Statement, require: list[str], forbid: list[str]) -> list[tuple[str, str]]:
    """(("required" | "forbidden"), construct) for each rule the statement breaks, in the rules' order."""
    used = constructs(statement)
    return ([("required", name) for name in require if name not in used]
            + [("forbidden", name) for name in forbid if name in used])
