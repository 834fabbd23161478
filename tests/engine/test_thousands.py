"""A thousands separator in a rule's list is two values: the check says so (#18, a new-user pass)."""

from __future__ import annotations

from territorial.engine.checks import thousands_in_lists


def test_a_number_with_a_thousands_separator_is_named_with_its_place() -> None:
    text = "employees IN (1,500, 50) AND name = 'a,000' OR revenue IN (2,000,000)"
    found = thousands_in_lists(text)
    assert [pos for pos, _ in found] == [text.index("1,500"), text.index("2,000,000")]
    assert found[0][1] == (
        "1,500 reads as the values 1 and 500 (a comma separates list values); write 1500 if it is one number"
    )


def test_lists_of_small_numbers_and_quoted_text_are_not_flagged() -> None:
    assert thousands_in_lists("code IN (1,2,3) AND name IN ('1,500', 'x')") == []
