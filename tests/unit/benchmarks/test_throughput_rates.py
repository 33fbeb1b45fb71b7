"""The throughput benchmark's arithmetic: sustained rates between ramp-up and drain, and pooled CPU windows."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from throughput import pool_cpu, steady_span  # noqa: E402


def test_steady_span_leaves_out_ramp_up_and_drain():
    # Completions every 0.1 s in the middle, slow ones at both ends (pipeline filling, then emptying).
    times = [1.0, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 3.0, 4.0]
    count, seconds = steady_span(times, edge=2)
    # Counted: 1.6 .. 2.0, the completions after the 2nd (1.5) up to the one before the last 2 (3.0, 4.0).
    assert count == 5
    assert seconds == pytest.approx(0.5)
    assert count / seconds == pytest.approx(10.0)


def test_steady_span_needs_enough_completions():
    assert steady_span([1.0, 2.0, 3.0], edge=2) == (0, 0.0)


def test_pool_cpu_adds_windows_and_recomputes_shares():
    window = {"wall_s": 2.0, "cpus": 2, "host_busy_s": 3.0,
              "by_category_s": {"engine": 1.0, "containers": 2.0}, "by_category_pct_of_capacity": {}}
    pooled = pool_cpu([window, {**window, "host_busy_s": 1.0, "by_category_s": {"engine": 0.5}}])
    assert pooled["wall_s"] == 4.0
    assert pooled["host_busy_s"] == 4.0
    assert pooled["host_busy_pct"] == 50.0
    assert pooled["by_category_s"] == {"engine": 1.5, "containers": 2.0}
    assert pooled["by_category_pct_of_capacity"]["engine"] == pytest.approx(18.8)
