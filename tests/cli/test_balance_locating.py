"""`balance` and `import` placing accounts with the one locator, through the real CLI: coordinates,
ZIP, city and state; the unlocated refused by name or left out with --skip-unlocated."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from conftest import run_cli

BAD_INPUT = 2

# Coordinates, a ZIP (ZIP+4 and a lost leading zero too), a city and state (a state's name,
# "St." for Saint), in four US metros.
PLACED = """\
account_id,lat,lon,postal_code,city,state,employees
C-1,41.88,-87.63,,,,10
C-2,,,60614-1234,,,20
C-3,,,,Milwaukee,Wisconsin,30
C-4,,,,St. Louis,MO,40
C-5,,,2134,,,50
C-6,,,,Saint Paul,mn,60
C-7,,,,Ft. Lauderdale,FL,70
C-8,,,10001,Nowhere,NY,80
"""


def write_unlocated(folder: Path, count: int) -> Path:
    """PLACED and `count` accounts nothing places: a ZIP that is none, a city GeoNames lacks."""
    rows = [f"U-{i:02d},,,00000,Springfeld,IL,5" for i in range(count)]
    path = folder / "accounts.csv"
    path.write_text(PLACED + "\n".join(rows) + ("\n" if rows else ""))
    return path


def test_each_account_is_placed_by_the_first_source_it_has_and_the_report_counts_them(tmp_path: Path) -> None:
    write_unlocated(tmp_path, 0)
    result = run_cli(
        tmp_path,
        *("balance", "--accounts", "accounts.csv", "--k", "2", "--metric", "workload=0.5"),
        *("--out", "alignment.csv", "--report", "report.json"),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["location"] == {
        "coordinates": 1,
        "zip": 3,
        "city_state": 4,
        "unlocated": 0,
        "unlocated_ids": [],
    }
    assert pl.read_csv(tmp_path / "alignment.csv").height == 8


def test_unlocated_accounts_are_refused_naming_the_first_and_how_many(tmp_path: Path) -> None:
    write_unlocated(tmp_path, 12)
    result = run_cli(tmp_path, "balance", "--accounts", "accounts.csv", "--k", "2", "--out", "alignment.csv")
    assert result.returncode == BAD_INPUT
    assert (
        "accounts.csv:10: 12 of 20 accounts cannot be located: U-00 (line 10), U-01 (line 11)"
        in result.stderr
    )
    assert "U-09 (line 19) and 2 more" in result.stderr
    assert "U-10" not in result.stderr
    assert (
        "(the first: lat and lon are empty, '00000' is not a US ZIP code, no US place 'Springfeld' in 'IL')"
        in (result.stderr)
    )
    assert "`balance --skip-unlocated` leaves them out" in result.stderr
    assert not (tmp_path / "alignment.csv").exists()


def test_skip_unlocated_leaves_them_out_and_writes_them_as_given_with_why(tmp_path: Path) -> None:
    write_unlocated(tmp_path, 2)
    result = run_cli(
        tmp_path,
        *("balance", "--accounts", "accounts.csv", "--k", "2", "--metric", "workload=0.5"),
        *("--skip-unlocated", "--out", "alignment.csv", "--report", "report.json"),
    )
    assert result.returncode == 0, result.stderr
    assert "left out 2 accounts that could not be located: see" in result.stderr
    assert pl.read_csv(tmp_path / "alignment.csv")["id"].to_list() == [f"C-{i}" for i in range(1, 9)]
    left_out = (tmp_path / "accounts.unlocated.csv").read_text().splitlines()
    why = "lat and lon are empty, '00000' is not a US ZIP code, no US place 'Springfeld' in 'IL'"
    assert left_out == [
        "account_id,lat,lon,postal_code,city,state,employees,reason",
        f'U-00,,,00000,Springfeld,IL,5,"{why}"',
        f'U-01,,,00000,Springfeld,IL,5,"{why}"',
    ]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["location"]["unlocated"] == 2
    assert report["location"]["unlocated_ids"] == ["U-00", "U-01"]
    assert report["totals"]["accounts"] == 8

    (tmp_path / "out").mkdir()
    elsewhere = run_cli(
        tmp_path,
        *("balance", "--accounts", "accounts.csv", "--k", "2", "--metric", "workload=0.5"),
        *("--skip-unlocated", "--unlocated-out", "out/left.csv", "--out", "alignment.csv"),
    )
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert (tmp_path / "out" / "left.csv").read_text().splitlines() == left_out

    alone = run_cli(tmp_path, "balance", "--accounts", "accounts.csv", "--k", "2", "--unlocated-out", "x.csv")
    assert alone.returncode == BAD_INPUT
    assert "--unlocated-out goes with --skip-unlocated" in alone.stderr


def test_no_output_overwrites_an_input_or_another_output(tmp_path: Path) -> None:
    path = write_unlocated(tmp_path, 0)
    before = path.read_text()
    result = run_cli(tmp_path, "balance", "--accounts", "accounts.csv", "--k", "2", "--out", "./accounts.csv")
    assert result.returncode == BAD_INPUT
    assert (
        "accounts.csv: this is an input of the command (accounts.csv); write to another file" in result.stderr
    )
    assert path.read_text() == before
    twice = run_cli(
        tmp_path, "balance", "--accounts", "accounts.csv", "--k", "2", "--out", "a.csv", "--report", "a.csv"
    )
    assert twice.returncode == BAD_INPUT
    assert "a.csv: two outputs would go to this file (a.csv too)" in twice.stderr


def test_the_workspace_balances_accounts_placed_only_by_city_and_state(tmp_path: Path) -> None:
    """#17: `balance --workspace` refused a book where some accounts had only a city and state."""
    url = f"sqlite:///{tmp_path / 'territorial.db'}"
    path = write_unlocated(tmp_path, 1)
    path.write_text(path.read_text().replace("account_id,lat,lon,", "account_id,latitude,longitude,"))
    assert run_cli(tmp_path, "--database-url", url, "init").returncode == 0
    imported = run_cli(tmp_path, "--database-url", url, "import", "accounts", "accounts.csv")
    assert imported.returncode == 0, imported.stderr
    assert (
        "accounts located: 1 by coordinates, 3 by ZIP code, 4 by city and state; 1 not located: U-00"
        in imported.stderr
    )
    refused = run_cli(tmp_path, "--database-url", url, "balance", "--workspace", "--k", "2")
    assert refused.returncode == BAD_INPUT
    assert "workspace accounts: 1 of 9 accounts cannot be located: U-00 (the first:" in refused.stderr
    balanced = run_cli(
        tmp_path,
        *("--database-url", url, "balance", "--workspace", "--k", "2", "--metric", "workload=0.5"),
        *("--skip-unlocated", "--out", "alignment.csv", "--report", "report.json"),
    )
    assert balanced.returncode == 0, balanced.stderr
    # The import stored the coordinates it found, so balance reads them as given.
    assert json.loads((tmp_path / "report.json").read_text())["location"] == {
        "coordinates": 8,
        "zip": 0,
        "city_state": 0,
        "unlocated": 1,
        "unlocated_ids": ["U-00"],
    }
    assert (tmp_path / "accounts.unlocated.csv").read_text().startswith("account_id,")


def test_a_state_that_is_not_a_us_state_is_named_as_the_reason(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(
        "account_id,city,state\nA1,Chicago,Illin.\nA2,Chicago,IL\nA3,Boston,Massachusetts\nA4,Toronto,ON\n"
    )
    args = ("balance", "--accounts", "c.csv", "--k", "2", "--skip-unlocated", "--unlocated-out", "u.csv")
    result = run_cli(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    reasons = pl.read_csv(tmp_path / "u.csv")["reason"].to_list()
    assert reasons == [
        "'Illin.' is not a US state (a code such as IL, or a name such as Illinois)",
        "'ON' is not a US state (a code such as IL, or a name such as Illinois)",
    ]
