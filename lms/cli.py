"""`flask lms ...`: content import and check, demo accounts, users, the grading worker, recovery."""
from __future__ import annotations

import logging
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from lms.auth.services import AccountError, create_demo_accounts, create_user
from lms.catalog.checking import check_library
from lms.catalog.content import ContentError
from lms.catalog.importer import import_library

lms_cli = AppGroup("lms", help="LMS administration commands.")


@lms_cli.command("import-content")
@click.argument("folder", required=False)
def import_content(folder):
    """Import (upsert) the content library, archiving exercises that disappeared."""
    folder = folder or current_app.config["LMS_CONTENT_DIR"]
    try:
        report = import_library(folder)
    except ContentError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"content: {len(report.created)} created, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged, {len(report.archived)} archived")


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


@lms_cli.command("demo-users")
def demo_users():
    """Create the demo accounts that are missing; their passwords are printed this once."""
    created = create_demo_accounts()
    if not created:
        click.echo("demo accounts already exist (passwords were printed when they were created)")
        return
    click.echo("Demo accounts (shown once, keep them):")
    for email, password, role in created:
        click.echo(f"  {role:<10} {email:<32} {password}")


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
@click.option("--name", default="worker-1", help="Stable name: a restarted worker recovers its own jobs.")
@click.option("--pool-size", default=2, show_default=True, help="Warm containers per profile (0: cold only).")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(name, pool_size, burst):
    """Run a grading worker (RQ) with its warm sandbox pool."""
    from lms.grading.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_worker(current_app._get_current_object(), name=name, pool_size=pool_size, burst=burst)


@lms_cli.command("recover")
def recover():
    """Re-enqueue or fail submissions stuck in queued/running (also done by every worker)."""
    from lms.grading.recovery import recover_stuck_submissions

    report = recover_stuck_submissions()
    click.echo(f"enqueued {report.enqueued}, retried {report.retried}, failed {report.failed}")
