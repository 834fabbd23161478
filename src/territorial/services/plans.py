"""Plans: storing and listing them, and the one reading of a plan reference (a stored plan's id or a
plan file) for every command and the API."""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from importlib.metadata import version
from pathlib import Path

import polars as pl

from territorial.domain.lifecycle import ACTIVE_REFERENCE
from territorial.domain.plan import Plan
from territorial.domain.stored import StoredPlan
from territorial.engine.checks import check_plan
from territorial.errors import BadInput, Problem
from territorial.io.plan_file import load_plan, parse_plan
from territorial.io.yaml_tree import read_yaml_text
from territorial.services.audit import record_plan_edit
from territorial.services.context import Context
from territorial.services.permissions import may_write
from territorial.services.plan_files import files_to_keep, with_kept_files
from territorial.services.unit_of_work import UnitOfWork, WorkspaceStore
from territorial.services.workspace import account_fields


@dataclass(frozen=True)
class ResolvedPlan:
    plan: Plan
    plan_id: int | None  # the stored plan's id; None for a plan file
    folder: Path  # where the plan's own files (models, catalogues) are found


def plan_reference(
    text: str | int | Path, workspace: WorkspaceStore | None = None, option: str = "--plan"
) -> int | Path:
    """A plan reference: digits name a stored plan's id, `active` the workspace's active plan (found
    in `workspace`), anything else a plan file. A file named `active`, or whose name is all digits,
    must be written with its folder (./active, ./2027); a folder named with digits (a year's folder)
    is no plan file and does not count. Errors name `option`, the option or argument that gave it."""
    if isinstance(text, int | Path):
        return text
    value = text.strip()
    if value == ACTIVE_REFERENCE:
        return active_plan_id(workspace, option)
    if not (value.isascii() and value.isdigit()):
        return Path(value)
    if os.path.isfile(value):  # False, not an error, for a name too long to be a file
        raise BadInput.at(
            f"'{value}' is both a stored plan's id and a file here: "
            f"write ./{value} for the file, or move to another folder for the stored plan",
            option,
        )
    return int(value)


def resolve_plan(
    workspace: WorkspaceStore | None, reference: str | int | Path, option: str = "--plan"
) -> ResolvedPlan:
    """The plan a reference names. A stored plan needs the workspace; its files are found from the
    working directory, a plan file's beside it."""
    found = plan_reference(reference, workspace, option)
    if isinstance(found, Path):
        return ResolvedPlan(load_plan(found), None, found.resolve().parent)
    if workspace is None:
        raise BadInput.at(f"{option} ID names a stored plan: it needs the workspace", option)
    with workspace.unit_of_work() as uow:
        return ResolvedPlan(stored_plan(uow, found, option), found, Path.cwd())


def active_plan_id(workspace: WorkspaceStore | None, option: str = "--plan") -> int:
    """The id of the workspace's active plan (the reference `active`)."""
    if workspace is None:
        raise BadInput.at("`active` names the workspace's active plan: it needs the workspace", option)
    with workspace.unit_of_work() as uow:
        found = uow.plans.active_id()
    if found is None:
        raise BadInput.at(
            "no plan is active yet; `territorial plan activate ID` makes one active "
            "(a plan file named active is written ./active)",
            option,
        )
    return found


def stored_plan(uow: UnitOfWork, plan_id: int, option: str = "--plan") -> Plan:
    """A stored plan, reading its kept files: as its activation kept it parsed, else parsed."""
    stored = plan_in(uow, plan_id, option)
    key = parsed_key(stored)
    plan = _recent_plans.get(key)
    if plan is None:
        kept = uow.plans.parsed(plan_id, key)
        plan = pickle.loads(kept) if kept is not None else _parsed(stored.source, _label(stored))
        _recent_plans.put(key, plan)
    return with_kept_files(plan, uow.plans.files(plan_id))


class _RecentPlans:
    """The last few plans read, by parsed_key (their YAML, name and code): a server reads the active
    plan on every request of a rep or a manager (what they may see), and unpickling a 5,000-territory
    plan takes about a second. Plans are frozen values, so one is shared safely."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.plans: OrderedDict[str, Plan] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> Plan | None:
        with self.lock:
            plan = self.plans.get(key)
            if plan is not None:
                self.plans.move_to_end(key)
            return plan

    def put(self, key: str, plan: Plan) -> None:
        with self.lock:
            self.plans[key] = plan
            while len(self.plans) > self.size:
                self.plans.popitem(last=False)


_recent_plans = _RecentPlans(4)


def keep_parsed_plan(uow: UnitOfWork, plan_id: int, parsed: Plan | None = None) -> None:
    """Keep the plan as parsed, for every later reading of it (`plan add` and `plan update` do, with
    the plan they `parsed` from its file, and an activation: compare and each import then read it
    without parsing it). The bytes are pickled and read only from the workspace's own database,
    which the code trusts as it trusts its plans; a key names the source and the code."""
    stored = plan_in(uow, plan_id)
    key = parsed_key(stored)
    if uow.plans.parsed(plan_id, key) is None:
        # Parsed from the file, the plan names the file; stored, it names itself.
        label = _label(stored)
        plan = replace(parsed, file=label) if parsed is not None else _parsed(stored.source, label)
        uow.plans.keep_parsed(plan_id, key, pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL))


def parsed_key(stored: StoredPlan) -> str:
    """What a parsed plan was made from: its YAML and name, and the code that parsed and holds it
    (a plan kept by another version of the code is parsed again)."""
    digest = hashlib.sha256(_code_digest().encode())
    digest.update(_label(stored).encode())
    digest.update(stored.source.encode())
    return digest.hexdigest()


def _label(stored: StoredPlan) -> str:
    return f"plan {stored.plan_id} ({stored.file_name})"


# Plans are frozen values: the last few parsed are shared, so an activation, which reads its plan
# more than once and keeps it, parses a 5,000-territory plan once.
@functools.lru_cache(maxsize=4)
def _parsed(source: str, label: str) -> Plan:
    return parse_plan(source, label)


@functools.cache
def _code_digest() -> str:
    """The SHA-256 of the code a parsed plan is made of: the domain, the rule language and the plan
    file reader, and the package's version."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(version("territorial").encode())
    for path in sorted(
        [*(root / "domain").glob("*.py"), *(root / "rules").glob("*.py"), root / "io" / "plan_file.py"]
    ):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def add_plan(
    workspace: WorkspaceStore, ctx: Context, path: str | Path, warnings: list[Problem] | None = None
) -> int:
    """Store a plan's YAML verbatim, as a draft, and return its id. It must parse and, once the
    workspace has accounts, fit their fields (as `assign --plan` will need); its warnings go to
    `warnings`."""
    may_write(ctx.principal, "add plans")
    plan, source = plan_to_store(workspace, path, warnings)
    files, missing = files_to_keep(plan, Path(path).resolve().parent)
    if warnings is not None:
        warnings += missing
    with workspace.unit_of_work(write=True, lock="plans") as uow:
        plan_id = uow.plans.add(plan.name, Path(path).name, source, ctx.now(), ctx.actor)
        uow.plans.keep_files(plan_id, files)
        keep_parsed_plan(uow, plan_id, plan)
        record_plan_edit(uow, ctx, plan_id, f"plan {plan_id} added from {Path(path).name}", source)
        return plan_id


def plan_to_store(
    workspace: WorkspaceStore, path: str | Path, warnings: list[Problem] | None = None
) -> tuple[Plan, str]:
    """A plan file read and checked for storing (`plan add`, `plan update`), and its YAML verbatim."""
    source = read_yaml_text(path, "plan file")  # UTF-16 stored as the text it holds
    plan = parse_plan(source, str(path))
    with workspace.unit_of_work() as uow:
        accounts, fields = account_fields(uow, plan)
    if accounts:
        found = check_plan(plan, fields)
        if warnings is not None:
            warnings += found
    return plan, source


def stored_plan_id(workspace: WorkspaceStore, text: str, option: str = "PLAN_ID") -> int:
    """The stored plan a command's argument names: its id, or `active`."""
    found = plan_reference(text, workspace, option)
    if isinstance(found, Path):
        raise BadInput.at(f"expected a stored plan's id or `active`, got {text!r}", option)
    return found


def show_plan(workspace: WorkspaceStore, plan_id: int) -> StoredPlan:
    """A stored plan with its YAML as it was stored."""
    with workspace.unit_of_work() as uow:
        return plan_in(uow, plan_id)


def plan_in(uow: UnitOfWork, plan_id: int, option: str = "PLAN_ID") -> StoredPlan:
    """A stored plan as stored (state, YAML), or an error naming the argument."""
    stored = uow.plans.get(plan_id)
    if stored is None:
        raise BadInput.at(f"no plan with id {plan_id}; `territorial plan list` shows them", option)
    return stored


def list_plans(workspace: WorkspaceStore) -> pl.DataFrame:
    with workspace.unit_of_work() as uow:
        plans = uow.plans.list()
    return pl.DataFrame(
        [(p.plan_id, p.name, p.file_name, p.state.value, p.effective, p.created_at) for p in plans],
        schema={
            "plan_id": pl.Int64,
            "name": pl.String,
            "file_name": pl.String,
            "state": pl.String,
            "effective": pl.Date,
            "created_at": pl.Datetime,
        },
        orient="row",
    )
