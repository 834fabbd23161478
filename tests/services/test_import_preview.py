"""What an import would do, shown before anything is written (services.import_preview): the mapping,
the normalised cells and the row errors, located by file line and column, and the roles it needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.errors import BadInput, NotAllowed
from territorial.services.context import Context, Principal, Role
from territorial.services.import_preview import importable_entity, preview_import
from territorial.services.imports import import_records
from territorial.services.unit_of_work import WorkspaceStore

EXPORT = (
    "Account ID,Account Name,Billing State/Province,Billing Country,Annual Revenue\n"
    "ACC-1,One,New Jersey,United States,1200\n"
    "ACC-2,Two,NJ,USA,lots\n"
    ",No id,NY,US,5\n"
)


def test_the_preview_locates_every_problem_and_writes_nothing(store: WorkspaceStore, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    preview = preview_import(CTX, Entity.ACCOUNTS, path, "salesforce")
    assert preview.rows == 3 and preview.bad_rows == 2 and not preview.importable
    assert {"file_column": "Billing State/Province", "field": "state"} in preview.mapping
    assert preview.changes[0] == {
        "line": 2,
        "file_column": "Billing State/Province",
        "before": "New Jersey",
        "after": "NJ",
        "rule": "state",
    }
    assert [(p["line"], p["file_column"], p["value"]) for p in preview.problems] == [
        (3, "Annual Revenue", "lots"),
        (4, "Account ID", None),
    ]
    assert preview.sample[0]["state"] == "NJ" and preview.sample[0]["country"] == "US"
    # The import refuses the same file for the same rows: the preview read it as the import does.
    with pytest.raises(BadInput) as refused:
        import_records(store, CTX, Entity.ACCOUNTS, path, "salesforce")
    assert [p.location.line for p in refused.value.problems] == [3, 4]
    with store.unit_of_work() as uow:
        assert uow.imports.latest_mapping(Entity.ACCOUNTS) is None  # nothing was ever written


def test_a_rep_may_not_preview_and_an_unknown_entity_is_named(tmp_path: Path) -> None:
    rep = Context("ann", Principal("ann", Role.REP, "REP-ANN"))
    with pytest.raises(NotAllowed):
        preview_import(rep, Entity.ACCOUNTS, tmp_path / "never-read.csv", None)
    with pytest.raises(BadInput, match="expected one of accounts, reps, opportunities, leads, got 'plans'"):
        importable_entity("plans")
