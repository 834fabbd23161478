"""A quota saved for a period: what a territory's rep (or a vacant territory) is to book in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class SavedQuota:
    period: str
    period_start: date
    period_end: date  # the last day, included
    layer: str
    territory_id: str
    rep_id: str | None  # None: the quota of a territory with no rep
    amount: float
    actor: str | None = None
