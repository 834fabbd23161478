"""Every README command on the demo data and `tests/data` gives the stdout, files and exit code it
gave before the service-layer rework (the corpus recorded by `record.py` at f804ccf)."""

from __future__ import annotations

import difflib
import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from golden_corpus import SCRIPTS, load, normalise, prepare, run_script

from conftest import run_process

# Steps whose behaviour changed on purpose since the corpus was recorded: (script, step) -> the
# fields that differ now, and why.
INTENDED: dict[tuple[str, int], dict[str, Any]] = {
    ("demo", 0): {
        "files": {
            "demo/balance/plan.yaml": {
                "lines": 1102,
                "sha256": "0036436ca2b09a06040f80527ae8a4bfcec646fde8bffcb488a8b76492878516",
            }
        },
        "why": "draft plan rules are rendered from their tree (rules/text.py): 3 of 24 rules lose "
        "redundant outer brackets, `((a OR b) AND account_id NOT IN (...))` is now "
        "`(a OR b) AND account_id NOT IN (...)`; every rule means the same",
    },
    ("workspace", 20): {
        "exit_code": 0,
        "why": "`db upgrade` on an existing SQLite workspace works: WAL is set outside a transaction "
        "(it failed with 'cannot change into wal mode from within a transaction')",
    },
}


def _shown(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(line) for line in value]
    return json.dumps(value, indent=1, sort_keys=True).split("\n")


def differences(expected: list[dict[str, Any]], actual: list[dict[str, Any]], script: str) -> list[str]:
    found = []
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        change = {k: v for k, v in INTENDED.get((script, index), {}).items() if k != "why"}
        want = {**want, **change, "files": {**want["files"], **change.get("files", {})}}
        where = f"step {index} `territorial {' '.join(want['argv'])}`"
        if got["exit_code"] != want["exit_code"]:
            found.append(f"{where}: exit code {got['exit_code']}, expected {want['exit_code']}")
        if got["stdout"] != want["stdout"]:
            diff = difflib.unified_diff(want["stdout"], got["stdout"], "expected", "actual", lineterm="")
            found.append(f"{where}: stdout differs\n" + "\n".join(list(diff)[:60]))
        if sorted(got["files"]) != sorted(want["files"]):
            found.append(f"{where}: wrote {sorted(got['files'])}, expected {sorted(want['files'])}")
        for name in sorted(set(got["files"]) & set(want["files"])):
            if got["files"][name] != want["files"][name]:
                diff = difflib.unified_diff(
                    _shown(want["files"][name]), _shown(got["files"][name]), "expected", "actual", lineterm=""
                )
                found.append(f"{where}: {name} differs\n" + "\n".join(list(diff)[:60]))
    return found


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_the_readme_commands_behave_as_recorded(script: Any, tmp_path: Path) -> None:
    expected = load(script.name)
    assert [s["argv"] for s in expected] == [shlex.split(line) for line in script.steps], (
        "the script changed: record the corpus again"
    )
    actual = run_script(script, tmp_path / "run")
    problems = differences(expected, actual, script.name)
    assert not problems, "\n\n".join(problems)


def test_the_real_command_prints_what_the_recorded_one_did(tmp_path: Path) -> None:
    """The corpus runs in-process; the installed command, as its own process, gives the same."""
    script = SCRIPTS[0]
    prepare(script, tmp_path)
    expected = load(script.name)
    for index in (5, 6, 8):  # assign to stdout, explain, a missing account (exit 2)
        result = run_process(tmp_path, *shlex.split(script.steps[index]))
        assert result.returncode == expected[index]["exit_code"], result.stderr
        assert normalise(result.stdout, tmp_path).split("\n") == expected[index]["stdout"]
