"""When a digest is due: at once, from 00:00 the next day, from 00:00 the next Monday, in the
workspace's time zone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from territorial.domain.notifications import Digest
from territorial.services.outbox import due_at

UTC = ZoneInfo("UTC")
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def _utc_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The workspace keeps this machine's local times: make the machine's zone UTC, then put it back."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("at", "digest", "zone", "due"),
    [
        (datetime(2026, 3, 4, 9, 30), Digest.IMMEDIATE, UTC, datetime(2026, 3, 4, 9, 30)),
        (datetime(2026, 3, 4, 9, 30), Digest.DAILY, UTC, datetime(2026, 3, 5)),
        (datetime(2026, 3, 4, 9, 30), Digest.WEEKLY, UTC, datetime(2026, 3, 9)),  # a Wednesday
        (datetime(2026, 3, 9, 0, 0), Digest.WEEKLY, UTC, datetime(2026, 3, 16)),  # Monday: the next one
        # 20:00 UTC is 05:00 the next day in Tokyo: due at Tokyo's next midnight, 15:00 UTC that day.
        (datetime(2026, 3, 4, 20, 0), Digest.DAILY, TOKYO, datetime(2026, 3, 5, 15, 0)),
    ],
)
def test_a_digest_is_due_from_the_next_midnight_of_its_period(
    at: datetime, digest: Digest, zone: ZoneInfo, due: datetime
) -> None:
    assert due_at(at, digest, zone) == due
