"""Casting a spell by the SRD 5.1, as pure rules (no dice, no storage): which spells a character may cast,
which slot a cast spends (a warlock's pact slots are all of one level), rituals, the dice of damage and
healing at a slot level or character level, and the spells whose shape the data doesn't carry (Magic
Missile's darts, Eldritch Blast's beams, Scorching Ray's rays, Sleep's pool of hit points).

`bot.engine.combat.spellcasting` resolves a cast in a fight and `bot.engine.cast_service` outside one;
both take their numbers from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.data.srd import SRD, Spell
from bot.engine import class_levels, effects, spell_effects, spells
from bot.engine.sheet import Sheet
from bot.errors import InvalidInput

# SRD 5.1: Ritual Casting (bard: spells known; cleric, druid: prepared; wizard: any ritual in the book).
RITUAL_FROM = {"bard": "known", "cleric": "prepared", "druid": "prepared", "wizard": "book"}
CANTRIP_STEPS = (1, 5, 11, 17)  # character levels where cantrips grow (Eldritch Blast: one more beam)
MAX_TARGETS = 12
POWER_WORDS = ("power-word-stun", "power-word-kill")
RESTORING = (
    "spare-the-dying",
    "revivify",
    "lesser-restoration",
)  # spells that undo: by `spellcasting._restore`  # a word at one creature: no roll, its hit points decide
CAST_ACTION = "Cast "  # `/dm-combat act action:Cast Fireball`: a monster's spell, as one of its actions
_MOD = re.compile(r"\s*\+\s*MOD\b")


@dataclass(frozen=True)
class Shape:
    """How a spell's dice are split: one roll per target (most), darts or rays shared among targets."""

    kind: str  # "single" | "darts" | "rays" | "pool"
    count: int = 1  # darts, rays or beams
    dice: str = ""  # per dart or ray; the pool's dice for Sleep


def castable(sheet: Sheet, srd: SRD) -> list[Spell]:
    """The spells the character may cast now: cantrips, and spells known or prepared (wizards: prepared
    from the book), with the rituals it may cast from its book or list without preparing them."""
    have = (*sheet.spells.cantrips, *sheet.spells.known, *sheet.spells.prepared, *granted_spells(sheet, srd))
    found = {i: srd.spell(i) for i in have if i in srd.lookup("spell")}
    for index in ritual_only(sheet, srd):
        found.setdefault(index, srd.spell(index))
    return sorted(found.values(), key=lambda s: (s.level, s.name))


def granted_spells(sheet: Sheet, srd: SRD) -> tuple[str, ...]:
    """Subclass spells always prepared (a Life domain's, a Devotion oath's, a land druid's circle spells)."""
    return tuple(s.index for s in spells.granted(sheet, srd))


def ritual_only(sheet: Sheet, srd: SRD) -> tuple[str, ...]:
    """Rituals a wizard may cast from the book without having them prepared."""
    if RITUAL_FROM.get(sheet.class_index) != "book":
        return ()
    return tuple(i for i in sheet.spells.book if i in srd.lookup("spell") and srd.spell(i).ritual)


def may_ritual(sheet: Sheet, spell: Spell) -> bool:
    source = RITUAL_FROM.get(sheet.class_index)
    if not spell.ritual or source is None:
        return False
    pool = {"known": sheet.spells.known, "prepared": sheet.spells.prepared, "book": sheet.spells.book}[source]
    return spell.index in pool


def find_castable(sheet: Sheet, srd: SRD, spell: Spell, *, ritual: bool = False) -> None:
    """Refuse a spell the character doesn't have ready, saying why (a wizard's unprepared ritual: as a ritual)."""
    ready = (*sheet.spells.cantrips, *sheet.spells.known, *sheet.spells.prepared, *granted_spells(sheet, srd))
    if spell.index in ready:
        return
    if spell.index in ritual_only(sheet, srd):
        if ritual:
            return
        raise InvalidInput(f"{spell.name} isn't prepared: cast it as a ritual (`ritual:true`, no slot) or prepare it.")
    room = spells.allowance(sheet, srd)
    if room.style == "none":
        raise InvalidInput(f"{sheet.name} casts no spells.")
    how = {
        "prepared": "prepare it first with `/spell prepare`",
        "spellbook": "it must be in the spellbook and prepared (`/spell prepare`)",
        "known": "learn it first with `/spell learn`",
    }.get(room.style, "")
    raise InvalidInput(f"{sheet.name} doesn't have {spell.name} ready to cast: {how}.")


def slot_for(sheet: Sheet, spell: Spell, level: int | None, *, ritual: bool) -> int | None:
    """The slot level a cast spends (None: a cantrip or a ritual, no slot). Refuses what the SRD refuses."""
    if spell.level == 0:
        if level:
            raise InvalidInput(f"{spell.name} is a cantrip: it takes no slot (it grows with character level).")
        return None
    if ritual:
        if not may_ritual(sheet, spell):
            why = "isn't a ritual" if not spell.ritual else f"can't be cast as a ritual by a {sheet.class_index}"
            raise InvalidInput(f"{spell.name} {why}.")
        if level and level != spell.level:
            raise InvalidInput("A ritual is cast at the spell's own level.")
        return None
    slots = sheet.slots_current
    if class_levels.slots_are_pact(sheet):
        pact = spells.max_spell_level(sheet.slots_max)
        if level and level != pact:
            raise InvalidInput(f"A warlock's pact slots are all level {pact}: spells are cast at level {pact}.")
        level = pact
    chosen = level or spell.level
    if chosen < spell.level:
        raise InvalidInput(f"{spell.name} is level {spell.level}: it needs a slot of level {spell.level} or higher.")
    if chosen > 9 or chosen > len(sheet.slots_max) or sheet.slots_max[chosen - 1] == 0:
        raise InvalidInput(f"{sheet.name} has no level-{chosen} spell slots.")
    if slots[chosen - 1] <= 0:
        left = ", ".join(f"level {i} ×{n}" for i, n in enumerate(slots, start=1) if n > 0) or "none"
        rest = "short or long" if class_levels.slots_are_pact(sheet) else "long"
        raise InvalidInput(
            f"{sheet.name} has no level-{chosen} slots left (left: {left}). A {rest} rest restores them."
        )
    return chosen


def spent(sheet: Sheet, slot: int | None) -> Sheet:
    if slot is None:
        return sheet
    slots = list(sheet.slots_current)
    slots[slot - 1] -= 1
    return replace(sheet, slots_current=tuple(slots))


def cantrip_step(character_level: int) -> int:
    """How many times a cantrip has grown: 1 at levels 1-4, 2 at 5-10, 3 at 11-16, 4 at 17+."""
    return sum(1 for step in CANTRIP_STEPS if character_level >= step)


def shape(spell: Spell, slot: int | None, character_level: int) -> Shape:
    """How the spell's dice fall: Magic Missile's darts (3 + 1 a slot level above 1st, 1d4 + 1 each),
    Eldritch Blast's beams (by character level), Scorching Ray's rays (3 + 1 a slot level above 2nd),
    Sleep's pool (5d8 + 2d8 a slot level above 1st), Color Spray's (6d10 + 2d10)."""
    above = (slot or spell.level) - spell.level
    if spell.index == "magic-missile":
        return Shape("darts", 3 + above, "1d4+1")
    if spell.index == "eldritch-blast":
        return Shape("rays", cantrip_step(character_level), "1d10")
    if spell.index == "scorching-ray":
        return Shape("rays", 3 + above, "2d6")
    if spell.index == "sleep":
        return Shape("pool", 1, f"{5 + 2 * above}d8")
    if spell.index == "color-spray":
        return Shape("pool", 1, f"{6 + 2 * above}d10")
    return Shape("single")


def beam_bonus(sheet: Sheet | None, spell: Spell, modifier: int) -> str:
    """Agonizing Blast (an eldritch invocation, bot.engine.choices): + the Charisma modifier to each beam."""
    chosen = (sheet.choices.get("invocations") or ()) if sheet is not None else ()
    if spell.index != "eldritch-blast" or "agonizing-blast" not in chosen or not modifier:
        return ""
    return f"{modifier:+d}"


def attack_type(spell: Spell) -> str | None:
    """Scorching Ray is a ranged spell attack that the data doesn't mark as one."""
    return "ranged" if spell.index == "scorching-ray" else spell.attack_type


def damage_dice(spell: Spell, slot: int | None, character_level: int) -> str | None:
    dice = spell.damage_at(slot_level=slot or spell.level, character_level=character_level)
    return dice.replace(" ", "") if dice else None


def heal_dice(spell: Spell, slot: int | None, modifier: int) -> str | None:
    """Healing at the slot level, with the spellcasting modifier where the SRD adds it ("1d8 + MOD")."""
    table = spell.heal_at_slot_level
    if not table:
        return None
    level = slot or spell.level
    text = table.get(level) or table[max(k for k in table if k <= level)]
    if "MOD" in text:
        text = _MOD.sub(f"{modifier:+d}" if modifier else "", text)
    return text.replace(" ", "")


def max_targets(spell: Spell, slot: int | None) -> int:
    """How many creatures one cast may name: the timed-effect table's count, an area's creatures, one
    target a ray or dart each, else one (upcast Hold Person: one more per slot level above 2nd)."""
    level = slot or spell.level
    if spell.index in spell_effects.SPELL_EFFECTS:
        return spell_effects.max_targets(spell.index, level, spell.level)
    if spell.index in ("hold-person", "hold-monster"):
        return 1 + level - spell.level
    if spell.area is not None or shape(spell, slot, 20).kind != "single":
        return MAX_TARGETS
    if spell.index in ("mass-cure-wounds", "mass-healing-word"):
        return 6
    return 1


def needs_target(spell: Spell) -> bool:
    """Spells that act on a creature other than the caster: damage, a save, healing or a condition."""
    return bool(
        spell.damage_at_slot_level
        or spell.damage_at_character_level
        or spell.save
        or spell.heal_at_slot_level
        or spell.conditions
        or attack_type(spell)
        or spell.index in POWER_WORDS
        or spell.index in RESTORING
    )


def sleep_order(hp: Iterable[tuple[str, int]], pool: int) -> tuple[list[str], int]:
    """Sleep: creatures in order of current hit points, lowest first, fall asleep while the pool covers
    their HP (each one's HP is taken off the pool). Returns who sleeps and the pool left."""
    asleep: list[str] = []
    for name, current in sorted(hp, key=lambda pair: pair[1]):
        if current <= 0:
            continue  # unconscious already (SRD: Sleep skips them)
        if current > pool:
            break
        asleep.append(name)
        pool -= current
    return asleep, pool


def pass_time(sheet: Sheet, rounds: int) -> Sheet:
    """Time passes outside a fight (a short rest: an hour, 600 rounds; a long rest: 8 hours): the sheet's
    timed effects run down, and an Aid that ends takes its hit points back."""
    kept, _ = effects.elapsed(sheet.effects, rounds)
    ended = [e for e in sheet.effects if e not in kept and e.name not in {k.name for k in kept}]
    lost = sum(int(e.bonuses.get("hp_max", "0")) for e in ended)
    if not ended:
        return replace(sheet, effects=kept)
    hp_max = max(1, sheet.hp_max - lost)
    return replace(sheet, effects=kept, hp_max=hp_max, hp_current=min(sheet.hp_current, hp_max))


def concentration_dc(damage: int) -> int:
    """SRD: DC 10 or half the damage taken, whichever is higher."""
    return max(10, damage // 2)


def target_names(text: str | None) -> list[str]:
    """`targets:Goblin 1, Goblin 2` as names (commas between them), at most MAX_TARGETS."""
    names = [" ".join(part.split()) for part in (text or "").split(",")]
    found = [n for n in names if n]
    if len(found) > MAX_TARGETS:
        raise InvalidInput(f"At most {MAX_TARGETS} targets in one cast.")
    return found


def completing(text: str, names: Iterable[str]) -> list[str]:
    """Autocomplete of a comma list: the names typed so far kept, the last one completed from `names`."""
    *done, last = (text or "").split(",")
    head = ", ".join(" ".join(d.split()) for d in done if d.strip())
    taken = {" ".join(d.split()).casefold() for d in done}
    needle = last.strip().casefold()
    options = [n for n in names if needle in n.casefold() and n.casefold() not in taken]
    return [f"{head}, {n}" if head else n for n in options][:25]


def spell_of_action(action: str) -> str | None:
    """`Cast Fireball` → "Fireball": a monster's action that is one of its spells (None: an SRD action)."""
    text = " ".join(action.split())
    return text[len(CAST_ACTION) :] if text.casefold().startswith(CAST_ACTION.casefold()) else None


def harmful(spell: Spell) -> bool:
    """Damage, or a save to resist (Hold Person, Bane): what outside a fight lands only on the caster."""
    effect = spell_effects.SPELL_EFFECTS.get(spell.index)
    if effect is not None:
        return effect.resisted_by is not None
    return bool(spell.damage_at_slot_level or spell.damage_at_character_level or spell.save) or (
        spell.index in POWER_WORDS
    )
