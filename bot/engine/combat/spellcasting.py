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
from bot.engine.features import rules as feature_rules
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
        elif spell.index in POOLS:
            self._pool(fight, caster, spell, slot, targets, done)
        elif spell.index in POWER_WORDS:
            self._power_word(fight, caster, spell, targets, done)
        elif spell.index in casting.RESTORING:
            for row in targets:
                done.outcomes.append(TargetOutcome(row.name, note=_restore(fight, spell, row)))
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

    def _pool(
        self, fight: Fight, caster: Caster, spell: Spell, slot: int | None, targets: Sequence[Combatant], done: Resolved
    ) -> None:
        """Sleep and Color Spray: a pool of hit points rolled once, spent on the targets lowest HP first; each
        it covers falls asleep (until damaged, a minute) or is blinded (until the end of the caster's next turn)."""
        rule = POOLS[spell.index]
        pool_dice = casting.shape(spell, slot, caster.level).dice
        pool = self.fights.dice.roll(pool_dice, label=f"{caster.row.name}: {spell.name} (hit points)")
        done.shared.append(pool)
        hp: list[tuple[str, int]] = []
        by_key = {r.name_key: r for r in targets}
        for row in targets:
            creature = self.fights.creature(fight, row)
            if creature.monster is not None and (
                creature.monster.type in rule.unaffected_types
                or rule.immune_if in creature.monster.condition_immunities
            ):
                done.outcomes.append(TargetOutcome(row.name, note=f"unaffected ({rule.why})"))
                continue
            hp.append((row.name_key, _current_hp(fight, row)))
        covered, left = casting.sleep_order(hp, pool.total)
        for name_key, current in sorted(hp, key=lambda pair: pair[1]):
            row = by_key[name_key]
            if name_key in covered:
                effect = replace(
                    spell_effects.condition_effect(
                        spell.name,
                        (rule.condition,),
                        caster=caster.row.name_key,
                        concentration=False,
                        rounds=rule.rounds,
                        save=None,
                    ),
                    ends_on_damage=rule.ends_on_damage,
                )
                _put(row, effect)
                done.outcomes.append(TargetOutcome(row.name, effect=effect, note=f"{rule.hit} ({current} HP)"))
            else:
                done.outcomes.append(TargetOutcome(row.name, note=f"{rule.missed} ({current} HP)"))
        done.notes.append(f"{spell.name}'s pool: {pool.total} HP; {pool.total - left} used, lowest HP first.")

    def _power_word(
        self, fight: Fight, caster: Caster, spell: Spell, targets: Sequence[Combatant], done: Resolved
    ) -> None:
        """Power Word Stun (150 HP or fewer: stunned, a CON save at the end of each of its turns ends it) and
        Power Word Kill (100 HP or fewer: it dies). No roll but the target's hit points."""
        most = POWER_WORDS[spell.index]
        for row in targets:
            current = _current_hp(fight, row)
            if current > most:
                done.outcomes.append(TargetOutcome(row.name, note=f"unaffected: {current} HP, more than {most}"))
            elif spell.index == "power-word-kill":
                maximum = (row.hp_max or 0) if row.kind == "monster" else fight.sheet(row).hp_max
                deadly = cr.DamageTaken(current + maximum, current + maximum, None, None)  # dies outright
                report = hurt(fight, row, [deadly], critical=False)
                done.outcomes.append(TargetOutcome(row.name, damage=report, note=f"dies ({current} HP)"))
            else:
                effect = Effect(
                    spell.name, conditions=("stunned",), save_ends=("con", caster.dc), caster=None, ticks_on=None
                )
                _put(row, effect)
                done.outcomes.append(TargetOutcome(row.name, effect=effect, note=f"stunned ({current} HP)"))

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
                evades = creature.sheet is not None and feature_rules.evasion(creature.sheet)
                if evades and spell.save.ability == "dex" and spell.save.success == "half":  # Evasion
                    taken = replace(taken, amount=0 if save.success else taken.amount // 2)
                elif save.success:
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
        immune |= self._warded(caster, creature)
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

    def _warded(self, caster: Caster, target: Creature) -> set[str]:
        """Conditions the target's spells keep off: Heroism's fear; Protection from Evil and Good's charm and
        fear by an aberration, celestial, elemental, fey, fiend or undead."""
        kept = {"frightened"} if any(e.key == "heroism" for e in target.effects) else set()
        if caster.row.kind != "monster":
            return kept
        kind = self.fights.monster_of(caster.row).type
        if any(kind in e.from_types for e in target.effects):
            kept |= set(spell_effects.WARDED_CONDITIONS)
        return kept

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


LESSER_RESTORATION = ("paralyzed", "blinded", "poisoned", "deafened")  # the one it ends: the worst first


def _restore(fight: Fight, spell: Spell, row: Combatant) -> str:
    """Spare the Dying (a dying creature becomes stable), Revivify (a creature dead within the minute returns
    with 1 HP) and Lesser Restoration (one of blinded, deafened, paralyzed, poisoned ends, whatever its
    source: a spell holding it ends too). What changed, or why nothing did."""
    held = [e for e in effects.load(row.effects) if e.conditions]
    if spell.index == "lesser-restoration":
        own = [c["name"] for c in row.conditions or []] if row.kind == "monster" else []
        if row.kind == "character":
            own = [c.name for c in fight.sheet(row).conditions]
        present = [c for c in LESSER_RESTORATION if c in own or any(c in e.conditions for e in held)]
        if not present:
            return "nothing to end: not blinded, deafened, paralyzed or poisoned"
        ended = present[0]
        row.effects = effects.dump(e for e in effects.load(row.effects) if ended not in e.conditions)
        if row.kind == "monster":
            row.conditions = [c for c in row.conditions or [] if c["name"] != ended]
        else:
            sheet = fight.sheet(row)
            kept = tuple(c for c in sheet.conditions if c.name != ended)
            write_back(fight.characters[character_id(row)], replace(sheet, conditions=kept))
        return f"no longer {ended}"
    if row.kind != "character":
        return "unaffected: the DM decides what a monster's body does"
    sheet = fight.sheet(row)
    if spell.index == "spare-the-dying":
        if sheet.hp_current > 0 or sheet.death_failures >= 3:
            return "unaffected: only a creature dying at 0 HP is stabilised"
        write_back(fight.characters[character_id(row)], replace(sheet, death_successes=3))
        return "stable at 0 HP"
    if sheet.death_failures < 3:
        return "unaffected: Revivify brings back the dead"
    woken = tuple(c for c in sheet.conditions if c.name != "unconscious")
    back = replace(sheet, hp_current=1, death_successes=0, death_failures=0, conditions=woken)
    write_back(fight.characters[character_id(row)], back)
    return "returns to life with 1 HP (if dead no longer than a minute: the DM holds to it)"


@dataclass(frozen=True)
class PoolRule:
    condition: str
    rounds: int  # on the caster's turns: Color Spray's "until the end of your next turn" is 2 from its own
    ends_on_damage: bool
    unaffected_types: tuple[str, ...]
    immune_if: str
    why: str
    hit: str
    missed: str


POOLS = {
    "sleep": PoolRule(
        "unconscious", 10, True, ("undead",), "charmed", "undead or immune to charm", "falls asleep", "stays awake"
    ),
    "color-spray": PoolRule("blinded", 2, False, (), "blinded", "immune to blindness", "is blinded", "sees on"),
}
POWER_WORDS = {"power-word-stun": 150, "power-word-kill": 100}  # the most hit points each works on


def _current_hp(fight: Fight, row: Combatant) -> int:
    return (row.hp or 0) if row.kind == "monster" else fight.sheet(row).hp_current
