"""Periods by name, calendar and fiscal."""

from __future__ import annotations

from datetime import date

import pytest

from territorial.errors import BadInput
from territorial.evaluate.periods import parse_period


@pytest.mark.parametrize(
    ("text", "start_month", "start", "end"),
    [
        ("2027Q1", 1, date(2027, 1, 1), date(2027, 3, 31)),
        ("2016q4", 1, date(2016, 10, 1), date(2016, 12, 31)),
        ("2017-06", 1, date(2017, 6, 1), date(2017, 6, 30)),
        ("2017-06", 2, date(2017, 6, 1), date(2017, 6, 30)),  # months stay calendar months
        ("FY2027", 1, date(2027, 1, 1), date(2027, 12, 31)),
        ("FY2027", 2, date(2026, 2, 1), date(2027, 1, 31)),  # named by the year it ends in
        ("2027Q4", 2, date(2026, 11, 1), date(2027, 1, 31)),
    ],
)
def test_periods_span_the_days_sales_ops_mean(text: str, start_month: int, start: date, end: date) -> None:
    period = parse_period(text, start_month)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("text", ["2027Q5", "2017-13", "last quarter"])
def test_a_bad_period_names_the_option_and_the_forms_expected(text: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_period(text)
    (problem,) = caught.value.problems
    assert problem.location.file == "--period"
    assert "2027Q1" in problem.message and "2017-06" in problem.message
