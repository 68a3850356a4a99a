"""The tracker's view of a fight: one entry per combatant in initiative order. The DM's variant shows every
number; `TrackerState.public()` hides monsters' HP and everyone's AC from players."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.data.srd import SRD, Monster
from bot.engine import combat_rules as cr
from bot.engine import effects
from bot.engine.combat import resources
from bot.engine.combat.fight import Fight, timed
from bot.engine.combat.hit_points import character_health
from bot.engine.combat.results import TrackerEntry, TrackerState
from bot.engine.hit_points import vitals
from bot.engine.sheet import armor_class
from bot.engine.wording import counted
from persistence.models import Combatant


def tracker_state(
    fight: Fight, srd: SRD, *, for_dm: bool, monster_of: Callable[[Combatant], Monster] | None = None
) -> TrackerState:
    """The tracker of a fight; `monster_of` finds a combatant's stat block (an SRD one, a homebrew one, a
    generic combatant's stand-in), by default in the SRD."""
    lookup = monster_of or (lambda row: srd.monster(str(row.monster_index)))
    current = fight.current()
    now = set(map(id, fight.members(current))) if current is not None else set()
    names = {r.name_key: r.name for r in fight.rows}
    entries = tuple(
        _with_resources(_with_extras(_entry(fight, srd, r, id(r) in now, for_dm), r, names), r, lookup, for_dm)
        for r in fight.rows
    )
    c = fight.combat
    return TrackerState(
        c.id,
        c.campaign_id,
        c.channel_id,
        c.status,
        c.round,
        c.version,
        entries,
        for_dm,
        c.tracker_channel_id,
        c.tracker_message_id,
        bool(c.sunlight),
    )


def _with_resources(
    entry: TrackerEntry, row: Combatant, monster_of: Callable[[Combatant], Monster], for_dm: bool
) -> TrackerEntry:
    """Legendary actions left (everyone sees them, as at a table), a spent reaction, and (for the DM) the
    actions waiting for a recharge."""
    used = resources.reaction_spent(row)
    if row.kind != "monster" or row.monster_index is None:
        return replace(entry, reaction_used=used)
    monster = monster_of(row)
    legendary = (resources.legendary_left(row, monster), monster.legendary_per_round) if monster.legendary else None
    spent = tuple(resources.spent(row)) if for_dm else ()
    return replace(entry, legendary=legendary, spent=spent, reaction_used=used)


def _with_extras(entry: TrackerEntry, row: Combatant, names: dict[str, str]) -> TrackerEntry:
    """Its timed effects (with the concentrating caster), whether it holds its turn, and its group."""
    on_it = effects.load(row.effects)
    labels = tuple(_effect_label(e, names) for e in on_it)
    shape = (row.resources or {}).get("wild_shape") if row.kind == "character" else None
    if isinstance(shape, dict):  # Wild Shape: the beast's hit points come off first
        labels = (f"Wild Shape: {shape['name']} {shape['hp']}/{shape['hp_max']} HP", *labels)
    ac = effects.armour_class(entry.ac, on_it) if entry.ac is not None else None  # Mage Armor's floor too
    return replace(entry, ac=ac, effects=labels, held=bool(row.held), group=row.group_name)


def _effect_label(effect: effects.Effect, names: dict[str, str]) -> str:
    label = effects.label(effect)
    if effect.caster is None:
        return label
    caster = f"concentration: {names.get(effect.caster, effect.caster.title())}"  # a caster out of the fight: its key
    return f"{label[:-1]}, {caster})" if label.endswith(")") else f"{label} ({caster})"


def _entry(fight: Fight, srd: SRD, row: Combatant, current: bool, for_dm: bool) -> TrackerEntry:
    if row.kind == "monster":
        return _monster_entry(row, current, for_dm)
    if row.character_id not in fight.characters:
        return TrackerEntry(
            row.id,
            row.name,
            "character",
            row.initiative,
            row.owner_id,
            current,
            "dead",
            "gone",
            None,
            None,
            0,
            None,
            (),
            None,
        )
    sheet = fight.sheet(row)
    now = vitals(sheet)
    conditions = tuple(condition_label(c.name, c.rounds) for c in sheet.conditions)
    saves = (now.successes, now.failures) if now.hp <= 0 else None
    ac = armor_class(sheet, srd) if for_dm else None
    return TrackerEntry(
        row.id,
        sheet.name,
        "character",
        row.initiative,
        row.owner_id,
        current,
        now.state,
        character_health(now),
        now.hp,
        now.hp_max,
        now.temp,
        ac,
        conditions,
        saves,
    )


def _monster_entry(row: Combatant, current: bool, for_dm: bool) -> TrackerEntry:
    hp, hp_max = row.hp or 0, row.hp_max or 0
    conditions = tuple(condition_label(c.name, c.rounds) for c in timed(row.conditions))
    return TrackerEntry(
        row.id,
        row.name,
        "monster",
        row.initiative,
        None,
        current,
        "dead" if row.dead else "up",
        cr.health_word(hp, hp_max, dead=row.dead),
        hp if for_dm else None,
        hp_max if for_dm else None,
        0,
        row.ac if for_dm else None,
        conditions,
        None,
    )


def condition_label(name: str, rounds: int | None) -> str:
    if rounds is None:
        return name
    return f"{name} ({counted(rounds, 'round')})"
