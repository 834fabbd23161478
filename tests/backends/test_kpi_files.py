"""`kpis --engine local|duckdb|spark` gives the same book figures from an assignment file, group for
group: DuckDB's and Spark's SQL against `territorial kpis`' own code (the local engine). Spark's
case is slow (a JVM): `make test-slow` runs it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from territorial.errors import BadInput
from territorial.generate.accounts import generate_accounts
from territorial.generate.plan import generate_plan
from territorial.services.scale_assign import assign_at_scale
from territorial.services.scale_kpis import kpis_of_file

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.slow)]
GROUPINGS = ["territory", "rep", "layer"]


@pytest.fixture(scope="module")
def assignment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated book assigned by the local engine, as a folder of files, with rows added for
    what a generated plan may lack: an account in no territory, a vacant territory, an overlap and
    a tie, a workload left empty, and an account on a second layer."""
    work = tmp_path_factory.mktemp("kpis")
    (work / "plan.yaml").write_text(generate_plan(60, 3))
    generate_accounts(3_000, 3).write_parquet(work / "accounts.parquet")
    assign_at_scale(
        work / "plan.yaml", work / "accounts.parquet", work / "assigned", "local", single_file=False
    )
    rows = pl.read_parquet(sorted((work / "assigned").glob("*.parquet")))
    # Workloads whose sums round: an engine that added them in another order would differ.
    rng = np.random.default_rng(3)
    workload = pl.DataFrame({"account_id": rows.get_column("account_id").unique().sort()})
    workload = workload.with_columns(pl.Series("workload", rng.lognormal(0.0, 1.5, workload.height)))
    rows = rows.drop("workload").join(workload, on="account_id", how="left").select(rows.columns)
    extra = pl.DataFrame(
        {
            "account_id": ["Z-1", "Z-2", "Z-3", "Z-3", "Z-4"],
            "layer": ["primary", "primary", "primary", "overlay", "primary"],
            "territory_id": [None, "VACANT-1", "T-X", "O-1", "T-X"],
            "rep_id": [None, None, "rep-x", "rep-o", "rep-x"],
            "overlaps": ["", "", "T-Y", "", None],
            "tie": [False, False, True, False, None],
            "workload": [1.5, 0.1, None, 2.0, 0.2],
        }
    )
    # Out of account_id order: a sum in the files' order would not be the ordered one.
    rows = pl.concat([rows, extra], how="diagonal_relaxed").sample(fraction=1.0, shuffle=True, seed=3)
    (work / "rows").mkdir()
    rows.head(1_000).write_parquet(work / "rows" / "a.parquet")
    rows.slice(1_000).write_parquet(work / "rows" / "b.parquet")
    return work / "rows"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("by", GROUPINGS)
def test_each_engine_counts_the_local_figures(engine: str, by: str, assignment: Path, tmp_path: Path) -> None:
    kpis_of_file(assignment, tmp_path / "local.parquet", "local", by)
    local = pl.read_parquet(tmp_path / "local.parquet")
    assert local.height > 3 and local.get_column("accounts").sum() > 3_000
    master = "local[2]" if engine == "spark" else None
    groups = kpis_of_file(assignment, tmp_path / "scaled.parquet", engine, by, spark_master=master)
    assert groups == local.height
    assert_frame_equal(pl.read_parquet(tmp_path / "scaled.parquet"), local, check_exact=True)


def test_the_added_cases_land_in_their_groups(assignment: Path, tmp_path: Path) -> None:
    kpis_of_file(assignment, tmp_path / "by-rep.parquet", "duckdb", "rep")
    by_rep = {row["group"]: row for row in pl.read_parquet(tmp_path / "by-rep.parquet").iter_rows(named=True)}
    assert by_rep["rep-x"] == {"group": "rep-x", "accounts": 2, "workload": 0.2, "overlaps": 1, "ties": 1}
    assert by_rep["(vacant)"]["accounts"] >= 1 and "(no territory)" in by_rep
    kpis_of_file(assignment, tmp_path / "by-layer.parquet", "duckdb", "layer")
    layers = pl.read_parquet(tmp_path / "by-layer.parquet").get_column("group").to_list()
    assert "overlay" in layers and layers[-1] == "(no territory)"


@pytest.mark.parametrize(
    ("by", "said"),
    [("team", "kpis --engine groups by territory, rep, layer, not 'team'")],
)
def test_a_grouping_that_needs_the_workspace_is_refused(
    by: str, said: str, assignment: Path, tmp_path: Path
) -> None:
    with pytest.raises(BadInput, match=said):
        kpis_of_file(assignment, tmp_path / "x.parquet", "duckdb", by)


def test_a_file_that_is_not_an_assignment_is_refused(tmp_path: Path) -> None:
    pl.DataFrame({"account_id": ["A"], "layer": ["primary"]}).write_parquet(tmp_path / "a.parquet")
    with pytest.raises(BadInput, match="expected an assignment written by `assign --engine`; it has no"):
        kpis_of_file(tmp_path / "a.parquet", tmp_path / "x.parquet", "duckdb")


def test_the_workloads_would_show_a_sum_in_another_order(assignment: Path, tmp_path: Path) -> None:
    """The equality above means something: these workloads, added in polars' own order rather than
    account_id order, give another primary total in the last digits."""
    kpis_of_file(assignment, tmp_path / "by-layer.parquet", "local", "layer")
    figures = dict(pl.read_parquet(tmp_path / "by-layer.parquet").select("group", "workload").iter_rows())
    rows = pl.read_parquet(sorted(assignment.glob("*.parquet")))
    plain = rows.filter(pl.col("layer") == "primary", pl.col("territory_id").is_not_null())
    assert plain.get_column("workload").fill_null(0.0).sum() != figures["primary"]
    assert plain.get_column("workload").fill_null(0.0).sum() == pytest.approx(figures["primary"])
