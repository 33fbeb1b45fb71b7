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

import os
import sys

from benchlib import warm_job_roundtrip

NODE_IMAGE = os.environ.get("LMS_SANDBOX_NODE_IMAGE", "lms/sandbox-node:latest")
TARGET_WARM_P50_MS = 150.0


def main(argv=None) -> int:
    return warm_job_roundtrip(argv, __doc__, name="javascript_roundtrip", kind="javascript", image_key="node",
                              image=NODE_IMAGE, exercise="tableaux-chaines", target_ms=TARGET_WARM_P50_MS,
                              step_label="step '{}' in the box (node boot included)")


if __name__ == "__main__":
    sys.exit(main())
