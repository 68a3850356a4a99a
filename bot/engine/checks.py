"""Rolls from the active character's sheet: checks, saves, attacks, death saves and initiative.

Bonuses come from `characters.stats()` (the rules); advantage and disadvantage come from the
player's flags and the character's conditions, combined and cancelled by the SRD rule. Every die
goes through `Dice`. Plain rolls are logged by `record()` after the reply; a death save changes the
sheet, so its roll is logged inside that change's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import death, effects, rules, weapons
from bot.engine import events as log
from bot.engine.characters import CharacterRef, CharacterService, Pending
from bot.engine.dice import Critical, Dice, RollOutcome
from bot.engine.features import rules as feature_rules
from bot.engine.features.uses import level_in
from bot.engine.rolls import RollService
from bot.engine.sheet import Actor, AttackLine, Sheet, active_conditions, attack_line, custom_attacks, scores_of
from bot.errors import InvalidInput, NotFound

MAX_TARGET_LENGTH = 100
UNARMED = "unarmed-strike"
RollKind = Literal["check", "save", "initiative", "attack", "death save"]


@dataclass(frozen=True)
class CheckResult:
    character: str
    kind: RollKind
    label: str  # "Perception check", "Dexterity save"
    bonus: int
    outcome: RollOutcome | None  # None when a condition makes the save fail automatically
    reasons: tuple[str, ...] = ()  # where advantage/disadvantage came from
    auto_fail: bool = False

    @property
    def outcomes(self) -> tuple[RollOutcome, ...]:
        return (self.outcome,) if self.outcome else ()


@dataclass(frozen=True)
class AttackResult:
    character: str
    weapon: str
    target: str | None
    to_hit: int
    attack: RollOutcome
    damage: RollOutcome | None  # None on a natural 1 (a miss whatever the target)
    damage_type: str | None
    critical: bool
    reasons: tuple[str, ...] = ()
    note: str = ""  # what the attack used up

    @property
    def outcomes(self) -> tuple[RollOutcome, ...]:
        return (self.attack, self.damage) if self.damage else (self.attack,)


@dataclass(frozen=True)
class DeathSaveResult:
    character: str
    outcome: RollOutcome
    successes: int
    failures: int
    state: rules.DeathState
    hp: int
    reasons: tuple[str, ...] = ()


class CheckService:
    def __init__(self, characters: CharacterService, dice: Dice, rolls: RollService) -> None:
        self.characters = characters
        self.srd = characters.srd
        self.dice = dice
        self.rolls = rolls

    def choices(self, text: str) -> list[tuple[str, str]]:
        """Autocomplete for `/check`: the 18 skills and 6 abilities as (value, label)."""
        options = [(s.index, f"{s.name} ({s.ability.upper()})") for s in self.srd.data.skills]
        options += [(a, rules.ABILITY_NAMES[a]) for a in rules.ABILITIES]
        needle = text.strip().casefold()
        return [o for o in options if needle in o[1].casefold()][:25]

    async def check(
        self,
        actor: Actor,
        what: str,
        *,
        advantage: bool = False,
        disadvantage: bool = False,
        ref: CharacterRef | None = None,
    ) -> CheckResult:
        sheet = await self.characters.get(actor, ref)
        stats = self.characters.stats(sheet)
        skill, ability = self._skill_or_ability(what)
        bonus = stats.skills[skill] if skill else stats.modifiers[ability] + stats.check_bonus
        name = self.srd.skill(skill).name if skill else rules.ABILITY_NAMES[ability]
        fx = effects.rolls_for("check", await self._effects_on(sheet), ability=ability)  # Guidance: +1d4
        mods = rules.condition_modifiers(
            "check",
            active_conditions(sheet, self.srd),
            ability=ability,
            skill=skill,
            stealth_disadvantage=stats.stealth_disadvantage,
            advantage=advantage or bool(fx.advantage),
            disadvantage=disadvantage or bool(fx.disadvantage),
        )
        return self._roll(sheet, "check", f"{name} check", bonus, mods, fx)

    async def save(
        self,
        actor: Actor,
        ability: str,
        *,
        advantage: bool = False,
        disadvantage: bool = False,
        ref: CharacterRef | None = None,
    ) -> CheckResult:
        sheet = await self.characters.get(actor, ref)
        key = self._ability(ability)
        bonus = self.characters.stats(sheet).saves[key]
        fx = effects.rolls_for("save", await self._effects_on(sheet), ability=key)  # Bless, Resistance: +1d4
        mods = rules.condition_modifiers(
            "save",
            active_conditions(sheet, self.srd),
            ability=key,
            advantage=advantage or bool(fx.advantage),
            disadvantage=disadvantage or bool(fx.disadvantage),
        )
        return self._roll(sheet, "save", f"{rules.ABILITY_NAMES[key]} save", bonus, mods, fx)

    async def initiative(
        self, actor: Actor, *, advantage: bool = False, disadvantage: bool = False, ref: CharacterRef | None = None
    ) -> CheckResult:
        """Initiative is a Dexterity check, so conditions on ability checks apply."""
        sheet = await self.characters.get(actor, ref)
        bonus = self.characters.stats(sheet).initiative
        mods = rules.condition_modifiers(
            "check", active_conditions(sheet, self.srd), ability="dex", advantage=advantage, disadvantage=disadvantage
        )
        return self._roll(sheet, "initiative", "Initiative", bonus, mods)

    async def attack(
        self,
        actor: Actor,
        weapon: str,
        *,
        target: str | None = None,
        advantage: bool = False,
        disadvantage: bool = False,
        two_handed: bool | None = None,
        thrown: bool = False,
        ref: CharacterRef | None = None,
    ) -> AttackResult:
        sheet = await self.characters.get(actor, ref)
        conditions = active_conditions(sheet, self.srd)
        blocking = [c.name.lower() for c, _ in conditions if c.effects.incapacitated]
        if blocking:
            raise InvalidInput(f"{sheet.name} is {', '.join(blocking)} and can't attack.")
        line = self._attack_line(sheet, weapon, two_handed)
        note = await self._spend(actor, ref, line.weapon, thrown)
        mods = rules.condition_modifiers("attack", conditions, advantage=advantage, disadvantage=disadvantage)
        attack = self.dice.roll(
            f"1d20{rules.signed(line.to_hit)}", advantage=mods.advantage, label=f"{sheet.name}: {line.name} attack"
        )
        critical = attack.critical is Critical.SUCCESS
        damage = None
        if attack.critical is not Critical.FAIL:
            dice = line.damage.partition(" ")[0]
            expression = "+".join(_crit_damage(d) if critical else d for d in (dice, *(d for d, _ in line.extra)))
            damage = self.dice.roll(expression, label=f"{sheet.name}: {line.name} damage")
        return AttackResult(
            character=sheet.name,
            weapon=line.name,
            target=_target(target),
            to_hit=line.to_hit,
            attack=attack,
            damage=damage,
            damage_type=", ".join([line.damage.partition(" ")[2], *(t for _, t in line.extra)]) or None,
            critical=critical,
            reasons=mods.reasons,
            note=note,
        )

    async def _spend(self, actor: Actor, ref: CharacterRef | None, weapon: str, thrown: bool) -> str:
        """An arrow (or the thrown dagger) is gone, in a fight or not; only a fight counts them to recover."""
        if not thrown and weapon not in weapons.AMMUNITION:
            return ""

        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, str]:
            done = weapons.spend(sheet, self.srd, weapon, thrown=thrown)
            if done.thrown:  # no fight to end: the player picks it up with `/character inventory action:add`
                name = self.srd.weapon(weapon).name
                return done.sheet, f"{name} thrown: pick it up again with /character inventory action:add"
            return done.sheet, done.note

        return await self.characters.change(actor, ref or CharacterRef(), apply)

    async def death_save(
        self, actor: Actor, *, advantage: bool = False, disadvantage: bool = False, ref: CharacterRef | None = None
    ) -> DeathSaveResult:
        """A flat d20 at 0 HP; the counters change in the same transaction that logs the roll."""

        async def apply(session: AsyncSession, sheet: Sheet, pending: Pending) -> tuple[Sheet, DeathSaveResult]:
            _check_dying(sheet)
            await death.refuse_in_fight(session, sheet)  # in a fight the engine rolls it as the turn starts
            mods = rules.condition_modifiers(
                "save", active_conditions(sheet, self.srd), advantage=advantage, disadvantage=disadvantage
            )
            outcome = self.dice.roll("1d20", advantage=mods.advantage, label="Death save")
            pending.rolls.append(outcome)
            result = rules.death_save(outcome.total, outcome.total, sheet.death_successes, sheet.death_failures)
            new = death.after_death_save(sheet, result)
            if sheet.campaign_id is not None and new.death_failures >= 3 > sheet.death_failures:
                died = f"{sheet.name} dies (three failed death saves)."
                log.tell(session, sheet.campaign_id, "death", died, actor_id=actor.user_id, character_id=sheet.id)
            return new, DeathSaveResult(
                sheet.name, outcome, result.successes, result.failures, result.state, new.hp_current, mods.reasons
            )

        return await self.characters.change(actor, ref or CharacterRef(), apply)

    async def record(self, actor: Actor, result: CheckResult | AttackResult) -> None:
        """Write the rolls to the roll log (after the reply, so it never delays it)."""
        for outcome in result.outcomes:
            await self.rolls.record(actor, outcome)

    def attack_line(self, sheet: Sheet, weapon: str, *, two_handed: bool | None = None) -> AttackLine:
        """A carried weapon's (or `unarmed`) to-hit and damage; the combat engine attacks with it."""
        return self._attack_line(sheet, weapon, two_handed)

    # Helpers ------------------------------------------------------------------------------------

    async def _effects_on(self, sheet: Sheet) -> tuple[effects.Effect, ...]:
        """The sheet's timed effects and, in a running fight, its combatant's (Bless cast there or before it)."""
        return (await self.characters.with_fight_effects(sheet)).effects

    def _roll(
        self,
        sheet: Sheet,
        kind: RollKind,
        label: str,
        bonus: int,
        mods: rules.RollModifiers,
        fx: effects.RollEffects | None = None,
    ) -> CheckResult:
        """The d20 with the bonus, and the dice of the sheet's timed effects (Guidance: + 1d4) in the one roll."""
        dice = fx.dice if fx else ()
        if mods.auto_fail:
            return CheckResult(sheet.name, kind, label, bonus, None, mods.reasons, auto_fail=True)
        expression = f"1d20{rules.signed(bonus)}" + "".join(term for _, term in dice)
        label += "".join(f" ({name} {term})" for name, term in dice)
        outcome = self.dice.roll(expression, advantage=mods.advantage, label=f"{sheet.name}: {label}")
        return CheckResult(sheet.name, kind, label, bonus, outcome, mods.reasons)

    def _skill_or_ability(self, what: str) -> tuple[str | None, str]:
        text = what.strip()
        try:
            skill = self.srd.skill(text)
            return skill.index, skill.ability
        except KeyError:
            pass
        try:
            return None, self._ability(text)
        except InvalidInput:
            raise InvalidInput(
                f"“{text[:40]}” is neither a skill nor an ability. Examples: `/check Perception`, `/check Strength`."
            ) from None

    def _ability(self, text: str) -> str:
        folded = text.strip().casefold()
        for key, name in rules.ABILITY_NAMES.items():
            if folded in (key, name.casefold()):
                return key
        raise InvalidInput(
            f"“{text[:40]}” is not an ability; use one of Strength, Dexterity, Constitution, "
            "Intelligence, Wisdom, Charisma (or str, dex, con, int, wis, cha)."
        )

    def _attack_line(self, sheet: Sheet, weapon: str, two_handed: bool | None) -> AttackLine:
        if weapon.strip().casefold() in ("unarmed", "unarmed strike", UNARMED):
            return _unarmed(sheet)
        wanted = " ".join(weapon.split()).casefold()
        customs = custom_attacks(sheet, scores_of(sheet, self.srd), self.srd)
        custom = next((a for a in customs if wanted in (a.weapon, a.name.casefold())), None)
        if custom is not None:
            return custom  # the DM's own weapon, as the DM described it
        try:
            entry = self.srd.weapon(weapon)
        except KeyError:
            carried = [i.name for i in sheet.inventory if i.item in self.srd.lookup("weapon")]
            hint = f" {sheet.name} carries: {', '.join(carried)}." if carried else ""
            raise NotFound(f"“{weapon[:40]}” is not an SRD weapon.{hint} Or attack `unarmed`.") from None
        if sheet.carried(entry.index) is None:
            raise NotFound(
                f"{sheet.name} isn't carrying a {entry.name}. Add it with `/character inventory action:add`."
            )
        if not entry.damage_dice:
            raise InvalidInput(f"A {entry.name} deals no damage; it's used differently.")
        return attack_line(sheet, self.srd, entry, two_handed=weapons.grip(sheet, self.srd, entry, two_handed))


def _unarmed(sheet: Sheet) -> AttackLine:
    """Unarmed strike: 1 + Str bludgeoning, proficient for everyone; a monk's Martial Arts: Dexterity if better,
    and the martial arts die."""
    prof = rules.proficiency_bonus(sheet.level)
    if level_in(sheet, "monk"):
        scores = sheet.scores
        ability = "dex" if scores["dex"] > scores["str"] else "str"
        mod = rules.modifier(scores[ability])
        dice = rules.damage_expression(f"1d{feature_rules.martial_arts_die(sheet)}", mod)
        return AttackLine(UNARMED, "Unarmed strike", ability, mod + prof, f"{dice} bludgeoning", True)
    mod = rules.modifier(sheet.scores["str"])
    damage = max(1, 1 + mod)
    return AttackLine(UNARMED, "Unarmed strike", "str", mod + prof, f"{damage} bludgeoning", True)


def _crit_damage(expression: str) -> str:
    """Double the dice of `1d8+3` → `2d8+3`; a flat number stays as it is."""
    dice, sign, rest = expression.partition("+") if "+" in expression else expression.partition("-")
    if "d" not in dice:
        return expression
    return rules.damage_expression(dice, 0, critical=True) + sign + rest


def _target(target: str | None) -> str | None:
    if target is None:
        return None
    text = " ".join(target.split())
    if len(text) > MAX_TARGET_LENGTH:
        raise InvalidInput(f"A target is at most {MAX_TARGET_LENGTH} characters.")
    return text or None


def _check_dying(sheet: Sheet) -> None:
    if sheet.death_failures >= 3:
        raise InvalidInput(f"{sheet.name} has died; death saves are over.")
    if sheet.hp_current > 0:
        raise InvalidInput(f"{sheet.name} has {sheet.hp_current} HP: death saves are only for a character at 0 HP.")
    if sheet.death_successes >= 3:
        raise InvalidInput(f"{sheet.name} is stable at 0 HP and doesn't roll death saves.")
