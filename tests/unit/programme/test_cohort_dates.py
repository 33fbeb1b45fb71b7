"""A bootcamp's dates: 4 to 6 months, month arithmetic that keeps the day or takes the month's last one."""
from datetime import date

import pytest

from lms.programme.services import ProgrammeError, add_months, check_cohort_dates


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 9, 15), 4, date(2027, 1, 15)),
    (date(2026, 10, 31), 4, date(2027, 2, 28)),  # no 31 February: the month's last day
    (date(2027, 10, 31), 4, date(2028, 2, 29)),  # a leap year
    (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2026, 12, 1), 1, date(2027, 1, 1)),
])
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize("ends_on", [date(2027, 1, 15), date(2027, 2, 20), date(2027, 3, 15)])
def test_four_to_six_months_are_accepted(ends_on):
    check_cohort_dates(date(2026, 9, 15), ends_on)


@pytest.mark.parametrize("ends_on", [date(2027, 1, 14), date(2027, 3, 16), date(2026, 9, 14)])
def test_shorter_or_longer_bootcamps_are_refused_with_the_dates_that_would_do(ends_on):
    with pytest.raises(ProgrammeError) as refused:
        check_cohort_dates(date(2026, 9, 15), ends_on)
    assert refused.value.code == "bad_dates"
    assert "2027-01-15" in str(refused.value) and "2027-03-15" in str(refused.value)
