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


async def test_retcon_goes_back_any_number_of_turns_and_every_reader_leaves_them_out(
    sqlite_session: SandboxSession,
) -> None:
    s = sqlite_session
    await table(s)
    await s.run("session start", user="dungeonmaster")
    await turn(s, "I search the altar for runes")
    await turn(s, "I climb the bell tower")
    await turn(s, "I pick the lock of the crypt door")
    for expected in (3, 2):
        undone = await s.run("dm retcon", user="dungeonmaster")
        assert f"Turn {expected}" in everything(undone), everything(undone)
    recap = everything(await s.run("recap", user="bob"))
    assert "altar" in recap and "bell tower" not in recap and "crypt door" not in recap, recap
    end = everything(await s.run("session end", user="dungeonmaster"))
    assert "altar" in end and "bell tower" not in end and "crypt door" not in end, end
    export = await s.run("campaign export", user="dungeonmaster")
    files = {a.filename: a.data.decode() for a in export.messages[-1].attachments}
    for text in files.values():
        assert "altar" in text and "bell tower" not in text and "crypt door" not in text, text


async def test_a_session_lists_everyone_who_played_and_opens_with_a_short_recap(
    sqlite_session: SandboxSession,
) -> None:
    s = sqlite_session
    await table(s)
    await s.make_character("bob", "Brenna", race="human")
    await s.run("campaign join", user="bob")
    await s.run("session start", user="dungeonmaster")
    for n in range(8):
        await turn(s, f"I search the {n}th alcove for runes")
    await s.run("dm combat start", user="dungeonmaster")
    joined = await s.run("combat join", user="bob")  # Brenna only fights: she rolls initiative, acts no turn
    assert "joins the fight" in everything(joined), everything(joined)
    await s.run("dm combat end", user="dungeonmaster")
    ended = await s.run("session end", user="dungeonmaster")
    assert fields(ended)["Attended"] == "Brenna, Mira", fields(ended)
    started = await s.run("session start", user="dungeonmaster")
    previously = started.messages[-1].embeds[0]["description"]
    bullets = [line for line in previously.splitlines() if line.strip()]
    assert 1 <= len(bullets) <= 5 and "7th alcove" in previously, previously
