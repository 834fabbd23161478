"""The terminal renderings: the summary after `assign` lists every empty territory, however long
the plan; `import` counts the cells it read as empty for a null word, and says what it changed live."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from rich.console import Console

from conftest import run_cli
from territorial.cli.render import DRIFT_SHOWN, live_changes
from territorial.services.reevaluation import OwnerDrift, Reevaluated

TERRITORIES = 45  # past the 40 rows the summary shows in full
EMPTY = ("T07", "T19", "T33", "T44")  # territories no account falls in


def test_past_40_territories_the_summary_keeps_every_empty_one(tmp_path: Path) -> None:
    # It listed the 40 largest and dropped the empty ones: those a planner must see.
    filled = [f"T{i:02d}" for i in range(TERRITORIES) if f"T{i:02d}" not in EMPTY]
    plan = ["name: Many", "territories:"]
    for i in range(TERRITORIES):
        plan += [f"  - id: T{i:02d}", f"    rule: zone = {i}", f"    reps: [rep-{i:02d}]"]
    (tmp_path / "plan.yaml").write_text("\n".join(plan) + "\n")
    rows = ["account_id,zone"]
    for n, territory in enumerate(filled):  # T00 holds 1 account, the next 2, ...
        rows += [f"A{n:02d}-{k:02d},{int(territory[1:])}" for k in range(n + 1)]
    (tmp_path / "accounts.csv").write_text("\n".join(rows) + "\n")
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "accounts.csv", "--out", "o.csv")
    assert result.returncode == 0, result.stderr
    table = result.stderr.split("Assignment by territory", 1)[1].split("Assignment by rep", 1)[0]
    listed = {word for line in table.splitlines() for word in line.split() if word.startswith("T")}
    assert set(EMPTY) <= listed
    largest = {f"T{i:02d}" for i in range(TERRITORIES) if f"T{i:02d}" not in EMPTY}
    shown_largest = sorted(listed & largest)
    assert len(shown_largest) == 40 - len(EMPTY)
    assert shown_largest == sorted(filled[-len(shown_largest) :])  # the largest of them
    left_out = TERRITORIES - len(listed)
    assert f"… {left_out} more territories not shown" in result.stderr
    assert "--summary FILE lists all" in result.stderr


def test_past_40_territories_the_summary_shows_the_largest_of_every_layer(tmp_path: Path) -> None:
    # The primary layer's 45 filled the table and the overlays, however large, were left out.
    plan = ["name: Many", "territories:"]
    for i in range(TERRITORIES):
        plan += [f"  - id: T{i:02d}", f"    rule: zone = {i}", f"    reps: [rep-{i:02d}]"]
    plan += ["  - {id: SEC, layer: security, rule: zone < 20, reps: [sec-1]}"]
    plan += ["  - {id: VERT.FIN, layer: vertical, rule: zone >= 40, reps: [fin-1]}"]
    plan += ["  - {id: VERT.HC, layer: vertical, rule: zone = 5, reps: [hc-1]}"]
    (tmp_path / "plan.yaml").write_text("\n".join(plan) + "\n")
    rows = ["account_id,zone"]
    for i in range(TERRITORIES):  # T00 holds 1 account, T01 2, ...
        rows += [f"A{i:02d}-{k:02d},{i}" for k in range(i + 1)]
    (tmp_path / "accounts.csv").write_text("\n".join(rows) + "\n")
    result = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "accounts.csv", "--out", "o.csv")
    assert result.returncode == 0, result.stderr
    table = result.stderr.split("Assignment by territory", 1)[1].split("Assignment by rep", 1)[0]
    listed = [line.split("│")[1:3] for line in table.splitlines() if line.startswith("│")]
    shown = [(layer.strip(), territory.strip()) for layer, territory in listed if territory.strip()]
    assert len(shown) == 40
    overlays = [("security", "SEC"), ("vertical", "VERT.FIN"), ("vertical", "VERT.HC")]
    assert shown[-3:] == overlays
    # The primary layer fills the rest with its largest: T44 down to T08.
    assert shown[:-3] == [("primary", f"T{i:02d}") for i in range(44, 7, -1)]
    assert "… 8 more territories not shown" in result.stderr


def test_import_says_how_many_cells_held_a_null_word(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("account_id,employees,tier\nA-1,N/A,5\nA-2,10,-\nA-3,20,N/A\n")
    url = f"sqlite:///{tmp_path / 'ws.db'}"
    assert run_cli(tmp_path, "--database-url", url, "init").returncode == 0
    result = run_cli(tmp_path, "--database-url", url, "import", "accounts", "a.csv")
    assert result.returncode == 0, result.stderr
    assert (
        "3 cells read as empty for holding a null word (N/A, -, null...) in a column of numbers, "
        "dates or booleans: employees 1, tier 2"
    ) in result.stdout + result.stderr


def test_an_import_while_a_plan_is_active_says_what_moved_and_names_the_owner_drift() -> None:
    drift = tuple(OwnerDrift(f"A-{n:02d}", "jane", "dee", "EAST") for n in range(DRIFT_SHOWN + 2))
    out = StringIO()
    live_changes(Console(file=out, width=2000), Reevaluated(44, 12, drift))
    lines = out.getvalue().splitlines()
    assert lines[0] == "live assignment: 44 accounts re-evaluated, 12 rows changed territory or rep"
    assert lines[1].startswith(f"{DRIFT_SHOWN + 2} accounts: the CRM owner is a rep outside the pool")
    assert "A-00 (CRM jane, live dee in EAST)" in lines[1] and lines[1].endswith("and 2 more")
    assert f"A-{DRIFT_SHOWN:02d}" not in lines[1]
    out = StringIO()
    live_changes(Console(file=out), None)  # no plan active: nothing to say
    assert out.getvalue() == ""


def test_the_training_summary_fits_80_columns_with_each_table_title_on_one_line() -> None:
    """A grade table's title wrapped over two lines in an 80-column terminal."""
    import numpy as np

    from territorial.cli.render import training
    from territorial.scoring.fit import calibration_table, grade_cuts, grade_table, suggested_thresholds
    from territorial.services.scoring import TrainReport

    y = np.repeat([1, 0], 50)
    scores = np.r_[np.linspace(40, 100, 50), np.linspace(0, 60, 50)].astype(np.int64)
    report = TrainReport(
        "gbm", "0123456789abcdef", 100, 50, 0.995, 0.99,
        calibration_table(y, scores / 100), {"gbm": 0.995}, ["Source"], [], [],
        too_good="cross-validated ROC AUC 0.9950 is too good to be true",
        grades=grade_table(y, scores, grade_cuts(scores)),
        thresholds=suggested_thresholds(y, scores),
    )  # fmt: skip
    out = StringIO()
    training(Console(file=out, width=80, color_system=None), report, Path("fit.model"))
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    titles = [
        "Calibration (out-of-fold)",
        "Grades (out-of-fold)",
        "Suggested fit_threshold (leads scoring below it go to nurture)",
    ]
    for title in titles:
        assert any(title in line for line in lines), title
    assert "warning: cross-validated ROC AUC 0.9950 is too good to be true" in out.getvalue()
