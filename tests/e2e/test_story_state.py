"""The story's state stays true: one source of truth for a campaign's fight, retcons any number of turns back
(and of fight actions), and recaps, summaries, sessions and exports that leave retconned turns out."""

from __future__ import annotations

import json

from bot.engine.sheet import Actor
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
    first = await turn(s, "I attack the two goblins on the hill")  # three would be past the encounter budget
    assert "combat begins" in everything(first)
    assert "Goblin" in fields(await s.run("campaign info", user="bob")).get("Combat", "")
    ended = await s.run("dm-combat end", user="dungeonmaster")
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
    await s.run("dm-combat start", user="dungeonmaster")
    joined = await s.run("combat join", user="bob")  # Brenna only fights: she rolls initiative, acts no turn
    assert "joins the fight" in everything(joined), everything(joined)
    await s.run("dm-combat end", user="dungeonmaster")
    ended = await s.run("session end", user="dungeonmaster")
    assert fields(ended)["Attended"] == "Brenna, Mira", fields(ended)
    started = await s.run("session start", user="dungeonmaster")
    previously = started.messages[-1].embeds[0]["description"]
    bullets = [line for line in previously.splitlines() if line.strip()]
    assert 1 <= len(bullets) <= 5 and "7th alcove" in previously, previously


async def test_retcon_undoes_the_last_fight_actions_exactly_and_recaps_tell_the_fight(
    sqlite_session: SandboxSession,
) -> None:
    s = sqlite_session
    await table(s)
    dm_user = "dungeonmaster"
    combat = s.services.combat

    async def dm(command: str, options: dict[str, object] | None = None) -> InteractionHandle:
        return await s.run(command, options, user=dm_user)

    async def mira() -> tuple[int, tuple[str, ...], int]:
        sheet = await s.services.characters.get(Actor(s.user_id("alice"), s.world.guild.id))
        return sheet.hp_current, tuple(c.name for c in sheet.conditions), sheet.xp

    async def tracker() -> list[tuple[str, str, int | None, tuple[str, ...]]]:
        combat_id = await combat.active_in_channel(s.channel_id("tavern"))
        assert combat_id is not None
        state = await combat.status(combat_id, for_dm=True)
        entries = [(e.name, e.state, e.hp, tuple(e.conditions)) for e in state.entries]
        return [*entries, ("round", "", state.round, ()), ("turn", state.current.name if state.current else "", 0, ())]

    await dm("dm-combat start")
    await dm("dm-combat add", {"monster": "goblin", "count": 2})
    await s.run("combat join", user="alice")
    await dm("combat next")  # round 1
    for _ in range(3):  # on to Mira's turn
        if (await tracker())[-1][1] == "Mira":
            break
        await dm("combat next")
    start_mira, start_fight = await mira(), await tracker()

    swung = await s.run("attack", {"weapon": "longsword", "target": "Goblin 1"}, user="alice")  # a player's attack
    assert "Mira → Goblin 1: Longsword" in swung.text, swung.text
    acted = await dm("dm-combat act", {"monster": "Goblin 2", "action": "Scimitar", "target": "Mira"})
    assert "Goblin 2 → Mira: Scimitar" in acted.text
    await dm("dm condition add", {"target": "Mira", "condition": "prone"})
    await dm("dm damage", {"target": "Goblin 2", "amount": 3})
    assert (await mira())[1] == ("prone",) and await tracker() != start_fight
    for _ in range(4):  # the damage, the condition, the goblin's attack, Mira's attack: newest first
        undone = await dm("dm retcon")
        assert "The last fight action is undone" in everything(undone), everything(undone)
    assert await mira() == start_mira and await tracker() == start_fight  # HP, conditions, order: exactly

    def tracker_says(text: str) -> bool:  # the fight's one tracker message in the channel, edited in place
        public = s.discord.messages(s.channel_id("tavern"), ephemeral=False)
        boards = [m for m in public if m.embeds and str(m.embeds[0].get("title", "")).startswith("⚔️ Combat")]
        return len(boards) == 1 and text in json.dumps(boards[0].embeds[0], ensure_ascii=False)

    await s.discord.signal.wait(lambda: tracker_says("Goblin 2 · unhurt"), 5, "the tracker to show the undo")

    killed = await dm("dm damage", {"target": "Goblin 1", "amount": 50})
    assert "dies" in killed.text
    await dm("dm damage", {"target": "Goblin 2", "amount": 50})
    ended = await dm("dm-combat end")
    assert "Mira: 100 XP" in ended.text
    recap = everything(await s.run("recap", user="alice"))
    assert "Goblin 1 is slain" in recap and "Mira gains 100 XP" in recap and "the fight is over" in recap, recap
    undone = await dm("dm retcon")  # the end of the fight: XP back, the fight runs again
    assert "The last fight action is undone" in everything(undone)
    assert (await mira())[2] == 0 and await combat.active_in_channel(s.channel_id("tavern")) is not None
    recap = everything(await s.run("recap", user="alice"))
    assert "Mira gains 100 XP" not in recap and "Goblin 1 is slain" in recap, recap


async def test_level_ups_falls_and_deaths_are_in_the_recap_and_the_session_summary(
    sqlite_session: SandboxSession,
) -> None:
    s = sqlite_session
    await table(s)
    await s.make_character("bob", "Brenna", race="human")
    await s.run("campaign join", user="bob")
    await s.run("session start", user="dungeonmaster")
    await s.run("dm award xp", {"target": "Mira", "amount": 300}, user="dungeonmaster")
    levelled = await s.run("character levelup", user="alice")
    assert not levelled.ephemeral, levelled.content
    await s.run("dm-combat start", user="dungeonmaster")
    await s.run("dm-combat add", {"monster": "goblin"}, user="dungeonmaster")
    await s.run("combat join", user="bob")
    await s.run("dm damage", {"target": "Brenna", "amount": 9}, user="dungeonmaster")  # 9 of 12: hurt
    fell = await s.run("dm damage", {"target": "Brenna", "amount": 5}, user="dungeonmaster")  # to 0: she falls
    assert "Brenna" in fell.text
    died = await s.run("dm damage", {"target": "Brenna", "amount": 40}, user="dungeonmaster")  # massive: dead
    assert "Brenna" in died.text
    recap = everything(await s.run("recap", user="alice"))
    for told in ("Mira reaches level 2", "Brenna falls", "Brenna dies"):
        assert told in recap, (told, recap)
    end = everything(await s.run("session end", user="dungeonmaster"))
    for told in ("Mira reaches level 2", "Brenna falls", "Brenna dies"):
        assert told in end, (told, end)


async def test_a_death_outside_a_fight_is_told_and_the_dms_change_can_be_retconned(
    sqlite_session: SandboxSession,
) -> None:
    s = sqlite_session
    await table(s)
    mira = Actor(s.user_id("alice"), s.world.guild.id)
    hurt = await s.run("dm damage", {"target": "Mira", "amount": 5}, user="dungeonmaster")
    assert "Mira" in hurt.text
    assert (await s.services.characters.get(mira)).hp_current == 7
    undone = await s.run("dm retcon", user="dungeonmaster")
    assert "The last change is undone" in everything(undone), everything(undone)
    assert (await s.services.characters.get(mira)).hp_current == 12
    await s.run("dm damage", {"target": "Mira", "amount": 12}, user="dungeonmaster")  # to 0: dying
    for _ in range(12):  # death saves until she dies; a stable Mira is hurt again (a failure at 0 HP)
        sheet = await s.services.characters.get(mira)
        if sheet.death_failures >= 3:
            break
        saved = await s.run("deathsave", user="alice")
        if "stable" in saved.text.lower() and sheet.death_failures < 3:
            await s.run("dm damage", {"target": "Mira", "amount": 1}, user="dungeonmaster")
    assert (await s.services.characters.get(mira)).death_failures >= 3
    recap = everything(await s.run("recap", user="bob"))
    assert "Mira falls" in recap and "Mira dies" in recap, recap


async def test_undoing_the_end_of_a_fight_waits_for_the_next_fight_to_end(sqlite_session: SandboxSession) -> None:
    s = sqlite_session
    await table(s)
    await s.run("dm-combat start", user="dungeonmaster")
    await s.run("dm-combat add", {"monster": "goblin"}, user="dungeonmaster")
    await s.run("dm-combat end", user="dungeonmaster")
    await s.run("dm-combat start", user="dungeonmaster")  # a second fight, nothing done in it yet
    refused = await s.run("dm retcon", user="dungeonmaster")
    assert "Another fight is running here now" in refused.text, refused.text
    await s.run("dm-combat end", user="dungeonmaster")
    undone = await s.run("dm retcon", user="dungeonmaster")
    assert "The last fight action is undone" in everything(undone), everything(undone)
