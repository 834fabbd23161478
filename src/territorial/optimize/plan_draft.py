"""A draft plan whose rules reproduce an alignment: each territory's ZIP codes, less the accounts
of those ZIPs that go elsewhere, plus its named accounts."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from territorial.domain.fields import ACCOUNT_ID
from territorial.generate.plan_yaml import flow_string, single_quoted, yaml_string

WIDTH = 100  # rule lines are wrapped between list items at about this many characters
NEVER = f"{ACCOUNT_ID} IS NULL"  # every account has an id: a rule for a territory left empty


@dataclass(frozen=True)
class DraftTerritory:
    id: str
    rep_id: str | None
    accounts: int
    zips: list[str]  # ZIP codes whose accounts mostly belong here
    away: list[str]  # accounts in those ZIPs that belong elsewhere
    named: list[str]  # accounts here whose ZIP mostly belongs elsewhere, or that have no ZIP


def draft_territories(
    account_ids: Sequence[str],
    zips: Sequence[str | None] | None,
    territory_of: Sequence[str],
    territories: Sequence[tuple[str, str | None]],
) -> list[DraftTerritory]:
    """Each territory's ZIP list, its exceptions and its named accounts, everything sorted.

    A ZIP goes to the territory holding most of its accounts (ties: the smaller territory id).
    Rules compare text ignoring case, so ZIPs are grouped that way too; two account ids that
    differ only in case cannot be told apart and are refused when they sit in different territories."""
    _check_ids(account_ids, territory_of)
    by_zip: dict[str, Counter[str]] = defaultdict(Counter)
    spelling: dict[str, str] = {}
    keys: list[str | None] = []
    for i, territory in enumerate(territory_of):
        code = zips[i] if zips is not None else None
        key = code.strip().lower() if code is not None and code.strip() else None
        keys.append(key)
        if key is not None and code is not None:
            by_zip[key][territory] += 1
            spelling[key] = min(spelling.get(key, code.strip()), code.strip())
    owner = {key: _most_accounts(counts) for key, counts in by_zip.items()}
    zip_lists: dict[str, list[str]] = defaultdict(list)
    for key, territory in owner.items():
        zip_lists[territory].append(spelling[key])
    away: dict[str, list[str]] = defaultdict(list)
    named: dict[str, list[str]] = defaultdict(list)
    for account, key, territory in zip(account_ids, keys, territory_of, strict=True):
        home = owner.get(key) if key is not None else None
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
            zips=sorted(zip_lists.get(tid, [])),
            away=sorted(away.get(tid, [])),
            named=sorted(named.get(tid, [])),
        )
        for tid, rep in sorted(territories, key=lambda t: t[0])
    ]


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


def draft_plan_yaml(
    territories: Sequence[DraftTerritory],
    zip_field: str | None,
    name: str = "Draft from territorial balance",
    workload: str | None = None,
    notes: Sequence[str] = (),
) -> str:
    """The plan file, byte for byte the same for the same territories."""
    zips = sum(len(t.zips) for t in territories)
    named = sum(len(t.named) for t in territories)
    lines = [
        "# A draft plan written by `territorial balance --plan-out`: each territory takes the accounts",
        "# of its ZIP codes, except those listed as going elsewhere, plus its named accounts.",
        f"# {len(territories):,} territories, {zips:,} ZIP codes, {named:,} named accounts.",
        *(f"# {note}" for note in notes),
        f"name: {yaml_string(name)}",
    ]
    if zip_field is not None:
        lines.append(f"fields: {{{flow_string(zip_field)}: string}}")
    if workload is not None:
        lines.append(f"workload: {yaml_string(workload)}")
    lines.append("territories:")
    for territory in territories:
        lines.extend(_territory_lines(territory, zip_field))
    return "\n".join(lines) + "\n"


def _territory_lines(territory: DraftTerritory, zip_field: str | None) -> Iterator[str]:
    parts = [
        _counted(territory.accounts, "account"),
        _counted(len(territory.zips), "ZIP code"),
        _counted(len(territory.named), "named account"),
    ]
    if territory.away:
        parts.append(_counted(len(territory.away), "account") + " of its ZIP codes elsewhere")
    yield f"  # {territory.id}: {', '.join(parts)}"
    yield f"  - id: {yaml_string(territory.id)}"
    if territory.rep_id is not None:
        yield f"    reps: [{flow_string(territory.rep_id)}]"
    yield "    rule: >-"
    for line in rule_lines(territory, zip_field):
        yield "      " + line


def rule_lines(territory: DraftTerritory, zip_field: str | None) -> list[str]:
    """The territory's rule, wrapped; a folded YAML scalar joins the lines with spaces."""
    lines: list[str] = []
    if territory.zips:
        assert zip_field is not None
        lines = in_list(zip_field, territory.zips)
        if territory.away:
            lines[0] = "(" + lines[0]
            lines += in_list(ACCOUNT_ID, territory.away, negated=True, prefix="AND ")
            lines[-1] += ")"
    if territory.named:
        lines += in_list(ACCOUNT_ID, territory.named, prefix="OR " if lines else "")
    return lines or [NEVER]


def in_list(field: str, values: Sequence[str], negated: bool = False, prefix: str = "") -> list[str]:
    """`field IN ('a', 'b', ...)` broken between items into lines of about WIDTH characters."""
    items = [single_quoted(v) for v in values]
    lines = [f"{prefix}{field} {'NOT IN' if negated else 'IN'} ("]
    for i, item in enumerate(items):
        text = item + (", " if i < len(items) - 1 else ")")
        if len(lines[-1]) + len(text.rstrip()) > WIDTH and not lines[-1].endswith("("):
            lines[-1] = lines[-1].rstrip()
            lines.append("")
        lines[-1] += text
    return [line.rstrip() for line in lines]


def _counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
