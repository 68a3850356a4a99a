"""The DM's timed effects on combatants (`/dm-combat effect add|remove`): a preset (Bless, Bane, Shield of
Faith, Shield, Faerie Fire) or a custom one with explicit modifiers, for some rounds that count down on the
target's turns (or on the concentrating caster's), and concentration: a caster holds one concentration
effect at a time, and its effects end when it concentrates on another, drops to 0 HP, or the DM ends it.

The model and its rules are `bot.engine.effects`; this module only finds the combatants and stores them."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.engine import effects
from bot.engine.combat.hit_points import end_concentration
from bot.engine.combat.loading import Fights
from bot.engine.combat.results import CombatRef, EffectChange
from bot.engine.combat.saves import lethargic
from bot.engine.effects import Edge, Effect
from bot.engine.sheet import Actor
from bot.errors import InvalidInput
from persistence.models import Combatant

CONCENTRATION = "concentration"  # `effect remove target:<caster> effect:concentration` ends what it holds up


@dataclass(frozen=True)
class CustomParts:
    """A custom effect's modifiers: bonuses as dice or numbers ("1d4", "-2"), AC, resistances, and
    advantage or disadvantage by roll ("attack", "save", "check", or "attacked": attacks against it)."""

    attack: str | None = None
    save: str | None = None
    check: str | None = None
    damage: str | None = None
    ac: int = 0
    resistances: tuple[str, ...] = ()
    edges: dict[str, Edge] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.attack or self.save or self.check or self.damage or self.ac or self.resistances or self.edges)


class TimedEffects:
    def __init__(self, fights: Fights) -> None:
        self.fights = fights

    async def add_effect(
        self,
        actor: Actor,
        combat: CombatRef,
        target: str,
        name: str,
        *,
        rounds: int | None = None,
        concentration: str | None = None,
        parts: CustomParts | None = None,
    ) -> EffectChange:
        """Put an effect on a combatant; with `concentration` (the caster's name) it counts down on the
        caster's turns and ends with the caster's concentration."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "add effects")
            base = self._effect(name, parts or CustomParts())
            row = fight.find(target)
            caster = fight.find(concentration) if concentration else None
            effect = _timed(base, rounds, row, caster)
            ended = end_concentration(fight, caster, keep=effect.key) if caster else ()
            row.effects = effects.dump(effects.added(effects.load(row.effects), effect))
            fight.combat.version += 1
            return EffectChange(self.fights.state(fight, for_dm=True), row.name, effect, ended)

    async def remove_effect(self, actor: Actor, combat: CombatRef, target: str, name: str) -> EffectChange:
        """Take an effect off a combatant; `concentration` on a caster ends every effect it holds up."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "remove effects")
            row = fight.find(target)
            if name.strip().casefold() == CONCENTRATION:
                ended = end_concentration(fight, row)
                if not ended:
                    raise InvalidInput(f"{row.name} isn't concentrating on anything.")
            else:
                before = effects.load(row.effects)
                row.effects = effects.dump(lethargic(fight, row, before, effects.removed(before, name)))
                ended = (f"{row.name}: {' '.join(name.split())[: effects.MAX_NAME]}",)
            fight.combat.version += 1
            return EffectChange(self.fights.state(fight, for_dm=True), row.name, None, ended)

    def _effect(self, name: str, parts: CustomParts) -> Effect:
        found = effects.preset(name)
        if parts.empty:
            if found is None:
                presets = ", ".join(e.name for e in effects.PRESETS.values())
                raise InvalidInput(
                    f"“{name[:40]}” isn't a preset ({presets}); for a custom effect give its "
                    "modifiers, e.g. `attack:1d4` or `ac:2`."
                )
            return found
        damage_types = {d.index for d in self.fights.srd.data.damage_types}
        unknown = [r for r in parts.resistances if r.casefold() not in damage_types]
        if unknown:
            raise InvalidInput(f"“{unknown[0][:20]}” is not a damage type. Types: {', '.join(sorted(damage_types))}.")
        return effects.make(
            name,
            attack=parts.attack,
            save=parts.save,
            check=parts.check,
            damage=parts.damage,
            ac=parts.ac,
            resistances=parts.resistances,
            edges=parts.edges,
        )


def _timed(effect: Effect, rounds: int | None, target: Combatant, caster: Combatant | None) -> Effect:
    """A preset's usual duration when none is given; rounds tick on the caster's turns, else the target's."""
    usual = effects.PRESET_TIMING.get(effect.key)
    phase: effects.Phase = usual[1] if usual else "end"
    if rounds is None and usual is not None:
        rounds = usual[0]
    on = caster.name_key if caster is not None else target.name_key
    return effects.timed(effect, rounds, on=on, phase=phase, caster=caster.name_key if caster else None)
