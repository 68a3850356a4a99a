"""Monsters as written, end to end through the local Discord, with the bot's seeded dice: a red dragons' lair
with the Lair Actions entry at 20; a young red dragon whose Fire Breath hits three characters (the damage
rolled once, a save each, half on a success) and recharges on a 5–6 rolled at the start of its turn; its
adult parent's legendary actions (spent on others' turns, shown in the tracker, back at its turn); a pack of
wolves as a group with Pack Tactics; an opportunity attack, once a round; `/attack` at two targets.

The SRD gives young dragons no legendary actions (adult and ancient ones have them), so the legendary actions
are the adult red dragon's. The numbers asserted are the rules' arithmetic on the dice the replies show."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import update
from test_tracker import Arena

from bot import help_catalog as catalog
from bot.engine.combat import TrackerEntry
from bot.sandbox.interactions import InteractionHandle
from bot.testbed.harness import SandboxSession
from persistence.models import Character

if TYPE_CHECKING:
    from conftest import PartyCampaign

CHANNEL = "arena"
ROOT = Path(__file__).resolve().parents[2]
GUIDES = {"dm": ROOT / "docs" / "DM_GUIDE.md", "player": ROOT / "docs" / "PLAYER_GUIDE.md"}
COMMANDS = ("dm-combat sunlight", "combat opportunity")
HEROES = (
    ("alice", "Tordek", "fighter", "dwarf"),
    ("bob", "Lia", "wizard", "elf"),
    ("carol", "Mara", "fighter", "human"),
)
TOUGH = 400  # set on the sheets, so the dragons' numbers can be followed without anyone dying outright
ORDER = (("Tordek", 25), ("Wolf 1", 22), ("Lia", 18), ("Mara", 16), ("Young Red Dragon", 14), ("Adult Red Dragon", 12))


@pytest.fixture
async def lair(session: SandboxSession, campaign_with_party: PartyCampaign) -> AsyncIterator[Arena]:
    async with campaign_with_party(CHANNEL, "Lair", HEROES, hit_points=TOUGH) as (campaign, channel):
        async with session.services.db.transaction() as db:  # level 5: Extra Attack's two attacks, which
            tordek = update(Character).where(Character.name == "Tordek")  # `/attack` splits between two wolves
            await db.execute(tordek.values(level=5))
        yield Arena(session, campaign, channel)


def shown(handle: InteractionHandle) -> str:
    return "\n".join(f"{e.get('title', '')}\n{e.get('description', '')}" for m in handle.messages for e in m.embeds)


def breath_numbers(text: str, dc: int) -> dict[str, tuple[int, int]]:
    """Each target's save total and damage taken, checked against the rule: the one damage roll in full on a
    failed save, half (rounded down) on a success."""
    rolled = {int(n) for n in re.findall(r"16d6 \([^)]*\) = `(\d+)`", text)}
    assert len(rolled) == 1, text  # rolled once for all three
    [full] = rolled
    found = {}
    for name, verdict, total, damage in re.findall(
        r"(\w+) (succeeds|fails) the DC \d+ Dexterity save: \*\*(\d+)\*\*.*?\nDamage \*\*(\d+)\*\*", text, re.S
    ):
        assert (verdict == "succeeds") == (int(total) >= dc)
        assert int(damage) == (full // 2 if verdict == "succeeds" else full)
        found[name] = (int(total), int(damage))
    return found


async def test_a_red_dragons_lair(lair: Arena) -> None:
    await lair.run("/dm-combat start")
    young = await lair.run("/dm-combat add monster:young-red-dragon")
    assert "Young Red Dragon: 178 HP" in str(young.messages[-1].embeds)
    await lair.run("/dm-combat add monster:adult-red-dragon")
    wolves = await lair.run("/dm-combat add monster:wolf count:3 group:true hit_points:60")  # none falls early
    assert "Wolf 3: 60 HP" in str(wolves.messages[-1].embeds)
    await lair.run("/dm-combat lair")
    portcullis = await lair.run("/dm-combat add name:Portcullis hit_points:30 ac:19 threshold:10")
    assert "Portcullis: 30 HP" in str(portcullis.messages[-1].embeds)
    for user, *_ in HEROES:
        await lair.run("/combat join", user=user)
    for name, initiative in ORDER:
        move = {"name": name, "initiative": initiative}
        await lair.session.run("dm-combat move", move, user="dungeonmaster", channel=CHANNEL)
    await lair.tracker_shows("👑 3/3 legendary")
    await lair.run("/combat next")  # round 1: Tordek

    # Legendary actions at the end of Tordek's turn: a Tail Attack (1), a Wing Attack at three (2).
    tail = await lair.run("/dm-combat act monster:Adult Red Dragon action:Tail Attack target:Tordek")
    assert "Adult Red Dragon → Tordek: Tail" in shown(tail), tail.content
    assert "legendary actions left 2/3" in shown(tail)
    await lair.tracker_shows("👑 2/3 legendary")
    wing = await lair.run("/dm-combat act monster:Adult Red Dragon action:Wing Attack target:Tordek, Lia")
    assert len(re.findall(r"the DC 22 Dexterity save", shown(wing))) == 2
    assert "legendary actions left 0/3" in shown(wing)
    spent = await lair.run("/dm-combat act monster:Adult Red Dragon action:Detect target:Tordek")
    assert spent.ephemeral and "0 legendary actions left this round" in spent.content

    # Several targets: autocomplete offers the fight's combatants after the names already typed.
    dm, alice = lair.session.user_id("dungeonmaster"), lair.session.user_id("alice")
    typed = {"monster": "Young Red Dragon", "action": "Fire Breath", "target": "Tordek, L"}
    offered = await lair.session.discord.autocomplete(
        "dm-combat act", typed, "target", user_id=dm, channel_id=lair.channel
    )
    values = [c["value"] for c in offered]
    assert "Tordek, Lia" in values and all(v.startswith("Tordek, ") and v != "Tordek, Tordek" for v in values)
    offered = await lair.session.discord.autocomplete(
        "attack", {"weapon": "longsword", "target": "Wolf 1, wo"}, "target", user_id=alice, channel_id=lair.channel
    )
    assert [c["value"] for c in offered] == ["Wolf 1, Wolf 2", "Wolf 1, Wolf 3"]

    # Tordek runs past the wolves: Wolf 2's reaction bites him.
    bitten = await lair.run("/combat opportunity attacker:Wolf 2 target:Tordek")
    assert "↩️ Opportunity attack Wolf 2 → Tordek: Bite" in shown(bitten)
    assert (await entries(lair))["Wolf 2"].reaction_used

    # Tordek attacks two wolves: one attack each, one reply.
    two = await lair.run("/attack weapon:longsword target:Wolf 1, Wolf 2", user="alice")
    assert "Tordek → Wolf 1: Longsword" in shown(two) and "Tordek → Wolf 2: Longsword" in shown(two)

    # The wolves' turn: Pack Tactics; Wolf 1 runs off and Tordek takes his opportunity attack, once.
    await lair.run("/combat next")
    assert not (await entries(lair))["Wolf 2"].reaction_used  # back at the start of the wolves' turn
    bite = await lair.run("/dm-combat act monster:Wolf 3 action:Bite target:Lia")
    assert "*advantage: Pack Tactics*" in shown(bite) and "2d20kh1" in shown(bite)
    opportunity = await lair.run("/combat opportunity target:Wolf 1 weapon:longsword", user="alice")
    assert "↩️ Opportunity attack Tordek → Wolf 1: Longsword" in shown(opportunity)
    await lair.tracker_shows("↩️ reaction used")
    again = await lair.run("/combat opportunity target:Wolf 2 weapon:longsword", user="alice")
    assert again.ephemeral and "used its reaction this round" in again.content

    lair_turn = await lair.run("/combat next")
    assert "It's **Lair Actions**'s turn." in lair_turn.content  # initiative 20: after the wolves, before Lia
    await lair.until("Young Red Dragon")

    # Fire Breath at three: DC 17 Dexterity, 16d6 fire rolled once, half on a success.
    before = await hit_points(lair)
    breath = await lair.run("/dm-combat act monster:Young Red Dragon action:Fire Breath target:Tordek, Lia, Mara")
    saves = breath_numbers(shown(breath), 17)
    assert set(saves) == {"Tordek", "Lia", "Mara"} and "recharges on a 5–6" in shown(breath)
    after = await hit_points(lair)
    assert all(after[name] == before[name] - saves[name][1] for name in saves)
    assert all(f"{name}: ❤️ {after[name]}/{TOUGH} HP." in shown(breath) for name in saves)
    refused = await lair.run("/dm-combat act monster:Young Red Dragon action:Fire Breath target:Tordek")
    assert refused.ephemeral and "isn't recharged" in refused.content

    # Its recharge d6 at the start of each of its turns, until a 5 or 6.
    said = "\n".join(await lair.until("Adult Red Dragon"))
    assert "Adult Red Dragon's legendary actions are back: 3." in said
    await lair.tracker_shows("👑 3/3 legendary")
    rolls: list[tuple[str, int]] = []
    for _ in range(20):  # a 5 or 6 comes within 20 rolls but for 1 time in 3,300
        said = "\n".join([*await lair.until("Tordek"), *await lair.until("Young Red Dragon")])
        found = re.findall(r"(🔋|🪫) Young Red Dragon's Fire Breath (?:recharges|stays spent) \((\d)", said)
        rolls += [(mark, int(n)) for mark, n in found]
        if rolls and rolls[-1][0] == "🔋":
            break
    assert rolls and rolls[-1][0] == "🔋", rolls
    assert all((mark == "🔋") == (n >= 5) for mark, n in rolls)
    second = await lair.run("/dm-combat act monster:Young Red Dragon action:Fire Breath target:Tordek, Lia")
    assert set(breath_numbers(shown(second), 17)) == {"Tordek", "Lia"}

    sun = await lair.run("/dm-combat sunlight on:true")
    assert sun.content == "☀️ The fight is in sunlight."
    await lair.tracker_shows("☀️ sunlight")
    await lair.run("/dm-combat end")
    await lair.tracker_shows("fight is over")
    assert documented_examples() - lair.lines == set()  # every example the guides and the help show was run


def documented_examples() -> set[str]:
    """The examples of the guides' sections on monsters and fights, and of the help for these commands."""
    dm = GUIDES["dm"].read_text(encoding="utf-8").split("## Monsters as written")[1].split("\n## ")[0]
    player = GUIDES["player"].read_text(encoding="utf-8").split("## In a fight")[1].split("\n## ")[0]
    spans = {" ".join(s.split()) for s in re.findall(r"`(/[^`]+)`", dm + player) if ":" in s}
    return spans | {e.example for e in catalog.CATALOG if e.command in COMMANDS}


async def entries(lair: Arena) -> dict[str, TrackerEntry]:
    combat_id = await lair.session.services.combat.active_in_channel(lair.channel)
    assert combat_id is not None
    return {e.name: e for e in (await lair.session.services.combat.status(combat_id)).entries}


async def hit_points(lair: Arena) -> dict[str, int]:
    return {e.name: e.hp for e in (await entries(lair)).values() if e.kind == "character" and e.hp is not None}
