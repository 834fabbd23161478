"""Potential models on the CRM Sales Opportunities pipeline (Maven Analytics sample data in shared/data):
expected deal value learned from won deals."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.base import clone

from conftest import fit_on, save_model, shared_data
from territorial.errors import BadInput
from territorial.scoring.fit import FitModel
from territorial.scoring.potential import PotentialModel
from territorial.services.scoring import load_fit_model, load_potential_model, train_potential_model

DATA = shared_data("crm-sales-opportunities")
needs_data = pytest.mark.skipif(not DATA.exists(), reason="shared/data is not next to the repository")


@pytest.fixture(scope="module")
def pipeline() -> pl.DataFrame:
    """Every opportunity with its account's firmographics, as text (as a CRM export is read)."""
    deals = pl.read_csv(DATA / "sales_pipeline.csv", infer_schema_length=0)
    accounts = pl.read_csv(DATA / "accounts.csv", infer_schema_length=0)
    return deals.join(accounts, on="account", how="left")


@pytest.fixture(scope="module")
def won_deals(pipeline: pl.DataFrame) -> pl.DataFrame:
    return pipeline.filter(pl.col("deal_stage") == "Won").select(
        "opportunity_id", "product", "sector", "revenue", "employees", "close_value"
    )


@needs_data
def test_deal_value_is_learned_from_the_product(won_deals: pl.DataFrame) -> None:
    model = fit_on(PotentialModel(cv_folds=3), won_deals, "close_value")
    # Deal value follows the product's list price, so the model explains nearly all of it.
    assert model.cv_r2_[model.chosen_estimator_] > 0.9
    assert "opportunity_id" in model.dropped_columns_
    average = won_deals.group_by("product").agg(pl.col("close_value").cast(pl.Float64).mean()).sort("product")
    one_deal_each = won_deals.unique("product", keep="first", maintain_order=True).sort("product")
    predicted = model.predict(one_deal_each)
    assert np.corrcoef(predicted, average.get_column("close_value").to_numpy())[0, 1] > 0.99
    priciest = won_deals.head(2).with_columns(pl.Series("product", ["GTK 500", "MG Special"]))
    big, small = model.predict(priciest)
    assert big > 20 * small


@needs_data
def test_estimator_contract(won_deals: pl.DataFrame) -> None:
    model = PotentialModel(estimator="gbm", random_state=3, cv_folds=3)
    assert clone(model).get_params() == {"estimator": "gbm", "random_state": 3, "cv_folds": 3}
    assert fit_on(model, won_deals, "close_value", exclude=["sector"]) is model
    learned = set(vars(model)) - set(model.get_params())
    assert learned and all(name.endswith("_") for name in learned)
    assert "sector" not in [f.name for f in model.features_]
    before, frame = pickle.dumps(model), won_deals.head(50).clone()
    model.predict(frame)
    assert pickle.dumps(model) == before and frame.equals(won_deals.head(50))


@needs_data
def test_train_potential_from_won_rows_only(tmp_path: Path, pipeline: pl.DataFrame) -> None:
    pipeline.write_csv(tmp_path / "pipeline.csv")
    args = (tmp_path / "pipeline.csv", "close_value", ["engage_date", "close_date", "sales_agent"])
    first = train_potential_model(*args, tmp_path / "a.model", only="deal_stage=Won")
    second = train_potential_model(*args, tmp_path / "b.model", only="deal_stage=Won")
    assert first.rows == 4238  # the won deals, per SOURCES.md
    assert first.r2 > 0.9 and 0 < first.mae < first.target_mean
    assert "deal_stage" in first.dropped  # one value once only won rows are kept
    assert first.version == second.version
    assert (tmp_path / "a.model").read_bytes() == (tmp_path / "b.model").read_bytes()
    loaded = load_potential_model(tmp_path / "a.model")
    assert loaded.version_ == first.version
    # Open deals have no close value yet: the model still prices them.
    open_deals = pipeline.filter(pl.col("deal_stage") == "Engaging").head(20)
    assert (loaded.predict(open_deals) > 0).all()


@needs_data
def test_account_potential_from_firmographics(pipeline: pl.DataFrame) -> None:
    """Per account: total won value from its sector, size and location (85 real-looking accounts)."""
    accounts = pl.read_csv(DATA / "accounts.csv", infer_schema_length=0)
    won = (
        pipeline.filter(pl.col("deal_stage") == "Won")
        .group_by("account")
        .agg(pl.col("close_value").cast(pl.Float64).sum().alias("won_value"))
    )
    history = accounts.join(won, on="account").drop("subsidiary_of")
    model = fit_on(PotentialModel(cv_folds=5), history, "won_value")
    assert model.dropped_columns_ == {"account": "an identifier (unique in every row)"}
    assert set(model.cv_r2_) == {"gbm", "linear"}
    assert model.predict(history).shape == (history.height,)


def test_bad_target_cell_is_located_by_its_line(tmp_path: Path) -> None:
    history = pl.DataFrame(
        {
            "deal": ["D1", "D2", "D3", "D4"],
            "stage": ["Won", "Lost", "Won", "Won"],
            "value": ["100", None, "abc", "300"],
        }
    )
    history.write_csv(tmp_path / "deals.csv")
    with pytest.raises(BadInput, match=r"deals\.csv:4 \[value\]: the target must be a number, found 'abc'"):
        train_potential_model(tmp_path / "deals.csv", "value", [], tmp_path / "m", only="stage=Won")
    with pytest.raises(BadInput, match="no target column 'amount'"):
        train_potential_model(tmp_path / "deals.csv", "amount", [], tmp_path / "m")
    with pytest.raises(BadInput, match="COLUMN=VALUE"):
        train_potential_model(tmp_path / "deals.csv", "value", [], tmp_path / "m", only="stage")
    with pytest.raises(BadInput, match="no history rows have stage = 'Open'"):
        train_potential_model(tmp_path / "deals.csv", "value", [], tmp_path / "m", only="stage=Open")


def test_model_files_are_not_interchangeable(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    history = pl.DataFrame(
        {"size": rng.integers(1, 100, 60), "converted": rng.integers(0, 2, 60), "value": rng.random(60)}
    )
    save_model(
        fit_on(PotentialModel(estimator="linear", cv_folds=3), history, "value"), tmp_path / "potential.model"
    )
    save_model(
        fit_on(FitModel(estimator="logistic", cv_folds=3), history.drop("value"), "converted"),
        tmp_path / "fit.model",
    )
    with pytest.raises(BadInput, match=r"fit\.model.*fit-model file.*score train-potential"):
        load_potential_model(tmp_path / "fit.model")
    with pytest.raises(BadInput, match=r"potential\.model.*potential-model file.*score train`"):
        load_fit_model(tmp_path / "potential.model")
    data = (tmp_path / "potential.model").read_bytes()
    (tmp_path / "cut.model").write_bytes(data[:-10])
    with pytest.raises(BadInput, match=r"cut\.model.*damaged"):
        load_potential_model(tmp_path / "cut.model")


@needs_data
def test_the_model_file_does_not_depend_on_where_the_settings_came_from(
    tmp_path: Path, won_deals: pl.DataFrame
) -> None:
    typed = "".join(["l", "inear"])  # equal to "linear", but not the code's own string
    versions = [
        save_model(
            fit_on(PotentialModel(estimator=name, cv_folds=2), won_deals.head(300), "close_value"),
            tmp_path / f"{n}.model",
        )
        for n, name in enumerate(["linear", typed])
    ]
    assert versions[0] == versions[1]
    assert (tmp_path / "0.model").read_bytes() == (tmp_path / "1.model").read_bytes()
