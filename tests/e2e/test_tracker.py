"""The initiative tracker's DM tools end to end, through the local Discord: a pack of wolves as a group, a
generic "Collapsing Bridge", Lair Actions, prev/move/skip/delay/ready, Bless and a custom effect ticking down
and expiring, and the tracker message pinned at the start of the fight and unpinned at its end.

The commands are the examples of docs/DM_GUIDE.md ("Running a fight") and of the help, run as written."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bot import help_catalog as catalog
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.messages import Message
from bot.testbed.harness import SandboxSession

if TYPE_CHECKING:
    from conftest import PartyCampaign

CHANNEL = "arena"
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "DM_GUIDE.md"
TOOLS = (
    "dm-combat add",
    "dm-combat lair",
    "dm-combat prev",
    "dm-combat skip",
    "dm-combat move",
    "dm-combat reroll",
    "dm-combat effect",
    "combat delay",
    "combat ready",
)


def documented_examples() -> set[str]:
    """The guide's "Running a fight" commands with options, and the help's examples of the tracker tools."""
    section = GUIDE.read_text(encoding="utf-8").split("## Running a fight")[1].split("\n## ")[0]
    spans = {" ".join(s.split()) for s in re.findall(r"`(/[^`]+)`", section) if ":" in s}
    return spans | {e.example for e in catalog.CATALOG if e.command in TOOLS}


@dataclass
class Arena:
    session: SandboxSession
    campaign: int
    channel: int
    lines: set[str] = field(default_factory=set)  # every command run, as typed

    async def run(self, line: str, *, user: str = "dungeonmaster") -> InteractionHandle:
        """A command as a DM types it: `/dm-combat move name:Lia position:1`."""
        self.lines.add(line)
        command, options = parse(line)
        return await self.session.run(command, options, user=user, channel=CHANNEL)

    def trackers(self) -> list[Message]:
        public = self.session.discord.messages(self.channel, ephemeral=False)
        titles = [(m, m.embeds[0].get("title", "")) for m in public if m.embeds]
        return [m for m, title in titles if title.startswith(("⚔️ Combat", "⚔️ The fight is over"))]

    def tracker(self) -> Message:
        [found] = self.trackers()  # the one tracker message, edited in place
        return found

    async def tracker_shows(self, text: str, *, absent: bool = False) -> str:
        def shown() -> bool:
            if len(self.trackers()) != 1:
                return False
            return (text not in _text(self.tracker())) if absent else (text in _text(self.tracker()))

        await self.session.discord.signal.wait(shown, 5, f"the tracker {'not ' if absent else ''}to show {text!r}")
        return _text(self.tracker())

    async def current(self) -> str:
        combat_id = await self.session.services.combat.active_in_channel(self.channel)
        assert combat_id is not None
        entry = (await self.session.services.combat.status(combat_id)).current
        return entry.name if entry else ""

    async def until(self, name: str) -> list[str]:
        """`/combat next` by the DM until it's `name`'s turn; the turn messages on the way."""
        said: list[str] = []
        for _ in range(20):
            if await self.current() == name:
                return said
            said.append((await self.run("/combat next")).content)
        raise AssertionError(f"{name}'s turn never came")


OPTION = r"(\w+):"


def parse(line: str) -> tuple[str, dict[str, Any]]:
    """`/dm-combat add name:Collapsing Bridge hit_points:25` → ("dm-combat add", {"name": ..., ...})."""
    words = line.removeprefix("/").split(" ")
    first = next((i for i, w in enumerate(words) if re.match(OPTION, w)), len(words))
    command, rest = " ".join(words[:first]), " ".join(words[first:])
    pieces = re.split(r"(?:^|\s)(\w+):", rest)[1:]
    options: dict[str, Any] = {}
    for key, value in zip(pieces[::2], pieces[1::2], strict=True):
        options[key] = int(value) if re.fullmatch(r"-?\d+", value) and key != "initiative" else value
        options[key] = {"true": True, "false": False}.get(value, options[key])
    return command, options


def _text(message: Message) -> str:
    embed = message.embeds[0]
    return f"{embed.get('title', '')} {embed.get('description', '')} {embed.get('footer', {}).get('text', '')}"


@pytest.fixture
async def arena(session: SandboxSession, campaign_with_party: PartyCampaign) -> AsyncIterator[Arena]:
    async with campaign_with_party(CHANNEL, "Arena") as (campaign, channel):
        yield Arena(session, campaign, channel)


async def test_a_fight_with_every_tracker_tool(arena: Arena) -> None:
    await arena.run("/dm-combat start")
    await arena.tracker_shows("rolling initiative")
    await arena.session.discord.signal.wait(lambda: arena.tracker().pinned, 5, "the tracker to be pinned")
    wolves = await arena.run("/dm-combat add monster:wolf count:3 group:true")
    assert wolves.ephemeral and "Wolf 3: 11 HP" in str(wolves.messages[-1].embeds)
    bridge = await arena.run(
        "/dm-combat add name:Collapsing Bridge hit_points:25 ac:12 attacks:Stones DC 12 dex 2d6 half"
    )
    assert "Collapsing Bridge: 25 HP" in str(bridge.messages[-1].embeds)
    await arena.run("/dm-combat lair")
    await arena.run("/combat join", user="alice")
    await arena.run("/combat join", user="bob")
    shown = await arena.tracker_shows("Lia")
    assert "👥 Wolf" in shown and "Lair Actions" in shown and "Collapsing Bridge" in shown

    moved = await arena.run("/dm-combat move name:Lia position:1")
    assert moved.ephemeral and moved.content.startswith("↕️ Lia moves.\nOrder: Lia → ")
    first = await arena.run("/combat next")
    assert "Round 1" in first.content and "Lia" in first.content
    early = await arena.run("/dm-combat prev")
    assert early.ephemeral and "first turn of the fight" in early.content
    bless = await arena.run("/dm-combat effect do:add target:Tordek effect:Bless concentration:Lia")
    assert bless.content == "✨ Tordek: Bless (10 rounds, concentration: Lia) — +1d4 attack, +1d4 save."
    await arena.tracker_shows("✨ Bless (10 rounds, concentration: Lia)")
    stone = await arena.run("/dm-combat effect do:add target:Wolf 1 effect:Stone Skin rounds:2 ac:2 resist:slashing")
    assert stone.content == "✨ Wolf 1: Stone Skin (2 rounds) — AC +2, resists slashing."

    second = await arena.run("/combat next")
    back = await arena.run("/dm-combat prev")
    assert back.content.startswith("⏪ Back one turn.") and "Lia" in back.content and second.content != back.content
    skipped = await arena.run("/dm-combat skip")
    assert skipped.content.startswith("⏭️ Skipped.")

    await arena.until("Tordek")
    held = await arena.run("/combat delay", user="alice")
    assert held.content.startswith("⏸️ Tordek holds their turn.")
    await arena.tracker_shows("⏸️ holding")
    ready = await arena.run("/combat ready", user="alice")
    assert "▶️ Back in the order." in ready.content
    await arena.tracker_shows("⏸️ holding", absent=True)

    said = await arena.run("/dm-combat skip rest_of_round:true")
    assert "Round 2" in said.content
    ticks = [said.content] + await arena.until("Wolf 1")  # Stone Skin ticks at the end of the wolves' turns
    ticks += [(await arena.run("/combat next")).content]
    ticks += await arena.until("Wolf 1") + [(await arena.run("/combat next")).content]
    assert any("Ended: Wolf 1: Stone Skin." in t for t in ticks)
    await arena.tracker_shows("Stone Skin", absent=True)
    assert "Bless (" in _text(arena.tracker())  # still on: it counts on Lia's turns

    dropped = await arena.run("/dm-combat effect do:remove target:Lia effect:concentration")
    assert dropped.content == "Ended: Tordek: Bless."
    await arena.run("/dm-combat reroll every_round:true")
    await arena.run("/dm-combat end")
    await arena.tracker_shows("fight is over")
    await arena.session.discord.signal.wait(lambda: not arena.tracker().pinned, 5, "the tracker to be unpinned")
    assert documented_examples() - arena.lines == set()  # every example the DM reads was run here
