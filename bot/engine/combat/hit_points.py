"""Damage and healing applied to a combatant: a monster's HP on its row, a character's HP and death saves on
the sheet (written back inside the fight's transaction) by `bot.engine.hit_points`, the one rule for every path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.engine import combat_rules as cr
from bot.engine import effects, hit_points
from bot.engine.combat import saves, wild_shape
from bot.engine.combat.fight import Fight, character_id
from bot.engine.combat.results import DamageReport
from bot.engine.combat.traits import Guard, Guarded
from bot.engine.features.rules import RAGE
from bot.engine.sheet import Sheet, to_sheet, write_back
from bot.errors import InvalidInput
from persistence.models import Combatant


def hurt(
    fight: Fight, row: Combatant, parts: Sequence[cr.DamageTaken], *, critical: bool, guard: Guard | None = None
) -> DamageReport:
    """Damage taken; what it does to spells is `saves.after_damage`'s: a creature it drops to 0 HP loses its
    concentration (the effects it held up end), one still standing saves to keep it, Sleep ends.
    `guard`: a monster's traits on its damage (a threshold, Undead Fortitude: `traits.CombatTraits.guard`)."""
    return saves.after_damage(fight.fights, fight, row, _hurt(fight, row, parts, critical=critical, guard=guard))


end_concentration = saves.end_concentration  # where the timed effects have always found it


def _hurt(
    fight: Fight, row: Combatant, parts: Sequence[cr.DamageTaken], *, critical: bool, guard: Guard | None
) -> DamageReport:
    total = sum(p.amount for p in parts)
    if row.kind == "monster":
        guarded = guard(fight, row, parts, critical=critical) if guard else Guarded(total)
        total, before = guarded.total, row.hp or 0
        row.hp, row.dead = cr.damage_monster(before, total)
        if row.dead and guarded.keep_at is not None:
            row.hp, row.dead = guarded.keep_at, False
        return DamageReport(
            row.name,
            "monster",
            None,
            tuple(parts),
            total,
            before,
            row.hp,
            row.hp_max or 0,
            0,
            "dead" if row.dead else "up",
            cr.health_word(row.hp, row.hp_max or 0, dead=row.dead),
            dropped=row.dead,
            notes=guarded.notes,
            trait_rolls=guarded.rolls,
        )
    character = fight.characters[character_id(row)]
    sheet = to_sheet(character)
    notes: tuple[str, ...] = ()
    dealt = total
    if wild_shape.beast(row) is not None:  # the beast's HP first; at 0 the rest carries over (SRD)
        shape = wild_shape.beast(row) or {}
        before, carried, note = wild_shape.absorb(row, total)
        if carried is None:
            left = before - total
            health = cr.health_word(left, int(shape["hp_max"]))
            return DamageReport(
                row.name,
                "character",
                sheet.owner_id,
                tuple(parts),
                total,
                before,
                left,
                int(shape["hp_max"]),
                0,
                "up",
                health,
                notes=(note,),
            )
        notes, total = (note,), carried
    after, hit = hit_points.hit(sheet, total, critical=critical)
    write_back(character, after)
    row.dead = hit.after.state == "dead"
    if hit.dropped and any(e.name == RAGE for e in effects.load(row.effects)):  # unconscious: the rage ends
        row.effects = effects.dump(e for e in effects.load(row.effects) if e.name != RAGE)
        notes = (*notes, f"{row.name}'s rage ends.")
    report = _character_report(sheet, hit.before, hit.after, tuple(parts), dealt, hit)
    return replace(report, notes=notes) if notes else report


def heal(fight: Fight, row: Combatant, amount: int) -> DamageReport:
    if row.kind == "monster":
        if row.dead:
            raise InvalidInput(f"{row.name} is dead; hit points won't bring it back.")
        before = row.hp or 0
        row.hp = min(row.hp_max or 0, before + amount)
        return DamageReport(
            row.name,
            "monster",
            None,
            (),
            0,
            before,
            row.hp,
            row.hp_max or 0,
            0,
            "up",
            cr.health_word(row.hp, row.hp_max or 0),
        )
    character = fight.characters[character_id(row)]
    sheet = to_sheet(character)
    after = hit_points.healed(sheet, amount)
    write_back(character, after)
    return _character_report(sheet, hit_points.vitals(sheet), hit_points.vitals(after), (), 0, None)


def character_health(now: cr.Vitals) -> str:
    if now.state != "up":
        return now.state
    return cr.health_word(now.hp, now.hp_max)


def _character_report(
    sheet: Sheet,
    before: cr.Vitals,
    after: cr.Vitals,
    parts: tuple[cr.DamageTaken, ...],
    total: int,
    hit: cr.CharacterHit | None,
) -> DamageReport:
    return DamageReport(
        target=sheet.name,
        kind="character",
        owner_id=sheet.owner_id,
        parts=parts,
        total=total,
        hp_before=before.hp,
        hp_after=after.hp,
        hp_max=after.hp_max,
        temp_after=after.temp,
        state=after.state,
        health=character_health(after),
        dropped=bool(hit and hit.dropped),
        failures_added=hit.failures_added if hit else 0,
        instant_death=bool(hit and hit.instant_death),
        death_saves=(after.successes, after.failures) if after.hp <= 0 else None,
    )
