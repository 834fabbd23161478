"""A draft plan whose rules reproduce an alignment: each territory's ZIP codes (split by a segment
field where one ZIP serves several territories), less the accounts of those ZIPs that go
elsewhere, plus its named accounts."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from territorial.domain.fields import ACCOUNT_ID
from territorial.rules import ast

# Every account has an id: the rule of a territory left empty.
NEVER: ast.Expr = ast.IsNull(ast.FieldRef(ACCOUNT_ID))


@dataclass(frozen=True)
class SegmentField:
    """A field that splits a ZIP's accounts among territories (Enterprise / SMB, a needed skill),
    and each account's value of it (None when blank)."""

    field: str
    values: Sequence[str | None]


@dataclass(frozen=True)
class SegmentZips:
    value: str | None  # None: accounts whose segment field is empty
    zips: list[str]  # ZIP codes whose accounts of this segment value mostly belong here
    # Some of these ZIPs hold accounts with no value: `field = 'v'` would be UNKNOWN for them, and
    # the engine would report them as missing a territory because of an empty field, so the rule
    # rules them out first with `field IS NOT NULL`.
    blank_nearby: bool = False


@dataclass(frozen=True)
class DraftTerritory:
    id: str
    rep_id: str | None
    accounts: int
    zips: list[str]  # ZIP codes whose accounts mostly belong here
    away: list[str]  # accounts in those ZIPs that belong elsewhere
    named: list[str]  # accounts here whose ZIP mostly belongs elsewhere, or that have no ZIP
    segments: tuple[SegmentZips, ...] = ()  # ZIP codes split among territories, by segment value

    @property
    def exceptions(self) -> int:
        """Accounts the rule has to list one by one, in or out."""
        return len(self.away) + len(self.named)


def draft_territories(
    account_ids: Sequence[str],
    zips: Sequence[str | None] | None,
    territory_of: Sequence[str],
    territories: Sequence[tuple[str, str | None]],
    segments: SegmentField | None = None,
) -> list[DraftTerritory]:
    """Each territory's ZIP list, its exceptions and its named accounts, everything sorted.

    A cell is a ZIP, or with `segments` a ZIP and a segment value; it goes to the territory holding
    most of its accounts (ties: the smaller territory id). A ZIP whose cells all go to one territory
    is written as a plain ZIP. Rules compare text ignoring case, so ZIPs and segment values are
    grouped that way too; two account ids that differ only in case cannot be told apart and are
    refused when they sit in different territories."""
    _check_ids(account_ids, territory_of)
    nothing: list[str | None] = [None] * len(territory_of)
    zip_texts = zips if zips is not None else nothing
    segment_texts = segments.values if segments is not None else nothing
    zip_keys = [_key(code) for code in zip_texts]
    segment_keys = [_key(value) for value in segment_texts]
    owner = _cell_owners(zip_keys, segment_keys, territory_of)
    zip_spelling = _smallest_spellings(zip_keys, zip_texts)
    segment_spelling = _smallest_spellings(segment_keys, segment_texts)
    whole, split = _zip_lists(owner)
    with_blanks = {zip_key for zip_key, segment_key in owner if segment_key is None}
    away: dict[str, list[str]] = defaultdict(list)
    named: dict[str, list[str]] = defaultdict(list)
    for i, (account, territory) in enumerate(zip(account_ids, territory_of, strict=True)):
        zip_key = zip_keys[i]
        home = owner.get((zip_key, segment_keys[i])) if zip_key is not None else None
        if home == territory:
            continue
        named[territory].append(account)
        if home is not None:
            away[home].append(account)
    counts = Counter(territory_of)
    return [
        DraftTerritory(
            id=tid,
            rep_id=rep,
            accounts=counts.get(tid, 0),
            zips=sorted(zip_spelling[z] for z in whole.get(tid, ())),
            away=sorted(away.get(tid, [])),
            named=sorted(named.get(tid, [])),
            segments=tuple(
                SegmentZips(
                    segment_spelling[key] if key is not None else None,
                    sorted(zip_spelling[z] for z in cells),
                    key is not None and not with_blanks.isdisjoint(cells),
                )
                # blank values last: they read as "the rest of these ZIPs"
                for key, cells in sorted(
                    split.get(tid, {}).items(), key=lambda kv: (kv[0] is None, kv[0] or "")
                )
            ),
        )
        for tid, rep in sorted(territories, key=lambda t: t[0])
    ]


Cell = tuple[str, str | None]  # a ZIP and a segment value (None: blank, or no segment field)


def _cell_owners(
    zip_keys: Sequence[str | None], segment_keys: Sequence[str | None], territory_of: Sequence[str]
) -> dict[Cell, str]:
    """Each cell's territory: the one holding most of its accounts. Accounts without a ZIP have none."""
    by_cell: dict[Cell, Counter[str]] = defaultdict(Counter)
    for zip_key, segment_key, territory in zip(zip_keys, segment_keys, territory_of, strict=True):
        if zip_key is not None:
            by_cell[zip_key, segment_key][territory] += 1
    return {cell: _most_accounts(counts) for cell, counts in by_cell.items()}


def _zip_lists(owner: dict[Cell, str]) -> tuple[dict[str, set[str]], dict[str, dict[str | None, list[str]]]]:
    """Per territory, the ZIPs whose every cell is its own, and by segment value the cells it holds
    in ZIPs shared with other territories."""
    owners_of_zip: dict[str, set[str]] = defaultdict(set)
    for (zip_key, _segment), territory in owner.items():
        owners_of_zip[zip_key].add(territory)
    whole: dict[str, set[str]] = defaultdict(set)
    split: dict[str, dict[str | None, list[str]]] = defaultdict(lambda: defaultdict(list))
    for (zip_key, segment_key), territory in owner.items():
        if len(owners_of_zip[zip_key]) > 1:
            split[territory][segment_key].append(zip_key)
        else:
            whole[territory].add(zip_key)
    return whole, split


def draft_with_fewest_exceptions(
    account_ids: Sequence[str],
    zips: Sequence[str | None] | None,
    territory_of: Sequence[str],
    territories: Sequence[tuple[str, str | None]],
    candidates: Sequence[SegmentField] = (),
) -> tuple[list[DraftTerritory], SegmentField | None, list[str]]:
    """The draft by ZIP alone or split by one of the candidate segment fields, whichever lists the
    fewest exceptions and named accounts (ties: ZIP alone, then the candidates' order), with a note
    on the choice for the plan's header. A field with a value no plan can write is passed over."""
    best = draft_territories(account_ids, zips, territory_of, territories)
    if zips is None:  # no cells to split: every account is named anyway
        return best, None, []
    chosen: SegmentField | None = None
    counts = [("ZIP codes alone", _exceptions(best))]
    for candidate in candidates:
        if not all(v is None or v.isprintable() for v in candidate.values):
            continue
        drafted = draft_territories(account_ids, zips, territory_of, territories, candidate)
        counts.append((f"split by {candidate.field}", _exceptions(drafted)))
        if _exceptions(drafted) < _exceptions(best):
            best, chosen = drafted, candidate
    if len(counts) == 1:
        return best, None, []
    others = "; ".join(f"{how}: {n:,}" for how, n in counts if how != _how(chosen))
    field = chosen.field if chosen is not None else "none"
    fewest = _exceptions(best)
    note = f"Segment field: {field}, for the fewest exceptions and named accounts, {fewest:,} ({others})."
    return best, chosen, [note]


def _how(chosen: SegmentField | None) -> str:
    return "ZIP codes alone" if chosen is None else f"split by {chosen.field}"


def _exceptions(drafted: Sequence[DraftTerritory]) -> int:
    return sum(t.exceptions for t in drafted)


def _key(text: str | None) -> str | None:
    """How rules compare a text: ignoring case and surrounding blanks; blank is NULL."""
    return text.strip().lower() if text is not None and text.strip() else None


def _smallest_spellings(keys: Sequence[str | None], texts: Sequence[str | None]) -> dict[str, str]:
    """Each key's smallest spelling, so the output does not depend on row order."""
    spelling: dict[str, str] = {}
    for key, text in zip(keys, texts, strict=True):
        if key is not None and text is not None:
            spelling[key] = min(spelling.get(key, text.strip()), text.strip())
    return spelling


def _most_accounts(counts: Counter[str]) -> str:
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


def _check_ids(account_ids: Sequence[str], territory_of: Sequence[str]) -> None:
    seen: dict[str, tuple[str, str]] = {}
    for account, territory in zip(account_ids, territory_of, strict=True):
        key = account.lower()
        if key in seen and seen[key][1] != territory:
            raise ValueError(
                f"account ids {seen[key][0]!r} and {account!r} differ only in case and sit in different "
                "territories; plan rules compare text ignoring case, so no rule can tell them apart"
            )
        seen.setdefault(key, (account, territory))


def draft_rule(
    territory: DraftTerritory, zip_field: str | None, segment_field: str | None = None
) -> ast.Expr:
    """The territory's rule: its ZIP codes, and its ZIP codes of each segment value, less the
    accounts of those ZIPs that go elsewhere; or its named accounts."""
    terms: list[ast.Expr] = []
    if territory.zips:
        assert zip_field is not None
        terms.append(ast.in_list(zip_field, territory.zips))
    for cells in territory.segments:
        assert zip_field is not None and segment_field is not None
        segment = ast.FieldRef(segment_field)
        if cells.value is None:
            value: ast.Expr = ast.IsNull(segment)
        else:
            value = ast.field_is(segment_field, ast.text(cells.value))
        known = (ast.IsNull(segment, negated=True),) if cells.blank_nearby else ()
        terms.append(ast.all_of(*known, value, ast.in_list(zip_field, cells.zips)))
    parts: list[ast.Expr] = []
    if terms:
        zips = ast.any_of(*terms)
        away = ast.in_list(ACCOUNT_ID, territory.away, negated=True)
        parts.append(ast.all_of(zips, away) if territory.away else zips)
    if territory.named:
        parts.append(ast.in_list(ACCOUNT_ID, territory.named))
    return ast.any_of(*parts) if parts else NEVER


def draft_header(
    territories: Sequence[DraftTerritory], segment_field: str | None, notes: Sequence[str]
) -> list[str]:
    """The draft plan's opening comment: what it is, and how many ZIP codes and named accounts."""
    zips = sum(len(t.zips) for t in territories)
    named = sum(len(t.named) for t in territories)
    split = len({code.lower() for t in territories for s in t.segments for code in s.zips})
    lines = [
        "A draft plan written by `territorial balance --plan-out`: each territory takes the accounts",
        "of its ZIP codes, except those listed as going elsewhere, plus its named accounts.",
    ]
    if segment_field is not None:
        lines.append(f"A ZIP code served by several territories is split by {segment_field}.")
    counted = [f"{len(territories):,} territories", f"{zips:,} ZIP codes"]
    if segment_field is not None:
        counted = [counted[0], f"{zips:,} whole ZIP codes", f"{split:,} ZIP codes split by {segment_field}"]
    return [*lines, f"{', '.join(counted)}, {named:,} named accounts.", *notes]


def draft_summary(territory: DraftTerritory, segment_field: str | None) -> str:
    """What a territory of the draft holds, in words."""
    parts = [_counted(territory.accounts, "account"), _counted(len(territory.zips), "ZIP code")]
    if territory.segments:
        cells = sum(len(s.zips) for s in territory.segments)
        parts.append(_counted(cells, f"ZIP code and {segment_field} pair"))
    parts.append(_counted(len(territory.named), "named account"))
    if territory.away:
        parts.append(_counted(len(territory.away), "account") + " of its ZIP codes elsewhere")
    return ", ".join(parts)


def _counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
