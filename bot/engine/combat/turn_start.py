"""What happens for a creature at the start of its turn, before it acts: its reaction comes back, a
legendary monster's legendary actions are restored, each spent `Recharge 5–6` action rolls its d6, and
regeneration heals it (unless the damage named in its data hit it since its last turn).

`order.TurnOrder.advance` calls `begin` for each creature whose turn starts; the notes go into the turn
message and the dice into the roll log."""

from __future__ import annotations

from collections.abc import Callable

from bot.data.srd import Monster
from bot.engine import monster_traits as traits
from bot.engine.combat import resources
from bot.engine.combat.fight import Fight
from bot.engine.dice import Dice, RollOutcome
from persistence.models import Combatant


class TurnStart:
    def __init__(self, dice: Dice, monster_of: Callable[[Combatant], Monster]) -> None:
        self.dice = dice
        self.monster_of = monster_of

    def begin(self, fight: Fight, row: Combatant, rolls: list[RollOutcome]) -> list[str]:
        """Restore and roll what starts this creature's turn; notes for the turn message."""
        notes: list[str] = []
        if resources.reaction_spent(row):
            resources.put(row, reaction=False)
        if row.kind != "monster" or row.dead:
            return notes
        monster = self.monster_of(row)
        if monster.legendary_per_round and resources.legendary_left(row, monster) < monster.legendary_per_round:
            resources.put(row, legendary=monster.legendary_per_round)
            notes.append(f"{row.name}'s legendary actions are back: {monster.legendary_per_round}.")
        notes += self._recharge(row, monster, rolls)
        notes += self._regenerate(fight, row, monster)
        return notes

    def _recharge(self, row: Combatant, monster: Monster, rolls: list[RollOutcome]) -> list[str]:
        notes = []
        for action in monster.actions:
            usage = action.usage
            if usage is None or usage.type != resources.RECHARGE or action.name not in resources.spent(row):
                continue
            roll = self.dice.roll(usage.dice or "1d6", label=f"{row.name}: {action.name} recharge")
            rolls.append(roll)
            low = usage.min_value or 6
            if roll.total >= low:
                resources.recharged(row, action.name)
                notes.append(f"🔋 {row.name}'s {action.name} recharges ({roll.total}, needed {low}–6).")
            else:
                notes.append(f"🪫 {row.name}'s {action.name} stays spent ({roll.total}, needed {low}–6).")
        return notes

    def _regenerate(self, fight: Fight, row: Combatant, monster: Monster) -> list[str]:
        if monster.regeneration is None:
            return []
        stopped = bool(resources.get(row).get("regen_stopped"))
        if stopped:
            resources.put(row, regen_stopped=False)
        hp, hp_max = row.hp or 0, row.hp_max or 0
        gained = traits.regenerated(monster, hp, hp_max, stopped=stopped, sunlight=fight.combat.sunlight)
        if gained:
            row.hp = hp + gained
            return [f"💚 {row.name} regenerates {gained} HP."]
        if hp <= 0 and traits.dies_only_at_its_turn(monster):
            row.dead = True
            return [f"💀 {row.name} dies: it starts its turn at 0 HP and doesn't regenerate."]
        if stopped:
            return [f"{row.name} doesn't regenerate this turn (it took {', '.join(monster.regeneration.stopped_by)})."]
        return []
