"""Importing records (services.imports): upserts, history, full sync and bad rows, on the fake and on
both databases."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from workspace_books import write_book

from conftest import CTX
from territorial.domain.entities import Entity
from territorial.errors import BadInput
from territorial.io.accounts import read_accounts
from territorial.services.imports import import_records
from territorial.services.unit_of_work import WorkspaceStore
from territorial.services.workspace import load_accounts


def accounts(store: WorkspaceStore) -> pl.DataFrame:
    with store.unit_of_work() as uow:
        book = load_accounts(uow, {})
    return book.frame.rename({v: k for k, v in book.columns.items()}).sort("account_id")


def test_first_import_normalises_and_creates_every_record(store: WorkspaceStore, tmp_path: Path) -> None:
    files = write_book(tmp_path)
    report = import_records(store, CTX, Entity.ACCOUNTS, files["accounts"])
    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (6, 0, 0, 0)
    assert report.normalized_cells > 0
    book = accounts(store)
    assert set(book.get_column("country")) == {"US"}  # "USA" and "United States" normalised
    assert book.get_column("region").to_list() == ["West", "East", "South", "West", "East", "West"]
    with store.unit_of_work() as uow:
        assert uow.records.history_of(Entity.ACCOUNTS, "A-1").rows() == [("(created)", None, None)]
        assert uow.imports.latest_mapping(Entity.ACCOUNTS) is None


def test_reimports_record_only_what_changed(store: WorkspaceStore, tmp_path: Path) -> None:
    files = write_book(tmp_path)
    import_records(store, CTX, Entity.ACCOUNTS, files["accounts"])
    again = import_records(store, CTX, Entity.ACCOUNTS, files["accounts"])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 6)
    (tmp_path / "change.csv").write_text("account_id,employees,region\nA-2,900,Central\n")
    changed = import_records(store, CTX, Entity.ACCOUNTS, tmp_path / "change.csv")
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 0)
    with store.unit_of_work() as uow:
        history = uow.records.history_of(Entity.ACCOUNTS, "A-2").rows()
    assert history == [("(created)", None, None), ("employees", "800", "900"), ("region", "East", "Central")]
    row = accounts(store).filter(pl.col("account_id") == "A-2").row(0, named=True)
    assert (row["employees"], row["region"], row["name"]) == (900.0, "Central", "Globex Inc.")


def test_full_sync_deactivates_what_the_file_lacks_and_deletes_nothing(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    files = write_book(tmp_path)
    import_records(store, CTX, Entity.ACCOUNTS, files["accounts"])
    (tmp_path / "two.csv").write_text("account_id,name\nA-1,Acme Corporation\nA-2,Globex Inc.\n")
    report = import_records(store, CTX, Entity.ACCOUNTS, tmp_path / "two.csv", full_sync=True)
    assert report.deactivated == 4
    assert accounts(store).get_column("account_id").to_list() == ["A-1", "A-2"]
    with store.unit_of_work() as uow:
        everyone = uow.records.read(Entity.ACCOUNTS, {"account_id": pl.String(), "active": pl.Boolean()})
        assert everyone.height == 6
        assert uow.records.history_of(Entity.ACCOUNTS, "A-6").rows()[-1] == ("active", "true", "false")


def test_bad_rows_write_nothing_unless_they_are_skipped(store: WorkspaceStore, tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("account_id,employees\nA-1,12\nA-2,about ten\nA-1,5\n")
    with pytest.raises(BadInput) as problem:
        import_records(store, CTX, Entity.ACCOUNTS, tmp_path / "bad.csv")
    assert "bad.csv:3 [employees]" in str(problem.value) and "bad.csv:4 [account_id]" in str(problem.value)
    assert accounts(store).height == 0
    rejects = tmp_path / "rejects.csv"
    report = import_records(
        store, CTX, Entity.ACCOUNTS, tmp_path / "bad.csv", skip_invalid=True, rejects=rejects
    )
    assert (report.inserted, report.rejected) == (1, 2)
    assert pl.read_csv(rejects).get_column("account_id").to_list() == ["A-2", "A-1"]


def test_reps_from_salesforce_remember_their_mapping(store: WorkspaceStore) -> None:
    users = Path(__file__).resolve().parents[1] / "data" / "crm" / "sf_users_crm.csv"
    report = import_records(store, CTX, Entity.REPS, users, mapping="salesforce")
    assert report.inserted > 0
    with store.unit_of_work() as uow:
        assert uow.imports.latest_mapping(Entity.REPS) == "salesforce"
        assert uow.imports.counts(report.import_id) is not None


def test_null_words_in_custom_fields_are_empty_as_a_file_reads_them(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    """#18: `N/A` in a custom column of numbers was stored as written (rules read it as empty);
    import empties it, as a file given to `assign` reads it, and counts it."""
    (tmp_path / "a.csv").write_text(
        "account_id,employees,tier,renewal,notes\n"
        "A-1,10,5,2026-01-02,N/A\n"
        "A-2,N/A,N/A,-,ok\n"
        "A-3,30,-,Select,-\n"
        "A-4,40,200,2026-03-04,x\n"
    )
    report = import_records(store, CTX, Entity.ACCOUNTS, tmp_path / "a.csv")
    assert report.null_words == {"employees": 1, "tier": 2, "renewal": 2}
    with store.unit_of_work() as uow:
        stored = uow.records.read(Entity.ACCOUNTS, {"account_id": pl.String()}).sort("account_id")
    assert stored.get_column("tier").to_list() == ["5", None, None, "200"]
    assert stored.get_column("renewal").to_list() == ["2026-01-02", None, None, "2026-03-04"]
    assert stored.get_column("notes").to_list() == ["N/A", "ok", "-", "x"]  # text: kept as written
    from_file = read_accounts(tmp_path / "a.csv")
    workspace = accounts(store)
    for name in ("employees", "tier", "renewal", "notes"):
        assert workspace.get_column(name).to_list() == from_file.frame.get_column(name).to_list()


def test_reps_keep_custom_fields_and_opportunities_their_history(
    store: WorkspaceStore, tmp_path: Path
) -> None:
    (tmp_path / "reps.csv").write_text("rep_id,name,regional_office\nr1,Ada,Central\nr2,Bo,East\n")
    (tmp_path / "reps2.csv").write_text("rep_id,tenure\nr1,3\n")
    (tmp_path / "opps.csv").write_text(
        "opportunity_id,account_id,rep_id,stage,amount,created,closed,won,is_closed,probability\n"
        "o1,A-1,r1,Negotiation,100,2026-01-05,2026-03-31,false,false,75\n"
    )
    (tmp_path / "history.csv").write_text(
        "history_id,opportunity_id,changed,stage,amount,expected_close,probability\n"
        "o1-1,o1,2026-01-05,Prospecting,80,2026-02-28,10\no1-2,o1,2026-02-10,Negotiation,100,2026-03-31,75\n"
    )
    import_records(store, CTX, Entity.REPS, tmp_path / "reps.csv")
    import_records(store, CTX, Entity.REPS, tmp_path / "reps2.csv")
    import_records(store, CTX, Entity.OPPORTUNITIES, tmp_path / "opps.csv")
    report = import_records(store, CTX, Entity.OPPORTUNITY_HISTORY, tmp_path / "history.csv")
    assert report.inserted == 2
    with store.unit_of_work() as uow:
        reps = uow.records.read(Entity.REPS, {"rep_id": pl.String()}).sort("rep_id")
        opportunity = uow.records.read(
            Entity.OPPORTUNITIES, {"is_closed": pl.Boolean(), "probability": pl.Float64()}
        )
        history = uow.records.read(Entity.OPPORTUNITY_HISTORY, {"changed": pl.Date(), "stage": pl.String()})
    # A later file's custom field joins the ones stored, as for accounts.
    assert reps.select("rep_id", "regional_office", "tenure").rows() == [
        ("r1", "Central", "3"),
        ("r2", "East", None),
    ]
    assert opportunity.rows() == [(False, 75.0)]
    assert sorted(history.get_column("stage").to_list()) == ["Negotiation", "Prospecting"]
