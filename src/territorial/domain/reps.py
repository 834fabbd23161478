"""A rep, read one way for every command: routing settings, a home and capacity for balancing,
skills, a manager and whether they are active."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from territorial.domain.leads import USER_PREFIXES, salesforce_id
from territorial.errors import BadInput, Location, Problem
from territorial.geo.zips import zip_attributes

# Skills are written "Spanish; Healthcare" or "Spanish, industry: Healthcare".
SKILL_SEPARATORS = re.compile(r"[;,]")
TRUE_WORDS = ("true", "yes", "y", "1")
# Where a home is read from: latitude and longitude (or lat and lon), or x and y on a plane.
HOME_COLUMNS = (("home", (("latitude", "longitude"), ("lat", "lon"))), ("home_xy", (("x", "y"),)))
FALSE_WORDS = ("false", "no", "n", "0")


@dataclass(frozen=True)
class Rep:
    rep_id: str
    name: str | None = None
    email: str | None = None
    active: bool = True
    home: tuple[float, float] | None = None  # latitude, longitude
    home_xy: tuple[float, float] | None = None  # x, y: a home on a plane, for units given as x,y
    home_postal_code: str | None = None  # kept when it names no known US ZIP
    capacity: float = 1.0  # 1.0 a full book, 0.5 a ramping rep
    skills: frozenset[str] = frozenset()  # see parse_skills
    lead_weight: float = 1.0  # share of a pool's leads: 2 takes twice as many as 1
    daily_lead_cap: int | None = None
    monthly_lead_cap: int | None = None
    manager_id: str | None = None
    line: int | None = field(default=None, compare=False)  # where the rep was read, for messages


def parse_skills(text: str | None) -> frozenset[str]:
    """'Spanish, Industry : Healthcare' -> {'spanish', 'industry:healthcare'}: split on ; or ,,
    trimmed around ':', lower-cased."""
    if not text:
        return frozenset()
    return frozenset(
        ":".join(part.strip() for part in skill.split(":", 1)).lower()
        for skill in SKILL_SEPARATORS.split(text)
        if skill.strip()
    )


def serves(held: frozenset[str], need: str) -> bool:
    """Whether a rep holding `held` serves a need. A need is `X` (an account's skills field) or
    `field:X` (a lead field a territory's `lead_skills` names). A rep serves it by holding `X`, or
    `field:X` for that field; a bare need `X` is served by `X` under any field."""
    if need in held:
        return True
    _field, colon, value = need.partition(":")
    if colon:
        return value in held
    return any(skill.partition(":")[2] == need for skill in held if ":" in skill)


def missing_skills(held: frozenset[str], needs: Iterable[str]) -> list[str]:
    """The needs a rep holding `held` does not serve, sorted."""
    return sorted(need for need in needs if not serves(held, need))


def reps_from_records(
    records: Sequence[Mapping[str, Any]], where: Callable[[int, str], Location]
) -> list[Rep]:
    """Reps from typed records keyed by field (rep_id, name, email, active, latitude and longitude or
    lat and lon, x and y, home_postal_code, capacity, skills, lead_weight, daily_lead_cap,
    monthly_lead_cap, manager_id). A home without coordinates is its US ZIP's centre when the ZIP is
    known. `where(row, field)` locates a bad value; every problem is reported, not only the first."""
    problems: list[Problem] = []
    reps = []
    zip_homes = _zip_centres([r.get("home_postal_code") for r in records])
    for row, record in enumerate(records):
        location = where(row, "")

        def bad(column: str, message: str, row: int = row) -> None:
            problems.append(Problem(where(row, column), message))

        weight = _number(record.get("lead_weight"), 1.0)
        if not (math.isfinite(weight) and weight > 0):
            bad("lead_weight", f"expected a number above 0, got {record.get('lead_weight')}")
        capacity = _number(record.get("capacity"), 1.0)
        if not (capacity > 0 and math.isfinite(capacity)):
            bad("capacity", f"capacity must be a positive number such as 1.0 or 0.5, got {capacity:g}")
        caps = {}
        for column in ("daily_lead_cap", "monthly_lead_cap"):
            value = record.get(column)
            number = _number(value, math.nan)
            if value is not None and not (math.isfinite(number) and number >= 0 and number == int(number)):
                bad(column, f"expected a whole number of leads, 0 or more, got {value}")
            caps[column] = int(number) if value is not None and math.isfinite(number) else None
        active = _truth(record.get("active"))
        if active is None:
            bad("active", f"expected yes or no (or true or false), got {record.get('active')!r}")
        homes = {}
        for name, pairs in (
            ("home", (("latitude", "longitude"), ("lat", "lon"))),
            ("home_xy", (("x", "y"),)),
        ):
            for first, second in pairs:
                if first in record or second in record:
                    a, b = _number(record.get(first), math.nan), _number(record.get(second), math.nan)
                    if math.isnan(a) != math.isnan(b):
                        bad(first, f"give both {first} and {second} for a home, or neither")
                    elif name == "home" and (abs(a) > 90 or abs(b) > 180):
                        # As the accounts' coordinates are checked: a typo here moved a home to
                        # another continent and the territory with it.
                        key, limit, value = (first, 90, a) if abs(a) > 90 else (second, 180, b)
                        bad(key, f"{key} must be between -{limit} and {limit}, got {value:g}")
                    homes[name] = None if math.isnan(a) or math.isnan(b) else (a, b)
                    break
        home = homes.get("home") or zip_homes[row]
        reps.append(
            Rep(
                rep_id=str(record["rep_id"]),
                name=_text(record.get("name")),
                email=_text(record.get("email")),
                active=bool(active) if active is not None else True,
                home=home,
                home_xy=homes.get("home_xy"),
                home_postal_code=_text(record.get("home_postal_code")),
                capacity=capacity,
                skills=parse_skills(_text(record.get("skills"))),
                lead_weight=weight,
                daily_lead_cap=caps["daily_lead_cap"],
                monthly_lead_cap=caps["monthly_lead_cap"],
                manager_id=_text(record.get("manager_id")),
                line=location.line,
            )
        )
    if problems:
        raise BadInput(problems)
    return reps


def _zip_centres(codes: list[Any]) -> list[tuple[float, float] | None]:
    """Each code's US ZIP centre as (latitude, longitude); None for an empty or unknown code."""
    if not any(code is not None for code in codes):
        return [None] * len(codes)
    found = zip_attributes(pl.Series(codes, dtype=pl.String), "lat", "lon")
    return [
        (float(lat), float(lon)) if lat is not None and lon is not None else None
        for lat, lon in found.iter_rows()
    ]


def _number(value: object, default: float) -> float:
    if value is None:
        return default
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _truth(value: object) -> bool | None:
    """True for an empty cell (a rep is active unless the data says otherwise)."""
    if value is None or isinstance(value, bool):
        return True if value is None else value
    text = str(value).strip().lower()
    if not text:
        return True
    return True if text in TRUE_WORDS else False if text in FALSE_WORDS else None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


OWNER_NAME = "owner_name"  # a report's "Account Owner": the owner's name, not an id


# What a CRM export may name an owner by, besides the rep id: a name, an e-mail or a CRM user id.
OWNER_IDENTITIES = ("name", "email", "crm_user_id", "crm_owner_id")


def owners_by_name(
    owner_id: pl.Series | None, owner_name: pl.Series, reps: pl.DataFrame
) -> tuple[pl.Series, dict[str, int], dict[str, int]]:
    """Each account's owner id: its own, else the rep (`reps`: rep_id and any of name, email,
    crm_user_id, crm_owner_id) its owner_name names by name, e-mail or CRM user id, case and spaces
    ignored. A name several reps answer to names none: it is not guessed. Also the names that matched
    no rep, and those that matched several, each with its account count, most first."""
    key = pl.col("key").cast(pl.String).str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ")
    known = [c for c in OWNER_IDENTITIES if c in reps.columns]
    keys = (
        pl.concat([reps.select("rep_id", pl.col(c).alias("key")) for c in known])
        .with_columns(key.alias("_key"))
        .filter(pl.col("_key").is_not_null() & (pl.col("_key") != ""))
        .select("_key", "rep_id")
        .unique()
    )
    reps_per_key = keys.group_by("_key").agg(pl.col("rep_id").first(), pl.len().alias("_reps"))
    names = pl.DataFrame({"key": owner_name.cast(pl.String)}).with_columns(key.alias("_key"))
    found = names.join(reps_per_key, on="_key", how="left", maintain_order="left")
    several = found.get_column("_reps").fill_null(0) > 1
    by_name = found.get_column("rep_id").zip_with(~several, pl.Series([None] * found.height, dtype=pl.String))
    owner = by_name if owner_id is None else owner_id.cast(pl.String).fill_null(by_name)
    wanted = found.get_column("key").is_not_null()
    if owner_id is not None:
        wanted = wanted & owner_id.is_null()

    def counted(rows: pl.Series) -> dict[str, int]:
        counts = found.filter(rows).group_by("key").len().sort(["len", "key"], descending=[True, False])
        return dict(counts.iter_rows())

    return (
        owner.alias("owner_id"),
        counted(wanted & found.get_column("rep_id").is_null()),
        counted(wanted & several),
    )


def owner_key(text: object) -> str:
    """How an owner is compared: case and runs of spaces ignored ("Anna  Snelling" is "anna snelling"),
    and a Salesforce User or queue Id in its 18-character form (a report's 0055g0000000030 is the
    API's 0055g0000000030AAA)."""
    return re.sub(r"\s+", " ", salesforce_id(str(text), USER_PREFIXES).lower())


def owner_index(reps: pl.DataFrame) -> dict[str, str]:
    """What a CRM names an owner by (the rep id, a name, an e-mail or a CRM user id, as owner_key
    reads it) -> the rep. A key several reps answer to is left out: an owner is never guessed."""
    found: dict[str, set[str]] = {}
    for column in ("rep_id", *OWNER_IDENTITIES):
        if column not in reps.columns:
            continue
        for rep_id, value in zip(reps.get_column("rep_id"), reps.get_column(column), strict=True):
            if value is not None and str(value).strip():
                found.setdefault(owner_key(value), set()).add(str(rep_id))
    return {key: next(iter(ids)) for key, ids in found.items() if len(ids) == 1}
