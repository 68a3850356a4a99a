"""Attacks and saves: a character's weapon attack from the sheet, a monster's SRD attack (with a poisoned
bite's rider save) or save action (a breath weapon); damage rolled, modified by resistances and applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import DamageRoll, MonsterAction
from bot.engine import combat_rules as cr
from bot.engine import effects, rules, weapons
from bot.engine.combat import custom, lookups, powers, resources, saves, wild_shape
from bot.engine.combat.fight import Creature, Fight, character_id
from bot.engine.combat.hit_points import hurt
from bot.engine.combat.loading import Fights
from bot.engine.combat.results import AttackReport, CombatRef, DamageReport, SaveRoll
from bot.engine.combat.targets import targets_of
from bot.engine.dice import Advantage, RollOutcome
from bot.engine.features import rules as feature_rules
from bot.engine.sheet import Actor, to_sheet, write_back
from bot.engine.stats import record_outcome
from bot.errors import InvalidInput
from persistence.models import Combatant

RANGED_ACTION_WORDS = ("bow", "crossbow", "sling", "dart", "javelin", "spit", "ray", "hurl", "rock")


class Attacks:
    def __init__(self, fights: Fights) -> None:
        self.fights = fights

    async def attack(
        self,
        actor: Actor,
        combat: CombatRef,
        attacker: str,
        target: str,
        weapon_or_action: str,
        *,
        advantage: bool = False,
        disadvantage: bool = False,
        two_handed: bool = False,
    ) -> AttackReport:
        """One attack: a character with a carried weapon (or `unarmed`), a monster with one of its SRD actions."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            rolls: list[RollOutcome] = []
            report = self.strike(
                fight,
                actor,
                fight.find(attacker),
                fight.find(target),
                weapon_or_action,
                advantage,
                disadvantage,
                two_handed,
                rolls,
            )
            return self.finish(session, fight, actor, rolls, report)

    async def player_attack(
        self,
        actor: Actor,
        combat: CombatRef,
        weapon: str,
        target: str,
        *,
        advantage: bool = False,
        disadvantage: bool = False,
        two_handed: bool | None = None,
        thrown: bool = False,
        smite: int = 0,
    ) -> AttackReport:
        """`/attack weapon target` in a fight: the attacker is the player's character in it. `smite`: a
        paladin's Divine Smite with a slot of that level, spent if the attack hits."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            mine = [r for r in fight.rows if r.kind == "character" and r.owner_id == actor.user_id]
            if not mine:
                raise InvalidInput("You have no character in this fight: `/combat join` first.")
            current = fight.current()
            attacker = current if current in mine else mine[0]
            rolls: list[RollOutcome] = []
            report = self.strike(
                fight,
                actor,
                attacker,
                fight.find(target),
                weapon,
                advantage,
                disadvantage,
                two_handed,
                rolls,
                thrown=thrown,
                smite=smite,
            )
            return self.finish(session, fight, actor, rolls, report)

    async def player_attacks(
        self,
        actor: Actor,
        combat: CombatRef,
        weapon: str,
        targets: str,
        *,
        advantage: bool = False,
        disadvantage: bool = False,
        two_handed: bool | None = None,
    ) -> tuple[AttackReport, ...]:
        """`/attack weapon target:Goblin 1, Goblin 2`: one attack at each target (the attacks the character's
        action gives, split between foes), each resolved on its own, all in one transaction."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            mine = [r for r in fight.rows if r.kind == "character" and r.owner_id == actor.user_id]
            if not mine:
                raise InvalidInput("You have no character in this fight: `/combat join` first.")
            current = fight.current()
            attacker = current if current in mine else mine[0]
            rolls: list[RollOutcome] = []
            reports = [
                self.strike(fight, actor, attacker, row, weapon, advantage, disadvantage, two_handed, rolls)
                for row in targets_of(fight, targets)
            ]
            last = self.finish(session, fight, actor, rolls, reports[-1])
            return (*(replace(r, version=last.version) for r in reports[:-1]), last)

    def finish(
        self, session: AsyncSession, fight: Fight, actor: Actor, rolls: list[RollOutcome], report: AttackReport
    ) -> AttackReport:
        fight.combat.version += 1
        self.fights.log(session, actor, rolls)
        record_outcome(session, fight, report)  # who hit whom for how much: the campaign's /stats
        return replace(report, version=fight.combat.version, state=self.fights.state(fight, for_dm=False))

    def strike(
        self,
        fight: Fight,
        actor: Actor,
        attacker_row: Combatant,
        target_row: Combatant,
        what: str,
        advantage: bool,
        disadvantage: bool,
        two_handed: bool | None,
        rolls: list[RollOutcome],
        *,
        reaction: bool = False,
        thrown: bool = False,
        smite: int = 0,
    ) -> AttackReport:
        """One attack (or save action) against one target. `reaction`: off its turn (an opportunity attack),
        so the player's own creature may act whoever's turn it is."""
        if reaction:
            self.fights.check_owns(actor, fight, attacker_row)
        else:
            self.fights.check_may_act(actor, fight, attacker_row)
        attacker, target = self.fights.creature(fight, attacker_row), self.fights.creature(fight, target_row)
        _check_attack(attacker, target)
        if not reaction:
            saves.check_turn_rule(attacker, effects.NO_ACTIONS, "take actions")  # Haste's lethargy
        saves.sanctuary(self.fights, fight, attacker_row, target_row)
        saves.reveal(attacker_row)  # attacking ends Invisibility (the roll still has its advantage)
        if attacker.monster is not None:
            action = lookups.action(attacker.monster, what)
            resources.check_usable(attacker_row, action)
            if action.attack_bonus is None:
                return self._save_action(fight, attacker, target, action, rolls)
            return self._monster_attack(fight, attacker, target, action, advantage, disadvantage, rolls)
        assert attacker.sheet is not None
        if wild_shape.beast(attacker_row) is not None:  # a druid in a beast's shape attacks as the beast
            return self._beast_attack(fight, actor, attacker, target, what, (advantage, disadvantage), reaction, rolls)
        line = self.fights.checks.attack_line(attacker.sheet, what, two_handed=two_handed)
        srd_weapon = self.fights.srd.weapon(line.weapon) if line.weapon in self.fights.srd.lookup("weapon") else None
        melee = not thrown and (srd_weapon is None or srd_weapon.range_type == "melee")  # unarmed, custom: melee
        count = (
            None
            if reaction
            else powers.count_attack(fight, attacker_row, attacker.sheet, limited=not fight.is_dm(actor))
        )
        power = powers.strike(
            fight,
            attacker_row,
            attacker.sheet,
            line,
            srd_weapon,
            melee=melee,
            own_effects=attacker.effects,
            smite=smite,
            target_type=target.monster.type if target.monster is not None else "humanoid",
            target_hurt=_hurt(target),
        )
        done = weapons.spend(attacker.sheet, self.fights.srd, line.weapon, thrown=thrown)
        if done.ammunition or done.thrown:  # counted on the combatant: recovered when the fight ends
            write_back(fight.characters[character_id(attacker_row)], done.sheet)
            attacker_row.spent = weapons.counted_spent(attacker_row.spent, done)
        dice, _, damage_type = line.damage.partition(" ")
        report = self._resolve(
            fight,
            attacker,
            target,
            line.name,
            line.to_hit,
            melee,
            [DamageRoll(dice=dice, type=damage_type or "bludgeoning")]
            + [DamageRoll(dice=d, type=t) for d, t in line.extra],  # a homebrew weapon's poison too
            cr.DamageSource(weapon=True, magical=line.magical),
            advantage,
            disadvantage,
            rolls,
            power=replace(power, notes=(*((count,) if count else ()), *power.notes)),
        )
        return replace(report, note=done.note) if done.note else report

    def _beast_attack(
        self,
        fight: Fight,
        actor: Actor,
        attacker: Creature,
        target: Creature,
        what: str,
        edges: tuple[bool, bool],
        reaction: bool,
        rolls: list[RollOutcome],
    ) -> AttackReport:
        """A wild-shaped druid attacks with the beast's attacks (a wolf's Bite), one an attack action."""
        shape = wild_shape.beast(attacker.row) or {}
        beast = self.fights.monster(str(shape["beast"]))
        action = lookups.action(beast, what)
        if action.attack_bonus is None:
            names = ", ".join(a.name for a in beast.actions if a.attack_bonus is not None)
            raise InvalidInput(f"In the {beast.name}'s shape, the attacks of {attacker.name}: {names}.")
        if not reaction:
            assert attacker.sheet is not None
            state = powers.turn(fight, attacker.row)
            if state["attacks"] >= state["actions"] and not fight.is_dm(actor):
                raise InvalidInput(f"The {beast.name} has made its attack this turn. End the turn with `/combat next`.")
            powers.put_turn(fight, attacker.row, {**state, "attacks": int(state["attacks"]) + 1})
        as_beast = replace(attacker, monster=beast)
        report = self._monster_attack(fight, as_beast, target, action, *edges, rolls)
        return replace(report, attacker_kind="character", notes=(f"as the {beast.name} (Wild Shape)", *report.notes))

    def _monster_attack(
        self,
        fight: Fight,
        attacker: Creature,
        target: Creature,
        action: MonsterAction,
        advantage: bool,
        disadvantage: bool,
        rolls: list[RollOutcome],
    ) -> AttackReport:
        assert attacker.monster is not None and action.attack_bonus is not None
        parts = list(action.damage) or list(action.damage_one_of[:1])  # "one of": the first listed
        magical = cr.MAGIC_WEAPONS_TRAIT in attacker.monster.special_abilities
        return self._resolve(
            fight,
            attacker,
            target,
            action.name,
            action.attack_bonus,
            _is_melee(action),
            parts,
            cr.DamageSource(weapon=True, magical=magical),
            advantage,
            disadvantage,
            rolls,
        )

    def _resolve(
        self,
        fight: Fight,
        attacker: Creature,
        target: Creature,
        name: str,
        to_hit: int,
        melee: bool,
        parts: Sequence[DamageRoll],
        source: cr.DamageSource,
        advantage: bool,
        disadvantage: bool,
        rolls: list[RollOutcome],
        *,
        power: powers.Strike | None = None,
    ) -> AttackReport:
        kind = attacker.monster.type if attacker.monster is not None else "humanoid"
        fx = effects.rolls_for("attack", attacker.effects, target.effects, attacker_type=kind)
        adv, dis = self.fights.traits.attack_edges(fight, attacker)  # Pack Tactics, Sunlight Sensitivity
        mods = cr.attack_modifiers(
            attacker.conditions,
            target.conditions,
            melee=melee,
            advantage=advantage,
            disadvantage=disadvantage,
            granted=((*fx.advantage, *adv), (*fx.disadvantage, *dis)),
        )
        decoy = saves.mirror_image(self.fights, target, rolls)  # a duplicate may draw the attack (its AC)
        ac = target.ac if decoy is None else decoy[0]
        roll = self.fights.dice.roll(
            f"1d20{rules.signed(to_hit)}", advantage=mods.advantage, label=f"{attacker.name}: {name} attack"
        )
        bonus = self._effect_dice(fx.dice, attacker.name)
        rolls.extend([roll, *(r for _, r, _ in bonus)])  # after the Mirror Image d20, as they were rolled
        natural = roll.total - to_hit  # the kept d20 of `1d20+bonus`
        total = roll.total + sum(sign * r.total for _, r, sign in bonus)
        resolution = cr.resolve_attack(
            natural,
            total,
            ac,
            auto_crit=decoy is None and cr.auto_crit(target.conditions, melee=melee),
            crit_from=power.crit_from if power else 20,
        )
        parried = self.fights.traits.parry(target, resolution, total, melee=melee)
        if parried:
            resolution = cr.AttackResolution(False, False, parried)
        damage_rolls: list[RollOutcome] = []
        damage, save = None, None
        parts = [*parts, *_damage_bonus(attacker, parts, target.row.name_key)]
        notes = list(power.notes) if power else []
        if power is not None and resolution.hit and decoy is None:
            parts, notes = self._features_on_hit(fight, attacker, power, mods.advantage, parts, notes)
        if decoy is not None:
            name = f"{name} → a duplicate (Mirror Image d20: {decoy[1]})"
            if resolution.hit:
                saves.destroy_duplicate(target.row)
        elif resolution.hit:
            damage, save = self._hit(fight, attacker, target, parts, resolution.critical, source, damage_rolls)
            notes += powers.on_kill(fight, attacker, target, damage)  # Dark One's Blessing
            powers.remember_hit(fight, target.row, damage)  # for an Uncanny Dodge
        powers.spend_once(attacker.row, fx.dice)  # a Bardic Inspiration die is used once
        if parried:
            notes.insert(0, parried)
        rolls.extend(damage_rolls + _save_rolls(save) + list(damage.trait_rolls if damage else ()))
        return AttackReport(
            combat_id=fight.combat.id,
            attacker=attacker.name,
            attacker_kind=attacker.kind,
            target=target.name,
            action=name,
            kind="attack",
            roll=roll,
            to_hit=to_hit,
            ac=ac,
            hit=resolution.hit,
            critical=resolution.critical,
            reason=resolution.reason,
            save=save,
            damage_rolls=tuple(damage_rolls),
            damage=damage,
            reasons=mods.reasons,
            bonus_rolls=bonus,
            notes=tuple(notes),
        )

    def _features_on_hit(
        self,
        fight: Fight,
        attacker: Creature,
        power: powers.Strike,
        advantage: Advantage,
        parts: list[DamageRoll],
        notes: list[str],
    ) -> tuple[list[DamageRoll], list[str]]:
        """What a character's features add to a hit: Rage, Divine Smite (its slot spent now), Sneak Attack."""
        extra = [part for _, part in power.on_hit]
        notes = [*notes, *(name for name, _ in power.on_hit)]
        if any(name.startswith("Colossus Slayer") for name, _ in power.on_hit):
            powers.put_turn(fight, attacker.row, {**powers.turn(fight, attacker.row), "colossus": True})
        if power.smite:
            row = fight.characters[character_id(attacker.row)]
            write_back(row, powers.spend_slot(to_sheet(row), power.smite))
        if power.sneak is not None and powers.sneak_applies(power, advantage):
            extra.append(power.sneak)
            notes.append(f"Sneak Attack {power.sneak.dice}")
            powers.spend_sneak(fight, attacker.row)
        return [*parts, *extra], notes

    def _effect_dice(self, dice: Sequence[tuple[str, str]], who: str) -> tuple[tuple[str, RollOutcome, int], ...]:
        """The effects' dice on a d20 roll (Bless: +1d4, Bane: -1d4), each rolled on its own."""
        return tuple(
            (name, self.fights.dice.roll(term[1:], label=f"{who}: {name}"), -1 if term[0] == "-" else 1)
            for name, term in dice
        )

    def _hit(
        self,
        fight: Fight,
        attacker: Creature,
        target: Creature,
        parts: Sequence[DamageRoll],
        critical: bool,
        source: cr.DamageSource,
        damage_rolls: list[RollOutcome],
    ) -> tuple[DamageReport, SaveRoll | None]:
        """The damage of a hit, and the target's save against a rider (a poisoned bite's extra damage)."""
        plain = [p for p in parts if p.dc is None]
        taken = self._roll_damage(plain, critical, target, source, attacker.name, damage_rolls)
        riders = [p for p in parts if p.dc is not None]
        save = None
        if riders:
            save, extra = self._rider_damage(target, riders, critical, source, attacker.name, damage_rolls)
            taken += extra
        return hurt(fight, target.row, taken, critical=critical, guard=self.fights.traits.guard), save

    def _roll_damage(
        self,
        parts: Sequence[DamageRoll],
        critical: bool,
        target: Creature,
        source: cr.DamageSource,
        who: str,
        rolls: list[RollOutcome],
    ) -> list[cr.DamageTaken]:
        taken = []
        for part in parts:
            roll = self.fights.dice.roll(
                cr.crit_dice(part.dice) if critical else part.dice, label=f"{who}: {part.type}"
            )
            rolls.append(roll)
            taken.append(cr.modify_damage(roll.total, part.type, target.defences, source))
        return taken

    def _rider_damage(
        self,
        target: Creature,
        riders: Sequence[DamageRoll],
        critical: bool,
        source: cr.DamageSource,
        who: str,
        rolls: list[RollOutcome],
    ) -> tuple[SaveRoll, list[cr.DamageTaken]]:
        dc = riders[0].dc
        assert dc is not None
        save = self.saving_throw(target, dc.ability, dc.value)
        taken = self._roll_damage(riders, critical, target, source, who, rolls)
        return save, [_on_save(t, save.success, dc.success) for t in taken]

    def area(
        self,
        fight: Fight,
        actor: Actor,
        attacker_row: Combatant,
        target_rows: Sequence[Combatant],
        action: MonsterAction,
        rolls: list[RollOutcome],
    ) -> list[AttackReport]:
        """A save action (a breath weapon, a legendary Wing Attack) against its targets: the damage is rolled
        once for all of them (the SRD's rule for an effect that damages several at once), and each target makes
        its own save and takes its share through its own resistances and traits."""
        self.fights.check_may_act(actor, fight, attacker_row)
        attacker = self.fights.creature(fight, attacker_row)
        targets = [self.fights.creature(fight, row) for row in target_rows]
        for target in targets:
            _check_attack(attacker, target)
        shared = [
            self.fights.dice.roll(p.dice, label=f"{attacker.name}: {action.name} {p.type}") for p in action.damage
        ]
        rolls.extend(shared)
        return [self._save_action(fight, attacker, target, action, rolls, shared) for target in targets]

    def _save_action(
        self,
        fight: Fight,
        attacker: Creature,
        target: Creature,
        action: MonsterAction,
        rolls: list[RollOutcome],
        shared: Sequence[RollOutcome] | None = None,
    ) -> AttackReport:
        """An action with a saving throw (a breath weapon) against one target: full damage on a failure. One
        without damage (a dragon's Frightful Presence) rolls the save only; the DM applies what it imposes."""
        if action.dc is None:
            raise InvalidInput(
                f"{attacker.name}'s {action.name} isn't an attack the engine can roll; describe it "
                "and use damage or conditions instead."
            )
        save = self.saving_throw(target, action.dc.ability, action.dc.value)
        damage_rolls: list[RollOutcome] = []
        source = cr.DamageSource()
        if shared is None:
            taken = self._roll_damage(action.damage, False, target, source, attacker.name, damage_rolls)
        else:  # rolled once for every target of the area (already in `rolls`)
            parts = zip(action.damage, shared, strict=True)
            taken = [cr.modify_damage(roll.total, part.type, target.defences, source) for part, roll in parts]
        evades = target.sheet is not None and feature_rules.evasion(target.sheet) and action.dc.ability == "dex"
        if evades and action.dc.success == "half":  # Evasion: none on a success, half on a failure
            taken = [_evaded(t, save.success) for t in taken]
        else:
            taken = [_on_save(t, save.success, action.dc.success) for t in taken]
        guard = self.fights.traits.guard
        damage = hurt(fight, target.row, taken, critical=False, guard=guard) if any(t.raw for t in taken) else None
        rolls.extend(_save_rolls(save) + damage_rolls + list(damage.trait_rolls if damage else ()))
        damage_rolls = list(shared) if shared is not None else damage_rolls
        reason = f"{rules.ABILITY_NAMES[action.dc.ability]} save DC {action.dc.value}"
        return AttackReport(
            combat_id=fight.combat.id,
            attacker=attacker.name,
            attacker_kind=attacker.kind,
            target=target.name,
            action=action.name,
            kind="save",
            roll=None,
            to_hit=None,
            ac=None,
            hit=not save.success,
            critical=False,
            reason=reason,
            save=save,
            damage_rolls=tuple(damage_rolls),
            damage=damage,
        )

    def saving_throw(self, target: Creature, ability: str, dc: int, *, spell: bool = False) -> SaveRoll:
        """A creature's save in a fight (see `saves.saving_throw`): `spell` for Magic Resistance."""
        return saves.saving_throw(self.fights, target, ability, dc, spell=spell)


def _check_attack(attacker: Creature, target: Creature) -> None:
    if attacker.row is target.row:
        raise InvalidInput(f"{attacker.name} can't attack itself.")
    if custom.is_lair(target.row):
        raise InvalidInput("The Lair Actions entry is the lair's turn, not a creature: pick another target.")
    if attacker.row.dead or (attacker.sheet is not None and attacker.sheet.hp_current <= 0):
        raise InvalidInput(f"{attacker.name} is down and can't attack.")
    blocking = cr.incapacitated_by(attacker.conditions)
    if blocking:
        raise InvalidInput(f"{attacker.name} is {', '.join(blocking)} and can't attack.")
    if target.row.dead or (target.sheet is not None and target.sheet.death_failures >= 3):
        raise InvalidInput(f"{target.name} is already dead.")


def _hurt(target: Creature) -> bool:
    """Below its hit point maximum (Colossus Slayer)."""
    if target.sheet is not None:
        return target.sheet.hp_current < target.sheet.hp_max
    return (target.row.hp or 0) < (target.row.hp_max or 0)


def _save_rolls(save: SaveRoll | None) -> list[RollOutcome]:
    if save is None:
        return []
    return ([save.roll] if save.roll else []) + [r for _, r, _ in save.bonus_rolls]


def _damage_bonus(attacker: Creature, parts: Sequence[DamageRoll], target: str | None = None) -> list[DamageRoll]:
    """An effect's extra damage (a custom `damage:1d6`) on each hit, of the attack's first damage type."""
    kind = parts[0].type if parts else "bludgeoning"
    bonus = effects.damage_bonus(attacker.effects, target)
    return [DamageRoll(dice=term[1:], type=kind) for _, term in bonus]


def is_melee(action: MonsterAction) -> bool:
    """Whether a monster's attack is a melee one (an opportunity attack must be)."""
    return _is_melee(action)


def _is_melee(action: MonsterAction) -> bool:
    """The SRD data doesn't mark monster attacks melee or ranged; a bow, sling or thrown rock is ranged."""
    name = action.name.casefold()
    return not any(word in name for word in RANGED_ACTION_WORDS)


def _evaded(taken: cr.DamageTaken, success: bool) -> cr.DamageTaken:
    """A rogue's or monk's Evasion on a Dexterity save for half: nothing on a success, half on a failure."""
    amount = 0 if success else taken.amount // 2
    said = "Evasion: none on the save" if success else "Evasion: half on a failed save"
    return replace(taken, amount=amount, effect=f"{taken.effect}, {said}" if taken.effect else said)


def _on_save(taken: cr.DamageTaken, success: bool, on_success: str) -> cr.DamageTaken:
    """A failed save takes it all; a success takes half (when the action says so) or nothing."""
    if not success:
        return taken
    saved = "half on the save" if on_success == "half" else "none on the save"
    return replace(
        taken,
        amount=taken.amount // 2 if on_success == "half" else 0,
        effect=f"{taken.effect}, {saved}" if taken.effect else saved,
    )
