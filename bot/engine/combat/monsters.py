"""Monsters' actions: the DM runs one (an attack, a save action or its Multiattack routine), or in auto mode
the monster whose turn it is acts as the narrator planned (when still legal) or as the engine picks: a spell
worth more than its weapons (`monster_spells`: from its slots, at-will and per-day spells), else its
Multiattack or best attack at a random standing character, conscious ones first. The engine rolls either way."""

from __future__ import annotations

import random
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import Monster, MonsterAction
from bot.engine import casting, effects
from bot.engine import combat_rules as cr
from bot.engine.combat import areas, custom, legendary, lookups, monster_spells, resources, saves
from bot.engine.combat.attacks import Attacks
from bot.engine.combat.casts import Casts
from bot.engine.combat.fight import Fight
from bot.engine.combat.loading import Fights
from bot.engine.combat.results import CombatRef, MonsterOptions, MonsterPlan, MonsterTurn
from bot.engine.combat.targets import targets_of
from bot.engine.dice import RollOutcome
from bot.engine.sheet import Actor
from bot.engine.stats import record_outcome
from bot.errors import InvalidInput
from persistence.models import Combatant

NOTHING = "nothing"  # a turn in which the monster can't act


class MonsterActions:
    def __init__(self, fights: Fights, attacks: Attacks, casts: Casts) -> None:
        self.fights = fights
        self.attacks = attacks
        self.casts = casts
        self.legendary = legendary.Legendary(fights, attacks)

    async def action_names(self, combat: CombatRef, monster: str, text: str = "") -> list[str]:
        """Autocomplete: the SRD actions the engine can run for this monster in the fight."""
        async with self.fights.reads.session() as session:
            fight = await self.fights.load(session, combat, lock=False, need_dm=False)
            row = fight.find(monster)
        if row.kind != "monster":
            return []
        stat_block = self.fights.monster_of(row)
        usable = lookups.usable_actions(stat_block)
        usable += [a.name for a in stat_block.actions if a.usage is not None and a.name not in usable]  # 3/Day
        usable += [a.name for a in stat_block.legendary if legendary.is_legendary(stat_block, a.name)]
        return [n for n in usable if text.casefold() in n.casefold()][:25]

    async def monster_act(
        self,
        actor: Actor,
        combat: CombatRef,
        monster: str,
        action: str,
        target: str,
        *,
        advantage: bool = False,
        disadvantage: bool = False,
    ) -> MonsterTurn:
        """The DM runs a monster's action: an attack, a save action, or its Multiattack routine, against one
        target or several (`target` as `Tordek, Lia, Mara`: an area's saves, a routine's attacks in turn).
        A legendary action's name runs it as a legendary action."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "run monsters")
            row = fight.find(monster)
            if row.kind != "monster":
                raise InvalidInput(f"{row.name} is a player character; their player acts for them.")
            stat_block = self.fights.monster_of(row)
            targets = targets_of(fight, target)
            if legendary.is_legendary(stat_block, action):
                return self.legendary.act(session, fight, actor, row, action, targets)
            return await self._act(session, fight, actor, row, action, targets, (advantage, disadvantage))

    async def run_monster_turn(
        self, actor: Actor, combat: CombatRef, rng: random.Random, plan: MonsterPlan | None = None
    ) -> MonsterTurn:
        """Auto mode: the monster whose turn it is acts as `plan` says (the narrator's choice) when that is
        still legal now, else as `choose_monster_action` decides. The engine rolls either way. A group's turn
        is every living member's: the others act as the engine picks, one report for all."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "run monsters")
            current = fight.current()
            if current is None or current.kind != "monster":
                raise InvalidInput("It isn't a monster's turn.")
            turns = [await self._auto_act(session, fight, actor, current, rng, plan)]
            for member in fight.members(current)[1:]:
                if not member.dead and self._targets(fight) and _acts(self.fights.monster_of(member)):
                    turns.append(await self._auto_act(session, fight, actor, member, rng, None))
            return _together(turns, current.group_name)

    async def _auto_act(
        self,
        session: AsyncSession,
        fight: Fight,
        actor: Actor,
        row: Combatant,
        rng: random.Random,
        plan: MonsterPlan | None,
    ) -> MonsterTurn:
        turn = await self._auto_action(session, fight, actor, row, rng, plan)
        haste = effects.ruled_by(self.fights.creature(fight, row).effects, effects.EXTRA_ACTION)
        if haste is None or turn.action == NOTHING:
            return turn
        extra = await self._extra_attack(session, fight, actor, row, rng)
        if extra is None:
            return turn
        notes = (*turn.notes, *extra.notes, f"{haste.name}: one more weapon attack.")
        return replace(turn, reports=turn.reports + extra.reports, notes=notes, state=extra.state)

    async def _auto_action(
        self,
        session: AsyncSession,
        fight: Fight,
        actor: Actor,
        row: Combatant,
        rng: random.Random,
        plan: MonsterPlan | None,
    ) -> MonsterTurn:
        tired = effects.ruled_by(self.fights.creature(fight, row).effects, effects.NO_ACTIONS)
        if tired is not None:  # Haste's lethargy: the turn passes
            note = f"{row.name} can't move or act this turn: {tired.name}."
            return MonsterTurn(row.name, NOTHING, (), (note,), self.fights.state(fight, for_dm=True))
        if plan is not None and self._legal(fight, row, plan):
            spell = self._narrated_spell(fight, row, plan)
            if spell is not None:
                return replace(self._cast(session, fight, actor, row, spell), chosen_by="narrator")
            turn = await self._act(session, fight, actor, row, plan.action, [fight.find(plan.target)])
            return replace(turn, chosen_by="narrator")
        spell = self._spell_plan(fight, row)
        if spell is not None:
            return self._cast(session, fight, actor, row, spell)
        if cr.pick_action(self.fights.monster_of(row)) is None and self.fights.monster_of(row).spellcasting:
            note = f"{row.name} has no spell worth casting now and no attack: the DM describes its turn."
            return MonsterTurn(row.name, NOTHING, (), (note,), self.fights.state(fight, for_dm=True))
        chosen = self._plan(fight, row, rng)
        return await self._act(session, fight, actor, row, chosen.action, [fight.find(chosen.target)])

    async def _extra_attack(
        self, session: AsyncSession, fight: Fight, actor: Actor, row: Combatant, rng: random.Random
    ) -> MonsterTurn | None:
        """Haste's extra action as the SRD allows it: one weapon attack (its best single one)."""
        attacks = [a for a in cr.attack_actions(self.fights.monster_of(row)) if a.attack_bonus is not None]
        targets = self._targets(fight)
        if not attacks or not targets or row.dead:
            return None
        best = max(attacks, key=monster_spells.attack_damage)
        return await self._act(session, fight, actor, row, best.name, [targets[rng.randrange(len(targets))]])

    def _spell_plan(self, fight: Fight, row: Combatant) -> monster_spells.SpellPlan | None:
        """A spell worth more this turn than its weapons (a Mage's Fireball at three of the party, a Priest's
        Cure Wounds on a wounded ally), from what it has left; None: it attacks."""
        monster = self.fights.monster_of(row)
        if monster.spellcasting is None or row.dead:
            return None
        if cr.incapacitated_by(self.fights.creature(fight, row).conditions):
            return None
        allies = [(r, r.hp or 0, r.hp_max or 0) for r in fight.rows if r.kind == "monster" and fight.alive(r)]
        return monster_spells.best(
            self.fights.srd,
            row,
            monster,
            [(r, fight.sheet(r).hp_current) for r in self._targets(fight)],
            [a for a in allies if a[2] and not custom.is_lair(a[0])],
            concentrating=saves.concentrating(fight, row),
            weapon_worth=monster_spells.weapon_worth(monster),
        )

    def _cast(
        self, session: AsyncSession, fight: Fight, actor: Actor, row: Combatant, plan: monster_spells.SpellPlan
    ) -> MonsterTurn:
        report = self.casts.cast_in(session, fight, actor, row, plan.spell, plan.slot, plan.targets)
        action = f"{casting.CAST_ACTION}{plan.spell.name}"
        return MonsterTurn(row.name, action, (), (), self.fights.state(fight, for_dm=True), casts=(report,))

    async def monster_options(self, combat: CombatRef) -> MonsterOptions | None:
        """The current monster's usable actions and the opponents it may attack (None: not a monster's turn,
        or nothing it could do)."""
        async with self.fights.reads.session() as session:
            fight = await self.fights.load(session, combat, lock=False, need_dm=False)
            row = fight.current()
            if row is None or row.kind != "monster" or row.dead:
                return None
            monster = self.fights.monster_of(row)
            actions = tuple(a for a in lookups.usable_actions(monster) if _ready(row, monster, a))
            actions += self._spell_actions(row)
            targets = self._targets(fight)
            if not actions or not targets:
                return None
            lines = []
            for target in targets:
                sheet, ac = fight.sheet(target), self.fights.creature(fight, target).ac
                lines.append(f"{target.name}: {sheet.hp_current}/{sheet.hp_max} HP, AC {ac}")
            return MonsterOptions(
                fight.combat.campaign_id,
                row.name,
                monster.name,
                f"{row.hp}/{row.hp_max}",
                actions,
                tuple(t.name for t in targets),
                tuple(lines),
            )

    def _targets(self, fight: Fight) -> list[Combatant]:
        """Whom a monster may attack in auto mode: the conscious characters, else the standing ones."""
        standing = [r for r in fight.rows if r.kind == "character" and fight.alive(r)]
        return [r for r in standing if fight.sheet(r).hp_current > 0] or standing

    def _spell_actions(self, row: Combatant) -> tuple[str, ...]:
        """ "Cast Fire Bolt" for each spell it may cast at a foe now (the narrator's choices too)."""
        ready = monster_spells.ready(self.fights.srd, row, self.fights.monster_of(row))
        aimed = [s for s, _ in ready if s.casting_time in monster_spells.ACTION_TIMES and casting.needs_target(s)]
        return tuple(f"{casting.CAST_ACTION}{s.name}" for s in aimed)

    def _narrated_spell(self, fight: Fight, row: Combatant, plan: MonsterPlan) -> monster_spells.SpellPlan | None:
        name = casting.spell_of_action(plan.action)
        if name is None:
            return None
        monster = self.fights.monster_of(row)
        spell, slot = next((s, n) for s, n in monster_spells.ready(self.fights.srd, row, monster) if s.name == name)
        return monster_spells.SpellPlan(spell, slot, (plan.target,), 0.0)

    def _legal(self, fight: Fight, row: Combatant, plan: MonsterPlan) -> bool:
        if row.dead or plan.monster != row.name:
            return False
        if casting.spell_of_action(plan.action) is not None:
            return plan.action in self._spell_actions(row) and plan.target in {t.name for t in self._targets(fight)}
        if plan.action not in lookups.usable_actions(self.fights.monster_of(row)):
            return False
        if not _ready(row, self.fights.monster_of(row), plan.action):
            return False
        return plan.target in {t.name for t in self._targets(fight)}

    async def choose_monster_action(self, combat: CombatRef, monster: str, rng: random.Random) -> MonsterPlan:
        """A legal action and target for a monster: its Multiattack or best attack, at a random standing
        character (conscious ones first). The narrator may describe it; the engine rolls it."""
        async with self.fights.reads.session() as session:
            fight = await self.fights.load(session, combat, lock=False, need_dm=False)
            return self._plan(fight, fight.find(monster), rng)

    def _plan(self, fight: Fight, row: Combatant, rng: random.Random) -> MonsterPlan:
        if row.kind != "monster" or row.dead:
            raise InvalidInput(f"{row.name} isn't a monster that can act.")
        action = cr.pick_action(self.fights.monster_of(row))
        if action is None:
            raise InvalidInput(f"{row.name} has no attack the engine can run; the DM describes its turn.")
        targets = self._targets(fight)
        if not targets:
            raise InvalidInput("No player character is left to attack.")
        return MonsterPlan(row.name, action.name, targets[rng.randrange(len(targets))].name)

    async def _act(
        self,
        session: AsyncSession,
        fight: Fight,
        actor: Actor,
        row: Combatant,
        what: str,
        targets: list[Combatant],
        edges: tuple[bool, bool] = (False, False),
    ) -> MonsterTurn:
        monster = self.fights.monster_of(row)
        action = lookups.action(monster, what)
        creature = self.fights.creature(fight, row)
        saves.check_turn_rule(creature, effects.NO_ACTIONS, "take actions")  # Haste's lethargy
        slowed = effects.ruled_by(creature.effects, effects.ONE_ATTACK)
        lone = _first_attack(monster, action) if slowed is not None else None
        rolls: list[RollOutcome] = []
        reports, notes = areas.run(self.attacks, fight, actor, row, monster, lone or action, targets, rolls, edges)
        if lone is not None and slowed is not None:
            notes.append(f"{slowed.name}: one attack of its {action.name} ({lone.name}).")
        fight.combat.version += 1
        self.fights.log(session, actor, rolls)
        for report in reports:  # who hit whom for how much: the campaign's /stats
            record_outcome(session, fight, report)
        return MonsterTurn(row.name, action.name, tuple(reports), tuple(notes), self.fights.state(fight, for_dm=True))


def _together(turns: list[MonsterTurn], group: str | None) -> MonsterTurn:
    """A group's turn as one: every member's attacks and notes, the tracker after the last."""
    if len(turns) == 1:
        return turns[0]
    actions = ", ".join(dict.fromkeys(t.action for t in turns))
    return MonsterTurn(
        group or turns[0].monster,
        actions,
        tuple(r for t in turns for r in t.reports),
        tuple(n for t in turns for n in t.notes),
        turns[-1].state,
        turns[0].chosen_by,
        tuple(c for t in turns for c in t.casts),
    )


def _first_attack(monster: Monster, action: MonsterAction) -> MonsterAction | None:
    """Slow: a Multiattack makes only its first weapon attack (None: not a Multiattack)."""
    if not action.multiattack:
        return None
    return next((step for step, _, _ in cr.multiattack_steps(monster, action) if step is not None), None)


def _acts(monster: Monster) -> bool:
    """Auto mode can run its turn: an attack, or spells to choose from."""
    return cr.pick_action(monster) is not None or monster.spellcasting is not None


def _ready(row: Combatant, monster: Monster, name: str) -> bool:
    """The action isn't waiting for a recharge and has uses left (what auto mode may choose)."""
    try:
        resources.check_usable(row, monster.action(name))
    except (InvalidInput, KeyError):
        return False
    return True
