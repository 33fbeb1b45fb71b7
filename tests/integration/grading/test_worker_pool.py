"""The worker's warm pool and housekeeping: warm grading, published pool state, reaping of dead workers'
containers."""
import json

from lms.extensions import db
from lms.grading.worker import OWNER_KEY, POOL_KEY, Maintenance, pool_states, sandbox_scope
from lms.submissions.models import Submission
from lms.submissions.services import create_submission
from sandboxes.container import LABEL_OWNER, LABEL_SANDBOX, LABEL_SCOPE
from sandboxes.limits import DEFAULT_LIMITS
from sandboxes.runner import SandboxRunner
from tests.conftest import PYTHON_IMAGE, solution_of


def test_worker_with_a_pool_grades_warm(app, content, make_user, run_worker_burst, docker_client):
    learner = make_user()
    first = create_submission(learner, content["moyenne"], solution_of("moyenne")).id
    run_worker_burst(pool_size=1)
    row = db.session.get(Submission, first)
    assert row.verdict == "passed" and row.warm is True
    # The worker closed its pool on exit: nothing of it is left.
    assert worker_containers(docker_client, sandbox_scope(app)) == []


def worker_containers(docker_client, scope):
    return docker_client.containers.list(all=True, filters={"label": [f"{LABEL_SANDBOX}=1", f"{LABEL_SCOPE}={scope}"]},
                                       ignore_removed=True)


def test_reaper_removes_containers_of_dead_owners_only(app, redis_connection, docker_client):
    scope = sandbox_scope(app)
    alive = SandboxRunner(docker_client, owner="alive-owner", images={"python": PYTHON_IMAGE}, scope=scope, pool_size=1)
    try:
        alive.prewarm("python", DEFAULT_LIMITS)
        leftover = docker_client.containers.create(PYTHON_IMAGE, command=["true"], labels={
            LABEL_SANDBOX: "1", LABEL_OWNER: "dead-owner", LABEL_SCOPE: scope})
        elsewhere = docker_client.containers.create(PYTHON_IMAGE, command=["true"], labels={
            LABEL_SANDBOX: "1", LABEL_OWNER: "dead-owner", LABEL_SCOPE: "another-deployment"})
        maintenance = Maintenance(app, redis_connection, alive, "test-worker")
        maintenance.beat()  # only the alive owner has a heartbeat
        maintenance.sweep()
        remaining = {c.id for c in docker_client.containers.list(all=True, filters={"label": f"{LABEL_SANDBOX}=1"},
                                                                 ignore_removed=True)}
        assert leftover.id not in remaining
        assert elsewhere.id in remaining  # another deployment's container is not ours to reap
        elsewhere.remove(force=True)
        states = pool_states(redis_connection)
        assert states[0]["worker"] == "test-worker" and states[0]["owner"] == "alive-owner"
        assert json.loads(redis_connection.get(POOL_KEY.format("test-worker")))["pools"]
        assert redis_connection.get(OWNER_KEY.format("alive-owner")) == b"test-worker"
    finally:
        alive.close()
    assert worker_containers(docker_client, scope) == []


def test_workers_prewarm_each_kinds_image_or_only_the_kinds_configured(app, content, docker_client):
    from graders import get_grader
    from lms.grading.worker import prewarm_profiles

    # Pools are keyed by the Docker image of each kind's grader (never by the kind's name).
    runner = SandboxRunner(docker_client, pool_size=1, scope=sandbox_scope(app))
    prewarm_profiles(app, runner)
    kinds = {e.kind for e in content.values()}
    assert {key[0] for key in runner.pools} <= {runner.image_tag(get_grader(k).image) for k in kinds}
    assert runner.image_tag("python") in {key[0] for key in runner.pools} and len(runner.pools) > 1
    runner.close()

    app.config["LMS_PREWARM_KINDS"] = ["python"]
    only_python = SandboxRunner(docker_client, pool_size=1, scope=sandbox_scope(app))
    prewarm_profiles(app, only_python)
    assert {key[0] for key in only_python.pools} == {only_python.image_tag("python")}
    only_python.close()
