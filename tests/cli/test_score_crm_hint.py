"""`score apply` and `score relevance` on a CRM export read without --mapping say so, as `assign`
and `import` do: the column they miss is there under the export's name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from conftest import run_cli

SF_LEADS = Path(__file__).resolve().parents[1] / "data" / "crm" / "sf_leads_olist.csv"
CATALOGUE = Path(__file__).resolve().parents[1] / "data" / "relevance" / "catalogue.yaml"
HINT = "the file has 'Id', the id column of a Salesforce export: use --mapping salesforce"


def test_score_apply_names_the_mapping_a_crm_export_needs(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    source = rng.choice(["organic_search", "paid_search", "email"], 200)
    converted = (rng.random(200) < np.where(source == "email", 0.8, 0.2)).astype(int)
    history = pl.DataFrame({"lead_id": [f"L{i:03d}" for i in range(200)], "leadsource": source})
    history.with_columns(pl.Series("converted", converted)).write_csv(tmp_path / "history.csv")
    trained = run_cli(
        tmp_path, "score", "train", "--history", "history.csv", "--label", "converted", "--out", "m.bin",
        "--estimator", "logistic",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    # The export lacks the model's column, and its Id is no lead_id: both are said.
    (tmp_path / "export.csv").write_text("Id,Lead Channel\n00Q1,email\n", encoding="utf-8")
    applied = run_cli(tmp_path, "score", "apply", "export.csv", "--model", "m.bin", "--out", "o.csv")
    assert applied.returncode == 2
    assert "the column 'leadsource' that the model was trained on is missing" in applied.stderr
    assert HINT in applied.stderr
    # A Salesforce report's label for the same field (Lead Source) is found, as the export is read.
    (tmp_path / "report.csv").write_text("Id,Lead Source\n00Q1,email\n", encoding="utf-8")
    scored = run_cli(tmp_path, "score", "apply", "report.csv", "--model", "m.bin", "--out", "r.csv")
    assert scored.returncode == 0, scored.stderr


def test_score_relevance_names_the_mapping_a_crm_export_needs(tmp_path: Path) -> None:
    args = ("score", "relevance", str(SF_LEADS), "--catalogue", str(CATALOGUE), "--out", "o.csv")
    done = run_cli(tmp_path, *args)
    assert done.returncode == 2
    assert "there is no column 'inquiry' (set it with --text)" in done.stderr and HINT in done.stderr
