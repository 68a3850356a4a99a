"""One action against several targets, each resolved on its own and reported together:

- a save action (a breath weapon, a Wing Attack): the damage is rolled once for all its targets (the SRD:
  "roll the damage once for all of them"), and every target makes its own save and takes its own share
  (half on a success when the action says so) through its own resistances, immunities and traits;
- a Multiattack routine: its attacks go to the targets in turn (bite the first, claw the second ...);
- one attack action (cleave-like, when the DM says the action allows it): one attack roll per target.

A limited action (Recharge 5–6, 3/Day) is spent once for the whole action, whatever the number of targets.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.data.srd import Monster, MonsterAction
from bot.engine import combat_rules as cr
from bot.engine.combat import resources
from bot.engine.combat.attacks import Attacks
from bot.engine.combat.fight import Fight
from bot.engine.combat.results import AttackReport
from bot.engine.combat.targets import split_names, targets_of
from bot.engine.dice import RollOutcome
from bot.engine.sheet import Actor
from bot.errors import InvalidInput
from persistence.models import Combatant

__all__ = ["run", "split_names", "targets_of"]  # the names callers know areas by


def run(
    attacks: Attacks,
    fight: Fight,
    actor: Actor,
    row: Combatant,
    monster: Monster,
    action: MonsterAction,
    targets: Sequence[Combatant],
    rolls: list[RollOutcome],
    edges: tuple[bool, bool] = (False, False),
) -> tuple[list[AttackReport], list[str]]:
    """The action against its targets: the reports, and notes (steps the DM runs, targets already down).
    `edges`: the DM's advantage and disadvantage on its attack rolls."""
    resources.check_usable(row, action)
    reports: list[AttackReport] = []
    notes: list[str] = []
    if action.multiattack:
        reports, notes = _routine(attacks, fight, actor, row, monster, action, targets, rolls, edges)
    elif action.attack_bonus is None and action.dc is None:
        if action.usage is None:
            raise InvalidInput(f"{row.name}'s {action.name} has no roll the engine can make; describe it.")
        notes = [f"{action.name}: the engine has no roll for it; the DM describes it."]  # its use still counts
    elif action.attack_bonus is None:  # a save action: an area, its damage rolled once for all its targets
        reports = attacks.area(fight, actor, row, targets, action, rolls)
    else:
        for target in targets:
            reports.append(attacks.strike(fight, actor, row, target, action.name, *edges, False, rolls))
    used = resources.use(row, action)
    return reports, [*notes, *([used] if used else [])]


def _routine(
    attacks: Attacks,
    fight: Fight,
    actor: Actor,
    row: Combatant,
    monster: Monster,
    action: MonsterAction,
    targets: Sequence[Combatant],
    rolls: list[RollOutcome],
    edges: tuple[bool, bool],
) -> tuple[list[AttackReport], list[str]]:
    """A Multiattack: each of its attacks at the next target still standing (one target: all at it)."""
    reports: list[AttackReport] = []
    notes: list[str] = []
    turn = 0
    for step, name, times in cr.multiattack_steps(monster, action):
        if step is None:
            notes.append(f"{name}: the DM resolves it.")
            continue
        for _ in range(times):
            standing = [t for t in targets if not fight.down(t)]
            if not standing:
                notes.append(f"{_names(targets)} {'is' if len(targets) == 1 else 'are'} down; the rest is held.")
                return reports, notes
            target = standing[turn % len(standing)] if len(targets) > 1 else standing[0]
            turn += 1
            reports.append(attacks.strike(fight, actor, row, target, step.name, *edges, False, rolls))
    return reports, notes


def _names(rows: Sequence[Combatant]) -> str:
    return ", ".join(r.name for r in rows)
