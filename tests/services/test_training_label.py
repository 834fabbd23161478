"""The outcome `score train --label` learns: a column, COLUMN=VALUE[,VALUE…], or a condition in the
rule language over the history's columns as fields."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from territorial.errors import BadInput
from territorial.services.scoring import FIT_ENTITIES, scored_file
from territorial.services.training_label import training_label

CONTACTS = Path(__file__).resolve().parents[1] / "data" / "crm" / "hubspot_contacts_olist.csv"
SF_LEADS = CONTACTS.with_name("sf_leads_olist.csv")


def _outcome(
    spec: str, mapping: str | None = None, path: Path = CONTACTS
) -> tuple[list[str], str, list[str]]:
    table, named = scored_file(path, mapping, FIT_ENTITIES)
    label = training_label(table.frame, spec, named, table)
    return label.frame.get_column(label.column).to_list(), label.column, label.read_from


@pytest.mark.parametrize("mapping", [None, "hubspot"])
def test_a_condition_reads_a_hubspot_export_as_its_shorthand_does(mapping: str | None) -> None:
    condition, column, _ = _outcome("lifecycle_stage IN ('customer', 'evangelist')", mapping)
    shorthand, same_column, _ = _outcome("Lifecycle Stage=Customer,Evangelist", mapping)
    assert condition == shorthand and condition.count("1") == 60 and condition.count("0") == 60
    # The outcome takes the place of the column it is read from, so the model cannot learn it.
    assert column == same_column == ("lifecycle_stage" if mapping else "Lifecycle Stage")


def test_a_condition_over_several_columns_keeps_the_model_off_all_of_them() -> None:
    outcome, column, read_from = _outcome(
        "status = 'Closed - Converted' AND isconverted = TRUE", "salesforce", SF_LEADS
    )
    assert outcome.count("1") == 60 and column == "converted" and read_from == ["status"]


def test_numbers_compare_as_numbers(tmp_path: Path) -> None:
    history = tmp_path / "deals.csv"
    pl.DataFrame({"id": ["a", "b", "c"], "amount": ["900", "1200", ""], "seats": ["1", "2", "3"]}).write_csv(
        history
    )
    assert _outcome("amount >= 1000", path=history)[0] == ["0", "1", "0"]  # empty: not converted


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("lifecyle_stage = 'customer'", "unknown field 'lifecyle_stage'; did you mean 'lifecycle_stage'?"),
        ("lifecycle_stage > 3", "lifecycle_stage is a string field but 3 is a number"),
        (
            "lifecycle_stage = 'custmer'",
            "no row meets \"lifecycle_stage = 'custmer'\"; Lifecycle Stage's values",
        ),
        (
            "lifecycle_stage IN ('customer'",
            "expected the outcome column (1/0, yes/no, true/false), COLUMN=VALUE[,VALUE…], or",
        ),
        ("Convertd", "there is no column 'Convertd'; columns are: Record ID, "),
        ("Lifecycle Stag=Customer", "there is no column 'Lifecycle Stag'; columns are: Record ID, "),
    ],
)
def test_a_label_that_cannot_be_read_names_the_option_and_what_it_takes(spec: str, message: str) -> None:
    with pytest.raises(BadInput) as refused:
        _outcome(spec)
    assert refused.value.problems[0].location.subject == "--label"
    assert message in str(refused.value)
