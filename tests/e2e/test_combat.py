"""Combat end to end: `/combat join|status|next` and `/attack` in a fight, through the local Discord.

The players' side of a fight. The DM's commands (`/dm-combat start|add|...`) have their own tests in
test_dm_table.py; here the fight is set up straight through the combat service, as those commands do, and the
tracker refreshed through the services' board, so a failure points at the players' commands.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from bot.engine.sheet import Actor
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.messages import Message, embed_text
from bot.testbed.harness import SandboxSession
from bot.ui.combat_views import TrackerBoard

if TYPE_CHECKING:
    from conftest import PartyCampaign

CHANNEL = "arena"


@dataclass
class Arena:
    session: SandboxSession
    campaign: int
    channel: int

    def actor(self, user: str) -> Actor:
        return Actor(self.session.user_id(user), self.session.world.guild.id, self.channel)

    @property
    def board(self) -> TrackerBoard:
        """The one board the bot's cogs share (built with the services)."""
        return self.session.services.board

    async def run(
        self, command: str, options: dict[str, Any] | None = None, *, user: str = "alice"
    ) -> InteractionHandle:
        return await self.session.run(command, options, user=user, channel=CHANNEL)

    async def start(self, *monsters: tuple[str, int]) -> int:
        combat = self.session.services.combat
        combat_id = (await combat.start(self.actor("dungeonmaster"), self.campaign, self.channel)).combat_id
        for monster, count in monsters:
            await combat.add_monsters(self.actor("dungeonmaster"), combat_id, monster, count)
        await self.board.refresh(self.session.bot, combat_id)
        return combat_id

    def trackers(self) -> list[Message]:
        public = self.session.discord.messages(self.channel, ephemeral=False)
        titles = [(m, m.embeds[0].get("title", "")) for m in public if m.embeds]
        return [m for m, title in titles if title.startswith("⚔️ Combat") or "fight is over" in title]

    async def tracker_shows(self, text: str) -> Message:
        """Wait until the one tracker message, edited in place, shows `text`."""

        def shown() -> bool:
            found = self.trackers()
            return len(found) == 1 and text in embed_text(found[0].embeds[0])

        await self.session.discord.signal.wait(shown, 5, f"the tracker to show {text!r}")
        return self.trackers()[0]


def _embed(handle: InteractionHandle) -> dict[str, Any]:
    return dict(handle.messages[-1].embeds[0])


@pytest.fixture
async def arena(session: SandboxSession, campaign_with_party: PartyCampaign) -> AsyncIterator[Arena]:
    async with campaign_with_party(CHANNEL, "Arena") as (campaign, channel):
        yield Arena(session, campaign, channel)


async def test_a_fight_through_discord(arena: Arena) -> None:
    combat_id = await arena.start(("goblin", 2))
    await arena.tracker_shows("rolling initiative")
    joined = await arena.run("combat join")
    assert _embed(joined)["title"] == "⚔️ Tordek joins the fight" and not joined.ephemeral
    await arena.run("combat join", user="bob")
    tracker = await arena.tracker_shows("Lia")
    assert "Goblin 1" in embed_text(tracker.embeds[0]) and "unhurt" in embed_text(tracker.embeds[0])
    assert "AC" not in embed_text(tracker.embeds[0])  # players see monsters in words

    mine = await arena.run("combat status")
    assert mine.ephemeral and "unhurt" in embed_text(_embed(mine)) and "7/7" not in embed_text(_embed(mine))
    dm_view = await arena.run("combat status", user="dungeonmaster")
    dm_text = embed_text(_embed(dm_view))
    assert "AC 15" in dm_text and "7/7" in dm_text and "DM view" in dm_text

    early = await arena.run("combat next")
    assert early.ephemeral and "DM starts round 1" in early.content

    first = await arena.run("combat next", user="dungeonmaster")
    assert "Round 1" in first.content
    await arena.tracker_shows("round 1")
    for _ in range(8):  # the DM moves on until it's Tordek's turn; each turn message pings only its player
        state = await arena.session.services.combat.status(combat_id)
        if state.current and state.current.name == "Tordek":
            break
        turn = await arena.run("combat next", user="dungeonmaster")
        current = (await arena.session.services.combat.status(combat_id)).current
        expected = {"Tordek": [arena.session.user_id("alice")], "Lia": [arena.session.user_id("bob")]}
        assert turn.messages[-1].pinged_user_ids == expected.get(current.name, [])  # type: ignore[union-attr]
    out_of_turn = await arena.run("attack", {"weapon": "dagger", "target": "Goblin 1"}, user="bob")
    assert out_of_turn.ephemeral and "Tordek's turn" in out_of_turn.content

    hits = 0
    for turn_no in range(12):  # a level-1 fighter's attack action is one attack: a turn each
        attack = await arena.run("attack", {"weapon": "longsword", "target": "Goblin 1"})
        embed = _embed(attack)
        assert embed["title"] == "⚔️ Tordek → Goblin 1: Longsword" and "vs AC 15" in embed["description"]
        hits += "Damage" in embed["description"]
        if "dies" in embed["description"]:
            break
        if turn_no == 0:
            again = await arena.run("attack", {"weapon": "longsword", "target": "Goblin 1"})
            assert again.ephemeral and "Tordek has made 1 attack this turn" in again.content
        await arena.run("combat next", user="dungeonmaster")
        for _ in range(8):
            state = await arena.session.services.combat.status(combat_id)
            if state.current and state.current.name == "Tordek":
                break
            await arena.run("combat next", user="dungeonmaster")
    assert hits >= 1
    await arena.tracker_shows("~~Goblin 1~~")

    ended = await arena.session.services.combat.end(arena.actor("dungeonmaster"), combat_id)
    await arena.board.refresh(arena.session.bot, combat_id)
    final = await arena.tracker_shows("fight is over")
    assert ended.xp_total == 50 and ended.share == 25
    assert len(final.edits) >= 2  # one message, edited in place (coalesced: not once per change)

    public = arena.session.discord.messages(arena.channel, ephemeral=False)
    pinged = [m for m in public if m.pinged_user_ids or m.pinged_role_ids or m.pings_everyone]
    assert all(len(m.pinged_user_ids) == 1 and not m.pinged_role_ids for m in pinged)
    assert all("'s turn" in m.content for m in pinged)


async def test_attack_target_autocomplete_and_outside_a_fight(arena: Arena) -> None:
    free = await arena.run("attack", {"weapon": "longsword", "target": "a goblin"})
    assert "To hit" in _embed(free)["description"] and "vs AC" not in _embed(free)["description"]
    no_fight = await arena.run("combat join")
    assert no_fight.ephemeral and "No fight is running" in no_fight.content

    await arena.start(("goblin", 1), ("wolf", 1))
    await arena.run("combat join")
    uid = arena.session.user_id("alice")
    choices = await arena.session.discord.autocomplete(
        "attack", {"weapon": "longsword", "target": "w"}, "target", user_id=uid, channel_id=arena.channel
    )
    assert [c["value"] for c in choices] == ["Wolf"]
    before = await arena.run("attack", {"weapon": "longsword", "target": "Wolf"})
    assert before.ephemeral and "hasn't started" in before.content
    again = await arena.run("combat join")
    assert again.ephemeral and "already in this fight" in again.content


async def test_a_deleted_tracker_is_posted_again(arena: Arena) -> None:
    combat_id = await arena.start(("goblin", 1))
    tracker = await arena.tracker_shows("rolling initiative")
    await arena.board.settled(combat_id)  # posted and pinned
    tracker.deleted = True  # someone deleted the message in Discord
    await arena.run("combat join")
    fresh = await arena.tracker_shows("Tordek")
    assert fresh.id != tracker.id
    for _ in range(50):  # the new id is stored right after the post
        if (await arena.session.services.combat.status(combat_id)).tracker_message_id == fresh.id:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the new tracker message was not remembered")
    assert [v.kind for v in arena.session.discord.pop_violations()] == ["unknown_message"]  # the edit that failed


async def test_a_late_older_state_never_replaces_a_newer_tracker(arena: Arena) -> None:
    combat_id = await arena.start(("goblin", 1))
    old = await arena.session.services.combat.status(combat_id)
    await arena.run("combat join")
    tracker = await arena.tracker_shows("Tordek")
    edits = len(tracker.edits)
    await arena.board.show(arena.session.bot, old)  # e.g. a slow change that committed earlier
    await arena.board.settled(combat_id)
    assert len(arena.session.discord.message(tracker.id).edits) == edits
    assert "Tordek" in embed_text(arena.session.discord.message(tracker.id).embeds[0])
