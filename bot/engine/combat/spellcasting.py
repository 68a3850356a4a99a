"""A spell cast resolved against creatures, by the data: spell attacks against AC (criticals double the
dice), saves per target against the caster's DC (half damage where the spell says so, the area's dice
rolled once), healing with the modifier, conditions held by an effect that ends with the spell (and with a
save at the end of each of the target's turns where the SRD gives one), Sleep's pool, Magic Missile's
darts, the timed-effect spells (`bot.engine.spell_effects`), and concentration: a new one ends the old.

`Resolver.resolve` works on a `Fight`: the fight's own in a fight, or a stand-in fight of the party's
characters outside one (`bot.engine.cast_service`), so both share every rule. The slot is spent by the
caller (a sheet's, or a monster's on its combatant row)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.data.srd import DamageRoll, Spell
from bot.engine import casting, effects, spell_effects
from bot.engine import combat_rules as cr
from bot.engine.combat import saves
from bot.engine.combat.attacks import Attacks
from bot.engine.combat.cast_results import TargetOutcome
from bot.engine.combat.fight import Creature, Fight, character_id
from bot.engine.combat.hit_points import heal, hurt
from bot.engine.combat.loading import Fights
from bot.engine.dice import RollOutcome
from bot.engine.effects import Effect
from bot.engine.sheet import write_back
from bot.engine.wording import counted
from bot.errors import InvalidInput
from persistence.models import Combatant

SPELL_SOURCE = cr.DamageSource(magical=True, spell=True)
HUMANOID_ONLY = frozenset({"hold-person"})


@dataclass(frozen=True)
class Caster:
    """Who casts, with which numbers: a character's from its sheet, a monster's from its stat block."""

    row: Combatant
    dc: int
    attack_bonus: int
    modifier: int  # the spellcasting ability modifier (healing's "+ MOD")
    level: int  # character level, or a monster's caster level: cantrips grow with it


@dataclass
class Resolved:
    outcomes: list[TargetOutcome]
    shared: list[RollOutcome]
    notes: list[str]
    ended: tuple[str, ...]


class Resolver:
    def __init__(self, fights: Fights) -> None:
        self.fights = fights
        self.attacks = Attacks(fights)

    def resolve(
        self, fight: Fight, caster: Caster, spell: Spell, slot: int | None, targets: Sequence[Combatant]
    ) -> Resolved:
        key = caster.row.name_key
        ended = saves.end_concentration(fight, caster.row) if spell.concentration else ()
        harmful = casting.harmful(spell) or bool(casting.attack_type(spell))
        for row in targets if harmful else ():
            saves.sanctuary(self.fights, fight, caster.row, row)
        ended += saves.reveal(caster.row, harmful=harmful)  # casting ends Invisibility (and Sanctuary, harming)
        done = Resolved([], [], [], ended)
        if spell.index in spell_effects.SPELL_EFFECTS:
            self._timed(fight, caster, spell, slot, targets, done)
        elif spell.index == "sleep":
            self._sleep(fight, caster, spell, slot, targets, done)
        elif casting.shape(spell, slot, caster.level).kind == "darts":
            self._darts(fight, caster, spell, slot, targets, done)
        elif casting.attack_type(spell):
            self._attacks(fight, caster, spell, slot, targets, done)
        elif spell.save:
            self._saves(fight, caster, spell, slot, targets, done)
        elif spell.heal_at_slot_level:
            self._healing(fight, caster, spell, slot, targets, done)
        if spell.concentration and not _holds_anything(fight, key):
            # Concentration on a spell that put nothing on anyone (all saved, or a utility): it is tracked
            # on the caster, so a new spell, damage or a fall ends it like any other.
            rounds = spell_effects.rounds_of(spell.duration) or 10
            marker = Effect(spell.name, rounds=rounds, ticks_on=key, phase="end", caster=key)
            _put(caster.row, marker)
        done.ended = done.ended + saves.drop_incapacitated(self.fights, fight) if fight.fights else done.ended
        return done

    # --- Kinds of spell --------------------------------------------------------------------------

    def _timed(
        self, fight: Fight, caster: Caster, spell: Spell, slot: int | None, targets: Sequence[Combatant], done: Resolved
    ) -> None:
        spec = spell_effects.SPELL_EFFECTS[spell.index]
        level = slot or spell.level
        on = [caster.row] if spec.targeting == "self" and not spec.mark else list(targets) or [caster.row]
        for row in on:
            creature = self.fights.creature(fight, row)
            save = None
            if spec.resisted_by:
                save = saves.saving_throw(self.fights, creature, spec.resisted_by, caster.dc, spell=True)
                if save.success:
                    done.outcomes.append(TargetOutcome(row.name, save=save, note="saves: no effect"))
                    continue
            effect = spell_effects.effect_for(
                spell.index,
                spell.name,
                caster=caster.row.name_key,
                concentration=spell.concentration,
                slot=level,
                spell_level=spell.level,
                target=row.name_key,
                target_dex_mod=_dex_mod(creature),
                dc=caster.dc,
            )
            _put(caster.row if spec.mark else row, effect)
            note = self._one_off(fight, caster, spell.index, row, effect)
            done.outcomes.append(TargetOutcome(row.name, save=save, effect=effect, note=note or spec.note))

    def _one_off(self, fight: Fight, caster: Caster, index: str, row: Combatant, effect: Effect) -> str:
        """What a timed-effect spell does once, when cast: Aid's hit points, Heroism's temporary HP."""
        if index == "aid":
            more = int(effect.bonuses["hp_max"])
            if row.kind == "monster":
                row.hp_max, row.hp = (row.hp_max or 0) + more, (row.hp or 0) + more
            else:
                sheet = fight.sheet(row)
                new = replace(sheet, hp_max=sheet.hp_max + more, hp_current=sheet.hp_current + more)
                write_back(fight.characters[character_id(row)], new)
            return f"HP maximum and current HP +{more}"
        if index == "heroism" and caster.modifier > 0:
            _put(row, replace(effect, bonuses={"temp_hp": f"+{caster.modifier}"}))  # at each of its turns' start
            saves.temporary_hp(fight, row)
            return f"immune to frightened; {caster.modifier} temporary HP at the start of each of its turns"
        return ""

    def _sleep(
        self, fight: Fight, caster: Caster, spell: Spell, slot: int | None, targets: Sequence[Combatant], done: Resolved
    ) -> None:
        pool_dice = casting.shape(spell, slot, caster.level).dice
        pool = self.fights.dice.roll(pool_dice, label=f"{caster.row.name}: {spell.name} (hit points)")
        done.shared.append(pool)
        hp: list[tuple[str, int]] = []
        by_key = {r.name_key: r for r in targets}
        for row in targets:
            creature = self.fights.creature(fight, row)
            if creature.monster is not None and (
                creature.monster.type == "undead" or "charmed" in creature.monster.condition_immunities
            ):
                done.outcomes.append(TargetOutcome(row.name, note="unaffected (undead or immune to charm)"))
                continue
            hp.append((row.name_key, _current_hp(fight, row)))
        asleep, left = casting.sleep_order(hp, pool.total)
        for name_key, current in sorted(hp, key=lambda pair: pair[1]):
            row = by_key[name_key]
            if name_key in asleep:
                effect = replace(
                    spell_effects.condition_effect(
                        spell.name,
                        ("unconscious",),
                        caster=caster.row.name_key,
                        concentration=False,
                        rounds=10,
                        save=None,
                    ),
                    ends_on_damage=True,
                )
                _put(row, effect)
                done.outcomes.append(TargetOutcome(row.name, effect=effect, note=f"falls asleep ({current} HP)"))
            else:
                done.outcomes.append(TargetOutcome(row.name, note=f"stays awake ({current} HP)"))
        done.notes.append(f"Sleep's pool: {pool.total} HP; {pool.total - left} used, lowest HP first.")

    def _darts(
        self, fight: Fight, caster: Caster, spell: Spell, slot: int | None, targets: Sequence[Combatant], done: Resolved
    ) -> None:
        shape = casting.shape(spell, slot, caster.level)
        share = _spread(shape.count, len(targets))
        for row, darts in zip(targets, share, strict=True):
            creature = self.fights.creature(fight, row)
            rolls = [
                self.fights.dice.roll(shape.dice, label=f"{caster.row.name}: {spell.name} dart {n + 1}")
                for n in range(darts)
            ]
            taken = [cr.modify_damage(r.total, spell.damage_type, creature.defences, SPELL_SOURCE) for r in rolls]
            report = hurt(fight, row, taken, critical=False)
            note = counted(darts, "dart")
            done.outcomes.append(TargetOutcome(row.name, damage_rolls=tuple(rolls), damage=report, note=note))

    def _attacks(
        self, fight: Fight, caster: Caster, spell: Spell, slot: int | None, targets: Sequence[Combatant], done: Resolved
    ) -> None:
        shape = casting.shape(spell, slot, caster.level)
        dice = shape.dice or casting.damage_dice(spell, slot, caster.level)
        sheet = fight.sheet(caster.row) if caster.row.kind == "character" else None
        dice = f"{dice}{casting.beam_bonus(sheet, spell, caster.modifier)}" if dice else dice
        share = _spread(shape.count, len(targets)) if shape.kind == "rays" else [1] * len(targets)
        melee = casting.attack_type(spell) == "melee"
        for row, count in zip(targets, share, strict=True):
            for beam in range(count):
                attacker, target = self.fights.creature(fight, caster.row), self.fights.creature(fight, row)
                if target.row.dead:
                    done.outcomes.append(TargetOutcome(row.name, note="already dead"))
                    continue
                parts = [DamageRoll(dice=dice, type=spell.damage_type or "force")] if dice else []
                name = spell.name if count == 1 else f"{spell.name} ({_ordinal(beam + 1)} beam)"
                rolls: list[RollOutcome] = []
                report = self.attacks._resolve(
                    fight, attacker, target, name, caster.attack_bonus, melee, parts, SPELL_SOURCE, False, False, rolls
                )
                done.outcomes.append(TargetOutcome(row.name, attack=report, damage=report.damage))

    def _saves(
        self, fight: Fight, caster: Caster, spell: Spell, slot: int | None, targets: Sequence[Combatant], done: Resolved
    ) -> None:
        assert spell.save is not None
        dice = casting.damage_dice(spell, slot, caster.level)
        shared = None
        if dice:  # SRD: an area's damage is rolled once for every creature in it
            shared = self.fights.dice.roll(dice, label=f"{caster.row.name}: {spell.name} ({spell.damage_type})")
            done.shared.append(shared)
        for row in targets:
            creature = self.fights.creature(fight, row)
            if spell.index in HUMANOID_ONLY and creature.monster is not None and creature.monster.type != "humanoid":
                done.outcomes.append(TargetOutcome(row.name, note=f"unaffected: {spell.name} holds only humanoids"))
                continue
            save = saves.saving_throw(self.fights, creature, spell.save.ability, caster.dc, spell=True)
            damage = None
            if shared is not None:
                taken = cr.modify_damage(shared.total, spell.damage_type, creature.defences, SPELL_SOURCE)
                if save.success:
                    taken = replace(taken, amount=taken.amount // 2 if spell.save.success == "half" else 0)
                damage = hurt(fight, row, [taken], critical=False) if taken.amount > 0 else None
            effect = None
            if not save.success and spell.conditions:
                effect = self._condition(fight, caster, spell, row, creature)
            outcome = TargetOutcome(row.name, save=save, damage_rolls=(shared,) if shared else (), damage=damage)
            done.outcomes.append(replace(outcome, effect=effect))

    def _condition(
        self, fight: Fight, caster: Caster, spell: Spell, row: Combatant, creature: Creature
    ) -> Effect | None:
        immune = set(creature.monster.condition_immunities) if creature.monster else set()
        held = tuple(c for c in spell.conditions if c not in immune)
        if not held:
            return None
        assert spell.save is not None
        repeat = (spell.save.ability, caster.dc) if spell.index in spell_effects.REPEAT_SAVE_SPELLS else None
        effect = spell_effects.condition_effect(
            spell.name,
            held,
            caster=caster.row.name_key,
            concentration=spell.concentration,
            rounds=spell_effects.rounds_of(spell.duration) or 10,
            save=repeat,
        )
        _put(row, effect)
        return effect

    def _healing(
        self, fight: Fight, caster: Caster, spell: Spell, slot: int | None, targets: Sequence[Combatant], done: Resolved
    ) -> None:
        dice = casting.heal_dice(spell, slot, caster.modifier)
        assert dice is not None
        for row in targets or [caster.row]:
            creature = self.fights.creature(fight, row)
            if creature.monster is not None and creature.monster.type in ("undead", "construct"):
                done.outcomes.append(TargetOutcome(row.name, note="unaffected (undead and constructs)"))
                continue
            roll = self.fights.dice.roll(dice, label=f"{caster.row.name}: {spell.name}")
            report = heal(fight, row, max(0, roll.total))
            done.outcomes.append(TargetOutcome(row.name, healing=roll, healed=report))


def _put(row: Combatant, effect: Effect) -> None:
    row.effects = effects.dump(effects.added(effects.load(row.effects), effect))


def _holds_anything(fight: Fight, caster: str) -> bool:
    return any(effects.concentrating(effects.load(r.effects), caster) for r in fight.rows)


def _spread(count: int, targets: int) -> list[int]:
    """Darts or rays shared out over the targets in the order named: 3 over 2 → [2, 1]."""
    if targets == 0:
        raise InvalidInput("Name at least one target.")
    if targets > count:
        raise InvalidInput(f"This cast has {count} darts or rays: name at most {count} targets.")
    return [count // targets + (1 if i < count % targets else 0) for i in range(targets)]


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def _dex_mod(creature: Creature) -> int:
    if creature.monster is not None:
        return creature.monster.modifier("dex")
    assert creature.sheet is not None
    return (creature.sheet.scores["dex"] - 10) // 2


def _current_hp(fight: Fight, row: Combatant) -> int:
    return (row.hp or 0) if row.kind == "monster" else fight.sheet(row).hp_current
