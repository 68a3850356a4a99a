"""Legendary actions: a legendary monster has points each round (3 in the SRD), spends them at the end of
other creatures' turns (never on its own), and gets them back at the start of its turn (`turn_start`). The
DM runs one through `monster_act` (`/dm-combat act`) by its name.

A legendary action that makes one of the monster's own attacks (a dragon's Tail Attack: its Tail) rolls it;
one with its own save and damage (a Wing Attack) is an area, each target saving on its own; one the engine
can't roll (Detect, Move, a lich's Cantrip) spends its points and the DM describes it. Legendary
Resistance is `traits.CombatTraits.legendary_resistance`, spent by every save the monster fails."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import LegendaryAction, Monster, MonsterAction
from bot.engine.combat import areas, resources
from bot.engine.combat.attacks import Attacks
from bot.engine.combat.fight import Fight
from bot.engine.combat.loading import Fights
from bot.engine.combat.results import AttackReport, MonsterTurn
from bot.engine.dice import RollOutcome
from bot.engine.sheet import Actor
from bot.errors import InvalidInput, NotFound
from persistence.models import Combatant


def find(monster: Monster, name: str) -> LegendaryAction | None:
    key = " ".join(name.split()).casefold()
    return next((a for a in monster.legendary if a.name.casefold() == key), None)


def is_legendary(monster: Monster, name: str) -> bool:
    """`name` is one of its legendary actions and not one of its actions (a dragon's Tail Attack, not Tail)."""
    own = {a.name.casefold() for a in monster.actions}
    return find(monster, name) is not None and " ".join(name.split()).casefold() not in own


class Legendary:
    def __init__(self, fights: Fights, attacks: Attacks) -> None:
        self.fights = fights
        self.attacks = attacks

    def act(
        self,
        session: AsyncSession,
        fight: Fight,
        actor: Actor,
        row: Combatant,
        name: str,
        targets: list[Combatant],
    ) -> MonsterTurn:
        monster = self._legendary_monster(row)
        chosen = find(monster, name)
        if chosen is None:
            names = ", ".join(f"{a.name} ({a.cost})" for a in monster.legendary)
            raise NotFound(f"{row.name} has no legendary action “{name[:40]}”. Its legendary actions: {names}.")
        self._check_may_spend(fight, row, monster, chosen)
        rolls: list[RollOutcome] = []
        reports, notes = self._run(fight, actor, row, monster, chosen, targets, rolls)
        left = resources.legendary_left(row, monster) - chosen.cost
        resources.put(row, legendary=left)
        notes.append(f"👑 {row.name}: {chosen.name} — legendary actions left {left}/{monster.legendary_per_round}.")
        fight.combat.version += 1
        self.fights.log(session, actor, rolls)
        state = self.fights.state(fight, for_dm=True)
        return MonsterTurn(row.name, chosen.name, tuple(reports), tuple(notes), state)

    def _legendary_monster(self, row: Combatant) -> Monster:
        monster = self.fights.monster_of(row) if row.kind == "monster" else None
        if monster is None or not monster.legendary:
            raise InvalidInput(f"{row.name} has no legendary actions.")
        if row.dead:
            raise InvalidInput(f"{row.name} is dead.")
        return monster

    def _check_may_spend(self, fight: Fight, row: Combatant, monster: Monster, chosen: LegendaryAction) -> None:
        current = fight.current()
        if current is None:
            raise InvalidInput("The fight hasn't started: legendary actions come at the end of others' turns.")
        if row in fight.members(current):
            raise InvalidInput(
                f"It's {row.name}'s own turn: legendary actions are taken at the end of other creatures' turns."
            )
        left = resources.legendary_left(row, monster)
        if chosen.cost > left:
            raise InvalidInput(
                f"{chosen.name} costs {chosen.cost}; {row.name} has {left} legendary action"
                f"{'' if left == 1 else 's'} left this round (all {monster.legendary_per_round} come back at the "
                f"start of its turn)."
            )

    def _run(
        self,
        fight: Fight,
        actor: Actor,
        row: Combatant,
        monster: Monster,
        chosen: LegendaryAction,
        targets: list[Combatant],
        rolls: list[RollOutcome],
    ) -> tuple[list[AttackReport], list[str]]:
        runnable = [a for a in chosen.uses if _rollable(monster, a)]
        if runnable:
            if len(targets) != 1:
                raise InvalidInput(f"{chosen.name} makes one {runnable[0]} attack: name one `target`.")
            action = monster.action(runnable[0])
            return areas.run(self.attacks, fight, actor, row, monster, action, targets, rolls)
        if chosen.dc is not None:  # a save (with damage or not: the DM applies what else it does)
            if not targets:
                raise InvalidInput(f"{chosen.name} calls for saves: name its targets (`Tordek, Lia`).")
            area = MonsterAction(name=chosen.name, dc=chosen.dc, damage=chosen.damage)
            return self.attacks.area(fight, actor, row, targets, area, rolls), []
        return [], [f"{chosen.name}: the DM describes it (the engine has no roll for it)."]


def _rollable(monster: Monster, name: str) -> bool:
    action = next((a for a in monster.actions if a.name == name), None)
    return action is not None and (action.attack_bonus is not None or (action.dc is not None and bool(action.damage)))
