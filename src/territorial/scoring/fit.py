"""Fit scoring: the chance that an account or lead converts, learned from history, with plain reasons."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from territorial.domain.choices import FitEstimator, candidates
from territorial.errors import BadInput
from territorial.progress import Progress, silent
from territorial.scoring.category_boosting import CategoryBoosting
from territorial.scoring.features import (
    Feature,
    Lines,
    Matrix,
    TargetOrderedCodes,
    categorical_mask,
    column_owners,
    describe,
    encode,
    encode_record,
    feature_text,
    feature_value,
    learn_features,
    linear_columns,
    single_threaded,
)
from territorial.scoring.model_file import our_string, pack_model, unpack_model
from territorial.scoring.one_lead import Linear, compile_part

CANDIDATES = candidates(FitEstimator)
# Each candidate's chance is a weighted average of fitted parts. "blend" is half CatBoost and half
# the boosted trees and the extremely randomised forest 2:1. On the X Education leads (5-fold CV, fold
# seeds 1-3, never the benchmark's seed 0): a forest share of 0.3-0.4 beside the boosted trees was best
# with and without post-outcome columns (ROC AUC +0.0009/+0.0020 over the boosted trees alone); CatBoost
# then added +0.0004 at an even mix (0.4-0.6 all within 0.00004), and the logistic model never helped.
# "auto" picks the candidate with the best cross-validated ROC AUC on the training history.
WEIGHTS_OF: dict[str, dict[str, float]] = {
    "gbm": {"gbm": 1.0},
    "logistic": {"logistic": 1.0},
    "blend": {"gbm": 1 / 3, "forest": 1 / 6, "catboost": 1 / 2},
}
PART_NAMES = {
    "gbm": "boosted trees",
    "forest": "randomised forest",
    "catboost": "CatBoost",
    "logistic": "logistic regression",
}


LABEL_POSITIVE = frozenset({"1", "1.0", "yes", "y", "true", "t", "won", "converted"})
LABEL_NEGATIVE = frozenset({"0", "0.0", "no", "n", "false", "f", "lost", "not converted"})

# Grades before they were relative to the history (models saved before then, and a model trained
# on too few rows to cross-validate): A ≥ 75, B ≥ 50, C ≥ 25, D below.
GRADE_THRESHOLDS = (("A", 75), ("B", 50), ("C", 25))
# Grades relative to the history: a score of 40 means nothing at a 2% win rate and little at 40%.
# A is the top 10% of the history by out-of-fold score, B the next 20%, C the next 30% and D the
# last 40% (cumulative shares, so that a sales team reads A as "the leads worth calling first").
# Leads tied at a cut share its grade, so a grade can hold a little more than its share.
GRADE_SHARES = (("A", 0.10), ("B", 0.30), ("C", 0.60))
# `score train` suggests the fit_threshold that keeps each of these shares of the converters.
KEPT_CONVERTER_SHARES = (0.90, 0.95, 0.99)
REASON_COUNT = 3
MODEL_MAGIC = "territorial-fit-model"
TRAIN_COMMAND = "territorial score train"

# Gradient-boosting settings, frozen after a 5-fold CV on the X Education leads with a different fold
# seed (1) from the one the benchmark reports (0): small trees (7 leaves), a slower learning rate with
# more of them and mild L2 beat the library defaults slightly (ROC AUC 0.8767 vs 0.8711 without
# post-outcome columns). Deeper trees (31 leaves), 15 leaves, 4 leaves with more trees, no L2, and more
# or less pooling of rare levels all stayed within ±0.0004 of it.
GBM_SETTINGS: dict[str, Any] = {
    "learning_rate": 0.05,
    "max_iter": 400,
    "max_leaf_nodes": 7,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
    "early_stopping": False,  # a fixed tree count keeps results independent of an inner split
}
GBM_BAG_SIZE = 5
GBM_FEATURE_SHARE = 0.5
# Extremely randomised trees on target-ordered category codes, chosen with the same seeds: nearly
# unpruned trees (2 rows a leaf) average into a smoother score than boosting gives, which is what the
# blend gains from. 150 trees keep the pickled model near 20 MB for 10,000 leads (5 MB compressed);
# 100 trees with 3 rows a leaf scored up to 0.0004 lower, 300 trees no higher, and a third or 70% of
# the features a split, the entropy criterion or bootstrap samples stayed within ±0.0003 of these
# settings in the blend.
FOREST_SETTINGS: dict[str, Any] = {
    "n_estimators": 150,
    "min_samples_leaf": 2,
    "max_features": 0.5,
}
LOGISTIC_C = 0.5


def conversion_labels(labels: pl.Series, table: Lines | None = None) -> npt.NDArray[np.int64]:
    """The label as 1 (converted) or 0; `table`, when given, locates a bad cell by its line."""
    label = labels.name
    text = labels.cast(pl.String).str.strip_chars().str.to_lowercase().to_list()
    values = np.zeros(len(text), dtype=np.int64)
    for row, value in enumerate(text):
        if value in LABEL_POSITIVE:
            values[row] = 1
        elif value not in LABEL_NEGATIVE:
            shown = "an empty cell" if value is None else f"'{value}'"
            message = (
                f"the label must be 1/0, yes/no or true/false, found {shown}; for a column of stages "
                f'or statuses, say which value means converted: --label "{label}=VALUE"'
            )
            if table is not None:
                raise BadInput.at(message, table.file, table.line_of(row), subject=label)
            raise BadInput.at(f"data row {row + 1}: {message}", subject=label)
    return values


def _make_gbm(features: Sequence[Feature], seed: int, x: Matrix) -> VotingClassifier:
    """A small bag of boosted-tree models, each seeing a random half of the features at every split:
    averaging them smooths the score (+0.001 ROC AUC on the X Education leads, fold seed 1). `x` are
    the rows it will learn from, which decide the features it splits as categories."""
    members = [
        (
            f"trees{member}",
            HistGradientBoostingClassifier(
                categorical_features=categorical_mask(features, x),
                random_state=seed + member,
                max_features=GBM_FEATURE_SHARE,
                **GBM_SETTINGS,
            ),
        )
        for member in range(GBM_BAG_SIZE)
    ]
    return VotingClassifier(members, voting="soft")


def _make_forest(features: Sequence[Feature], seed: int) -> Pipeline:
    categorical = [f.kind == "category" for f in features]
    return Pipeline(
        [
            ("order", TargetOrderedCodes(categorical)),
            ("trees", ExtraTreesClassifier(random_state=seed, **FOREST_SETTINGS)),
        ]
    )


def _make_logistic(features: Sequence[Feature]) -> Pipeline:
    return Pipeline(
        [
            ("columns", linear_columns(features)),
            ("model", LogisticRegression(C=LOGISTIC_C, max_iter=5000)),
        ]
    )


def _fit_part(x: Matrix, y: npt.NDArray[np.int64], part: str, features: Sequence[Feature], seed: int) -> Any:
    if part == "gbm":
        return _make_gbm(features, seed, x).fit(x, y)
    if part == "forest":
        return _make_forest(features, seed).fit(x, y)
    if part == "catboost":
        return CategoryBoosting([f.kind == "category" for f in features], seed).fit(x, y)
    return _make_logistic(features).fit(x, y)


# A single column that alone tells converted from lost this well is almost always recorded after the
# outcome (a lead's Status "Closed - Converted", or a place known only for those who bought).
LEAK_ROC_AUC = 0.98
# A whole model this good (out of fold) has read the outcome too, through columns that give it away
# only together (an address filled in for some customers, a deal field for the others): real
# lead histories score 0.6-0.9 (X Education without its post-outcome columns: 0.88).
TOO_GOOD_ROC_AUC = 0.99


def telling_features(x: Matrix, labels: npt.NDArray[np.int64], features: Sequence[Feature]) -> list[str]:
    """The features that alone tell converted rows from lost ones (ROC AUC >= LEAK_ROC_AUC, either
    way; see separation)."""
    return [name for name, auc in separation(x, labels, features).items() if auc >= LEAK_ROC_AUC]


def separation(x: Matrix, labels: npt.NDArray[np.int64], features: Sequence[Feature]) -> dict[str, float]:
    """How well each feature alone tells converted rows from lost ones: the ROC AUC, either way up
    (0.5 tells nothing, 1.0 everything), by whether the value is there and by the value (a
    category's conversion rate among the history's rows; its rare levels are one level, so a unique
    id cannot look telling), whichever tells more."""
    result = {}
    for index, feature in enumerate(features):
        column = x[:, index]
        missing = np.isnan(column)
        scores = [missing.astype(np.float64)]
        if feature.kind == "category":
            codes = np.where(missing, -1, column).astype(np.int64)
            _, inverse = np.unique(codes, return_inverse=True)
            rates = np.bincount(inverse, weights=labels) / np.bincount(inverse)
            scores.append(rates[inverse])
        else:
            scores.append(np.where(missing, np.nanmedian(column) if (~missing).any() else 0.0, column))
        best = 0.5
        for score in scores:
            if np.ptp(score) > 0:
                auc = float(roc_auc_score(labels, score))
                best = max(best, auc, 1.0 - auc)
        result[feature.name] = best
    return result


def _predict_parts(
    x: Matrix, parts: Mapping[str, Any], weights: Mapping[str, float]
) -> npt.NDArray[np.float64]:
    chance = np.zeros(x.shape[0], dtype=np.float64)
    for name, weight in weights.items():
        chance += weight * parts[name].predict_proba(x)[:, 1]
    return chance


class FitModel(BaseEstimator):  # type: ignore[misc]
    """A model of conversion from a history table; follows scikit-learn's estimator contract.

    `estimator` is "gbm" (histogram gradient boosting), "logistic", "blend" (half CatBoost, half boosted
    trees and an extremely randomised forest 2:1) or "auto": the one of those with the best
    cross-validated ROC AUC."""

    def __init__(self, estimator: str = FitEstimator.AUTO, random_state: int = 0, cv_folds: int = 5) -> None:
        self.estimator = estimator
        self.random_state = random_state
        self.cv_folds = cv_folds

    @single_threaded
    def fit(
        self,
        X: pl.DataFrame,
        y: pl.Series,
        exclude: Sequence[str] = (),
        progress: Progress = silent,
        fields: Mapping[str, str] | None = None,
    ) -> Self:
        """Learn from the history's columns `X` and its outcome `y` (1/0, yes/no, true/false), leaving
        out the `exclude` columns (known only after the outcome). `progress(stage, fraction)` hears of
        each part fitted: training a blend on ten thousand leads takes minutes. `fields` names each
        column's field (Create Date's is `created`), so that a file under other headers can be
        scored (`fields_`)."""
        if self.estimator not in ("auto", *CANDIDATES):
            raise BadInput.at(f"unknown estimator '{self.estimator}'; use auto, {', '.join(CANDIDATES)}")
        frame, label = X, y.name
        features, dropped = learn_features(frame, label, exclude)
        labels = conversion_labels(y)
        if labels.min() == labels.max():
            raise BadInput.at(
                "the label has only one value; a model needs converted and lost rows", subject=label
            )
        x = encode(frame, features)

        candidates = [c for c in CANDIDATES if self.estimator in ("auto", c)]  # see our_string
        self.cv_roc_auc_: dict[str, float] = {}
        self.cv_probability_: npt.NDArray[np.float64] | None = None
        folds = min(self.cv_folds, int(np.bincount(labels).min()))
        if folds >= 2:
            splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
            # Candidates share parts, so each part is fitted once per fold.
            needed = sorted({part for kind in candidates for part in WEIGHTS_OF[kind]})
            part_oof = {part: np.zeros(len(labels), dtype=np.float64) for part in needed}
            # The final fit comes after the folds; it has at most as many parts as each fold.
            steps, done = (folds + 1) * len(needed), 0
            for fold, (train, test) in enumerate(splitter.split(x, labels), start=1):
                for part in needed:
                    progress(f"Cross-validation, fold {fold} of {folds}: {PART_NAMES[part]}", done / steps)
                    fitted = _fit_part(x[train], labels[train], part, features, self.random_state)
                    part_oof[part][test] = fitted.predict_proba(x[test])[:, 1]
                    done += 1
            best = -1.0
            for kind in candidates:
                out_of_fold = np.sum([w * part_oof[p] for p, w in WEIGHTS_OF[kind].items()], axis=0)
                auc = float(roc_auc_score(labels, out_of_fold))
                self.cv_roc_auc_[kind] = auc
                if auc > best:  # ties keep the earlier, simpler-to-explain candidate
                    best, self.chosen_estimator_, self.cv_probability_ = auc, kind, out_of_fold
        else:
            self.chosen_estimator_ = "blend" if self.estimator == "auto" else candidates[0]
            steps, done = len(WEIGHTS_OF[self.chosen_estimator_]), 0
        self.weights_ = dict(WEIGHTS_OF[self.chosen_estimator_])
        self.parts_ = {}
        for part in sorted(self.weights_):
            progress(f"Final model: {PART_NAMES[part]}", done / steps)
            self.parts_[part] = _fit_part(x, labels, part, features, self.random_state)
            done += 1
        # The linear reasons compare a row with the average training lead, column by column.
        logistic = self.parts_.get("logistic")
        self.linear_means_: Matrix | None = (
            np.asarray(logistic.named_steps["columns"].transform(x), dtype=np.float64).mean(axis=0)
            if logistic is not None
            else None
        )
        self.features_ = features
        self.fields_ = {c: (fields or {}).get(c, c) for c in dict.fromkeys(f.source for f in features)}
        oof_scores = None if self.cv_probability_ is None else scores_of(self.cv_probability_)
        self.grade_cuts_ = GRADE_THRESHOLDS if oof_scores is None else grade_cuts(oof_scores)
        self.dropped_columns_ = dropped
        self.label_ = label
        self.excluded_columns_ = list(exclude)
        self.cv_labels_ = labels
        self.telling_features_ = telling_features(x, labels, features)
        self.one_lead_ = self._one_lead_form()
        return self

    @single_threaded
    def predict_proba(self, frame: pl.DataFrame) -> npt.NDArray[np.float64]:
        """Columns: chance of not converting, chance of converting."""
        converting = _predict_parts(encode(frame, self.features_), self.parts_, self.weights_)
        return np.column_stack([1.0 - converting, converting])

    @single_threaded
    def contributions(self, frame: pl.DataFrame) -> Matrix:
        """Per row and feature: how much the feature moves this row's score (positive raises it)."""
        x = encode(frame, self.features_)
        if set(self.weights_) == {"logistic"}:
            return self._linear_contributions(x)
        # Trees have no coefficients. Setting one feature at a time to its typical value (median or
        # most frequent level) and measuring the change in probability is exact enough to rank the
        # top reasons, costs one prediction per feature and needs no SHAP dependency. Blends are
        # explained the same way so that every part counts.
        base = _predict_parts(x, self.parts_, self.weights_)
        result = np.zeros_like(x)
        for index, feature in enumerate(self.features_):
            # Rows already at the typical value contribute nothing; skipping them halves the work.
            moved = x[:, index] != feature.typical
            if not moved.any():
                continue
            typical = x[moved]
            typical[:, index] = feature.typical
            result[moved, index] = base[moved] - _predict_parts(typical, self.parts_, self.weights_)
        return result

    def _linear_contributions(self, x: Matrix) -> Matrix:
        """Coefficient × standardised value (relative to the training average), summed per feature."""
        assert self.linear_means_ is not None
        logistic: Pipeline = self.parts_["logistic"]
        columns: ColumnTransformer = logistic.named_steps["columns"]
        model: LogisticRegression = logistic.named_steps["model"]
        centred = np.asarray(columns.transform(x), dtype=np.float64) - self.linear_means_
        per_column = centred * model.coef_[0]
        result = np.zeros((x.shape[0], len(self.features_)), dtype=np.float64)
        np.add.at(result.T, column_owners(columns), per_column.T)
        return result

    # ---- one lead at a time (in-process routing) -----------------------------------------------

    def predict_proba_one(self, record: Mapping[str, object]) -> float:
        """The chance that one lead converts; `record` is field -> value as a file gives it (a value
        that is not text is read as `str(value)`). Equal to `predict_proba` on a one-row frame of the
        lead, without the frame and the libraries' per-call checks, which cost far more than one row."""
        return float(self._chances_one(encode_record(record, self.features_), [])[0])

    def score_one(self, record: Mapping[str, object]) -> int:
        """One lead's 0–100 score, as `score` gives it."""
        return int(np.rint(self.predict_proba_one(record) * 100))

    def judge_one(self, record: Mapping[str, object], reasons_below: int | None) -> tuple[int, str]:
        """One lead's score and, when it is below `reasons_below`, its reasons ("" otherwise). With a
        threshold the lead is scored in the same pass as the reasons' predictions, which include the
        lead's own, so that a lead turned away costs one pass, not two."""
        if reasons_below is None:
            return self.score_one(record), ""
        contributions, chance = self._contributions_one(encode_record(record, self.features_))
        score = int(np.rint(chance * 100))
        if score >= reasons_below:
            return score, ""
        raw = [feature_value(record, f) for f in self.features_]
        return score, self._reason_text(contributions, raw)

    def _contributions_one(self, x: Matrix) -> tuple[Matrix, float]:
        """One encoded lead's contributions, as `contributions` computes them, and its chance."""
        contributions = np.zeros(len(self.features_), dtype=np.float64)
        if set(self.weights_) == {"logistic"}:
            linear: Linear = self.one_lead_["logistic"]
            assert self.linear_means_ is not None
            per_column = (linear.columns(x) - self.linear_means_) * linear.coef
            np.add.at(contributions, linear.owners, per_column)
            return contributions, float(self._chances_one(x, [])[0])
        # Each feature not at its typical value is set to it in turn.
        moved = [i for i, feature in enumerate(self.features_) if x[i] != feature.typical]
        chances = self._chances_one(x, moved)
        contributions[moved] = chances[0] - chances[1:]
        return contributions, float(chances[0])

    def _chances_one(self, x: Matrix, moved: Sequence[int]) -> npt.NDArray[np.float64]:
        """The chance for `x`, then for each moved feature set to its typical value, summed over the
        parts in the order `_predict_parts` sums them."""
        typical = np.array([f.typical for f in self.features_], dtype=np.float64)
        chance = np.zeros(1 + len(moved), dtype=np.float64)
        for name, weight in self.weights_.items():
            chance += weight * self.one_lead_[name].chances(x, moved, typical)
        return chance

    def _one_lead_form(self) -> dict[str, Any]:
        """The fitted parts in their one-lead form (0.05–0.15 s to build for a blend): built when the
        model is fitted or loaded, never saved with it."""
        typical = np.array([f.typical for f in self.features_], dtype=np.float64)
        return {name: compile_part(part, typical) for name, part in self.parts_.items()}

    def __getstate__(self) -> dict[str, Any]:
        """The saved state leaves out the version, which is derived from that state, and the one-lead
        form of the parts, which is derived from them."""
        state: dict[str, Any] = dict(super().__getstate__())
        state.pop("version_", None)
        state["estimator"] = our_string(state["estimator"], ("auto", *CANDIDATES))
        state.pop("one_lead_", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "parts_" in state:
            self.one_lead_ = self._one_lead_form()
            # Models saved before grades were relative, and before they named their fields.
            if "grade_cuts_" not in state:
                self.grade_cuts_ = GRADE_THRESHOLDS
            if "fields_" not in state:  # their columns are matched by the built-in CRM mappings
                self.fields_ = {}

    def score(self, frame: pl.DataFrame) -> pl.DataFrame:
        """A 0–100 score, a grade relative to the history (GRADE_SHARES: A is its top 10%) and the top
        three reasons."""
        scores = scores_of(self.predict_proba(frame)[:, 1])
        return pl.DataFrame(
            {
                "score": scores,
                "grade": [grade_of(int(s), self.grade_cuts_) for s in scores],
                "reasons": self.reasons(frame),
            }
        )

    def reasons(self, frame: pl.DataFrame) -> list[str]:
        """Each row's three strongest reasons in plain words, strongest first, joined by "; "."""
        contributions = self.contributions(frame)
        raw = [feature_text(frame, f).to_list() for f in self.features_]
        return [
            self._reason_text(contributions[row], [values[row] for values in raw])
            for row in range(frame.height)
        ]

    def _reason_text(self, contributions: Matrix, raw: Sequence[str | None]) -> str:
        """One row's strongest reasons from its contributions and its cleaned values, per feature."""
        order = np.argsort(-np.abs(contributions), kind="stable")[:REASON_COUNT]
        parts = []
        for index in order:
            effect = contributions[index]
            direction = "raises" if effect > 0 else "lowers" if effect < 0 else "does not change"
            parts.append(f"{describe(self.features_[index], raw[index])} ({direction} the chance)")
        return "; ".join(parts)

    def to_bytes(self, training_fingerprint: str = "") -> bytes:
        """The model file's content; its version (a hash of the training data and the model) is
        `version_` from then on."""
        header = {"estimator": self.chosen_estimator_, "label": self.label_}
        data, self.version_ = pack_model(self, MODEL_MAGIC, header, training_fingerprint)
        return data

    @staticmethod
    def from_bytes(data: bytes, name: str) -> FitModel:
        """The model in a model file's content (`name` is the file, for messages). Pickle runs code:
        load only files you trained."""
        model, version = unpack_model(data, name, MODEL_MAGIC, FitModel, TRAIN_COMMAND)
        model.version_ = version
        return model


def scores_of(chance: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Chances of converting as 0–100 scores."""
    return np.rint(chance * 100).astype(np.int64)


def grade_of(score: int, cuts: Sequence[tuple[str, int]] = GRADE_THRESHOLDS) -> str:
    """The first grade whose lowest score `score` reaches (A ≥ 75, B ≥ 50, C ≥ 25 by default); D below."""
    for grade, threshold in cuts:
        if score >= threshold:
            return grade
    return "D"


def grade_cuts(scores: npt.NDArray[np.int64]) -> tuple[tuple[str, int], ...]:
    """Each grade's lowest score, so that GRADE_SHARES of the scored history reach it: A's is the
    score of the lead at the 10th percentile from the top."""
    ordered = np.sort(scores)[::-1]
    return tuple(
        (grade, int(ordered[max(math.ceil(share * ordered.size), 1) - 1])) for grade, share in GRADE_SHARES
    )


def grade_table(
    y: npt.NDArray[np.int64], scores: npt.NDArray[np.int64], cuts: Sequence[tuple[str, int]]
) -> pl.DataFrame:
    """Per grade: its lowest score, its leads and the share of the history they are, and the
    conversion rate observed among them."""
    grades = np.array([grade_of(int(s), cuts) for s in scores])
    lowest = dict(cuts)
    rows = []
    for grade in [*(g for g, _ in cuts), "D"]:
        inside = grades == grade
        rows.append(
            {
                "grade": grade,
                "lowest_score": lowest.get(grade, 0),
                "leads": int(inside.sum()),
                "share": round(float(inside.mean()), 4),
                "converted": int(y[inside].sum()),
                "conversion_rate": round(float(y[inside].mean()), 4) if inside.any() else None,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"conversion_rate": pl.Float64})


def suggested_thresholds(y: npt.NDArray[np.int64], scores: npt.NDArray[np.int64]) -> pl.DataFrame:
    """For each of KEPT_CONVERTER_SHARES: the highest fit_threshold (leads below it go to nurture)
    that keeps at least that share of the history's converters, the share it keeps and the share of
    all leads it would nurture."""
    converters = scores[y == 1]
    ordered = np.sort(converters)[::-1]
    rows = []
    for share in KEPT_CONVERTER_SHARES:
        threshold = int(ordered[max(math.ceil(share * ordered.size), 1) - 1]) if ordered.size else 0
        rows.append(
            {
                "keep_converters": f"{share:.0%}",
                "fit_threshold": threshold,
                "converters_kept": round(float(np.mean(converters >= threshold)), 4) if ordered.size else 1.0,
                "leads_nurtured": round(float(np.mean(scores < threshold)), 4),
            }
        )
    return pl.DataFrame(rows)


def calibration_table(
    y: npt.NDArray[np.int64], probability: npt.NDArray[np.float64], bins: int = 10
) -> pl.DataFrame:
    """Predicted against observed conversion in equal-width score bands; empty bands are left out."""
    band = np.minimum((probability * bins).astype(np.int64), bins - 1)
    rows = []
    for b in range(bins):
        inside = band == b
        if inside.any():
            rows.append(
                {
                    "score_band": f"{100 * b // bins}–{100 * (b + 1) // bins}",
                    "leads": int(inside.sum()),
                    "predicted_rate": round(float(probability[inside].mean()), 4),
                    "observed_rate": round(float(y[inside].mean()), 4),
                }
            )
    return pl.DataFrame(rows)
