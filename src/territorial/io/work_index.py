"""Read a work-index YAML file: segment visit table overrides, checked with file lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from territorial.domain.work_index import Visits, WorkIndex, segment_key
from territorial.errors import BadInput, Location, Problem, shown
from territorial.io.yaml_tree import child, compose, construct, key_node, line_of, position, read_yaml_text

EXPECTED = "segments, segment_field, employee_bands, speed_kmh, road_factor or max_travel_minutes"


class VisitsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    visits_per_year: float | None = Field(default=None, ge=0)
    call_minutes: float | None = Field(default=None, ge=0)
    travel_minutes: float | None = Field(default=None, ge=0)


class WorkIndexSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    segment_field: str | None = Field(default=None, min_length=1)
    speed_kmh: float | None = Field(default=None, gt=0)
    road_factor: float | None = Field(default=None, ge=1)
    max_travel_minutes: float | None = Field(default=None, gt=0)
    segments: dict[str, VisitsSpec] = Field(default_factory=dict)
    employee_bands: dict[str, float] | None = None


def read_work_index(path: str | Path | None) -> WorkIndex:
    """The default work index, with what the file at `path` overrides (None: the defaults)."""
    base = WorkIndex()
    if path is None:
        return base
    file = str(path)
    text = read_yaml_text(path, "work-index file")
    tree = compose(text, file, EXPECTED)
    data = construct(tree, file, EXPECTED)
    try:
        spec = WorkIndexSpec.model_validate(data)
    except ValidationError as err:
        raise BadInput([_problem(e, tree, file) for e in err.errors()]) from None
    segments = dict(base.segments)
    problems = []
    section = child(tree, "segments")
    for name, given in spec.segments.items():
        key = segment_key(name)
        old = segments.get(key)
        values = {
            attr: getattr(given, attr) if getattr(given, attr) is not None else getattr(old, attr, None)
            for attr in ("visits_per_year", "call_minutes", "travel_minutes")
        }
        missing = [attr for attr, value in values.items() if value is None]
        if missing:
            written = key_node(section, name)
            problems.append(
                Problem(
                    Location(file, line_of(written) if written is not None else None, None, name),
                    f"a new segment needs {', '.join(missing)}",
                )
            )
            continue
        segments[key] = Visits(**{k: float(v) for k, v in values.items() if v is not None})
    bands = base.employee_bands
    if spec.employee_bands is not None:
        bands = {segment_key(name): float(value) for name, value in spec.employee_bands.items()}
        unknown = [name for name in bands if name not in segments]
        lowest = min(bands.values(), default=None)
        written = key_node(tree, "employee_bands")
        line = line_of(written) if written is not None else None
        if unknown:
            message = f"employee_bands names unknown segments: {', '.join(unknown)}"
            problems.append(Problem(Location(file, line), message))
        elif lowest is None or lowest > 0:
            problems.append(Problem(Location(file, line), "employee_bands needs a segment starting at 0"))
    if problems:
        raise BadInput(problems)
    return WorkIndex(
        segments=segments,
        segment_field=spec.segment_field or base.segment_field,
        employee_bands=bands,
        speed_kmh=spec.speed_kmh if spec.speed_kmh is not None else base.speed_kmh,
        road_factor=spec.road_factor if spec.road_factor is not None else base.road_factor,
        max_travel_minutes=(
            spec.max_travel_minutes if spec.max_travel_minutes is not None else base.max_travel_minutes
        ),
    )


def _problem(error: Any, tree: Any, file: str) -> Problem:
    loc = tuple(error["loc"])
    line, column, _owner = position(tree, loc)
    name = str(loc[-1]) if loc else "file"
    if error["type"] == "extra_forbidden":
        allowed = VisitsSpec.model_fields if len(loc) > 2 else WorkIndexSpec.model_fields
        message = f"unknown key '{name}'; expected one of {', '.join(allowed)}"
    else:
        message = f"{name}: {error['msg'].lower()}, got {shown(error.get('input'))}"
    return Problem(Location(file, line, column), message)
