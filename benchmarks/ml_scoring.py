#!/usr/bin/env python3
"""The ml-model kind's scoring on the trusted side: a learner's prediction file of N rows (10,000 by default)
read against its schema and scored, for each metric, beside its baseline in the same run:

  (a) baseline: only reading the same CSV text with the csv module (the floor: any scoring reads the file);
  (b) ours: graders.ml_metrics.read_predictions (header, every id once, no unknown id, types, finite numbers)
      + score() against the answer key.

Target: (b) p50 <= 50 ms for 10,000 predictions, for every metric.

    .venv/bin/python benchmarks/ml_scoring.py [--rows 10000] [--runs 30] [--json out.json]
"""
from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time

from benchlib import print_table, summarize, verdict, write_json

from graders.ml_metrics import METRICS, read_predictions, score

TARGET_P50_MS = 50.0
CLASSES = ["ham", "spam"]


def dataset(rows: int, task: str, seed: int = 7) -> tuple[list[str], dict, str]:
    """Ids, an answer key and a learner's prediction file (shuffled rows, as a learner's may be)."""
    rng = random.Random(seed)
    ids = [f"m{i:06d}" for i in range(rows)]
    if task == "classification":
        labels = {i: rng.choice(CLASSES) for i in ids}
        predictions = {i: (v if rng.random() < 0.8 else rng.choice(CLASSES)) for i, v in labels.items()}
    elif task == "scores":
        labels = {i: rng.choice(CLASSES) for i in ids}
        predictions = {i: round(min(1.0, max(0.0, (0.7 if v == "spam" else 0.3) + rng.gauss(0, 0.2))), 4)
                       for i, v in labels.items()}
    else:
        labels = {i: str(round(rng.uniform(100, 5000), 2)) for i in ids}
        predictions = {i: round(float(v) + rng.gauss(0, 150), 2) for i, v in labels.items()}
    order = list(ids)
    rng.shuffle(order)
    text = "id,prediction\n" + "".join(f"{i},{predictions[i]}\n" for i in order)
    return ids, labels, text


def timed(function, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        function()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    results, rows, ok = {"benchmark": "ml_scoring", "rows": args.rows, "runs": args.runs, "metrics": {}}, [], True
    for metric, (task, _) in METRICS.items():
        ids, labels, text = dataset(args.rows, task)
        kind = "classification" if task == "classification" else "regression"

        def ours():
            read = read_predictions(text, ids, "id", "prediction", kind, CLASSES)
            assert read.ok, read.problems
            return score(metric, labels, read.values, positive="spam")

        floor = summarize(timed(lambda: list(csv.reader(io.StringIO(text))), args.runs))
        mine = summarize(timed(ours, args.runs))
        good = mine["p50"] <= TARGET_P50_MS
        ok &= good
        results["metrics"][metric] = {"baseline_csv_read_ms": floor, "ours_ms": mine, "value": ours(), "pass": good}
        rows.append([metric, f"{floor['p50']:.1f}", f"{mine['p50']:.1f}", f"{mine['p95']:.1f}",
                     f"<= {TARGET_P50_MS:.0f}", verdict(good)])
    print_table(["metric", "(a) csv read p50", "(b) ours p50", "(b) ours p95", "target", ""], rows,
                title=f"Scoring {args.rows} predictions on the trusted side, ms")
    write_json(args.json, results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
