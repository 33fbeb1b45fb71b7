"""The arithmetic of OPERATIONS.md "Deadlines" and "Late penalty": effective windows, lateness, deductions."""
from datetime import datetime, timedelta

import pytest

from lms.deadlines.models import DateOverride, LatePolicy, Publication
from lms.deadlines.services import combine
from lms.gradebook.services import deduction_percent, minutes_late

DUE = datetime(2027, 3, 1, 23, 0)


def policy(**values):
    defaults = {"grace_minutes": 15, "penalty": "linear", "interval_hours": 24, "rate_percent": 10.0,
                "cap_percent": 50.0, "floor_percent": 0.0, "steps": [], "counting": "best"}
    return LatePolicy(**{**defaults, **values})


@pytest.mark.parametrize("accepted, expected", [
    (DUE - timedelta(hours=1), 0),
    (DUE + timedelta(minutes=15), 0),  # inside the grace
    (DUE + timedelta(minutes=15, seconds=1), 1),  # a started minute past it
    (DUE + timedelta(hours=2), 105),
])
def test_lateness_counts_from_the_due_date_plus_the_grace(accepted, expected):
    assert minutes_late(accepted, DUE, 15) == expected


def test_no_due_date_is_never_late():
    assert minutes_late(DUE, None, 0) == 0


@pytest.mark.parametrize("late_minutes, expected", [
    (0, 0.0), (1, 10.0), (24 * 60, 10.0), (24 * 60 + 1, 20.0), (10 * 24 * 60, 50.0)])  # per started day, cap 50
def test_linear_deduction_per_started_day_up_to_the_cap(late_minutes, expected):
    assert deduction_percent(policy(), late_minutes, raw_percent=100.0) == expected


def test_per_started_hour():
    assert deduction_percent(policy(interval_hours=1, rate_percent=5), 61, 100.0) == 10.0


def test_the_floor_keeps_a_late_score_above_it_and_never_adds_points():
    floored = policy(rate_percent=40, cap_percent=100, floor_percent=30)
    assert deduction_percent(floored, 3 * 24 * 60, raw_percent=80.0) == 50.0  # 80 - 50 = 30, the floor
    assert deduction_percent(floored, 3 * 24 * 60, raw_percent=20.0) == 0.0  # already below the floor: nothing off


def test_steps_take_the_first_bound_that_covers_the_lateness():
    stepped = policy(penalty="steps", steps=[{"up_to_hours": 24, "percent": 10}, {"up_to_hours": 72, "percent": 30},
                                             {"up_to_hours": None, "percent": 60}])
    assert deduction_percent(stepped, 60, 100.0) == 10.0
    assert deduction_percent(stepped, 25 * 60, 100.0) == 30.0
    assert deduction_percent(stepped, 100 * 60, 100.0) == 60.0
    bounded = policy(penalty="steps", steps=[{"up_to_hours": 24, "percent": 10}])
    assert deduction_percent(bounded, 48 * 60, 70.0) == 70.0  # later than every step: all above the floor


def test_no_penalty_policy():
    assert deduction_percent(policy(penalty="none"), 9999, 100.0) == 0.0


def dates(opens=None, due=None, cutoff=None, **kw):
    return {"opens_at": opens, "due_at": due, "cutoff_at": cutoff, **kw}


def test_the_window_takes_the_most_lenient_group_and_the_extension_wins():
    module = Publication(**dates(datetime(2027, 2, 1), DUE, DUE + timedelta(days=2)))
    groups = [DateOverride(**dates(due=DUE + timedelta(days=1))),
              DateOverride(**dates(opens=datetime(2027, 1, 25), due=DUE + timedelta(days=3)))]
    window = combine(module, None, groups, None)
    assert window.opens_at == datetime(2027, 1, 25) and window.due_at == DUE + timedelta(days=3)
    assert window.cutoff_at == DUE + timedelta(days=3)  # a due date past the cut-off carries it along
    assert not window.extended
    extension = DateOverride(**dates(due=DUE - timedelta(days=1)))  # even an earlier one: the extension decides
    window = combine(module, None, groups, extension)
    assert window.due_at == DUE - timedelta(days=1) and window.extended
    assert window.opens_at == datetime(2027, 1, 25)  # dates the extension leaves alone come from the groups


def test_an_exercise_own_dates_replace_the_module_ones_they_set():
    module = Publication(**dates(datetime(2027, 2, 1), DUE, None))
    own = Publication(**dates(due=DUE + timedelta(days=7)))
    window = combine(module, own, [], None)
    assert (window.opens_at, window.due_at, window.cutoff_at) == (datetime(2027, 2, 1), DUE + timedelta(days=7), None)
