"""Write the CRM export fixtures of tests/io/test_crm_mappings.py from the shared real datasets.

Run once from the repository root: `.venv/bin/python tests/data/crm/make_fixtures.py`. It reads
/work/shared/data (or $TERRITORIAL_SHARED_DATA) and rewrites every file beside this script; no random
choice is made, so a second run gives the same bytes. ATTRIBUTION.md says what each file came from.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import us

SHARED = Path(os.environ.get("TERRITORIAL_SHARED_DATA", "/work/shared/data"))
HERE = Path(__file__).resolve().parent

Row = dict[str, str]


def read(relative: str) -> list[Row]:
    with (SHARED / relative).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write(name: str, header: Sequence[str], rows: Iterable[Row], encoding: str = "utf-8") -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(header), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in header})
    (HERE / name).write_bytes(buffer.getvalue().encode(encoding))


def digest(text: str, digits: int) -> int:
    """A stable number from a text, for ids and for choosing a variant without a random generator."""
    modulus: int = 10**digits
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % modulus


def salesforce_id(prefix: str, number: int) -> str:
    # 18 characters like a real record id: key prefix, pod/instance part, serial, case-safe suffix.
    return f"{prefix}5g0000{number:06d}AAA"


def day_of(number: int, year: int) -> str:
    """A made-up but stable record date within a year."""
    return f"{year}-{1 + number % 12:02d}-{1 + number % 28:02d}"


def state_name(code: str) -> str:
    state = us.states.lookup(code)
    return state.name if state else code


# ---- shared look-ups --------------------------------------------------------------------------

GEONAMES = {
    (r["name"].lower(), r["state"]): (r["latitude"], r["longitude"])
    for r in read("us-cities-geonames/us_cities_pop1000.csv")
}
REGIONS = {r["state_abbr"]: r["region"] for r in read("us-census-regions/us_census_regions_divisions.csv")}
ZIPS = {r["zipcode"]: r for r in read("us-zipcodes-uszipcode/us_zipcodes.csv")}


def company_key(name: str) -> str:
    """Company names of the 2017 and 2021 lists compared without case, punctuation or legal suffix."""
    words = re.sub(r"[^a-z0-9 ]", "", name.lower().replace("&", " and ")).split()
    while words and words[-1] in {"inc", "corp", "co", "cos", "company", "companies", "group", "holdings"}:
        words.pop()
    return " ".join(words)


HQ = {company_key(r["NAME"]): r for r in read("fortune500-hq/Fortune_500_Corporate_Headquarters.csv")}

# ---- reps: the 35 agents and 6 managers of the CRM Sales Opportunities data set ----------------

TEAMS = read("crm-sales-opportunities/sales_teams.csv")
MANAGERS = sorted({t["manager"] for t in TEAMS})
PEOPLE = MANAGERS + [t["sales_agent"] for t in TEAMS]
OFFICE_OF = {t["sales_agent"]: t["regional_office"] for t in TEAMS} | {
    t["manager"]: t["regional_office"] for t in TEAMS
}
MANAGER_OF = {t["sales_agent"]: t["manager"] for t in TEAMS}
# A regional office ZIP for each region (Chicago, New York, San Francisco), chosen for these fixtures.
OFFICE_ZIP = {"Central": "60606", "East": "10017", "West": "94105"}
SF_USER_ID = {person: salesforce_id("005", i + 1) for i, person in enumerate(PEOPLE)}
HUBSPOT_USER_ID = {person: str(41_000_000 + 137 * (i + 1)) for i, person in enumerate(PEOPLE)}
INACTIVE = {"Mei-Mei Johns", "Carl Lin"}  # two agents marked as having left, to exercise `active`


def email_of(person: str) -> str:
    first, _, last = person.partition(" ")
    return f"{first}.{last}".lower().replace("'", "") + "@example.com"


def sf_users() -> None:
    rows = []
    for person in PEOPLE:
        first, _, last = person.partition(" ")
        office = OFFICE_OF[person]
        is_manager = person in MANAGERS
        place = ZIPS[OFFICE_ZIP[office]]
        rows.append(
            {
                "Id": SF_USER_ID[person],
                "Username": email_of(person).replace("@example.com", "@example.com.crm"),
                "Name": person,
                "FirstName": first,
                "LastName": last,
                "Email": email_of(person),
                "Title": "Regional Sales Manager" if is_manager else "Account Executive",
                "UserRole.Name": f"{office} Sales Manager" if is_manager else f"{office} Sales",
                "Department": office,
                "ManagerId": "" if is_manager else SF_USER_ID[MANAGER_OF[person]],
                "PostalCode": OFFICE_ZIP[office],
                "Latitude": place["lat"],
                "Longitude": place["lng"],
                "IsActive": "false" if person in INACTIVE else "true",
                "TimeZoneSidKey": place["timezone"],
                "CreatedDate": f"2016-0{1 + PEOPLE.index(person) % 9}-15T09:00:00.000+0000",
            }
        )
    header = list(rows[0])
    write("sf_users_crm.csv", header, rows)
    # The same export with one column that reps have no field for and the mapping does not know.
    extra = [{**r, "Territory_Notes__c": "covers the Midwest" if i == 0 else ""} for i, r in enumerate(rows)]
    write("bad_unknown_column_sf_users.csv", [*header, "Territory_Notes__c"], extra)


def hubspot_users() -> None:
    rows = []
    for person in PEOPLE:
        first, _, last = person.partition(" ")
        rows.append(
            {
                "User ID": HUBSPOT_USER_ID[person],
                "First Name": first,
                "Last Name": last,
                "Email": email_of(person),
                "Teams": f"{OFFICE_OF[person]} Sales",
                "Role": "Sales Manager" if person in MANAGERS else "Sales Rep",
                "Last login": f"2026-10-{1 + digest(person, 2) % 28:02d} 08:{digest(person, 4) % 60:02d}",
            }
        )
    write("hubspot_users_crm.csv", list(rows[0]), rows)


def plain_reps() -> None:
    rows = []
    for person in PEOPLE:
        first, _, last = person.partition(" ")
        rows.append(
            {
                "rep_id": f"rep-{PEOPLE.index(person) + 1:03d}",
                "first_name": first,
                "last_name": last,
                "email": email_of(person),
                "role": "manager" if person in MANAGERS else "AE",
                "team": OFFICE_OF[person],
                "manager_id": "" if person in MANAGERS else f"rep-{PEOPLE.index(MANAGER_OF[person]) + 1:03d}",
                "active": "false" if person in INACTIVE else "true",
            }
        )
    write("plain_reps_crm.csv", list(rows[0]), rows)


# ---- accounts: Fortune 1000 as a Salesforce Account export -------------------------------------

COUNTRY_SPELLINGS = ("United States", "USA", "US", "United States of America")
SF_ACCOUNT_HEADER = [
    "Id", "Name", "Type", "ParentId", "BillingStreet", "BillingCity", "BillingState", "BillingPostalCode",
    "BillingCountry", "BillingLatitude", "BillingLongitude", "Industry", "NumberOfEmployees",
    "AnnualRevenue", "Website", "OwnerId", "Ticker__c", "CreatedDate", "IsDeleted",
]  # fmt: skip


def messy_revenue(millions: str, variant: int) -> str:
    dollars = round(float(millions) * 1_000_000)
    if variant == 0:
        return str(dollars)
    if variant == 1:
        return f"${dollars:,}"
    return f"{dollars:.5E}"  # how Excel shows a large number saved to CSV


def messy_website(url: str, variant: int) -> str:
    if not url:
        return ""
    if variant == 1:
        return url.removeprefix("https://")  # www.example.com
    if variant == 2:
        return url + "/"
    if variant == 3:
        return url.removeprefix("https://").removeprefix("www.").upper()
    return url


def messy_zip(zip_code: str, variant: int, seed: str) -> str:
    if not zip_code:
        return ""
    if variant == 1:
        return f"{zip_code}-{digest(seed, 4):04d}"  # ZIP+4; the +4 part is made up
    if variant == 2 and zip_code.startswith("0"):
        return zip_code.lstrip("0")  # as Excel leaves a ZIP it read as a number
    return zip_code


def fortune_accounts() -> list[Row]:
    fortune = [r for r in read("fortune1000-2021/Fortune_1000.csv") if int(r["rank"]) % 8 == 7]
    agents = [t["sales_agent"] for t in TEAMS]
    rows = []
    for i, company in enumerate(fortune):
        rank = int(company["rank"])
        state = company["state"]
        hq = HQ.get(company_key(company["company"]))
        if hq is not None and hq["STATE"] == state:
            street, zip_code, lat, lon = hq["ADDRESS"], hq["ZIP"].zfill(5), hq["LATITUDE"], hq["LONGITUDE"]
        else:
            street, zip_code = "", ""
            lat, lon = GEONAMES.get((company["city"].lower(), state), ("", ""))
        rows.append(
            {
                "Id": salesforce_id("001", rank),
                "Name": company["company"],
                "Type": ("Customer - Direct", "Prospect", "Customer - Channel")[rank % 3],
                "BillingStreet": street,
                "BillingCity": company["city"],
                "BillingState": (state, state_name(state), state, state_name(state).lower())[i % 4],
                "BillingPostalCode": messy_zip(zip_code, i % 3, company["company"]),
                "BillingCountry": COUNTRY_SPELLINGS[i % 4],
                "BillingLatitude": lat,
                "BillingLongitude": lon,
                "Industry": company["sector"],
                "NumberOfEmployees": (
                    f"{int(company['num. of employees']):,}" if i % 4 == 1 else company["num. of employees"]
                ),
                "AnnualRevenue": messy_revenue(company["revenue"], i % 3),
                "Website": messy_website(company["Website"], i % 4),
                "OwnerId": SF_USER_ID[agents[i % len(agents)]],
                "Ticker__c": company["Ticker"],
                "CreatedDate": f"{day_of(rank, 2015 + rank % 7)}T10:{rank % 60:02d}:00.000+0000",
                "IsDeleted": "false",
            }
        )
    return rows


def sf_accounts() -> None:
    rows = fortune_accounts()
    write("sf_accounts_fortune1000.csv", SF_ACCOUNT_HEADER, rows)
    # The same rows as an export saved in Latin-1 (Excel on Windows): "Estée Lauder" has a non-ASCII letter.
    write("latin1_sf_accounts.csv", SF_ACCOUNT_HEADER, rows[20:40], encoding="latin-1")
    write("bad_missing_id_sf_accounts.csv", SF_ACCOUNT_HEADER[1:], rows[:12])
    bad = [dict(r) for r in rows[:12]]
    bad[2]["NumberOfEmployees"] = "approx. 5,000"
    bad[4]["NumberOfEmployees"] = "n/a"
    bad[6]["AnnualRevenue"] = "1.2.3"
    bad[8]["AnnualRevenue"] = "12M"
    bad[10]["BillingLatitude"] = "north"
    write("bad_numbers_sf_accounts.csv", SF_ACCOUNT_HEADER, bad)
    # An export cut off while it was written: the last row stops in the middle of a field.
    whole = (HERE / "sf_accounts_fortune1000.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    cut = whole[15]
    (HERE / "bad_truncated_sf_accounts.csv").write_text(
        "".join(whole[:15]) + cut[: cut.index(",", cut.index(",") + 1) + 4], encoding="utf-8"
    )


def custom_accounts() -> None:
    """Fortune 1000 with a home-grown header, for the custom mapping example."""
    fortune = [r for r in read("fortune1000-2021/Fortune_1000.csv") if int(r["rank"]) % 20 == 3]
    rows = [
        {
            "Account Number": f"F1K-{int(c['rank']):04d}",
            "Account Name": c["company"],
            "HQ City": c["city"],
            "HQ State": c["state"],
            "Employees (FTE)": c["num. of employees"],
            "Sector": c["sector"],
            "Region__c": REGIONS.get(c["state"], ""),
            "Internal Notes": "newcomer to the list" if c["newcomer"] == "yes" else "",
        }
        for c in fortune
    ]
    write("custom_accounts_fortune1000.csv", list(rows[0]), rows)


# ---- accounts: Inc. 5000 as a HubSpot companies export ----------------------------------------

HUBSPOT_COMPANY_HEADER = [
    "Record ID", "Company name", "Company Domain Name", "Industry", "Number of Employees", "Annual Revenue",
    "City", "State/Region", "Postal Code", "Country/Region", "Company owner", "Create Date",
    "Lifecycle Stage", "Last Activity Date", "Growth Rate",
]  # fmt: skip


def hubspot_companies() -> None:
    inc = [r for r in read("inc5000-2014/inc5000_data.csv") if int(r["Rank"]) % 33 == 1]
    agents = [t["sales_agent"] for t in TEAMS]
    rows = []
    for i, company in enumerate(inc):
        rank = int(company["Rank"])
        revenue = company["Revenue"]
        rows.append(
            {
                "Record ID": str(5_800_000_000 + 7_919 * rank),
                "Company name": company["Name"],
                "Industry": company["Industry"],
                "Number of Employees": company["Employees"],
                "Annual Revenue": revenue.removesuffix(".0") if i % 2 else revenue,
                "City": company["City"],
                "State/Region": state_name(company["State"]) if i % 3 == 0 else company["State"],
                "Country/Region": "United States",
                "Company owner": agents[(i * 7) % len(agents)],
                "Create Date": f"{day_of(rank, 2024)} {8 + rank % 10:02d}:{rank % 60:02d}",
                "Lifecycle Stage": ("Lead", "Opportunity", "Customer")[rank % 3],
                "Growth Rate": company["Growth_Rate"],
            }
        )
    write("hubspot_companies_inc5000.csv", HUBSPOT_COMPANY_HEADER, rows)


# ---- accounts with our own field names: the CRM Sales Opportunities accounts -------------------

CRM_ACCOUNTS = read("crm-sales-opportunities/accounts.csv")
CRM_ACCOUNT_ID = {a["account"]: f"A-{i + 1:03d}" for i, a in enumerate(CRM_ACCOUNTS)}
SF_CRM_ACCOUNT_ID = {a["account"]: salesforce_id("001", 900_000 + i) for i, a in enumerate(CRM_ACCOUNTS)}
HUBSPOT_CRM_COMPANY_ID = {a["account"]: str(9_100_000_000 + 3_571 * i) for i, a in enumerate(CRM_ACCOUNTS)}


def plain_accounts() -> None:
    rows = [
        {
            "account_id": CRM_ACCOUNT_ID[a["account"]],
            "name": a["account"],
            "industry": a["sector"],
            "employees": a["employees"],
            "annual_revenue": str(round(float(a["revenue"]) * 1_000_000)),
            "country": a["office_location"],
            "parent_id": CRM_ACCOUNT_ID.get(a["subsidiary_of"], ""),
            "year_established": a["year_established"],
        }
        for a in CRM_ACCOUNTS
    ]
    write("plain_accounts_crm.csv", list(rows[0]), rows)


# ---- opportunities: the CRM Sales Opportunities pipeline -------------------------------------

PIPELINE = read("crm-sales-opportunities/sales_pipeline.csv")
LIST_PRICE = {
    p["product"].replace(" ", ""): p["sales_price"] for p in read("crm-sales-opportunities/products.csv")
}
SF_STAGE = {
    "Won": "Closed Won",
    "Lost": "Closed Lost",
    "Engaging": "Qualification",
    "Prospecting": "Prospecting",
}
HUBSPOT_STAGE = {
    "Won": "Closed won",
    "Lost": "Closed lost",
    "Engaging": "Qualified to buy",
    "Prospecting": "Appointment scheduled",
}


def amount_of(deal: Row) -> str:
    # Open deals carry no close value; a CRM shows the expected amount, here the product's list price.
    if deal["close_value"]:
        return deal["close_value"]
    return LIST_PRICE.get(deal["product"].replace(" ", ""), "")


def sf_opportunities() -> None:
    rows = []
    for i, deal in enumerate(PIPELINE[::59]):
        stage = deal["deal_stage"]
        closed = stage in ("Won", "Lost")
        rows.append(
            {
                "Id": "0065g00000" + deal["opportunity_id"],
                "AccountId": SF_CRM_ACCOUNT_ID.get(deal["account"], ""),
                "OwnerId": SF_USER_ID[deal["sales_agent"]],
                "Name": f"{deal['account'] or 'New prospect'} - {deal['product']}",
                "StageName": SF_STAGE[stage],
                "Amount": amount_of(deal),
                "Probability": {"Won": "100", "Lost": "0", "Engaging": "20", "Prospecting": "10"}[stage],
                "CreatedDate": f"{deal['engage_date']}T{9 + i % 8:02d}:00:00.000+0000"
                if deal["engage_date"]
                else "",
                "CloseDate": deal["close_date"],
                "IsClosed": "true" if closed else "false",
                "IsWon": "true" if stage == "Won" else "false",
                "Product__c": deal["product"],
                "ForecastCategoryName": {"Won": "Closed", "Lost": "Omitted"}.get(stage, "Pipeline"),
            }
        )
    write("sf_opportunities_crm.csv", list(rows[0]), rows)


def hubspot_deals() -> None:
    rows = []
    for deal in PIPELINE[7::71]:
        stage = deal["deal_stage"]
        rows.append(
            {
                "Record ID": str(12_000_000_000 + digest(deal["opportunity_id"], 9)),
                "Deal Name": f"{deal['account'] or 'New prospect'} - {deal['product']}",
                "Pipeline": "Sales Pipeline",
                "Deal Stage": HUBSPOT_STAGE[stage],
                "Amount": amount_of(deal),
                "Close Date": f"{deal['close_date']} 00:00" if deal["close_date"] else "",
                "Create Date": f"{deal['engage_date']} 09:30" if deal["engage_date"] else "",
                "Deal owner": deal["sales_agent"],
                "Associated Company IDs (Primary)": HUBSPOT_CRM_COMPANY_ID.get(deal["account"], ""),
                "Associated Company": deal["account"],
                "Is Closed Won": "true" if stage == "Won" else "false",
                "Last Activity Date": "",
            }
        )
    write("hubspot_deals_crm.csv", list(rows[0]), rows)
    # A portal with a custom "Product line" deal property, which the built-in mapping does not know.
    products = [d["product"] for d in PIPELINE[7::71]]
    with_product = [{**r, "Product line": product} for r, product in zip(rows[:30], products, strict=False)]
    write("hubspot_deals_product_crm.csv", [*rows[0], "Product line"], with_product)
    duplicated = [dict(r) for r in rows[:10]]
    duplicated[6]["Record ID"] = duplicated[2]["Record ID"]
    duplicated[9]["Record ID"] = duplicated[2]["Record ID"]
    write("bad_duplicate_ids_hubspot_deals.csv", list(rows[0]), duplicated)


# ---- leads: the Olist marketing funnel ----------------------------------------------------------

MQLS = sorted(
    read("olist-marketing-funnel/olist_marketing_qualified_leads_dataset.csv"), key=lambda r: r["mql_id"]
)
DEALS = {d["mql_id"]: d for d in read("olist-marketing-funnel/olist_closed_deals_dataset.csv")}
SELLERS = {s["seller_id"]: s for s in read("olist-marketing-funnel/olist_sellers_dataset.csv")}
HUBSPOT_SOURCE = {
    "organic_search": "Organic Search",
    "paid_search": "Paid Search",
    "social": "Social Media",
    "direct_traffic": "Direct Traffic",
    "email": "Email Marketing",
    "referral": "Referrals",
    "display": "Paid Social",
    "other_publicities": "Other Campaigns",
    "other": "Other Campaigns",
    "unknown": "Offline Sources",
    "": "",
}


def olist_sample(offset: int) -> list[Row]:
    """60 leads that became sellers and 60 that did not, so that some carry a segment and a place."""
    won = [m for m in MQLS if m["mql_id"] in DEALS]
    lost = [m for m in MQLS if m["mql_id"] not in DEALS]
    return won[offset :: len(won) // 60][:60] + lost[offset :: len(lost) // 60][:60]


def lead_facts(mql: Row) -> Row:
    deal = DEALS.get(mql["mql_id"], {})
    seller = SELLERS.get(deal.get("seller_id", ""), {})
    return {
        "segment": deal.get("business_segment", ""),
        "state": seller.get("seller_state", ""),
        "city": seller.get("seller_city", ""),
        "zip": seller.get("seller_zip_code_prefix", ""),
        "won": "true" if deal else "false",
    }


def sf_leads() -> None:
    rows = []
    for mql in olist_sample(0):
        facts = lead_facts(mql)
        rows.append(
            {
                "Id": "00Q5g00000" + mql["mql_id"][:8].upper(),
                "FirstName": "",
                "LastName": "[not provided]",  # Web-to-Lead's stand-in for a required value left blank
                "Email": "",
                "Company": "[not provided]",
                "Website": "",
                "City": facts["city"],
                "State": facts["state"],
                "PostalCode": facts["zip"],
                "Country": "Brazil",
                "Industry": facts["segment"],
                "NumberOfEmployees": "",
                "LeadSource": mql["origin"],
                "Description": f"Landing page {mql['landing_page_id']}",
                "Status": "Closed - Converted" if facts["won"] == "true" else "Open - Not Contacted",
                "IsConverted": facts["won"],
                "CreatedDate": f"{mql['first_contact_date']}T12:00:00.000+0000",
            }
        )
    write("sf_leads_olist.csv", list(rows[0]), rows)


def hubspot_contacts() -> None:
    rows = []
    for mql in olist_sample(1):
        facts = lead_facts(mql)
        rows.append(
            {
                "Record ID": str(30_000_000_000 + digest(mql["mql_id"], 9)),
                "First Name": "",
                "Last Name": "",
                "Email": "",
                "Company Name": "",
                "Website URL": "",
                "City": facts["city"],
                "State/Region": facts["state"],
                "Postal Code": facts["zip"],
                "Country/Region": "Brazil",
                "Industry": facts["segment"],
                "Number of Employees": "",
                "Original Source": HUBSPOT_SOURCE[mql["origin"]],
                "Message": f"Landing page {mql['landing_page_id']}",
                "Create Date": f"{mql['first_contact_date']} 12:00",
                "Lifecycle Stage": "Customer" if facts["won"] == "true" else "Marketing Qualified Lead",
                "Contact owner": "",
            }
        )
    write("hubspot_contacts_olist.csv", list(rows[0]), rows)


def main() -> None:
    sf_users()
    hubspot_users()
    plain_reps()
    sf_accounts()
    custom_accounts()
    hubspot_companies()
    plain_accounts()
    sf_opportunities()
    hubspot_deals()
    sf_leads()
    hubspot_contacts()


if __name__ == "__main__":
    main()
