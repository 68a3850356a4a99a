"""Every example of `/help` and of the guides runs as written, at a table where it makes sense.

The examples are gathered, not listed: each `/help` example (bot/help_catalog.py) and each code span of
docs/PLAYER_GUIDE.md and docs/DM_GUIDE.md that is a command with options (usage lines with `<...>` or
` [...]` are not examples). They run in the order of `PLAN`, a first evening at one table: characters,
spells, a campaign, a fight, the end of the campaign, then the server's admin. A new example whose command
is not in the plan fails the test, so an example can't be added without being run.

An example passes when the bot answers it in time, Discord accepts the answer, and the answer is not an
error ("⚠️ ..."), a refusal of the option or an apology.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import help_catalog as catalog
from bot.engine.characters import CharacterRef
from bot.engine.creation import Choices
from bot.engine.sheet import Actor, Sheet
from bot.sandbox.commandline import Directory, parse
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.messages import Message
from bot.testbed.harness import SandboxSession
from persistence.models import Campaign, PendingChange

ROOT = Path(__file__).resolve().parents[2]
GUIDES = (ROOT / "docs" / "PLAYER_GUIDE.md", ROOT / "docs" / "DM_GUIDE.md")
CODE_SPAN = re.compile(r"`(/[a-z][^`]*)`")
DM = "dungeonmaster"
Setup = Callable[[SandboxSession], Awaitable[None]]


def examples() -> list[str]:
    """The catalog's examples, then the guides' (each once, spaces as typed)."""
    found = [e.example for e in catalog.CATALOG]
    usages = {" ".join(e.usage.split()) for e in catalog.CATALOG}
    for guide in GUIDES:
        spans = [" ".join(s.split()) for s in CODE_SPAN.findall(guide.read_text(encoding="utf-8"))]
        found += [s for s in spans if ":" in s and "<" not in s and " [" not in s and s not in usages]
    return list(dict.fromkeys(" ".join(e.split()) for e in found))


# --- what the table needs before some examples ------------------------------------------------------


async def make(session: SandboxSession, user: str, name: str, race: str, klass: str, **choices: object) -> None:
    actor = Actor(session.user_id(user), session.world.guild.id)
    characters = session.services.characters
    draft = await characters.start_draft(
        actor, name=name, race=race, klass=klass, background="acolyte", method="standard"
    )
    await characters.create(actor, draft, Choices(**choices))  # type: ignore[arg-type]


async def drop_character(session: SandboxSession, user: str, name: str) -> None:
    actor = Actor(session.user_id(user), session.world.guild.id)
    if name.casefold() in {c.name.casefold() for c in await session.services.characters.list_characters(actor)}:
        await session.services.characters.delete(actor, name)


async def brenna_exists(session: SandboxSession) -> None:
    """The rest of the evening needs alice's Brenna, even when the creation example failed (reported)."""
    actor = Actor(session.user_id("alice"), session.world.guild.id)
    if not await session.services.characters.list_characters(actor):
        await make(session, "alice", "Brenna", "dwarf", "fighter", skills=("athletics", "perception"))


async def the_party(session: SandboxSession) -> None:
    """Tordek (bob's dwarf fighter) and Lia (carol's elf wizard, Magic Missile in her spellbook)."""
    await make(session, "bob", "Tordek", "dwarf", "fighter", skills=("athletics", "perception"))
    book = ("magic-missile", "shield", "detect-magic", "sleep", "mage-armor", "burning-hands")
    await make(session, "carol", "Lia", "elf", "wizard", skills=("arcana", "history"), spells=book)
    carol = Actor(session.user_id("carol"), session.world.guild.id)
    await session.services.characters.grant_xp(carol, CharacterRef(name="Lia"), 900)
    for _ in range(2):  # level 3, for a 2nd-level slot: levels come outside fights
        await session.services.characters.level_up(carol, CharacterRef(name="Lia"))


async def admin_has_a_character(session: SandboxSession) -> None:
    """Saved rolls fill `{str}` from the active character; `server:true` needs Manage Server (the owner)."""
    await make(session, "admin", "Warden", "human", "fighter", skills=("athletics", "perception"))


async def brenna_is_hurt_with_xp(session: SandboxSession) -> None:
    """For a short rest that spends hit dice, and a level-up that her XP allows (300 XP: level 2)."""

    async def hurt(_: object, sheet: Sheet, __: object) -> tuple[Sheet, None]:
        return replace(sheet, hp_current=sheet.hp_current - 5, xp=300), None

    actor = Actor(session.user_id("alice"), session.world.guild.id)
    await session.services.characters.change(actor, CharacterRef(name="Brenna"), hurt)


async def bob_and_carol_join(session: SandboxSession) -> None:
    for user, name in (("bob", "Tordek"), ("carol", "Lia")):
        await run(session, f"/campaign join character:{name}", user)


async def a_second_fact_and_three_pending_changes(session: SandboxSession) -> None:
    """`/dm unpin number:2` and `/dm approve change:3` name a second fact and a third pending change."""
    await run(session, "/dm pin fact:The chapel bell is cracked", DM)
    async with session.services.db.transaction() as db:
        campaign = (
            await db.execute(
                select(Campaign.id).where(Campaign.channel_id == session.channel_id(), Campaign.status == "active")
            )
        ).scalar_one()
        for _ in range(3):
            args = {"targets": ["Brenna"], "amount": 10}
            db.add(
                PendingChange(
                    campaign_id=campaign,
                    requested_by=session.user_id("alice"),
                    tool="award_xp",
                    arguments=args,
                    summary="10 XP to Brenna",
                    status="pending",
                )
            )


async def goblins_and_turns(session: SandboxSession) -> None:
    """Two goblins in the fight, everyone in the order, round 1 begun, and Tordek's turn."""
    await run(session, "/dm-combat add monster:goblin count:2 hit_points:60", DM)  # they live through the examples
    await run(session, "/combat join", "carol")
    await run(session, "/combat next", DM)
    await tordeks_turn(session)


async def dragons_and_mara_join(session: SandboxSession) -> None:
    """Two red dragons (a young one's Fire Breath, an adult's legendary actions at others' turns) and Mara (dave's
    halfling rogue), whom the breath hits with Tordek and Lia. The three get the hit points to live through a
    dragon's examples (level-1 characters would not)."""
    session.world.add_member(session.world.guild.id, name="dave")
    await make(
        session, "dave", "Mara", "halfling", "rogue", skills=("stealth", "acrobatics", "perception", "deception")
    )
    await run(session, "/campaign join character:Mara", "dave")
    await run(session, "/combat join", "dave")

    async def tough(_: object, sheet: Sheet, __: object) -> tuple[Sheet, None]:
        return replace(sheet, hp_max=300, hp_current=300), None

    for user, name in (("bob", "Tordek"), ("carol", "Lia"), ("dave", "Mara")):
        actor = Actor(session.user_id(user), session.world.guild.id)
        await session.services.characters.change(actor, CharacterRef(name=name), tough)
    await run(session, "/dm-combat add monster:young-red-dragon", DM)
    await run(session, "/dm-combat add monster:adult-red-dragon", DM)


async def tordek_is_poisoned(session: SandboxSession) -> None:
    await run(session, "/dm condition add target:Tordek condition:poisoned", DM)


async def tordek_drops(session: SandboxSession) -> None:
    """Outside the fight, at exactly 0 HP (more than his maximum past 0 would kill him): `/deathsave` is his."""
    sheet = await session.services.characters.get(Actor(session.user_id("bob"), session.world.guild.id))
    if sheet.hp_current:  # the goblins may have done it already
        await run(session, f"/dm damage target:Tordek amount:{sheet.hp_current}", DM)


async def lia_casts(session: SandboxSession) -> None:
    """Fire Bolt known again, Shield prepared, and Lia's turn."""
    await run(session, "/spell learn spell:Fire Bolt", "carol")
    await run(session, "/spell prepare spell:Shield", "carol")
    await turn_of(session, "Lia")


async def tordeks_turn(session: SandboxSession) -> None:
    await turn_of(session, "Tordek")


async def back_to_turns(session: SandboxSession) -> None:
    await run(session, "/dm settings pace:turns", DM)


async def wolves_turn(session: SandboxSession) -> None:
    await turn_of(session, "Wolf 1")


async def turn_of(session: SandboxSession, name: str) -> None:
    for _ in range(40):
        state = await session.services.combat.status(await fight(session))
        if state.current is not None and state.current.name == name:
            return
        await run(session, "/combat next", DM)
    order = [(e.name, e.state) for e in state.entries]
    raise AssertionError(f"{name}'s turn never came: {order}")


async def fight(session: SandboxSession) -> int:
    combat = await session.services.combat.active_in_channel(session.channel_id())
    assert combat is not None
    return combat


# --- the plan: (command, who types it) or a setup, in the order a first evening goes ----------------

Step = tuple[str, str] | Setup
PLAN: list[Step] = [
    ("help", "alice"),
    ("lookup", "alice"),
    admin_has_a_character,
    ("alias add", "admin"),
    ("roll", "admin"),  # `/roll expression:greatsword` after `/alias add name:greatsword ...`
    ("alias list", "admin"),
    ("alias remove", "admin"),
    ("character create", "alice"),  # the draft is confirmed: Brenna exists from here on
    brenna_exists,
    ("character import", "alice"),  # Randal from Foundry VTT, confirmed
    ("character export", "alice"),
    the_party,
    ("character show", "alice"),
    ("character list", "alice"),
    ("character use", "alice"),
    ("character edit", "alice"),
    ("check", "alice"),
    ("save", "alice"),
    ("initiative", "alice"),
    ("character inventory", "alice"),
    ("character condition", "alice"),
    brenna_is_hurt_with_xp,
    ("character levelup", "alice"),
    ("character rest", "alice"),  # level 2: two hit dice to spend
    ("feature add", "alice"),  # Brenna's Luck counter, then a use of it (no dice: the evening's rolls stay)
    ("feature use", "alice"),
    ("feature list", "alice"),
    ("feature remove", "alice"),
    ("spell list", "carol"),
    ("spell learn", "carol"),
    ("spell forget", "carol"),
    ("spell prepare", "carol"),
    ("spell book", "carol"),
    ("campaign create", DM),
    ("campaign safety", DM),
    ("session start", DM),
    ("campaign join", "alice"),
    ("/character export player:", DM),  # the DM's copy of a player's sheet in the campaign
    ("homebrew add", DM),
    ("homebrew monster", DM),
    ("homebrew list", DM),
    ("homebrew show", DM),
    ("homebrew export", DM),
    ("/lookup monster name:Bog Hag", DM),
    bob_and_carol_join,
    ("campaign info", "alice"),
    ("campaign list", "alice"),
    ("narrate", "alice"),
    ("dm scene", DM),
    ("dm narrate", DM),
    ("dm retcon", DM),
    ("dm pin", DM),
    ("dm canon", DM),
    a_second_fact_and_three_pending_changes,
    ("dm unpin", DM),
    ("dm settings", DM),
    ("dm pending", DM),
    ("dm approve", DM),
    ("dm deny", DM),
    ("dm npc create", DM),
    ("dm npc list", DM),
    ("dm npc show", DM),
    ("dm npc edit", DM),
    ("dm npc remove", DM),
    ("dm generate", DM),
    ("dm award", DM),
    ("dm allow-levelup", DM),
    ("/dm settings pace:", DM),  # the table plays in rounds from here
    ("pass", "alice"),
    ("dm end-round", DM),  # Brenna passed, Tordek and Lia never came: a round with nobody acting
    back_to_turns,
    ("dm-combat start", DM),
    ("combat join", "bob"),
    goblins_and_turns,
    ("dm-combat act", DM),  # Goblin 1 attacks Tordek before Tordek's longsword drops it
    ("attack", "bob"),
    ("combat status", "alice"),
    ("dm damage", DM),
    ("dm heal", DM),
    tordek_is_poisoned,
    ("dm condition", DM),
    ("dm-combat add", DM),  # the wolves (a group), the Collapsing Bridge, a portcullis, the Bog Hag
    ("/dm-combat act monster:Bog Hag", DM),  # a homebrew monster's own actions
    dragons_and_mara_join,
    ("/dm-combat act monster:Young Red Dragon", DM),  # Fire Breath at three, a save each
    ("/dm-combat act monster:Adult Red Dragon", DM),
    ("dm-combat legendary", DM),
    ("dm-combat sunlight", DM),
    tordeks_turn,
    ("/attack weapon:longsword target:Wolf", "bob"),  # at two wolves
    ("dm-combat opportunity", DM),  # Tordek walks away from Wolf 2
    wolves_turn,
    ("combat opportunity", "bob"),  # Wolf 1 runs past Tordek
    ("dm-combat lair", DM),
    ("dm-combat effect", DM),
    ("dm-combat move", DM),
    ("dm-combat reroll", DM),
    ("dm-combat prev", DM),
    ("dm-combat skip", DM),
    lia_casts,
    ("cast", "carol"),  # on her turn: Fire Bolt, then Magic Missile at a 2nd-level slot on two goblins
    ("/cast spell:Shield", "carol"),  # a reaction, on anyone's turn
    tordeks_turn,
    ("combat delay", "bob"),  # Tordek holds his turn, then readies it
    ("combat ready", "bob"),
    ("combat next", DM),
    ("dm-combat remove", DM),
    ("dm-combat end", DM),
    ("stats player", "alice"),  # her checks, saves and rolls of the evening
    ("stats campaign", "alice"),
    ("homebrew remove", DM),
    tordek_drops,
    ("deathsave", "bob"),
    ("/cast spell:Detect Magic", "carol"),  # a ritual: ten minutes, not in a fight
    ("dm revive", DM),  # dying Tordek back with 1 HP
    ("character use-item", "bob"),  # the potion of healing the DM awarded
    ("recap", "alice"),
    ("campaign export", "alice"),
    ("dm pause", DM),
    ("dm resume", DM),
    ("session end", DM),
    ("dm kick", DM),
    ("dm transfer", DM),
    ("campaign leave", "alice"),
    ("dm end", DM),  # the transfer waits for the DM's confirmation: still theirs
    ("character delete", "alice"),
    ("admin usage", "admin"),
    ("admin budget", "admin"),
    ("admin dm-role", "admin"),
    ("admin settings", "admin"),
    ("admin stats", "admin"),
]


@dataclass
class Ran:
    example: str
    reply: str


async def run(session: SandboxSession, line: str, user: str) -> Ran:
    """`line` typed by `user` in #tavern; a creation draft's Confirm is pressed like a player would."""
    if user == "current":
        user = await owner_of_current_turn(session)
    parsed = parse(line, session.discord.commands(), directory(session))
    if parsed.path == "character create":  # each creation example starts from no character of that name
        await drop_character(session, user, str(parsed.options["name"]))
    if parsed.path == "character import":  # the guides import one hero twice: a fresh start each time
        await drop_character(session, user, "Randal (Human Fighter)")
    handle = await session.run(parsed.path, parsed.options, user=user, timeout=10)
    assert handle.callback is not None, f"{line}: no answer"
    assert not handle.rejected, f"{line}: Discord refused the answer: {handle.rejected}"
    if parsed.path in ("character create", "character import") and handle.messages:
        handle = await press_confirm(session, handle.messages[-1], user) or handle
    return Ran(line, reply_text(handle.messages))


async def press_confirm(session: SandboxSession, draft: Message, user: str) -> InteractionHandle | None:
    """A draft's menus filled with their first choices and Confirm pressed, by its player; None when the reply
    has no Confirm (an error, reported)."""
    ids = [c["custom_id"] for c in draft.iter_components() if c.get("custom_id", "").endswith(":confirm")]
    if not ids:
        return None
    user_id = session.user_id(user)
    for menu in [c for c in draft.iter_components() if c.get("type") == 3]:
        values = [o["value"] for o in menu["options"][: max(1, menu.get("min_values", 1))]]
        await (await session.discord.click(draft, menu["custom_id"], user_id=user_id, values=values)).done(10)
    return await (await session.discord.click(draft, ids[0], user_id=user_id)).done(10)


async def owner_of_current_turn(session: SandboxSession) -> str:
    state = await session.services.combat.status(await fight(session))
    assert state.current is not None
    owners = {"Tordek": "bob", "Lia": "carol", "Brenna": "alice"}
    return owners.get(state.current.name, DM)


def reply_text(messages: list[Message]) -> str:
    return " ".join(m.content + " " + str(m.embeds) for m in messages)


def command_of(example: str, session: SandboxSession) -> str:
    return parse(example, session.discord.commands(), directory(session)).path


def directory(session: SandboxSession) -> Directory:
    return Directory(session.world.guild, session.world.users)


def refused(reply: str) -> str | None:
    for mark in ("⚠️", "Something went wrong"):
        if mark in reply:
            return mark
    return None


def step_of(example: str, command: str) -> int | None:
    """The plan step that runs an example: the longest key that matches it, a key starting with `/` being
    the start of the example as typed, any other a command path (and what is under it)."""
    best: tuple[int, int] | None = None
    for index, step in enumerate(PLAN):
        if not isinstance(step, tuple):
            continue
        key = step[0]
        matches = example.startswith(key) if key.startswith("/") else command == key or command.startswith(key + " ")
        if matches and (best is None or len(key) > best[0]):
            best = (len(key), index)
    return best[1] if best else None


@pytest.fixture
def files_at_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The files the examples attach (`file:bog-hag.json`), where a user would type them: the current folder."""
    for source in (ROOT / "tests/fixtures/foundry/randal-human-fighter.json", *(ROOT / "docs/examples").glob("*.json")):
        shutil.copy(source, tmp_path)
    (tmp_path / "heroes").mkdir()  # the player guide's `file:heroes/randal.json`
    shutil.copy(tmp_path / "randal-human-fighter.json", tmp_path / "heroes" / "randal.json")
    monkeypatch.chdir(tmp_path)


@pytest.mark.usefixtures("files_at_hand")
async def test_every_example_of_the_help_and_the_guides_runs(sqlite_session: SandboxSession) -> None:
    session = sqlite_session
    wanted = examples()
    by_step: dict[int, list[str]] = {}
    unplanned = []
    for example in wanted:
        index = step_of(example, command_of(example, session))
        if index is None:
            unplanned.append(example)
        else:
            by_step.setdefault(index, []).append(example)
    assert not unplanned, f"examples the plan never runs (add their commands to PLAN): {unplanned}"

    failures: list[str] = []
    for index, step in enumerate(PLAN):
        if not isinstance(step, tuple):
            await step(session)
            continue
        user = step[1]
        for example in by_step.get(index, []):
            ran = await run(session, example, user)
            if mark := refused(ran.reply):
                failures.append(f"{example} (as {user}): {mark} {ran.reply[:300]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_the_guides_have_examples(guide: Path) -> None:
    spans = CODE_SPAN.findall(guide.read_text(encoding="utf-8"))
    assert len([s for s in spans if ":" in s]) >= 20
