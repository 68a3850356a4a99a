"""The story's state stays true: one source of truth for a campaign's fight, retcons any number of turns back
(and of fight actions), and recaps, summaries, sessions and exports that leave retconned turns out."""

from __future__ import annotations

import json

from bot.sandbox.interactions import InteractionHandle
from bot.testbed.harness import SandboxSession


def fields(handle: InteractionHandle) -> dict[str, str]:
    return {f["name"]: f["value"] for f in handle.messages[-1].embeds[0].get("fields", [])}


def everything(handle: InteractionHandle) -> str:
    return " ".join([handle.content, *(json.dumps(e) for m in handle.messages for e in m.embeds)])


async def turn(session: SandboxSession, action: str, user: str = "alice") -> InteractionHandle:
    handle = await session.invoke("narrate", {"action": action}, user=user)
    await handle.wait_for(
        lambda h: any(e.get("title") == "🎲 What the dice said" for m in h.messages for e in m.embeds), timeout=10
    )
    return handle


async def table(s: SandboxSession) -> None:
    await s.make_character("alice", "Mira", race="human")
    await s.run("campaign create", {"name": "Goblin Hill"}, user="dungeonmaster")
    await s.run("campaign join", user="alice")


async def test_a_narrated_fight_ended_by_the_dm_is_over_everywhere(sqlite_session: SandboxSession) -> None:
    s = sqlite_session
    await table(s)
    first = await turn(s, "I attack the three goblins")
    assert "combat begins" in everything(first)
    assert "Goblin" in fields(await s.run("campaign info", user="bob")).get("Combat", "")
    ended = await s.run("dm combat end", user="dungeonmaster")
    assert "The fight is over" in everything(ended)
    info = await s.run("campaign info", user="bob")
    assert "Combat" not in fields(info), fields(info)
    second = await turn(s, "I attack the two goblins at the gate")
    assert "combat begins" in everything(second), everything(second)
    assert "Goblin" in fields(await s.run("campaign info", user="bob")).get("Combat", "")
