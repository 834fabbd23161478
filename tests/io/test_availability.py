"""Reading out-of-office ranges (io.availability): rep ids are text, whatever they look like."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from territorial.errors import BadInput
from territorial.io.availability import read_availability


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_numeric_rep_ids_stay_as_written(tmp_path: Path, suffix: str) -> None:
    """HubSpot user ids are numbers: 51234411 was read as 51234411.0 and then was no known rep."""
    frame = pl.DataFrame(
        {"rep_id": ["51234411", "0042"], "start": ["2018-05-01"] * 2, "end": ["2018-05-03"] * 2}
    )
    path = tmp_path / f"ooo{suffix}"
    frame.write_csv(path) if suffix == ".csv" else frame.write_parquet(path)
    ranges = read_availability(path, {"51234411", "0042"})
    assert ranges == {
        "0042": ((date(2018, 5, 1), date(2018, 5, 3)),),
        "51234411": ((date(2018, 5, 1), date(2018, 5, 3)),),
    }
    with pytest.raises(BadInput, match="unknown rep '0042'"):
        read_availability(path, {"51234411"})


def test_days_are_read_in_every_form_import_reads_and_a_bad_one_is_located(tmp_path: Path) -> None:
    path = tmp_path / "ooo.csv"
    path.write_text("rep_id,Start,End\nann,3/2/2026,3/6/2026\nbob,2026-03-02T09:00:00Z,2026-03-04\n")
    assert read_availability(path) == {
        "ann": ((date(2026, 3, 2), date(2026, 3, 6)),),
        "bob": ((date(2026, 3, 2), date(2026, 3, 4)),),
    }
    path.write_text("rep_id,start,end\nann,3/2/2026,3/6/2026\nbob,someday,3/6/2026\n")
    with pytest.raises(BadInput, match=r"ooo.csv:3 \[start\]: expected a date"):
        read_availability(path)
