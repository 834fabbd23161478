"""Where a rule's text sits in its plan file (a territory's `rule:`, a check's `assert:`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RuleSource:
    """Where a rule's text starts in the plan file, so errors inside it can name a line and column."""

    text: str
    line: int
    column: int
    file_lines: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def position(self, offset: int) -> tuple[int, int]:
        """File line and column of a 0-based offset into the rule text.

        YAML folds, indents and unescapes multi-line and quoted scalars, so the offset cannot be
        mapped arithmetically; instead the word at the offset is found again in the file, counting
        its earlier occurrences in the rule.
        """
        rest = self.text[offset:].split(None, 1)
        word = rest[0][:20] if rest else ""
        if not word or not self.file_lines:
            return self.line, self.column + offset
        wanted = self.text[:offset].count(word) + 1
        col = self.column - 1
        for index in range(self.line - 1, len(self.file_lines)):
            text = self.file_lines[index]
            while (found := text.find(word, col)) >= 0:
                wanted -= 1
                if wanted == 0:
                    return index + 1, found + 1
                col = found + len(word)
            col = 0
        return self.line, self.column + offset
