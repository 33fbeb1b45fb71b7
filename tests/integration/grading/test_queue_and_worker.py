"""The grading path with the real Redis, a real RQ worker (burst mode) and real containers."""
import json
import zlib

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from lms.extensions import db
from lms.grading.queue import GRADE_JOB
from lms.submissions.models import Status, Submission
from lms.submissions.services import create_submission
from tests.conftest import REDIS_URL, solution_of


def test_row_is_committed_before_the_job_and_the_job_is_json(app, content, make_user, redis_connection):
    learner = make_user()
    submission = create_submission(learner, content["moyenne"], solution_of("moyenne"))
    queue = Queue("grading", connection=redis_connection, serializer=JSONSerializer)
    job = queue.fetch_job(submission.job_id)
    assert job.func_name == GRADE_JOB
    assert job.args == [submission.id, 1]
    assert job.timeout > 5  # above the sandbox's wall limit
    payload = json.loads(zlib.decompress(redis_connection.hget(job.key, "data")))  # JSON, never pickle
    assert payload[0] == GRADE_JOB and payload[2] == [submission.id, 1]
    row = db.session.get(Submission, submission.id)
    assert row.status == Status.QUEUED and row.created_at <= row.queued_at


def test_worker_grades_and_records_every_phase(app, content, make_user, run_worker_burst):
    learner = make_user()
    good = create_submission(learner, content["moyenne"], solution_of("moyenne")).id
    bad = create_submission(learner, content["palindrome"], solution_of("palindrome", "starter")).id
    run_worker_burst()
    good, bad = db.session.get(Submission, good), db.session.get(Submission, bad)
    assert (good.status, good.verdict, good.score) == (Status.COMPLETED, "passed", 10.0)
    assert bad.status == Status.COMPLETED and bad.verdict != "passed" and bad.score < 10
    for row in (good, bad):
        stamps = [row.created_at, row.queued_at, row.started_at, row.container_started_at, row.finished_at,
                  row.stored_at]
        assert None not in stamps and stamps == sorted(stamps)
        assert row.worker_name.startswith("test-worker.")  # the RQ worker's name: one per worker start


def test_redis_down_at_submit_time_loses_nothing(app, content, make_user, run_worker_burst):
    """The row is written even when the queue is unreachable; recovery enqueues it later."""
    from lms.grading.recovery import recover_stuck_submissions

    learner = make_user()
    app.config["LMS_REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    app.extensions.pop("lms.redis", None)
    submission = create_submission(learner, content["moyenne"], solution_of("moyenne"))
    assert submission.status == Status.QUEUED and submission.queued_at is None
    app.config["LMS_REDIS_URL"] = REDIS_URL
    app.extensions.pop("lms.redis", None)
    submission.created_at = submission.created_at.replace(year=2000)
    db.session.commit()
    report = recover_stuck_submissions()
    assert report.enqueued == [submission.id]
    submission_id = submission.id
    run_worker_burst()
    assert db.session.get(Submission, submission_id).verdict == "passed"


def test_lost_job_is_enqueued_again(app, content, make_user, redis_connection, run_worker_burst):
    """Redis loses the job (flush, restart without persistence): recovery enqueues the same attempt again (a lost
    job is not a failed attempt), once, however many workers look."""
    from lms.grading.recovery import recover_stuck_submissions

    learner = make_user()
    submission = create_submission(learner, content["moyenne"], solution_of("moyenne"))
    redis_connection.flushdb()
    submission.queued_at = submission.queued_at.replace(year=2000)
    db.session.commit()
    report = recover_stuck_submissions()
    assert report.requeued == [submission.id]
    assert not recover_stuck_submissions()  # its job is in Redis again: nothing more to do
    submission_id = submission.id
    run_worker_burst()
    row = db.session.get(Submission, submission_id)
    assert (row.status, row.verdict, row.attempts) == (Status.COMPLETED, "passed", 1)


def test_worker_that_died_mid_job_is_recovered_when_it_restarts(app, content, make_user, run_worker_burst):
    """A row left `running` by a worker that died is taken back by that worker's next start."""
    learner = make_user()
    submission = create_submission(learner, content["moyenne"], solution_of("moyenne"))
    # Simulate the death: the job was taken and the row marked running, then the process vanished.
    queue_connection = Redis.from_url(REDIS_URL)
    queue_connection.flushdb()
    submission.status = Status.RUNNING
    submission.worker_name = "test-worker"
    db.session.commit()
    submission_id = submission.id
    run_worker_burst()  # same name: recovers its own running rows at start, then grades them
    row = db.session.get(Submission, submission_id)
    assert (row.status, row.verdict, row.attempts) == (Status.COMPLETED, "passed", 2)


def test_repeated_platform_failures_end_in_a_named_grading_error(app, content, make_user, run_worker_burst):
    """When the sandbox image is missing, each attempt fails on the platform side; after the configured
    attempts the row is final with the grading_error verdict, never a wrong answer."""
    learner = make_user()
    app.config["LMS_SANDBOX_IMAGES"] = {"python": "lms/does-not-exist:never"}
    submission_id = create_submission(learner, content["moyenne"], solution_of("moyenne")).id
    run_worker_burst()
    row = db.session.get(Submission, submission_id)
    assert row.status == Status.ERROR and row.verdict == "grading_error"
    assert row.attempts == app.config["LMS_MAX_GRADING_ATTEMPTS"]
    assert "missing" in row.error_reason
    assert row.score is None


def test_abandoned_job_gets_its_next_attempt_through_rq(app, content, make_user, redis_connection,
                                                         run_worker_burst):
    """A worker takes a job, marks the row running, and dies without a word: its heartbeats stop, RQ's
    started-job registry finds the job abandoned once their TTL is over, and its failure callback queues the next
    attempt, which the next worker grades."""
    from rq.registry import StartedJobRegistry

    from lms.grading.recovery import abandoned_jobs_cleanup
    from lms.grading.worker import HEARTBEAT_TTL_SECONDS, GradingWorker, Health

    learner = make_user()
    submission = create_submission(learner, content["moyenne"], solution_of("moyenne"))
    queue = Queue("grading", connection=redis_connection, serializer=JSONSerializer)
    import threading

    engine_up = threading.Event()
    engine_up.set()
    doomed = GradingWorker([queue], connection=redis_connection, serializer=JSONSerializer, name="doomed.1",
                           health=Health(), engine_available=engine_up)
    doomed.register_birth()
    job, _ = doomed.dequeue_job_and_maintain_ttl(timeout=1)
    doomed.prepare_execution(job)  # in the started-job registry, with a heartbeat TTL
    submission.status, submission.worker_name = Status.RUNNING, doomed.name
    db.session.commit()
    registry = StartedJobRegistry(queue=queue)
    assert job.id in registry.get_job_ids(cleanup=False)

    abandoned_jobs_cleanup(redis_connection)  # heartbeats are still fresh: nothing happens
    db.session.refresh(submission)
    assert (submission.status, submission.attempts) == (Status.RUNNING, 1)

    import time
    from unittest import mock

    later = time.time() + HEARTBEAT_TTL_SECONDS + 1
    with mock.patch("rq.registry.current_timestamp", return_value=later):
        abandoned_jobs_cleanup(redis_connection)  # the dead worker's last heartbeat has expired
    db.session.refresh(submission)
    assert (submission.status, submission.attempts) == (Status.QUEUED, 2)
    assert "no heartbeat" in submission.error_reason
    submission_id = submission.id
    run_worker_burst()
    row = db.session.get(Submission, submission_id)
    assert (row.status, row.verdict, row.attempts) == (Status.COMPLETED, "passed", 2)


def test_a_replaced_attempt_cannot_store_its_grade(app, content, make_user):
    """Compare-and-set on the attempt: once recovery gave a running row its next attempt (its worker looked dead),
    the old attempt's late result is dropped and a duplicate job of it does not run."""
    from graders.base import GradeResult, Verdict
    from lms.grading.jobs import grade, retry_or_fail, store_grade

    learner = make_user()
    submission = create_submission(learner, content["moyenne"], solution_of("moyenne"))
    submission.status = Status.RUNNING
    db.session.commit()
    assert retry_or_fail(submission, "worker looked dead", 1) == "retried"
    assert retry_or_fail(submission, "worker looked dead", 1) == "superseded"  # a second process, too late
    late = GradeResult(verdict=Verdict.PASSED, score=10.0, max_score=10.0, checks=[])
    assert store_grade(submission, 1, late, {}, finished_at=submission.created_at) is False
    assert grade(submission.id, 1) == "skipped"
    row = db.session.get(Submission, submission.id)
    db.session.refresh(row)
    assert (row.status, row.attempts, row.verdict) == (Status.QUEUED, 2, None)
