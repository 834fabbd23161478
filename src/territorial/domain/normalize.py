"""Normalise imported CRM values (countries, states, postal codes, numbers, dates, domains), recording
every change so the importer can keep it as history."""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

import polars as pl
import pycountry
import us

from territorial.domain.fields import DEFAULT_NULL_WORDS, FieldType
from territorial.domain.fields import NUMBER_TEXT as PLAIN_NUMBER
from territorial.errors import Location, Problem, ProblemLog
from territorial.geo.cities import us_places
from territorial.geo.locate import COORDINATES, METHODS, UNLOCATED, locate
from territorial.rules.to_polars import POLARS_TYPES

MAX_REPORTED = 50


class Cleanup(StrEnum):
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
    NULL_WORD = "null_word"  # N/A, null, - in a number, date or boolean column: empty


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
CITY = "city"
POSTAL_CODES = ("postal_code", "home_postal_code")
# A column of whole postal codes (not zip3 or a ZIP's first digits): postal_code, zip, zip_code,
# billing_zip, home_postal_code...
_POSTAL_NAME = re.compile(r"^(?:.*[_ ])?(?:zip|zip_?code|postal|postal_?code|post_?code)$")
WEBSITE = "website"
EMAIL = "email"
LATITUDE, LONGITUDE = "latitude", "longitude"
# What a coordinate can be: a latitude past ±90 or a longitude past ±180 is no place (often the two
# swapped, or a projected x/y), and would put the account off every map and out of every radius.
COORDINATE_LIMITS = {LATITUDE: 90.0, LONGITUDE: 180.0}
EXPECTED_COORDINATE = {
    name: f"a {name} between -{limit:g} and {limit:g}" for name, limit in COORDINATE_LIMITS.items()
}


def off_the_globe(values: pl.Series, limit: float) -> pl.Series:
    """The rows of a coordinate column (numbers) outside ±limit; nulls are not."""
    return (values.abs() > limit).fill_null(False)


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
US_STATE_ALIASES = {
    "Washington DC": "DC",
    "US Virgin Islands": "VI",
    # The traditional abbreviations (AP and GPO style) people type into CRM forms: "Calif.", "N. Mex.".
    # Dots and case do not matter (lookup_key), so "Calif." and "calif" are the same spelling.
    **{
        spelling: code
        for code, spellings in {
            "AL": ("Ala",),
            "AZ": ("Ariz",),
            "AR": ("Ark",),
            "CA": ("Calif", "Cal"),
            "CO": ("Colo", "Col"),
            "CT": ("Conn",),
            "DE": ("Del",),
            "FL": ("Fla",),
            "IL": ("Ill",),
            "IN": ("Ind",),
            "KS": ("Kan", "Kans"),
            "MA": ("Mass",),
            "MI": ("Mich",),
            "MN": ("Minn",),
            "MS": ("Miss",),
            "MT": ("Mont",),
            "NE": ("Neb", "Nebr"),
            "NV": ("Nev",),
            "NM": ("N Mex", "NMex"),
            "ND": ("N Dak", "NDak"),
            "OK": ("Okla",),
            "OR": ("Ore", "Oreg"),
            "PA": ("Penn", "Penna"),
            "SD": ("S Dak", "SDak"),
            "TN": ("Tenn",),
            "TX": ("Tex",),
            "WA": ("Wash",),
            "WV": ("W Va", "WVa"),
            "WI": ("Wis", "Wisc"),
            "WY": ("Wyo",),
        }.items()
        for spelling in spellings
    },
}
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
    r"^(?<year>\d{4})-(?<month>\d{1,2})-(?<day>\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)
_US_DATE = (
    r"^(?<month>\d{1,2})/(?<day>\d{1,2})/(?<year>\d{4})"
    r"(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\.?)?)?$"
)

# Spreadsheets drop a ZIP's leading zeros (02134 -> 2134) and sometimes add ".0".
_SHORT_ZIP = r"^(\d{3,5})(?:\.0+)?$"
_ZIP_PLUS_FOUR = r"^(\d{5})[- ]?\d{4}$"
_CANADIAN_POSTAL_CODE = r"^([A-Za-z]\d[A-Za-z])[ -]?(\d[A-Za-z]\d)$"

# A URL's host without "www.": scheme, user, port, path, query and fragment dropped.
_URL_HOST = r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^/?#@]*@)?(?:www\d*\.)*([^/?#:]*)"
_WWW = r"^www\d*\."
_DOMAIN = r"^[^\s./@]+(?:\.[^\s./@]+)+$"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_NAMED_EMAIL = r"<([^<>\s]+)>$"  # "Jane Doe <jane@acme.com>"

# Values already in normal form, checked first so that only the rest go through the slower rules:
# most cells of a CRM export need nothing.
_NORMAL_DATE = r"^\d{4}-\d{2}-\d{2}$"
_NORMAL_ZIP = r"^\d{5}$"
_NORMAL_CANADIAN_POSTAL_CODE = r"^[A-Z]\d[A-Z] \d[A-Z]\d$"
_NORMAL_DOMAIN = r"^[a-z0-9-]+(?:\.[a-z0-9-]+)+$"
_NORMAL_EMAIL = r"^[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+$"


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
    changes: one row per changed cell (row, column, old, new, rule), by column in input order, then by
      row. Trimmed whitespace is not a change; a value that is only re-typed ("1200" -> 1200.0) is not
      either.
    problems: one row per value that could not be typed (row, column, value, expected), by row, then by
      column; the frame holds null there.
    unrecognized: values that no rule recognised and that were kept as given (a country pycountry does
      not know, a US state that is not one), counted per column and value.
    located: for rows with latitude and longitude columns, how each row's were found: given, from
      its US ZIP, from its city and state, or not at all (geo.locate.METHODS).
    """

    frame: pl.DataFrame
    changes: pl.DataFrame
    problems: pl.DataFrame
    unrecognized: pl.DataFrame
    file: str = "<input>"
    row_lines: Callable[[int], int] | None = None
    # How each row's latitude and longitude were found (geo.locate.METHODS), when the rows have them.
    located: pl.Series | None = None

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
    null_word_columns: Collection[str] = (),
) -> Normalized:
    """Normalise a frame whose columns carry canonical field names and raw text (null when blank).

    `types` gives the type of each column (from the entity schema); columns it leaves out are strings.
    `null_word_columns` are string columns whose null words are empty all the same: an account's
    custom field of numbers, dates or booleans, which is kept as text.
    Columns that are not text yet are read as their text, so a normalised frame can be fed back in.
    `row_lines` turns a 0-based row into the line that a problem should name (RawTable.line_of).
    """
    raw = frame.select(pl.all().cast(pl.String))
    stripped = pl.all().str.strip_chars()
    text = raw.select(pl.when(stripped != "").then(stripped))
    kinds = {name: types.get(name, FieldType.STRING) for name in frame.columns}

    cleaned: dict[str, _Cleaned] = {}
    if kinds.get(COUNTRY) is FieldType.STRING:
        cleaned[COUNTRY] = _countries(text[COUNTRY])
    region = _regions(cleaned[COUNTRY].values if COUNTRY in cleaned else None, frame.height)
    for name in frame.columns:
        if name not in cleaned:
            cleaned[name] = _clean(name, kinds[name], text[name], region, name in null_word_columns)
    off_globe: list[pl.DataFrame] = []  # a number, but no latitude or longitude
    for name, limit in COORDINATE_LIMITS.items():
        if kinds.get(name) is FieldType.NUMBER:
            off = off_the_globe(cleaned[name].values, limit)
            if off.any():
                cleaned[name] = dataclasses.replace(cleaned[name], values=cleaned[name].values.set(off, None))
                rows = off.arg_true().cast(pl.UInt32)
                off_globe.append(_problem_rows(raw[name], rows, EXPECTED_COORDINATE[name]))
    changes = {name: _changes(raw[name], result) for name, result in cleaned.items()}

    located = None
    if kinds.get(LATITUDE) is kinds.get(LONGITUDE) is FieldType.NUMBER:
        missing = text[LATITUDE].is_null() & text[LONGITUDE].is_null()
        places, located = _places(cleaned, kinds, region, missing)
        for name, place in zip((LATITUDE, LONGITUDE), places, strict=True):
            cleaned[name] = cleaned[name].filled(place.values)
            changes[name] = pl.concat([changes[name], _changes(raw[name], place)]).sort("row")

    positions = {name: position for position, name in enumerate(frame.columns)}
    problems = pl.concat(
        [*(_problems(raw[name], result, kinds[name]) for name, result in cleaned.items()), *off_globe]
    )
    unrecognized = [_unrecognized(text[name], result) for name, result in cleaned.items()]
    return Normalized(
        frame=pl.DataFrame(
            [cleaned[name].values.cast(POLARS_TYPES[kinds[name]]).alias(name) for name in frame.columns]
        ),
        # Already in column order, rows ascending: sorting millions of changes by row would cost seconds.
        changes=pl.concat([changes[name] for name in frame.columns]),
        problems=problems.sort("row", pl.col("column").replace_strict(positions, return_dtype=pl.UInt32)),
        unrecognized=pl.concat(unrecognized).sort(
            pl.col("column").replace_strict(positions, return_dtype=pl.UInt32), "value"
        ),
        file=file,
        row_lines=row_lines,
        located=located,
    )


def postal_code_values(codes: pl.Series, countries: pl.Series | None) -> pl.Series:
    """Postal codes as `normalize` (import) writes them, by each row's country: 02134 for 2134,
    2134.0 and 02134-1234 in the US, A1A 1A1 in Canada, others as given. For files read straight
    by a command, so that a ZIP reads the same with and without import."""
    text = _evaluated(pl.when(codes.str.strip_chars() != "").then(codes.str.strip_chars()))
    if countries is not None:
        country_text = _evaluated(
            pl.when(countries.str.strip_chars() != "").then(countries.str.strip_chars())
        )
        region = _regions(_countries(country_text).values, codes.len())
    else:
        region = _regions(None, codes.len())
    return _postal_codes(text, region).values.alias(codes.name)


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
            names[state.abbr] = names[state.name] = state.abbr
        for code, name in ARMED_FORCES.items():
            names[code] = names[name] = code
        names.update(US_STATE_ALIASES)
    elif country == CANADA:
        for province in pycountry.subdivisions:
            if province.country_code == CANADA:
                code = province.code.removeprefix(f"{CANADA}-")
                names[code] = names[province.name] = code
        names.update(CANADIAN_PROVINCE_ALIASES)
    return {lookup_key(name): code for name, code in names.items()}


@functools.cache
def _codes_of(country: str) -> list[str]:
    return sorted(set(_state_codes(country).values()))


@dataclass(frozen=True)
class _Cleaned:
    """One column after its rule. values has a row for every input row; the others are row numbers
    (UInt32): the cells that changed (with the new text and rule of each), could not be typed, or were
    kept as given because no rule recognised them."""

    values: pl.Series
    changed: pl.Series
    new_text: pl.Series
    rule: pl.Series
    bad: pl.Series
    unrecognized: pl.Series

    def filled(self, centroid: pl.Series) -> _Cleaned:
        return dataclasses.replace(self, values=self.values.fill_null(centroid))


def _cleaned(
    values: pl.Series,
    new_text: pl.Series,
    changed: pl.Series,
    rule: Cleanup | pl.Series,
    bad: pl.Series | None = None,
    unrecognized: pl.Series | None = None,
) -> _Cleaned:
    """A rule's result from its per-row masks."""
    rows = changed.fill_null(False).arg_true()
    rules = rule.gather(rows) if isinstance(rule, pl.Series) else _repeated(rule.value, rows.len())
    return _Cleaned(
        values=values,
        changed=rows,
        new_text=new_text.gather(rows),
        rule=rules.cast(pl.String),
        bad=_rows(bad),
        unrecognized=_rows(unrecognized),
    )


def _rows(mask: pl.Series | None) -> pl.Series:
    return pl.Series([], dtype=pl.UInt32) if mask is None else mask.fill_null(False).arg_true()


def _repeated(value: str, times: int) -> pl.Series:
    return pl.select(pl.repeat(value, times, dtype=pl.String)).to_series()


def _unchanged(values: pl.Series) -> _Cleaned:
    none = pl.Series([], dtype=pl.UInt32)
    return _Cleaned(values, none, pl.Series([], dtype=pl.String), pl.Series([], dtype=pl.String), none, none)


def _where_needed(
    text: pl.Series,
    region: pl.Series,
    settled: pl.Series,
    settled_values: pl.Series,
    rule: Callable[[pl.Series, pl.Series], _Cleaned],
) -> _Cleaned:
    """Run `rule` only on the rows that are not `settled` (already normal), and spread its result back
    over every row: the settled rows take `settled_values` and record nothing."""
    rows = (~settled.fill_null(True)).arg_true()
    if rows.len() == 0:
        return _unchanged(settled_values)
    if rows.len() == text.len():
        return rule(text, region)
    part = rule(text.gather(rows), region.gather(rows))
    return _Cleaned(
        values=settled_values.clone().scatter(rows, part.values),
        changed=rows.gather(part.changed),
        new_text=part.new_text,
        rule=part.rule,
        bad=rows.gather(part.bad),
        unrecognized=rows.gather(part.unrecognized),
    )


def _clean(name: str, kind: FieldType, text: pl.Series, region: pl.Series, null_words: bool) -> _Cleaned:
    if kind is FieldType.STRING and not null_words:
        return _clean_text(name, text, region)
    # N/A, null, - and the like are empty in a number, date or boolean column, as a file read by a
    # command reads them (domain.fields.NullWords); the history records each as a null_word change.
    word = text.str.to_lowercase().is_in(_NULL_WORDS).fill_null(False)
    if not word.any():
        return _clean_kind(name, kind, text, region)
    part = _clean_kind(name, kind, text.set(word, None), region)
    rows = word.arg_true()
    changes = pl.concat(
        [
            pl.DataFrame({"row": part.changed, "new": part.new_text, "rule": part.rule}),
            pl.DataFrame({"row": rows, "new": pl.Series([None] * rows.len(), dtype=pl.String)}).with_columns(
                rule=pl.lit(Cleanup.NULL_WORD.value)
            ),
        ]
    ).sort("row")
    return dataclasses.replace(part, changed=changes["row"], new_text=changes["new"], rule=changes["rule"])


_NULL_WORDS = [word.lower() for word in DEFAULT_NULL_WORDS]


def _clean_kind(name: str, kind: FieldType, text: pl.Series, region: pl.Series) -> _Cleaned:
    return _clean_text(name, text, region) if kind is FieldType.STRING else _clean_typed(kind, text, region)


def _clean_typed(kind: FieldType, text: pl.Series, region: pl.Series) -> _Cleaned:
    if kind is FieldType.NUMBER:
        values = text.cast(pl.Float64, strict=False)
        plain = text.str.contains(PLAIN_NUMBER) & values.is_finite()
        return _where_needed(text, region, plain, values, _numbers)
    if kind is FieldType.BOOLEAN:
        lowered = text.str.to_lowercase()
        plain = lowered.is_in(["true", "false"])
        return _where_needed(text, region, plain, lowered == "true", _booleans)
    if kind is FieldType.DATE:
        iso = text.str.to_date("%Y-%m-%d", strict=False)
        plain = text.str.contains(_NORMAL_DATE) & iso.is_not_null()
        return _where_needed(text, region, plain, iso, _dates)
    raise AssertionError(f"not a typed kind: {kind}")


def _clean_text(name: str, text: pl.Series, region: pl.Series) -> _Cleaned:
    if name == STATE:
        normal = (
            (region == _Region.OTHER.value)
            | ((region != _Region.CANADA.value) & text.is_in(_codes_of(UNITED_STATES)))
            | ((region != _Region.US.value) & text.is_in(_codes_of(CANADA)))
        )
        return _where_needed(text, region, normal, text, _states)
    if name in POSTAL_CODES:
        normal = (
            (region == _Region.OTHER.value)
            | ((region != _Region.CANADA.value) & text.str.contains(_NORMAL_ZIP))
            | ((region != _Region.US.value) & text.str.contains(_NORMAL_CANADIAN_POSTAL_CODE))
        )
        return _where_needed(text, region, normal, text, _postal_codes)
    if name == WEBSITE:
        normal = text.str.contains(_NORMAL_DOMAIN) & ~text.str.contains(_WWW)
        return _where_needed(text, region, normal, text, _domains)
    if name == EMAIL:
        return _where_needed(text, region, text.str.contains(_NORMAL_EMAIL), text, _emails)
    return _unchanged(text)


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


def _recognised(text: pl.Series, found: pl.Series, rule: Cleanup | pl.Series, applies: pl.Series) -> _Cleaned:
    """A text column where `found` is the normal form; unknown values stay as they were."""
    values = found.fill_null(text)
    return _cleaned(
        values, values, values != text, rule, unrecognized=applies & text.is_not_null() & found.is_null()
    )


def _countries(text: pl.Series) -> _Cleaned:
    return _recognised(text, _map_distinct(text, country_code), Cleanup.COUNTRY, text.is_not_null())


def _regions(countries: pl.Series | None, height: int) -> pl.Series:
    if countries is None:
        return _repeated(_Region.EITHER.value, height)
    return _evaluated(
        pl.when(countries.is_null())
        .then(pl.lit(_Region.EITHER.value))
        .when(countries == UNITED_STATES)
        .then(pl.lit(_Region.US.value))
        .when(countries == CANADA)
        .then(pl.lit(_Region.CANADA.value))
        .otherwise(pl.lit(_Region.OTHER.value))
    )


def _states(text: pl.Series, region: pl.Series) -> _Cleaned:
    american = _map_distinct(text, functools.partial(state_code, country=UNITED_STATES))
    canadian = _map_distinct(text, functools.partial(state_code, country=CANADA))
    found = _evaluated(
        pl.when(region == _Region.US.value)
        .then(american)
        .when(region == _Region.CANADA.value)
        .then(canadian)
        .when(region == _Region.EITHER.value)
        .then(pl.coalesce(american, canadian))
    )
    return _recognised(text, found, Cleanup.STATE, region != _Region.OTHER.value)


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
    is_zip = maybe_us & zip_code.is_not_null()
    found = _evaluated(pl.when(is_zip).then(zip_code).when(maybe_canadian).then(canadian))
    rule = _pick(is_zip, pl.lit(Cleanup.ZIP.value), pl.lit(Cleanup.CANADIAN_POSTAL_CODE.value))
    return _recognised(text, found, rule, region != _Region.OTHER.value)


def _domains(text: pl.Series, _region: pl.Series) -> _Cleaned:
    """Websites as the bare domain accounts are matched on: https://www.Acme.com/about is acme.com."""
    host = text.str.to_lowercase().str.extract(_URL_HOST, 1).str.strip_chars_end(".")
    found = _pick(host.str.contains(_DOMAIN), host, None)
    return _recognised(text, found, Cleanup.DOMAIN, text.is_not_null())


def _emails(text: pl.Series, _region: pl.Series) -> _Cleaned:
    """Email addresses lower-cased whole. The local part is case-sensitive in theory only: CRMs and mail
    providers treat Jane@ and jane@ as one person, and leads are matched on the address."""
    lowered = text.str.to_lowercase().str.replace(r"^(?:mailto:)+", "")
    address = _evaluated(pl.coalesce(lowered.str.extract(_NAMED_EMAIL, 1), lowered))
    found = _pick(address.str.contains(_EMAIL), address, None)
    return _recognised(text, found, Cleanup.EMAIL, text.is_not_null())


def _numbers(text: pl.Series, _region: pl.Series) -> _Cleaned:
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
    return _cleaned(
        values, _number_text(values), parsed & ~plain, Cleanup.NUMBER, bad=text.is_not_null() & ~parsed
    )


def formatted_numbers(text: pl.Series) -> pl.Series:
    """How import reads the cells that are numbers only once a thousands separator, a currency sign
    or accounting brackets are taken off ("1,500" as "1500"); null for the other cells."""
    values = _numbers(text, text).values
    return _pick(~text.str.contains(PLAIN_NUMBER), _number_text(values), None)


def _number_text(values: pl.Series) -> pl.Series:
    """1200.0 as 1200, the way a person writes it; other numbers in polars' shortest form."""
    whole = (values == values.round(0)) & (values.abs() < _LARGEST_EXACT_INTEGER)
    return _pick(whole, values.cast(pl.Int64, strict=False).cast(pl.String), values.cast(pl.String))


def _booleans(text: pl.Series, _region: pl.Series) -> _Cleaned:
    lowered = text.str.to_lowercase()
    values = lowered.replace_strict(
        list(_BOOLEANS), list(_BOOLEANS.values()), default=None, return_dtype=pl.Boolean
    )
    parsed = values.is_not_null()
    changed = parsed & ~lowered.is_in(["true", "false"])
    return _cleaned(
        values, values.cast(pl.String), changed, Cleanup.BOOLEAN, bad=text.is_not_null() & ~parsed
    )


def _dates(text: pl.Series, _region: pl.Series) -> _Cleaned:
    iso_parts = text.str.extract_groups(_ISO_DATE).struct
    us_parts = text.str.extract_groups(_US_DATE).struct
    year = pl.coalesce(iso_parts.field("year"), us_parts.field("year"))
    month = pl.coalesce(iso_parts.field("month"), us_parts.field("month")).str.zfill(2)
    day = pl.coalesce(iso_parts.field("day"), us_parts.field("day")).str.zfill(2)
    iso = _evaluated(pl.concat_str(year, month, day, separator="-"))
    values = iso.str.to_date("%Y-%m-%d", strict=False)
    parsed = values.is_not_null()
    return _cleaned(values, iso, parsed & (iso != text), Cleanup.DATE, bad=text.is_not_null() & ~parsed)


def _places(
    cleaned: Mapping[str, _Cleaned], kinds: Mapping[str, FieldType], region: pl.Series, missing: pl.Series
) -> tuple[list[_Cleaned], pl.Series]:
    """Latitude and longitude of US rows that have neither, from their ZIP's centre, else their city
    and state's place (geo.locate), and how each row was located; a row with one of them keeps what
    it has rather than mixing two sources."""
    postal = next((name for name in POSTAL_CODES if kinds.get(name) is FieldType.STRING), None)
    has_city = kinds.get(CITY) is kinds.get(STATE) is FieldType.STRING
    wanted = missing & region.is_in([_Region.US.value, _Region.EITHER.value])
    rows = wanted.arg_true()
    found = locate(
        us_places(),
        rows.len(),
        zips=cleaned[postal].values.gather(rows) if postal is not None else None,
        cities=cleaned[CITY].values.gather(rows) if has_city else None,
        states=cleaned[STATE].values.gather(rows) if has_city else None,
    )
    places: list[_Cleaned] = []
    for coordinate in (found.lat, found.lon):
        at_rows = pl.Series(coordinate, dtype=pl.Float64).fill_nan(None)
        values = (
            pl.select(pl.repeat(None, missing.len(), dtype=pl.Float64)).to_series().scatter(rows, at_rows)
        )
        places.append(_cleaned(values, _number_text(values), values.is_not_null(), Cleanup.COORDINATES))
    given = cleaned[LATITUDE].values.is_not_null() & cleaned[LONGITUDE].values.is_not_null()
    method = pl.select(
        pl.when(pl.lit(given)).then(pl.lit(COORDINATES)).otherwise(pl.lit(UNLOCATED))
    ).to_series()
    how = pl.Series([METHODS[m] for m in found.method.tolist()], dtype=pl.String)
    return places, method.scatter(rows, how).alias("located")


def _changes(raw: pl.Series, result: _Cleaned) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "row": result.changed,
            "column": _repeated(raw.name, result.changed.len()),
            "old": raw.gather(result.changed),
            "new": result.new_text,
            "rule": result.rule,
        },
        schema=CHANGES_SCHEMA,
    )


def _problems(raw: pl.Series, result: _Cleaned, kind: FieldType) -> pl.DataFrame:
    return _problem_rows(raw, result.bad, EXPECTED.get(kind, ""))


def _problem_rows(raw: pl.Series, rows: pl.Series, expected: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "row": rows,
            "column": _repeated(raw.name, rows.len()),
            "value": raw.gather(rows),
            "expected": _repeated(expected, rows.len()),
        },
        schema=PROBLEMS_SCHEMA,
    )


def _unrecognized(text: pl.Series, result: _Cleaned) -> pl.DataFrame:
    counted = text.gather(result.unrecognized).value_counts(name="rows")
    return counted.select(
        pl.lit(text.name, dtype=pl.String).alias("column"),
        pl.col(text.name).alias("value"),
        pl.col("rows").cast(pl.UInt32),
    )


# ---- one record at a time -----------------------------------------------------------------------
# Routing a single lead cannot afford a columnar pass (about 9 ms of fixed cost for one row). These
# apply the same rules and patterns to plain strings; a property test holds them equal to `normalize`.

PLACE_FIELDS = (COUNTRY, STATE, *POSTAL_CODES, WEBSITE, EMAIL)
# Unicode White_Space, which polars strips; Python's str.strip() also takes \x1c-\x1f.
_WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """A pattern above for Python's re. Python's \\s also takes \\x1c-\\x1f, so it becomes polars'
    White_Space set; the patterns use \\s only inside [...] classes."""
    return re.compile(pattern.replace(r"\s", re.escape(_WHITE_SPACE)))


def _region_of(country: str | None) -> _Region:
    if country is None:
        return _Region.EITHER
    return {UNITED_STATES: _Region.US, CANADA: _Region.CANADA}.get(country, _Region.OTHER)


def normalize_place(record: Mapping[str, str | None]) -> dict[str, str | None]:
    """Country, state, postal codes, website and email of one record, as `normalize` gives them."""
    text = {
        name: (value.strip(_WHITE_SPACE) or None) if value is not None else None
        for name, value in record.items()
    }
    out = dict(text)
    country = text.get(COUNTRY)
    if country is not None:
        out[COUNTRY] = country_code(country) or country
    region = _region_of(out.get(COUNTRY))
    for name, value in text.items():
        if value is None or name == COUNTRY:
            continue
        if name == STATE:
            out[name] = _one_state(value, region)
        elif name in POSTAL_CODES:
            out[name] = _one_postal_code(value, region)
        elif name == WEBSITE:
            out[name] = _one_domain(value)
        elif name == EMAIL:
            out[name] = _one_email(value)
    return out


def _one_state(value: str, region: _Region) -> str:
    if region is _Region.OTHER:
        return value
    american = state_code(value, UNITED_STATES) if region is not _Region.CANADA else None
    canadian = state_code(value, CANADA) if region is not _Region.US else None
    return american or canadian or value


def _one_postal_code(value: str, region: _Region) -> str:
    if region is _Region.OTHER:
        return value
    if region is not _Region.CANADA:
        plus_four = _compiled(_ZIP_PLUS_FOUR).search(value)
        if plus_four:
            return plus_four.group(1)
        short = _compiled(_SHORT_ZIP).search(value)
        if short:
            return short.group(1).zfill(5)
    if region is not _Region.US:
        canadian = _compiled(_CANADIAN_POSTAL_CODE).search(value)
        if canadian:
            return f"{canadian.group(1)} {canadian.group(2)}".upper()
    return value


def _one_domain(value: str) -> str:
    host = _compiled(_URL_HOST).search(value.lower())
    found = host.group(1).rstrip(".") if host else ""
    return found if _compiled(_DOMAIN).search(found) else value


def _one_email(value: str) -> str:
    lowered = re.sub(r"^(?:mailto:)+", "", value.lower())
    named = _compiled(_NAMED_EMAIL).search(lowered)
    address = named.group(1) if named else lowered
    return address if _compiled(_EMAIL).search(address) else value


def is_postal_code(key: str) -> bool:
    """Whether a column (by its canonical name) holds postal codes: text, however many digits."""
    return key in POSTAL_CODES or bool(_POSTAL_NAME.match(key))
