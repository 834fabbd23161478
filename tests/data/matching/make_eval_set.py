"""Write the frozen lead-to-account evaluation set (accounts.csv, leads.csv) from real company names.

Run once from the repository root: `.venv/bin/python tests/data/matching/make_eval_set.py`. The outputs are
committed and a test pins their sha256, so tuning the matcher can never quietly reshape the set.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import numpy as np
import polars as pl

SEED = 20_260_126
HERE = Path(__file__).resolve().parent
SHARED_DATA = HERE.parents[3] / "shared" / "data"
FORTUNE = SHARED_DATA / "fortune1000-2021" / "Fortune_1000.csv"
INC = SHARED_DATA / "inc5000-2014" / "inc5000_data.csv"

INC_ACCOUNTS = 3_000  # the other ~2,000 Inc 5000 names are companies the CRM does not hold
MATCHING_LEADS = 1_200
UNKNOWN_COMPANY_LEADS = 400
NEAR_MISS_LEADS = 200
SAME_STATE_SHARE = 0.8  # a matching lead mostly gives the account's state; sometimes another or none

FREE_MAIL = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "icloud.com")
FIRST_NAMES = ("jane", "john", "maria", "wei", "ana", "omar", "li", "sam", "priya", "lucas", "emma", "noah")
LAST_NAMES = ("smith", "garcia", "chen", "patel", "nguyen", "kim", "jones", "brown", "lopez", "khan")

# How people shorten words when they type a company name into a form.
ABBREVIATIONS = {
    "International": "Intl",
    "Corporation": "Corp",
    "Company": "Co",
    "Incorporated": "Inc",
    "Technologies": "Tech",
    "Technology": "Tech",
    "Manufacturing": "Mfg",
    "Services": "Svcs",
    "Associates": "Assoc",
    "National": "Natl",
    "Management": "Mgmt",
    "Brothers": "Bros",
    "Systems": "Sys",
    "Group": "Grp",
    "Financial": "Finl",
    "Insurance": "Ins",
    "American": "Amer",
    "Communications": "Comm",
    "Industries": "Inds",
    "Solutions": "Solns",
    "Laboratories": "Labs",
    "Pharmaceuticals": "Pharma",
    "Holdings": "Hldgs",
    "Enterprises": "Ent",
    "Mountain": "Mtn",
    "Saint": "St",
}
LEGAL_SUFFIXES = ("Inc.", "Inc", "LLC", "Corp.", "Corporation", "Co.", "Company", "Ltd.", "Holdings")
BUSINESS_UNITS = ("Software", "Services", "Healthcare", "Europe", "Labs", "Financial Services", "Solutions")
# Words that make a different company out of a similar name: "Summit Logistics" is not "Summit Dental".
OTHER_LINES_OF_BUSINESS = (
    "Dental",
    "Logistics",
    "Roofing",
    "Bakery",
    "Realty",
    "Plumbing",
    "Veterinary",
    "Apparel",
    "Landscaping",
    "Staffing",
    "Brewing",
    "Optics",
)
US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "DC",
]

_GENERATOR_SUFFIXES = {"inc", "llc", "corp", "corporation", "co", "company", "ltd", "holdings", "the"}


def identity_key(name: str) -> str:
    """Crude key that only this script uses to keep two accounts (or an account and an 'unknown' lead)
    from being the same company; deliberately not the matcher's normaliser, so the set stays independent
    of the code it judges."""
    words = re.sub(r"[^a-z0-9 ]", " ", name.lower().replace("&", " and ")).split()
    return " ".join(word for word in words if word not in _GENERATOR_SUFFIXES)


def load_accounts(rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Accounts (all of the Fortune 1000 and part of the Inc 5000) and the Inc names left out."""
    fortune = pl.read_csv(FORTUNE, infer_schema=False).select(
        name=pl.col("company"),
        website=pl.col("Website"),
        city=pl.col("city"),
        state=pl.col("state"),
        source=pl.lit("fortune1000"),
    )
    inc = pl.read_csv(INC, infer_schema=False).select(
        name=pl.col("Name"),
        website=pl.lit(None, dtype=pl.String),
        city=pl.col("City"),
        state=pl.col("State"),
        source=pl.lit("inc5000"),
    )
    everyone = pl.concat([fortune, inc]).with_columns(
        key=pl.col("name").map_elements(identity_key, return_dtype=pl.String)
    )
    # A company on both lists, or listed twice under one key, is one company: keep its first row only.
    everyone = everyone.filter(pl.col("key") != "").unique("key", keep="first", maintain_order=True)
    fortune_part = everyone.filter(pl.col("source") == "fortune1000")
    inc_part = everyone.filter(pl.col("source") == "inc5000")
    chosen = np.zeros(inc_part.height, dtype=bool)
    chosen[rng.choice(inc_part.height, size=INC_ACCOUNTS, replace=False)] = True
    accounts = pl.concat([fortune_part, inc_part.filter(pl.Series(chosen))]).sort("name", "city")
    accounts = accounts.with_columns(
        account_id=pl.lit("ACC-") + pl.int_range(1, accounts.height + 1).cast(pl.String).str.zfill(5),
        country=pl.lit("US"),
    )
    left_out = inc_part.filter(~pl.Series(chosen))
    return accounts, left_out


def website_domain(url: str | None) -> str | None:
    if not url:
        return None
    host = re.sub(r"^https?://(www\.)?", "", url.lower()).split("/")[0]
    labels = host.split(".")
    return ".".join(labels[-2:])  # stock.walmart.com: the staff write to walmart.com


def person(rng: np.random.Generator) -> str:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return f"{first}.{last}" if rng.random() < 0.5 else f"{first[0]}{last}"


def typo(rng: np.random.Generator, name: str) -> str | None:
    """One edit (insert, delete, substitute or swap) inside a word of five letters or more."""
    words = name.split()
    long_words = [index for index, word in enumerate(words) if len(word) >= 5 and word.isalpha()]
    if not long_words:
        return None
    index = int(rng.choice(long_words))
    word = words[index]
    position = int(rng.integers(1, len(word) - 1))  # people rarely get the first letter wrong
    letter = str(rng.choice(list(string.ascii_lowercase)))
    edit = int(rng.integers(4))
    if edit == 0:
        word = word[:position] + letter + word[position:]
    elif edit == 1:
        word = word[:position] + word[position + 1 :]
    elif edit == 2:
        word = word[:position] + (letter if letter != word[position] else "x") + word[position + 1 :]
    else:
        word = word[: position - 1] + word[position] + word[position - 1] + word[position + 1 :]
    words[index] = word
    return " ".join(words)


def abbreviated(name: str) -> str | None:
    words = [ABBREVIATIONS.get(word, word) for word in name.split()]
    return " ".join(words) if words != name.split() else None


def suffix_changed(rng: np.random.Generator, name: str) -> str:
    words = name.split()
    if words[-1].rstrip(".,") in {suffix.rstrip(".") for suffix in LEGAL_SUFFIXES}:
        stem = " ".join(words[:-1]).rstrip(",")
        return stem if rng.random() < 0.5 else f"{stem} {rng.choice(LEGAL_SUFFIXES)}"
    separator = ", " if rng.random() < 0.3 else " "
    return f"{name}{separator}{rng.choice(LEGAL_SUFFIXES)}"


def the_changed(name: str) -> str:
    return name[4:] if name.lower().startswith("the ") else f"The {name}"


def ampersand_changed(name: str) -> str | None:
    if " & " in name:
        return name.replace(" & ", " and ")
    if " and " in name:
        return name.replace(" and ", " & ")
    return None


def subsidiary(rng: np.random.Generator, name: str) -> str:
    unit = str(rng.choice(BUSINESS_UNITS))
    short = name.split()[0].rstrip(",")
    patterns = (
        f"{short} {unit}, a division of {name}",
        f"{name} {unit}",
        f"{unit} division of {name}",
        f"{name} ({unit})",
    )
    return patterns[int(rng.integers(len(patterns)))]


NAME_VARIANTS = ("exact", "abbreviation", "typo", "suffix", "the", "ampersand", "subsidiary")
CONTACT_VARIANTS = ("free_mail", "corporate_email", "corporate_website")


def name_variant(rng: np.random.Generator, name: str, wanted: str) -> tuple[str, str]:
    """The name typed on the lead form and which variant it is; falls back to a suffix change when the
    wanted variant does not apply to this name (no long word to mistype, no '&')."""
    made: str | None
    if wanted == "exact":
        made = name
    elif wanted == "abbreviation":
        made = abbreviated(name)
    elif wanted == "typo":
        made = typo(rng, name)
    elif wanted == "the":
        made = the_changed(name)
    elif wanted == "ampersand":
        made = ampersand_changed(name)
    elif wanted == "subsidiary":
        made = subsidiary(rng, name)
    else:
        made = None
    if made is None or (made == name and wanted != "exact"):
        return suffix_changed(rng, name), "suffix"
    return made, wanted


def matching_leads(rng: np.random.Generator, accounts: pl.DataFrame) -> list[dict[str, str | None]]:
    picked = accounts[np.sort(rng.choice(accounts.height, size=MATCHING_LEADS, replace=False))]
    rows: list[dict[str, str | None]] = []
    for number, account in enumerate(picked.iter_rows(named=True)):
        domain = website_domain(account["website"])
        kinds = NAME_VARIANTS + (CONTACT_VARIANTS if domain else CONTACT_VARIANTS[:1])
        wanted = kinds[number % len(kinds)]
        email: str | None = None
        website: str | None = None
        if wanted in CONTACT_VARIANTS:
            # Contact variants carry a lightly changed name too: a form rarely has the CRM's spelling.
            company, name_kind = name_variant(rng, account["name"], str(rng.choice(NAME_VARIANTS[:4])))
            variant = f"{wanted}+{name_kind}"
            if wanted == "free_mail":
                email = f"{person(rng)}@{rng.choice(FREE_MAIL)}"
            elif wanted == "corporate_email":
                email = f"{person(rng)}@{domain}"
                if rng.random() < 0.3:
                    company = ""  # the form only asked for an email
            else:
                website = f"https://www.{domain}/" if rng.random() < 0.5 else str(domain)
        else:
            company, variant = name_variant(rng, account["name"], wanted)
            if rng.random() < 0.5:
                email = f"{person(rng)}@{rng.choice(FREE_MAIL)}"
        roll = rng.random()
        state = (
            account["state"]
            if roll < SAME_STATE_SHARE
            else (None if roll < 0.9 else str(rng.choice(US_STATES)))
        )
        rows.append(
            {
                "company": company,
                "email": email,
                "website": website,
                "country": "US",
                "state": state,
                "expected_account_id": account["account_id"],
                "variant": variant,
            }
        )
    return rows


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def unmatched_leads(
    rng: np.random.Generator, accounts: pl.DataFrame, left_out: pl.DataFrame
) -> list[dict[str, str | None]]:
    """Leads from companies the CRM does not hold: real Inc 5000 names left out of the accounts, and
    made-up near misses (an account's name with a different line of business)."""
    account_keys = set(accounts["key"].to_list())
    account_domains = {website_domain(url) for url in accounts["website"].to_list()}
    rows: list[dict[str, str | None]] = []
    unknown = left_out[np.sort(rng.choice(left_out.height, size=UNKNOWN_COMPANY_LEADS, replace=False))]
    for company in unknown.iter_rows(named=True):
        own_domain = f"{slug(company['name'])}.com"
        email = (
            f"{person(rng)}@{own_domain}"
            if rng.random() < 0.5 and own_domain not in account_domains
            else f"{person(rng)}@{rng.choice(FREE_MAIL)}"
        )
        rows.append(
            {
                "company": company["name"],
                "email": email,
                "website": None,
                "country": "US",
                "state": company["state"],
                "expected_account_id": None,
                "variant": "unknown_company",
            }
        )
    near_misses = 0
    order = rng.permutation(accounts.height)
    for index in order:
        if near_misses == NEAR_MISS_LEADS:
            break
        account = accounts.row(int(index), named=True)
        words = account["name"].split()
        if len(words) < 2:
            continue
        replaced = len(words) - 1
        if words[-1].rstrip(".,").lower() in _GENERATOR_SUFFIXES and len(words) > 2:
            replaced -= 1
        line = str(rng.choice(OTHER_LINES_OF_BUSINESS))
        if words[replaced] == line:
            continue
        made_up = " ".join([*words[:replaced], line, *words[replaced + 1 :]])
        if identity_key(made_up) in account_keys:
            continue
        near_misses += 1
        rows.append(
            {
                "company": made_up,
                "email": f"{person(rng)}@{rng.choice(FREE_MAIL)}",
                "website": None,
                "country": "US",
                "state": str(rng.choice(US_STATES)),
                "expected_account_id": None,
                "variant": "near_miss",
            }
        )
    return rows


def main() -> None:
    rng = np.random.default_rng(SEED)
    accounts, left_out = load_accounts(rng)
    rows = matching_leads(rng, accounts) + unmatched_leads(rng, accounts, left_out)
    leads = pl.DataFrame(
        rows,
        schema={
            "company": pl.String,
            "email": pl.String,
            "website": pl.String,
            "country": pl.String,
            "state": pl.String,
            "expected_account_id": pl.String,
            "variant": pl.String,
        },
    )
    leads = leads[rng.permutation(leads.height)].with_columns(
        lead_id=pl.lit("LEAD-") + pl.int_range(1, leads.height + 1).cast(pl.String).str.zfill(5)
    )
    accounts.select("account_id", "name", "website", "city", "state", "country", "source").write_csv(
        HERE / "accounts.csv"
    )
    leads.select(
        "lead_id", "company", "email", "website", "country", "state", "expected_account_id", "variant"
    ).write_csv(HERE / "leads.csv")
    print(f"{accounts.height} accounts, {leads.height} leads ({len(rows) - MATCHING_LEADS} should not match)")


if __name__ == "__main__":
    main()
