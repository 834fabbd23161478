"""A stored plan carries the files it references (services.plan_files): kept with their hashes on
`plan add`, `plan update` and `plan clone`, and read from the kept copy afterwards."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conftest import CTX
from territorial.errors import Problem
from territorial.services.plan_states import clone_plan, update_plan
from territorial.services.plans import add_plan, stored_plan
from territorial.services.unit_of_work import WorkspaceStore

PLAN = """\
name: With files
potential: {model: models/potential.model}
routing:
  fit_model: fit.model
territories:
  - id: ALL
"""


def test_referenced_files_are_kept_with_the_plan_and_read_from_there(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "potential.model").write_bytes(b"potential v1")
    (tmp_path / "fit.model").write_bytes(b"fit v1")
    (tmp_path / "plan.yaml").write_text(PLAN)
    plan_id = add_plan(store, CTX, tmp_path / "plan.yaml")
    with store.unit_of_work() as uow:
        kept = uow.plans.files(plan_id)
    assert [(f.path, f.sha256) for f in kept] == [
        ("fit.model", hashlib.sha256(b"fit v1").hexdigest()),
        ("models/potential.model", hashlib.sha256(b"potential v1").hexdigest()),
    ]
    (tmp_path / "models" / "potential.model").write_bytes(b"potential v2, retrained later")
    (tmp_path / "fit.model").unlink()
    with store.unit_of_work() as uow:
        plan = stored_plan(uow, plan_id)
    assert plan.potential is not None and plan.potential.model is not None
    assert Path(plan.potential.model).read_bytes() == b"potential v1"  # the version stored with the plan
    assert plan.routing.fit_model is not None and Path(plan.routing.fit_model).read_bytes() == b"fit v1"

    copy = clone_plan(store, CTX, plan_id)
    warnings: list[Problem] = []
    update_plan(store, CTX, copy, tmp_path / "plan.yaml", warnings)
    with store.unit_of_work() as uow:
        assert [f.content for f in uow.plans.files(copy)] == [b"potential v2, retrained later"]
        assert [f.content for f in uow.plans.files(plan_id)] == [b"fit v1", b"potential v1"]
    assert [w.location.subject for w in warnings] == ["routing.fit_model"]
    assert "fit.model is not there" in warnings[0].message


def test_a_plan_without_files_reads_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fake_workspace import FakeWorkspace

    store = FakeWorkspace()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.yaml").write_text(
        "name: Plain\npotential: {model: nowhere.model}\nterritories:\n  - id: ALL\n"
    )
    warnings: list[Problem] = []
    plan_id = add_plan(store, CTX, tmp_path / "plan.yaml", warnings)
    with store.unit_of_work() as uow:
        assert uow.plans.files(plan_id) == ()
        plan = stored_plan(uow, plan_id)
    assert plan.potential is not None and plan.potential.model == "nowhere.model"
    assert len(warnings) == 1
