"""Campaign, session, recap and DM commands end to end, on the embedded defaults (SQLite, offline narrator)."""

from __future__ import annotations

import json

from bot.sandbox.interactions import InteractionHandle
from bot.testbed.harness import SandboxSession


def embed(handle: InteractionHandle) -> dict[str, object]:
    return dict(handle.messages[-1].embeds[0])


async def turn(session: SandboxSession, action: str, user: str = "alice") -> InteractionHandle:
    handle = await session.invoke("narrate", {"action": action}, user=user)
    await handle.wait_for(
        lambda h: any(e.get("title") == "🎲 What the dice said" for m in h.messages for e in m.embeds), timeout=10
    )
    return handle


async def test_a_campaign_from_creation_to_export(sqlite_session: SandboxSession) -> None:
    s = sqlite_session
    await s.make_character("alice", "Mira", race="human")
    created = await s.run("campaign create", {"name": "The @everyone Crypt", "tone": "grim"}, user="dungeonmaster")
    assert "The @\u200beveryone Crypt begins" in str(embed(created)["title"]) and not created.ephemeral
    assert not created.messages[-1].pinged_user_ids  # the DM is named, not pinged
    twice = await s.run("campaign create", {"name": "Again"}, user="bob")
    assert twice.ephemeral and "already has a campaign" in twice.content
    joined = await s.run("campaign join", user="alice")
    assert "**Mira** joins" in joined.content
    nobody = await s.run("campaign join", user="bob")
    assert nobody.ephemeral and "no active character" in nobody.content
    listed = await s.run("campaign list", user="bob")
    assert "The @\u200beveryone Crypt" in str(embed(listed)["description"])
    info = await s.run("campaign info", user="bob")
    party = next(f for f in embed(info)["fields"] if f["name"] == "Party")  # type: ignore[attr-defined]
    assert "**Mira**" in party["value"] and "HP 12/12" in party["value"]

    start = await s.run("session start", user="dungeonmaster")
    assert "Session 1 begins" in str(embed(start)["title"])
    scene = await s.run("dm scene", {"text": "A flooded crypt; water to the knees."}, user="dungeonmaster")
    assert embed(scene)["title"] == "🗺️ A flooded crypt"
    voice = await s.run("dm narrate", {"text": "The bells toll thirteen times."}, user="dungeonmaster")
    assert embed(voice)["description"] == "The bells toll thirteen times."
    handle = await turn(s, "I search the altar for runes")
    assert "Investigation check" in str(handle.messages[-1].embeds[0]["description"])
    recap = await s.run("recap", user="bob")
    assert "thirteen times" in str(embed(recap)["description"]) and "Investigation check" in str(embed(recap))
    end = await s.run("session end", user="dungeonmaster")
    assert "Session 1 ends" in str(embed(end)["title"])
    attended = next(f for f in embed(end)["fields"] if f["name"] == "Attended")  # type: ignore[attr-defined]
    assert attended["value"] == "Mira"
    again = await s.run("session start", user="dungeonmaster")
    assert "Investigation check" in str(embed(again)["description"])  # "previously…" is the last session

    export = await s.run("campaign export", user="bob")
    assert export.ephemeral
    files = {a.filename: a.data for a in export.messages[-1].attachments}
    markdown = files["the-everyone-crypt.md"].decode()
    data = json.loads(files["the-everyone-crypt.json"])
    assert markdown.startswith("# The @everyone Crypt") and "## Event log" in markdown
    assert [e["kind"] for e in data["events"]][:2] == ["campaign", "join"]
    assert data["party"][0]["name"] == "Mira"

    left = await s.run("campaign leave", user="alice")
    assert "leaves" in left.content
    stranger = await s.run("narrate", {"action": "I wait"}, user="alice")
    assert stranger.ephemeral and "no character in" in stranger.content


async def test_the_dm_controls_and_who_may_use_them(sqlite_session: SandboxSession) -> None:
    s = sqlite_session
    await s.make_character("alice", "Mira", race="human")
    await s.run("campaign create", {"name": "Saltmarsh"}, user="dungeonmaster")
    await s.run("campaign join", user="alice")
    for command, options in (
        ("dm scene", {"text": "A beach"}),
        ("dm retcon", {}),
        ("dm settings", {}),
        ("dm canon", {}),
        ("session start", {}),
        ("dm pending", {}),
        ("campaign safety", {"lines": "spiders"}),
    ):
        refused = await s.run(command, options, user="alice")
        assert refused.ephemeral and "Only the DM of Saltmarsh" in refused.content, command

    pinned = await s.run("dm pin", {"fact": "Brother Aldous leads the cult."}, user="dungeonmaster")
    assert pinned.ephemeral and "Canon fact 1 pinned" in pinned.content
    listed = await s.run("dm canon", user="dungeonmaster")
    assert "Brother Aldous leads the cult." in str(embed(listed)["description"])
    gone = await s.run("dm unpin", {"number": 2}, user="dungeonmaster")
    assert gone.ephemeral and "no canon fact 2" in gone.content
    unpinned = await s.run("dm unpin", {"number": 1}, user="dungeonmaster")
    assert "Canon fact 1 removed" in unpinned.content

    safety = await s.run(
        "campaign safety", {"lines": "spiders; harm to children", "veils": "torture"}, user="dungeonmaster"
    )
    fields = {f["name"]: f["value"] for f in embed(safety)["fields"]}  # type: ignore[attr-defined]
    assert fields == {"Lines": "• spiders\n• harm to children", "Veils": "• torture"}
    seen = await s.run("campaign safety", user="alice")
    assert seen.ephemeral and "spiders" in str(embed(seen))

    settings = await s.run(
        "dm settings", {"content_rating": "family", "approval_bound": 3, "persona": "A bard."}, user="dungeonmaster"
    )
    text = str(embed(settings)["description"])
    assert "family" in text and "**3**" in text and "A bard." in text
    bad_model = await s.run("dm settings", {"model": "gpt-9-ultra"}, user="dungeonmaster")
    assert bad_model.ephemeral and "allows these models" in bad_model.content

    nothing = await s.run("dm approve", user="dungeonmaster")
    assert "Nothing is waiting" in nothing.content
    handle = await turn(s, "I look around")
    retcon = await s.run("dm retcon", user="dungeonmaster")
    assert "is retconned" in str(embed(retcon)["title"])
    recap = await s.run("recap", user="alice")
    assert "I look around" not in str(embed(recap)) and handle.messages
    none_left = await s.run("dm retcon", user="dungeonmaster")
    assert "no turn to undo" in none_left.content
