"""LIKE patterns: `%` is any run of characters (newlines too), `_` is one character.

There is no escape character unless the rule writes `ESCAPE 'c'`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Characters that both Python's `re` and Rust's `regex` (polars) accept escaped with a backslash.
_META = set("\\.+*?()|[]{}^$#&-~")


@dataclass(frozen=True)
class LikeParts:
    """A pattern split into literal text and wildcards; '%' and '_' items are wildcards."""

    items: tuple[tuple[str, bool], ...]  # (text, is_wildcard)


def split_like(pattern: str, escape: str | None) -> LikeParts:
    items: list[tuple[str, bool]] = []
    text: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if escape is not None and ch == escape and i + 1 < len(pattern):
            text.append(pattern[i + 1])
            i += 2
            continue
        if ch in "%_":
            if text:
                items.append(("".join(text), False))
                text = []
            items.append((ch, True))
        else:
            text.append(ch)
        i += 1
    if text:
        items.append(("".join(text), False))
    return LikeParts(tuple(items))


def like_regex(pattern: str, escape: str | None) -> str:
    """An anchored regular expression, valid in both Python and polars, equal to the LIKE pattern."""
    out = ["(?s)^"]
    for text, wildcard in split_like(pattern, escape).items:
        if wildcard:
            out.append(".*" if text == "%" else ".")
        else:
            out.append("".join("\\" + c if c in _META else c for c in text))
    out.append("$")
    return "".join(out)


def sql_like_pattern(pattern: str, escape: str) -> tuple[str, str]:
    """The pattern and ESCAPE character to give SQL so that it means what `split_like` reads.

    SQL engines reject a lone escape character at the end of a pattern (PostgreSQL, DuckDB) or one
    before an ordinary character (Spark), and with ESCAPE '%' cannot write a wildcard '%' at all;
    re-escaping the split pattern with a non-wildcard escape character avoids all three.
    """
    sql_escape = "!" if escape in "%_" else escape
    out = []
    for text, wildcard in split_like(pattern, escape).items:
        if wildcard:
            out.append(text)
        else:
            out.append("".join(sql_escape + c if c in ("%", "_", sql_escape) else c for c in text))
    return "".join(out), sql_escape
