"""Expected sales impact of a plan change: a concave (ADBUDG) response of each account's bookings to
the selling effort its rep can give it, by segment, and a bootstrap over accounts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

# Zoltners & Sinha's ADBUDG response, relative to an account's bookings at its fair share of effort
# (effort index 1): floor at no effort, ceiling at unlimited effort, half the lift at `half`
# (effort^shape), concave for shape ≤ 1. Judgement defaults, each giving ≈ 1.0 at effort 1: enterprise
# deals need much effort and saturate late; SMB accounts saturate fast and keep more with none.
DEFAULT_SEGMENT = "(other)"


@dataclass(frozen=True)
class Response:
    floor: float  # c: the share of an account's baseline booked with no effort at all
    ceiling: float  # b: the share booked with unlimited effort
    half: float  # d: effort^shape at which half the lift from floor to ceiling is reached
    shape: float  # g: 1 is a plain saturating curve; below 1 saturates more gently

    def at(self, effort: np.ndarray) -> np.ndarray:
        """response(e) = c + (b - c) * e^g / (d + e^g), for efforts ≥ 0."""
        powered = np.power(np.maximum(effort, 0.0), self.shape)
        return np.asarray(
            self.floor + (self.ceiling - self.floor) * powered / (self.half + powered), np.float64
        )


DEFAULT_RESPONSES: dict[str, Response] = {
    "enterprise": Response(0.20, 1.80, 1.00, 1.0),
    "mid-market": Response(0.25, 1.50, 0.67, 1.0),
    "smb": Response(0.30, 1.30, 0.43, 1.0),
    DEFAULT_SEGMENT: Response(0.25, 1.50, 0.67, 1.0),
}
# A segment's curve is fitted to history only with at least this many accounts that booked: fewer,
# and a handful of large deals decide the curve.
MIN_FIT_ACCOUNTS = 30
# Bookings per account are capped at this quantile of the segment before fitting: robust to the few
# accounts whose one large deal would bend the curve alone.
FIT_CAP_QUANTILE = 0.95
FIT_SHAPES = (0.5, 0.75, 1.0)
FIT_HALVES = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
RESAMPLES = 200
INTERVAL = 0.95
# Effort index bands, in sales words: above 1.2 a fair share an account is saturated (most of its
# lift is taken), below 0.8 it is under-covered.
SATURATED, UNDER_COVERED = 1.2, 0.8


def default_response(segment: str | None) -> Response:
    """The default curve of a segment by name (any case), else the `(other)` curve."""
    key = (segment or "").strip().lower()
    return DEFAULT_RESPONSES.get(key, DEFAULT_RESPONSES[DEFAULT_SEGMENT])


def effort_index(
    reps: pl.Series, workload: pl.Series, capacity: Mapping[str, float], reference: float
) -> np.ndarray:
    """Each account's selling effort as a multiple of its fair share: its rep's capacity spread over
    the rep's accounts by workload share, ÷ the account's workload × `reference` (capacity per unit
    of workload). An account with no rep gets 0; a rep whose accounts carry no workload, 1.
    reps: rep_id per account (null: none); capacity: rep_id → capacity (absent: 1.0)."""
    frame = pl.DataFrame({"rep": reps.cast(pl.String), "w": workload.cast(pl.Float64).fill_null(0.0)})
    frame = frame.select("rep", pl.col("w").clip(lower_bound=0.0).sum().over("rep").alias("total"))
    cap = (
        frame.get_column("rep")
        .replace_strict(dict(capacity), default=1.0, return_dtype=pl.Float64)
        .to_numpy()
    )
    total = frame.get_column("total").to_numpy()
    # Per unit of workload a rep gives capacity ÷ its book's workload: the same to each of its accounts.
    per_unit = np.divide(cap, total * reference, out=np.ones_like(cap), where=total > 0)
    return np.where(frame.get_column("rep").is_null().to_numpy(), 0.0, per_unit)


def fair_share(workload: pl.Series, capacity: float) -> float:
    """Capacity per unit of workload when `capacity` (the reps' summed) covers the whole book: the
    effort that makes an account's effort index 1."""
    total = float(workload.cast(pl.Float64).fill_null(0.0).clip(lower_bound=0.0).sum())
    return capacity / total if total > 0 and capacity > 0 else 1.0


def fit_response(effort: np.ndarray, relative: np.ndarray, weight: np.ndarray | None = None) -> Response:
    """Weighted least squares of `relative` bookings (÷ the baseline) on effort over a grid of shapes
    and halves, floor and ceiling solved exactly for each (0 ≤ floor ≤ ceiling); bookings capped at
    the FIT_CAP_QUANTILE. Weights are the accounts' baselines, so a small account's one deal weighs
    as little as its baseline. Deterministic: the first best grid point wins."""
    w = np.ones_like(relative) if weight is None else weight / max(float(weight.sum()), 1e-300)
    cap = float(np.quantile(relative, FIT_CAP_QUANTILE)) if relative.size else 0.0
    y = np.minimum(relative, cap)
    best: tuple[float, Response] | None = None
    for shape in FIT_SHAPES:
        powered = np.power(np.maximum(effort, 0.0), shape)
        for half in FIT_HALVES:
            lift = powered / (half + powered)
            floor, ceiling = _floor_and_ceiling(lift, y, w)
            error = float(np.sum(w * (floor + (ceiling - floor) * lift - y) ** 2))
            if best is None or error < best[0] * (1 - 1e-9):
                best = (error, Response(floor, ceiling, half, shape))
    assert best is not None
    return best[1]


def _floor_and_ceiling(lift: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """y ≈ floor · (1 - lift) + ceiling · lift in weighted least squares, with 0 ≤ floor ≤ ceiling."""
    root = np.sqrt(w)
    design = np.column_stack([1.0 - lift, lift]) * root[:, None]
    (floor, ceiling), *_ = np.linalg.lstsq(design, y * root, rcond=None)
    if floor < 0:
        denominator = float(np.sum(w * lift * lift))
        floor, ceiling = 0.0, (float(np.sum(w * lift * y)) / denominator if denominator > 0 else 0.0)
    if ceiling < floor:  # no lift at all in the data: a flat response at the mean
        floor = ceiling = float(np.sum(w * y) / np.sum(w)) if y.size else 0.0
    return float(floor), float(ceiling)


@dataclass(frozen=True)
class SegmentModel:
    segment: str
    response: Response
    accounts: int
    booked: int  # accounts with won bookings in the history
    fitted: bool  # False: the default curve


def segment_responses(
    segments: list[str], won: np.ndarray, baseline: np.ndarray, effort: np.ndarray, fit: bool = True
) -> list[SegmentModel]:
    """Each segment's response, by segment: fitted to the accounts' efforts and yearly bookings ÷
    baseline where at least MIN_FIT_ACCOUNTS of its accounts booked (and their efforts take 3 or
    more values), else its default."""
    kinds = np.array(segments, dtype=object)
    models = []
    for name in sorted(set(segments)):
        chosen = kinds == name
        booked = int(np.count_nonzero(won[chosen] > 0))
        usable = chosen & (baseline > 0)
        if fit and booked >= MIN_FIT_ACCOUNTS and np.unique(effort[usable]).size >= 3:
            response = fit_response(effort[usable], won[usable] / baseline[usable], baseline[usable])
            models.append(SegmentModel(name, response, int(chosen.sum()), booked, True))
        else:
            models.append(SegmentModel(name, default_response(name), int(chosen.sum()), booked, False))
    return models


def expected_bookings(
    baseline: np.ndarray, effort: np.ndarray, segments: list[str], responses: Mapping[str, Response]
) -> np.ndarray:
    """Each account's expected bookings: its baseline times its segment's response at its effort."""
    out = np.zeros(baseline.size, np.float64)
    kinds = np.array(segments, dtype=object)
    for segment, response in sorted(responses.items()):
        chosen = kinds == segment
        out[chosen] = baseline[chosen] * response.at(effort[chosen])
    return out


def bootstrap_interval(difference: np.ndarray, resamples: int, seed: int) -> tuple[float, float]:
    """The INTERVAL percentile interval of the summed per-account differences, resampling accounts
    with replacement `resamples` times. Identical plans (all 0) give exactly (0, 0)."""
    if difference.size == 0 or not np.any(difference):
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    sums = np.empty(resamples, np.float64)
    for r in range(resamples):
        sums[r] = float(difference[rng.integers(0, difference.size, difference.size)].sum())
    tail = (1.0 - INTERVAL) / 2.0
    low, high = np.quantile(sums, [tail, 1.0 - tail])
    return float(low), float(high)


TERRITORY_COLUMNS = [
    "territory_id",
    "accounts_a",
    "accounts_b",
    "effort_a",
    "effort_b",
    "expected_a",
    "expected_b",
    "difference",
]
NO_TERRITORY = "(no territory)"


def territory_impact(accounts: pl.DataFrame) -> pl.DataFrame:
    """Per primary territory: its accounts, their mean effort index and expected bookings in plan A
    (territory_a) and in plan B (territory_b), and the difference; by territory_id.
    accounts: territory_a, territory_b, effort_a, effort_b, expected_a, expected_b."""

    def side(key: str) -> pl.DataFrame:
        return accounts.group_by(
            pl.col(f"territory_{key}").fill_null(NO_TERRITORY).alias("territory_id")
        ).agg(
            pl.len().alias(f"accounts_{key}"),
            pl.col(f"effort_{key}").mean(),
            pl.col(f"expected_{key}").sum(),
        )

    table = side("a").join(side("b"), on="territory_id", how="full", coalesce=True)
    counts_and_sums = ["accounts_a", "accounts_b", "expected_a", "expected_b"]
    return (
        table.with_columns(pl.col(c).fill_null(0) for c in counts_and_sums)
        .with_columns((pl.col("expected_b") - pl.col("expected_a")).alias("difference"))
        .select(TERRITORY_COLUMNS)
        .sort("territory_id")
    )


def segment_impact(accounts: pl.DataFrame) -> pl.DataFrame:
    """segment, accounts, expected_a, expected_b, difference: by segment."""
    return (
        accounts.group_by("segment")
        .agg(pl.len().alias("accounts"), pl.col("expected_a").sum(), pl.col("expected_b").sum())
        .with_columns((pl.col("expected_b") - pl.col("expected_a")).alias("difference"))
        .sort("segment")
    )


@dataclass(frozen=True)
class EffortShift:
    """The accounts whose effort falls (or rises) from plan A to plan B, in sales words."""

    gains: bool  # True: the accounts gaining effort
    accounts: int
    effort_before: float  # median effort index in plan A
    effort_after: float  # median effort index in plan B
    saturated: float  # share of them above SATURATED in plan A
    under_covered: float  # share of them below UNDER_COVERED in plan A
    expected_change: float  # their expected bookings, B - A


def effort_shifts(accounts: pl.DataFrame) -> list[EffortShift]:
    """The accounts losing effort, then those gaining it (each only when there are any)."""
    shifts = []
    for gains in (False, True):
        moved = pl.col("effort_b") > pl.col("effort_a") if gains else pl.col("effort_b") < pl.col("effort_a")
        part = accounts.filter(moved)
        if part.is_empty():
            continue
        before = part.get_column("effort_a").to_numpy()
        shifts.append(
            EffortShift(
                gains,
                part.height,
                float(np.median(before)),
                float(np.median(part.get_column("effort_b").to_numpy())),
                float(np.mean(before > SATURATED)),
                float(np.mean(before < UNDER_COVERED)),
                float(part.get_column("difference").sum()),
            )
        )
    return shifts
