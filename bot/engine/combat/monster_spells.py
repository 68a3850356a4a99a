"""A spellcasting monster's choices in auto mode (a Mage, a Priest, a Lich): which of its spells it may cast
now (its slots, its at-will and per-day spells, what its combatant row says it spent) and which is worth
casting this turn against the party, by a rough expected value compared with its best weapon attack.

Pure rules over the fight's rows: no dice and no storage; `casts.Casts.cast_in` spends and resolves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.data.srd import SRD, Monster, MonsterAction, MonsterSpellcasting, Spell
from bot.engine import casting, effects
from bot.engine import combat_rules as cr
from bot.engine.spell_effects import SPELL_EFFECTS
from persistence.models import Combatant

ACTION_TIMES = ("1 action", "1 bonus action")  # what a monster casts on its own turn
HIT_CHANCE = 0.65  # a rough share of spell attacks and weapon attacks that land
FAILED_SAVE = 0.6  # a rough share of targets that fail a save
CONDITION_WORTH = 14.0  # a held or frightened foe, weighed as damage (a round of the party's attacks lost)
HEAL_BELOW = 0.5  # an ally under half its hit points is worth healing
SLOT_COST = 2.0  # a slot's worth per level: a cantrip or a low slot does when the damage would be wasted
HEALING_WEIGHT = 3.0  # a hit point kept on a falling ally against one taken off a foe


@dataclass(frozen=True)
class SpellPlan:
    spell: Spell
    slot: int | None
    targets: tuple[str, ...]
    worth: float


def ready(srd: SRD, row: Combatant, monster: Monster) -> list[tuple[Spell, int | None]]:
    """The monster's spells it may cast now, each with the slot it would spend (the lowest free one of the
    spell's level or above; None: a cantrip or an innate spell)."""
    sc = monster.spellcasting
    if sc is None:
        return []
    used = row.spells_used or {}
    found: list[tuple[Spell, int | None]] = []
    for index in sc.spells:
        spell = srd.spell(index)
        times = sc.uses_per_day.get(index)
        if times is not None:
            if times == 0 or used.get(f"uses:{index}", 0) < times:
                found.append((spell, None))
        elif spell.level == 0:
            found.append((spell, None))
        elif (slot := free_slot(sc, used, spell.level)) is not None:
            found.append((spell, slot))
    return found


def free_slot(sc: MonsterSpellcasting, used: dict[str, int], level: int) -> int | None:
    """The lowest slot of `level` or above the monster has left (None: none)."""
    return next((n for n in range(level, 10) if sc.slots.get(n, 0) > used.get(str(n), 0)), None)


def best(
    srd: SRD,
    row: Combatant,
    monster: Monster,
    foes: Sequence[tuple[Combatant, int]],
    allies: Sequence[tuple[Combatant, int, int]],
    *,
    concentrating: bool,
    weapon_worth: float,
) -> SpellPlan | None:
    """The spell worth more this turn than the monster's best weapon attack (`weapon_worth`), or None.
    `foes` are the party as (row, hp); `allies` the monster's side as (row, hp, hp_max); a concentration
    spell is skipped while it holds one."""
    sc = monster.spellcasting
    if sc is None or not foes:
        return None
    level = sc.level or 1
    plans = [
        plan
        for spell, slot in ready(srd, row, monster)
        if spell.casting_time in ACTION_TIMES and not (spell.concentration and concentrating)
        if (plan := _plan(spell, slot, level, monster, foes, allies)) is not None
    ]
    top = max(plans, key=lambda p: (p.worth, -(p.slot or 0)), default=None)
    return top if top is not None and top.worth > weapon_worth else None


def weapon_worth(monster: Monster) -> float:
    """What its Multiattack or best attack is worth in a turn, on the same scale."""
    action = cr.pick_action(monster)
    if action is None:
        return 0.0
    if action.multiattack:
        steps = cr.multiattack_steps(monster, action)
        return sum(attack_damage(a) * count for a, _, count in steps if a is not None) * HIT_CHANCE
    return attack_damage(action) * HIT_CHANCE


def attack_damage(action: MonsterAction) -> float:
    """An attack's average damage on a hit."""
    return sum(cr.average_damage(d.dice) for d in action.damage or action.damage_one_of[:1])


def _plan(
    spell: Spell,
    slot: int | None,
    level: int,
    monster: Monster,
    foes: Sequence[tuple[Combatant, int]],
    allies: Sequence[tuple[Combatant, int, int]],
) -> SpellPlan | None:
    if spell.heal_at_slot_level:
        return _healing(spell, slot, monster, allies)
    if spell.index in SPELL_EFFECTS or (not casting.harmful(spell) and not casting.attack_type(spell)):
        return None  # buffs and utilities: the DM's to time
    shape = casting.shape(spell, slot, level)
    if shape.kind == "pool":
        return None  # Sleep's pool against the party's hit points: the DM's call
    dice = shape.dice if shape.kind in ("darts", "rays") else casting.damage_dice(spell, slot, level)
    each = cr.average_damage(dice) * (shape.count if shape.kind in ("darts", "rays") else 1) if dice else 0.0
    if casting.attack_type(spell):
        odds = HIT_CHANCE
    elif spell.save is not None:
        odds = FAILED_SAVE + (1 - FAILED_SAVE) * (0.5 if spell.save.success == "half" else 0.0)
    else:
        odds = 1.0  # Magic Missile's darts always hit
    extra = CONDITION_WORTH if spell.conditions else 0.0
    # Damage past a foe's hit points is wasted: the most it can take first, then the weakest.
    fresh = sorted(_fresh(spell, foes), key=lambda f: (-min(each, f[1]), f[1]))
    most = 1 if shape.kind in ("darts", "rays") else casting.max_targets(spell, slot)
    chosen = fresh[:most]
    if not chosen:
        return None
    worth = sum((min(each, hp) + extra) * odds for _, hp in chosen) - SLOT_COST * (slot or 0)
    return SpellPlan(spell, slot, tuple(r.name for r, _ in chosen), worth)


def _fresh(spell: Spell, foes: Sequence[tuple[Combatant, int]]) -> list[tuple[Combatant, int]]:
    """The foes a spell would change: for a condition spell without damage (Hold Person), those not held."""
    if spell.damage_at_slot_level or spell.damage_at_character_level or not spell.conditions:
        return list(foes)
    return [f for f in foes if not any(e.key == spell.name.casefold() for e in effects.load(f[0].effects))]


def _healing(
    spell: Spell, slot: int | None, monster: Monster, allies: Sequence[tuple[Combatant, int, int]]
) -> SpellPlan | None:
    hurt = sorted((a for a in allies if a[1] < a[2] * HEAL_BELOW), key=lambda a: a[1] / max(a[2], 1))
    if not hurt:
        return None
    sc = monster.spellcasting
    dice = casting.heal_dice(spell, slot, monster.modifier(sc.ability) if sc else 0) or "0"
    most = min(casting.max_targets(spell, slot), len(hurt))
    worth = sum(min(cr.average_damage(dice), maximum - hp) for _, hp, maximum in hurt[:most]) * HEALING_WEIGHT
    return SpellPlan(spell, slot, tuple(r.name for r, _, _ in hurt[:most]), worth)
