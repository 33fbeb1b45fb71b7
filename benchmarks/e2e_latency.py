#!/usr/bin/env python3
"""Submit -> result-visible latency through the whole stack, with concurrent learners on the HTTP API.

Starts its own stack in a temporary folder (SQLite there, Redis DB 13 flushed at start and end, gunicorn on a
free 127.0.0.1 port, two grading workers with warm pools), creates learner accounts with API tokens, then each
learner (a thread) submits the reference solutions of the four exercises in rotation, waiting at least the
exercises' cooldown between two submissions to the same exercise, polls GET every 50 ms until the result is
final, and thinks ~1 s before the next submission. At the end the rows are read from SQLite for the server-side
phase breakdown (created -> queued -> started -> container_started -> finished -> stored).

Targets: p50 <= 300 ms, p95 <= 1 s (submit -> final result seen by the client).

    .venv/bin/python benchmarks/e2e_latency.py [--learners 10] [--submissions 10] [--json out.json]
"""
from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from collections import Counter

from benchlib import (STATS_HEADERS, CpuMeter, Deadline, Stack, foreign_container_events, load_exercises, ms_between,
                      parse_db_time, print_cpu, print_table, results_header, sigterm_as_interrupt, stats_row,
                      summarize, utc_naive, verdict, wait_quiet, write_json)

TARGET_P50_MS = 300.0
TARGET_P95_MS = 1000.0
PHASES = [("created -> queued (enqueue)", "created_at", "queued_at"),
          ("queued -> started (queue wait + pickup)", "queued_at", "started_at"),
          ("started -> container ready (acquire)", "started_at", "container_started_at"),
          ("container ready -> finished (run)", "container_started_at", "finished_at"),
          ("finished -> stored (judge + store)", "finished_at", "stored_at"),
          ("created -> stored (server total)", "created_at", "stored_at")]


class Learner(threading.Thread):
    def __init__(self, index: int, token: str, base_url: str, exercises: list, args, stop: threading.Event,
                 deadline: Deadline):
        super().__init__(name=f"learner-{index}", daemon=True)
        self.index, self.token, self.base_url, self.args = index, token, base_url, args
        self.exercises = exercises[index % len(exercises):] + exercises[:index % len(exercises)]
        self.stop, self.deadline = stop, deadline
        self.random = random.Random(args.seed * 1000 + index)
        self.records: list[dict] = []
        self.problems: list[str] = []

    def run(self) -> None:
        import requests

        session = requests.Session()
        session.trust_env = False  # no proxy: everything stays on 127.0.0.1
        session.headers["Authorization"] = f"Bearer {self.token}"
        last_submit: dict[str, float] = {}
        try:
            # Learners do not all click at the same instant: spread the first submissions over one think time.
            if self.stop.wait(self.random.uniform(0, self.args.think + self.args.jitter)):
                return
            for k in range(self.args.submissions):
                if self.stop.is_set() or self.deadline.expired():
                    return
                exercise = self.exercises[k % len(self.exercises)]
                earliest = last_submit.get(exercise["uuid"], -1e9) + exercise["cooldown"] + 0.3
                if earliest > time.time() and self.stop.wait(earliest - time.time()):
                    return
                record = self.submit(session, exercise)
                last_submit[exercise["uuid"]] = record["t_submit"]
                self.records.append(record)
                think = max(0.0, self.args.think + self.random.uniform(-self.args.jitter, self.args.jitter))
                if self.stop.wait(think):
                    return
        except Exception as exc:  # noqa: BLE001 - reported, the other learners go on
            self.problems.append(f"{self.name}: {type(exc).__name__}: {exc}")
        finally:
            session.close()

    def submit(self, session, exercise: dict) -> dict:
        import requests

        record = {"learner": self.index, "exercise": exercise["slug"], "t_submit": time.time()}
        t0 = time.monotonic()
        try:
            response = session.post(f"{self.base_url}/api/v1/exercises/{exercise['uuid']}/submissions",
                                    json={"files": exercise["files"]}, timeout=10)
        except requests.RequestException as exc:
            record["error"] = f"POST failed: {exc}"
            return record
        record["post_ms"] = (time.monotonic() - t0) * 1000
        record["post_status"] = response.status_code
        if response.status_code != 202:
            record["error"] = f"POST {response.status_code}: {response.text[:200]}"
            return record
        submission_id = response.json()["id"]
        record["id"] = submission_id
        polls = 0
        status = response.json()["status"]
        if response.json().get("final"):  # graded in the request itself (kinds that run no code)
            record.update(t_seen=time.time(), latency_ms=record["post_ms"], verdict=response.json().get("verdict"),
                          score=response.json().get("score"), polls=0)
            return record
        end = time.monotonic() + self.args.result_timeout
        while time.monotonic() < end and not self.stop.is_set():
            params = {}
            if self.args.poll > 0:
                time.sleep(self.args.poll)
            else:  # long-polling, as the exercise page does: the server answers when the status changes
                params = {"wait": 20, "status": status}
            polls += 1
            try:
                reply = session.get(f"{self.base_url}/api/v1/submissions/{submission_id}", params=params,
                                    timeout=30)
            except requests.RequestException as exc:
                record.setdefault("poll_errors", []).append(str(exc)[:120])
                continue
            if reply.status_code != 200:
                record.setdefault("poll_errors", []).append(f"GET {reply.status_code}")
                continue
            data = reply.json()
            status = data.get("status", status)
            if data.get("final"):
                record["t_seen"] = time.time()
                record["latency_ms"] = (time.monotonic() - t0) * 1000
                record["verdict"] = data.get("verdict")
                record["score"] = data.get("score")
                record["polls"] = polls
                return record
        record["polls"] = polls
        record["error"] = ("interrupted before the result" if self.stop.is_set()
                           else f"no final result after {self.args.result_timeout:.0f} s")
        return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10)
    parser.add_argument("--submissions", type=int, default=10, help="submissions per learner (default 10)")
    parser.add_argument("--think", type=float, default=3.0,
                        help="think time after a result, s (default 3: the exercises' cooldown)")
    parser.add_argument("--jitter", type=float, default=1.0, help="think time +/- this, s (default 1)")
    parser.add_argument("--poll", type=float, default=0,
                        help="GET polling interval, s; 0 (default): long-polling with ?wait=, as the page does")
    parser.add_argument("--result-timeout", type=float, default=30, help="per submission, s (default 30)")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=300, help="hard bound of the whole run (default 300)")
    parser.add_argument("--allow-reap", action="store_true",
                        help="start even if another LMS's sandboxes are on this engine (our workers' reaper "
                             "would remove them)")
    parser.add_argument("--quiet-wait", type=float, default=30,
                        help="before the load, wait up to this many seconds for a quiet machine (default 30)")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp folder (logs, SQLite)")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    if not (1 <= args.learners <= 100 and 1 <= args.submissions <= 200):
        parser.error("--learners must be 1..100 and --submissions 1..200")

    sigterm_as_interrupt()
    deadline = Deadline(args.max_seconds)
    library = load_exercises()
    exercises = [{"slug": ex.slug, "uuid": ex.uuid, "cooldown": ex.pacing["cooldown_seconds"],
                  "files": {name: ex.solution_files[name] for name in ex.spec["files"]}}
                 for ex in library.values()]
    stack = Stack("e2e", redis_db=args.redis_db, workers=args.workers, pool_size=args.pool_size,
                  web_workers=args.web_workers, allow_reap=args.allow_reap, keep_tmp=args.keep_tmp)
    results = results_header("e2e_latency", args)
    stop = threading.Event()
    learners: list[Learner] = []
    rows: list[dict] = []
    status = 0
    t_start = time.monotonic()
    print(f"e2e latency: {args.learners} learners x {args.submissions} submissions, think {args.think}"
          f"+/-{args.jitter} s, {args.web_workers} web workers, {args.workers} grading workers (pool "
          f"{args.pool_size}), Redis DB {args.redis_db}")
    try:
        stack.start(deadline)
        print(f"  stack up in {stack.tmp}: db + content {stack.timings['setup_s']:.1f} s, web + warm pools "
              f"{stack.timings['warm_s']:.1f} s, gunicorn on {stack.base_url}")
        tokens = stack.create_learners(args.learners)
        learners = [Learner(i, token, stack.base_url, exercises, args, stop, deadline)
                    for i, (_, token) in enumerate(tokens)]
        def ours(attributes: dict) -> bool:
            return attributes.get("lms.owner", "").startswith(stack.worker_prefix)

        if args.quiet_wait > 0 and not wait_quiet(stack.docker, ours, max_wait_s=args.quiet_wait):
            print("  note: the machine is busy with other work (containers or CPU); measuring anyway")
        since = time.time()
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
        results["load_window_s"] = time.time() - t_load
        results["cpu"] = meter.stop()
        results["noise"] = foreign_container_events(stack.docker, since, ours)
        results["pool_states"] = stack.pool_states()
        ids = [r["id"] for learner in learners for r in learner.records if "id" in r]
        time.sleep(0.2)
        rows = stack.rows(ids)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping what was started", file=sys.stderr)
        results["interrupted"] = True
        stop.set()
        status = 2
    except Exception as exc:  # noqa: BLE001 - report, then clean up
        print(f"\nerror: {type(exc).__name__}: {exc}", file=sys.stderr)
        for name in ["gunicorn", *stack.worker_names]:
            tail = stack.log_tail(name, 15) if stack.tmp else ""
            if tail:
                print(f"--- {name} log (tail) ---\n{tail}", file=sys.stderr)
        results["error"] = f"{type(exc).__name__}: {exc}"
        stop.set()
        status = 2
    finally:
        stop.set()
        for learner in learners:
            learner.join(timeout=12)
        notes = stack.stop()
        for note in notes:
            print(f"  cleanup: {note}", file=sys.stderr)
        results["cleanup_notes"] = notes
    results["elapsed_s"] = round(time.monotonic() - t_start, 1)
    records = [r for learner in learners for r in learner.records]
    problems = [p for learner in learners for p in learner.problems]
    return report(results, records, rows, problems, args, status)


def report(results, records, rows, problems, args, status) -> int:
    done = [r for r in records if "latency_ms" in r]
    failed = [r for r in records if "error" in r]
    latencies = [r["latency_ms"] for r in done]
    print_table(STATS_HEADERS, [stats_row("submit -> result visible", latencies),
                                stats_row("POST /submissions (202)", [r["post_ms"] for r in records
                                                                      if "post_ms" in r])],
                title="Client-side latency, ms")
    by_exercise = {}
    for r in done:
        by_exercise.setdefault(r["exercise"], []).append(r["latency_ms"])
    print_table(STATS_HEADERS, [stats_row(k, v) for k, v in sorted(by_exercise.items())],
                title="submit -> result visible, per exercise, ms")

    by_id = {r["id"]: r for r in records if "id" in r}
    phase_values = {label: [] for label, _, _ in PHASES}
    extra = {"POST start -> row created (client -> server)": [],
             "row stored -> seen by the client (polling)": []}
    for row in rows:
        times = {k: parse_db_time(row[k]) for k in ("created_at", "queued_at", "started_at",
                                                    "container_started_at", "finished_at", "stored_at")}
        for label, a, b in PHASES:
            value = ms_between(times[a], times[b])
            if value is not None:
                phase_values[label].append(value)
        record = by_id.get(row["id"], {})
        if "t_submit" in record:
            extra["POST start -> row created (client -> server)"].append(
                ms_between(utc_naive(record["t_submit"]), times["created_at"]))
        if "t_seen" in record:
            extra["row stored -> seen by the client (polling)"].append(
                ms_between(times["stored_at"], utc_naive(record["t_seen"])))
    phase_rows = [stats_row(label, values) for label, values in {**phase_values, **extra}.items()]
    warm = Counter(row["warm"] for row in rows)
    print_table(STATS_HEADERS, phase_rows, title="Server-side phases from the submissions rows (SQLite), ms")
    print(f"warm containers: {warm.get(1, 0)}/{len(rows)} submissions "
          f"(cold: {warm.get(0, 0)}, none: {warm.get(None, 0)}); "
          f"per worker: {dict(Counter(row['worker_name'] for row in rows))}")

    if results.get("cpu"):
        print_cpu(results["cpu"], "Where the CPU went during the load")
    verdicts = Counter(r.get("verdict") or "no result" for r in records)
    window = results.get("load_window_s") or 0
    throughput = len(done) / window if window else 0.0
    print(f"\nsubmissions: {len(records)} sent, {len(done)} with a final result, {len(failed)} failed; "
          f"verdicts {dict(verdicts)}")
    print(f"throughput: {throughput:.2f} results/s over {window:.1f} s "
          f"(offered by {args.learners} learners thinking {args.think} s)")
    noise = results.get("noise") or {}
    if noise.get("created"):
        print(f"WARNING: {noise['created']} containers of other processes were created on this engine during the "
              "load: the figures include their competition for the CPUs")
    not_passed = [r for r in done if r.get("verdict") != "passed"]
    for r in (failed + not_passed)[:15]:
        row = next((x for x in rows if x["id"] == r.get("id")), {})
        print(f"  FAILED learner {r['learner']} {r['exercise']} id={r.get('id')}: "
              f"{r.get('error') or r.get('verdict')} {row.get('error_reason') or ''}")
    for problem in problems:
        print(f"  learner problem: {problem}")

    p50 = summarize(latencies)["p50"]
    p95 = summarize(latencies)["p95"]
    checks = {
        "p50": {"target_ms": TARGET_P50_MS, "value_ms": p50, "pass": p50 is not None and p50 <= TARGET_P50_MS},
        "p95": {"target_ms": TARGET_P95_MS, "value_ms": p95, "pass": p95 is not None and p95 <= TARGET_P95_MS},
        "all_passed": {"pass": bool(done) and not failed and not not_passed and not problems},
    }
    print()
    for key in ("p50", "p95"):
        c = checks[key]
        gap = "" if c["pass"] or c["value_ms"] is None else f", over by {c['value_ms'] - c['target_ms']:.0f} ms"
        print(f"{verdict(c['pass'])}  submit -> result {key} {c['value_ms']} ms (target <= "
              f"{c['target_ms']:.0f} ms{gap})")
    print(f"{verdict(checks['all_passed']['pass'])}  every submission of a reference solution graded 'passed'")

    results.update({
        "summary": {"latency_ms": summarize(latencies), "throughput_per_s": round(throughput, 2),
                    "sent": len(records), "final": len(done), "failed": len(failed), "verdicts": dict(verdicts),
                    "warm": warm.get(1, 0), "cold": warm.get(0, 0),
                    "phases_ms": {label: summarize(values) for label, values in {**phase_values, **extra}.items()}},
        "checks": checks, "records": records, "problems": problems,
        "rows": [{k: row[k] for k in ("id", "exercise_slug", "status", "verdict", "warm", "worker_name",
                                      "created_at", "queued_at", "started_at", "container_started_at",
                                      "finished_at", "stored_at", "error_reason")} for row in rows],
    })
    write_json(args.json, results)
    if status or results.get("timed_out"):
        return 2
    return 0 if all(c["pass"] for c in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
