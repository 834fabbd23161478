"""Scoring B2B leads as the CRMs export them: either header set scores, dates are never categories,
grades follow the history and the suggested thresholds keep what they say."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from territorial.domain.choices import FitEstimator
from territorial.errors import BadInput
from territorial.scoring.fit import GRADE_THRESHOLDS, KEPT_CONVERTER_SHARES
from territorial.services.scoring import apply_fit_model, load_fit_model, train_fit_model

HUBSPOT_TO_FIELDS = {
    "Record ID": "lead_id",
    "Email": "email",
    "Original Source": "source",
    "Number of Employees": "employees",
    "Industry": "industry",
    "Create Date": "created",
    "Converted": "converted",
}


def _hubspot_contacts(n: int = 500) -> pl.DataFrame:
    """Contacts as HubSpot exports them (numeric Record IDs, `2018-05-01 10:02` dates), with a signal
    in the source, the company's size and the hour the lead came in."""
    rng = np.random.default_rng(11)
    source = rng.choice(["Referral", "Paid Search", "Organic Search"], n)
    employees = rng.integers(5, 5000, n)
    start = datetime(2018, 5, 1)
    created = [start + timedelta(minutes=int(m)) for m in rng.integers(0, 31 * 24 * 60, n)]
    office_hours = np.array([9 <= c.hour < 17 for c in created])
    logit = -2.2 + 1.6 * (source == "Referral") + 0.4 * np.log10(employees) + 0.8 * office_hours
    converted = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pl.DataFrame(
        {
            "Record ID": [str(51234411 + i) for i in range(n)],
            "Email": [f"lead{i}@example.com" for i in range(n)],
            "Original Source": source,
            "Number of Employees": employees,
            "Industry": rng.choice(["Software", "Retail", "Energy"], n),
            "Create Date": [f"{c:%Y-%m-%d %H:%M}" for c in created],
            "Converted": np.where(converted, "Yes", "No"),
        }
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("b2b")
    contacts = _hubspot_contacts()
    contacts.write_csv(folder / "hubspot.csv")
    contacts.rename(HUBSPOT_TO_FIELDS).write_csv(folder / "canonical.csv")
    return folder


def _train(files: Path, history: str, mapping: str | None, out: str) -> Path:
    train_fit_model(files / history, "Converted", [], files / out, FitEstimator.LOGISTIC, mapping=mapping)
    return files / out


def _scores(files: Path, model: Path, leads: str, mapping: str | None = None) -> pl.DataFrame:
    out = files / f"{model.stem}-{Path(leads).stem}-{mapping}.csv"
    apply_fit_model(model, files / leads, out, mapping=mapping)
    return pl.read_csv(out, infer_schema=False)


def test_either_header_set_scores_the_same(files: Path) -> None:
    on_hubspot = _train(files, "hubspot.csv", None, "hubspot.model")
    mapped = _train(files, "hubspot.csv", "hubspot", "mapped.model")
    # Trained on HubSpot's headers: Territorial's names give the same scores, grades and reasons.
    as_exported = _scores(files, on_hubspot, "hubspot.csv")
    renamed = _scores(files, on_hubspot, "canonical.csv")
    assert as_exported.drop("Record ID").equals(renamed.drop("lead_id"))
    # Trained with --mapping hubspot (Territorial's names): HubSpot's headers score, with or without it.
    canonical = _scores(files, mapped, "canonical.csv")
    assert canonical.drop("lead_id").equals(_scores(files, mapped, "hubspot.csv").drop("Record ID"))
    assert canonical.equals(_scores(files, mapped, "hubspot.csv", "hubspot"))
    assert load_fit_model(mapped).fields_["created"] == "created"
    assert load_fit_model(on_hubspot).fields_["Create Date"] == "created"


def test_a_date_becomes_its_day_of_week_and_hour_never_a_category(files: Path) -> None:
    report = train_fit_model(
        files / "hubspot.csv", "Converted", [], files / "dated.model", FitEstimator.LOGISTIC
    )
    assert "Create Date (day of week)" in report.features and "Create Date (hour)" in report.features
    assert "Create Date" not in report.features
    assert report.why_dropped == {
        "Email": "an identifier (unique in every row)",
        "Record ID": "an identifier (unique in every row)",
    }
    reasons = " ".join(_scores(files, files / "dated.model", "hubspot.csv").get_column("reasons"))
    assert "Create Date is" not in reasons and "2018-05" not in reasons
    assert "Create Date (hour) is" in reasons


def test_grades_follow_the_history_and_thresholds_keep_their_share(files: Path) -> None:
    report = train_fit_model(
        files / "hubspot.csv", "Converted", [], files / "graded.model", FitEstimator.LOGISTIC
    )
    grades = report.grades
    assert grades.get_column("grade").to_list() == ["A", "B", "C", "D"]
    assert grades.get_column("share")[0] >= 0.10 and grades.get_column("leads").sum() == report.rows
    rates = grades.get_column("conversion_rate").to_list()
    assert rates[0] > rates[-1]  # A converts more than D
    model = load_fit_model(files / "graded.model")
    scored = _scores(files, files / "graded.model", "hubspot.csv")
    converted = pl.read_csv(files / "hubspot.csv").get_column("Converted") == "Yes"
    scores = scored.get_column("score").cast(pl.Int64)
    assert model.grade_cuts_ != GRADE_THRESHOLDS
    thresholds = report.thresholds
    assert thresholds.get_column("keep_converters").to_list() == ["90%", "95%", "99%"]
    for share, threshold, kept, nurtured in zip(
        KEPT_CONVERTER_SHARES,
        thresholds.get_column("fit_threshold"),
        thresholds.get_column("converters_kept"),
        thresholds.get_column("leads_nurtured"),
        strict=True,
    ):
        assert kept >= share and 0.0 <= nurtured < 1.0
        # On the training data scored by the saved model, as routing would score it.
        assert (scores.filter(converted) >= threshold).mean() >= share  # type: ignore[operator]


def test_a_model_saved_before_relative_grades_still_scores(files: Path) -> None:
    model = load_fit_model(_train(files, "hubspot.csv", None, "old.model"))
    del model.grade_cuts_, model.fields_  # what a model file from before this change holds
    (files / "older.model").write_bytes(model.to_bytes())
    old = load_fit_model(files / "older.model")
    assert old.grade_cuts_ == GRADE_THRESHOLDS and old.fields_ == {}
    assert _scores(files, files / "older.model", "canonical.csv").height == 500


def test_a_mapping_that_does_not_exist_is_bad_input(files: Path) -> None:
    with pytest.raises(BadInput):
        train_fit_model(files / "hubspot.csv", "Converted", [], files / "x.model", mapping="hubspott")


def _leaking_together(n: int = 80) -> pl.DataFrame:
    """Leads whose outcome two columns give away together, though neither does alone: a deal field
    filled in for half the customers and a billing address for the other half."""
    rng = np.random.default_rng(5)
    converted = np.arange(n) % 2 == 0
    half = np.arange(n) % 4 == 0
    deal = rng.choice(["New Business", "Upsell"], n)
    city = rng.choice(["Boston", "Denver"], n)
    return pl.DataFrame(
        {
            "Lead": [f"L-{i}" for i in range(n)],
            "Source": rng.choice(["Web", "Event"], n),
            "Deal Type": np.where(converted & half, deal, "").tolist(),
            "Billing City": np.where(converted & ~half, city, "").tolist(),
            "Converted": np.where(converted, "Yes", "No"),
        }
    )


def test_a_model_too_good_to_be_true_is_saved_with_a_warning_naming_the_columns_to_suspect(
    tmp_path: Path,
) -> None:
    history = tmp_path / "leads.csv"
    _leaking_together().write_csv(history)
    out = tmp_path / "fit.model"
    report = train_fit_model(history, "Converted", [], out, FitEstimator.LOGISTIC)
    assert report.roc_auc >= 0.99 and report.telling == [] and out.exists()
    assert report.too_good is not None
    assert "too good to be true" in report.too_good and "--exclude-columns" in report.too_good
    # The two columns that tell the most alone come first (0.75 each), by the file's headers.
    assert "(ROC AUC): Billing City 0.75, Deal Type 0.75, " in report.too_good
    honest = train_fit_model(history, "Converted", ["Deal Type", "Billing City"], out, FitEstimator.LOGISTIC)
    assert honest.too_good is None
