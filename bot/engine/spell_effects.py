"""The timed-effect spells: what Bless, Shield, Mage Armor, Haste ... do, as `bot.engine.effects.Effect`s
(the one timed-effect model the attacks, saves, checks, AC and the tracker read). Pure: no dice, no storage.

Durations are in rounds (10 a minute) both in fights, where they tick on the caster's turns, and outside,
where rests pass the time (`effects.elapsed`). Where the SRD's wording asks more than the model holds, the
entry says what the engine applies (`note`), and the cast reply shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from bot.engine import effects
from bot.engine.effects import Edge, Effect

MINUTE = 10  # rounds
HOUR = 600
Targeting = Literal["self", "creatures"]


@dataclass(frozen=True)
class SpellEffect:
    """How one spell's effect is built: who it lands on, how many, how long, and against which save."""

    bonuses: dict[str, str] = field(default_factory=dict)
    ac: int = 0
    edges: dict[str, Edge] = field(default_factory=dict)
    conditions: tuple[str, ...] = ()
    ac_base: int = 0  # a floor for AC (Barkskin: 16)
    rounds: int = MINUTE
    targeting: Targeting = "creatures"
    targets: int = 1  # at the spell's own level
    per_slot: int = 0  # more targets per slot level above it
    resisted_by: str | None = None  # a save the target makes to avoid it (Bane: CHA)
    repeat_save: bool = False  # the save again at the end of each of the target's turns (Slow)
    phase: effects.Phase = "end"
    mark: bool = False  # on the caster, against the one target (Hunter's Mark)
    turn_rules: tuple[str, ...] = ()  # Haste's extra action, Slow's lone attack and lost reactions
    note: str = ""  # what the SRD says that the numbers above don't carry


SPELL_EFFECTS: dict[str, SpellEffect] = {
    "bless": SpellEffect({"attack": "+1d4", "save": "+1d4"}, targets=3, per_slot=1),
    "bane": SpellEffect({"attack": "-1d4", "save": "-1d4"}, targets=3, per_slot=1, resisted_by="cha"),
    "shield": SpellEffect(ac=5, rounds=1, targeting="self", phase="start", note="a reaction"),
    "shield-of-faith": SpellEffect(ac=2, rounds=10 * MINUTE),
    "mage-armor": SpellEffect(rounds=8 * HOUR, note="AC 13 + Dex while wearing no armour"),
    "guidance": SpellEffect({"check": "+1d4"}),
    "resistance": SpellEffect({"save": "+1d4"}),
    "hunters-mark": SpellEffect(
        {"damage": "+1d6"}, rounds=HOUR, targeting="self", mark=True, note="+1d6 on the caster's hits on the mark"
    ),
    "faerie-fire": SpellEffect(edges={"attacked": "advantage"}, targets=6, resisted_by="dex"),
    "haste": SpellEffect(
        ac=2,
        edges={"save:dex": "advantage"},
        turn_rules=(effects.EXTRA_ACTION,),
        note="speed doubled; the extra action is one weapon attack, Dash, Disengage, Hide or Use an Object; "
        "when it ends, no move or action until after the creature's next turn",
    ),
    "slow": SpellEffect(
        {"save:dex": "-2"},
        ac=-2,
        targets=6,
        resisted_by="wis",
        repeat_save=True,
        turn_rules=(effects.NO_REACTIONS, effects.ONE_ATTACK),
        note="half speed; an action or a bonus action, not both (the DM keeps to these)",
    ),
    "aid": SpellEffect({"hp_max": "+5"}, rounds=8 * HOUR, targets=3, note="+5 HP maximum and current HP"),
    "heroism": SpellEffect(note="immune to frightened; temporary HP equal to the modifier at each turn's start"),
    "protection-from-evil-and-good": SpellEffect(
        edges={"attacked": "disadvantage"},
        rounds=10 * MINUTE,
        note="aberrations, celestials, elementals, fey, fiends and undead attack it with disadvantage and "
        "can't charm or frighten it",
    ),
    "sanctuary": SpellEffect(note="an attacker that fails the save must choose a new target"),
    "invisibility": SpellEffect(conditions=("invisible",), rounds=HOUR, per_slot=1, note="ends on an attack or spell"),
    "greater-invisibility": SpellEffect(conditions=("invisible",), note="lasts through attacks and spells"),
    "barkskin": SpellEffect(ac_base=16, rounds=HOUR, note="AC at least 16, whatever armour it wears"),
    "blur": SpellEffect(edges={"attacked": "disadvantage"}, targeting="self"),
    "mirror-image": SpellEffect({"duplicates": "+3"}, targeting="self", note="three duplicates draw the attacks"),
}
# SRD Protection from Evil and Good: the creature types whose attacks it hinders, and the conditions those
# creatures can't impose on the warded one.
WARDED_TYPES = ("aberration", "celestial", "elemental", "fey", "fiend", "undead")
WARDED_CONDITIONS = ("charmed", "frightened")
# Spells that impose a condition through their save (Hold Person), kept as an effect so that the
# condition ends with the spell: its concentration, its duration or the target's save at the end of
# each of its turns. Sleep (no save, a pool of hit points) is `casting.sleep_order`'s.
REPEAT_SAVE_SPELLS = frozenset({"hold-person", "hold-monster", "blindness-deafness", "slow"})


def effect_for(
    index: str,
    name: str,
    *,
    caster: str,
    concentration: bool,
    slot: int,
    spell_level: int,
    target: str,
    target_dex_mod: int = 0,
    dc: int = 10,
) -> Effect:
    """The effect of a timed-effect spell on one target (the caster itself for Shield and Blur)."""
    spec = SPELL_EFFECTS[index]
    bonuses = dict(spec.bonuses)
    if index == "aid":
        bonuses["hp_max"] = f"+{5 * (1 + slot - spell_level)}"  # SRD: +5 more per slot level above 2nd
    rounds = spec.rounds
    if index == "hunters-mark" and slot >= 3:
        rounds = 8 * HOUR if slot < 5 else 24 * HOUR
    base = Effect(
        name=name,
        bonuses=bonuses,
        ac=spec.ac,
        edges=dict(spec.edges),
        conditions=spec.conditions,
        ac_base=13 + target_dex_mod if index == "mage-armor" else spec.ac_base,
        against=target if spec.mark else None,
        save_ends=(spec.resisted_by, dc) if spec.repeat_save and spec.resisted_by else None,
        ward_dc=dc if index == "sanctuary" else 0,
        from_types=WARDED_TYPES if index == "protection-from-evil-and-good" else (),
        turn_rules=spec.turn_rules,
    )
    return replace(
        base,
        rounds=rounds,
        ticks_on=caster,
        phase=spec.phase,
        caster=caster if concentration else None,
    )


def condition_effect(
    name: str,
    conditions: tuple[str, ...],
    *,
    caster: str,
    concentration: bool,
    rounds: int,
    save: tuple[str, int] | None,
) -> Effect:
    """A condition a spell imposes (Hold Person: paralyzed), for as long as the spell lasts."""
    return Effect(
        name=name,
        conditions=conditions,
        rounds=rounds,
        ticks_on=caster,
        phase="end",
        caster=caster if concentration else None,
        save_ends=save,
    )


def max_targets(index: str, slot: int, spell_level: int) -> int:
    spec = SPELL_EFFECTS[index]
    return 1 if spec.targeting == "self" else spec.targets + spec.per_slot * max(0, slot - spell_level)


def rounds_of(duration: str) -> int | None:
    """The SRD's duration words in rounds ("Up to 1 minute" → 10, "8 hours" → 4800); None: instantaneous
    or until dispelled."""
    words = duration.casefold().removeprefix("up to ").split()
    if len(words) != 2 or not words[0].isdigit():
        return None
    count, unit = int(words[0]), words[1].rstrip("s")
    per = {"round": 1, "minute": MINUTE, "hour": HOUR, "day": 24 * HOUR}.get(unit)
    return count * per if per else None
