"""Warm pool: containers started ahead of time, each waiting for exactly one job.

A pooled container is created and started with its entry process already past its imports; taking one costs a
dictionary pop. It serves one job and is destroyed; a background thread refills the pool. When the pool is
empty the caller takes the cold path. No container is ever reused and nothing is ever `exec`'d into one.
"""
from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Callable

from sandboxes.container import SandboxContainer

log = logging.getLogger(__name__)
REFILL_BACKOFF_MAX_SECONDS = 5.0  # an engine back after a restart gets its pools refilled within seconds


class WarmPool:
    def __init__(self, name: str, size: int, factory: Callable[[], SandboxContainer],
                 dispose: Callable[[SandboxContainer], None], max_idle_seconds: float = 600.0,
                 refill_parallelism: int = 2):
        self.name = name
        self.size = size
        self.factory = factory
        self.dispose = dispose
        self.max_idle_seconds = max_idle_seconds
        self.ready: collections.deque[SandboxContainer] = collections.deque()
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.counters = collections.Counter()
        self.refilling = 0
        self.in_use = 0
        self.last_failure = ""
        # Containers start faster a few at a time than one by one (the engine waits on I/O between steps).
        self.threads = [threading.Thread(target=self._refill_loop, name=f"pool-{name}-{i}", daemon=True)
                        for i in range(max(1, min(size, refill_parallelism)))]
        for thread in self.threads:
            thread.start()

    def take(self) -> SandboxContainer | None:
        """A ready container, or None (the caller goes cold). Dead ones are dropped, not handed out."""
        while True:
            with self.lock:
                if not self.ready:
                    self.counters["misses"] += 1
                    self.wake.set()
                    return None
                container = self.ready.popleft()
            # No refill yet: starting a container now would compete for the CPU with the job about to run in
            # this one. give_back_slot() wakes the refill once the job's result is in.
            if container.is_alive():
                with self.lock:
                    self.in_use += 1
                    self.counters["served"] += 1
                return container
            self.counters["dead_on_take"] += 1
            self.wake.set()
            self.dispose(container)

    def give_back_slot(self) -> None:
        """The job that took a container is done: refill now."""
        with self.lock:
            self.in_use -= 1
        self.wake.set()

    def _refill_loop(self) -> None:
        backoff = 0.5
        while not self.stopping.is_set():
            with self.lock:
                deficit = self.size - len(self.ready) - self.refilling
                if deficit > 0:
                    self.refilling += 1
            if deficit <= 0:
                self.check_members()
                self.wake.wait(timeout=5)
                self.wake.clear()
                continue
            try:
                container = self.factory()
            except Exception as exc:  # noqa: BLE001 - keep the thread alive whatever the engine says
                with self.lock:
                    self.refilling -= 1
                    self.counters["failures"] += 1
                    self.last_failure = str(exc)[:300]
                log.warning("warm pool %s: could not start a container: %s", self.name, exc)
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, REFILL_BACKOFF_MAX_SECONDS)
                continue
            backoff = 0.5
            with self.lock:
                self.refilling -= 1
                self.counters["created"] += 1
                if self.stopping.is_set():
                    stale = container
                else:
                    self.ready.append(container)
                    stale = None
            if stale is not None:
                self.dispose(stale)

    def check_members(self) -> None:
        """Replace containers that died while waiting (an engine restart kills them all) and those that waited
        too long, so a pool never hands out one from a stale image."""
        now = time.monotonic()
        with self.lock:  # a member is checked only while still in the pool: take() cannot hand it out meanwhile
            dead = [c for c in self.ready if not c.is_alive()]
            expired = [c for c in self.ready if c not in dead and now - c.created_at > self.max_idle_seconds]
            for container in dead + expired:
                self.ready.remove(container)
        for container in dead + expired:
            self.counters["dead_while_ready" if container in dead else "expired"] += 1
            self.dispose(container)
        if dead or expired:
            self.wake.set()

    def close(self) -> None:
        self.stopping.set()
        self.wake.set()
        for thread in self.threads:
            thread.join(timeout=30)
        with self.lock:
            leftovers = list(self.ready)
            self.ready.clear()
        for container in leftovers:
            self.dispose(container)

    def stats(self) -> dict:
        with self.lock:
            return {
                "name": self.name,
                "size": self.size,
                "ready": len(self.ready),
                "in_use": self.in_use,
                "refilling": self.refilling,
                "created": self.counters["created"],
                "served": self.counters["served"],
                "misses": self.counters["misses"],
                "failures": self.counters["failures"],
                "dead_on_take": self.counters["dead_on_take"],
                "dead_while_ready": self.counters["dead_while_ready"],
                "last_failure": self.last_failure,
            }
