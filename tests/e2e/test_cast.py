"""`/cast` end to end through the local Discord, in a fight: a wizard's Fire Bolt (a hit and a miss), Shield
as a reaction, Sleep, Magic Missile at 2nd level on two goblins; a cleric's Cure Wounds, Bless (concentration
lost on a failed Constitution save) and Hold Person (paralysed, a save at the end of each of its turns); a
warlock's Eldritch Blast with two beams and its pact slots; slots running out and a rest restoring them.

The d20s that decide a case are loaded (`Loaded.force`); every other die is the seeded source's, and the
assertions recompute the numbers from the rolls shown. SRD numbers are written out where they are used.
"""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.engine import effects
from bot.engine.characters import CharacterRef
from bot.engine.combat import MonsterPlan
from bot.engine.creation import Choices
from bot.engine.sheet import Actor
from bot.errors import InvalidInput
from bot.sandbox.commandline import parse
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.messages import embed_text
from bot.testbed.harness import SandboxSession
from bot.ui import cast_views
from persistence.models import Campaign, Combatant

CHANNEL = "spell-arena"
ROOT = Path(__file__).resolve().parents[2]
CODE_SPAN = re.compile(r"`(/[a-z][^`]*)`")


class Loaded(random.Random):
    """A seeded source whose next d20s are the ones a test forces (d20 draws `randrange(20) + 1`)."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.d20s: list[int] = []

    def force(self, *d20s: int) -> None:
        self.d20s.extend(d20s)

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if self.d20s and ((stop is None and start == 20) or (start == 1 and stop == 21)):
            value = self.d20s.pop(0)
            return value - 1 if stop is None else value
        return super().randrange(start, stop, step) if stop is not None else super().randrange(start)


@dataclass
class Arena:
    session: SandboxSession
    campaign: int
    channel: int
    dice: Loaded
    fights: list[int]

    def actor(self, user: str) -> Actor:
        return Actor(self.session.user_id(user), self.session.world.guild.id, self.channel)

    async def run(
        self, command: str, options: dict[str, Any] | None = None, *, user: str = "alice"
    ) -> InteractionHandle:
        return await self.session.run(command, options, user=user, channel=CHANNEL)

    async def level_up(self, *, user: str = "alice", picks: dict[str, list[str]] | None = None) -> None:
        """`/character levelup`, confirming the level-up menus (with `picks`, else the suggested choices)."""
        handle = await self.run("character levelup", user=user)
        message = handle.messages[-1]
        ids = [c.get("custom_id", "") for c in message.iter_components()]
        confirm = next((i for i in ids if i.endswith(":confirm")), None)
        if confirm is None:
            return
        who = self.session.user_id(user)
        for key, values in (picks or {}).items():
            menu = next(i for i in ids if i.endswith(f":{key}"))
            await (await self.session.discord.click(message, menu, user_id=who, values=values)).done()
        await (await self.session.discord.click(message, confirm, user_id=who)).done()

    async def fight(self, *monsters: tuple[str, int], joining: tuple[str, ...] = ("alice",)) -> int:
        combat = self.session.services.combat
        dm = self.actor("dungeonmaster")
        combat_id = (await combat.start(dm, self.campaign, self.channel)).combat_id
        for monster, count in monsters:
            await combat.add_monsters(dm, combat_id, monster, count)
        for user in joining:
            await combat.join(self.actor(user), combat_id)
        await combat.next_turn(dm, combat_id)
        self.fights.append(combat_id)
        return combat_id

    async def turn_of(self, combat_id: int, name: str) -> None:
        """End turns (as the DM) until it is `name`'s."""
        combat = self.session.services.combat
        for _ in range(12):
            state = await combat.status(combat_id)
            if state.current is not None and state.current.name == name:
                return
            await combat.next_turn(self.actor("dungeonmaster"), combat_id)
        raise AssertionError(f"{name}'s turn never came")

    async def rows(self, combat_id: int) -> dict[str, Combatant]:
        async with self.session.services.db.transaction() as db:
            found = await db.scalars(select(Combatant).where(Combatant.combat_id == combat_id))
            return {row.name: row for row in found.all()}


async def make(
    session: SandboxSession, user: str, name: str, klass: str, skills: tuple[str, ...], **picks: Any
) -> Actor:
    actor = Actor(session.user_id(user), session.world.guild.id)
    characters = session.services.characters
    for old in await characters.list_characters(actor):
        await characters.delete(actor, old.name)
    draft = await characters.start_draft(
        actor, name=name, race="human", klass=klass, background="acolyte", method="standard"
    )
    await characters.create(actor, draft, Choices(skills=skills, **picks))
    await characters.grant_xp(actor, CharacterRef(name=name), 6500)  # a level-up goes only as far as XP allows
    return actor


@pytest.fixture
async def arena(session: SandboxSession) -> AsyncIterator[Arena]:
    loaded = Loaded(7)
    session.services.dice.rng = loaded
    guild = session.world.guild
    channel = session.world.add_channel(guild.id, CHANNEL)
    async with session.services.db.transaction() as db:
        row = Campaign(
            guild_id=guild.id,
            channel_id=channel.id,
            dm_id=session.user_id("dungeonmaster"),
            name="Spell arena",
            settings={},
            safety={},
            scene={},
        )
        db.add(row)
        await db.flush()
        campaign = row.id
    arena = Arena(session, campaign, channel.id, loaded, [])
    yield arena
    for combat_id in arena.fights:  # the tracker's last edits land before the fight goes
        await session.services.board.settled(combat_id)
    async with session.services.db.transaction() as db:
        await db.execute(delete(Campaign).where(Campaign.id == campaign))


async def join_campaign(arena: Arena, user: str) -> None:
    await arena.session.services.campaign.campaigns.join(arena.actor(user))


def text(handle: InteractionHandle) -> str:
    message = handle.messages[-1]
    return embed_text(message.embeds[0]) if message.embeds else message.content


def rolled(body: str, label: str) -> int:
    """The total of the roll labelled `label` in "What the dice said" ("Mira: fire: 1d10 → 1d10 (7) = `7`")."""
    match = re.search(re.escape(label) + r": \S+ → .*?= `(-?\d+)`", body)
    assert match, f"no roll {label!r} in {body}"
    return int(match[1])


WIZARD = {
    "cantrips": ("fire-bolt", "light", "mage-hand"),
    "spells": ("magic-missile", "shield", "sleep", "mage-armor", "burning-hands", "detect-magic"),
}


async def test_a_level_one_wizard_in_a_fight(arena: Arena) -> None:
    await make(arena.session, "alice", "Mira", "wizard", ("arcana", "history"), **WIZARD)
    for spell in ("Magic Missile", "Shield", "Sleep", "Mage Armor"):  # INT +3, level 1: 4 prepared
        await arena.run("spell prepare", {"spell": spell})
    await join_campaign(arena, "alice")
    combat_id = await arena.fight(("goblin", 3))
    await arena.turn_of(combat_id, "Mira")

    uid = arena.session.user_id("alice")
    offered = await arena.session.discord.autocomplete("cast", {"spell": ""}, "spell", user_id=uid)
    # Cantrips and prepared spells, and the book's rituals (Detect Magic); not the unprepared Burning Hands.
    values = [c["value"] for c in offered]
    assert {"fire-bolt", "magic-missile", "shield", "sleep", "mage-armor", "detect-magic"} <= set(values)
    assert "burning-hands" not in values
    aimed = await arena.session.discord.autocomplete(
        "cast", {"spell": "fire-bolt", "targets": "Goblin 1, gob"}, "targets", user_id=uid, channel_id=arena.channel
    )
    assert [c["value"] for c in aimed] == ["Goblin 1, Goblin 2", "Goblin 1, Goblin 3"]
    arena.dice.force(15)  # 15 + 5 (INT +3, proficiency +2) = 20 against the goblin's AC 15: a hit
    hit = text(await arena.run("cast", {"spell": "Fire Bolt", "targets": "Goblin 1"}))
    assert "Mira casts Fire Bolt (cantrip)" in hit and "to hit **20** vs AC 15: **Hit.**" in hit
    damage = rolled(hit, "Mira: fire")  # 1d10 at character level 1
    assert 1 <= damage <= 10 and f"Goblin 1 takes **{damage}** ({damage} fire)" in hit
    rows = await arena.rows(combat_id)
    assert rows["Goblin 1"].hp == max(0, 7 - damage)  # a goblin has 7 HP

    await arena.session.services.combat.next_turn(arena.actor("dungeonmaster"), combat_id)
    await arena.turn_of(combat_id, "Mira")
    arena.dice.force(5)  # 5 + 5 = 10: a miss
    miss = text(await arena.run("cast", {"spell": "Fire Bolt", "targets": "Goblin 2"}))
    assert "to hit **10** vs AC 15: **Miss.**" in miss and "Goblin 2 takes" not in miss

    # Shield, a reaction, on a goblin's turn: +5 AC until the start of Mira's next turn; one of two slots.
    await arena.session.services.combat.next_turn(arena.actor("dungeonmaster"), combat_id)
    state = await arena.session.services.combat.status(combat_id)
    assert state.current is not None and state.current.name != "Mira"
    shield = text(await arena.run("cast", {"spell": "Shield"}))
    assert "Mira casts Shield (level-1 slot)" in shield and "AC +5" in shield and "L1 1" in shield
    mira = next(
        e for e in (await arena.session.services.combat.status(combat_id, for_dm=True)).entries if e.name == "Mira"
    )
    assert mira.ac == 12 + 5  # unarmoured: 10 + DEX +2 (standard array 14), + 5

    await arena.turn_of(combat_id, "Mira")  # Shield ends at the start of her turn
    rows = await arena.rows(combat_id)
    assert not effects.load(next(r for r in rows.values() if r.name == "Mira").effects)
    sleep = text(await arena.run("cast", {"spell": "Sleep", "targets": "Goblin 2, Goblin 3"}))
    pool = rolled(sleep, "Mira: Sleep (hit points)")  # 5d8
    asleep = sleep.count("falls asleep (7 HP)")
    assert asleep == min(2, pool // 7)  # lowest HP first: each goblin's 7 HP comes off the pool
    assert "Sleep's pool" in sleep and "L1 0" in sleep

    refused = await arena.run("cast", {"spell": "Magic Missile", "targets": "Goblin 3"})
    assert refused.ephemeral and "no level-1 slots left" in refused.content and "long rest" in refused.content


async def test_magic_missile_at_second_level_on_two_targets(arena: Arena) -> None:
    await make(arena.session, "alice", "Mira", "wizard", ("arcana", "history"), **WIZARD)
    await arena.level_up()
    await arena.level_up()  # level 3: four level-1 and two level-2 slots
    await arena.run("spell prepare", {"spell": "Magic Missile"})
    await join_campaign(arena, "alice")
    combat_id = await arena.fight(("goblin", 2))
    await arena.turn_of(combat_id, "Mira")
    cast = text(await arena.run("cast", {"spell": "Magic Missile", "level": 2, "targets": "Goblin 1, Goblin 2"}))
    assert "Magic Missile (level-2 slot)" in cast
    darts = [rolled(cast, f"Mira: Magic Missile dart {n}") for n in (1, 2)]  # four darts: 2 and 2, 1d4 + 1 each
    assert cast.count("dart 1") == 2 and cast.count("dart 2") == 2 and "2 darts" in cast
    assert all(2 <= d <= 5 for d in darts)
    assert "L1 4 · L2 1" in cast

    # Invisibility (concentration, an hour) ends when she casts; Mage Armor cast in the fight outlasts it.
    await arena.run("spell learn", {"spell": "Invisibility"})
    for spell in ("Invisibility", "Mage Armor"):
        await arena.run("spell prepare", {"spell": spell})
    await arena.session.services.combat.next_turn(arena.actor("dungeonmaster"), combat_id)
    await arena.turn_of(combat_id, "Mira")
    hidden = text(await arena.run("cast", {"spell": "Invisibility", "targets": "Mira"}))
    assert "Mira: Invisibility (1 h): invisible" in hidden
    armour = text(await arena.run("cast", {"spell": "Mage Armor"}))
    assert "Concentration ends: Mira: Invisibility." in armour and "Mage Armor (8 h)" in armour
    await arena.session.services.combat.end(arena.actor("dungeonmaster"), combat_id)
    shown = text(await arena.run("character show"))
    assert "AC **15**" in shown  # 13 + DEX +2: carried from the fight onto the sheet


async def test_a_level_three_cleric_heals_blesses_and_holds(arena: Arena) -> None:
    sera = await make(arena.session, "alice", "Sera", "cleric", ("history", "medicine"))
    await make(arena.session, "bob", "Tordek", "fighter", ("athletics", "perception"))
    await arena.level_up()
    await arena.level_up()
    await arena.run("character rest", {"kind": "long"})  # a long rest opens the prepared list
    for spell in ("Bless", "Cure Wounds", "Hold Person"):
        await arena.run("spell prepare", {"spell": spell})
    for user in ("alice", "bob"):
        await join_campaign(arena, user)
    combat_id = await arena.fight(("bandit", 1), joining=("alice", "bob"))
    dm = arena.actor("dungeonmaster")
    await arena.session.services.combat.damage(dm, arena.campaign, "Tordek", 6)

    await arena.turn_of(combat_id, "Sera")
    cure = text(await arena.run("cast", {"spell": "Cure Wounds", "targets": "Tordek"}))
    healed = rolled(cure, "Sera: Cure Wounds")  # 1d8 + 3 (WIS 16)
    assert 4 <= healed <= 11 and f"Tordek regains **{min(healed, 6)}** HP" in cure

    await arena.session.services.combat.next_turn(dm, combat_id)
    await arena.turn_of(combat_id, "Sera")
    bless = text(await arena.run("cast", {"spell": "Bless", "targets": "Sera, Tordek"}))
    assert "Bless (10 rounds)" in bless and "+1d4 attack, +1d4 save" in bless and "concentrates on Bless" in bless
    arena.dice.force(1)  # Sera's CON save (+1, Bless +1d4) against DC 10: a natural 1 fails it
    hurt = await arena.session.services.combat.damage(dm, arena.campaign, "Sera", 4)
    assert hurt.concentration_save is not None and hurt.concentration_save.dc == 10  # max(10, 4 // 2)
    assert not hurt.concentration_save.success and "Sera: Bless" in hurt.concentration_ended
    assert "Tordek: Bless" in hurt.concentration_ended  # what the concentration held ends on everyone

    await arena.session.services.combat.next_turn(dm, combat_id)
    await arena.turn_of(combat_id, "Sera")
    arena.dice.force(2)  # the bandit's WIS save (+0) against DC 13 (8 + 2 + 3): 2, a failure
    hold = text(await arena.run("cast", {"spell": "Hold Person", "targets": "Bandit"}))
    assert "Bandit fails the DC 13 Wisdom save: **2**" in hold
    assert "Hold Person (10 rounds): paralyzed, WIS save DC 13 ends it" in hold
    await arena.turn_of(combat_id, "Bandit")
    arena.dice.force(3)
    change = await arena.session.services.combat.next_turn(dm, combat_id)  # the end of its turn: a save again
    assert any("Hold Person: WIS save DC 13: 3" in line and "it holds" in line for line in change.saves)
    await arena.turn_of(combat_id, "Bandit")
    arena.dice.force(19)
    change = await arena.session.services.combat.next_turn(dm, combat_id)
    assert any("succeeds: it ends" in line for line in change.saves)
    del sera


async def test_a_level_five_warlock_blasts_twice_and_spends_its_pact_slots(arena: Arena) -> None:
    await make(
        arena.session,
        "alice",
        "Vex",
        "warlock",
        ("arcana", "deception"),
        cantrips=("eldritch-blast", "mage-hand"),
        spells=("hellish-rebuke", "charm-person"),
    )
    for level in range(2, 6):  # invocations (Agonizing Blast first), a pact; the ASI at 4 to CON: CHA 16 (+3)
        await arena.level_up(picks={"asi": ["con"]} if level == 4 else None)
    await join_campaign(arena, "alice")
    combat_id = await arena.fight(("ogre", 1))
    await arena.turn_of(combat_id, "Vex")
    arena.dice.force(12, 12)  # 12 + 6 (CHA +3, proficiency +3) = 18 against the ogre's AC 11: two hits
    blast = text(await arena.run("cast", {"spell": "Eldritch Blast", "targets": "Ogre"}))
    assert "Eldritch Blast (1st beam)" in blast and "Eldritch Blast (2nd beam)" in blast
    assert blast.count("to hit **18** vs AC 11: **Hit.**") == 2
    assert blast.count("1d10+3") == 2, blast  # Agonizing Blast, the invocation suggested at level 2: + CHA
    hex_spell = await arena.run("cast", {"spell": "Hex"})
    assert hex_spell.ephemeral  # SRD 5.1 has no Hex
    # Pact Magic at level 5: two 3rd-level slots; Hellish Rebuke (a reaction) is cast at 3rd: 4d10.
    for left in (1, 0):
        rebuke = text(await arena.run("cast", {"spell": "Hellish Rebuke", "targets": "Ogre"}))
        assert "(level-3 slot)" in rebuke and f"L3 {left}" in rebuke
        assert re.search(r"Vex: Hellish Rebuke \(fire\): 4d10 →", rebuke)
        total = rolled(rebuke, "Vex: Hellish Rebuke (fire)")
        saved = "succeeds the DC 14 Dexterity save" in rebuke  # 8 + 3 + 3; the ogre's DEX 8: -1
        taken = total // 2 if saved else total  # the SRD's Hellish Rebuke: half on a success
        assert f"Ogre takes **{taken}**" in rebuke
    out = await arena.run("cast", {"spell": "Hellish Rebuke", "targets": "Ogre"})
    assert "no level-3 slots left" in out.content and "short or long rest" in out.content
    await arena.session.services.combat.end(arena.actor("dungeonmaster"), combat_id)
    await arena.run("character rest", {"kind": "short"})
    again = text(await arena.run("cast", {"spell": "Hellish Rebuke"}))
    assert "L3 1" in again and "for the DM to apply" in again


async def test_i_cast_fire_bolt_at_the_goblin_in_a_narrated_turn(sqlite_session: SandboxSession) -> None:
    """The offline narrator hears a spell in the action and calls `cast_spell`; the engine resolves it."""
    s = sqlite_session
    await make(s, "alice", "Mira", "wizard", ("arcana", "history"), **WIZARD)
    created = await s.run("campaign create", {"name": "Spell tower"}, user="dungeonmaster")
    assert not created.ephemeral
    await s.run("campaign join", user="alice")
    tavern = s.channel_id("tavern")
    dm = Actor(s.user_id("dungeonmaster"), s.world.guild.id, tavern)
    info = await s.services.campaign.campaigns.here(dm)
    combat_id = (await s.services.combat.start(dm, info.id, tavern)).combat_id
    await s.services.combat.add_monsters(dm, combat_id, "goblin", 1)
    await s.services.combat.join(Actor(s.user_id("alice"), s.world.guild.id, tavern), combat_id)
    await s.services.combat.next_turn(dm, combat_id)
    for _ in range(4):
        current = (await s.services.combat.status(combat_id)).current
        if current is not None and current.name == "Mira":
            break
        await s.services.combat.next_turn(dm, combat_id)
    handle = await s.invoke("narrate", {"action": "I cast Fire Bolt at the goblin"}, user="alice")
    await handle.wait_for(
        lambda h: any(e.get("title") == "🎲 What the dice said" for m in h.messages for e in m.embeds), timeout=60
    )
    said = next(e for m in handle.messages for e in m.embeds if e.get("title") == "🎲 What the dice said")
    body = embed_text(said)
    assert "**Mira**: casts Fire Bolt (cantrip)" in body, body
    found = re.search(r"\*\*Goblin\*\*: Fire Bolt: (\d+) vs AC 15, (hit|miss|critical hit)(.*)", body)
    assert found, body
    attack = re.search(r"1d20 \(\**(\d+)\**\) \+ 5 = `(\d+)`", found[3])
    assert attack and int(attack[2]) == int(attack[1]) + 5 == int(found[1])  # INT +3, proficiency +2
    if found[2] == "hit":
        damage = re.search(r"(\d+) damage, HP 7 → (\d+)", found[3])
        assert damage and int(damage[2]) == max(0, 7 - int(damage[1]))  # a goblin's 7 HP
    story = "".join(m.content for m in handle.messages)
    assert "Fire Bolt" in story
    await s.services.board.settled(combat_id)


async def test_a_mage_casts_from_its_stat_block_through_dm_combat_act(arena: Arena) -> None:
    """SRD Mage: a 9th-level caster, spell save DC 14, +6 to hit with spell attacks, slots 4/3/3/3/1."""
    await make(arena.session, "alice", "Tordek", "fighter", ("athletics", "perception"))
    await make(arena.session, "bob", "Lia", "fighter", ("athletics", "perception"))
    for user in ("alice", "bob"):
        await join_campaign(arena, user)
    combat_id = await arena.fight(("mage", 1), joining=("alice", "bob"))
    dm = arena.session.user_id("dungeonmaster")
    offered = await arena.session.discord.autocomplete(
        "dm-combat act", {"monster": "Mage", "action": "Cast F"}, "action", user_id=dm, channel_id=arena.channel
    )
    assert {"Cast Fire Bolt", "Cast Fireball", "Cast Fly"} <= {c["value"] for c in offered}
    options = {"monster": "Mage", "action": "Cast Fireball", "target": "Tordek, Lia"}
    fireball = text(await arena.run("dm-combat act", options, user="dungeonmaster"))
    assert "Mage casts Fireball (level-3 slot)" in fireball and "L3 2" in fireball
    total = rolled(fireball, "Mage: Fireball (fire)")  # 8d6, rolled once for both
    for name in ("Tordek", "Lia"):
        saved = f"{name} succeeds the DC 14 Dexterity save" in fireball
        assert saved or f"{name} fails the DC 14 Dexterity save" in fireball
        taken = total // 2 if saved else total
        assert f"{name} takes **{taken}** ({taken} fire" in fireball if taken else f"{name} takes" not in fireball
    arena.dice.force(15)  # 15 + 6 = 21 against Lia's AC 18 (chain mail and shield)
    bolt = text(
        await arena.run(
            "dm-combat act", {"monster": "Mage", "action": "Cast Fire Bolt", "target": "Lia"}, user="dungeonmaster"
        )
    )
    assert "to hit **21** vs AC 18: **Hit.**" in bolt and re.search(
        r"Mage: fire: 2d10 →", bolt
    )  # +6; a 9th-level caster: 2d10
    refused = await arena.run(
        "dm-combat act", {"monster": "Mage", "action": "Cast Wish", "target": "Lia"}, user="dungeonmaster"
    )
    assert refused.ephemeral and "can't cast Wish" in refused.content
    del combat_id


async def test_outside_a_fight_bless_lasts_on_the_party_until_a_new_concentration(arena: Arena) -> None:
    await make(
        arena.session,
        "alice",
        "Sera",
        "cleric",
        ("history", "medicine"),
        cantrips=("guidance", "light", "thaumaturgy"),
        spells=("bless", "cure-wounds"),
    )
    await make(arena.session, "bob", "Tordek", "fighter", ("athletics", "perception"))
    for user in ("alice", "bob"):
        await join_campaign(arena, user)
    bless = text(await arena.run("cast", {"spell": "Bless", "targets": "Sera, Tordek"}))
    assert "Sera: Bless (10 rounds)" in bless and "Tordek: Bless (10 rounds)" in bless and "L1 1" in bless
    save = await arena.run("save", {"ability": "Wisdom"}, user="bob")
    shown = text(save)
    assert "(Bless +1d4)" in shown and re.search(r"1d20 \(\**\d+\**\) \+ 1 \+ 1d4 \(\**\d\**\)", shown), shown
    guidance = text(await arena.run("cast", {"spell": "Guidance"}))  # a new concentration ends Bless on both
    assert "Sera: Bless" in guidance and "Tordek: Bless" in guidance and "Guidance (10 rounds)" in guidance
    # The DM's damage outside a fight: a CON save to keep concentrating (DC 10 or half the damage).
    arena.dice.force(20)
    kept = await arena.session.services.combat.damage(arena.actor("dungeonmaster"), arena.campaign, "Sera", 3)
    assert kept.concentration_save is not None and kept.concentration_save.success and not kept.concentration_ended
    check = text(await arena.run("check", {"skill_or_ability": "Perception"}))
    assert "(Guidance +1d4)" in check
    plain = text(await arena.run("save", {"ability": "Wisdom"}, user="bob"))
    assert "1d4" not in plain
    arena.dice.force(1)
    lost = await arena.session.services.combat.damage(arena.actor("dungeonmaster"), arena.campaign, "Sera", 3)
    assert lost.concentration_save is not None and not lost.concentration_save.success
    assert lost.concentration_ended == ("Sera: Guidance",)
    after = text(await arena.run("check", {"skill_or_ability": "Perception"}))
    assert "Guidance" not in after


async def test_heroism_gives_temporary_hit_points_at_the_start_of_each_turn(arena: Arena) -> None:
    paladin = await make(arena.session, "alice", "Ser Ana", "paladin", ("athletics", "persuasion"))
    await arena.level_up()  # paladins cast from level 2 (and take a fighting style)
    await arena.run("spell prepare", {"spell": "Heroism"})
    sheet = await arena.session.services.characters.get(paladin)
    cha = arena.session.services.characters.stats(sheet).modifiers["cha"]
    assert cha > 0
    await join_campaign(arena, "alice")
    combat_id = await arena.fight(("goblin", 1))
    await arena.turn_of(combat_id, "Ser Ana")
    cast = text(await arena.run("cast", {"spell": "Heroism", "targets": "Ser Ana"}))
    assert f"{cha} temporary HP at the start of each of its turns" in cast and "concentrates on Heroism" in cast
    assert (await arena.session.services.characters.get(paladin)).hp_temp == cha
    dm = arena.actor("dungeonmaster")
    arena.dice.force(20)  # her concentration save against DC 10: kept
    hit = await arena.session.services.combat.damage(dm, arena.campaign, "Ser Ana", 1)  # temporary HP go first
    assert hit.concentration_save is not None and hit.concentration_save.success
    assert (await arena.session.services.characters.get(paladin)).hp_temp == cha - 1
    await arena.session.services.combat.next_turn(dm, combat_id)
    await arena.turn_of(combat_id, "Ser Ana")
    assert (await arena.session.services.characters.get(paladin)).hp_temp == cha  # topped up at her turn's start


def guide_casts() -> list[str]:
    """The player guide's `/cast` examples (a usage line has `<...>` placeholders)."""
    text = (ROOT / "docs/PLAYER_GUIDE.md").read_text(encoding="utf-8")
    return [s for s in CODE_SPAN.findall(text) if s.startswith("/cast ") and "<" not in s]


async def test_every_cast_example_of_the_player_guide_runs(arena: Arena) -> None:
    examples = guide_casts()
    assert len(examples) >= 4 and any("ritual:true" in e for e in examples)
    await make(arena.session, "alice", "Mira", "wizard", ("arcana", "history"), **WIZARD)
    await arena.level_up()
    await arena.level_up()
    for spell in ("Magic Missile", "Shield"):
        await arena.run("spell prepare", {"spell": spell})
    await join_campaign(arena, "alice")
    combat_id = await arena.fight(("goblin", 2))
    await arena.turn_of(combat_id, "Mira")
    for example in sorted(examples, key=lambda e: "ritual:true" in e):  # the rituals last
        if "ritual:true" in example:  # rituals take ten minutes: not in a fight
            await arena.session.services.combat.end(arena.actor("dungeonmaster"), combat_id)
        parsed = parse(example, arena.session.discord.commands())
        handle = await arena.run(parsed.path, parsed.options)
        assert not handle.ephemeral and handle.messages[-1].embeds, f"{example}: {handle.content}"
        assert "casts" in text(handle), example


async def test_sanctuary_protection_and_mirror_image_ward_their_creature(arena: Arena) -> None:
    await make(arena.session, "alice", "Sera", "cleric", ("history", "medicine"))
    await make(arena.session, "bob", "Mira", "wizard", ("arcana", "history"), **WIZARD)
    await arena.run("spell prepare", {"spell": "Sanctuary"})
    await arena.run("spell prepare", {"spell": "Protection from Evil and Good"})
    for _ in range(2):
        await arena.level_up(user="bob")
    await arena.run("spell learn", {"spell": "Mirror Image"}, user="bob")
    await arena.run("spell prepare", {"spell": "Mirror Image"}, user="bob")
    for user in ("alice", "bob"):
        await join_campaign(arena, user)
    combat_id = await arena.fight(("goblin", 1), ("skeleton", 1), joining=("alice", "bob"))
    combat, dm = arena.session.services.combat, arena.actor("dungeonmaster")

    await arena.turn_of(combat_id, "Sera")
    ward = text(await arena.run("cast", {"spell": "Sanctuary", "targets": "Sera"}))
    assert "attackers make a WIS save DC 13 first" in ward  # 8 + 2 + WIS +3
    arena.dice.force(2)  # the goblin's Wisdom save: 2 - 1 = 1 against DC 13
    with pytest.raises(InvalidInput, match="Goblin fails the DC 13 Wisdom save against Sera's Sanctuary"):
        await combat.attack(dm, combat_id, "Goblin", "Sera", "Scimitar")
    arena.dice.force(20, 10)  # it saves; then its attack roll
    attack = await combat.attack(dm, combat_id, "Goblin", "Sera", "Scimitar")
    assert attack.roll is not None and attack.roll.total == 10 + 4  # the goblin's Scimitar: +4

    await combat.next_turn(dm, combat_id)
    await arena.turn_of(combat_id, "Sera")
    await arena.run("cast", {"spell": "Protection from Evil and Good", "targets": "Mira"})
    undead = await combat.attack(dm, combat_id, "Skeleton", "Mira", "Shortsword")
    assert "target Protection from Evil and Good" in undead.reasons  # skeletons are undead: disadvantage
    goblin = await combat.attack(dm, combat_id, "Goblin", "Mira", "Scimitar")
    assert not any("Protection" in r for r in goblin.reasons)  # a humanoid's attack is not warded

    await arena.turn_of(combat_id, "Mira")
    images = text(await arena.run("cast", {"spell": "Mirror Image"}, user="bob"))
    assert "+3 duplicates" in images
    arena.dice.force(6, 19)  # 6+ with three duplicates: the attack goes to one; 19 + 4 hits its AC 12
    struck = await combat.attack(dm, combat_id, "Goblin", "Mira", "Scimitar")
    assert "a duplicate (Mirror Image d20: 6)" in struck.action and struck.hit and struck.damage is None
    assert struck.ac == 10 + 2  # 10 + Mira's DEX +2
    rows = await arena.rows(combat_id)
    left = next(e for e in effects.load(rows["Mira"].effects) if e.name == "Mirror Image")
    assert left.bonuses["duplicates"] == "+2"
    arena.dice.force(7)  # two left: 8+ needed, so the attack goes to Mira herself
    real = await combat.attack(dm, combat_id, "Goblin", "Mira", "Scimitar")
    assert "duplicate" not in real.action and real.ac == 12


async def test_a_paralysed_caster_loses_its_concentration(arena: Arena) -> None:
    """SRD Cult Fanatic (DC 11) holds the cleric; paralysed is incapacitated, so her Bless ends."""
    await make(arena.session, "alice", "Sera", "cleric", ("history", "medicine"), spells=("bless",))
    await join_campaign(arena, "alice")
    combat_id = await arena.fight(("cult-fanatic", 1))
    await arena.turn_of(combat_id, "Sera")
    await arena.run("cast", {"spell": "Bless"})
    arena.dice.force(1)  # Sera's WIS save (+5, Bless +1d4) against DC 11: a natural 1 is 6 + at most 4
    options = {"monster": "Cult Fanatic", "action": "Cast Hold Person", "target": "Sera"}
    hold = text(await arena.run("dm-combat act", options, user="dungeonmaster"))
    assert "Sera fails the DC 11 Wisdom save" in hold and "paralyzed" in hold
    assert "Concentration ends: Sera: Bless" in hold
    refused = await arena.run("cast", {"spell": "Bless"})
    assert refused.ephemeral and "paralyzed" in refused.content  # and she can't cast while held


async def test_spells_cast_before_a_fight_tick_in_it_by_rounds_and_carry_back_out(arena: Arena) -> None:
    """Bless cast before initiative moves onto the combatants: it counts down on the caster's turns (on the
    target's own when the caster stays out), shows on the tracker, and goes back to the sheets with what is left."""
    await make(
        arena.session,
        "alice",
        "Sera",
        "cleric",
        ("history", "medicine"),
        cantrips=("guidance", "light", "thaumaturgy"),
        spells=("bless", "cure-wounds"),
    )
    tordek = await make(arena.session, "bob", "Tordek", "fighter", ("athletics", "perception"))
    for user in ("alice", "bob"):
        await join_campaign(arena, user)
    await arena.run("cast", {"spell": "Bless", "targets": "Sera, Tordek"})
    combat_id = await arena.fight(("goblin", 1), joining=("bob",))  # Sera stays out of the fight
    rows = await arena.rows(combat_id)
    assert [e.name for e in effects.load(rows["Tordek"].effects)] == ["Bless"]
    assert not (await arena.session.services.characters.get(tordek)).effects  # moved, not counted twice
    shown = await arena.session.services.combat.status(combat_id)
    labels = [line for e in shown.entries if e.name == "Tordek" for line in e.effects]
    assert labels == ["Bless (10 rounds, concentration: Sera)"]
    for _ in range(3):  # Tordek's turn ends three times: his Bless ticks on his turns, its caster being away
        await arena.turn_of(combat_id, "Tordek")
        await arena.session.services.combat.next_turn(arena.actor("dungeonmaster"), combat_id)
    rows = await arena.rows(combat_id)
    assert next(e for e in effects.load(rows["Tordek"].effects) if e.name == "Bless").rounds == 7
    save = text(await arena.run("save", {"ability": "Wisdom"}, user="bob"))
    assert "(Bless +1d4)" in save  # once, from the combatant
    await arena.session.services.combat.end(arena.actor("dungeonmaster"), combat_id)
    after = (await arena.session.services.characters.get(tordek)).effects
    assert [(e.name, e.rounds) for e in after] == [("Bless", 7)]


async def test_in_auto_mode_a_mage_casts_its_best_spell_and_spends_its_slots(arena: Arena) -> None:
    """SRD Mage (slots 4/3/3/3/1): against two level-5 fighters Cone of Cold (8d8, its one 5th-level slot) is
    worth most, then Fireball (8d6) from a 3rd-level slot; against a level-1 wizard (8 HP) a 1st-level Magic
    Missile does, its damage not wasted. A Priest heals its wounded ally with Cure Wounds."""
    await make(arena.session, "alice", "Tordek", "fighter", ("athletics", "perception"))
    await make(arena.session, "bob", "Lia", "fighter", ("athletics", "perception"))
    for user in ("alice", "bob"):
        for _ in range(4):
            await arena.level_up(user=user)
        await join_campaign(arena, user)
    combat, dm = arena.session.services.combat, arena.actor("dungeonmaster")
    combat_id = await arena.fight(("priest", 1), ("goblin", 1), joining=("alice", "bob"))
    await combat.damage(dm, arena.campaign, "Goblin", 5)  # 2 of its 7 HP left: under half
    await arena.turn_of(combat_id, "Priest")
    healed = await combat.run_monster_turn(dm, combat_id, random.Random(1))
    assert healed.action == "Cast Cure Wounds" and [o.target for o in healed.casts[0].outcomes] == ["Goblin"]
    assert ((await arena.rows(combat_id))["Goblin"].hp or 0) > 2
    await combat.end(dm, combat_id)

    combat_id = await arena.fight(("mage", 1), joining=("alice", "bob"))
    await arena.turn_of(combat_id, "Mage")
    first = await combat.run_monster_turn(dm, combat_id, random.Random(1))
    assert first.action == "Cast Cone of Cold" and len(first.casts) == 1
    cone = first.casts[0]
    assert cone.slot == 5 and {o.target for o in cone.outcomes} == {"Tordek", "Lia"}
    assert cone.slots_left == (4, 3, 3, 3, 0, 0, 0, 0, 0)
    shown = embed_text(cast_views.monster_turn_embeds(first)[0].to_dict())  # type: ignore[arg-type]
    assert "Mage casts Cone of Cold (level-5 slot)" in shown and "DC 14 Constitution save" in shown
    await combat.next_turn(dm, combat_id)
    await arena.turn_of(combat_id, "Mage")
    second = await combat.run_monster_turn(dm, combat_id, random.Random(1))
    assert second.action == "Cast Fireball" and second.casts[0].slot == 3
    assert second.casts[0].slots_left[:5] == (4, 3, 2, 3, 0)
    rows = await arena.rows(combat_id)
    assert rows["Mage"].spells_used == {"5": 1, "3": 1}
    options = await combat.monster_options(combat_id)
    assert options is not None and {"Cast Fire Bolt", "Cast Fireball", "Dagger"} <= set(options.actions)
    await combat.next_turn(dm, combat_id)
    await arena.turn_of(combat_id, "Mage")
    told = await combat.run_monster_turn(dm, combat_id, random.Random(1), MonsterPlan("Mage", "Cast Fire Bolt", "Lia"))
    assert (told.action, told.chosen_by, [o.target for o in told.casts[0].outcomes]) == (
        "Cast Fire Bolt",
        "narrator",
        ["Lia"],
    )
    await combat.end(dm, combat_id)

    await make(arena.session, "carol", "Mira", "wizard", ("arcana", "history"), **WIZARD)
    await join_campaign(arena, "carol")
    combat_id = await arena.fight(("mage", 1), joining=("carol",))
    await arena.turn_of(combat_id, "Mage")
    small = await combat.run_monster_turn(dm, combat_id, random.Random(1))
    assert small.action == "Cast Magic Missile" and small.casts[0].slot == 1


async def test_haste_slow_and_protection_change_turns_as_the_srd_says(arena: Arena) -> None:
    """Haste: +2 AC, one more weapon attack for a monster in auto mode, lethargy when it ends. Slow: -2 AC,
    no reactions, a Multiattack makes one attack. Protection from Evil and Good: a fiend can't charm."""
    await make(arena.session, "alice", "Mira", "wizard", ("arcana", "history"), **WIZARD)
    for _ in range(4):  # level 5: third-level slots
        await arena.level_up()
    for spell in ("Haste", "Slow"):
        await arena.run("spell learn", {"spell": spell})
        await arena.run("spell prepare", {"spell": spell})
    await make(arena.session, "bob", "Tordek", "fighter", ("athletics", "perception"))
    for user in ("alice", "bob"):
        await join_campaign(arena, user)
    combat_id = await arena.fight(("goblin", 1), ("bandit-captain", 1), joining=("alice", "bob"))
    combat, dm = arena.session.services.combat, arena.actor("dungeonmaster")

    await arena.turn_of(combat_id, "Mira")
    hasted = text(await arena.run("cast", {"spell": "Haste", "targets": "Goblin"}))
    assert "AC +2" in hasted and "extra action" in hasted
    await arena.turn_of(combat_id, "Goblin")
    turn = await combat.run_monster_turn(dm, combat_id, random.Random(2))
    assert len(turn.reports) == 2 and "Haste: one more weapon attack." in turn.notes  # Scimitar or Shortbow, twice
    arena.dice.force(1)  # Mira's concentration save fails on the goblin's turn: Haste ends, lethargy
    lost = await combat.damage(dm, arena.campaign, "Mira", 1)  # lasts through the goblin's next turn
    assert "Goblin: Haste" in lost.concentration_ended
    rows = await arena.rows(combat_id)
    assert [e.name for e in effects.load(rows["Goblin"].effects)] == ["Haste lethargy"]
    with pytest.raises(InvalidInput, match="Goblin can't take actions now: Haste lethargy"):
        await combat.monster_act(dm, combat_id, "Goblin", "Scimitar", "Tordek")
    await combat.next_turn(dm, combat_id)
    await arena.turn_of(combat_id, "Goblin")
    idle = await combat.run_monster_turn(dm, combat_id, random.Random(2))
    assert idle.action == "nothing" and not idle.reports
    await combat.next_turn(dm, combat_id)  # after its turn the lethargy is gone
    assert not effects.load((await arena.rows(combat_id))["Goblin"].effects)

    await arena.turn_of(combat_id, "Mira")
    arena.dice.force(1)  # the captain's WIS save (+0) against DC 13: fails
    slowed = text(await arena.run("cast", {"spell": "Slow", "targets": "Bandit Captain"}))
    assert "AC -2" in slowed and "no reactions" in slowed and "one attack" in slowed
    captain = next(e for e in (await combat.status(combat_id, for_dm=True)).entries if e.name == "Bandit Captain")
    assert captain.ac == 15 - 2  # studded leather: AC 15
    routine = await combat.monster_act(dm, combat_id, "Bandit Captain", "Multiattack", "Tordek")
    assert len(routine.reports) == 1 and any("Slow: one attack of its Multiattack" in n for n in routine.notes)
    await arena.turn_of(combat_id, "Tordek")
    with pytest.raises(InvalidInput, match="can't take reactions now: Slow"):
        await combat.opportunity(dm, combat_id, "Tordek", attacker="Bandit Captain")
    await combat.end(dm, combat_id)
    assert not (await arena.session.services.characters.get(arena.actor("alice"))).effects


async def test_protection_from_evil_and_good_keeps_a_fiend_from_charming(arena: Arena) -> None:
    await make(arena.session, "alice", "Sera", "cleric", ("history", "medicine"))
    await arena.run("spell prepare", {"spell": "Protection from Evil and Good"})
    await make(arena.session, "bob", "Tordek", "fighter", ("athletics", "perception"))
    for user in ("alice", "bob"):
        await join_campaign(arena, user)
    combat_id = await arena.fight(("rakshasa", 1), joining=("alice", "bob"))
    await arena.turn_of(combat_id, "Sera")
    await arena.run("cast", {"spell": "Protection from Evil and Good", "targets": "Tordek"})
    for target in ("Tordek", "Sera"):
        arena.dice.force(1)  # a natural 1 on the WIS save against DC 18
        options = {"monster": "Rakshasa", "action": "Cast Charm Person", "target": target}
        await arena.run("dm-combat act", options, user="dungeonmaster")
    rows = await arena.rows(combat_id)
    assert [e.name for e in effects.load(rows["Sera"].effects)] == ["Charm Person"]  # unwarded: charmed
    assert "Charm Person" not in [e.name for e in effects.load(rows["Tordek"].effects)]  # a fiend can't charm him


async def test_color_spray_greater_invisibility_and_the_power_words(arena: Arena) -> None:
    """Color Spray: 6d10 of hit points, blinded until the end of the caster's next turn. A Mage's Greater
    Invisibility lasts through its attacks. A Glabrezu's Power Word Stun (150 HP or fewer), a Lich's Power
    Word Kill (100 or fewer)."""
    book = ("magic-missile", "shield", "sleep", "mage-armor", "burning-hands", "color-spray")
    await make(
        arena.session, "alice", "Mira", "wizard", ("arcana", "history"), cantrips=WIZARD["cantrips"], spells=book
    )
    await arena.run("spell prepare", {"spell": "Color Spray"})
    await make(arena.session, "bob", "Tordek", "fighter", ("athletics", "perception"))
    for user in ("alice", "bob"):
        await join_campaign(arena, user)
    combat_id = await arena.fight(("goblin", 2), ("mage", 1), joining=("alice", "bob"))
    combat, dm = arena.session.services.combat, arena.actor("dungeonmaster")
    await arena.turn_of(combat_id, "Mira")
    spray = text(await arena.run("cast", {"spell": "Color Spray", "targets": "Goblin 1, Goblin 2"}))
    pool = rolled(spray, "Mira: Color Spray (hit points)")  # 6d10
    assert spray.count("is blinded (7 HP)") == min(2, pool // 7) and "Color Spray's pool" in spray
    blinded = [n for n, r in (await arena.rows(combat_id)).items() if effects.load(r.effects)]
    await combat.next_turn(dm, combat_id)
    await arena.turn_of(combat_id, "Mira")
    assert [n for n, r in (await arena.rows(combat_id)).items() if effects.load(r.effects)] == blinded
    await combat.next_turn(dm, combat_id)  # the end of Mira's next turn: it wears off
    assert not any(effects.load(r.effects) for r in (await arena.rows(combat_id)).values())

    options = {"monster": "Mage", "action": "Cast Greater Invisibility", "target": "Mage"}
    unseen = text(await arena.run("dm-combat act", options, user="dungeonmaster"))
    assert "Mage: Greater Invisibility (10 rounds): invisible" in unseen
    bolt = {"monster": "Mage", "action": "Cast Fire Bolt", "target": "Tordek"}
    await arena.run("dm-combat act", bolt, user="dungeonmaster")
    mage = effects.load((await arena.rows(combat_id))["Mage"].effects)
    assert [e.name for e in mage] == ["Greater Invisibility"]  # casting doesn't end it
    await combat.end(dm, combat_id)

    combat_id = await arena.fight(("glabrezu", 1), ("lich", 1), joining=("alice", "bob"))
    stun = {"monster": "Glabrezu", "action": "Cast Power Word Stun", "target": "Tordek"}
    stunned = text(await arena.run("dm-combat act", stun, user="dungeonmaster"))
    assert "stunned (12 HP)" in stunned  # a level-1 fighter: 10 + CON +2
    assert "CON save DC 16 ends it" in stunned
    kill = {"monster": "Lich", "action": "Cast Power Word Kill", "target": "Mira"}
    killed = text(await arena.run("dm-combat act", kill, user="dungeonmaster"))
    assert "dies (8 HP)" in killed  # a level-1 wizard: 6 + CON +2
    mira = await arena.session.services.characters.get(arena.actor("alice"))
    assert mira.death_failures >= 3 and mira.hp_current == 0
    lich = {"monster": "Lich", "action": "Cast Power Word Kill", "target": "Tordek"}
    refused = await arena.run("dm-combat act", lich, user="dungeonmaster")
    assert refused.ephemeral and "no level-9 slots left" in refused.content


async def test_mage_armor_cast_before_the_fight_shows_on_the_tracker_and_the_sheet(arena: Arena) -> None:
    await make(arena.session, "alice", "Mira", "wizard", ("arcana", "history"), **WIZARD)
    await arena.run("spell prepare", {"spell": "Mage Armor"})
    await join_campaign(arena, "alice")
    await arena.run("cast", {"spell": "Mage Armor"})
    combat_id = await arena.fight(("goblin", 1))
    state = await arena.session.services.combat.status(combat_id, for_dm=True)
    mira = next(e for e in state.entries if e.name == "Mira")
    assert mira.ac == 13 + 2 and mira.effects == ("Mage Armor (8 h)",)  # 13 + DEX +2, not the 12 unarmoured
    assert "AC **15**" in text(await arena.run("character show"))  # the sheet in the fight reads it too
    await arena.turn_of(combat_id, "Goblin")
    await arena.session.services.combat.remove(arena.actor("dungeonmaster"), combat_id, "Mira")  # she flees
    after = (await arena.session.services.characters.get(arena.actor("alice"))).effects
    assert [e.name for e in after] == ["Mage Armor"]  # and takes her spell with her


async def test_a_character_leaving_the_campaign_mid_fight_keeps_its_spells(arena: Arena) -> None:
    await make(arena.session, "alice", "Mira", "wizard", ("arcana", "history"), **WIZARD)
    await arena.run("spell prepare", {"spell": "Mage Armor"})
    await join_campaign(arena, "alice")
    await arena.run("cast", {"spell": "Mage Armor"})
    await arena.fight(("goblin", 1))
    await arena.session.services.campaign.campaigns.leave(arena.actor("alice"))
    after = (await arena.session.services.characters.get(arena.actor("alice"))).effects
    assert [(e.name, e.rounds) for e in after] == [("Mage Armor", 8 * 600)]


async def test_spare_the_dying_lesser_restoration_and_revivify(arena: Arena) -> None:
    sera = await make(
        arena.session,
        "alice",
        "Sera",
        "cleric",
        ("history", "medicine"),
        cantrips=("spare-the-dying", "light", "guidance"),
        spells=("bless", "cure-wounds"),
    )
    for _ in range(4):  # level 5: third-level slots
        await arena.level_up()
    for spell in ("Lesser Restoration", "Revivify"):
        await arena.run("spell prepare", {"spell": spell})
    tordek = await make(arena.session, "bob", "Tordek", "fighter", ("athletics", "perception"))
    for user in ("alice", "bob"):
        await join_campaign(arena, user)
    combat_id = await arena.fight(("goblin", 1), joining=("alice", "bob"))
    combat, dm, characters = (
        arena.session.services.combat,
        arena.actor("dungeonmaster"),
        arena.session.services.characters,
    )
    await arena.turn_of(combat_id, "Sera")

    await combat.set_condition(dm, combat_id, "Tordek", "poisoned", add=True)
    restored = text(await arena.run("cast", {"spell": "Lesser Restoration", "targets": "Tordek"}))
    assert "no longer poisoned" in restored
    assert not (await characters.get(tordek)).conditions
    await combat.damage(dm, arena.campaign, "Tordek", 12)  # 12 HP: down to 0, dying
    spared = text(await arena.run("cast", {"spell": "Spare the Dying", "targets": "Tordek"}))
    assert "stable at 0 HP" in spared
    assert (await characters.get(tordek)).death_successes == 3
    await combat.damage(dm, arena.campaign, "Tordek", 12)  # at 0 HP, damage of his HP maximum kills him
    assert (await characters.get(tordek)).death_failures >= 3
    back = text(await arena.run("cast", {"spell": "Revivify", "targets": "Tordek"}))
    assert "returns to life with 1 HP" in back and "L3 1" in back  # a level-5 cleric: two 3rd-level slots
    alive = await characters.get(tordek)
    assert (alive.hp_current, alive.death_failures, alive.death_successes) == (1, 0, 0)
    del sera


async def test_heroism_keeps_fear_off(arena: Arena) -> None:
    """SRD Heroism: the creature is immune to being frightened (a failed save against Fear does nothing)."""
    await make(arena.session, "alice", "Ser Ana", "paladin", ("athletics", "persuasion"))
    await arena.level_up()
    await arena.run("spell prepare", {"spell": "Heroism"})
    await make(arena.session, "bob", "Mira", "wizard", ("arcana", "history"), **WIZARD)
    for _ in range(4):
        await arena.level_up(user="bob")
    await arena.run("spell learn", {"spell": "Fear"}, user="bob")
    await arena.run("spell prepare", {"spell": "Fear"}, user="bob")
    for user in ("alice", "bob"):
        await join_campaign(arena, user)
    combat_id = await arena.fight(("goblin", 1), joining=("alice", "bob"))
    await arena.turn_of(combat_id, "Ser Ana")
    await arena.run("cast", {"spell": "Heroism", "targets": "Ser Ana"})
    await arena.turn_of(combat_id, "Mira")
    arena.dice.force(1, 1)  # both fail their WIS saves against DC 14
    fear = text(await arena.run("cast", {"spell": "Fear", "targets": "Ser Ana, Goblin"}, user="bob"))
    assert "Ser Ana fails" in fear and "Goblin fails" in fear
    rows = await arena.rows(combat_id)
    assert "Fear" in [e.name for e in effects.load(rows["Goblin"].effects)]
    assert "Fear" not in [e.name for e in effects.load(rows["Ser Ana"].effects)]


async def test_concentration_lost_in_a_fight_ends_the_spell_on_those_who_stayed_out(arena: Arena) -> None:
    await make(
        arena.session,
        "alice",
        "Sera",
        "cleric",
        ("history", "medicine"),
        cantrips=("guidance", "light", "thaumaturgy"),
        spells=("bless", "cure-wounds"),
    )
    tordek = await make(arena.session, "bob", "Tordek", "fighter", ("athletics", "perception"))
    for user in ("alice", "bob"):
        await join_campaign(arena, user)
    await arena.run("cast", {"spell": "Bless", "targets": "Sera, Tordek"})
    combat_id = await arena.fight(("goblin", 1))  # Sera alone: Tordek keeps watch outside
    await arena.turn_of(combat_id, "Sera")
    await arena.run("cast", {"spell": "Guidance"})  # a new concentration: Bless ends, on Tordek too
    await arena.session.services.combat.end(arena.actor("dungeonmaster"), combat_id)
    assert not (await arena.session.services.characters.get(tordek)).effects


async def test_a_caster_joining_keeps_concentrating_on_a_spell_held_outside(arena: Arena) -> None:
    await make(
        arena.session,
        "alice",
        "Sera",
        "cleric",
        ("history", "medicine"),
        cantrips=("guidance", "light", "thaumaturgy"),
        spells=("bless", "cure-wounds"),
    )
    tordek = await make(arena.session, "bob", "Tordek", "fighter", ("athletics", "perception"))
    for user in ("alice", "bob"):
        await join_campaign(arena, user)
    await arena.run("cast", {"spell": "Bless", "targets": "Tordek"})
    combat_id = await arena.fight(("goblin", 1))  # Sera alone; her Bless is on Tordek, outside
    dm = arena.actor("dungeonmaster")
    arena.dice.force(20)  # damage calls for her concentration save: kept
    kept = await arena.session.services.combat.damage(dm, arena.campaign, "Sera", 2)
    assert kept.concentration_save is not None and kept.concentration_save.success
    await arena.session.services.combat.end(dm, combat_id)
    assert [e.name for e in (await arena.session.services.characters.get(tordek)).effects] == ["Bless"]
    combat_id = await arena.fight(("goblin", 1))
    arena.dice.force(1)  # this time the save fails: Bless ends, on Tordek outside too
    lost = await arena.session.services.combat.damage(dm, arena.campaign, "Sera", 2)
    assert lost.concentration_ended == ("Sera: Bless",)
    await arena.session.services.combat.end(dm, combat_id)
    assert not (await arena.session.services.characters.get(tordek)).effects
    sera = await arena.session.services.characters.get(arena.actor("alice"))
    assert not sera.effects  # no marker is left on her sheet
