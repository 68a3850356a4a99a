"""Campaigns: bound to a channel or thread, run by their creator (the DM), played by linked characters.

Plain values in, plain values out; every change is one transaction that locks the campaign row
first (then characters, always in that order, so two changes never deadlock) and appends its
event to the log. What a campaign is read as (settings, scene, `CampaignInfo`) lives in
`bot.engine.campaign_info`; turns, retcon and approvals in `bot.engine.turns`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import events as log
from bot.engine import levelling, party
from bot.engine.campaign_info import (
    CONTENT_RATINGS,
    MAX_ROUND_MINUTES,
    PACES,
    CampaignDefaults,
    CampaignInfo,
    CampaignSettings,
    FightNow,
    Scene,
    fight_of,
    info_of,
    new_campaign_settings,
)
from bot.engine.caps import check_campaigns, check_canon
from bot.engine.characters import CharacterService
from bot.engine.combat.departures import leave_fight, lock_campaign_fight
from bot.engine.events import EventLine, line_of, shorten
from bot.engine.generate import DIFFICULTIES
from bot.engine.memory import PromptBudget, PromptInputs, visible_text
from bot.engine.safety import Verdict, rules_of
from bot.engine.sheet import Actor, guild_of, name_key, to_sheet
from bot.engine.visibility import Role, Viewer, canon_audience, label, role_of, visible_canon, visible_npcs
from bot.errors import Forbidden, InvalidInput, NotFound
from persistence.db import Database
from persistence.errors import Conflict
from persistence.models import Campaign, CampaignSession, CanonFact, Character
from persistence.repositories import (
    CampaignRepository,
    CanonRepository,
    CharacterRepository,
    EventRepository,
    NpcRepository,
    PartyRepository,
    PendingRepository,
    Reads,
    RollLogRepository,
    SessionRepository,
    find_guild,
)

MAX_NAME = 100
PREVIOUSLY_LINES = 5  # `/session start`'s "Previously…": a short recap, not the log
PREVIOUSLY_EVENTS = 2000
MAX_TONE = 100
MAX_SETTING = 500
MAX_PERSONA = 1500
MAX_SAFETY_ENTRY = 100
MAX_SAFETY_ENTRIES = 20
MAX_CANON_FACT = 300
MAX_SCENE = 500
MAX_LOCATION = 80
MAX_DM_TEXT = 1800
MAX_MODEL = 100


# --- plain values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    character_id: int
    name: str
    owner_id: int
    level: int
    hp_current: int
    hp_max: int
    life: str = ""  # "dead", "dying" or "stable" for a character at 0 HP; "" on their feet


@dataclass(frozen=True)
class Overview:
    info: CampaignInfo
    members: tuple[Member, ...]
    canon: int
    npcs: int
    events: int
    pending: int
    session_open: bool
    fight: FightNow | None = None  # the running fight, from the fight tables


@dataclass(frozen=True)
class CanonEntry:
    number: int  # 1-based position, what `/dm unpin` takes
    text: str
    public: bool = False  # the players may read it (`/dm pin public:true`); otherwise the DM's alone


@dataclass(frozen=True)
class SessionReport:
    number: int
    text: str  # the "previously…" recap, or the session's summary
    attendees: tuple[str, ...] = ()


def clean_text(raw: str, limit: int, what: str, *, required: bool = True) -> str:
    text = visible_text(raw)
    if required and not text:
        raise InvalidInput(f"{what} needs at least one visible character.")
    if len(text) > limit:
        raise InvalidInput(f"{what} is at most {limit:,} characters (yours has {len(text):,}).")
    return text


def split_list(raw: str, what: str) -> tuple[str, ...]:
    """ "spiders; harm to children, torture" → three entries (`;`, `,` or new lines separate them)."""
    parts = [visible_text(p) for chunk in raw.replace(";", "\n").split("\n") for p in chunk.split(",")]
    entries = tuple(dict.fromkeys(p for p in parts if p))
    if len(entries) > MAX_SAFETY_ENTRIES:
        raise InvalidInput(f"At most {MAX_SAFETY_ENTRIES} {what}; you gave {len(entries)}.")
    for entry in entries:
        if len(entry) > MAX_SAFETY_ENTRY:
            raise InvalidInput(f"Each of the {what} is at most {MAX_SAFETY_ENTRY} characters: “{entry[:40]}…”.")
    return entries


def campaign_dm_reader(db: Database) -> Callable[[int], Awaitable[int | None]]:
    """Who runs a campaign: what `CharacterService` asks before letting a DM edit a player's character.
    It needs only the database, so it is built before the character service, which `CampaignService` needs."""
    reads = Reads(db)

    async def dm_of(campaign_id: int) -> int | None:
        async with reads.session() as session:
            return await CampaignRepository(session).dm_of(campaign_id)

    return dm_of


# --- the service ---------------------------------------------------------------------------------


class CampaignService:
    def __init__(
        self,
        db: Database,
        characters: CharacterService,
        prompt: PromptBudget,
        defaults: CampaignDefaults,
        *,
        rolls_written: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.db = db
        self.reads = Reads(db)
        self.characters = characters
        self.prompt = prompt
        self.defaults = defaults
        # The roll log is written in batches behind the replies: the session's attendance waits for it.
        self.rolls_written = rolls_written

    # Lookups ------------------------------------------------------------------------------------

    async def here(self, actor: Actor) -> CampaignInfo:
        """The campaign of the actor's channel or thread."""
        async with self.reads.session() as session:
            return info_of(await self._here(session, actor), self.defaults)

    async def require_dm(self, actor: Actor) -> CampaignInfo:
        info = await self.here(actor)
        if actor.user_id != info.dm_id:
            raise Forbidden(f"Only the DM of {info.name} can do that.")
        return info

    async def row_here(self, session: AsyncSession, actor: Actor) -> Campaign:
        """The campaign row of the actor's channel, for readers beside this service (the exporter)."""
        return await self._here(session, actor)

    async def _here(self, session: AsyncSession, actor: Actor, *, lock: bool = False) -> Campaign:
        row = await CampaignRepository(session).in_channel(actor.channel_id or 0, lock=lock)
        if row is None:
            raise NotFound("There is no campaign in this channel. A DM can start one here with `/campaign create`.")
        return row

    async def _dm_row(self, session: AsyncSession, actor: Actor) -> Campaign:
        row = await self._here(session, actor, lock=True)
        if actor.user_id != row.dm_id:
            raise Forbidden(f"Only the DM of {row.name} can do that.")
        return row

    async def viewer(self, session: AsyncSession, row: Campaign, actor: Actor) -> Viewer:
        """The actor's role in this campaign: what every read path filters by (bot.engine.visibility)."""
        if actor.user_id == row.dm_id:
            return Viewer(actor.user_id, Role.DM)
        mine = await PartyRepository(session).of_player(row.id, actor.user_id)
        return Viewer(actor.user_id, role_of(actor.user_id, row.dm_id, [actor.user_id] if mine else []))

    async def list_here(self, actor: Actor) -> list[CampaignInfo]:
        async with self.reads.session() as session:
            rows = await CampaignRepository(session).in_guild(guild_of(actor))
            return [info_of(row, self.defaults) for row in rows]

    async def overview(self, actor: Actor) -> Overview:
        async with self.reads.session() as session:
            row = await self._here(session, actor)
            viewer = await self.viewer(session, row, actor)
            party = await PartyRepository(session).members(row.id)
            members = tuple(self._member(c) for c in party)
            canon = len(visible_canon(viewer, await CanonRepository(session).of(row.id)))
            npcs = len(visible_npcs(viewer, await NpcRepository(session).of(row.id)))
            events = await EventRepository(session).count(row.id)
            pending = len(await PendingRepository(session).waiting(row.id))
            open_session = await SessionRepository(session).open(row.id) is not None
            fight = await fight_of(session, row.id)
            return Overview(info_of(row, self.defaults), members, canon, npcs, events, pending, open_session, fight)

    def _member(self, row: Character) -> Member:
        sheet = to_sheet(row)
        hp_max = self.characters.stats(sheet).hp_max
        life = "" if sheet.hp_current > 0 else "stable" if sheet.death_successes >= 3 else "dying"
        life = "dead" if sheet.death_failures >= 3 else life
        return Member(row.id, row.name, row.owner_id, row.level, row.hp_current, hp_max, life)

    # Creating, joining, leaving -----------------------------------------------------------------

    async def create(
        self,
        actor: Actor,
        name: str,
        tone: str = "",
        setting: str = "",
        *,
        roles: Sequence[int] = (),
        manage: bool = False,
    ) -> CampaignInfo:
        """`roles`: the creator's role ids; `manage`: they have Manage Server (both from the cog, for the
        guild's "only the DM role creates campaigns" rule, checked here)."""
        if actor.guild_id is None or actor.channel_id is None:
            raise InvalidInput("A campaign lives in a server channel or thread; create it there.")
        row = Campaign(
            guild_id=actor.guild_id,
            channel_id=actor.channel_id,
            dm_id=actor.user_id,
            name=clean_text(name, MAX_NAME, "A campaign name"),
            tone=clean_text(tone, MAX_TONE, "The tone", required=False),
            setting=clean_text(setting, MAX_SETTING, "The setting", required=False),
            status="active",
            settings={},
            safety={},
            scene={},
            summary="",
            summary_through=0,
            events_since_summary=0,
            turn_count=0,
        )
        try:
            async with self.db.transaction() as session:
                guild = await find_guild(session, actor.guild_id)
                defaults = (guild.settings or {}) if guild is not None else {}
                check_may_create(defaults, roles, manage)
                row.settings = new_campaign_settings(defaults)
                if await CampaignRepository(session).in_channel(actor.channel_id) is not None:
                    raise InvalidInput(_channel_taken())
                check_campaigns(await CampaignRepository(session).running_in_guild(actor.guild_id), self.defaults.caps)
                await CampaignRepository(session).create(row)
                log.record(session, row, "campaign", f"The campaign {row.name} begins.", actor_id=actor.user_id)
        except Conflict:  # a second /campaign create in the same channel at the same moment
            raise InvalidInput(_channel_taken()) from None
        return info_of(row, self.defaults)

    async def join(self, actor: Actor, character: str | None = None) -> tuple[CampaignInfo, str]:
        """Link the actor's character (named, else the active one); one character per player per campaign."""
        async with self.db.transaction() as session:
            campaign = await self._here(session, actor, lock=True)
            await lock_campaign_fight(session, campaign.id)  # the fight before the characters: one lock order
            row = await self._own_character(session, actor, character)
            if row.campaign_id == campaign.id:
                raise InvalidInput(f"{row.name} already plays in {campaign.name}.")
            request = levelling.join_request(self.characters.srd, campaign, to_sheet(row), actor.user_id)
            if request is None:
                await party.link(session, campaign, row, actor.user_id)
                return info_of(campaign, self.defaults), row.name
            PendingRepository(session).add(request)  # above the allowed level: the DM decides
            await session.flush()
            waiting = f"{request.summary} It waits for the DM: `/dm approve id:{request.id}` (or `/dm deny`)."
        raise party.JoinWaits(waiting)  # after the commit, so the request stays

    async def _own_character(self, session: AsyncSession, actor: Actor, name: str | None) -> Character:
        repo = CharacterRepository(session)
        guild = guild_of(actor)
        if name:
            row = await repo.by_name(guild, actor.user_id, name_key(name), lock=True)
            if row is None:
                raise NotFound(f"You have no character called “{name[:64]}” here. `/character list` shows them.")
            return row
        row = await repo.active(guild, actor.user_id, lock=True)
        if row is None:
            raise NotFound("You have no active character here. Make one with `/character create` first.")
        return row

    async def leave(self, actor: Actor) -> tuple[CampaignInfo, str]:
        async with self.db.transaction() as session:
            campaign = await self._here(session, actor, lock=True)
            fight = await lock_campaign_fight(session, campaign.id)
            row = await PartyRepository(session).of_player(campaign.id, actor.user_id, lock=True)
            if row is None:
                raise NotFound(f"You have no character in {campaign.name}.")
            row.campaign_id = None
            await leave_fight(session, fight, row.id)
            log.record(
                session, campaign, "leave", f"{row.name} leaves the party.", actor_id=actor.user_id, character_id=row.id
            )
            return info_of(campaign, self.defaults), row.name

    # The DM's settings --------------------------------------------------------------------------

    async def set_safety(self, actor: Actor, lines: str | None, veils: str | None) -> CampaignInfo:
        """Lines (never in the story) and veils (only off-screen); `None` leaves one as it is, "" clears it."""
        async with self.db.transaction() as session:
            row = await self._dm_row(session, actor)
            safety = dict(row.safety or {})
            if lines is not None:
                safety["lines"] = list(split_list(lines, "lines"))
            if veils is not None:
                safety["veils"] = list(split_list(veils, "veils"))
            await self._check_fits(session, row, safety=safety)
            row.safety = safety
            log.record(session, row, "safety", "The table's lines and veils were updated.", actor_id=actor.user_id)
            return info_of(row, self.defaults)

    async def update_settings(self, actor: Actor, default_model: str, **changes: Any) -> CampaignInfo:
        """persona, model, content_rating, approval_bound, auto_approve, consequences; None leaves a value as is."""
        async with self.db.transaction() as session:
            row = await self._dm_row(session, actor)
            current = CampaignSettings.from_json(row.settings or {}, self.defaults)
            updated = replace(current, **self._settings_changes(changes, default_model))
            await self._check_fits(session, row, settings=updated)
            row.settings = {**(row.settings or {}), **updated.to_json()}  # keeps the levels the DM allowed
            log.record(
                session,
                row,
                "settings",
                "The DM changed the narrator's settings.",
                actor_id=actor.user_id,
                data={k: v for k, v in changes.items() if v is not None},
            )
            return info_of(row, self.defaults)

    def _settings_changes(self, changes: Mapping[str, Any], default_model: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if changes.get("persona") is not None:
            out["persona"] = clean_text(changes["persona"], MAX_PERSONA, "The persona", required=False)
        if changes.get("model") is not None:
            out["model"] = self._model(str(changes["model"]), default_model)
        if changes.get("content_rating") is not None:
            if changes["content_rating"] not in CONTENT_RATINGS:
                raise InvalidInput(f"A content rating is one of {', '.join(CONTENT_RATINGS)}.")
            out["content_rating"] = changes["content_rating"]
        if changes.get("approval_bound") is not None:
            bound = int(changes["approval_bound"])
            if not 0 <= bound <= 1000:
                raise InvalidInput("The approval bound runs from 0 (every change waits) to 1,000.")
            out["approval_bound"] = bound
        if changes.get("levelling") is not None:
            if changes["levelling"] not in levelling.MODES:
                raise InvalidInput("Levelling is `xp` (XP allows a level, or you do) or `milestone` (only you do).")
            out["levelling"] = changes["levelling"]
        if changes.get("start_level") is not None:
            if not 1 <= int(changes["start_level"]) <= 20:
                raise InvalidInput("A start level runs from 1 to 20.")
            out["start_level"] = int(changes["start_level"])
        if changes.get("fights_wait_above") is not None:
            if changes["fights_wait_above"] not in DIFFICULTIES:
                raise InvalidInput(f"Fights wait for you above one of {', '.join(DIFFICULTIES)}.")
            out["fights_wait_above"] = changes["fights_wait_above"]
        if changes.get("pace") is not None:
            if changes["pace"] not in PACES:
                raise InvalidInput("The pace is `turns` (each action narrated at once) or `rounds` (one per round).")
            out["pace"] = changes["pace"]
        if changes.get("round_minutes") is not None:
            if not 1 <= int(changes["round_minutes"]) <= MAX_ROUND_MINUTES:
                raise InvalidInput(f"A round lasts 1 to {MAX_ROUND_MINUTES:,} minutes.")
            out["round_minutes"] = int(changes["round_minutes"])
        for flag in ("auto_approve", "consequences", "auto_monsters", "secrets_on_player_turns"):
            if changes.get(flag) is not None:
                out[flag] = bool(changes[flag])
        return out

    def _model(self, model: str, default_model: str) -> str | None:
        wanted = model.strip()
        if not wanted or wanted in {"default", default_model}:
            return None
        allowed = (default_model, *self.defaults.allowed_models)
        if wanted not in allowed or len(wanted) > MAX_MODEL:
            raise InvalidInput(f"This bot's host allows these models: {', '.join(allowed)} (or `default`).")
        return wanted

    async def set_scene(self, actor: Actor, text: str, location: str | None = None) -> CampaignInfo:
        description = clean_text(text, MAX_SCENE, "A scene")
        place = clean_text(location, MAX_LOCATION, "A location") if location else _location_of(description)
        async with self.db.transaction() as session:
            row = await self._dm_row(session, actor)
            before = dict(row.scene or {})
            scene = replace(Scene.from_json(before), location=place, description=description, npcs=())
            row.scene = scene.to_json()
            said = description if description.startswith(place) else f"{place}. {description}"
            log.record(
                session,
                row,
                "scene",
                f"Scene: {said}",
                actor_id=actor.user_id,
                data={"before": before, "after": row.scene, "by": "dm"},
            )
            return info_of(row, self.defaults)

    async def dm_words_crossing(self, actor: Actor, *texts: str | None) -> Verdict:
        """The line and the veil the DM's own words would show the table (a narration, a scene): the DM is
        told before posting, never overruled (the narrator's hold-back is for the narrator)."""
        info = await self.require_dm(actor)
        return rules_of(info.safety).check("\n".join(" ".join(t.split()) for t in texts if t))

    async def dm_narrate(self, actor: Actor, text: str) -> tuple[CampaignInfo, str]:
        """The DM's own words: logged as canon narration, shown as they are."""
        words = clean_text(text, MAX_DM_TEXT, "Your narration")
        async with self.db.transaction() as session:
            row = await self._dm_row(session, actor)
            log.record(session, row, "dm_narration", words, actor_id=actor.user_id, data={"canon": True})
            await log.refresh_summary(session, row, every=self.defaults.summary_every)
            return info_of(row, self.defaults), words

    # Canon --------------------------------------------------------------------------------------

    async def canon(self, actor: Actor) -> list[CanonEntry]:
        """The facts the actor may read, numbered as `/dm unpin` counts them (over all facts)."""
        async with self.reads.session() as session:
            row = await self._here(session, actor)
            viewer = await self.viewer(session, row, actor)
            facts = list(enumerate(await CanonRepository(session).of(row.id), start=1))
            shown = {id(f) for f in visible_canon(viewer, [f for _, f in facts])}
            return [CanonEntry(i, f.text, f.public) for i, f in facts if id(f) in shown]

    async def add_canon(self, actor: Actor, text: str, *, public: bool = False) -> CanonEntry:
        fact = clean_text(text, MAX_CANON_FACT, "A canon fact")
        async with self.db.transaction() as session:
            row = await self._dm_row(session, actor)
            facts = await CanonRepository(session).of(row.id)
            check_canon(len(facts), self.defaults.caps)
            await self._check_fits(session, row, canon=[*(f.text for f in facts), fact])
            added = CanonFact(campaign_id=row.id, text=fact, author_id=actor.user_id, public=public)
            CanonRepository(session).add(added)
            log.record(
                session,
                row,
                "canon",
                f"Canon: {fact}",
                actor_id=actor.user_id,
                data={"audience": label(canon_audience(added))},
            )
            return CanonEntry(len(facts) + 1, fact, public)

    async def remove_canon(self, actor: Actor, number: int) -> CanonEntry:
        async with self.db.transaction() as session:
            row = await self._dm_row(session, actor)
            repo = CanonRepository(session)
            facts = await repo.of(row.id)
            if not 1 <= number <= len(facts):
                raise InvalidInput(f"There is no canon fact {number}; `/dm canon` numbers them (1-{len(facts)}).")
            fact = facts[number - 1]
            await repo.delete(fact)
            log.record(
                session,
                row,
                "canon_removed",
                f"No longer canon: {fact.text}",
                actor_id=actor.user_id,
                data={"audience": label(canon_audience(fact))},
            )
            return CanonEntry(number, fact.text, fact.public)

    async def _check_fits(
        self,
        session: AsyncSession,
        row: Campaign,
        *,
        canon: Sequence[str] | None = None,
        settings: CampaignSettings | None = None,
        safety: Mapping[str, Any] | None = None,
    ) -> None:
        """Refuse a change that would leave no room in the prompt for the parts that are never cut."""
        info = info_of(row, self.defaults)
        if canon is None:
            canon = [f.text for f in await CanonRepository(session).of(row.id)]
        settings = settings or info.settings
        safety = safety if safety is not None else {"lines": info.safety.lines, "veils": info.safety.veils}
        inputs = PromptInputs(
            campaign_name=info.name,
            tone=info.tone,
            setting=info.setting,
            persona=settings.persona,
            content_rating=settings.content_rating,
            lines=tuple(safety.get("lines") or ()),
            veils=tuple(safety.get("veils") or ()),
            secret_canon=tuple(canon),
            canon=(),
            action="",
            player_name="x" * 32,
            acting_character="x" * 64,
            location="x" * MAX_LOCATION,
        )
        needed = self.prompt.required(inputs)
        if needed > self.prompt.budget:
            raise InvalidInput(
                f"That would not fit the narrator's prompt: persona, safety and canon would need {needed:,} tokens "
                f"of the {self.prompt.budget:,} budget. Shorten or unpin a canon fact (`/dm canon`) first."
            )

    # Sessions, recaps, export -------------------------------------------------------------------

    async def start_session(self, actor: Actor, limit: int = 3500) -> SessionReport:
        async with self.db.transaction() as session:
            row = await self._dm_row(session, actor)
            sessions = SessionRepository(session)
            if await sessions.open(row.id) is not None:
                raise InvalidInput("A session is already running here; `/session end` it first.")
            last = await sessions.last_ended(row.id)
            first_event = await EventRepository(session).last_id(row.id)
            await sessions.create(
                CampaignSession(campaign_id=row.id, started_by=actor.user_id, first_event_id=first_event)
            )
            log.record(session, row, "session_start", "A new session begins.", actor_id=actor.user_id)
            since = last.first_event_id if last is not None else 0
            told = await EventRepository(session).since(row.id, since, limit=PREVIOUSLY_EVENTS)
            text = _previously(row, [line_of(e) for e in told], limit)
            number = await SessionRepository(session).count(row.id)
            return SessionReport(number, text)

    async def end_session(self, actor: Actor, limit: int = 3500) -> SessionReport:
        if self.rolls_written is not None:
            await self.rolls_written()
        async with self.db.transaction() as session:
            row = await self._dm_row(session, actor)
            open_session = await SessionRepository(session).open(row.id)
            if open_session is None:
                raise InvalidInput("No session is running here; `/session start` begins one.")
            events = EventRepository(session)
            lines = log.summary_lines(line_of(e) for e in await events.since(row.id, open_session.first_event_id))
            attendees = await self._attendees(session, row, open_session)
            summary = "\n".join(f"- {line}" for line in lines) or "- A quiet session: nothing happened on the record."
            open_session.summary = _fit(summary, limit)
            open_session.ended_at = datetime.now(open_session.started_at.tzinfo)
            log.record(
                session,
                row,
                "session_end",
                "The session ends.",
                actor_id=actor.user_id,
                data={"attendees": list(attendees)},
            )
            number = await SessionRepository(session).count(row.id)
            return SessionReport(number, open_session.summary, attendees)

    async def _attendees(self, session: AsyncSession, row: Campaign, played: CampaignSession) -> tuple[str, ...]:
        """Everyone who played: whose character is named in the session's events, who acted (a turn, a
        command), or who rolled in the campaign's channel (attacks, checks, saves in a fight)."""
        acted = await EventRepository(session).actors_since(row.id, played.first_event_id)
        rolled = await RollLogRepository(session).users_in_channel_since(row.channel_id, played.started_at)
        party = {c.id: c for c in await PartyRepository(session).members(row.id)}
        names = [party[c].name for _, c in acted if c in party]
        users = {u for u, _ in acted if u is not None} | set(rolled)
        names += [c.name for c in party.values() if c.owner_id in users]
        return tuple(sorted(dict.fromkeys(names)))

    async def recap(self, actor: Actor, limit: int = 3500) -> tuple[CampaignInfo, str]:
        async with self.reads.session() as session:
            row = await self._here(session, actor)
            recent = await EventRepository(session).since(row.id, row.summary_through or 0, limit=200)
            text = log.recap_text(row.summary or "", [line_of(e) for e in recent], lambda t: len(t) <= limit)
            return info_of(row, self.defaults), text or "Nothing has happened yet. `/narrate` starts the story."


# --- helpers -------------------------------------------------------------------------------------


def check_may_create(guild_settings: Mapping[str, Any], roles: Sequence[int], manage: bool) -> None:
    """Where the admins require it (`/admin settings require_dm_role:true`), only members with the guild's
    DM role (or Manage Server) create campaigns."""
    if not guild_settings.get("require_dm_role") or manage:
        return
    role = guild_settings.get("dm_role_id")
    if role is None:
        raise Forbidden("On this server only the admins create campaigns (no DM role is set: `/admin dm-role`).")
    if int(role) not in {int(r) for r in roles}:
        raise Forbidden(f"On this server only members with the DM role (<@&{int(role)}>) create campaigns.")


def _channel_taken() -> str:
    return "This channel already has a campaign. Start a thread (or use another channel) for a new one."


def _location_of(description: str) -> str:
    """A short place name from a scene's description: its first clause."""
    cuts = [i for mark in (".", ";", ":", "—", " - ", ",") if (i := description.find(mark)) > 0]
    head = description[: min(cuts)].strip() if cuts else description
    return head if len(head) <= MAX_LOCATION else shorten(description, MAX_LOCATION)


def _fit(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    lines = text.splitlines()
    while lines and len("\n".join(["- …", *lines])) > limit:
        lines.pop(0)  # the end of a session matters most
    return "\n".join(["- …", *lines])


def _previously(row: Campaign, told: Sequence[EventLine], limit: int) -> str:
    """A short recap to open a session: the last few lines of what the live log says since the last session
    began (retconned turns are not in it), or of the story so far the first time."""
    lines = log.summary_lines(told)
    if not lines:
        lines = [line.removeprefix("- ") for line in (row.summary or "").splitlines() if line.strip()]
    text = _fit("\n".join(f"- {line}" for line in lines[-PREVIOUSLY_LINES:]), limit)
    return text or "This is where the story begins."
