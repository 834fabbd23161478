import datetime as dt
import io
import re

import numpy as np
import polars as pl
import pytest

from territorial.generate import ACCOUNT_SCHEMA, generate_accounts
from territorial.generate.company_names import generated_company_names, roman_numeral
from territorial.generate.fortune500 import SECTOR_COMPANIES, fortune500_headquarters
from territorial.generate.vocabulary import (
    INDUSTRY_NAMES,
    NAMED_ACCOUNT_REPS,
    PRODUCTS,
    SEGMENTS,
    rep_roster,
    us_states,
)
from territorial.geo import load_zips

ACCOUNTS = 20_000


@pytest.fixture(scope="module")
def accounts() -> pl.DataFrame:
    return generate_accounts(ACCOUNTS, seed=11)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def test_same_seed_writes_the_same_bytes() -> None:
    first, second = generate_accounts(3_000, seed=5), generate_accounts(3_000, seed=5)
    assert csv_bytes(first) == csv_bytes(second)
    assert parquet_bytes(first) == parquet_bytes(second)


def test_different_seed_gives_different_accounts() -> None:
    assert csv_bytes(generate_accounts(3_000, seed=5)) != csv_bytes(generate_accounts(3_000, seed=6))


def test_columns_and_types(accounts: pl.DataFrame) -> None:
    assert accounts.schema == ACCOUNT_SCHEMA
    assert accounts.height == ACCOUNTS
    assert accounts["country"].unique().to_list() == ["US"]
    assert (
        accounts.select(pl.exclude("website", "owner_id", "products").null_count()).sum_horizontal().item()
        == 0
    )


def test_account_ids_are_unique_zero_padded_and_sorted(accounts: pl.DataFrame) -> None:
    ids = accounts["account_id"]
    assert ids.str.contains(r"^ACC-\d{7}$").all()
    assert ids.is_sorted()
    assert ids.to_list() == [f"ACC-{number:07d}" for number in range(1, ACCOUNTS + 1)]


def test_postal_codes_keep_leading_zeros_in_csv(accounts: pl.DataFrame) -> None:
    codes = accounts["postal_code"]
    assert codes.str.contains(r"^\d{5}$").all()
    assert codes.str.starts_with("0").sum() > 100  # New England, New Jersey, Puerto Rico-free
    text = csv_bytes(accounts).decode()
    assert re.search(r",0\d{4},", text)
    read_back = pl.read_csv(io.StringIO(text), schema_overrides={"postal_code": pl.String})
    assert read_back["postal_code"].equals(codes)


def test_accounts_sit_on_real_zips_of_their_state(accounts: pl.DataFrame) -> None:
    zips = load_zips().select("zip", zip_state="state", zip_lat="lat", zip_lon="lon")
    placed = accounts.join(zips, left_on="postal_code", right_on="zip", how="left")
    assert placed["zip_state"].null_count() == 0
    assert (placed["state"] == placed["zip_state"]).all()
    assert set(accounts["state"]) <= set(us_states()["state"])
    generated = placed.filter(~pl.col("strategic"))
    assert ((generated["latitude"] - generated["zip_lat"]).abs() < 0.1).all()
    assert ((generated["longitude"] - generated["zip_lon"]).abs() < 0.1).all()


def test_accounts_follow_population(accounts: pl.DataFrame) -> None:
    share = (
        accounts["state"].value_counts(normalize=True).filter(pl.col("state") == "CA")["proportion"].item()
    )
    assert 0.09 < share < 0.14  # California has about 12% of the people


def test_segment_follows_headcount(accounts: pl.DataFrame) -> None:
    expected = (
        pl.when(pl.col("employees") < 100)
        .then(pl.lit("SMB"))
        .when(pl.col("employees") < 1000)
        .then(pl.lit("Mid-Market"))
        .otherwise(pl.lit("Enterprise"))
    )
    assert accounts.select((pl.col("segment") == expected).all()).item()
    shares = accounts["segment"].value_counts(normalize=True)
    smb = shares.filter(pl.col("segment") == "SMB")["proportion"].item()
    assert 0.6 < smb < 0.85


def test_headcount_is_heavy_tailed_and_revenue_follows_it(accounts: pl.DataFrame) -> None:
    generated = accounts.filter(~pl.col("strategic"))
    employees = generated["employees"].to_numpy()
    assert employees.min() >= 1
    assert employees.max() <= 300_000
    assert np.median(employees) < employees.mean() / 5
    log_corr = generated.select(pl.corr(pl.col("employees").log(), pl.col("annual_revenue").log())).item()
    assert log_corr > 0.8
    assert set(accounts["industry"]) <= set(INDUSTRY_NAMES)


def test_fortune_500_are_strategic_at_their_headquarters(accounts: pl.DataFrame) -> None:
    headquarters = fortune500_headquarters()
    fortune = accounts.join(headquarters.select("name", "zip", "employees", "revenues"), on="name")
    assert fortune.height == 500
    assert fortune["strategic"].all()
    assert (fortune["postal_code"] == fortune["zip"]).all()
    assert (fortune["employees"] == fortune["employees_right"]).all()
    assert (fortune["annual_revenue"] == fortune["revenues"] * 1_000_000).all()
    assert fortune.filter(pl.col("name") == "Exxon Mobil")["website"].item() == "exxonmobil.com"
    others = accounts.filter(pl.col("strategic")).height - 500
    enterprise = accounts.filter(pl.col("segment") == "Enterprise").height
    assert 0 <= others < 0.03 * enterprise


def test_a_small_book_is_all_fortune_500() -> None:
    small = generate_accounts(40, seed=3)
    assert small["strategic"].all()
    assert set(small["name"]) <= set(fortune500_headquarters()["name"])


def test_no_accounts_and_negative_counts() -> None:
    assert generate_accounts(0, seed=1).schema == ACCOUNT_SCHEMA
    with pytest.raises(ValueError, match="zero or more"):
        generate_accounts(-1, seed=1)


def test_names_are_unique_and_websites_are_domains(accounts: pl.DataFrame) -> None:
    assert accounts["name"].is_unique().all()
    websites = accounts["website"].drop_nulls()
    assert websites.str.contains(r"^[a-z0-9][a-z0-9.-]*\.[a-z]+$").all()


def test_owners_mostly_come_from_their_state_and_segment_cell(accounts: pl.DataFrame) -> None:
    roster = rep_roster()
    ordinary = accounts.filter(~pl.col("strategic")).join(
        roster.with_columns(in_cell=pl.lit(True)),
        left_on=["owner_id", "state", "segment"],
        right_on=["rep_id", "state", "segment"],
        how="left",
    )
    in_cell = ordinary["in_cell"].fill_null(False).mean()
    assert 0.77 < in_cell < 0.83  # type: ignore[operator]
    same_state = ordinary.join(
        roster, left_on=["owner_id", "state"], right_on=["rep_id", "state"], how="semi"
    )
    assert 0.92 < same_state.height / ordinary.height < 0.97
    assert 0.03 < accounts["owner_id"].null_count() / accounts.height < 0.07
    strategic = accounts.filter(pl.col("strategic"))
    assert strategic["owner_id"].is_in(NAMED_ACCOUNT_REPS).mean() > 0.7  # type: ignore[operator]


def test_products_come_from_the_catalogue_in_order(accounts: pl.DataFrame) -> None:
    products = accounts["products"]
    assert products.null_count() == 0
    assert 0.3 < (products == "").mean() < 0.8  # type: ignore[operator]
    for listed in products.filter(products != "").unique().to_list():
        items = listed.split(";")
        assert items == sorted(items, key=PRODUCTS.index)
    assert products.str.contains("security").sum() > 0


def test_created_dates_are_in_range(accounts: pl.DataFrame) -> None:
    assert accounts["created_date"].is_between(dt.date(2012, 1, 1), dt.date(2025, 12, 31)).all()


def test_fortune_industries_name_real_companies_and_sectors() -> None:
    names = set(fortune500_headquarters()["name"])
    listed = [company for companies in SECTOR_COMPANIES.values() for company in companies]
    assert set(listed) <= names
    assert len(listed) == len(set(listed))
    assert set(SECTOR_COMPANIES) <= set(INDUSTRY_NAMES)


def test_bundled_fortune_file_has_no_rank() -> None:
    headquarters = fortune500_headquarters()
    assert not any("rank" in column.lower() for column in headquarters.columns)
    assert headquarters["zip"].str.contains(r"^\d{5}$").all()
    assert headquarters["name"].is_unique().all()


def test_clashing_names_get_a_city_then_a_numeral() -> None:
    rng = np.random.default_rng(0)
    size = 30_000
    industry = np.full(size, INDUSTRY_NAMES.index("Health Care and Social Assistance"))
    names = generated_company_names(
        rng, industry, pl.Series(["Springfield"] * size), pl.Series(["Summit Dental"])
    )
    assert names["name"].is_unique().all()
    assert "Summit Dental" not in names["name"].to_list()
    assert names["name"].str.contains(" of Springfield").any()
    assert names["name"].str.contains(r" of Springfield (II|III|IV|V|X)").any()


def test_roman_numerals() -> None:
    assert [roman_numeral(number) for number in (2, 4, 9, 14, 40, 1994)] == [
        "II",
        "IV",
        "IX",
        "XIV",
        "XL",
        "MCMXCIV",
    ]


def test_roster_covers_every_state_and_segment() -> None:
    roster = rep_roster()
    cells = roster.group_by("state", "segment").len()
    assert cells.height == 51 * len(SEGMENTS)
    assert cells["len"].is_between(1, 3).all()
    assert roster["rep_id"].is_unique().all()
