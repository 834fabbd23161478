"""Normalise imported CRM values (countries, states, postal codes, numbers, dates, domains), recording
every change so the importer can keep it as history."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import polars as pl
import pycountry
import us

from territorial.domain.fields import FieldType
from territorial.errors import Location, Problem, ProblemLog
from territorial.geo.zips import load_zips
from territorial.io.accounts import _NUMBER as PLAIN_NUMBER
from territorial.rules.to_polars import POLARS_TYPES

MAX_REPORTED = 50


class Rule(StrEnum):
    """Why a cell changed; the name the history shows next to the old and new value."""

    COUNTRY = "country"
    STATE = "state"
    ZIP = "zip"
    CANADIAN_POSTAL_CODE = "canadian_postal_code"
    DOMAIN = "domain"
    EMAIL = "email"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    COORDINATES = "coordinates"


EXPECTED = {
    FieldType.NUMBER: "a number such as 1200 or $1,200.50",
    FieldType.BOOLEAN: "true or false (yes/no, y/n, t/f and 1/0 work too)",
    FieldType.DATE: "a date such as 2024-05-01 or 5/1/2024",
}

CHANGES_SCHEMA = pl.Schema(
    {"row": pl.UInt32, "column": pl.String, "old": pl.String, "new": pl.String, "rule": pl.String}
)
PROBLEMS_SCHEMA = pl.Schema(
    {"row": pl.UInt32, "column": pl.String, "value": pl.String, "expected": pl.String}
)
UNRECOGNIZED_SCHEMA = pl.Schema({"column": pl.String, "value": pl.String, "rows": pl.UInt32})

# Columns recognised by their canonical name.
COUNTRY = "country"
STATE = "state"
POSTAL_CODES = ("postal_code", "home_postal_code")
WEBSITE = "website"
EMAIL = "email"
LATITUDE, LONGITUDE = "latitude", "longitude"

UNITED_STATES, CANADA = "US", "CA"

# CRM spellings that pycountry's names and codes miss. Fuzzy search stays off: "Austria" must never
# become "Australia" because someone mistyped.
COUNTRY_ALIASES = {
    "America": "US",
    "UK": "GB",
    "Great Britain": "GB",
    "Britain": "GB",
    "England": "GB",
    "Scotland": "GB",
    "Wales": "GB",
    "Northern Ireland": "GB",
    "Deutschland": "DE",
    "Holland": "NL",
    "The Netherlands": "NL",
    "Nederland": "NL",
    "Russia": "RU",
    "Korea": "KR",
    "Turkey": "TR",
    "UAE": "AE",
    "Ivory Coast": "CI",
    "Macedonia": "MK",
    "Swaziland": "SZ",
    "Burma": "MM",
    "Cape Verde": "CV",
    "East Timor": "TL",
    "Vatican": "VA",
    "Brunei": "BN",
    "Micronesia": "FM",
    "Palestine": "PS",
    "PRC": "CN",
    "Mainland China": "CN",
    "Republic of Ireland": "IE",
    "Brasil": "BR",
    "España": "ES",
    "Italia": "IT",
    "Schweiz": "CH",
    "Suisse": "CH",
    "Österreich": "AT",
    "Sverige": "SE",
    "Norge": "NO",
    "Danmark": "DK",
    "Polska": "PL",
}

# USPS codes the `us` package does not list: mail to the armed forces overseas.
ARMED_FORCES = {"AA": "Armed Forces Americas", "AE": "Armed Forces Europe", "AP": "Armed Forces Pacific"}
US_STATE_ALIASES = {"Washington DC": "DC", "US Virgin Islands": "VI"}
CANADIAN_PROVINCE_ALIASES = {"PQ": "QC", "Newfoundland": "NL", "Yukon Territory": "YT"}

# Accounting exports write negatives in brackets and put currency signs or codes on either side.
_CURRENCY = r"(?:US\$|CA?\$|AU?\$|NZ\$|HK\$|S\$|R\$|\$|€|£|¥|₹|USD|EUR|GBP|CAD|AUD|JPY|CHF|INR)"
_LEADING_CURRENCY = rf"(?i)^([+-]?)\s*{_CURRENCY}\s*"
_TRAILING_CURRENCY = rf"(?i)\s*{_CURRENCY}$"
_BRACKETED = r"^\((.*)\)$"
# Separators only between groups of three, so "3,5" (a European 3.5?) is refused, not read as 35.
_GROUPED_NUMBER = r"^[+-]?\d{1,3}(?:(?:,\d{3})+|(?:[ \u00a0\u202f'’]\d{3})+)(?:\.\d+)?$"
_GROUP_SEPARATORS = r"[, \u00a0\u202f'’]"
_LARGEST_EXACT_INTEGER = 2.0**53

_BOOLEANS = {
    "true": True,
    "false": False,
    "t": True,
    "f": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "1": True,
    "0": False,
}

# ISO dates and datetimes (Salesforce: 2024-05-01T13:45:00.000Z, HubSpot: 2024-05-01 13:45) and US
# M/D/YYYY with an optional time (Salesforce reports: 5/1/2024 1:45 PM). The date is taken as written:
# converting a UTC time to a local date would make the result depend on the importing machine.
_ISO_DATE = (
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)
_US_DATE = r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\.?)?)?$"

# Spreadsheets drop a ZIP's leading zeros (02134 -> 2134) and sometimes add ".0".
_SHORT_ZIP = r"^(\d{3,5})(?:\.0+)?$"
_ZIP_PLUS_FOUR = r"^(\d{5})[- ]?\d{4}$"
_CANADIAN_POSTAL_CODE = r"^([A-Za-z]\d[A-Za-z])[ -]?(\d[A-Za-z]\d)$"

_URL_SCHEME = r"^[a-z][a-z0-9+.-]*://"
_URL_USER = r"^[^/?#@]*@"
_URL_PATH = r"[/?#].*$"
_URL_PORT = r":\d*$"
_WWW = r"^www\d*\."
_DOMAIN = r"^[^\s./@]+(?:\.[^\s./@]+)+$"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_NAMED_EMAIL = r"<([^<>\s]+)>$"  # "Jane Doe <jane@acme.com>"


class _Region(StrEnum):
    """Which country's states and postal codes a row can hold."""

    US = "US"
    CANADA = "CA"
    EITHER = "either"  # no country given: US or Canadian values are recognised
    OTHER = "other"  # another country: its states and postal codes are left alone


@dataclass(frozen=True)
class Normalized:
    """An import's values after normalisation, with what changed and what could not be typed.

    frame: the input's columns in the same order, typed (numbers Float64, booleans Boolean, dates Date,
      everything else String), trimmed, blanks as null.
    changes: one row per changed cell (row, column, old, new, rule), sorted by row then column. Trimmed
      whitespace is not a change; a value that is only re-typed ("1200" -> 1200.0) is not either.
    problems: one row per value that could not be typed (row, column, value, expected), sorted like
      changes; the frame holds null there.
    unrecognized: values that no rule recognised and that were kept as given (a country pycountry does
      not know, a US state that is not one), counted per column and value.
    """

    frame: pl.DataFrame
    changes: pl.DataFrame
    problems: pl.DataFrame
    unrecognized: pl.DataFrame
    file: str = "<input>"
    row_lines: Callable[[int], int] | None = None

    def problem_log(self, limit: int = MAX_REPORTED) -> ProblemLog:
        """The problems in the project's error form, with the line of each (first `limit` in full)."""
        log = ProblemLog(limit)
        for row, column, value, expected in self.problems.head(limit).iter_rows():
            line = self.row_lines(row) if self.row_lines is not None else row + 1
            log.add(Problem(Location(self.file, line, None, column), f"expected {expected}, got {value!r}"))
        log.total = self.problems.height
        return log


def normalize(
    frame: pl.DataFrame,
    types: Mapping[str, FieldType],
    *,
    file: str = "<input>",
    row_lines: Callable[[int], int] | None = None,
) -> Normalized:
    """Normalise a frame whose columns carry canonical field names and raw text (null when blank).

    `types` gives the type of each column (from the entity schema); columns it leaves out are strings.
    Columns that are not text yet are read as their text, so a normalised frame can be fed back in.
    `row_lines` turns a 0-based row into the line that the problem should name (RawTable.line_of).
    """
    raw = {name: frame.get_column(name).cast(pl.String) for name in frame.columns}
    text = {name: _trimmed(series) for name, series in raw.items()}
    kinds = {name: types.get(name, FieldType.STRING) for name in frame.columns}

    cleaned: dict[str, _Cleaned] = {}
    if kinds.get(COUNTRY) is FieldType.STRING:
        cleaned[COUNTRY] = _countries(text[COUNTRY])
    region = _regions(cleaned[COUNTRY].values if COUNTRY in cleaned else None, frame.height)
    for name in frame.columns:
        if name not in cleaned:
            cleaned[name] = _clean(name, kinds[name], text[name], region)

    changes = [_changes(raw[name], result) for name, result in cleaned.items()]
    postal = next((name for name in POSTAL_CODES if kinds.get(name) is FieldType.STRING), None)
    if postal is not None and kinds.get(LATITUDE) is kinds.get(LONGITUDE) is FieldType.NUMBER:
        latitude, longitude = _centroids(
            cleaned[postal].values, region, text[LATITUDE].is_null() & text[LONGITUDE].is_null()
        )
        for name, centroid in ((LATITUDE, latitude), (LONGITUDE, longitude)):
            cleaned[name] = cleaned[name].filled(centroid)
            changes.append(_changes(raw[name], centroid))

    positions = {name: position for position, name in enumerate(frame.columns)}
    return Normalized(
        frame=pl.DataFrame(
            [cleaned[name].values.cast(POLARS_TYPES[kinds[name]]).alias(name) for name in frame.columns]
        ),
        changes=_by_position(pl.concat(changes), positions, "row"),
        problems=_by_position(
            pl.concat([_problems(raw[name], result, kinds[name]) for name, result in cleaned.items()]),
            positions,
            "row",
        ),
        unrecognized=_by_position(
            pl.concat([_unrecognized(text[name], result) for name, result in cleaned.items()]),
            positions,
            "value",
        ),
        file=file,
        row_lines=row_lines,
    )


def lookup_key(name: str) -> str:
    """How names are compared: case, accents, dots, '&' for 'and' and extra spaces do not matter."""
    decomposed = unicodedata.normalize("NFKD", name)
    unaccented = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(unaccented.casefold().replace(".", "").replace("&", " and ").split())


def country_code(name: str) -> str | None:
    """The ISO 3166 alpha-2 code of a country name or code, or None when it is not one we know."""
    return _country_codes().get(lookup_key(name))


def state_code(name: str, country: str) -> str | None:
    """The postal code of a US state or territory (country "US") or a Canadian province ("CA")."""
    return _state_codes(country).get(lookup_key(name))


@functools.cache
def _country_codes() -> dict[str, str]:
    codes: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("alpha_2", "alpha_3", "name", "common_name", "official_name"):
            spelling = getattr(country, attribute, None)
            if spelling:
                codes.setdefault(lookup_key(spelling), country.alpha_2)
    for alias, code in COUNTRY_ALIASES.items():
        codes.setdefault(lookup_key(alias), code)
    return codes


@functools.cache
def _state_codes(country: str) -> dict[str, str]:
    names: dict[str, str] = {}
    if country == UNITED_STATES:
        for state in (*us.states.STATES_AND_TERRITORIES, *us.states.ASSOCIATED_STATES):
            names[state.abbr] = state.abbr
            names[state.name] = state.abbr
        for code, name in ARMED_FORCES.items():
            names[code] = names[name] = code
        names.update(US_STATE_ALIASES)
    elif country == CANADA:
        for province in pycountry.subdivisions:
            if province.country_code != CANADA:
                continue
            code = province.code.removeprefix(f"{CANADA}-")
            names[code] = names[province.name] = code
        names.update(CANADIAN_PROVINCE_ALIASES)
    return {lookup_key(name): code for name, code in names.items()}


@dataclass(frozen=True)
class _Cleaned:
    """One column after its rule: typed values, their text, and which cells changed, failed or were
    left as they were because no rule knew them."""

    values: pl.Series
    text: pl.Series
    changed: pl.Series
    rule: Rule | pl.Series | None
    bad: pl.Series | None = None
    unrecognized: pl.Series | None = None

    def filled(self, centroid: _Centroid) -> _Cleaned:
        return _Cleaned(
            values=self.values.fill_null(centroid.values),
            text=self.text,
            changed=self.changed,
            rule=self.rule,
            bad=self.bad,
            unrecognized=self.unrecognized,
        )


@dataclass(frozen=True)
class _Centroid:
    """Coordinates taken from the postal code's centroid: values where filled, null elsewhere."""

    values: pl.Series
    text: pl.Series
    changed: pl.Series
    rule: Rule = Rule.COORDINATES


def _clean(name: str, kind: FieldType, text: pl.Series, region: pl.Series) -> _Cleaned:
    if kind is FieldType.NUMBER:
        return _numbers(text)
    if kind is FieldType.BOOLEAN:
        return _booleans(text)
    if kind is FieldType.DATE:
        return _dates(text)
    if name == STATE:
        return _states(text, region)
    if name in POSTAL_CODES:
        return _postal_codes(text, region)
    if name == WEBSITE:
        return _domains(text)
    if name == EMAIL:
        return _emails(text)
    return _Cleaned(text, text, pl.Series(name, [False] * text.len(), pl.Boolean), None)


def _trimmed(series: pl.Series) -> pl.Series:
    stripped = series.str.strip_chars()
    return _pick(stripped != "", stripped, None)


def _pick(
    condition: pl.Series, then: pl.Series | pl.Expr | None, otherwise: pl.Series | pl.Expr | None
) -> pl.Series:
    """Per row, `then` where the condition holds and `otherwise` elsewhere (null when None)."""
    return pl.select(pl.when(condition).then(then).otherwise(otherwise)).to_series()


def _evaluated(expression: pl.Expr) -> pl.Series:
    """An expression over whole series (pl.coalesce, pl.concat_str) evaluated to a series."""
    return pl.select(expression).to_series()


def _map_distinct(text: pl.Series, lookup: Callable[[str], str | None]) -> pl.Series:
    """Look each distinct value up once in Python and map the answers back onto every row: a million
    rows hold a few hundred distinct countries or states."""
    distinct = text.drop_nulls().unique().sort()
    found = pl.Series([lookup(value) for value in distinct.to_list()], dtype=pl.String)
    return text.replace_strict(distinct, found, default=None, return_dtype=pl.String)


def _recognised(text: pl.Series, found: pl.Series, rule: Rule | pl.Series, applies: pl.Series) -> _Cleaned:
    """A text column where `found` is the normal form; unknown values stay as they were."""
    values = found.fill_null(text)
    return _Cleaned(
        values=values,
        text=values,
        changed=(values != text).fill_null(False),
        rule=rule,
        unrecognized=applies & text.is_not_null() & found.is_null(),
    )


def _countries(text: pl.Series) -> _Cleaned:
    found = _map_distinct(text, country_code)
    return _recognised(text, found, Rule.COUNTRY, text.is_not_null())


def _regions(countries: pl.Series | None, height: int) -> pl.Series:
    if countries is None:
        return pl.Series("region", [_Region.EITHER.value] * height, pl.String)
    return pl.select(
        pl.when(countries.is_null())
        .then(pl.lit(_Region.EITHER.value))
        .when(countries == UNITED_STATES)
        .then(pl.lit(_Region.US.value))
        .when(countries == CANADA)
        .then(pl.lit(_Region.CANADA.value))
        .otherwise(pl.lit(_Region.OTHER.value))
    ).to_series()


def _states(text: pl.Series, region: pl.Series) -> _Cleaned:
    american = _map_distinct(text, functools.partial(state_code, country=UNITED_STATES))
    canadian = _map_distinct(text, functools.partial(state_code, country=CANADA))
    found = pl.select(
        pl.when(region == _Region.US.value)
        .then(american)
        .when(region == _Region.CANADA.value)
        .then(canadian)
        .when(region == _Region.EITHER.value)
        .then(pl.coalesce(american, canadian))
    ).to_series()
    return _recognised(text, found, Rule.STATE, region != _Region.OTHER.value)


def _postal_codes(text: pl.Series, region: pl.Series) -> _Cleaned:
    maybe_us = region.is_in([_Region.US.value, _Region.EITHER.value])
    maybe_canadian = region.is_in([_Region.CANADA.value, _Region.EITHER.value])
    zip_code = _evaluated(
        pl.coalesce(text.str.extract(_ZIP_PLUS_FOUR, 1), text.str.extract(_SHORT_ZIP, 1).str.zfill(5))
    )
    canadian = _evaluated(
        pl.concat_str(
            text.str.extract(_CANADIAN_POSTAL_CODE, 1),
            text.str.extract(_CANADIAN_POSTAL_CODE, 2),
            separator=" ",
        ).str.to_uppercase()
    )
    found = pl.select(
        pl.when(maybe_us & zip_code.is_not_null()).then(zip_code).when(maybe_canadian).then(canadian)
    ).to_series()
    rule = _pick(
        maybe_us & zip_code.is_not_null(), pl.lit(Rule.ZIP.value), pl.lit(Rule.CANADIAN_POSTAL_CODE.value)
    )
    return _recognised(text, found, rule, region != _Region.OTHER.value)


def _domains(text: pl.Series) -> _Cleaned:
    """Websites as the bare domain accounts are matched on: https://www.Acme.com/about is acme.com."""
    host = (
        text.str.to_lowercase()
        .str.replace(_URL_SCHEME, "")
        .str.replace(_URL_USER, "")
        .str.replace(_URL_PATH, "")
        .str.replace(_URL_PORT, "")
        .str.replace(_WWW, "")
        .str.strip_chars_end(".")
    )
    found = _pick(host.str.contains(_DOMAIN), host, None)
    return _recognised(text, found, Rule.DOMAIN, text.is_not_null())


def _emails(text: pl.Series) -> _Cleaned:
    """Email addresses lower-cased whole. The local part is case-sensitive in theory only: CRMs and mail
    providers treat Jane@ and jane@ as one person, and leads are matched on the address."""
    lowered = text.str.to_lowercase().str.replace(r"^mailto:", "")
    address = _evaluated(pl.coalesce(lowered.str.extract(_NAMED_EMAIL, 1), lowered))
    found = _pick(address.str.contains(_EMAIL), address, None)
    return _recognised(text, found, Rule.EMAIL, text.is_not_null())


def _numbers(text: pl.Series) -> _Cleaned:
    plain = text.str.contains(PLAIN_NUMBER)
    bracketed = text.str.contains(_BRACKETED)
    unwrapped = (
        text.str.replace(_BRACKETED, "${1}")
        .str.strip_chars()
        .str.replace(_LEADING_CURRENCY, "${1}")
        .str.replace(_TRAILING_CURRENCY, "")
    )
    digits = _pick(
        unwrapped.str.contains(_GROUPED_NUMBER), unwrapped.str.replace_all(_GROUP_SEPARATORS, ""), unwrapped
    )
    # "(-5)" is not an accounting negative but a typo: refuse it rather than guess.
    readable = digits.str.contains(PLAIN_NUMBER) & ~(bracketed & digits.str.contains(r"^[+-]"))
    magnitude = digits.cast(pl.Float64, strict=False)
    values = _pick(readable & magnitude.is_finite(), _pick(bracketed, -magnitude, magnitude), None)
    parsed = values.is_not_null()
    return _Cleaned(
        values=values,
        text=_number_text(values),
        changed=(parsed & ~plain).fill_null(False),
        rule=Rule.NUMBER,
        bad=(text.is_not_null() & ~parsed).fill_null(False),
    )


def _number_text(values: pl.Series) -> pl.Series:
    """1200.0 as 1200, the way a person writes it; other numbers in polars' shortest form."""
    whole = (values == values.round(0)) & (values.abs() < _LARGEST_EXACT_INTEGER)
    return _pick(whole, values.cast(pl.Int64, strict=False).cast(pl.String), values.cast(pl.String))


def _booleans(text: pl.Series) -> _Cleaned:
    lowered = text.str.to_lowercase()
    values = lowered.replace_strict(
        list(_BOOLEANS), list(_BOOLEANS.values()), default=None, return_dtype=pl.Boolean
    )
    parsed = values.is_not_null()
    return _Cleaned(
        values=values,
        text=values.cast(pl.String),
        changed=(parsed & ~lowered.is_in(["true", "false"])).fill_null(False),
        rule=Rule.BOOLEAN,
        bad=(text.is_not_null() & ~parsed).fill_null(False),
    )


def _dates(text: pl.Series) -> _Cleaned:
    year = pl.coalesce(text.str.extract(_ISO_DATE, 1), text.str.extract(_US_DATE, 3))
    month = pl.coalesce(text.str.extract(_ISO_DATE, 2), text.str.extract(_US_DATE, 1))
    day = pl.coalesce(text.str.extract(_ISO_DATE, 3), text.str.extract(_US_DATE, 2))
    iso = _evaluated(pl.concat_str(year, month.str.zfill(2), day.str.zfill(2), separator="-"))
    values = iso.str.to_date("%Y-%m-%d", strict=False)
    parsed = values.is_not_null()
    return _Cleaned(
        values=values,
        text=iso,
        changed=(parsed & (iso != text)).fill_null(False),
        rule=Rule.DATE,
        bad=(text.is_not_null() & ~parsed).fill_null(False),
    )


def _centroids(postal: pl.Series, region: pl.Series, missing: pl.Series) -> tuple[_Centroid, _Centroid]:
    """Coordinates of US rows that have neither latitude nor longitude, from their ZIP's centroid;
    a row with one of them keeps what it has rather than mixing two sources."""
    zips = load_zips().filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null())
    wanted = missing & region.is_in([_Region.US.value, _Region.EITHER.value])
    centroids: list[_Centroid] = []
    for source in ("lat", "lon"):
        found = postal.replace_strict(zips["zip"], zips[source], default=None, return_dtype=pl.Float64)
        values = _pick(wanted, found, None)
        centroids.append(_Centroid(values, _number_text(values), values.is_not_null()))
    return centroids[0], centroids[1]


def _changes(raw: pl.Series, result: _Cleaned | _Centroid) -> pl.DataFrame:
    rows = result.changed.arg_true()
    rule = result.rule
    return pl.DataFrame(
        {
            "row": rows,
            "column": pl.Series([raw.name] * rows.len(), dtype=pl.String),
            "old": raw.gather(rows),
            "new": result.text.gather(rows),
            "rule": rule.gather(rows) if isinstance(rule, pl.Series) else [rule] * rows.len(),
        },
        schema=CHANGES_SCHEMA,
    )


def _problems(raw: pl.Series, result: _Cleaned, kind: FieldType) -> pl.DataFrame:
    rows = result.bad.arg_true() if result.bad is not None else pl.Series([], dtype=pl.UInt32)
    return pl.DataFrame(
        {
            "row": rows,
            "column": [raw.name] * rows.len(),
            "value": raw.gather(rows),
            "expected": [EXPECTED.get(kind)] * rows.len(),
        },
        schema=PROBLEMS_SCHEMA,
    )


def _unrecognized(text: pl.Series, result: _Cleaned) -> pl.DataFrame:
    if result.unrecognized is None:
        return pl.DataFrame(schema=UNRECOGNIZED_SCHEMA)
    values = text.filter(result.unrecognized.fill_null(False))
    counted = values.value_counts(name="rows")
    return counted.select(
        pl.lit(text.name).alias("column"), pl.col(text.name).alias("value"), pl.col("rows").cast(pl.UInt32)
    )


def _by_position(frame: pl.DataFrame, positions: Mapping[str, int], then: str) -> pl.DataFrame:
    """Sorted by `then` and the column's place in the input, so outputs do not depend on run order."""
    position = pl.col("column").replace_strict(positions, return_dtype=pl.UInt32)
    if then == "row":
        return frame.sort(pl.col("row"), position)
    return frame.sort(position, pl.col(then))
