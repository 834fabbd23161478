"""One lead at a time: the one-lead path gives the batch path's encoding, chance, score and reasons,
on X Education's real leads and on cells made to be awkward."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import built_once, examples, fit_on, save_model, shared_data
from territorial.errors import BadInput
from territorial.io.tables import read_table
from territorial.scoring.features import WHITESPACE, Feature, encode, encode_record
from territorial.scoring.fit import FitModel
from territorial.services.scoring import load_fit_model

LEADS = shared_data("x-education-leads", "Leads.csv")
LABEL = "Converted"
TOLERANCE = 1e-12
# Cells a form or a CRM export may hold instead of a clean answer.
AWKWARD = [
    None,
    "",
    "  ",
    "Select",
    "N/A",
    "never seen before",
    " Yes ",
    "no",
    "-5",
    "1e400",
    "-1e300",
    "nan",
    "inf",
    "١٢",
]

needs_leads = pytest.mark.skipif(not LEADS.exists(), reason=f"the X Education leads are not at {LEADS}")


@pytest.fixture(scope="module")
def leads() -> pl.DataFrame:
    return read_table(LEADS).frame


@pytest.fixture(scope="module")
def awkward(leads: pl.DataFrame) -> pl.DataFrame:
    """2,000 real leads with one cell in ten replaced by an awkward value (seeded)."""
    rng = np.random.default_rng(3)
    sample = leads.head(2_000)
    columns = {}
    for name in sample.columns:
        values = sample.get_column(name).to_list()
        if name != LABEL:
            for row in np.flatnonzero(rng.random(len(values)) < 0.1):
                values[row] = AWKWARD[int(rng.integers(len(AWKWARD)))]
        columns[name] = values
    return pl.DataFrame(columns, schema=dict.fromkeys(sample.columns, pl.String))


@pytest.fixture(scope="session")
def blend(shared_folder: Path) -> FitModel:
    """The blend on every X Education lead: trained once (about 45 s) for all pytest workers."""

    def train(path: Path) -> None:
        save_model(fit_on(FitModel(estimator="blend", cv_folds=1), read_table(LEADS).frame, LABEL), path)

    return load_fit_model(built_once(shared_folder, "x-education-blend.model", train))


@pytest.fixture(scope="module")
def logistic(leads: pl.DataFrame) -> FitModel:
    return fit_on(FitModel(estimator="logistic", cv_folds=1), leads, LABEL, ["Tags", "Lead Quality"])


def same_numbers(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


@needs_leads
def test_one_lead_encodes_as_the_columnar_path(leads: pl.DataFrame, blend: FitModel) -> None:
    columnar = encode(leads, blend.features_)
    one_by_one = np.stack([encode_record(row, blend.features_) for row in leads.iter_rows(named=True)])
    assert same_numbers(one_by_one, columnar)


# Characters that polars and Python read differently, or that make a cell a number, flag or word.
_ALPHABET = "0123456789.eE+-_ \t\x1c\x1f\xa0\u3000nainfytrueYSs١１"
_CELLS = st.one_of(
    st.none(),
    st.text(alphabet=_ALPHABET, max_size=8),
    st.sampled_from(["Select", "N/A", " yes ", "TRUE", "f", "-Infinity", "NaN", "1_000", "\x1f5", "a", " B"]),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
_FEATURES = [
    Feature("count", "numeric", log_scale=True),
    Feature("amount", "numeric"),
    Feature("flag", "flag"),
    Feature("word", "category", levels=("a", "B", "yes", "1")),
    Feature(
        "when (day of week)", "category", levels=("Tuesday", "Monday"), column="when", part="day of week"
    ),
    Feature("when (hour)", "numeric", column="when", part="hour"),
]
# Dates in the forms the CRMs write them, days that do not exist, and other text.
_DATES = st.one_of(
    _CELLS,
    st.sampled_from(["2018-05-01 10:02", " 5/1/2018 12:30 AM", "2018-02-30", "2018-05-01T24:00:00Z"]),
    st.dates().map(str),
    st.datetimes().map(lambda moment: f"{moment:%m/%d/%Y %I:%M %p}"),
)


@given(st.lists(st.tuples(_CELLS, _CELLS, _CELLS, _CELLS, _DATES), min_size=1, max_size=12))
@settings(max_examples=examples(ci=100, full=300), deadline=None)
def test_any_text_encodes_the_same_one_lead_or_columnar(rows: list[tuple[str | None, ...]]) -> None:
    names = list(dict.fromkeys(f.source for f in _FEATURES))
    frame = pl.DataFrame(
        {name: [row[i] for row in rows] for i, name in enumerate(names)},
        schema=dict.fromkeys(names, pl.String),
    )
    one_by_one = np.stack([encode_record(dict(zip(names, row, strict=True)), _FEATURES) for row in rows])
    assert same_numbers(one_by_one, encode(frame, _FEATURES))


def test_whitespace_is_what_polars_strips() -> None:
    characters = [chr(code) for code in range(0x3100)]
    stripped = pl.Series([f"{c}x{c}" for c in characters]).str.strip_chars().to_list()
    assert stripped == [f"{c}x{c}".strip(WHITESPACE) for c in characters]


# One lead at a time costs about 8 ms with the blend: the inner loop checks every 6th lead, and
# `make test-slow` every lead.
ONE_BY_ONE_STEP = 6


def check_chances(model: FitModel, frame: pl.DataFrame) -> None:
    batch = model.predict_proba(frame)[:, 1]
    one = np.array([model.predict_proba_one(row) for row in frame.iter_rows(named=True)])
    assert np.max(np.abs(one - batch)) <= TOLERANCE
    scores = model.score(frame).get_column("score").to_list()
    assert [model.score_one(row) for row in frame.iter_rows(named=True)] == scores


@needs_leads
@pytest.mark.parametrize("kind", ["blend", "logistic"])
def test_one_lead_chance_and_score_equal_the_batch_path(
    kind: str, request: pytest.FixtureRequest, leads: pl.DataFrame, awkward: pl.DataFrame
) -> None:
    model: FitModel = request.getfixturevalue(kind)
    check_chances(model, leads[::ONE_BY_ONE_STEP])
    check_chances(model, awkward[::ONE_BY_ONE_STEP])


@needs_leads
@pytest.mark.slow
def test_every_real_lead_scores_the_same_one_by_one(
    blend: FitModel, leads: pl.DataFrame, awkward: pl.DataFrame
) -> None:
    check_chances(blend, leads)
    check_chances(blend, awkward)


@needs_leads
@pytest.mark.parametrize("kind", ["blend", "logistic"])
def test_one_lead_reasons_equal_the_batch_path(
    kind: str, request: pytest.FixtureRequest, leads: pl.DataFrame, awkward: pl.DataFrame
) -> None:
    model: FitModel = request.getfixturevalue(kind)
    for frame in (leads[::61], awkward[::17]):  # about 150 and 120 leads
        # Every score is below 101, so every lead gets its reasons.
        one = [model.judge_one(row, 101)[1] for row in frame.iter_rows(named=True)]
        assert one == model.reasons(frame)


@needs_leads
@pytest.mark.parametrize("kind", ["blend", "logistic"])
def test_judging_one_lead_gives_its_score_and_reasons_below_the_threshold(
    kind: str, request: pytest.FixtureRequest, leads: pl.DataFrame
) -> None:
    model: FitModel = request.getfixturevalue(kind)
    sample = leads[::97]
    scored = model.score(sample).select("score", "reasons").iter_rows()
    for row, (score, reasons) in zip(sample.iter_rows(named=True), scored, strict=True):
        assert model.judge_one(row, None) == (score, "")
        assert model.judge_one(row, 50) == (score, reasons if score < 50 else "")


@needs_leads
def test_the_one_lead_form_is_not_saved(tmp_path: Path, leads: pl.DataFrame, blend: FitModel) -> None:
    before = save_model(blend, tmp_path / "before.model")
    lead = leads.row(0, named=True)
    blend.score_one(lead)
    assert save_model(blend, tmp_path / "after.model") == before
    loaded = load_fit_model(tmp_path / "after.model")
    assert loaded.predict_proba_one(lead) == blend.predict_proba_one(lead)


@needs_leads
def test_a_lead_without_a_trained_field_is_bad_input(leads: pl.DataFrame, blend: FitModel) -> None:
    lead = leads.row(0, named=True)
    del lead["Lead Source"]
    with pytest.raises(BadInput, match="'Lead Source' that the model was trained on is missing"):
        blend.score_one(lead)
    assert not math.isnan(blend.predict_proba_one({**lead, "Lead Source": None}))
