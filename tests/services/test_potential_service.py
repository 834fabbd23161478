"""The plan's `potential:` key: a number field or a trained model, per account and per territory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import CTX, fit_on, save_model
from territorial.domain.entities import Entity
from territorial.errors import BadInput, Problem
from territorial.io.plan_file import load_plan
from territorial.scoring.potential import PotentialModel
from territorial.services.assign import assign_files, assign_plan, validate_files
from territorial.services.imports import import_records
from territorial.services.plans import add_plan
from territorial.services.potential import account_potential
from territorial.services.unit_of_work import WorkspaceStore

ACCOUNTS = pl.DataFrame(
    {
        "account_id": ["A1", "A2", "A3", "A4", "A5"],
        "state": ["NY", "NY", "TX", "TX", "CA"],
        "Annual_Revenue": [100.0, None, 50.0, 25.0, 10.0],
        "industry": ["Banking", "Retail", "Banking", "Retail", "Retail"],
        "employees": [5000, 200, 3000, 100, 50],
    }
)


def plan_text(potential: str) -> str:
    return f"""name: Potential test
{potential}
territories:
  - id: EAST
    rule: state = 'NY'
    reps: [r1]
  - id: SOUTH
    rule: state = 'TX'
    reps: [r2]
"""


def write(folder: Path, potential: str) -> tuple[Path, Path]:
    (folder / "plan.yaml").write_text(plan_text(potential))
    ACCOUNTS.write_csv(folder / "accounts.csv")
    return folder / "plan.yaml", folder / "accounts.csv"


def summary_potential(run_territories: pl.DataFrame) -> dict[str, float]:
    return dict(run_territories.select("territory_id", "potential").iter_rows())


def train_deal_model(path: Path) -> PotentialModel:
    """Won deals: Banking deals are worth ten times Retail ones."""
    rng = np.random.default_rng(4)
    industry = rng.choice(["Banking", "Retail"], 200)
    history = pl.DataFrame(
        {
            "deal_id": [f"D{n}" for n in range(200)],
            "industry": industry,
            "employees": rng.integers(10, 10_000, 200),
            "close_value": np.where(industry == "Banking", 1000.0, 100.0) * rng.uniform(0.9, 1.1, 200),
        }
    )
    model = fit_on(PotentialModel(estimator="gbm", cv_folds=3), history, "close_value")
    save_model(model, path)
    return model


def test_field_potential_is_summed_per_territory_and_empty_counts_as_zero(tmp_path: Path) -> None:
    plan, accounts = write(tmp_path, "potential: annual_revenue")
    run = assign_files(plan, accounts)
    assert summary_potential(run.assignment.territories) == {"EAST": 100.0, "SOUTH": 75.0}
    [warning] = [w for w in run.warnings if w.location.subject == "potential"]
    assert warning.location.line == 2 and "1 accounts have no annual_revenue" in warning.message
    assert "potential" not in run.assignment.rows.columns  # the per-account file keeps its columns


def test_without_potential_the_summary_is_unchanged(tmp_path: Path) -> None:
    plan, accounts = write(tmp_path, "")
    run = assign_files(plan, accounts)
    assert "potential" not in run.assignment.territories.columns


def test_model_potential_is_relative_to_the_plan_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "models").mkdir()
    model = train_deal_model(tmp_path / "models" / "deal_value.model")
    plan, accounts = write(tmp_path, "potential:\n  model: models/deal_value.model")
    monkeypatch.chdir(tmp_path / "models")  # the working directory does not matter for a plan file
    run = assign_files(plan, accounts)
    expected = np.maximum(model.predict(ACCOUNTS), 0)
    sums = summary_potential(run.assignment.territories)
    assert sums["EAST"] == pytest.approx(expected[0] + expected[1])
    assert sums["SOUTH"] == pytest.approx(expected[2] + expected[3])
    assert expected[0] > 5 * expected[1]  # a bank is worth more than a shop
    # The same plan read as a stored plan resolves the model from the working directory.
    monkeypatch.chdir(tmp_path)
    series = account_potential(load_plan(plan), ACCOUNTS)
    assert series.name == "potential" and series.to_list() == pytest.approx(expected.tolist())


def test_account_potential_on_a_frame_by_field(tmp_path: Path) -> None:
    plan, _accounts = write(tmp_path, "potential: ANNUAL_REVENUE")
    warnings: list[Problem] = []
    series = account_potential(load_plan(plan), ACCOUNTS, warnings=warnings)
    assert series.to_list() == [100.0, 0.0, 50.0, 25.0, 10.0]
    assert len(warnings) == 1


@pytest.mark.parametrize(
    ("potential", "message"),
    [
        ("potential: anual_revenue", r"plan\.yaml:2 \[potential\]: .*anual_revenue.*annual_revenue"),
        ("potential: industry", r"plan\.yaml:2 \[potential\]: potential must name a number field"),
        (
            "potential:\n  model: models/missing.model",
            r"plan\.yaml:2 \[potential\]: the potential model .*missing\.model: cannot read the model file",
        ),
        (
            "potential:\n  field: employees\n  model: m.model",
            r"plan\.yaml:2.*give either a field name or a model file, not both",
        ),
    ],
)
def test_bad_potential_is_bad_input_at_the_plan_line(tmp_path: Path, potential: str, message: str) -> None:
    plan, accounts = write(tmp_path, potential)
    with pytest.raises(BadInput, match=message):
        assign_files(plan, accounts)


def test_broken_model_file_names_plan_line_and_model_file(tmp_path: Path) -> None:
    (tmp_path / "broken.model").write_bytes(b"not a model")
    plan, accounts = write(tmp_path, "potential:\n  model: broken.model")
    with pytest.raises(
        BadInput, match=r"plan\.yaml:2 \[potential\]: .*broken\.model: not a Territorial model"
    ):
        validate_files(plan, accounts)


def test_model_needing_missing_fields_is_bad_input(tmp_path: Path) -> None:
    train_deal_model(tmp_path / "deal.model")
    plan, accounts = write(tmp_path, "potential:\n  model: deal.model")
    ACCOUNTS.drop("industry").write_csv(accounts)
    with pytest.raises(BadInput, match=r"plan\.yaml:2 \[potential\]: .*needs account fields .*: industry"):
        assign_files(plan, accounts)


def test_a_stored_plan_run_sums_potential_per_territory(store: WorkspaceStore, tmp_path: Path) -> None:
    plan_path, accounts_path = write(tmp_path, "potential: annual_revenue")
    workspace = store
    import_records(workspace, CTX, Entity.ACCOUNTS, accounts_path)
    run = assign_plan(workspace, CTX, add_plan(workspace, CTX, plan_path))
    assert summary_potential(run.assignment.territories) == {"EAST": 100.0, "SOUTH": 75.0}
    assert any("potential" in str(w) and "1 account" in str(w) for w in run.warnings)
