"""The real Fortune 500 headquarters bundled with Territorial, as ready-made strategic accounts."""

import functools
from importlib import resources

import polars as pl

DATA_FILE = "fortune500_hq.csv"
DEFAULT_INDUSTRY = "Manufacturing"

# The NAICS sector of each company that is not a manufacturer. The bundled file has no sector
# column, so this is Territorial's own reading of what each company mainly does (2017).
# Refiners and equipment makers count as Manufacturing, pipelines as Transportation, as in NAICS.
SECTOR_COMPANIES: dict[str, tuple[str, ...]] = {
    "Finance and Insurance": (
        "Aetna", "Aflac", "AIG", "Alleghany", "Alliance Data Systems", "Allstate", "Ally Financial",
        "American Express", "American Family Insurance Group", "American Financial Group",
        "Ameriprise Financial", "AmTrust Financial Services", "Anthem", "Arthur J. Gallagher", "Assurant",
        "Auto-Owners Insurance", "Bank of America Corp.", "Bank of New York Mellon Corp.", "BB&T Corp.",
        "Berkshire Hathaway", "BlackRock", "Capital One Financial", "Centene", "Charles Schwab", "Cigna",
        "Cincinnati Financial", "Citigroup", "Citizens Financial Group", "Discover Financial Services",
        "Erie Insurance Group", "Fannie Mae", "Farmers Insurance Exchange", "Fidelity National Financial",
        "Fidelity National Information Services", "Fifth Third Bancorp", "First American Financial",
        "First Data", "Franklin Resources", "Freddie Mac", "Genworth Financial", "Goldman Sachs Group",
        "Guardian Life Ins. Co. of America", "Hartford Financial Services Group", "Humana",
        "Intercontinental Exchange", "INTL FCStone", "J.P. Morgan Chase", "Jones Financial", "KeyCorp",
        "Leucadia National", "Liberty Mutual Insurance Group", "Lincoln National", "Loews",
        "M&T Bank Corp.", "Markel", "Marsh & McLennan", "Massachusetts Mutual Life Insurance", "Mastercard",
        "MetLife", "Molina Healthcare", "Morgan Stanley", "Mutual of Omaha Insurance", "Nationwide",
        "New York Life Insurance", "Northwestern Mutual", "Old Republic International", "Pacific Life",
        "PayPal Holdings", "PNC Financial Services Group", "Principal Financial", "Progressive",
        "Prudential Financial", "Raymond James Financial", "Regions Financial",
        "Reinsurance Group of America", "State Farm Insurance Cos.", "State Street Corp.",
        "SunTrust Banks", "Synchrony Financial", "Thrivent Financial for Lutherans", "TIAA",
        "Travelers Cos.", "U.S. Bancorp", "UnitedHealth Group", "Unum Group", "USAA", "Visa",
        "Voya Financial", "W.R. Berkley", "WellCare Health Plans", "Wells Fargo",
        "Western & Southern Financial Group", "Western Union",
    ),
    "Health Care and Social Assistance": (
        "Community Health Systems", "DaVita HealthCare Partners", "Express Scripts Holding",
        "Genesis Healthcare", "HCA Holdings", "Kindred Healthcare", "Laboratory Corp. of America",
        "LifePoint Health", "Quest Diagnostics", "Tenet Healthcare", "Universal Health Services",
    ),
    "Retail Trade": (
        "Advance Auto Parts", "Albertsons Cos.", "Amazon.com", "Asbury Automotive Group",
        "Ascena Retail Group", "AutoNation", "AutoZone", "Bed Bath & Beyond", "Best Buy", "Big Lots",
        "Burlington Stores", "CarMax", "Casey's General Stores", "Costco", "CST Brands", "CVS Health",
        "Dick's Sporting Goods", "Dillard's", "Dollar General", "Dollar Tree", "eBay", "Foot Locker",
        "GameStop", "Gap", "Group 1 Automotive", "Home Depot", "J.C. Penney", "Kohl's", "Kroger",
        "L Brands", "Liberty Interactive", "Lithia Motors", "Lowe's", "Macy's", "Michaels Cos.",
        "Murphy USA", "Nordstrom", "O'Reilly Automotive", "Office Depot", "Penske Automotive Group",
        "Publix Super Markets", "Rite Aid", "Ross Stores", "Sears Holdings", "Sonic Automotive", "Staples",
        "Target", "TJX", 'Toys "R" Us', "Tractor Supply", "TravelCenters of America",
        "Walgreens Boots Alliance", "Walmart", "Whole Foods Market",
    ),
    "Wholesale Trade": (
        "A-Mark Precious Metals", "Airgas", "AmerisourceBergen", "Anixter International",
        "Arrow Electronics", "Avnet", "Cardinal Health", "CDW", "CHS", "Core-Mark Holding", "Essendant",
        "Genuine Parts", "Global Partners", "Graybar Electric", "HD Supply Holdings", "Henry Schein",
        "Insight Enterprises", "LKQ", "McKesson", "NGL Energy Partners", "Owens & Minor", "Patterson",
        "Performance Food Group", "Reliance Steel & Aluminum", "SpartanNash", "Supervalu", "Synnex",
        "Sysco", "Tech Data", "United Natural Foods", "Univar", "US Foods Holding", "Veritiv",
        "W.W. Grainger", "Wesco International", "World Fuel Services",
    ),
    "Mining, Quarrying, and Oil and Gas Extraction": (
        "Anadarko Petroleum", "Apache", "Baker Hughes", "Chesapeake Energy", "Chevron", "ConocoPhillips",
        "Devon Energy", "EOG Resources", "Exxon Mobil", "Freeport-McMoRan", "Halliburton",
        "Newmont Mining", "Occidental Petroleum",
    ),
    "Utilities": (
        "AES", "Ameren", "American Electric Power", "Calpine", "CenterPoint Energy", "CMS Energy",
        "Consolidated Edison", "Dominion Resources", "DTE Energy", "Duke Energy", "Edison International",
        "Entergy", "Eversource Energy", "Exelon", "FirstEnergy", "NextEra Energy", "NRG Energy",
        "PG&E Corp.", "PPL", "Public Service Enterprise Group", "Sempra Energy", "Southern", "UGI",
        "Vistra Energy", "WEC Energy Group", "Xcel Energy",
    ),
    "Transportation and Warehousing": (
        "Alaska Air Group", "American Airlines Group", "C.H. Robinson Worldwide", "CSX", "Delta Air Lines",
        "Energy Transfer Equity", "Enterprise Products Partners", "Expeditors International of Washington",
        "FedEx", "J.B. Hunt Transport Services", "JetBlue Airways", "Kinder Morgan", "Norfolk Southern",
        "ONEOK", "Plains GP Holdings", "Ryder System", "Southwest Airlines", "Targa Resources",
        "Union Pacific", "United Continental Holdings", "UPS", "Williams", "XPO Logistics",
    ),
    "Information": (
        "Activision Blizzard", "Adobe Systems", "Alphabet", "AT&T", "CBS", "CenturyLink",
        "Charter Communications", "Comcast", "Discovery Communications", "Dish Network", "Disney",
        "Facebook", "Fiserv", "Frontier Communications", "iHeartMedia", "Level 3 Communications",
        "Liberty Media", "Microsoft", "Netflix", "News Corp.", "Oracle", "S&P Global", "Salesforce.com",
        "Symantec", "Time Warner", "Twenty-First Century Fox", "Verizon Communications", "Viacom",
        "Windstream Holdings", "Yahoo",
    ),
    "Construction": (
        "CalAtlantic Group", "D.R. Horton", "EMCOR Group", "Fluor", "Lennar", "NVR", "Peter Kiewit Sons'",
        "PulteGroup", "Quanta Services", "Toll Brothers",
    ),
    "Real Estate and Rental and Leasing": (
        "American Tower", "Avis Budget Group", "CBRE Group", "Hertz Global Holdings",
        "Host Hotels & Resorts", "Jones Lang LaSalle", "Realogy Holdings", "Simon Property Group",
        "United Rentals",
    ),
    "Accommodation and Food Services": (
        "Aramark", "Darden Restaurants", "Hilton Worldwide Holdings", "Las Vegas Sands",
        "Marriott International", "McDonald's", "MGM Resorts International", "Starbucks",
        "Wyndham Worldwide", "Yum Brands", "Yum China Holdings",
    ),
    "Administrative and Support and Waste Management and Remediation Services": (
        "ABM Industries", "Expedia", "Kelly Services", "ManpowerGroup", "Priceline Group",
        "Republic Services", "Robert Half International", "Waste Management",
    ),
    "Professional, Scientific, and Technical Services": (
        "ADP", "AECOM", "Booz Allen Hamilton Holding", "CH2M Hill", "Cognizant Technology Solutions",
        "Computer Sciences Corporation", "IBM", "Interpublic Group", "Jacobs Engineering Group",
        "Leidos Holdings", "Omnicom Group", "Quintiles Transnational Holdings",
    ),
    "Management of Companies and Enterprises": ("HRG Group", "Icahn Enterprises"),
    "Arts, Entertainment, and Recreation": ("Live Nation Entertainment",),
}  # fmt: skip

INDUSTRY_OF_COMPANY: dict[str, str] = {
    company: sector for sector, companies in SECTOR_COMPANIES.items() for company in companies
}


@functools.cache
def fortune500_headquarters() -> pl.DataFrame:
    """The bundled file, typed: zip and countyfips stay 5-digit strings; revenues are USD millions."""
    source = resources.files("territorial") / "data" / DATA_FILE
    with resources.as_file(source) as path:
        return pl.read_csv(
            path,
            schema_overrides={
                "zip": pl.String,
                "countyfips": pl.String,
                "employees": pl.Int64,
                "revenues": pl.Int64,
                "latitude": pl.Float64,
                "longitude": pl.Float64,
            },
        )


def web_domain(url: pl.Expr) -> pl.Expr:
    """ "https://corporate.exxonmobil.com/en/" -> "exxonmobil.com": the part a lead's e-mail would share.

    Keeping the last two labels is right for these sites, which are all .com.
    """
    host = url.str.replace(r"^[a-z]+://", "").str.replace(r"[/?#:].*$", "")
    return host.str.extract(r"([^.]+\.[^.]+)$")


def fortune500_accounts() -> pl.DataFrame:
    """The 500 headquarters shaped like generated accounts (without ids, owners, products or dates)."""
    return fortune500_headquarters().select(
        "name",
        website=web_domain(pl.col("website")),
        industry=pl.col("name").replace_strict(INDUSTRY_OF_COMPANY, default=DEFAULT_INDUSTRY),
        employees="employees",
        annual_revenue=pl.col("revenues") * 1_000_000,
        state="state",
        city="city",
        postal_code="zip",
        latitude="latitude",
        longitude="longitude",
    )
