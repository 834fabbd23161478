"""Use cases: performance against potential (each territory's share of bookings ÷ its share of
potential, and the untapped accounts of those below) and coverage gaps (potential with no territory
or no rep, by account and by ZIP or county, and market potential where the workspace has no account)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.entities import Entity
from territorial.domain.fields import ACCOUNT_ID
from territorial.domain.plan import PRIMARY
from territorial.errors import BadInput, Problem
from territorial.evaluate.gaps import area_gaps, market_gaps, uncovered_accounts
from territorial.evaluate.kpis import GROUP, TERRITORY, kpi_table, priced
from territorial.evaluate.penetration import penetration_index, untapped_accounts
from territorial.evaluate.periods import Period, parse_period
from territorial.io.balance_inputs import county_codes, zip_field
from territorial.io.market import read_market
from territorial.io.price_list import read_price_list
from territorial.progress import Progress, silent
from territorial.services.assign import load_workspace_book
from territorial.services.context import Context
from territorial.services.kpis import DEAL_TYPES, REP_TYPES, Chosen, choose_assignment
from territorial.services.potential import field_potential
from territorial.services.scoring import load_fit_model
from territorial.services.settings import load_settings
from territorial.services.unit_of_work import WorkspaceStore

# A territory booking less than 80% of its share of potential is under-penetrated: closer to 1, one
# large deal more or less moves a territory across the line.
DEFAULT_BELOW = 0.8
DEFAULT_TOP = 5
ZIP, COUNTY = "zip", "county"
AREAS = (ZIP, COUNTY)


@dataclass(frozen=True)
class PenetrationReport:
    described: str
    period: Period | None
    below: float
    index: pl.DataFrame  # evaluate.penetration.INDEX_COLUMNS
    untapped: pl.DataFrame  # evaluate.penetration.UNTAPPED_COLUMNS
    fit_scored: bool
    warnings: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class GapsReport:
    described: str
    area: str
    accounts: pl.DataFrame  # evaluate.gaps.ACCOUNT_GAP_COLUMNS
    areas: pl.DataFrame  # evaluate.gaps.AREA_COLUMNS
    market: pl.DataFrame | None  # evaluate.gaps.MARKET_COLUMNS, with --market
    warnings: list[Problem] = field(default_factory=list)


def penetration(
    workspace: WorkspaceStore,
    ctx: Context,
    run: int | None = None,
    plan: str | None = None,
    period: str | None = None,
    price_list: Path | None = None,
    top: int = DEFAULT_TOP,
    below: float = DEFAULT_BELOW,
    fit_model: Path | None = None,
    potential: str | None = None,
    progress: Progress = silent,
    chosen: Chosen | None = None,
) -> PenetrationReport:
    """The penetration index of each primary territory over the period's bookings, and in those below
    `below`, the `top` accounts with the most potential and no open deal (times fit with a model).
    Potential is the plan's, or the account field `potential` names."""
    if top < 1:
        raise BadInput.at(f"--top counts accounts: 1 or more, not {top}", "--top")
    if below <= 0:
        raise BadInput.at(
            f"--below is an index above 0 (0.8: 80% of the share of potential), not {below}", "--below"
        )
    settings = load_settings()
    chosen_period = None if period is None else parse_period(period, settings.fiscal_year_start_month)
    prices = None if price_list is None else read_price_list(price_list)
    model = None if fit_model is None else load_fit_model(fit_model)
    with workspace.unit_of_work() as uow:
        if chosen is None:
            chosen = choose_assignment(uow, ctx, settings, run, plan, progress)
        reps = uow.records.read(Entity.REPS, REP_TYPES, active_only=True)
        deals = uow.records.read(Entity.OPPORTUNITIES, DEAL_TYPES, active_only=True)
    book, accounts = _book_and_potential(
        workspace, chosen, potential, "performance against potential", progress
    )
    valued = priced(deals, prices).frame
    assert chosen.plan is not None  # _book_and_potential refused an assignment with no plan
    leaves = [t.id for t in chosen.plan.territories if t.layer == PRIMARY and not t.children]
    table = kpi_table(chosen.placement, accounts, valued, reps, TERRITORY, chosen_period, known_groups=leaves)
    figures = table.filter(~pl.col(GROUP).str.starts_with("(")).select(
        pl.col(GROUP).alias("territory_id"), "bookings", "potential"
    )
    index = penetration_index(figures, below)
    under = index.filter(pl.col("under_penetrated")).get_column("territory_id").to_list()
    open_accounts = valued.filter(~pl.col("is_closed")).get_column("account_id").drop_nulls().unique()
    fit = None
    if model is not None:
        progress("Scoring the accounts' fit", None)
        frame = book.frame.rename({v: k for k, v in book.columns.items() if v in book.frame.columns})
        try:
            scores = model.score(frame).get_column("score")
        except BadInput as problem:
            raise problem.in_file(str(fit_model)) from None
        fit = pl.DataFrame({ACCOUNT_ID: frame.get_column(ACCOUNT_ID).cast(pl.String), "fit": scores / 100.0})
    untapped = untapped_accounts(chosen.placement, accounts, open_accounts, under, top, fit)
    return PenetrationReport(
        chosen.described, chosen_period, below, index, untapped, fit is not None, chosen.warnings
    )


def gaps(
    workspace: WorkspaceStore,
    ctx: Context,
    run: int | None = None,
    plan: str | None = None,
    area: str = ZIP,
    market: Path | None = None,
    potential: str | None = None,
    progress: Progress = silent,
) -> GapsReport:
    """Accounts whose potential has no territory or no rep, the ZIP or county areas holding them, and
    with `market`, the market potential of areas where the workspace has no account."""
    wanted = area.strip().lower()
    if wanted not in AREAS:
        raise BadInput.at(f"--area is zip or county, not '{area}'", "--area")
    market_frame = None if market is None else read_market(market, wanted)
    settings = load_settings()
    with workspace.unit_of_work() as uow:
        chosen = choose_assignment(uow, ctx, settings, run, plan, progress)
    book, figures = _book_and_potential(workspace, chosen, potential, "coverage gaps", progress)
    ids = book.frame.get_column(book.columns[ACCOUNT_ID]).cast(pl.String)
    areas = pl.DataFrame(
        {ACCOUNT_ID: ids, "area": _areas(book, wanted)}, schema={ACCOUNT_ID: pl.String, "area": pl.String}
    )
    accounts = areas.join(figures.select(ACCOUNT_ID, "potential"), on=ACCOUNT_ID, how="left")
    uncovered = uncovered_accounts(chosen.placement, accounts)
    by_area = area_gaps(accounts, uncovered)
    in_market = None if market_frame is None else market_gaps(market_frame, accounts)
    return GapsReport(chosen.described, wanted, uncovered, by_area, in_market, chosen.warnings)


def _book_and_potential(
    workspace: WorkspaceStore, chosen: Chosen, field: str | None, what: str, progress: Progress
) -> tuple[AccountBook, pl.DataFrame]:
    """The workspace's accounts, and the chosen assignment's account figures with potential from the
    account field `field` when given, else the plan's; refused without a plan or without potential."""
    if chosen.plan is None:
        raise BadInput.at(
            f"{what} needs a plan: no plan is active and no run is stored "
            "(`territorial plan add plan.yaml`, then `territorial assign --plan ID`)",
            "--plan",
        )
    plan, book, _warnings = load_workspace_book(workspace, chosen.plan, progress)
    if field is None:
        if plan.potential is None:
            raise BadInput.at(
                f"{what} needs potential, and the plan of {chosen.described} defines none: give "
                "--potential FIELD (an account number field, such as annual_revenue), or add "
                "`potential: FIELD` (or a model) to the plan",
                "--potential",
            )
        return book, chosen.accounts
    values = field_potential(plan, book, field)
    by_account = pl.DataFrame({ACCOUNT_ID: book.frame.get_column(book.columns[ACCOUNT_ID]).cast(pl.String)})
    return book, chosen.accounts.drop("potential").join(
        by_account.with_columns(values), on=ACCOUNT_ID, how="left"
    )


def _areas(book: AccountBook, area: str) -> list[str | None]:
    """Each account's 5-digit ZIP or county FIPS code; None where it has none."""
    if area == COUNTY:
        return county_codes(book)
    key = zip_field(book)
    if key is None:
        return [None] * len(book)
    values = book.frame.get_column(book.columns[key]).cast(pl.String).str.strip_chars()
    # ZIP+4 and ZIPs read as numbers (01234 → 1234) name the same 5-digit area.
    return values.str.slice(0, 5).str.zfill(5).to_list()
