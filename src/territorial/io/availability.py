"""Read reps' out-of-office ranges: a CSV of rep_id, start, end (first and last day off)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl

from territorial.domain.fields import FieldType
from territorial.domain.normalize import normalize
from territorial.errors import BadInput, Location, Problem
from territorial.io.accounts import type_accounts
from territorial.io.tables import read_table

Ranges = dict[str, tuple[tuple[date, date], ...]]
REQUIRED = ("rep_id", "start", "end")
ROW_ID = "_row"
DAY_TYPES = {"start": FieldType.DATE, "end": FieldType.DATE}


def read_availability(path: str | Path, known_reps: set[str] | None = None) -> Ranges:
    """rep_id -> its time-off ranges, in start order. A rep may have several rows."""
    raw = read_table(path)
    header = {name.strip().lower() for name in raw.frame.columns}
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise BadInput.at(
            f"missing the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            "(expected rep_id, start, end)",
            raw.file,
            1 if raw.is_csv else None,
        )
    # Days in any form `import` reads (3/2/2026, 2026-03-02T09:00:00Z), as ISO text.
    frame = raw.frame.rename({name: name.strip().lower() for name in raw.frame.columns})
    normalized = normalize(frame.select(list(DAY_TYPES)), DAY_TYPES, file=raw.file, row_lines=raw.line_of)
    normalized.problem_log().raise_if_any()
    frame = frame.with_columns(normalized.frame.select(pl.col("start", "end").cast(pl.String)))
    # Rows are not unique by rep, so the row number stands in as the id the typing needs.
    numbered = frame.with_row_index(ROW_ID).with_columns(pl.col(ROW_ID).cast(pl.String))
    # rep_id is text: HubSpot user ids are numbers, and inferred as such 51234411 would read 51234411.0.
    types = {"rep_id": FieldType.STRING, "start": FieldType.DATE, "end": FieldType.DATE}
    typed = type_accounts(replace(raw, frame=numbered), types, id_column=ROW_ID)
    frame = typed.frame.rename({v: k for k, v in typed.columns.items()})
    problems: list[Problem] = []
    ranges: dict[str, list[tuple[date, date]]] = {}
    for row, (rep_id, start, end) in enumerate(frame.select(REQUIRED).iter_rows()):
        line = raw.line_of(row)
        for field, value in (("rep_id", rep_id), ("start", start), ("end", end)):
            if value is None:
                problems.append(Problem(Location(raw.file, line, None, field), f"{field} is empty"))
        if rep_id is None or start is None or end is None:
            continue
        if end < start:
            problems.append(
                Problem(
                    Location(raw.file, line, None, "end"), f"time off ends ({end}) before it starts ({start})"
                )
            )
        elif known_reps is not None and rep_id not in known_reps:
            problems.append(Problem(Location(raw.file, line, None, "rep_id"), f"unknown rep {rep_id!r}"))
        else:
            ranges.setdefault(rep_id, []).append((start, end))
    if problems:
        raise BadInput(problems)
    return {rep: tuple(sorted(spans)) for rep, spans in sorted(ranges.items())}
