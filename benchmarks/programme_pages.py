#!/usr/bin/env python3
"""Page latency against a seeded programme (issue 11's scale): learner pages and the instructor gradebook, under
concurrent clients, on SQLite and on PostgreSQL, each beside a small programme (the baseline) in the same run.

For each backend and each size it builds a fresh database by the migrations, imports the bundled content, runs
`flask lms seed-programme` (the target: 15,000 learners, 40 centres, 500 cohorts of 30, 1,000,000 submissions;
the baseline: 300 learners, 10 cohorts), starts gunicorn (3 workers x 4 threads, as on a 2-core host) on a free
127.0.0.1 port, logs each client in as its own learner (then its own instructor), and has `--clients` threads
browse for `--seconds` each: learners go tracks -> track -> module -> exercise -> their submissions; instructors
open the gradebook of their 30-learner cohort, each pausing `--think` seconds on average between two pages (a
person reading; 0 makes it a closed-loop stress). The first pass of each client is a warm-up, not counted.

Targets (issue 11): learner pages p95 < 100 ms; gradebook of a 30-learner cohort p95 < 300 ms.

    .venv/bin/python benchmarks/programme_pages.py [--backend sqlite|postgresql|both] [--learners 15000]
        [--clients 20] [--seconds 30] [--think 1.0] [--json out.json]
"""
from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from benchlib import (CONTENT_DIR, LOCALHOST, ROOT, STATS_HEADERS, VENV_BIN, free_port, print_table,
                      results_header, stats_row, summarize, verdict, write_json)

TARGET_LEARNER_P95_MS = 100.0
TARGET_GRADEBOOK_P95_MS = 300.0
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PASSWORD = "seed-programme-pw"  # lms/programme/seed.py's default


def postgres_admin_url() -> str:
    if os.environ.get("LMS_BENCH_POSTGRES_URL"):
        return os.environ["LMS_BENCH_POSTGRES_URL"]
    out = subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), "postgres-url", "postgres"],
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()
    return out[-1]


class Site:
    """A database of one backend and size, seeded, served by gunicorn."""

    def __init__(self, backend: str, learners: int, cohorts: int, centres: int, submissions: int, redis_db: int):
        self.backend, self.learners, self.cohorts = backend, learners, cohorts
        self.centres, self.submissions = centres, submissions
        self.tmp = Path(tempfile.mkdtemp(prefix=f"lms-bench-programme-{backend}-"))
        self.pg_name = None
        if backend == "sqlite":
            self.url = f"sqlite:///{self.tmp / 'lms.sqlite'}"
        else:
            from sqlalchemy import create_engine, make_url, text

            admin = make_url(postgres_admin_url())
            self.pg_name = f"lmsbench_{secrets.token_hex(4)}"
            with create_engine(admin, isolation_level="AUTOCOMMIT").connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{self.pg_name}"'))
            self.admin = admin
            self.url = admin.set(database=self.pg_name).render_as_string(hide_password=False)
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("LMS_")},
                    "LMS_VAR": str(self.tmp), "LMS_DATABASE_URL": self.url,
                    "LMS_REDIS_URL": f"redis://{LOCALHOST}:6379/{redis_db}", "LMS_SECRET_KEY": secrets.token_hex(16),
                    "NO_PROXY": LOCALHOST, "no_proxy": LOCALHOST, "PYTHONUNBUFFERED": "1"}
        self.server = None
        self.port = None
        self.seed_seconds = None

    def flask(self, *args: str) -> str:
        result = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=3600)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        return result.stdout

    def build(self) -> None:
        self.flask("db", "upgrade")
        self.flask("lms", "import-content", str(CONTENT_DIR))
        started = time.monotonic()
        self.flask("lms", "seed-programme", "--learners", str(self.learners), "--cohorts", str(self.cohorts),
                   "--centres", str(self.centres), "--submissions", str(self.submissions))
        self.seed_seconds = round(time.monotonic() - started, 1)

    def serve(self) -> str:
        self.port = free_port()
        log = open(self.tmp / "gunicorn.log", "wb")
        self.server = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--workers", "3", "--worker-class", "gthread", "--threads", "4",
             "--bind", f"{LOCALHOST}:{self.port}", "--timeout", "60", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://{LOCALHOST}:{self.port}"
        for _ in range(300):
            try:
                if requests.get(f"{url}/login", timeout=2).status_code == 200:
                    return url
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer: {(self.tmp / 'gunicorn.log').read_text()[-2000:]}")

    def instructor_cohorts(self) -> list[tuple[str, int]]:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT u.email, g.cohort_id FROM role_grants g JOIN users u ON u.id = g.user_id "
                "WHERE g.role = 'instructor' AND u.email LIKE 'instructor%@seed.jobintech.ma' ORDER BY u.email")).all()
        engine.dispose()
        return [(email, cohort_id) for email, cohort_id in rows]

    def close(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.server.kill()
        if self.pg_name:
            from sqlalchemy import create_engine, text

            with create_engine(self.admin, isolation_level="AUTOCOMMIT").connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
        shutil.rmtree(self.tmp, ignore_errors=True)


def logged_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    token = CSRF.search(session.get(f"{base}/login").text).group(1)
    answer = session.post(f"{base}/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                          allow_redirects=False)
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"login of {email} refused ({answer.status_code})")
    return session


def first_link(html: str, pattern: str) -> str:
    found = re.search(pattern, html)
    if not found:
        raise RuntimeError(f"no link like {pattern!r} on the page")
    return found.group(1)


def learner_pages(session: requests.Session, base: str) -> list[str]:
    """What a learner opens, found by following the links as they would."""
    tracks = session.get(f"{base}/tracks").text
    track = first_link(tracks, r'href="(/tracks/[^"/]+)"')
    module = first_link(session.get(base + track).text, r'href="(/tracks/[^"/]+/[^"/]+)"')
    exercise = first_link(session.get(base + module).text, r'href="(/exercises/[^"]+)"')
    return ["/tracks", track, module, exercise, "/submissions"]


def load(sessions_and_pages, base: str, seconds: float, think: float) -> tuple[list[float], int]:
    timings: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(session, pages):
        pause = random.Random(id(session))
        for path in pages:  # warm-up pass
            session.get(base + path)
        while time.monotonic() < stop:
            for path in pages:
                started = time.perf_counter()
                answer = session.get(base + path)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if answer.status_code == 200:
                        timings.append(elapsed)
                    else:
                        errors[0] += 1
                if think:
                    time.sleep(think * pause.uniform(0.5, 1.5))

    threads = [threading.Thread(target=client, args=pair, daemon=True) for pair in sessions_and_pages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, errors[0]


def measure(site: Site, clients: int, seconds: float, think: float) -> dict:
    site.build()
    base = site.serve()
    per_cohort = max(1, site.learners // site.cohorts)
    learners = [f"learner{(i * per_cohort) % site.learners + 1:05d}@seed.jobintech.ma" for i in range(clients)]
    sessions = [logged_in(base, email) for email in learners]
    learner_timings, learner_errors = load([(s, learner_pages(s, base)) for s in sessions], base, seconds, think)
    instructors = site.instructor_cohorts()[:clients]
    gradebooks = [(logged_in(base, email), [f"/gradebook/cohorts/{cohort_id}"]) for email, cohort_id in instructors]
    gradebook_timings, gradebook_errors = load(gradebooks, base, seconds, think)
    return {"seed_s": site.seed_seconds, "learner_ms": summarize(learner_timings), "learner_errors": learner_errors,
            "gradebook_ms": summarize(gradebook_timings), "gradebook_errors": gradebook_errors,
            "_raw": (learner_timings, gradebook_timings)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--learners", type=int, default=15_000)
    parser.add_argument("--cohorts", type=int, default=500)
    parser.add_argument("--centres", type=int, default=40)
    parser.add_argument("--submissions", type=int, default=1_000_000)
    parser.add_argument("--baseline-learners", type=int, default=300)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between two pages of a client (s)")
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    baseline_cohorts = max(1, args.baseline_learners // 30)
    sizes = {"baseline": (args.baseline_learners, baseline_cohorts, min(args.centres, baseline_cohorts),
                          args.submissions * args.baseline_learners // args.learners),
             "target": (args.learners, args.cohorts, args.centres, args.submissions)}
    results = results_header("programme_pages", args, runs={})
    rows, ok = [], True
    for backend in backends:
        for label, (learners, cohorts, centres, submissions) in sizes.items():
            print(f"{backend} {label}: seeding {learners} learners, {cohorts} cohorts, {submissions} submissions ...",
                  flush=True)
            site = Site(backend, learners, cohorts, centres, submissions, args.redis_db)
            try:
                run = measure(site, args.clients, args.seconds, args.think)
            finally:
                site.close()
            learner_raw, gradebook_raw = run.pop("_raw")
            results["runs"][f"{backend}-{label}"] = run
            rows.append(stats_row(f"{backend} {label}: learner pages", learner_raw, run["learner_errors"],
                                  run["seed_s"]))
            rows.append(stats_row(f"{backend} {label}: gradebook (30 learners)", gradebook_raw,
                                  run["gradebook_errors"], run["seed_s"]))
            if label == "target":
                ok &= (run["learner_ms"]["p95"] or 1e9) < TARGET_LEARNER_P95_MS
                ok &= (run["gradebook_ms"]["p95"] or 1e9) < TARGET_GRADEBOOK_P95_MS
                ok &= not (run["learner_errors"] or run["gradebook_errors"])
    print_table([*STATS_HEADERS, "errors", "seed s"], rows,
                title=f"Page latency, {args.clients} concurrent clients ({args.think:g} s between pages), "
                      f"{args.seconds:.0f} s each "
                      f"(targets at {args.learners} learners: learner p95 < {TARGET_LEARNER_P95_MS:.0f} ms, "
                      f"gradebook p95 < {TARGET_GRADEBOOK_P95_MS:.0f} ms)")
    print(f"\n{verdict(ok)}")
    results["ok"] = ok
    write_json(args.json, results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
