#!/usr/bin/env python3
"""Runs the benchmarks one after the other (each in its own process, each cleaning up after itself) and prints
one summary table: the sandbox round trip, end-to-end latency and throughput, then the round trip of each newer
exercise kind (javascript, web-page, http-service, fullstack, exploit-lab). Modest defaults keep the whole run under
~15 minutes; --quick is smaller.

    .venv/bin/python benchmarks/run_all.py [--quick] [--json results.json] [--only roundtrip,e2e,javascript]
        [--runs N]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = ROOT / ".venv" / "bin" / "python"

# name -> (script, default args, --quick args, hard bound in seconds for the child)
BENCHMARKS = {
    "roundtrip": ("sandbox_roundtrip.py",
                  ["--runs", "40", "--quiet-wait", "10", "--max-seconds", "180"],
                  ["--runs", "12", "--quiet-wait", "5", "--max-seconds", "90"]),
    "e2e": ("e2e_latency.py",
            ["--learners", "10", "--submissions", "10", "--quiet-wait", "10", "--max-seconds", "150"],
            ["--learners", "5", "--submissions", "4", "--quiet-wait", "5", "--max-seconds", "90"]),
    "throughput": ("throughput.py",
                   ["--host-total", "40", "--host-seconds", "20", "--submissions", "60", "--quiet-wait", "10",
                    "--max-seconds", "300"],
                   ["--host-total", "16", "--host-seconds", "10", "--submissions", "20", "--quiet-wait", "5",
                    "--max-seconds", "160"]),
    "javascript": ("javascript_roundtrip.py",
                   ["--runs", "30", "--quiet-wait", "10", "--max-seconds", "150"],
                   ["--runs", "5", "--warmup", "1", "--quiet-wait", "5", "--max-seconds", "90"]),
    "sql-query": ("sql_query_roundtrip.py",
                  ["--runs", "30", "--quiet-wait", "10", "--max-seconds", "150"],
                  ["--runs", "5", "--warmup", "1", "--quiet-wait", "5", "--max-seconds", "90"]),
    "data-analysis": ("data_analysis_roundtrip.py",
                      ["--runs", "20", "--quiet-wait", "10", "--max-seconds", "200"],
                      ["--runs", "5", "--warmup", "1", "--quiet-wait", "5", "--max-seconds", "120"]),
    "web-page": ("web_page_roundtrip.py",
                 ["--runs", "10", "--quiet-wait", "10", "--max-seconds", "300"],
                 ["--runs", "5", "--warmup", "1", "--quiet-wait", "5", "--max-seconds", "200"]),
    "http-service": ("http_service_roundtrip.py",
                     ["--runs", "15", "--max-seconds", "180"],
                     ["--runs", "5", "--warmup", "1", "--max-seconds", "120"]),
    "fullstack": ("fullstack_roundtrip.py",
                  ["--runs", "8", "--max-seconds", "400"],
                  ["--runs", "3", "--warmup", "1", "--max-seconds", "240"]),
    "exploit-lab": ("exploit_lab_roundtrip.py",
                    ["--runs", "15", "--max-seconds", "180"],
                    ["--runs", "5", "--warmup", "1", "--max-seconds", "120"]),
}
# The scripts that take --runs (run_all's --runs overrides theirs).
WITH_RUNS = ("roundtrip", "javascript", "sql-query", "data-analysis", "web-page", "http-service", "fullstack",
             "exploit-lab")

current: subprocess.Popen | None = None


def forward_term(signum, frame):
    """SIGTERM to run_all: pass it to the running benchmark (it cleans up), then stop."""
    if current is not None and current.poll() is None:
        current.send_signal(signal.SIGTERM)
    raise KeyboardInterrupt


def run_one(name: str, quick: bool, json_path: Path, extra: list[str]) -> tuple[int, float]:
    global current
    script, defaults, quick_args = BENCHMARKS[name]
    argv = [str(PYTHON), str(HERE / script), *(quick_args if quick else defaults), *extra, "--json", str(json_path)]
    bound = float(argv[argv.index("--max-seconds") + 1]) + 90  # + stack teardown
    print(f"\n{'=' * 100}\n$ {' '.join(os.path.relpath(a, ROOT) if a.startswith(str(ROOT)) else a for a in argv)}"
          f"\n{'=' * 100}", flush=True)
    t0 = time.monotonic()
    current = subprocess.Popen(argv, cwd=ROOT)
    try:
        rc = current.wait(timeout=bound)
    except subprocess.TimeoutExpired:
        print(f"{name}: still running after {bound:.0f} s: stopping it", file=sys.stderr)
        current.send_signal(signal.SIGTERM)
        try:
            rc = current.wait(timeout=60)
        except subprocess.TimeoutExpired:
            current.kill()
            rc = current.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached the child too (same process group); give it time to stop what it started.
        try:
            current.wait(timeout=60)
        except subprocess.TimeoutExpired:
            current.kill()
            current.wait()
        raise
    finally:
        current = None
    return rc, time.monotonic() - t0


def fmt(value, unit=""):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}{unit}" if unit in ("/s", "") else f"{value:.0f}{unit}"
    return f"{value}{unit}"


def summary_rows(name: str, data: dict | None) -> list[list[str]]:
    if data is None:
        return [[name, "(no results)", "-", "-", "ERROR"]]
    rows = []

    def check(ok):
        return "-" if ok is None else ("PASS" if ok else "FAIL")

    if name == "roundtrip":
        s = data.get("summary", {})
        checks = data.get("checks", {})
        for key, label in (("plain_docker_run", "plain docker run --rm, p50"),
                           ("ours_cold", "ours cold (pool 0), p50"),
                           ("ours_warm_back_to_back", "ours warm, back-to-back, p50"),
                           ("ours_warm_paced", f"ours warm, paced {data.get('pace_s')} s, p50")):
            if key in s:
                hits = s[key].get("warm_hits")
                n = s[key]["total_ms"]["n"]
                note = f" ({hits}/{n} warm)" if hits is not None else ""
                target = "<= 150 ms" if key in checks else ""
                rows.append([name, label + note, fmt(s[key]["total_ms"]["p50"], " ms"), target,
                             check(checks[key]["pass"]) if key in checks else "-"])
        if data.get("platform_errors") or data.get("failed_verdicts"):
            rows.append([name, "platform errors / runs not 'passed'",
                         f"{data.get('platform_errors')} / {data.get('failed_verdicts')}", "0 / 0", "FAIL"])
    elif name == "e2e":
        s = data.get("summary", {})
        checks = data.get("checks", {})
        lat = s.get("latency_ms", {})
        rows.append([name, "submit -> result visible, p50", fmt(lat.get("p50"), " ms"), "<= 300 ms",
                     check(checks.get("p50", {}).get("pass"))])
        rows.append([name, "submit -> result visible, p95", fmt(lat.get("p95"), " ms"), "<= 1000 ms",
                     check(checks.get("p95", {}).get("pass"))])
        rows.append([name, "results per second (10 learners)" if data.get("params", {}).get("learners") == 10
                     else "results per second", fmt(s.get("throughput_per_s"), "/s"), "", "-"])
        rows.append([name, "graded 'passed' / sent", f"{s.get('verdicts', {}).get('passed', 0)}/{s.get('sent')}",
                     "all", check(checks.get("all_passed", {}).get("pass"))])
    elif name == "throughput":
        for measure in data.get("host_pooled", []):
            what = "same job (docker run -i)" if measure["kind"] == "job" else "floor (python3 -c pass)"
            rows.append([name, f"host containers, {what}, K={measure['parallel']}",
                         fmt(measure["rate_per_s"], "/s"), "", "-"])
        ours = data.get("ours", {})
        ratio = data.get("checks", {}).get("ratio_job", {})
        floor = data.get("ratio_to_floor", {})
        rows.append([name, "ours, sustained grading rate", fmt(ours.get("rate_per_s"), "/s"), "", "-"])
        rows.append([name, f"ours / host same job (best K={ratio.get('host_best_k')})", fmt(ratio.get("ratio")),
                     ">= 0.90", check(ratio.get("pass"))])
        rows.append([name, f"ours / floor (best K={floor.get('host_best_k')})", fmt(floor.get("ratio")), "", "-"])
    elif name in ("javascript", "sql-query", "data-analysis"):
        s = data.get("summary", {})
        warm = data.get("checks", {}).get("warm_paced", {})
        rows.append([name, "baseline: cold docker run -i, same job, p50",
                     fmt(s.get("cold_docker_run", {}).get("total_ms", {}).get("p50"), " ms"), "", "-"])
        rows.append([name, "ours warm, paced, p50", fmt(warm.get("p50_ms"), " ms"), warm.get("target", "-"),
                     check(warm.get("pass"))])
    elif name == "web-page":
        s = data.get("summary", {})
        targets = s.get("targets", {})

        def target(prefix):
            return next((ok for text, ok in targets.items() if text.startswith(prefix)), None)

        peak = s.get("peak_memory_mb") or {}
        rows.append([name, "ours cold (pool 0), p50", fmt(s.get("cold_p50_ms"), " ms"), "", "-"])
        rows.append([name, "ours warm, paced, p50", fmt(s.get("warm_p50_ms"), " ms"), "<= 1000 ms",
                     check(target("warm p50"))])
        rows.append([name, "warm / cold p50", fmt(s.get("ratio")), "<= 0.40", check(target("warm / cold"))])
        rows.append([name, "peak memory per container, max", fmt(peak.get("max"), " MB"), "<= 512 MB",
                     check(target("peak memory"))])
        if target("every run") is False:
            rows.append([name, "runs graded 'passed'", "not all", "all", "FAIL"])
    elif name in ("http-service", "fullstack", "exploit-lab"):
        s = data.get("summary", {})
        goal = data.get("target", {})
        limit = goal.get("warm_p50_ms")
        for key, label in (("ours_cold", "ours cold (pool 0)"), ("ours_warm", "ours warm")):
            if key not in s:
                continue
            total, errors = s[key]["total_ms"], s[key]["errors"]
            value = f"{fmt(total['p50'], ' ms')} (p95 {fmt(total['p95'], ' ms')}" + \
                (f", {errors} error(s))" if errors else ")")
            if key == "ours_warm" and limit:
                rows.append([name, f"{label}, p50", value, f"<= {limit:.0f} ms", check(goal.get("ok"))])
            else:
                rows.append([name, f"{label}, p50", value, "", "-"])
        if not limit and goal.get("ok") is False:
            rows.append([name, "runs of ours graded 'passed'", "none", "some", "FAIL"])
    if data.get("interrupted") or data.get("timed_out") or data.get("error"):
        rows.append([name, "run incomplete", str(data.get("error") or data.get("timed_out") or "interrupted")[:60],
                     "", "ERROR"])
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (about 8-10 minutes)")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated subset")
    parser.add_argument("--runs", type=int, help=f"runs per series of {', '.join(WITH_RUNS)} (a smoke test: 2)")
    parser.add_argument("--allow-reap", action="store_true", help="passed to e2e and throughput")
    parser.add_argument("--json", metavar="PATH", help="all results in one JSON file")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    if not PYTHON.exists():
        parser.error(f"{PYTHON} is missing: run `make setup` first")

    signal.signal(signal.SIGTERM, forward_term)
    tmp = Path(tempfile.mkdtemp(prefix="lms-bench-all-"))
    collected: dict = {}
    codes: dict = {}
    t0 = time.monotonic()
    interrupted = False
    try:
        for name in names:
            extra = ["--allow-reap"] if args.allow_reap and name in ("e2e", "throughput") else []
            if args.runs and name in WITH_RUNS:
                extra += ["--runs", str(args.runs)]  # after the defaults: argparse keeps the last one
            rc, seconds = run_one(name, args.quick, tmp / f"{name}.json", extra)
            codes[name] = {"exit": rc, "seconds": round(seconds, 1)}
            path = tmp / f"{name}.json"
            collected[name] = json.loads(path.read_text()) if path.exists() else None
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    rows = []
    for name in names:
        if name in codes:
            rows += summary_rows(name, collected.get(name))
    headers = ["benchmark", "measure", "value", "target", "result"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    total = time.monotonic() - t0
    print(f"\n{'=' * 100}\nSUMMARY ({'quick' if args.quick else 'default'} run, {total:.0f} s; "
          + ", ".join(f"{n} {c['seconds']:.0f} s exit {c['exit']}" for n, c in codes.items()) + ")")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print("-" * (sum(widths) + 2 * (len(widths) - 1)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"quick": args.quick, "seconds": round(total, 1), "exit_codes": codes,
                                               "summary": [dict(zip(headers, r)) for r in rows],
                                               "results": collected}, indent=2, default=str) + "\n")
        print(f"\nJSON results written to {args.json}")
    if interrupted or any(c["exit"] not in (0, 1) for c in codes.values()) or len(codes) < len(names):
        return 2
    return 1 if any(r[4] in ("FAIL", "ERROR") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
