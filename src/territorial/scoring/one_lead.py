"""Scoring one lead without the libraries' per-call overhead: the fitted parts read as flat arrays.

scikit-learn's batch prediction is the reference. These give the same chances, computed in the same
order (a mean of a few members may differ in the last bit). They read scikit-learn's fitted internals
(the version is pinned), so the tests that compare both paths on real leads guard an upgrade.
Each `chances(x, moved, typical)` returns the chance for the row `x`, then for each copy of `x` in
which one moved feature is set to its typical value (what the reasons compare with)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from territorial.scoring.category_boosting import CategoryBoosting
from territorial.scoring.features import Matrix, TargetOrderedCodes, column_owners

Indices = npt.NDArray[np.intp]
Vector = npt.NDArray[np.float64]
_BITS = 32  # scikit-learn's category bitsets are rows of 8 uint32 words
_CHECK_EVERY = 3  # forest levels walked between checks that every row has reached a leaf
_LEVELS = 256  # category codes a boosted-tree model can hold (at most 255 bins)


def with_typical(x: Vector, moved: Sequence[int], typical: Vector) -> Matrix:
    """`x`, then one copy of it per moved feature with that feature set to its typical value."""
    rows = np.tile(x, (1 + len(moved), 1))
    for row, feature in enumerate(moved, start=1):
        rows[row, feature] = typical[feature]
    return rows


class BoostedBag:
    """A soft-voting bag of HistGradientBoostingClassifier models as one table of nodes.

    Each member first reorders the columns (categories first) and renumbers each category's codes
    (OrdinalEncoder; unknown codes are missing), so every member's view of the row is one block of an
    extended row. Every node of every tree is one entry of the table: number splits first, then
    category splits, then leaves, which point to themselves, so walking `depth` steps from the roots
    reaches every tree's leaf at once. A node's next node depends only on its own input column, so a
    copy of the row that differs in one feature takes another path only in the trees whose path
    splits on that feature the other way."""

    def __init__(self, voting: VotingClassifier, typical: Vector) -> None:
        members: list[HistGradientBoostingClassifier] = list(voting.estimators_)
        if voting.weights is not None or any(m.n_trees_per_iteration_ != 1 for m in members):
            raise ValueError("only unweighted bags of binary boosted trees are supported")
        width = len(typical)
        sources: list[Indices] = []
        tables: list[Vector] = []
        renumbered: list[int] = []
        nodes_of: list[Any] = []
        column_of: list[Indices] = []
        left_bits: list[npt.NDArray[np.uint32]] = [np.zeros((0, 8), np.uint32)]
        known_bits: list[npt.NDArray[np.uint32]] = [np.zeros((0, 8), np.uint32)]
        roots: list[int] = []
        count = 0
        for number, member in enumerate(members):
            source, codes = _member_columns(member, width)
            sources.append(source)
            renumbered += [number * width + column for column in codes]
            tables += list(codes.values())
            known, f_idx_map = member._bin_mapper.make_known_categories_bitsets()
            for (predictor,) in member._predictors:
                nodes = predictor.nodes
                roots.append(count)
                nodes_of.append(nodes)
                column_of.append(number * width + nodes["feature_idx"].astype(np.intp))
                count += len(nodes)
                split = nodes["is_categorical"].astype(bool) & ~nodes["is_leaf"].astype(bool)
                left_bits.append(predictor.raw_left_cat_bitsets[nodes["bitset_idx"][split]])
                known_bits.append(known[f_idx_map[nodes["feature_idx"][split]]])
        every = np.concatenate(nodes_of)
        offsets = np.repeat(np.array(roots, dtype=np.intp), [len(n) for n in nodes_of])
        leaf = every["is_leaf"].astype(bool)
        category = every["is_categorical"].astype(bool) & ~leaf
        number_split = ~leaf & ~category
        order = np.concatenate([np.flatnonzero(number_split), np.flatnonzero(category), np.flatnonzero(leaf)])
        renumber = np.empty(len(every), dtype=np.intp)
        renumber[order] = np.arange(len(every))
        every, column = every[order], np.concatenate(column_of)[order]
        self.numbers = int(number_split.sum())
        self.splits = self.numbers + int(category.sum())
        self.roots: Indices = renumber[np.array(roots, dtype=np.intp)]
        self.left: Indices = renumber[every["left"].astype(np.intp) + offsets[order]]
        self.right: Indices = renumber[every["right"].astype(np.intp) + offsets[order]]
        self.value: Vector = every["value"].astype(np.float64)
        missing_left = every["missing_go_to_left"].astype(bool)

        # The extended row: each member's columns, in its order, from the row's features.
        self.source: Indices = np.concatenate(sources)
        self.renumbered: Indices = np.array(renumbered, dtype=np.intp)
        self.tables: Matrix = np.stack(tables) if tables else np.zeros((0, _LEVELS))
        self.origin: Indices = self.source[column]  # the feature each node splits on
        # A number split reads its column, or, when missing values go left, a copy of the extended
        # row in which missing is -inf: `value <= threshold` then decides both cases.
        extended_width = len(self.source)
        numbers = slice(0, self.numbers)
        self.number_column: Indices = column[numbers] + extended_width * missing_left[numbers]
        self.threshold: Vector = every["num_threshold"][numbers].astype(np.float64)
        # A category split looks its code up in a row of 257 answers, the last one for missing.
        categories = slice(self.numbers, self.splits)
        self.category_column: Indices = column[categories]
        self.category_base: Indices = np.arange(self.splits - self.numbers, dtype=np.intp) * (_LEVELS + 1)
        self.goes_left: npt.NDArray[np.bool_] = _category_answers(
            np.concatenate(left_bits),  # in the old order of category splits, which is kept
            np.concatenate(known_bits),
            missing_left[categories],
        ).ravel()
        self.members = len(members)
        # Where each tree's value and each member's baseline go in a row of sums (see `chances`).
        trees_of = [len(member._predictors) for member in members]
        firsts = np.cumsum([0, *[n + 1 for n in trees_of[:-1]]])
        self.member_spans = [slice(int(f), int(f) + n + 1) for f, n in zip(firsts, trees_of, strict=True)]
        self.baseline_slots: Indices = firsts.astype(np.intp)
        self.value_slots: Indices = np.concatenate(
            [f + 1 + np.arange(n, dtype=np.intp) for f, n in zip(firsts, trees_of, strict=True)]
        )
        self.baselines: Vector = np.array(
            [float(np.asarray(m._baseline_prediction).ravel()[0]) for m in members], dtype=np.float64
        )
        self.depth = int(every["depth"].max()) if len(every) else 0
        self.typical_next = self.next_nodes(typical)

    def extended(self, x: Vector) -> Vector:
        """Each member's input row, side by side, as its OrdinalEncoder makes it."""
        row = x[self.source]
        if self.renumbered.size:
            code = row[self.renumbered]
            # Codes are small whole numbers; any other value is unknown to the encoder: missing.
            whole = (code >= 0) & (code < _LEVELS) & (code == np.floor(code))
            index = np.where(whole, code, 0.0).astype(np.intp)
            row[self.renumbered] = np.where(whole, self.tables[np.arange(code.size), index], np.nan)
        return row

    def next_nodes(self, x: Vector) -> Indices:
        """For every node, the node that row `x` goes to next (a leaf: itself), by the rules of
        scikit-learn's `_predict_one_from_raw_data`."""
        row = self.extended(x)
        # A missing or negative code goes the way missing values go; the C code reads the code as a
        # byte, so a fraction counts as its whole part.
        code = np.where((row >= 0) & (row < _LEVELS), row, _LEVELS).astype(np.intp)
        both = np.concatenate([row, np.where(np.isnan(row), -np.inf, row)])
        following = np.arange(len(self.value), dtype=np.intp)
        numbers, categories = slice(0, self.numbers), slice(self.numbers, self.splits)
        following[numbers] = np.where(
            both[self.number_column] <= self.threshold, self.left[numbers], self.right[numbers]
        )
        following[categories] = np.where(
            self.goes_left[self.category_base + code[self.category_column]],
            self.left[categories],
            self.right[categories],
        )
        return following

    def chances(self, x: Vector, moved: Sequence[int], typical: Vector) -> Vector:
        following = self.next_nodes(x)
        node = self.roots
        path = [node]
        for _ in range(self.depth):
            node = following[node]
            path.append(node)
        # Each member's raw score is its baseline plus its trees in order, summed one by one as
        # scikit-learn does: a cumulative sum over [baseline, tree 1, tree 2, ...] keeps that order.
        row = np.empty(len(self.value_slots) + self.members, dtype=np.float64)
        row[self.baseline_slots] = self.baselines
        row[self.value_slots] = self.value[node]
        values = np.tile(row, (1 + len(moved), 1))
        if moved:
            self._add_typical_paths(values, following, np.stack(path[:-1]), moved)
        raw = np.stack([np.cumsum(values[:, span], axis=1)[:, -1] for span in self.member_spans], axis=1)
        chance = expit(raw)
        total = chance[:, 0].copy()
        for member in range(1, self.members):
            total += chance[:, member]
        return total / self.members  # type: ignore[no-any-return]

    def _add_typical_paths(
        self, values: Matrix, following: Indices, path: Indices, moved: Sequence[int]
    ) -> None:
        """Put into row 1 + k the leaves reached when the k-th moved feature takes its typical value."""
        flips = self.typical_next[path] != following[path]
        if not flips.any():
            return
        row_of = np.zeros(int(self.origin.max(initial=0)) + 1, dtype=np.intp)
        row_of[np.asarray(moved, dtype=np.intp)] = np.arange(1, len(moved) + 1)
        depth_at, tree = np.nonzero(flips)
        # A tree whose path flips twice on one feature is walked twice, to the same leaf.
        rows = row_of[self.origin[path[depth_at, tree]]]
        feature = np.asarray(moved, dtype=np.intp)[rows - 1]
        node = self.roots[tree]
        for _ in range(self.depth):
            node = np.where(self.origin[node] == feature, self.typical_next[node], following[node])
        values[rows, self.value_slots[tree]] = self.value[node]


def _category_answers(
    left_bits: npt.NDArray[np.uint32], known_bits: npt.NDArray[np.uint32], missing_left: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Per category split and code 0-255, whether the code goes left; code 256 stands for missing.
    A code in the split's left set goes left, another known code right, an unknown one as missing."""
    codes = np.arange(_LEVELS)
    word, bit = codes // _BITS, (codes % _BITS).astype(np.uint32)
    in_left = ((left_bits[:, word] >> bit) & 1).astype(bool)
    in_known = ((known_bits[:, word] >> bit) & 1).astype(bool)
    answers = np.where(in_left | in_known, in_left, missing_left[:, None])
    return np.concatenate([answers, missing_left[:, None]], axis=1)


def _member_columns(member: HistGradientBoostingClassifier, width: int) -> tuple[Indices, dict[int, Vector]]:
    """The feature behind each input column of a boosted-tree model, and for its renumbered category
    columns a table from code to the model's code (NaN: unknown or missing)."""
    preprocessor = member._preprocessor
    if preprocessor is None:
        return np.arange(width, dtype=np.intp), {}
    source = np.empty(width, dtype=np.intp)
    renumbered: dict[int, Vector] = {}
    for name, transformer, mask in preprocessor.transformers_:
        if name == "remainder":
            continue
        output = preprocessor.output_indices_[name]
        columns = np.flatnonzero(np.asarray(mask, dtype=bool))
        source[output] = columns
        if name != "encoder":
            continue
        for offset, levels in enumerate(transformer.categories_):
            table = np.full(_LEVELS, np.nan)
            for code, level in enumerate(levels):
                if np.isnan(level):
                    continue
                if not (0 <= level < _LEVELS and level == int(level)):
                    raise ValueError("category codes must be small whole numbers")
                table[int(level)] = code
            renumbered[output.start + offset] = table
    return source, renumbered


class Forest:
    """Target-ordered codes, then an ExtraTreesClassifier, as one table of nodes.

    Leaves point to themselves, so walking the deepest tree's depth from the roots reaches every
    tree's leaf, for every row at once; a node goes left when `value <= threshold`, reading a copy
    of the row in which missing is -inf when missing values go left (scikit-learn's `_apply_dense`)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.order: TargetOrderedCodes = pipeline.named_steps["order"]
        forest: ExtraTreesClassifier = pipeline.named_steps["trees"]
        if list(forest.classes_) != [0, 1] or forest.n_outputs_ != 1:
            raise ValueError("only a forest of 0/1 labels is supported")
        trees = [estimator.tree_ for estimator in forest.estimators_]
        self.width = int(forest.n_features_in_)
        counts = [tree.node_count for tree in trees]
        self.roots: Indices = np.cumsum([0, *counts[:-1]]).astype(np.intp)
        offsets = np.repeat(self.roots, counts)
        leaf = np.concatenate([tree.children_left == -1 for tree in trees])
        own = np.arange(len(leaf), dtype=np.intp)
        left = np.where(leaf, own, np.concatenate([t.children_left for t in trees]) + offsets)
        right = np.where(leaf, own, np.concatenate([t.children_right for t in trees]) + offsets)
        # Children as (right, left): `2 * node + goes_left` is the next node.
        self.children: Indices = np.stack([right, left], axis=1).ravel().astype(np.intp)
        self.leaf = leaf
        feature = np.where(leaf, 0, np.concatenate([t.feature for t in trees])).astype(np.intp)
        missing_left = np.concatenate([t.missing_go_to_left for t in trees]).astype(bool)
        self.column: Indices = feature + self.width * missing_left
        self.threshold: Vector = np.concatenate([t.threshold for t in trees]).astype(np.float64)
        # The fraction of converted training rows in each leaf: what a tree's predict_proba gives.
        self.converting: Vector = np.concatenate([t.value[:, 0, 1] for t in trees]).astype(np.float64)
        self.depth = max(tree.max_depth for tree in trees)
        # Target-ordered codes as a lookup: code -> rank (or the middle rank for an unseen code).
        self.ordered_columns: Indices = np.array(sorted(self.order.ranks_), dtype=np.intp)
        self.ranks: Matrix = (
            np.stack([_rank_table(self.order.ranks_[c]) for c in self.ordered_columns])
            if len(self.ordered_columns)
            else np.zeros((0, _LEVELS))
        )

    def ordered(self, rows: Matrix) -> Matrix:
        """`TargetOrderedCodes.transform`, by lookup while codes are small whole numbers."""
        if not len(self.ordered_columns):
            return rows
        codes = rows[:, self.ordered_columns]
        present = ~np.isnan(codes)
        index = np.where(present, codes, 0.0)
        if not ((index >= 0) & (index < _LEVELS)).all():
            return self.order.transform(rows)
        result = rows.copy()
        looked_up = self.ranks[np.arange(len(self.ordered_columns)), index.astype(np.intp)]
        result[:, self.ordered_columns] = np.where(present, looked_up, np.nan)
        return result

    def chances(self, x: Vector, moved: Sequence[int], typical: Vector) -> Vector:
        rows = self.ordered(with_typical(x, moved, typical)).astype(np.float32)
        both = np.concatenate([rows, np.where(np.isnan(rows), -np.inf, rows)], axis=1).ravel()
        trees = len(self.roots)
        node = np.tile(self.roots, rows.shape[0])  # row by row, every tree's node
        start = np.repeat(np.arange(rows.shape[0], dtype=np.intp) * 2 * self.width, trees)
        for level in range(1, self.depth + 1):
            node = self.children[2 * node + (both[start + self.column[node]] <= self.threshold[node])]
            # Most paths are much shorter than the deepest one.
            if level % _CHECK_EVERY == 0 and self.leaf[node].all():
                break
        node = node.reshape(rows.shape[0], trees)
        # scikit-learn adds the trees one by one to zeros, then divides by their number.
        return np.cumsum(self.converting[node], axis=1)[:, -1] / len(self.roots)


def _rank_table(ranks: Vector) -> Vector:
    """Code -> rank for codes 0-255, as `TargetOrderedCodes.transform` maps them."""
    table = np.full(_LEVELS, float(len(ranks) // 2))
    kept = min(len(ranks), _LEVELS)
    table[:kept] = ranks[:kept]
    return table


class Linear:
    """`linear_columns` and a LogisticRegression as plain arithmetic on one row."""

    def __init__(self, pipeline: Pipeline) -> None:
        columns: ColumnTransformer = pipeline.named_steps["columns"]
        model: LogisticRegression = pipeline.named_steps["model"]
        if model.coef_.shape[0] != 1:
            raise ValueError("only a two-class logistic model is supported")
        self.coef: Vector = np.asarray(model.coef_[0], dtype=np.float64)
        self.intercept = float(model.intercept_[0])
        self.owners: Indices = np.array(column_owners(columns), dtype=np.intp)  # feature of each column
        # Per feature: ("category", fill, levels) or ("number", median, flagged, means, scales).
        self.steps: list[tuple[Any, ...]] = []
        for name, steps, _columns in columns.transformers_:
            if name == "remainder":
                continue
            if "onehot" in steps.named_steps:
                imputer = steps.named_steps["missing"]
                levels = np.asarray(steps.named_steps["onehot"].categories_[0], dtype=np.float64)
                self.steps.append(("category", float(imputer.fill_value), levels))
            else:
                imputer = steps.named_steps["missing"]
                scaler = steps.named_steps["scale"]
                flagged = imputer.indicator_ is not None and len(imputer.indicator_.features_) > 0
                self.steps.append(
                    (
                        "number",
                        float(imputer.statistics_[0]),
                        flagged,
                        np.asarray(scaler.mean_, dtype=np.float64),
                        np.asarray(scaler.scale_, dtype=np.float64),
                    )
                )

    def columns(self, x: Vector) -> Vector:
        """The row as `linear_columns` transforms it."""
        parts: list[Vector] = []
        for index, step in enumerate(self.steps):
            value = float(x[index])
            if step[0] == "category":
                _kind, fill, levels = step
                parts.append((levels == (fill if np.isnan(value) else value)).astype(np.float64))
            else:
                _kind, median, flagged, means, scales = step
                missing = np.isnan(value)
                block = [median if missing else value, 1.0 if missing else 0.0][: 2 if flagged else 1]
                parts.append((np.array(block, dtype=np.float64) - means) / scales)
        return np.concatenate(parts)

    def chances(self, x: Vector, moved: Sequence[int], typical: Vector) -> Vector:
        transformed = np.stack([self.columns(row) for row in with_typical(x, moved, typical)])
        # Row by row, so that a row's chance does not depend on how many rows come with it.
        return expit((transformed * self.coef).sum(axis=1) + self.intercept)  # type: ignore[no-any-return]


class Categorical:
    """CatBoost's own prediction: one call for the row and its copies costs about 0.15 ms, and its
    model (oblivious trees over target statistics) is not read from outside."""

    def __init__(self, part: CategoryBoosting) -> None:
        self.part = part

    def chances(self, x: Vector, moved: Sequence[int], typical: Vector) -> Vector:
        return self.part.predict_proba(with_typical(x, moved, typical))[:, 1]


def compile_part(part: Any, typical: Vector) -> BoostedBag | Forest | Linear | Categorical:
    """The one-lead form of a fitted part of a FitModel."""
    if isinstance(part, CategoryBoosting):
        return Categorical(part)
    if isinstance(part, VotingClassifier):
        return BoostedBag(part, typical)
    if "order" in part.named_steps:
        return Forest(part)
    return Linear(part)
