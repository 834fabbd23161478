"""One record at a time (`normalize_place`) gives what the columnar `normalize` gives."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples
from territorial.domain.normalize import PLACE_FIELDS, normalize, normalize_place

COUNTRIES = ["US", "usa", "United States", "Canada", "ca", "Deutschland", "Germany", "Narnia", " ", ""]
STATES = ["CA", "ca", "California", "N.Y.", "new york", "Ontario", "ON", "Bavaria", "ZZ", "Qc", ""]
POSTAL = ["2134", "02134", "94105-1234", "941051234", "12345.0", "k1a 0b1", "K1A-0B1", "SW1A 1AA", "abc", ""]
WEBSITES = ["https://www.Acme.com/about", "WWW2.acme.co.uk.", "acme", "mailto:x@y.com", "http://a.b:8080/x"]
EMAILS = ["Jane@Acme.COM", "mailto:MAILTO:bob@x.io", "Jane Doe <JANE@acme.com>", "not an email", "a@b"]
texts = st.one_of(st.none(), st.text(max_size=12))


def columnar(records: list[dict[str, str | None]]) -> list[dict[str, str | None]]:
    frame = pl.DataFrame(records, schema=dict.fromkeys(PLACE_FIELDS, pl.String))
    return normalize(frame, {}).frame.to_dicts()


records = st.fixed_dictionaries(
    {
        "country": st.one_of(st.sampled_from(COUNTRIES), texts),
        "state": st.one_of(st.sampled_from(STATES), texts),
        "postal_code": st.one_of(st.sampled_from(POSTAL), texts),
        "home_postal_code": st.one_of(st.sampled_from(POSTAL), texts),
        "website": st.one_of(st.sampled_from(WEBSITES), texts),
        "email": st.one_of(st.sampled_from(EMAILS), texts),
    }
)


@settings(max_examples=examples(ci=50, full=150), deadline=None)
@given(st.lists(records, min_size=1, max_size=8))
def test_one_record_at_a_time_agrees_with_the_columnar_rules(batch: list[dict[str, str | None]]) -> None:
    assert [normalize_place(record) for record in batch] == columnar(batch)


def test_examples_of_each_rule() -> None:
    one = normalize_place(
        {
            "country": "United States",
            "state": "new york",
            "postal_code": "2134",
            "website": "https://www.Acme.com/about",
            "email": "Jane Doe <JANE@acme.com>",
        }
    )
    assert one == {
        "country": "US",
        "state": "NY",
        "postal_code": "02134",
        "website": "acme.com",
        "email": "jane@acme.com",
    }
    assert normalize_place({"country": "Canada", "postal_code": "k1a-0b1"})["postal_code"] == "K1A 0B1"
