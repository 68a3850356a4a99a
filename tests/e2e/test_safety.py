"""Safety tools are absolute, for both narrators: a line is never narrated (the action is refused with a private
out-of-character note, and the DM is told), a veil only fades to black, and the LLM's reply is held back a
sentence at a time, so a sentence across a line is never displayed, not even for one edit.

The corpus: actions and model replies that cross the table's lines ("harm to children", "spiders") and veil
("torture") through inflections, synonyms, case and spacing, and near misses that must pass untouched."""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import update

from bot.engine.safety import FADE, TURNED_ASIDE, WITHDRAWN
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.llm import LocalLLM, Reply, ToolCall
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from persistence.models import Campaign

LINES, VEILS = "harm to children; spiders", "torture"
TRACE = "🎲 What the dice said"

LINE_ACTIONS = [
    "I threaten to cause harm to the children of the village",
    "I HARM THE CHILDREN",
    "I harm   the    children",
    "I hurt the kid who stole my purse",
    "Brenna beats the orphan boy",
    "I stab the little girl",
    "I kidnap the baker's toddler",
    "I strangle the infant",
    "I slap the kids around",
    "I kill the children in the nursery",
    "harmtochildren",
    "I punch the urchin until he cries",
    "I throw spiders at the guard",
    "I let a tarantula crawl over my hand",
    "I look for arachnids under the rocks",
    "I summon a giant S P I D E R",
    "I search the cobwebs in the corner",
    "I attack the youngsters with my whip",
    "I hurt  a Child",
    "Mira murders the newborn",
]
VEIL_ACTIONS = [
    "I torture the captured cultist for information",
    "I TORTURE him",
    "I t o r t u r e the prisoner",
    "I tortured the spy last night and now I do it again",
    "I torment the goblin until it talks",
    "I pull out his fingernails one by one",
    "I flay the bandit",
    "I waterboard the smuggler",
    "I tor ture the guard",
    "I use the thumbscrews on the thief",
]
LINE_REPLIES = [
    "The cultist laughs. He raises his blade and stabs the child.",
    "Across the square you see the villagers beat an orphan boy.",
    "A giant spider drops from the ceiling onto your shoulders.",
    "Tarantulas pour from the cracks in the wall.",
    "The guard harms the kids in the cellar, one after another.",
    "Someone HURT the CHILDREN here, long ago.",
    "The bandits kidnapped a toddler from the farm.",
    "There are s p i d e r s everywhere.",
    "Cobwebs hang thick from every beam.",
    "The ogre kills the little girl before you can act.",
]
VEIL_REPLIES = [
    "The interrogator tortures the prisoner.",
    "You torment him for hours.",
    "She pulls out his fingernails.",
    "The spy is flayed alive.",
    "They waterboard the smuggler in the cellar.",
]
NEAR_MISSES = [
    "I ask the children where the cultists went",
    "I hit the bandit hard, and later I buy sweets for all the kids at the market",
    "I protect the orphans from the wolves",
    "I tour the torch-lit crypt",
    "I torch the old barn",
    "I follow the tortoise across the road",
    "I bandage a minor wound on my arm",
    "I answer the rapping at the door",
    "I question the prisoner firmly but fairly",
    "I laugh at the childish prank",
    "I read a nursery rhyme to the children",
    "I admire the spire of the temple",
    "I watch the children hit the ball across the square",
    "I admire the inspired carving on the door",
    "I listen to the children's laughter in the square",
    "I strike a deal with the stable boy",
]
assert len(LINE_ACTIONS) + len(VEIL_ACTIONS) + len(LINE_REPLIES) + len(VEIL_REPLIES) >= 40


def shown_texts(handle: InteractionHandle) -> list[str]:
    """Every text the players were ever shown: each edit of each message, and the final contents."""
    return [edit.get("content") or "" for m in handle.messages for edit in m.edits] + [m.text for m in handle.messages]


def finished(handle: InteractionHandle) -> bool:
    return any(e.get("title") == TRACE for m in handle.messages for e in m.embeds)


async def narrate(session: SandboxSession, action: str, channel: str = "tavern") -> InteractionHandle:
    handle = await session.invoke("narrate", {"action": action}, user="alice", channel=channel)
    await handle.wait_for(lambda h: finished(h) or h.ephemeral, timeout=15)
    return handle


VEIL_WORDS = re.compile(r"tortur|torment|fingernail|flay|waterboard|thumbscrew|t o r t|tor ture", re.I)
LINE_WORDS = re.compile(
    r"child|kid|orphan|girl|boy|toddler|infant|urchin|youngster|newborn|spider|tarantula|arachnid|cobweb|s p i d",
    re.I,
)


async def seat(session: SandboxSession) -> None:
    async with session.services.db.transaction() as tx:
        await tx.execute(update(Campaign).where(Campaign.guild_id == session.world.guild.id).values(status="ended"))
    await session.make_character("alice", "Mira", race="human")
    await session.run("campaign create", {"name": "The Quiet Vale"}, user="dungeonmaster")
    await session.run("campaign join", user="alice")
    await session.run("campaign safety", {"lines": LINES, "veils": VEILS}, user="dungeonmaster")


def dm_inbox(session: SandboxSession) -> list[str]:
    channel = session.world.dm_channels.get(session.user_id("dungeonmaster"))
    return [m.content for m in session.discord.messages(channel.id)] if channel else []


async def check_lines_are_refused(session: SandboxSession) -> None:
    for action in LINE_ACTIONS:
        handle = await narrate(session, action)
        assert handle.ephemeral and "crosses one of this table's lines" in handle.content, action
        assert not finished(handle), action  # nothing was narrated
        assert not LINE_WORDS.search(handle.content), handle.content  # the note does not repeat the line
    for _ in range(300):  # the DM's notes follow the player's replies: one per line crossed (not a flood)
        if len(dm_inbox(session)) >= 2:
            break
        await asyncio.sleep(0.01)
    inbox = dm_inbox(session)
    assert len(inbox) == 2 and all("Mira's action crossed the line" in note for note in inbox), inbox
    assert "“harm to children”" in inbox[0] and "“spiders”" in inbox[1]


async def check_veils_fade(session: SandboxSession) -> None:
    for action in VEIL_ACTIONS:
        handle = await narrate(session, action)
        assert finished(handle) and not handle.ephemeral, action
        texts = shown_texts(handle)
        assert not [t for t in texts if VEIL_WORDS.search(t)], (action, texts)
        assert "fades to black" in handle.messages[0].content, (action, texts)


async def check_near_misses_pass(session: SandboxSession) -> None:
    for action in NEAR_MISSES:
        handle = await narrate(session, action)
        assert finished(handle) and not handle.ephemeral, action
        story = handle.messages[0].content
        assert FADE not in story and TURNED_ASIDE not in story and WITHDRAWN not in story, (action, story)


# --- the offline narrator --------------------------------------------------------------------------


async def test_the_offline_narrator_never_narrates_a_line_and_fades_a_veil(sqlite_session: SandboxSession) -> None:
    s = sqlite_session
    await seat(s)
    await check_lines_are_refused(s)
    await check_veils_fade(s)
    await check_near_misses_pass(s)
    recap = (await s.run("recap", user="alice")).text
    assert not VEIL_WORDS.search(recap) and "fades to black" in recap  # the log tells the veiled deeds faded


async def test_the_dm_crossing_a_line_is_told_privately_and_not_narrated(sqlite_session: SandboxSession) -> None:
    s = sqlite_session
    await seat(s)
    handle = await s.invoke("narrate", {"action": "A spider the size of a dog"}, user="dungeonmaster")
    await handle.wait_for(lambda h: h.ephemeral or finished(h), timeout=10)
    assert handle.ephemeral and "crosses one of this table's lines" in handle.content
    assert not dm_inbox(s)  # the DM already saw the note


def dm_voices(session: SandboxSession) -> list[str]:
    """What the channel shows of the DM's own narration (the embeds authored "The DM")."""
    public = session.discord.messages(session.channel_id(), ephemeral=False)
    return [e.get("description", "") for m in public for e in m.embeds if e.get("author", {}).get("name") == "The DM"]


async def test_the_dms_own_narration_across_a_line_or_veil_waits_for_the_dms_confirm(
    sqlite_session: SandboxSession,
) -> None:
    """The DM is never overruled but is told: `/dm narrate` (or `/dm scene`) across a line or showing a veil
    is not posted until the DM confirms it; clean words are posted at once."""
    s = sqlite_session
    await seat(s)
    dm = s.user_id("dungeonmaster")
    clean = await s.run("dm narrate", {"text": "The bells toll thirteen times."}, user="dungeonmaster")
    assert not clean.ephemeral and dm_voices(s) == ["The bells toll thirteen times."]
    for text, told in (
        ("A spider as big as a cart drops from the rafters.", "crosses this table's line “spiders”"),
        ("The jailer tortures the prisoner in the cellar.", "“torture”, which this table keeps off-screen"),
    ):
        posted_before = len(dm_voices(s))
        asked = await s.run("dm narrate", {"text": text}, user="dungeonmaster")
        assert asked.ephemeral and told in asked.content and "Nothing is posted yet" in asked.content, asked.content
        assert len(dm_voices(s)) == posted_before  # not posted
        assert asked.original is not None
        cancelled = await (await s.discord.click(asked.original, "dm:cancel", user_id=dm)).done(5)
        assert cancelled.source_message is not None and "nothing changed" in cancelled.source_message.content
        assert len(dm_voices(s)) == posted_before
        asked = await s.run("dm narrate", {"text": text}, user="dungeonmaster")
        assert asked.original is not None
        posted = await (await s.discord.click(asked.original, "dm:confirm", user_id=dm)).done(5)
        await posted.wait_for(lambda h: len(h.messages) > 1, timeout=5)  # the note, then the public post
        assert dm_voices(s)[-1] == text  # the DM's word stands, as written
    assert len(dm_voices(s)) == 3
    recap = (await s.run("recap", user="alice")).text
    assert "spider as big as a cart" in recap  # posted narration is canon like any other
    scene = {"text": "Cobwebs choke the crypt; something skitters above.", "location": "The Crypt"}
    asked = await s.run("dm scene", scene, user="dungeonmaster")
    assert asked.ephemeral and "Your scene crosses this table's line “spiders”" in asked.content, asked.content
    assert asked.original is not None
    posted = await (await s.discord.click(asked.original, "dm:confirm", user_id=dm)).done(5)
    await posted.wait_for(lambda h: len(h.messages) > 1, timeout=5)
    assert "Cobwebs choke the crypt" in posted.messages[-1].embeds[0]["description"]


# --- the LLM narrator (the real openai client, scripted replies) ---------------------------------------


@pytest.fixture
async def llm() -> AsyncIterator[LocalLLM]:
    async with LocalLLM() as server:
        yield server


@pytest.fixture
async def llm_table(postgres_url: str, redis_url: str, key_prefix: str, llm: LocalLLM) -> AsyncIterator[SandboxSession]:
    async with table_of(postgres_url, redis_url, key_prefix, llm, "tools") as session:  # the one-loop turn
        yield session


@pytest.fixture
async def two_phase_table(
    postgres_url: str, redis_url: str, key_prefix: str, llm: LocalLLM
) -> AsyncIterator[SandboxSession]:
    async with table_of(postgres_url, redis_url, key_prefix, llm, "json_schema") as session:
        yield session


@asynccontextmanager
async def table_of(
    postgres_url: str, redis_url: str, key_prefix: str, llm: LocalLLM, mode: str
) -> AsyncIterator[SandboxSession]:
    settings = isolated_settings(
        postgres_url,
        redis_url=redis_url,
        rate_redis_key_prefix=key_prefix,
        openai_api_key="sk-local",
        openai_base_url=llm.base_url,
        openai_model="local-model",
        openai_max_retries=0,
        narration_edit_interval_seconds=0.01,  # nearly every chunk an edit: anything let through would show
        narrator_breaker_failures=1000,
        daily_token_budget=10_000_000,  # the host's ceiling: a server's admins may only lower it
        narrator_decision_mode=mode,
    )
    async with running_bot(settings, rng=random.Random(11)) as session:
        # the database lives for the run: an earlier test may have left this guild a small budget
        await session.services.campaign.usage.set_budget(session.world.guild.id, 10_000_000)
        await seat(session)
        llm.reset()
        yield session
        session.discord.assert_no_violations()
        async with session.services.db.transaction() as tx:
            query = update(Campaign).where(Campaign.guild_id == session.world.guild.id)
            await tx.execute(query.values(status="ended"))


def replying(text: str) -> Any:
    def responder(body: dict[str, Any]) -> Reply:
        return Reply(text=text, chunk_size=3)

    return responder


@pytest.mark.postgres
@pytest.mark.redis
async def test_the_llm_narrator_never_shows_a_line_and_fades_a_veil(llm_table: SandboxSession, llm: LocalLLM) -> None:
    s = llm_table
    llm.responder = replying("The wind moves through the vale.")
    await check_lines_are_refused(s)
    assert not llm.requests  # a line's action never reached the model
    opening = "You step into the cellar. The air is cold. "
    for reply in LINE_REPLIES:
        llm.responder = replying(opening + reply + " Then silence.")
        handle = await narrate(s, "I look around the cellar")
        texts = shown_texts(handle)
        assert not [t for t in texts if LINE_WORDS.search(t)], (reply, texts)  # not for a single edit
        story = handle.messages[0].content
        assert WITHDRAWN in story and TURNED_ASIDE in story and "Then silence" not in story, (reply, story)
    for reply in VEIL_REPLIES:
        llm.responder = replying(opening + reply + " Later, you climb back up.")
        handle = await narrate(s, "I question the prisoner")
        texts = shown_texts(handle)
        assert not [t for t in texts if VEIL_WORDS.search(t)], (reply, texts)
        story = handle.messages[0].content
        assert "fades to black" in story and "The air is cold." in story and "climb back up" in story, story
    for action in VEIL_ACTIONS[:3]:  # a veiled action: the model is told, and its telling fades
        llm.responder = replying("You torture the prisoner until he talks. He names the cult's leader.")
        handle = await narrate(s, action)
        assert not [t for t in shown_texts(handle) if VEIL_WORDS.search(t)]
        assert "He names the cult's leader." in handle.messages[0].content
    for near in NEAR_MISSES:
        llm.responder = replying(f"{near.replace('I ', 'You ', 1)}. Nothing else stirs.")
        handle = await narrate(s, near)
        story = handle.messages[0].content
        assert "Nothing else stirs." in story and FADE not in story and WITHDRAWN not in story, (near, story)
    recap = (await s.run("recap", user="alice")).text
    assert not [r for r in LINE_REPLIES if r.split(". ")[-1][:25] in recap], recap  # withdrawn replies: not logged
    assert not VEIL_WORDS.search(recap), recap


@pytest.mark.postgres
@pytest.mark.redis
async def test_the_llm_narrators_tool_calls_keep_to_the_lines_and_veils(
    llm_table: SandboxSession, llm: LocalLLM
) -> None:
    """What a tool call says is shown too (an NPC's description, a check's reason in the trace and the log):
    a call whose text crosses a line is refused, a veiled phrase in it is shown as off-screen."""
    s = llm_table
    npc = {"name": "Old Grell", "role": "jailer", "description": "He beats the orphan boys in the cellar."}
    check = {"character": "Mira", "skill_or_ability": "intimidation", "dc": 12, "reason": "she tortures the cultist"}

    def responder(body: dict[str, Any]) -> Reply:
        if any(m["role"] == "tool" for m in body["messages"][-3:]):
            return Reply(text="The cultist talks at last.", chunk_size=4)
        return Reply(tool_calls=[ToolCall("introduce_npc", npc), ToolCall("request_check", check)])

    llm.responder = responder
    handle = await narrate(s, "I lean on the captured cultist")
    assert finished(handle)
    texts = shown_texts(handle)
    assert not [t for t in texts if LINE_WORDS.search(t) or VEIL_WORDS.search(t)], texts
    assert "Intimidation check vs DC 12" in handle.text and "1 proposal refused" in handle.text, handle.text
    assert "Old Grell" not in handle.text  # the NPC's call was refused, not one word of it shown
    refused = [m for r in llm.requests for m in r.messages if m["role"] == "tool" and "lines" in m["content"]]
    assert refused and "orphan" not in refused[0]["content"]  # the model is told why, without the words
    recap = (await s.run("recap", user="alice")).text
    assert not LINE_WORDS.search(recap) and not VEIL_WORDS.search(recap), recap
    assert "(off-screen)" in recap  # the check's reason, as the log keeps it


def two_phase(story: str) -> Any:
    """The decision call gets an empty decision (a JSON object), the story call `story` in small chunks."""

    def responder(body: dict[str, Any]) -> Reply:
        if "DECISION STEP" in str(body["messages"][-1]["content"]):
            return Reply(text=json.dumps({"checks": [], "calls": []}))
        return Reply(text=story, chunk_size=3)

    return responder


@pytest.mark.postgres
@pytest.mark.redis
async def test_the_two_phase_story_is_held_back_against_the_lines_and_veils(
    two_phase_table: SandboxSession, llm: LocalLLM
) -> None:
    """The two-phase turn's story call (the decision first, then the prose with no tools) passes through the
    same sentence-by-sentence hold-back as the one-loop turn: a line withdraws the reply before any of it
    shows, a veil fades to black."""
    s = two_phase_table
    opening = "You step into the cellar. The air is cold. "
    for reply in LINE_REPLIES[:4]:
        llm.reset()
        llm.responder = two_phase(opening + reply + " Then silence.")
        handle = await narrate(s, "I look around the cellar")
        assert len(llm.requests) == 2 and "response_format" in llm.requests[0].body  # two phases were played
        texts = shown_texts(handle)
        assert not [t for t in texts if LINE_WORDS.search(t)], (reply, texts)  # not for a single edit
        story = handle.messages[0].content
        assert WITHDRAWN in story and TURNED_ASIDE in story and "Then silence" not in story, (reply, story)
    for reply in VEIL_REPLIES[:2]:
        llm.reset()
        llm.responder = two_phase(opening + reply + " Later, you climb back up.")
        handle = await narrate(s, "I question the prisoner")
        assert not [t for t in shown_texts(handle) if VEIL_WORDS.search(t)], reply
        story = handle.messages[0].content
        assert "fades to black" in story and "The air is cold." in story and "climb back up" in story, story
    recap = (await s.run("recap", user="alice")).text
    assert not LINE_WORDS.search(recap) and not VEIL_WORDS.search(recap), recap
