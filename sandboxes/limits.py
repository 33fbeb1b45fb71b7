"""Resource limits of one sandbox run: defaults, the caps an exercise file cannot exceed, and validation."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields


class LimitsError(ValueError):
    """An exercise asked for limits outside what the platform allows."""


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 5.0  # per step, enforced by the entry process and, as a backstop, by the runner
    cpu_seconds: int = 3  # per step, RLIMIT_CPU of the learner's process
    memory_mb: int = 128  # cgroup memory, with swap equal to it (no swap)
    pids: int = 32  # processes and threads of the whole container
    output_kb: int = 64  # stdout and stderr each, per step
    tmpfs_mb: int = 16  # the writable work dir and /tmp, each
    nofile: int = 64  # open descriptors per process
    fsize_mb: int = 8  # largest file a process may write
    cpus: float = 1.0  # CPU share of the container

    @property
    def output_bytes(self) -> int:
        return self.output_kb * 1024

    def container_profile(self) -> tuple:
        """What must be fixed when the container is created; the rest is applied per job."""
        return (self.memory_mb, self.pids, self.tmpfs_mb, self.nofile, self.fsize_mb, self.cpus)

    def to_dict(self) -> dict:
        return asdict(self)


DEFAULT_LIMITS = Limits()

# Caps enforced at import: an exercise may ask for more than the default, never more than this.
MINIMUMS = Limits(wall_seconds=0.5, cpu_seconds=1, memory_mb=32, pids=8, output_kb=1, tmpfs_mb=1, nofile=16,
                  fsize_mb=1, cpus=0.25)
MAXIMUMS = Limits(wall_seconds=30.0, cpu_seconds=20, memory_mb=1024, pids=256, output_kb=1024, tmpfs_mb=128,
                  nofile=1024, fsize_mb=64, cpus=2.0)


def validate_limits(requested: dict | None, base: Limits = DEFAULT_LIMITS) -> Limits:
    """Turn an exercise's `limits:` mapping into Limits, refusing unknown keys and values outside the caps."""
    requested = dict(requested or {})
    known = {f.name: f for f in fields(Limits)}
    unknown = sorted(set(requested) - set(known))
    if unknown:
        raise LimitsError(f"unknown limit(s): {', '.join(unknown)}")
    values = asdict(base)
    for name, value in requested.items():
        kind = float if known[name].type in ("float", float) else int
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise LimitsError(f"limit {name} must be a number, got {value!r}")
        if kind is int and float(value) != int(value):
            raise LimitsError(f"limit {name} must be a whole number, got {value!r}")
        low, high = getattr(MINIMUMS, name), getattr(MAXIMUMS, name)
        if not low <= value <= high:
            raise LimitsError(f"limit {name}={value} is outside the allowed range {low}..{high}")
        values[name] = kind(value)
    return Limits(**values)
