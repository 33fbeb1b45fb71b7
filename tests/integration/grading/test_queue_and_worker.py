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
        assert row.worker_name == "test-worker"


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


def test_lost_job_is_retried(app, content, make_user, redis_connection, run_worker_burst):
    """Redis loses the job (flush, restart without persistence): recovery gives the row a new attempt."""
    from lms.grading.recovery import recover_stuck_submissions

    learner = make_user()
    submission = create_submission(learner, content["moyenne"], solution_of("moyenne"))
    redis_connection.flushdb()
    submission.queued_at = submission.queued_at.replace(year=2000)
    db.session.commit()
    report = recover_stuck_submissions()
    assert report.retried == [submission.id]
    submission_id = submission.id
    run_worker_burst()
    row = db.session.get(Submission, submission_id)
    assert (row.status, row.verdict, row.attempts) == (Status.COMPLETED, "passed", 2)


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
