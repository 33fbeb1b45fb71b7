import pytest

from sandboxes.container import container_settings
from sandboxes.limits import DEFAULT_LIMITS, MAXIMUMS, LimitsError, validate_limits


def test_defaults_when_nothing_asked():
    assert validate_limits(None) == DEFAULT_LIMITS


def test_an_exercise_may_raise_a_limit_within_the_cap():
    limits = validate_limits({"wall_seconds": 10, "memory_mb": 256})
    assert limits.wall_seconds == 10.0 and limits.memory_mb == 256
    assert limits.pids == DEFAULT_LIMITS.pids


@pytest.mark.parametrize("requested, words", [
    ({"wall_seconds": MAXIMUMS.wall_seconds + 1}, "outside the allowed range"),
    ({"memory_mb": 4}, "outside the allowed range"),
    ({"pids": 10_000}, "outside the allowed range"),
    ({"network": True}, "unknown limit"),
    ({"memory_mb": "lots"}, "must be a number"),
    ({"pids": 12.5}, "whole number"),
    ({"cpu_seconds": True}, "must be a number"),
])
def test_out_of_range_or_unknown_limits_are_refused(requested, words):
    with pytest.raises(LimitsError, match=words):
        validate_limits(requested)


def test_container_settings_are_hardened_whatever_the_limits():
    settings = container_settings("img", validate_limits({"memory_mb": 256, "pids": 64}), "runc", {"x": "y"})
    assert settings["network_mode"] == "none"
    assert settings["network_disabled"] is True
    assert settings["cap_drop"] == ["ALL"]
    assert settings["security_opt"] == ["no-new-privileges"]
    assert settings["read_only"] is True
    assert settings["user"] == "10001:10001"
    assert settings["mem_limit"] == settings["memswap_limit"] == "256m"  # no swap
    assert settings["pids_limit"] == 64
    assert settings["init"] is True
    assert "privileged" not in settings and "volumes" not in settings and "mounts" not in settings
    assert settings["environment"] == {}
    assert {u["Name"] for u in settings["ulimits"]} == {"nofile", "fsize", "core"}
    assert settings["labels"]["lms.sandbox"] == "1" and settings["labels"]["x"] == "y"
    assert all("size=" in options for options in settings["tmpfs"].values())
