"""Shared helpers of the benchmarks: statistics, tables, JSON output, clean shutdown, the plain-container
baseline, and a throw-away LMS stack (SQLite + a Redis DB number + gunicorn + grading workers) in a temp folder.

Every benchmark is bounded (a count and a deadline) and stops what it started, on success, on an exception and
on Ctrl-C / SIGTERM. All traffic stays on 127.0.0.1.
"""
from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

VENV_BIN = ROOT / ".venv" / "bin"
PYTHON_IMAGE = os.environ.get("LMS_SANDBOX_PYTHON_IMAGE", "lms/sandbox-python:latest")
SERVICE_IMAGE = "lms/sandbox-service:latest"
WEB_IMAGE = "lms/sandbox-web:latest"
CONTENT_DIR = ROOT / "exercises"
BENCH_LABEL = "lms.bench"  # put on the baseline containers so a run can remove its own leftovers
LOCALHOST = "127.0.0.1"


# --- statistics and output ------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    data = sorted(values)
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * q / 100.0
    low, high = math.floor(pos), math.ceil(pos)
    return data[low] + (data[high] - data[low]) * (pos - low)


def summarize(values: list[float]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {"n": 0, "p50": None, "p95": None, "mean": None, "min": None, "max": None}
    return {"n": len(values), "p50": round(percentile(values, 50), 1), "p95": round(percentile(values, 95), 1),
            "mean": round(sum(values) / len(values), 1), "min": round(min(values), 1),
            "max": round(max(values), 1)}


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_table(headers: list[str], rows: list[list], title: str | None = None) -> None:
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h))
              for i, h in enumerate(headers)]
    if title:
        print(f"\n{title}")
    line = "  ".join(f"{h:<{w}}" if i == 0 else f"{h:>{w}}" for i, (h, w) in enumerate(zip(headers, widths)))
    print(line)
    print("-" * len(line))
    for row in cells:
        print("  ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(row, widths))))
    sys.stdout.flush()


def stats_row(label: str, values: list[float], *extra) -> list:
    s = summarize(values)
    return [label, s["n"], s["p50"], s["p95"], s["mean"], s["min"], s["max"], *extra]


STATS_HEADERS = ["", "n", "p50 ms", "p95 ms", "mean ms", "min ms", "max ms"]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def write_json(path: str | None, data: dict) -> None:
    if not path:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nJSON results written to {path}")


def results_header(benchmark: str, args, **fields) -> dict:
    """The start of every benchmark's JSON results: what ran, on what, with which parameters."""
    return {"benchmark": benchmark, "machine": machine_info(), "load_average_start": load_average(),
            "params": {k: v for k, v in vars(args).items() if k != "json"}, **fields}


def machine_info() -> dict:
    info = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "image": PYTHON_IMAGE,
            "at": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        import docker

        client = docker.from_env(timeout=10)
        version = client.version()
        info["docker"] = version.get("Version")
        info["kernel"] = version.get("KernelVersion")
        client.close()
    except Exception:  # noqa: BLE001 - informative only
        pass
    return info


class Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def expired(self) -> bool:
        return self.left() <= 0

    def check(self, what: str) -> None:
        if self.expired():
            raise TimeoutError(f"benchmark deadline of {self.seconds:.0f} s reached during {what}")


def sigterm_as_interrupt() -> None:
    """SIGTERM (and SIGHUP) raise KeyboardInterrupt, so the `finally` clauses clean up as on Ctrl-C."""
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def quiet_logging() -> None:
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    for name in ("sandboxes", "lms", "urllib3", "docker"):
        logging.getLogger(name).setLevel(logging.WARNING)


def utc_naive(ts: float) -> datetime:
    """A time.time() value as the rows store time: naive UTC."""
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)


def parse_db_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value)


def ms_between(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return (b - a).total_seconds() * 1000.0


# --- content ---------------------------------------------------------------------------------------------

def load_exercises() -> dict:
    """slug -> ExerciseDefinition, from the repository's content library."""
    from lms.catalog.content import iter_exercises, load_library

    return {ex.slug: ex for ex in iter_exercises(load_library(CONTENT_DIR))}


# --- the plain-container baseline -------------------------------------------------------------------------

def plain_run_kwargs(limits, run_id: str, command: list[str] | None = None, stdin_open: bool = False,
                     network_of: str | None = None) -> dict:
    """The sandbox's own hardened settings (sandboxes.container.container_settings): what
    `docker run --rm <hardening> image ...` costs with the sandbox's engine settings. By default the command is a
    trivial `python3 -c pass` (the floor: a container that does nothing); with `command=[]` and `stdin_open` it is
    the image's own entry process, fed a job on stdin (`docker run -i`); with `network_of` it joins that
    container's network namespace, as a prober does. Only the labels differ: ours, so the LMS reaper never takes
    these for sandboxes of a dead worker."""
    from sandboxes.container import LABEL_OWNER, LABEL_SANDBOX, container_settings
    from sandboxes.runner import RUNTIME_RUNC

    kwargs = container_settings(PYTHON_IMAGE, limits, RUNTIME_RUNC, {}, network_of=network_of)
    kwargs["labels"] = {k: v for k, v in kwargs["labels"].items() if k not in (LABEL_SANDBOX, LABEL_OWNER)}
    kwargs["labels"][BENCH_LABEL] = run_id
    if command is None:
        kwargs["command"] = ["python3", "-c", "pass"]
    elif command:
        kwargs["command"] = command
    kwargs["stdin_open"] = stdin_open  # without it, nothing attached: `docker run` without -i
    return kwargs


def plain_docker_run(client, kwargs: dict, stdin: bytes | None = None) -> dict:
    """create + start + wait + remove, as `docker run --rm` does, through the engine's API with nothing else (no
    inspect). With `stdin`, as `docker run -i --rm`: attached before start, the bytes sent, read to the end.
    Returns the phase times in ms; raises if the container failed."""
    from sandboxes.container import attach_stdio, create_container

    api = client.api
    t0 = time.monotonic()
    container_id = create_container(client, kwargs)
    received = 0
    try:
        sock = None
        if stdin is not None:
            raw, sock = attach_stdio(client, container_id)
        t1 = time.monotonic()
        api.start(container_id)
        t2 = time.monotonic()
        if sock is not None:
            sock.sendall(stdin)
            while chunk := sock.recv(65536):
                received += len(chunk)
            raw.close()
        status = api.wait(container_id, timeout=60)
        t3 = time.monotonic()
    finally:
        api.remove_container(container_id, force=True)
    t4 = time.monotonic()
    if status.get("StatusCode") != 0:
        raise RuntimeError(f"baseline container exited with {status}")
    if stdin is not None and not received:
        raise RuntimeError("baseline container answered nothing")
    return {"create": (t1 - t0) * 1000, "start": (t2 - t1) * 1000, "wait": (t3 - t2) * 1000,
            "remove": (t4 - t3) * 1000, "total": (t4 - t0) * 1000}


def graded_job_bytes(exercise, spec=None) -> bytes:
    """The job our worker sends to a sandbox for the exercise's reference solution (graded by `spec`, else the
    exercise's own), framed as the entry process reads it: what a `docker run -i` of the sandbox image needs on
    stdin to do the same grading work (both phases' messages at once: the entry process reads the second one only
    after its first frame)."""
    from graders import get_grader
    from sandboxes.container import frame_job

    spec = spec or exercise.grading_spec()
    files = {name: exercise.solution_files[name] for name in spec.files}
    plan = get_grader(spec.kind).plan(spec, files)
    hidden = plan.hidden_job("baseline")
    return frame_job(plan.job()) + (frame_job(hidden) if hidden else b"")


def _remove_labelled(client, label: str, keep=lambda container: False) -> int:
    """Force-remove the containers carrying `label` (all states), but those `keep` spares; returns the count."""
    removed = 0
    for container in client.containers.list(all=True, filters={"label": label}, ignore_removed=True):
        if keep(container):
            continue
        try:
            container.remove(force=True)
            removed += 1
        except Exception:  # noqa: BLE001 - already gone
            pass
    return removed


def remove_bench_containers(client, run_id: str) -> int:
    return _remove_labelled(client, f"{BENCH_LABEL}={run_id}")


def remove_owner_prefix(client, prefix: str) -> int:
    """Sandbox containers whose owner label starts with prefix (a worker's owner is '<name>-<hex>')."""
    from sandboxes.container import LABEL_OWNER, LABEL_SANDBOX

    return _remove_labelled(client, f"{LABEL_SANDBOX}=1",
                            keep=lambda container: not container.labels.get(LABEL_OWNER, "").startswith(prefix))


def foreign_sandboxes(client, prefix: str, scope: str | None = None) -> list[str]:
    """Sandbox containers on this engine that are not ours and that our grading workers' reaper would remove:
    it removes every sandbox (of its scope, where the code has scopes) whose owner is not alive in *its* Redis
    DB. Without scopes that is every other LMS's or test run's sandbox on the engine."""
    from sandboxes.container import LABEL_OWNER, LABEL_SANDBOX

    labels = [f"{LABEL_SANDBOX}=1"] + ([f"lms.scope={scope}"] if scope else [])
    found = []
    for container in client.containers.list(all=True, filters={"label": labels}, ignore_removed=True):
        owner = container.labels.get(LABEL_OWNER, "")
        if not owner.startswith(prefix):
            found.append(f"{container.short_id} (owner {owner or '?'})")
    return found


def runner_kwargs(scope: str) -> dict:
    """SandboxRunner takes a scope (its containers' lms.scope label) in newer code: use our own, so that no
    grading worker's reaper on this engine takes our containers for a dead worker's."""
    import inspect

    from sandboxes.runner import SandboxRunner

    return {"scope": scope} if "scope" in inspect.signature(SandboxRunner).parameters else {}


# --- the per-kind round-trip scripts ----------------------------------------------------------------------

def add_bench_arguments(parser, runs: int, warmup: int = 2, max_seconds: float = 300,
                        quiet_wait: float | None = None, pool_size: int | None = None, pace: float | None = None,
                        exercise: str | None = None) -> None:
    """The options of every round-trip script; --quiet-wait, --pool-size, --pace and --exercise where given a
    default."""
    parser.add_argument("--runs", type=int, default=runs, help=f"runs of each series (default {runs})")
    if pool_size is not None:
        parser.add_argument("--pool-size", type=int, default=pool_size,
                            help=f"warm containers in the pool (default {pool_size})")
    if pace is not None:
        parser.add_argument("--pace", type=float, default=pace,
                            help=f"seconds between paced warm runs (default {pace:g})")
    if exercise is not None:
        parser.add_argument("--exercise", default=exercise, help=f"the exercise's slug (default {exercise})")
    parser.add_argument("--warmup", type=int, default=warmup,
                        help=f"unmeasured runs before each series (default {warmup})")
    parser.add_argument("--max-seconds", type=float, default=max_seconds,
                        help=f"hard bound of the whole run (default {max_seconds:g})")
    if quiet_wait is not None:
        parser.add_argument("--quiet-wait", type=float, default=quiet_wait,
                            help="before each series, wait up to this many seconds for 2 s without other "
                                 f"processes' containers on the engine (0: do not wait; default {quiet_wait:g})")
    parser.add_argument("--json", metavar="PATH", help="write everything measured to this file")


def parse_bench_args(parser, argv, max_runs: int):
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= max_runs:
        parser.error(f"--runs must be between 1 and {max_runs}")
    if getattr(args, "pool_size", 1) < 1:
        parser.error("--pool-size must be at least 1")
    return args


def start_run(args) -> tuple[Deadline, object]:
    """SIGTERM as Ctrl-C (the teardown runs), quiet logs; the run's deadline and a docker client."""
    import docker

    sigterm_as_interrupt()
    quiet_logging()
    return Deadline(args.max_seconds), docker.from_env(timeout=60)


def owned_by(run_id: str):
    """Tells a run's containers (baseline label, or a runner's owner label) from others' in engine events."""
    def ours(attributes: dict) -> bool:
        return attributes.get(BENCH_LABEL) == run_id or attributes.get("lms.owner", "").startswith(run_id)

    return ours


def settle(client, ours, seconds: float, what: str = "") -> None:
    """wait_quiet before a series, if asked; measuring goes on (with a note) on a busy engine."""
    if seconds > 0 and not wait_quiet(client, ours, max_wait_s=seconds):
        print(f"  note: the engine is busy with other containers; measuring {what + ' ' if what else ''}anyway")


def timed_series(measure, runs: int, deadline: Deadline, label: str) -> list[dict]:
    """`runs` rows of measure() (ms); a failure is a row with "error" and the series goes on."""
    out = []
    for _ in range(runs):
        deadline.check(f"the {label} series")
        t0 = time.monotonic()
        try:
            out.append(measure())
        except Exception as exc:  # noqa: BLE001 - counted and shown
            out.append({"error": str(exc)[:300], "total": (time.monotonic() - t0) * 1000})
    return out


def grade_series(runner, grader, spec, files, runs: int, deadline: Deadline, label: str, pace: float = 0.0,
                 on_run=None, before_run=None) -> list[dict]:
    """`runs` gradings by our runner: plan + run + judge, a row each (ms, warm or not, verdict, the steps as the
    entry process timed them). A SandboxError (e.g. another process on this engine removed our container) is a
    row with "error" and the series goes on. `on_run(row, result, grade)` may change the row, or return another
    one to record instead. `before_run()`, before each run but the first, returns seconds waited (for a pool's
    refill: the row's "waited_ms"); `pace` seconds follow it."""
    from sandboxes.container import SandboxError

    out = []
    for i in range(runs):
        deadline.check(f"the {label} series")
        waited = before_run() if before_run is not None and i else None
        if pace and i:
            time.sleep(pace)
        t0 = time.monotonic()
        plan = grader.plan(spec, files)
        t1 = time.monotonic()
        try:
            result = runner.run(plan)
        except SandboxError as exc:
            out.append({"error": str(exc)[:300], "total": (time.monotonic() - t0) * 1000})
            continue
        t2 = time.monotonic()
        grade = grader.judge(spec, plan, result)
        t3 = time.monotonic()
        row = {"total": (t3 - t0) * 1000, "plan": (t1 - t0) * 1000, "acquire": result.timings_ms["acquire"],
               "run": result.timings_ms["run"], "judge": (t3 - t2) * 1000, "warm": result.warm,
               "verdict": grade.verdict.value, "score": grade.score, "status": result.status,
               "steps": {step.name: step.duration_ms for step in result.steps}}
        if waited is not None:
            row["waited_ms"] = waited * 1000
        if on_run is not None:
            row = on_run(row, result, grade) or row
        out.append(row)
    return out


def passed_only(row: dict, result, grade) -> dict | None:
    """An on_run for grade_series: a reference solution not graded 'passed' is an error row."""
    if row["verdict"] != "passed":
        failed = [(c.id, c.status, c.message) for c in grade.checks if not c.passed]
        return {"error": f"{row['verdict']} (sandbox {row['status']}): {failed}"[:300], "total": row["total"]}
    return None


def wait_pool_ready(runner, timeout: float = 60.0, deadline: Deadline | None = None) -> float:
    """Seconds until every pool of the runner is full; TimeoutError after `timeout`."""
    t0 = time.monotonic()
    while True:
        pools = runner.stats()["pools"]
        if pools and all(p["ready"] >= p["size"] for p in pools):
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"warm pool not ready after {timeout:.0f} s: {pools}")
        if deadline is not None:
            deadline.check("the pool's prewarm")
        time.sleep(0.05)


def close_runners(runners: list) -> None:
    for runner in runners:
        try:
            runner.close()
        except Exception as exc:  # noqa: BLE001 - the others still close
            print(f"could not close a runner: {exc}", file=sys.stderr)
    runners.clear()


@contextmanager
def measuring(results: dict, client, run_id: str, runners: list):
    """Around a script's series: Ctrl-C / SIGTERM and the deadline end them and mark the results incomplete
    (`interrupted`, `timed_out`: exit 2) so what was measured is still reported; the runners are closed and the
    baseline's leftovers removed whatever happened."""
    t_start = time.monotonic()
    try:
        yield
    except KeyboardInterrupt:
        print("\ninterrupted: stopping what was started", file=sys.stderr)
        results["interrupted"] = True
    except TimeoutError as exc:
        print(f"\n{exc}: reporting what was measured", file=sys.stderr)
        results["timed_out"] = str(exc)
    finally:
        close_runners(runners)
        left = remove_bench_containers(client, run_id)
        if left:
            print(f"removed {left} leftover baseline container(s)", file=sys.stderr)
        client.close()
        results["elapsed_s"] = round(time.monotonic() - t_start, 1)


def incomplete(results: dict) -> bool:
    return bool(results.get("interrupted") or results.get("timed_out"))


def finish(results: dict, args, ok: bool) -> int:
    """Writes the JSON; the exit status: 2 incomplete, else 0 if every target was met, 1 if not."""
    write_json(args.json, results)
    if incomplete(results):
        return 2
    return 0 if ok else 1


def series_stats(series: dict, labels: dict, phases: dict, baseline: str | None = None, prefixes: dict | None = None,
                 step_label: str = "step '{}'", warm_split=(), counts: bool = True, extra=None):
    """The round-trip table's rows (label, stats, with `counts` warm hits and errors, then `extra(key)`'s
    cells), the phase table's rows (`phases[key]`'s phases, then ours' steps, then for `warm_split` keys the
    totals of warm hits and pool misses apart), and the summary: per key total_ms, errors, warm_hits (None for
    the baseline) and one entry per phase-table row. Error rows count as errors only."""
    prefixes = prefixes or {}
    rows, phase_rows, summary = [], [], {}
    for key, label in labels.items():
        if not series.get(key):
            continue
        runs = [r for r in series[key] if "error" not in r]
        errors = len(series[key]) - len(runs)
        ours = key != baseline
        warm = sum(1 for r in runs if r.get("warm"))
        totals = [r["total"] for r in runs]
        cells = [f"{warm}/{len(runs)}" if ours else "-", errors] if counts else []
        rows.append(stats_row(label, totals, *cells, *(extra(key) if extra else ())))
        entry = summary[key] = {"total_ms": summarize(totals), "errors": errors, "warm_hits": warm if ours else None}
        prefix = prefixes.get(key, label)
        for phase in phases.get(key, ()):
            values = [r[phase] for r in runs]
            phase_rows.append(stats_row(f"{prefix}: {phase}", values))
            entry[f"{phase}_ms"] = summarize(values)
        if ours:
            for name in sorted({name for r in runs for name in r.get("steps", {})}):
                values = [r["steps"][name] for r in runs if name in r.get("steps", {})]
                phase_rows.append(stats_row(f"{prefix}: {step_label.format(name)}", values))
                entry[f"step_{name}_ms"] = summarize(values)
        if key in warm_split:
            for name, subset in (("warm hits", [r for r in runs if r["warm"]]),
                                 ("pool misses", [r for r in runs if not r["warm"]])):
                values = [r["total"] for r in subset]
                phase_rows.append(stats_row(f"{prefix}: total, {name} only", values))
                entry[f"total_{name.replace(' ', '_')}_ms"] = summarize(values)
    return rows, phase_rows, summary


def print_errors(series: dict, labels: dict) -> int:
    """The first platform-side error of each series (left out of the figures); returns how many there were."""
    count = 0
    for key, label in labels.items():
        errors = [r["error"] for r in series.get(key, []) if "error" in r]
        count += len(errors)
        if errors:
            print(f"  {label}: {len(errors)} error(s), the first: {errors[0]}")
    return count


# --- the two-container kinds (http-service, fullstack): the learner's server and a prober beside it ---------

COLD_WARM_LABELS = {"ours_cold": "(b) ours, cold (pool 0)", "ours_warm": "(c) ours, warm pool"}
OURS_PHASES = ("acquire", "run", "judge")


def write_files_script(files: dict[str, str], then: str) -> str:
    """A sh script writing `files` (their folders made) through quoted here-documents, then exec'ing `then`:
    the service entry's work before the server starts, without an interpreter of our own in front of it."""
    folders = sorted({name.rsplit("/", 1)[0] for name in files if "/" in name})
    lines = [f"mkdir -p {' '.join(folders)}"] if folders else []
    for name, text in files.items():
        lines.append(f"cat > {name} <<'LMS_BENCH_EOF'\n{text}\nLMS_BENCH_EOF")
    return "\n".join([*lines, f"exec {then}"])


def wait_for_port_source(port: int) -> str:
    """Python source for a probe container: wait (10 s at most) until the app listens on 127.0.0.1:port."""
    lines = ["import socket, sys, time", "deadline = time.monotonic() + 10", "while True:", "    try:",
             f"        socket.create_connection(('127.0.0.1', {port}), timeout=0.2).close()", "        break",
             "    except OSError:", "        if time.monotonic() > deadline:", "            sys.exit('not ready')",
             "        time.sleep(0.02)"]
    return "".join(f"{line}\n" for line in lines)


def start_app(client, limits, run_id: str, files: dict[str, str], command: str = "python3 -u app.py") -> str:
    """The learner's server as a plain hardened container of the service image, its files written in; started.
    Returns its id (the caller removes it)."""
    from sandboxes.container import create_container

    kwargs = plain_run_kwargs(limits, run_id, command=["sh", "-c", write_files_script(files, command)])
    kwargs.update(image=SERVICE_IMAGE, working_dir="/work")
    app_id = create_container(client, kwargs)
    try:
        client.api.start(app_id)
    except BaseException:
        client.api.remove_container(app_id, force=True)
        raise
    return app_id


def run_beside(client, app_id: str, limits, run_id: str, image: str, command: list[str],
               environment: dict | None = None) -> None:
    """A plain hardened container of `image` in the app's network namespace, run to its exit and removed;
    raises unless it exited 0."""
    from sandboxes.container import create_container

    kwargs = plain_run_kwargs(limits, run_id, command=command, network_of=app_id)
    kwargs["image"] = image
    if environment:
        kwargs["environment"] = environment
    api = client.api
    probe_id = create_container(client, kwargs)
    try:
        api.start(probe_id)
        status = api.wait(probe_id, timeout=60)
        if status.get("StatusCode") != 0:
            raise RuntimeError(f"probe container exited with {status}")
    finally:
        api.remove_container(probe_id, force=True)


def time_pair(client, limits, run_id: str, files: dict[str, str], probe, phase: str) -> dict:
    """One baseline run: the app's container started with `files`, `probe(app_id)` (containers beside it), the
    app removed. Times in ms: start, `phase` (the probe), remove, total."""
    t0 = time.monotonic()
    app_id = start_app(client, limits, run_id, files)
    try:
        t1 = time.monotonic()
        probe(app_id)
        t2 = time.monotonic()
    finally:
        client.api.remove_container(app_id, force=True)
    t3 = time.monotonic()
    return {"start": (t1 - t0) * 1000, phase: (t2 - t1) * 1000, "remove": (t3 - t2) * 1000,
            "total": (t3 - t0) * 1000}


def pair_roundtrip(benchmark: str, args, spec, files, baseline, intro: str, **fields) -> dict:
    """The series of a two-container kind: (a) `baseline(client, run_id)` -> its row, then (b) our runner's
    cold path (pool_size=0) and (c) its warm pool of args.pool_size learner containers (prewarmed once, full
    again before the measured series); args.warmup unmeasured runs before each series, and the reference solution
    graded other than 'passed' is an error. Returns the results (series plain_pair, ours_cold, ours_warm)."""
    from graders import get_grader
    from sandboxes.runner import SandboxRunner

    deadline, client = start_run(args)
    grader = get_grader(spec.kind)
    run_id = f"{benchmark.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    runners = []
    results = results_header(benchmark, args, series={}, **fields)
    with measuring(results, client, run_id, runners):
        print(f"{intro}, {results['machine'].get('cpus')} CPUs, load average {results['load_average_start']}")

        def measure():
            return baseline(client, run_id)

        timed_series(measure, args.warmup, deadline, "plain docker pair warm-up")
        results["series"]["plain_pair"] = timed_series(measure, args.runs, deadline, "plain docker pair")
        print("  (a) plain docker run pair: done")

        cold = SandboxRunner(pool_size=0, owner=f"{run_id}-cold", **runner_kwargs(run_id))
        runners.append(cold)
        grade_series(cold, grader, spec, files, args.warmup, deadline, "cold warm-up", on_run=passed_only)
        results["series"]["ours_cold"] = grade_series(cold, grader, spec, files, args.runs, deadline, "cold",
                                                      on_run=passed_only)
        cold.close()
        runners.remove(cold)
        print("  (b) runner, cold path: done")

        warm = SandboxRunner(pool_size=args.pool_size, owner=f"{run_id}-warm", **runner_kwargs(run_id))
        runners.append(warm)
        warm.prewarm(grader.image, spec.limits, spec.runtime)
        results["prewarm_s"] = round(wait_pool_ready(warm, deadline=deadline), 2)
        grade_series(warm, grader, spec, files, args.warmup, deadline, "warm warm-up", on_run=passed_only)
        wait_pool_ready(warm, deadline=deadline)
        results["series"]["ours_warm"] = grade_series(warm, grader, spec, files, args.runs, deadline, "warm",
                                                      on_run=passed_only)
        results["warm_pool_stats"] = warm.stats()
        print("  (c) runner, warm pool: done")
    return results


def pair_report(results: dict, baseline_label: str, baseline_phases: tuple, phases_title: str = "Phases (ms)"):
    """Prints the round-trip and phase tables of pair_roundtrip's series; returns the summary."""
    labels = {"plain_pair": baseline_label, **COLD_WARM_LABELS}
    phases = {"plain_pair": baseline_phases, "ours_cold": OURS_PHASES, "ours_warm": OURS_PHASES}
    prefixes = {key: label.split(",")[0] for key, label in labels.items()}
    rows, phase_rows, summary = series_stats(results["series"], labels, phases, baseline="plain_pair",
                                             prefixes=prefixes)
    print_errors(results["series"], labels)
    print_table([*STATS_HEADERS, "warm", "errors"], rows, title="Round trip (ms)")
    print_table(STATS_HEADERS, phase_rows, title=phases_title)
    return summary


# --- a throw-away LMS stack -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return sock.getsockname()[1]


class StackRefused(RuntimeError):
    """Starting the stack would harm something else on this machine."""


class Stack:
    """SQLite in a temp folder, a Redis DB number (flushed at start and end), optionally gunicorn on a free
    127.0.0.1 port, and grading workers. `start()` then `stop()` (always, in a finally)."""

    LOCK_KEY = "lms:bench:lock"

    def __init__(self, label: str, redis_db: int, workers: int = 2, pool_size: int = 2, web_workers: int = 0,
                 allow_reap: bool = False, keep_tmp: bool = False, foreign_wait: float = 60.0):
        self.label = label
        self.redis_db = redis_db
        self.n_workers = workers
        self.pool_size = pool_size
        self.web_workers = web_workers
        self.allow_reap = allow_reap
        self.foreign_wait = foreign_wait
        self.keep_tmp = keep_tmp
        self.run_id = f"{label}-{uuid.uuid4().hex[:6]}"
        self.worker_prefix = f"bench-{self.run_id}-"
        self.tmp: Path | None = None
        self.env: dict = {}
        self.extra_env: dict = {}  # LMS_* settings of this stack (a benchmark's variant)
        self.procs: list[tuple[str, subprocess.Popen, object]] = []
        self.redis = None
        self.docker = None
        self.port: int | None = None
        self.app = None
        self.redis_url = f"redis://{LOCALHOST}:6379/{redis_db}"
        self.timings: dict[str, float] = {}

    @property
    def worker_names(self) -> list[str]:
        return [f"{self.worker_prefix}{i + 1}" for i in range(self.n_workers)]

    @property
    def base_url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.tmp / "lms.sqlite"

    # --- start -------------------------------------------------------------------------------------------

    def start(self, deadline: Deadline) -> None:
        import docker
        from redis import Redis

        self.docker = docker.from_env(timeout=60)
        self.redis = Redis.from_url(self.redis_url, socket_timeout=10)
        live = [k.decode() for k in self.redis.scan_iter(match="lms:sandbox-owner:*", count=1000)]
        if live and not self.redis.exists(self.LOCK_KEY):
            raise StackRefused(f"Redis DB {self.redis_db} is in use by live grading workers ({', '.join(live[:3])}"
                               f"{' ...' if len(live) > 3 else ''}): not flushing it; pick another with --redis-db")
        if not self.redis.set(self.LOCK_KEY, self.run_id, nx=True, ex=900):
            raise StackRefused(f"Redis DB {self.redis_db} is in use by another benchmark run "
                             f"({self.redis.get(self.LOCK_KEY)!r}); wait for it or flush that DB")
        self._locked = True
        self.redis.flushdb()
        self.redis.set(self.LOCK_KEY, self.run_id, ex=900)

        self.tmp = Path(tempfile.mkdtemp(prefix=f"lms-bench-{self.label}-"))
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LMS_")},
            "LMS_VAR": str(self.tmp),
            "LMS_DATABASE_URL": f"sqlite:///{self.db_path}",
            "LMS_REDIS_URL": self.redis_url,
            "LMS_SECRET_KEY": secrets.token_hex(16),
            "LMS_SANDBOX_PYTHON_IMAGE": PYTHON_IMAGE,
            "LMS_CONTENT_DIR": str(CONTENT_DIR),
            "PYTHONUNBUFFERED": "1",
            "NO_PROXY": LOCALHOST, "no_proxy": LOCALHOST,
            **self.extra_env,
        }
        t = time.monotonic()
        self._flask(["db", "upgrade"], deadline)
        self._flask(["lms", "import-content", str(CONTENT_DIR)], deadline)
        self.timings["setup_s"] = time.monotonic() - t

        # The in-process app (same env): accounts, tokens, enqueuing.
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("LMS_")})
        from lms import create_app

        self.app = create_app()
        quiet_logging()
        self._check_reaper(deadline)

        if self.web_workers:
            self.port = free_port()
            # As scripts/run.sh: threads, so long-polling requests wait without holding a whole worker.
            self._spawn("gunicorn", [str(VENV_BIN / "gunicorn"), "--workers", str(self.web_workers),
                                     "--worker-class", "gthread", "--threads", "16",
                                     "--bind", f"{LOCALHOST}:{self.port}", "--timeout", "60",
                                     "--graceful-timeout", "5", "wsgi:app"])
        for name in self.worker_names:
            self._spawn(name, [str(VENV_BIN / "flask"), "--app", "wsgi", "lms", "worker", "--name", name,
                               "--pool-size", str(self.pool_size)])
        t = time.monotonic()
        if self.web_workers:
            self._wait_http(deadline)
        self.wait_pools_warm(deadline)
        self.timings["warm_s"] = time.monotonic() - t

    def reaper_scope(self) -> str | None:
        """The scope our workers' reaper works in, if this version of the code has scopes."""
        try:
            from lms.grading.worker import sandbox_scope
        except ImportError:
            return None
        return sandbox_scope(self.app)

    def _check_reaper(self, deadline: Deadline) -> None:
        """Never let our workers' reaper remove someone else's sandboxes: wait (bounded) until there are none it
        could see, or refuse."""
        if self.allow_reap:
            return
        scope = self.reaper_scope()
        end = min(time.monotonic() + self.foreign_wait, deadline.end)
        while True:
            foreign = foreign_sandboxes(self.docker, self.worker_prefix, scope)
            if not foreign:
                return
            if time.monotonic() > end:
                raise StackRefused(
                    "refusing to start grading workers: their reaper would remove these sandbox containers of "
                    f"another LMS or test run on this engine: {', '.join(foreign[:5])}"
                    f"{' ...' if len(foreign) > 5 else ''} (still there after {self.foreign_wait:.0f} s; "
                    "stop it, or pass --allow-reap)")
            time.sleep(0.5)

    def _flask(self, args: list[str], deadline: Deadline) -> None:
        result = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=max(5.0, min(120.0, deadline.left())))
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.tmp / f"{name}.log", "wb")
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((name, proc, log))

    def cpu_groups(self) -> dict[str, int]:
        """Process group ids of what we started (each child leads its own group), for CpuMeter."""
        names = {name: f"grading worker {i + 1}" for i, name in enumerate(self.worker_names)}
        return {("web (gunicorn)" if name == "gunicorn" else names.get(name, name)): proc.pid
                for name, proc, _ in self.procs}

    def _check_alive(self) -> None:
        for name, proc, _ in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode} during start:\n{self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 30) -> str:
        try:
            return "\n".join((self.tmp / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _wait_http(self, deadline: Deadline) -> None:
        import requests

        while True:
            self._check_alive()
            deadline.check("the web server's start")
            try:
                response = requests.get(f"{self.base_url}/api/v1/submissions", timeout=2)
                if response.status_code == 401:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)

    def pool_states(self) -> dict[str, dict]:
        states = {}
        for name in self.worker_names:
            raw = self.redis.get(f"lms:pool:{name}")
            if raw:
                states[name] = json.loads(raw)
        return states

    def wait_pools_warm(self, deadline: Deadline, timeout: float = 90.0) -> None:
        """Every worker published (every 5 s) a pool with all its containers ready."""
        end = min(time.monotonic() + timeout, deadline.end)
        while True:
            self._check_alive()
            states = self.pool_states()
            if len(states) == self.n_workers and all(
                    (self.pool_size == 0 or (s.get("pools") and all(p["ready"] >= p["size"] for p in s["pools"])))
                    for s in states.values()):
                return
            if time.monotonic() > end:
                raise TimeoutError(f"pools not warm after {timeout:.0f} s: {states}")
            time.sleep(0.25)

    # --- in-process helpers ------------------------------------------------------------------------------

    def create_learners(self, count: int) -> list[tuple[int, str]]:
        """(user id, API token) of `count` new learner accounts."""
        from lms.auth.services import create_user, issue_api_token
        from lms.clock import utcnow
        from lms.deadlines.services import enrol_in_open_cohorts
        from lms.extensions import db

        out = []
        with self.app.app_context():
            for i in range(count):
                user = create_user(f"bench-learner-{i + 1}@bench.invalid", f"Bench learner {i + 1}",
                                   secrets.token_urlsafe(12), "learner")
                out.append((user.id, issue_api_token(user)))
            # Learners reach only their cohorts' published modules: these are in open cohorts publishing all.
            enrol_in_open_cohorts([user_id for user_id, _ in out], "Centre des mesures", "casablanca-settat",
                                  opens_at=utcnow())
            db.session.remove()
        return out

    def rows(self, ids: list[int] | None = None) -> list[dict]:
        """The submissions rows, read straight from SQLite."""
        connection = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        connection.row_factory = sqlite3.Row
        try:
            query = ("SELECT s.*, e.slug AS exercise_slug FROM submissions s "
                     "JOIN exercises e ON e.id = s.exercise_id ORDER BY s.id")
            rows = [dict(r) for r in connection.execute(query)]
        finally:
            connection.close()
        if ids is not None:
            wanted = set(ids)
            rows = [r for r in rows if r["id"] in wanted]
        return rows

    def count_open(self, ids: list[int]) -> int:
        """How many of these submissions are not final yet (a cheap query, for polling)."""
        connection = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            placeholders = ",".join("?" * len(ids))
            done = connection.execute(f"SELECT COUNT(*) FROM submissions WHERE id IN ({placeholders}) "
                                      "AND status IN ('completed', 'error')", ids).fetchone()[0]
        finally:
            connection.close()
        return len(ids) - done

    # --- stop --------------------------------------------------------------------------------------------

    def stop(self) -> list[str]:
        """TERM every process group, KILL what is left after 15 s, remove our containers, flush the Redis DB,
        remove the temp folder. Returns what it had to force."""
        notes = []
        for _, proc, _ in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        end = time.monotonic() + 15
        for name, proc, _ in self.procs:
            try:
                proc.wait(timeout=max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                notes.append(f"{name} did not stop in 15 s after SIGTERM: killed")
        for name, proc, log in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # also whatever is left in the group
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                notes.append(f"{name} (pid {proc.pid}) still there after SIGKILL")
            log.close()
        self.procs = []
        if self.docker is not None:
            left = remove_owner_prefix(self.docker, self.worker_prefix)
            if left:
                notes.append(f"removed {left} sandbox container(s) the workers left behind")
            self.docker.close()
        if self.app is not None:
            try:
                from lms.extensions import db

                with self.app.app_context():
                    db.engine.dispose()
            except Exception:  # noqa: BLE001
                pass
        if self.redis is not None and getattr(self, "_locked", False):
            try:
                holder = self.redis.get(self.LOCK_KEY)
                if holder not in (None, self.run_id.encode()):
                    notes.append(f"Redis DB {self.redis_db} now belongs to another run ({holder!r}): not flushed")
                else:
                    self.redis.flushdb()
            except Exception as exc:  # noqa: BLE001
                notes.append(f"could not flush Redis DB {self.redis_db}: {exc}")
            self.redis.close()
        if self.tmp is not None:
            if self.keep_tmp:
                notes.append(f"kept {self.tmp}")
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
        return notes


# --- noise on the shared engine -------------------------------------------------------------------------

def foreign_container_events(client, since: float, ours) -> dict:
    """Containers created / destroyed on this engine since `since` (time.time()) that are not ours: another
    test run or LMS on the same engine competes for the 2 cores and may reap sandboxes (worth knowing when
    reading the figures). `ours(attributes) -> bool` tells our containers apart by their labels."""
    counts = {"created": 0, "killed": 0}
    try:
        events = client.events(since=int(since), until=int(time.time()) + 1, decode=True,
                               filters={"type": "container"})
        for event in events:
            attributes = event.get("Actor", {}).get("Attributes", {})
            if ours(attributes):
                continue
            action = event.get("Action") or event.get("status")
            if action == "create":
                counts["created"] += 1
            elif action == "kill":
                counts["killed"] += 1
    except Exception as exc:  # noqa: BLE001 - informative only
        counts["error"] = str(exc)[:200]
    return counts


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def wait_quiet(client, ours, quiet_s: float = 2.0, max_wait_s: float = 20.0, max_busy_pct: float = 25.0) -> bool:
    """Wait (bounded) for a quiet machine: for `quiet_s`, no foreign container created or killed and the host's
    CPUs less than `max_busy_pct` busy. Other test runs share this engine and these CPUs; measuring on a quiet
    machine when possible makes the figures comparable. Returns False if it stayed busy (caller warns)."""
    end = time.monotonic() + max_wait_s
    while True:
        since, busy0, t0 = time.time(), _host_busy_seconds(), time.monotonic()
        time.sleep(quiet_s)
        busy_pct = 100 * (_host_busy_seconds() - busy0) / ((time.monotonic() - t0) * (os.cpu_count() or 1))
        counts = foreign_container_events(client, since, ours)
        if not counts.get("created") and not counts.get("killed") and busy_pct < max_busy_pct:
            return True
        if time.monotonic() >= end:
            return False


# --- where the CPU went ------------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ENGINE_COMMANDS = ("dockerd", "containerd")


def _proc_stats():
    """(pid, comm, pgid, cpu seconds of the process and its waited-for children) of every process."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                raw = handle.read().decode(errors="replace")
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        # fields[0] is state (field 3); pgrp is field 5, utime..cstime fields 14..17
        pgid = int(fields[2])
        cpu = sum(int(x) for x in fields[11:15]) / CLOCK_TICKS
        yield int(entry.name), comm, pgid, cpu


def _host_busy_seconds() -> float:
    with open("/proc/stat") as handle:
        values = [int(x) for x in handle.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / CLOCK_TICKS


def _containers_cpu_seconds() -> float | None:
    """CPU of every container of the engine (cgroup v1 cpuacct, or v2), dead ones included."""
    for path in ("/sys/fs/cgroup/cpuacct/docker/cpuacct.usage", "/sys/fs/cgroup/cpu,cpuacct/docker/cpuacct.usage"):
        try:
            return int(Path(path).read_text()) / 1e9
        except (OSError, ValueError):
            pass
    for path in ("/sys/fs/cgroup/system.slice/cpu.stat", "/sys/fs/cgroup/docker/cpu.stat"):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith("usage_usec"):
                    return int(line.split()[1]) / 1e6
        except (OSError, ValueError):
            pass
    return None


class CpuMeter:
    """CPU seconds spent during a window, by who spent them: our process groups (web server, workers), this
    benchmark process (the simulated clients), the container engine, the containers, and the rest."""

    def __init__(self, groups: dict[str, int]):
        self.groups = groups  # label -> process group id
        self.start_snapshot = None

    def snapshot(self) -> dict:
        by_group = {label: 0.0 for label in self.groups}
        engine = 0.0
        pgids = {pgid: label for label, pgid in self.groups.items()}
        for pid, comm, pgid, cpu in _proc_stats():
            if pgid in pgids:
                by_group[pgids[pgid]] += cpu
            elif comm in ENGINE_COMMANDS:
                engine += cpu
        own = os.times()
        return {"wall": time.monotonic(), "host": _host_busy_seconds(), "containers": _containers_cpu_seconds(),
                "engine": engine, "bench": own.user + own.system, "groups": by_group}

    def start(self) -> None:
        self.start_snapshot = self.snapshot()

    def stop(self) -> dict:
        """Seconds of CPU per category, and as a share of the machine's capacity during the window."""
        a, b = self.start_snapshot, self.snapshot()
        wall = b["wall"] - a["wall"]
        capacity = wall * (os.cpu_count() or 1)
        spent = {f"ours: {label}": b["groups"][label] - a["groups"].get(label, 0.0) for label in b["groups"]}
        spent["this benchmark (clients)"] = b["bench"] - a["bench"]
        spent["docker engine (dockerd, containerd)"] = b["engine"] - a["engine"]
        if a["containers"] is not None and b["containers"] is not None:
            spent["containers (all on the engine)"] = b["containers"] - a["containers"]
        host = b["host"] - a["host"]
        spent["other (runc, shims, kernel, other processes)"] = max(0.0, host - sum(spent.values()))
        return {"wall_s": round(wall, 2), "cpus": os.cpu_count(), "host_busy_s": round(host, 2),
                "host_busy_pct": round(100 * host / capacity, 1) if capacity else None,
                "by_category_s": {k: round(v, 2) for k, v in spent.items()},
                "by_category_pct_of_capacity": {k: round(100 * v / capacity, 1) if capacity else None
                                                for k, v in spent.items()}}


def print_cpu(cpu: dict, title: str) -> None:
    rows = [[k, v, cpu["by_category_pct_of_capacity"][k]] for k, v in cpu["by_category_s"].items()]
    rows.append(["host total busy", cpu["host_busy_s"], cpu["host_busy_pct"]])
    print_table(["", "CPU s", f"% of {cpu['cpus']} CPUs"], rows, title=f"{title} ({cpu['wall_s']} s window)")


def warm_job_roundtrip(argv, doc: str, *, name: str, kind: str, image_key: str, image: str, exercise: str,
                       target_ms: float, step_label: str, adjust_spec=None, pool_size: int = 2,
                       pace: float = 0.5, wait_refill: bool = False) -> int:
    """One grading round trip of a kind's exercise (javascript, sql-query, data-analysis), warm, beside a cold
    `docker run -i --rm` of its image doing the same job, in one run (the scripts' shared body: see
    javascript_roundtrip.py). `adjust_spec(spec)` may narrow the exercise's spec to the job measured;
    `wait_refill`: each warm run waits for the pool's refill first (a kind whose pool member takes seconds to
    start), the wait printed apart."""
    import argparse
    import uuid

    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    add_bench_arguments(parser, runs=40, quiet_wait=20, pool_size=pool_size, pace=pace, exercise=exercise)
    args = parse_bench_args(parser, argv, max_runs=1000)

    from graders import get_grader
    from lms.catalog.content import load_exercise
    from sandboxes.runner import SandboxRunner

    folders = sorted(CONTENT_DIR.glob(f"*/*/{args.exercise}/exercise.yaml"))
    if not folders:
        parser.error(f"no exercise {args.exercise!r} in {CONTENT_DIR}")
    loaded = load_exercise(folders[0].parent)  # this one only: the rest of the library may be work in progress
    spec = loaded.grading_spec()
    if adjust_spec is not None:
        adjust_spec(spec)
    grader = get_grader(spec.kind)
    if grader.kind != kind:
        parser.error(f"{args.exercise} is a {grader.kind} exercise, not {kind}")
    files = {file: loaded.solution_files[file] for file in spec.files}
    run_id = f"{name.replace('_', '')[:12]}-{uuid.uuid4().hex[:8]}"
    ours = owned_by(run_id)
    deadline, client = start_run(args)
    results = results_header(name, args, exercise=loaded.slug, image=image, series={})
    runners = []
    with measuring(results, client, run_id, runners):
        print(f"{kind} round trip: {args.runs} runs per series, exercise {loaded.slug}, image {image}, "
              f"{results['machine'].get('cpus')} CPUs, load average {results['load_average_start']}")
        # (a) the image's own entry process, cold, doing the same job
        kwargs = {**plain_run_kwargs(spec.limits, run_id, command=[], stdin_open=True), "image": image}
        job = graded_job_bytes(loaded, spec)
        timed_series(lambda: plain_docker_run(client, kwargs, stdin=job), args.warmup, deadline, "baseline warm-up")
        settle(client, ours, args.quiet_wait)
        results["series"]["cold_docker_run"] = timed_series(lambda: plain_docker_run(client, kwargs, stdin=job),
                                                            args.runs, deadline, "baseline")
        print("  (a) cold docker run -i --rm, same job: done")

        # (b) our warm pool, paced
        runner = SandboxRunner(pool_size=args.pool_size, images={image_key: image}, owner=f"{run_id}-warm",
                               **runner_kwargs(run_id))
        runners.append(runner)
        runner.prewarm(grader.image, spec.limits, spec.runtime)
        results["prewarm_s"] = round(wait_pool_ready(runner, deadline=deadline), 2)
        grade_series(runner, grader, spec, files, args.warmup, deadline, "warm warm-up", pace=args.pace)
        wait_pool_ready(runner, deadline=deadline)
        settle(client, ours, args.quiet_wait)
        refill = (lambda: wait_pool_ready(runner, deadline=deadline)) if wait_refill else None
        results["series"]["warm_paced"] = grade_series(runner, grader, spec, files, args.runs, deadline, "warm paced",
                                                       pace=args.pace, before_run=refill)
        results["warm_pool_stats"] = runner.stats()
        print(f"  (b) runner, warm pool of {args.pool_size}, paced {args.pace} s: done")

    series = results["series"]
    labels = {"cold_docker_run": "(a) baseline: cold docker run -i --rm, same job",
              "warm_paced": f"(b) ours: warm pool, paced {args.pace} s"}
    rows, phase_rows, summary = series_stats(series, labels, {"warm_paced": ("acquire", "run", "judge")},
                                             baseline="cold_docker_run", prefixes={"warm_paced": "(b)"},
                                             step_label=step_label, warm_split=("warm_paced",), counts=False)
    print_table(STATS_HEADERS, rows, title=f"One grading round trip of {results['exercise']}, ms")
    print_table(STATS_HEADERS, phase_rows, title="Where the warm round trip goes, ms")
    bad = [r for r in series.get("warm_paced", []) if "error" in r or r["verdict"] != "passed"]
    if bad:
        print(f"\n{len(bad)} warm run(s) not 'passed' with the reference solution: {bad[:3]}")
    print(f"prewarm of the pool: {results.get('prewarm_s')} s")
    waits = [r["waited_ms"] for r in series.get("warm_paced", []) if "waited_ms" in r]
    if waits:
        print(f"wait for the pool's refill before a warm run: p50 {percentile(waits, 50):.0f} ms (not counted)")
    p50 = summary.get("warm_paced", {}).get("total_ms", {}).get("p50")
    ok = p50 is not None and p50 <= target_ms and not bad
    print(f"{verdict(ok)}  warm paced p50 {p50} ms (target <= {target_ms:.0f} ms); baseline p50 "
          f"{summary.get('cold_docker_run', {}).get('total_ms', {}).get('p50')} ms")
    results["summary"] = summary
    results["checks"] = {"warm_paced": {"target": f"p50 <= {target_ms:.0f} ms", "p50_ms": p50, "pass": ok}}
    return finish(results, args, ok)
