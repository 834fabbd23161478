"""Made-up but realistic company names and web domains, built from word lists, vectorised."""

import functools

import numpy as np
import polars as pl

from territorial.generate.vocabulary import INDUSTRY_NAMES

# The first words of a name: single words, and two-part landscape names ("Cedar Ridge"), the way
# small US firms name themselves.
LEAD_WORDS: tuple[str, ...] = (
    "Alder", "Anchor", "Apex", "Arbor", "Ashford", "Atlas", "Beacon", "Bedrock", "Brighton", "Cardinal",
    "Cascade", "Coastal", "Cobalt", "Compass", "Copper", "Crescent", "Driftwood", "Ember", "Evergreen",
    "Falcon", "Fieldstone", "Frontier", "Glacier", "Granite", "Great Lakes", "Gulf Coast", "Harvest",
    "Hawthorne", "Heritage", "High Plains", "Horizon", "Ironwood", "Juniper", "Keystone", "Laurel",
    "Liberty", "Magnolia", "Meridian", "Mesa", "Northstar", "Oakmont", "Osprey", "Palisade", "Patriot",
    "Pinnacle", "Pioneer", "Prairie", "Quarry", "Redwood", "Ridgeline", "Saddleback", "Sequoia",
    "Shoreline", "Sierra", "Southport", "Sterling", "Summit", "Sycamore", "Tidewater", "Timberline",
    "Trailhead", "Trinity", "Union", "Vantage", "Vista", "Waypoint", "Wildflower", "Windsor", "Zenith",
)  # fmt: skip
LANDSCAPE_FIRSTS: tuple[str, ...] = (
    "Aspen", "Bay", "Bear", "Birch", "Blue", "Bright", "Cedar", "Clear", "Cypress", "Deer", "Eagle",
    "East", "Elk", "Fox", "Golden", "Green", "Hawk", "High", "Iron", "Lake", "Maple", "Mill", "North",
    "Oak", "Pine", "Red", "River", "Rock", "Sand", "Silver", "South", "Spring", "Stone", "Sun", "West",
    "Willow",
)  # fmt: skip
LANDSCAPE_SECONDS: tuple[str, ...] = (
    "Bend", "Brook", "Creek", "Crest", "Crossing", "Falls", "Field", "Gate", "Grove", "Harbor", "Haven",
    "Hill", "Hollow", "Lake", "Landing", "Meadow", "Mountain", "Park", "Peak", "Point", "Ridge", "Shore",
    "Springs", "Trail", "Valley", "View", "Wood",
)  # fmt: skip
LANDSCAPE_SHARE = 0.6  # of lead-word names, how many use a two-part landscape name

# Common US surnames, for "Miller Dental" and "Garcia & Nguyen" style names.
SURNAMES: tuple[str, ...] = (
    "Adams", "Aguilar", "Allen", "Alvarez", "Anderson", "Armstrong", "Bailey", "Baker", "Barnes", "Bell",
    "Bennett", "Brooks", "Brown", "Bryant", "Butler", "Campbell", "Carter", "Castillo", "Chavez", "Chen",
    "Clark", "Cole", "Coleman", "Collins", "Cook", "Cooper", "Cox", "Crawford", "Cruz", "Davis", "Diaz",
    "Dixon", "Dunn", "Edwards", "Ellis", "Evans", "Ferguson", "Fisher", "Flores", "Ford", "Foster",
    "Freeman", "Garcia", "Gardner", "Gibson", "Gomez", "Gonzalez", "Gordon", "Graham", "Grant", "Gray",
    "Green", "Griffin", "Gutierrez", "Hall", "Hamilton", "Hansen", "Harris", "Hart", "Hayes", "Henderson",
    "Hernandez", "Herrera", "Hill", "Hoffman", "Holmes", "Howard", "Hudson", "Hughes", "Hunt", "Jackson",
    "James", "Jenkins", "Jimenez", "Johnson", "Jones", "Jordan", "Kelly", "Kennedy", "Kim", "King",
    "Knight", "Lane", "Lee", "Lewis", "Long", "Lopez", "Marshall", "Martin", "Martinez", "Mason",
    "Matthews", "McDonald", "Medina", "Mendoza", "Meyer", "Miller", "Mills", "Mitchell", "Moore",
    "Morales", "Morgan", "Morris", "Murphy", "Murray", "Myers", "Nelson", "Nguyen", "Nichols", "Olson",
    "Ortiz", "Owens", "Palmer", "Parker", "Patel", "Patterson", "Perez", "Perry", "Peterson", "Phillips",
    "Pierce", "Porter", "Powell", "Price", "Ramirez", "Ramos", "Reed", "Reyes", "Reynolds", "Rice",
    "Richardson", "Rivera", "Roberts", "Robinson", "Rodriguez", "Rogers", "Romero", "Ross", "Russell",
    "Ryan", "Sanchez", "Sanders", "Schmidt", "Scott", "Shaw", "Simmons", "Snyder", "Spencer", "Stevens",
    "Stewart", "Stone", "Sullivan", "Taylor", "Thomas", "Thompson", "Torres", "Tran", "Tucker", "Turner",
    "Vargas", "Wagner", "Walker", "Wallace", "Ward", "Warren", "Washington", "Watson", "Weaver", "Webb",
    "Wells", "West", "White", "Williams", "Wilson", "Wood", "Wright", "Young",
)  # fmt: skip

# An optional word between lead and core ("Summit Family Dental"), used on about a third of names.
MODIFIERS: tuple[str, ...] = (
    "Advanced", "Allied", "American", "Classic", "Elite", "Family", "First", "Integrated", "Legacy",
    "Metro", "Modern", "National", "Premier", "Precision", "Pro", "Quality", "Regional", "Reliable",
    "Superior", "Tri-County", "United",
)  # fmt: skip
MODIFIER_SHARE = 0.3

# What the firm does, by NAICS sector (same order as vocabulary.INDUSTRIES).
CORE_WORDS: dict[str, tuple[str, ...]] = {
    "Agriculture, Forestry, Fishing and Hunting": (
        "Farms", "Growers", "Ranch", "Orchards", "Agri Services", "Dairy", "Land & Cattle", "Timber",
        "Seed", "Fisheries",
    ),
    "Mining, Quarrying, and Oil and Gas Extraction": (
        "Energy", "Oil & Gas", "Resources", "Minerals", "Drilling", "Petroleum", "Exploration",
        "Aggregates", "Midstream", "Sand & Gravel",
    ),
    "Utilities": (
        "Power", "Electric Cooperative", "Water Company", "Gas & Electric", "Utilities", "Renewables",
        "Solar", "Power & Light", "Wind Energy", "Natural Gas",
    ),
    "Construction": (
        "Builders", "Construction", "Contracting", "Roofing", "Plumbing", "Homes", "Paving",
        "Mechanical", "Concrete", "Excavating", "Restoration", "Electrical Contractors",
    ),
    "Manufacturing": (
        "Manufacturing", "Industries", "Fabrication", "Plastics", "Precision Parts", "Machine Works",
        "Tool & Die", "Components", "Metalworks", "Packaging", "Foods", "Brewing", "Printing",
    ),
    "Wholesale Trade": (
        "Supply", "Distribution", "Wholesale", "Trading", "Distributors", "Imports", "Sales & Supply",
        "Industrial Supply", "Provisions", "Parts Supply",
    ),
    "Retail Trade": (
        "Outfitters", "Market", "Hardware", "Home Goods", "Boutique", "Pharmacy", "Auto Sales",
        "Furniture", "Garden Center", "Sporting Goods", "Mercantile", "General Store",
    ),
    "Transportation and Warehousing": (
        "Logistics", "Freight", "Trucking", "Transport", "Express", "Moving & Storage", "Warehousing",
        "Carriers", "Aviation", "Delivery",
    ),
    "Information": (
        "Software", "Media", "Analytics", "Data", "Networks", "Labs", "Digital", "Broadband",
        "Publishing", "Cloud", "Systems", "Interactive",
    ),
    "Finance and Insurance": (
        "Capital", "Financial", "Bank", "Credit Union", "Insurance Agency", "Wealth Management",
        "Advisors", "Lending", "Mortgage", "Investments", "Trust", "Insurance",
    ),
    "Real Estate and Rental and Leasing": (
        "Properties", "Realty", "Real Estate", "Property Management", "Equipment Rental", "Land Company",
        "Development", "Leasing", "Apartments", "Storage",
    ),
    "Professional, Scientific, and Technical Services": (
        "Consulting", "Engineering", "Law Group", "Accounting", "Architects", "Associates", "Advisory",
        "Design", "Research", "Marketing", "Surveying", "IT Solutions",
    ),
    "Management of Companies and Enterprises": (
        "Holdings", "Enterprises", "Management", "Group Holdings", "Ventures", "Partners",
    ),
    "Administrative and Support and Waste Management and Remediation Services": (
        "Staffing", "Facility Services", "Waste Services", "Cleaning", "Security Services",
        "Landscaping", "Environmental", "Recycling", "Maintenance", "Pest Control",
    ),
    "Educational Services": (
        "Academy", "Learning", "Education", "Training Institute", "Tutoring", "School", "Learning Center",
        "Montessori", "Driving School",
    ),
    "Health Care and Social Assistance": (
        "Health Partners", "Medical Group", "Dental", "Clinic", "Home Health", "Physical Therapy",
        "Family Practice", "Health Services", "Senior Living", "Pediatrics", "Care Center",
        "Behavioral Health", "Orthopedics", "Child Care",
    ),
    "Arts, Entertainment, and Recreation": (
        "Entertainment", "Fitness", "Studios", "Golf Club", "Productions", "Recreation", "Events",
        "Athletics", "Theater", "Gallery",
    ),
    "Accommodation and Food Services": (
        "Restaurant Group", "Hospitality", "Grill", "Catering", "Hotels", "Inn", "Bakery", "Kitchen",
        "Coffee", "Diner", "Pizza",
    ),
    "Other Services (except Public Administration)": (
        "Auto Repair", "Services", "Repair", "Salon", "Cleaners", "Pet Care", "Laundry", "Body Shop",
        "Funeral Home", "Car Wash",
    ),
    "Public Administration": (
        "Housing Authority", "Transit Authority", "Water District", "Public Works", "Port Authority",
        "Parks and Recreation", "County Services", "Fire District",
    ),
}  # fmt: skip

# Legal suffixes and how often they appear; "" is a name without one ("Summit Dental").
LEGAL_SUFFIXES: tuple[str, ...] = ("LLC", "Inc.", "Corp.", "Co.", "Ltd.", "")
LEGAL_SUFFIX_WEIGHTS: tuple[float, ...] = (0.34, 0.32, 0.09, 0.07, 0.03, 0.15)
PUBLIC_ADMINISTRATION = "Public Administration"

# How a name starts: a lead word, a surname, two surnames ("Garcia & Nguyen"), or the home town.
LEAD_WORD, SURNAME, SURNAME_PAIR, HOME_TOWN = 0, 1, 2, 3
LANDSCAPE = 4  # a lead word drawn from the landscape combinations; not a pattern of its own
NAME_PATTERN_WEIGHTS = (0.50, 0.30, 0.08, 0.12)

WEB_TLDS: tuple[str, ...] = (".com", ".net", ".co", ".us", ".io")
WEB_TLD_WEIGHTS: tuple[float, ...] = (0.86, 0.05, 0.04, 0.03, 0.02)


def roman_numeral(number: int) -> str:
    """Roman numerals, for telling apart firms that would otherwise share a name ("... II LLC")."""
    numerals = (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
        (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    )  # fmt: skip
    text = ""
    for value, letters in numerals:
        count, number = divmod(number, value)
        text += letters * count
    return text


def pick(rng: np.random.Generator, words: tuple[str, ...], size: int) -> pl.Series:
    return pl.Series(words).gather(rng.integers(0, len(words), size))


def core_words(rng: np.random.Generator, industry_index: np.ndarray) -> pl.Series:
    """One core word per account, drawn from its industry's list."""
    lists = [CORE_WORDS[name] for name in INDUSTRY_NAMES]
    flat = pl.Series([word for words in lists for word in words])
    counts = np.array([len(words) for words in lists])
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    within = np.floor(rng.random(industry_index.size) * counts[industry_index]).astype(np.int64)
    return flat.gather(offsets[industry_index] + within)


@functools.cache
def lead_vocabulary() -> tuple[pl.Series, dict[int, int]]:
    """Every lead that is not a town, in one list, and where each pattern's block starts.

    Gathering from one list by index is much cheaper than choosing between string columns.
    """
    landscapes = [f"{first} {second}" for first in LANDSCAPE_FIRSTS for second in LANDSCAPE_SECONDS]
    pairs = [f"{first} & {second}" for first in SURNAMES for second in SURNAMES]
    blocks = {
        LEAD_WORD: list(LEAD_WORDS),
        LANDSCAPE: landscapes,
        SURNAME: list(SURNAMES),
        SURNAME_PAIR: pairs,
    }
    starts: dict[int, int] = {}
    words: list[str] = []
    for pattern, block in blocks.items():
        starts[pattern] = len(words)
        words += block
    return pl.Series(words), starts


def lead_index(rng: np.random.Generator, pattern: np.ndarray) -> np.ndarray:
    """Position in lead_vocabulary() of each name's lead (meaningless where the lead is a town)."""
    _, starts = lead_vocabulary()
    size = pattern.size
    word = rng.integers(0, len(LEAD_WORDS), size)
    landscape = rng.integers(0, len(LANDSCAPE_FIRSTS) * len(LANDSCAPE_SECONDS), size)
    use_landscape = rng.random(size) < LANDSCAPE_SHARE
    surname = rng.integers(0, len(SURNAMES), size)
    pair = surname * len(SURNAMES) + rng.integers(0, len(SURNAMES), size)
    place_word = np.where(use_landscape, starts[LANDSCAPE] + landscape, starts[LEAD_WORD] + word)
    lead = np.select(
        [pattern == SURNAME, pattern == SURNAME_PAIR],
        [starts[SURNAME] + surname, starts[SURNAME_PAIR] + pair],
        place_word,
    )
    return np.stack([lead, place_word])


def taken(names: pl.Series, reserved: pl.Series) -> pl.Series:
    """True where an earlier row, or a reserved name, already has this name.

    Compares 64-bit hashes, which is much faster than comparing strings: a collision can only
    mark a unique name as taken (it then gets its city), never let a duplicate through.
    """
    hashes = names.hash(seed=7)
    return hashes.is_in(reserved.hash(seed=7).implode()) | ~hashes.is_first_distinct()


def generated_company_names(
    rng: np.random.Generator, industry_index: np.ndarray, cities: pl.Series, reserved: pl.Series
) -> pl.DataFrame:
    """A name and a web domain for each account; names are unique and differ from `reserved`.

    A taken name gets the account's city ("Summit Dental of Austin LLC"); if that is taken too,
    a numeral as well ("Summit Dental of Austin II LLC").
    """
    size = industry_index.size
    public = np.asarray([name == PUBLIC_ADMINISTRATION for name in INDUSTRY_NAMES])[industry_index]
    pattern = np.where(
        public, HOME_TOWN, rng.choice(len(NAME_PATTERN_WEIGHTS), size=size, p=NAME_PATTERN_WEIGHTS)
    )
    lead, place_lead = lead_index(rng, pattern)
    vocabulary, _ = lead_vocabulary()
    modifier = np.where(
        (rng.random(size) < MODIFIER_SHARE) & ~public, rng.integers(0, len(MODIFIERS), size), len(MODIFIERS)
    )
    suffix = np.where(
        public, LEGAL_SUFFIXES.index(""), rng.choice(len(LEGAL_SUFFIXES), size=size, p=LEGAL_SUFFIX_WEIGHTS)
    )
    parts = pl.DataFrame(
        {
            "lead": vocabulary.gather(lead),
            # A home-town name that is taken would read "Austin Dental of Austin": it takes a lead word.
            "place_lead": vocabulary.gather(place_lead),
            "town": pattern == HOME_TOWN,
            "modifier": pl.Series([f"{word} " for word in MODIFIERS] + [""]).gather(modifier),
            "core": core_words(rng, industry_index),
            "suffix": pl.Series([f" {word}" if word else "" for word in LEGAL_SUFFIXES]).gather(suffix),
            "tld": pl.Series(WEB_TLDS).gather(rng.choice(len(WEB_TLDS), size=size, p=WEB_TLD_WEIGHTS)),
            "public": public,
            "city": cities,
        }
    ).with_columns(lead=pl.when("town").then("city").otherwise("lead"))
    stem = pl.concat_str("lead", pl.lit(" "), "modifier", "core")
    place_stem = pl.concat_str("place_lead", pl.lit(" "), "modifier", "core", pl.lit(" of "), "city")
    first_try = parts.select(pl.concat_str(stem, "suffix")).to_series()
    parts = parts.with_columns(taken=taken(first_try, reserved))
    names = parts.select(
        pl.when("taken").then(pl.concat_str(place_stem, "suffix")).otherwise(first_try)
    ).to_series()
    clash = taken(names, reserved).to_numpy()
    if clash.any():
        # Few rows are still taken: number them II, III, ... in row order within each name.
        rows = np.flatnonzero(clash)
        clashes = parts[rows].with_columns(repeat=pl.int_range(pl.len()).over(names.gather(rows)) + 2)
        numerals = {
            count: roman_numeral(count) for count in range(2, int(clashes["repeat"].to_numpy().max()) + 1)
        }
        numeral = pl.col("repeat").replace_strict(numerals, return_dtype=pl.String)
        renamed = clashes.select(pl.concat_str(place_stem, pl.lit(" "), numeral, "suffix")).to_series()
        names = names.scatter(rows, renamed)
    if taken(names, reserved).any():
        raise RuntimeError(
            "company names are not unique; the word lists are too short for this many accounts"
        )
    domain = (
        pl.when("taken").then(place_stem).otherwise(stem).str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")
    )
    return parts.select(name=names, website=domain + pl.when("public").then(pl.lit(".gov")).otherwise("tld"))
