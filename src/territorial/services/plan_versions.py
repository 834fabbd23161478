"""A plan's version, as the API's ETag: the hash of its YAML. A write names the version it was made
against (If-Match), so a write made against a version changed since is refused, never lost."""

from __future__ import annotations

import hashlib

from territorial.errors import StaleVersion


def plan_version(source: str) -> str:
    """The plan's entity tag, quoted as HTTP sends it."""
    return '"' + hashlib.sha256(source.encode("utf-8")).hexdigest() + '"'


def check_version(plan_id: int, source: str, expected: str | None) -> None:
    """Refuse a write against another version than the stored one; None (the command line, which
    reads and writes in one step) checks nothing."""
    if expected is None:
        return
    tags = [tag.strip().removeprefix("W/") for tag in expected.split(",")]
    current = plan_version(source)
    if current not in tags:
        raise StaleVersion.at(
            f"plan {plan_id} has changed since the version given in If-Match was read (it is now "
            f"{current}); read it again and make the change on that version",
            "If-Match",
        )
