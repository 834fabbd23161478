"""Scoring use cases: train and apply fit models, train potential models, and judge inquiries
against a product catalogue; every file read or written here, the models themselves pure."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import polars as pl

from territorial.domain.choices import FitEstimator, PotentialEstimator
from territorial.domain.entities import Entity
from territorial.errors import BadInput, Location, Problem
from territorial.io.catalogue import load_catalogue
from territorial.io.crm_mappings import crm_export_hint, crm_export_of, file_mapping, load_mapping
from territorial.io.mapped_files import field_of, mapped_column, read_mapped
from territorial.io.model_files import read_model_file, write_model_file
from territorial.io.output import write_table
from territorial.io.tables import RawTable
from territorial.progress import Progress, silent
from territorial.services.training_label import training_label

# scikit-learn, CatBoost and the language model load only when a command needs them.
if TYPE_CHECKING:
    from territorial.scoring.features import Feature
    from territorial.scoring.fit import FitModel
    from territorial.scoring.potential import PotentialModel
    from territorial.scoring.relevance import RelevanceModel
    from territorial.scoring.time_split import TimeSplit

RELEVANCE_BATCH = 256
# A fit model whose cross-validated ROC AUC is at most 0.5 ranks leads no better than a coin (nan:
# there were too few rows, or one class, to cross-validate); a potential model whose cross-validated
# R² is at most 0 predicts no better than the average deal. Such a model has learnt nothing, and a
# plan that uses it would score on noise, so it is saved only when asked to (--force).
CHANCE_ROC_AUC = 0.5
AVERAGE_R2 = 0.0
# What a scored file holds, for --mapping: a built-in mapping reads it as the first; a mapping file
# as its own entity, when it is one of these. Fit models learn from leads (or accounts); potential
# models from accounts, since a plan's `potential:` applies them to the accounts `assign` reads.
FIT_ENTITIES = (Entity.LEADS, Entity.ACCOUNTS)
POTENTIAL_ENTITIES = (Entity.ACCOUNTS,)


@dataclass(frozen=True)
class TrainReport:
    """What `territorial score train` prints: cross-validated quality and the saved model's identity."""

    estimator: str
    version: str
    rows: int
    positives: int
    roc_auc: float
    pr_auc: float
    calibration: pl.DataFrame
    candidate_roc_auc: dict[str, float]
    features: list[str]
    excluded: list[str]
    dropped: list[str]
    warning: str | None = None  # the model has no signal, and was saved because it was forced
    # Columns that alone tell converted from lost: likely recorded after the outcome (a leak).
    telling: list[str] = field(default_factory=list)
    # The model tells converted from lost (nearly) perfectly out of fold, though no column alone
    # does: columns give the outcome away together. A warning; the model is saved.
    too_good: str | None = None
    time_validation: TimeValidation | None = None  # with --validate time:COLUMN
    why_dropped: dict[str, str] = field(default_factory=dict)  # column -> why the model does not use it
    # Out-of-fold, per grade (fit.grade_table) and per share of converters kept (suggested_thresholds);
    # empty when there were too few rows to cross-validate.
    grades: pl.DataFrame = field(default_factory=pl.DataFrame)
    thresholds: pl.DataFrame = field(default_factory=pl.DataFrame)


@dataclass(frozen=True)
class TimeValidation:
    """ROC AUC of a model trained on the older rows and tested on the newer ones."""

    column: str
    roc_auc: float  # nan when the newer rows are all converted or all lost
    trained: int
    tested: int
    last_trained: date


@dataclass(frozen=True)
class PotentialReport:
    """What `territorial score train-potential` prints: cross-validated error and the model's identity."""

    estimator: str
    version: str
    rows: int
    target: str
    target_mean: float
    r2: float
    mae: float
    candidate_r2: dict[str, float]
    features: list[str]
    excluded: list[str]
    dropped: list[str]
    warning: str | None = None  # the model has no signal, and was saved because it was forced


# ---- fit: the chance that a lead or account converts ---------------------------------------------


def train_fit_model(
    history_path: str | Path,
    label: str,
    exclude: Sequence[str],
    out_path: str | Path,
    estimator: FitEstimator = FitEstimator.AUTO,
    random_state: int = 0,
    progress: Progress = silent,
    force: bool = False,
    validate: str | None = None,
    mapping: str | Path | None = None,
) -> TrainReport:
    """Train on a history file, save the versioned model, and return the cross-validated figures.
    A model no better than chance is refused (nothing is written) unless `force`. With `validate`
    "time:COLUMN", a model of the same kind is also trained on the older rows by that date column
    and tested on the newer ones. With `mapping`, the history is read as `route --mapping` reads
    leads (scored_file), so the model finds the same columns when it routes them."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from territorial.scoring.fit import (
        TOO_GOOD_ROC_AUC,
        FitModel,
        calibration_table,
        conversion_labels,
        grade_table,
        scores_of,
        suggested_thresholds,
    )
    from territorial.scoring.model_file import fingerprint

    table, named = scored_file(history_path, mapping, FIT_ENTITIES)
    frame = table.frame
    entity = _entity_of(mapping, FIT_ENTITIES)
    fields = {column: field_of(column, entity, mapping) for column in frame.columns}
    outcome = training_label(frame, label, named, table)
    frame, label = outcome.frame, outcome.column
    # The other columns the outcome was read from give it away: the model must not learn from them.
    exclude = [*_excluded(frame, exclude, named, table), *outcome.read_from]
    # A bad label cell is reported by its line, under the history's own header.
    conversion_labels(frame.get_column(label).alias(table.sources.get(label, label)), table)
    split = _time_split(table, validate, named) if validate is not None else None
    model = FitModel(estimator=estimator, random_state=random_state)
    try:
        model.fit(frame.drop(label), frame.get_column(label), exclude, progress, fields)
    except BadInput as err:
        raise err.in_file(table.file) from None
    y = model.cv_labels_
    probability = model.cv_probability_
    has_cv = probability is not None and len(np.unique(y)) == 2
    roc_auc = float(roc_auc_score(y, probability)) if has_cv else math.nan
    warning = None
    if not roc_auc > CHANCE_ROC_AUC:  # nan too
        warning = _no_signal(f"cross-validated ROC AUC {roc_auc:.4f}", "ranks leads no better than chance")
        _refuse_unless(force, warning, table.file)
    telling = _telling_headers(model, table)
    if telling:
        leak = (
            f"{', '.join(telling)} alone tell{'s' if len(telling) == 1 else ''} converted leads from "
            "lost ones: such columns are usually filled in after the outcome (a status, or details known "
            "only for customers), so new leads would not score as the history does; leave them out with "
            "--exclude-columns"
        )
        _refuse_unless(force, leak, table.file)
    too_good = None
    if roc_auc >= TOO_GOOD_ROC_AUC and not telling:  # telling columns have their own warning
        too_good = _too_good(model, frame, label, table, roc_auc)
    time_validation = None
    if split is not None:
        column, cut = split
        progress(f"Training on the rows up to {cut.last_trained}, testing on the newer ones", 1.0)
        older = FitModel(estimator=model.chosen_estimator_, random_state=random_state, cv_folds=1)
        try:
            older.fit(frame[cut.train].drop(label), frame[cut.train].get_column(label), exclude)
        except BadInput as err:
            raise err.in_file(table.file) from None
        newer = frame[cut.test]
        truth = conversion_labels(newer.get_column(label))
        chance = older.predict_proba(newer.drop(label))[:, 1]
        time_auc = float(roc_auc_score(truth, chance)) if len(np.unique(truth)) == 2 else math.nan
        time_validation = TimeValidation(column, time_auc, cut.train.size, cut.test.size, cut.last_trained)
    progress("Saving the model file", 1.0)
    write_model_file(model.to_bytes(fingerprint(frame, label, exclude, model.get_params())), out_path)
    oof = scores_of(probability) if has_cv and probability is not None else None
    return TrainReport(
        estimator=model.chosen_estimator_,
        version=model.version_,
        rows=frame.height,
        positives=int(y.sum()),
        roc_auc=roc_auc,
        pr_auc=float(average_precision_score(y, probability)) if has_cv else math.nan,
        calibration=calibration_table(y, probability) if probability is not None else pl.DataFrame(),
        candidate_roc_auc=dict(model.cv_roc_auc_),
        features=[f.name for f in model.features_],
        excluded=list(exclude),
        dropped=sorted(model.dropped_columns_),
        warning=warning,
        time_validation=time_validation,
        why_dropped=dict(sorted(model.dropped_columns_.items())),
        grades=pl.DataFrame() if oof is None else grade_table(y, oof, model.grade_cuts_),
        thresholds=pl.DataFrame() if oof is None else suggested_thresholds(y, oof),
        telling=telling,
        too_good=too_good,
    )


def _time_split(table: RawTable, validate: str, named: Callable[[str], str]) -> tuple[str, TimeSplit]:
    """The older and newer rows by the date column `validate` names ("time:COLUMN")."""
    from territorial.scoring.time_split import time_split

    kind, _, column = validate.partition(":")
    if kind.strip() != "time" or not column.strip():
        raise BadInput.at(f"expected time:COLUMN (a date column), got {validate!r}", "--validate")
    column = named(column.strip())
    _require_column(table.frame, column, "date", table)
    values = table.frame.get_column(column)
    days = values if values.dtype == pl.Date else _days(values.cast(pl.String))
    undated = days.is_null().arg_true()
    if undated.len():  # every row needs its day to fall on one side of the cut
        row = int(undated[0])
        what = "no date" if values[row] is None else f"{values[row]!r}"
        message = f"expected a date, got {what} ({undated.len():,} undated rows in all)"
        raise BadInput.at(message, table.file, table.line_of(row), None, column)
    split = time_split(days.to_list())
    if split is None:
        raise BadInput.at(f"every row has the same {column}: nothing is newer to test on", "--validate")
    return column, split


def _days(text: pl.Series) -> pl.Series:
    """Dates from text: ISO days, or timestamps (their day)."""
    stripped = text.str.strip_chars()
    return stripped.str.to_date(strict=False).fill_null(stripped.str.to_datetime(strict=False).dt.date())


def _no_signal(figure: str, meaning: str) -> str:
    return f"the model has no signal: {figure} (it {meaning})"


def _telling_headers(model: FitModel, table: RawTable) -> list[str]:
    """The features that alone give the outcome away, named by the history's own headers (a
    Salesforce export's `Status`, HubSpot's `Create Date (day of week)`)."""
    return [_header(feature, table) for feature in model.features_ if feature.name in model.telling_features_]


# The columns named as the first to suspect when a model is too good to be true.
SUSPECTS_SHOWN = 3


def _too_good(model: FitModel, frame: pl.DataFrame, label: str, table: RawTable, roc_auc: float) -> str:
    """Why a model that tells converted from lost (nearly) perfectly is suspect, naming the columns
    that tell the most alone, by the history's own headers."""
    from territorial.scoring.features import encode
    from territorial.scoring.fit import separation

    x = encode(frame.drop(label), model.features_)
    alone = separation(x, model.cv_labels_, model.features_)
    ranked = sorted(model.features_, key=lambda f: (-alone[f.name], f.name))[:SUSPECTS_SHOWN]
    suspects = ", ".join(f"{_header(f, table)} {alone[f.name]:.2f}" for f in ranked)
    return (
        f"cross-validated ROC AUC {roc_auc:.4f} is too good to be true: no column alone gives the outcome "
        "away, but some together do, usually because they are filled in after it (a status, or details "
        f"known only for customers). The columns that tell the most alone (ROC AUC): {suspects}; leave "
        "those recorded after the outcome out with --exclude-columns"
    )


def _header(feature: Feature, table: RawTable) -> str:
    """A feature named by the history's own header (`Create Date (day of week)`, not `created …`)."""
    column = feature.column or feature.name
    return table.sources.get(column, column) + feature.name[len(column) :]


def _refuse_unless(force: bool, warning: str, history: str | None) -> None:
    if not force:
        raise BadInput.at(
            f"{warning}; it was not saved (--force saves it anyway)", history, subject="--force"
        )


def load_fit_model(path: str | Path) -> FitModel:
    """A model file from `score train`. Pickle runs code: load only files you trained."""
    from territorial.scoring.fit import FitModel

    return FitModel.from_bytes(read_model_file(path), str(path))


def apply_fit_model(
    model_path: str | Path,
    input_path: str | Path,
    out_path: str | Path,
    id_column: str | None = None,
    mapping: str | Path | None = None,
) -> int:
    """Score a file: id, score, grade and reasons per row, written to `out_path`. Returns the row count.
    With `mapping`, the file is read as the model's history was (scored_file)."""
    table, named = scored_file(input_path, mapping, FIT_ENTITIES)  # a bad --mapping before the model
    model = load_fit_model(model_path)
    frame = table.frame
    identifier = named(id_column) if id_column is not None else frame.columns[0]
    hint = export_hint(table, mapping, FIT_ENTITIES)
    if identifier not in frame.columns:
        raise BadInput.at(f"there is no id column '{identifier}'{hint}", table.file)
    learnt = [c for c in dict.fromkeys(f.source for f in model.features_) if c not in frame.columns]
    crm = next((found[0] for e in FIT_ENTITIES if (found := crm_export_of(table.header, e))), None)
    if mapping is None and crm is not None and learnt:
        # A CRM export given as it is to a model that learnt from mapped fields: read it as the
        # history was, so its values ("1,200", "Calif.", HubSpot's timestamps) score as they did.
        # The output keeps the file's own id header: the rows are the user's, not the mapping's.
        mapping, header = crm, identifier
        table, named = scored_file(input_path, mapping, FIT_ENTITIES)
        frame = table.frame
        identifier = named(id_column) if id_column is not None else frame.columns[0]
        frame = frame.rename({identifier: header}) if header not in frame.columns else frame
        identifier = header if header in frame.columns else identifier
    try:
        scored = RowScorer(model, identifier, _entity_of(mapping, FIT_ENTITIES), mapping)(frame)
    except BadInput as err:
        raise err.in_file(table.file).hinted(hint) from None
    write_table(scored, out_path)
    return frame.height


@dataclass(frozen=True)
class RowScorer:
    """`score apply`'s scoring of rows: id, score, grade and reasons for each row of a frame, in its
    order. A row's figures read that row alone, so an engine may score a file in batches, or ship
    this (the model within it) to Spark's executors, and get the whole file's rows."""

    model: FitModel
    identifier: str
    entity: Entity = FIT_ENTITIES[0]
    mapping: str | Path | None = None

    def __call__(self, frame: pl.DataFrame) -> pl.DataFrame:
        scored = self.model.score(model_columns(self.model, frame, self.entity, self.mapping))
        return pl.concat([frame.select(self.identifier), scored], how="horizontal")


# ---- potential: what an account could buy ------------------------------------------------------


def train_potential_model(
    history_path: str | Path,
    target: str,
    exclude: Sequence[str],
    out_path: str | Path,
    estimator: PotentialEstimator = PotentialEstimator.AUTO,
    only: str | None = None,
    random_state: int = 0,
    force: bool = False,
    mapping: str | Path | None = None,
) -> PotentialReport:
    """Train on a history file (optionally only the rows where COLUMN=VALUE), save the versioned model,
    and return the cross-validated figures. A model no better than the average is refused (nothing
    is written) unless `force`. With `mapping`, the history is read as `assign --mapping` reads
    accounts (scored_file), so a plan's `potential: {model: …}` finds the fields it learnt from."""
    from sklearn.metrics import mean_absolute_error, r2_score

    from territorial.scoring.model_file import fingerprint
    from territorial.scoring.potential import PotentialModel, potential_targets

    table, named = scored_file(history_path, mapping, POTENTIAL_ENTITIES)
    target, exclude = named(target), _excluded(table.frame, exclude, named, table)
    rows = rows_where(table.frame, only, table.file, named)
    frame = table.frame[rows]
    _require_column(frame, target, "target", table)
    y = potential_targets(frame.get_column(target), _Located(table, rows))  # a bad cell, by its line
    model = PotentialModel(estimator=estimator, random_state=random_state)
    try:
        model.fit(frame.drop(target), frame.get_column(target), exclude)
    except BadInput as err:
        raise err.in_file(table.file) from None
    prediction = model.cv_prediction_
    has_cv = prediction is not None
    r2 = float(r2_score(y, prediction)) if has_cv else math.nan
    warning = None
    if not r2 > AVERAGE_R2:  # nan too
        warning = _no_signal(f"cross-validated R² {r2:.4f}", f"predicts {target} no better than its average")
        _refuse_unless(force, warning, table.file)
    params = {**model.get_params(), "only": only}
    write_model_file(model.to_bytes(fingerprint(frame, target, exclude, params)), out_path)
    return PotentialReport(
        estimator=model.chosen_estimator_,
        version=model.version_,
        rows=frame.height,
        target=target,
        target_mean=float(y.mean()),
        r2=r2,
        mae=float(mean_absolute_error(y, prediction)) if has_cv else math.nan,
        candidate_r2=dict(model.cv_r2_),
        features=[f.name for f in model.features_],
        excluded=list(exclude),
        dropped=sorted(model.dropped_columns_),
        warning=warning,
    )


def load_potential_model(path: str | Path) -> PotentialModel:
    """A model file from `score train-potential`, read once per version of the file."""
    from territorial.scoring.potential import PotentialModel

    resolved = Path(path)
    if not resolved.is_file():
        return PotentialModel.from_bytes(read_model_file(resolved), str(resolved))  # refuses it in words
    stat = resolved.stat()
    return _potential_model(str(resolved.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _potential_model(path: str, _mtime_ns: int, _size: int) -> PotentialModel:
    """Cached: assigning reads the fields a model needs, then its output, from the same file."""
    from territorial.scoring.potential import PotentialModel

    return PotentialModel.from_bytes(read_model_file(path), path)


def rows_where(
    frame: pl.DataFrame,
    only: str | None,
    file: str | None = None,
    named: Callable[[str], str] = str,
) -> npt.NDArray[np.int64]:
    """Indexes of the rows kept by `COLUMN=VALUE` (text compared after trimming), or of all rows.
    `named` finds the column as the frame names it (scored_file)."""
    if only is None:
        return np.arange(frame.height, dtype=np.int64)
    column, equals, value = only.partition("=")
    column, value = column.strip(), value.strip()
    if not equals or not column:
        raise BadInput.at(f"--only must be COLUMN=VALUE, e.g. deal_stage=Won; got {only!r}", file)
    column = named(column)
    if column not in frame.columns:
        raise BadInput.at(f"--only names a column that is not in the history: '{column}'", file)
    kept = frame.get_column(column).cast(pl.String).str.strip_chars() == value
    rows = kept.fill_null(False).arg_true().to_numpy().astype(np.int64)
    if rows.size == 0:
        raise BadInput.at(f"no history rows have {column} = {value!r}", file, subject=column)
    return rows


class _Located:
    """A table's file and line numbers for the subset of its rows that `--only` kept."""

    def __init__(self, table: RawTable, rows: npt.NDArray[np.int64]) -> None:
        self.file = table.file
        self._table = table
        self._rows = rows

    def line_of(self, row: int) -> int:
        return self._table.line_of(int(self._rows[row]))


def scored_file(
    path: str | Path, mapping: str | Path | None, entities: tuple[Entity, ...]
) -> tuple[RawTable, Callable[[str], str]]:
    """A file a model learns from or scores, and how a column the user names (--label, --id...) is
    named in it. With `mapping`, it is read as `import` reads an export of the first of `entities`
    (a mapping file: of its own entity, which must be one of them), every column kept (read_mapped),
    and a column may be named as the file names it (IsConverted, CreatedDate) or as its field."""
    entity = _entity_of(mapping, entities)
    table = read_mapped(path, entity, mapping, keep_ignored=True)
    columns = set(table.frame.columns)

    def named(column: str) -> str:
        return column if column in columns else mapped_column(column, entity, mapping)

    return table, named


def _entity_of(mapping: str | Path | None, entities: tuple[Entity, ...]) -> Entity:
    """What `mapping` reads a scored file as: the first of `entities` it maps (scored_file)."""
    entity = next((e for e in entities if mapping is None or file_mapping(mapping, e) is not None), None)
    if entity is None:
        assert mapping is not None  # without one, the first entity is taken
        wanted = " or ".join(e.value for e in entities)
        other = load_mapping(mapping).entity.value
        raise BadInput.at(f"this mapping file maps {other}; this command reads {wanted}", str(mapping), 1)
    return entity


def model_columns(
    model: FitModel, frame: pl.DataFrame, entity: Entity = Entity.LEADS, mapping: str | Path | None = None
) -> pl.DataFrame:
    """`frame` with each column the model reads under the name the model knows it by: a model trained
    on HubSpot's headers finds Create Date in a file that calls it `created`, and the other way round,
    since both hold the same field (field_of; for a model saved before models named their fields, as
    the built-in CRM mappings name it). Columns already named so, and others, are left alone."""
    sources = dict.fromkeys(feature.source for feature in model.features_)
    free = [c for c in frame.columns if c not in sources]  # a column the model reads keeps its name
    renames: dict[str, str] = {}
    for column in sources:
        if column in frame.columns:
            continue
        wanted = model.fields_.get(column) or field_of(column, entity, None)
        found = next((c for c in free if c not in renames and field_of(c, entity, mapping) == wanted), None)
        if found is not None:
            renames[found] = column
    return frame.rename(renames) if renames else frame


def export_hint(table: RawTable, mapping: str | Path | None, entities: tuple[Entity, ...]) -> str:
    """ "; the file has 'Id', the id column of a Salesforce export: use --mapping salesforce" when a
    CRM export was read without a mapping, as `assign` and `import` say it: a column the model or
    the command needs is then missing only because the export names it otherwise."""
    if mapping is not None:
        return ""
    return next((hint for entity in entities if (hint := crm_export_hint(table.header, entity))), "")


def _excluded(
    frame: pl.DataFrame, columns: Sequence[str], named: Callable[[str], str], table: RawTable
) -> list[str]:
    """The columns `--exclude-columns` names, as the frame names them; one the history does not have
    is refused with the closest it does have (a typo would otherwise leave a leaking column in)."""
    found = [named(column) for column in columns]
    missing = [given for given, name in zip(columns, found, strict=True) if name not in frame.columns]
    if missing:
        headers = list(table.header) or frame.columns
        problems = []
        for given in missing:
            close = get_close_matches(given, headers, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else f"; columns are: {', '.join(headers)}"
            problems.append(
                Problem(Location(table.file, None, None, "--exclude-columns"), f"no column '{given}'{hint}")
            )
        raise BadInput(problems)
    return found


def _require_column(frame: pl.DataFrame, name: str, what: str, table: RawTable) -> None:
    if name not in frame.columns:
        columns = ", ".join(frame.columns)
        raise BadInput.at(f"there is no {what} column '{name}'; columns are: {columns}", table.file)


# ---- relevance: is an inquiry about our products -----------------------------------------------


def relevance_model(catalogue_path: str | Path, threshold: float | None = None) -> RelevanceModel:
    """The catalogue's model, fitted once per process for each version of the catalogue file and
    each threshold."""
    path = Path(catalogue_path)
    try:
        stat = path.stat()
    except OSError:
        return _relevance_model(str(path), 0, 0, threshold)  # the catalogue reader reports the file
    return _relevance_model(str(path.resolve()), stat.st_mtime_ns, stat.st_size, threshold)


@functools.lru_cache(maxsize=8)
def _relevance_model(path: str, _mtime_ns: int, _size: int, threshold: float | None) -> RelevanceModel:
    from territorial.scoring.relevance import RelevanceModel

    return RelevanceModel(threshold).fit(load_catalogue(path))


def score_relevance(
    catalogue_path: str | Path,
    input_path: str | Path,
    out_path: str | Path,
    text_column: str = "inquiry",
    id_column: str | None = None,
    threshold: float | None = None,
    on_batch: Callable[[int, int], None] | None = None,
    mapping: str | Path | None = None,
) -> int:
    """Write id, relevance (0-1, 4 decimals), product and not_relevant per row, in input order.
    `on_batch(done, total)` is called once the model is ready (done = 0) and after each batch.
    With `mapping`, the leads are read as `route --mapping` reads them (Salesforce's Description,
    HubSpot's Message: the `inquiry`). Returns the row count."""
    table, named = scored_file(input_path, mapping, FIT_ENTITIES[:1])
    frame = table.frame
    identifier = named(id_column) if id_column is not None else frame.columns[0]
    text_column = named(text_column)
    for column, option in ((identifier, "--id"), (text_column, "--text")):
        if column not in frame.columns:
            columns = ", ".join(frame.columns)
            raise BadInput.at(
                f"there is no column '{column}' (set it with {option}); the columns are {columns}"
                + export_hint(table, mapping, FIT_ENTITIES[:1]),
                table.file,
                1,
            )
    model = relevance_model(catalogue_path, threshold)  # the catalogue is read before the model loads
    texts = [t or "" for t in frame.get_column(text_column).cast(pl.String).to_list()]
    results = []
    if on_batch is not None:
        on_batch(0, len(texts))
    for start in range(0, len(texts), RELEVANCE_BATCH):
        results.extend(model.score(texts[start : start + RELEVANCE_BATCH]))
        if on_batch is not None:
            on_batch(len(results), len(texts))
    scored = pl.DataFrame(
        {
            "relevance": [round(r.score, 4) for r in results],
            "product": [r.product_id for r in results],
            "not_relevant": [not r.relevant for r in results],
        },
        schema={"relevance": pl.Float64, "product": pl.String, "not_relevant": pl.Boolean},
    )
    write_table(pl.concat([frame.select(identifier), scored], how="horizontal"), out_path)
    return frame.height
