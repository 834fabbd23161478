"""`territorial forecast` through the CLI: on the CRM Sales Opportunities data (the backtest over a
reduced span, with the harness of benchmarks/forecast_backtest.py) and with bad options."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from conftest import run_cli, shared_data
from territorial.evaluate.backtest import BASELINES, FORECAST, scorecard

MAVEN = shared_data("crm-sales-opportunities")
needs_data = pytest.mark.skipif(
    not MAVEN.is_dir(), reason="the CRM Sales Opportunities data is in ../shared/data"
)


def harness() -> ModuleType:
    """benchmarks/forecast_backtest.py, whose walk the test runs over a reduced span."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "forecast_backtest.py"
    spec = importlib.util.spec_from_file_location("forecast_backtest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def crm(crm_workspace: Path) -> Path:
    return crm_workspace


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("forecast-empty")
    assert run_cli(folder, "init").returncode == 0
    return folder


@needs_data
def test_forecast_on_the_crm_data_says_what_it_left_out(crm: Path) -> None:
    args = [
        "forecast",
        "--as-of",
        "2017-08-31",
        "--by",
        "regional_office",
        "--price-list",
        MAVEN / "products.csv",
    ]
    result = run_cli(crm, *args, "--out", "f.csv")
    assert result.returncode == 0, result.stderr
    assert "Bookings forecast by regional_office as of 2017-08-31" in result.stdout
    assert "500 deals without a created day are left out" in result.stdout
    assert "have no stage recorded by then" in result.stdout
    table = pl.read_csv(crm / "f.csv", try_parse_dates=True)
    assert table.columns == ["group", "period_start", "forecast", "low", "high"]
    assert table.get_column("group").unique().sort().to_list() == ["Central", "East", "West"]
    # August is over on its last day: its forecast is what closed won in it, with no spread.
    august = table.filter(pl.col("period_start") == date(2017, 8, 1))
    pipeline = pl.read_csv(MAVEN / "sales_pipeline.csv", try_parse_dates=True)
    won = pipeline.filter(
        (pl.col("deal_stage") == "Won") & (pl.col("close_date").dt.strftime("%Y-%m") == "2017-08")
    )
    assert august.get_column("forecast").sum() == pytest.approx(won.get_column("close_value").sum())
    assert (august.get_column("low") == august.get_column("high")).all()


@needs_data
def test_the_backtest_over_a_reduced_span_beats_the_baselines_it_should(crm: Path) -> None:
    """Target months 2017-07 and 2017-08 at office level (settings were chosen on them): lower WAPE than
    last month, the trailing 3-month mean and the open pipeline; the same month of the previous quarter
    is the strong baseline on this data (see the README's table)."""
    rows = harness().backtest(
        crm, [date(2017, 7, 1), date(2017, 8, 1)], "regional_office", MAVEN / "products.csv"
    )
    card = {r["method"]: r for r in scorecard(rows).iter_rows(named=True)}
    assert set(card) == {FORECAST, *BASELINES}
    ours = card[FORECAST]["wape"]
    assert ours < 0.25
    for baseline in ("last month", "trailing 3-month mean", "open pipeline"):
        assert ours < card[baseline]["wape"], baseline
    assert 0.5 <= card[FORECAST]["coverage"] <= 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2017-13-01"], "--as-of: '2017-13-01' is not a day; expected YYYY-MM-DD"),
        (["--grain", "week"], "--grain: --grain is month or quarter, not 'week'"),
        (["--horizon", "0"], "--horizon: --horizon counts periods from 1 to 36, not 0"),
        (["--by", "region"], "--by: cannot group by 'region'"),
        (["--price-list", "missing.csv"], "missing.csv"),
    ],
)
def test_bad_options_exit_2_naming_the_option(empty: Path, args: list[str], message: str) -> None:
    result = run_cli(empty, "forecast", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
