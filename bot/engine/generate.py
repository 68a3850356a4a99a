"""Content for the DM: encounters, loot, NPCs, locations and quest hooks, deterministic given the rng.

Encounters follow the SRD's encounter-building numbers (XP thresholds per character level, the group
multiplier by monster count and party size) and draw SRD monsters by challenge rating. The SRD data has
no environments, so a theme picks monster *types* (a crypt: undead; the wilds: beasts, plants, fey).
Loot uses dmbot's own coin tables by CR band (individual and hoard) and draws SRD magic items by rarity.
NPCs, locations and hooks come from short tables written for dmbot; no SRD description text is copied.
Every function takes the random source, so a seed reproduces the result.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.data.srd import SRD, MagicItem, Monster, cr_label
from bot.engine.dice import Dice
from bot.engine.generate_tables import (
    ADJECTIVES,
    ART,
    COMPLICATIONS,
    FIRST_NAMES,
    GEMS,
    LOCATION_TABLES,
    MOTIVES,
    NOUNS,
    OBJECTS,
    PERSONALITIES,
    PLACES,
    ROLES,
    SECRETS,
    SURNAMES,
    TASKS,
    VOICES,
)
from bot.errors import InvalidInput

Difficulty = Literal["easy", "medium", "hard", "deadly"]
DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard", "deadly")
LocationKind = Literal["dungeon room", "settlement", "tavern", "shop", "temple"]
LOCATION_KINDS: tuple[LocationKind, ...] = ("dungeon room", "settlement", "tavern", "shop", "temple")
LootKind = Literal["individual", "hoard"]
MAX_MONSTERS = 12
ENVIRONMENT_NOTE = "The SRD data has no environments, so themes follow monster types."

THEMES: Mapping[str, tuple[str, ...]] = {
    "crypt": ("undead",),
    "wilds": ("beast", "plant", "fey"),
    "bandits": ("humanoid",),
    "dragons": ("dragon",),
    "infernal": ("fiend",),
    "elemental": ("elemental",),
    "aberrant": ("aberration", "ooze"),
    "giants": ("giant",),
    "constructs": ("construct",),
    "monsters": ("monstrosity",),
    "celestial": ("celestial",),
    "swarms": ("swarm of tiny beasts", "beast"),
}


# --- Encounters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EncounterGroup:
    monster: str  # SRD index
    name: str
    cr: float
    count: int
    xp_each: int


@dataclass(frozen=True)
class Encounter:
    difficulty: Difficulty  # asked for
    rated: Difficulty | Literal["trivial"]  # what the adjusted XP actually reaches
    party_levels: tuple[int, ...]
    thresholds: Mapping[str, int]
    groups: tuple[EncounterGroup, ...]
    base_xp: int
    multiplier: float
    adjusted_xp: int
    theme: str | None
    note: str = ENVIRONMENT_NOTE

    @property
    def monster_count(self) -> int:
        return sum(g.count for g in self.groups)

    def lines(self) -> list[str]:
        found = [f"{g.count} × {g.name} (CR {cr_label(g.cr)}, {g.xp_each:,} XP each)" for g in self.groups]
        return [
            *found,
            f"XP {self.base_xp:,} × {self.multiplier:g} = {self.adjusted_xp:,} adjusted: {self.rated} "
            f"(party of {len(self.party_levels)}: easy {self.thresholds['easy']:,}, medium "
            f"{self.thresholds['medium']:,}, hard {self.thresholds['hard']:,}, deadly {self.thresholds['deadly']:,})",
        ]


def party_budget(srd: SRD, levels: Sequence[int]) -> dict[str, int]:
    """The party's XP thresholds by difficulty: each character's thresholds summed."""
    if not levels:
        raise InvalidInput("An encounter needs a party: give at least one character level.")
    if len(levels) > 10 or any(not 1 <= lv <= 20 for lv in levels):
        raise InvalidInput("A party is 1 to 10 characters of levels 1 to 20.")
    total = srd.party_thresholds(levels)
    return {"easy": total.easy, "medium": total.medium, "hard": total.hard, "deadly": total.deadly}


def rate(adjusted: int, thresholds: Mapping[str, int]) -> Difficulty | Literal["trivial"]:
    """The hardest difficulty whose threshold the adjusted XP reaches."""
    reached = [d for d in DIFFICULTIES if adjusted >= thresholds[d]]
    return reached[-1] if reached else "trivial"


def adjusted_xp(srd: SRD, groups: Sequence[tuple[int, int]], party_size: int) -> tuple[int, float, int]:
    """(base XP, multiplier, adjusted XP) for groups of (count, XP each)."""
    count = sum(c for c, _ in groups)
    base = sum(c * xp for c, xp in groups)
    multiplier = srd.encounter_multiplier(count, party_size)
    return base, multiplier, int(base * multiplier)


def monster_types(theme: str | None) -> tuple[str, ...] | None:
    """A theme's monster types; a bare SRD type ("undead") works too; None: any type."""
    if theme is None or not theme.strip():
        return None
    key = theme.strip().casefold()
    if key in THEMES:
        return THEMES[key]
    return (key,)


def _pool(srd: SRD, types: tuple[str, ...] | None) -> dict[float, list[Monster]]:
    """Monsters the engine can run (at least one attack), by CR, in index order."""
    by_cr: dict[float, list[Monster]] = {}
    for monster in srd.data.monsters:
        if types is not None and monster.type.casefold() not in types:
            continue
        if any(a.attack_bonus is not None for a in monster.actions):
            by_cr.setdefault(monster.cr, []).append(monster)
    return by_cr


def _band(thresholds: Mapping[str, int], difficulty: Difficulty) -> tuple[int, int]:
    """Adjusted XP from the asked threshold up to (not including) the next one."""
    index = DIFFICULTIES.index(difficulty)
    low = thresholds[difficulty]
    high = thresholds[DIFFICULTIES[index + 1]] if index + 1 < len(DIFFICULTIES) else int(low * 1.5) + 1
    return low, max(high, low + 1)


def encounter(
    srd: SRD, levels: Sequence[int], difficulty: Difficulty, rng: random.Random, *, theme: str | None = None
) -> Encounter:
    """Pick a group of SRD monsters whose adjusted XP lands in the asked difficulty band.

    Shapes tried, in a random order: one creature, a leader with followers, or a group of one kind.
    """
    if difficulty not in DIFFICULTIES:
        raise InvalidInput("Difficulty is easy, medium, hard or deadly.")
    thresholds = party_budget(srd, levels)
    pool = _pool(srd, monster_types(theme))
    if not pool:
        themes = ", ".join(THEMES)
        raise InvalidInput(f"No SRD monsters fit the theme “{theme}”. Themes: {themes}; or a monster type.")
    low, high = _band(thresholds, difficulty)
    options = _candidates(srd, pool, len(levels), low, high)
    if not options:
        options = [_closest(srd, pool, len(levels), low)]
    shape = options[rng.randrange(len(options))]
    groups: list[EncounterGroup] = []
    for cr, count in shape:  # followers share the leader's type where the CR allows: kobolds with a kobold boss
        kin = [m for m in pool[cr] if groups and m.type == srd.monster(groups[0].monster).type]
        groups.append(_group(kin or pool[cr], count, srd, rng))
    base, multiplier, adjusted = adjusted_xp(srd, [(g.count, g.xp_each) for g in groups], len(levels))
    return Encounter(
        difficulty,
        rate(adjusted, thresholds),
        tuple(levels),
        thresholds,
        tuple(groups),
        base,
        multiplier,
        adjusted,
        theme,
    )


Shape = tuple[tuple[float, int], ...]  # (CR, count) per group


def _candidates(srd: SRD, pool: Mapping[float, list[Monster]], party: int, low: int, high: int) -> list[Shape]:
    crs = sorted(pool)
    shapes: list[Shape] = []
    for cr in crs:
        xp = srd.xp_for_cr(cr)
        for count in range(1, MAX_MONSTERS + 1):
            if low <= adjusted_xp(srd, [(count, xp)], party)[2] < high:
                shapes.append(((cr, count),))
        for minor in crs:
            if minor >= cr:
                break
            for followers in range(2, 7):
                groups = [(1, xp), (followers, srd.xp_for_cr(minor))]
                if low <= adjusted_xp(srd, groups, party)[2] < high:
                    shapes.append(((cr, 1), (minor, followers)))
    return shapes


def _closest(srd: SRD, pool: Mapping[float, list[Monster]], party: int, low: int) -> Shape:
    """When no shape fits the band (a tiny theme), the single group closest to the threshold."""
    best = min(
        ((cr, n) for cr in pool for n in range(1, MAX_MONSTERS + 1)),
        key=lambda pair: (abs(adjusted_xp(srd, [(pair[1], srd.xp_for_cr(pair[0]))], party)[2] - low), pair[1]),
    )
    return (best,)


def _group(monsters: Sequence[Monster], count: int, srd: SRD, rng: random.Random) -> EncounterGroup:
    monster = monsters[rng.randrange(len(monsters))]
    return EncounterGroup(monster.index, monster.name, monster.cr, count, srd.xp_for_cr(monster.cr))


# --- Loot -----------------------------------------------------------------------------------------

# dmbot's own coin tables (not the DMG's): (d100 up to, {coin: dice}) per CR band, for one creature.
INDIVIDUAL: Mapping[int, tuple[tuple[int, Mapping[str, str]], ...]] = {
    0: ((35, {"cp": "4d6"}), (65, {"sp": "3d6"}), (80, {"ep": "2d6"}), (97, {"gp": "2d6"}), (100, {"pp": "1d4"})),
    5: ((30, {"sp": "4d6*10"}), (60, {"gp": "3d6*5"}), (85, {"gp": "4d6*10"}), (100, {"pp": "2d6*2"})),
    11: ((30, {"gp": "4d6*50"}), (75, {"gp": "2d6*100"}), (100, {"gp": "4d6*100", "pp": "1d6*10"})),
    17: ((50, {"gp": "6d6*100", "pp": "1d6*50"}), (100, {"gp": "4d6*500", "pp": "2d6*100"})),
}
HOARD_COINS: Mapping[int, Mapping[str, str]] = {
    0: {"cp": "5d6*100", "sp": "3d6*100", "gp": "2d6*10"},
    5: {"cp": "2d6*100", "sp": "2d6*1000", "gp": "5d6*100", "pp": "3d6*10"},
    11: {"gp": "4d6*1000", "pp": "5d6*100"},
    17: {"gp": "12d6*1000", "pp": "8d6*100"},
}
# Gems or art objects per hoard, by CR band: (count dice, the tier of GEMS or ART their value comes from).
HOARD_VALUABLES: Mapping[int, tuple[tuple[str, str, int], ...]] = {
    0: (("2d6", "gem", 10), ("2d4", "art", 25), ("2d6", "gem", 50)),
    5: (("2d6", "gem", 50), ("2d4", "art", 250), ("3d6", "gem", 100)),
    11: (("3d6", "gem", 500), ("2d4", "art", 750), ("3d6", "gem", 1000)),
    17: (("3d6", "gem", 1000), ("1d10", "art", 2500), ("1d8", "gem", 5000), ("1d4", "art", 7500)),
}
# Magic items per hoard: how many, and the rarity weights.
HOARD_ITEMS: Mapping[int, tuple[str, Mapping[str, int]]] = {
    0: ("1d4-1", {"Common": 30, "Uncommon": 70}),
    5: ("1d4", {"Uncommon": 50, "Rare": 40, "Very Rare": 10}),
    11: ("1d4+1", {"Rare": 45, "Very Rare": 40, "Legendary": 15}),
    17: ("1d6+1", {"Very Rare": 50, "Legendary": 50}),
}


@dataclass(frozen=True)
class LootItem:
    index: str  # SRD magic item index (names repeat across variants)
    name: str
    rarity: str


@dataclass(frozen=True)
class Loot:
    kind: LootKind
    cr: float
    coins: Mapping[str, int]
    valuables: tuple[str, ...]
    magic_items: tuple[LootItem, ...]

    def lines(self) -> list[str]:
        coins = ", ".join(f"{n:,} {c}" for c, n in self.coins.items() if n) or "no coins"
        lines = [f"Coins: {coins}"]
        if self.valuables:
            lines.append("Valuables: " + "; ".join(self.valuables))
        if self.magic_items:
            lines.append("Magic items: " + ", ".join(f"{i.name} ({i.rarity.lower()})" for i in self.magic_items))
        return lines


def _cr_band(cr: float) -> int:
    return max(band for band in (0, 5, 11, 17) if cr >= band)


def loot(srd: SRD, cr: float, kind: LootKind, rng: random.Random, roll: Callable[[str], int]) -> Loot:
    """Treasure for a creature (individual) or a lair (hoard) of this CR. `roll` rolls a dice expression."""
    if not 0 <= cr <= 30:
        raise InvalidInput("Loot is for a challenge rating from 0 to 30.")
    band = _cr_band(cr)
    if kind == "individual":
        d100 = rng.randint(1, 100)
        table = next(coins for top, coins in INDIVIDUAL[band] if d100 <= top)
        return Loot(kind, cr, _coins(table, roll), (), ())
    if kind != "hoard":
        raise InvalidInput("Loot is `individual` or `hoard`.")
    count_dice, kind_of, value = HOARD_VALUABLES[band][rng.randrange(len(HOARD_VALUABLES[band]))]
    tier = (GEMS if kind_of == "gem" else ART)[value]
    found = Counter(_pick(rng, tier) for _ in range(roll(count_dice)))
    valuables = tuple(f"{n} × {name} ({value:,} gp each)" for name, n in sorted(found.items()))
    items_dice, weights = HOARD_ITEMS[band]
    drawn = (_magic_item(srd, weights, rng) for _ in range(max(0, roll(items_dice))))
    items = tuple(LootItem(i.index, i.name, i.rarity) for i in drawn)
    return Loot(kind, cr, _coins(HOARD_COINS[band], roll), valuables, items)


def _coins(table: Mapping[str, str], roll: Callable[[str], int]) -> dict[str, int]:
    return {coin: max(0, roll(dice)) for coin, dice in table.items()}


def _magic_item(srd: SRD, weights: Mapping[str, int], rng: random.Random) -> MagicItem:
    rarities = list(weights)
    rarity = rng.choices(rarities, weights=[weights[r] for r in rarities])[0]
    # "Varies" entries are families (e.g. +1/+2/+3); their variants carry real rarities.
    candidates = [i for i in srd.data.magic_items if i.rarity == rarity and not i.variants]
    return candidates[rng.randrange(len(candidates))]


# --- NPCs -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NpcSketch:
    name: str
    role: str
    personality: str
    voice: str
    motive: str
    secret: str

    def lines(self) -> list[str]:
        return [
            f"{self.name}, {self.role}",
            f"Personality: {self.personality}",
            f"Voice: {self.voice}",
            f"Wants to {self.motive}",
            f"Secret: {self.secret}",
        ]


def npc(rng: random.Random, *, name: str | None = None, role: str | None = None) -> NpcSketch:
    """An NPC from the tables; a given name or role is kept as it is."""
    return NpcSketch(
        name=(name or "").strip()[:80] or f"{_pick(rng, FIRST_NAMES)} {_pick(rng, SURNAMES)}",
        role=(role or "").strip()[:80] or _pick(rng, ROLES),
        personality=_pick(rng, PERSONALITIES),
        voice=_pick(rng, VOICES),
        motive=_pick(rng, MOTIVES),
        secret=_pick(rng, SECRETS),
    )


# --- Locations ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    kind: LocationKind
    name: str
    feature: str
    detail: str
    keeper: NpcSketch | None  # the innkeeper, shopkeeper or priest

    def lines(self) -> list[str]:
        lines = [f"{self.name} ({self.kind})", f"Feature: {self.feature}", f"Of note: {self.detail}"]
        if self.keeper:
            lines.append(f"Run by {self.keeper.name}, {self.keeper.personality}")
        return lines


def location(rng: random.Random, kind: LocationKind) -> Location:
    if kind not in LOCATION_TABLES:
        raise InvalidInput(f"A location is one of: {', '.join(LOCATION_KINDS)}.")
    table = LOCATION_TABLES[kind]
    if kind == "tavern":
        name = f"The {_pick(rng, ADJECTIVES)} {_pick(rng, NOUNS)}"
    else:
        name = _pick(rng, table["name"])
    keeper_role = {"tavern": "innkeeper", "shop": "shopkeeper", "temple": "priest"}.get(kind)
    feature, detail = _pick(rng, table["feature"]), _pick(rng, table["detail"])
    keeper = npc(rng, role=keeper_role) if keeper_role else None
    return Location(kind, name, feature, detail, keeper)


# --- Quest hooks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestHook:
    patron: NpcSketch
    task: str
    target: str
    place: str
    complication: str
    reward_gp: int

    def lines(self) -> list[str]:
        return [
            f"{self.patron.name} ({self.patron.role}) asks the party to {self.task} {self.target} in {self.place}.",
            f"Complication: {self.complication}.",
            f"Reward: {self.reward_gp:,} gp.",
        ]


def quest_hook(rng: random.Random, *, party_level: int = 1) -> QuestHook:
    """A hook with a patron, a task, a place, a twist and a reward that grows with the party's level."""
    if not 1 <= party_level <= 20:
        raise InvalidInput("Party level runs from 1 to 20.")
    task = _pick(rng, TASKS)
    reward = (rng.randint(2, 8) * 25) * party_level
    return QuestHook(npc(rng), task, _pick(rng, OBJECTS[task]), _pick(rng, PLACES), _pick(rng, COMPLICATIONS), reward)


def _pick(rng: random.Random, options: Sequence[str]) -> str:
    return options[rng.randrange(len(options))]


class Generator:
    """The generators bound to the SRD and the engine's dice (whose random source they share)."""

    def __init__(self, srd: SRD, dice: Dice) -> None:
        self.srd = srd
        self.dice = dice

    @property
    def rng(self) -> random.Random:
        return self.dice.rng

    def encounter(
        self, levels: Sequence[int], difficulty: Difficulty = "medium", theme: str | None = None
    ) -> Encounter:
        return encounter(self.srd, levels, difficulty, self.rng, theme=theme)

    def loot(self, cr: float, kind: LootKind = "individual") -> Loot:
        return loot(self.srd, cr, kind, self.rng, self.dice.total)

    def npc(self, name: str | None = None, role: str | None = None) -> NpcSketch:
        return npc(self.rng, name=name, role=role)

    def location(self, kind: LocationKind) -> Location:
        return location(self.rng, kind)

    def quest_hook(self, party_level: int = 1) -> QuestHook:
        return quest_hook(self.rng, party_level=party_level)
