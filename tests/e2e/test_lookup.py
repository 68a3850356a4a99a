"""`/lookup` end to end: every SRD spell, monster, magic item and condition through the real command in
the local Discord, each reply within Discord's embed limits; autocomplete, privacy and the Post button."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.data.srd import load_srd
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot

BATCH = 25  # commands in flight at once: the walk takes seconds, not minutes
WALK_SECONDS = 60


@pytest.fixture
async def session(sqlite_url: str) -> AsyncIterator[SandboxSession]:
    """The embedded defaults, with room in the rate limit for a thousand lookups by one user."""
    settings = isolated_settings(sqlite_url, rate_user_capacity=5000, rate_guild_capacity=50000)
    async with running_bot(settings, rng=random.Random(22)) as running:
        yield running
        running.discord.assert_no_violations()


def within_limits(embed: dict[str, Any]) -> None:
    fields = embed.get("fields", [])
    footer = embed.get("footer", {}).get("text", "")
    assert len(embed.get("title", "")) <= 256 and len(embed.get("description") or "") <= 4096
    assert len(fields) <= 25 and len(footer) <= 2048
    assert all(len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024 for f in fields)
    total = len(embed.get("title", "")) + len(embed.get("description") or "") + len(footer)
    total += sum(len(f["name"]) + len(f["value"]) for f in fields)
    assert total <= 6000


async def look_up(session: SandboxSession, command: str, index: str) -> dict[str, Any]:
    handle = await session.run(f"lookup {command}", {"name": index}, timeout=30)
    [message] = handle.messages
    assert handle.ephemeral and len(message.embeds) == 1, (command, index, message.content)
    embed = dict(message.embeds[0])
    within_limits(embed)
    return embed


async def test_every_spell_monster_magic_item_and_condition_fits(session: SandboxSession) -> None:
    srd = load_srd()
    jobs = [("spell", s.index, s.name) for s in srd.data.spells]
    jobs += [("monster", m.index, m.name) for m in srd.data.monsters]
    jobs += [("magic-item", i.index, i.name) for i in srd.data.magic_items]
    jobs += [("condition", c.index, c.name) for c in srd.data.conditions]
    assert len(jobs) == 319 + 334 + 362 + 15
    started = time.monotonic()
    for start in range(0, len(jobs), BATCH):
        batch = jobs[start : start + BATCH]
        embeds = await asyncio.gather(*(look_up(session, command, index) for command, index, _ in batch))
        for (command, index, name), embed in zip(batch, embeds, strict=True):
            assert name in embed["title"], (command, index)
            assert "…" != (embed.get("fields") or [{"name": ""}])[-1]["name"], f"{index} lost parts to the limits"
    assert time.monotonic() - started < WALK_SECONDS


async def test_spell_and_monster_facts(session: SandboxSession) -> None:
    fireball = await look_up(session, "spell", "Fireball")
    fields = {f["name"]: f["value"] for f in fireball["fields"]}
    assert fireball["description"] == "3rd-level evocation"
    assert fields["Damage fire by slot"].startswith("3rd 8d6 · 4th 9d6")
    assert fields["Save"] == "DEX, half damage on a success" and fields["Area"] == "20-ft sphere"
    assert fields["Components"] == "V, S, M" and fields["Automation"].startswith("⚙️ full")
    revivify = {f["name"]: f["value"] for f in (await look_up(session, "spell", "revivify"))["fields"]}
    assert revivify["Components"] == "V, S, M (material worth 300 gp, consumed)"
    goblin = await look_up(session, "monster", "goblin")
    text = " ".join(f"{f['name']} {f['value']}" for f in goblin["fields"])
    assert "CR 1/4 (50 XP)" in goblin["description"]
    assert "**Scimitar** · +4 to hit · 1d6+2 slashing" in text and "Hit points 7 (2d6)" in text
    mage = {f["name"]: f["value"] for f in (await look_up(session, "monster", "mage"))["fields"]}
    assert mage["Spellcasting"].startswith("INT · DC 14 · +6 to hit · 9th-level caster\nSlots: 1st 4 · 2nd 3")
    assert "Cantrips: Fire Bolt, Light, Mage Hand, Prestidigitation" in mage["Spellcasting"]
    assert "5th: Cone of Cold" in mage["Spellcasting"]
    rakshasa = {f["name"]: f["value"] for f in (await look_up(session, "monster", "rakshasa"))["fields"]}
    assert "At will: Detect Thoughts, Disguise Self, Mage Hand, Minor Illusion" in rakshasa["Spellcasting"]
    assert "1/day: Dominate Person, Fly, Plane Shift, True Seeing" in rakshasa["Spellcasting"]
    prone = {f["name"]: f["value"] for f in (await look_up(session, "condition", "prone"))["fields"]}
    assert "**Its attack rolls**: disadvantage" in prone["Effects"]


async def test_other_kinds_autocomplete_and_posting(session: SandboxSession) -> None:
    for command, name in (
        ("item", "Longsword"),
        ("class", "Wizard"),
        ("race", "Dwarf"),
        ("feat", "Grappler"),
        ("rule", "Resting"),
    ):
        embed = await look_up(session, command, name)
        assert name in embed["title"]
    uid = session.user_id("alice")
    choices = await session.discord.autocomplete("lookup spell", {"name": "fire"}, "name", user_id=uid)
    assert 0 < len(choices) <= 25 and choices[0]["name"] == "Fire Bolt"
    every = await session.discord.autocomplete("lookup monster", {"name": ""}, "name", user_id=uid)
    assert len(every) == 25 and all(1 <= len(c["name"]) <= 100 for c in every)
    unknown = await session.run("lookup spell", {"name": "Fireballz"})
    assert "is not an SRD spell" in unknown.messages[-1].content and "Fireball" in unknown.messages[-1].content
    private = await session.run("lookup monster", {"name": "goblin"})
    message = private.messages[-1]
    button = next(c["custom_id"] for c in message.iter_components() if c.get("label") == "Post to channel")
    posted = await (await session.discord.click(message, button, user_id=uid)).done()
    assert not posted.ephemeral and posted.messages[-1].embeds[0]["title"] == "👹 Goblin"
    public = await session.run("lookup condition", {"name": "stunned", "public": True})
    assert not public.ephemeral
