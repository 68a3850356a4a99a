"""Homebrew used like the SRD's, through the local Discord: a DM awards a homebrew weapon and armour, which
show in the inventory, are equipped and attuned, change the sheet's AC and attack, and hit with their own
extra damage in a fight; a homebrew spell is prepared where its class list allows and cast with `/cast`;
the homebrew feats are there for the level-up choice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from bot.engine import items, rules
from bot.engine.characters import CharacterRef
from bot.engine.sheet import Actor, worn_armor
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.messages import File
from bot.testbed.harness import SandboxSession
from persistence.models import Campaign, Character, HomebrewEntry

KIT = (Path(__file__).resolve().parents[2] / "docs" / "examples" / "homebrew-kit.json").read_bytes()
DM = "dungeonmaster"


@pytest.fixture
async def grove(session: SandboxSession) -> AsyncIterator[SandboxSession]:
    guild = session.world.guild
    channel = session.world.add_channel(guild.id, f"grove-{len(guild.channels)}")
    await session.make_character("alice", "Tordek", klass="fighter", race="dwarf")
    await session.make_character("bob", "Aoth", klass="druid", race="human")
    async with session.services.db.transaction() as db:
        grove = Campaign(guild_id=guild.id, channel_id=channel.id, dm_id=session.user_id(DM), name="The Grove",
                         settings={}, safety={}, scene={})  # fmt: skip
        db.add(grove)
        await db.flush()
        await db.execute(update(Character).where(Character.name.in_(["Tordek", "Aoth"])).values(campaign_id=grove.id))
    session.extras = {"channel": channel.name, "campaign": grove.id}  # type: ignore[attr-defined]
    added = await run(session, "homebrew add", {"file": File("kit.json", KIT)})
    assert "5 homebrew added" in added.text
    yield session
    async with session.services.db.transaction() as db:
        await db.execute(delete(HomebrewEntry).where(HomebrewEntry.guild_id == guild.id))
        await db.execute(delete(Campaign).where(Campaign.channel_id == channel.id))


async def run(
    s: SandboxSession, command: str, options: dict[str, object] | None = None, user: str = DM
) -> InteractionHandle:
    return await s.run(command, options, user=user, channel=s.extras["channel"], timeout=10)  # type: ignore[attr-defined]


async def turn_of(s: SandboxSession, name: str) -> None:
    """End turns (as the DM) until it is `name`'s."""
    combat = s.services.combat
    fight = await combat.active_for_campaign(s.extras["campaign"])  # type: ignore[attr-defined]
    assert fight is not None
    dm = Actor(s.user_id(DM), s.world.guild.id, s.channel_id(s.extras["channel"]))  # type: ignore[attr-defined]
    for _ in range(6):
        await combat.next_turn(dm, fight)
        state = await combat.status(fight)
        if state.current is not None and state.current.name == name:
            return
    raise AssertionError(f"{name}'s turn never came")


async def test_a_homebrew_weapon_and_armour_are_awarded_worn_and_fought_with(grove: SandboxSession) -> None:
    offered = await grove.discord.autocomplete(
        "dm award item",
        {"target": "Tordek", "item": "thorn"},
        "item",
        user_id=grove.user_id(DM),
        channel_id=grove.channel_id(grove.extras["channel"]),  # type: ignore[attr-defined]
    )
    assert {"name": "Thornblade (homebrew)", "value": "Thornblade"} in offered
    given = await run(grove, "dm award item", {"target": "Tordek", "item": "Thornblade"})
    assert "1 × Thornblade" in given.text
    await run(grove, "dm award item", {"target": "Tordek", "item": "barkskin mail"})
    listed = await run(grove, "character inventory", {"action": "list"}, user="alice")
    assert "Barkskin Mail · rare homebrew armour ·" in listed.text  # the list is paged, its lines cut short
    sheet = await grove.services.characters.get(Actor(grove.user_id("alice"), grove.world.guild.id))
    srd = grove.services.characters.srd
    blade = items.describe(srd, items.find(sheet, "thornblade"))
    assert blade.startswith("Thornblade · uncommon homebrew weapon · weapon, 1d8 slashing + 1d4 poison, +1 to hit")
    mail = items.describe(srd, items.find(sheet, "barkskin mail"))
    assert mail.startswith("Barkskin Mail · rare homebrew armour · medium armour, AC 15 · requires attunement")

    worn = await run(grove, "character inventory", {"action": "equip", "item": "Barkskin Mail"}, user="alice")
    assert "Equipped Barkskin Mail" in worn.text
    sheet = await grove.services.characters.get(Actor(grove.user_id("alice"), grove.world.guild.id))
    armor, shield = worn_armor(sheet, grove.services.characters.srd)
    assert armor is not None and armor.name == "Barkskin Mail"  # it took the chain mail's place
    dex = rules.modifier(sheet.scores["dex"])
    expected = 15 + min(2, dex) + (shield.base_ac if shield else 0)  # medium armour: Dex up to +2
    shown = await run(grove, "character show", user="alice")
    assert f"AC {expected}" in shown.text or f"**{expected}**" in shown.text, shown.text
    assert "Thornblade** +" in shown.text and "slashing + 1d4 poison" in shown.text  # its attack line, both parts

    # the blade needs no attunement: its +1 and its poison are there as carried; the mail takes attunement
    line = grove.services.checks.attack_line(sheet, "Thornblade")
    plain_hit = line.to_hit
    await run(grove, "character inventory", {"action": "attune", "item": "Barkskin Mail"}, user="alice")
    refused = await run(grove, "character inventory", {"action": "attune", "item": "Thornblade"}, user="alice")
    assert "doesn't require attunement" in refused.text
    assert line.extra == (("1d4", "poison"),) and line.magical and plain_hit == line.to_hit

    await run(grove, "dm-combat start")
    await run(grove, "dm-combat add", {"monster": "Goblin"})
    await run(grove, "combat join", user="alice")
    await turn_of(grove, "Tordek")
    for _ in range(15):  # until the d20 lets one land (15 misses in a row: 1 time in 150,000)
        hit = await run(grove, "attack", {"weapon": "Thornblade", "target": "Goblin"}, user="alice")
        if "poison" in hit.text:
            break
        await turn_of(grove, "Tordek")  # a level-1 fighter's attack action is one attack a turn
    assert "Thornblade" in hit.text and "poison" in hit.text, hit.text


async def test_a_homebrew_spell_is_prepared_where_its_class_allows_and_cast(grove: SandboxSession) -> None:
    offered = await grove.discord.autocomplete(
        "spell prepare",
        {"spell": "mud"},
        "spell",
        user_id=grove.user_id("bob"),
        channel_id=grove.channel_id(grove.extras["channel"]),  # type: ignore[attr-defined]
    )
    assert {"name": "Mud Grasp (level 1, homebrew)", "value": "homebrew-mud-grasp"} in offered, offered
    prepared = await run(grove, "spell prepare", {"spell": "Mud Grasp"}, user="bob")
    assert "Aoth prepares Mud Grasp" in prepared.text, prepared.text
    listed = await run(grove, "spell list", user="bob")
    assert "Mud Grasp" in listed.text
    await grove.make_character("carol", "Mira", klass="wizard", race="human")  # Mud Grasp is a druid's spell
    wizard = await run(grove, "spell learn", {"spell": "Mud Grasp"}, user="carol")
    assert wizard.ephemeral and "Mud Grasp" in wizard.text and "learns" not in wizard.text, wizard.text

    await run(grove, "dm-combat start")
    await run(grove, "dm-combat add", {"monster": "Goblin"})
    await run(grove, "combat join", user="bob")
    await turn_of(grove, "Aoth")
    castable = await grove.discord.autocomplete(
        "cast",
        {"spell": "mud"},
        "spell",
        user_id=grove.user_id("bob"),
        channel_id=grove.channel_id(grove.extras["channel"]),  # type: ignore[attr-defined]
    )
    assert [o["name"] for o in castable] == ["Mud Grasp (level 1, homebrew)"]
    cast = await run(grove, "cast", {"spell": "Mud Grasp", "targets": "Goblin"}, user="bob")
    assert "Mud Grasp" in cast.text and "Strength" in cast.text and "bludgeoning" in cast.text, cast.text
    # the character file keeps the homebrew spell, and an import says where it can be cast
    exported = await run(grove, "character export", user="bob")
    file = File("aoth.json", exported.messages[-1].attachments[0].data)
    reimport = await run(grove, "character import", {"file": file}, user="carol")
    assert "Spell: Mud Grasp (homebrew: cast where the same homebrew is" in reimport.text, reimport.text
    # elsewhere on the server (no campaign's channel) the campaign's spell is not there
    away = await grove.run("spell prepare", {"spell": "Mud Grasp"}, user="bob", channel="tavern")
    assert away.ephemeral and "Mud Grasp" in away.text and "prepares" not in away.text


async def test_the_homebrew_feats_are_there_for_a_level_up(grove: SandboxSession) -> None:
    feats = await grove.services.homebrew.feats_for(grove.world.guild.id, grove.extras["campaign"])  # type: ignore[attr-defined]
    assert [(f.name, f.data["prerequisite"]) for f in feats] == [("Swamp Born", "Constitution 13")]
    assert await grove.services.homebrew.feats_for(grove.world.guild.id) == []  # the campaign's, not the server's
    # Tordek levels to 4 in the campaign's channel: its Ability Score Improvement offers Swamp Born beside Grappler
    characters = grove.services.characters
    alice = Actor(grove.user_id("alice"), grove.world.guild.id, grove.channel_id(grove.extras["channel"]))  # type: ignore[attr-defined]
    await characters.grant_xp(alice, CharacterRef(), characters.srd.xp_for_level(4))
    for _ in range(2):
        await characters.level_up(alice, CharacterRef())
    plan = await characters.level_plan(alice, CharacterRef())
    (asi,) = plan.asks
    feat = next(value for value, label in asi.options if label == "Feat: Swamp Born")
    assert "Feat: Grappler" in [label for _, label in asi.options]
    up = await characters.level_up(alice, CharacterRef(), picks={"asi": (feat,)})
    assert "Feat: Swamp Born" in up.sheet.features and up.sheet.choices["feats"] == [feat.removeprefix("feat:")]
    shown = await run(grove, "character show", user="alice")
    assert "Feat: Swamp Born" in shown.text, shown.text


WYRM = (Path(__file__).resolve().parents[2] / "docs" / "examples" / "mire-wyrm.json").read_bytes()


async def test_a_homebrew_monsters_recharge_uses_and_legendary_actions(grove: SandboxSession) -> None:
    added = await run(grove, "homebrew add", {"file": File("mire-wyrm.json", WYRM)})
    assert "monster: **Mire Wyrm**" in added.text
    shown = await run(grove, "homebrew show", {"name": "Mire Wyrm"})
    assert "Bog Breath: DC 14 CON save (half on a success), 8d6 poison (Recharge 5–6)" in shown.text
    await run(grove, "dm-combat start")
    await run(grove, "dm-combat add", {"monster": "Mire Wyrm"})
    await run(grove, "dm-combat add", {"monster": "Ogre", "count": 2, "hit_points": 200})  # the targets: they last
    await run(grove, "combat join", user="alice")
    await run(grove, "combat join", user="bob")
    for name, initiative in (("Tordek", 20), ("Mire Wyrm", 10), ("Aoth", 5), ("Ogre 1", 3), ("Ogre 2", 2)):
        await run(grove, "dm-combat move", {"name": name, "initiative": initiative})
    first = await run(grove, "combat next")  # round 1: Tordek
    assert "Tordek" in first.text

    # legendary actions at the end of Tordek's turn: its Tail (1 point), a save for two (2 points), then none
    lash = await run(grove, "dm-combat act", {"monster": "Mire Wyrm", "action": "Tail Lash", "target": "Ogre 1"})
    assert "Mire Wyrm → Ogre 1: Tail" in lash.text and "legendary actions left 2/3" in lash.text, lash.text
    churn = await run(
        grove, "dm-combat act", {"monster": "Mire Wyrm", "action": "Churn the Mire", "target": "Ogre 1, Ogre 2"}
    )
    assert churn.text.count("DC 14 Dexterity save") == 2 and "legendary actions left 0/3" in churn.text, churn.text
    spent = await run(grove, "dm-combat act", {"monster": "Mire Wyrm", "action": "Tail Lash", "target": "Ogre 1"})
    assert spent.ephemeral and "0 legendary actions left this round" in spent.text

    await run(grove, "dm damage", {"target": "Mire Wyrm", "amount": 20, "type": "slashing"})
    wyrms_turn = await run(grove, "combat next")
    assert "Mire Wyrm's legendary actions are back: 3." in wyrms_turn.text, wyrms_turn.text
    assert "💚 Mire Wyrm regenerates 5 HP." in wyrms_turn.text  # slashing doesn't stop it; fire would
    breath = await run(
        grove, "dm-combat act", {"monster": "Mire Wyrm", "action": "Bog Breath", "target": "Ogre 1, Ogre 2"}
    )
    assert breath.text.count("DC 14 Constitution save") == 2 and "recharges on a 5–6" in breath.text, breath.text
    again = await run(grove, "dm-combat act", {"monster": "Mire Wyrm", "action": "Bog Breath", "target": "Ogre 1"})
    assert again.ephemeral and "isn't recharged" in again.text
    roar = await run(grove, "dm-combat act", {"monster": "Mire Wyrm", "action": "Drowning Roar", "target": "Ogre 1"})
    assert "0 of 1 use left today" in roar.text, roar.text
    twice = await run(grove, "dm-combat act", {"monster": "Mire Wyrm", "action": "Drowning Roar", "target": "Ogre 2"})
    assert twice.ephemeral and "none left" in twice.text, twice.text
