"""The duckdb and spark engines give the local engine's rows, row for row (territory, rep,
overlaps, tie, reason): on a generated book and plan, on the hand-made semantics cases, on
hypothesis plans, and on text whose lower-casing differs between Python and DuckDB or a JVM.
Spark's cases are slow (a JVM, and seconds per run): `make test-slow` runs them."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from polars.testing import assert_frame_equal

from conftest import examples, run_plan
from territorial.backends.duckdb_engine import DuckdbEngine
from territorial.backends.job import AssignEngine, AssignJob, AssignTotals, ParquetOut
from territorial.backends.local import LocalEngine
from territorial.backends.spark_engine import SparkEngine
from territorial.domain.assignment import RESULT_COLUMNS, Assignment
from territorial.errors import BadInput
from territorial.generate.accounts import generate_accounts
from territorial.generate.plan import generate_plan
from territorial.io.plan_file import parse_plan
from territorial.progress import silent

TESTS = Path(__file__).resolve().parents[1]


def sibling_module(relative: str) -> ModuleType:
    """Another test module, loaded by its path (the tests are not a package)."""
    spec = importlib.util.spec_from_file_location(f"_agree_{Path(relative).stem}", TESTS / relative)
    assert spec is not None and spec.loader is not None
    if spec.name in sys.modules:
        return sys.modules[spec.name]
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


# Each scale engine, checked against the local one; spark only in `make test-slow`.
ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.slow)]


def scale_engine(name: str) -> AssignEngine:
    """Spark on two cores, this machine's; its session is started once and kept for every test."""
    return DuckdbEngine() if name == "duckdb" else SparkEngine("local[2]")


def both_engines(
    plan_text: str, accounts: Path, work: Path, scaled: str = "duckdb"
) -> tuple[pl.DataFrame, AssignTotals]:
    """Run the plan on the local engine and the `scaled` one; their rows must be equal. The local
    engine's rows and totals are returned."""
    plan = parse_plan(plan_text, "plan.yaml")
    outputs: dict[str, tuple[pl.DataFrame, AssignTotals]] = {}
    for engine in (LocalEngine(), scale_engine(scaled)):
        out = ParquetOut(work / f"{engine.name}.parquet")
        job = AssignJob(
            plan,
            (str(accounts),),
            str(accounts),
            out,
            memory_limit="1GB" if engine.name == "duckdb" else None,
        )
        totals = engine.assign(job, silent)
        outputs[engine.name] = (pl.read_parquet(out.path), totals)
    (local, local_totals), (duck, duck_totals) = outputs["local"], outputs[scaled]
    assert duck.columns == RESULT_COLUMNS
    assert_frame_equal(duck, local, check_exact=True)
    assert (duck_totals.accounts, duck_totals.rows, duck_totals.unassigned, duck_totals.ties) == (
        local_totals.accounts,
        local_totals.rows,
        local_totals.unassigned,
        local_totals.ties,
    )
    assert duck_totals.skipped_on_null == local_totals.skipped_on_null
    return local, local_totals


def as_parquet(rows: list[dict[str, Any]], path: Path) -> Path:
    """Rows given as text, as the semantics tests' books are (conftest.book_of)."""
    columns = {key: pl.String for row in rows for key in row}
    frame = pl.DataFrame(
        [{key: None if row.get(key) is None else str(row[key]) for key in columns} for row in rows],
        schema=columns,
    )
    frame.write_parquet(path)
    return path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    work = tmp_path_factory.mktemp("generated")
    accounts = work / "accounts.parquet"
    generate_accounts(20_000, 7).write_parquet(accounts)
    return generate_plan(500, 7), accounts


@pytest.mark.parametrize("scaled", ENGINES)
def test_generated_book_and_plan_agree(generated: tuple[str, Path], tmp_path: Path, scaled: str) -> None:
    plan_text, accounts = generated
    rows, totals = both_engines(plan_text, accounts, tmp_path, scaled)
    assert totals.accounts == 20_000
    # The comparison means something: overlaps, ties, pools and several layers all occur.
    assert rows.get_column("layer").n_unique() >= 2
    assert (rows.get_column("overlaps") != "").sum() > 0
    assert rows.get_column("reason").str.contains("least-loaded").any()
    assert rows.get_column("reason").str.contains("current owner").any()


@pytest.mark.slow
@pytest.mark.parametrize("scaled", ["duckdb", "spark"])
def test_200000_accounts_and_a_2000_territory_plan_agree(
    tmp_path_factory: pytest.TempPathFactory, scaled: str
) -> None:
    """The issue's size for the equivalence run: every engine's rows equal the local engine's."""
    work = tmp_path_factory.mktemp("large")
    accounts = work / "accounts.parquet"
    generate_accounts(200_000, 11).write_parquet(accounts)
    rows, totals = both_engines(generate_plan(2_000, 11), accounts, work, scaled)
    assert totals.accounts == 200_000 and rows.height > 200_000


@pytest.mark.parametrize("scaled", ENGINES)
def test_a_folder_of_files_and_a_partitioned_output(
    generated: tuple[str, Path], tmp_path: Path, scaled: str
) -> None:
    plan_text, accounts = generated
    folder = tmp_path / "in"
    folder.mkdir()
    book = pl.read_parquet(accounts).head(5_000)
    book.head(2_000).write_parquet(folder / "a.parquet")
    book.slice(2_000).write_parquet(folder / "b.parquet")
    book.write_parquet(tmp_path / "whole-book.parquet")
    plan = parse_plan(plan_text, "plan.yaml")
    whole = tmp_path / "whole.parquet"
    LocalEngine().assign(
        AssignJob(plan, (str(tmp_path / "whole-book.parquet"),), "x", ParquetOut(whole)), silent
    )
    sources = (str(folder / "a.parquet"), str(folder / "b.parquet"))
    parts = ParquetOut(tmp_path / "parts", single_file=False, partition_by=("layer",))
    scale_engine(scaled).assign(AssignJob(plan, sources, str(folder), parts), silent)
    assert sorted(p.name for p in parts.path.iterdir()) == sorted(f"layer={layer}" for layer in plan.layers)
    read = pl.read_parquet(parts.path / "**" / "*.parquet", hive_partitioning=True)
    expected = pl.read_parquet(whole)
    assert_frame_equal(
        read.select(RESULT_COLUMNS).sort("account_id", "layer"), expected.sort("account_id", "layer")
    )


def semantics_cases() -> list[tuple[str, Callable[[], None]]]:
    module = sibling_module("engine/test_assign_semantics.py")
    return [
        (name, fn) for name, fn in inspect.getmembers(module, inspect.isfunction) if name.startswith("test_")
    ]


@pytest.mark.parametrize("scaled", ENGINES)
@pytest.mark.parametrize(("name", "case"), semantics_cases(), ids=[name for name, _ in semantics_cases()])
def test_semantics_cases_agree(name: str, case: Callable[[], None], tmp_path: Path, scaled: str) -> None:
    """Each hand-made semantics test, with its plan and accounts also run through both engines:
    the test's own assertions hold, and the engines give the same rows as its book did."""
    module = inspect.getmodule(case)
    ran: list[int] = []

    def through_engines(plan_text: str, rows: list[dict[str, Any]]) -> Assignment:
        result = run_plan(plan_text, rows)
        work = tmp_path / str(len(ran))
        work.mkdir()
        got, _totals = both_engines(plan_text, as_parquet(rows, work / "accounts.parquet"), work, scaled)
        assert_frame_equal(got, result.rows.select(RESULT_COLUMNS), check_exact=True)
        ran.append(1)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "run_plan", through_engines)
        case()
    assert ran, f"{name} ran no plan"


TEXT_PLAN = """\
name: text
territories:
  - id: GREEK
    rule: street = 'οδος'
    reps: [r1]
  - id: GREEK-UPPER
    rule: street LIKE '%ΟΔΟΣ'
    reps: [r2]
  - id: ISTANBUL
    rule: city = 'İstanbul'
    reps: [r3]
  - id: PLAIN-I
    rule: city IN ('istanbul', 'ankara')
    reps: [r4]
  - id: STRASSE
    rule: street LIKE '%strasse%'
    reps: [r5]
  - id: SHARP-S
    layer: overlay
    rule: street = 'straße' OR street LIKE '_traße'
    reps: [r6, r7]
"""


@pytest.mark.parametrize("scaled", ENGINES)
def test_text_is_lower_cased_as_python_does(tmp_path: Path, scaled: str) -> None:
    """'ΟΔΟΣ'.lower() ends in a final sigma, 'İ'.lower() is i + a combining dot: DuckDB's lower
    gives neither, so the engines must lower-case by the reference to agree."""
    rows = [
        {"account_id": "1", "street": "ΟΔΟΣ", "city": "Athens"},
        {"account_id": "2", "street": "οδοσ", "city": "Athens"},
        {"account_id": "3", "street": "Main", "city": "İSTANBUL"},
        {"account_id": "4", "street": "Main", "city": "ISTANBUL"},
        {"account_id": "5", "street": "HAUPTSTRASSE", "city": "Berlin"},
        {"account_id": "6", "street": "Straße", "city": "Berlin"},
        {"account_id": "7", "street": "STRAẞE", "city": "Berlin"},
    ]
    rows_out, _totals = both_engines(TEXT_PLAN, as_parquet(rows, tmp_path / "text.parquet"), tmp_path, scaled)
    primary = dict(rows_out.filter(pl.col("layer") == "primary").select("account_id", "territory_id").rows())
    # Python: 'ΟΔΟΣ'.lower() == 'οδος' (GREEK, and GREEK-UPPER's pattern lowers alike); 'οδοσ' is
    # neither; 'İSTANBUL'.lower() == 'i̇stanbul' == 'İstanbul'.lower(), not 'istanbul'.
    assert primary == {
        "1": "GREEK",
        "2": None,
        "3": "ISTANBUL",
        "4": "PLAIN-I",
        "5": "STRASSE",
        "6": None,
        "7": None,
    }
    overlay = set(rows_out.filter(pl.col("layer") == "overlay").get_column("account_id"))
    assert overlay == {"6", "7"}  # 'STRAẞE'.lower() == 'straße'; 'STRASSE' is not 'straße'
    greek = rows_out.filter(pl.col("account_id") == "1", pl.col("layer") == "primary").row(0, named=True)
    assert greek["overlaps"] == "GREEK-UPPER"


PROPERTIES = sibling_module("engine/test_resolution_properties.py")


@settings(
    max_examples=examples(ci=15, full=100),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(plan_shape=PROPERTIES.plans(), rows=PROPERTIES.account_tables())
def test_hypothesis_plans_agree(
    plan_shape: tuple[list[Any], bool], rows: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    hypothesis_plan_agrees(plan_shape, rows, tmp_path_factory, "duckdb")


@pytest.mark.slow
@settings(
    max_examples=examples(ci=5, full=25),  # seconds per Spark run: fewer than duckdb's
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(plan_shape=PROPERTIES.plans(), rows=PROPERTIES.account_tables())
def test_hypothesis_plans_agree_on_spark(
    plan_shape: tuple[list[Any], bool], rows: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    hypothesis_plan_agrees(plan_shape, rows, tmp_path_factory, "spark")


def hypothesis_plan_agrees(
    plan_shape: tuple[list[Any], bool],
    rows: list[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
    scaled: str,
) -> None:
    roots, with_workload = plan_shape
    text = PROPERTIES.plan_yaml(roots, with_workload)
    work = tmp_path_factory.mktemp("property")
    got, _totals = both_engines(text, as_parquet(rows, work / "accounts.parquet"), work, scaled)
    assert_frame_equal(got, run_plan(text, rows).rows.select(RESULT_COLUMNS), check_exact=True)


CATCH_ALL = """\
name: catch-all
territories:
  - id: EVERYONE
    reps: [r1, r2]
    children:
      - id: BIG
        rule: employees >= 100
  - id: OVERLAY
    layer: overlay
"""


@pytest.mark.parametrize("scaled", ENGINES)
@pytest.mark.parametrize("accounts", [0, 5])
def test_rule_less_territories_and_an_empty_book_agree(tmp_path: Path, accounts: int, scaled: str) -> None:
    frame = pl.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(accounts)],
            "employees": [float(i * 50) for i in range(accounts)],
        },
        schema={"account_id": pl.String, "employees": pl.Float64},
    )
    frame.write_parquet(tmp_path / "accounts.parquet")
    rows, totals = both_engines(CATCH_ALL, tmp_path / "accounts.parquet", tmp_path, scaled)
    assert totals.accounts == accounts and rows.height == 2 * accounts


@pytest.mark.parametrize("scaled", ENGINES)
def test_ids_and_owners_are_trimmed_as_the_local_reader_trims_them(tmp_path: Path, scaled: str) -> None:
    """White space around an id (Unicode's too, such as an ideographic or a no-break space) is
    not part of it; a blank id is missing."""
    rows = [
        {"account_id": "  a1 ", "owner_id": "\u3000r2\u00a0", "state": "NY"},
        {"account_id": "\u2028a2", "owner_id": " r1", "state": "NY"},
        {"account_id": "a3\x1c", "owner_id": "r9 ", "state": "CA"},
    ]
    plan = "name: t\nterritories:\n  - id: ALL\n    reps: [r1, r2, r3]\n"
    out, _totals = both_engines(plan, as_parquet(rows, tmp_path / "ids.parquet"), tmp_path, scaled)
    assert out.select("account_id", "rep_id").rows() == [("a1", "r2"), ("a2", "r1"), ("a3\x1c", "r3")]
    blank = as_parquet([{"account_id": " \u3000 ", "state": "NY"}], tmp_path / "blank.parquet")
    for engine in (LocalEngine(), scale_engine(scaled)):
        job = AssignJob(
            parse_plan(plan, "plan.yaml"), (str(blank),), str(blank), ParquetOut(tmp_path / "o.parquet")
        )
        with pytest.raises(BadInput, match="account_id is empty"):
            engine.assign(job, silent)
