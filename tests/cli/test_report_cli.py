"""`territorial report` through the CLI on a small SQLite workspace (tests/review_book.py) with an
active plan, a what-if plan, deals and saved quotas; and on one with no deals and one plan."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import run_cli, shared_data
from review_book import COUNTIES, build_review_workspace, fixed_clock

FIGURES = re.compile(r"var figures = (\{.*?\});\n", re.S)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace for the module: tests write only their own output files."""
    return build_review_workspace(tmp_path_factory.mktemp("review"))


def report(folder: Path, name: str, *args: str) -> str:
    with fixed_clock():
        done = run_cli(folder, "report", "--out", name, *args)
    assert done.returncode == 0, done.stderr
    return (folder / name).read_text(encoding="utf-8")


def figures(page: str) -> dict[str, dict[str, list[dict[str, object]]]]:
    found = FIGURES.search(page)
    assert found is not None
    parsed: dict[str, dict[str, list[dict[str, object]]]] = json.loads(found.group(1).replace("<\\/", "</"))
    return parsed


def test_a_what_if_plan_shows_its_moves_map_and_forecast_against_quota(folder: Path) -> None:
    page = report(folder, "what-if.html", "--plan", "2")
    assert "plan 2 as activating it today would make it, as of 2027-02-15" in page
    # A5 and A6 move from CENTRAL to EAST with 400 + 200 of potential.
    assert "Plan 1 → plan 2: the largest moves between territories." in page
    assert '<td>CENTRAL</td><td class="text">EAST</td><td>2</td><td>600</td>' in page
    drawn = figures(page)
    counties, primary, overlay, points = drawn["map"]["data"]
    assert len(counties["locations"]) == 3220  # type: ignore[arg-type]
    assert set(primary["locations"]) == COUNTIES  # type: ignore[arg-type]
    assert overlay["name"] == "security" and overlay["locations"] == ["06075"]
    assert points["type"] == "scattergeo" and points["lat"] == [29.76]
    assert "1 account could not be placed in a county on the map" in page
    assert "Forecast against quota, 2027Q1" in page
    assert "No quota is allocated" not in page
    # No script or style is fetched: everything the page needs is in it (the browser test checks
    # that no request at all goes out).
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", page)


def test_the_same_workspace_gives_the_same_bytes(folder: Path) -> None:
    assert report(folder, "first.html") == report(folder, "second.html")


def test_the_active_plan_has_no_previous_plan_and_recommends(folder: Path) -> None:
    page = report(folder, "active.html", "--plan", "active")
    assert "There is no previous plan to compare with" in page
    # CENTRAL has 40 employees of workload and no rep; WEST (r1) carries 40 of the 60 the reps hold.
    assert "Rebalance workload" in page
    assert "the live assignment (active plan 1)" in page


def test_a_workspace_without_deals_says_so_and_compares_with_the_plan_applied_before(
    tmp_path: Path,
) -> None:
    bare = build_review_workspace(tmp_path / "bare", deals=False)
    page = report(bare, "review.html")
    assert "No opportunity was created by 2027-02-15, so there is nothing to forecast." in page
    assert "There is no previous plan to compare with" in page
    assert "Nothing was booked yet" in page
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TERRITORIAL_NOW", "2027-02-16T09:00:00")  # one activation a day
        assert run_cli(bare, "plan", "activate", "2").returncode == 0
        assert run_cli(bare, "report", "--out", "after.html").returncode == 0
    page = (bare / "after.html").read_text(encoding="utf-8")
    assert "the live assignment (active plan 2)" in page
    assert "Plan 1 → plan 2: the largest moves between territories." in page


def test_the_report_is_a_web_page(folder: Path) -> None:
    done = run_cli(folder, "report", "--out", "review.pdf")
    assert done.returncode == 2
    assert "give a .html file" in done.stderr
    done = run_cli(folder, "report", "--out", "accounts.html", "--plan", "nine")
    assert done.returncode == 2 and "--plan takes a plan id or 'active'" in done.stderr
    done = run_cli(folder, "report", "--out", "accounts.html", "--run", "99")
    assert done.returncode == 2 and "no assignment run with id 99" in done.stderr
    assert not (folder / "accounts.html").exists()


def test_pdf_without_chromium_says_how_to_install_it(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("territorial.io.chromium.CHROMIUM", str(folder / "no-chromium"))
    monkeypatch.setenv("PATH", str(folder / "nowhere"))
    done = run_cli(folder, "report", "--out", "printed.html", "--pdf")
    assert done.returncode == 2
    assert "apt-get install -y chromium" in done.stderr
    assert not (folder / "printed.html").exists()


def test_penetration_reads_the_potential_field_given(folder: Path) -> None:
    # By employees, EAST (60 of 105 with plan 2's Illinois moved) still books nothing.
    page = report(folder, "by-employees.html", "--plan", "2", "--potential", "employees")
    assert "<td>EAST</td><td>0</td><td>60</td><td>0.00</td>" in page
    page = report(folder, "no-field.html", "--potential", "no_such_field")
    assert "Performance against potential cannot be shown:" in page
    assert "no_such_field" in page


def test_a_crm_export_with_no_plan_yet(crm_workspace: Path) -> None:
    """The CRM Sales Opportunities data imported as is: owners but no territories, deals priced by
    the product list."""
    prices = shared_data("crm-sales-opportunities", "products.csv")
    with fixed_clock(), pytest.MonkeyPatch.context() as patch:
        patch.setenv("TERRITORIAL_NOW", "2017-11-15T09:00:00")
        done = run_cli(crm_workspace, "report", "--out", "crm-review.html", "--price-list", prices)
    assert done.returncode == 0, done.stderr
    page = (crm_workspace / "crm-review.html").read_text(encoding="utf-8")
    assert "There are no territories to balance yet: no plan places the accounts." in page
    assert "No plan is active and no run is stored, so no territory holds a county yet." in page
    assert "No plan is active and no run is stored: there is no plan to compare." in page
    assert "Forecast against quota, 2017Q4" in page
    assert "open deals have no amount" not in page  # the price list values them


def test_the_pdf_path_is_checked_before_any_work(folder: Path) -> None:
    (folder / "taken.pdf").mkdir()
    done = run_cli(folder, "report", "--out", "taken.html", "--pdf")
    assert done.returncode == 2
    assert "taken.pdf" in done.stderr and "this is a folder" in done.stderr
    assert not (folder / "taken.html").exists()
