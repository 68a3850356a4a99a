"""A deterministic narrator with no network: the fallback, and the narrator of key-less installs.

It plays the DM's half of a turn the way the model would, through the same interface:

1. **Proposal call** (the last message is the player's action, no tool results after it): keyword
   rules read the action and propose one ``request_check`` for the acting character ("I sneak past
   the guards" -> Stealth, DC 12-15 unless the action says "easy"/"hard"). An attack on a named SRD
   monster ("I attack the two goblins") proposes ``start_combat`` instead, unless already in combat.
   When no check fits, it narrates the action against the scene and proposes nothing.
2. **Narration call** (``role: "tool"`` results follow the action): 2-4 sentences from templates
   keyed by skill and success, naming the character and the scene. It never proposes on this call,
   so a turn always ends.

It proposes nothing but ``request_check`` and ``start_combat``, and only tools it was offered:
no damage, items, conditions or XP, whatever the player writes. Output is a pure function of the
messages (seeded by their SHA-256), so the same turn always reads the same.

**The ``<context>`` convention.** The engine tells the narrator whom it acts for by putting one
JSON object between ``<context>`` and ``</context>`` in its record message (``context_block()``
writes it; the last block wins)::

    <context>{"acting_character": "Mira", "scene": "the flooded crypt below the chapel",
              "npcs": ["Brother Aldous"], "in_combat": false}</context>

- ``acting_character``: the player character's name, used as ``character`` in ``request_check``.
  Without it, no check is proposed (the engine could not resolve one): the action is narrated.
- ``scene``: a short noun phrase for where the party is ("the flooded crypt"), used mid-sentence.
- ``npcs``: names of NPCs present (strings, or objects with a ``name``); optional.
- ``in_combat``: when true, no ``start_combat`` is proposed; optional, default false.

Tool results are JSON in the ``content`` of ``role: "tool"`` messages: ``{"ok": true, "check":
{"skill": "stealth", "total": 17, "dc": 13, "success": true, ...}}`` (``skill`` may also be an
ability such as ``"dex"``; an optional ``"character"`` overrides the acting character), or
``{"ok": false, "error": "..."}``. Any other ``ok`` result gets generic narration.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.data.srd import load_srd
from bot.narrator.base import (
    NarratorEvent,
    ProposedCall,
    TextDelta,
    ToolCallsProposed,
    ToolSpec,
    Usage,
    estimate_tokens,
)
from bot.narrator.offline_templates import (
    ABILITY_NAMES,
    ABILITY_OUTCOMES,
    ANY_OUTCOME,
    CLOSERS,
    COMBAT,
    FOLLOW_UPS,
    IDLE_LEADS,
    LEADS,
    NEAR_MISS,
    NPC_BEATS,
    OUTCOMES,
    PLAIN_LEADS,
    SCENE_BEATS,
    SETBACKS,
    SOCIAL_SKILLS,
    SPELLS,
)
from bot.narrator.offline_voice import (
    NPC_PLAIN,
    NPC_QUOTES,
    NPC_SPEECH,
    NUMBER_LINES,
    NpcVoice,
    RecentSentences,
    campaign_key,
    npc_voices,
    pronouns_of,
    sentences_of,
)
from bot.narrator.tools import validate_arguments

__all__ = ["OfflineNarrator", "SceneContext", "choose_check", "context_block", "round_closer", "without_closer"]

CONTEXT_PATTERN = re.compile(r"<context>(.*?)</context>", re.DOTALL)
DEFAULT_NAME = "the adventurer"
DEFAULT_SCENE = "the surroundings"
SAFE_TOOLS = frozenset({"request_check", "start_combat", "cast_spell"})  # the only proposals this narrator makes
# "I cast Fire Bolt at the goblin": a spell named after a word of casting is a `cast_spell` call.
CASTING = re.compile(r"\b(?:cast|casts|casting|channel|invoke|unleash)\b", re.I)
WORDS_PER_CHUNK = 3


# --- the <context> block ------------------------------------------------------------------------


@dataclass(frozen=True)
class SceneContext:
    """What the engine told the narrator about the turn (see the module docstring)."""

    acting_character: str | None = None
    scene: str = DEFAULT_SCENE
    npcs: tuple[str, ...] = ()
    in_combat: bool = False

    @property
    def name(self) -> str:
        return self.acting_character or DEFAULT_NAME

    @classmethod
    def from_messages(cls, messages: Sequence[Mapping[str, Any]]) -> SceneContext:
        blocks = [
            match
            for message in messages
            # The engine's own record message (role user) carries it; players' words cannot forge one, the
            # engine turns their angle brackets into ‹ › (memory.neutral).
            if message.get("role") in {"system", "developer", "user"} and isinstance(message.get("content"), str)
            for match in CONTEXT_PATTERN.findall(message["content"])
        ]
        try:
            data = json.loads(blocks[-1]) if blocks else {}
        except ValueError:
            data = {}
        return cls.from_dict(data) if isinstance(data, dict) else cls()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SceneContext:
        name = data.get("acting_character")
        scene = data.get("scene")
        npcs = data.get("npcs")
        npc_list = npcs if isinstance(npcs, list) else []
        npc_names = [npc.get("name") if isinstance(npc, dict) else npc for npc in npc_list]
        return cls(
            acting_character=name.strip() if isinstance(name, str) and name.strip() else None,
            scene=_noun_phrase(scene) if isinstance(scene, str) and scene.strip() else DEFAULT_SCENE,
            npcs=tuple(npc.strip() for npc in npc_names if isinstance(npc, str) and npc.strip()),
            in_combat=data.get("in_combat") is True,
        )


def context_block(acting_character: str, scene: str, npcs: Iterable[str] = (), *, in_combat: bool = False) -> str:
    """The ``<context>`` block for a system message, in the convention the offline narrator reads."""
    data = {"acting_character": acting_character, "scene": scene, "npcs": list(npcs), "in_combat": in_combat}
    return f"<context>{json.dumps(data, ensure_ascii=False)}</context>"


AGREEMENT = re.compile(r"\[([^|\]]+)\|([^\]]+)\]")
# A scene's head noun is its last word before one of these ("the halls of the dwarf king" is plural).
_AFTER_HEAD = re.compile(
    r"\s(?:of|below|beneath|under|above|over|near|by|beside|behind|beyond|in|on|at|inside|outside|with|"
    r"across|along|past|between|among|around|from|to|where|that|which)\s.*$",
    re.I,
)
_SINGULAR_IN_S = frozenset(
    "abyss pass moss fortress mess news chaos canvas campus oasis axis atlas gas lens bias iris cosmos "
    "crossroads bus circus palace always series species".split()
)
_PLURALS = frozenset("people men women children mice teeth feet geese folk cattle".split())


def is_plural(noun_phrase: str) -> bool:
    """Whether a scene's noun phrase takes a plural verb: "the surroundings", "the Goblin Woods", "the halls
    of the king" do; "the ruined inn", "the abyss", "the crossroads" do not."""
    head = _AFTER_HEAD.sub("", " ".join(noun_phrase.split())).rsplit(" ", 1)[-1].casefold().strip(".,;:!?")
    if head in _PLURALS:
        return True
    if head in _SINGULAR_IN_S or head.endswith(("ss", "us", "is", "ous")):
        return False
    return head.endswith("s") and len(head) > 2


def agree(template: str, plural: bool) -> str:
    """A template's `[one|several]` forms, chosen for the scene."""
    return AGREEMENT.sub(lambda m: m[2] if plural else m[1], template)


def _noun_phrase(scene: str) -> str:
    text = " ".join(scene.split()).rstrip(".!")[:120]
    return "t" + text[1:] if text.startswith("The ") else text  # it sits mid-sentence


# --- reading the action -------------------------------------------------------------------------


def _rule(skill: str, *patterns: str) -> tuple[str, re.Pattern[str]]:
    return skill, re.compile(r"\b(?:" + "|".join(patterns) + r")", re.IGNORECASE)


# Ordered only for readability: the earliest (then longest) match in the action wins.
CHECK_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    _rule(
        "stealth",
        r"sneak",
        r"creep",
        r"hid(?:e|ing)\b",
        r"slink",
        r"tiptoe",
        r"stay (?:hidden|out of sight)",
        r"quietly",
        r"silently",
        r"unseen",
        r"unnoticed",
    ),
    _rule(
        "sleight-of-hand",
        r"pick(?:s|ing)? (?:the |a |its |that )?lock",
        r"lockpick",
        r"disarm",
        r"pickpocket",
        r"pick (?:his|her|their|the \w+'s) pocket",
        r"palm",
        r"steal",
        r"swipe",
        r"pilfer",
        r"plant (?:it|the)",
    ),
    _rule(
        "athletics",
        r"climb",
        r"jump",
        r"leap",
        r"swim",
        r"forc(?:e|ing)",
        r"break",
        r"bash",
        r"shove",
        r"push",
        r"lift",
        r"haul",
        r"pry",
        r"grapple",
        r"scale",
        r"wrestle",
        r"kick (?:down|open|in)",
        r"bend the",
    ),
    _rule(
        "acrobatics",
        r"balanc",
        r"tumbl",
        r"dodg",
        r"flip",
        r"vault",
        r"somersault",
        r"cartwheel",
        r"tightrope",
        r"roll under",
        r"squeeze through",
    ),
    _rule(
        "investigation",
        r"search",
        r"inspect",
        r"examin",
        r"investigat",
        r"study",
        r"scrutini[sz]",
        r"decipher",
        r"look for",
        r"check (?:for|if|whether)",
        r"rummag",
        r"analy[sz]",
    ),
    _rule(
        "perception",
        r"look",
        r"listen",
        r"spot",
        r"watch",
        r"scan(?:s|ning)?\b",
        r"notice",
        r"peer",
        r"smell",
        r"sniff",
        r"eavesdrop",
        r"survey",
        r"keep (?:watch|an eye)",
    ),
    _rule(
        "insight",
        r"sense motive",
        r"read (?:his|her|their|the|its) (?:face|mood|intent|expression|body)",
        r"(?:is|are) (?:he|she|they|it) (?:lying|honest|telling the truth)",
        r"motive",
        r"intention",
        r"trust (?:him|her|them)",
        r"sincer",
    ),
    _rule(
        "persuasion",
        r"persuad",
        r"convinc",
        r"charm",
        r"negotiat",
        r"haggl",
        r"barter",
        r"plead",
        r"reason with",
        r"befriend",
        r"appeal to",
        r"diplomac",
    ),
    _rule(
        "deception",
        r"lie (?:to|about)",
        r"lying (?:to|about)",
        r"bluff",
        r"deceiv",
        r"trick",
        r"disguis",
        r"pretend",
        r"feign",
        r"mislead",
        r"forg(?:e|ing) (?:a|the)",
        r"fool",
    ),
    _rule("intimidation", r"threat", r"intimidat", r"menac", r"scare", r"coerc", r"glower", r"interrogat", r"frighten"),
    _rule(
        "performance",
        r"perform",
        r"sing(?:s|ing)?\b",
        r"play (?:a|the|my) (?:song|tune|lute|flute|drum|fiddle)",
        r"danc",
        r"recit",
        r"juggl",
        r"entertain",
        r"tell a (?:story|tale|joke)",
    ),
    _rule(
        "animal-handling",
        r"calm (?:the|a|my) (?:horse|dog|beast|animal|mule|pony|wolf|hound)",
        r"tame",
        r"sooth",
        r"ride",
        r"handle the (?:horse|animal|beast)",
        r"feed the (?:horse|dog|beast|animal)",
    ),
    _rule(
        "survival",
        r"track",
        r"forag",
        r"hunt",
        r"navigat",
        r"follow (?:the|its|their|his|her) trail",
        r"find (?:the|a) (?:path|way|trail)",
        r"make camp",
        r"shelter",
    ),
    _rule(
        "medicine",
        r"heal(?:s|ing)?\b",
        r"tend(?:s|ing)? (?:to|the|his|her|their|my)\b",
        r"bandag",
        r"stabili[sz]",
        r"treat (?:the|his|her|their|my) wound",
        r"diagnos",
        r"first aid",
        r"wounds",
    ),
    _rule(
        "knowledge",
        r"recall",
        r"remember",
        r"lore",
        r"legend",
        r"identify",
        r"(?:do|what do) i know",
        r"know (?:about|of|anything)",
        r"history of",
    ),
)

KNOWLEDGE_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    _rule(
        "arcana",
        r"magic",
        r"spell",
        r"arcan",
        r"rune",
        r"sigil",
        r"glyph",
        r"wards?\b",
        r"enchant",
        r"wizard",
        r"potion",
        r"plane",
    ),
    _rule(
        "religion",
        r"god",
        r"temple",
        r"shrine",
        r"holy",
        r"deit",
        r"divine",
        r"priest",
        r"cult",
        r"undead",
        r"saint",
        r"prayer",
        r"altar",
    ),
    _rule(
        "nature",
        r"plant",
        r"beast",
        r"animal",
        r"herb",
        r"weather",
        r"forest",
        r"river",
        r"mushroom",
        r"fung",
        r"tree",
        r"terrain",
        r"creature",
    ),
)

DIFFICULTY = (
    (re.compile(r"\b(?:nearly impossible|impossible|insane)\b", re.I), 25),
    (re.compile(r"\b(?:very hard|extremely|really hard|daunting)\b", re.I), 20),
    (re.compile(r"\b(?:hard|difficult|tricky|tough|risky|dangerous)\b", re.I), 15),
    (re.compile(r"\b(?:trivial|very easy)\b", re.I), 5),
    (re.compile(r"\b(?:easy|simple|quick)\b", re.I), 10),
)
ATTACK = re.compile(
    r"\b(?:attack|strike|fight|charge|stab|slash|shoot|kill|ambush|swing at|smite|punch|hit|cut down)"
    r"(?:s|es|ed|ing)?\b",
    re.I,
)
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "both": 2, "pair": 2}


def choose_check(action: str) -> str | None:
    """The skill a DM would call for, or None when the action needs no roll."""
    hits = [(match.start(), -len(match[0]), skill) for skill, rule in CHECK_RULES if (match := rule.search(action))]
    if not hits:
        return None
    skill = min(hits)[2]
    if skill != "knowledge":
        return skill
    return next((topic for topic, rule in KNOWLEDGE_TOPICS if rule.search(action)), "history")


def choose_dc(action: str, rng: random.Random) -> int:
    return next((dc for rule, dc in DIFFICULTY if rule.search(action)), rng.choice((12, 13, 14, 15)))


class NameFinder:
    """Finds one of a list of names (SRD spells) in text, longest first, whole words, any case."""

    def __init__(self, names: Iterable[str]) -> None:
        self._names = {name.casefold(): name for name in names}
        body = "|".join(re.escape(name) for name in sorted(self._names, key=len, reverse=True)) or r"(?!x)x"
        self._pattern = re.compile(rf"\b({body})\b", re.IGNORECASE)

    def find(self, text: str) -> str | None:
        match = self._pattern.search(text)
        return self._names[match[1].casefold()] if match else None


class MonsterFinder:
    """Finds SRD monster names (and simple plurals) in text, with a count when one is given."""

    def __init__(self, names: Iterable[str]) -> None:
        self._names = {name.casefold(): name for name in names}
        alternatives = sorted(self._names, key=len, reverse=True)
        body = "|".join(re.escape(name) for name in alternatives) or r"(?!x)x"
        self._pattern = re.compile(rf"\b({body})(e?s)?\b", re.IGNORECASE)

    def find(self, text: str, rng: random.Random) -> tuple[str, int] | None:
        match = self._pattern.search(text)
        if match is None:
            return None
        before = re.findall(r"[\w']+", text[: match.start()].lower())[-3:]
        counts = [int(word) if word.isdigit() else NUMBERS.get(word) for word in reversed(before)]
        count = next((c for c in counts if c), None) or (rng.randint(2, 4) if match[2] else 1)
        return self._names[match[1].casefold()], max(1, min(count, 20))


_LEAD_INS = re.compile(
    r"^(?:i|we)(?:'ll| will| shall|'m going to| am going to| want to| would like to| try to| attempt to| decide to|"
    r" need to| have to| carefully| quietly| slowly| then| now)*\s+",
    re.IGNORECASE,
)
_NOT_A_VERB = re.compile(
    r"^(?:am|'m|was|were|have|had|'ve|'d|don't|can't|think|guess|wonder|ask|(?:give|let|tell|show) me)\b", re.I
)
_QUESTION = re.compile(r"^(?:what|how|who|where|why|when|which|can|could|do|does|is|are|may)\b", re.I)
_PRONOUNS = (
    (re.compile(r"\bmyself\b", re.I), "themselves"),
    (re.compile(r"\bmy\b", re.I), "their"),
    (re.compile(r"\bme\b", re.I), "them"),
    (re.compile(r"\bmine\b", re.I), "theirs"),
    (re.compile(r"\bI\b"), "they"),
    (re.compile(r"\bourselves\b", re.I), "themselves"),  # the party the player speaks for
    (re.compile(r"\bours\b", re.I), "the party's"),
    (re.compile(r"\bour\b", re.I), "the party's"),
    (re.compile(r"\bus\b", re.I), "the party"),
    (re.compile(r"\bwe\b", re.I), "they"),
)
# The acting character's pronouns, by the first word of the sheet's "pronouns" ("she/her"); "they" by default.
PRONOUN_SETS = {
    "they": {"they": "they", "them": "them", "their": "their", "theirs": "theirs", "themselves": "themselves",
             "have": "have"},
    "she": {"they": "she", "them": "her", "their": "her", "theirs": "hers", "themselves": "herself", "have": "has"},
    "he": {"they": "he", "them": "him", "their": "his", "theirs": "his", "themselves": "himself", "have": "has"},
}  # fmt: skip


def pronoun_set(pronouns: str) -> dict[str, str]:
    """The words for a character's pronouns; "xe/xem" and the like use the words given (singular verbs)."""
    parts = [p for p in pronouns.casefold().split("/") if p]
    if not parts or parts[0] in PRONOUN_SETS:
        return PRONOUN_SETS[parts[0] if parts else "they"]
    subject, obj = parts[0], parts[1] if len(parts) > 1 else parts[0]
    possessive = parts[2] if len(parts) > 2 else obj
    return {"they": subject, "them": obj, "their": possessive, "theirs": possessive, "themselves": f"{obj}self",
            "have": "has"}  # fmt: skip


def with_pronouns(phrase: str, words: Mapping[str, str]) -> str:
    """An action phrase turned to the third person ("their rival") told with the character's own pronouns."""
    if words["they"] == "they":
        return phrase
    return re.sub(r"\b(they|them|their|theirs|themselves)\b", lambda m: words[m[1]], phrase)


def action_phrase(action: str, name: str) -> str | None:
    """ "I try to sneak past my rival" -> "sneak past their rival", for "Mira moves to ..."; None if unsure."""
    first = re.split(r"(?<=[.!?;])\s|\n", " ".join(action.split()), maxsplit=1)[0]
    if first.endswith("?") or _QUESTION.match(first):
        return None  # a question to the DM, not something the character does
    text = re.sub(r"[*_~`|>#<@]", "", first).strip().rstrip(".!?;,")
    stripped = _LEAD_INS.sub("", text, count=1)
    if stripped == text and text.split(" ", 1)[0].casefold() in {name.casefold().split(" ")[0], "you", "he", "she"}:
        return None  # third person or addressed to the DM: not a verb phrase
    if not stripped or _NOT_A_VERB.match(stripped) or re.search(r"[(){}\[\]=\\]", stripped):
        return None
    for pattern, replacement in _PRONOUNS:
        stripped = pattern.sub(replacement, stripped)
    if len(stripped) > 90:
        stripped = stripped[:90].rsplit(" ", 1)[0].rstrip(",;:")
    return stripped[0].lower() + stripped[1:]


# --- the narrator -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Turn:
    """One call, as read from the messages."""

    context: SceneContext
    action: str
    results: list[tuple[str, dict[str, Any]]]  # (tool name, parsed result)
    rng: random.Random
    seed: str


class OfflineNarrator:
    """``Narrator`` without a model: keyword rules propose checks, templates narrate the results."""

    name = "offline"
    model = "offline"

    def __init__(
        self,
        monsters: Iterable[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        spells: Iterable[str] | None = None,
    ) -> None:
        if monsters is None:
            monsters = [monster.name for monster in load_srd().data.monsters]
        if spells is None:
            spells = [spell.name for spell in load_srd().data.spells]
        self._monsters = MonsterFinder(monsters)
        self._spells = NameFinder(spells)
        self._clock = clock
        self._recent = RecentSentences()

    async def stream(
        self, messages: list[dict[str, Any]], tools: list[ToolSpec], *, max_tokens: int | None = None
    ) -> AsyncIterator[NarratorEvent]:
        started = self._clock()
        turn = _read_turn(messages)
        offered = {tool.name for tool in tools} & SAFE_TOOLS
        calls = [] if turn.results else self._propose(turn, offered, tools)
        text = "" if calls else self._narrate(turn, messages)
        for piece in _pieces(text):
            yield TextDelta(piece)
            await asyncio.sleep(0)  # let other tasks run, as a real stream would
        if calls:
            yield ToolCallsProposed(calls)
        completion = estimate_tokens(text + json.dumps([call.arguments for call in calls]))
        yield Usage(self.model, estimate_tokens(messages), completion, True, self._clock() - started, 0.0)

    async def probe(self) -> float:
        return 0.0

    async def aclose(self) -> None:
        return None

    def _propose(self, turn: _Turn, offered: set[str], tools: list[ToolSpec]) -> list[ProposedCall]:
        ctx, action = turn.context, turn.action
        if not action or ctx.acting_character is None:
            return []
        arguments: dict[str, Any] | None = None
        name = ""
        found = self._monsters.find(action, turn.rng) if ATTACK.search(action) else None
        spell = self._spells.find(action) if CASTING.search(action) else None
        if spell and "cast_spell" in offered:
            target = self._monsters.find(action, turn.rng)
            targets = [target[0]] if target else [n for n in ctx.npcs if n.casefold() in action.casefold()][:1]
            name = "cast_spell"
            arguments = {"caster": ctx.acting_character, "spell": spell, "level": None, "targets": targets}
        elif found and "start_combat" in offered and not ctx.in_combat:
            name, arguments = "start_combat", {"enemies": [{"monster": found[0], "count": found[1]}]}
        elif (skill := choose_check(action)) and "request_check" in offered and not found:
            reason = " ".join(f"{ctx.acting_character} tries: {action}".split())[:200]
            name = "request_check"
            arguments = {
                "character": ctx.acting_character,
                "skill_or_ability": skill,
                "dc": choose_dc(action, turn.rng),
                "reason": reason,
            }
        if arguments is None:
            return []
        call = ProposedCall(f"offline_{turn.seed[:12]}_0", name, arguments, None, json.dumps(arguments))
        call = validate_arguments(call, tools)
        return [call] if call.error is None else []  # e.g. an over-long name: narrate instead

    def _narrate(self, turn: _Turn, messages: Sequence[Mapping[str, Any]]) -> str:
        ctx = turn.context
        tool, result = turn.results[-1] if turn.results else ("", {})
        check = result.get("check") if result.get("ok") is True else None
        check = check if isinstance(check, dict) else None
        name = _check_character(check) or ctx.name
        key = campaign_key(messages)
        words = pronoun_set(pronouns_of(messages).get(name.casefold(), ""))
        values = {"name": name, "scene": ctx.scene, "scene_cap": _cap(ctx.scene), **words}
        writer = _Writer(turn.rng, values, self._recent.used(key))
        phrase = action_phrase(turn.action, name) if turn.action else None
        phrase = with_pronouns(phrase, words) if phrase else None
        if phrase:
            writer.add(LEADS, phrase=phrase, spare=PLAIN_LEADS)
        else:
            writer.add(PLAIN_LEADS if turn.action else IDLE_LEADS)
        if check is not None:
            _write_check(writer, check)
        elif turn.results and result.get("ok") is True and tool == "start_combat":
            writer.add(COMBAT, enemy=_enemy(result))
        elif turn.results and result.get("ok") is True and tool == "cast_spell":
            cast = result.get("spell")
            spell = cast.get("spell") if isinstance(cast, dict) else None
            writer.add(SPELLS, spell=str(spell or "the spell"))
        elif turn.results:
            writer.add(SETBACKS)
        else:
            writer.add(SCENE_BEATS, optional=True)
        social = check is not None and str(check.get("skill")) in SOCIAL_SKILLS
        if ctx.npcs and (check is None or social) and not (turn.results and tool == "start_combat"):
            _write_npc(writer, turn.rng, ctx.npcs, npc_voices(messages))
        writer.add(CLOSERS, optional=True)
        text = writer.text()
        self._recent.remember(key, sentences_of(text))
        return text


class _Writer:
    """Picks templates in order from one seeded random source, sparing the scene's name once used and every
    sentence the campaign's last narrations said (an optional sentence is left out rather than repeated)."""

    def __init__(self, rng: random.Random, values: dict[str, str], avoid: set[str] | None = None) -> None:
        self._rng = rng
        self._values = values
        self._avoid = avoid or set()
        self._sentences: list[str] = []

    def add(self, templates: Sequence[str], *, optional: bool = False, spare: Sequence[str] = (), **extra: Any) -> None:
        """One of `templates` not said lately, else one of `spare`; an optional sentence is left out instead."""
        written = self._written(templates, extra)
        fresh = self._fresh(written) or self._fresh(self._written(spare, extra))
        if not fresh and optional:
            return
        self._sentences.append(self._rng.choice(fresh or written))

    def _written(self, templates: Sequence[str], extra: dict[str, Any]) -> list[str]:
        scene_used = self._values["scene"] in " ".join(self._sentences)
        pool = ([t for t in templates if "{scene" not in t] if scene_used else []) or list(templates)
        plural = is_plural(self._values["scene"])
        return [_cap(agree(t, plural).format(**self._values, **extra)) for t in pool]

    def _fresh(self, written: Sequence[str]) -> list[str]:
        said = self._avoid | set(self._sentences)
        return [w for w in written if not set(sentences_of(w)) & said]

    def text(self) -> str:
        return " ".join(self._sentences)


def _check_character(check: Mapping[str, Any] | None) -> str | None:
    name = check.get("character") if check else None
    return name.strip() if isinstance(name, str) and name.strip() else None


def _write_check(writer: _Writer, check: Mapping[str, Any]) -> None:
    skill = str(check.get("skill") or "").strip().lower().replace(" ", "-").replace("_", "-")
    skill = {full: short for short, full in _ABILITY_FULL.items()}.get(skill, skill)
    index = 0 if check.get("success") is True else 1
    if skill in OUTCOMES:
        writer.add(OUTCOMES[skill][index], spare=ANY_OUTCOME[index])
    else:
        ability = ABILITY_NAMES.get(skill[:3], "resolve")
        writer.add(ABILITY_OUTCOMES[index], spare=ANY_OUTCOME[index], ability=ability)
    total, dc = check.get("total"), check.get("dc")
    if isinstance(total, int) and isinstance(dc, int):  # the engine's numbers, as it rolled them
        label = str(check.get("label") or f"{skill.replace('-', ' ')} check").strip()
        verdict = "meets" if index == 0 else "falls short of"
        writer.add(NUMBER_LINES, label=label, total=total, dc=dc, verdict=verdict)
    margin = _margin(check)
    writer.add(NEAR_MISS[index] if margin is not None and abs(margin) <= 1 else FOLLOW_UPS[index], optional=True)


def _write_npc(writer: _Writer, rng: random.Random, present: Sequence[str], voices: Mapping[str, NpcVoice]) -> None:
    """One NPC present speaks: in their recorded voice, about their motive, when the DM recorded them."""
    chosen = rng.choice(list(present))
    known = voices.get(chosen)
    npc = _literal(chosen)  # the writer formats the template again: names and words the DM typed stay as typed
    if known is not None and known.voice and known.motive:
        quotes = [q.format(motive=_literal(known.motive)) for q in NPC_QUOTES]
        voice = _literal(known.voice)
        options = [t.format(npc=npc, voice=voice, quote=q, name="{name}") for t in NPC_SPEECH for q in quotes]
        writer.add(options, optional=True)
    else:
        writer.add([t.replace("{npc}", npc) for t in NPC_PLAIN + NPC_BEATS], optional=True)


def _literal(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


_ABILITY_FULL = {
    "str": "strength",
    "dex": "dexterity",
    "con": "constitution",
    "int": "intelligence",
    "wis": "wisdom",
    "cha": "charisma",
}


def _margin(check: Mapping[str, Any]) -> int | None:
    total, dc = check.get("total"), check.get("dc")
    return total - dc if isinstance(total, int) and isinstance(dc, int) else None


def _enemy(result: Mapping[str, Any]) -> str:
    combat = result.get("combat")
    enemies = combat.get("enemies") if isinstance(combat, dict) else None
    names = [e.get("name") or e.get("monster") for e in enemies or [] if isinstance(e, dict)]
    return str(names[0]).lower() if names and names[0] else "foe"


def _read_turn(messages: Sequence[Mapping[str, Any]]) -> _Turn:
    digest = hashlib.sha256(json.dumps(messages, sort_keys=True, default=str).encode()).hexdigest()
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    action = _content_text(messages[last_user].get("content")) if last_user >= 0 else ""
    names = _call_names(messages)
    results = [
        (names.get(str(m.get("tool_call_id")), ""), _parse_result(m.get("content")))
        for m in messages[last_user + 1 :]
        if m.get("role") == "tool"
    ]
    return _Turn(SceneContext.from_messages(messages), action.strip(), results, random.Random(digest), digest)


def _call_names(messages: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """tool_call_id -> tool name, from the assistant messages that made the calls."""
    return {
        str(call.get("id")): str((call.get("function") or {}).get("name", ""))
        for m in messages
        if m.get("role") == "assistant"
        for call in m.get("tool_calls") or []
        if isinstance(call, dict)
    }


def _parse_result(content: Any) -> dict[str, Any]:
    try:
        data = json.loads(_content_text(content))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pieces(text: str) -> list[str]:
    words = re.findall(r"\S+\s*", text)
    return ["".join(words[i : i + WORDS_PER_CHUNK]) for i in range(0, len(words), WORDS_PER_CHUNK)]


# --- a round of several acts (bot.engine.turns tells each act, then asks once) -------------------

_CLOSER = re.compile(
    r"\s*(?:What does [^.?!]+ do next\?|The next move is [^.?!]+'s\.|[^.?!]+ waits for what comes next\.)$"
)


def without_closer(text: str) -> str:
    """An act's paragraph without its closing "what next?" line."""
    return _CLOSER.sub("", text.strip())


def round_closer(names: Sequence[str]) -> str:
    """The one question that ends a round: everyone who acted, by name."""
    if not names:
        return ""
    if len(names) == 1:
        return f"What does {names[0]} do next?"
    return f"What do {', '.join(names[:-1])} and {names[-1]} do next?"
