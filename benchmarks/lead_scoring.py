"""Lead-scoring figures for the fit model: 5-fold stratified CV on X Education's 9,240 leads, ours vs a plain
gradient-boosting baseline, with all columns and with post-outcome columns excluded.

Run: .venv/bin/python benchmarks/lead_scoring.py [--data PATH] [--estimator auto|gbm|logistic|blend]

The data set (Kaggle "Lead Scoring" by X Education, Leads.csv) is not shipped with the package.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from territorial.io.tables import read_table
from territorial.scoring.fit import FitModel

DATA = Path("/work/shared/data/x-education-leads/Leads.csv")
LABEL = "Converted"
ID_COLUMNS = ["Prospect ID", "Lead Number"]
# Columns filled in by the sales team after the outcome is known (or derived from it): using them to
# score new leads would be cheating.
POST_OUTCOME = [
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "Last Activity",
    "Last Notable Activity",
    "Asymmetrique Activity Index",
    "Asymmetrique Profile Index",
    "Asymmetrique Activity Score",
    "Asymmetrique Profile Score",
]
FOLDS = 5
SEED = 0
KEEP_CONVERTERS = 0.95


def baseline_pipeline(frame: pl.DataFrame) -> tuple[Pipeline, Any]:
    """Plain GradientBoostingClassifier (library defaults) on one-hot categories and median-filled numbers."""
    numeric: list[str] = []
    categorical: list[str] = []
    for column in frame.columns:
        parsed = frame.get_column(column).cast(pl.Float64, strict=False)
        (numeric if parsed.null_count() == frame.get_column(column).null_count() else categorical).append(
            column
        )
    data = frame.to_pandas()
    for column in numeric:
        data[column] = data[column].astype(float)
    for column in categorical:
        data[column] = data[column].fillna("missing")
    pipeline = Pipeline(
        [
            (
                "columns",
                ColumnTransformer(
                    [
                        ("numbers", SimpleImputer(strategy="median"), numeric),
                        (
                            "categories",
                            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                            categorical,
                        ),
                    ]
                ),
            ),
            ("model", GradientBoostingClassifier(random_state=SEED)),
        ]
    )
    return pipeline, data


def cross_validated(
    frame: pl.DataFrame, y: npt.NDArray[np.int64], exclude: list[str], estimator: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], str]:
    """Out-of-fold probabilities for ours and the baseline over the same folds."""
    features = frame.drop([LABEL, *ID_COLUMNS, *exclude])
    pipeline, data = baseline_pipeline(features)
    ours = np.zeros(len(y))
    baseline = np.zeros(len(y))
    chosen: list[str] = []
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for train, test in splitter.split(np.zeros(len(y)), y):
        # "auto" chooses its estimator with its own inner CV on the training folds only.
        model = FitModel(estimator=estimator, random_state=SEED).fit(frame[train], LABEL, exclude)  # type: ignore[arg-type]
        ours[test] = model.predict_proba(frame[test])[:, 1]
        chosen.append(model.chosen_estimator_)
        baseline[test] = pipeline.fit(data.iloc[train], y[train]).predict_proba(data.iloc[test])[:, 1]
    return ours, baseline, ",".join(chosen)


def share_of_losses_filtered(y: npt.NDArray[np.int64], probability: npt.NDArray[np.float64]) -> float:
    """Share of non-converting leads below the threshold that still keeps 95% of converting ones."""
    threshold = np.quantile(probability[y == 1], 1 - KEEP_CONVERTERS, method="lower")
    return float((probability[y == 0] < threshold).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--estimator", default="auto")
    args = parser.parse_args()
    frame = read_table(args.data).frame
    y = frame.get_column(LABEL).cast(pl.Int64).to_numpy()
    print(f"{frame.height} leads, {int(y.sum())} converted; {FOLDS}-fold stratified CV, seed {SEED}")
    for setting, exclude in (("all columns", []), ("post-outcome columns excluded", POST_OUTCOME)):
        started = time.perf_counter()
        ours, baseline, chosen = cross_validated(frame, y, exclude, args.estimator)
        seconds = time.perf_counter() - started
        print(f"\n{setting} ({seconds:.0f} s; estimator per fold: {chosen})")
        for name, probability in (("ours", ours), ("baseline GB", baseline)):
            print(
                f"  {name:12s} ROC AUC {roc_auc_score(y, probability):.4f}"
                f"  PR AUC {average_precision_score(y, probability):.4f}"
                f"  non-converters filtered at 95% converters kept: "
                f"{share_of_losses_filtered(y, probability):.1%}"
            )


if __name__ == "__main__":
    main()
