"""The one exception family for bad input: every problem carries where it was found."""

from __future__ import annotations

import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Location:
    """Where a problem sits: a file and, when known, its line, column and the field or territory."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    subject: str | None = None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        text = ":".join(parts)
        return f"{text} [{self.subject}]" if self.subject else text


@dataclass(frozen=True)
class Problem:
    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class TerritorialError(Exception):
    """Base class for errors the product reports to its user."""


class BadInput(TerritorialError):
    """Input that cannot be used as given. The CLI exits 2 and the API answers 4xx."""

    def __init__(self, problems: Sequence[Problem], total: int | None = None) -> None:
        self.problems = list(problems)
        self.total = total if total is not None else len(self.problems)
        super().__init__(str(self))

    @classmethod
    def at(
        cls,
        message: str,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        subject: str | None = None,
    ) -> BadInput:
        return cls([Problem(Location(file, line, column, subject), message)])

    def in_file(self, file: str) -> BadInput:
        """The same problems, located in `file` where they named no file."""
        located = [
            Problem(replace(p.location, file=p.location.file or file), p.message) for p in self.problems
        ]
        return BadInput(located, self.total)

    def under_headers(self, headers: Mapping[str, str]) -> BadInput:
        """The same problems, each naming the file's own column (`headers`: field -> header) where
        it named a field: a HubSpot export's user reads `[Create Date]`, not `[created]`."""
        renamed = [
            Problem(
                replace(p.location, subject=headers.get(p.location.subject, p.location.subject)), p.message
            )
            if p.location.subject is not None
            else p
            for p in self.problems
        ]
        return BadInput(renamed, self.total)

    def hinted(self, hint: str) -> BadInput:
        """The same problems, each message followed by `hint` (such as "; … use --mapping salesforce")."""
        return BadInput([Problem(p.location, p.message + hint) for p in self.problems], self.total)

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"... and {self.total - len(self.problems)} more problems ({self.total} in all)")
        return "\n".join(lines)


class NotSignedIn(BadInput):
    """No credentials, or none that are valid now (the API answers 401)."""


class NotAllowed(BadInput):
    """The principal's role or token may not do this at all (the API answers 403)."""


class NotFound(BadInput):
    """No such object, or none the principal may see: the two read the same, so that an id outside
    one's scope does not reveal that it exists (the API answers 404)."""


class TooManyAttempts(BadInput):
    """Too many failed sign-ins for a user or from an address in a short while (the web answers 429)."""


class Conflict(BadInput):
    """The request contradicts what is stored: an Idempotency-Key reused with another body (409)."""


class StaleVersion(BadInput):
    """A write made against a version of a plan that has changed since (If-Match: the API answers 412)."""


class VersionRequired(BadInput):
    """A write that must name the version it changes and did not (If-Match: the API answers 428)."""


class TooLarge(BadInput):
    """An upload beyond the configured size (the API answers 413)."""


class ProblemLog:
    """Collects problems, keeping the first `limit` in full and counting the rest."""

    def __init__(self, limit: int = 50) -> None:
        self.limit = limit
        self.problems: list[Problem] = []
        self.total = 0

    def add(self, problem: Problem) -> None:
        self.total += 1
        if len(self.problems) < self.limit:
            self.problems.append(problem)

    def raise_if_any(self) -> None:
        if self.total:
            raise BadInput(self.problems, self.total)


_SHOWN = reprlib.Repr()  # Python 3.11 takes no settings in the constructor
_SHOWN.maxlevel, _SHOWN.maxlist, _SHOWN.maxdict, _SHOWN.maxstring, _SHOWN.maxother = 2, 4, 4, 80, 80


def shown(value: object) -> str:
    """A value as a message quotes it: short, and safe for any nesting (a YAML value 3,000 lists
    deep has no repr that fits in a message, or in Python's stack)."""
    return _SHOWN.repr(value)
