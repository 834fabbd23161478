"""The work index, a workload preset in hours a year: visits a year × (call time + travel time),
by account segment, as eSpatial and ZS size field territories."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

PRESET = "work-index"
MINUTES_PER_HOUR = 60.0


@dataclass(frozen=True)
class Visits:
    """How one segment is covered: visits a year, minutes per call, and the travel minutes per
    visit to use when the rep's home is not known."""

    visits_per_year: float
    call_minutes: float
    travel_minutes: float


# Planning assumptions, not measurements: a monthly visit of 90 minutes for enterprise accounts,
# every other month for mid-market, twice a year for small business. Override them with a YAML file.
DEFAULT_SEGMENTS = {
    "enterprise": Visits(visits_per_year=12, call_minutes=90, travel_minutes=60),
    "mid-market": Visits(visits_per_year=6, call_minutes=60, travel_minutes=45),
    "smb": Visits(visits_per_year=2, call_minutes=45, travel_minutes=30),
}
# Without a segment field, an account's employee count decides: the largest band it reaches.
DEFAULT_EMPLOYEE_BANDS = {"enterprise": 1000.0, "mid-market": 100.0, "smb": 0.0}
DEFAULT_SPEED_KMH = 50.0  # average door-to-door driving speed
DEFAULT_ROAD_FACTOR = 1.3  # road distance over straight-line distance
# A visit further than this is a flight or an overnight stay: budget a day of travel, not the drive.
DEFAULT_MAX_TRAVEL_MINUTES = 480.0


@dataclass(frozen=True)
class WorkIndex:
    segments: dict[str, Visits] = field(default_factory=lambda: dict(DEFAULT_SEGMENTS))
    segment_field: str = "segment"
    employee_bands: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_EMPLOYEE_BANDS))
    speed_kmh: float = DEFAULT_SPEED_KMH
    road_factor: float = DEFAULT_ROAD_FACTOR
    max_travel_minutes: float = DEFAULT_MAX_TRAVEL_MINUTES

    def travel_minutes(self, km: np.ndarray) -> np.ndarray:
        """Round-trip minutes for a straight-line distance to the rep's home, at most a day."""
        drive = 2.0 * np.asarray(km) * self.road_factor / self.speed_kmh * MINUTES_PER_HOUR
        return np.asarray(np.minimum(drive, self.max_travel_minutes))

    def hours(self, segments: list[str], home_km: np.ndarray) -> np.ndarray:
        """Hours a year per account: visits × (call + travel). `home_km` is the distance to the
        rep's home, NaN where unknown (then the segment's travel minutes apply). Every segment
        must be in the table (see `unknown_segment`)."""
        visits = np.array([self.segments[s].visits_per_year for s in segments], dtype=np.float64)
        call = np.array([self.segments[s].call_minutes for s in segments], dtype=np.float64)
        default_travel = np.array([self.segments[s].travel_minutes for s in segments], dtype=np.float64)
        km = np.asarray(home_km, dtype=np.float64)
        travel = np.where(np.isnan(km), default_travel, self.travel_minutes(np.nan_to_num(km)))
        return np.asarray(visits * (call + travel) / MINUTES_PER_HOUR)

    def segment_by_employees(self, employees: np.ndarray) -> list[str]:
        """The segment of each employee count (NaN: the smallest band)."""
        bands = sorted(self.employee_bands.items(), key=lambda item: (item[1], item[0]))
        counts = np.nan_to_num(np.asarray(employees, dtype=np.float64), nan=-np.inf)
        out = np.full(len(counts), bands[0][0], dtype=object)
        for name, lowest in bands[1:]:
            out[counts >= lowest] = name
        return [str(s) for s in out]

    def unknown_segment(self, segments: list[str]) -> int | None:
        """The first row whose segment is not in the table, or None."""
        return next((row for row, s in enumerate(segments) if s not in self.segments), None)


def segment_key(text: str | None) -> str:
    """'Mid Market' -> 'mid-market', 'SMB' -> 'smb': segments match ignoring case and spacing."""
    return re.sub(r"[^0-9a-z]+", "-", (text or "").strip().lower()).strip("-")
