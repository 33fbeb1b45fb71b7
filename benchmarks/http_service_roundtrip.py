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

from benchlib import (CONTENT_DIR, SERVICE_IMAGE, add_bench_arguments, finish, pair_report, pair_roundtrip,
                      parse_bench_args, run_beside, time_pair, verdict, wait_for_port_source)

TARGET_WARM_P50_MS = 1500.0
PORT = 5000
ROUND = [  # the 4 requests of each round: (method, path, JSON body, expected status)
    ("GET", "/api/status", None, 200),
    ("GET", "/api/hello/Ada", None, 200),
    ("POST", "/api/sum", {"a": 2, "b": 3}, 200),
    ("GET", "/api/nowhere", None, 404),
]
PROBE_SCRIPT = wait_for_port_source(PORT) + f"""
import http.client, json
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
    def probe(app_id):
        run_beside(client, app_id, limits, run_id, SERVICE_IMAGE, ["python3", "-c", PROBE_SCRIPT])
        client.api.restart(app_id, timeout=0)
        run_beside(client, app_id, limits, run_id, SERVICE_IMAGE, ["python3", "-c", PROBE_SCRIPT])

    return time_pair(client, limits, run_id, {"app.py": app}, probe, "probe")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_bench_arguments(parser, runs=20, pool_size=2)
    args = parse_bench_args(parser, argv, max_runs=500)
    spec, files = bench_spec()
    results = pair_roundtrip(
        "http_service_roundtrip", args, spec, files,
        lambda client, run_id: plain_pair(client, spec.limits, run_id, files["app.py"]),
        f"http-service round trip: {args.runs} runs per series, routes-json (start + 8 requests + 1 restart)",
        image=SERVICE_IMAGE)
    return report(results, args)


def report(results: dict, args) -> int:
    summary = pair_report(results, "(a) plain docker run pair + restart", ("start", "probe", "remove"))
    warm_p50 = summary.get("ours_warm", {}).get("total_ms", {}).get("p50")
    ok = warm_p50 is not None and warm_p50 <= TARGET_WARM_P50_MS and not summary["ours_warm"]["errors"]
    print(f"\nwarm p50 {warm_p50} ms, target <= {TARGET_WARM_P50_MS:.0f} ms: {verdict(ok)}")
    results["summary"] = summary
    results["target"] = {"warm_p50_ms": TARGET_WARM_P50_MS, "ok": ok}
    return finish(results, args, ok)


if __name__ == "__main__":
    sys.exit(main())
