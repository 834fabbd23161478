"""Quota allocation: a target apportioned over territories by potential and history within growth bounds,
then over each territory's reps by how much of the period they are employed, in whole rounding units."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from territorial.errors import BadInput


@dataclass(frozen=True)
class QuotaWeights:
    """How much of a territory's share follows its potential, and how much its trailing bookings."""

    potential: float = 0.6
    history: float = 0.4


@dataclass(frozen=True)
class TerritoryFigures:
    territory_id: str
    potential: float
    history: float  # bookings over the trailing 4 quarters before the period
    reps: tuple[str, ...]


@dataclass(frozen=True)
class GrowthBounds:
    """Quota in whole units of `unit` may grow from history by min_growth to max_growth."""

    min_growth: float = 0.0
    max_growth: float = 0.3
    unit: int = 1000


def growth_range(history: float, bounds: GrowthBounds, target_units: int) -> tuple[int, int]:
    """[⌈h(1+min)⌉, ⌊h(1+max)⌋] in units where the territory has history; else anything up to the target."""
    if history <= 0:
        return 0, target_units
    # Fractions: 1.1 × 1000 must be 1100 units, not 1100.0000000000002 rounded up to 1101.
    h = Fraction(history) / bounds.unit
    low = max(0, math.ceil(h * (1 + Fraction(str(bounds.min_growth)))))
    high = math.floor(h * (1 + Fraction(str(bounds.max_growth))))
    return low, high


def territory_shares(territories: Sequence[TerritoryFigures], weights: QuotaWeights) -> dict[str, Fraction]:
    """Each territory's share: its share of potential and of history, blended by the weights. A part no
    territory holds any of (no history yet) drops out; with neither, territories share equally."""
    parts = []
    for weight, values in (
        (weights.potential, {t.territory_id: max(t.potential, 0.0) for t in territories}),
        (weights.history, {t.territory_id: max(t.history, 0.0) for t in territories}),
    ):
        total = sum(values.values())
        if weight > 0 and total > 0:
            parts.append((Fraction(weight), {k: Fraction(v) / Fraction(total) for k, v in values.items()}))
    if not parts:
        return {t.territory_id: Fraction(1) for t in territories}
    return {t.territory_id: sum((w * p[t.territory_id] for w, p in parts), Fraction(0)) for t in territories}


def reachable(
    lower: Mapping[str, int], upper: Mapping[str, int], shares: Mapping[str, Fraction]
) -> tuple[int, int]:
    """The least and most units the bounds allow: a territory with no share stays at its lower bound."""
    return sum(lower.values()), sum(upper[k] if shares[k] > 0 else lower[k] for k in lower)


def apportion(
    total: int, shares: Mapping[str, Fraction], lower: Mapping[str, int], upper: Mapping[str, int]
) -> dict[str, int]:
    """Capped largest remainder: each key gets its share of `total` scaled so that, clipped to its
    bounds, the shares sum to `total`; whole units go to the floors and the remaining units to the
    largest remainders, ties by key. Assumes `reachable` admits `total`."""
    ideal = _clipped_shares(total, shares, lower, upper)
    floors = {k: math.floor(v) for k, v in ideal.items()}
    left = total - sum(floors.values())
    by_remainder = sorted(ideal, key=lambda k: (-(ideal[k] - floors[k]), k))
    for key in by_remainder[:left]:
        floors[key] += 1
    return floors


def _clipped_shares(
    total: int, shares: Mapping[str, Fraction], lower: Mapping[str, int], upper: Mapping[str, int]
) -> dict[str, Fraction]:
    """clip(λ·share, lower, upper) with the λ that makes them sum to `total`, exactly: the sum is
    piecewise linear in λ, so λ is found between the breakpoints where a key meets a bound."""

    def at(scale: Fraction) -> dict[str, Fraction]:
        return {k: min(max(scale * s, Fraction(lower[k])), Fraction(upper[k])) for k, s in shares.items()}

    points = sorted(
        {Fraction(0)} | {Fraction(b[k]) / s for k, s in shares.items() if s > 0 for b in (lower, upper)}
    )
    previous = points[0]
    for point in points[1:]:
        if sum(at(point).values()) >= total:
            break
        previous = point
    else:
        return at(points[-1])
    low, high = sum(at(previous).values()), sum(at(point).values())
    scale = previous + (point - previous) * (total - low) / (high - low) if high > low else point
    return at(scale)


def employed_share(
    start: date | None, period_start: date, period_end: date, ramp: Sequence[float]
) -> Fraction:
    """The share of a full quota a rep carries: each day of the period they are employed counts its
    ramp factor (ramp[0] in their first month, ramp[1] in the second..., then 1), over the period's days."""
    days = (period_end - period_start).days + 1
    if start is None or (start <= period_start and not ramp):
        return Fraction(1)
    day, counted = max(start, period_start), Fraction(0)
    while day <= period_end:
        month = (day.year - start.year) * 12 + day.month - start.month - (1 if day.day < start.day else 0)
        counted += Fraction(str(ramp[month])) if month < len(ramp) else Fraction(1)
        day += timedelta(days=1)
    return counted / days


def rep_split(total: int, employed: Mapping[str, Fraction]) -> dict[str, int]:
    """A territory's units over its reps: a full share each, times the share of it they are employed;
    what ramping reps lose goes to the reps employed all period (all reps, by share, if none is)."""
    if not employed:
        return {}
    full = Fraction(total, len(employed))
    ideal = {r: full * e for r, e in employed.items()}
    lost = total - sum(ideal.values(), Fraction(0))
    takers = {r: e for r, e in employed.items() if e >= 1} or dict(employed)
    weight = sum(takers.values(), Fraction(0))
    for rep, e in takers.items():
        ideal[rep] += lost * e / weight if weight else lost / len(takers)
    floors = {r: math.floor(v) for r, v in ideal.items()}
    left = total - sum(floors.values())
    for rep in sorted(ideal, key=lambda r: (-(ideal[r] - floors[r]), r))[:left]:
        floors[rep] += 1
    return floors


@dataclass(frozen=True)
class Allocation:
    territories: dict[str, int]  # territory_id: amount
    reps: list[tuple[str, str | None, int]]  # territory_id, rep_id (None: vacant), amount; sorted
    bounds: dict[str, tuple[int, int]]  # territory_id: growth range in amounts


def allocate(
    target: int,
    territories: Sequence[TerritoryFigures],
    weights: QuotaWeights,
    bounds: GrowthBounds,
    employed: Mapping[str, Fraction],
) -> Allocation:
    """The target over territories, then over each territory's reps (`employed` gives each rep's share
    of a full quota; a rep missing from it is employed all period). Both levels sum to the target."""
    unit = bounds.unit
    if target % unit:
        raise BadInput.at(
            f"the target {target:,} is not a whole number of --round units ({unit:,})", "--target"
        )
    units = target // unit
    if not territories:
        raise BadInput.at("the plan has no territories in this layer to allocate a quota to", "--layer")
    ranges = {t.territory_id: growth_range(t.history, bounds, units) for t in territories}
    empty = sorted(k for k, (low, high) in ranges.items() if low > high)
    if empty:
        # History of 1,500 grown by 0 … 10% at --round 1000 is 1,500 … 1,650: no whole unit lies in it.
        raise BadInput.at(
            f"no whole multiple of {unit:,} lies within the growth bounds of {', '.join(empty)}; "
            "give a smaller --round or wider --min-growth/--max-growth",
            "--round",
        )
    lower = {k: r[0] for k, r in ranges.items()}
    upper = {k: r[1] for k, r in ranges.items()}
    shares = territory_shares(territories, weights)
    least, most = reachable(lower, upper, shares)
    if not least <= units <= most:
        unbounded = any(t.history <= 0 and shares[t.territory_id] > 0 for t in territories)
        top = "no upper limit" if unbounded else f"{most * unit:,}"
        raise BadInput.at(
            f"the target {target:,} cannot be met within the growth bounds: the reachable range is "
            f"{least * unit:,} to {top} (widen --min-growth/--max-growth or change --target)",
            "--target",
        )
    by_territory = apportion(units, shares, lower, upper)
    rows: list[tuple[str, str | None, int]] = []
    for t in sorted(territories, key=lambda t: t.territory_id):
        reps = {r: employed.get(r, Fraction(1)) for r in sorted(set(t.reps))}
        if not reps or not any(reps.values()):
            rows.append((t.territory_id, None, by_territory[t.territory_id] * unit))
            continue
        split = rep_split(by_territory[t.territory_id], reps)
        rows.extend((t.territory_id, r, amount * unit) for r, amount in sorted(split.items()))
    return Allocation(
        {k: v * unit for k, v in sorted(by_territory.items())},
        rows,
        {k: (lo * unit, hi * unit) for k, (lo, hi) in sorted(ranges.items())},
    )


def prorated(
    saved: Sequence[tuple[date, date, str, str, str | None, float]], start: date, end: date
) -> list[tuple[str, str, str | None, float]]:
    """layer, territory_id, rep_id, quota: each saved quota (period start, end, layer, territory, rep,
    amount) taken for the days its period shares with start … end."""
    rows = []
    for first, last, layer, territory, rep, amount in saved:
        shared = (min(last, end) - max(first, start)).days + 1
        if shared > 0:
            rows.append((layer, territory, rep, amount * shared / ((last - first).days + 1)))
    return rows
