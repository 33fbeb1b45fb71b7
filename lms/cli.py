"""`flask lms ...`: content import, sources and check, demo accounts, users, the grading worker, recovery."""
from __future__ import annotations

import logging
import re
import socket
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from lms.auth.services import AccountError, create_demo_accounts, create_user
from lms.catalog.checking import check_library
from lms.catalog.content import ContentError
from lms.catalog.importer import import_library, source_summaries
from lms.catalog.models import SourceKind
from lms.catalog.sources import current_operator
from lms.clock import utcnow
from lms.programme.services import create_demo_programme, operator_grant

WORKER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$")
lms_cli = AppGroup("lms", help="LMS administration commands.")


@lms_cli.command("import-content")
@click.argument("folder", required=False)
@click.option("--source", "source_name", metavar="NAME",
              help="The source's stable name (default: source.yaml's name, else the git remote, else the path).")
@click.option("--move-from", multiple=True, metavar="SOURCE",
              help="Take over the exercises (same uuid) that this other source owns. Repeatable.")
def import_content(folder, source_name, move_from):
    """Import (upsert) a content library as one source, archiving the exercises that disappeared from it."""
    folder = folder or current_app.config["LMS_CONTENT_DIR"]
    try:
        report = import_library(folder, source_name=source_name, move_from=move_from,
                                imported_by=current_operator())
    except ContentError as exc:
        raise click.ClickException(str(exc)) from exc
    source = report.source
    commit = f" at {source.git_commit[:12]}" if source.git_commit else ""
    click.echo(f"source {source.name} ({'new, ' if report.new_source else ''}name from {source.named_by}): "
               f"{'git checkout' if source.kind == SourceKind.GIT else 'folder'} {source.location}{commit}")
    left = f", {len(report.left)} left to other sources" if report.left else ""
    click.echo(f"{source.name}: {len(report.created)} created, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged, {len(report.moved)} moved in, {len(report.archived)} archived"
               f"{left}")
    for label, previous in report.moved:
        click.echo(f"  moved {label} from {previous}")
    for label, owner in report.left:
        click.echo(f"  left {label} to {owner} (moved there)")
    for label in report.archived:
        click.echo(f"  archived {label}")
    for kind, labels in (("modules", report.archived_modules), ("tracks", report.archived_tracks)):
        if labels:
            click.echo(f"{kind} no source provides any more, archived: {', '.join(labels)}")


@lms_cli.command("sources")
def sources():
    """List the content sources: kind, location, commit, last import, active and archived exercises."""
    summaries = source_summaries()
    if not summaries:
        click.echo("no content source yet: flask lms import-content FOLDER")
        return
    table = [("NAME", "KIND", "LOCATION", "COMMIT", "LAST IMPORT (UTC)", "BY", "ACTIVE", "ARCHIVED")]
    for s in summaries:
        row = s.source
        table.append((row.name, row.kind, row.location, (row.git_commit or "-")[:12],
                      row.imported_at.strftime("%Y-%m-%d %H:%M:%S") if row.imported_at else "-",
                      row.imported_by or "-", str(s.active), str(s.archived)))
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())


@lms_cli.command("check-content")
@click.argument("folder", required=False)
def check_content(folder):
    """Validate the library and grade every reference solution and starter in the real sandbox."""
    from sandboxes.runner import SandboxRunner

    folder = folder or current_app.config["LMS_CONTENT_DIR"]
    runner = SandboxRunner(images=current_app.config["LMS_SANDBOX_IMAGES"])
    try:
        results = check_library(folder, runner)
    except ContentError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runner.close()
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        click.echo(f"{mark} {result.label}: solution {result.solution_score}/{result.max_score} "
                   f"({result.solution_verdict}), starter {result.starter_score} ({result.starter_verdict})")
        for problem in result.problems:
            click.echo(f"     - {problem}")
    failed = [r for r in results if not r.ok]
    click.echo(f"{len(results) - len(failed)}/{len(results)} exercises ok")
    if failed or not results:
        sys.exit(1)


@lms_cli.command("expect-content")
@click.argument("folder", required=False)
def expect_content(folder):
    """Run the reference solution of every exercise whose kind records expected observations (data-analysis) in
    the real sandbox and write each one's expected.json (commit them with the exercise)."""
    from lms.catalog.expectations import exercises_needing_expectations, write_expectations
    from sandboxes.runner import SandboxRunner

    folders = exercises_needing_expectations(folder or current_app.config["LMS_CONTENT_DIR"])
    runner = SandboxRunner(images=current_app.config["LMS_SANDBOX_IMAGES"])
    try:
        for exercise in folders:
            stored = write_expectations(exercise, runner)
            click.echo(f"ok   {exercise}: {len(stored['checks'])} expected observation(s)")
    except ContentError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runner.close()
    click.echo(f"{len(folders)} exercise(s) with expected observations")


@lms_cli.command("demo-users")
def demo_users():
    """Create the demo accounts that are missing; their passwords are printed this once."""
    created = create_demo_accounts()
    cohort = create_demo_programme(utcnow().date().replace(day=1))
    if cohort is not None:
        click.echo(f"demo programme: {cohort.centre.name}, one running cohort per track, every module published "
                   "(due dates two weeks apart); the demo learners are in each, taught by the demo instructor")
    if not created:
        click.echo("demo accounts already exist (passwords were printed when they were created)")
        return
    click.echo("Demo accounts (shown once, keep them):")
    for email, password, role in created:
        click.echo(f"  {role:<10} {email:<32} {password}")


@lms_cli.command("seed-programme")
@click.option("--learners", default=15_000, show_default=True)
@click.option("--centres", default=40, show_default=True)
@click.option("--cohorts", default=500, show_default=True)
@click.option("--submissions", default=1_000_000, show_default=True)
@click.option("--attendance-marks", default=2_000_000, show_default=True)
@click.option("--seed", default=1, show_default=True, help="the same seed writes the same programme")
def seed_programme_command(learners: int, centres: int, cohorts: int, submissions: int, attendance_marks: int,
                           seed: int):
    """Seed a realistic programme (issue 11's scale by default) into a database whose content is imported, to
    measure the pages against it. Every seeded account (…@seed.jobintech.ma) has the password printed."""
    from lms.programme.seed import seed_programme

    if not (1 <= cohorts <= learners and 1 <= centres <= cohorts and submissions >= 0 and attendance_marks >= 0):
        raise click.BadParameter("1 <= centres <= cohorts <= learners; submissions and marks >= 0")
    try:
        report = seed_programme(learners=learners, centres=centres, cohorts=cohorts, submissions=submissions,
                                attendance_marks=attendance_marks, seed=seed, progress=click.echo)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(", ".join(f"{count} {name}" for name, count in report.counts.items()))
    click.echo(f"seeded accounts: learner00001@seed.jobintech.ma ... instructor001@..., staff@...; "
               f"password {report.password}")


@lms_cli.command("recompute-grades")
def recompute_grades_command():
    """Rewrite every stored grade from the graded submissions, the windows and the late policies (after a
    restore, or if a worker could not update a gradebook)."""
    from sqlalchemy import select

    from lms.deadlines.services import refresh_windows
    from lms.extensions import db
    from lms.gradebook.services import recompute_all
    from lms.programme.models import Cohort

    for cohort_id in db.session.scalars(select(Cohort.id)).all():
        refresh_windows(cohort_id)
    click.echo(f"{recompute_all()} stored grade(s) rewritten")


@lms_cli.command("grant-role")
@click.option("--email", required=True, help="a staff account (created with --role instructor)")
@click.option("--role", required=True, type=click.Choice(["programme_staff", "regional_coordinator",
                                                          "centre_manager"]))
@click.option("--region", "region_code", help="the region's code, for a regional coordinator (casablanca-settat...)")
@click.option("--centre", "centre_name", help="the centre's name, for a centre manager")
def grant_role_command(email, role, region_code, centre_name):
    """Give a staff account a role on its scope (the first programme staff; later ones on the programme page)."""
    try:
        grant = operator_grant(email, role, region_code, centre_name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{email}: {grant.role} granted")


@lms_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--role", type=click.Choice(["learner", "instructor", "admin"]), default="learner")
@click.password_option()
def create_user_command(email, name, role, password):
    """Create an account."""
    try:
        create_user(email, name, password, role)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {role} {email}")


@lms_cli.command("worker")
@click.option("--name", default=lambda: f"{socket.gethostname().split('.')[0][:40]}-1",
              help="Stable name, unique in the deployment (default: <hostname>-1): a restarted worker takes back "
                   "what it was grading when it died.")
@click.option("--pool-size", default=2, show_default=True, help="Warm containers per profile (0: cold only).")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(name, pool_size, burst):
    """Run a grading worker (RQ) with its warm sandbox pool."""
    from lms.grading.worker import run_worker

    # Rows record "<name>.<6 hex>" in 64 characters; a dot would confuse the name with RQ's per-start suffix.
    if not WORKER_NAME.match(name):
        raise click.BadParameter("letters, digits, - and _, at most 48 characters", param_hint="--name")

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_worker(current_app._get_current_object(), name=name, pool_size=pool_size, burst=burst)


@lms_cli.command("recover")
def recover():
    """Re-enqueue or fail submissions stuck in queued/running (also done by every worker)."""
    from lms.grading.recovery import recover_stuck_submissions

    report = recover_stuck_submissions()
    click.echo(f"enqueued {report.enqueued}, retried {report.retried}, failed {report.failed}")
