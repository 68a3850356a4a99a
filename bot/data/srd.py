"""Typed, read-only access to the derived SRD 5.1 data set (``bot/data/srd.json``).

The JSON is produced by ``scripts/derive_srd.py`` and shipped as package data, so the bot never
needs the upstream 5e-database files at run time.  ``load_srd()`` parses and validates it once
(cached) into frozen pydantic models; every model forbids unknown fields so that a schema drift
between the script and this module fails loudly in the tests rather than silently at the table.

Lookups accept an SRD index slug (``"chain-mail"``) or a case-insensitive name (``"Chain Mail"``)
and raise ``KeyError`` for unknown keys; callers turn that into a user-facing error.  Numeric
helpers raise ``ValueError`` for out-of-range input (a level of 21 is a bug, not a typo).
"""

from __future__ import annotations

import bisect
import copy
import functools
from collections.abc import Iterable, Iterator, Mapping
from importlib import resources
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = [
    "SRD",
    "Armor",
    "Background",
    "CharacterClass",
    "Condition",
    "Gear",
    "MagicItem",
    "Monster",
    "Race",
    "SearchKind",
    "Spell",
    "Subrace",
    "Weapon",
    "cr_label",
    "load_srd",
    "parse_cr",
]

DATA_FILE = "srd.json"
MAX_LEVEL = 20


class _Model(BaseModel):
    """Base for every SRD model: immutable, and strict about the fields the JSON may carry."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- Shared pieces ---------------------------------------------------------------------------------


class Cost(_Model):
    """A price, e.g. 15 gp."""

    quantity: int
    unit: Literal["cp", "sp", "ep", "gp", "pp"]

    @property
    def cp(self) -> int:
        """The price in copper pieces, for comparing and summing prices."""
        return self.quantity * {"cp": 1, "sp": 10, "ep": 50, "gp": 100, "pp": 1000}[self.unit]


class ItemCount(_Model):
    """An equipment index with a quantity (starting equipment, pack contents)."""

    item: str
    quantity: int


class ChoiceOption(_Model):
    """One option of a ``Choice``: exactly one of ``item``, ``all_of`` or ``choice`` is set.

    ``item`` is an equipment, proficiency or ability index and ``count`` how many of it (for an
    ability-bonus choice, the bonus).  ``requires_proficiency`` lists proficiencies the character
    needs for this option (e.g. the cleric's warhammer).
    """

    item: str | None = None
    count: int = 1
    requires_proficiency: tuple[str, ...] = ()
    all_of: tuple[ChoiceOption, ...] = ()
    choice: Choice | None = None


class Choice(_Model):
    """'Choose N': from ``options``, from an equipment ``category``, or from ``any_of`` a list."""

    choose: int
    options: tuple[ChoiceOption, ...] = ()
    category: str | None = None
    any_of: str | None = None  # e.g. "languages": any language


class SkillChoice(_Model):
    """'Choose N skills from ...' with skill indexes."""

    choose: int
    options: tuple[str, ...]


class Proficiencies(_Model):
    """Proficiency indexes by group; ``skills`` holds skill indexes (``"perception"``)."""

    armor: tuple[str, ...] = ()
    weapons: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()


class Area(_Model):
    """An area of effect: sphere/cube/cylinder/line/cone and its size in feet."""

    type: str
    size: int


# --- Reference lists -----------------------------------------------------------------------------------


class NamedEntry(_Model):
    """A plain index + name entry (damage types, schools, weapon properties)."""

    index: str
    name: str


class AbilityScore(_Model):
    """An ability (``str``..``cha``) and the skills based on it."""

    index: str
    name: str
    full_name: str
    skills: tuple[str, ...] = ()


class Alignment(_Model):
    """An alignment and its abbreviation."""

    index: str
    name: str
    abbreviation: str


class Skill(_Model):
    """A skill and the ability it uses."""

    index: str
    name: str
    ability: str


class Language(_Model):
    """A language: standard or exotic, and its script."""

    index: str
    name: str
    type: Literal["standard", "exotic"]
    script: str | None = None


class Feat(_Model):
    """A feat and its minimum ability scores."""

    index: str
    name: str
    prerequisites: Mapping[str, int] = {}


class Proficiency(_Model):
    """A proficiency slug: its group and the equipment/category/skill it refers to."""

    index: str
    name: str
    group: Literal["armor", "weapons", "skills", "saving_throws", "tools"]
    reference: str | None = None
    reference_kind: str | None = None


class EquipmentCategory(_Model):
    """An equipment category and its member items (mundane and magic)."""

    index: str
    name: str
    equipment: tuple[str, ...] = ()


# --- Character options ---------------------------------------------------------------------------------


class Race(_Model):
    """A race: bonuses, speed, size, languages, trait names and trait-granted proficiencies."""

    index: str
    name: str
    speed: int
    size: str
    ability_bonuses: Mapping[str, int] = {}
    ability_bonus_choice: Choice | None = None
    languages: tuple[str, ...] = ()
    language_choice: Choice | None = None
    traits: tuple[str, ...] = ()
    proficiencies: Proficiencies = Proficiencies()
    proficiency_choices: tuple[Choice, ...] = ()
    subraces: tuple[str, ...] = ()


class Subrace(_Model):
    """A subrace: the race it refines plus its own bonuses, traits and proficiencies."""

    index: str
    name: str
    race: str
    ability_bonuses: Mapping[str, int] = {}
    language_choice: Choice | None = None
    traits: tuple[str, ...] = ()
    proficiencies: Proficiencies = Proficiencies()
    proficiency_choices: tuple[Choice, ...] = ()


class DraconicAncestry(_Model):
    """A dragonborn ancestry: damage type and breath weapon shape and save."""

    index: str
    name: str
    damage_type: str
    area: Area
    save: str
    damage_at_character_level: Mapping[int, str] = {}


class ClassLevel(_Model):
    """One row of a class table."""

    level: int
    prof_bonus: int
    ability_score_bonuses: int = 0
    features: tuple[str, ...] = ()
    spell_slots: tuple[int, ...] = ()  # slots of spell levels 1..9 (empty for non-casters)
    cantrips_known: int | None = None
    spells_known: int | None = None
    class_specific: Mapping[str, Any] = {}  # e.g. rage_count, sneak_attack {dice_count, dice_value}


class Multiclassing(_Model):
    """SRD "Multiclassing": the scores a character needs for the class, what a second class teaches."""

    requires: Mapping[str, int] = {}
    requires_any: bool = False  # fighter: one of the scores suffices
    proficiencies: Proficiencies = Proficiencies()
    skill_choose: int = 0
    skill_options: tuple[str, ...] = ()


class FeatureOption(_Model):
    """One option of a feature that asks for a choice; invocations carry their prerequisites."""

    index: str
    name: str
    level: int = 1
    feature: str | None = None  # an invocation's pact boon (feature index)
    spell: str | None = None  # an invocation's cantrip


class FeatureChoice(_Model):
    """A class feature that asks the player to choose (fighting style, expertise, favoured enemy...)."""

    index: str  # the feature's SRD index, e.g. "fighter-fighting-style"
    name: str
    class_index: str
    subclass: str | None = None
    level: int
    choose: int  # 0 for invocations: the class table's invocations_known says how many
    options: tuple[FeatureOption, ...] = ()


class CharacterClass(_Model):
    """A class: hit die, saves, proficiencies, spellcasting, equipment and its 20 levels."""

    index: str
    name: str
    hit_die: int
    saving_throws: tuple[str, ...]
    proficiencies: Proficiencies = Proficiencies()
    skill_choice: SkillChoice | None = None
    proficiency_choices: tuple[Choice, ...] = ()
    spellcasting_ability: str | None = None
    spellcasting_level: int | None = None
    starting_equipment: tuple[ItemCount, ...] = ()
    starting_equipment_options: tuple[Choice, ...] = ()
    levels: tuple[ClassLevel, ...]
    subclasses: tuple[str, ...] = ()
    multiclassing: Multiclassing = Multiclassing()

    def level(self, level: int) -> ClassLevel:
        """The class table row for ``level`` (1..20)."""
        _check_level(level)
        return self.levels[level - 1]


class SubclassLevel(_Model):
    """Subclass feature names gained at one class level."""

    level: int
    features: tuple[str, ...] = ()


class SubclassSpell(_Model):
    """A domain, oath, circle or patron spell: granted from a class level (a land druid's by terrain feature)."""

    spell: str
    level: int
    feature: str | None = None


class Subclass(_Model):
    """A subclass (the SRD has one per class), its features by level and the spells it grants."""

    index: str
    name: str
    class_index: str
    flavor: str
    features: tuple[SubclassLevel, ...] = ()
    spells: tuple[SubclassSpell, ...] = ()


class Background(_Model):
    """A background: proficiencies, languages, starting equipment and gold, feature name."""

    index: str
    name: str
    skill_proficiencies: tuple[str, ...] = ()
    tool_proficiencies: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    language_choice: Choice | None = None
    starting_equipment: tuple[ItemCount, ...] = ()
    starting_equipment_options: tuple[Choice, ...] = ()
    starting_gold: Cost | None = None
    feature: str


# --- Equipment ---------------------------------------------------------------------------------------


class Weapon(_Model):
    """A weapon: category, dice, damage type, property slugs, ranges in feet, price, weight."""

    index: str
    name: str
    category: Literal["simple", "martial"]
    range_type: Literal["melee", "ranged"]
    damage_dice: str | None = None  # None for the net
    damage_type: str | None = None
    two_handed_dice: str | None = None  # versatile damage
    properties: tuple[str, ...] = ()
    range_normal: int
    range_long: int | None = None
    throw_normal: int | None = None
    throw_long: int | None = None
    cost: Cost | None = None
    weight: float | None = None

    def has(self, prop: str) -> bool:
        """Whether the weapon has a property slug such as ``"finesse"``."""
        return prop in self.properties


class Armor(_Model):
    """Armour or a shield: AC formula, strength requirement, stealth penalty."""

    index: str
    name: str
    category: Literal["light", "medium", "heavy", "shield"]
    base_ac: int
    dex_bonus: bool
    max_dex_bonus: int | None = None
    str_minimum: int = 0
    stealth_disadvantage: bool = False
    cost: Cost | None = None
    weight: float | None = None

    def ac(self, dex_modifier: int) -> int:
        """AC this armour gives (for a shield: the bonus) with the wearer's Dex modifier."""
        if not self.dex_bonus:
            return self.base_ac
        bonus = dex_modifier if self.max_dex_bonus is None else min(dex_modifier, self.max_dex_bonus)
        return self.base_ac + bonus


class Speed(_Model):
    """A vehicle or mount speed."""

    quantity: float
    unit: str


class Gear(_Model):
    """Any other equipment: adventuring gear, tools, mounts and vehicles, packs."""

    index: str
    name: str
    category: str
    subcategory: str | None = None
    cost: Cost | None = None
    weight: float | None = None
    quantity: int | None = None  # bundle size, e.g. 20 arrows
    contents: tuple[ItemCount, ...] = ()
    speed: Speed | None = None
    capacity: str | None = None


Item = Weapon | Armor | Gear


class MagicBonus(_Model):
    """A magic item's plain numbers, derived from its SRD text: bonuses to AC, saves, checks, attack and damage,
    and ability scores it sets (a score lower than the item's becomes it). ``needs``: what the bonus asks of its
    wearer: the item equipped as armour or a weapon, or no armour and no shield (Bracers of Defense)."""

    ac: int = 0
    saves: int = 0
    checks: int = 0
    attack: int = 0
    damage: int = 0
    scores: Mapping[str, int] = {}
    needs: Literal["armor", "weapon", "unarmored"] | None = None


class MagicItem(_Model):
    """A magic item: rarity, category, attunement, variant links, and its numbers where the SRD gives plain ones."""

    index: str
    name: str
    rarity: str
    category: str
    attunement: bool = False
    variant: bool = False
    variants: tuple[str, ...] = ()
    bonus: MagicBonus | None = None


# --- Conditions ----------------------------------------------------------------------------------------

RollMod = Literal["advantage", "disadvantage"]


class ConditionEffects(_Model):
    """Mechanical effects of a condition, in a fixed schema the rules engine can apply.

    ``attack``/``ability_check`` modify the affected creature's own rolls; ``attacked_by``
    modifies attack rolls against it (``_within_5ft``/``_beyond_5ft`` for prone).
    """

    attack: RollMod | None = None
    ability_check: RollMod | None = None
    attacked_by: RollMod | None = None
    attacked_by_within_5ft: RollMod | None = None
    attacked_by_beyond_5ft: RollMod | None = None
    auto_fail_saves: tuple[str, ...] = ()
    save_disadvantage: tuple[str, ...] = ()
    auto_fail_checks: tuple[str, ...] = ()  # checks needing "sight" / "hearing"
    speed_zero: bool = False
    crit_within_5ft: bool = False
    incapacitated: bool = False
    cannot_speak: bool = False
    crawl_only: bool = False
    resist_all_damage: bool = False
    immune: tuple[str, ...] = ()
    implies: tuple[str, ...] = ()
    cannot_attack_source: bool = False
    source_social_advantage: bool = False
    while_source_visible: bool = False
    cannot_approach_source: bool = False
    note: str | None = None
    levels: tuple[str, ...] = ()  # exhaustion levels 1..6


class Condition(_Model):
    """A condition and its effects."""

    index: str
    name: str
    effects: ConditionEffects


# --- Monsters ------------------------------------------------------------------------------------------


class ArmorClass(_Model):
    """One AC entry: value and source (natural, dex, armor, spell, condition)."""

    value: int
    type: str
    armor: tuple[str, ...] = ()
    spell: str | None = None
    condition: str | None = None


class SaveDC(_Model):
    """A saving throw a monster forces: ability, DC, and what a success does (none/half/other)."""

    ability: str
    value: int
    success: str


class DamageRoll(_Model):
    """Damage dice (with modifier) and type; some rolls carry their own save."""

    dice: str
    type: str
    dc: SaveDC | None = None


class Usage(_Model):
    """Limited use: 'per day' (times), 'recharge on roll' (dice, min_value), 'recharge after rest'."""

    type: str
    times: int | None = None
    dice: str | None = None
    min_value: int | None = None
    rest_types: tuple[str, ...] = ()


class MultiattackStep(_Model):
    """Part of a multiattack routine; ``count`` None means variable (a hydra's heads)."""

    action: str
    count: int | None = None
    type: str


class ActionOption(_Model):
    """An alternative inside one action (a dragon's breath weapons, a sphinx's roars)."""

    name: str
    dc: SaveDC | None = None
    damage: tuple[DamageRoll, ...] = ()


class MonsterAction(_Model):
    """A monster action's numbers (no prose)."""

    name: str
    attack_bonus: int | None = None
    damage: tuple[DamageRoll, ...] = ()
    damage_one_of: tuple[DamageRoll, ...] = ()  # the attacker picks one of these
    dc: SaveDC | None = None
    usage: Usage | None = None
    multiattack: bool = False
    multiattack_count: int | None = None  # most weapon attacks any routine makes
    multiattack_options: tuple[tuple[MultiattackStep, ...], ...] = ()
    options: tuple[ActionOption, ...] = ()


class LegendaryAction(_Model):
    """A legendary action: what it costs of the monster's points, the monster's own actions it makes (a
    dragon's Tail Attack: its Tail), and its own save and damage (a dragon's Wing Attack)."""

    name: str
    cost: int = 1
    uses: tuple[str, ...] = ()
    dc: SaveDC | None = None
    damage: tuple[DamageRoll, ...] = ()


class Regeneration(_Model):
    """Hit points regained at the start of its turn; damage types that stop it for the next turn."""

    hp: int
    stopped_by: tuple[str, ...] = ()
    needs_hp: bool = False  # only with at least 1 hit point
    not_in_sunlight: bool = False


class QualifiedDamage(_Model):
    """A conditional resistance/immunity, e.g. b/p/s from nonmagical weapons that aren't silvered.

    ``qualifier`` is one of nonmagical, nonmagical-non-silvered, nonmagical-non-adamantine,
    magic-weapons-wielded-by-good, spells; empty ``types`` means all damage (spells).
    """

    types: tuple[str, ...] = ()
    qualifier: str


class MonsterSpellcasting(_Model):
    """A stat block's spellcasting: DC, attack bonus, slots by spell level (a Mage's), the spells it has,
    and innate spells' uses per day (0: at will)."""

    ability: str
    dc: int | None = None
    attack_bonus: int | None = None
    level: int | None = None
    slots: Mapping[int, int] = {}
    spells: tuple[str, ...] = ()
    uses_per_day: Mapping[str, int] = {}


class Monster(_Model):
    """A monster stat block's facts.  The SRD JSON has no environment data."""

    index: str
    name: str
    size: str
    type: str
    subtype: str | None = None
    alignment: str
    cr: float
    xp: int
    armor_class: tuple[ArmorClass, ...]
    hp: int
    hit_dice: str
    hp_roll: str
    speed: Mapping[str, int] = {}
    hover: bool = False
    abilities: Mapping[str, int]
    saving_throws: Mapping[str, int] = {}
    skills: Mapping[str, int] = {}
    damage_vulnerabilities: tuple[str, ...] = ()
    damage_resistances: tuple[str, ...] = ()
    damage_immunities: tuple[str, ...] = ()
    damage_vulnerabilities_special: tuple[QualifiedDamage, ...] = ()
    damage_resistances_special: tuple[QualifiedDamage, ...] = ()
    damage_immunities_special: tuple[QualifiedDamage, ...] = ()
    condition_immunities: tuple[str, ...] = ()
    senses: Mapping[str, int] = {}
    languages: str = ""
    proficiency_bonus: int
    special_abilities: tuple[str, ...] = ()
    actions: tuple[MonsterAction, ...] = ()
    reactions: tuple[str, ...] = ()
    legendary_actions: tuple[str, ...] = ()
    legendary: tuple[LegendaryAction, ...] = ()
    legendary_per_round: int = 0
    legendary_resistance: int = 0  # uses per day
    regeneration: Regeneration | None = None
    parry: int = 0  # Parry: AC added against one melee hit
    spellcasting: MonsterSpellcasting | None = None

    @property
    def ac(self) -> int:
        """The stat block's headline AC (the first entry)."""
        return self.armor_class[0].value

    def modifier(self, ability: str) -> int:
        """Ability modifier, e.g. ``modifier("dex")``."""
        return (self.abilities[ability] - 10) // 2

    def action(self, name: str) -> MonsterAction:
        """An action by case-insensitive name."""
        for act in self.actions:
            if act.name.casefold() == name.casefold():
                return act
        raise KeyError(f"{self.name} has no action {name!r}")


# --- Spells -------------------------------------------------------------------------------------------


class SpellSave(_Model):
    """The save a spell calls for and what a success does (none/half/other)."""

    ability: str
    success: str


Automation = Literal["full", "partial", "noted"]
# full: the engine computes everything from the data (damage, healing, save, attack, conditions);
# partial: the slot is spent and the dice rolled, the effect described for the DM to apply;
# noted: utility; the slot is spent, the duration and concentration tracked.


class MaterialCost(_Model):
    """The gold value a material component names, and whether the spell consumes it."""

    gp: int
    consumed: bool = False


class Spell(_Model):
    """A spell's mechanics; damage and healing keyed by slot level or character level."""

    index: str
    name: str
    level: int
    school: str
    classes: tuple[str, ...] = ()
    subclasses: tuple[str, ...] = ()
    range: str
    components: tuple[Literal["V", "S", "M"], ...] = ()
    ritual: bool = False
    concentration: bool = False
    casting_time: str
    duration: str
    attack_type: Literal["melee", "ranged"] | None = None
    damage_type: str | None = None
    damage_at_slot_level: Mapping[int, str] = {}
    damage_at_character_level: Mapping[int, str] = {}
    save: SpellSave | None = None
    area: Area | None = None
    heal_at_slot_level: Mapping[int, str] = {}
    conditions: tuple[str, ...] = ()  # condition indexes the spell imposes
    material_cost: MaterialCost | None = None
    automation: Automation

    def damage_at(self, *, slot_level: int | None = None, character_level: int | None = None) -> str | None:
        """Damage dice at a slot level (leveled spells) or caster level (cantrips), if any."""
        if self.damage_at_character_level and character_level is not None:
            return _step_lookup(self.damage_at_character_level, character_level)
        if self.damage_at_slot_level:
            return _step_lookup(self.damage_at_slot_level, slot_level or self.level)
        return None


# --- Tables ------------------------------------------------------------------------------------------


class EncounterThreshold(_Model):
    """XP thresholds for one character (or, summed, a party)."""

    level: int
    easy: int
    medium: int
    hard: int
    deadly: int


class MultiplierBand(_Model):
    """Encounter multiplier for a range of monster counts (``max`` None: and up)."""

    min: int
    max: int | None = None
    multiplier: float


class Tables(_Model):
    """Level, CR and encounter-building tables."""

    proficiency_bonus_by_level: tuple[int, ...]
    xp_by_level: tuple[int, ...]
    xp_by_cr: Mapping[str, int]
    encounter_thresholds: tuple[EncounterThreshold, ...]
    encounter_multipliers: tuple[MultiplierBand, ...]
    multiplier_ladder: tuple[float, ...]


class Meta(_Model):
    """Provenance of the data set."""

    schema_version: int
    source: str
    attribution: str
    hand_written: tuple[str, ...] = ()
    errata: tuple[str, ...] = ()


class RuleSection(_Model):
    """One section of an SRD rules chapter (Combat, Spellcasting ...), with its subheadings (names only)."""

    index: str
    name: str
    chapter: str
    headings: tuple[str, ...] = ()


class SRDData(_Model):
    """The whole derived file, as validated."""

    meta: Meta
    ability_scores: tuple[AbilityScore, ...]
    alignments: tuple[Alignment, ...]
    skills: tuple[Skill, ...]
    languages: tuple[Language, ...]
    damage_types: tuple[NamedEntry, ...]
    magic_schools: tuple[NamedEntry, ...]
    weapon_properties: tuple[NamedEntry, ...]
    feats: tuple[Feat, ...]
    proficiencies: tuple[Proficiency, ...]
    races: tuple[Race, ...]
    subraces: tuple[Subrace, ...]
    draconic_ancestries: tuple[DraconicAncestry, ...]
    classes: tuple[CharacterClass, ...]
    subclasses: tuple[Subclass, ...]
    feature_options: tuple[FeatureChoice, ...] = ()
    backgrounds: tuple[Background, ...]
    weapons: tuple[Weapon, ...]
    armor: tuple[Armor, ...]
    gear: tuple[Gear, ...]
    equipment_categories: tuple[EquipmentCategory, ...]
    magic_items: tuple[MagicItem, ...]
    conditions: tuple[Condition, ...]
    rules: tuple[RuleSection, ...] = ()
    monsters: tuple[Monster, ...]
    spells: tuple[Spell, ...]
    tables: Tables


# --- Helpers -----------------------------------------------------------------------------------------


def _check_level(level: int) -> None:
    """Character levels run 1..20."""
    if not 1 <= level <= MAX_LEVEL:
        raise ValueError(f"level must be 1..{MAX_LEVEL}, got {level}")


def _step_lookup(table: Mapping[int, str], at: int) -> str | None:
    """Value for the highest key <= ``at`` (cantrip damage steps up at 5/11/17)."""
    keys = [k for k in sorted(table) if k <= at]
    return table[keys[-1]] if keys else None


_FRACTIONS = {"1/8": 0.125, "1/4": 0.25, "1/2": 0.5}


def parse_cr(cr: float | str) -> float:
    """Accept 0.25, 1, '1/4' or '2' and return the CR as a float."""
    if isinstance(cr, str):
        text = cr.strip()
        return _FRACTIONS[text] if text in _FRACTIONS else float(text)
    return float(cr)


def cr_label(cr: float | str) -> str:
    """The printed form of a CR: 0.25 -> '1/4', 3.0 -> '3'."""
    value = parse_cr(cr)
    for label, frac in _FRACTIONS.items():
        if value == frac:
            return label
    if value != int(value):
        raise KeyError(f"not a challenge rating: {cr!r}")
    return str(int(value))


class _Named(Protocol):
    """Anything with an index slug and a display name."""

    @property
    def index(self) -> str: ...

    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=_Named)


class Lookup(Generic[T]):
    """Index/name lookup and autocomplete over one kind of SRD entry."""

    def __init__(self, kind: str, rows: Iterable[T]) -> None:
        self.kind = kind
        self._rows: tuple[T, ...] = tuple(rows)
        self._by_key: dict[str, T] = {}
        for row in self._rows:
            self._by_key.setdefault(row.name.casefold(), row)
        for row in self._rows:  # an index wins over a clashing name
            self._by_key[row.index] = row

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) is not None

    def __iter__(self) -> Iterator[T]:
        return iter(self._rows)

    def all(self) -> tuple[T, ...]:
        """Every entry, in index order."""
        return self._rows

    def all_indexes(self) -> list[str]:
        """Every entry's index, in order."""
        return [row.index for row in self._rows]

    def _find(self, key: str) -> T | None:
        text = key.strip()
        folded = text.casefold()
        slug = "-".join(folded.split())
        return self._by_key.get(text) or self._by_key.get(folded) or self._by_key.get(slug)

    def get(self, key: str) -> T:
        """Entry by index or case-insensitive name; ``KeyError`` if there is none."""
        found = self._find(key)
        if found is None:
            raise KeyError(f"unknown {self.kind}: {key!r}")
        return found

    def search(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """(index, name) pairs: name prefix matches first, then substring matches, each by name."""
        needle = text.strip().casefold()
        rows = sorted(self._rows, key=lambda r: r.name.casefold())
        prefix = [r for r in rows if r.name.casefold().startswith(needle)]
        inner = [r for r in rows if needle in r.name.casefold() and not r.name.casefold().startswith(needle)]
        return [(r.index, r.name) for r in (prefix + inner)[: max(limit, 0)]]


SearchKind = Literal[
    "ability_score",
    "skill",
    "language",
    "race",
    "subrace",
    "class",
    "subclass",
    "background",
    "weapon",
    "armor",
    "gear",
    "item",
    "magic_item",
    "condition",
    "monster",
    "spell",
    "feat",
    "damage_type",
    "weapon_property",
    "equipment_category",
    "rule",
]


class SRD:
    """The SRD 5.1 facts with lookups; build it through ``load_srd()``."""

    def __init__(self, data: SRDData) -> None:
        self.data = data
        d = data
        items: list[Item] = [*d.weapons, *d.armor, *d.gear]
        self._lookups: dict[str, Lookup[Any]] = {
            "ability_score": Lookup("ability score", d.ability_scores),
            "skill": Lookup("skill", d.skills),
            "language": Lookup("language", d.languages),
            "race": Lookup("race", d.races),
            "subrace": Lookup("subrace", d.subraces),
            "class": Lookup("class", d.classes),
            "subclass": Lookup("subclass", d.subclasses),
            "background": Lookup("background", d.backgrounds),
            "weapon": Lookup("weapon", d.weapons),
            "armor": Lookup("armor", d.armor),
            "gear": Lookup("gear", d.gear),
            "item": Lookup("item", sorted(items, key=lambda i: i.index)),
            "magic_item": Lookup("magic item", d.magic_items),
            "condition": Lookup("condition", d.conditions),
            "monster": Lookup("monster", d.monsters),
            "spell": Lookup("spell", d.spells),
            "feat": Lookup("feat", d.feats),
            "damage_type": Lookup("damage type", d.damage_types),
            "weapon_property": Lookup("weapon property", d.weapon_properties),
            "equipment_category": Lookup("equipment category", d.equipment_categories),
            "proficiency": Lookup("proficiency", d.proficiencies),
            "draconic_ancestry": Lookup("draconic ancestry", d.draconic_ancestries),
            "rule": Lookup("rule", d.rules),
        }
        self._by_cr: dict[float, tuple[Monster, ...]] = {}
        for monster in d.monsters:
            self._by_cr[monster.cr] = (*self._by_cr.get(monster.cr, ()), monster)

    def lookup(self, kind: SearchKind | Literal["proficiency", "draconic_ancestry"]) -> Lookup[Any]:
        """The ``Lookup`` for one kind (for listing or iterating)."""
        try:
            return self._lookups[kind]
        except KeyError:
            raise ValueError(f"unknown SRD kind: {kind!r}") from None

    # Typed single-entry lookups -----------------------------------------------------------------

    def ability_score(self, key: str) -> AbilityScore:
        """An ability score by index (``"dex"``), abbreviation name (``"DEX"``)."""
        result: AbilityScore = self._lookups["ability_score"].get(key)
        return result

    def skill(self, key: str) -> Skill:
        """A skill by index or name."""
        result: Skill = self._lookups["skill"].get(key)
        return result

    def language(self, key: str) -> Language:
        """A language by index or name."""
        result: Language = self._lookups["language"].get(key)
        return result

    def race(self, key: str) -> Race:
        """A race by index or name."""
        result: Race = self._lookups["race"].get(key)
        return result

    def subrace(self, key: str) -> Subrace:
        """A subrace by index or name."""
        result: Subrace = self._lookups["subrace"].get(key)
        return result

    def klass(self, key: str) -> CharacterClass:
        """A class by index or name (``class`` is a keyword, hence ``klass``)."""
        result: CharacterClass = self._lookups["class"].get(key)
        return result

    def subclass(self, key: str) -> Subclass:
        """A subclass by index or name."""
        result: Subclass = self._lookups["subclass"].get(key)
        return result

    def background(self, key: str) -> Background:
        """A background by index or name."""
        result: Background = self._lookups["background"].get(key)
        return result

    def weapon(self, key: str) -> Weapon:
        """A weapon by index or name."""
        result: Weapon = self._lookups["weapon"].get(key)
        return result

    def armor(self, key: str) -> Armor:
        """Armour or a shield by index or name."""
        result: Armor = self._lookups["armor"].get(key)
        return result

    def item(self, key: str) -> Item:
        """Any mundane equipment (weapon, armour or gear) by index or name."""
        result: Item = self._lookups["item"].get(key)
        return result

    def magic_item(self, key: str) -> MagicItem:
        """A magic item by index or name."""
        result: MagicItem = self._lookups["magic_item"].get(key)
        return result

    def condition(self, key: str) -> Condition:
        """A condition by index or name."""
        result: Condition = self._lookups["condition"].get(key)
        return result

    def monster(self, key: str) -> Monster:
        """A monster by index or name."""
        result: Monster = self._lookups["monster"].get(key)
        return result

    def spell(self, key: str) -> Spell:
        """A spell by index or name."""
        result: Spell = self._lookups["spell"].get(key)
        return result

    def feat(self, key: str) -> Feat:
        """A feat by index or name."""
        result: Feat = self._lookups["feat"].get(key)
        return result

    def proficiency(self, key: str) -> Proficiency:
        """A proficiency slug (``"longswords"``) with what it refers to."""
        result: Proficiency = self._lookups["proficiency"].get(key)
        return result

    def equipment_category(self, key: str) -> EquipmentCategory:
        """An equipment category (``"martial-weapons"``) with its items."""
        result: EquipmentCategory = self._lookups["equipment_category"].get(key)
        return result

    def draconic_ancestry(self, key: str) -> DraconicAncestry:
        """A dragonborn ancestry by index (``"draconic-ancestry-red"``) or name."""
        result: DraconicAncestry = self._lookups["draconic_ancestry"].get(key)
        return result

    def search(self, kind: SearchKind, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """Autocomplete: (index, name) pairs, name-prefix matches first, then substrings."""
        return self.lookup(kind).search(text, limit)

    def with_spells(self, extra: Iterable[Spell]) -> SRD:
        """This SRD with more spells (a campaign's homebrew): found, listed by class and offered like its own."""
        rows = tuple(extra)
        if not rows:
            return self
        view = copy.copy(self)
        view._lookups = {**self._lookups, "spell": Lookup("spell", [*self.data.spells, *rows])}
        return view

    def with_feats(self, extra: Iterable[Feat]) -> SRD:
        """This SRD with more feats (a server's or campaign's homebrew), offered at an ASI like Grappler."""
        rows = tuple(extra)
        if not rows:
            return self
        view = copy.copy(self)
        view._lookups = {**self._lookups, "feat": Lookup("feat", [*self.data.feats, *rows])}
        return view

    def feats(self) -> tuple[Feat, ...]:
        """Every feat: the SRD's one (Grappler) and any homebrew ones (`with_feats`)."""
        feats: Lookup[Feat] = self._lookups["feat"]
        return feats.all()

    # Lists ----------------------------------------------------------------------------------------

    def spells_for_class(self, class_key: str, level: int | None = None) -> tuple[Spell, ...]:
        """Spells on a class's list, optionally only of one spell level (homebrew ones too, `with_spells`)."""
        index = self.klass(class_key).index
        spells: Lookup[Spell] = self._lookups["spell"]
        return tuple(s for s in spells if index in s.classes and (level is None or s.level == level))

    def monsters_by_cr(self, cr: float | str) -> tuple[Monster, ...]:
        """Monsters of exactly this CR (``0.25`` or ``"1/4"``), in index order."""
        return self._by_cr.get(parse_cr(cr), ())

    # Tables ---------------------------------------------------------------------------------------

    def proficiency_bonus(self, level: int) -> int:
        """Proficiency bonus at a character level (1..20)."""
        _check_level(level)
        return self.data.tables.proficiency_bonus_by_level[level - 1]

    def xp_for_level(self, level: int) -> int:
        """XP needed to reach a character level (1..20)."""
        _check_level(level)
        return self.data.tables.xp_by_level[level - 1]

    def level_for_xp(self, xp: int) -> int:
        """The character level an XP total earns."""
        if xp < 0:
            raise ValueError(f"xp must be >= 0, got {xp}")
        return bisect.bisect_right(self.data.tables.xp_by_level, xp)

    def xp_for_cr(self, cr: float | str) -> int:
        """XP a monster of this CR is worth (CR 0: 10); ``KeyError`` for a CR not in the table."""
        label = cr_label(cr)
        try:
            return self.data.tables.xp_by_cr[label]
        except KeyError:
            raise KeyError(f"unknown challenge rating: {cr!r}") from None

    def spell_slots(self, class_key: str, level: int) -> tuple[int, ...]:
        """Slots of spell levels 1..9 for a single-class character (all zeros for non-casters)."""
        row = self.klass(class_key).level(level)
        return row.spell_slots or (0,) * 9

    def encounter_thresholds(self, level: int) -> EncounterThreshold:
        """Easy/medium/hard/deadly XP thresholds for one character of this level."""
        _check_level(level)
        return self.data.tables.encounter_thresholds[level - 1]

    def party_thresholds(self, levels: Iterable[int]) -> EncounterThreshold:
        """Thresholds summed over a party (``level`` is the party size)."""
        rows = [self.encounter_thresholds(lv) for lv in levels]
        return EncounterThreshold(
            level=len(rows),
            easy=sum(r.easy for r in rows),
            medium=sum(r.medium for r in rows),
            hard=sum(r.hard for r in rows),
            deadly=sum(r.deadly for r in rows),
        )

    def encounter_multiplier(self, monster_count: int, party_size: int = 4) -> float:
        """XP multiplier for a number of monsters, shifted one step for parties <3 or >=6."""
        if monster_count < 1:
            raise ValueError(f"monster_count must be >= 1, got {monster_count}")
        tables = self.data.tables
        base = next(
            b.multiplier
            for b in tables.encounter_multipliers
            if b.min <= monster_count and (b.max is None or monster_count <= b.max)
        )
        ladder = tables.multiplier_ladder
        step = ladder.index(base) + (1 if party_size < 3 else -1 if party_size >= 6 else 0)
        return ladder[step]


def _read_text(name: str) -> str:
    """Package data read through importlib.resources, so it works from a wheel too."""
    return resources.files(__package__ or "bot.data").joinpath(name).read_text(encoding="utf-8")


@functools.cache
def load_srd() -> SRD:
    """Parse and validate the shipped data once; later calls return the same object."""
    return SRD(SRDData.model_validate_json(_read_text(DATA_FILE)))
