"""What a cast returns, in a fight or outside one: per target the attack roll, the save, the damage or
healing and the effect that landed, and for the cast the slot spent and the slots left. Plain values for
the `/cast` reply, the narrator's "What the dice said" and the tests."""

from __future__ import annotations

from dataclasses import dataclass

from bot.data.srd import Spell
from bot.engine.combat.results import AttackReport, DamageReport, SaveRoll, TrackerState
from bot.engine.dice import RollOutcome
from bot.engine.effects import Effect


@dataclass(frozen=True)
class TargetOutcome:
    target: str
    attack: AttackReport | None = None  # a spell attack (one per ray or beam)
    save: SaveRoll | None = None
    damage_rolls: tuple[RollOutcome, ...] = ()  # the dice rolled for this target (area dice: shared)
    damage: DamageReport | None = None
    healing: RollOutcome | None = None
    healed: DamageReport | None = None
    effect: Effect | None = None  # what now sits on the target (Bless, Hold Person)
    note: str = ""

    @property
    def outcomes(self) -> tuple[RollOutcome, ...]:
        if self.attack is not None:
            return self.attack.outcomes
        saved: tuple[RollOutcome, ...] = ()
        if self.save is not None:
            saved = ((self.save.roll,) if self.save.roll else ()) + tuple(r for _, r, _ in self.save.bonus_rolls)
        healing = (self.healing,) if self.healing else ()
        return saved + self.damage_rolls + healing


@dataclass(frozen=True)
class CastReport:
    caster: str
    spell: Spell
    slot: int | None  # the slot level spent (None: cantrip or ritual)
    ritual: bool
    outcomes: tuple[TargetOutcome, ...]
    shared_rolls: tuple[RollOutcome, ...] = ()  # an area's damage roll, Sleep's pool: rolled once for all
    slots_left: tuple[int, ...] = ()
    concentration_ended: tuple[str, ...] = ()  # "Lia: Bless": the caster's old concentration
    notes: tuple[str, ...] = ()
    state: TrackerState | None = None  # the tracker after the cast (in a fight)
    in_fight: bool = False
    version: int = 0

    @property
    def rolls(self) -> tuple[RollOutcome, ...]:
        """Every die of the cast, once each (an area's shared roll first)."""
        seen: list[RollOutcome] = list(self.shared_rolls)
        for outcome in self.outcomes:
            seen += [r for r in outcome.outcomes if all(r is not s for s in seen)]
        return tuple(seen)

    @property
    def slot_label(self) -> str:
        if self.spell.level == 0:
            return "cantrip"
        if self.ritual:
            return "ritual (no slot)"
        return f"level-{self.slot} slot"


def outcome_summary(outcome: TargetOutcome) -> str:
    """One target's result in plain words, for the narrator's tool result and its footer."""
    parts: list[str] = []
    if outcome.attack is not None:
        attack = outcome.attack
        verdict = "critical hit" if attack.critical else "hit" if attack.hit else "miss"
        parts.append(f"{attack.action}: {attack.attack_total} vs AC {attack.ac}, {verdict}")
    if outcome.save is not None:
        parts.append(
            f"{outcome.save.ability.upper()} save {outcome.save.total} vs DC {outcome.save.dc}, "
            f"{'saved' if outcome.save.success else 'failed'}"
        )
    if outcome.damage is not None:
        parts.append(f"{outcome.damage.total} damage, HP {outcome.damage.hp_before} → {outcome.damage.hp_after}")
    if outcome.healed is not None:
        parts.append(f"healed {outcome.healed.healed}, HP {outcome.healed.hp_before} → {outcome.healed.hp_after}")
    if outcome.effect is not None:
        parts.append(f"{outcome.effect.name} takes hold")
    if outcome.note:
        parts.append(outcome.note)
    return "; ".join(parts) or "no effect"
