"""`read_table` on what spreadsheets and CRMs write."""

from __future__ import annotations

from pathlib import Path

import pytest

from territorial.errors import BadInput
from territorial.io.tables import read_table

# Over the csv module's default field limit (131,072 characters) and pyarrow's 1 MB block, as CRM
# descriptions can be.
HUGE = "x" * 2_000_000


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_a_huge_cell_does_not_stop_finding_a_line(tmp_path: Path) -> None:
    # The line of a bad row is found with the csv module, which refused cells over 128 KB.
    path = write(tmp_path, "accounts.csv", f'account_id,notes,employees\nA1,"{HUGE}\nmore",5\nA2,y,ten\n')
    table = read_table(path, ["account_id", "employees"])
    assert table.frame.columns == ["account_id", "employees"]
    assert table.line_of(1) == 4


def test_a_ragged_row_after_a_huge_cell_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "accounts.csv", f"account_id,notes\nA1,{HUGE}\nA2,y,extra\n")
    with pytest.raises(BadInput) as caught:
        read_table(path)
    assert "accounts.csv:3" in str(caught.value) and "found 3" in str(caught.value)
