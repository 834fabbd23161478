"""A draft plan whose rules reproduce an alignment in the fields the accounts have: each territory's
states (less their ZIP codes that go elsewhere), its ZIP codes (split by a segment field where one
ZIP serves several territories), less the accounts of those that go elsewhere, plus its named
accounts."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

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
    zips: list[str]  # ZIP codes whose accounts mostly belong here, outside its states
    away: list[str]  # accounts of its states and ZIP codes that belong elsewhere
    named: list[str]  # accounts here that its states and ZIP codes do not take, or with neither
    segments: tuple[SegmentZips, ...] = ()  # ZIP codes split among territories, by segment value
    states: list[str] = field(default_factory=list)  # states whose accounts mostly belong here
    zips_out: list[str] = field(default_factory=list)  # ZIP codes of those states that go elsewhere
    # Its states hold accounts without a ZIP code: `postal_code NOT IN (...)` is UNKNOWN for them,
    # so the state's term takes them with `postal_code IS NULL OR ...`.
    blank_zips: bool = False

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
    states: Sequence[str | None] | None = None,
) -> list[DraftTerritory]:
    """Each territory's states, ZIP list, exceptions and named accounts, everything sorted.

    A cell is a ZIP, or with `segments` a ZIP and a segment value; it goes to the territory holding
    most of its accounts (ties: the smaller territory id). A ZIP whose cells all go to one territory
    is written as a plain ZIP. With `states`, a state goes to one territory when that makes the
    rules shorter (see _state_owners): its accounts are that territory's, less the ZIP codes of it
    that go elsewhere. An account its territory's terms do not take is named; one another
    territory's terms take is listed there as going elsewhere. Rules compare text ignoring case, so
    states, ZIPs and segment values are grouped that way too; two account ids that differ only in
    case cannot be told apart and are refused when they sit in different territories."""
    _check_ids(account_ids, territory_of)
    nothing: list[str | None] = [None] * len(territory_of)
    zip_texts = zips if zips is not None else nothing
    segment_texts = segments.values if segments is not None else nothing
    state_texts = states if states is not None else nothing
    zip_keys = [_key(code) for code in zip_texts]
    segment_keys = [_key(value) for value in segment_texts]
    state_keys = [_key(value) for value in state_texts]
    owner = _cell_owners(zip_keys, segment_keys, territory_of)
    zip_spelling = _smallest_spellings(zip_keys, zip_texts)
    segment_spelling = _smallest_spellings(segment_keys, segment_texts)
    state_spelling = _smallest_spellings(state_keys, state_texts)
    whole, split = _zip_lists(owner)
    whole_owner = {zip_key: territory for territory, keys in whole.items() for zip_key in keys}
    with_blanks = {zip_key for zip_key, segment_key in owner if segment_key is None}
    state_owner = _state_owners(state_keys, zip_keys, territory_of, whole_owner)
    terms = _StateTerms.of(state_keys, zip_keys, state_owner, whole_owner)
    away: dict[str, list[str]] = defaultdict(list)
    named: dict[str, list[str]] = defaultdict(list)
    for i, (account, territory) in enumerate(zip(account_ids, territory_of, strict=True)):
        zip_key = zip_keys[i]
        cell_owner = owner.get((zip_key, segment_keys[i])) if zip_key is not None else None
        taken_by = terms.taking(state_keys[i], zip_key, cell_owner)
        if territory not in taken_by:
            named[territory].append(account)
        for other in taken_by - {territory}:
            away[other].append(account)
    counts = Counter(territory_of)
    return [
        DraftTerritory(
            id=tid,
            rep_id=rep,
            accounts=counts.get(tid, 0),
            zips=sorted(zip_spelling[z] for z in terms.listed.get(tid, ())),
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
            states=sorted(state_spelling[s] for s, t in state_owner.items() if t == tid),
            zips_out=sorted(zip_spelling[z] for z in terms.zips_out.get(tid, ())),
            blank_zips=tid in terms.blank and bool(terms.zips_out.get(tid)),
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


@dataclass(frozen=True)
class _StateTerms:
    """What the territories' state and ZIP terms take: `zips_out[t]`, the ZIP codes in t's states
    that are not wholly t's; `listed[t]`, t's whole ZIP codes with accounts its states do not take;
    `blank`, the territories whose states hold accounts without a ZIP."""

    state_owner: dict[str, str]
    whole_owner: dict[str, str]
    zips_out: dict[str, set[str]]
    listed: dict[str, set[str]]
    blank: set[str]

    @classmethod
    def of(
        cls,
        state_keys: Sequence[str | None],
        zip_keys: Sequence[str | None],
        state_owner: dict[str, str],
        whole_owner: dict[str, str],
    ) -> _StateTerms:
        zips_out: dict[str, set[str]] = defaultdict(set)
        listed: dict[str, set[str]] = defaultdict(set)
        blank: set[str] = set()
        for state_key, zip_key in zip(state_keys, zip_keys, strict=True):
            by_state = state_owner.get(state_key) if state_key is not None else None
            if zip_key is None:
                if by_state is not None:
                    blank.add(by_state)
                continue
            by_zip = whole_owner.get(zip_key)
            if by_state is not None and by_zip != by_state:
                zips_out[by_state].add(zip_key)
            if by_zip is not None and by_zip != by_state:
                listed[by_zip].add(zip_key)
        return cls(state_owner, whole_owner, zips_out, listed, blank)

    def taking(self, state_key: str | None, zip_key: str | None, cell_owner: str | None) -> set[str]:
        """The territories whose terms take an account of this state, ZIP and segment cell, as the
        engine will evaluate them (a ZIP split by segment goes by its cell)."""
        taken = set()
        by_state = self.state_owner.get(state_key) if state_key is not None else None
        if by_state is not None and (zip_key is None or zip_key not in self.zips_out.get(by_state, ())):
            taken.add(by_state)
        if zip_key is not None:
            by_zip = self.whole_owner.get(zip_key)
            if by_zip is None and cell_owner is not None:  # a split ZIP: its segment terms
                taken.add(cell_owner)
            elif by_zip is not None and zip_key in self.listed.get(by_zip, ()):
                taken.add(by_zip)
        return taken


def _state_owners(
    state_keys: Sequence[str | None],
    zip_keys: Sequence[str | None],
    territory_of: Sequence[str],
    whole_owner: dict[str, str],
) -> dict[str, str]:
    """The states worth giving to one territory, and to which. Giving state s to t writes s once
    and each ZIP of s that is not wholly t's (`NOT IN`), instead of each ZIP of s wholly t's; t's
    accounts of s without a ZIP are no longer named, the others' are also listed as going
    elsewhere. A state goes to the territory that saves the most list items, when it saves any
    (ties: the smaller territory id)."""
    zips_of: dict[str, set[str]] = defaultdict(set)
    blank: dict[str, Counter[str]] = defaultdict(Counter)
    for state_key, zip_key, territory in zip(state_keys, zip_keys, territory_of, strict=True):
        if state_key is None:
            continue
        if zip_key is None:
            blank[state_key][territory] += 1
        else:
            zips_of[state_key].add(zip_key)
    chosen = {}
    for state_key in sorted({*zips_of, *blank}):
        wholly = Counter(whole_owner.get(z) for z in zips_of[state_key])
        blanks = blank[state_key]
        candidates = sorted({t for t in wholly if t is not None} | set(blanks))
        zips, blank_total = len(zips_of[state_key]), sum(blanks.values())
        # List items with the state given to t, less those without: see the docstring.
        cost = {
            t: 1 + (zips - wholly[t]) - wholly[t] - blanks[t] + (blank_total - blanks[t]) for t in candidates
        }
        best = min(candidates, key=lambda t: (cost[t], t), default=None)
        if best is not None and cost[best] < 0:
            chosen[state_key] = best
    return chosen


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
    states: Sequence[str | None] | None = None,
) -> tuple[list[DraftTerritory], SegmentField | None, list[str]]:
    """The draft by ZIP alone or split by one of the candidate segment fields, whichever lists the
    fewest exceptions and named accounts (ties: ZIP alone, then the candidates' order), with a note
    on the choice for the plan's header. A field with a value no plan can write is passed over.
    `states`, when given, go first in every draft."""
    best = draft_territories(account_ids, zips, territory_of, territories, None, states)
    if zips is None:  # no cells to split: every account is named anyway
        return best, None, []
    chosen: SegmentField | None = None
    counts = [("ZIP codes alone", _exceptions(best))]
    for candidate in candidates:
        if not all(v is None or v.isprintable() for v in candidate.values):
            continue
        drafted = draft_territories(account_ids, zips, territory_of, territories, candidate, states)
        counts.append((f"split by {candidate.field}", _exceptions(drafted)))
        if _exceptions(drafted) < _exceptions(best):
            best, chosen = drafted, candidate
    if len(counts) == 1:
        return best, None, []
    others = "; ".join(f"{how}: {n:,}" for how, n in counts if how != _how(chosen))
    segment_field = chosen.field if chosen is not None else "none"
    fewest = _exceptions(best)
    note = f"Segment field: {segment_field}, for the fewest exceptions and named accounts, {fewest:,} "
    note += f"({others})."
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
    territory: DraftTerritory,
    zip_field: str | None,
    segment_field: str | None = None,
    state_field: str | None = None,
) -> ast.Expr:
    """The territory's rule: its states less their ZIP codes that go elsewhere, its ZIP codes, and
    its ZIP codes of each segment value, less the accounts of those that go elsewhere; or its
    named accounts."""
    terms: list[ast.Expr] = []
    if territory.states:
        assert state_field is not None
        states: ast.Expr = ast.in_list(state_field, territory.states)
        if territory.zips_out:
            assert zip_field is not None
            outside: ast.Expr = ast.in_list(zip_field, territory.zips_out, negated=True)
            if territory.blank_zips:
                outside = ast.any_of(ast.IsNull(ast.FieldRef(zip_field)), outside)
            states = ast.all_of(states, outside)
        terms.append(states)
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
        area = ast.any_of(*terms)
        away = ast.in_list(ACCOUNT_ID, territory.away, negated=True)
        parts.append(ast.all_of(area, away) if territory.away else area)
    if territory.named:
        parts.append(ast.in_list(ACCOUNT_ID, territory.named))
    return ast.any_of(*parts) if parts else NEVER


def draft_header(
    territories: Sequence[DraftTerritory], segment_field: str | None, notes: Sequence[str]
) -> list[str]:
    """The draft plan's opening comment: what it is, and how many states, ZIP codes and named
    accounts."""
    states = sum(len(t.states) for t in territories)
    zips = sum(len(t.zips) for t in territories)
    named = sum(len(t.named) for t in territories)
    split = len({code.lower() for t in territories for s in t.segments for code in s.zips})
    lines = [
        "A draft plan written by `territorial balance --plan-out`: each territory takes the accounts",
        "of its states (less their ZIP codes listed as going elsewhere) and of its ZIP codes, except",
        "those listed as going elsewhere, plus its named accounts.",
    ]
    if segment_field is not None:
        lines.append(f"A ZIP code served by several territories is split by {segment_field}.")
    counted = [f"{len(territories):,} territories", f"{zips:,} ZIP codes"]
    if segment_field is not None:
        counted[1:] = [
            f"{zips:,} whole ZIP codes",
            _counted(split, "ZIP code") + f" split by {segment_field}",
        ]
    if states:
        counted.insert(1, _counted(states, "state"))
    return [*lines, f"{', '.join(counted)}, {named:,} named accounts.", *notes]


def draft_summary(territory: DraftTerritory, segment_field: str | None) -> str:
    """What a territory of the draft holds, in words."""
    parts = [_counted(territory.accounts, "account")]
    if territory.states:
        parts.append(_counted(len(territory.states), "state"))
    parts.append(_counted(len(territory.zips), "ZIP code"))
    if territory.segments:
        cells = sum(len(s.zips) for s in territory.segments)
        parts.append(_counted(cells, f"ZIP code and {segment_field} pair"))
    parts.append(_counted(len(territory.named), "named account"))
    if territory.zips_out:
        parts.append(_counted(len(territory.zips_out), "ZIP code") + " of its states elsewhere")
    if territory.away:
        parts.append(_counted(len(territory.away), "account") + " of its states and ZIP codes elsewhere")
    return ", ".join(parts)


def _counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
