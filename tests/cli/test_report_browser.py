"""The review report in real headless Chromium (Debian's, driven by Playwright; never `playwright
install`): it opens with no request leaving the file and no console error, its charts draw, the
overlay button switches the map; and `--pdf` prints pages that are not blank."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli
from review_book import build_review_workspace, fixed_clock
from territorial.io.chromium import CHROMIUM, FLAGS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).is_file() or shutil.which("pdftoppm") is None,
    reason="needs Debian's chromium and poppler-utils: make browser-deps",
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_review_workspace(tmp_path_factory.mktemp("review-browser"))


def test_the_page_opens_offline_without_errors_and_draws_its_charts(folder: Path) -> None:
    from playwright.sync_api import sync_playwright

    with fixed_clock():
        assert run_cli(folder, "report", "--plan", "2", "--out", "review.html").returncode == 0
    page_url = (folder / "review.html").resolve().as_uri()
    requests: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(FLAGS))
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_url)
            page.wait_for_selector("body[data-charts]", timeout=30_000)
            assert page.get_attribute("body", "data-charts") == "drawn", errors
            assert page.locator(".js-plotly-plot").count() == 3
            # Every county drawn in grey, and over them a shape per county with accounts: San
            # Francisco, New York, Cook.
            assert page.locator("#map-chart path.choroplethlocation").count() == 3220 + 3
            page.get_by_text("security", exact=True).click()
            page.wait_for_function(
                "document.getElementById('map-chart').data[2].visible === true"
                " && document.getElementById('map-chart').data[1].visible === false"
            )
            page.get_by_text("primary", exact=True).click()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "review.png"), full_page=True)
        finally:
            browser.close()
    assert failed == []
    assert errors == []
    assert requests == [page_url]  # nothing but the file itself
    assert (ARTIFACTS / "review.png").stat().st_size > 10_000


def pixels(pgm: Path) -> np.ndarray:
    """A binary PGM's grey levels (pdftoppm -gray writes P5 with a 255 maximum)."""
    data = pgm.read_bytes()
    fields = data.split(maxsplit=4)
    assert fields[0] == b"P5" and fields[3] == b"255"
    width, height = int(fields[1]), int(fields[2])
    return np.frombuffer(data[-width * height :], dtype=np.uint8).reshape(height, width)


def test_pdf_pages_are_not_blank(folder: Path) -> None:
    with fixed_clock():
        done = run_cli(folder, "report", "--out", "printed.html", "--pdf")
    assert done.returncode == 0, done.stderr
    pdf = folder / "printed.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(folder / "page")], check=True, timeout=60)
    pages = sorted(folder.glob("page*.pgm"))
    assert len(pages) >= 2
    first = pixels(pages[0])
    # Text and charts on white: many dark pixels and a wide spread, where a blank page has none.
    assert first.std() > 20
    assert (first < 128).mean() > 0.01
    assert all(pixels(p).std() > 5 for p in pages)
