"""Parse rule text into our AST with sqlglot, accepting only the node types the language has.

Anything sqlglot understands but our language does not (functions, aliases, subqueries, field to
field comparisons...) is rejected here with an error that names the construct and, where a
common slip explains it, a hint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NoReturn

from sqlglot import Token, TokenType, exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError

from territorial.domain.fields import FieldType, canonical
from territorial.errors import BadInput, Location, Problem
from territorial.rules.ast import (
    And,
    Between,
    CompareOp,
    Comparison,
    Expr,
    FieldRef,
    InList,
    IsNull,
    Like,
    Literal,
    Not,
    Or,
    all_of,
    any_of,
)
from territorial.rules.ast import text as string_literal
from territorial.rules.text import show_value, to_text


class RuleError(BadInput):
    """A rule that cannot be parsed or checked. `pos` is a 0-based offset into the rule text; whoever
    knows where the rule came from (a plan's line, an option) locates it further."""

    def __init__(self, message: str, pos: int = 0) -> None:
        self.message = message
        self.pos = pos
        super().__init__([Problem(Location(subject="rule"), message)])


_COMPARISONS: dict[type[exp.Expr], CompareOp] = {
    exp.EQ: CompareOp.EQ,
    exp.NEQ: CompareOp.NE,
    exp.LT: CompareOp.LT,
    exp.LTE: CompareOp.LE,
    exp.GT: CompareOp.GT,
    exp.GTE: CompareOp.GE,
}


# Far deeper than any rule a person writes or Territorial generates (a few levels); sqlglot and the
# compilers recurse at least once per level, and 500 levels overflowed Python's stack.
MAX_RULE_NESTING = 100

# Quotes that word processors and Excel's autocorrect type in place of ' and ".
CURLY_QUOTES = "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f"

_SQL = Dialect.get_or_raise(None)


def parse_rule(text: str) -> Expr:
    """Parse one rule. Raises RuleError with the offset of the offending construct."""
    if not text.strip():
        raise RuleError("the rule is empty; leave `rule` out to match every account that reaches it")
    try:
        tokens = _SQL.tokenize(text)
    except TokenError as err:
        raise RuleError(f"cannot read the rule: {_token_error_message(text)}", _unclosed_quote(text)) from err
    check_nesting(tokens)
    _check_curly_quotes(tokens, text)
    _check_other_languages(tokens, text)
    try:
        trees = _SQL.parser().parse(tokens, text)
    except ParseError as err:
        raise _parse_error(err, tokens, text) from err
    if not trees or trees[0] is None:
        raise RuleError("the rule holds only a comment; write a condition, or leave `rule` out")
    # Two statements (`a = 1; b = 2`) arrive as a Block, which the converter refuses with a hint.
    return _Converter(text).boolean(exp.Block(expressions=trees) if len(trees) > 1 else trees[0])


def check_nesting(tokens: Sequence[Token], what: str = "rules") -> None:
    """Refuse more than MAX_RULE_NESTING open parentheses and NOTs (whose reach ends at the next
    AND, OR or closing parenthesis), before sqlglot recurses into them."""
    open_now: list[TokenType] = []
    for token in tokens:
        kind = token.token_type
        if kind in (TokenType.AND, TokenType.OR, TokenType.R_PAREN):
            while open_now and open_now[-1] is TokenType.NOT:
                open_now.pop()
            if kind is TokenType.R_PAREN and open_now:
                open_now.pop()
        elif kind in (TokenType.L_PAREN, TokenType.NOT):
            open_now.append(kind)
            if len(open_now) > MAX_RULE_NESTING:
                raise RuleError(
                    f"{what} nest at most {MAX_RULE_NESTING} levels of parentheses and NOT", token.start
                )


def _check_curly_quotes(tokens: Sequence[Token], text: str) -> None:
    """Curly quotes outside a string literal: sqlglot would read ‘NY’ as a field name."""
    for token in tokens:
        if token.token_type is TokenType.STRING:
            continue
        found = [i for i, char in enumerate(token.text) if char in CURLY_QUOTES]
        if not found:
            continue
        start = token.start + found[0]
        close = next((i for i in range(start + 1, len(text)) if text[i] in CURLY_QUOTES), len(text))
        raise RuleError(
            f"{text[start : close + 1]} has curly quotes (as word processors type them); "
            f"write straight single quotes: {show_value(text[start + 1 : close])}",
            start,
        )


def _check_other_languages(tokens: Sequence[Token], text: str) -> None:
    """Symbols from Excel, JavaScript and currency formats that the rule language never has; SQL reads
    some of them as something else (|| joins text, $1000 is a name), so they are caught before parsing."""
    for i, token in enumerate(tokens):
        kind = token.token_type
        if kind is TokenType.DAMP:
            raise RuleError("write AND for &&", token.start)
        if kind is TokenType.DPIPE:
            raise RuleError("write OR for ||", token.start)
        if kind is TokenType.VAR and token.text.startswith("$"):
            amount = _MONEY.match(text, token.start)
            digits = amount.group(1).replace(",", "").replace(" ", "") if amount else ""
            if any(char.isdigit() for char in digits):
                raise RuleError(
                    f"write amounts as plain numbers, without a currency sign: {digits}", token.start
                )
        if kind is TokenType.MOD and i > 0 and tokens[i - 1].token_type is TokenType.NUMBER:
            number = tokens[i - 1]
            negative = i > 1 and tokens[i - 2].token_type is TokenType.DASH
            written = f"{'-' if negative else ''}{number.text}"
            share = Decimal(written) / 100
            raise RuleError(
                f"{written}% is not a number in a rule; write {share:f} or {written}, "
                "whichever the column holds (% belongs only inside a LIKE pattern)",
                tokens[i - 2].start if negative else number.start,
            )


# A currency amount as Excel formats it: $1,000 or $ 1,000.50.
_MONEY = re.compile(r"\$\s*(-?[\d, ]*\.?\d*)")


def _parse_error(err: ParseError, tokens: Sequence[Token], text: str) -> RuleError:
    slip = _slip(tokens)
    if slip is not None:
        return slip
    first = err.errors[0] if err.errors else {}
    description = str(first.get("description", "syntax error"))
    pos = _offset(text, int(first.get("line") or 1), int(first.get("col") or 1))
    return RuleError(f"syntax error: {_friendly(description)}", pos)


def _slip(tokens: Sequence[Token]) -> RuleError | None:
    """A habit from another language that explains why the rule does not parse, with what to write."""
    for i, token in enumerate(tokens):
        kind, word = token.token_type, token.text.upper()
        before = tokens[i - 1] if i > 0 else None
        field = canonical(before.text) if before is not None and before.token_type is TokenType.VAR else None
        if kind is TokenType.VAR and word == "CONTAINS" and field is not None:
            after = tokens[i + 1] if i + 1 < len(tokens) else None
            value = after.text if after is not None and after.token_type is TokenType.STRING else "text"
            return RuleError(
                f"CONTAINS is not part of the rule language; to find text inside a field write "
                f"{to_text(_contains(field, value))}",
                token.start,
            )
        if kind is TokenType.VAR and word in ("INCLUDES", "EXCLUDES") and field is not None:
            values = _listed(tokens[i + 1 :]) or ["value"]
            if word == "INCLUDES":
                written = any_of(*(_contains(field, v) for v in values))
            else:
                written = all_of(*(_contains(field, v, negated=True) for v in values))
            return RuleError(
                f"{word} (SOQL's test on multi-select picklists) is not part of the rule language; "
                f"write {to_text(written, max_items=None)}",
                token.start,
            )
        groups = _thousands(tokens, i) if kind is TokenType.NUMBER else []
        if groups:
            return RuleError(
                f"write numbers without a thousands separator: {''.join(t.text for t in groups)}",
                token.start,
            )
    return None


def _contains(field: str, value: str, negated: bool = False) -> Like:
    return Like(FieldRef(field), string_literal(f"%{value}%"), None, negated)


def _listed(tokens: Sequence[Token]) -> list[str]:
    """The string literals of a parenthesised list at the start of `tokens`."""
    if not tokens or tokens[0].token_type is not TokenType.L_PAREN:
        return []
    values = []
    for token in tokens[1:]:
        if token.token_type is TokenType.R_PAREN:
            break
        if token.token_type is TokenType.STRING:
            values.append(token.text)
    return values


def _thousands(tokens: Sequence[Token], start: int) -> list[Token]:
    """A number written with thousands commas (1,000,000) at tokens[start]: its digit groups, or []
    when the comma is a list's (a space after it, or not three digits)."""
    groups = [tokens[start]]
    i = start + 1
    while i + 1 < len(tokens):
        comma, digits = tokens[i], tokens[i + 1]
        if not (
            comma.token_type is TokenType.COMMA
            and comma.start == groups[-1].end + 1
            and digits.token_type is TokenType.NUMBER
            and digits.start == comma.end + 1
            and re.fullmatch(r"\d{3}", digits.text)
        ):
            break
        groups.append(digits)
        i += 2
    return groups if len(groups) > 1 else []


def _token_error_message(text: str) -> str:
    if _unclosed_quote(text) >= 0:
        return "a string literal is not closed; end it with a single quote (write '' for a quote inside it)"
    return "unexpected character"


def _unclosed_quote(text: str) -> int:
    """The offset of a string literal's opening quote that is never closed, or -1."""
    start = -1
    i = 0
    while i < len(text):
        if text[i] == "'":
            if start < 0:
                start = i
            elif i + 1 < len(text) and text[i + 1] == "'":
                i += 1
            else:
                start = -1
        i += 1
    return start


def _offset(text: str, line: int, col: int) -> int:
    lines = text.split("\n")
    before = sum(len(x) + 1 for x in lines[: line - 1])
    return max(0, min(len(text), before + col - 1))


def _friendly(description: str) -> str:
    missing = re.match(r"Required keyword: '(\w+)' missing for <class '[\w.]*?(\w+)'>", description)
    if missing:
        part, node = missing.groups()
        if part == "expression":
            return "an operator is missing its right-hand side"
        if node == "Neg":
            return "'-' must be followed by a number"
        if node == "Between":
            return "BETWEEN needs a low and a high value, e.g. employees BETWEEN 100 AND 500"
        if node == "Not":
            return "NOT must be followed by a condition"
        return "something is missing here (the rule ends too early?)"
    if description.startswith("Invalid expression / Unexpected token"):
        return "unexpected token (a missing AND/OR or comma?)"
    return description


def position_of(node: exp.Expr) -> int:
    """Best-effort offset of a node: sqlglot keeps token offsets on leaves."""
    for leaf in node.walk():
        meta: dict[str, Any] = leaf.meta if hasattr(leaf, "meta") else {}
        if "start" in meta:
            return int(meta["start"])
    return 0


class _Converter:
    def __init__(self, text: str) -> None:
        self.text = text

    def reject(self, message: str, node: exp.Expr) -> NoReturn:
        raise RuleError(message, position_of(node))

    def boolean(self, node: exp.Expr) -> Expr:
        match node:
            case exp.Paren():
                return self.boolean(node.this)
            case exp.And():
                return And(tuple(self.boolean(x) for x in _flatten(node, exp.And)))
            case exp.Or():
                return Or(tuple(self.boolean(x) for x in _flatten(node, exp.Or)))
            case exp.Not():
                return self.negation(node.this)
            case exp.EQ() | exp.NEQ() | exp.LT() | exp.LTE() | exp.GT() | exp.GTE():
                return self.comparison(node)
            case exp.In():
                return self.in_list(node, negated=False)
            case exp.Between():
                return self.between(node, negated=False)
            case exp.Like():
                return self.like(node, None, negated=False)
            case exp.Escape():
                return self.escaped_like(node, negated=False)
            case exp.Is():
                return self.is_null(node, negated=False)
        self.not_a_condition(node)

    def negation(self, node: exp.Expr) -> Expr:
        # `x NOT IN (...)`, `x NOT LIKE`, `x NOT BETWEEN` and `x IS NOT NULL` all arrive as Not(...).
        inner = node.this if isinstance(node, exp.Paren) and not _is_condition_paren(node) else node
        match inner:
            case exp.In():
                return self.in_list(inner, negated=True)
            case exp.Between():
                return self.between(inner, negated=True)
            case exp.Like():
                return self.like(inner, None, negated=True)
            case exp.Escape():
                return self.escaped_like(inner, negated=True)
            case exp.Is():
                return self.is_null(inner, negated=True)
        return Not(self.boolean(node))

    def not_a_condition(self, node: exp.Expr) -> NoReturn:
        if isinstance(node, exp.Column):
            name = self.field_name(node)
            self.reject(
                f"'{name}' on its own is not a condition; compare it, "
                f"e.g. {name} = TRUE or {name} IS NOT NULL",
                node,
            )
        if isinstance(node, exp.Alias):
            self.reject(
                "two terms stand side by side (SQL would read the second as an alias); "
                "an operator, AND/OR or a comma is missing",
                node.args.get("alias") or node,
            )
        if isinstance(node, exp.Block):
            self.reject("write one rule without ';'", node)
        if isinstance(node, exp.Boolean | exp.Literal | exp.Null):
            self.reject("a literal on its own is not a condition; compare a field with it", node)
        if isinstance(node, exp.ILike):
            raise RuleError(
                "ILIKE is not needed: LIKE already ignores case", max(self.text.upper().find("ILIKE"), 0)
            )
        self.reject(f"{_describe(node)} is not part of the rule language", node)

    def field(self, node: exp.Expr) -> FieldRef:
        if isinstance(node, exp.Column):
            return FieldRef(self.field_name(node), position_of(node))
        if isinstance(node, exp.Literal | exp.Boolean | exp.Null | exp.Neg | exp.Cast):
            self.reject("expected a field name here, found a literal", node)
        self.reject(f"expected a field name, found {_describe(node)}", node)

    def field_name(self, node: exp.Column) -> str:
        identifier = node.this
        if isinstance(identifier, exp.Identifier) and identifier.quoted:
            self.reject(
                f'"{identifier.name}" is in double quotes, which SQL reads as a field name; '
                f"write string literals in single quotes: '{identifier.name}'",
                node,
            )
        if node.table or not isinstance(identifier, exp.Identifier):
            self.reject(f"'{node.sql()}' is not a plain field name", node)
        return canonical(identifier.name)

    def literal(self, node: exp.Expr, after: int = 0) -> Literal:
        pos = self.keywordposition_of(node, after)
        match node:
            case exp.Literal() if node.is_string:
                return Literal(node.this, FieldType.STRING, pos)
            case exp.Literal():
                return Literal(float(node.this), FieldType.NUMBER, pos)
            case exp.Neg() if isinstance(node.this, exp.Literal) and not node.this.is_string:
                return Literal(-float(node.this.this), FieldType.NUMBER, pos)
            case exp.Boolean():
                return Literal(bool(node.this), FieldType.BOOLEAN, pos)
            case exp.Null():
                return Literal(None, None, pos)
            case exp.Cast() if node.to.is_type(exp.DataType.Type.DATE):
                return self.date_literal(node)
            case exp.Column():
                self.field_name(node)  # raises the double-quote hint
                self.reject(f"{_FIELD_TO_FIELD}; {_if_a_value(node.name, show_value(node.name))}", node)
            case exp.Concat() | exp.DPipe():
                self.reject("two string literals stand side by side; a comma is missing between them", node)
            case exp.Cast():
                self.reject(f"{node.to.sql()} literals are not supported; use DATE 'YYYY-MM-DD'", node)
        self.reject(
            f"expected a literal ('text', a number, TRUE, FALSE, NULL or DATE 'YYYY-MM-DD'), "
            f"found {_describe(node)}",
            node,
        )

    def keywordposition_of(self, node: exp.Expr, after: int) -> int:
        """sqlglot keeps no offset on TRUE/FALSE/NULL, so find the keyword after the field."""
        if isinstance(node, exp.Boolean | exp.Null):
            found = self.text.upper().find(node.sql().upper(), after)
            return max(found, 0)
        return position_of(node)

    def date_literal(self, node: exp.Cast) -> Literal:
        inner = node.this
        if not (isinstance(inner, exp.Literal) and inner.is_string):
            self.reject("DATE must be followed by a quoted 'YYYY-MM-DD'", node)
        try:
            value = date.fromisoformat(inner.this)
        except ValueError:
            value = None
        if value is None or len(inner.this) != 10:
            self.reject(f"DATE '{inner.this}' is not a valid date; expected 'YYYY-MM-DD'", inner)
        return Literal(value, FieldType.DATE, position_of(inner))

    def operands(self, node: exp.Expr) -> tuple[FieldRef, Literal, bool]:
        """The field and literal of a binary comparison, and whether they were written swapped."""
        left, right = node.this, node.expression
        if isinstance(left, exp.Column) and not isinstance(right, exp.Column):
            field = self.field(left)
            return field, self.literal(right, field.pos), False
        if isinstance(right, exp.Column) and not isinstance(left, exp.Column):
            return self.field(right), self.literal(left), True
        if isinstance(left, exp.Column):
            name = self.field_name(left)
            self.field_name(right)
            meant = Comparison(_COMPARISONS[type(node)], FieldRef(name), string_literal(right.name))
            self.reject(f"{_FIELD_TO_FIELD}; {_if_a_value(right.name, to_text(meant))}", right)
        if isinstance(left, exp.Func) or isinstance(right, exp.Func):
            func = left if isinstance(left, exp.Func) else right
            self.reject(f"{_describe(func)} is not supported: rules compare a field with a literal", func)
        self.reject("a comparison needs a field on one side and a literal on the other", node)

    def comparison(self, node: exp.Expr) -> Comparison:
        field, lit, swapped = self.operands(node)
        op = _COMPARISONS[type(node)]
        return Comparison(op.flipped() if swapped else op, field, lit)

    def in_list(self, node: exp.In, negated: bool) -> InList:
        negated = _toggled(node, negated)
        if node.args.get("query") is not None or node.args.get("unnest") is not None:
            self.reject("IN takes a list of literals, not a subquery", node)
        items = node.expressions
        if not items:
            self.reject("IN () is empty; list at least one value, e.g. IN ('NY')", node)
        field = self.field(node.this)
        return InList(field, tuple(self.literal(x, field.pos) for x in items), negated)

    def between(self, node: exp.Between, negated: bool) -> Between:
        negated = _toggled(node, negated)
        return Between(
            self.field(node.this), self.literal(node.args["low"]), self.literal(node.args["high"]), negated
        )

    def like(self, node: exp.Like, escape: str | None, negated: bool) -> Like:
        negated = _toggled(node, negated)
        return Like(self.field(node.this), self.literal(node.expression), escape, negated)

    def escaped_like(self, node: exp.Escape, negated: bool) -> Like:
        inner = node.this
        if not isinstance(inner, exp.Like):
            self.reject("ESCAPE goes only with LIKE", node)
        escape = node.expression
        if not (isinstance(escape, exp.Literal) and escape.is_string and len(escape.this) == 1):
            self.reject("ESCAPE takes a single character in single quotes, e.g. ESCAPE '!'", escape)
        if escape.this.isalnum() or escape.this.isspace():
            # Patterns are lower-cased like all strings, so a letter could not stay an escape.
            self.reject("the ESCAPE character must be punctuation such as '!' or '#'", escape)
        like = self.like(inner, escape.this, negated)
        if _ends_with_lone_escape(str(like.pattern.value), escape.this):
            self.reject(
                f"the pattern ends with the escape character {escape.this!r}; "
                "escape a character after it, or write it twice for itself",
                inner.expression,
            )
        return like

    def is_null(self, node: exp.Is, negated: bool) -> IsNull:
        negated = _toggled(node, negated)
        if not isinstance(node.expression, exp.Null):
            self.reject(
                f"IS {node.expression.sql()} is not supported; use IS NULL, IS NOT NULL or = TRUE/FALSE",
                node.expression,
            )
        return IsNull(self.field(node.this), negated)


_FIELD_TO_FIELD = "comparing a field with another field is not supported, only with a literal"


def _if_a_value(name: str, meant: str) -> str:
    """A word without quotes reads as a field name; the user most often meant the text itself."""
    return f"if {name} is a value, put it in single quotes: {meant}"


def _ends_with_lone_escape(pattern: str, escape: str) -> bool:
    i = 0
    while i < len(pattern):
        if pattern[i] == escape:
            if i + 1 == len(pattern):
                return True
            i += 1
        i += 1
    return False


def _toggled(node: exp.Expr, negated: bool) -> bool:
    """sqlglot writes some negations (`x NOT LIKE`) as a `negate` flag instead of a Not node."""
    return negated != bool(node.args.get("negate"))


def _is_condition_paren(node: exp.Paren) -> bool:
    return isinstance(node.this, exp.And | exp.Or | exp.Not)


def _flatten(node: exp.Expr, kind: type[exp.Expr]) -> list[exp.Expr]:
    out: list[exp.Expr] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, kind):
            stack.append(item.expression)
            stack.append(item.this)
        else:
            out.append(item)
    return out


def _describe(node: exp.Expr) -> str:
    if isinstance(node, exp.Func):
        name = node.sql_name() if hasattr(node, "sql_name") else type(node).__name__
        return f"the function {name}()"
    if isinstance(node, exp.Subquery | exp.Select):
        return "a subquery"
    if isinstance(node, exp.Placeholder):
        return "a parameter placeholder"
    return f"'{node.sql()}'"
