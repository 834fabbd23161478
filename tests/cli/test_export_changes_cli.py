"""`territorial export changes` through the command line: the files written and what they hold,
`last-export`, and a bad --since (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CTX, run_cli
from services.workspace_books import write_book
from territorial.domain.entities import Entity
from territorial.services.activation import activate_plan
from territorial.services.imports import import_records
from territorial.services.overrides import add_override
from territorial.services.plans import add_plan
from territorial.store.workspace import init_workspace


def test_export_changes_writes_the_salesforce_files_then_only_what_is_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TERRITORIAL_TIME_ZONE", raising=False)
    monkeypatch.delenv("TERRITORIAL_VACANT_OWNER", raising=False)
    paths = write_book(tmp_path)
    workspace = init_workspace(str(tmp_path / "territorial.db"))
    import_records(workspace, CTX, Entity.REPS, paths["reps"])
    import_records(workspace, CTX, Entity.ACCOUNTS, paths["accounts"])
    activate_plan(workspace, CTX, add_plan(workspace, CTX, paths["plan"]))
    args = ("export", "changes", "--format", "salesforce", "--rep-ids-from", "salesforce")
    done = run_cli(tmp_path, *args, "--since", "1", "--out-dir", "sf")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "sf").iterdir()) == [
        "AccountOwnerUpdate.csv",
        "ObjectTerritory2Association_delete_README.txt",
        "ObjectTerritory2Association_insert.csv",
        "Unowned.csv",
    ]
    assert "6 (account, layer) rows changed, net, over change sets 1 to 1" in done.stderr
    assert (tmp_path / "sf" / "Unowned.csv").read_text() == (
        "account_id,territory_id,why,owner\nA-3,SOUTH,vacant territory,\n"
    )

    add_override(workspace, CTX, "A-4", "EAST", None, "named account")
    workspace.engine.dispose()
    again = run_cli(tmp_path, *args, "--since", "last-export", "--out-dir", "sf2")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "sf2" / "AccountOwnerUpdate.csv").read_text() == "Id,OwnerId\nA-4,dee\n"
    assert (tmp_path / "sf2" / "ObjectTerritory2Association_insert.csv").read_text() == (
        "ObjectId,Territory2.DeveloperName,AssociationCause\nA-4,EAST,Territory2Manual\n"
    )
    bad = run_cli(tmp_path, "export", "changes", "--since", "last week")
    assert bad.returncode == 2 and "--since" in bad.stderr
