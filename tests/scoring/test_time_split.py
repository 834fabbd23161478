"""Validation over time (scoring.time_split): older rows train, the newest fifth tests."""

from __future__ import annotations

from datetime import date, timedelta

from territorial.scoring.time_split import time_split

DAY = date(2026, 1, 1)


def test_the_newest_fifth_is_held_out_in_date_order() -> None:
    days = [DAY + timedelta(days=n) for n in (9, 0, 8, 1, 7, 2, 6, 3, 5, 4)]
    split = time_split(days)
    assert split is not None
    assert sorted(days[row].day for row in split.test) == [9, 10]
    assert split.train.size == 8 and split.last_trained == DAY + timedelta(days=7)


def test_rows_of_one_day_stay_together() -> None:
    days = [DAY] * 3 + [DAY + timedelta(days=1)] * 7  # the newest day is 70% of the rows
    split = time_split(days)
    assert split is not None and split.last_trained == DAY
    assert split.train.tolist() == [0, 1, 2] and split.test.tolist() == list(range(3, 10))
    assert time_split([DAY] * 5) is None
