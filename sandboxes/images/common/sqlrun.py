"""One SQL statement on a fresh in-memory copy of a database, and what it gives: the rows of a query, or the
tables a data-changing statement leaves. The same code runs the learner's statement in the sql sandbox and the
reference's on the trusted side (the expected values), so that both results are made alike. Standard library
only; plain JSON out.

The database is built from its SQL script (the exercise's, trusted) before the statement; then the statement runs
under an authorizer that refuses ATTACH/DETACH, PRAGMA and the functions that reach files or load code, with
SQLite's own limits (no attached database, a heap limit) and a time budget checked by the progress handler.
"""
import sqlite3
import time

ROW_CAP = 1000
HEAP_LIMIT_BYTES = 256 * 1024 * 1024
VALUE_LIMIT_BYTES = 10 * 1024 * 1024  # one string or blob: zeroblob(1e9) is an error, not a gigabyte
PROGRESS_OPS = 20_000  # virtual machine steps between two looks at the clock
REFUSED_ACTIONS = frozenset({sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH, sqlite3.SQLITE_PRAGMA})
REFUSED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"})
TIMEOUT = "timeout"
BLOB_HEX_CAP = 2048


def plain(value):
    """A cell as JSON: blobs as {"blob": hex}, the floats JSON lacks as {"float": "inf"}."""
    if isinstance(value, bytes):
        return {"blob": value.hex()[:BLOB_HEX_CAP]}
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return {"float": repr(value)}
    return value


def _authorizer(action, first, second, database, trigger):
    if action in REFUSED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and str(second or "").lower() in REFUSED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _rows(cursor, row_cap):
    rows = cursor.fetchmany(row_cap + 1)
    return {"columns": [column[0] for column in cursor.description],
            "rows": [[plain(value) for value in row] for row in rows[:row_cap]],
            "truncated": len(rows) > row_cap}


def open_database(script: str) -> sqlite3.Connection:
    """A fresh in-memory database built from its (trusted) SQL script, in autocommit mode."""
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.executescript(script)
    connection.execute(f"PRAGMA hard_heap_limit = {HEAP_LIMIT_BYTES}")
    connection.execute("PRAGMA temp_store = MEMORY")  # no temporary file: sorts and CTE queues stay in the heap
    connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, VALUE_LIMIT_BYTES)
    return connection


def run_statement(script: str, statement: str, tables=(), row_cap: int = ROW_CAP, seconds: float = 2.0) -> dict:
    """What `statement` gives on a fresh copy of the database `script` builds: {"columns", "rows", "truncated"}
    for a query, {"changes": n} for a statement without a result; then, if asked, {"tables": {name: rows}} as the
    statement left them; or {"error": SQLite's message} ("timeout" once `seconds` are spent)."""
    connection = open_database(script)
    deadline = time.monotonic() + seconds
    connection.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, PROGRESS_OPS)
    connection.set_authorizer(_authorizer)
    try:
        cursor = connection.execute(statement)
        if cursor.description:
            observation = _rows(cursor, row_cap)
        else:
            observation = {"changes": max(cursor.rowcount, 0)}
        cursor.close()
    except (sqlite3.Error, sqlite3.Warning, ValueError, OverflowError, MemoryError) as exc:
        message = str(exc)
        timed_out = message == "interrupted" and time.monotonic() > deadline
        return {"error": TIMEOUT if timed_out else (message or type(exc).__name__)[:300]}
    finally:
        connection.set_authorizer(None)
        connection.set_progress_handler(None, 0)
    if tables:
        observation["tables"] = {}
        for name in tables:
            quoted = '"' + str(name).replace('"', '""') + '"'
            try:
                observation["tables"][name] = _rows(connection.execute(f"SELECT * FROM {quoted}"), row_cap)
            except sqlite3.Error as exc:
                observation["tables"][name] = {"error": str(exc)[:300]}
    connection.close()
    return observation
