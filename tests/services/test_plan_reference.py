"""How a `--plan` value is read: a stored plan's id or a plan file, one way for every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from territorial.errors import BadInput
from territorial.services.workspace import plan_reference


def test_digits_are_an_id_and_anything_else_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert plan_reference("12") == 12
    assert plan_reference(" 12 ") == 12
    assert plan_reference(" plans/2027.yaml ") == Path("plans/2027.yaml")
    assert plan_reference("./2027") == Path("2027")
    assert plan_reference("²") == Path("²")  # a digit to Python, not an id
    assert plan_reference("9" * 300) == int("9" * 300)  # too long to be a file name; no OS error


def test_a_file_named_like_an_id_is_ambiguous_but_a_folder_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "2026").mkdir()
    assert plan_reference("2026") == 2026
    (tmp_path / "2027").write_text("name: P\n")
    with pytest.raises(BadInput, match=r"--plan.*'2027' is both a stored plan's id and a file here"):
        plan_reference("2027")
