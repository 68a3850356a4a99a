"""The DM's table: pause, resume and end a campaign, hand it over, kick a player, award XP, items and coins,
keep NPCs, generate content for the party, and run monsters' turns in auto mode.

Every call checks that the caller is the DM of the channel's campaign; every change is one transaction that
locks the campaign row first, then the party's rows (the order campaign changes always follow).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import events as log
from bot.engine import homebrew, items, rules
from bot.engine.advice import Asker, NarratorAdvice
from bot.engine.campaign_info import CampaignInfo
from bot.engine.campaigns import CampaignService, clean_text
from bot.engine.caps import check_npcs
from bot.engine.characters import CharacterRef
from bot.engine.combat import CombatRef, CombatService, MonsterOptions, MonsterPlan, MonsterTurn, TurnChange
from bot.engine.combat.departures import leave_fight, lock_campaign_fight
from bot.engine.generate import Encounter, Generator, Location, Loot, NpcSketch, QuestHook
from bot.engine.sheet import Actor, Item, add_item, clean_name, name_key, to_sheet, write_back
from bot.engine.visibility import label, npc_audience, visible_npcs
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.narrator import ToolSpec
from persistence.db import Database
from persistence.models import Campaign, Character, Npc
from persistence.repositories import (
    CampaignRepository,
    CombatRepository,
    NpcRepository,
    PartyRepository,
    Reads,
)

PARTY = "party"
MAX_NPC_TEXT = 500
MAX_AWARD_XP = 100_000
MAX_AWARD_ITEMS = 100
MAX_AWARD_COINS = 100_000
MAX_NPC_TRAIT = 110  # four traits and their labels fit in MAX_NPC_TEXT


@dataclass(frozen=True)
class Awarded:
    what: str  # "150 XP", "2 × Potion of healing", "10 gp"
    names: tuple[str, ...]
    notes: tuple[str, ...] = ()  # "Tordek: 300 XP, ready to level up"


@dataclass(frozen=True)
class NpcInfo:
    name: str
    role: str
    description: str  # for the DM, with the secret at its end
    public: bool = False  # the players know of this NPC (bot.engine.visibility)


def npc_info(row: Npc) -> NpcInfo:
    """An NPC as the DM reads it (every `/dm npc` command is the DM's)."""
    secret = f" Secret: {row.secret}." if row.secret else ""
    return NpcInfo(row.name, row.role, (row.description + secret).strip(), row.public)


@dataclass(frozen=True)
class CampaignChange:
    campaign: str
    status: str
    dm_id: int
    note: str = ""


@dataclass(frozen=True)
class AutoTurns:
    """What auto mode did after a `/combat next`: monsters' turns, and the turn changes that followed."""

    turns: tuple[MonsterTurn, ...]
    changes: tuple[TurnChange, ...]


class TableService:
    def __init__(
        self,
        db: Database,
        campaigns: CampaignService,
        combat: CombatService,
        generator: Generator,
        advice: NarratorAdvice | None = None,
    ) -> None:
        self.db = db
        self.advice = advice  # the campaign's narrator, asked to choose (None: the tables and the engine do)
        self.reads = Reads(db)
        self.campaigns = campaigns
        self.combat = combat
        self.characters = combat.characters
        self.generator = generator
        self.srd = combat.srd

    # Authorising -------------------------------------------------------------------------------

    async def _dm_row(self, session: AsyncSession, actor: Actor, *, lock: bool = True) -> Campaign:
        row = await CampaignRepository(session).in_channel(actor.channel_id or 0, lock=lock)
        if row is None:
            raise NotFound("There is no campaign in this channel. A DM can start one here with `/campaign create`.")
        if actor.user_id != row.dm_id:
            raise Forbidden(f"Only the DM of {row.name} can do that.")
        return row

    async def campaign_id(self, actor: Actor) -> int:
        """The channel's campaign, once the caller is known to be its DM."""
        return (await self.campaigns.require_dm(actor)).id

    # The campaign's state ------------------------------------------------------------------------

    async def set_status(self, actor: Actor, status: str) -> CampaignChange:
        """paused (no turns, no fight moves), active again, or ended (the running fight ends with it)."""
        async with self.db.transaction() as session:
            row = await self._dm_row(session, actor)
            if row.status == status:
                raise InvalidInput(f"{row.name} is already {status}.")
            if status == "ended":
                fight = await CombatRepository(session).active_for_campaign(row.id)
                if fight is not None:
                    fight.status, fight.version = "ended", fight.version + 1
            row.status = status
            words = {"paused": "is paused", "active": "resumes", "ended": "ends"}[status]
            log.record(session, row, "status", f"The campaign {words}.", actor_id=actor.user_id)
            return CampaignChange(row.name, status, row.dm_id)

    async def transfer(self, actor: Actor, new_dm: int, *, is_bot: bool = False) -> CampaignChange:
        if is_bot:
            raise InvalidInput("A bot can't run a campaign; pick a person.")
        async with self.db.transaction() as session:
            row = await self._dm_row(session, actor)
            if new_dm == row.dm_id:
                raise InvalidInput("You already run this campaign.")
            row.dm_id = new_dm
            log.record(
                session,
                row,
                "transfer",
                "The campaign has a new DM.",
                actor_id=actor.user_id,
                data={"from": str(actor.user_id), "to": str(new_dm)},
            )
            return CampaignChange(row.name, row.status, new_dm)

    async def kick(self, actor: Actor, player: int) -> str:
        """The player's character leaves the campaign (the character itself is kept)."""
        async with self.db.transaction() as session:
            row = await self._dm_row(session, actor)
            fight = await lock_campaign_fight(session, row.id)
            character = await PartyRepository(session).of_player(row.id, player, lock=True)
            if character is None:
                raise NotFound(f"That player has no character in {row.name}.")
            character.campaign_id = None
            await leave_fight(session, fight, character.id)
            log.record(
                session,
                row,
                "leave",
                f"{character.name} is removed from the party by the DM.",
                actor_id=actor.user_id,
                character_id=character.id,
            )
            return character.name

    async def check_kick(self, actor: Actor, player: int) -> str:
        """Before the confirmation: the character a kick would remove (refused early for non-DMs)."""
        async with self.reads.session() as session:
            row = await self._dm_row(session, actor, lock=False)
            character = await PartyRepository(session).of_player(row.id, player)
            if character is None:
                raise NotFound(f"That player has no character in {row.name}.")
            return character.name

    # Awards --------------------------------------------------------------------------------------

    async def award_xp(self, actor: Actor, target: str, amount: int) -> Awarded:
        if not 1 <= amount <= MAX_AWARD_XP:
            raise InvalidInput(f"Award 1 to {MAX_AWARD_XP:,} XP at once.")

        def give(row: Character) -> str:
            sheet = to_sheet(row)
            new = replace(sheet, xp=sheet.xp + amount)
            write_back(row, new)
            ready = new.level < rules.MAX_LEVEL and new.xp >= self.srd.xp_for_level(new.level + 1)
            return f"{sheet.name}: {new.xp:,} XP" + (" — ready to `/character levelup`!" if ready else "")

        return await self._award(actor, target, f"{amount:,} XP", give)

    async def award_item(self, actor: Actor, target: str, item: str, quantity: int = 1) -> Awarded:
        if not 1 <= quantity <= MAX_AWARD_ITEMS:
            raise InvalidInput(f"Award 1 to {MAX_AWARD_ITEMS} items at once.")
        async with self.reads.session() as session:  # the campaign's or server's homebrew takes an SRD name's place
            made = await homebrew.item_named(session, actor, item, quantity)
        if made is None:
            entry = items.resolve(self.srd, item)  # SRD equipment or magic items (the loot generator's too)
            made = Item(entry.index, entry.name, quantity, details=entry.details)

        def give(row: Character) -> str:
            sheet = to_sheet(row)
            write_back(row, replace(sheet, inventory=add_item(sheet.inventory, made)))
            return ""

        return await self._award(actor, target, f"{quantity} × {made.name}", give)

    async def item_names(self, actor: Actor, text: str) -> list[tuple[str, str]]:
        """Autocomplete for `/dm award item`: the campaign's and server's homebrew items (marked), then the SRD's."""
        async with self.reads.session() as session:
            own = await homebrew.item_choices(session, actor, text)
        srd = self.srd.search("magic_item", text, limit=25) + self.srd.search("item", text, limit=25)
        return (own + [(name, name) for _, name in srd])[:25]

    async def award_custom(self, actor: Actor, target: str, spec: items.CustomSpec, quantity: int = 1) -> Awarded:
        """The DM's own item (players cannot invent items): described, weighed and valued by the DM."""
        await self.campaigns.require_dm(actor)
        made = items.custom_item(self.srd, spec)
        if not 1 <= quantity <= MAX_AWARD_ITEMS:
            raise InvalidInput(f"Award 1 to {MAX_AWARD_ITEMS} items at once.")

        def give(row: Character) -> str:
            sheet = to_sheet(row)
            write_back(row, replace(sheet, inventory=add_item(sheet.inventory, replace(made, quantity=quantity))))
            return ""

        return await self._award(actor, target, f"{quantity} × {made.name}", give)

    async def award_coins(self, actor: Actor, target: str, coins: Mapping[str, int]) -> Awarded:
        await self.campaigns.require_dm(actor)  # refuse non-DMs before judging the arguments
        given = {c: n for c, n in coins.items() if n}
        if not given:
            raise InvalidInput("Give at least one coin, e.g. `gp:10`.")
        if any(not 1 <= n <= MAX_AWARD_COINS for n in given.values()):
            raise InvalidInput(f"Award 1 to {MAX_AWARD_COINS:,} of a coin at once.")

        def give(row: Character) -> str:
            sheet = to_sheet(row)
            write_back(row, replace(sheet, coins=rules.apply_coins(sheet.coins, given)))
            return ""

        return await self._award(actor, target, ", ".join(f"{n:,} {c}" for c, n in given.items()), give)

    async def _award(self, actor: Actor, target: str, what: str, give: Any) -> Awarded:
        """One transaction for the whole party (or the one character)."""
        async with self.db.transaction() as session:
            row = await self._dm_row(session, actor)
            party = list(await PartyRepository(session).members(row.id, lock=True))
            chosen = _targets(party, target, row.name)
            notes = tuple(n for n in (give(c) for c in chosen) if n)
            names = tuple(c.name for c in chosen)
            log.record(
                session,
                row,
                "award",
                f"The DM awards {what} to {', '.join(names)}.",
                actor_id=actor.user_id,
                data={"what": what, "to": list(names)},
            )
            return Awarded(what, names, notes)

    async def target_names(self, actor: Actor, text: str, *, party: bool = True) -> list[str]:
        """Autocomplete: the campaign's characters (and "party")."""
        try:
            info = await self.campaigns.here(actor)
        except NotFound:
            return []
        async with self.reads.session() as session:
            names = [c.name for c in await PartyRepository(session).members(info.id)]
        needle = text.casefold().strip()
        return [n for n in ([PARTY] if party else []) + names if needle in n.casefold()][:25]

    # Conditions outside (or inside) a fight ------------------------------------------------------

    async def set_condition(
        self, actor: Actor, target: str, condition: str, *, add: bool, rounds: int | None = None
    ) -> str:
        """In a running fight: the combatant (monsters too); otherwise the campaign's character."""
        info = await self.campaigns.require_dm(actor)
        fight = await self.combat.active_for_campaign(info.id)
        if fight is not None:
            await self.combat.set_condition(actor, fight, target, condition, add=add, rounds=rounds)
            return target
        async with self.reads.session() as session:
            row = await CombatRepository(session).campaign_character(info.id, name_key(target))
        if row is None:
            raise NotFound(f"No character called “{target[:64]}” plays in {info.name}.")
        sheet = await self.characters.set_condition(
            actor, CharacterRef(name=row.name, owner_id=row.owner_id), condition, add=add, rounds=rounds
        )
        return sheet.name

    # NPCs ----------------------------------------------------------------------------------------

    async def npc_create(self, actor: Actor, name: str | None, role: str | None) -> tuple[NpcInfo, NpcSketch]:
        """The campaign's narrator fills in personality, voice, motive and secret; the tables do when it is
        offline, fails, is slow or answers out of bounds."""
        info = await self.campaigns.require_dm(actor)  # refuse before spending a model call
        sketch = self.generator.npc(clean_name(name)[:80] if name else None, role)
        sketch = await self._described(info, sketch)
        description = _sketch_text(sketch)
        secret = " ".join(sketch.secret.split())[:MAX_NPC_TEXT]
        async with self.db.transaction() as session:
            row = await self._dm_row(session, actor)
            repo = NpcRepository(session)
            key = name_key(sketch.name)
            if await repo.by_key(row.id, key) is not None:
                raise InvalidInput(f"{row.name} already has an NPC called {sketch.name}; edit or remove it.")
            check_npcs(await repo.count(row.id), self.campaigns.defaults.caps, row.name)
            npc = Npc(
                campaign_id=row.id,
                name=sketch.name,
                name_key=key,
                role=sketch.role[:80],
                description=description,
                secret=secret,
                public=False,
            )  # the DM shows it when the story does
            repo.add(npc)
            log.record(
                session,
                row,
                "npc",
                f"NPC {sketch.name} ({sketch.role}) joins the cast.",
                actor_id=actor.user_id,
                data={"created": True, "name": sketch.name, "name_key": key, "audience": "dm"},
            )
            return npc_info(npc), sketch

    async def _described(self, info: CampaignInfo, sketch: NpcSketch) -> NpcSketch:
        if self.advice is None:
            return sketch
        setting = f" Setting: {info.setting[:300]}." if info.setting else ""
        question = (
            f"Campaign: {info.name} (tone: {info.tone or 'any'}).{setting} Describe a new NPC, "
            f"{sketch.name}, {sketch.role}. Call describe_npc once."
        )
        system = (
            f"You are the dungeon master of a D&D 5e campaign, content rating {info.settings.content_rating}. "
            "Fill in a non-player character with short, concrete, playable details."
        )
        args = await self.advice.ask(Asker(info.guild_id, info.id, info.settings.model), system, question, DESCRIBE_NPC)
        if args is None:
            return sketch
        traits = {k: " ".join(str(args[k]).split()).rstrip(".") for k in ("personality", "voice", "motive", "secret")}
        if not all(traits.values()):
            return sketch
        motive = traits["motive"]
        motive = motive[len("wants to ") :] if motive.casefold().startswith("wants to ") else motive
        return replace(
            sketch, personality=traits["personality"], voice=traits["voice"], motive=motive, secret=traits["secret"]
        )

    async def npcs(self, actor: Actor) -> list[NpcInfo]:
        info = await self.campaigns.require_dm(actor)
        async with self.reads.session() as session:
            return [npc_info(n) for n in await NpcRepository(session).of(info.id)]

    async def npc(self, actor: Actor, name: str) -> NpcInfo:
        info = await self.campaigns.require_dm(actor)
        async with self.reads.session() as session:
            row = await _find_npc(session, info.id, name)
            return npc_info(row)

    async def npc_edit(
        self,
        actor: Actor,
        name: str,
        *,
        new_name: str | None = None,
        role: str | None = None,
        description: str | None = None,
        secret: str | None = None,
        public: bool | None = None,
    ) -> NpcInfo:
        async with self.db.transaction() as session:
            campaign = await self._dm_row(session, actor)
            if all(v is None for v in (new_name, role, description, secret, public)):
                raise InvalidInput("Say what to change: new_name, role, description, secret or public.")
            row = await _find_npc(session, campaign.id, name)
            if new_name is not None:
                cleaned = clean_name(new_name)[:80]
                other = await NpcRepository(session).by_key(campaign.id, name_key(cleaned))
                if other is not None and other is not row:
                    raise InvalidInput(f"Another NPC is already called {cleaned}.")
                row.name, row.name_key = cleaned, name_key(cleaned)
            if role is not None:
                row.role = clean_text(role, 80, "A role")
            if description is not None:
                row.description = clean_text(description, MAX_NPC_TEXT, "A description")
            if secret is not None:
                row.secret = clean_text(secret, MAX_NPC_TEXT, "A secret", required=False)
            if public is not None:
                row.public = public
            log.record(
                session,
                campaign,
                "npc",
                f"The DM edits the NPC {row.name}.",
                actor_id=actor.user_id,
                data={"audience": label(npc_audience(row))},
            )
            return npc_info(row)

    async def npc_remove(self, actor: Actor, name: str) -> str:
        async with self.db.transaction() as session:
            campaign = await self._dm_row(session, actor)
            row = await _find_npc(session, campaign.id, name)
            await NpcRepository(session).delete(row)
            scene = dict(campaign.scene or {})
            scene["npcs"] = [n for n in scene.get("npcs") or [] if n != row.name]
            campaign.scene = scene
            log.record(
                session,
                campaign,
                "npc",
                f"The NPC {row.name} leaves the story.",
                actor_id=actor.user_id,
                data={"audience": label(npc_audience(row))},
            )
            return row.name

    async def npc_names(self, actor: Actor, text: str) -> list[str]:
        """Autocomplete for `/dm npc`: the NPCs the asker may see (the DM's own are the DM's)."""
        async with self.reads.session() as session:
            row = await CampaignRepository(session).in_channel(actor.channel_id or 0)
            if row is None:
                return []
            viewer = await self.campaigns.viewer(session, row, actor)
            names = [n.name for n in visible_npcs(viewer, await NpcRepository(session).of(row.id))]
        return [n for n in names if text.casefold().strip() in n.casefold()][:25]

    # Generated content ---------------------------------------------------------------------------

    async def encounter(self, actor: Actor, difficulty: str, theme: str | None) -> Encounter:
        """An encounter for the party's levels (a level-1 party of one if nobody has joined yet)."""
        info = await self.campaigns.require_dm(actor)
        async with self.reads.session() as session:
            levels = [c.level for c in await PartyRepository(session).members(info.id)] or [1]
        return self.generator.encounter(levels, difficulty, theme)  # type: ignore[arg-type]

    async def loot(self, actor: Actor, cr: float, kind: str) -> Loot:
        await self.campaigns.require_dm(actor)
        return self.generator.loot(cr, kind)  # type: ignore[arg-type]

    async def npc_sketch(self, actor: Actor, name: str | None = None, role: str | None = None) -> NpcSketch:
        await self.campaigns.require_dm(actor)
        return self.generator.npc(name, role)

    async def location(self, actor: Actor, kind: str) -> Location:
        await self.campaigns.require_dm(actor)
        return self.generator.location(kind)  # type: ignore[arg-type]

    async def quest(self, actor: Actor) -> QuestHook:
        """A hook for the party's average level."""
        info = await self.campaigns.require_dm(actor)
        async with self.reads.session() as session:
            levels = [c.level for c in await PartyRepository(session).members(info.id)] or [1]
        return self.generator.quest_hook(round(sum(levels) / len(levels)))

    async def fight_for(self, actor: Actor, monsters: Sequence[tuple[str, int]]) -> tuple[int, tuple[str, ...]]:
        """The encounter's "Start combat" button: the monsters join the running fight, or a new one."""
        info = await self.campaigns.require_dm(actor)
        combat_id = await self.combat.active_for_campaign(info.id)
        if combat_id is None:
            combat_id = (await self.combat.start(actor, info.id, info.channel_id)).combat_id
        names: list[str] = []
        for monster, count in monsters:
            names += (await self.combat.add_monsters(actor, combat_id, monster, count)).names
        return combat_id, tuple(names)

    # Auto mode -----------------------------------------------------------------------------------

    async def auto_turns(self, combat: CombatRef, rng: random.Random, limit: int = 40) -> AutoTurns:
        """After a `/combat next`: while it is a living monster's turn and the campaign runs in auto mode,
        the engine picks a legal action and target, rolls it, and ends the monster's turn."""
        state = await self.combat.status(combat)
        async with self.reads.session() as session:
            campaign = await CampaignRepository(session).get(state.campaign_id)
        if campaign is None or not (campaign.settings or {}).get("auto_monsters"):
            return AutoTurns((), ())
        dm = Actor(campaign.dm_id, campaign.guild_id, campaign.channel_id)
        asker = Asker(campaign.guild_id, campaign.id, (campaign.settings or {}).get("model") or None)
        turns: list[MonsterTurn] = []
        changes: list[TurnChange] = []
        for _ in range(limit):  # bounded: a fight of monsters only would otherwise loop forever
            current = state.current
            if current is None or current.kind != "monster" or current.state == "dead":
                break
            if not any(e.kind == "character" and e.state == "up" for e in state.entries):
                break
            plan = await self.narrated_plan(asker, state.combat_id)
            turns.append(await self.combat.run_monster_turn(dm, state.combat_id, rng, plan))
            change = await self.combat.next_turn(dm, state.combat_id)
            changes.append(change)
            state = change.state
        return AutoTurns(tuple(turns), tuple(changes))

    async def narrated_plan(self, asker: Asker, combat: CombatRef) -> MonsterPlan | None:
        """The narrator's choice of action and target for the monster whose turn it is (None: let the engine
        choose). The combat engine checks it again when it runs the turn, and rolls it."""
        if self.advice is None:
            return None
        options = await self.combat.monster_options(combat)
        if options is None:
            return None
        args = await self.advice.ask(asker, MONSTER_SYSTEM, _monster_question(options), monster_tool(options))
        if args is None:
            return None
        return MonsterPlan(options.monster, str(args["action"]), str(args["target"]))


# --- helpers ----------------------------------------------------------------------------------------


def _targets(party: Sequence[Character], target: str, campaign: str) -> list[Character]:
    if not party:
        raise InvalidInput(f"Nobody plays in {campaign} yet.")
    if target.strip().casefold() == PARTY:
        return list(party)
    key = name_key(target)
    found = [c for c in party if c.name_key == key]
    if not found:
        names = ", ".join(c.name for c in party)
        raise NotFound(f"No character called “{target[:64]}” plays in {campaign}. The party: {names} (or `party`).")
    return found


async def _find_npc(session: AsyncSession, campaign_id: int, name: str) -> Npc:
    row = await NpcRepository(session).by_key(campaign_id, name_key(name))
    if row is None:
        raise NotFound(f"No NPC called “{name[:64]}” in this campaign. `/dm npc list` shows them.")
    return row


MONSTER_SYSTEM = (
    "You are the dungeon master running the monsters of a D&D 5e fight. Choose what the monster "
    "does this turn, as it would in the fiction, by calling monster_action once. The engine rolls."
)


def monster_tool(options: MonsterOptions) -> ToolSpec:
    """`monster_action`: one of the monster's usable actions against one of its living opponents."""
    return ToolSpec(
        "monster_action",
        f"Choose {options.monster}'s action and target this turn.",
        {
            "type": "object",
            "properties": {
                "action": {"type": "string", "enum": list(options.actions), "description": "One of its actions."},
                "target": {"type": "string", "enum": list(options.targets), "description": "The opponent it attacks."},
            },
            "required": ["action", "target"],
            "additionalProperties": False,
        },
    )


def _monster_question(options: MonsterOptions) -> str:
    return "\n".join(
        [
            f"It is {options.monster}'s turn ({options.monster_kind}, {options.hp} HP).",
            f"Its actions: {', '.join(options.actions)}.",
            "Its opponents:",
            *(f"- {line}" for line in options.target_lines),
        ]
    )


def _trait(description: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": MAX_NPC_TRAIT, "description": description}


DESCRIBE_NPC = ToolSpec(
    "describe_npc",
    "Fill in a new NPC: four short phrases, no more than a line each.",
    {
        "type": "object",
        "properties": {
            "personality": _trait("Two or three words of temperament, e.g. 'nervous and kind'."),
            "voice": _trait("How they sound, e.g. 'a low rasp, slow words'."),
            "motive": _trait("What they want, completing 'wants to …', e.g. 'pay off a gambling debt'."),
            "secret": _trait("What they hide, e.g. 'informs for the thieves' guild'."),
        },
        "required": ["personality", "voice", "motive", "secret"],
        "additionalProperties": False,
    },
)


def _sketch_text(sketch: NpcSketch) -> str:
    """The NPC's description; the secret is kept apart (`Npc.secret`), for the DM alone."""
    return f"Personality: {sketch.personality}. Voice: {sketch.voice}. Wants to {sketch.motive}."[:MAX_NPC_TEXT]
