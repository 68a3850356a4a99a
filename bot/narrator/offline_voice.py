"""What keeps the offline narrator worth reading: no sentence said twice within 20 turns of a campaign, NPCs who
speak in the voice and for the motive the DM recorded, and the engine's numbers told in the prose.

The memory of used sentences lives in the narrator object (built once per process with the services), keyed by
the campaign's own system message; a restart forgets it, which costs at worst one repeat.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["NpcVoice", "RecentSentences", "campaign_key", "npc_voices", "pronouns_of", "sentences_of"]

REMEMBERED_TURNS = 20
_NPC_LINE = re.compile(r"^NPC: (?P<name>[^(:\n]+?)(?: \((?P<role>[^)\n]*)\))?(?:: (?P<about>.*))?$", re.M)
_VOICE = re.compile(r"Voice: ([^.\n]+)")
_MOTIVE = re.compile(r"Wants to ([^.\n]+)")
_SENTENCE = re.compile(r"[^.!?]+[.!?]+[\"”]?")


@dataclass(frozen=True)
class NpcVoice:
    name: str
    role: str = ""
    voice: str = ""
    motive: str = ""


def campaign_key(messages: Sequence[Mapping[str, Any]]) -> str:
    """One campaign's key: its first system message (persona, name, tone) is the same on every turn."""
    first = next((m.get("content") for m in messages if m.get("role") == "system"), "")
    return hashlib.sha256(str(first).encode()).hexdigest()[:16]


def npc_voices(messages: Sequence[Mapping[str, Any]]) -> dict[str, NpcVoice]:
    """The NPCs the record describes ("NPC: Greta (innkeeper): … Voice: … Wants to …"), by name."""
    found: dict[str, NpcVoice] = {}
    for message in messages:
        if message.get("role") != "user" or not isinstance(message.get("content"), str):
            continue
        for match in _NPC_LINE.finditer(message["content"]):
            about = match["about"] or ""
            voice = _VOICE.search(about)
            motive = _MOTIVE.search(about)
            name = match["name"].strip()
            found[name] = NpcVoice(
                name,
                (match["role"] or "").strip(),
                voice[1].strip().rstrip(".") if voice else "",
                motive[1].strip().rstrip(".") if motive else "",
            )
    return found


_PARTY_LINE = re.compile(r"^(?P<name>[^(\n]+?) \([^,)\n]*'s, (?P<pronouns>[^\W\d_]+(?:/[^\W\d_]+)*)\): level", re.M)


def pronouns_of(messages: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Each party member's pronouns from the record's sheets ("Mira (Alice's, she/her): level 3 …"), by name."""
    found: dict[str, str] = {}
    for message in messages:
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            for match in _PARTY_LINE.finditer(message["content"]):
                found[match["name"].strip().casefold()] = match["pronouns"]
    return found


def sentences_of(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


class RecentSentences:
    """The sentences of each campaign's last `turns` narrations."""

    def __init__(self, turns: int = REMEMBERED_TURNS, campaigns: int = 512) -> None:
        self.turns = turns
        self.campaigns = campaigns
        self._by_campaign: dict[str, deque[tuple[str, ...]]] = {}

    def used(self, key: str) -> set[str]:
        return {sentence for turn in self._by_campaign.get(key, ()) for sentence in turn}

    def remember(self, key: str, sentences: Iterable[str]) -> None:
        if key not in self._by_campaign and len(self._by_campaign) >= self.campaigns:
            self._by_campaign.pop(next(iter(self._by_campaign)))  # the longest-unseen campaign goes first
        turns = self._by_campaign.setdefault(key, deque(maxlen=self.turns))
        turns.append(tuple(sentences))


# --- what NPCs say ------------------------------------------------------------------------------

NPC_SPEECH = (
    '{npc} answers in a {voice}: "{quote}"',
    '"{quote}" {npc} says, in a {voice}.',
    '{npc} leans closer and speaks in a {voice}: "{quote}"',
    '"{quote}" The words come from {npc} in a {voice}.',
)
NPC_QUOTES = (
    "I've no time for idle talk. I need to {motive}.",
    "Help me {motive}, and then we can talk.",
    "You want something? So do I: to {motive}.",
    "Mind yourself. Some of us have to {motive}.",
    "Ask all you like. All I care about is a way to {motive}.",
)
NPC_PLAIN = (
    '{npc} looks {name} over. "Well? Out with it."',
    '"Not here," {npc} murmurs. "Not now."',
    '{npc} shrugs. "I hear things. Doesn\'t mean I share them."',
    '"You\'re new here," {npc} says, not quite smiling.',
)
# The engine's numbers, in words a reader follows: {label} is the engine's own ("Stealth check").
NUMBER_LINES = (
    "The {label} comes to {total} against DC {dc}.",
    "{total} against a DC of {dc}: the dice have spoken.",
    "The roll stands at {total}, the mark at {dc}.",
    "On the {label}, {total} {verdict} DC {dc}.",  # "meets" or "falls short of", as the engine judged
)
