"""Printing a page to PDF with Debian's headless Chromium: no sandbox (tests run as root), no
network of its own (no updates, sync or background fetches)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from territorial.errors import BadInput

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
INSTALL = "apt-get install -y chromium poppler-utils (or `make browser-deps`)"
# Scripts on the page (the charts) get this much virtual time to finish before printing; Chromium
# skips the wait when the page goes idle sooner.
SCRIPT_BUDGET_MS = 30_000
TIMEOUT_S = 180


def chromium(option: str = "--pdf") -> str:
    """The Chromium executable; refused, with how to install it, when the machine has none."""
    found = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if found is None:
        raise BadInput.at(f"printing to PDF needs Chromium, which is not installed: {INSTALL}", option)
    return found


def print_pdf(page: Path, pdf: Path) -> None:
    """`page` (an HTML file) printed to `pdf`, written whole or not at all."""
    executable = chromium()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="territorial-chromium-") as profile:
        partial = pdf.with_name(f".{pdf.name}.partial")
        command = [
            executable,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--virtual-time-budget={SCRIPT_BUDGET_MS}",
            f"--print-to-pdf={partial}",
            page.resolve().as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            partial.unlink(missing_ok=True)
            tail = done.stderr.strip().splitlines()[-3:]
            raise BadInput.at(
                f"Chromium could not print the page: {' / '.join(tail) or 'no PDF written'}", str(pdf)
            )
        partial.replace(pdf)
