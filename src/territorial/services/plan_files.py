"""The files a stored plan references (its potential model, fit model and catalogue): kept with the
plan when it is stored, and laid out again when it is read, so a plan version evaluates the same
wherever and whenever it runs."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from territorial.domain.plan import Plan
from territorial.domain.stored import PlanFile
from territorial.errors import Location, Problem

# Where kept files are laid out, one folder per content hash: the same content is written once.
LAID_OUT = "territorial-plan-files"


def referenced(plan: Plan) -> dict[str, str]:
    """The plan's key (potential.model, routing.fit_model, routing.catalogue) -> path as written."""
    found = {
        "potential.model": plan.potential.model if plan.potential is not None else None,
        "routing.fit_model": plan.routing.fit_model,
        "routing.catalogue": plan.routing.catalogue,
    }
    return {key: path for key, path in found.items() if path is not None}


def files_to_keep(plan: Plan, folder: Path) -> tuple[list[PlanFile], list[Problem]]:
    """The referenced files read from beside the plan file (else from the working directory, where a
    stored plan's files were looked for before they were kept); a missing one is a warning."""
    files, warnings = [], []
    for key, path in sorted(referenced(plan).items()):
        found = next((p for p in (folder / path, Path(path)) if p.is_file()), None)
        if found is None:
            warnings.append(
                Problem(
                    Location(plan.file, None, None, key),
                    f"{path} is not there: the plan is stored without it, and looks for it in the "
                    "working directory when it runs",
                )
            )
            continue
        content = found.read_bytes()
        files.append(PlanFile(path, hashlib.sha256(content).hexdigest(), content))
    return files, warnings


def with_kept_files(plan: Plan, files: Sequence[PlanFile]) -> Plan:
    """The plan reading its kept files: each laid out (once per content) and named by its full path."""
    if not files:
        return plan
    placed = {f.path: str(_laid_out(f)) for f in files}
    potential = plan.potential
    if potential is not None and potential.model in placed:
        potential = replace(potential, model=placed[potential.model])
    routing = plan.routing
    routing = replace(
        routing,
        fit_model=placed.get(routing.fit_model, routing.fit_model) if routing.fit_model else None,
        catalogue=placed.get(routing.catalogue, routing.catalogue) if routing.catalogue else None,
    )
    return replace(plan, potential=potential, routing=routing)


def _laid_out(kept: PlanFile) -> Path:
    folder = Path(tempfile.gettempdir()) / LAID_OUT / kept.sha256
    target = folder / Path(kept.path).name
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{target.name}.{os.getpid()}.partial"
        partial.write_bytes(kept.content)
        partial.replace(target)  # atomic: a reader sees the whole file or none
    return target
