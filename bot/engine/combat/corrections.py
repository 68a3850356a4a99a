"""The DM's corrections: damage and healing (to a combatant of the campaign's fight, else to a character of
the campaign), and conditions added or removed, optionally for some rounds."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace

from bot.data.srd import Condition
from bot.engine import combat_rules as cr
from bot.engine.combat import lookups, saves, undo
from bot.engine.combat.fight import Fight, character_id, character_stand_in, condition_json, timed
from bot.engine.combat.hit_points import heal, hurt
from bot.engine.combat.loading import Fights
from bot.engine.combat.results import CombatRef, DamageReport, NoFight, OfCampaign, TrackerState
from bot.engine.sheet import ActiveCondition, Actor, name_key, write_back
from bot.errors import Forbidden, InvalidInput, NotFound
from persistence.models import Combat, Combatant
from persistence.repositories import PartyRepository

MAX_AMOUNT = 10_000
MAX_ROUNDS = 1000


class Corrections:
    def __init__(self, fights: Fights) -> None:
        self.fights = fights

    async def damage(
        self,
        actor: Actor,
        campaign_id: int,
        target: str,
        amount: int,
        damage_type: str | None = None,
        *,
        magical: bool = False,
        critical: bool = False,
    ) -> DamageReport:
        """The DM deals damage: to a combatant of the campaign's fight, else to a character of the campaign.

        Resistances apply by type; `magical` says whether it beats "nonmagical weapons" resistances.
        """
        if not 1 <= amount <= MAX_AMOUNT:
            raise InvalidInput(f"Damage runs from 1 to {MAX_AMOUNT:,}.")
        kind = lookups.damage_type(self.fights.srd, damage_type)
        source = cr.DamageSource(weapon=True, magical=magical)
        return await self._dm_change(
            actor, campaign_id, target, lambda fight, row: self._damage_row(fight, row, amount, kind, source, critical)
        )

    async def heal(self, actor: Actor, campaign_id: int, target: str, amount: int) -> DamageReport:
        """The DM heals a combatant or a character of the campaign (from 0 HP: the death saves reset)."""
        if not 1 <= amount <= MAX_AMOUNT:
            raise InvalidInput(f"Healing runs from 1 to {MAX_AMOUNT:,}.")
        return await self._dm_change(actor, campaign_id, target, lambda fight, row: heal(fight, row, amount))

    async def _dm_change(
        self, actor: Actor, campaign_id: int, target: str, change: Callable[[Fight, Combatant], DamageReport]
    ) -> DamageReport:
        async with self.fights.db.transaction() as session:
            with contextlib.suppress(NoFight):
                fight = await self.fights.open(session, OfCampaign(campaign_id))
                self.fights.require_dm(actor, fight, "change hit points")
                report = change(fight, fight.find(target))
                fight.combat.version += 1
                return replace(report, tracker=self.fights.state(fight, for_dm=False))
            dm = await self.fights.dm_of(session, campaign_id)
            if dm is None or actor.user_id != dm:
                raise Forbidden("Only the campaign's DM can change hit points.")
            # The whole party, locked in id order (a concentration save may end a spell on any of them): one
            # lock order for every change, so two of the DM's changes at once never deadlock.
            party = await PartyRepository(session).members(campaign_id, lock=True)
            row = next((c for c in party if c.name_key == name_key(target)), None)
            if row is None:
                raise NotFound(f"No character called “{target[:64]}” plays in this campaign.")
            stand_in = character_stand_in(row)
            outside = Fight(Combat(id=0, campaign_id=campaign_id, round=0, turn_index=0), [stand_in], {row.id: row}, dm)
            undo.watch(session, outside)  # outside a fight too: an event of the story, undone by `/dm retcon`
            report = change(outside, stand_in)
            if report.total <= 0:
                return report
            save, ended = saves.concentration_outside(self.fights, party, row, report.total)
            return replace(report, concentration_save=save, concentration_ended=ended)

    def _damage_row(
        self, fight: Fight, row: Combatant, amount: int, kind: str | None, source: cr.DamageSource, critical: bool
    ) -> DamageReport:
        target = self.fights.creature(fight, row)
        if row.kind == "monster" and row.dead:
            raise InvalidInput(f"{row.name} is already dead.")
        taken = [cr.modify_damage(amount, kind, target.defences, source)]
        return hurt(fight, row, taken, critical=critical, guard=self.fights.traits.guard)  # Undead Fortitude too

    async def set_condition(
        self,
        actor: Actor,
        combat: CombatRef,
        target: str,
        condition: str,
        *,
        add: bool,
        rounds: int | None = None,
        ends: cr.Phase = "end",
        level: int = 1,
    ) -> TrackerState:
        """The DM adds or removes a condition, optionally for some rounds (ticking at the end or start of the
        creature's turn; characters' conditions tick at the end)."""
        entry = lookups.condition(self.fights.srd, condition)
        if rounds is not None and not 1 <= rounds <= MAX_ROUNDS:
            raise InvalidInput(f"A condition lasts 1 to {MAX_ROUNDS:,} rounds (empty: until removed).")
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "change conditions")
            row = fight.find(target)
            if row.kind == "monster":
                self._monster_condition(row, entry, add, cr.TimedCondition(entry.index, rounds, ends, level))
            else:
                sheet = fight.sheet(row)
                others = tuple(c for c in sheet.conditions if c.name != entry.index)
                if not add and len(others) == len(sheet.conditions):
                    raise InvalidInput(f"{row.name} isn't {entry.name.lower()}.")
                added = (ActiveCondition(entry.index, rounds, level),) if add else ()
                write_back(fight.characters[character_id(row)], replace(sheet, conditions=others + added))
            saves.drop_incapacitated(self.fights, fight)  # stunned, asleep ...: its concentration ends
            fight.combat.version += 1
            return self.fights.state(fight, for_dm=True)

    def _monster_condition(self, row: Combatant, entry: Condition, add: bool, wanted: cr.TimedCondition) -> None:
        monster = self.fights.monster_of(row)
        current = timed(row.conditions)
        others = [c for c in current if c.name != entry.index]
        if add and entry.index in monster.condition_immunities:
            raise InvalidInput(f"{row.name} can't be {entry.name.lower()} (the SRD makes it immune).")
        if not add and len(others) == len(current):
            raise InvalidInput(f"{row.name} isn't {entry.name.lower()}.")
        row.conditions = [condition_json(c) for c in (*others, *((wanted,) if add else ()))]
