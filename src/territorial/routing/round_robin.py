"""Sharing a territory's incoming leads among its pool of reps by weighted round robin, with caps,
skills and time off; every choice comes back with the steps that explain it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TypedDict

from territorial.domain.reps import Rep, missing_skills

STATE_VERSION = 1


# Each rep's out-of-office ranges, first and last day included.
TimeOff = Mapping[str, Sequence[tuple[date, date]]]


def away_until(ranges: Sequence[tuple[date, date]], day: date) -> date | None:
    """The last day of the time off that covers `day`, or None when the rep is at work that day."""
    if not any(first <= day <= last for first, last in ranges):
        return None
    # Back-to-back ranges (a holiday then a sick week) make one absence, so follow them to its end.
    back = day
    while any(first <= back <= last for first, last in ranges):
        back = max(last for first, last in ranges if first <= back <= last) + timedelta(days=1)
    return back - timedelta(days=1)


class SkipReason(StrEnum):
    AWAY = "away"
    LACKS_SKILL = "lacks skill"
    CAPPED_TODAY = "capped today"
    CAPPED_THIS_MONTH = "capped this month"


@dataclass(frozen=True)
class Skip:
    """A rep passed over for one lead, and why."""

    rep_id: str
    reason: SkipReason
    detail: str  # "until 2026-03-05", "language:de", "3/3"

    def __str__(self) -> str:
        return f"skip {self.rep_id}: {self.reason} {self.detail}"


@dataclass(frozen=True)
class Decision:
    """Who gets one lead, with every step that led there, ready to store for audit."""

    rep_id: str | None  # None when the lead goes to the territory's fallback
    fallback: bool
    steps: tuple[str, ...]
    skipped: tuple[Skip, ...] = ()


class PoolState(TypedDict):
    """Where a pool stands between two batches of leads; plain JSON-ready values."""

    version: int
    last_lead_day: str | None  # ISO date
    on_duty: list[str]  # reps who were at work on last_lead_day
    pointers: dict[str, float]
    leads_today: dict[str, int]  # leads won on last_lead_day
    leads_this_month: dict[str, int]  # leads won in last_lead_day's calendar month


def _average(values: Iterable[float]) -> float:
    values = list(values)
    return math.fsum(values) / len(values)


def _show(pointer: float) -> str:
    return f"{pointer:.6g}"


class RoundRobin:
    """The lead queue of one territory's pool: call `assign` once per lead, in date order.

    How a lead is shared out, in the words a sales-ops person would use:

    - Each rep has a pointer. The lowest pointer among the eligible reps wins the lead, and the winner's
      pointer then grows by 1/weight, so a rep with weight 2 wins twice as often as a rep with weight 1.
      Ties go to the rep listed first in the pool.
    - A rep is not eligible when away (out of office, first and last day included), when the lead needs
      a skill the rep lacks (the territory decides which industries or languages it demands), or when
      the rep has reached the daily or monthly cap. Caps count calendar days and calendar months.
    - A rep who comes back from time off, or joins the pool, starts at the average pointer of the reps
      who stayed on duty, so they are neither flooded with the leads they "missed" nor starved.
    - When nobody is eligible the decision says so (`fallback=True`) and the caller sends the lead to the
      territory's fallback: its manager or a named queue. No lead is ever dropped silently.

    Share bound. With fixed weights and no caps, time off or skills, after n leads rep i (weight w_i,
    pool total W, N reps) holds c_i leads with

        -(N - 1) * w_i / W  <=  c_i - n * w_i / W  <=  1 - w_i / W.

    Why: the lowest pointer m never goes down, and a rep's pointer was the lowest just before its last
    lead, so c_i/w_i - 1/w_i <= m <= c_i/w_i for every rep; summing over the reps and using one rep's own
    c_i gives both sides. The lower side is reached at the start: with weights 1, 1, 3 (heavy rep listed
    last) the first two leads go to the light reps, leaving the heavy rep 1.2 leads behind its share.
    So "within one lead" holds for equal weights (the deficit is at most (N - 1)/N), not in general.
    """

    def __init__(self, pool: Sequence[Rep], away: TimeOff | None = None) -> None:
        seen: set[str] = set()
        for rep in pool:
            if rep.rep_id in seen:
                raise ValueError(f"rep {rep.rep_id} is listed twice in the pool")
            if not (math.isfinite(rep.lead_weight) and rep.lead_weight > 0):
                raise ValueError(f"rep {rep.rep_id}: weight must be a positive number, got {rep.lead_weight}")
            for cap_name, cap in (("daily cap", rep.daily_lead_cap), ("monthly cap", rep.monthly_lead_cap)):
                if cap is not None and cap < 0:
                    raise ValueError(f"rep {rep.rep_id}: {cap_name} must be 0 or more, got {cap}")
            seen.add(rep.rep_id)
        self.pool: tuple[Rep, ...] = tuple(pool)
        self.away = {rep.rep_id: tuple((away or {}).get(rep.rep_id, ())) for rep in pool}
        for rep_id, ranges in self.away.items():
            for first, last in ranges:
                if last < first:
                    raise ValueError(f"rep {rep_id}: time off ends ({last}) before it starts ({first})")
        self._pointers: dict[str, float] = {}
        self._on_duty: frozenset[str] = frozenset()
        self._last_lead_day: date | None = None
        self._leads_today: dict[str, int] = {}
        self._leads_this_month: dict[str, int] = {}

    @property
    def last_lead_day(self) -> date | None:
        """The day of the latest lead; later leads may not be dated before it."""
        return self._last_lead_day

    def assign(self, lead_day: date, required_skills: frozenset[str] = frozenset()) -> Decision:
        """Choose the rep for one lead arriving on `lead_day` that needs `required_skills`."""
        if self._last_lead_day is not None and lead_day < self._last_lead_day:
            raise ValueError(
                f"leads must be routed in date order: {lead_day} comes after {self._last_lead_day}"
            )
        self._turn_calendar(lead_day)
        needs = ", ".join(sorted(required_skills)) or "none"
        steps = [f"lead on {lead_day.isoformat()}; skills needed: {needs}"]

        skipped: list[Skip] = []
        on_duty: list[Rep] = []
        for rep in self.pool:
            back = away_until(self.away[rep.rep_id], lead_day)
            if back is None:
                on_duty.append(rep)
            else:
                skipped.append(Skip(rep.rep_id, SkipReason.AWAY, f"until {back.isoformat()}"))
        steps.extend(self._welcome_back(on_duty))

        eligible: list[Rep] = []
        for rep in on_duty:
            skip = self._why_not(rep, required_skills)
            if skip is None:
                eligible.append(rep)
            else:
                skipped.append(skip)
        # Audit lines follow the pool order, whatever the reason for the skip.
        order = {rep.rep_id: i for i, rep in enumerate(self.pool)}
        skipped.sort(key=lambda s: order[s.rep_id])
        steps.extend(str(skip) for skip in skipped)

        if not eligible:
            why = "the pool has no reps" if not self.pool else "every rep is away, capped or lacks a skill"
            steps.append(f"no eligible rep ({why}): send the lead to the territory's fallback")
            return Decision(None, True, tuple(steps), tuple(skipped))

        compared = ", ".join(f"{r.rep_id} {_show(self._pointers[r.rep_id])}" for r in eligible)
        steps.append(f"compare pointers: {compared}")
        # min() keeps the first of equal pointers, so ties go to the rep listed first in the pool.
        winner = min(eligible, key=lambda r: self._pointers[r.rep_id])
        before = self._pointers[winner.rep_id]
        after = before + 1 / winner.lead_weight
        self._pointers[winner.rep_id] = after
        self._leads_today[winner.rep_id] = self._leads_today.get(winner.rep_id, 0) + 1
        self._leads_this_month[winner.rep_id] = self._leads_this_month.get(winner.rep_id, 0) + 1
        steps.append(
            f"{winner.rep_id} wins with the lowest pointer {_show(before)}; "
            f"pointer grows by 1/weight {_show(1 / winner.lead_weight)} to {_show(after)}"
        )
        return Decision(winner.rep_id, False, tuple(steps), tuple(skipped))

    def taken(self, rep_id: str, day: date) -> tuple[int, int]:
        """The leads `rep_id` has taken from this pool on `day` and in its month, as the caps count them."""
        last = self._last_lead_day
        if last is not None and day < last:
            day = last  # a late-arriving lead joins the pool's current day, as `assign` does
        if last is None or (last.year, last.month) != (day.year, day.month):
            return 0, 0
        today = self._leads_today.get(rep_id, 0) if last == day else 0
        return today, self._leads_this_month.get(rep_id, 0)

    def count_outside(self, rep_id: str, lead_day: date) -> None:
        """Count a lead the rep took outside the rotation (matched, duplicate, or won in another of
        their pools) toward their caps here, when the caps count every lead (`cap_counts: all`)."""
        day = max(lead_day, self._last_lead_day) if self._last_lead_day is not None else lead_day
        self._turn_calendar(day)
        self._leads_today[rep_id] = self._leads_today.get(rep_id, 0) + 1
        self._leads_this_month[rep_id] = self._leads_this_month.get(rep_id, 0) + 1

    def _turn_calendar(self, lead_day: date) -> None:
        last = self._last_lead_day
        if last is None or (last.year, last.month) != (lead_day.year, lead_day.month):
            self._leads_this_month.clear()
        if last != lead_day:
            self._leads_today.clear()
        self._last_lead_day = lead_day

    def _welcome_back(self, on_duty: Sequence[Rep]) -> list[str]:
        """Set the pointers of reps back from time off (or new to the pool), so they are not flooded."""
        stayed = [r for r in on_duty if r.rep_id in self._on_duty]
        returning = [r for r in on_duty if r.rep_id not in self._on_duty]
        self._on_duty = frozenset(r.rep_id for r in on_duty)
        steps = []
        if stayed:
            average = _average(self._pointers[r.rep_id] for r in stayed)
            for rep in returning:
                old = self._pointers.get(rep.rep_id)
                self._pointers[rep.rep_id] = average
                was = "new to the pool" if old is None else f"was {_show(old)}"
                steps.append(
                    f"{rep.rep_id} is back on duty ({was}): pointer set to the pool average {_show(average)}"
                )
            return steps
        # Nobody stayed on duty (first lead, or the whole pool was away): returning reps keep their
        # places relative to each other, and new reps start level with them.
        known = [self._pointers[r.rep_id] for r in returning if r.rep_id in self._pointers]
        start = _average(known) if known else 0.0
        for rep in returning:
            if rep.rep_id not in self._pointers:
                self._pointers[rep.rep_id] = start
                steps.append(f"{rep.rep_id} joins the pool at pointer {_show(start)}")
        return steps

    def _why_not(self, rep: Rep, required_skills: frozenset[str]) -> Skip | None:
        missing = missing_skills(rep.skills, required_skills)
        if missing:
            return Skip(rep.rep_id, SkipReason.LACKS_SKILL, ", ".join(missing))
        today = self._leads_today.get(rep.rep_id, 0)
        if rep.daily_lead_cap is not None and today >= rep.daily_lead_cap:
            return Skip(rep.rep_id, SkipReason.CAPPED_TODAY, f"{today}/{rep.daily_lead_cap}")
        month = self._leads_this_month.get(rep.rep_id, 0)
        if rep.monthly_lead_cap is not None and month >= rep.monthly_lead_cap:
            return Skip(rep.rep_id, SkipReason.CAPPED_THIS_MONTH, f"{month}/{rep.monthly_lead_cap}")
        return None

    def state(self) -> PoolState:
        """Where the pool stands now, so the next batch of leads can carry on from here."""
        return PoolState(
            version=STATE_VERSION,
            last_lead_day=None if self._last_lead_day is None else self._last_lead_day.isoformat(),
            on_duty=sorted(self._on_duty),
            pointers=dict(sorted(self._pointers.items())),
            leads_today=dict(sorted(self._leads_today.items())),
            leads_this_month=dict(sorted(self._leads_this_month.items())),
        )

    @classmethod
    def from_state(cls, pool: Sequence[Rep], state: PoolState, away: TimeOff | None = None) -> RoundRobin:
        """A pool that carries on from `state`.

        The pool may have changed since: reps no longer in it are forgotten, and new reps join at
        the pool average on their first lead day.
        """
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"pool state version {state.get('version')!r} is not {STATE_VERSION}")
        robin = cls(pool, away)
        members = {rep.rep_id for rep in pool}
        try:
            day = state["last_lead_day"]
            robin._last_lead_day = None if day is None else date.fromisoformat(day)
            robin._on_duty = frozenset(r for r in state["on_duty"] if r in members)
            robin._pointers = {r: float(p) for r, p in state["pointers"].items() if r in members}
            robin._leads_today = {r: int(n) for r, n in state["leads_today"].items() if r in members}
            robin._leads_this_month = {
                r: int(n) for r, n in state["leads_this_month"].items() if r in members
            }
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"pool state is malformed: {error!r}") from error
        missing = sorted(robin._on_duty - robin._pointers.keys())
        if missing:
            raise ValueError(f"pool state has reps on duty without a pointer: {', '.join(missing)}")
        return robin
