"""The rep home's CSV: the rows as shown, every text cell a spreadsheet would run as a formula
prefixed with a quote, missing values empty."""

from __future__ import annotations

import csv
import io

from territorial.services.rep_home import ACCOUNT_COLUMNS, as_csv


def test_cells_a_spreadsheet_would_run_are_escaped_and_the_columns_kept_in_order() -> None:
    rows = [
        {"account_id": "A-1", "name": '=HYPERLINK("http://x")', "industry": "+1-555", "state": "@SUM(A1)"},
        {"account_id": "-2", "name": "Plain, with a comma", "owner_id": None, "extra": "not shown"},
    ]
    read = list(csv.reader(io.StringIO(as_csv(rows, ACCOUNT_COLUMNS))))
    assert read == [
        list(ACCOUNT_COLUMNS),
        ["A-1", '\'=HYPERLINK("http://x")', "'+1-555", "'@SUM(A1)", "", ""],
        ["'-2", "Plain, with a comma", "", "", "", ""],
    ]


def test_an_empty_table_is_its_header() -> None:
    assert as_csv([], ("lead_id", "company")) == "lead_id,company\n"
