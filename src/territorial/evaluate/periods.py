"""Reporting periods as sales ops name them: 2027Q1, 2017-06, FY2027; fiscal years may start in any month."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from territorial.errors import BadInput

_QUARTER = re.compile(r"^(?:FY)?(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^FY(\d{4})$", re.IGNORECASE)
EXPECTED = "a quarter (2027Q1), a month (2017-06) or a fiscal year (FY2027)"


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # the last day, included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_period(text: str, fiscal_year_start_month: int = 1, option: str = "--period") -> Period:
    """A period by its name. Quarters and FY are fiscal: with fiscal years starting in February,
    FY2027 runs from 2026-02-01 to 2027-01-31 (a fiscal year is named by the year it ends in) and
    2027Q1 is its first three months. Months are calendar months."""
    cleaned = text.strip()
    if month := _MONTH.match(cleaned):
        year, number = int(month[1]), int(month[2])
        if not 1 <= number <= 12:
            raise BadInput.at(f"'{text}' has no month {number}; expected {EXPECTED}", option)
        start = date(year, number, 1)
        return Period(cleaned, start, _months_later(start, 1) - timedelta(days=1))
    if quarter := _QUARTER.match(cleaned):
        start = _months_later(
            fiscal_year_start(int(quarter[1]), fiscal_year_start_month), 3 * (int(quarter[2]) - 1)
        )
        return Period(f"{quarter[1]}Q{quarter[2]}", start, _months_later(start, 3) - timedelta(days=1))
    if fiscal := _YEAR.match(cleaned):
        start = fiscal_year_start(int(fiscal[1]), fiscal_year_start_month)
        return Period(f"FY{fiscal[1]}", start, _months_later(start, 12) - timedelta(days=1))
    raise BadInput.at(f"'{text}' is not a period; expected {EXPECTED}", option)


def fiscal_year_start(year: int, start_month: int) -> date:
    """The first day of fiscal year `year`, named by the calendar year it ends in."""
    return date(year, 1, 1) if start_month == 1 else date(year - 1, start_month, 1)


def _months_later(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


MONTH, QUARTER = "month", "quarter"
GRAINS = (MONTH, QUARTER)


def periods_from(day: date, grain: str, count: int, fiscal_year_start_month: int = 1) -> list[Period]:
    """`count` consecutive months or (fiscal) quarters, the first holding `day`, named as
    `parse_period` reads them."""
    if grain == MONTH:
        start, months = date(day.year, day.month, 1), 1
    else:
        offset = (day.month - fiscal_year_start_month) % 3
        start, months = _months_later(date(day.year, day.month, 1), -offset), 3
    found = []
    for _ in range(count):
        end = _months_later(start, months) - timedelta(days=1)
        found.append(Period(_label(start, end, grain, fiscal_year_start_month), start, end))
        start = end + timedelta(days=1)
    return found


def _label(start: date, end: date, grain: str, fiscal_year_start_month: int) -> str:
    if grain == MONTH:
        return f"{start:%Y-%m}"
    fiscal_year = (
        end.year if fiscal_year_start_month == 1 or end.month < fiscal_year_start_month else end.year + 1
    )
    quarter = ((start.month - fiscal_year_start_month) % 12) // 3 + 1
    return f"{fiscal_year}Q{quarter}"
