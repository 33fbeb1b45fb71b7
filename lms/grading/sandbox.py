"""The sandbox runner of this process: a worker sets one up with its warm pool; elsewhere (tests, CLI) a cold
runner is made on first use."""
from __future__ import annotations

import threading

from flask import current_app

from sandboxes.runner import SandboxRunner

_runner: SandboxRunner | None = None
_lock = threading.Lock()


def set_runner(runner: SandboxRunner | None) -> None:
    global _runner
    _runner = runner


def get_runner() -> SandboxRunner:
    global _runner
    with _lock:
        if _runner is None:
            from lms.grading.worker import sandbox_scope

            _runner = SandboxRunner(pool_size=0, images=current_app.config["LMS_SANDBOX_IMAGES"],
                                    scope=sandbox_scope(current_app))
        return _runner
