"""gVisor (runsc) per exercise: it really runs under gVisor where installed, and is refused clearly, never run
under runc instead, where it is not."""
import pytest

from graders import get_grader
from graders.base import ExerciseSpec, Verdict
from lms.extensions import db
from lms.submissions.models import Status, Submission
from lms.submissions.services import create_submission
from sandboxes.runner import RuntimeUnavailable, SandboxRunner
from tests.conftest import PYTHON_IMAGE

KERNEL_SPEC = {
    "kind": "python", "files": ["solution.py"], "points": 1, "runtime": "runsc",
    # gVisor's own kernel reports release 4.4.0; the host's does not.
    "checks": [{"id": "kernel", "name": "kernel", "call": {"function": "release"}, "expect": "4.4.0"}],
}
KERNEL_CODE = "import os\ndef release():\n    return os.uname().release\n"


class EngineWithoutGvisor(SandboxRunner):
    """The same engine, seen as one where runsc is not installed."""

    def available_runtimes(self):
        return super().available_runtimes() - {"runsc"}


def test_runsc_exercise_runs_under_gvisor(runner):
    if "runsc" not in runner.available_runtimes():
        pytest.skip("runsc is not installed on this engine")
    spec = ExerciseSpec.from_dict(KERNEL_SPEC)
    grader = get_grader("python")
    plan = grader.plan(spec, {"solution.py": KERNEL_CODE})
    result = grader.judge(spec, plan, runner.run(plan))
    assert result.verdict == Verdict.PASSED


def test_runsc_exercise_is_refused_where_gvisor_is_missing(docker_client):
    runner = EngineWithoutGvisor(docker_client, images={"python": PYTHON_IMAGE}, scope="tests")
    spec = ExerciseSpec.from_dict(KERNEL_SPEC)
    with pytest.raises(RuntimeUnavailable, match="runsc"):
        runner.run(get_grader("python").plan(spec, {"solution.py": KERNEL_CODE}))
    runner.close()


def test_submission_to_a_gvisor_exercise_ends_with_a_clear_grading_error(app, content, make_user, docker_client):
    from lms.grading import jobs
    from lms.grading.sandbox import set_runner

    exercise = content["moyenne"]
    exercise.spec = {**exercise.spec, "runtime": "runsc"}
    db.session.commit()
    submission_id = create_submission(make_user(), exercise, {"solution.py": "def moyenne(n): return 0"}).id
    runner = EngineWithoutGvisor(docker_client, images={"python": PYTHON_IMAGE}, scope="tests")
    set_runner(runner)
    try:
        assert jobs.grade_submission(submission_id, 1) == "grading_error"
    finally:
        set_runner(None)
        runner.close()
    row = db.session.get(Submission, submission_id)
    assert row.status == Status.ERROR and row.verdict == "grading_error"
    assert "runsc" in row.error_reason and row.attempts == 1  # not retried: retrying cannot help
