#!/usr/bin/env python3
"""One http-service grading round trip (the learner's Flask server started, 8 requests, one restart of the server),
side by side with the same work done by plain hardened containers.

  (a) baseline: a plain `docker run` pair with the sandbox's hardening: the app's container (`python3 app.py`),
      a probe container joining its network namespace (wait for the port, 4 requests), `docker restart` of the
      app's container, a second probe container (4 requests), everything removed;
  (b) our runner, cold path (pool_size=0): plan + run + judge (the learner's container and the prober's, cold);
  (c) our runner with its warm pool of learner containers (pool_size=2; the prober's container is always cold),
      back to back.

The exercise is routes-json's reference solution, with one visible check of 4 requests, a restart and 4 more
requests (one phase, so the figure is "start + 8 requests + one restart"). Target: warm p50 <= 1.5 s.

    .venv/bin/python benchmarks/http_service_roundtrip.py [--runs 20] [--json out.json]
"""
from __future__ import annotations

import argparse
import sys
import time
import uuid

from benchlib import (CONTENT_DIR, STATS_HEADERS, Deadline, plain_run_kwargs, print_table, quiet_logging,
                      remove_bench_containers, results_header, runner_kwargs, sigterm_as_interrupt, stats_row,
                      summarize, verdict, write_json)
from sandboxes.container import SandboxError, create_container  # noqa: E402  (benchlib puts the repo on sys.path)

TARGET_WARM_P50_MS = 1500.0
SERVICE_IMAGE = "lms/sandbox-service:latest"
PORT = 5000
ROUND = [  # the 4 requests of each round: (method, path, JSON body, expected status)
    ("GET", "/api/status", None, 200),
    ("GET", "/api/hello/Ada", None, 200),
    ("POST", "/api/sum", {"a": 2, "b": 3}, 200),
    ("GET", "/api/nowhere", None, 404),
]
PROBE_SCRIPT = f"""
import http.client, json, socket, sys, time
deadline = time.monotonic() + 10
while True:
    try:
        socket.create_connection(("127.0.0.1", {PORT}), timeout=0.2).close()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("not ready")
        time.sleep(0.02)
for method, path, body, status in {ROUND!r}:
    connection = http.client.HTTPConnection("127.0.0.1", {PORT}, timeout=2)
    connection.request(method, path, body=json.dumps(body) if body else None,
                       headers={{"Content-Type": "application/json", "Connection": "close"}})
    answer = connection.getresponse()
    answer.read()
    if answer.status != status:
        sys.exit(f"{{method}} {{path}}: {{answer.status}}")
"""


def bench_spec():
    """routes-json with one visible check: 4 requests, a restart, 4 requests (no hidden phase)."""
    from graders.base import ExerciseSpec
    from lms.catalog.content import load_exercise

    exercise = load_exercise(CONTENT_DIR / "back-end" / "json-api" / "routes-json")
    spec = exercise.grading_spec()
    requests = [{"request": {"method": m, "path": p, **({"json": b} if b else {})}, "expect": {"status": s}}
                for m, p, b, s in ROUND]
    check = {"id": "round-trip", "name": "round trip", "hidden": False,
             "steps": [*requests, {"restart": True}, *requests]}
    spec = ExerciseSpec.from_dict({**spec.to_dict(), "checks": [check]})
    return spec, {name: exercise.solution_files[name] for name in spec.files}


def plain_pair(client, limits, run_id: str, app: str) -> dict:
    """The baseline: the app's container and two probe containers in its network namespace, with a restart."""
    api = client.api
    app_kwargs = plain_run_kwargs(limits, run_id, command=["sh", "-c", 'cat > app.py <<"EOF"\n' + app +
                                                           '\nEOF\nexec python3 -u app.py'])
    app_kwargs.update(image=SERVICE_IMAGE, working_dir="/work")
    t0 = time.monotonic()
    app_id = create_container(client, app_kwargs)
    try:
        api.start(app_id)
        t1 = time.monotonic()
        for number in (1, 2):
            if number == 2:
                api.restart(app_id, timeout=0)
            probe_kwargs = plain_run_kwargs(limits, run_id, command=["python3", "-c", PROBE_SCRIPT])
            probe_kwargs.update(image=SERVICE_IMAGE, network_mode=f"container:{app_id}", network_disabled=False)
            del probe_kwargs["hostname"]
            probe_id = create_container(client, probe_kwargs)
            try:
                api.start(probe_id)
                status = api.wait(probe_id, timeout=60)
                if status.get("StatusCode") != 0:
                    raise RuntimeError(f"probe failed: {api.logs(probe_id)[-300:]!r}")
            finally:
                api.remove_container(probe_id, force=True)
        t2 = time.monotonic()
    finally:
        api.remove_container(app_id, force=True)
    t3 = time.monotonic()
    return {"start": (t1 - t0) * 1000, "probe": (t2 - t1) * 1000, "remove": (t3 - t2) * 1000,
            "total": (t3 - t0) * 1000}


def run_plain(client, limits, run_id, app, runs, deadline) -> list[dict]:
    out = []
    for _ in range(runs):
        deadline.check("the plain docker pair series")
        t0 = time.monotonic()
        try:
            out.append(plain_pair(client, limits, run_id, app))
        except Exception as exc:  # noqa: BLE001 - counted and shown, the series goes on
            out.append({"error": str(exc)[:300], "total": (time.monotonic() - t0) * 1000})
    return out


def run_ours(runner, grader, spec, files, runs, deadline, label) -> list[dict]:
    out = []
    for _ in range(runs):
        deadline.check(f"the {label} series")
        t0 = time.monotonic()
        plan = grader.plan(spec, files)
        try:
            result = runner.run(plan)
        except SandboxError as exc:
            out.append({"error": str(exc)[:300], "total": (time.monotonic() - t0) * 1000})
            continue
        t1 = time.monotonic()
        grade = grader.judge(spec, plan, result)
        t2 = time.monotonic()
        if grade.verdict != "passed":
            out.append({"error": f"{grade.verdict}: {[(c.id, c.message) for c in grade.checks]}"[:300],
                        "total": (t2 - t0) * 1000})
            continue
        out.append({"total": (t2 - t0) * 1000, "acquire": result.timings_ms["acquire"],
                    "run": result.timings_ms["run"], "judge": (t2 - t1) * 1000, "warm": result.warm,
                    "steps": {step.name: step.duration_ms for step in result.steps}})
    return out


def wait_pool_ready(runner, size, timeout=60.0) -> float:
    t0 = time.monotonic()
    while not runner.wait_warm(0.1):
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"warm pool not ready after {timeout:.0f} s: {runner.stats()['pools']}")
    return time.monotonic() - t0


LABELS = {"plain_pair": "(a) plain docker run pair + restart",
          "ours_cold": "(b) ours, cold (pool 0)",
          "ours_warm": "(c) ours, warm pool"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each series (default 20)")
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured runs before each series (default 2)")
    parser.add_argument("--max-seconds", type=float, default=300, help="hard bound of the whole run (default 300)")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 500:
        parser.error("--runs must be between 1 and 500")

    sigterm_as_interrupt()
    import docker

    from graders import get_grader
    from sandboxes.runner import SandboxRunner

    quiet_logging()
    deadline = Deadline(args.max_seconds)
    spec, files = bench_spec()
    grader = get_grader(spec.kind)
    run_id = f"http-roundtrip-{uuid.uuid4().hex[:8]}"
    client = docker.from_env(timeout=60)
    runners = []
    results = results_header("http_service_roundtrip", args, image=SERVICE_IMAGE, series={})
    t_start = time.monotonic()
    try:
        print(f"http-service round trip: {args.runs} runs per series, routes-json (start + 8 requests + 1 restart), "
              f"{results['machine'].get('cpus')} CPUs, load average {results['load_average_start']}")
        run_plain(client, spec.limits, run_id, files["app.py"], args.warmup, deadline)
        results["series"]["plain_pair"] = run_plain(client, spec.limits, run_id, files["app.py"], args.runs, deadline)
        print("  (a) plain docker run pair: done")

        cold = SandboxRunner(pool_size=0, owner=f"{run_id}-cold", **runner_kwargs(run_id))
        runners.append(cold)
        run_ours(cold, grader, spec, files, args.warmup, deadline, "cold warm-up")
        results["series"]["ours_cold"] = run_ours(cold, grader, spec, files, args.runs, deadline, "cold")
        cold.close()
        runners.remove(cold)
        print("  (b) runner, cold path: done")

        warm = SandboxRunner(pool_size=args.pool_size, owner=f"{run_id}-warm", **runner_kwargs(run_id))
        runners.append(warm)
        warm.prewarm(grader.image, spec.limits, spec.runtime)
        results["prewarm_s"] = round(wait_pool_ready(warm, args.pool_size), 2)
        run_ours(warm, grader, spec, files, args.warmup, deadline, "warm warm-up")
        wait_pool_ready(warm, args.pool_size)
        results["series"]["ours_warm"] = run_ours(warm, grader, spec, files, args.runs, deadline, "warm")
        results["warm_pool_stats"] = warm.stats()
        print("  (c) runner, warm pool: done")
    except KeyboardInterrupt:
        print("\ninterrupted: stopping what was started", file=sys.stderr)
        results["interrupted"] = True
    except TimeoutError as exc:
        print(f"\n{exc}: reporting what was measured", file=sys.stderr)
        results["timed_out"] = str(exc)
    finally:
        for runner in runners:
            try:
                runner.close()
            except Exception as exc:  # noqa: BLE001
                print(f"could not close a runner: {exc}", file=sys.stderr)
        left = remove_bench_containers(client, run_id)
        if left:
            print(f"removed {left} leftover baseline container(s)", file=sys.stderr)
        client.close()
    results["elapsed_s"] = round(time.monotonic() - t_start, 1)
    return report(results, args)


def report(results: dict, args) -> int:
    rows, phase_rows, summary = [], [], {}
    for key, label in LABELS.items():
        runs = [r for r in results["series"].get(key, []) if "error" not in r]
        errors = len(results["series"].get(key, [])) - len(runs)
        if not runs and not errors:
            continue
        is_ours = key.startswith("ours")
        warm = sum(1 for r in runs if r.get("warm"))
        rows.append(stats_row(label, [r["total"] for r in runs], f"{warm}/{len(runs)}" if is_ours else "-", errors))
        summary[key] = {"total_ms": summarize([r["total"] for r in runs]), "errors": errors}
        for phase in ("acquire", "run", "judge") if is_ours else ("start", "probe", "remove"):
            phase_rows.append(stats_row(f"{label.split(',')[0]}: {phase}", [r[phase] for r in runs]))
        if is_ours:
            for name in sorted({n for r in runs for n in r["steps"]}):
                phase_rows.append(stats_row(f"{label.split(',')[0]}: step '{name}'",
                                            [r["steps"][name] for r in runs if name in r["steps"]]))
        first_error = next((r["error"] for r in results["series"].get(key, []) if "error" in r), None)
        if first_error:
            print(f"  {label}: first error: {first_error}")
    print_table([*STATS_HEADERS, "warm", "errors"], rows, title="Round trip (ms)")
    print_table(STATS_HEADERS, phase_rows, title="Phases (ms)")
    warm_p50 = summary.get("ours_warm", {}).get("total_ms", {}).get("p50")
    ok = warm_p50 is not None and warm_p50 <= TARGET_WARM_P50_MS and not summary["ours_warm"]["errors"]
    print(f"\nwarm p50 {warm_p50} ms, target <= {TARGET_WARM_P50_MS:.0f} ms: {verdict(ok)}")
    results["summary"] = summary
    results["target"] = {"warm_p50_ms": TARGET_WARM_P50_MS, "ok": ok}
    write_json(args.json, results)
    if results.get("interrupted") or results.get("timed_out"):
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
