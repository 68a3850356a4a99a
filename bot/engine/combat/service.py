"""Combat: a campaign's initiative tracker, kept in the database, and everything that happens in a fight.

Every change is one transaction that first locks the combat row (`SELECT ... FOR UPDATE`) and then the rows
of the characters in the fight (in id order), so concurrent attacks on one target queue up and no damage is
lost. Ending a turn also compares the turn the caller saw with the stored one (compare-and-set), so two
`/combat next` at once advance once. Who may do what is checked here on every call: the campaign's DM may
do everything; a player acts only for their own character, and ends only their own turn.

Characters keep their HP, death saves and conditions on their sheet (changed here with the character
engine's `to_sheet`/`write_back`, inside the fight's transaction); monsters keep theirs on the combatant row.
Results are frozen dataclasses; `TrackerState` is what the one tracker message of a fight shows.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import SRD, Condition, DamageRoll, Monster, MonsterAction
from bot.engine import combat_rules as cr
from bot.engine import rules
from bot.engine.characters import (
    ActiveCondition,
    CharacterRef,
    CharacterService,
    Sheet,
    active_conditions,
    armor_class,
    clean_name,
    condition_level,
    guild_of,
    name_key,
    to_sheet,
    write_back,
)
from bot.engine.checks import UNARMED, CheckService
from bot.engine.dice import Dice, RollOutcome
from bot.engine.rolls import Actor
from bot.errors import Forbidden, InvalidInput, NotFound
from persistence.db import Database
from persistence.errors import Conflict
from persistence.models import Character, Combat, Combatant, RollLog
from persistence.repositories import CharacterRepository, CombatRepository, Reads, RollLogRepository

CampaignDMLookup = Callable[[int], Awaitable[int | None]]
Clock = Callable[[], datetime]
TurnKey = tuple[int, int]  # (round, id of the combatant whose turn it is; 0 before round 1)
NO_FIGHT = "No fight is running in this channel; the DM starts one."
MAX_COMBATANTS = 40
MAX_AT_ONCE = 20
MAX_AMOUNT = 10_000
MAX_ROUNDS = 1000
RANGED_ACTION_WORDS = ("bow", "crossbow", "sling", "dart", "javelin", "spit", "ray", "hurl", "rock")


@dataclass(frozen=True)
class InChannel:
    """The fight running in a channel (what `/combat ...` commands mean), resolved inside the transaction."""

    channel_id: int


CombatRef = int | InChannel  # a fight by id, or the running one of a channel


class TurnMoved(InvalidInput):
    """The turn the caller meant to end has already ended (a second `/combat next` at the same moment)."""


def _now() -> datetime:
    return datetime.now(UTC)


# --- Plain results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackerEntry:
    id: int
    name: str
    kind: cr.Kind
    initiative: int
    owner_id: int | None
    current: bool
    state: cr.LifeState
    health: str  # words: unhurt, hurt, bloodied, near death, dead (and dying/stable for characters)
    hp: int | None  # None: hidden (a monster's, for players)
    hp_max: int | None
    temp_hp: int
    ac: int | None  # None: hidden
    conditions: tuple[str, ...]  # "poisoned (2 rounds)"
    death_saves: tuple[int, int] | None  # (successes, failures) for a character at 0 HP


@dataclass(frozen=True)
class TrackerState:
    combat_id: int
    campaign_id: int
    channel_id: int
    status: str
    round: int
    version: int
    entries: tuple[TrackerEntry, ...]
    for_dm: bool
    tracker_channel_id: int | None = None
    tracker_message_id: int | None = None

    @property
    def current(self) -> TrackerEntry | None:
        return next((e for e in self.entries if e.current), None)

    @property
    def turn_key(self) -> TurnKey:
        current = self.current
        return (self.round, current.id if current else 0)

    def public(self) -> TrackerState:
        """What players may see: monsters' health in words only, nobody's AC."""
        if not self.for_dm:
            return self
        hidden = tuple(
            replace(e, ac=None, hp=None, hp_max=None) if e.kind == "monster" else replace(e, ac=None)
            for e in self.entries
        )
        return replace(self, entries=hidden, for_dm=False)


@dataclass(frozen=True)
class Joined:
    state: TrackerState
    name: str
    initiative: RollOutcome
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class MonstersAdded:
    state: TrackerState
    monster: str
    names: tuple[str, ...]
    hp: tuple[int, ...]
    initiatives: tuple[int, ...]


@dataclass(frozen=True)
class TurnChange:
    state: TrackerState
    previous: str | None
    current: TrackerEntry
    round: int
    new_round: bool
    skipped: tuple[str, ...]
    expired: tuple[str, ...]  # "Goblin 1: poisoned"
    ping_user_id: int | None  # the player whose turn it is now (None for a monster)


@dataclass(frozen=True)
class DamageReport:
    target: str
    kind: cr.Kind
    owner_id: int | None
    parts: tuple[cr.DamageTaken, ...]
    total: int
    hp_before: int
    hp_after: int
    hp_max: int
    temp_after: int
    state: cr.LifeState
    health: str
    dropped: bool = False  # fell to 0 HP
    failures_added: int = 0
    instant_death: bool = False
    death_saves: tuple[int, int] | None = None

    @property
    def healed(self) -> int:
        return max(0, self.hp_after - self.hp_before)


@dataclass(frozen=True)
class SaveRoll:
    ability: str
    dc: int
    roll: RollOutcome | None  # None: failed automatically (paralysed: Str and Dex saves)
    success: bool


@dataclass(frozen=True)
class AttackReport:
    combat_id: int
    attacker: str
    attacker_kind: cr.Kind
    target: str
    action: str
    kind: Literal["attack", "save"]
    roll: RollOutcome | None  # the attack roll (None for a save action)
    to_hit: int | None
    ac: int | None
    hit: bool  # for a save action: the target failed (full damage)
    critical: bool
    reason: str
    save: SaveRoll | None
    damage_rolls: tuple[RollOutcome, ...]
    damage: DamageReport | None
    reasons: tuple[str, ...] = ()  # where advantage/disadvantage came from
    version: int = 0
    state: TrackerState | None = None  # the tracker after this attack

    @property
    def outcomes(self) -> tuple[RollOutcome, ...]:
        first = (self.roll,) if self.roll else ()
        saved = (self.save.roll,) if self.save and self.save.roll else ()
        return first + saved + self.damage_rolls


@dataclass(frozen=True)
class MonsterTurn:
    monster: str
    action: str
    reports: tuple[AttackReport, ...]
    notes: tuple[str, ...]
    state: TrackerState
    chosen_by: Literal["engine", "narrator"] = "engine"


@dataclass(frozen=True)
class MonsterPlan:
    monster: str
    action: str
    target: str


@dataclass(frozen=True)
class MonsterOptions:
    """What the monster whose turn it is may do in auto mode, for the narrator to choose from."""

    campaign_id: int
    monster: str
    monster_kind: str  # the SRD monster, e.g. "Goblin"
    hp: str  # "5/7"
    actions: tuple[str, ...]
    targets: tuple[str, ...]
    target_lines: tuple[str, ...]  # "Tordek: 12/13 HP, AC 18"


@dataclass(frozen=True)
class Reward:
    name: str
    owner_id: int
    xp: int  # the new total
    can_level_up: bool


@dataclass(frozen=True)
class CombatEnd:
    state: TrackerState
    defeated: tuple[str, ...]
    xp_total: int
    share: int
    rewards: tuple[Reward, ...]


# --- The fight inside one transaction ---------------------------------------------------------------


@dataclass
class _Fight:
    combat: Combat
    rows: list[Combatant]
    characters: dict[int, Character]
    dm_id: int | None

    def current(self) -> Combatant | None:
        if self.combat.round == 0 or not self.rows:
            return None
        return self.rows[min(self.combat.turn_index, len(self.rows) - 1)]

    def turn_key(self) -> TurnKey:
        current = self.current()
        return (self.combat.round, current.id if current else 0)

    def is_dm(self, actor: Actor) -> bool:
        return self.dm_id is not None and actor.user_id == self.dm_id

    def find(self, name: str) -> Combatant:
        """By exact name (any case), else by a prefix that only one combatant has."""
        key = " ".join(name.split()).casefold()
        exact = [r for r in self.rows if r.name_key == key]
        found = exact or [r for r in self.rows if key and r.name_key.startswith(key)]
        if len(found) == 1:
            return found[0]
        names = ", ".join(r.name for r in (found or self.rows)) or "nobody yet"
        if found:
            raise InvalidInput(f"“{name[:64]}” could be {names}; say which.")
        raise NotFound(f"No one called “{name[:64]}” is in this fight. In it: {names}.")

    def sheet(self, row: Combatant) -> Sheet:
        return to_sheet(self.characters[_character_id(row)])


@dataclass(frozen=True)
class _Creature:
    row: Combatant
    ac: int
    conditions: list[tuple[Condition, int]]
    defences: cr.Defences
    monster: Monster | None
    sheet: Sheet | None

    @property
    def name(self) -> str:
        return self.row.name

    @property
    def kind(self) -> cr.Kind:
        return "monster" if self.monster is not None else "character"


def _usable_actions(monster: Monster) -> list[str]:
    """The SRD actions the engine can run for a monster: attacks, save actions and Multiattack."""
    return [a.name for a in monster.actions if a.attack_bonus is not None or a.multiattack or a.dc]


def _character_id(row: Combatant) -> int:
    if row.character_id is None:
        raise NotFound(f"{row.name}'s character sheet is gone.")
    return row.character_id


# --- The service ----------------------------------------------------------------------------------


class CombatService:
    """Fights of campaigns. Every change: one transaction, the combat row locked first."""

    def __init__(
        self,
        db: Database,
        dice: Dice,
        characters: CharacterService,
        checks: CheckService,
        *,
        campaign_dm: CampaignDMLookup | None = None,
        clock: Clock = _now,
    ) -> None:
        self.db = db
        self.reads = Reads(db)
        self.dice = dice
        self.characters = characters
        self.checks = checks
        self.srd: SRD = characters.srd
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
            fight = await self._load(session, combat, lock=False, need_dm=False)
            return self._state(fight, for_dm=for_dm)

    async def view(self, actor: Actor, combat: CombatRef) -> TrackerState:
        """The tracker as this user may see it: the DM's variant for the campaign's DM."""
        async with self.reads.session() as session:
            fight = await self._load(session, combat, lock=False)
            return self._state(fight, for_dm=fight.is_dm(actor))

    async def turn_key(self, combat: CombatRef) -> tuple[int, TurnKey]:
        """The fight's id and whose turn it is, in one light read (what `next_turn` compares against)."""
        async with self.reads.session() as session:
            repo = CombatRepository(session)
            found = await (repo.turn_key(channel_id=combat.channel_id) if isinstance(combat, InChannel)
                           else repo.turn_key(combat_id=combat))  # fmt: skip
        if found is None:
            raise NotFound(NO_FIGHT if isinstance(combat, InChannel) else "That fight doesn't exist.")
        combat_id, round_, current = found
        return combat_id, (round_, (current or 0) if round_ else 0)

    async def target_names(self, combat: CombatRef, text: str) -> list[str]:
        """Autocomplete: the living combatants whose name contains `text`."""
        state = await self.status(combat)
        needle = text.casefold().strip()
        return [e.name for e in state.entries if e.state != "dead" and needle in e.name.casefold()][:25]

    async def action_names(self, combat: CombatRef, monster: str, text: str = "") -> list[str]:
        """Autocomplete: the SRD actions the engine can run for this monster in the fight."""
        async with self.reads.session() as session:
            fight = await self._load(session, combat, lock=False, need_dm=False)
            row = fight.find(monster)
        if row.kind != "monster":
            return []
        usable = _usable_actions(self._monster(row.monster_index or ""))
        return [n for n in usable if text.casefold() in n.casefold()][:25]

    # Setting up ---------------------------------------------------------------------------------

    async def start(self, actor: Actor, campaign_id: int, channel_id: int) -> TrackerState:
        """The campaign's DM starts a fight in a channel; players then `/combat join`."""
        async with self.db.transaction() as session:
            repo = CombatRepository(session)
            dm = await self._dm_of(session, campaign_id)
            if dm is None:
                raise NotFound("That campaign doesn't exist (or has no DM).")
            if actor.user_id != dm:
                raise Forbidden("Only the campaign's DM can start a fight.")
            await _check_campaign_running(session, campaign_id)
            if await repo.active_for_campaign(campaign_id) or await repo.active_in_channel(channel_id):
                raise InvalidInput("A fight is already running here; end it before starting another.")
            combat = Combat(campaign_id=campaign_id, guild_id=guild_of(actor), channel_id=channel_id,
                            status="active", round=0, turn_index=0, version=1, started_by=actor.user_id,
                            created_at=self.clock())  # fmt: skip
            try:
                await repo.insert(combat)
            except Conflict:  # a second start at the same moment
                raise InvalidInput("A fight is already running here; end it before starting another.") from None
            return self._state(_Fight(combat, [], {}, dm), for_dm=True)

    async def start_in(
        self, session: AsyncSession, campaign_id: int, guild_id: int, channel_id: int, dm_id: int,
        monsters: Sequence[tuple[str, int]],
    ) -> int:  # fmt: skip
        """A fight begun inside a caller's transaction (the narrator's `start_combat`, whose turn holds the
        campaign row): run by the campaign's DM, with SRD monsters at average HP. Returns its id."""
        repo = CombatRepository(session)
        if await repo.active_for_campaign(campaign_id) or await repo.active_in_channel(channel_id):
            raise InvalidInput("A fight is already running here; the DM adds monsters with `/dm combat add`.")
        combat = Combat(campaign_id=campaign_id, guild_id=guild_id, channel_id=channel_id, status="active", round=0,
                        turn_index=0, version=1, started_by=dm_id, created_at=self.clock())  # fmt: skip
        try:
            await repo.insert(combat)
        except Conflict:
            raise InvalidInput("A fight is already running here.") from None
        fight = _Fight(combat, [], {}, dm_id)
        for key, count in monsters:
            entry = self._monster(key)
            names = _monster_names(entry.name, count, {r.name_key for r in fight.rows})
            await self._insert(session, fight, [self._new_monster(fight, entry, n, "average") for n in names])
        return combat.id

    async def set_tracker_message(self, combat_id: int, channel_id: int, message_id: int) -> None:
        """Remember the one tracker message of a fight (posted by the UI), to edit it later."""
        async with self.db.transaction() as session:
            combat = await CombatRepository(session).combat(combat_id, lock=True)
            if combat is None:
                raise NotFound("That fight doesn't exist.")
            combat.tracker_channel_id, combat.tracker_message_id = channel_id, message_id

    async def add_monsters(
        self, actor: Actor, combat: CombatRef, monster: str, count: int = 1, name: str | None = None,
        hp: cr.HpMethod = "average",
    ) -> MonstersAdded:  # fmt: skip
        """SRD monsters join with the stat block's AC and HP (average or rolled); each rolls initiative."""
        entry = self._monster(monster)
        if not 1 <= count <= MAX_AT_ONCE:
            raise InvalidInput(f"Add 1 to {MAX_AT_ONCE} monsters at once.")
        base = clean_name(name) if name else entry.name
        async with self.db.transaction() as session:
            fight = await self._open(session, combat)
            self._require_dm(actor, fight, "add monsters")
            if len(fight.rows) + count > MAX_COMBATANTS:
                raise InvalidInput(f"A fight holds at most {MAX_COMBATANTS} combatants.")
            names = _monster_names(base, count, {r.name_key for r in fight.rows})
            added = [self._new_monster(fight, entry, n, hp) for n in names]
            await self._insert(session, fight, added)
            return MonstersAdded(self._state(fight, for_dm=True), entry.name, tuple(names),
                                 tuple(r.hp or 0 for r in added), tuple(r.initiative for r in added))  # fmt: skip

    def _new_monster(self, fight: _Fight, monster: Monster, name: str, hp: cr.HpMethod) -> Combatant:
        hit_points = cr.monster_hp(monster, hp, self.dice.total)
        initiative = self.dice.d20() + monster.modifier("dex")
        dex = monster.abilities["dex"]
        return Combatant(
            combat_id=fight.combat.id, kind="monster", character_id=None, owner_id=None, monster_index=monster.index,
            name=name, name_key=name.casefold(), initiative=initiative, dex=dex,
            tiebreak=self._roll_off(fight, initiative, dex), position=0, hp=hit_points, hp_max=hit_points,
            ac=monster.ac, conditions=[], dead=False, created_at=self.clock(),
        )  # fmt: skip

    async def join(
        self, actor: Actor, combat: CombatRef, character: CharacterRef | None = None, *, advantage: bool = False,
        disadvantage: bool = False,
    ) -> Joined:  # fmt: skip
        """A character joins and rolls initiative from the sheet (a Dexterity check: conditions apply)."""
        ref = character or CharacterRef()
        async with self.db.transaction() as session:
            fight = await self._open(session, combat)
            row = await self._character_for(session, fight, actor, ref)
            sheet = to_sheet(row)
            self._check_may_join(fight, sheet)
            stats = self.characters.stats(sheet)
            mods = rules.condition_modifiers("check", active_conditions(sheet, self.srd), ability="dex",
                                             advantage=advantage, disadvantage=disadvantage)  # fmt: skip
            roll = self.dice.roll(f"1d20{rules.signed(stats.initiative)}", advantage=mods.advantage,
                                  label=f"{sheet.name}: Initiative")  # fmt: skip
            dex = stats.scores["dex"]
            combatant = Combatant(
                combat_id=fight.combat.id, kind="character", character_id=row.id, owner_id=row.owner_id,
                monster_index=None, name=sheet.name, name_key=name_key(sheet.name), initiative=roll.total, dex=dex,
                tiebreak=self._roll_off(fight, roll.total, dex), position=0, hp=None, hp_max=None,
                ac=stats.armor_class, conditions=[], dead=False, created_at=self.clock(),
            )  # fmt: skip
            fight.characters[row.id] = row
            await self._insert(session, fight, [combatant])
            self._log(session, actor, [roll])
            return Joined(self._state(fight, for_dm=False), sheet.name, roll, mods.reasons)

    async def _character_for(self, session: AsyncSession, fight: _Fight, actor: Actor, ref: CharacterRef) -> Character:
        repo = CharacterRepository(session)
        owner = ref.owner_id or actor.user_id
        if owner != actor.user_id and not fight.is_dm(actor):
            raise Forbidden("Only the DM can bring someone else's character into the fight.")
        guild = fight.combat.guild_id
        if ref.name is not None:
            row = await repo.by_name(guild, owner, name_key(ref.name), lock=True)
        else:
            row = await repo.active(guild, owner, lock=True)
        if row is None:
            raise NotFound("No such character here. Make one with `/character create` or pick one with "
                           "`/character use`.")  # fmt: skip
        return row

    def _check_may_join(self, fight: _Fight, sheet: Sheet) -> None:
        if sheet.campaign_id is not None and sheet.campaign_id != fight.combat.campaign_id:
            raise InvalidInput(f"{sheet.name} plays in another campaign, not in this fight's.")
        if any(r.character_id == sheet.id for r in fight.rows):
            raise InvalidInput(f"{sheet.name} is already in this fight.")
        if sheet.death_failures >= 3:
            raise InvalidInput(f"{sheet.name} has died and can't join a fight.")
        if any(r.name_key == name_key(sheet.name) for r in fight.rows):
            raise InvalidInput(f"Someone called {sheet.name} is already in this fight; rename one of them.")
        if len(fight.rows) >= MAX_COMBATANTS:
            raise InvalidInput(f"A fight holds at most {MAX_COMBATANTS} combatants.")

    def _roll_off(self, fight: _Fight, initiative: int, dex: int) -> int:
        slots = [cr.InitiativeSlot(r.id or 0, r.initiative, r.dex, r.tiebreak) for r in fight.rows]
        return cr.roll_off(self.dice.d20, cr.tied_rivals(initiative, dex, slots))

    async def _insert(self, session: AsyncSession, fight: _Fight, rows: Sequence[Combatant]) -> None:
        """Add combatants and re-sort the order; the combatant whose turn it is keeps it."""
        current = fight.current()
        try:
            await CombatRepository(session).insert(*rows)
        except Conflict:
            raise InvalidInput("That combatant is already in this fight.") from None
        fight.rows.extend(rows)
        self._reorder(fight, current)
        fight.combat.version += 1

    def _reorder(self, fight: _Fight, current: Combatant | None) -> None:
        slots = cr.initiative_order(cr.InitiativeSlot(r.id, r.initiative, r.dex, r.tiebreak) for r in fight.rows)
        by_id = {r.id: r for r in fight.rows}
        fight.rows = [by_id[s.id] for s in slots]
        for position, row in enumerate(fight.rows):
            row.position = position
        if current is not None:
            fight.combat.turn_index = fight.rows.index(current)

    async def remove(self, actor: Actor, combat: CombatRef, name: str) -> TrackerState:
        """The DM takes a combatant out (it fled, or joined by mistake); not during its own turn."""
        async with self.db.transaction() as session:
            fight = await self._open(session, combat)
            self._require_dm(actor, fight, "remove combatants")
            row = fight.find(name)
            current = fight.current()
            if row is current:
                raise InvalidInput(f"It's {row.name}'s turn; end it with `/combat next` first.")
            await CombatRepository(session).delete_combatant(row)
            fight.rows.remove(row)
            self._reorder(fight, current)
            fight.combat.version += 1
            return self._state(fight, for_dm=True)

    # Turns --------------------------------------------------------------------------------------

    async def next_turn(self, actor: Actor, combat: CombatRef, *, expected: TurnKey | None = None) -> TurnChange:
        """End the current turn: by its player or the DM. Ticks conditions, skips the dead, counts rounds.

        `expected` is the turn the caller saw (read now when not given); if another `next` ended that turn
        first, this one raises `TurnMoved` instead of advancing again.
        """
        combat_id, now_key = await self.turn_key(combat)
        seen = expected if expected is not None else now_key
        async with self.db.transaction() as session:
            fight = await self._open(session, combat_id)
            current = fight.current()
            if fight.turn_key() != seen:
                name = current.name if current else "nobody"
                raise TurnMoved(f"That turn already ended: it's {name}'s turn now (round {fight.combat.round}).")
            self._check_may_end_turn(actor, fight, current)
            expired = self._tick(fight, current, "end") if current else []
            advance = cr.advance_turn([self._alive(fight, r) for r in fight.rows], fight.combat.round,
                                      fight.combat.turn_index)  # fmt: skip
            fight.combat.round, fight.combat.turn_index = advance.round, advance.index
            now = fight.rows[advance.index]
            expired += self._tick(fight, now, "start")
            fight.combat.version += 1
            state = self._state(fight, for_dm=False)
            entry = next(e for e in state.entries if e.id == now.id)
            return TurnChange(
                state=state, previous=current.name if current else None, current=entry, round=advance.round,
                new_round=advance.new_round, skipped=tuple(fight.rows[i].name for i in advance.skipped),
                expired=tuple(expired), ping_user_id=now.owner_id if now.kind == "character" else None,
            )  # fmt: skip

    def _check_may_end_turn(self, actor: Actor, fight: _Fight, current: Combatant | None) -> None:
        if fight.is_dm(actor):
            return
        if current is None:
            raise Forbidden("The DM starts round 1 with `/combat next` once everyone has joined.")
        if current.kind != "character" or current.owner_id != actor.user_id:
            raise Forbidden(f"It's {current.name}'s turn: only their player or the DM can end it.")

    def _alive(self, fight: _Fight, row: Combatant) -> bool:
        if row.kind == "monster":
            return not row.dead
        return row.character_id in fight.characters and fight.sheet(row).death_failures < 3

    def _down(self, fight: _Fight, row: Combatant) -> bool:
        if row.kind == "monster":
            return row.dead
        return not self._alive(fight, row) or fight.sheet(row).hp_current <= 0

    def _tick(self, fight: _Fight, row: Combatant, phase: cr.Phase) -> list[str]:
        """Count down this creature's timed conditions at the start or end of its turn."""
        if row.kind == "monster":
            kept, expired = cr.tick_conditions(_timed(row.conditions), phase)
            if expired:
                row.conditions = [_condition_json(c) for c in kept]
            return [f"{row.name}: {name}" for name in expired]
        if row.character_id not in fight.characters or phase != "end":
            return []  # a sheet's conditions carry no phase: they count down at the end of the turn
        sheet = fight.sheet(row)
        timed = [cr.TimedCondition(c.name, c.rounds, "end", c.level) for c in sheet.conditions]
        kept, expired = cr.tick_conditions(timed, "end")
        if expired or any(c.rounds is not None for c in kept):
            left = tuple(ActiveCondition(c.name, c.rounds, c.level) for c in kept)
            write_back(fight.characters[row.character_id], replace(sheet, conditions=left))
        return [f"{row.name}: {name}" for name in expired]

    # Attacks ------------------------------------------------------------------------------------

    async def attack(
        self, actor: Actor, combat: CombatRef, attacker: str, target: str, weapon_or_action: str, *,
        advantage: bool = False, disadvantage: bool = False, two_handed: bool = False,
    ) -> AttackReport:  # fmt: skip
        """One attack: a character with a carried weapon (or `unarmed`), a monster with one of its SRD actions."""
        async with self.db.transaction() as session:
            fight = await self._open(session, combat)
            rolls: list[RollOutcome] = []
            report = self._attack(fight, actor, fight.find(attacker), fight.find(target), weapon_or_action,
                                  advantage, disadvantage, two_handed, rolls)  # fmt: skip
            return self._finish(session, fight, actor, rolls, report)

    async def player_attack(
        self, actor: Actor, combat: CombatRef, weapon: str, target: str, *, advantage: bool = False,
        disadvantage: bool = False, two_handed: bool = False,
    ) -> AttackReport:  # fmt: skip
        """`/attack weapon target` in a fight: the attacker is the player's character in it."""
        async with self.db.transaction() as session:
            fight = await self._open(session, combat)
            mine = [r for r in fight.rows if r.kind == "character" and r.owner_id == actor.user_id]
            if not mine:
                raise InvalidInput("You have no character in this fight: `/combat join` first.")
            current = fight.current()
            attacker = current if current in mine else mine[0]
            rolls: list[RollOutcome] = []
            report = self._attack(fight, actor, attacker, fight.find(target), weapon, advantage, disadvantage,
                                  two_handed, rolls)  # fmt: skip
            return self._finish(session, fight, actor, rolls, report)

    def _finish(
        self, session: AsyncSession, fight: _Fight, actor: Actor, rolls: list[RollOutcome], report: AttackReport
    ) -> AttackReport:
        fight.combat.version += 1
        self._log(session, actor, rolls)
        return replace(report, version=fight.combat.version, state=self._state(fight, for_dm=False))

    def _attack(
        self, fight: _Fight, actor: Actor, attacker_row: Combatant, target_row: Combatant, what: str,
        advantage: bool, disadvantage: bool, two_handed: bool, rolls: list[RollOutcome],
    ) -> AttackReport:  # fmt: skip
        self._check_may_act(actor, fight, attacker_row)
        attacker, target = self._creature(fight, attacker_row), self._creature(fight, target_row)
        _check_attack(attacker, target)
        if attacker.monster is not None:
            action = self._action(attacker.monster, what)
            if action.attack_bonus is None:
                return self._save_action(fight, attacker, target, action, rolls)
            return self._monster_attack(fight, attacker, target, action, advantage, disadvantage, rolls)
        assert attacker.sheet is not None
        line = self.checks.attack_line(attacker.sheet, what, two_handed=two_handed)
        melee = line.weapon == UNARMED or self.srd.weapon(line.weapon).range_type == "melee"
        dice, _, damage_type = line.damage.partition(" ")
        return self._resolve(fight, attacker, target, line.name, line.to_hit, melee,
                             [DamageRoll(dice=dice, type=damage_type or "bludgeoning")], cr.DamageSource(weapon=True),
                             advantage, disadvantage, rolls)  # fmt: skip

    def _monster_attack(
        self, fight: _Fight, attacker: _Creature, target: _Creature, action: MonsterAction, advantage: bool,
        disadvantage: bool, rolls: list[RollOutcome],
    ) -> AttackReport:  # fmt: skip
        assert attacker.monster is not None and action.attack_bonus is not None
        parts = list(action.damage) or list(action.damage_one_of[:1])  # "one of": the first listed
        magical = cr.MAGIC_WEAPONS_TRAIT in attacker.monster.special_abilities
        return self._resolve(fight, attacker, target, action.name, action.attack_bonus, _is_melee(action), parts,
                             cr.DamageSource(weapon=True, magical=magical), advantage, disadvantage, rolls)  # fmt: skip

    def _resolve(
        self, fight: _Fight, attacker: _Creature, target: _Creature, name: str, to_hit: int, melee: bool,
        parts: Sequence[DamageRoll], source: cr.DamageSource, advantage: bool, disadvantage: bool,
        rolls: list[RollOutcome],
    ) -> AttackReport:  # fmt: skip
        mods = cr.attack_modifiers(attacker.conditions, target.conditions, melee=melee, advantage=advantage,
                                   disadvantage=disadvantage)  # fmt: skip
        roll = self.dice.roll(f"1d20{rules.signed(to_hit)}", advantage=mods.advantage,
                              label=f"{attacker.name}: {name} attack")  # fmt: skip
        rolls.append(roll)
        natural = roll.total - to_hit  # the kept d20 of `1d20+bonus`
        resolution = cr.resolve_attack(natural, roll.total, target.ac, auto_crit=cr.auto_crit(target.conditions,
                                                                                                melee=melee))
        damage_rolls: list[RollOutcome] = []
        damage = None
        save = None
        if resolution.hit:
            plain = [p for p in parts if p.dc is None]
            taken = self._roll_damage(plain, resolution.critical, target, source, attacker.name, damage_rolls)
            riders = [p for p in parts if p.dc is not None]
            if riders:  # a poisoned bite: the target saves against the extra damage
                save, extra = self._rider_damage(target, riders, resolution.critical, source, attacker.name,
                                                 damage_rolls)  # fmt: skip
                taken += extra
            damage = self._hurt(fight, target.row, taken, critical=resolution.critical)
        rolls.extend(damage_rolls + ([save.roll] if save and save.roll else []))
        return AttackReport(
            combat_id=fight.combat.id, attacker=attacker.name, attacker_kind=attacker.kind, target=target.name,
            action=name, kind="attack", roll=roll, to_hit=to_hit, ac=target.ac, hit=resolution.hit,
            critical=resolution.critical, reason=resolution.reason, save=save, damage_rolls=tuple(damage_rolls),
            damage=damage, reasons=mods.reasons,
        )  # fmt: skip

    def _roll_damage(
        self, parts: Sequence[DamageRoll], critical: bool, target: _Creature, source: cr.DamageSource, who: str,
        rolls: list[RollOutcome],
    ) -> list[cr.DamageTaken]:  # fmt: skip
        taken = []
        for part in parts:
            roll = self.dice.roll(cr.crit_dice(part.dice) if critical else part.dice, label=f"{who}: {part.type}")
            rolls.append(roll)
            taken.append(cr.modify_damage(roll.total, part.type, target.defences, source))
        return taken

    def _rider_damage(
        self, target: _Creature, riders: Sequence[DamageRoll], critical: bool, source: cr.DamageSource, who: str,
        rolls: list[RollOutcome],
    ) -> tuple[SaveRoll, list[cr.DamageTaken]]:  # fmt: skip
        dc = riders[0].dc
        assert dc is not None
        save = self._saving_throw(target, dc.ability, dc.value)
        taken = self._roll_damage(riders, critical, target, source, who, rolls)
        return save, [_on_save(t, save.success, dc.success) for t in taken]

    def _save_action(
        self, fight: _Fight, attacker: _Creature, target: _Creature, action: MonsterAction, rolls: list[RollOutcome]
    ) -> AttackReport:
        """An action with a saving throw (a breath weapon) against one target: full damage on a failure."""
        if action.dc is None or not action.damage:
            raise InvalidInput(f"{attacker.name}'s {action.name} isn't an attack the engine can roll; describe it "
                               "and use damage or conditions instead.")  # fmt: skip
        save = self._saving_throw(target, action.dc.ability, action.dc.value)
        damage_rolls: list[RollOutcome] = []
        source = cr.DamageSource()
        taken = self._roll_damage(action.damage, False, target, source, attacker.name, damage_rolls)
        taken = [_on_save(t, save.success, action.dc.success) for t in taken]
        damage = self._hurt(fight, target.row, taken, critical=False) if any(t.raw for t in taken) else None
        rolls.extend(([save.roll] if save.roll else []) + damage_rolls)
        reason = f"{rules.ABILITY_NAMES[action.dc.ability]} save DC {action.dc.value}"
        return AttackReport(
            combat_id=fight.combat.id, attacker=attacker.name, attacker_kind=attacker.kind, target=target.name,
            action=action.name, kind="save", roll=None, to_hit=None, ac=None, hit=not save.success, critical=False,
            reason=reason, save=save, damage_rolls=tuple(damage_rolls), damage=damage,
        )  # fmt: skip

    def _saving_throw(self, target: _Creature, ability: str, dc: int) -> SaveRoll:
        if target.monster is not None:
            bonus = target.monster.saving_throws.get(ability, target.monster.modifier(ability))
        else:
            assert target.sheet is not None
            bonus = self.characters.stats(target.sheet).saves[ability]
        mods = rules.condition_modifiers("save", target.conditions, ability=ability)
        if mods.auto_fail:
            return SaveRoll(ability, dc, None, False)
        roll = self.dice.roll(f"1d20{rules.signed(bonus)}", advantage=mods.advantage,
                              label=f"{target.name}: {rules.ABILITY_NAMES[ability]} save")  # fmt: skip
        return SaveRoll(ability, dc, roll, roll.total >= dc)

    # Monster turns ------------------------------------------------------------------------------

    async def monster_act(self, actor: Actor, combat: CombatRef, monster: str, action: str, target: str) -> MonsterTurn:
        """The DM runs a monster's action: an attack, a save action, or its Multiattack routine."""
        async with self.db.transaction() as session:
            fight = await self._open(session, combat)
            self._require_dm(actor, fight, "run monsters")
            row = fight.find(monster)
            if row.kind != "monster":
                raise InvalidInput(f"{row.name} is a player character; their player acts for them.")
            return await self._act(session, fight, actor, row, action, fight.find(target))

    async def run_monster_turn(
        self, actor: Actor, combat: CombatRef, rng: random.Random, plan: MonsterPlan | None = None
    ) -> MonsterTurn:
        """Auto mode: the monster whose turn it is acts as `plan` says (the narrator's choice) when that is
        still legal now, else as `choose_monster_action` decides. The engine rolls either way."""
        async with self.db.transaction() as session:
            fight = await self._open(session, combat)
            self._require_dm(actor, fight, "run monsters")
            current = fight.current()
            if current is None or current.kind != "monster":
                raise InvalidInput("It isn't a monster's turn.")
            if plan is not None and self._legal(fight, current, plan):
                turn = await self._act(session, fight, actor, current, plan.action, fight.find(plan.target))
                return replace(turn, chosen_by="narrator")
            plan = self._plan(fight, current, rng)
            return await self._act(session, fight, actor, current, plan.action, fight.find(plan.target))

    async def monster_options(self, combat: CombatRef) -> MonsterOptions | None:
        """The current monster's usable actions and the opponents it may attack (None: not a monster's turn,
        or nothing it could do)."""
        async with self.reads.session() as session:
            fight = await self._load(session, combat, lock=False, need_dm=False)
            row = fight.current()
            if row is None or row.kind != "monster" or row.dead:
                return None
            monster = self._monster(row.monster_index or "")
            actions = tuple(_usable_actions(monster))
            targets = self._targets(fight)
            if not actions or not targets:
                return None
            lines = []
            for target in targets:
                sheet, ac = fight.sheet(target), self._creature(fight, target).ac
                lines.append(f"{target.name}: {sheet.hp_current}/{sheet.hp_max} HP, AC {ac}")
            return MonsterOptions(fight.combat.campaign_id, row.name, monster.name, f"{row.hp}/{row.hp_max}",
                                  actions, tuple(t.name for t in targets), tuple(lines))  # fmt: skip

    def _targets(self, fight: _Fight) -> list[Combatant]:
        """Whom a monster may attack in auto mode: the conscious characters, else the standing ones."""
        standing = [r for r in fight.rows if r.kind == "character" and self._alive(fight, r)]
        return [r for r in standing if fight.sheet(r).hp_current > 0] or standing

    def _legal(self, fight: _Fight, row: Combatant, plan: MonsterPlan) -> bool:
        if row.dead or plan.monster != row.name:
            return False
        if plan.action not in _usable_actions(self._monster(row.monster_index or "")):
            return False
        return plan.target in {t.name for t in self._targets(fight)}

    async def choose_monster_action(self, combat: CombatRef, monster: str, rng: random.Random) -> MonsterPlan:
        """A legal action and target for a monster: its Multiattack or best attack, at a random standing
        character (conscious ones first). The narrator may describe it; the engine rolls it."""
        async with self.reads.session() as session:
            fight = await self._load(session, combat, lock=False, need_dm=False)
            return self._plan(fight, fight.find(monster), rng)

    def _plan(self, fight: _Fight, row: Combatant, rng: random.Random) -> MonsterPlan:
        if row.kind != "monster" or row.dead:
            raise InvalidInput(f"{row.name} isn't a monster that can act.")
        action = cr.pick_action(self._monster(row.monster_index or ""))
        if action is None:
            raise InvalidInput(f"{row.name} has no attack the engine can run; the DM describes its turn.")
        targets = self._targets(fight)
        if not targets:
            raise InvalidInput("No player character is left to attack.")
        return MonsterPlan(row.name, action.name, targets[rng.randrange(len(targets))].name)

    async def _act(
        self, session: AsyncSession, fight: _Fight, actor: Actor, row: Combatant, what: str, target: Combatant
    ) -> MonsterTurn:
        monster = self._monster(row.monster_index or "")
        action = self._action(monster, what)
        rolls: list[RollOutcome] = []
        reports: list[AttackReport] = []
        notes: list[str] = []
        if action.multiattack:
            for step, name, times in cr.multiattack_steps(monster, action):
                if step is None:
                    notes.append(f"{name}: the DM resolves it.")
                    continue
                for _ in range(times):
                    if self._down(fight, target):
                        notes.append(f"{target.name} is down; the rest of the routine is held.")
                        break
                    reports.append(self._attack(fight, actor, row, target, step.name, False, False, False, rolls))
        else:
            reports.append(self._attack(fight, actor, row, target, action.name, False, False, False, rolls))
        if action.usage is not None:
            notes.append(f"{action.name} is limited ({action.usage.type}); the engine doesn't track its uses.")
        fight.combat.version += 1
        self._log(session, actor, rolls)
        return MonsterTurn(row.name, action.name, tuple(reports), tuple(notes), self._state(fight, for_dm=True))

    # DM changes ---------------------------------------------------------------------------------

    async def damage(
        self, actor: Actor, campaign_id: int, target: str, amount: int, damage_type: str | None = None, *,
        magical: bool = False, critical: bool = False,
    ) -> DamageReport:  # fmt: skip
        """The DM deals damage: to a combatant of the campaign's fight, else to a character of the campaign.

        Resistances apply by type; `magical` says whether it beats "nonmagical weapons" resistances.
        """
        if not 1 <= amount <= MAX_AMOUNT:
            raise InvalidInput(f"Damage runs from 1 to {MAX_AMOUNT:,}.")
        kind = self._damage_type(damage_type)
        source = cr.DamageSource(weapon=True, magical=magical)
        return await self._dm_change(actor, campaign_id, target,
                                     lambda fight, row: self._damage_row(fight, row, amount, kind, source, critical))

    async def heal(self, actor: Actor, campaign_id: int, target: str, amount: int) -> DamageReport:
        """The DM heals a combatant or a character of the campaign (from 0 HP: the death saves reset)."""
        if not 1 <= amount <= MAX_AMOUNT:
            raise InvalidInput(f"Healing runs from 1 to {MAX_AMOUNT:,}.")
        return await self._dm_change(actor, campaign_id, target, lambda fight, row: self._heal(fight, row, amount))

    async def _dm_change(
        self, actor: Actor, campaign_id: int, target: str, change: Callable[[_Fight, Combatant], DamageReport]
    ) -> DamageReport:
        async with self.db.transaction() as session:
            repo = CombatRepository(session)
            combat = await repo.active_for_campaign(campaign_id)
            if combat is not None:
                fight = await self._open(session, combat.id)
                self._require_dm(actor, fight, "change hit points")
                report = change(fight, fight.find(target))
                fight.combat.version += 1
                return report
            dm = await self._dm_of(session, campaign_id)
            if dm is None or actor.user_id != dm:
                raise Forbidden("Only the campaign's DM can change hit points.")
            row = await repo.campaign_character(campaign_id, name_key(target), lock=True)
            if row is None:
                raise NotFound(f"No character called “{target[:64]}” plays in this campaign.")
            stand_in = _character_stand_in(row)
            return change(_Fight(Combat(id=0, round=0, turn_index=0), [stand_in], {row.id: row}, dm), stand_in)

    def _damage_row(
        self, fight: _Fight, row: Combatant, amount: int, kind: str | None, source: cr.DamageSource, critical: bool
    ) -> DamageReport:
        target = self._creature(fight, row)
        if row.kind == "monster" and row.dead:
            raise InvalidInput(f"{row.name} is already dead.")
        return self._hurt(fight, row, [cr.modify_damage(amount, kind, target.defences, source)], critical=critical)

    async def set_condition(
        self, actor: Actor, combat: CombatRef, target: str, condition: str, *, add: bool, rounds: int | None = None,
        ends: cr.Phase = "end", level: int = 1,
    ) -> TrackerState:  # fmt: skip
        """The DM adds or removes a condition, optionally for some rounds (ticking at the end or start of the
        creature's turn; characters' conditions tick at the end)."""
        entry = self._condition(condition)
        if rounds is not None and not 1 <= rounds <= MAX_ROUNDS:
            raise InvalidInput(f"A condition lasts 1 to {MAX_ROUNDS:,} rounds (empty: until removed).")
        async with self.db.transaction() as session:
            fight = await self._open(session, combat)
            self._require_dm(actor, fight, "change conditions")
            row = fight.find(target)
            if row.kind == "monster":
                self._monster_condition(row, entry, add, cr.TimedCondition(entry.index, rounds, ends, level))
            else:
                sheet = fight.sheet(row)
                others = tuple(c for c in sheet.conditions if c.name != entry.index)
                if not add and len(others) == len(sheet.conditions):
                    raise InvalidInput(f"{row.name} isn't {entry.name.lower()}.")
                added = (ActiveCondition(entry.index, rounds, level),) if add else ()
                write_back(fight.characters[_character_id(row)], replace(sheet, conditions=others + added))
            fight.combat.version += 1
            return self._state(fight, for_dm=True)

    def _monster_condition(self, row: Combatant, entry: Condition, add: bool, timed: cr.TimedCondition) -> None:
        monster = self._monster(row.monster_index or "")
        current = _timed(row.conditions)
        others = [c for c in current if c.name != entry.index]
        if add and entry.index in monster.condition_immunities:
            raise InvalidInput(f"{row.name} can't be {entry.name.lower()} (the SRD makes it immune).")
        if not add and len(others) == len(current):
            raise InvalidInput(f"{row.name} isn't {entry.name.lower()}.")
        row.conditions = [_condition_json(c) for c in (*others, *((timed,) if add else ()))]

    async def end(self, actor: Actor, combat: CombatRef, *, award_xp: bool = True) -> CombatEnd:
        """The DM ends the fight: the defeated monsters' XP (by SRD CR) is split among the surviving party."""
        async with self.db.transaction() as session:
            fight = await self._open(session, combat)
            self._require_dm(actor, fight, "end the fight")
            defeated = [r for r in fight.rows if r.kind == "monster" and r.dead]
            total = sum(self._monster(r.monster_index or "").xp for r in defeated) if award_xp else 0
            survivors = [r for r in fight.rows if r.kind == "character" and self._alive(fight, r)]
            share = cr.xp_share(total, len(survivors))
            rewards = tuple(self._reward(fight, r, share) for r in survivors)
            fight.combat.status, fight.combat.ended_at = "ended", self.clock()
            fight.combat.version += 1
            state = self._state(fight, for_dm=True)
            return CombatEnd(state, tuple(r.name for r in defeated), total, share, rewards)

    def _reward(self, fight: _Fight, row: Combatant, share: int) -> Reward:
        sheet = fight.sheet(row)
        new = replace(sheet, xp=sheet.xp + share)
        if share:
            write_back(fight.characters[_character_id(row)], new)
        can_level = new.level < rules.MAX_LEVEL and new.xp >= self.srd.xp_for_level(new.level + 1)
        return Reward(sheet.name, sheet.owner_id, new.xp, can_level)

    # Hit points ---------------------------------------------------------------------------------

    def _hurt(self, fight: _Fight, row: Combatant, parts: Sequence[cr.DamageTaken], *, critical: bool) -> DamageReport:
        total = sum(p.amount for p in parts)
        if row.kind == "monster":
            before = row.hp or 0
            row.hp, row.dead = cr.damage_monster(before, total)
            return DamageReport(row.name, "monster", None, tuple(parts), total, before, row.hp, row.hp_max or 0, 0,
                                "dead" if row.dead else "up", cr.health_word(row.hp, row.hp_max or 0, dead=row.dead),
                                dropped=row.dead)  # fmt: skip
        character = fight.characters[_character_id(row)]
        sheet = to_sheet(character)
        hit = cr.damage_character(self._vitals(sheet), total, critical=critical)
        write_back(character, _with_vitals(sheet, hit.after, dropped=hit.dropped, revived=False))
        row.dead = hit.after.state == "dead"
        return self._character_report(row, sheet, hit.before, hit.after, tuple(parts), total, hit)

    def _heal(self, fight: _Fight, row: Combatant, amount: int) -> DamageReport:
        if row.kind == "monster":
            if row.dead:
                raise InvalidInput(f"{row.name} is dead; hit points won't bring it back.")
            before = row.hp or 0
            row.hp = min(row.hp_max or 0, before + amount)
            return DamageReport(row.name, "monster", None, (), 0, before, row.hp, row.hp_max or 0, 0, "up",
                                cr.health_word(row.hp, row.hp_max or 0))  # fmt: skip
        character = fight.characters[_character_id(row)]
        sheet = to_sheet(character)
        was = self._vitals(sheet)
        now = cr.heal_character(was, amount)
        write_back(character, _with_vitals(sheet, now, dropped=False, revived=was.hp <= 0 < now.hp))
        return self._character_report(row, sheet, was, now, (), 0, None)

    def _vitals(self, sheet: Sheet) -> cr.Vitals:
        hp_max = rules.exhaustion_hp_max(sheet.hp_max, condition_level(sheet, "exhaustion"))  # as `stats()` has it
        return cr.Vitals(sheet.hp_current, hp_max, sheet.hp_temp, sheet.death_successes, sheet.death_failures)

    def _character_report(
        self, row: Combatant, sheet: Sheet, before: cr.Vitals, after: cr.Vitals, parts: tuple[cr.DamageTaken, ...],
        total: int, hit: cr.CharacterHit | None,
    ) -> DamageReport:  # fmt: skip
        return DamageReport(
            target=sheet.name, kind="character", owner_id=sheet.owner_id, parts=parts, total=total,
            hp_before=before.hp, hp_after=after.hp, hp_max=after.hp_max, temp_after=after.temp, state=after.state,
            health=_character_health(after), dropped=bool(hit and hit.dropped),
            failures_added=hit.failures_added if hit else 0, instant_death=bool(hit and hit.instant_death),
            death_saves=(after.successes, after.failures) if after.hp <= 0 else None,
        )  # fmt: skip

    # Loading and authorising --------------------------------------------------------------------

    async def _open(self, session: AsyncSession, combat: CombatRef) -> _Fight:
        """Lock the fight for a change; it must be running."""
        fight = await self._load(session, combat, lock=True)
        if fight.combat.status != "active":
            raise InvalidInput("That fight is over.")
        await _check_campaign_running(session, fight.combat.campaign_id)
        return fight

    async def _load(self, session: AsyncSession, ref: CombatRef, *, lock: bool, need_dm: bool = True) -> _Fight:
        """The fight (its row locked first when changing it), its combatants and their characters' rows."""
        repo = CombatRepository(session)
        if isinstance(ref, InChannel):
            found = await repo.combat_and_dm(channel_id=ref.channel_id, lock=lock)
        else:
            found = await repo.combat_and_dm(combat_id=ref, lock=lock)
        if found is None:
            raise NotFound(NO_FIGHT if isinstance(ref, InChannel) else "That fight doesn't exist.")
        combat, dm = found
        rows = list(await repo.combatants(combat.id))
        ids = [r.character_id for r in rows if r.character_id is not None]
        characters = {c.id: c for c in await repo.characters(ids, lock=lock)}
        if need_dm and self.campaign_dm is not None:
            dm = await self.campaign_dm(combat.campaign_id)
        return _Fight(combat, rows, characters, dm)

    async def _dm_of(self, session: AsyncSession, campaign_id: int) -> int | None:
        if self.campaign_dm is not None:
            return await self.campaign_dm(campaign_id)
        return await CombatRepository(session).campaign_dm(campaign_id)

    def _require_dm(self, actor: Actor, fight: _Fight, what: str) -> None:
        if not fight.is_dm(actor):
            raise Forbidden(f"Only the campaign's DM can {what}.")

    def _check_may_act(self, actor: Actor, fight: _Fight, row: Combatant) -> None:
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

    def _creature(self, fight: _Fight, row: Combatant) -> _Creature:
        if row.kind == "monster":
            monster = self._monster(row.monster_index or "")
            conditions = self._srd_conditions((c.name, c.level) for c in _timed(row.conditions))
            return _Creature(row, row.ac, conditions, cr.Defences.of_monster(monster).with_conditions(conditions),
                             monster, None)  # fmt: skip
        sheet = fight.sheet(row)
        conditions = active_conditions(sheet, self.srd)
        defences = cr.Defences.of_traits(sheet.features).with_conditions(conditions)
        return _Creature(row, self.characters.stats(sheet).armor_class, conditions, defences, None, sheet)

    def _srd_conditions(self, entries: Iterable[tuple[str, int]]) -> list[tuple[Condition, int]]:
        found: dict[str, tuple[Condition, int]] = {}
        for name, level in entries:
            condition = self.srd.condition(name)
            found[condition.index] = (condition, level)
            for implied in condition.effects.implies:
                found.setdefault(implied, (self.srd.condition(implied), 1))
        return list(found.values())

    # State for the tracker ----------------------------------------------------------------------

    def _state(self, fight: _Fight, *, for_dm: bool) -> TrackerState:
        current = fight.current()
        entries = tuple(self._entry(fight, r, r is current, for_dm) for r in fight.rows)
        c = fight.combat
        return TrackerState(c.id, c.campaign_id, c.channel_id, c.status, c.round, c.version, entries, for_dm,
                            c.tracker_channel_id, c.tracker_message_id)  # fmt: skip

    def _entry(self, fight: _Fight, row: Combatant, current: bool, for_dm: bool) -> TrackerEntry:
        if row.kind == "monster":
            hp, hp_max = row.hp or 0, row.hp_max or 0
            conditions = tuple(_condition_label(c.name, c.rounds) for c in _timed(row.conditions))
            return TrackerEntry(row.id, row.name, "monster", row.initiative, None, current,
                                "dead" if row.dead else "up", cr.health_word(hp, hp_max, dead=row.dead),
                                hp if for_dm else None, hp_max if for_dm else None, 0, row.ac if for_dm else None,
                                conditions, None)  # fmt: skip
        if row.character_id not in fight.characters:
            return TrackerEntry(row.id, row.name, "character", row.initiative, row.owner_id, current, "dead", "gone",
                                None, None, 0, None, (), None)  # fmt: skip
        sheet = fight.sheet(row)
        vitals = self._vitals(sheet)
        conditions = tuple(_condition_label(c.name, c.rounds) for c in sheet.conditions)
        saves = (vitals.successes, vitals.failures) if vitals.hp <= 0 else None
        ac = armor_class(sheet, self.srd) if for_dm else None
        return TrackerEntry(row.id, sheet.name, "character", row.initiative, row.owner_id, current, vitals.state,
                            _character_health(vitals), vitals.hp, vitals.hp_max, vitals.temp, ac, conditions,
                            saves)  # fmt: skip

    # SRD lookups with player-facing errors ------------------------------------------------------

    def _monster(self, key: str) -> Monster:
        try:
            return self.srd.monster(key)
        except KeyError:
            names = ", ".join(n for _, n in self.srd.search("monster", key[:3], limit=8))
            hint = f" Close: {names}." if names else ""
            raise NotFound(f"“{key[:64]}” is not an SRD monster.{hint}") from None

    def _action(self, monster: Monster, name: str) -> MonsterAction:
        try:
            return monster.action(name.strip())
        except KeyError:
            usable = [a.name for a in monster.actions if a.attack_bonus is not None or a.multiattack or a.dc]
            raise NotFound(f"{monster.name} has no action “{name[:40]}”. Its actions: {', '.join(usable)}.") from None

    def _condition(self, key: str) -> Condition:
        try:
            return self.srd.condition(key)
        except KeyError:
            names = ", ".join(c.name.lower() for c in self.srd.data.conditions)
            raise NotFound(f"“{key[:40]}” is not an SRD condition. Conditions: {names}.") from None

    def _damage_type(self, text: str | None) -> str | None:
        if text is None or not text.strip():
            return None
        try:
            return str(self.srd.lookup("damage_type").get(text).index)
        except KeyError:
            names = ", ".join(d.index for d in self.srd.data.damage_types)
            raise InvalidInput(f"“{text[:40]}” is not a damage type. Types: {names}.") from None

    def _log(self, session: AsyncSession, actor: Actor, rolls: Sequence[RollOutcome]) -> None:
        repo = RollLogRepository(session)
        for roll in rolls:
            repo.add(RollLog(guild_id=actor.guild_id, channel_id=actor.channel_id, user_id=actor.user_id,
                             expression=roll.expression[:200], label=(roll.label or "")[:100] or None,
                             total=roll.total, breakdown=roll.full_breakdown or roll.breakdown))  # fmt: skip


# --- Helpers --------------------------------------------------------------------------------------


async def _check_campaign_running(session: AsyncSession, campaign_id: int) -> None:
    """A paused (or ended) campaign's fight stands still until its DM resumes it."""
    status = await CombatRepository(session).campaign_status(campaign_id)
    if status == "paused":
        raise InvalidInput("This campaign is paused by its DM; the fight waits until `/dm resume`.")
    if status == "ended":
        raise InvalidInput("This campaign has ended; its fights are over.")


def _check_attack(attacker: _Creature, target: _Creature) -> None:
    if attacker.row is target.row:
        raise InvalidInput(f"{attacker.name} can't attack itself.")
    if attacker.row.dead or (attacker.sheet is not None and attacker.sheet.hp_current <= 0):
        raise InvalidInput(f"{attacker.name} is down and can't attack.")
    blocking = cr.incapacitated_by(attacker.conditions)
    if blocking:
        raise InvalidInput(f"{attacker.name} is {', '.join(blocking)} and can't attack.")
    if target.row.dead or (target.sheet is not None and target.sheet.death_failures >= 3):
        raise InvalidInput(f"{target.name} is already dead.")


def _is_melee(action: MonsterAction) -> bool:
    """The SRD data doesn't mark monster attacks melee or ranged; a bow, sling or thrown rock is ranged."""
    name = action.name.casefold()
    return not any(word in name for word in RANGED_ACTION_WORDS)


def _on_save(taken: cr.DamageTaken, success: bool, on_success: str) -> cr.DamageTaken:
    """A failed save takes it all; a success takes half (when the action says so) or nothing."""
    if not success:
        return taken
    return replace(taken, amount=taken.amount // 2 if on_success == "half" else 0)


def _monster_names(base: str, count: int, taken: set[str]) -> list[str]:
    """`Goblin`, or numbered `Goblin 1`, `Goblin 2` ... after the numbers already in the fight."""
    numbered = any(t.startswith(f"{base.casefold()} ") and t.rpartition(" ")[2].isdigit() for t in taken)
    if count == 1 and base.casefold() not in taken and not numbered:
        return [base]
    names: list[str] = []
    number = 1
    while len(names) < count:
        name = f"{base[:60]} {number}"
        if name.casefold() not in taken:
            names.append(name)
        number += 1
    return names


def _timed(entries: Sequence[dict[str, object]]) -> list[cr.TimedCondition]:
    return [_timed_one(e) for e in entries]


def _timed_one(entry: dict[str, object]) -> cr.TimedCondition:
    ends: cr.Phase = "start" if entry.get("ends") == "start" else "end"
    return cr.TimedCondition(str(entry["name"]), _int_or_none(entry.get("rounds")), ends,
                             _int_or_none(entry.get("level")) or 1)  # fmt: skip


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int) else None


def _condition_json(condition: cr.TimedCondition) -> dict[str, object]:
    return {"name": condition.name, "rounds": condition.rounds, "ends": condition.ends, "level": condition.level}


def _condition_label(name: str, rounds: int | None) -> str:
    if rounds is None:
        return name
    return f"{name} ({rounds} round{'s' if rounds != 1 else ''})"


def _character_health(vitals: cr.Vitals) -> str:
    if vitals.state != "up":
        return vitals.state
    return cr.health_word(vitals.hp, vitals.hp_max)


def _with_vitals(sheet: Sheet, vitals: cr.Vitals, *, dropped: bool, revived: bool) -> Sheet:
    """The sheet with new HP and death saves: falling to 0 HP knocks a character unconscious, healing from
    0 HP wakes them; other changes leave the conditions alone (a DM's *sleep* stays)."""
    others = tuple(c for c in sheet.conditions if c.name != "unconscious")
    conditions = sheet.conditions
    if dropped:
        conditions = (*others, ActiveCondition("unconscious"))
    elif revived:
        conditions = others
    return replace(sheet, hp_current=vitals.hp, hp_temp=vitals.temp, death_successes=vitals.successes,
                   death_failures=vitals.failures, conditions=conditions)  # fmt: skip


def _character_stand_in(row: Character) -> Combatant:
    """A character outside any fight, dressed as a combatant so damage and healing share one path."""
    return Combatant(id=0, kind="character", character_id=row.id, owner_id=row.owner_id, name=row.name,
                     name_key=row.name_key, initiative=0, dex=10, tiebreak=0, position=0, ac=10, conditions=[],
                     dead=False)  # fmt: skip

