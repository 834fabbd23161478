"""Read a reps file: rep_id (required); name, email, active, manager_id, skills, and the lead routing
columns lead_weight, daily_lead_cap and monthly_lead_cap (all optional)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from territorial.domain.fields import FieldType
from territorial.errors import BadInput, Location, Problem
from territorial.io.accounts import type_accounts
from territorial.io.tables import RawTable, read_table

SKILL_SEPARATOR = ";"
ROUTING_TYPES = {
    "active": FieldType.BOOLEAN,
    "lead_weight": FieldType.NUMBER,
    "daily_lead_cap": FieldType.NUMBER,
    "monthly_lead_cap": FieldType.NUMBER,
}


@dataclass(frozen=True)
class Rep:
    rep_id: str
    name: str | None
    email: str | None
    active: bool
    lead_weight: float = 1.0
    daily_lead_cap: int | None = None
    monthly_lead_cap: int | None = None
    skills: frozenset[str] = frozenset()
    manager_id: str | None = None


def parse_skills(text: str | None) -> frozenset[str]:
    """ "Industry:Healthcare; language:DE" -> {"industry:healthcare", "language:de"}."""
    if not text:
        return frozenset()
    return frozenset(
        ":".join(part.strip() for part in skill.split(":", 1)).lower()
        for skill in text.split(SKILL_SEPARATOR)
        if skill.strip()
    )


def read_reps(path: str | Path) -> dict[str, Rep]:
    raw = read_table(path)
    # The account reader's typing rules (blank is NULL, booleans, a unique id) apply here too.
    book = type_accounts(raw, ROUTING_TYPES, id_column="rep_id")
    frame = book.frame.rename({v: k for k, v in book.columns.items()})
    return reps_from_frame(frame, raw)


def reps_from_frame(frame: pl.DataFrame, raw: RawTable | None = None) -> dict[str, Rep]:
    """Reps from typed columns named by field; `raw` locates bad values in the reps file."""
    problems: list[Problem] = []

    def column(name: str) -> list[object]:
        return frame.get_column(name).to_list() if name in frame.columns else [None] * frame.height

    def where(row: int, field: str) -> Location:
        if raw is None:
            return Location("reps", None, None, field)
        return Location(raw.file, raw.line_of(row), None, field)

    def cap(row: int, field: str, value: object) -> int | None:
        if value is None:
            return None
        number = float(value)  # type: ignore[arg-type]
        if not (math.isfinite(number) and number >= 0 and number == int(number)):
            problems.append(
                Problem(where(row, field), f"expected a whole number of leads, 0 or more, got {value}")
            )
            return None
        return int(number)

    reps: dict[str, Rep] = {}
    names, emails, active = column("name"), column("email"), column("active")
    weights, daily, monthly = column("lead_weight"), column("daily_lead_cap"), column("monthly_lead_cap")
    skills, managers = column("skills"), column("manager_id")
    for row, rep_id in enumerate(frame.get_column("rep_id").to_list()):
        weight = 1.0 if weights[row] is None else float(weights[row])  # type: ignore[arg-type]
        if not (math.isfinite(weight) and weight > 0):
            problems.append(
                Problem(where(row, "lead_weight"), f"expected a number above 0, got {weights[row]}")
            )
        reps[rep_id] = Rep(
            rep_id=rep_id,
            name=_text(names[row]),
            email=_text(emails[row]),
            active=True if active[row] is None else bool(active[row]),
            lead_weight=weight,
            daily_lead_cap=cap(row, "daily_lead_cap", daily[row]),
            monthly_lead_cap=cap(row, "monthly_lead_cap", monthly[row]),
            skills=parse_skills(_text(skills[row])),
            manager_id=_text(managers[row]),
        )
    if problems:
        raise BadInput(problems)
    return reps


def _text(value: object) -> str | None:
    return None if value is None else str(value)
