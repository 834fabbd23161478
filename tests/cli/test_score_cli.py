"""`territorial score train` and `score apply` through the real CLI on a file with a known signal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from conftest import run_cli


def test_train_then_apply_scores_grades_and_reasons(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 400
    visits = rng.poisson(5, n)
    source = rng.choice(["Referral", "Ads", "Organic"], n)
    chance = 1 / (1 + np.exp(-(visits - 5) * 0.8 - (source == "Referral") * 1.5))
    converted = (rng.random(n) < chance).astype(int)
    history = pl.DataFrame(
        {
            "lead_id": [f"L{i:04d}" for i in range(n)],
            "visits": visits,
            "source": source,
            "stage_after": np.where(converted == 1, "won", "lost"),
            "converted": converted,
        }
    )
    history.write_csv(tmp_path / "history.csv")
    trained = run_cli(
        tmp_path, "score", "train", "--history", "history.csv", "--label", "converted",
        "--exclude-columns", "stage_after", "--out", "model.bin",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert "ROC AUC" in trained.stdout and "stage_after" in trained.stdout
    applied = run_cli(
        tmp_path, "score", "apply", "history.csv", "--model", "model.bin", "--out", "scored.csv"
    )
    assert applied.returncode == 0, applied.stderr
    scored = pl.read_csv(tmp_path / "scored.csv")
    assert scored.columns[:4] == ["lead_id", "score", "grade", "reasons"]
    assert set(scored.get_column("grade")) <= {"A", "B", "C", "D"}
    by_source = scored.join(history, on="lead_id").group_by("source").agg(pl.col("score").mean())
    means = dict(by_source.iter_rows())
    assert means["Referral"] > means["Ads"]
    broken = tmp_path / "broken.bin"
    broken.write_bytes(b"not a model")
    result = run_cli(tmp_path, "score", "apply", "history.csv", "--model", "broken.bin", "--out", "x.csv")
    assert result.returncode == 2 and "broken.bin" in result.stderr


def test_train_potential_then_assign_shows_potential_per_territory(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 300
    industry = rng.choice(["Banking", "Retail"], n)
    pipeline = pl.DataFrame(
        {
            "opportunity_id": [f"O{i:04d}" for i in range(n)],
            "stage": rng.choice(["Won", "Lost"], n),
            "industry": industry,
            "employees": rng.integers(10, 5000, n),
            "close_value": np.round(np.where(industry == "Banking", 9000, 1000) * rng.uniform(0.8, 1.2, n)),
        }
    )
    pipeline.write_csv(tmp_path / "pipeline.csv")
    (tmp_path / "models").mkdir()
    trained = run_cli(
        tmp_path, "score", "train-potential", "--history", "pipeline.csv", "--target", "close_value",
        "--only", "stage=Won", "--out", "models/deal_value.model",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert "R²" in trained.stdout and "mean absolute error" in trained.stdout
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "plan.yaml").write_text(
        "name: P\npotential:\n  model: ../models/deal_value.model\nterritories:\n"
        "  - id: BANKS\n    rule: industry = 'Banking'\n    reps: [r1]\n"
        "  - id: SHOPS\n    rule: industry = 'Retail'\n    reps: [r2]\n"
    )
    pl.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "industry": ["Banking", "Retail", "Retail"],
            "employees": [10, 20, 30],
        }
    ).write_csv(tmp_path / "accounts.csv")
    assigned = run_cli(
        tmp_path, "assign", "plans/plan.yaml", "--accounts", "accounts.csv", "--out", "out.csv",
        "--summary", "summary.csv",
    )  # fmt: skip
    assert assigned.returncode == 0, assigned.stderr
    assert "potential" in assigned.stderr
    summary = dict(pl.read_csv(tmp_path / "summary.csv").select("territory_id", "potential").iter_rows())
    assert 7000 < summary["BANKS"] < 11000 and 1500 < summary["SHOPS"] < 2500
    (tmp_path / "plans" / "plan.yaml").write_text(
        (tmp_path / "plans" / "plan.yaml").read_text().replace("../models", "missing")
    )
    failed = run_cli(tmp_path, "assign", "plans/plan.yaml", "--accounts", "accounts.csv")
    assert failed.returncode == 2
    assert "plan.yaml:2" in failed.stderr and "deal_value.model" in failed.stderr


def test_a_fit_model_with_no_signal_is_saved_only_with_force(tmp_path: Path) -> None:
    """Three rows cannot be cross-validated: ROC AUC nan. It is refused, and nothing is written."""
    (tmp_path / "history.csv").write_text("lead_id,visits,converted\nL1,3,1\nL2,5,0\nL3,4,1\n")
    args = ["score", "train", "--history", "history.csv", "--label", "converted", "--out", "fit.model"]
    refused = run_cli(tmp_path, *args)
    assert refused.returncode == 2
    assert "history.csv [--force]: the model has no signal: cross-validated ROC AUC nan" in refused.stderr
    assert not (tmp_path / "fit.model").exists()
    forced = run_cli(tmp_path, *args, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "warning: the model has no signal" in forced.stderr and (tmp_path / "fit.model").exists()


def test_a_potential_model_no_better_than_the_average_is_saved_only_with_force(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    n = 120
    pl.DataFrame(
        {
            "industry": rng.choice(["Banking", "Retail"], n),
            "employees": rng.integers(10, 5000, n),
            "close_value": np.round(rng.uniform(1000, 9000, n)),  # unrelated to the account
        }
    ).write_csv(tmp_path / "deals.csv")
    args = [
        "score",
        "train-potential",
        "--history",
        "deals.csv",
        "--target",
        "close_value",
        "--out",
        "p.model",
    ]
    refused = run_cli(tmp_path, *args)
    assert refused.returncode == 2
    assert "predicts close_value no better than its average" in refused.stderr
    assert "--force saves it anyway" in refused.stderr and not (tmp_path / "p.model").exists()
    forced = run_cli(tmp_path, *args, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "saved because of --force" in forced.stderr and (tmp_path / "p.model").exists()


def test_validating_over_time_reports_both_figures(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    n = 200
    visits = rng.poisson(5, n)
    converted = (rng.random(n) < 1 / (1 + np.exp(-(visits - 5) * 0.9))).astype(int)
    days = [f"2026-{1 + i * 6 // n:02d}-{1 + i % 28:02d}" for i in range(n)]
    pl.DataFrame({"visits": visits, "created": days, "converted": converted}).write_csv(tmp_path / "h.csv")
    args = ["score", "train", "--history", "h.csv", "--label", "converted", "--estimator", "logistic"]
    trained = run_cli(
        tmp_path, *args, "--exclude-columns", "created", "--validate", "time:created", "--out", "m"
    )
    assert trained.returncode == 0, trained.stderr
    lines = trained.stdout.splitlines()
    assert lines[1].startswith("cross-validated ROC AUC")
    assert (
        lines[2].startswith("over time ROC AUC 0.")
        and "trained on the 160 rows with created up to" in lines[2]
    )
    assert "tested on the 40 newer ones" in lines[2]
    for validate, message in (
        ("random", "expected time:COLUMN"),
        ("time:closed", "no date column 'closed'"),
    ):
        bad = run_cli(tmp_path, *args, "--validate", validate, "--out", "x")
        assert bad.returncode == 2 and message in bad.stderr, bad.stderr
    (tmp_path / "odd.csv").write_text("visits,created,converted\n1,2026-01-02,1\n2,soon,0\n3,2026-01-03,1\n")
    odd = run_cli(tmp_path, "score", "train", "--history", "odd.csv", "--label", "converted", "--validate",
                  "time:created", "--out", "x")  # fmt: skip
    assert odd.returncode == 2 and "odd.csv:3 [created]: expected a date, got 'soon' (1 undated" in odd.stderr
    assert not (tmp_path / "x").exists()


def test_a_bad_mapping_exits_2_naming_it(tmp_path: Path) -> None:
    pl.DataFrame({"Record ID": ["1", "2"], "Converted": ["Yes", "No"]}).write_csv(tmp_path / "h.csv")
    for command in (
        ["score", "train", "--history", "h.csv", "--label", "Converted", "--out", "m.model"],
        ["score", "apply", "h.csv", "--model", "m.model", "--out", "s.csv"],
    ):
        result = run_cli(tmp_path, *command, "--mapping", "hubspott")
        assert result.returncode == 2 and "hubspott" in result.stderr, result.stderr


CRM = Path(__file__).resolve().parents[1] / "data" / "crm"


def test_a_hubspot_export_learns_from_its_lifecycle_stage_and_is_warned_of_telling_columns(
    tmp_path: Path,
) -> None:
    """A real HubSpot export has no Converted column: `--label "Lifecycle Stage=Customer"` says
    which contacts converted. Olist records a place only for sellers, so the place columns give the
    outcome away, and training says so."""
    train = ["score", "train", "--history", str(CRM / "hubspot_contacts_olist.csv"), "--mapping", "hubspot"]
    label = ["--label", "Lifecycle Stage=customer", "--estimator", "logistic", "--out", "m.bin"]
    refused = run_cli(tmp_path, *train, *label)
    assert refused.returncode == 2, refused.stderr
    # Named by the export's headers; nothing saved unless forced.
    assert "Industry" in refused.stderr and "alone tell" in refused.stderr
    assert "--exclude-columns" in refused.stderr and "not saved" in refused.stderr
    assert not (tmp_path / "m.bin").exists()
    trained = run_cli(tmp_path, *train, *label, "--force")
    assert trained.returncode == 0, trained.stderr
    assert "trained on 120 rows, 60 converted" in trained.stdout and "alone tell" in trained.stderr
    assert (tmp_path / "m.bin").exists()
    misspelt = run_cli(tmp_path, *train, "--label", "Lifecycle Stage=Custmer", "--out", "n.bin")
    assert misspelt.returncode == 2
    assert (
        "[--label]: no row meets 'Lifecycle Stage=Custmer'; Lifecycle Stage's values are: Customer, "
        "Marketing Qualified Lead"
    ) in misspelt.stderr
    assert not (tmp_path / "n.bin").exists()


def test_a_column_to_exclude_that_the_history_lacks_is_refused_with_the_closest(tmp_path: Path) -> None:
    """A typo in --exclude-columns would leave the leaking column in the model."""
    train = ["score", "train", "--history", str(CRM / "sf_leads_olist.csv"), "--mapping", "salesforce"]
    typo = run_cli(
        tmp_path, *train, "--label", "IsConverted", "--exclude-columns", "Statsu", "--out", "m.bin"
    )
    assert typo.returncode == 2, typo.stderr
    assert "[--exclude-columns]: no column 'Statsu'; did you mean 'Status'?" in typo.stderr
    assert not (tmp_path / "m.bin").exists()


def test_the_label_is_a_condition_in_the_rule_language_over_a_plain_hubspot_export(tmp_path: Path) -> None:
    """`Lifecycle Stage` is `lifecycle_stage` in a condition (tests/services/test_training_label.py
    has the rest); a condition that cannot be read is refused naming --label and what it takes."""
    contacts = str(CRM / "hubspot_contacts_olist.csv")
    train = ["score", "train", "--history", contacts, "--exclude-columns", "Industry,City,Postal Code"]
    train += ["--estimator", "logistic", "--force"]
    condition = "lifecycle_stage IN ('customer', 'evangelist')"
    plain = run_cli(tmp_path, *train, "--label", condition, "--out", "m.bin")
    assert plain.returncode == 0, plain.stderr
    assert "trained on 120 rows, 60 converted" in plain.stdout
    unclosed = run_cli(tmp_path, *train, "--label", "lifecycle_stage IN ('customer'", "--out", "n.bin")
    assert unclosed.returncode == 2, unclosed.stderr
    assert "[--label]: expected the outcome column (1/0, yes/no, true/false), COLUMN=VALUE" in unclosed.stderr
    assert "or a condition in the rule language" in unclosed.stderr
    assert not (tmp_path / "n.bin").exists()
