"""Saving throws in a fight (the one roll attacks, spells, concentration and the end-of-turn saves share),
and concentration: a Constitution save when the concentrating creature takes damage (DC 10 or half the
damage, whichever is higher), lost when it is incapacitated or killed; and the saves that end a spell's
hold at the end of the affected creature's turn (Hold Person).

`hurt` (hit_points.py) calls `after_damage` on every damage path of a fight; `order.py` calls
`end_of_turn_saves`; casts and the DM's conditions call `drop_incapacitated`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.engine import combat_rules as cr
from bot.engine import effects, rules
from bot.engine.casting import concentration_dc
from bot.engine.combat.fight import Creature, Fight, character_stand_in
from bot.engine.combat.results import DamageReport, SaveRoll
from bot.engine.dice import RollOutcome
from bot.engine.sheet import write_back
from bot.errors import InvalidInput
from persistence.models import Character, Combat, Combatant

if TYPE_CHECKING:
    from bot.engine.combat.loading import Fights

INVISIBILITY = "invisibility"  # the effect's key (bot.engine.spell_effects names it after the spell)


def saving_throw(fights: Fights, target: Creature, ability: str, dc: int, *, spell: bool = False) -> SaveRoll:
    """A save with the creature's bonus, its effects' dice (Bless) and edges (Haste: Dex saves), its
    conditions (paralysed: Str and Dex saves fail), Magic Resistance against a `spell`, and a legendary
    monster's Legendary Resistance turning a failure into a success."""
    return fights.traits.legendary_resistance(target, _rolled_save(fights, target, ability, dc, spell=spell))


def _rolled_save(fights: Fights, target: Creature, ability: str, dc: int, *, spell: bool) -> SaveRoll:
    if target.monster is not None:
        bonus = target.monster.saving_throws.get(ability, target.monster.modifier(ability))
    else:
        assert target.sheet is not None
        bonus = fights.characters.stats(target.sheet).saves[ability]
    fx = effects.rolls_for("save", target.effects, ability=ability)
    mods = rules.condition_modifiers(
        "save",
        target.conditions,
        ability=ability,
        advantage=bool(fx.advantage) or fights.traits.save_edges(target, spell=spell),
        disadvantage=bool(fx.disadvantage),
    )
    if mods.auto_fail:
        return SaveRoll(ability, dc, None, False)
    roll = fights.dice.roll(
        f"1d20{rules.signed(bonus)}",
        advantage=mods.advantage,
        label=f"{target.name}: {rules.ABILITY_NAMES[ability]} save",
    )
    extra = tuple(
        (name, fights.dice.roll(term[1:], label=f"{target.name}: {name}"), -1 if term[0] == "-" else 1)
        for name, term in fx.dice
    )
    save = SaveRoll(ability, dc, roll, False, extra)
    return replace(save, success=save.total >= dc)


def concentrating(fight: Fight, row: Combatant) -> bool:
    return any(effects.concentrating(effects.load(r.effects), row.name_key) for r in fight.rows)


def end_concentration(fight: Fight, caster: Combatant, *, keep: str | None = None) -> tuple[str, ...]:
    """The caster's concentration ends (but for the effect `keep`): every effect it holds up, on anyone
    (a hasted creature turns lethargic)."""
    ended: list[str] = []
    for row in fight.rows:
        before = effects.load(row.effects)
        kept, gone = effects.without_concentration(before, caster.name_key, keep=keep)
        if gone:
            row.effects = effects.dump(lethargic(fight, row, before, kept))
            ended += [f"{row.name}: {name}" for name in gone]
    return tuple(ended)


def after_damage(fights: Fights | None, fight: Fight, row: Combatant, report: DamageReport) -> DamageReport:
    """What damage does to spells: Sleep ends, a creature at 0 HP loses its concentration, and one still
    up makes a Constitution save to keep it."""
    if report.total <= 0:
        return report
    kept, woke = effects.damaged(effects.load(row.effects))
    if woke:
        row.effects = effects.dump(kept)
    if report.hp_after <= 0 < report.hp_before or report.state in ("dead", "dying"):
        return replace(report, concentration_ended=end_concentration(fight, row))
    if fights is None or not concentrating(fight, row):
        return report
    save = saving_throw(fights, fights.creature(fight, row), "con", concentration_dc(report.total))
    ended = () if save.success else end_concentration(fight, row)
    return replace(report, concentration_save=save, concentration_ended=ended)


def drop_incapacitated(fights: Fights, fight: Fight) -> tuple[str, ...]:
    """Concentration ends for every creature now incapacitated (paralysed, stunned, asleep ...)."""
    ended: list[str] = []
    for row in fight.rows:
        if concentrating(fight, row) and cr.incapacitated_by(fights.creature(fight, row).conditions):
            ended += end_concentration(fight, row)
    return tuple(ended)


def end_of_turn_saves(fight: Fight, row: Combatant) -> list[str]:
    """At the end of its turn a creature held by a spell (Hold Person) saves again; a success ends it."""
    fights = fight.fights
    held = [e for e in effects.load(row.effects) if e.save_ends] if fights is not None else []
    lines: list[str] = []
    for effect in held:
        assert effect.save_ends is not None and fights is not None
        ability, dc = effect.save_ends
        save = saving_throw(fights, fights.creature(fight, row), ability, dc)
        shown = "fails automatically" if save.roll is None else f"{save.total} ({save.roll.breakdown})"
        verdict = "succeeds: it ends" if save.success else "fails: it holds"
        lines.append(f"{row.name}: {effect.name}: {ability.upper()} save DC {dc}: {shown}, {verdict}")
        if save.success:
            row.effects = effects.dump(e for e in effects.load(row.effects) if e.key != effect.key)
    return lines


def lethargic(
    fight: Fight, row: Combatant, before: Sequence[effects.Effect], after: Sequence[effects.Effect]
) -> tuple[effects.Effect, ...]:
    """`after`, with Haste's lethargy if Haste just ended on the creature in a running fight."""
    if fight.current() is None:
        return tuple(after)  # outside a fight (or before round 1) there is no next turn to lose
    own = row in fight.members(fight.current() or row)
    return effects.with_lethargy(before, after, row.name_key, own_turn=own)


def check_turn_rule(creature: Creature, rule: str, what: str) -> None:
    """Refuse what a spell on the creature forbids (Slow: reactions; Haste's lethargy: actions)."""
    found = effects.ruled_by(creature.effects, rule)
    if found is not None:
        raise InvalidInput(f"{creature.name} can't {what} now: {found.name}.")


def carry_out(fight: Fight, *, only: Combatant | None = None) -> None:
    """The fight ends (or `only` leaves it): what spells left on the characters (Mage Armor's 8 hours, Aid, a
    Bless cast before the fight) goes onto their sheets with the rounds it has left; what a monster's
    concentration held ends with the fight."""
    monsters = {r.name_key for r in fight.rows if r.kind != "character"}
    for row in fight.rows if only is None else [only]:
        if row.kind != "character" or row.character_id not in fight.characters:
            continue
        on_it = effects.load(row.effects)
        lasting = [e for e in on_it if e.rounds and e.caster not in monsters and e.name != effects.LETHARGY]
        if lasting:
            sheet = fight.sheet(row)
            kept = tuple(e for e in sheet.effects if e.key not in {n.key for n in lasting})
            write_back(fight.characters[row.character_id], replace(sheet, effects=(*kept, *lasting)))
        row.effects = []


def reveal(row: Combatant, *, harmful: bool = True) -> tuple[str, ...]:
    """SRD: Invisibility ends when the invisible creature attacks or casts a spell; Sanctuary when the
    warded creature attacks or casts a spell that harms (`harmful`)."""
    on_it = effects.load(row.effects)
    gone = [e for e in on_it if e.key == INVISIBILITY or (harmful and e.ward_dc)]
    if not gone:
        return ()
    row.effects = effects.dump(e for e in on_it if e not in gone)
    return tuple(f"{row.name}: {e.name}" for e in gone)


def concentration_outside(
    fights: Fights, party: Sequence[Character], target: Character, damage: int
) -> tuple[SaveRoll | None, tuple[str, ...]]:
    """Damage outside a fight (the DM's, a trap's): a party member concentrating on a spell it cast before
    (its effects sit on the party's sheets) saves to keep it, as in a fight. Writes the effects back."""
    if damage <= 0:
        return None, ()
    rows = [target, *(c for c in party if c is not target)]
    stand_ins = [character_stand_in(c) for c in rows]
    for stand_in, character in zip(stand_ins, rows, strict=True):
        stand_in.effects, character.effects = list(character.effects or []), []
    fight = Fight(Combat(id=0, round=0, turn_index=0), stand_ins, {c.id: c for c in rows}, None, fights=fights)
    save: SaveRoll | None = None
    ended: tuple[str, ...] = ()
    if concentrating(fight, stand_ins[0]):
        if target.hp_current <= 0:
            ended = end_concentration(fight, stand_ins[0])
        else:
            save = saving_throw(fights, fights.creature(fight, stand_ins[0]), "con", concentration_dc(damage))
            ended = () if save.success else end_concentration(fight, stand_ins[0])
    for stand_in, character in zip(stand_ins, rows, strict=True):
        before = list(character.effects or [])
        character.effects = list(stand_in.effects or [])
        if ended and character is not target and character.effects != before:
            character.version += 1
    return save, ended


def temporary_hp(fight: Fight, row: Combatant) -> None:
    """Heroism: the creature gains temporary HP at the start of each of its turns (they don't stack)."""
    if row.kind != "character" or row.character_id not in fight.characters:
        return
    gain = max((int(e.bonuses["temp_hp"]) for e in effects.load(row.effects) if "temp_hp" in e.bonuses), default=0)
    sheet = fight.sheet(row)
    if gain > sheet.hp_temp:
        write_back(fight.characters[row.character_id], replace(sheet, hp_temp=gain))


def sanctuary(fights: Fights, fight: Fight, attacker: Combatant, target: Combatant) -> None:
    """SRD Sanctuary: a creature targeting the warded one with an attack or a harmful spell first makes a
    Wisdom save; on a failure it must choose a new target (the refusal says so, with the roll)."""
    ward = next((e for e in effects.load(target.effects) if e.ward_dc), None)
    if ward is None:
        return
    save = saving_throw(fights, fights.creature(fight, attacker), "wis", ward.ward_dc)
    if not save.success:
        rolled = f"{save.total} ({save.roll.breakdown})" if save.roll else "fails automatically"
        raise InvalidInput(
            f"{attacker.name} fails the DC {ward.ward_dc} Wisdom save against {target.name}'s {ward.name}: "
            f"{rolled}. It must choose a new target."
        )


MIRROR_THRESHOLDS = {3: 6, 2: 8, 1: 11}  # SRD Mirror Image: the d20 that sends an attack to a duplicate


def mirror_image(fights: Fights, target: Creature, rolls: list[RollOutcome]) -> tuple[int, int] | None:
    """Mirror Image: an attack on the creature goes to one of its duplicates on a d20 of 6+ (three left),
    8+ (two) or 11+ (one); a duplicate's AC is 10 + the creature's Dexterity modifier. Returns that AC and
    the d20, or None when the attack goes to the creature itself."""
    images = next((e for e in target.effects if e.bonuses.get("duplicates")), None)
    if images is None:
        return None
    left = int(images.bonuses["duplicates"])
    if left <= 0:
        return None
    roll = fights.dice.roll("1d20", label=f"{target.name}: Mirror Image")
    rolls.append(roll)
    if roll.total < MIRROR_THRESHOLDS[min(left, 3)]:
        return None
    dex = (
        target.monster.modifier("dex")
        if target.monster
        else (target.sheet.scores["dex"] - 10) // 2
        if target.sheet
        else 0
    )
    return 10 + dex, roll.total


def destroy_duplicate(row: Combatant) -> None:
    """A hit on a duplicate destroys it; with the last one the spell ends."""
    kept: list[effects.Effect] = []
    for effect in effects.load(row.effects):
        if effect.bonuses.get("duplicates"):
            left = int(effect.bonuses["duplicates"]) - 1
            if left <= 0:
                continue
            effect = replace(effect, bonuses={**effect.bonuses, "duplicates": f"+{left}"})
        kept.append(effect)
    row.effects = effects.dump(kept)
