"""The character kernel: who acts, the stored facts of a character (`Sheet`) and its derived numbers.

Every engine module that reads or changes a character builds on this one; it knows nothing of
creating characters or of the service that changes them. Derived numbers come from `stats()`,
which only composes the formulas in `bot.engine.rules`.
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Row

from bot.data.srd import SRD, Armor, CharacterClass, Condition, MagicBonus, Subrace, Weapon
from bot.engine import class_levels, rules
from bot.engine import effects as timed_effects
from bot.engine.backgrounds import background_name
from bot.engine.effects import Effect
from bot.errors import InvalidInput
from persistence.models import Character

MAX_NAME_LENGTH = 64
MAX_INVENTORY_ROWS = 100
MAX_STACK = 10_000
NO_GUILD = 0  # characters made in direct messages live under guild id 0
PRIMAL_CHAMPION_MAX = 24


@dataclass(frozen=True)
class Actor:
    """Who did something, and where: plain ids, never Discord objects."""

    user_id: int
    guild_id: int | None = None
    channel_id: int | None = None


# --- Plain values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    item: str  # SRD index (equipment or magic item), or "custom:<name>" for the DM's own (bot.engine.items)
    name: str
    quantity: int
    equipped: bool = False
    attuned: bool = False
    details: Mapping[str, Any] | None = None  # a DM's item's numbers: custom (bot.engine.items) or homebrew

    @property
    def magic_works(self) -> bool:
        """A DM's item that needs attunement gives its magic (bonuses) only to the one attuned to it."""
        return self.attuned or not (self.details or {}).get("attunement")


@dataclass(frozen=True)
class ActiveCondition:
    name: str  # SRD condition index
    rounds: int | None = None  # None: until removed
    level: int = 1  # exhaustion level


@dataclass(frozen=True)
class Spells:
    """The spells a character has; which lists a class uses is `bot.engine.spells`' business."""

    cantrips: tuple[str, ...] = ()  # SRD spell indexes, in the order learnt
    known: tuple[str, ...] = ()  # bard, ranger, sorcerer, warlock
    book: tuple[str, ...] = ()  # a wizard's spellbook
    prepared: tuple[str, ...] = ()  # cleric, druid, paladin (from the class list), wizard (from the book)
    may_prepare: bool = True  # a long rest or a new level opens the prepared list; filling it closes it


@dataclass(frozen=True)
class Counter:
    """A custom counter a player or DM keeps (Avrae's `!cc`): uses of something the SRD data does not track."""

    name: str
    maximum: int
    reset: str = "long"  # "short", "long" or "never"
    spent: int = 0


@dataclass(frozen=True)
class Sheet:
    """The stored facts of one character, detached from the database."""

    id: int
    guild_id: int
    owner_id: int
    campaign_id: int | None
    name: str
    active: bool
    version: int
    race: str
    subrace: str | None
    class_index: str
    background: str
    level: int
    xp: int
    levelup_allowed: bool
    base_scores: Mapping[str, int]
    bonus_scores: Mapping[str, int]
    hp_max: int
    hp_current: int
    hp_temp: int
    hit_dice_used: int
    death_successes: int
    death_failures: int
    proficiencies: Mapping[str, tuple[str, ...]]
    expertise: tuple[str, ...]
    languages: tuple[str, ...]
    features: tuple[str, ...]
    inventory: tuple[Item, ...]
    coins: Mapping[str, int]
    slots_max: tuple[int, ...]
    slots_current: tuple[int, ...]
    conditions: tuple[ActiveCondition, ...]
    notes: str = ""
    backstory: str = ""
    portrait_url: str | None = None
    pronouns: str = ""  # "she/her", "he/him", "they/them", ...; empty: the narrators say "they"
    spells: Spells = Spells()
    effects: tuple[Effect, ...] = ()  # timed effects outside a fight (Mage Armor), by `bot.engine.effects`
    subclass: str | None = None  # an SRD subclass index of the first class (bot.engine.choices, or an import)
    # What an imported sheet kept outside the SRD, shown to its player and DM (see bot.engine.character_import)
    custom: Mapping[str, Any] = field(default_factory=dict)
    # The player's choices by level (bot.engine.choices): fighting_style, favored_enemy, asi, feats, ...
    choices: Mapping[str, Any] = field(default_factory=dict)
    # Levels by class of a multiclassed character; empty: all levels in class_index (bot.engine.class_levels)
    class_levels: Mapping[str, int] = field(default_factory=dict)
    # Uses spent of the class features with uses (bot.engine.features: "rage" → 1), reset by rests
    feature_spent: Mapping[str, int] = field(default_factory=dict)
    counters: tuple[Counter, ...] = ()  # custom counters (bot.engine.features), reset by rests as each says

    @property
    def scores(self) -> dict[str, int]:
        scores = rules.final_scores(self.base_scores, self.bonus_scores)
        if class_levels.level_in(self, "barbarian") >= rules.MAX_LEVEL:  # Primal Champion: STR, CON +4, to 24
            scores = {a: min(PRIMAL_CHAMPION_MAX, v + 4) if a in ("str", "con") else v for a, v in scores.items()}
        return scores

    def proficient(self, group: str, slug: str) -> bool:
        return slug in self.proficiencies.get(group, ())

    def carried(self, index: str) -> Item | None:
        return next((i for i in self.inventory if i.item == index), None)


@dataclass(frozen=True)
class AttackLine:
    weapon: str  # SRD index
    name: str
    ability: str
    to_hit: int
    damage: str  # e.g. "1d8+3 piercing"
    proficient: bool
    extra: tuple[tuple[str, str], ...] = ()  # more damage on a hit, (dice, type): a homebrew weapon's poison
    magical: bool = False  # overcomes resistance to non-magical weapons


@dataclass(frozen=True)
class Stats:
    """Every derived number of a sheet, computed by the rules."""

    scores: Mapping[str, int]
    modifiers: Mapping[str, int]
    proficiency_bonus: int
    saves: Mapping[str, int]
    skills: Mapping[str, int]
    armor_class: int
    speed: int
    initiative: int
    passive_perception: int
    hit_die: int
    hit_dice_left: int
    hp_max: int
    attacks: tuple[AttackLine, ...]
    race_name: str
    class_name: str
    background_name: str
    stealth_disadvantage: bool
    spellcasting: SpellNumbers | None = None  # None for classes that cast no spells
    check_bonus: int = 0  # every ability check (skills and initiative include it): a Stone of Good Luck
    magic: tuple[tuple[str, str], ...] = ()  # (item name, what it does now): "+1 AC, +1 saves"


@dataclass(frozen=True)
class SpellNumbers:
    ability: str  # the class's spellcasting ability
    save_dc: int
    attack_bonus: int


# --- Names ----------------------------------------------------------------------------------------


def clean_name(raw: str) -> str:
    """1-64 visible characters: control and zero-width characters go, whitespace collapses."""
    kept = "".join(c for c in raw if unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
    name = " ".join(kept.split())
    if not name:
        raise InvalidInput("A character needs a name with at least one visible character. Example: `Tordek`")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"A character name is at most {MAX_NAME_LENGTH} characters (yours has {len(name)}).")
    return name


def name_key(name: str) -> str:
    return clean_name(name).casefold()


def guild_of(actor: Actor) -> int:
    return actor.guild_id if actor.guild_id is not None else NO_GUILD


# --- Derived numbers ------------------------------------------------------------------------------


def stats(sheet: Sheet, srd: SRD) -> Stats:
    """Compose the rules into the numbers a sheet shows."""
    scores = scores_of(sheet, srd)
    mods = {a: rules.modifier(scores[a]) for a in rules.ABILITIES}
    prof = rules.proficiency_bonus(sheet.level)
    magic = magic_bonuses(sheet, srd)
    checks, saves = sum(b.checks for _, b in magic), sum(b.saves for _, b in magic)
    skills = {
        s.index: checks
        + rules.skill_bonus(
            mods[s.ability],
            prof,
            proficient=sheet.proficient("skills", s.index),
            expertise=s.index in sheet.expertise,
        )
        for s in srd.data.skills
    }
    armor, _shield = worn_armor(sheet, srd)
    klass = srd.klass(sheet.class_index)
    caster, caster_level = casting_class(sheet, srd)
    race = srd.race(sheet.race)
    exhaustion = condition_level(sheet, "exhaustion")
    base_speed = rules.speed(race.speed, armor=armor, strength=scores["str"])
    return Stats(
        scores=scores,
        modifiers=mods,
        proficiency_bonus=prof,
        saves={
            a: saves + rules.save_bonus(mods[a], prof, proficient=sheet.proficient("saves", a)) for a in rules.ABILITIES
        },
        skills=skills,
        armor_class=timed_effects.armour_class(armor_class(sheet, srd), sheet.effects),
        speed=rules.exhaustion_speed(base_speed, exhaustion),
        initiative=rules.initiative_bonus(mods["dex"]) + checks,
        passive_perception=rules.passive_score(skills["perception"]),
        hit_die=klass.hit_die,
        hit_dice_left=sheet.level - sheet.hit_dice_used,
        hp_max=rules.exhaustion_hp_max(sheet.hp_max, exhaustion),
        attacks=tuple(
            attack_line(sheet, srd, w, two_handed=w.has("versatile") and hand_free(sheet, srd, w))
            for w in carried_weapons(sheet, srd)
        )
        + custom_attacks(sheet, scores, srd),
        race_name=srd.subrace(sheet.subrace).name if sheet.subrace else race.name,
        class_name=class_levels.classes_text(srd, sheet),
        background_name=background_name(srd, sheet.background, sheet.custom.get("background")),
        stealth_disadvantage=armor is not None and armor.stealth_disadvantage,
        spellcasting=spell_numbers(casting_ability(caster, caster_level), mods, prof),
        check_bonus=checks,
        magic=tuple((item.name, magic_text(bonus, sheet.scores)) for item, bonus in magic),
    )


def magic_hp(sheet: Sheet, srd: SRD) -> int:
    """The hit points a magic Constitution adds (an Amulet of Health): its modifier over the sheet's own, at
    every level."""
    return sheet.level * (rules.modifier(scores_of(sheet, srd)["con"]) - rules.modifier(sheet.scores["con"]))


def with_magic_hp(old: Sheet, new: Sheet, srd: SRD) -> Sheet:
    """`new` (an inventory change of `old`) with the stored hit points moved by what a magic Constitution now
    adds or no longer adds, so healing, rests and the tracker count it as the sheet shows it; a character up
    stays up at 1 HP or more."""
    more = magic_hp(new, srd) - magic_hp(old, srd)
    if not more:
        return new
    hp_max = max(1, new.hp_max + more)
    current = new.hp_current if new.hp_current <= 0 else max(1, min(hp_max, new.hp_current + more))
    return replace(new, hp_max=hp_max, hp_current=current)


def magic_bonuses(sheet: Sheet, srd: SRD) -> list[tuple[Item, MagicBonus]]:
    """The SRD magic items whose numbers count now: attuned where the item requires it; magic armour equipped;
    Bracers of Defense with no armour worn and no shield."""
    magic_items = srd.lookup("magic_item")
    found = []
    for item in sheet.inventory:
        magic = srd.magic_item(item.item) if item.item in magic_items else None
        bonus = magic.bonus if magic is not None else None
        if bonus is None or (magic is not None and magic.attunement and not item.attuned):
            continue
        if bonus.needs == "weapon":  # a magic weapon's bonus needs its base weapon, which the item doesn't name yet
            continue
        if bonus.needs == "armor" and not item.equipped:
            continue
        if bonus.needs == "unarmored" and worn_armor(sheet, srd) != (None, None):
            continue
        found.append((item, bonus))
    return found


def scores_of(sheet: Sheet, srd: SRD) -> dict[str, int]:
    """The scores with the magic items' that set one (an Amulet of Health: Constitution 19, if lower)."""
    scores = sheet.scores
    for _, bonus in magic_bonuses(sheet, srd):
        scores = {a: max(v, bonus.scores.get(a, 0)) for a, v in scores.items()}
    return scores


def magic_text(bonus: MagicBonus, scores: Mapping[str, int] | None = None) -> str:
    """What a magic item does, for its player: "+1 AC, +1 saves", "Strength 21" ("no effect" if already higher)."""
    parts = [f"+{n} {what}" for n, what in ((bonus.ac, "AC"), (bonus.saves, "saves"), (bonus.checks, "checks")) if n]
    if bonus.attack:
        parts.append(f"+{bonus.attack} to hit and damage")
    for ability, value in bonus.scores.items():
        name = rules.ABILITY_NAMES[ability]
        had = scores.get(ability, 0) if scores else 0
        parts.append(f"{name} {value}" if had < value else f"no effect ({name} already {had})")
    return ", ".join(parts)


def casting_class(sheet: Sheet, srd: SRD) -> tuple[CharacterClass, int]:
    """The class whose spellcasting the sheet shows: the first one that casts at its level."""
    levels = class_levels.levels_by_class(sheet)
    for index, level in levels.items():
        klass = srd.klass(index)
        if casting_ability(klass, level):
            return klass, level
    return srd.klass(sheet.class_index), levels.get(sheet.class_index, sheet.level)


def casting_ability(klass: CharacterClass, level: int) -> str | None:
    """The class's spellcasting ability once it casts (paladins and rangers: from level 2)."""
    row = klass.level(level)
    return klass.spellcasting_ability if any(row.spell_slots) or row.cantrips_known else None


def spell_numbers(ability: str | None, mods: Mapping[str, int], prof: int) -> SpellNumbers | None:
    if ability is None:
        return None
    mod = mods[ability]
    return SpellNumbers(ability, rules.spell_save_dc(mod, prof), rules.spell_attack_bonus(mod, prof))


def worn_armor(sheet: Sheet, srd: SRD) -> tuple[Armor | None, Armor | None]:
    armor: Armor | None = None
    shield: Armor | None = None
    for entry in sheet.inventory:
        piece = None
        if entry.equipped and entry.item in srd.lookup("armor"):
            piece = srd.armor(entry.item)
        elif entry.equipped and (entry.details or {}).get("armor"):
            piece = homebrew_armor(entry)
        if piece is not None:
            if piece.category == "shield":
                shield = piece
            else:
                armor = piece
    return armor, shield


def homebrew_armor(item: Item) -> Armor:
    """A DM's armour (`details.armor`: base AC and type) as the SRD's: Dex as its type allows (medium: +2 at
    most, heavy: none), so it is worn, counted and limited like the SRD's."""
    spec = (item.details or {})["armor"]
    kind = spec["type"] if spec["type"] in ("light", "medium", "heavy", "shield") else "light"
    return Armor.model_validate(
        {
            "index": item.item,
            "name": item.name,
            "category": kind,
            "base_ac": int(spec["base"]),
            "dex_bonus": kind in ("light", "medium"),
            "max_dex_bonus": 2 if kind == "medium" else None,
        }
    )


def armor_class(sheet: Sheet, srd: SRD) -> int:
    armor, shield = worn_armor(sheet, srd)
    scores = scores_of(sheet, srd)
    dex_mod = rules.modifier(scores["dex"])
    bonus = _unarmored_bonus(sheet, scores, wearing_shield=shield is not None)
    worn = rules.armor_class(dex_mod=dex_mod, armor=armor, shield=shield, unarmored_bonus=bonus)
    if armor is None and _has_draconic_resilience(sheet):  # 13 + Dex unarmoured, not with Unarmored Defense
        worn = max(worn, 13 + dex_mod + (shield.base_ac if shield else 0))
    if armor is not None and "defense" in fighting_styles(sheet):  # Defense: +1 AC while wearing armour
        worn += 1
    custom = sum(int((i.details or {}).get("ac_bonus", 0)) for i in sheet.inventory if i.equipped and i.magic_works)
    return worn + custom + sum(bonus.ac for _, bonus in magic_bonuses(sheet, srd))


def _unarmored_bonus(sheet: Sheet, scores: Mapping[str, int], *, wearing_shield: bool) -> int | None:
    """Unarmored Defense of the first class that has it (a barbarian's Con, a monk's Wis); they don't stack."""
    for index in class_levels.levels_by_class(sheet):
        bonus = rules.unarmored_bonus(index, scores, wearing_shield=wearing_shield)
        if bonus is not None:
            return bonus
    return None


def _has_draconic_resilience(sheet: Sheet) -> bool:
    sorcerer = sheet.subclass if sheet.class_index == "sorcerer" else None
    sorcerer = sorcerer or (sheet.choices.get("subclasses") or {}).get("sorcerer")
    return sorcerer == "draconic"


def fighting_styles(sheet: Sheet) -> tuple[str, ...]:
    """The fighting styles chosen (bot.engine.choices keeps them): 'archery', 'defense', 'dueling', ..."""
    styles = sheet.choices.get("fighting_style") or ()
    return tuple(styles) if isinstance(styles, list | tuple) else (str(styles),)


def hand_free(sheet: Sheet, srd: SRD, weapon: Weapon) -> bool:
    """Whether the hand `weapon` leaves is free: no shield worn, no other weapon equipped."""
    _, shield = worn_armor(sheet, srd)
    weapons = srd.lookup("weapon")
    others = [i for i in sheet.inventory if i.equipped and i.item in weapons and i.item != weapon.index]
    return shield is None and not others


def carried_weapons(sheet: Sheet, srd: SRD) -> list[Weapon]:
    weapons = srd.lookup("weapon")
    return [srd.weapon(i.item) for i in sheet.inventory if i.item in weapons and srd.weapon(i.item).damage_dice]


def attack_line(sheet: Sheet, srd: SRD, weapon: Weapon, *, two_handed: bool = False, plus: int = 0) -> AttackLine:
    """A weapon's attack; `plus`: a magic weapon's bonus to hit and damage."""
    scores = scores_of(sheet, srd)
    str_mod, dex_mod = rules.modifier(scores["str"]), rules.modifier(scores["dex"])
    ability = rules.weapon_ability(weapon, str_mod, dex_mod)
    mod = str_mod if ability == "str" else dex_mod
    proficient = rules.weapon_proficient(weapon, sheet.proficiencies.get("weapons", ()), _references(srd))
    dice = (weapon.two_handed_dice if two_handed and weapon.two_handed_dice else weapon.damage_dice) or "1"
    styles = fighting_styles(sheet)
    archery = 2 if "archery" in styles and weapon.range_type == "ranged" else 0  # Archery: +2 to hit
    dueling = 2 if "dueling" in styles and _one_handed_alone(sheet, srd, weapon, two_handed=two_handed) else 0
    return AttackLine(
        weapon=weapon.index,
        name=weapon.name,
        ability=ability,
        to_hit=rules.attack_bonus(mod, rules.proficiency_bonus(sheet.level), proficient=proficient) + archery + plus,
        damage=f"{rules.damage_expression(dice, mod + dueling + plus)} {weapon.damage_type or ''}".strip(),
        proficient=proficient,
    )


def _one_handed_alone(sheet: Sheet, srd: SRD, weapon: Weapon, *, two_handed: bool) -> bool:
    """Dueling: a melee weapon in one hand and no other weapon (a shield is fine)."""
    if weapon.range_type != "melee" or two_handed or weapon.has("two-handed"):
        return False
    weapons = srd.lookup("weapon")
    return not [i for i in sheet.inventory if i.equipped and i.item in weapons and i.item != weapon.index]


def custom_attacks(
    sheet: Sheet, scores: Mapping[str, int] | None = None, srd: SRD | None = None
) -> tuple[AttackLine, ...]:
    """The DM's weapons (custom and homebrew, bot.engine.items), proficient: a homebrew weapon's ability by its
    properties (finesse: the better of Strength and Dexterity; ammunition: Dexterity; else Strength), a custom
    one's the better; a magic bonus added to hit and damage (once attuned, if it needs that). An SRD +1 weapon
    (`details.base`) attacks as its base weapon does, with its bonus."""
    lines = []
    for item in sheet.inventory:
        details = item.details or {}
        weapon = details.get("weapon")
        base = str(details.get("base") or "")
        if weapon and srd is not None and base in srd.lookup("weapon"):
            plain = srd.weapon(base)
            two_handed = plain.has("versatile") and hand_free(sheet, srd, plain)
            line = attack_line(sheet, srd, plain, two_handed=two_handed, plus=int(details.get("attack_bonus", 0)))
            lines.append(replace(line, weapon=item.item, name=item.name, magical=True))
        elif weapon:
            scores = scores or sheet.scores
            ability = _custom_weapon_ability(scores, weapon.get("properties"))
            bonus = int(details.get("attack_bonus", 0)) if item.magic_works else 0
            mod = rules.modifier(scores[ability])
            to_hit = rules.attack_bonus(mod, rules.proficiency_bonus(sheet.level), proficient=True) + bonus
            damage = f"{rules.damage_expression(weapon['dice'], mod + bonus)} {weapon['type']}"
            extra = tuple((str(e["dice"]), str(e["type"])) for e in weapon.get("extra", ()))
            magical = bonus > 0 or bool(details.get("rarity"))
            lines.append(AttackLine(item.item, item.name, ability, to_hit, damage, True, extra, magical))
    return tuple(lines)


def _custom_weapon_ability(scores: Mapping[str, int], properties: Any) -> str:
    better = "dex" if scores["dex"] > scores["str"] else "str"
    if properties is None:  # the DM's custom weapon: no properties given
        return better
    if "finesse" in properties:
        return better
    return "dex" if "ammunition" in properties else "str"


def _references(srd: SRD) -> dict[str, str | None]:
    return {p.index: p.reference for p in srd.data.proficiencies if p.group == "weapons"}


def condition_level(sheet: Sheet, index: str) -> int:
    found = next((c for c in sheet.conditions if c.name == index), None)
    return found.level if found else 0


def active_conditions(sheet: Sheet, srd: SRD) -> list[tuple[Condition, int]]:
    """The sheet's conditions as SRD entries with levels, plus the ones they imply (unconscious → prone)."""
    found: dict[str, tuple[Condition, int]] = {}
    for entry in sheet.conditions:
        condition = srd.condition(entry.name)
        found[condition.index] = (condition, entry.level)
        for implied in condition.effects.implies:
            found.setdefault(implied, (srd.condition(implied), 1))
    return list(found.values())


def toughness(subrace: Subrace | None) -> int:
    """Hill dwarves' Dwarven Toughness: +1 HP per level."""
    return 1 if subrace is not None and "Dwarven Toughness" in subrace.traits else 0


# --- Conversions ----------------------------------------------------------------------------------


# The columns `to_sheet` reads. A character's sheet is kept (by id) while its row's columns are equal to those it
# was built from: a fight reads each sheet several times a command, and every command loads the rows anew.
_SHEET_SOURCES = (
    "id", "guild_id", "owner_id", "campaign_id", "name", "active", "version", "race", "subrace", "class_index",
    "background", "level", "xp", "levelup_allowed", "base_scores", "bonus_scores", "hp_max", "hp_current",
    "hp_temp", "hit_dice_used", "death_successes", "death_failures", "proficiencies", "expertise", "languages",
    "features", "inventory", "coins", "slots_max", "slots_current", "conditions", "notes", "backstory",
    "portrait_url", "pronouns", "spells", "effects", "subclass", "custom",
)  # fmt: skip
_NOT_LOADED = object()
_BUILT_KEPT = 2048  # characters whose sheets are kept, the least recently read dropped first
_built: OrderedDict[int, tuple[tuple[Any, ...], Sheet]] = OrderedDict()


def to_sheet(row: Character | Row[Any]) -> Sheet:
    """The sheet of a character's row (a Sheet is immutable, so one built from equal columns is shared)."""
    if not isinstance(row, Character):
        return _sheet_of(row)
    loaded = row.__dict__
    sources = tuple(loaded.get(name, _NOT_LOADED) for name in _SHEET_SOURCES)
    known = _built.get(row.id)
    if known is not None and known[0] == sources:  # the very objects (the same row), else equal values
        _built.move_to_end(row.id)
        return known[1]
    sheet = _sheet_of(row)
    if row.id is not None and not any(value is _NOT_LOADED for value in sources):
        _built[row.id] = (sources, sheet)
        if len(_built) > _BUILT_KEPT:
            _built.popitem(last=False)
    return sheet


def _sheet_of(row: Character | Row[Any]) -> Sheet:
    # A Row (a Core select of the columns, see persistence.repositories.SHEET_COLUMNS) reads alike.
    return Sheet(
        id=row.id,
        guild_id=row.guild_id,
        owner_id=row.owner_id,
        campaign_id=row.campaign_id,
        name=row.name,
        active=row.active,
        version=row.version,
        race=row.race,
        subrace=row.subrace,
        class_index=row.class_index,
        background=row.background,
        level=row.level,
        xp=row.xp,
        levelup_allowed=row.levelup_allowed,
        base_scores=dict(row.base_scores),
        bonus_scores=dict(row.bonus_scores),
        hp_max=row.hp_max,
        hp_current=row.hp_current,
        hp_temp=row.hp_temp,
        hit_dice_used=row.hit_dice_used,
        death_successes=row.death_successes,
        death_failures=row.death_failures,
        proficiencies={k: tuple(v) for k, v in row.proficiencies.items()},
        expertise=tuple(row.expertise),
        languages=tuple(row.languages),
        features=tuple(row.features),
        inventory=tuple(Item(**entry) for entry in row.inventory),
        coins=dict(row.coins),
        slots_max=tuple(row.slots_max),
        slots_current=tuple(row.slots_current),
        conditions=tuple(ActiveCondition(**entry) for entry in row.conditions),
        notes=row.notes,
        backstory=row.backstory,
        portrait_url=row.portrait_url,
        pronouns=row.pronouns or "",
        spells=spells_of(row.spells or {}),
        effects=timed_effects.load(row.effects),
        subclass=row.subclass,
        custom=dict(row.custom or {}),
        choices=dict(row.choices or {}),
        class_levels=dict(row.class_levels or {}),
        feature_spent=dict(row.feature_spent or {}),
        counters=tuple(Counter(**entry) for entry in row.counters or ()),
    )


def spells_of(data: Mapping[str, Any]) -> Spells:
    lists = {key: tuple(data.get(key, ())) for key in ("cantrips", "known", "book", "prepared")}
    return Spells(**lists, may_prepare=bool(data.get("may_prepare", True)))


def spells_json(spells: Spells) -> dict[str, Any]:
    return {
        "cantrips": list(spells.cantrips),
        "known": list(spells.known),
        "book": list(spells.book),
        "prepared": list(spells.prepared),
        "may_prepare": spells.may_prepare,
    }


_STATE_FIELDS = (
    "name",
    "level",
    "xp",
    "levelup_allowed",
    "hp_max",
    "hp_current",
    "hp_temp",
    "hit_dice_used",
    "death_successes",
    "death_failures",
    "notes",
    "backstory",
    "portrait_url",
    "pronouns",
)


def write_back(row: Character, sheet: Sheet) -> None:
    """Copy a changed sheet onto its row; JSON columns get new objects so the change is seen."""
    for name in _STATE_FIELDS:
        setattr(row, name, getattr(sheet, name))
    row.name_key = name_key(sheet.name)
    row.base_scores = dict(sheet.base_scores)
    row.bonus_scores = dict(sheet.bonus_scores)
    row.proficiencies = {k: list(v) for k, v in sheet.proficiencies.items()}
    row.expertise = list(sheet.expertise)
    row.languages = list(sheet.languages)
    row.features = list(sheet.features)
    row.inventory = [item_json(i) for i in sheet.inventory]
    row.coins = dict(sheet.coins)
    row.slots_max = list(sheet.slots_max)
    row.slots_current = list(sheet.slots_current)
    row.conditions = [{"name": c.name, "rounds": c.rounds, "level": c.level} for c in sheet.conditions]
    row.spells = spells_json(sheet.spells)
    row.effects = timed_effects.dump(sheet.effects)
    row.subclass = sheet.subclass
    row.custom = dict(sheet.custom)
    row.choices = dict(sheet.choices)
    row.class_levels = dict(sheet.class_levels)
    row.feature_spent = dict(sheet.feature_spent)
    row.counters = [vars(c).copy() for c in sheet.counters]
    row.version = row.version + 1


def item_json(item: Item) -> dict[str, Any]:
    entry: dict[str, Any] = {"item": item.item, "name": item.name, "quantity": item.quantity, "equipped": item.equipped}
    if item.attuned:
        entry["attuned"] = True
    if item.details:
        entry["details"] = dict(item.details)
    return entry


def add_item(inventory: tuple[Item, ...], item: Item) -> tuple[Item, ...]:
    """The inventory with `item` stacked in; refuses past the row and stack limits."""
    held = next((i for i in inventory if i.item == item.item), None)
    if held is None:
        if len(inventory) >= MAX_INVENTORY_ROWS:
            raise InvalidInput(f"An inventory holds at most {MAX_INVENTORY_ROWS} different items.")
        return (*inventory, item)
    if held.quantity + item.quantity > MAX_STACK:
        raise InvalidInput(f"At most {MAX_STACK:,} of one item; you carry {held.quantity:,} {item.name}.")
    return tuple(replace(i, quantity=i.quantity + item.quantity) if i.item == item.item else i for i in inventory)
