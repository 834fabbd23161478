"""Fit scoring on a small synthetic lead history whose signal is known."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from conftest import fit_on, save_model
from territorial.errors import BadInput
from territorial.scoring.fit import (
    GRADE_SHARES,
    KEPT_CONVERTER_SHARES,
    FitModel,
    grade_cuts,
    grade_of,
    grade_table,
    suggested_thresholds,
)
from territorial.services.scoring import apply_fit_model, load_fit_model, train_fit_model

LEADS = 400
INDUSTRIES = ["Retail", "Banking", "Health", "Education"]
INDUSTRY_LIFT = {"Retail": -1.0, "Banking": 1.5, "Health": 0.0, "Education": -0.5}


def synthetic_leads(seed: int = 7, rows: int = LEADS) -> pl.DataFrame:
    """Conversion rises with minutes on site and depends on industry; visits and the newsletter flag are
    noise. "Stage After Close" is written after the outcome, so it nearly equals the label."""
    rng = np.random.default_rng(seed)
    minutes = rng.gamma(2.0, 30.0, rows).round(1)
    industry = rng.choice(INDUSTRIES, rows)
    odds = (minutes - 60.0) / 25.0 + np.array([INDUSTRY_LIFT[i] for i in industry])
    converted = (rng.random(rows) < 1 / (1 + np.exp(-odds))).astype(int)
    # Forms write the drop-down's prompt when nothing was chosen; one rare value tests pooling.
    shown_industry = np.where(rng.random(rows) < 0.1, "Select", industry).astype(object)
    shown_industry[0] = "Aerospace"
    after_close = np.where(rng.random(rows) < 0.97, converted, 1 - converted)
    return pl.DataFrame(
        {
            "Lead ID": [f"L{n:05d}" for n in range(rows)],
            "Minutes On Site": [str(m) for m in minutes],
            "Visits": [str(v) if v >= 0 else None for v in rng.poisson(3, rows)],
            "Industry": shown_industry.tolist(),
            "Newsletter": rng.choice(["Yes", "No"], rows).tolist(),
            "Stage After Close": ["Won" if a else "Closed" for a in after_close],
            "Converted": [str(c) for c in converted],
        }
    )


@pytest.fixture(scope="module")
def history() -> pl.DataFrame:
    return synthetic_leads()


@pytest.fixture(scope="module")
def fitted(history: pl.DataFrame) -> FitModel:
    return fit_on(FitModel(estimator="gbm", cv_folds=3), history, "Converted", exclude=["Stage After Close"])


def test_constructor_stores_arguments_as_given_and_clones() -> None:
    model = FitModel(estimator="logistic", random_state=11, cv_folds=4)
    assert model.get_params() == {"estimator": "logistic", "random_state": 11, "cv_folds": 4}
    assert clone(model).get_params() == model.get_params()


def test_fit_returns_self_and_learned_state_ends_in_underscore(history: pl.DataFrame) -> None:
    model = FitModel(estimator="logistic", cv_folds=3)
    x, y = history.drop("Converted"), history.get_column("Converted")
    assert model.fit(x, y, exclude=["Stage After Close"]) is model
    learned = set(vars(model)) - set(model.get_params())
    assert learned and all(name.endswith("_") for name in learned)
    # Scoring one lead or many writes nothing into the model.
    before = dict(vars(model))
    model.score_one(x.row(0, named=True))
    model.predict_proba(x.head(5))
    assert vars(model).keys() == before.keys() and all(vars(model)[k] is v for k, v in before.items())


def test_predict_proba_does_not_mutate_model_or_input(fitted: FitModel, history: pl.DataFrame) -> None:
    before_model = pickle.dumps(fitted)
    before_frame = history.clone()
    probability = fitted.predict_proba(history)
    assert probability.shape == (history.height, 2)
    np.testing.assert_allclose(probability.sum(axis=1), 1.0)
    assert pickle.dumps(fitted) == before_model
    assert history.equals(before_frame)


def test_known_signal_is_learned_and_identifier_dropped(fitted: FitModel, history: pl.DataFrame) -> None:
    assert fitted.cv_roc_auc_["gbm"] > 0.8
    assert "Lead ID" in fitted.dropped_columns_
    fresh = synthetic_leads(seed=99)
    chance = fitted.predict_proba(fresh)[:, 1]
    assert roc_auc_score(fresh.get_column("Converted").cast(pl.Int64), chance) > 0.8
    long_visit = fresh.head(1).with_columns(pl.lit("300").alias("Minutes On Site"))
    short_visit = fresh.head(1).with_columns(pl.lit("2").alias("Minutes On Site"))
    assert fitted.predict_proba(long_visit)[0, 1] > fitted.predict_proba(short_visit)[0, 1]


def test_excluded_columns_are_not_used(fitted: FitModel, history: pl.DataFrame) -> None:
    assert "Stage After Close" not in [f.name for f in fitted.features_]
    flipped = history.with_columns(pl.lit("Won").alias("Stage After Close"))
    np.testing.assert_array_equal(fitted.predict_proba(history), fitted.predict_proba(flipped))
    # Without the exclusion the post-outcome column gives the answer away: that is what it prevents.
    cheating = fit_on(FitModel(estimator="gbm", cv_folds=3), history, "Converted")
    assert cheating.cv_roc_auc_["gbm"] > fitted.cv_roc_auc_["gbm"]


def test_grades_follow_thresholds() -> None:
    expected = {100: "A", 75: "A", 74: "B", 50: "B", 49: "C", 25: "C", 24: "D", 0: "D"}
    assert {score: grade_of(score) for score in expected} == expected


def test_score_reasons_are_three_plain_sentences(fitted: FitModel, history: pl.DataFrame) -> None:
    scored = fitted.score(history)
    assert scored.columns == ["score", "grade", "reasons"]
    assert scored.get_column("score").is_between(0, 100).all()
    for score, grade in scored.select("score", "grade").iter_rows():
        assert grade == grade_of(score, fitted.grade_cuts_)
    names = [f.name for f in fitted.features_]
    for text in scored.get_column("reasons").to_list():
        reasons = text.split("; ")
        assert len(reasons) == 3
        for reason in reasons:
            assert any(reason.startswith(name) for name in names)
            assert reason.endswith(
                ("raises the chance)", "lowers the chance)", "does not change the chance)")
            )


def test_logistic_reasons_rank_the_strong_feature_first(history: pl.DataFrame) -> None:
    model = fit_on(FitModel(estimator="logistic", cv_folds=3), history, "Converted", ["Stage After Close"])
    extreme = history.head(1).with_columns(pl.lit("400").alias("Minutes On Site"))
    assert model.reasons(extreme)[0].startswith("Minutes On Site is high (400) (raises the chance)")


def test_the_model_file_does_not_depend_on_where_the_settings_came_from(
    tmp_path: Path, history: pl.DataFrame
) -> None:
    """An estimator name typed on a command line is a string of its own, not the code's constant;
    pickle once wrote it differently (a reference against a copy), so the file's bytes changed."""
    typed = "".join(["g", "bm"])  # equal to "gbm", but another object
    assert typed == "gbm" and typed is not "gbm"  # noqa: F632
    versions = [
        save_model(
            fit_on(FitModel(estimator=name, cv_folds=2), history, "Converted", ["Stage After Close"]),
            tmp_path / f"{n}.model",
        )
        for n, name in enumerate(["gbm", typed])
    ]
    assert versions[0] == versions[1]
    assert (tmp_path / "0.model").read_bytes() == (tmp_path / "1.model").read_bytes()


def test_training_is_deterministic(tmp_path: Path, history: pl.DataFrame) -> None:
    history.write_csv(tmp_path / "history.csv")
    reports = [
        train_fit_model(
            tmp_path / "history.csv", "Converted", ["Stage After Close"], tmp_path / f"m{n}", "gbm"
        )
        for n in (1, 2)
    ]
    assert reports[0].version == reports[1].version
    assert (tmp_path / "m1").read_bytes() == (tmp_path / "m2").read_bytes()
    assert reports[0].estimator == "gbm" and 0.8 < reports[0].roc_auc <= 1.0
    assert reports[0].calibration.get_column("leads").sum() == LEADS
    # The version follows the training data: the same settings on changed data give a new version.
    other = history.with_columns(pl.col("Visits").reverse())
    other.write_csv(tmp_path / "other.csv")
    versions = {
        train_fit_model(
            tmp_path / name, "Converted", ["Stage After Close"], tmp_path / "m3", "logistic"
        ).version
        for name in ("history.csv", "other.csv")
    }
    assert len(versions) == 2


def test_apply_writes_id_score_grade_reasons(tmp_path: Path, history: pl.DataFrame) -> None:
    history.write_csv(tmp_path / "history.csv")
    train_fit_model(
        tmp_path / "history.csv", "Converted", ["Stage After Close"], tmp_path / "model", "logistic"
    )
    fresh = synthetic_leads(seed=5, rows=30).drop("Converted", "Stage After Close")
    fresh.select("Industry", pl.all().exclude("Industry")).write_csv(tmp_path / "new.csv")
    assert apply_fit_model(tmp_path / "model", tmp_path / "new.csv", tmp_path / "scored.csv", "Lead ID") == 30
    scored = pl.read_csv(tmp_path / "scored.csv")
    assert scored.columns == ["Lead ID", "score", "grade", "reasons"]
    apply_fit_model(tmp_path / "model", tmp_path / "new.csv", tmp_path / "first.csv")
    assert pl.read_csv(tmp_path / "first.csv").columns[0] == "Industry"


@pytest.mark.parametrize(
    "content", [b"", b"not a model\n", b'{"magic": "territorial-fit-model", "format": 1}\n\x80garbage']
)
def test_broken_model_file_is_bad_input_naming_the_file(tmp_path: Path, content: bytes) -> None:
    broken = tmp_path / "broken.model"
    broken.write_bytes(content)
    with pytest.raises(BadInput, match=r"broken\.model"):
        load_fit_model(broken)


def test_truncated_model_file_is_bad_input(tmp_path: Path, fitted: FitModel) -> None:
    save_model(fitted, tmp_path / "good.model")
    data = (tmp_path / "good.model").read_bytes()
    (tmp_path / "cut.model").write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInput, match=r"cut\.model.*damaged"):
        load_fit_model(tmp_path / "cut.model")
    assert load_fit_model(tmp_path / "good.model").predict_proba(synthetic_leads(rows=5)).shape == (5, 2)


def test_label_with_other_values_is_bad_input(history: pl.DataFrame) -> None:
    with pytest.raises(BadInput, match="maybe"):
        fit_on(FitModel(cv_folds=3), history.with_columns(pl.lit("maybe").alias("Converted")), "Converted")


def test_bad_label_cell_is_located_by_line(tmp_path: Path, history: pl.DataFrame) -> None:
    broken = history.with_columns(
        pl.when(pl.int_range(pl.len()) == 2)
        .then(pl.lit("maybe"))
        .otherwise(pl.col("Converted"))
        .alias("Converted")
    )
    broken.write_csv(tmp_path / "history.csv")
    with pytest.raises(BadInput, match=r"history\.csv:4 \[Converted\]: .*'maybe'"):
        train_fit_model(tmp_path / "history.csv", "Converted", [], tmp_path / "model")


def test_missing_feature_column_at_apply_names_the_file(tmp_path: Path, history: pl.DataFrame) -> None:
    history.write_csv(tmp_path / "history.csv")
    train_fit_model(
        tmp_path / "history.csv", "Converted", ["Stage After Close"], tmp_path / "model", "logistic"
    )
    history.drop("Industry").write_csv(tmp_path / "new.csv")
    with pytest.raises(BadInput, match=r"new\.csv.*'Industry'"):
        apply_fit_model(tmp_path / "model", tmp_path / "new.csv", tmp_path / "scored.csv")


def test_identifiers_are_unique_text_or_the_first_column(history: pl.DataFrame) -> None:
    numbered = history.with_columns(
        pl.Series("Lead Number", [str(600_000 + 7 * n) for n in range(LEADS)]),
        pl.Series("Row", [str(n) for n in range(LEADS)]),
    ).select("Row", pl.all().exclude("Row"))
    model = fit_on(FitModel(estimator="logistic", cv_folds=3), numbered, "Converted", ["Stage After Close"])
    # Unique text (Lead ID) and a unique first column (Row) are identifiers; a unique number elsewhere
    # is a sequence number, kept because it tells when the lead arrived.
    assert {"Lead ID", "Row"} <= set(model.dropped_columns_)
    assert "Lead Number" in [f.name for f in model.features_]


def test_a_blend_saves_the_same_bytes_every_time(tmp_path: Path, history: pl.DataFrame) -> None:
    """The blend's own determinism, without cross-validation (the whole command is the slow test)."""
    saved = [
        save_model(
            fit_on(FitModel(estimator="blend", cv_folds=1), history, "Converted", ["Stage After Close"]),
            tmp_path / f"b{n}",
        )
        for n in (1, 2)
    ]
    assert saved[0] == saved[1]
    assert (tmp_path / "b1").read_bytes() == (tmp_path / "b2").read_bytes()


@pytest.mark.slow
def test_blend_model_file_is_deterministic(tmp_path: Path, history: pl.DataFrame) -> None:
    history.write_csv(tmp_path / "history.csv")
    reports = [
        train_fit_model(
            tmp_path / "history.csv", "Converted", ["Stage After Close"], tmp_path / f"b{n}", "blend"
        )
        for n in (1, 2)
    ]
    assert reports[0].estimator == "blend" and reports[0].roc_auc > 0.8
    assert (tmp_path / "b1").read_bytes() == (tmp_path / "b2").read_bytes()
    scored = load_fit_model(tmp_path / "b1").score(synthetic_leads(seed=3, rows=20))
    assert scored.height == 20 and scored.get_column("reasons").str.count_matches("; ").eq(2).all()


def test_fit_reports_each_part_it_trains(history: pl.DataFrame) -> None:
    heard: list[tuple[str, float]] = []
    fit_on(
        FitModel(estimator="blend", cv_folds=2),
        history,
        "Converted",
        ["Stage After Close"],
        progress=lambda s, f: heard.append((s, f)),
    )
    fractions = [f for _, f in heard]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] < 1.0
    stages = [s for s, _ in heard]
    # Two folds and the final model, each fitting the blend's three parts.
    assert len(stages) == 3 * 3
    assert (
        stages[0] == "Cross-validation, fold 1 of 2: CatBoost" and stages[-1] == "Final model: boosted trees"
    )


def test_a_fold_where_no_column_varies_still_trains() -> None:
    # One odd value in 60 rows: a training fold without it has nothing that varies.
    y = [str(n % 2) for n in range(60)]
    history = pl.DataFrame({"Visits": ["5"] * 59 + ["7"], "Converted": y})
    model = fit_on(FitModel(estimator="auto", cv_folds=3), history, "Converted")
    assert set(model.cv_roc_auc_) == {"gbm", "logistic", "blend"}
    assert model.predict_proba(history).shape == (60, 2)


def test_categories_all_too_rare_to_keep_still_train(tmp_path: Path) -> None:
    # Eight industries of five rows each are all pooled as "other": every row looks the same.
    rows = [f"ind{n % 8},{n % 2}" for n in range(40)]
    (tmp_path / "tiny.csv").write_text("Industry,Converted\n" + "\n".join(rows) + "\n")
    report = train_fit_model(tmp_path / "tiny.csv", "Converted", [], tmp_path / "tiny.model", force=True)
    assert report.rows == 40 and report.roc_auc == pytest.approx(0.5)
    assert report.warning is not None and "no better than chance" in report.warning


def test_grades_take_their_share_of_the_history_and_thresholds_keep_theirs() -> None:
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 40, 1000)
    y = (rng.random(1000) < scores / 60).astype(np.int64)
    cuts = grade_cuts(scores)
    grades = np.array([grade_of(int(s), cuts) for s in scores])
    for grade, share in GRADE_SHARES:  # cumulative: A, then A or B, then A, B or C
        assert np.isin(grades, ["A", "B", "C"][: "ABC".index(grade) + 1]).mean() >= share
    table = grade_table(y, scores, cuts)
    assert table.get_column("leads").sum() == 1000
    for share, threshold in zip(
        KEPT_CONVERTER_SHARES, suggested_thresholds(y, scores)["fit_threshold"], strict=True
    ):
        assert (scores[y == 1] >= threshold).mean() >= share
        assert (scores[y == 1] >= threshold + 1).mean() < share  # the highest such threshold
