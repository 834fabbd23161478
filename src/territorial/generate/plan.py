"""A realistic three-level US territory plan (region > district > segment/industry leaf), as YAML text.

Pools are drawn from the shared rep roster, so the owners that generate_accounts hands out are
in the pools of the leaves that cover their state and segment.
"""

import functools
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from territorial.domain.fields import FieldType
from territorial.generate.vocabulary import (
    CENSUS_DIVISIONS,
    CENSUS_REGIONS,
    ENTERPRISE,
    INDUSTRIES,
    INDUSTRY_BY_NAME,
    INDUSTRY_NAMES,
    MID_MARKET,
    NAMED_ACCOUNT_REPS,
    SECURITY_PRODUCT,
    SEGMENT_CODES,
    SEGMENTS,
    SMB,
    VERTICALS,
    overlay_rep,
    reps_by_cell,
    us_states,
    zip3_units,
)
from territorial.io.plan_writer import Territory, plan_yaml
from territorial.rules import ast
from territorial.rules.text import to_text

MIN_TERRITORIES = 10
# Beyond this the ZIP3s run out: a district is never smaller than one ZIP3, nor has more than 60 leaves.
MAX_TERRITORIES = 50_000
# Every field the rules use, so a plan can be checked without an account book at hand.
PLAN_FIELDS = {
    "employees": "number",
    "annual_revenue": "number",
    "postal_code": "string",
    "strategic": "boolean",
    "created_date": "date",
    "state": "string",
    "segment": "string",
    "industry": "string",
    "products": "string",
}

# Plans of this size or more split the country into the 9 census divisions, smaller ones into the 4 regions.
DIVISIONS_FROM_TERRITORIES = 150
LEAVES_PER_DISTRICT = 5  # the fan-out a sales-ops team would draw: a handful of reps per manager
MAX_INDUSTRY_LEAVES = len(INDUSTRIES)  # per segment: one leaf per industry at most
# Enterprise accounts are few but need more attention; SMB accounts are many.
SEGMENT_LEAF_WEIGHTS = {ENTERPRISE: 0.25, MID_MARKET: 0.30, SMB: 0.45}
VACANT_SHARE = 0.02  # leaves without reps: open headcount
MAX_POOL = 3

# Named accounts beat geography. Priorities never change from parent to child (a matching child
# hides its parent anyway); siblings never overlap, so they need no priority between them.
NAMED_PRIORITY = 100
GEOGRAPHY_PRIORITY = 10

# Overlay sizes, as shares of the plan; each is rounded to the nearest shape that makes sense.
SECURITY_SHARE = 0.01
VERTICAL_SHARE = 0.02
SECURITY_LAYER = "security"
VERTICAL_LAYER = "industry-vertical"
NATIONAL, REGIONS, DIVISIONS, STATES = 1, 4, 9, 51


@dataclass(frozen=True)
class Area:
    """A region, division or district: id, display name, states and, for part of a state, its ZIPs."""

    id: str
    name: str
    states: tuple[str, ...]  # biggest population first
    population: int
    zips: tuple[str, ...] = ()  # empty: the whole of each state

    def rule(self) -> ast.Expr:
        if self.zips:
            return ast.all_of(equals("state", self.states[0]), ast.one_of("postal_code", self.zips))
        return ast.one_of("state", sorted(self.states))


@dataclass(frozen=True)
class Cover:
    """What a leaf covers, for choosing its pool: states (biggest first) and segments."""

    states: tuple[str, ...]
    segments: tuple[str, ...]


def equals(column: str, value: str) -> ast.Expr:
    return ast.field_is(column, ast.text(value))


def written(rule: ast.Expr) -> str:
    """A rule as the plan file holds it: on one line, every list in full."""
    return to_text(rule, max_items=None)


def area_code(name: str) -> str:
    return name.upper().replace(" ", "-")


def apportion(
    total: int, weights: Sequence[float], minimum: int = 0, caps: Sequence[int] | None = None
) -> list[int]:
    """Split `total` into whole numbers in proportion to `weights` (largest remainder), within [minimum, cap].

    The sum falls short of `total` only when the caps do not leave room for it.
    """
    weight = np.asarray(weights, dtype=np.float64)
    cap = np.asarray(caps, dtype=np.int64) if caps is not None else np.full(weight.size, max(total, minimum))
    floor = np.minimum(minimum, cap)
    target = total * weight / weight.sum() if weight.sum() > 0 else np.full(weight.size, total / weight.size)
    counts = np.clip(np.floor(target), floor, cap).astype(np.int64)
    while counts.sum() < total and (counts < cap).any():
        counts[np.argmax(np.where(counts < cap, target - counts, -np.inf))] += 1
    while counts.sum() > total and (counts > floor).any():
        counts[np.argmax(np.where(counts > floor, counts - target, -np.inf))] -= 1
    return [int(count) for count in counts]


def contiguous_groups(weights: Sequence[float], groups: int) -> list[slice]:
    """Cut a sequence into `groups` non-empty runs of about equal weight (runs keep neighbours together)."""
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    bounds = [0]
    for index in range(1, groups):
        target = cumulative[-1] * index / groups
        end = int(np.searchsorted(cumulative, target)) + 1
        if end > 1 and abs(cumulative[end - 2] - target) <= abs(cumulative[end - 1] - target):
            end -= 1
        bounds.append(min(max(end, bounds[-1] + 1), len(cumulative) - (groups - index)))
    bounds.append(len(cumulative))
    return [slice(start, stop) for start, stop in itertools.pairwise(bounds)]


def nearest(options: Sequence[int], target: float) -> int:
    return min(options, key=lambda option: (abs(option - target), option))


def vertical_shape(territories: int) -> tuple[int, int]:
    """How many verticals and how many geographic splits of each: about VERTICAL_SHARE of the plan."""
    target = territories * VERTICAL_SHARE
    shapes = [(verticals, splits) for splits in (NATIONAL, REGIONS, DIVISIONS) for verticals in range(2, 9)]
    return min(shapes, key=lambda shape: (abs(shape[0] * shape[1] - target), shape[1], -shape[0]))


def top_areas(divisions: bool) -> list[Area]:
    """The census regions (or divisions) with their states, biggest first."""
    states = us_states()
    column, names = ("division", CENSUS_DIVISIONS) if divisions else ("region", CENSUS_REGIONS)
    areas = []
    for name in names:
        members = states.filter(pl.col(column) == name)
        by_size = members.sort("population", "state", descending=[True, False])["state"]
        areas.append(Area(area_code(name), name, tuple(by_size), int(members["population"].sum())))
    return areas


def state_populations() -> dict[str, int]:
    return dict(us_states().select("state", "population").iter_rows())


def zip_order() -> list[str]:
    """States by their lowest ZIP3: ZIP prefixes run roughly east to west, so neighbours sit together."""
    return us_states().sort("first_zip3", "state")["state"].to_list()


def sub_state_districts(parent: Area, state: str, count: int) -> list[Area]:
    """Split one state into `count` districts of neighbouring ZIP3s with about equal population."""
    units = zip3_units().filter(pl.col("state") == state)
    if count == 1:
        return [Area(f"{parent.id}.{state}", state, (state,), int(units["population"].sum()))]
    districts = []
    for number, run in enumerate(contiguous_groups(units["population"].to_list(), count), start=1):
        part = units[run]
        zips = tuple(zip_code for zip_list in part["zips"].to_list() for zip_code in zip_list)
        first, last = part["zip3"][0], part["zip3"][-1]
        label = (
            f"{state} {number} (ZIP {first})" if first == last else f"{state} {number} (ZIP {first}-{last})"
        )
        population = int(part["population"].sum())
        districts.append(Area(f"{parent.id}.{state}-{number:02d}", label, (state,), population, zips))
    return districts


def districts_of(region: Area, count: int) -> list[Area]:
    """`count` districts covering the region: groups of states, whole states, or parts of states."""
    population = state_populations()
    ordered = [state for state in zip_order() if state in region.states]  # neighbours next to each other
    if count == 1:
        return [region]
    if count <= len(ordered):
        districts = []
        for run in contiguous_groups([population[state] for state in ordered], count):
            members = ordered[run]
            by_size = tuple(sorted(members, key=lambda state: (-population[state], state)))
            total = sum(population[state] for state in members)
            districts.append(Area(f"{region.id}.{'-'.join(members)}", ", ".join(members), by_size, total))
        return districts
    capacity = populated_zip3_counts()
    per_state = apportion(count, [population[state] for state in ordered], 1, [capacity[s] for s in ordered])
    return [
        district
        for state, state_count in zip(ordered, per_state, strict=True)
        for district in sub_state_districts(region, state, state_count)
    ]


def populated_zip3_counts() -> dict[str, int]:
    """How many districts a state can be split into: one per ZIP3 where people live."""
    counts = zip3_units().filter(pl.col("population") > 0).group_by("state").len()
    return dict(counts.iter_rows())


def leaf_counts(total: int, weights: Sequence[float]) -> list[int]:
    """Leaves per district: 0 (the district is the leaf) or 2 or more; a single child would be pointless."""
    counts = apportion(total, weights, 0, [MAX_INDUSTRY_LEAVES * len(SEGMENTS)] * len(weights))
    for index, count in enumerate(counts):
        if count != 1:
            continue
        donor = max(
            (other for other in range(len(counts)) if other != index), key=lambda other: counts[other]
        )
        if counts[donor] >= 3:
            counts[donor] -= 1
            counts[index] = 2
        else:
            counts[index] = 0
            counts[donor] += 1
    return counts


@functools.cache
def industry_groups(count: int) -> tuple[tuple[str, ...], ...]:
    """The industries in `count` groups of about equal account share, the long tail last.

    Big industries get a group of their own or with a few others. The grouping is the same in
    every district, the way a sales org verticalises.
    """
    by_share = sorted(INDUSTRIES, key=lambda industry: (-industry.share, industry.name))
    runs = contiguous_groups([industry.share for industry in by_share], count)
    return tuple(
        tuple(sorted((industry.name for industry in by_share[run]), key=INDUSTRY_NAMES.index)) for run in runs
    )


Leaf = tuple[Territory, Cover]


def segment_leaves(area: Area, segment: str, count: int) -> list[Leaf]:
    """`count` leaves for one segment of an area: industry groups, then one for all other industries."""
    code, cover = SEGMENT_CODES[segment], Cover(area.states, (segment,))
    in_segment = equals("segment", segment)
    if count == 1:
        return [
            (
                Territory(
                    f"{area.id}.{code}",
                    f"{area.name} {segment}",
                    rule=written(in_segment),
                    priority=GEOGRAPHY_PRIORITY,
                ),
                cover,
            )
        ]
    groups = industry_groups(count)
    leaves = []
    for number, group in enumerate(groups[:-1], start=1):
        codes = [INDUSTRY_BY_NAME[name].code for name in group]
        tag = codes[0] if len(codes) == 1 else f"G{number}"
        leaf = Territory(
            f"{area.id}.{code}.{tag}",
            f"{area.name} {segment} ({', '.join(codes)})",
            rule=written(ast.all_of(in_segment, ast.one_of("industry", group))),
            priority=GEOGRAPHY_PRIORITY,
        )
        leaves.append((leaf, cover))
    listed = [name for group in groups[:-1] for name in group]
    rest = Territory(
        f"{area.id}.{code}.OTHER",
        f"{area.name} {segment} (other industries)",
        rule=written(ast.all_of(in_segment, ast.one_of("industry", listed, negated=True))),
        priority=GEOGRAPHY_PRIORITY,
    )
    return [*leaves, (rest, cover)]


def area_leaves(area: Area, count: int) -> list[Leaf]:
    """The leaves under an area: by segment, then by industry when there are enough of them."""
    if count == 0:
        return []
    if count == 2:
        enterprise = Territory(
            f"{area.id}.{SEGMENT_CODES[ENTERPRISE]}",
            f"{area.name} {ENTERPRISE}",
            rule=written(equals("segment", ENTERPRISE)),
            priority=GEOGRAPHY_PRIORITY,
        )
        commercial = (MID_MARKET, SMB)
        rest = Territory(
            f"{area.id}.{SEGMENT_CODES[MID_MARKET]}-{SEGMENT_CODES[SMB]}",
            f"{area.name} {MID_MARKET} and {SMB}",
            rule=written(ast.one_of("segment", commercial)),
            priority=GEOGRAPHY_PRIORITY,
        )
        return [(enterprise, Cover(area.states, (ENTERPRISE,))), (rest, Cover(area.states, commercial))]
    weights = [SEGMENT_LEAF_WEIGHTS[segment] for segment in SEGMENTS]
    per_segment = apportion(count, weights, 1, [MAX_INDUSTRY_LEAVES] * len(SEGMENTS))
    return [
        leaf
        for segment, segment_count in zip(SEGMENTS, per_segment, strict=True)
        for leaf in segment_leaves(area, segment, segment_count)
    ]


def area_node(area: Area, leaves: list[Leaf], all_leaves: list[Leaf]) -> Territory:
    """The territory for an area with its leaves; an area without leaves is a leaf itself."""
    node = Territory(area.id, area.name, rule=written(area.rule()), priority=GEOGRAPHY_PRIORITY)
    node.children = [leaf for leaf, _ in leaves]
    all_leaves.extend(leaves or [(node, Cover(area.states, SEGMENTS))])
    return node


def geography(territories: int, budget: int) -> tuple[list[Territory], list[Leaf]]:
    """Regions > districts > leaves using about `budget` territories; also every leaf with what it covers."""
    regions = top_areas(divisions=territories >= DIVISIONS_FROM_TERRITORIES)
    capacity = populated_zip3_counts()
    district_total = max(len(regions), round((budget - len(regions)) / (1 + LEAVES_PER_DISTRICT)))
    per_region = apportion(
        district_total,
        [region.population for region in regions],
        1,
        [sum(capacity[state] for state in region.states) for region in regions],
    )
    districts = [districts_of(region, count) for region, count in zip(regions, per_region, strict=True)]
    # A region with one district has no district level: its leaves hang from the region.
    real_districts = sum(len(group) for group in districts if len(group) > 1)
    leaf_total = max(budget - len(regions) - real_districts, 0)
    leaf_total = 2 if leaf_total == 1 else leaf_total
    flat = [district for group in districts for district in group]
    per_district = iter(leaf_counts(leaf_total, [district.population for district in flat]))
    roots: list[Territory] = []
    leaves: list[Leaf] = []
    for region, group in zip(regions, districts, strict=True):
        if len(group) == 1:
            roots.append(area_node(region, area_leaves(region, next(per_district)), leaves))
            continue
        root = Territory(region.id, region.name, rule=written(region.rule()), priority=GEOGRAPHY_PRIORITY)
        root.children = [
            area_node(district, area_leaves(district, next(per_district)), leaves) for district in group
        ]
        roots.append(root)
    return roots, leaves


def fill_pools(leaves: list[Leaf], rng: np.random.Generator) -> None:
    """Give each leaf a pool of 1-3 reps from the roster cells it covers; about 2% stay vacant.

    A leaf within one state and segment gets that cell's whole team, so in plans whose leaves
    are no bigger than a state (a few hundred territories or more) an owner is in the pool of
    the leaf their account falls in. A leaf spanning several cells has 3 seats for more reps:
    it seats the biggest states first, and siblings with the same cover carry on in turn.
    """
    roster = reps_by_cell()
    single = [
        index for index, (_, cover) in enumerate(leaves) if len(cover.states) == len(cover.segments) == 1
    ]
    staffed = Counter((leaves[index][1].states[0], leaves[index][1].segments[0]) for index in single)
    vacant: set[int] = set()
    for index in rng.permutation(np.asarray(single, dtype=np.int64)).tolist():
        if len(vacant) >= round(VACANT_SHARE * len(leaves)):
            break
        cell = (leaves[index][1].states[0], leaves[index][1].segments[0])
        if staffed[cell] > 1:  # never leave a whole cell without a staffed leaf
            vacant.add(index)
            staffed[cell] -= 1
    turn: Counter[tuple[str, str]] = Counter()
    shared_turn: Counter[Cover] = Counter()
    for index, (territory, cover) in enumerate(leaves):
        if index in vacant:
            territory.reps = ()
            continue
        cells = [(state, segment) for state in cover.states for segment in cover.segments]
        pool = []
        if len(cells) == 1:
            # The whole cell team (1-3 reps, by state size): whichever of them owns an account
            # of this state and segment is in the pool of the leaf the account falls in.
            pool = list(roster[cells[0]])
        else:
            # Biggest states first; sibling leaves with the same cover carry on where this one
            # stopped, so together they seat every state's reps.
            seats = min(MAX_POOL, len(cells))
            for seat in range(seats):
                cell = cells[(shared_turn[cover] + seat) % len(cells)]
                pool.append(roster[cell][turn[cell] % len(roster[cell])])
                turn[cell] += 1
            shared_turn[cover] += seats
        territory.reps = tuple(sorted(set(pool)))


def overlay_areas(shape: int) -> list[Area | None]:
    """Where an overlay team works: the whole country (None), regions, divisions or states."""
    if shape == NATIONAL:
        return [None]
    if shape == STATES:
        population = state_populations()
        return [Area(state, state, (state,), population[state]) for state in sorted(population)]
    return list(top_areas(divisions=shape == DIVISIONS))


def overlay_pool(layer_code: str, number: int, team_size: int, rng: np.random.Generator) -> tuple[str, ...]:
    """An overlay territory's own specialist, sometimes helped by the next one."""
    pool = [overlay_rep(layer_code, number)]
    if team_size > 1 and rng.random() < 0.25:
        pool.append(overlay_rep(layer_code, number % team_size + 1))
    return tuple(sorted(pool))


def security_overlay(territories: int, rng: np.random.Generator) -> list[Territory]:
    """Security specialists, by geography, for accounts that own the security product."""
    areas = overlay_areas(nearest((NATIONAL, REGIONS, DIVISIONS, STATES), territories * SECURITY_SHARE))
    owns_security = ast.Like(ast.FieldRef("products"), ast.text(f"%{SECURITY_PRODUCT}%"))
    overlay: list[Territory] = []
    for number, area in enumerate(areas, start=1):
        overlay.append(
            Territory(
                "SEC" if area is None else f"SEC.{area.id}",
                "Security" if area is None else f"Security {area.name}",
                layer=SECURITY_LAYER,
                rule=written(owns_security if area is None else ast.all_of(owns_security, area.rule())),
                reps=overlay_pool("sec", number, len(areas), rng),
            )
        )
    return overlay


def vertical_overlay(territories: int, rng: np.random.Generator) -> list[Territory]:
    """Industry specialists: the most important verticals first, split by geography in bigger plans."""
    vertical_count, splits = vertical_shape(territories)
    areas = overlay_areas(splits)
    team_size = vertical_count * len(areas)
    overlay: list[Territory] = []
    for vertical in VERTICALS[:vertical_count]:
        for area in areas:
            in_vertical = ast.one_of("industry", vertical.industries)
            overlay.append(
                Territory(
                    f"VERT.{vertical.code}" if area is None else f"VERT.{vertical.code}.{area.id}",
                    vertical.name if area is None else f"{vertical.name} {area.name}",
                    layer=VERTICAL_LAYER,
                    rule=written(in_vertical if area is None else ast.all_of(in_vertical, area.rule())),
                    reps=overlay_pool("vrt", len(overlay) + 1, team_size, rng),
                )
            )
    return overlay


def named_accounts() -> Territory:
    return Territory(
        "NAMED",
        "Named accounts",
        rule=written(ast.field_is("strategic", ast.Literal(True, FieldType.BOOLEAN))),
        priority=NAMED_PRIORITY,
        reps=NAMED_ACCOUNT_REPS,
    )


def plan_territories(territories: int, seed: int) -> list[Territory]:
    """The plan's root territories (named accounts, geography, overlays), about `territories` in all."""
    if not MIN_TERRITORIES <= territories <= MAX_TERRITORIES:
        raise ValueError(
            f"a generated plan has {MIN_TERRITORIES} to {MAX_TERRITORIES} territories, not {territories}"
        )
    rng = np.random.default_rng(seed)
    security = security_overlay(territories, rng)
    verticals = vertical_overlay(territories, rng)
    budget = territories - 1 - len(security) - len(verticals)
    roots, leaves = geography(territories, budget)
    fill_pools(leaves, rng)
    return [named_accounts(), *roots, *security, *verticals]


def generate_plan(territories: int, seed: int) -> str:
    """YAML text of a three-level US plan with about `territories` territories (within 2%).

    Regions (census regions, or divisions for bigger plans) split into districts of states or of
    ZIP3s, then into segment and industry leaves with pools from the shared roster; a NAMED root
    for strategic accounts; and two overlay layers, security and industry-vertical.
    """
    roots = plan_territories(territories, seed)
    name = f"Territorial sample plan: {territories} territories (seed {seed})"
    return plan_yaml(name, PLAN_FIELDS, roots)
