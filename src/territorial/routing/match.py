"""Lead-to-account matching: by email or website domain, else by fuzzy company name; place breaks ties."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from territorial.domain.normalize import lookup_key, normalize, normalize_place

# Mail providers anyone can sign up to: a gmail address says nothing about the company.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "ymail.com",
        "rocketmail.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "protonmail.com",
        "proton.me",
        "pm.me",
        "mail.com",
        "email.com",
        "zoho.com",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "qq.com",
        "163.com",
        "126.com",
        "web.de",
        "t-online.de",
        "fastmail.com",
        "tutanota.com",
        "hey.com",
        "comcast.net",
        "verizon.net",
        "att.net",
        "sbcglobal.net",
    }
)
# Providers that are free under every country domain: gmx.de, gmx.net, yahoo.co.uk, hotmail.fr ...
FREE_MAIL_PROVIDERS = frozenset({"gmx", "yahoo", "hotmail", "outlook", "live", "aol", "yandex"})

# Words that say what legal form a company has, not which company it is.
LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "corp",
        "corporation",
        "co",
        "company",
        "holdings",
        "holding",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "nv",
        "bv",
        "pc",
    }
)
# Abbreviations people type on forms, written out so both spellings compare equal.
ABBREVIATIONS = {
    "intl": "international",
    "natl": "national",
    "mfg": "manufacturing",
    "svcs": "services",
    "svc": "services",
    "assoc": "associates",
    "mgmt": "management",
    "bros": "brothers",
    "sys": "systems",
    "grp": "group",
    "finl": "financial",
    "ins": "insurance",
    "amer": "american",
    "comm": "communications",
    "inds": "industries",
    "solns": "solutions",
    "labs": "laboratories",
    "lab": "laboratories",
    "pharma": "pharmaceuticals",
    "hldgs": "holdings",
    "tech": "technologies",
    "technology": "technologies",
    "mtn": "mountain",
}

# "Acme Software, a division of Acme Corp": the company after "of" is the account.
_PARENT_COMPANY = re.compile(r"\b(?:a\s+)?(?:division|subsidiary|unit|part|member|brand)\s+of\s+(.+)$", re.I)
_PARENTHESES = re.compile(r"\([^)]*\)")
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")

DEFAULT_THRESHOLD = 0.9
# Name scores this close to the best are a tie, which the lead's country, state or postal code decides.
DEFAULT_TIE_WINDOW = 2.0
# "Arista Networks Software" may be a unit of "Arista Networks"; only a word or two may be dropped and
# the score pays for it, so that "Summit Dental" does not become "Summit".
DROPPED_WORDS_MAX = 2
DROPPED_WORDS_PENALTY = 6.0
# A word spelled as no account spells it is read as the account word one typo away, at this cost.
RESPELLED_PENALTY = 4.0
# Candidates scored per lead at most: blocks are taken smallest first until this many are found.
DEFAULT_MAX_CANDIDATES = 2_000
SHORTEST_FUZZY_TOKEN = 4  # a typo in "abc" could be anything
# A domain identifies the company; when the name agrees too there is no doubt left.
DOMAIN_CONFIDENCE = 0.97
DOMAIN_AND_NAME_CONFIDENCE = 1.0

ACCOUNT_COLUMNS = ("account_id", "name")
MATCH_SCHEMA = pl.Schema(
    {"lead_id": pl.String, "account_id": pl.String, "confidence": pl.Float64, "reason": pl.String}
)
_PLACE_COLUMNS = ("country", "state", "postal_code")


@dataclass(frozen=True)
class Match:
    """The account a lead belongs to (None when none is close enough), how sure we are and why."""

    lead_id: str | None
    account_id: str | None
    confidence: float
    reason: str


def normalize_company_name(name: str) -> str:
    """The name as companies are compared: without case, accents, punctuation, a leading 'The' or legal
    suffixes (Inc., LLC, Corp ...), with '&' as 'and' and common abbreviations written out."""
    words = _NOT_ALPHANUMERIC.sub(" ", lookup_key(name)).split()
    words = [ABBREVIATIONS.get(word, word) for word in words]
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    # "Noodles & Company" -> "noodles": the 'and' before a dropped suffix goes with it.
    while len(words) > 1 and (words[-1] in LEGAL_SUFFIXES or words[-1] == "and"):
        words.pop()
    return " ".join(words)


def is_free_mail(domain: str) -> bool:
    """Whether an address at this domain could belong to anyone (gmail.com, gmx.de ...)."""
    domain = domain.lower()
    return domain in FREE_MAIL_DOMAINS or domain.split(".")[0] in FREE_MAIL_PROVIDERS


def _parent_domain(domain: str) -> str | None:
    """stock.walmart.com -> walmart.com: staff mail comes from the company's main domain."""
    labels = domain.split(".")
    if len(labels) <= 2 or len(labels[-2]) <= 3:  # co.uk, com.au: the parent is not one company's
        return None
    return ".".join(labels[-2:])


def _sorted_tokens(normalized: str) -> str:
    """Words in alphabetical order, so that plain ratio compares names regardless of word order."""
    return " ".join(sorted(normalized.split()))


def _deletions(token: str) -> list[str]:
    return [token[:position] + token[position + 1 :] for position in range(len(token))]


@dataclass(frozen=True)
class _Lead:
    lead_id: str | None
    company: str | None
    domains: tuple[tuple[str, str], ...]  # (what it came from, domain), website first
    place: tuple[str | None, str | None, str | None]


class AccountMatcher:
    """Matches leads to the accounts given to `fit`.

    threshold: least name similarity (0-1) that counts as the same company.
    tie_window: name scores (0-100) within this of the best are tied; place, then account_id decides.
    max_candidates: most accounts scored per lead; the blocking index picks them.
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        tie_window: float = DEFAULT_TIE_WINDOW,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
    ) -> None:
        self.threshold = threshold
        self.tie_window = tie_window
        self.max_candidates = max_candidates

    def fit(self, accounts: pl.DataFrame) -> Self:
        """Index accounts (account_id, name; website, country, state, postal_code when present)."""
        missing = [column for column in ACCOUNT_COLUMNS if column not in accounts.columns]
        if missing:
            raise ValueError(f"accounts need the columns {', '.join(missing)}")
        accounts = accounts.sort("account_id")
        self.account_ids_: list[str] = accounts["account_id"].to_list()
        self.names_: list[str] = accounts["name"].fill_null("").to_list()
        normal = _normalized(accounts, ("website", *_PLACE_COLUMNS))
        self.places_: list[tuple[str | None, ...]] = list(
            zip(*(normal[column].to_list() for column in _PLACE_COLUMNS), strict=True)
        )
        cache: dict[str, str] = {}
        normalized = [
            cache.get(name) or cache.setdefault(name, normalize_company_name(name)) for name in self.names_
        ]
        self.sorted_names_: list[str] = [_sorted_tokens(name) for name in normalized]

        self.by_name_ = _postings((name, row) for row, name in enumerate(normalized) if name)
        token_rows = [(row, sorted(set(name.split()))) for row, name in enumerate(normalized)]
        self.by_token_pair_ = _postings(
            (f"{first} {second}", row)
            for row, tokens in token_rows
            for first, second in itertools.combinations(tokens, 2)
        )
        vocabulary = sorted({token for _, tokens in token_rows for token in tokens})
        self.vocabulary_ = frozenset(vocabulary)
        similar: dict[str, list[str]] = {}
        for token in vocabulary:
            if len(token) >= SHORTEST_FUZZY_TOKEN:
                for deleted in (token, *_deletions(token)):
                    similar.setdefault(deleted, []).append(token)
        self.by_deletion_ = similar

        websites = normal["website"].to_list()
        self.by_domain_ = _postings(
            (domain, row) for row, domain in enumerate(websites) if domain and not is_free_mail(domain)
        )
        self.by_parent_domain_ = _postings(
            (parent, row)
            for row, domain in enumerate(websites)
            if domain and (parent := _parent_domain(domain)) and not is_free_mail(parent)
        )
        return self

    def match(self, leads: pl.DataFrame) -> pl.DataFrame:
        """One row per lead, in input order: lead_id, account_id (null: no match), confidence, reason.

        Leads carry company, email, website, country, state and postal_code; any may be missing.
        """
        normal = _normalized(leads, ("website", "email", *_PLACE_COLUMNS))
        lead_ids = _column(leads, "lead_id")
        companies = _column(leads, "company")
        websites, emails = normal["website"].to_list(), normal["email"].to_list()
        places = list(zip(*(normal[column].to_list() for column in _PLACE_COLUMNS), strict=True))
        matches = [
            self._match_lead(
                _Lead(
                    lead_id=lead_ids[row],
                    company=companies[row],
                    domains=_lead_domains(websites[row], emails[row]),
                    place=places[row],
                )
            )
            for row in range(leads.height)
        ]
        return pl.DataFrame(
            {
                "lead_id": [found.lead_id for found in matches],
                "account_id": [found.account_id for found in matches],
                "confidence": [found.confidence for found in matches],
                "reason": [found.reason for found in matches],
            },
            schema=MATCH_SCHEMA,
        )

    def match_one(self, lead: Mapping[str, object]) -> Match:
        """The match for one lead given as a mapping of the columns `match` reads."""
        text = {key: None if value is None else str(value) for key, value in lead.items()}
        normal = normalize_place({key: text.get(key) for key in ("website", "email", *_PLACE_COLUMNS)})
        return self._match_lead(
            _Lead(
                lead_id=text.get("lead_id"),
                company=text.get("company"),
                domains=_lead_domains(normal["website"], normal["email"]),
                place=(normal["country"], normal["state"], normal["postal_code"]),
            )
        )

    def _match_lead(self, lead: _Lead) -> Match:
        for source, domain in lead.domains:
            rows = self.by_domain_.get(domain) or self.by_parent_domain_.get(domain)
            parent = _parent_domain(domain)
            if not rows and parent:
                rows = self.by_domain_.get(parent) or self.by_parent_domain_.get(parent)
            if rows:
                return self._domain_match(lead, source, domain, rows)
        return self._name_match(lead)

    def _domain_match(self, lead: _Lead, source: str, domain: str, rows: Sequence[int]) -> Match:
        scores = self._name_scores(lead.company, np.asarray(rows, dtype=np.int64))
        row, score = self._best(lead, scores, {row: 0.0 for row in rows})
        reason = f"same {source} domain {domain}"
        agrees = score >= self.threshold * 100
        if agrees and lead.company:
            reason += f", company name '{lead.company}' ≈ '{self.names_[row]}' ({score:.0f})"
        confidence = DOMAIN_AND_NAME_CONFIDENCE if agrees else DOMAIN_CONFIDENCE
        return Match(lead.lead_id, self.account_ids_[row], confidence, reason + self._place_reason(lead, row))

    def _name_match(self, lead: _Lead) -> Match:
        if not lead.company or not normalize_company_name(lead.company):
            return Match(lead.lead_id, None, 0.0, "no company name and no company domain")
        candidates = self._candidates(lead.company)
        if candidates.size == 0:
            return Match(lead.lead_id, None, 0.0, f"no account shares a word with '{lead.company}'")
        scores = self._name_scores(lead.company, candidates)
        if not scores:
            return Match(lead.lead_id, None, 0.0, f"no account name is close to '{lead.company}'")
        row, score = self._best(lead, scores, scores)
        if score < self.threshold * 100:
            return Match(
                lead.lead_id,
                None,
                round(score / 100, 4),
                f"closest account name '{self.names_[row]}' to '{lead.company}' is only {score:.0f}",
            )
        reason = f"company name '{lead.company}' ≈ '{self.names_[row]}' ({score:.0f})"
        return Match(
            lead.lead_id,
            self.account_ids_[row],
            round(score / 100, 4),
            reason + self._place_reason(lead, row),
        )

    def _best(self, lead: _Lead, scores: Mapping[int, float], pool: Mapping[int, float]) -> tuple[int, float]:
        """Among `pool`, the best name score; near-ties go to the account in the lead's place, then to
        the first account_id."""
        top = max((scores.get(row, 0.0) for row in pool), default=0.0)
        tied = [row for row in pool if scores.get(row, 0.0) >= top - self.tie_window]
        row = min(tied, key=lambda row: (-self._place_agreement(lead, row), -scores.get(row, 0.0), row))
        return row, scores.get(row, 0.0)

    def _place_agreement(self, lead: _Lead, row: int) -> int:
        return sum(
            1 for mine, theirs in zip(lead.place, self.places_[row], strict=True) if mine and mine == theirs
        )

    def _place_reason(self, lead: _Lead, row: int) -> str:
        words = ("same country", "same state", "same postal code")
        shared = [
            f"{word} {mine}"
            for word, mine, theirs in zip(words, lead.place, self.places_[row], strict=True)
            if mine and mine == theirs
        ]
        # The country alone tells little when most accounts share it; name it only with nothing better.
        if len(shared) > 1:
            shared = shared[1:] if lead.place[0] and lead.place[0] == self.places_[row][0] else shared
        return "".join(f", {part}" for part in shared)

    def _candidates(self, company: str) -> np.ndarray:
        """Accounts worth scoring: same normalised name, a name that is one of the lead's words, or a
        shared pair of words (words with one typo count as the word)."""
        words = sorted(set(normalize_company_name(company).split()))
        spellings = {word: self._spellings(word) for word in words}
        blocks: list[list[int]] = []
        for query in _queries(company):
            blocks.append(list(self.by_name_.get(query, ())))
        for word in words:
            for spelling in spellings[word]:
                blocks.append(list(self.by_name_.get(spelling, ())))
        for first, second in itertools.combinations(words, 2):
            for one in spellings[first]:
                for other in spellings[second]:
                    pair = f"{one} {other}" if one < other else f"{other} {one}"
                    blocks.append(list(self.by_token_pair_.get(pair, ())))
        chosen: list[int] = []
        for block in sorted((block for block in blocks if block), key=len):
            if chosen and len(chosen) + len(block) > self.max_candidates:
                break
            chosen.extend(block)
        return np.unique(np.asarray(chosen, dtype=np.int64))

    def _spellings(self, word: str) -> list[str]:
        """The word itself when accounts use it, else the account words one typo away."""
        if word in self.vocabulary_ or len(word) < SHORTEST_FUZZY_TOKEN:
            return [word]
        found = {
            token for deleted in (word, *_deletions(word)) for token in self.by_deletion_.get(deleted, ())
        }
        return sorted(found) or [word]

    def _respelled(self, company: str) -> list[tuple[str, float]]:
        """The name with each unknown word replaced by its single known spelling one typo away."""
        words = normalize_company_name(company).split()
        respelled = []
        for word in words:
            spellings = self._spellings(word)
            respelled.append(spellings[0] if len(spellings) == 1 else word)
        if respelled == words:
            return []
        return [(" ".join(respelled), RESPELLED_PENALTY)]

    def _name_scores(self, company: str | None, rows: np.ndarray) -> dict[int, float]:
        """Name similarity (0-100) of the lead's company to each account row that reaches the cut-off."""
        if not company or rows.size == 0:
            return {}
        choices = [self.sorted_names_[row] for row in rows.tolist()]
        cutoff = self.threshold * 100 - self.tie_window
        scores: dict[int, float] = {}
        for query, penalty in [*_scored_queries(company), *self._respelled(company)]:
            for _, score, index in process.extract(
                _sorted_tokens(query), choices, scorer=fuzz.ratio, score_cutoff=cutoff + penalty, limit=None
            ):
                row = int(rows[index])
                scores[row] = max(scores.get(row, 0.0), float(score) - penalty)
        if not scores:  # say how close the best was, for the reason
            best = process.extractOne(
                _sorted_tokens(normalize_company_name(company)), choices, scorer=fuzz.ratio
            )
            if best is not None:
                scores[int(rows[best[2]])] = float(best[1])
        return scores


def _queries(company: str) -> list[str]:
    """The lead's company as normalised names to look up: itself, the parent of 'a division of ...',
    and the name without a bracketed remark."""
    found = [normalize_company_name(company)]
    parent = _PARENT_COMPANY.search(company)
    if parent:
        found.append(normalize_company_name(parent.group(1)))
    unbracketed = _PARENTHESES.sub(" ", company)
    if unbracketed != company:
        found.append(normalize_company_name(unbracketed))
    return [query for query in dict.fromkeys(found) if query]


def _scored_queries(company: str) -> list[tuple[str, float]]:
    """Queries with the points each costs: the last word or two dropped costs DROPPED_WORDS_PENALTY."""
    scored = [(query, 0.0) for query in _queries(company)]
    words = normalize_company_name(company).split()
    for dropped in range(1, DROPPED_WORDS_MAX + 1):
        if len(words) - dropped >= 2:
            scored.append((" ".join(words[:-dropped]), DROPPED_WORDS_PENALTY))
    return scored


def _lead_domains(website: str | None, email: str | None) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    if website and not is_free_mail(website):
        found.append(("website", website))
    if email and "@" in email:
        domain = email.rsplit("@", 1)[1]
        if not is_free_mail(domain):
            found.append(("email", domain))
    return tuple(found)


def _postings(pairs: Iterable[tuple[str, int]]) -> dict[str, list[int]]:
    """Key -> rows holding it, rows ascending (so ties fall to the first account_id)."""
    index: dict[str, list[int]] = {}
    for key, row in pairs:
        index.setdefault(key, []).append(row)
    return index


def _column(frame: pl.DataFrame, name: str) -> list[str | None]:
    if name not in frame.columns:
        return [None] * frame.height
    return frame[name].cast(pl.String).to_list()


def _normalized(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """The frame's websites, emails, countries, states and postal codes as the importer normalises them;
    a column the frame lacks comes back all null."""
    present = [column for column in columns if column in frame.columns]
    normal = normalize(frame.select(pl.col(present).cast(pl.String)), {}).frame if present else pl.DataFrame()
    return pl.DataFrame(
        [
            normal[column] if column in present else pl.Series(column, [None] * frame.height, dtype=pl.String)
            for column in columns
        ]
    )
