"""What class features add to the numbers, as pure functions of a sheet (the engine applies them in
bot.engine.combat.powers and the attack path)."""

from __future__ import annotations

from bot.engine import effects, rules
from bot.engine.class_levels import level_in
from bot.engine.effects import Effect
from bot.engine.sheet import Sheet

RAGE = "Rage"
RECKLESS = "Reckless Attack"
BARDIC = "Bardic Inspiration"
RAGE_ROUNDS = 10  # a minute
PHYSICAL = ("bludgeoning", "piercing", "slashing")
EXTRA_ATTACK_CLASSES = ("barbarian", "monk", "paladin", "ranger")  # two attacks from level 5
UNDEAD_AND_FIENDS = ("undead", "fiend")


def rage_damage(sheet: Sheet) -> int:
    """+2, +3 from barbarian level 9, +4 from 16."""
    level = level_in(sheet, "barbarian")
    return 4 if level >= 16 else 3 if level >= 9 else 2


def rage_effect() -> Effect:
    """Resistance to bludgeoning, piercing and slashing, advantage on Strength checks and saves (the damage
    bonus is the attack path's: Strength melee hits only)."""
    return effects.make(RAGE, resistances=PHYSICAL, edges={"check:str": "advantage", "save:str": "advantage"})


def reckless_effect() -> Effect:
    """Advantage on the attacks of this turn, and attacks against the barbarian have advantage until its next."""
    return effects.make(RECKLESS, edges={"attack": "advantage", "attacked": "advantage"})


def raging(own: tuple[Effect, ...] | list[Effect]) -> bool:
    return any(e.key == RAGE.casefold() for e in own)


def attacks_per_action(sheet: Sheet) -> int:
    """Extra Attack: a fighter attacks twice from 5, three times from 11, four from 20; barbarians, monks,
    paladins and rangers twice from 5."""
    fighter = level_in(sheet, "fighter")
    if fighter:
        return 4 if fighter >= 20 else 3 if fighter >= 11 else 2 if fighter >= 5 else 1
    return 2 if any(level_in(sheet, k) >= 5 for k in EXTRA_ATTACK_CLASSES) else 1


def crit_from(sheet: Sheet) -> int:
    """The lowest natural roll that crits: a Champion's Improved Critical (19) and Superior Critical (18)."""
    if sheet.subclass != "champion":
        return 20
    level = level_in(sheet, "fighter")
    return 18 if level >= 15 else 19 if level >= 3 else 20


def sneak_attack_dice(sheet: Sheet) -> str | None:
    """1d6 at rogue level 1, one more d6 every odd level."""
    level = level_in(sheet, "rogue")
    return f"{(level + 1) // 2}d6" if level else None


def martial_arts_die(sheet: Sheet) -> int:
    level = level_in(sheet, "monk")
    return 10 if level >= 17 else 8 if level >= 11 else 6 if level >= 5 else 4


def smite_dice(slot_level: int, target_type: str | None) -> str:
    """Divine Smite: 2d8 radiant with a 1st-level slot, +1d8 a level above (5d8 at most), +1d8 against an
    undead or a fiend."""
    dice = min(5, 1 + slot_level) + (1 if target_type in UNDEAD_AND_FIENDS else 0)
    return f"{dice}d8"


def bardic_die(sheet: Sheet) -> int:
    level = level_in(sheet, "bard")
    return 12 if level >= 15 else 10 if level >= 10 else 8 if level >= 5 else 6


def second_wind(sheet: Sheet) -> str:
    return f"1d10+{level_in(sheet, 'fighter')}"


def dark_ones_blessing(sheet: Sheet) -> int:
    """A fiend warlock's temporary HP on a kill: Charisma modifier + warlock level (at least 1)."""
    if sheet.subclass != "fiend" or not level_in(sheet, "warlock"):
        return 0
    return max(1, rules.modifier(sheet.scores["cha"]) + level_in(sheet, "warlock"))


TURNED_ROUNDS = 10  # Turn Undead: a minute


def destroy_undead_cr(sheet: Sheet) -> float | None:
    """Destroy Undead: from cleric level 5, a turned undead of this CR or lower is destroyed."""
    level = level_in(sheet, "cleric")
    table = ((17, 4.0), (14, 3.0), (11, 2.0), (8, 1.0), (5, 0.5))
    return next((cr for at, cr in table if level >= at), None)


def evasion(sheet: Sheet) -> bool:
    return level_in(sheet, "rogue") >= 7 or level_in(sheet, "monk") >= 7


def temp_hp(current: int, gained: int) -> int:
    """Temporary hit points don't stack: the higher of the two stays."""
    return max(current, gained)
