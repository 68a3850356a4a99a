"""Class features in a fight: the attack action's economy (Extra Attack, Action Surge, Flurry of Blows), what a
character's features add to its attacks (Rage, Sneak Attack once a turn, Improved Critical, Divine Smite,
Martial Arts), Wild Shape's beast, and Dark One's Blessing on a kill.

What each combatant did in the fight's current turn is kept on the combat row (`combats.turn_state`), keyed by
the turn, so a new turn starts afresh without a write: the attacks it made, the actions it has (Action Surge
adds one), the bonus attacks a feature gave (Flurry of Blows), and whether its Sneak Attack is spent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.data.srd import DamageRoll, Weapon
from bot.engine import effects
from bot.engine.class_levels import level_in
from bot.engine.combat.fight import Creature, Fight, character_id
from bot.engine.combat.results import DamageReport
from bot.engine.dice import Advantage
from bot.engine.features import rules as powers
from bot.engine.sheet import AttackLine, Sheet, to_sheet, write_back
from bot.engine.wording import counted
from bot.errors import InvalidInput
from persistence.models import Combatant

UNARMED = "unarmed-strike"


# --- The turn's economy ----------------------------------------------------------------------------------


def turn(fight: Fight, row: Combatant) -> dict[str, Any]:
    """What the combatant has done in the fight's current turn (a fresh turn when the stored one is older)."""
    stored = fight.combat.turn_state or {}
    mine = stored.get(str(row.id)) if stored.get("key") == list(fight.turn_key()) else None
    return dict(mine) if isinstance(mine, dict) else {"attacks": 0, "actions": 1, "bonus": 0, "sneak": False}


def put_turn(fight: Fight, row: Combatant, state: dict[str, Any]) -> None:
    """Kept on the combat row, which every change of a fight writes anyway (its version): no statement more."""
    key = list(fight.turn_key())
    stored = fight.combat.turn_state or {}
    others = {k: v for k, v in stored.items() if k != "key"} if stored.get("key") == key else {}
    fight.combat.turn_state = {**others, "key": key, str(row.id): state}


def allowed(sheet: Sheet, state: dict[str, Any]) -> int:
    return powers.attacks_per_action(sheet) * int(state["actions"]) + int(state["bonus"])


def count_attack(fight: Fight, row: Combatant, sheet: Sheet, *, limited: bool) -> str | None:
    """One attack of the attack action on the character's turn: refused past what its actions give (the DM,
    `limited=False`, is not held); the note says which attack of the turn it was when it has several."""
    state = turn(fight, row)
    most = allowed(sheet, state)
    if limited and state["attacks"] >= most:
        surge = (
            " `/feature use name:Action Surge` gives another action."
            if sheet.class_index == "fighter" and sheet.level >= 2
            else ""
        )
        raise InvalidInput(
            f"{sheet.name} has made {counted(most, 'attack')} this turn, all the attack action gives.{surge} "
            "End the turn with `/combat next`."
        )
    state["attacks"] = int(state["attacks"]) + 1
    put_turn(fight, row, state)
    if most <= 1:
        return None
    return f"Attack {state['attacks']} of {most} this turn"


# --- What features add to one attack ---------------------------------------------------------------------


@dataclass(frozen=True)
class Strike:
    """A character's features on one attack: crits from `crit_from`, extra damage on a hit (each named for
    the embed), the Sneak Attack it may add, and notes."""

    crit_from: int = 20
    on_hit: tuple[tuple[str, DamageRoll], ...] = ()
    sneak: DamageRoll | None = None
    ally: bool = False  # another character stands in the fight (the engine has no map: an ally is near)
    notes: tuple[str, ...] = field(default_factory=tuple)
    smite: int = 0  # a Divine Smite's slot level, spent on a hit


def strike(
    fight: Fight,
    row: Combatant,
    sheet: Sheet,
    line: AttackLine,
    weapon: Weapon | None,
    *,
    melee: bool,
    own_effects: tuple[Any, ...],
    smite: int = 0,
    target_type: str | None = None,
    target_hurt: bool = False,
) -> Strike:
    """The features on this attack (a Divine Smite is refused now if its slot is missing, spent on a hit)."""
    kind = line.damage.partition(" ")[2] or "bludgeoning"
    on_hit: list[tuple[str, DamageRoll]] = []
    notes: list[str] = []
    if powers.raging(list(own_effects)) and melee and line.ability == "str":
        bonus = powers.rage_damage(sheet)
        on_hit.append((f"Rage +{bonus}", DamageRoll(dice=str(bonus), type=kind)))
    if smite:
        spend_slot(sheet, smite)  # refused now when the slot is missing
        if not melee:
            raise InvalidInput("Divine Smite goes with a melee weapon attack.")
        smite_dice = powers.smite_dice(smite, target_type)
        against = " (undead or fiend: +1d8)" if target_type in powers.UNDEAD_AND_FIENDS else ""
        name = f"Divine Smite {smite_dice} radiant{against}, a level-{smite} slot"
        on_hit.append((name, DamageRoll(dice=smite_dice, type="radiant")))
    if (
        target_hurt
        and sheet.subclass == "hunter"
        and level_in(sheet, "ranger") >= 3
        and not turn(fight, row).get("colossus")
    ):
        on_hit.append(("Colossus Slayer 1d8", DamageRoll(dice="1d8", type=kind)))  # once a turn, on a hurt foe
    sneak = None
    finesse_or_ranged = weapon is not None and (weapon.has("finesse") or weapon.range_type == "ranged")
    dice = powers.sneak_attack_dice(sheet)
    if dice and finesse_or_ranged and not turn(fight, row)["sneak"]:
        sneak = DamageRoll(dice=dice, type=kind)
    ally = any(r.kind == "character" and r is not row and fight.alive(r) for r in fight.rows)
    return Strike(powers.crit_from(sheet), tuple(on_hit), sneak, ally, tuple(notes), smite)


def sneak_applies(strike: Strike, advantage: Advantage) -> bool:
    """Sneak Attack: with advantage, or with an ally in the fight and no disadvantage."""
    if strike.sneak is None:
        return False
    return advantage is Advantage.ADVANTAGE or (strike.ally and advantage is Advantage.NONE)


def spend_sneak(fight: Fight, row: Combatant) -> None:
    state = turn(fight, row)
    state["sneak"] = True
    put_turn(fight, row, state)


def spend_slot(sheet: Sheet, level: int) -> Sheet:
    """A spell slot of `level` spent (Divine Smite); refused when none is left."""
    if sheet.class_index != "paladin" or sheet.level < 2:
        raise InvalidInput(f"{sheet.name} can't Divine Smite: it is a paladin's feature from level 2.")
    slots = list(sheet.slots_current)
    if not 1 <= level <= len(slots) or slots[level - 1] <= 0:
        have = ", ".join(f"level {i + 1}: {n}" for i, n in enumerate(slots) if n) or "none"
        raise InvalidInput(f"{sheet.name} has no level-{level} slot left for Divine Smite (slots left: {have}).")
    slots[level - 1] -= 1
    return replace(sheet, slots_current=tuple(slots))


def remember_hit(fight: Fight, row: Combatant, damage: DamageReport) -> None:
    """The last attack's damage to a character this turn: what an Uncanny Dodge halves."""
    if row.kind == "character" and damage.total:
        put_turn(fight, row, {**turn(fight, row), "hit": damage.total})


def spend_once(row: Combatant, dice: Sequence[tuple[str, str]]) -> None:
    """Bardic Inspiration's die is added to one roll, then it is gone."""
    if any(name == powers.BARDIC for name, _ in dice):
        row.effects = effects.dump(e for e in effects.load(row.effects) if e.name != powers.BARDIC)


def on_kill(fight: Fight, attacker: Creature, target: Creature, damage: DamageReport | None) -> list[str]:
    """A fiend warlock who drops a hostile creature to 0 HP gains temporary HP (Dark One's Blessing); temporary
    HP don't stack: the higher stays."""
    if damage is None or not damage.dropped or attacker.sheet is None or target.monster is None:
        return []
    gain = powers.dark_ones_blessing(attacker.sheet)
    if not gain:
        return []
    row = fight.characters[character_id(attacker.row)]
    sheet = to_sheet(row)
    write_back(row, replace(sheet, hp_temp=powers.temp_hp(sheet.hp_temp, gain)))
    return [f"Dark One's Blessing: {gain} temporary HP (now {max(sheet.hp_temp, gain)})"]
