"""Reading and locking fights, and who may do what in them.

Every change is one transaction that first locks the combat row (`SELECT ... FOR UPDATE`) and then the rows
of the characters in the fight (in id order), so concurrent attacks on one target queue up and no damage is
lost. The campaign's DM may do everything; a player acts only for their own character, on its turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import SRD, Monster
from bot.engine import choices, effects
from bot.engine import combat_rules as cr
from bot.engine.characters import CharacterService
from bot.engine.checks import CheckService
from bot.engine.combat import custom, lookups, undo, wild_shape
from bot.engine.combat.fight import Creature, Fight, timed
from bot.engine.combat.results import CombatRef, InChannel, NoFight, OfCampaign, TrackerState, TurnKey
from bot.engine.combat.tracker import tracker_state
from bot.engine.combat.traits import CombatTraits
from bot.engine.combat.turn_start import TurnStart
from bot.engine.dice import Dice, RollOutcome
from bot.engine.homebrew import HomebrewMonsters
from bot.engine.sheet import Actor, active_conditions
from bot.errors import Forbidden, InvalidInput, NotFound
from persistence.db import Database
from persistence.models import Combatant
from persistence.repositories import CombatRepository, Reads

CampaignDMLookup = Callable[[int], Awaitable[int | None]]
Clock = Callable[[], datetime]


def now() -> datetime:
    return datetime.now(UTC)


class Fights:
    """What every part of combat shares: the stores, the dice and the SRD; loading a fight, locked for a
    change or not; who may act; and the reads the tracker and autocomplete make."""

    def __init__(
        self,
        db: Database,
        dice: Dice,
        characters: CharacterService,
        checks: CheckService,
        *,
        campaign_dm: CampaignDMLookup | None = None,
        clock: Clock = now,
        homebrew: HomebrewMonsters | None = None,
    ) -> None:
        self.db = db
        self.reads = Reads(db)
        self.dice = dice
        self.characters = characters
        self.checks = checks
        self.srd: SRD = characters.srd
        self.homebrew = homebrew  # the DMs' own monsters (bot.engine.homebrew), looked up like the SRD's
        self.campaign_dm = campaign_dm  # None: read the DM from the campaigns table in the same transaction
        self.clock = clock
        self.turn_start = TurnStart(dice, self.monster_of)
        self.traits = CombatTraits(dice, self.monster_of)

    # Reading ------------------------------------------------------------------------------------

    async def active_in_channel(self, channel_id: int | None) -> int | None:
        """The running fight in this channel, if any (for `/combat ...` and `/attack`)."""
        if channel_id is None:
            return None
        async with self.reads.session() as session:
            combat = await CombatRepository(session).active_in_channel(channel_id)
            return combat.id if combat else None

    async def active_for_campaign(self, campaign_id: int) -> int | None:
        async with self.reads.session() as session:
            combat = await CombatRepository(session).active_for_campaign(campaign_id)
            return combat.id if combat else None

    async def status(self, combat: CombatRef, *, for_dm: bool = False) -> TrackerState:
        """The tracker: players see monsters' health in words, the DM sees numbers."""
        async with self.reads.session() as session:
            fight = await self.load(session, combat, lock=False, need_dm=False)
            return self.state(fight, for_dm=for_dm)

    async def view(self, actor: Actor, combat: CombatRef) -> TrackerState:
        """The tracker as this user may see it: the DM's variant for the campaign's DM."""
        async with self.reads.session() as session:
            fight = await self.load(session, combat, lock=False)
            return self.state(fight, for_dm=fight.is_dm(actor))

    async def turn_key(self, combat: CombatRef) -> tuple[int, TurnKey]:
        """The fight's id and whose turn it is, in one light read (what `next_turn` compares against)."""
        async with self.reads.session() as session:
            repo = CombatRepository(session)
            if isinstance(combat, InChannel):
                found = await repo.turn_key(channel_id=combat.channel_id)
            elif isinstance(combat, OfCampaign):
                found = await repo.turn_key(campaign_id=combat.campaign_id)
            else:
                found = await repo.turn_key(combat_id=combat)
        if found is None:
            raise _missing(combat)
        combat_id, round_, current = found
        return combat_id, (round_, (current or 0) if round_ else 0)

    async def target_names(self, combat: CombatRef, text: str) -> list[str]:
        """Autocomplete: the living combatants whose name contains `text`."""
        state = await self.status(combat)
        needle = text.casefold().strip()
        return [e.name for e in state.entries if e.state != "dead" and needle in e.name.casefold()][:25]

    # Loading and authorising --------------------------------------------------------------------

    async def open(self, session: AsyncSession, combat: CombatRef) -> Fight:
        """Lock the fight for a change; it must be running, in a running campaign."""
        fight = await self.load(session, combat, lock=True)
        if fight.combat.status != "active":
            raise InvalidInput("That fight is over.")
        refuse_unless_running(fight.campaign_status)
        undo.watch(session, fight)  # the change becomes an event of the campaign's log, and can be undone
        return fight

    async def load(self, session: AsyncSession, ref: CombatRef, *, lock: bool, need_dm: bool = True) -> Fight:
        """The fight (its row locked first when changing it), its combatants and their characters' rows:
        one query for a read, two for a change."""
        repo = CombatRepository(session)
        if not lock:
            read = await repo.fight_as_read(**_where(ref))
            if read is None:
                raise _missing(ref)
            combat, dm, campaign_status, rows, characters = read
            seen_turn = None
        else:
            found = await repo.combat_and_campaign(**_where(ref), lock=True)
            if found is None:
                raise _missing(ref)
            combat, dm, campaign_status, (seen_round, seen_current) = found
            seen_turn = (seen_round, (seen_current or 0) if seen_round else 0)
            # A second query, after the lock: a change committed while this one waited for it is seen.
            rows, characters = await repo.combatants_and_characters(combat.id, lock=True)
        if self.homebrew is not None:  # homebrew monsters' stat blocks, for the synchronous `monster()`
            await self.homebrew.warm(session, (r.monster_index for r in rows))
        if need_dm and self.campaign_dm is not None:
            dm = await self.campaign_dm(combat.campaign_id)
        fight = Fight(combat, rows, {c.id: c for c in characters}, dm, campaign_status, fights=self)
        fight.seen_turn = seen_turn
        return fight

    async def dm_of(self, session: AsyncSession, campaign_id: int) -> int | None:
        if self.campaign_dm is not None:
            return await self.campaign_dm(campaign_id)
        return await CombatRepository(session).campaign_dm(campaign_id)

    def require_dm(self, actor: Actor, fight: Fight, what: str) -> None:
        if not fight.is_dm(actor):
            raise Forbidden(f"Only the campaign's DM can {what}.")

    def check_may_act(self, actor: Actor, fight: Fight, row: Combatant) -> None:
        """The DM acts for anyone; a player only for their own character, and only on its turn."""
        if fight.is_dm(actor):
            return
        if row.kind != "character" or row.owner_id != actor.user_id:
            raise Forbidden(f"Only {row.name}'s player (or the DM) acts for {row.name}.")
        current = fight.current()
        if current is None:
            raise InvalidInput("The fight hasn't started: the DM starts round 1 with `/combat next`.")
        if current is not row:
            raise InvalidInput(f"It's {current.name}'s turn; wait for {row.name}'s.")

    def check_owns(self, actor: Actor, fight: Fight, row: Combatant) -> None:
        """Off its turn (a reaction): the DM acts for anyone, a player for their own character."""
        if fight.is_dm(actor):
            return
        if row.kind != "character" or row.owner_id != actor.user_id:
            raise Forbidden(f"Only {row.name}'s player (or the DM) acts for {row.name}.")
        if fight.current() is None:
            raise InvalidInput("The fight hasn't started: the DM starts round 1 with `/combat next`.")

    # What the parts of combat share -------------------------------------------------------------

    def creature(self, fight: Fight, row: Combatant) -> Creature:
        """A combatant as attacks and saves see it: AC, conditions and defences, with its timed effects."""
        in_fight = effects.load(row.effects)
        held = [(name, 1) for name in effects.conditions_of(in_fight)]  # Hold Person's paralysis
        if row.kind == "monster":
            monster = self.monster_of(row)
            own = [(c.name, c.level) for c in timed(row.conditions)]
            conditions = lookups.with_implied(self.srd, own + [h for h in held if h[0] not in dict(own)])
            defences = cr.Defences.of_monster(monster).with_conditions(conditions)
            defences = replace(defences, resistances=defences.resistances | effects.resistances(in_fight))
            ac = effects.armour_class(row.ac, in_fight)
            return Creature(row, ac, conditions, defences, monster, None, in_fight)
        sheet = fight.sheet(row)
        on_it = (*in_fight, *sheet.effects)  # and what was cast on the character before the fight
        conditions = active_conditions(sheet, self.srd)
        known = {c.index for c, _ in conditions}
        conditions += lookups.with_implied(self.srd, [h for h in held if h[0] not in known])
        defences = cr.Defences.of_traits(sheet.features).with_conditions(conditions)
        chosen = frozenset(choices.resistances(self.srd, sheet))  # a dragonborn's ancestry
        defences = replace(defences, resistances=defences.resistances | effects.resistances(on_it) | chosen)
        ac = effects.armour_class(self.characters.stats(sheet).armor_class, in_fight)  # the sheet's are in stats
        shape = wild_shape.beast(row)
        if shape is not None:  # Wild Shape: the beast's AC and defences (the druid's mind and conditions)
            beast = self.monster(str(shape["beast"]))
            defences = cr.Defences.of_monster(beast).with_conditions(conditions)
            defences = replace(defences, resistances=defences.resistances | effects.resistances(on_it))
            ac = effects.armour_class(beast.armor_class[0].value, in_fight)
        return Creature(row, ac, conditions, defences, None, sheet, on_it)

    def monster(self, key: str) -> Monster:
        if self.homebrew is not None and key in self.homebrew:
            return self.homebrew.get(key)
        return lookups.monster(self.srd, key)

    async def monster_key(self, actor: Actor, name: str) -> str:
        """A homebrew monster's index (`hb-<id>`) if the actor's campaign or server has one called `name`."""
        if self.homebrew is None:
            return name
        async with self.reads.session() as session:
            return await self.homebrew.key_for(session, actor, name)

    def monster_of(self, row: Combatant) -> Monster:
        """A monster combatant's stat block: the SRD's, or a generic combatant's stand-in."""
        if row.monster_index is None:
            return custom.generic_monster(row)
        return self.monster(row.monster_index)

    def state(self, fight: Fight, *, for_dm: bool) -> TrackerState:
        return tracker_state(fight, self.srd, for_dm=for_dm, monster_of=self.monster_of)

    def log(self, session: AsyncSession, actor: Actor, rolls: Sequence[RollOutcome]) -> None:
        """The fight's rolls go to the batched roll log once the change commits: not a statement of the
        transaction, and never a roll of a change that was rolled back."""
        queued = [self.checks.rolls.entry(actor, roll) for roll in rolls]
        writer = self.checks.rolls.log

        def submit(_session: object) -> None:
            for row in queued:
                writer.submit(row)

        event.listen(session.sync_session, "after_commit", submit, once=True)


async def check_campaign_running(session: AsyncSession, campaign_id: int) -> None:
    """For a fight not loaded yet (starting one): its campaign must be running."""
    refuse_unless_running(await CombatRepository(session).campaign_status(campaign_id))


def refuse_unless_running(campaign_status: str | None) -> None:
    """A paused (or ended) campaign's fight stands still until its DM resumes it."""
    if campaign_status == "paused":
        raise InvalidInput("This campaign is paused by its DM; the fight waits until `/dm resume`.")
    if campaign_status == "ended":
        raise InvalidInput("This campaign has ended; its fights are over.")


def _where(ref: CombatRef) -> dict[str, int]:
    if isinstance(ref, InChannel):
        return {"channel_id": ref.channel_id}
    if isinstance(ref, OfCampaign):
        return {"campaign_id": ref.campaign_id}
    return {"combat_id": ref}


def _missing(ref: CombatRef) -> NotFound:
    return NoFight() if isinstance(ref, InChannel | OfCampaign) else NotFound("That fight doesn't exist.")
