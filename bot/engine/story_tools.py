"""The narrator's tools that change the story rather than a sheet: an NPC enters, the scene moves, a fight starts.

Each runs inside the round's transaction (`bot.engine.tools.ToolExecutor` calls it), with the same refusals back
to the model as every other tool; `start_combat` starts a real fight through the combat service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bot.data.srd import SRD
from bot.engine import events as log
from bot.engine.campaign_info import fight_of
from bot.engine.caps import Caps
from bot.engine.combat import CombatService
from bot.engine.encounters import encounter
from bot.engine.sheet import clean_name
from bot.engine.tool_calls import CallResult, EngineAction, Handler, Refused, Round, npc_key
from bot.errors import InvalidInput
from persistence.models import Npc
from persistence.repositories import NpcRepository

MAX_NPCS_PER_TURN = 3
Pend = Callable[[Round, str, dict[str, Any], str], Awaitable[CallResult]]
MAX_ENEMIES = 20


class StoryTools:
    def __init__(self, combat: CombatService, srd: SRD, caps: Caps, pend: Pend) -> None:
        self.combat = combat
        self.srd = srd
        self.caps = caps
        self.pend = pend  # a change that waits for the DM (the executor's, so approvals work as for any other)

    def handlers(self) -> dict[str, Handler]:
        return {"introduce_npc": self.introduce_npc, "move_scene": self.move_scene, "start_combat": self.start_combat}

    async def introduce_npc(self, round_: Round, args: dict[str, Any]) -> CallResult:
        name = clean_name(args["name"])[:80]
        key = npc_key(name)
        if any(r.name_key == key for r in round_.party):
            raise Refused(f"{name} is a player character, not an NPC.")
        repo = NpcRepository(round_.session)
        scene = dict(round_.campaign.scene or {})
        present = list(scene.get("npcs") or [])
        existing = await repo.by_key(round_.campaign.id, key)
        if existing is not None:
            if existing.name not in present:
                round_.campaign.scene = {**scene, "npcs": [*present, existing.name]}
            return CallResult(
                "",
                {"ok": True, "npc": {"name": existing.name, "known": True, "role": existing.role}},
                EngineAction("npc", existing.name, "is here (already known)"),
            )
        if round_.tally.npcs >= MAX_NPCS_PER_TURN:
            raise Refused("Too many new NPCs at once; bring back a known one instead.")
        if await repo.count(round_.campaign.id) >= self.caps.npcs_per_campaign:
            raise Refused("The campaign's cast is full; bring back a known NPC instead.")
        round_.tally.npcs += 1
        repo.add(
            Npc(
                campaign_id=round_.campaign.id,
                name=name,
                name_key=key,
                role=args["role"][:80],
                description=args["description"][:500],
                turn_id=round_.turn_id,
                public=True,
            )
        )  # introduced in the story the channel reads
        round_.campaign.scene = {**scene, "npcs": [*present, name]}
        log.record(
            round_.session,
            round_.campaign,
            "npc",
            f"NPC {name} ({args['role']}): {args['description']}",
            actor_id=round_.actor.user_id,
            turn_id=round_.turn_id,
            data={"created": True, "name": name, "name_key": key},
        )
        return CallResult(
            "",
            {"ok": True, "npc": {"name": name, "known": False}},
            EngineAction("npc", name, f"enters the story ({args['role']})"),
        )

    async def move_scene(self, round_: Round, args: dict[str, Any]) -> CallResult:
        before = dict(round_.campaign.scene or {})
        if await fight_of(round_.session, round_.campaign.id) is not None:
            raise Refused("The party is in combat; the scene cannot move until the fight ends.")
        if round_.tally.moves >= 1:
            raise Refused("The scene already moved this turn.")
        round_.tally.moves += 1
        after = {**before, "location": args["location"][:80], "description": args["description"][:500], "npcs": []}
        round_.campaign.scene = after
        log.record(
            round_.session,
            round_.campaign,
            "scene",
            f"Scene: {args['location']}. {args['description']}",
            actor_id=round_.actor.user_id,
            turn_id=round_.turn_id,
            data={"before": before, "after": after},
        )
        return CallResult(
            "",
            {"ok": True, "scene": {"location": args["location"]}},
            EngineAction("scene", args["location"], "the party moves here"),
        )

    async def start_combat(self, round_: Round, args: dict[str, Any]) -> CallResult:
        """A real fight with the SRD monsters the narrator named, started in the turn's transaction after the
        tool's own checks (SRD names, counts, not already fighting)."""
        row = round_.campaign
        if await fight_of(round_.session, row.id) is not None:  # the fight tables are the one truth
            raise Refused("A fight is already running here; the DM adds monsters with `/dm-combat add`.")
        enemies = self.enemies(args["enemies"])
        names = ", ".join(f"{e['count']} × {e['monster']}" for e in enemies)
        fight = encounter(self.srd, [c.level for c in round_.party], enemies)
        too_big = fight.too_big()
        if too_big is not None:
            raise Refused(too_big)
        settings = round_.info.settings
        if not round_.approved and not settings.auto_approve and fight.waits(settings.fights_wait_above):
            return await self.pend(round_, "start_combat", args, f"a {fight.rating} fight against {names}")
        monsters = [(str(e["monster"]), int(e["count"])) for e in enemies]
        try:
            combat_id = await self.combat.start_in(
                round_.session, row.id, row.guild_id, row.channel_id, row.dm_id, monsters
            )
        except InvalidInput as error:  # a fight runs in this channel (another campaign's thread, a race)
            raise Refused(str(error)) from None
        log.record(
            round_.session,
            row,
            "combat",
            f"Combat starts against {names}.",
            actor_id=round_.actor.user_id,
            turn_id=round_.turn_id,
            data={"enemies": enemies, "combat_id": combat_id},  # a retcon of the turn ends this fight too
        )
        result = {
            "ok": True,
            "combat": {
                "enemies": [{"name": e["monster"], "count": e["count"]} for e in enemies],
                "note": "The fight has begun: players `/combat join`; describe the opening only.",
                "id": combat_id,
            },
        }
        return CallResult("", result, EngineAction("combat", names, "combat begins"))

    def enemies(self, wanted: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """The named monsters by their SRD names; refused if one is not in the SRD or there are too many."""
        enemies: list[dict[str, Any]] = []
        unknown: list[str] = []
        for entry in wanted:
            try:
                monster = self.srd.monster(entry["monster"])
                enemies.append({"monster": monster.name, "count": int(entry["count"])})
            except KeyError:
                unknown.append(entry["monster"])
        if unknown:
            raise Refused(f"Not SRD monsters: {', '.join(unknown)}. Use SRD names such as Goblin or Wolf.")
        if sum(int(e["count"]) for e in enemies) > MAX_ENEMIES:
            raise Refused(f"At most {MAX_ENEMIES} enemies in one fight.")
        return enemies
