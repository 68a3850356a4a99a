"""Homebrew through the local Discord: a DM's monster from an attached JSON file fights in the tracker with its
own actions; items, spells and feats are stored and shown; clear errors; export and import between scopes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import delete

from bot import help_catalog as catalog
from bot.sandbox.commandline import parse
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.messages import File
from bot.testbed.harness import SandboxSession
from persistence.models import HomebrewEntry

if TYPE_CHECKING:
    from conftest import PartyCampaign

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
CHANNEL = "bog"
DM = "dungeonmaster"


def read(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()  # small files, read once


@pytest.fixture
async def bog(session: SandboxSession, campaign_with_party: PartyCampaign) -> AsyncIterator[SandboxSession]:
    guild = session.world.guild
    channel = f"{CHANNEL}-{len(guild.channels)}"
    async with campaign_with_party(channel, "The Bog", (("alice", "Tordek", "fighter", "dwarf"),)):
        session.extras = {"channel": channel}  # type: ignore[attr-defined]
        yield session
    async with session.services.db.transaction() as db:
        await db.execute(delete(HomebrewEntry).where(HomebrewEntry.guild_id == guild.id))


async def run(
    s: SandboxSession, command: str, options: dict[str, object] | None = None, user: str = DM
) -> InteractionHandle:
    return await s.run(command, options, user=user, channel=s.extras["channel"], timeout=10)  # type: ignore[attr-defined]


async def test_a_homebrew_monster_fights_in_the_tracker_with_its_own_actions(bog: SandboxSession) -> None:
    added = await run(bog, "homebrew add", {"file": File("bog-hag.json", read("bog-hag.json"))})
    assert "1 homebrew added to this campaign" in added.text and "monster: **Bog Hag**" in added.text
    shown = await run(bog, "homebrew show", {"name": "Bog Hag"})
    assert "AC 15 · HP 52 (8d8+16) · CR 3" in shown.text and "Claws: +5 to hit, 2d6+3 slashing" in shown.text
    offered = await bog.discord.autocomplete(
        "dm-combat add",
        {"monster": "bog"},
        "monster",
        user_id=bog.user_id(DM),
        channel_id=bog.channel_id(bog.extras["channel"]),  # type: ignore[attr-defined]
    )
    assert {"name": "Bog Hag (homebrew)", "value": "Bog Hag"} in offered

    await run(bog, "dm-combat start")
    joined = await run(bog, "dm-combat add", {"monster": "Bog Hag"})
    assert "Bog Hag joins" in joined.text and "52" in joined.text  # the homebrew's average HP
    await run(bog, "combat join", user="alice")
    claws = await run(bog, "dm-combat act", {"monster": "Bog Hag", "action": "Claws", "target": "Tordek"})
    assert "Bog Hag → Tordek: Claws" in claws.text and "1d20 (" in claws.text and ") + 5 = " in claws.text
    both = await run(bog, "dm-combat act", {"monster": "Bog Hag", "action": "Multiattack", "target": "Tordek"})
    assert both.text.count("Bog Hag → Tordek: Claws") == 2  # its own Multiattack: Claws twice
    breath = await run(bog, "dm-combat act", {"monster": "Bog Hag", "action": "Mire Breath", "target": "Tordek"})
    assert "DC 13" in breath.text and "Constitution" in breath.text
    stats = await run(bog, "stats campaign")
    assert "**Bog Hag**: " in stats.text  # the fight's outcomes count the homebrew monster too


async def test_items_spells_and_feats_are_kept_and_shown(bog: SandboxSession) -> None:
    added = await run(bog, "homebrew add", {"file": File("kit.json", read("homebrew-kit.json"))})
    assert "5 homebrew added" in added.text
    listed = await run(bog, "homebrew list", {"kind": "item"})
    assert "Thornblade" in listed.text and "Mud Grasp" not in listed.text
    blade = await run(bog, "homebrew show", {"name": "Thornblade"})
    assert "weapon · uncommon · 1d8 slashing + 1d4 poison · +1 to hit" in blade.text
    spell = await run(bog, "homebrew show", {"name": "Mud Grasp"})
    assert "level 1 conjuration (concentration)" in spell.text


async def test_clear_errors_and_who_may_add(bog: SandboxSession) -> None:
    hag = json.loads(read("bog-hag.json"))
    bad_dice = {
        **hag,
        "actions": [{"name": "Bite", "attack_bonus": 4, "damage": [{"dice": "2d6+x", "type": "piercing"}]}],
    }
    refused = await run(bog, "homebrew add", {"file": File("bad.json", json.dumps(bad_dice).encode())})
    assert refused.ephemeral and "`actions/0/damage/0/dice`" in refused.text
    no_kind = await run(bog, "homebrew add", {"file": File("x.json", b'{"name": "Blob"}')})
    assert 'needs `"kind"`' in no_kind.text
    no_hit = {**hag, "actions": [{"name": "Glare", "damage": [{"dice": "1d4", "type": "psychic"}]}]}
    glare = await run(bog, "homebrew add", {"file": File("g.json", json.dumps(no_hit).encode())})
    assert "needs an `attack_bonus` or a `save`" in glare.text
    player = await run(bog, "homebrew add", {"file": File("bog-hag.json", read("bog-hag.json"))}, user="alice")
    assert "Only this campaign's DM changes its homebrew" in player.text
    server = await run(bog, "homebrew add", {"file": File("bog-hag.json", read("bog-hag.json")), "scope": "server"})
    assert "Only members with Manage Server" in server.text
    await run(bog, "homebrew add", {"file": File("bog-hag.json", read("bog-hag.json"))})
    twice = await run(bog, "homebrew add", {"file": File("bog-hag.json", read("bog-hag.json"))})
    assert "is taken by homebrew of the same kind here" in twice.text


async def test_export_then_import_into_another_scope(bog: SandboxSession) -> None:
    await run(bog, "homebrew add", {"file": File("kit.json", read("homebrew-kit.json"))})
    exported = await run(bog, "homebrew export")
    [bundle] = exported.messages[-1].attachments
    assert json.loads(bundle.data)["format"] == "dmbot-homebrew" and len(json.loads(bundle.data)["entries"]) == 5
    imported = await run(
        bog, "homebrew add", {"file": File(bundle.filename, bundle.data), "scope": "server"}, user="admin"
    )
    assert "5 homebrew added to this server" in imported.text
    listed = await run(bog, "homebrew list", user="alice")
    assert listed.text.count("Thornblade") == 2  # the campaign's and the server's
    removed = await run(bog, "homebrew remove", {"name": "Thornblade"})
    assert "Removed the item Thornblade" in removed.text  # the campaign's goes first


async def test_the_help_examples_of_homebrew_run(bog: SandboxSession, monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalog's (and so the DM guide's) /homebrew examples, typed as in `dmbot play`, in their order."""
    monkeypatch.chdir(EXAMPLES)  # `file:bog-hag.json` is a path, as the terminal reads it
    order = ("homebrew add", "homebrew list", "homebrew show", "homebrew export", "homebrew remove")
    examples = {e.command: e.example for e in catalog.CATALOG if e.topic == "homebrew"}
    assert set(examples) == {*order, "homebrew monster"}
    form = await run(bog, parse(examples["homebrew monster"], bog.discord.commands()).path)
    assert form.callback is not None and form.callback.modal["title"] == "A homebrew monster"
    for command in order:
        parsed = parse(examples[command], bog.discord.commands())
        handle = await run(bog, parsed.path, parsed.options)
        assert "⚠️" not in handle.text and "Bog Hag" in handle.text + str(handle.messages[-1].attachments), command


async def test_lookup_shows_homebrew_like_srd_entries(bog: SandboxSession) -> None:
    await run(bog, "homebrew add", {"file": File("bog-hag.json", read("bog-hag.json"))})
    await run(bog, "homebrew add", {"file": File("kit.json", read("homebrew-kit.json"))})
    channel = bog.channel_id(bog.extras["channel"])  # type: ignore[attr-defined]
    offered = await bog.discord.autocomplete(
        "lookup monster", {"name": "bog"}, "name", user_id=bog.user_id("alice"), channel_id=channel
    )
    assert offered[0] == {"name": "Bog Hag (homebrew)", "value": "Bog Hag"}
    block = await run(bog, "lookup monster", {"name": "Bog Hag"}, user="alice")
    text = block.text
    assert "Bog Hag" in text and "Claws" in text and "+5" in text and "Homebrew of this campaign" in text
    blade = await run(bog, "lookup item", {"name": "Thornblade"}, user="alice")
    assert "Thornblade (homebrew)" in blade.text and "1d8 slashing + 1d4 poison" in blade.text
    srd = await run(bog, "lookup monster", {"name": "goblin"}, user="alice")
    assert "Goblin" in srd.text and "homebrew" not in srd.text.casefold()


async def test_a_monster_typed_into_the_form_fights_with_its_actions(bog: SandboxSession) -> None:
    form = await bog.invoke("homebrew monster", user=DM, channel=bog.extras["channel"])  # type: ignore[attr-defined]
    await form.response()
    custom_id = form.modal["custom_id"]
    typed = {"name": "Mud Imp", "numbers": "12 3d6", "abilities": "8 14 10 8 10 8", "actions": "Bite +4 1d6+2 piercing"}
    wrong = await bog.discord.submit_modal(form, {f"{custom_id}:{k}": v for k, v in {**typed, "traits": ""}.items()})
    await wrong.done()
    assert "Type the AC, the hit dice and the CR" in wrong.text
    form = await bog.invoke("homebrew monster", user=DM, channel=bog.extras["channel"])  # type: ignore[attr-defined]
    await form.response()
    custom_id = form.modal["custom_id"]
    typed |= {"numbers": "12 3d6 1/2", "actions": "Bite +4 1d6+2 piercing\nSpit DC 11 dex 2d4 acid half recharge 5"}
    saved = await bog.discord.submit_modal(
        form, {f"{custom_id}:{k}": v for k, v in {**typed, "traits": "Sticky"}.items()}
    )
    await saved.done()
    assert "Mud Imp is campaign homebrew" in saved.text.replace("**", "")
    shown = await run(bog, "homebrew show", {"name": "Mud Imp"})
    assert (
        "AC 12 · HP 10 (3d6) · CR 1/2" in shown.text
        and "Spit: DC 11 DEX save (half on a success), 2d4 acid (Recharge 5–6)" in shown.text
    )
    await run(bog, "dm-combat start")
    await run(bog, "dm-combat add", {"monster": "Mud Imp"})
    await run(bog, "combat join", user="alice")
    bite = await run(bog, "dm-combat act", {"monster": "Mud Imp", "action": "Bite", "target": "Tordek"})
    assert "Mud Imp → Tordek: Bite" in bite.text and ") + 4 = " in bite.text
