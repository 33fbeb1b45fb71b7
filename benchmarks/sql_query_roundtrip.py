#!/usr/bin/env python3
"""One grading round trip of a sql-query exercise, warm, beside its baseline measured in the same run.

  (a) baseline: a cold `docker run -i --rm` of the sql sandbox image with the sandbox's hardening, its entry
      process fed the same job (the reference statement on the visible database, then on the two hidden ones),
      read to the end;
  (b) our runner with its warm pool (pool_size >= 1, prewarmed once), paced (0.5 s between runs): plan + run +
      judge.

Each step forks the entry process (sqlite3 imported before the ready frame), builds its database from its SQL
script in memory and runs the statement: three steps, in two phases. Target: warm p50 <= 150 ms.

    .venv/bin/python benchmarks/sql_query_roundtrip.py [--runs 40] [--pace 0.5] [--exercise chiffre-affaires-regions]
"""
from __future__ import annotations

import os
import sys

from benchlib import warm_job_roundtrip

SQL_IMAGE = os.environ.get("LMS_SANDBOX_SQL_IMAGE", "lms/sandbox-sql:latest")
TARGET_WARM_P50_MS = 150.0


def main(argv=None) -> int:
    return warm_job_roundtrip(argv, __doc__, name="sql_query_roundtrip", kind="sql-query", image_key="sql",
                              image=SQL_IMAGE, exercise="chiffre-affaires-regions", target_ms=TARGET_WARM_P50_MS,
                              step_label="step '{}' in the box (database built included)")


if __name__ == "__main__":
    sys.exit(main())
