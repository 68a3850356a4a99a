"""The offline narrator over a scripted 50-turn session: no sentence repeated within 20 turns, NPCs who speak in
their recorded voice, the engine's numbers in the prose, nothing claimed that did not happen."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from typing import Any

from bot.engine.memory import NpcNote, PromptBudget, PromptInputs
from bot.narrator import NARRATOR_TOOLS, OfflineNarrator, TextDelta, ToolCallsProposed, assistant_message
from bot.narrator.offline_voice import sentences_of

GRETA = NpcNote(
    "Greta", "innkeeper", "Personality: wary. Voice: low gravelly rumble. Wants to pay off a dangerous debt."
)
ACTIONS = [
    "I climb the slick wall to reach the bell rope",
    "I sneak past the sleeping ghoul",
    "I persuade Greta to tell me what she saw",
    "I search the altar steps for traps",
    "I greet Greta and order a drink",
    "I leap across the gap in the floor",
    "I lie to Greta that the mayor sent me",
    "I listen at the door for voices",
    "I sit on a pew and catch my breath",
    "I force the stuck door open with my shoulder",
    "I watch Greta's face: is she hiding something?",
    "I recall what I know about the sigil on the altar",
    "I hide behind the altar",
    "I track the footprints in the mud",
    "I ask Greta about the harvest",
    "I balance along the narrow beam",
    "I pick the lock of the reliquary",
    "I slam my fist on the bar and demand answers",
    "I walk to the chapel door and look outside",
    "I swim through the flooded crypt",
    "I tend to the wounded acolyte",
    "I wait by the fire",
    "I study the runes on the wall",
    "I calm the frightened horse",
    "I juggle three apples for the crowd",
]
SKILL_BONUS = 3


def prompt_for(action: str) -> list[dict[str, Any]]:
    inputs = PromptInputs(
        campaign_name="Saltmere",
        tone="grim",
        setting="",
        persona="",
        content_rating="teen",
        lines=(),
        veils=(),
        canon=(),
        action=action,
        player_name="Alice",
        acting_character="Mira",
        location="The drowned chapel",
        npcs=(GRETA,),
    )
    return PromptBudget(6000, NARRATOR_TOOLS).assemble(inputs).messages


async def play_turn(narrator: OfflineNarrator, action: str, rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    """One turn as the engine plays it with the offline narrator: its proposal, the engine's roll, the story."""
    messages = prompt_for(action)
    first = [e async for e in narrator.stream(messages, NARRATOR_TOOLS)]
    calls = [c for e in first if isinstance(e, ToolCallsProposed) for c in e.calls]
    checks: list[dict[str, Any]] = []
    if not calls:  # nothing to roll: that was the narration (the turn loop stops there)
        return "".join(e.text for e in first if isinstance(e, TextDelta)), checks
    messages.append(assistant_message("", calls))
    for call in calls:
        args = call.arguments or {}
        total = rng.randint(1, 20) + SKILL_BONUS
        check = {
            "character": args["character"],
            "skill": args["skill_or_ability"],
            "label": f"{str(args['skill_or_ability']).replace('-', ' ').capitalize()} check",
            "dc": args["dc"],
            "total": total,
            "success": total >= args["dc"],
            "margin": total - args["dc"],
        }
        checks.append(check)
        result = json.dumps({"ok": True, "check": check})
        messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    events = [e async for e in narrator.stream(messages, NARRATOR_TOOLS)]
    return "".join(e.text for e in events if isinstance(e, TextDelta)), checks


async def test_fifty_turns_repeat_no_sentence_within_twenty() -> None:
    narrator = OfflineNarrator(monsters=["Ghoul", "Goblin"])
    rng = random.Random(7)
    turns: list[tuple[str, list[dict[str, Any]]]] = [
        await play_turn(narrator, ACTIONS[i % len(ACTIONS)], rng) for i in range(50)
    ]
    said = [sentences_of(text) for text, _ in turns]
    repeats = [
        (i, sentence)
        for i, sentences in enumerate(said)
        for sentence in sentences
        if any(sentence in said[j] for j in range(max(0, i - 20), i))
    ]
    everything = [s for sentences in said for s in sentences]
    distinct = len(set(everything))
    print(f"50 turns: {len(everything)} sentences, {distinct} distinct, {len(repeats)} repeated within 20 turns")
    assert not repeats, repeats[:5]
    assert distinct >= 0.6 * len(everything)  # repeats further apart than 20 turns are allowed
    # The engine's numbers are told, and only the ones it rolled.
    for text, checks in turns:
        for check in checks:
            assert f"{check['total']}" in text and f"{check['dc']}" in text, text
        rolled = {str(n) for check in checks for n in (check["total"], check["dc"])}
        assert set(re.findall(r"\b\d+\b", text)) <= rolled, text
    # Greta speaks, in her recorded voice, about what she wants.
    spoken = [text for text, _ in turns if "low gravelly rumble" in text]
    assert spoken and all("pay off a dangerous debt" in text for text in spoken)


async def test_it_claims_no_wound_or_bleeding_that_the_engine_did_not_give() -> None:
    narrator = OfflineNarrator(monsters=["Ghoul"])
    rng = random.Random(1)
    texts = [(await play_turn(narrator, "I tend to the wounded acolyte", rng))[0] for _ in range(12)]
    # The player's own words ("the wounded acolyte") are echoed; the narrator adds no wound of its own.
    assert not [t for t in texts if re.search(r"bleed|blood|wound", t.replace("the wounded acolyte", ""), re.I)]
    counts = Counter(s for t in texts for s in sentences_of(t))
    assert max(counts.values()) <= 2  # a dozen tries of one action still vary


async def test_the_acting_characters_pronouns_are_used() -> None:
    inputs = PromptInputs(
        campaign_name="Pronouns",
        tone="",
        setting="",
        persona="",
        content_rating="teen",
        lines=(),
        veils=(),
        canon=(),
        action="I search my pack for the rope",
        player_name="Alice",
        acting_character="Mira",
        party=("Mira (Alice's, she/her): level 1 human rogue, HP 9/9, AC 14, conditions: none; carries: rope",),
    )
    messages = PromptBudget(6000, NARRATOR_TOOLS).assemble(inputs).messages
    text = "".join(
        [e.text async for e in OfflineNarrator(monsters=[]).stream(messages, []) if isinstance(e, TextDelta)]
    )
    assert "search her pack for the rope" in text and "their" not in text, text
