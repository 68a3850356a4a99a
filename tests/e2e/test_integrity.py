"""The table's rules hold against every player, through the local Discord: what a player's own commands may
change inside a running campaign, who a campaign's fight may hold, names unique within a campaign, and the
host's daily token budget as a ceiling a server's admins may lower but not raise."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import update

from bot.engine.characters import CharacterRef
from bot.engine.creation import Choices
from bot.engine.sheet import Actor
from bot.errors import InvalidInput
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from persistence.models import Campaign, Combat, Guild

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

HOST_BUDGET = 50_000


@pytest.fixture
async def session(postgres_url: str, redis_url: str, key_prefix: str) -> AsyncIterator[SandboxSession]:
    settings = isolated_settings(
        postgres_url, redis_url=redis_url, rate_redis_key_prefix=key_prefix, daily_token_budget=HOST_BUDGET
    )
    async with running_bot(settings, rng=random.Random(11)) as running:
        yield running
        running.discord.assert_no_violations()
        async with running.services.db.transaction() as db:
            await db.execute(update(Combat).where(Combat.status == "active").values(status="ended"))
            await db.execute(update(Campaign).where(Campaign.status != "ended").values(status="ended"))


async def test_a_server_admin_may_lower_the_hosts_daily_budget_but_not_raise_it(session: SandboxSession) -> None:
    guild = session.world.guild.id
    async with session.services.db.transaction() as db:  # sandbox guild ids repeat: another test's budget goes
        await db.execute(update(Guild).where(Guild.id == guild).values(settings={}))
    raised = await session.run("admin budget", {"tokens": 1_000_000_000}, user="admin")
    assert raised.ephemeral and "the most this bot's host allows a server" in raised.content, raised.content
    through_settings = await session.run("admin settings", {"daily_tokens": HOST_BUDGET + 1}, user="admin")
    assert "DAILY_TOKEN_BUDGET" in through_settings.content, through_settings.content
    assert await session.services.campaign.usage.budget(guild) == HOST_BUDGET
    lowered = await session.run("admin budget", {"tokens": 1_000}, user="admin")
    assert "1,000 tokens a day" in lowered.content
    assert await session.services.campaign.usage.budget(guild) == 1_000
    async with session.services.db.transaction() as db:  # stored before the ceiling (or before the host lowered it)
        await db.execute(update(Guild).where(Guild.id == guild).values(settings={"daily_token_budget": 10**9}))
    assert await session.services.campaign.usage.budget(guild) == HOST_BUDGET
    allowance = await session.services.campaign.usage.allowance(guild, HOST_BUDGET + 1)
    assert not allowance.allowed


DM = "dungeonmaster"


async def seated(session: SandboxSession) -> tuple[Actor, Actor]:
    """A campaign in #tavern run by the DM, Mira (Alice's) in its party; the actors of the DM and Alice."""
    guild, channel = session.world.guild.id, session.channel_id()
    await session.make_character("alice", "Mira")
    await session.run("campaign create", {"name": "The Honest Table"}, user=DM)
    joined = await session.run("campaign join", user="alice")
    assert "joins" in joined.content, joined.content
    return Actor(session.user_id(DM), guild, channel), Actor(session.user_id("alice"), guild, channel)


async def characters(session: SandboxSession, user: str, *names: str) -> Actor:
    """The user's characters here are these (earlier tests' ones deleted), the last one active."""
    actor = Actor(session.user_id(user), session.world.guild.id, session.channel_id())
    service = session.services.characters
    for old in await service.list_characters(actor):
        await service.delete(actor, old.name)
    for name in names:
        draft = await service.start_draft(
            actor, name=name, race="human", klass="fighter", background="acolyte", method="standard"
        )
        await service.create(actor, draft, Choices(skills=("athletics", "perception")))
    return actor


async def fight(session: SandboxSession) -> None:
    await session.run("dm-combat start", user=DM)
    await session.run("dm-combat add", {"monster": "goblin", "count": 1}, user=DM)


async def test_a_players_own_gains_follow_the_tables_rules(session: SandboxSession) -> None:
    dm, alice = await seated(session)
    await session.services.characters.set_condition(
        dm, CharacterRef(name="Mira", owner_id=alice.user_id), "poisoned", add=True
    )
    await fight(session)
    await session.run("combat join", user="alice")
    refusals = {
        "rest": await session.run("character rest", {"kind": "long"}, user="alice"),
        "condition": await session.run(
            "character condition", {"action": "remove", "condition": "poisoned"}, user="alice"
        ),
        "item": await session.run("character inventory", {"action": "add", "item": "plate armor"}, user="alice"),
        "coins": await session.run("character inventory", {"action": "coins", "pp": 1_000_000}, user="alice"),
    }
    for what, handle in refusals.items():
        assert handle.ephemeral and "Mira is in a fight" in handle.content, (what, handle.content)
    sheet = await session.services.characters.get(alice)
    assert [c.name for c in sheet.conditions] == ["poisoned"] and sheet.coins.get("pp", 0) == 0
    spent = await session.run("character inventory", {"action": "coins", "gp": -1}, user="alice")
    assert "Mira is in a fight" not in spent.content  # spending is no gain
    await session.run("dm-combat end", user=DM)
    rested = await session.run("character rest", {"kind": "long"}, user="alice")
    assert "Mira is in a fight" not in rested.content and not rested.content.startswith("In "), rested.content
    item = await session.run("character inventory", {"action": "add", "item": "plate armor"}, user="alice")
    assert item.ephemeral and "Asked the DM: 1 × Plate Armor for Mira" in item.content, item.content
    lifted = await session.run("character condition", {"action": "remove", "condition": "poisoned"}, user="alice")
    assert "Asked the DM: end poisoned for Mira" in lifted.content, lifted.content
    sheet = await session.services.characters.get(alice)
    assert sheet.carried("plate-armor") is None and [c.name for c in sheet.conditions] == ["poisoned"]
    approved = await session.run("dm approve", user=DM)  # the oldest waiting change: the armour
    assert "Plate Armor" in approved.text, approved.text
    await session.run("dm deny", user=DM)  # the poison stays
    sheet = await session.services.characters.get(alice)
    assert sheet.carried("plate-armor") is not None and [c.name for c in sheet.conditions] == ["poisoned"]
    coins = await session.run("character inventory", {"action": "coins", "pp": 5}, user="alice")
    assert "coins come from the story" in coins.content
    await session.run("dm settings", {"auto_approve": True}, user=DM)  # the DM lets the table run itself
    item = await session.run("character inventory", {"action": "add", "item": "torch"}, user="alice")
    assert "come from the story" not in item.content, item.content
    await session.run("campaign leave", user="alice")  # outside a campaign, the sheet is the player's own
    await session.run("dm settings", {"auto_approve": False}, user=DM)
    coins = await session.run("character inventory", {"action": "coins", "pp": 5}, user="alice")
    assert "come from the story" not in coins.content
    # The DM's own commands on the same sheet are the table's rules, not held by them.
    await session.run("campaign join", user="alice")
    award = await session.run("dm award item", {"target": "Mira", "item": "torch"}, user=DM)
    assert "come from the story" not in award.text, award.text


async def test_leaving_or_being_kicked_takes_the_character_out_of_the_campaigns_fight(session: SandboxSession) -> None:
    dm, _ = await seated(session)
    bob = await characters(session, "bob", "Bram")
    await session.run("campaign join", user="bob")
    await fight(session)
    await session.run("combat join", user="alice")
    await session.run("combat join", user="bob")
    await session.run("campaign leave", user="alice")
    status = await session.run("combat status", user=DM)
    assert "Mira" not in status.text and "Bram" in status.text, status.text
    await session.services.table.kick(dm, bob.user_id)
    status = await session.run("combat status", user=DM)
    assert "Bram" not in status.text and "Goblin" in status.text, status.text


async def test_names_are_unique_within_a_campaign(session: SandboxSession) -> None:
    _, alice = await seated(session)
    bob = await characters(session, "bob", "Mira", "Bram")
    twin = await session.run("campaign join", {"character": "Mira"}, user="bob")
    assert twin.ephemeral and "already called Mira" in twin.content, twin.content
    joined = await session.run("campaign join", {"character": "Bram"}, user="bob")
    assert "Bram" in joined.content and "joins" in joined.content
    with pytest.raises(InvalidInput, match=r"(?i)already called bram"):  # Alice renames Mira after Bob's Bram
        await session.services.characters.edit(alice, CharacterRef(name="Mira"), name="bram")
    # Outside the campaign the same name is fine: names are unique per player, and per party.
    await session.services.characters.edit(bob, CharacterRef(name="Mira"), name="Mira the Elder")


async def test_only_the_party_joins_a_campaigns_fight_with_its_campaign_character(session: SandboxSession) -> None:
    _, alice = await seated(session)
    await characters(session, "carol", "Stranger")
    # Alice's active character is another one now; the campaign's is still Mira.
    draft = await session.services.characters.start_draft(
        alice, name="Spare", race="human", klass="fighter", background="acolyte", method="standard"
    )
    await session.services.characters.create(alice, draft, Choices(skills=("athletics", "perception")))
    assert (await session.services.characters.get(alice)).name == "Spare"
    await fight(session)
    stranger = await session.run("combat join", user="carol")
    assert stranger.ephemeral and "no character in this campaign's party" in stranger.content, stranger.content
    named = await session.run("combat join", {"name": "Stranger"}, user="carol")
    assert named.ephemeral and "not in this campaign's party" in named.content, named.content
    spare = await session.run("combat join", {"name": "Spare"}, user="alice")
    assert "not in this campaign's party" in spare.content
    joined = await session.run("combat join", user="alice")
    assert "Mira" in joined.text and "Spare" not in joined.text, joined.text
