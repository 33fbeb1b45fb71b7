"""Entry process of the Python sandbox image: the job protocol and step runner are entrylib's (shared by every
image, see sandboxes/images/common/entrylib.py); the actions here run the learner's Python in the forked child.

Every container starts this process, so what it imports costs CPU per submission: pytest is imported only by the
step that runs it (practice runs: ~90 ms), runpy once per job that runs programs (before forking, so each case's
child has it), base64 and traceback only when a file is collected or a learner's exception is reported.
"""
import os
import signal
import sys

sys.path.insert(0, "/opt/lms")  # -I leaves the script's folder out of sys.path
from entrylib import WORK_DIR, RecordWriter, Runtime, main  # noqa: E402

CHILD_ENV = {
    "HOME": "/work",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONIOENCODING": "utf-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "TMPDIR": "/tmp",
}


class _PytestReport:
    def __init__(self, writer):
        self.writer = writer

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            message = "" if report.passed else (report.longreprtext or "")[-2000:]
            self.writer.write({"id": report.nodeid, "outcome": report.outcome, "when": report.when,
                               "message": message})

    def pytest_collectreport(self, report):
        if report.failed:
            self.writer.write({"id": report.nodeid or "collect", "outcome": "error", "when": "collect",
                               "message": (report.longreprtext or "")[-2000:]})


def action_pytest(args):
    import pytest

    sys.path.append(WORK_DIR)
    paths = [os.path.join(WORK_DIR, p) for p in args.get("paths", ["tests"])]
    code = pytest.main(
        ["-q", "-p", "no:cacheprovider", "--rootdir", WORK_DIR, "--no-header", "-o", "console_output_style=classic",
         *paths],
        plugins=[_PytestReport(RecordWriter())],
    )
    return int(code)


def learner_traceback(exc, frames_cap=1500, error_cap=500):
    """The traceback of an exception raised by the learner's code, from the first frame of a file in the work dir
    (the harness's own frames, this file's, importlib's, runpy's, are left out); the frames and the error line are
    capped apart, so that a huge message keeps its traceback and a deep one its error line."""
    try:
        import traceback

        tb = exc.__traceback__
        while tb is not None and not tb.tb_frame.f_code.co_filename.startswith(WORK_DIR + "/"):
            tb = tb.tb_next
        frames = "".join(traceback.format_tb(tb)) if tb is not None else ""
        error = "".join(traceback.format_exception_only(type(exc), exc))
    except BaseException:  # noqa: BLE001 - an exception whose formatting fails still gets its record
        return ""
    head = "Traceback (most recent call last):\n" if frames else ""
    return head + frames[-frames_cap:] + error[:error_cap]


class _CallTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _CallTimeout()


def _plain(value):
    """Refuse anything that is not plain JSON data, so no object of the learner's reaches the judge."""
    if value is None or type(value) in (bool, str):
        return value
    if type(value) is int or type(value) is float:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if type(value) in (list, tuple):
        return [_plain(item) for item in value]
    if type(value) is dict and all(type(k) is str for k in value):
        return {k: _plain(v) for k, v in value.items()}
    raise TypeError(f"return value of type {type(value).__name__} is not plain data")


def action_calls(args):
    writer = RecordWriter()
    sys.path.append(WORK_DIR)
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        module = __import__(args["module"])
    except BaseException as exc:  # noqa: BLE001 - the learner's module may raise anything, even SystemExit
        record = {"error": f"import failed: {type(exc).__name__}: {exc}"[:500], "traceback": learner_traceback(exc)}
        for call in args["calls"]:
            writer.write({"id": call["id"], **record})
        return 1
    per_call = float(args.get("call_timeout", 2.0))
    for call in args["calls"]:
        record = {"id": call["id"]}
        try:
            function = getattr(module, call["function"])
            signal.setitimer(signal.ITIMER_REAL, per_call)
            try:
                value = function(*call.get("args", []), **call.get("kwargs", {}))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            record["value"] = _plain(value)
        except _CallTimeout:
            record = {"id": call["id"], "error": "timeout"}
        except BaseException as exc:  # noqa: BLE001
            record = {"id": call["id"], "error": f"{type(exc).__name__}: {exc}"[:500],
                      "traceback": learner_traceback(exc)}
        try:
            writer.write(record)
        except (TypeError, ValueError) as exc:
            writer.write({"id": call["id"], "error": f"unserializable: {exc}"[:500]})
    return 0


def action_program(args):
    import runpy  # already loaded by main() before the fork

    sys.argv = [args["path"]]
    os.chdir(WORK_DIR)
    runpy.run_path(os.path.join(WORK_DIR, args["path"]), run_name="__main__")
    return 0


def action_compile(args):
    """Compile the learner's files without running anything of theirs: a syntax error shows up on stderr."""
    for path in args["paths"]:
        target = os.path.join(WORK_DIR, path)
        with open(target, encoding="utf-8") as handle:
            compile(handle.read(), target, "exec", dont_inherit=True)
    return 0


ACTIONS = {"pytest": action_pytest, "calls": action_calls, "program": action_program, "compile": action_compile}


def preload(steps):
    if any(step.get("action") == "program" for step in steps):
        import pkgutil, runpy  # noqa: F401,E401 - loaded once here (run_path uses pkgutil), not in every child


RUNTIME = Runtime(actions=ACTIONS, child_env=CHILD_ENV, describe_error=learner_traceback, before_phase=preload)

if __name__ == "__main__":
    # The result frames are written with os.write: nothing is buffered. Exiting at once (no interpreter teardown)
    # closes the stream sooner, and the runner waits for that close before it trusts the frames.
    os._exit(main(RUNTIME))
