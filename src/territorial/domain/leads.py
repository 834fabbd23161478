"""A lead on its way to a rep: what is known of it, and every routing decision with its path."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import polars as pl

# Ids a spreadsheet rewrote as a number (an HubSpot Record ID opened in Excel: 7.0000000102E+10, or
# 70000000102.0). One that holds every digit of the id is read back (number_id); one whose last
# digits were rounded away (7.00000001E+10) cannot be matched to the CRM's record.
DAMAGED_ID = re.compile(r"^([0-9](\.[0-9]+)?[eE]\+?[0-9]+|[0-9]+\.0+)$")
_SCIENTIFIC = re.compile(r"^([0-9])(?:\.([0-9]+))?[eE]\+?([0-9]+)$")
_DECIMALS = re.compile(r"^([0-9]+)\.0+$")
# A spreadsheet keeps 15 significant digits: a longer number's digits are not the id's.
SPREADSHEET_DIGITS = 15
LEAD_PREFIXES = ("00Q",)  # Salesforce's Lead key prefix
USER_PREFIXES = ("005", "00G")  # a User's, and a queue's (Group), which may own a lead
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SALESFORCE_ID = re.compile(r"^[0-9A-Za-z]{15}([0-9A-Za-z]{3})?$")


def _case_suffix(id15: str) -> str:
    """Salesforce's 3-character suffix: for each 5 characters, which of them are capitals."""
    return "".join(
        _SUFFIX[sum(1 << bit for bit, char in enumerate(id15[start : start + 5]) if char.isupper())]
        for start in (0, 5, 10)
    )


def salesforce_id(text: str, prefixes: tuple[str, ...]) -> str:
    """One form per Salesforce record: a 15-character Id (as reports and the UI show it) becomes
    the 18-character Id Data Loader and the API write, and an 18-character Id whose case a tool
    lost (00q5g00000xyzaaeaf) gets its case back from its suffix. Other text is returned trimmed."""
    text = text.strip()
    if not _SALESFORCE_ID.match(text) or text[:3].upper() not in prefixes:
        return text
    if len(text) == 15:
        return text + _case_suffix(text)
    head, suffix = text[:15], text[15:].upper()
    if _case_suffix(head) == suffix or not (text.islower() or text.isupper()):
        return text  # consistent, or mixed case that no tool would have made: kept as written
    flags = [_SUFFIX.index(char) for char in suffix]
    restored = "".join(
        char.upper() if flags[pos // 5] >> (pos % 5) & 1 else char.lower() for pos, char in enumerate(head)
    )
    return restored + suffix


# What a Salesforce Lead Id looks like in any case: only a column holding one is rewritten (lead_keys).
SALESFORCE_LEAD_ID = r"^\s*(?i:00q)[0-9A-Za-z]{12}([0-9A-Za-z]{3})?\s*$"


def lead_keys(ids: pl.Series) -> pl.Series:
    """lead_key over a column of ids, which costs a Python call per id only for a column that holds
    a Salesforce Lead Id at all (a HubSpot or plain export is returned as it is)."""
    if not ids.str.contains(SALESFORCE_LEAD_ID).any():
        return ids
    return ids.map_elements(lead_key, return_dtype=pl.String)


def lead_key(lead_id: str) -> str:
    """A lead's id as kept: a Salesforce Lead Id in its 18-character form (salesforce_id), so that a
    lead sent once from a report and once from Data Loader is the same lead."""
    return salesforce_id(lead_id, LEAD_PREFIXES)


def number_id(text: str) -> str | None:
    """The id a spreadsheet wrote as a number, when the number holds every digit of it (Excel's
    7.0000000102E+10 is 70000000102, 70000000102.0 too); None when digits were rounded away
    (7.00000001E+10 is 700000001 followed by two digits nobody knows), or past a spreadsheet's
    precision, or when the number is no whole number."""
    text = text.strip()
    if (decimals := _DECIMALS.match(text)) is not None:
        digits = decimals.group(1)
    elif (scientific := _SCIENTIFIC.match(text)) is not None:
        digits = scientific.group(1) + (scientific.group(2) or "")
        if len(digits) != int(scientific.group(3)) + 1:
            return None  # fewer digits than the number has (lost), or more (a fraction)
    else:
        return None
    return digits if len(digits.lstrip("0") or "0") <= SPREADSHEET_DIGITS else None


def restore_number_ids(ids: pl.Series) -> tuple[pl.Series, list[tuple[int, str, str]]]:
    """The ids with each one a spreadsheet wrote as a number but kept whole read back (number_id),
    and those (row, as written, as read). Ids whose digits were lost stay as written."""
    rows = [row for row, text in enumerate(ids) if text is not None and DAMAGED_ID.match(text.strip())]
    if not rows:
        return ids, []
    values = ids.to_list()
    restored = []
    for row in rows:
        whole = number_id(values[row])
        if whole is not None:
            restored.append((row, values[row].strip(), whole))
            values[row] = whole
    return pl.Series(ids.name, values, dtype=pl.String), restored


def restored_id(written: str, read: str) -> str:
    """The warning for an id read back from a spreadsheet's number."""
    return f"Excel wrote the id as {written}; read as {read} (every digit is there)"


def damaged_id(text: str) -> str:
    """Why an id cannot be the CRM's: what to do about it."""
    return (
        f"the id {text!r} is a number a spreadsheet rewrote (in scientific notation or with decimals), "
        "and its last digits are lost, so it matches no record in the CRM: export the file again from "
        "the CRM with the id column formatted as Text"
    )


class Outcome(StrEnum):
    MATCHED = "matched"  # the owner of the lead's account
    ROUTED = "routed"  # a rep of the lead's territory, by round robin
    NURTURE = "nurture"  # disqualified: never sent to a rep
    DUPLICATE = "duplicate"  # the same email was routed within the window: same rep again
    FALLBACK = "fallback"  # no rep could take it: the territory's manager or the fallback queue
    OWNED = "owned"  # the CRM already gives it to a rep who takes leads: that rep keeps it
    SKIPPED = "skipped"  # converted, or a customer or in a deal, in the CRM: no new lead, never routed


@dataclass(frozen=True)
class Step:
    """One step of a lead's path: what it looked at and what it decided."""

    step: str
    inputs: str
    outcome: str

    def as_dict(self) -> dict[str, str]:
        return {"step": self.step, "inputs": self.inputs, "outcome": self.outcome}


@dataclass(frozen=True)
class FitVerdict:
    score: int  # 0-100
    reasons: str


@dataclass(frozen=True)
class RelevanceVerdict:
    score: float  # 0-1
    product_id: str | None
    relevant: bool
    threshold: float


@dataclass(frozen=True)
class AccountMatch:
    account_id: str
    confidence: float
    reason: str


@dataclass(frozen=True)
class Lead:
    """What is known of a lead before it is routed. `record` holds its fields for the plan's rules."""

    lead_id: str
    day: date
    email: str | None  # lower case
    record: Mapping[str, Any]
    inquiry: str | None = None
    fit: FitVerdict | None = None
    relevance: RelevanceVerdict | None = None
    match: AccountMatch | None = None
    # The rep the CRM gives the lead to now (its owner_id, a rep's id, name, e-mail or CRM user id);
    # None when it names no rep (a queue, an integration user) or the lead has no owner.
    owner_rep_id: str | None = None


@dataclass(frozen=True)
class Routed:
    """The decision for one lead, as written to the routing output and the audit."""

    lead_id: str
    outcome: Outcome
    rep_id: str | None
    territory_id: str | None
    matched_account_id: str | None
    score: int | None
    relevance: float | None
    product: str | None
    queue: str | None
    in_pool: bool  # chosen by a pool's round robin (what the fairness report counts)
    reason: str
    path: tuple[Step, ...]
    day: date
    email: str | None
    already_routed: bool = False  # the stored decision of a lead routed before, given back unchanged
    # The lead's owner in the CRM as it named them, and the rep that names (Lead.owner_rep_id).
    crm_owner: str | None = None
    crm_owner_rep_id: str | None = None


@dataclass(frozen=True)
class Earlier:
    """The last lead routed to a rep from one email address, for the duplicate window."""

    lead_id: str
    day: date
    rep_id: str
    territory_id: str | None


@dataclass(frozen=True)
class AccountOwner:
    """A stored account as routing sees it: its owner, and its fields for the plan's rules."""

    owner_id: str | None
    record: Mapping[str, Any]
