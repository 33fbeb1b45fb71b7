#!/usr/bin/env python3
"""One grading round trip of a javascript function exercise, warm, beside its baseline measured in the same run.

  (a) baseline: a cold `docker run -i --rm` of the node sandbox image with the sandbox's hardening, its entry
      process fed the same job (the reference solution's visible and hidden calls), read to the end;
  (b) our runner with its warm pool (pool_size >= 1, prewarmed once), paced (0.5 s between runs, what a learner
      clicking "submit" sees): plan + run + judge.

Each step boots node from the harness's V8 startup snapshot (sandboxes/images/node/runtime/harness.js); a function
exercise has two (the visible examples, then the hidden checks, in a fresh process each). Target: warm p50 <= 150 ms.

    .venv/bin/python benchmarks/javascript_roundtrip.py [--runs 40] [--pace 0.5] [--exercise tableaux-chaines]
"""
from __future__ import annotations

import argparse
import os
import sys
import uuid

from benchlib import (CONTENT_DIR, STATS_HEADERS, add_bench_arguments, finish, grade_series, graded_job_bytes,
                      measuring, owned_by, parse_bench_args, plain_docker_run, plain_run_kwargs, print_table,
                      results_header, runner_kwargs, series_stats, settle, start_run, timed_series, verdict,
                      wait_pool_ready)

NODE_IMAGE = os.environ.get("LMS_SANDBOX_NODE_IMAGE", "lms/sandbox-node:latest")
TARGET_WARM_P50_MS = 150.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_bench_arguments(parser, runs=40, quiet_wait=20, pool_size=2, pace=0.5, exercise="tableaux-chaines")
    args = parse_bench_args(parser, argv, max_runs=1000)

    from graders import get_grader
    from lms.catalog.content import load_exercise
    from sandboxes.runner import SandboxRunner

    folders = sorted(CONTENT_DIR.glob(f"*/*/{args.exercise}/exercise.yaml"))
    if not folders:
        parser.error(f"no exercise {args.exercise!r} in {CONTENT_DIR}")
    exercise = load_exercise(folders[0].parent)  # this one only: the rest of the library may be work in progress
    spec = exercise.grading_spec()
    grader = get_grader(spec.kind)
    if grader.kind != "javascript":
        parser.error(f"{args.exercise} is a {grader.kind} exercise")
    files = {name: exercise.solution_files[name] for name in spec.files}
    run_id = f"jsroundtrip-{uuid.uuid4().hex[:8]}"
    ours = owned_by(run_id)
    deadline, client = start_run(args)
    results = results_header("javascript_roundtrip", args, exercise=exercise.slug, image=NODE_IMAGE, series={})
    runners = []
    with measuring(results, client, run_id, runners):
        print(f"javascript round trip: {args.runs} runs per series, exercise {exercise.slug}, image {NODE_IMAGE}, "
              f"{results['machine'].get('cpus')} CPUs, load average {results['load_average_start']}")
        # (a) the image's own entry process, cold, doing the same job
        kwargs = {**plain_run_kwargs(spec.limits, run_id, command=[], stdin_open=True), "image": NODE_IMAGE}
        job = graded_job_bytes(exercise)
        timed_series(lambda: plain_docker_run(client, kwargs, stdin=job), args.warmup, deadline, "baseline warm-up")
        settle(client, ours, args.quiet_wait)
        results["series"]["cold_docker_run"] = timed_series(lambda: plain_docker_run(client, kwargs, stdin=job),
                                                            args.runs, deadline, "baseline")
        print("  (a) cold docker run -i --rm, same job: done")

        # (b) our warm pool, paced
        runner = SandboxRunner(pool_size=args.pool_size, images={"node": NODE_IMAGE}, owner=f"{run_id}-warm",
                               **runner_kwargs(run_id))
        runners.append(runner)
        runner.prewarm(grader.image, spec.limits, spec.runtime)
        results["prewarm_s"] = round(wait_pool_ready(runner, deadline=deadline), 2)
        grade_series(runner, grader, spec, files, args.warmup, deadline, "warm warm-up", pace=args.pace)
        wait_pool_ready(runner, deadline=deadline)
        settle(client, ours, args.quiet_wait)
        results["series"]["warm_paced"] = grade_series(runner, grader, spec, files, args.runs, deadline, "warm paced",
                                                       pace=args.pace)
        results["warm_pool_stats"] = runner.stats()
        print(f"  (b) runner, warm pool of {args.pool_size}, paced {args.pace} s: done")
    return report(results, args)


def report(results: dict, args) -> int:
    series = results["series"]
    labels = {"cold_docker_run": "(a) baseline: cold docker run -i --rm, same job",
              "warm_paced": f"(b) ours: warm pool, paced {args.pace} s"}
    rows, phase_rows, summary = series_stats(series, labels, {"warm_paced": ("acquire", "run", "judge")},
                                             baseline="cold_docker_run", prefixes={"warm_paced": "(b)"},
                                             step_label="step '{}' in the box (node boot included)",
                                             warm_split=("warm_paced",), counts=False)
    print_table(STATS_HEADERS, rows, title=f"One grading round trip of {results['exercise']}, ms")
    print_table(STATS_HEADERS, phase_rows, title="Where the warm round trip goes, ms")
    bad = [r for r in series.get("warm_paced", []) if "error" in r or r["verdict"] != "passed"]
    if bad:
        print(f"\n{len(bad)} warm run(s) not 'passed' with the reference solution: {bad[:3]}")
    print(f"prewarm of the pool: {results.get('prewarm_s')} s")
    p50 = summary.get("warm_paced", {}).get("total_ms", {}).get("p50")
    ok = p50 is not None and p50 <= TARGET_WARM_P50_MS and not bad
    print(f"{verdict(ok)}  warm paced p50 {p50} ms (target <= {TARGET_WARM_P50_MS:.0f} ms); baseline p50 "
          f"{summary.get('cold_docker_run', {}).get('total_ms', {}).get('p50')} ms")
    results["summary"] = summary
    results["checks"] = {"warm_paced": {"target": f"p50 <= {TARGET_WARM_P50_MS:.0f} ms", "p50_ms": p50, "pass": ok}}
    return finish(results, args, ok)


if __name__ == "__main__":
    sys.exit(main())
