"""Reading and locking fights, and who may do what in them.

Every change is one transaction that first locks the combat row (`SELECT ... FOR UPDATE`) and then the rows
of the characters in the fight (in id order), so concurrent attacks on one target queue up and no damage is
lost. The campaign's DM may do everything; a player acts only for their own character, on its turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import SRD, Monster
from bot.engine import combat_rules as cr
from bot.engine import effects
from bot.engine.characters import CharacterService
from bot.engine.checks import CheckService
from bot.engine.combat import custom, lookups
from bot.engine.combat.fight import Creature, Fight, timed
from bot.engine.combat.results import CombatRef, InChannel, NoFight, TrackerState, TurnKey
from bot.engine.combat.tracker import tracker_state
from bot.engine.dice import Dice, RollOutcome
from bot.engine.homebrew import HomebrewMonsters
from bot.engine.sheet import Actor, active_conditions
from bot.errors import Forbidden, InvalidInput, NotFound
from persistence.db import Database
from persistence.models import Combatant, RollLog
from persistence.repositories import CombatRepository, Reads, RollLogRepository

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
            found = await (
                repo.turn_key(channel_id=combat.channel_id)
                if isinstance(combat, InChannel)
                else repo.turn_key(combat_id=combat)
            )
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
        """Lock the fight for a change; it must be running."""
        fight = await self.load(session, combat, lock=True)
        if fight.combat.status != "active":
            raise InvalidInput("That fight is over.")
        await check_campaign_running(session, fight.combat.campaign_id)
        return fight

    async def load(self, session: AsyncSession, ref: CombatRef, *, lock: bool, need_dm: bool = True) -> Fight:
        """The fight (its row locked first when changing it), its combatants and their characters' rows."""
        repo = CombatRepository(session)
        if isinstance(ref, InChannel):
            found = await repo.combat_and_dm(channel_id=ref.channel_id, lock=lock)
        else:
            found = await repo.combat_and_dm(combat_id=ref, lock=lock)
        if found is None:
            raise _missing(ref)
        combat, dm = found
        rows = list(await repo.combatants(combat.id))
        if self.homebrew is not None:  # homebrew monsters' stat blocks, for the synchronous `monster()`
            await self.homebrew.warm(session, (r.monster_index for r in rows))
        ids = [r.character_id for r in rows if r.character_id is not None]
        characters = {c.id: c for c in await repo.characters(ids, lock=lock)}
        if need_dm and self.campaign_dm is not None:
            dm = await self.campaign_dm(combat.campaign_id)
        return Fight(combat, rows, characters, dm)

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

    # What the parts of combat share -------------------------------------------------------------

    def creature(self, fight: Fight, row: Combatant) -> Creature:
        """A combatant as attacks and saves see it: AC, conditions and defences, with its timed effects."""
        on_it = effects.load(row.effects)
        extra = effects.resistances(on_it)
        if row.kind == "monster":
            monster = self.monster_of(row)
            conditions = lookups.with_implied(self.srd, ((c.name, c.level) for c in timed(row.conditions)))
            defences = cr.Defences.of_monster(monster).with_conditions(conditions)
            defences = replace(defences, resistances=defences.resistances | extra)
            return Creature(row, row.ac + effects.ac_bonus(on_it), conditions, defences, monster, None, on_it)
        sheet = fight.sheet(row)
        conditions = active_conditions(sheet, self.srd)
        defences = cr.Defences.of_traits(sheet.features).with_conditions(conditions)
        defences = replace(defences, resistances=defences.resistances | extra)
        ac = self.characters.stats(sheet).armor_class + effects.ac_bonus(on_it)
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
        return tracker_state(fight, self.srd, for_dm=for_dm)

    def log(self, session: AsyncSession, actor: Actor, rolls: Sequence[RollOutcome]) -> None:
        repo = RollLogRepository(session)
        for roll in rolls:
            repo.add(
                RollLog(
                    guild_id=actor.guild_id,
                    channel_id=actor.channel_id,
                    user_id=actor.user_id,
                    expression=roll.expression[:200],
                    label=(roll.label or "")[:100] or None,
                    total=roll.total,
                    breakdown=roll.full_breakdown or roll.breakdown,
                )
            )


async def check_campaign_running(session: AsyncSession, campaign_id: int) -> None:
    """A paused (or ended) campaign's fight stands still until its DM resumes it."""
    status = await CombatRepository(session).campaign_status(campaign_id)
    if status == "paused":
        raise InvalidInput("This campaign is paused by its DM; the fight waits until `/dm resume`.")
    if status == "ended":
        raise InvalidInput("This campaign has ended; its fights are over.")


def _missing(ref: CombatRef) -> NotFound:
    return NoFight() if isinstance(ref, InChannel) else NotFound("That fight doesn't exist.")
