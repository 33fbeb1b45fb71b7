"""Entry process of the SQL sandbox image: the job protocol and step runner are entrylib's; the `query` action
runs the learner's statement (a file of the job) on a fresh in-memory copy of the step's database (its SQL script,
in the step's arguments: a hidden database comes only with the hidden phase), in the forked child, and writes one
record: what the statement gave (sqlrun.run_statement). sqlite3 is imported before the ready frame, so that a
step's child does not pay for it.
"""
import os
import sys

sys.path.insert(0, "/opt/lms")  # -I leaves the script's folder out of sys.path
import sqlrun  # noqa: E402
from entrylib import WORK_DIR, RecordWriter, Runtime, main  # noqa: E402

CHILD_ENV = {"HOME": "/work", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TMPDIR": "/tmp"}


def action_query(args):
    with open(os.path.join(WORK_DIR, args["statement"]), encoding="utf-8") as handle:
        statement = handle.read()
    observation = sqlrun.run_statement(args["database"], statement, tables=args.get("tables", []),
                                       row_cap=int(args.get("row_cap", sqlrun.ROW_CAP)),
                                       seconds=float(args.get("seconds", 2.0)))
    RecordWriter().write({"id": args["check"], "obs": observation})
    return 0


RUNTIME = Runtime(actions={"query": action_query}, child_env=CHILD_ENV)

if __name__ == "__main__":
    os._exit(main(RUNTIME))
