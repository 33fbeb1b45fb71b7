#!/usr/bin/env python3
"""Quiz and flag submissions over HTTP with 50 concurrent learners (issue 10's speed target for the kinds that
run no code), beside a plain authenticated read of the same stack under the same load (the baseline).

Starts its own stack (benchlib.Stack: temp folder, SQLite, Redis DB 12, gunicorn x4 gthread, 2 grading workers
without warm pools: these kinds start no container), creates `--learners` learner accounts with API tokens, and
each learner (a thread, e2e_latency.Learner) hands in its own correct answers (a quiz's answers.json for its
variant and shuffling, a challenge's flag derived for it) to the six enterprise quizzes and the three
cybersecurity challenges in rotation, waiting at least each exercise's cooldown, following each submission with
long-polling (`?wait=`) as the page does, and thinking `--think` s +- `--jitter` before the next one. After each
result it reads the submission once more (GET, timed): that plain read, in the same threads at the same moments,
is the baseline.

These kinds are graded in the request that hands them in (lms.grading.jobs.grade_in_request): the POST's answer
carries the result. `--queued` measures the path through the queue and a worker instead (long-polling for the
result), as before.

Target (issue 10): quiz and flag submission p95 <= 50 ms (submit -> graded result seen by the client).

    .venv/bin/python benchmarks/trusted_submissions.py [--learners 50] [--rounds 1] [--think 5] [--json out.json]
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import Counter

from benchlib import (STATS_HEADERS, CpuMeter, Deadline, Stack, load_exercises, print_cpu, print_table,
                      results_header, sigterm_as_interrupt, stats_row, summarize, verdict, write_json)
from e2e_latency import Learner

TARGET_P95_MS = 50.0
KINDS = ("quiz", "ctf-flag")


class TimedLearner(Learner):
    """e2e_latency's learner, also timing one plain GET of each finished submission (the baseline)."""

    def submit(self, session, exercise: dict) -> dict:
        record = super().submit(session, exercise)
        record["kind"] = exercise["kind"]
        if "latency_ms" in record:
            t0 = time.monotonic()
            reply = session.get(f"{self.base_url}/api/v1/submissions/{record['id']}", timeout=10)
            record["read_ms"] = (time.monotonic() - t0) * 1000
            if reply.status_code != 200:
                record["error"] = f"baseline GET {reply.status_code}"
        return record


def learner_exercises(stack: Stack, definitions: list, user_id: int, rounds: int) -> list[dict]:
    """This learner's correct answers: derived from its id under the stack's secret, as the server derives them."""
    from graders import get_grader
    from lms.grading.trusted import learner_for

    out = []
    with stack.app.app_context():
        for ex in definitions:
            spec = ex.grading_spec()
            files = get_grader(spec.kind).reference_files(spec, dict(ex.solution_files),
                                                          learner_for(user_id, spec.uuid))
            out.append({"slug": ex.slug, "uuid": ex.uuid, "kind": spec.kind, "files": files,
                        "cooldown": ex.pacing["cooldown_seconds"]})
    return out * rounds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1, help="submissions per exercise per learner (default 1)")
    parser.add_argument("--think", type=float, default=5.0, help="think time between two submissions, s")
    parser.add_argument("--jitter", type=float, default=2.0)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=420)
    parser.add_argument("--queued", action="store_true",
                        help="grade through the queue, as before inline grading (LMS_INLINE_TRUSTED_GRADING=0)")
    parser.add_argument("--keep-tmp", action="store_true")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    if not (1 <= args.learners <= 100 and 1 <= args.rounds <= 3):
        parser.error("--learners must be 1..100 and --rounds 1..3 (the quizzes allow 3 to 5 attempts)")
    # Learner (e2e_latency) reads these.
    args.submissions, args.poll, args.result_timeout = 0, 0, 30

    sigterm_as_interrupt()
    deadline = Deadline(args.max_seconds)
    definitions = [ex for ex in load_exercises().values() if ex.spec["kind"] in KINDS]
    stack = Stack("trusted", redis_db=args.redis_db, workers=args.workers, pool_size=0,
                  web_workers=args.web_workers, keep_tmp=args.keep_tmp)
    if args.queued:
        stack.extra_env["LMS_INLINE_TRUSTED_GRADING"] = "0"
    results = results_header("trusted_submissions", args, exercises=sorted(ex.slug for ex in definitions))
    stop = threading.Event()
    learners: list[TimedLearner] = []
    status = 0
    print(f"quiz and flag submissions: {args.learners} learners x {len(definitions)} exercises x {args.rounds}, "
          f"think {args.think}+/-{args.jitter} s, {args.web_workers} web workers, {args.workers} grading workers")
    try:
        stack.start(deadline)
        for user_id, token in stack.create_learners(args.learners):
            exercises = learner_exercises(stack, definitions, user_id, args.rounds)
            args.submissions = len(exercises)
            learners.append(TimedLearner(len(learners), token, stack.base_url, exercises, args, stop, deadline))
        meter = CpuMeter(stack.cpu_groups())
        meter.start()
        t_load = time.time()
        for learner in learners:
            learner.start()
        while any(learner.is_alive() for learner in learners):
            if deadline.expired():
                print("  deadline reached: stopping the learners", file=sys.stderr)
                results["timed_out"] = True
                stop.set()
            for learner in learners:
                learner.join(timeout=0.2)
        results["load_window_s"] = round(time.time() - t_load, 1)
        results["cpu"] = meter.stop()
    except KeyboardInterrupt:
        print("\ninterrupted: stopping what was started", file=sys.stderr)
        results["interrupted"] = True
        status = 2
    except Exception as exc:  # noqa: BLE001 - report, then clean up
        print(f"\nerror: {type(exc).__name__}: {exc}", file=sys.stderr)
        for name in ["gunicorn", *stack.worker_names]:
            tail = stack.log_tail(name, 15) if stack.tmp else ""
            if tail:
                print(f"--- {name} log (tail) ---\n{tail}", file=sys.stderr)
        results["error"] = f"{type(exc).__name__}: {exc}"
        status = 2
    finally:
        stop.set()
        for learner in learners:
            learner.join(timeout=12)
        for note in stack.stop():
            print(f"  cleanup: {note}", file=sys.stderr)
    return report(results, [r for learner in learners for r in learner.records],
                  [p for learner in learners for p in learner.problems], args, status)


def report(results: dict, records: list[dict], problems: list[str], args, status: int) -> int:
    done = [r for r in records if "latency_ms" in r]
    failed = [r for r in records if "error" in r]
    latencies = [r["latency_ms"] for r in done]
    rows = [stats_row("baseline: GET /submissions/<id>", [r["read_ms"] for r in done if "read_ms" in r]),
            stats_row("POST /submissions (202)", [r["post_ms"] for r in records if "post_ms" in r]),
            stats_row("submit -> graded result seen", latencies)]
    rows += [stats_row(f"  {kind}", [r["latency_ms"] for r in done if r["kind"] == kind]) for kind in KINDS]
    print_table(STATS_HEADERS, rows, title="Client-side latency under load, ms")
    if results.get("cpu"):
        print_cpu(results["cpu"], "Where the CPU went during the load")
    verdicts = Counter(r.get("verdict") or "no result" for r in records)
    window = results.get("load_window_s") or 0
    print(f"\nsubmissions: {len(records)} sent, {len(done)} graded, {len(failed)} failed; verdicts {dict(verdicts)}; "
          f"{len(done) / window if window else 0:.1f} results/s over {window} s")
    for r in (failed + [r for r in done if r.get("verdict") != "passed"])[:10]:
        print(f"  learner {r['learner']} {r['exercise']}: {r.get('error') or r.get('verdict')}")
    for problem in problems:
        print(f"  learner problem: {problem}")
    p95 = summarize(latencies)["p95"]
    checks = {"p95": {"target_ms": TARGET_P95_MS, "value_ms": p95, "pass": p95 is not None and p95 <= TARGET_P95_MS},
              "all_passed": {"pass": bool(done) and not failed and not problems
                             and all(r.get("verdict") == "passed" for r in done)}}
    print(f"\n{verdict(checks['p95']['pass'])}  submit -> graded result p95 {p95} ms (target <= {TARGET_P95_MS:.0f} ms)")
    print(f"{verdict(checks['all_passed']['pass'])}  every learner's own correct answer graded 'passed'")
    results.update({"summary": {"latency_ms": summarize(latencies), "verdicts": dict(verdicts),
                                "per_kind_ms": {k: summarize([r["latency_ms"] for r in done if r["kind"] == k])
                                                for k in KINDS}},
                    "checks": checks, "records": records, "problems": problems})
    write_json(args.json, results)
    if status or results.get("timed_out"):
        return 2
    return 0 if all(c["pass"] for c in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
