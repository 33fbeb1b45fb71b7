#!/usr/bin/env python3
"""Sustained throughput: the host's container rate next to our grading pipeline's rate, in one run.

  (a) host: K parallel loops (K = 2 and 4) of plain `docker run -i --rm` of the sandbox image, with the
      sandbox's engine settings, each fed on stdin the very job our worker sends for a reference solution (the
      same exercise mix as (b)): the containers our grading needs, created by the host with nothing around them
      (no database, queue, worker or pool), until N containers in total (default 40) or 20 s: containers/s.
      This is the target's baseline: ours / host = what our pipeline costs over the containers it runs.
  (f) floor: the same loops running `python3 -c pass` instead (a container that does nothing): shown beside,
      since no grading container can be cheaper; the ratio to it also counts the grading work in the container.
  (b) ours: a throw-away stack (SQLite in a temp folder, Redis DB 13 flushed at start and end, two grading
      workers with warm pools of 2, no web server). N submissions (default 60) of the reference solutions are
      created at once with the app's own service (lms.submissions.services.create_submission, pacing included:
      each learner account sends at most 3, one per exercise), then we wait until every row is stored.
      Rates are sustained rates, counted between the ramp-up and the drain of each round: without its first and
      last workers x pool_size completions (ours: served by containers made before the round / overlapping the
      refills for the next one), and without the first and last K of the host's K loops (filling / emptying).

Target: ours / host >= 0.9 ("within 10 %"), host = the best of the K values of (a).

    .venv/bin/python benchmarks/throughput.py [--host-total 40] [--submissions 60] [--json out.json]
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import threading
import time
import uuid
from collections import Counter

from benchlib import (STATS_HEADERS, CpuMeter, Deadline, Stack, foreign_container_events, graded_job_bytes,
                      load_exercises, ms_between, parse_db_time, plain_docker_run, plain_run_kwargs, print_cpu,
                      print_table, remove_bench_containers, results_header, sigterm_as_interrupt, stats_row,
                      summarize, verdict, wait_quiet, write_json)

TARGET_RATIO = 0.9
PER_LEARNER = 3  # LMS_MAX_PENDING_PER_USER: one learner may have 3 submissions queued or running
HOST_LABELS = {"job": ("a", "docker run -i --rm, same job"), "floor": ("f", "docker run --rm, python3 -c pass")}


def steady_span(times: list[float], edge: int) -> tuple[int, float]:
    """(completions, seconds) between the ramp-up and the drain: after the first `edge` completions and up to the
    last `edge`-th. At the start, ours serves its first submissions from containers made before the round (the
    warm pools) and the host's K loops fill up; at the end, ours already refills its pools for what comes next
    and the host's loops run out of work one by one. Neither edge is the sustained rate."""
    edge = max(edge, 1)
    if len(times) < 2 * edge + 2:
        return 0, 0.0
    first, last = edge - 1, len(times) - 1 - edge
    return last - first, times[last] - times[first]


def host_rate(run_one, parallel: int, total: int, seconds: float, stop: threading.Event) -> dict:
    """`parallel` threads, each a loop of `run_one(index)` (one plain docker run), until `total` containers or
    `seconds`."""
    lock = threading.Lock()
    started = [0]
    done, errors, durations = [], [], []
    end = time.monotonic() + seconds

    def loop():
        while not stop.is_set() and time.monotonic() < end:
            with lock:
                if started[0] >= total:
                    return
                index = started[0]
                started[0] += 1
            try:
                timing = run_one(index)
                with lock:
                    done.append(time.monotonic())
                    durations.append(timing["total"])
            except Exception as exc:  # noqa: BLE001 - counted
                with lock:
                    errors.append(str(exc)[:200])

    t0 = time.monotonic()
    threads = [threading.Thread(target=loop, daemon=True) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=0.2)
    done.sort()
    steady = steady_span(done, parallel)
    return {"parallel": parallel, "containers": steady[0], "errors": errors, "elapsed_s": round(steady[1], 2),
            "rate_per_s": round(steady[0] / steady[1], 2) if steady[1] > 0 else 0.0,
            "all_containers": len(done),
            "container_ms": summarize(durations), "durations_ms": [round(d, 1) for d in durations]}


def enqueue_all(stack: Stack, library: dict, count: int, learners: list[tuple[int, str]]) -> tuple[list[int], float]:
    """`count` submissions through the app's service; returns their ids and how long enqueuing took."""
    from lms.catalog.models import Exercise
    from lms.extensions import db
    from lms.submissions.services import create_submission
    from lms.auth.models import User

    slugs = list(library)
    ids = []
    t0 = time.monotonic()
    with stack.app.app_context():
        exercises = {e.slug: e for e in db.session.query(Exercise).all()}
        users = {u.id: u for u in db.session.query(User).all()}
        for i in range(count):
            user_id, _ = learners[i // PER_LEARNER]
            slug = slugs[(i % PER_LEARNER + i // PER_LEARNER) % len(slugs)]
            definition = library[slug]
            files = {name: definition.solution_files[name] for name in definition.spec["files"]}
            submission = create_submission(users[user_id], exercises[slug], files)
            if not submission.job_id:
                raise RuntimeError(f"submission {submission.id} was not enqueued (Redis?)")
            ids.append(submission.id)
        db.session.remove()
    return ids, time.monotonic() - t0


def wait_all_final(stack: Stack, ids: list[int], deadline: Deadline, timeout: float) -> list[dict]:
    end = min(time.monotonic() + timeout, deadline.end)
    while True:
        pending = stack.count_open(ids)
        if not pending:
            return stack.rows(ids)
        if time.monotonic() > end:
            raise TimeoutError(f"{pending} of {len(ids)} submissions not graded after {timeout:.0f} s")
        time.sleep(0.1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host-total", type=int, default=40, help="plain containers per K (default 40)")
    parser.add_argument("--host-seconds", type=float, default=20, help="at most this long per K (default 20)")
    parser.add_argument("--parallel", default="2,4", help="K values for the host baseline (default 2,4)")
    parser.add_argument("--submissions", type=int, default=60,
                        help="submissions for our pipeline, per round (default 60)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of ours, each between two rounds of the host (default 2)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--grading-timeout", type=float, default=120, help="for all submissions, s (default 120)")
    parser.add_argument("--quiet-wait", type=float, default=30,
                        help="before each measure, wait up to this many seconds for a quiet machine (default 30)")
    parser.add_argument("--max-seconds", type=float, default=300, help="hard bound of the whole run (default 300)")
    parser.add_argument("--allow-reap", action="store_true",
                        help="start even if another LMS's sandboxes are on this engine")
    parser.add_argument("--keep-tmp", action="store_true")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    parallel = [int(k) for k in args.parallel.split(",") if k.strip()]
    if not parallel or not all(1 <= k <= 16 for k in parallel):
        parser.error("--parallel takes K values between 1 and 16")
    if not (1 <= args.host_total <= 1000 and 1 <= args.submissions <= 1000 and 1 <= args.rounds <= 10):
        parser.error("--host-total and --submissions must be 1..1000, --rounds 1..10")

    sigterm_as_interrupt()
    import docker

    deadline = Deadline(args.max_seconds)
    library = load_exercises()
    run_id = f"throughput-{uuid.uuid4().hex[:8]}"
    client = docker.from_env(timeout=60)
    stop = threading.Event()
    stack = Stack("throughput", redis_db=args.redis_db, workers=args.workers, pool_size=args.pool_size,
                  web_workers=0, allow_reap=args.allow_reap, keep_tmp=args.keep_tmp)

    def ours(attributes: dict) -> bool:
        return (attributes.get("lms.bench") == run_id
                or attributes.get("lms.owner", "").startswith(stack.worker_prefix))

    results = results_header("throughput", args, host=[], ours_rounds=[], noise={})
    rows: list[dict] = []
    status = 0
    t_start = time.monotonic()
    print(f"throughput: host K={parallel} x {args.host_total} plain containers (<= {args.host_seconds:.0f} s "
          f"each), {args.rounds + 1} rounds; ours {args.submissions} submissions x {args.rounds} rounds, "
          f"{args.workers} workers (pool {args.pool_size})")
    try:
        limits = library["moyenne"].grading_spec().limits
        floor_kwargs = plain_run_kwargs(limits, run_id)
        job_kwargs = plain_run_kwargs(limits, run_id, command=[], stdin_open=True)
        jobs = [graded_job_bytes(library[slug]) for slug in library]  # the exercise mix of (b), in turn
        baselines = {"job": lambda i: plain_docker_run(client, job_kwargs, stdin=jobs[i % len(jobs)]),
                     "floor": lambda i: plain_docker_run(client, floor_kwargs)}
        for run_one in baselines.values():
            run_one(0)  # warm-up: image and engine caches

        def measure_host(when: str) -> None:
            for k in parallel:
                for kind, run_one in baselines.items():
                    if args.quiet_wait > 0 and not wait_quiet(client, ours, max_wait_s=args.quiet_wait):
                        print("  note: the machine is busy with other work; measuring anyway")
                    deadline.check("the host baseline")
                    since = time.time()
                    meter = CpuMeter({})
                    meter.start()
                    measure = host_rate(run_one, k, args.host_total, min(args.host_seconds, deadline.left()), stop)
                    measure.update(cpu=meter.stop(), kind=kind, when=when)
                    results["host"].append(measure)
                    results["noise"][f"host_{kind}_k{k}_{when}"] = foreign_container_events(client, since, ours)
                    print(f"  ({HOST_LABELS[kind][0]}) host {when}, {kind}, K={k}: {measure['containers']} "
                          f"containers in {measure['elapsed_s']} s")

        # Host and ours alternate (host, ours, host, ours, ..., host) and each side's rounds are pooled: a machine
        # whose engine slows down or speeds up during the run then weighs on both sides alike.
        measure_host("round 1")
        stack.start(deadline)
        print(f"  stack up in {stack.tmp}: {stack.timings['setup_s']:.1f} s setup, pools warm after "
              f"{stack.timings['warm_s']:.1f} s")
        # Accounts first, outside the measured windows: hashing their passwords is not grading work.
        per_round = math.ceil(args.submissions / PER_LEARNER)
        learners = stack.create_learners(per_round * args.rounds)
        for round_no in range(1, args.rounds + 1):
            stack.wait_pools_warm(deadline)
            if args.quiet_wait > 0 and not wait_quiet(client, ours, max_wait_s=args.quiet_wait):
                print("  note: the machine is busy with other work; measuring anyway")
            since = time.time()
            meter = CpuMeter(stack.cpu_groups())
            meter.start()
            ids, enqueue_s = enqueue_all(stack, library, args.submissions,
                                         learners[(round_no - 1) * per_round:round_no * per_round])
            batch_rows = wait_all_final(stack, ids, deadline, args.grading_timeout)
            results["ours_rounds"].append({"ids": ids, "enqueue_s": round(enqueue_s, 3), "cpu": meter.stop()})
            results["noise"][f"ours_round_{round_no}"] = foreign_container_events(client, since, ours)
            rows.extend(batch_rows)
            print(f"  (b) ours, round {round_no}: {len(batch_rows)} submissions graded")
            measure_host(f"round {round_no + 1}")
        results["pool_states"] = stack.pool_states()
    except KeyboardInterrupt:
        print("\ninterrupted: stopping what was started", file=sys.stderr)
        results["interrupted"] = True
        status = 2
    except Exception as exc:  # noqa: BLE001 - report, then clean up
        print(f"\nerror: {type(exc).__name__}: {exc}", file=sys.stderr)
        results["error"] = f"{type(exc).__name__}: {exc}"
        if stack.tmp:
            for name in stack.worker_names:
                print(f"--- {name} log (tail) ---\n{stack.log_tail(name, 15)}", file=sys.stderr)
            try:
                rows = stack.rows()
            except Exception:  # noqa: BLE001
                pass
        status = 2
    finally:
        stop.set()
        notes = stack.stop()
        for note in notes:
            print(f"  cleanup: {note}", file=sys.stderr)
        results["cleanup_notes"] = notes
        left = remove_bench_containers(client, run_id)
        if left:
            print(f"  cleanup: removed {left} baseline container(s)", file=sys.stderr)
        client.close()
    results["elapsed_s"] = round(time.monotonic() - t_start, 1)
    return report(results, rows, args, status)


def pool_cpu(windows: list[dict]) -> dict:
    """CpuMeter windows added up, in CpuMeter.stop()'s shape."""
    wall = sum(w["wall_s"] for w in windows)
    cpus = windows[0]["cpus"] or 1
    spent: dict[str, float] = {}
    for window in windows:
        for key, value in window["by_category_s"].items():
            spent[key] = spent.get(key, 0.0) + value
    busy = sum(w["host_busy_s"] for w in windows)
    return {"wall_s": round(wall, 2), "cpus": cpus, "host_busy_s": round(busy, 2),
            "host_busy_pct": round(100 * busy / (wall * cpus), 1) if wall else None,
            "by_category_s": {k: round(v, 2) for k, v in spent.items()},
            "by_category_pct_of_capacity": {k: round(100 * v / (wall * cpus), 1) if wall else None
                                            for k, v in spent.items()}}


def pool_host_measures(measures: list[dict]) -> list[dict]:
    """One line per (kind, K): the measures before and after ours, pooled (containers / seconds, CPU / containers)."""
    pooled = []
    for kind in HOST_LABELS:
        for k in sorted({m["parallel"] for m in measures if m["kind"] == kind}):
            group = [m for m in measures if m["kind"] == kind and m["parallel"] == k]
            containers = sum(m["containers"] for m in group)
            elapsed = sum(m["elapsed_s"] for m in group)
            busy = sum(m["cpu"]["host_busy_s"] for m in group)
            made = sum(m["all_containers"] for m in group)
            wall = sum(m["cpu"]["wall_s"] for m in group)
            pooled.append({
                "kind": kind, "parallel": k, "containers": containers, "elapsed_s": round(elapsed, 2),
                "rate_per_s": round(containers / elapsed, 2) if elapsed > 0 else 0.0,
                "round_rates": ", ".join(f"{m['rate_per_s']:.1f}" for m in group),
                "errors": sum(len(m["errors"]) for m in group),
                "container_ms": summarize([d for m in group for d in m["durations_ms"]]),
                "cpu_s_per_item": round(busy / made, 3) if made else None,
                "host_busy_pct": round(100 * busy / (wall * (group[0]["cpu"]["cpus"] or 1)), 1) if wall else None,
                "cpu": pool_cpu([m["cpu"] for m in group]),
            })
    return pooled


def report(results: dict, rows: list[dict], args, status: int) -> int:
    table = []
    pooled = pool_host_measures(results["host"])
    results["host_pooled"] = pooled
    for measure in pooled:
        letter, label = HOST_LABELS[measure["kind"]]
        table.append([f"({letter}) host: {label}, K={measure['parallel']}", measure["containers"],
                      measure["elapsed_s"], measure["rate_per_s"], measure["container_ms"]["p50"],
                      measure["errors"], measure["round_rates"]])
    final = [row for row in rows if row["status"] in ("completed", "error")]
    ours_rate = None
    if final:
        by_id = {row["id"]: row for row in final}
        head = args.workers * args.pool_size
        counted, seconds, round_rates, overall_rates = 0, 0.0, [], []
        for batch in results["ours_rounds"]:
            batch_rows = [by_id[i] for i in batch["ids"] if i in by_id]
            created = min(parse_db_time(by_id[i]["created_at"]) for i in batch["ids"] if i in by_id)
            stored = sorted(ms_between(created, parse_db_time(r["stored_at"])) / 1000
                            for r in batch_rows if r["stored_at"])
            if stored:
                overall_rates.append(len(stored) / stored[-1])
            count, span = steady_span(stored, head)
            if span > 0:
                counted, seconds = counted + count, seconds + span
                round_rates.append(count / span)
        ours_rate = round(counted / seconds, 2) if seconds else None
        per_submission = [ms_between(parse_db_time(r["started_at"]), parse_db_time(r["stored_at"]))
                          for r in final if r["started_at"]]
        errors = sum(1 for r in final if r["status"] == "error")
        table.append([f"(b) ours: {args.workers} workers, pool {args.pool_size}", counted, round(seconds, 2),
                      ours_rate, summarize(per_submission)["p50"], errors,
                      ", ".join(f"{rate:.1f}" for rate in round_rates)])
        results["ours"] = {"graded": len(final), "rate_per_s": ours_rate, "steady_counted": counted,
                           "steady_s": round(seconds, 2), "round_rates_per_s": [round(r, 2) for r in round_rates],
                           "overall_round_rates_per_s": [round(r, 2) for r in overall_rates],
                           "enqueue_s": [batch["enqueue_s"] for batch in results["ours_rounds"]]}
    print_table(["", "counted", "seconds", "per second", "p50 ms each", "errors", "/s by round"], table,
                title="Sustained rates, rounds pooled (counted between ramp-up and drain: without the first and last "
                      "K completions of the host, workers x pool size of ours; 'each' = started -> stored)")

    if final:
        phases = [("queued -> started (queue wait)", "queued_at", "started_at"),
                  ("started -> container ready (acquire)", "started_at", "container_started_at"),
                  ("container ready -> finished (run)", "container_started_at", "finished_at"),
                  ("finished -> stored (judge + store)", "finished_at", "stored_at")]
        phase_rows = []
        results["ours"]["phases_ms"] = {}
        for label, a, b in phases:
            values = [ms_between(parse_db_time(r[a]), parse_db_time(r[b])) for r in final if r[a] and r[b]]
            phase_rows.append(stats_row(label, values))
            results["ours"]["phases_ms"][label] = summarize(values)
        print_table(STATS_HEADERS, phase_rows, title="Our pipeline, per submission, ms")
        warm = Counter(r["warm"] for r in final)
        verdicts = Counter(r["verdict"] for r in final)
        results["ours"].update({"warm": warm.get(1, 0), "cold": warm.get(0, 0), "verdicts": dict(verdicts)})
        print(f"warm containers: {warm.get(1, 0)}/{len(final)}; verdicts {dict(verdicts)}; "
              f"enqueue took {results['ours']['enqueue_s']} s by round; per worker: "
              f"{dict(Counter(r['worker_name'] for r in final))}")
        for r in [r for r in final if r["verdict"] != "passed"][:10]:
            print(f"  NOT PASSED id={r['id']} {r['exercise_slug']}: {r['verdict']} {r['error_reason'] or ''}")
    cost_rows = []
    for measure in pooled:
        letter, _ = HOST_LABELS[measure["kind"]]
        print_cpu(measure["cpu"], f"CPU during ({letter}) {measure['kind']} K={measure['parallel']}, rounds pooled")
        if measure["cpu_s_per_item"] is not None:
            cost_rows.append([f"({letter}) host, {measure['kind']}, K={measure['parallel']}: per container",
                              f"{measure['cpu_s_per_item']:.3f}", measure["host_busy_pct"]])
    if results["ours_rounds"] and final:
        busy = sum(batch["cpu"]["host_busy_s"] for batch in results["ours_rounds"])
        wall = sum(batch["cpu"]["wall_s"] for batch in results["ours_rounds"])
        print_cpu(pool_cpu([batch["cpu"] for batch in results["ours_rounds"]]), "CPU during (b) ours, rounds pooled")
        results["ours"]["cpu_s_per_item"] = round(busy / len(final), 3)
        cost_rows.append(["(b) ours: per graded submission", f"{results['ours']['cpu_s_per_item']:.3f}",
                          round(100 * busy / (wall * (os.cpu_count() or 1)), 1) if wall else None])
    if cost_rows:
        print_table(["", "host CPU s each", "host busy %"], cost_rows,
                    title="What one item costs the host (all CPU of the machine in the window / items done)")
    noisy = {k: v.get("created") for k, v in results["noise"].items() if v.get("created")}
    if noisy:
        print(f"WARNING: other processes created containers on this engine during the measures {noisy}: "
              "the figures include their competition for the CPUs")

    checks = {}
    if ours_rate:
        print()
        for kind in ("floor", "job"):
            rates = {m["parallel"]: m["rate_per_s"] for m in pooled if m["kind"] == kind and m["containers"]}
            for k, rate in sorted(rates.items()):
                print(f"ours / host ({HOST_LABELS[kind][1]}) K={k}: {ours_rate:.2f} / {rate:.2f} = "
                      f"{ours_rate / rate:.2f}")
            if not rates:
                continue
            best_k = max(rates, key=rates.get)
            ratio = ours_rate / rates[best_k]
            checks[f"ratio_{kind}"] = {"ours_per_s": ours_rate, "host_best_per_s": rates[best_k],
                                       "host_best_k": best_k, "ratio": round(ratio, 3)}
        floor = checks.pop("ratio_floor", None)
        if floor:
            results["ratio_to_floor"] = floor
            print(f"info  ours / floor (best, K={floor['host_best_k']}) = {floor['ratio']:.2f} "
                  "(the floor does no grading work)")
        if "ratio_job" in checks:
            ratio = checks["ratio_job"]["ratio"]
            checks["ratio_job"].update(target=TARGET_RATIO, **{"pass": ratio >= TARGET_RATIO})
            gap = "" if ratio >= TARGET_RATIO else f", {100 * (TARGET_RATIO - ratio):.0f} points short"
            print(f"{verdict(ratio >= TARGET_RATIO)}  ours / host (same job, best, "
                  f"K={checks['ratio_job']['host_best_k']}) = {ratio:.2f} (target >= {TARGET_RATIO}{gap})")
        not_passed = [r for r in final if r["verdict"] != "passed"]
        checks["all_passed"] = {"pass": not not_passed and len(final) == args.submissions * args.rounds}
        print(f"{verdict(checks['all_passed']['pass'])}  every submission of a reference solution graded 'passed'")
    results["checks"] = checks
    write_json(args.json, results)
    if status or not checks:
        return 2
    return 0 if all(c["pass"] for c in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
