"""Read a reps file: rep_id (required), and optional name, email and active."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from territorial.domain.fields import FieldType
from territorial.io.accounts import type_accounts
from territorial.io.tables import read_table


@dataclass(frozen=True)
class Rep:
    rep_id: str
    name: str | None
    email: str | None
    active: bool


def read_reps(path: str | Path) -> dict[str, Rep]:
    raw = read_table(path)
    # The account reader's typing rules (blank is NULL, booleans, a unique id) apply here too.
    book = type_accounts(raw, {"active": FieldType.BOOLEAN}, id_column="rep_id")
    frame = book.frame
    get = {k: frame.get_column(v) for k, v in book.columns.items()}
    active = get.get("active")
    reps = {}
    for i, rep_id in enumerate(get["rep_id"].to_list()):
        reps[rep_id] = Rep(
            rep_id=rep_id,
            name=get["name"][i] if "name" in get else None,
            email=get["email"][i] if "email" in get else None,
            active=bool(active[i]) if active is not None and active[i] is not None else True,
        )
    return reps
