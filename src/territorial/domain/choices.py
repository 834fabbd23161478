"""The fixed choices a user picks from, one list each: the command line checks them and lists them
in its help, and the API will offer the same."""

from __future__ import annotations

from enum import StrEnum


class FitEstimator(StrEnum):
    """How `score train` models conversion; auto picks by cross-validated ROC AUC."""

    AUTO = "auto"
    GBM = "gbm"  # histogram gradient boosting
    LOGISTIC = "logistic"
    BLEND = "blend"  # half CatBoost, half boosted trees and an extremely randomised forest 2:1


class PotentialEstimator(StrEnum):
    """How `score train-potential` models a number; auto picks by cross-validated R²."""

    AUTO = "auto"
    GBM = "gbm"
    LINEAR = "linear"  # ridge regression


class ExportFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"
    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"


class Crm(StrEnum):
    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"


def candidates(choice: type[StrEnum]) -> tuple[str, ...]:
    """The choice's values but auto, as plain strings, in the order they are listed (an earlier one
    wins a tie)."""
    return tuple(str(member.value) for member in choice if member.value != "auto")
