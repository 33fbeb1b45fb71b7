"""The benchmarks' shared round-trip helpers on plain data: series rows and errors, stats, teardown, the summary rows."""
import argparse
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
import benchlib  # noqa: E402
import run_all  # noqa: E402
from sandboxes.container import SandboxError  # noqa: E402


class FakeGrader:
    def plan(self, spec, files):
        return "plan"

    def judge(self, spec, plan, result):
        return SimpleNamespace(verdict=SimpleNamespace(value=result.verdict), score=1.0,
                               checks=[SimpleNamespace(id="c1", passed=result.verdict == "passed", status="failed",
                                                       message="no")])


class FakeRunner:
    def __init__(self, outcomes):
        self.outcomes = list(outcomes)

    def run(self, plan):
        outcome = self.outcomes.pop(0)
        if outcome == "boom":
            raise SandboxError("container gone")
        return SimpleNamespace(timings_ms={"acquire": 1.0, "run": 2.0}, warm=outcome == "passed", verdict=outcome,
                               status="completed", steps=[SimpleNamespace(name="calls", duration_ms=3.0)],
                               container_id="abc")


def test_grade_series_rows_errors_and_on_run():
    deadline = benchlib.Deadline(60)
    rows = benchlib.grade_series(FakeRunner(["passed", "boom", "failed"]), FakeGrader(), None, {}, 3, deadline, "x")
    assert set(rows[0]) == {"total", "plan", "acquire", "run", "judge", "warm", "verdict", "score", "status", "steps"}
    assert rows[0]["steps"] == {"calls": 3.0} and rows[0]["warm"] is True
    assert rows[1]["error"] == "container gone"
    assert rows[2]["verdict"] == "failed"
    rows = benchlib.grade_series(FakeRunner(["passed", "failed"]), FakeGrader(), None, {}, 2, deadline, "x",
                                 on_run=benchlib.passed_only)
    assert "error" not in rows[0]
    assert rows[1]["error"].startswith("failed (sandbox completed): [('c1', 'failed', 'no')]")


def test_grade_series_stops_at_the_deadline():
    with pytest.raises(TimeoutError):
        benchlib.grade_series(FakeRunner(["passed"]), FakeGrader(), None, {}, 1, benchlib.Deadline(-1), "x")


def test_timed_series_counts_failures():
    calls = iter([{"total": 5.0}, RuntimeError("nope")])

    def measure():
        value = next(calls)
        if isinstance(value, Exception):
            raise value
        return value

    rows = benchlib.timed_series(measure, 2, benchlib.Deadline(60), "b")
    assert rows[0] == {"total": 5.0} and rows[1]["error"] == "nope"


def test_series_stats_rows_phases_summary():
    series = {"base": [{"total": 10.0, "start": 4.0}],
              "ours": [{"total": 2.0, "acquire": 1.0, "warm": True, "steps": {"s": 1.5}},
                       {"total": 6.0, "acquire": 5.0, "warm": False, "steps": {"s": 2.5}}, {"error": "x", "total": 1}]}
    labels = {"base": "(a) base", "ours": "(b) ours, warm", "absent": "(c) none"}
    rows, phase_rows, summary = benchlib.series_stats(series, labels, {"base": ("start",), "ours": ("acquire",)},
                                                      baseline="base", prefixes={"ours": "(b)"},
                                                      warm_split=("ours",), extra=lambda key: [key])
    assert [r[0] for r in rows] == ["(a) base", "(b) ours, warm"]
    assert rows[0][-3:] == ["-", 0, "base"] and rows[1][-3:] == ["1/2", 1, "ours"]
    assert [r[0] for r in phase_rows] == ["(a) base: start", "(b): acquire", "(b): step 's'",
                                          "(b): total, warm hits only", "(b): total, pool misses only"]
    assert summary["base"]["warm_hits"] is None and summary["ours"]["errors"] == 1
    assert summary["ours"]["total_ms"]["p50"] == 4.0 and summary["ours"]["step_s_ms"]["n"] == 2
    assert summary["ours"]["total_warm_hits_ms"]["p50"] == 2.0
    rows, _, _ = benchlib.series_stats(series, labels, {}, baseline="base", counts=False)
    assert len(rows[0]) == 7


def test_wait_pool_ready():
    full = SimpleNamespace(stats=lambda: {"pools": [{"ready": 2, "size": 2}]})
    assert benchlib.wait_pool_ready(full) < 1
    empty = SimpleNamespace(stats=lambda: {"pools": [{"ready": 0, "size": 2}]})
    with pytest.raises(TimeoutError):
        benchlib.wait_pool_ready(empty, timeout=0.1)


def test_write_files_script_writes_folders_and_execs(tmp_path):
    files = {"app.py": "print('$HOME `x`')\n", "templates/index.html": "<p>EOF</p>", "static/a.js": "x"}
    script = benchlib.write_files_script(files, "cat app.py templates/index.html")
    out = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert out == "print('$HOME `x`')\n\n<p>EOF</p>\n"
    assert (tmp_path / "static" / "a.js").read_text() == "x\n"


def test_wait_for_port_source_compiles():
    compile(benchlib.wait_for_port_source(5000), "probe", "exec")


def test_arguments_and_bounds():
    parser = argparse.ArgumentParser()
    benchlib.add_bench_arguments(parser, runs=10, pool_size=2, quiet_wait=5)
    args = benchlib.parse_bench_args(parser, ["--runs", "3"], max_runs=20)
    assert (args.runs, args.warmup, args.max_seconds, args.pool_size, args.quiet_wait, args.json) == (
        3, 2, 300, 2, 5, None)
    for bad in (["--runs", "0"], ["--runs", "21"], ["--pool-size", "0"]):
        with pytest.raises(SystemExit):
            benchlib.parse_bench_args(parser, bad, max_runs=20)


@pytest.mark.parametrize("exc,key", [(KeyboardInterrupt, "interrupted"), (TimeoutError("late"), "timed_out")])
def test_measuring_marks_incomplete_and_tears_down(exc, key, monkeypatch):
    closed = []
    runner = SimpleNamespace(close=lambda: closed.append("runner"))
    client = SimpleNamespace(close=lambda: closed.append("client"))
    monkeypatch.setattr(benchlib, "remove_bench_containers", lambda c, run_id: closed.append(run_id) or 0)
    results, runners = {}, [runner]
    with benchlib.measuring(results, client, "rid", runners):
        raise exc
    assert results[key] and benchlib.incomplete(results)
    assert closed == ["runner", "rid", "client"] and runners == [] and "elapsed_s" in results
    assert benchlib.finish(results, SimpleNamespace(json=None), True) == 2


def test_run_all_rows_for_the_kinds():
    assert run_all.summary_rows("javascript", None)[0][-1] == "ERROR"
    rows = run_all.summary_rows("web-page", {"summary": {"warm_p50_ms": 800.0, "cold_p50_ms": 2500.0, "ratio": 0.32,
                                                         "peak_memory_mb": {"max": 300.0},
                                                         "targets": {"warm p50 800.0 ms <= 1000 ms": True,
                                                                     "warm / cold p50 = 0.32 <= 0.4": True,
                                                                     "peak memory 300.0 MB <= 512 MB": True,
                                                                     "every run graded passed": False}}})
    assert [r[-1] for r in rows] == ["-", "PASS", "PASS", "PASS", "FAIL"]
    rows = run_all.summary_rows("fullstack", {"summary": {}, "target": {"warm_p50_ms": None, "ok": False},
                                              "interrupted": True})
    assert [r[-1] for r in rows] == ["FAIL", "ERROR"]
