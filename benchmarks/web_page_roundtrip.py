#!/usr/bin/env python3
"""One web-page grading round trip (headless Chromium in the web sandbox), warm pool against cold, in one run.

The same plan each time: 3 viewports (two visible with their screenshots, one hidden) and 8 checks (text, count,
computed style, a layout relation, clicks, typed text, no horizontal overflow, axe-core), through the real
WebPageGrader and SandboxRunner:
  (a) cold: a fresh container per run (pool_size=0): container start, Chromium's launch, then the checks;
  (b) warm: a pool of containers started ahead, each with Chromium launched by the entry's `prepare` before its
      ready frame; each run waits for the pool's refill (a Chromium launched and warmed in a new container; its
      wait is printed), then --pace seconds, as a pool of several does between a class's submissions.
Also each container's peak memory (cgroup memory.max_usage_in_bytes / memory.peak, read before its removal).
Targets: warm p50 <= 1.0 s and <= 0.4 x cold p50; peak memory per container <= 512 MB.

    .venv/bin/python benchmarks/web_page_roundtrip.py [--runs 15] [--pace 1.5] [--json out.json]
        [--image TAG] [--compare before.json]

--against TAG adds, after the series, warm runs alternating one by one between this run's image and TAG (each with
its own pool of one), so that a change is compared under the same load, run for run, on a noisy machine:
    .venv/bin/python benchmarks/web_page_roundtrip.py --against lms/sandbox-web:prev

--image runs the series with another tag of the web image (say, one holding the previous runtime) and --compare
prints this run's figures beside those of an earlier run's --json file, side by side: before and after a change,
    .venv/bin/python benchmarks/web_page_roundtrip.py --image lms/sandbox-web:old --json before.json
    .venv/bin/python benchmarks/web_page_roundtrip.py --compare before.json
"""
from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from pathlib import Path

from benchlib import (STATS_HEADERS, add_bench_arguments, finish, grade_series, incomplete, measuring, owned_by,
                      parse_bench_args, print_table, results_header, runner_kwargs, settle, start_run, stats_row,
                      summarize, verdict, wait_pool_ready)

TARGET_WARM_P50_MS = 1000.0
TARGET_RATIO = 0.4
TARGET_PEAK_MB = 512
LIMITS = {"wall_seconds": 20, "cpu_seconds": 10, "memory_mb": 512, "pids": 256, "tmpfs_mb": 64, "nofile": 1024,
          "cpus": 2}
VIEWPORTS = [{"name": "desktop", "width": 1200, "height": 800}, {"name": "phone", "width": 375, "height": 740},
             {"name": "tablet", "width": 760, "height": 1000, "hidden": True}]
CHECKS = [
    {"id": "title", "name": "title", "hidden": False, "selector": "h1", "text": {"contains": "Compteur"}},
    {"id": "buttons", "name": "buttons", "hidden": False, "selector": "button", "count": 2},
    {"id": "grid", "name": "grid", "hidden": False, "selector": ".cards", "style": {"display": "grid"}},
    {"id": "stacked", "name": "stacked", "hidden": False, "viewport": "phone", "selector": "#c2",
     "layout": {"below": "#c1"}},
    {"id": "clicks", "name": "clicks", "hidden": False, "actions": [{"click": "#plus"}, {"click": "#plus"}],
     "selector": "#n", "text": {"equals": "2"}},
    {"id": "typed", "name": "typed", "viewport": "tablet",
     "actions": [{"type": {"into": "#nom", "generate": "nom"}}, {"click": "#dire"}],
     "selector": "#salut", "text": {"equals": "Bonjour {{nom}}"}},
    {"id": "overflow", "name": "overflow", "viewport": "tablet", "layout": "no-horizontal-overflow"},
    {"id": "a11y", "name": "a11y", "axe": ["label", "image-alt", "button-name"]},
]
FILES = {
    "index.html": """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Bench</title>
<link rel="stylesheet" href="style.css"></head><body><main><h1>Compteur</h1>
<div class="cards"><section id="c1">Un</section><section id="c2">Deux</section><section id="c3">Trois</section></div>
<p>Clics : <span id="n">0</span></p><button id="plus" type="button">+1</button>
<label for="nom">Nom</label><input id="nom"><button id="dire" type="button">Dire bonjour</button>
<p id="salut"></p></main><script src="script.js"></script></body></html>""",
    "style.css": """.cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1rem; }
@media (max-width: 600px) { .cards { grid-template-columns: 1fr; } }""",
    "script.js": """let n = 0;
document.querySelector("#plus").addEventListener("click", () => { document.querySelector("#n").textContent = ++n; });
document.querySelector("#dire").addEventListener("click", () => {
  document.querySelector("#salut").textContent = "Bonjour " + document.querySelector("#nom").value; });""",
}


def container_peak_mb(container_id: str) -> float | None:
    for path in (f"/sys/fs/cgroup/memory/docker/{container_id}/memory.max_usage_in_bytes",
                 f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/memory.peak",
                 f"/sys/fs/cgroup/docker/{container_id}/memory.peak"):
        try:
            return round(int(Path(path).read_text()) / 1e6, 1)
        except (OSError, ValueError):
            continue
    return None


class PeakSampler(threading.Thread):
    """Reads the peak memory of every container a runner holds, every 50 ms, while it lives (the cgroup goes
    with the container, which exits right after its last frame)."""

    def __init__(self, runners, peaks: dict):
        super().__init__(daemon=True)
        self.runners, self.peaks = runners, peaks
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(0.05):
            for runner in list(self.runners):
                for container_id in list(runner.held):
                    value = container_peak_mb(container_id)
                    if value is not None:
                        self.peaks[container_id] = max(value, self.peaks.get(container_id, 0.0))


def run_series(runner, grader, spec, runs, deadline, peaks, pace=0.0, label="", before_run=None) -> list[dict]:
    """grade_series, with each run's container peak memory (read once the runner removed them)."""
    def remember_container(row, result, grade):
        row["container"] = result.container_id

    out = grade_series(runner, grader, spec, FILES, runs, deadline, label, pace=pace, on_run=remember_container,
                       before_run=before_run)
    runner.flush()
    for row in out:
        if "error" not in row:
            row["peak_mb"] = peaks.get(row.pop("container"))
    return out


def graded(series: list[dict]) -> list[dict]:
    """The runs that got a grade (a platform error is counted by the "every run graded passed" target)."""
    return [r for r in series if "error" not in r]


def figures(results: dict) -> dict:
    """The headline figures of a run's results (this run's, or an earlier run's --json file)."""
    cold, warm = graded(results["series"]["cold"]), graded(results["series"]["warm"])
    out = {}
    for label, series in (("warm", warm), ("cold", cold)):
        totals = summarize([r["total"] for r in series])
        out[f"{label} p50 ms"], out[f"{label} p95 ms"] = totals["p50"], totals["p95"]
    out["warm / cold p50"] = (f"{out['warm p50 ms'] / out['cold p50 ms']:.2f}"
                              if out["warm p50 ms"] and out["cold p50 ms"] else None)
    for label, series in (("warm", warm), ("cold", cold)):
        for step in ("visible", "hidden"):
            out[f"{label}: {step} step p50 ms"] = summarize([r["steps"].get(step, 0) for r in series])["p50"]
    out["peak memory max MB"] = summarize([r["peak_mb"] for r in cold + warm if r["peak_mb"] is not None])["max"]
    runs = len(results["series"]["cold"]) + len(results["series"]["warm"])
    out["runs passed"] = f"{sum(r['verdict'] == 'passed' for r in cold + warm)}/{runs}"
    return out


def print_comparison(path: str, results: dict) -> None:
    before = figures(json.loads(Path(path).read_text(encoding="utf-8")))
    now = figures(results)
    print_table(["figure", "before", "now"], [[name, before.get(name), value] for name, value in now.items()],
                title=f"Side by side: {path} (before) and this run (now)")


def alternate(warm, refilled, grader, spec, args, deadline, peaks, run_id, runners) -> dict:
    """--runs warm runs of each image, one of this image's then one of the other's: both see the same load."""
    from sandboxes.runner import SandboxRunner

    other = SandboxRunner(pool_size=1, owner=f"{run_id}-against", **runner_kwargs(run_id),
                          images={"web": args.against})
    runners.append(other)
    other.prewarm("web", spec.limits)
    wait_pool_ready(other, timeout=120.0)
    out = {"this": [], "other": []}
    for _ in range(args.runs):
        for key, runner in (("this", warm), ("other", other)):
            if runner is warm:
                refilled()
            else:
                wait_pool_ready(other, timeout=60.0, deadline=deadline)
            time.sleep(args.pace)
            out[key] += run_series(runner, grader, spec, 1, deadline, peaks, label=f"warm ({key})")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_bench_arguments(parser, runs=15, warmup=1, max_seconds=600, quiet_wait=20)
    parser.add_argument("--pace", type=float, default=1.5,
                        help="seconds between a warm run and the next once the pool is full again (default 1.5)")
    parser.add_argument("--compare", metavar="PATH", help="an earlier run's --json file, shown side by side")
    parser.add_argument("--image", metavar="TAG", help="the web image's tag (default lms/sandbox-web:latest)")
    parser.add_argument("--against", metavar="TAG", help="another tag of the web image, measured warm, run for run "
                        "alternating with this run's image")
    args = parse_bench_args(parser, argv, max_runs=200)

    from graders import get_grader
    from graders.base import ExerciseSpec
    from sandboxes.runner import SandboxRunner

    grader = get_grader("web-page")
    spec = ExerciseSpec.from_dict({"kind": "web-page", "files": list(FILES), "checks": CHECKS, "limits": LIMITS,
                                   "options": {"viewports": VIEWPORTS}})
    problems = grader.validate(spec)
    if problems:
        raise SystemExit(f"benchmark spec invalid: {problems}")
    run_id = f"webpage-{uuid.uuid4().hex[:8]}"
    ours = owned_by(run_id)
    deadline, client = start_run(args)
    results = results_header("web_page_roundtrip", args, runs=args.runs, series={})
    runners = []
    images = {"images": {"web": args.image}} if args.image else {}
    results["image"] = args.image or "lms/sandbox-web:latest"
    peaks: dict = {}
    sampler = PeakSampler(runners, peaks)
    sampler.start()
    with measuring(results, client, run_id, runners):
        print(f"web-page round trip: {args.runs} runs per series, 3 viewports, {len(CHECKS)} checks, "
              f"{results['machine'].get('cpus')} CPUs, load average {results['load_average_start']}, "
              f"image {results['image']}")
        cold = SandboxRunner(pool_size=0, owner=f"{run_id}-cold", **runner_kwargs(run_id), **images)
        runners.append(cold)
        run_series(cold, grader, spec, args.warmup, deadline, peaks, label="cold warm-up")
        settle(client, ours, args.quiet_wait)
        results["series"]["cold"] = run_series(cold, grader, spec, args.runs, deadline, peaks, label="cold")
        print("  (a) cold: done")

        warm = SandboxRunner(pool_size=1, owner=f"{run_id}-warm", **runner_kwargs(run_id), **images)
        runners.append(warm)
        warm.prewarm("web", spec.limits)
        results["prewarm_s"] = round(wait_pool_ready(warm, timeout=120.0), 2)
        def refilled():
            return wait_pool_ready(warm, timeout=60.0, deadline=deadline)

        run_series(warm, grader, spec, args.warmup, deadline, peaks, pace=args.pace, label="warm warm-up")
        settle(client, ours, args.quiet_wait)
        refilled()
        time.sleep(args.pace)
        results["series"]["warm"] = run_series(warm, grader, spec, args.runs, deadline, peaks, pace=args.pace,
                                               label="warm", before_run=refilled)
        print("  (b) warm: done")
        if args.against:
            results["series"]["against"] = alternate(warm, refilled, grader, spec, args, deadline, peaks, run_id,
                                                     runners)
            print("  (c) alternating with the other image: done")
    sampler.stopped.set()
    if incomplete(results):
        return finish(results, args, False)

    cold_rows, warm_rows = graded(results["series"]["cold"]), graded(results["series"]["warm"])
    rows = []
    for label, key in (("cold (fresh container, Chromium launched per run)", "cold"),
                       ("warm (pool: Chromium launched in prepare)", "warm")):
        series = graded(results["series"][key])
        rows.append(stats_row(label, [r["total"] for r in series], sum(r["warm"] for r in series),
                              f"{sum(r['verdict'] == 'passed' for r in series)}/{len(results['series'][key])}"))
    print_table(STATS_HEADERS + ["warm", "passed"], rows, title="Submission -> grade (plan + run + judge)")
    steps = [[f"{label}: {step}", *list(summarize([r["steps"].get(step, 0) for r in series]).values())[1:3]]
             for label, series in (("cold", cold_rows), ("warm", warm_rows)) for step in ("visible", "hidden")]
    refill = summarize([r["waited_ms"] for r in warm_rows if "waited_ms" in r])
    steps.append(["warm: waited for the pool's refill (before the run)", refill["p50"], refill["p95"]])
    print_table(["step inside the container", "p50 ms", "p95 ms"], steps, title="Where the time goes")
    peak_values = [r["peak_mb"] for r in cold_rows + warm_rows if r["peak_mb"] is not None]
    peak = summarize(peak_values)
    print_table(["", "n", "p50 MB", "max MB"], [["container peak memory (cgroup)", peak["n"], peak["p50"],
                                               peak["max"]]], title="Memory")
    warm_p50 = summarize([r["total"] for r in warm_rows])["p50"]
    cold_p50 = summarize([r["total"] for r in cold_rows])["p50"]
    ratio = round(warm_p50 / cold_p50, 2) if warm_p50 and cold_p50 else None
    all_passed = all(r.get("verdict") == "passed" for r in results["series"]["cold"] + results["series"]["warm"])
    targets = [
        (f"warm p50 {warm_p50} ms <= {TARGET_WARM_P50_MS:.0f} ms", warm_p50 is not None
         and warm_p50 <= TARGET_WARM_P50_MS),
        (f"warm / cold p50 = {ratio} <= {TARGET_RATIO}", ratio is not None and ratio <= TARGET_RATIO),
        (f"peak memory {peak['max']} MB <= {TARGET_PEAK_MB} MB", peak["max"] is not None
         and peak["max"] <= TARGET_PEAK_MB),
        ("every run graded passed (the plan is right)", all_passed),
    ]
    print_table(["target", "result"], [[name, verdict(ok)] for name, ok in targets], title="Targets")
    if args.compare:
        print_comparison(args.compare, results)
    if args.against:
        pairs = results["series"]["against"]
        print_table(["warm, alternating run for run", "n", "p50 ms", "visible p50", "hidden p50", "passed"], [
            [image, len(rows), summarize([r["total"] for r in rows])["p50"],
             summarize([r["steps"].get("visible", 0) for r in rows])["p50"],
             summarize([r["steps"].get("hidden", 0) for r in rows])["p50"],
             f"{sum(r['verdict'] == 'passed' for r in rows)}/{len(rows)}"]
            for image, rows in ((results["image"], graded(pairs["this"])), (args.against, graded(pairs["other"])))],
            title="Side by side, same sitting")
    results["summary"] = {"warm_p50_ms": warm_p50, "cold_p50_ms": cold_p50, "ratio": ratio,
                          "peak_memory_mb": peak, "targets": {name: ok for name, ok in targets}}
    return finish(results, args, all(ok for _, ok in targets))


if __name__ == "__main__":
    raise SystemExit(main())
