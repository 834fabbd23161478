"""`territorial report`: the quarterly review of an assignment as one HTML page that opens with no
network, and with --pdf the same page printed to PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from territorial.cli.app import app, context_of, err, handled, workspace_of
from territorial.cli.kpis import PlanOption, PriceListOption, RunOption
from territorial.errors import BadInput
from territorial.io.output import check_writable, write_text
from territorial.services.review import review
from territorial.services.review_page import check_pdf_printer, review_html, write_review_pdf

PAGE_SUFFIXES = (".html", ".htm")


@app.command("report")
@handled
def report_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write, such as review.html.")],
    run: RunOption = None,
    plan: PlanOption = None,
    potential: Annotated[
        str | None,
        typer.Option(
            "--potential",
            help="An account number field to measure penetration against (default: the plan's potential).",
        ),
    ] = None,
    price_list: PriceListOption = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print it to PDF beside the page (needs Chromium).")
    ] = False,
) -> None:
    """The quarterly review: KPI summary, balance bars and Lorenz curve, the county map, the top
    movers since the last plan, under-penetrated territories, the forecast against quota and what
    to do about them (which territories to rebalance, where to add headcount)."""
    if out.suffix.lower() not in PAGE_SUFFIXES:
        raise BadInput.at(f"the report is a web page: give a .html file, not '{out.name}'", "--out")
    pdf_path = out.with_suffix(".pdf") if pdf else None
    if pdf_path is not None:
        check_writable(out, pdf_path)
        check_pdf_printer()
    with err.status("Reviewing…") as status:
        report = review(
            workspace_of(ctx),
            context_of(ctx),
            run,
            plan,
            potential,
            price_list,
            progress=lambda s, _f: status.update(f"{s}…"),
        )
        status.update("Writing the page…")
        write_text(review_html(report), out)
        if pdf_path is not None:
            status.update("Printing to PDF…")
            write_review_pdf(out, pdf_path)
    err.print(f"wrote the review of {report.described} to {out}" + (f" and {pdf_path}" if pdf_path else ""))
