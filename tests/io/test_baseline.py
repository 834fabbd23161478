"""A baseline assignment for plan checks (io.baseline): as `assign --out` writes it, CSV or Parquet."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from territorial.errors import BadInput
from territorial.io.baseline import read_baseline


def test_an_assignments_file_gives_each_accounts_rep_per_layer(tmp_path: Path) -> None:
    rows = pl.DataFrame(
        {
            "account_id": ["A-1", "A-1", "A-2", "1002"],
            "layer": ["primary", "security", "primary", "primary"],
            "territory_id": ["W", "S", None, "E"],
            "rep_id": ["ann", "eve", None, "bob"],
        }
    )
    rows.write_csv(tmp_path / "before.csv")
    rows.write_parquet(tmp_path / "before.parquet")
    expected = [
        ("A-1", "primary", "ann"),
        ("A-1", "security", "eve"),
        ("A-2", "primary", None),
        ("1002", "primary", "bob"),
    ]
    assert read_baseline(tmp_path / "before.csv").rows() == expected
    assert read_baseline(tmp_path / "before.parquet").rows() == expected


def test_without_a_layer_column_every_row_is_primary(tmp_path: Path) -> None:
    (tmp_path / "owners.csv").write_text("Account_ID,Rep_ID\nA-1,ann\nA-2,\n", encoding="utf-8")
    assert read_baseline(tmp_path / "owners.csv").rows() == [
        ("A-1", "primary", "ann"),
        ("A-2", "primary", None),
    ]


def test_a_missing_column_or_an_account_twice_is_located(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("account_id,owner_id\nA-1,ann\n", encoding="utf-8")
    with pytest.raises(
        BadInput, match=r"a\.csv:1: a baseline needs the columns account_id and rep_id .*missing: rep_id"
    ):
        read_baseline(tmp_path / "a.csv")
    (tmp_path / "b.csv").write_text("account_id,rep_id\nA-1,ann\nA-2,bob\nA-1,cy\n", encoding="utf-8")
    with pytest.raises(
        BadInput, match=r"b\.csv:4 \[account_id\]: account A-1 is listed twice in layer primary"
    ):
        read_baseline(tmp_path / "b.csv")
