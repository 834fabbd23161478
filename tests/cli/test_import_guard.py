"""Importing the wrong file as an entity is refused, --force overrides, and `import undo` and
`deactivate` take it back without deleting anything (real SQLite, real CRM fixture files)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import run_cli

CRM = Path(__file__).resolve().parents[1] / "data" / "crm"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    assert run_cli(tmp_path, "init").returncode == 0
    return tmp_path


def _reps(folder: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(folder / "territorial.db") as db:
        return db.execute("SELECT name, active FROM reps ORDER BY rep_id").fetchall()


@pytest.mark.parametrize(
    ("entity", "says"),
    [
        ("reps", "100% of the ids in Id start with 001, Salesforce's Account ids"),
        ("leads", "100% of the ids in Id start with 001, Salesforce's Account ids"),
    ],
)
def test_an_account_export_imported_as_another_entity_is_refused(
    folder: Path, entity: str, says: str
) -> None:
    result = run_cli(folder, "import", entity, CRM / "sf_accounts_fortune1000.csv", "--mapping", "salesforce")
    assert result.returncode == 2
    assert says in result.stderr and "--force" in result.stderr
    assert _reps(folder) == []


def test_ids_of_another_salesforce_object_are_refused(folder: Path) -> None:
    (folder / "reps.csv").write_text(
        "rep_id,name\n" + "".join(f"0015g00000000{i:02d}AAA,Company {i}\n" for i in range(10))
    )
    result = run_cli(folder, "import", "reps", "reps.csv")
    assert result.returncode == 2
    assert "100% of the ids in rep_id start with 001, Salesforce's Account ids" in result.stderr


def test_force_imports_it_and_undo_takes_it_back(folder: Path) -> None:
    args = ("import", "reps", CRM / "sf_accounts_fortune1000.csv", "--mapping", "salesforce", "--force")
    forced = run_cli(folder, *args)
    assert forced.returncode == 0, forced.stderr
    assert ("Kroger", 1) in _reps(folder)
    undone = run_cli(folder, "import", "undo", "1")
    assert undone.returncode == 0, undone.stderr
    assert "import 2 (undo of import 1):" in undone.stderr
    reps = _reps(folder)
    assert reps and all(active == 0 for _name, active in reps)  # inactive, not deleted
    assert run_cli(folder, "import", "undo", "9").returncode == 2


def test_deactivate_marks_reps_inactive(folder: Path) -> None:
    assert (
        run_cli(folder, "import", "reps", CRM / "sf_users_crm.csv", "--mapping", "salesforce").returncode == 0
    )
    with sqlite3.connect(folder / "territorial.db") as db:
        first = db.execute("SELECT rep_id FROM reps ORDER BY rep_id LIMIT 1").fetchone()[0]
    done = run_cli(folder, "deactivate", "reps", first)
    assert done.returncode == 0, done.stderr
    assert "1 reps marked inactive" in done.stderr
    assert "already inactive" not in done.stderr
    # Named again, with another rep: the 0 or 1 is explained by the one that was inactive already.
    with sqlite3.connect(folder / "territorial.db") as db:
        second = db.execute("SELECT rep_id FROM reps ORDER BY rep_id LIMIT 1 OFFSET 1").fetchone()[0]
    again = run_cli(folder, "deactivate", "reps", first, second)
    assert again.returncode == 0, again.stderr
    assert f"1 reps marked inactive; already inactive: {first}; nothing deleted" in again.stderr
    assert run_cli(folder, "deactivate", "reps", "nobody").returncode == 2
