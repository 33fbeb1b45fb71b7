"""A second worker host joins a running deployment with the documented command (README: "A second worker host"):
`LMS_ROLE=worker LMS_REDIS_URL=... LMS_DATABASE_URL=... bash scripts/run.sh`, on its own Docker engine. Here the
"host" is a second private dockerd (own socket, data root, exec root, bridge) on this machine."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from tests.conftest import ROOT
from tests.faults.conftest import PrivateEngine, wait_until
from tests.faults.test_faults import assert_right_verdicts, send_batch

pytestmark = pytest.mark.slow


@pytest.fixture
def second_host(tmp_path_factory, stack, docker_client):
    engine = PrivateEngine(tmp_path_factory.mktemp("engine-b"), bridge="lmsfaults1", bridge_address="10.254.253.1/24")
    var = tmp_path_factory.mktemp("host-b") / "var"
    log = var.parent / "run.log"
    process = None
    try:
        engine.start()
        engine.load_images_from(docker_client)
        env = {**os.environ, "LMS_ROLE": "worker", "LMS_REDIS_URL": stack.redis_url,
               "LMS_DATABASE_URL": stack.database_url, "DOCKER_HOST": engine.url, "LMS_VAR": str(var),
               "LMS_WORKERS": "1", "LMS_POOL_SIZE": "1", "LMS_WORKER_PREFIX": "host-b",
               "LMS_SECRET_KEY": "fault-suite-only"}
        with log.open("ab") as out:
            process = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                       stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: "joined the deployment" in log.read_text(errors="replace") or process.poll() is not None,
                   240, 0.5, "the second host's workers")
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        wait_until(lambda: any(s["worker"].startswith("host-b-") and s["pools"] and s["pools"][0]["ready"]
                               for s in stack.worker_states()), 60, 0.5, "the second host's warm pool")
        yield engine
    finally:
        if process and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=120)
        leftovers = engine.sandbox_containers()
        engine.stop()
    assert leftovers == [], "the second host left sandbox containers behind"


def plant_dead_owner_container(engine: PrivateEngine, scope: str) -> str:
    """A sandbox container whose worker is long gone (no owner key in Redis): the reaper of its engine removes it."""
    container = engine.client.containers.create("lms/sandbox-python:latest", command=["true"], labels={
        "lms.sandbox": "1", "lms.owner": "gone-worker-0000", "lms.scope": scope})
    return container.id


def test_a_second_host_grades_from_the_same_queue(stack, second_host):
    from lms.grading.worker import sandbox_scope

    batch = send_batch(stack, 12)
    finals = stack.wait_final({i: token for i, (token, _) in batch.items()}, 120)
    assert_right_verdicts(finals, batch)
    hosts = {(row["worker"] or "").split("-")[0] for row in stack.rows(batch).values()}
    assert hosts == {"faults", "host"}, f"graded by {hosts}: both hosts take jobs from the one queue"

    # Each engine's reaper removes what is dead on its own engine, and leaves the other host's live pool alone.
    scope = sandbox_scope(stack.app)
    planted = {engine: plant_dead_owner_container(engine, scope) for engine in (stack.engine, second_host)}
    pools_before = {engine: {c.id for c in engine.sandbox_containers(scope) if c.status == "running"}
                    for engine in (stack.engine, second_host)}
    for engine, container_id in planted.items():
        wait_until(lambda e=engine, c=container_id: c not in {x.id for x in e.sandbox_containers()}, 40, 0.5,
                   "the planted container to be reaped")
    time.sleep(1)
    for engine, before in pools_before.items():
        now = {c.id for c in engine.sandbox_containers(scope) if c.status == "running"}
        assert before and before <= now, "a live worker's pool container was reaped"
