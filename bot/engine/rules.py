"""SRD 5.1 rules as pure functions: every derived number of a character sheet is computed here.

Nothing in this module touches the database, Discord or a random source; callers pass plain values
(and SRD data objects) and get numbers back, so each rule is unit-tested against worked examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from bot.data.srd import Armor, Condition, Weapon
from bot.engine.dice import Advantage
from bot.errors import InvalidInput

ABILITIES: tuple[str, ...] = ("str", "dex", "con", "int", "wis", "cha")
ABILITY_NAMES: Mapping[str, str] = {
    "str": "Strength",
    "dex": "Dexterity",
    "con": "Constitution",
    "int": "Intelligence",
    "wis": "Wisdom",
    "cha": "Charisma",
}
STANDARD_ARRAY: tuple[int, ...] = (15, 14, 13, 12, 10, 8)
POINT_BUY_BUDGET = 27
POINT_BUY_COST: Mapping[int, int] = {8: 0, 9: 1, 10: 2, 11: 3, 12: 4, 13: 5, 14: 7, 15: 9}
ROLLED_ABILITY_EXPRESSION = "4d6kh3"  # 4d6, drop the lowest
MIN_SCORE, MAX_SCORE = 1, 30
MAX_LEVEL = 20
COIN_VALUES_CP: Mapping[str, int] = {"cp": 1, "sp": 10, "ep": 50, "gp": 100, "pp": 1000}
UNARMORED_DEFENCE: Mapping[str, str] = {"barbarian": "con", "monk": "wis"}  # class -> added ability

# Which abilities a class wants highest, to suggest an assignment the player can accept as is.
ABILITY_PRIORITY: Mapping[str, tuple[str, ...]] = {
    "barbarian": ("str", "con", "dex", "wis", "cha", "int"),
    "bard": ("cha", "dex", "con", "wis", "int", "str"),
    "cleric": ("wis", "con", "str", "dex", "cha", "int"),
    "druid": ("wis", "con", "dex", "int", "cha", "str"),
    "fighter": ("str", "con", "dex", "wis", "cha", "int"),
    "monk": ("dex", "wis", "con", "str", "int", "cha"),
    "paladin": ("str", "cha", "con", "wis", "dex", "int"),
    "ranger": ("dex", "wis", "con", "str", "int", "cha"),
    "rogue": ("dex", "con", "int", "wis", "cha", "str"),
    "sorcerer": ("cha", "con", "dex", "wis", "int", "str"),
    "warlock": ("cha", "con", "dex", "wis", "int", "str"),
    "wizard": ("int", "con", "dex", "wis", "cha", "str"),
}

RollKind = Literal["attack", "check", "save"]
Method = Literal["standard", "pointbuy", "rolled"]


# --- Abilities -------------------------------------------------------------------------------------


def modifier(score: int) -> int:
    """Ability modifier: (score - 10) / 2, rounded down (8 → -1, 15 → +2)."""
    return (score - 10) // 2


def signed(value: int) -> str:
    return f"+{value}" if value >= 0 else str(value)


def proficiency_bonus(level: int) -> int:
    """+2 at levels 1-4, rising by 1 every four levels to +6 at 17-20."""
    check_level(level)
    return 2 + (level - 1) // 4


def check_level(level: int) -> None:
    if not 1 <= level <= MAX_LEVEL:
        raise InvalidInput(f"A character's level runs from 1 to {MAX_LEVEL}; {level} is outside that.")


def final_scores(base: Mapping[str, int], bonuses: Mapping[str, int]) -> dict[str, int]:
    """Base scores plus racial (and other) bonuses; a score never passes 20 from bonuses."""
    return {a: min(max(20, base[a]), base[a] + bonuses.get(a, 0)) for a in ABILITIES}


def _require_six(scores: Mapping[str, int]) -> None:
    missing = [ABILITY_NAMES[a] for a in ABILITIES if a not in scores]
    if missing:
        raise InvalidInput(f"Give a score for every ability; missing: {', '.join(missing)}.")


def point_buy_cost(scores: Mapping[str, int]) -> int:
    """Points spent on six scores (8..15 each); 27 is the budget."""
    _require_six(scores)
    bad = [f"{ABILITY_NAMES[a]} {scores[a]}" for a in ABILITIES if scores[a] not in POINT_BUY_COST]
    if bad:
        raise InvalidInput(f"Point buy scores run from 8 to 15 before racial bonuses; not {', '.join(bad)}.")
    return sum(POINT_BUY_COST[scores[a]] for a in ABILITIES)


def validate_point_buy(scores: Mapping[str, int]) -> None:
    """At most 27 points (spending fewer is legal, if unwise)."""
    spent = point_buy_cost(scores)
    if spent > POINT_BUY_BUDGET:
        raise InvalidInput(
            f"Point buy has {POINT_BUY_BUDGET} points to spend; these scores cost {spent} "
            f"({spent - POINT_BUY_BUDGET} too many). Costs: 8→0, 9→1, 10→2, 11→3, 12→4, 13→5, 14→7, 15→9."
        )


def validate_assignment(scores: Mapping[str, int], pool: Iterable[int]) -> None:
    """Standard array or rolled scores: each value of the pool used exactly once."""
    _require_six(scores)
    if sorted(scores[a] for a in ABILITIES) != sorted(pool):
        values = ", ".join(str(v) for v in sorted(pool, reverse=True))
        raise InvalidInput(f"Assign each of {values} to one ability, each value exactly once.")


# --- Armour class ---------------------------------------------------------------------------------


def armor_class(
    *,
    dex_mod: int,
    armor: Armor | None = None,
    shield: Armor | None = None,
    unarmored_bonus: int | None = None,
) -> int:
    """AC by the SRD: worn armour's formula, else 10 + Dex (or unarmoured defence), plus a shield.

    `unarmored_bonus` is the extra ability modifier of a barbarian (Con) or monk (Wis); a monk
    loses it with a shield, which the caller expresses by passing None.
    """
    if armor is not None:
        base = armor.ac(dex_mod)
    else:
        base = 10 + dex_mod + (unarmored_bonus or 0)
    return base + (shield.base_ac if shield is not None else 0)


def unarmored_bonus(class_index: str, scores: Mapping[str, int], *, wearing_shield: bool) -> int | None:
    """The unarmoured-defence modifier a class adds, if any (monks only without a shield)."""
    ability = UNARMORED_DEFENCE.get(class_index)
    if ability is None or (class_index == "monk" and wearing_shield):
        return None
    return modifier(scores[ability])


def speed(base_speed: int, *, armor: Armor | None, strength: int) -> int:
    """Heavy armour whose Strength requirement isn't met costs 10 feet of speed."""
    if armor is not None and armor.str_minimum and strength < armor.str_minimum:
        return max(0, base_speed - 10)
    return base_speed


# --- Bonuses --------------------------------------------------------------------------------------


def skill_bonus(ability_mod: int, prof: int, *, proficient: bool, expertise: bool = False) -> int:
    """Ability modifier plus proficiency (doubled with expertise)."""
    if expertise:
        return ability_mod + 2 * prof
    return ability_mod + (prof if proficient else 0)


def save_bonus(ability_mod: int, prof: int, *, proficient: bool) -> int:
    return ability_mod + (prof if proficient else 0)


def passive_score(bonus: int, advantage: Advantage = Advantage.NONE) -> int:
    """10 + the check bonus; +5 with advantage, -5 with disadvantage (passive Perception)."""
    return 10 + bonus + {Advantage.ADVANTAGE: 5, Advantage.DISADVANTAGE: -5}.get(advantage, 0)


def spell_save_dc(ability_mod: int, prof: int) -> int:
    """SRD "Spellcasting": spell save DC = 8 + proficiency bonus + spellcasting ability modifier."""
    return 8 + prof + ability_mod


def spell_attack_bonus(ability_mod: int, prof: int) -> int:
    """SRD "Spellcasting": spell attack modifier = proficiency bonus + spellcasting ability modifier."""
    return prof + ability_mod


def initiative_bonus(dex_mod: int) -> int:
    return dex_mod


# --- Weapons --------------------------------------------------------------------------------------


def weapon_ability(weapon: Weapon, str_mod: int, dex_mod: int) -> str:
    """Str for melee, Dex for ranged; finesse uses the better of the two (thrown keeps melee's)."""
    if weapon.has("finesse"):
        return "dex" if dex_mod > str_mod else "str"
    return "dex" if weapon.range_type == "ranged" else "str"


def weapon_proficient(weapon: Weapon, proficiencies: Iterable[str], references: Mapping[str, str | None]) -> bool:
    """Proficient by category ('martial-weapons') or by the weapon's own slug ('rapiers')."""
    for slug in proficiencies:
        if slug == f"{weapon.category}-weapons" or references.get(slug) == weapon.index:
            return True
    return False


def attack_bonus(ability_mod: int, prof: int, *, proficient: bool) -> int:
    return ability_mod + (prof if proficient else 0)


def damage_expression(dice: str, ability_mod: int, *, critical: bool = False) -> str:
    """`1d8+3`; a critical hit doubles the dice, not the modifier (`2d8+3`)."""
    if critical and "d" in dice:
        count, _, size = dice.partition("d")
        dice = f"{int(count or 1) * 2}d{size}"
    if ability_mod == 0:
        return dice
    return f"{dice}{signed(ability_mod)}"


# --- Hit points -----------------------------------------------------------------------------------


def hp_first_level(hit_die: int, con_mod: int, *, per_level_bonus: int = 0) -> int:
    """Level 1: the hit die's maximum plus Con (at least 1)."""
    return max(1, hit_die + con_mod + per_level_bonus)


def hp_average_gain(hit_die: int) -> int:
    """The fixed value per level after the first: half the die plus one (d8 → 5, d10 → 6)."""
    return hit_die // 2 + 1


def hp_gain(die_value: int, con_mod: int, *, per_level_bonus: int = 0) -> int:
    """HP gained at a new level from a rolled or average die value; at least 1."""
    return max(1, die_value + con_mod + per_level_bonus)


def hp_max_average(hit_die: int, con_mod: int, level: int, *, per_level_bonus: int = 0) -> int:
    """Max HP at a level taking the average every level after the first."""
    check_level(level)
    later = (level - 1) * hp_gain(hp_average_gain(hit_die), con_mod, per_level_bonus=per_level_bonus)
    return hp_first_level(hit_die, con_mod, per_level_bonus=per_level_bonus) + later


def hit_dice_regained_on_long_rest(level: int) -> int:
    """Half the character's total hit dice (at least one)."""
    return max(1, level // 2)


def heal(current: int, maximum: int, amount: int) -> int:
    return min(maximum, max(0, current) + max(0, amount))


# --- Level and XP ---------------------------------------------------------------------------------


def level_for_xp(xp: int, thresholds: tuple[int, ...]) -> int:
    """The highest level whose XP threshold `xp` reaches."""
    return max(1, sum(1 for needed in thresholds if xp >= needed))


# --- Coins ----------------------------------------------------------------------------------------


def apply_coins(balance: Mapping[str, int], deltas: Mapping[str, int]) -> dict[str, int]:
    """Add the deltas coin by coin; no coin may go below zero (no automatic change-making)."""
    result = {coin: int(balance.get(coin, 0)) for coin in COIN_VALUES_CP}
    short = []
    for coin, delta in deltas.items():
        if coin not in COIN_VALUES_CP:
            raise InvalidInput(f"`{coin}` is not a coin; use cp, sp, ep, gp or pp.")
        result[coin] += delta
        if result[coin] < 0:
            short.append(f"{-delta} {coin} (you have {result[coin] - delta})")
    if short:
        raise InvalidInput(f"Not enough coins: can't take {', '.join(short)}.")
    return result


def coins_value_cp(coins: Mapping[str, int]) -> int:
    return sum(COIN_VALUES_CP[c] * coins.get(c, 0) for c in COIN_VALUES_CP)


# --- Death saves ----------------------------------------------------------------------------------

DeathState = Literal["dying", "stable", "dead", "revived"]


@dataclass(frozen=True)
class DeathSave:
    successes: int
    failures: int
    state: DeathState
    hp: int  # HP after the save (1 when a natural 20 revives)


def death_save(natural: int, total: int, successes: int, failures: int) -> DeathSave:
    """10+ succeeds, below fails; a natural 1 counts two failures, a natural 20 regains 1 HP.

    Three successes: stable (kept at 3 successes, so a stable creature rolls no more); three failures: dead.
    """
    if natural == 20:
        return DeathSave(0, 0, "revived", 1)
    if natural == 1:
        failures += 2
    elif total >= 10:
        successes += 1
    else:
        failures += 1
    if failures >= 3:
        return DeathSave(successes, 3, "dead", 0)
    if successes >= 3:
        return DeathSave(3, failures, "stable", 0)
    return DeathSave(successes, failures, "dying", 0)


# --- Conditions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollModifiers:
    """What conditions (and the player) do to one d20 roll."""

    advantage: Advantage
    reasons: tuple[str, ...] = ()
    auto_fail: bool = False


def condition_modifiers(
    kind: RollKind,
    conditions: Iterable[tuple[Condition, int]],
    *,
    ability: str | None = None,
    skill: str | None = None,
    stealth_disadvantage: bool = False,
    advantage: bool = False,
    disadvantage: bool = False,
) -> RollModifiers:
    """Combine the player's flags with the conditions' effects; any advantage and any disadvantage cancel.

    `conditions` pairs each SRD condition with its level (only exhaustion uses more than 1).
    """
    adv, dis = ["you asked"] if advantage else [], ["you asked"] if disadvantage else []
    auto_fail = False
    for condition, level in conditions:
        effects = condition.effects
        for mod, source in _condition_effect(kind, condition, level, ability):
            (adv if mod == "advantage" else dis).append(source)
        if kind == "save" and ability in effects.auto_fail_saves:
            auto_fail = True
    if kind == "check" and skill == "stealth" and stealth_disadvantage:
        dis.append("armour")
    return RollModifiers(Advantage.from_flags(bool(adv), bool(dis)), tuple(adv + dis), auto_fail)


def _condition_effect(kind: RollKind, condition: Condition, level: int, ability: str | None) -> list[tuple[str, str]]:
    effects, name = condition.effects, condition.name.lower()
    found: list[tuple[str, str]] = []
    if kind == "attack" and effects.attack:
        found.append((effects.attack, name))
    if kind == "check" and effects.ability_check:
        found.append((effects.ability_check, name))
    if kind == "save" and ability in effects.save_disadvantage:
        found.append(("disadvantage", name))
    if condition.index == "exhaustion":
        if kind == "check" and level >= 1:
            found.append(("disadvantage", f"exhaustion {level}"))
        if kind in ("attack", "save") and level >= 3:
            found.append(("disadvantage", f"exhaustion {level}"))
    return found


def exhaustion_speed(base: int, level: int) -> int:
    """Exhaustion 2 halves speed, 5 makes it 0."""
    if level >= 5:
        return 0
    return base // 2 if level >= 2 else base


def exhaustion_hp_max(hp_max: int, level: int) -> int:
    """Exhaustion 4 halves the hit point maximum."""
    return hp_max // 2 if level >= 4 else hp_max
