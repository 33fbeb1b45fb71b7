"""Entry process of the data sandbox image: the job protocol and step runner are entrylib's. The `analyse` action
(data-analysis kind) runs the learner's pandas script or notebook on one dataset variant, in the forked child,
then reports what the checks observe (observe.py): named variables and the figures left open. The `predict`
action (ml-model kind) runs the learner's training script on the shipped data and reports the predictions file it
wrote; the labels of the inputs to predict are never in the container.

The heavy libraries (numpy, pandas, matplotlib with Agg, seaborn, scipy, scikit-learn, openpyxl) are imported
before the ready frame, in the warm pool: each step's child is forked with them loaded and pays only for its own
work. Each step runs in a fresh folder of its own, /work/runs/<run>, with the variant's dataset files under data/
(read-only copies; the hidden variants' files come only with the hidden phase). A notebook's code cells run in one
namespace in this process's child, each within `cell_seconds` (no kernel: a kernel would start without the
preloaded libraries, and a second process per step gains nothing here); IPython magics and shell lines are skipped.
"""
import base64
import json
import os
import signal
import sys

# Before numpy loads: one BLAS thread (threads count against the container's pids limit, and a grade is one CPU).
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"
os.environ["MPLBACKEND"] = "Agg"
# Matplotlib wants a writable config dir, else it builds its font list again in a temporary one (about a second):
# the list built into the image is copied to the sandbox's tmpfs.
MPL_DIR = "/tmp/mplconfig"
os.environ["MPLCONFIGDIR"] = MPL_DIR

sys.path.insert(0, "/opt/lms")  # -I leaves the script's folder out of sys.path
from entrylib import WORK_DIR, RecordWriter, Runtime, main, safe_relative  # noqa: E402

RUNS_DIR = "/work/runs"
CHILD_ENV = {"HOME": "/work", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TMPDIR": "/tmp",
             "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg", "MPLCONFIGDIR": MPL_DIR,
             "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def preload():
    import shutil

    shutil.copytree("/opt/mplconfig", MPL_DIR, dirs_exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401
    import scipy.stats  # noqa: F401
    import seaborn  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import sklearn.model_selection  # noqa: F401

    import observe  # noqa: F401
    import traceback  # noqa: F401


class TimeLimit(BaseException):
    """Raised in the learner's code when its time is up (BaseException: a bare `except Exception` does not eat
    it)."""


def _on_alarm(signum, frame):
    raise TimeLimit()


def learner_traceback(exc, script_path, cap=1500):
    """The traceback from the learner's first frame (the harness's frames left out), capped."""
    import traceback

    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != script_path:
        tb = tb.tb_next
    frames = "".join(traceback.format_tb(tb)) if tb is not None else ""
    error = "".join(traceback.format_exception_only(type(exc), exc))[:500]
    return ("Traceback (most recent call last):\n" + frames[-cap:] if frames else "") + error


def write_datasets(folder, datasets):
    for relative, content in datasets.items():
        if not safe_relative(relative):
            raise ValueError(f"unsafe dataset path {relative!r}")
        target = os.path.join(folder, "data", relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        data = base64.b64decode(content["base64"]) if "base64" in content else content["text"].encode("utf-8")
        with open(target, "wb") as handle:
            handle.write(data)
        os.chmod(target, 0o444)


def notebook_cells(text):
    """The code cells of a notebook (nbformat 4 JSON), magics (%...) and shell lines (!...) left out."""
    document = json.loads(text)
    cells = []
    for cell in document.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        cells.append("\n".join(lines))
    return cells


def run_learner(script_path, namespace, seconds, cell_seconds):
    """Run the script (or each cell of the notebook) in `namespace`: the run's record."""
    with open(script_path, encoding="utf-8") as handle:
        text = handle.read()
    notebook = script_path.endswith(".ipynb")
    try:
        cells = notebook_cells(text) if notebook else [text]
    except ValueError as exc:
        return {"error": f"notebook unreadable: {exc}"[:300], "kind": "notebook"}
    signal.signal(signal.SIGALRM, _on_alarm)
    for number, source in enumerate(cells, start=1):
        try:
            code = compile(source, script_path, "exec")
            signal.setitimer(signal.ITIMER_REAL, cell_seconds if notebook else seconds)
            try:
                exec(code, namespace)  # noqa: S102 - the learner's code, in the sandbox
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except TimeLimit:
            return {"timeout": True, "cell": number if notebook else None}
        except SystemExit as exc:
            if exc.code not in (None, 0):
                return {"error": f"SystemExit: {exc.code}"[:300], "cell": number if notebook else None}
            return {}
        except BaseException as exc:  # noqa: BLE001 - the learner's code may raise anything
            return {"error": learner_traceback(exc, script_path), "cell": number if notebook else None,
                    "line": getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else None}
    return {}


def enter_run(args):
    """The step's own fresh folder, its dataset files under data/, as the working directory; the learner's script
    and the namespace it runs in."""
    folder = os.path.join(RUNS_DIR, args["run"])
    os.makedirs(folder)
    write_datasets(folder, args.get("datasets", {}))
    os.chdir(folder)
    script_path = os.path.join(WORK_DIR, args["script"])
    return script_path, {"__name__": "__main__", "__file__": script_path, "__builtins__": __builtins__}


def action_analyse(args):
    import observe

    script_path, namespace = enter_run(args)
    run = run_learner(script_path, namespace, float(args.get("seconds", 10)), float(args.get("cell_seconds", 10)))
    writer = RecordWriter()
    # What the learner's code printed is on stdout already; from here on, only observations go out (fd 3).
    for check in args.get("variables", []):
        name = check["variable"]
        try:
            observation = observe.describe_value(namespace[name]) if name in namespace else {"undefined": True}
        except Exception as exc:  # noqa: BLE001 - a learner's object that breaks on inspection
            observation = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        writer.write({"id": check["id"], "obs": observation})
    if args.get("figures"):
        writer.write({"id": "figures", "obs": observe.describe_figures(with_png=bool(args.get("png")))})
    writer.write({"id": "run", "obs": run})
    return 0


PREDICTIONS_CAP = 900 * 1024  # the records channel carries 1 MB


def read_output(name):
    """A file the learner's script wrote in its run folder: a regular file (no symlink followed), capped."""
    import stat

    if not safe_relative(name):
        return {"error": "unsafe path"}
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return {"error": "missing"}
    except OSError as exc:
        return {"error": "symlink" if exc.errno == 40 else f"unreadable ({exc.strerror})"}
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return {"error": "not a regular file"}
        data = handle.read(PREDICTIONS_CAP + 1)
    if len(data) > PREDICTIONS_CAP:
        return {"error": "too_large", "limit": PREDICTIONS_CAP}
    return {"text": data.decode("utf-8", "replace")}


def action_predict(args):
    """The ml-model kind: the learner's script trains on the shipped data and writes its predictions file; the
    file's text goes out as a record (labels are never in here: they are judged outside)."""
    script_path, namespace = enter_run(args)
    run = run_learner(script_path, namespace, float(args.get("seconds", 60)), float(args.get("seconds", 60)))
    writer = RecordWriter()
    writer.write({"id": "predictions", "obs": read_output(args["output"])})
    writer.write({"id": "run", "obs": run})
    return 0


RUNTIME = Runtime(actions={"analyse": action_analyse, "predict": action_predict}, child_env=CHILD_ENV,
                  prepare=preload, describe_error=lambda exc: f"{type(exc).__name__}: {exc}\n")

if __name__ == "__main__":
    os._exit(main(RUNTIME))
