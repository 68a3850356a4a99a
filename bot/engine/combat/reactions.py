"""Reactions: an opportunity attack when a creature leaves another's reach, and the monsters' Parry (applied
by `traits.CombatTraits.parry` on the melee hit it stops). Each creature has one reaction a round: spent
here, it comes back at the start of its own turn (`turn_start`).

Theatre of the mind: the table says when a creature leaves reach; the command is the attack. It must be
the moving creature's turn (a creature moves on its turn), the attacker someone else, with its reaction
left; a creature with Nimble Escape leaves without provoking (it Disengages as a bonus action)."""

from __future__ import annotations

from bot.engine import effects
from bot.engine import monster_traits as traits
from bot.engine.checks import UNARMED
from bot.engine.combat import lookups, resources, saves
from bot.engine.combat.attacks import Attacks, is_melee
from bot.engine.combat.fight import Fight
from bot.engine.combat.loading import Fights
from bot.engine.combat.results import AttackReport, CombatRef
from bot.engine.dice import RollOutcome
from bot.engine.sheet import Actor
from bot.errors import InvalidInput
from persistence.models import Combatant


class Reactions:
    def __init__(self, fights: Fights, attacks: Attacks) -> None:
        self.fights = fights
        self.attacks = attacks

    async def opportunity(
        self,
        actor: Actor,
        combat: CombatRef,
        target: str,
        *,
        attacker: str | None = None,
        weapon: str | None = None,
    ) -> AttackReport:
        """An opportunity attack at `target`, which is leaving reach on its turn: by the player's character
        in the fight (or, for the DM, `attacker`), with a melee weapon (a monster: its first melee attack)."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            if attacker is not None:  # naming the attacker is the DM's (`/combat opportunity attacker:...`)
                self.fights.require_dm(actor, fight, "make another creature's opportunity attack")
            row = fight.find(attacker) if attacker else self._own_character(fight, actor)
            victim = fight.find(target)
            self._check(fight, row, victim)
            what = self._melee_attack(fight, row, weapon)
            rolls: list[RollOutcome] = []
            report = self.attacks.strike(fight, actor, row, victim, what, False, False, False, rolls, reaction=True)
            resources.put(row, reaction=True)
            return self.attacks.finish(session, fight, actor, rolls, report)

    def _own_character(self, fight: Fight, actor: Actor) -> Combatant:
        mine = [r for r in fight.rows if r.kind == "character" and r.owner_id == actor.user_id]
        if not mine:
            raise InvalidInput("You have no character in this fight: `/combat join` first (the DM names `attacker`).")
        return mine[0]

    def _check(self, fight: Fight, row: Combatant, victim: Combatant) -> None:
        current = fight.current()
        if current is None:
            raise InvalidInput("The fight hasn't started: the DM starts round 1 with `/combat next`.")
        if victim not in fight.members(current):
            raise InvalidInput(
                f"An opportunity attack is made when a creature leaves your reach on its turn: it's "
                f"{current.name}'s turn, not {victim.name}'s."
            )
        if row in fight.members(current):
            raise InvalidInput(f"It's {row.name}'s own turn: reactions are taken on other creatures' turns.")
        if resources.reaction_spent(row):
            raise InvalidInput(f"{row.name} has used its reaction this round; it comes back at the start of its turn.")
        saves.check_turn_rule(self.fights.creature(fight, row), effects.NO_REACTIONS, "take reactions")
        if victim.kind == "monster" and traits.escapes_nimbly(self.fights.monster_of(victim)):
            raise InvalidInput(
                f"{victim.name} has Nimble Escape: it Disengages as a bonus action and leaves without provoking."
            )

    def _melee_attack(self, fight: Fight, row: Combatant, weapon: str | None) -> str:
        if row.kind == "monster":
            monster = self.fights.monster_of(row)
            if weapon:
                action = lookups.action(monster, weapon)
                if action.attack_bonus is None or not is_melee(action):
                    raise InvalidInput(f"An opportunity attack is one melee attack; {action.name} isn't one.")
                return action.name
            melee = [a for a in monster.actions if a.attack_bonus is not None and is_melee(a)]
            if not melee:
                raise InvalidInput(f"{row.name} has no melee attack to make an opportunity attack with.")
            return melee[0].name
        if not weapon:
            raise InvalidInput("Name the melee `weapon` of the opportunity attack (or `unarmed`).")
        line = self.fights.checks.attack_line(fight.sheet(row), weapon)
        if line.weapon != UNARMED and self.fights.srd.weapon(line.weapon).range_type != "melee":
            raise InvalidInput(f"An opportunity attack is one melee attack; {line.name} is a ranged weapon.")
        return weapon
