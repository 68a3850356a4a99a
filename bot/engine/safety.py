"""The table's safety tools, enforced: lines (never in the story) and veils (only off-screen, faded to black).

The matcher is small and explainable, no model and no network:
1. normalise: Unicode folded to plain lowercase letters and digits (look-alike letters of other scripts, digits
   inside words and invisible characters too), everything else a space; a run of single
   letters is one word again (`t o r t u r e`, `t-o-r-t-u-r-e`) and two neighbouring words are tried joined
   (`tor ture`), so case, spacing and punctuation do not hide a word;
2. stem: possessives, plurals and verb endings come off (`tortured`, `tortures`, `torturing` → `tortur`;
   `children` → `child` by a short table of irregular forms);
3. concepts: each listed entry becomes the concepts it names. An entry that names a common topic ("harm to
   children", "animal cruelty", "sexual violence") takes that topic's concepts; otherwise each content word is
   a concept, widened to its synonym group when it has one (`harm` → hurt, beat, stab, kill…; `children` →
   kid, child, infant, toddler, boy, girl…; `torture` → torment, flay, waterboard…);
4. a sentence crosses an entry when every one of its concepts occurs in it within `SPAN` words (so "I hit the
   bandit, then I buy sweets for the kids at the market" does not cross "harm to children"); an entry of a
   harm and its victims ("harm to children", "animal cruelty") is crossed only when word order says the harm
   is done to them (`_done_to`: "the children hit the ball" is not), and harmless idioms of the harm words
   ("strike a deal", "the drum beats") are masked first (`INNOCENT`).

The turn engine (`bot.engine.turns`) refuses an action that crosses a line before anything is narrated, and
passes every narrator's text through `HeldBack`: the text is shown a sentence at a time, once the sentence is
known to be clean; a sentence under a veil becomes a fade to black; a sentence that crosses a line withdraws
the reply (nothing of it was shown).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from bot.engine.campaign_info import Safety
from bot.engine.safety_words import (
    BE,
    CONCEPTS,
    CONFUSABLES,
    CONTRACTIONS,
    HARM,
    INNOCENT,
    IRREGULAR,
    OBJECTS,
    STOPWORDS,
    TOPICS,
)
from bot.errors import GameError

SPAN = 8  # the concepts of an entry must fall within this many words of each other
FADE = "*The scene fades to black; what happens there stays off-screen.*"
OFF_SCREEN = "(off-screen)"  # a veiled phrase in a tool call's text (a check's reason)
WITHDRAWN = "🛑 The narrator's reply crossed one of this table's lines and was withdrawn."
TURNED_ASIDE = "*The story turns aside from something this table has ruled out.*"
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]*_]*\s+|\n+")  # a stop (and closing marks), then space
LEET = str.maketrans("013457@$", "oieastas")
NOT_LEET = re.compile(r"\d*d\d+|\d+(?:st|nd|rd|th|s|d|e|x|ft|gp|sp|cp|ep|pp|hp|xp|lb|lbs|th)")

# --- words -----------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lowercase letters and digits separated by single spaces: accents, full-width forms and look-alike
    letters of other scripts folded (`tоrture` with a Cyrillic о), invisible characters dropped
    (`tor\u200bture`), and digits standing for letters inside a word read as letters (`t0rture`)."""
    seen = "".join(c for c in text if unicodedata.category(c) != "Cf").translate(CONFUSABLES)
    folded = unicodedata.normalize("NFKD", seen).casefold().translate(CONFUSABLES)
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(_letters(w) for w in re.sub(r"[^a-z0-9]+", " ", plain).split())


def _letters(word: str) -> str:
    """`t0rture`, `sp1der`: digits among letters read as the letters they look like; dice (`2d6`), ordinals
    (`3rd`) and numbers stay as they are."""
    if word.isdigit() or word.isalpha() or NOT_LEET.fullmatch(word):
        return word
    return word.translate(LEET)


def words(text: str) -> list[str]:
    """The normalised words, with a spelled-out word (`t o r t u r e`) joined back into one."""
    out: list[str] = []
    run: list[str] = []
    for word in [*normalise(text).split(), ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if len(run) >= 4 and run[0] in ("i", "a"):  # "I t o r t u r e": the pronoun, then the word
            out += [run[0], "".join(run[1:])]
        elif len(run) >= 3:
            out.append("".join(run))
        else:
            out += run
        run = []
        if word:
            out.append(word)
    return out


def stem(word: str) -> str:
    """A light stemmer: the same stem for a word's plural, possessive and verb forms."""
    if word in IRREGULAR:
        word = IRREGULAR[word]
    elif word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ing") and _has_vowel(word[:-3]) and len(word) > 5:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and _has_vowel(word[:-2]) and len(word) > 4:
        word = _undouble(word[:-2])
    elif word.endswith("es") and len(word) > 4 and word[-3] in "sxzh":
        word = word[:-2]
    elif word.endswith("s") and len(word) > 3 and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _has_vowel(text: str) -> bool:
    return any(c in "aeiouy" for c in text)


def _undouble(word: str) -> str:
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeioulsz":
        return word[:-1]
    return word


def stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text))


# --- entries ---------------------------------------------------------------------------------------

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Concept:
    """One idea of an entry: any of its phrases (stemmed words, in order) stands for it."""

    phrases: frozenset[Phrase]

    def positions(self, sentence: Sequence[str], pairs: Sequence[str]) -> list[int]:
        """Where in the sentence (its stems, and each word joined with the next) the concept occurs. A phrase
        matches its content words in order with only small words between ("pull out his fingernails")."""
        content = [(i, w) for i, w in enumerate(sentence) if w not in STOPWORDS]
        found: list[int] = []
        for phrase in self.phrases:
            if len(phrase) == 1:
                found += [i for i, w in enumerate(sentence) if w == phrase[0]]
                found += [i for i, joined in enumerate(pairs) if joined == phrase[0]]
                continue
            wanted = tuple(w for w in phrase if w not in STOPWORDS)
            if len(wanted) < 2:  # "on the rack": the small words are the meaning, so all of them, in order
                n = len(phrase)
                found += [i for i in range(len(sentence) - n + 1) if tuple(sentence[i : i + n]) == phrase]
                continue
            n = len(wanted)
            found += [
                content[k][0] for k in range(len(content) - n + 1) if tuple(w for _, w in content[k : k + n]) == wanted
            ]
        return found


@lru_cache(maxsize=64)
def concept(name: str) -> Concept:
    phrases: set[Phrase] = set()
    for text in CONCEPTS[name].split(", "):
        phrases |= {stems(text), (stem("".join(words(text))),)}  # "self harm" written "selfharm" too
    return Concept(frozenset(phrases))


@lru_cache(maxsize=1)
def _word_concepts() -> dict[str, str]:
    """A single word's synonym group, where it has one."""
    table: dict[str, str] = {}
    for name, members in CONCEPTS.items():
        for text in members.split(", "):
            phrase = stems(text)
            if len(phrase) == 1:
                table.setdefault(phrase[0], name)
    return table


@lru_cache(maxsize=1)
def _topics() -> dict[Phrase, tuple[str, ...]]:
    return {stems(text): tuple(names.split(", ")) for texts, names in TOPICS for text in texts.split(", ")}


@dataclass(frozen=True)
class Entry:
    """A line or veil as the table listed it, and the concepts it means (all must occur, close together); the
    entry written as one word (`harmtochildren`) stands for it too."""

    listed: str
    concepts: tuple[Concept, ...]
    squeezed: str = ""
    harm: Concept | None = None  # "harm to children": the harm must be done to the others (the victims)

    def crossed_by(self, sentence: Sequence[str], pairs: Sequence[str]) -> bool:
        if self.squeezed and (self.squeezed in sentence or self.squeezed in pairs):
            return True
        found = [c.positions(sentence, pairs) for c in self.concepts]
        if not (self.concepts and all(found)):
            return False
        if self.harm is None:
            return _within(found, SPAN)
        harms = self.harm.positions(sentence, pairs)
        victims = [f for c, f in zip(self.concepts, found, strict=True) if c is not self.harm]
        return any(all(any(_done_to(sentence, h, v) for v in f) for f in victims) for h in harms)


def entry_of(listed: str) -> Entry | None:
    said = stems(listed)
    if not said:
        return None
    squeezed = stem("".join(words(listed))) if len(said) > 1 else ""
    topic = _topics().get(said)
    if topic is not None:
        concepts = tuple(concept(name) for name in topic)
    else:
        groups = _word_concepts()
        content = [s for s in said if s not in STOPWORDS] or list(said)
        concepts = tuple(concept(groups[w]) if w in groups else Concept(frozenset({(w,)})) for w in content)
    harm = concept(HARM)
    directed = harm in concepts and len(concepts) > 1
    return Entry(listed, concepts, squeezed, harm if directed else None)


def _done_to(sentence: Sequence[str], harm: int, victim: int) -> bool:
    """Whether the harm at `harm` is done to the victim at `victim` (as far as word order tells): the victim
    after the harm ("beats the boy"), or before it in the passive ("the boy was beaten", "hurt by", "the boy,
    beaten and bloody": no object follows), as
    the object pronoun after it ("the boy screams as the goblin hits him") or the possessor ("the boy's
    beating"). "The children hit the ball" does them no harm."""
    if harm < victim <= harm + SPAN:
        return True
    if not 0 < harm - victim <= SPAN:
        return False
    before = sentence[max(0, harm - 2) : harm]
    after = sentence[harm + 1 : harm + 3]
    return (
        any(w in _be() for w in before)
        or (after[:1] == ["by"])
        or (harm - victim == 1 and not DETERMINERS & set(after[:1]))  # "the child, beaten and bloody"
        or any(w in OBJECTS for w in after)
        or (harm - victim == 2 and sentence[victim + 1] == "s")
    )


DETERMINERS = frozenset("the a an his her their its my your our this that".split())  # an object follows


@lru_cache(maxsize=1)
def _be() -> frozenset[str]:
    return frozenset(stem(w) for w in BE)


@lru_cache(maxsize=1)
def _innocent() -> re.Pattern[str]:
    """The harmless senses of harm words ("hit the ball", "strike a deal", "heart beat")."""
    return re.compile(r"\b(?:" + "|".join(INNOCENT) + r")\b")


def _masked(sentence: str) -> tuple[str, ...]:
    """The sentence's stems with the words of a harmless idiom blanked out (they stand for no concept)."""
    plain = words(sentence)
    said = tuple(stem(w) for w in plain)
    text = " ".join(plain)
    spans = [m.span() for m in _innocent().finditer(text)]
    if not spans:
        return said
    out, at = [], 0
    for word, stemmed in zip(plain, said, strict=True):
        inside = any(start <= at < end for start, end in spans)
        out.append("" if inside else stemmed)
        at += len(word) + 1
    return tuple(out)


def _within(found: Sequence[Sequence[int]], span: int) -> bool:
    """Whether one occurrence of each concept falls inside a window of `span` words."""
    for start in sorted({p for positions in found for p in positions}):
        if all(any(start <= p < start + span for p in positions) for positions in found):
            return True
    return False


# --- the rules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    line: str | None = None  # the line the text crosses, as the table listed it
    veil: str | None = None  # the veil it touches


@dataclass(frozen=True)
class SafetyRules:
    lines: tuple[Entry, ...] = ()
    veils: tuple[Entry, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.lines or self.veils)

    def check(self, text: str) -> Verdict:
        """The first line and the first veil any sentence of the text crosses."""
        line = veil = None
        for sentence in sentences(text):
            said = _masked(sentence)
            pairs = _pairs(sentence)
            line = line or next((e.listed for e in self.lines if e.crossed_by(said, pairs)), None)
            veil = veil or next((e.listed for e in self.veils if e.crossed_by(said, pairs)), None)
        return Verdict(line, veil)

    def faded(self, text: str, fade: str = FADE) -> str:
        """The text with every sentence under a veil (or across a line) replaced by one fade to black."""
        if not self:
            return text
        out: list[str] = []
        for sentence in sentences(text):
            verdict = self.check(sentence)
            if verdict.line or verdict.veil:
                if not out or out[-1] != fade:
                    out.append(fade)
            else:
                out.append(sentence.strip())
        return " ".join(out)

    def guarded(self, arguments: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
        """A tool call's arguments with veiled text faded (an NPC's description, a check's reason: the story
        shows them), and the first line any of its text crosses (then the call is refused)."""
        if not self:
            return dict(arguments), None
        out: dict[str, Any] = {}
        for key, value in arguments.items():
            if isinstance(value, str):
                verdict = self.check(value)
                if verdict.line is not None:
                    return dict(arguments), verdict.line
                out[key] = self.faded(value, OFF_SCREEN) if verdict.veil else value
            else:
                out[key] = value
        return out, None


def _pairs(sentence: str) -> list[str]:
    """Each word joined with the next, stemmed (`tor ture` is `torture`); index i starts at word i. Not
    joined: a contraction's or possessive's letters ("the children's laughter" is no `slaughter`) and two
    words one of which already stands for a concept ("the kid naps" is no `kidnap`)."""
    said = words(sentence)
    known = _word_concepts()
    return [
        "" if {a, b} & CONTRACTIONS or stem(a) in known or stem(b) in known else stem(a + b)
        for a, b in itertools.pairwise(said)
    ]


def sentences(text: str) -> list[str]:
    parts = [p for p in SENTENCE_END.split(text) if p and p.strip()]
    return parts or ([text] if text.strip() else [])


@lru_cache(maxsize=256)
def _rules(lines: tuple[str, ...], veils: tuple[str, ...]) -> SafetyRules:
    def entries(listed: Iterable[str]) -> tuple[Entry, ...]:
        return tuple(e for e in (entry_of(text) for text in listed) if e is not None)

    return SafetyRules(entries(lines), entries(veils))


def rules_of(safety: Safety) -> SafetyRules:
    return _rules(tuple(safety.lines), tuple(safety.veils))


class LineCrossed(GameError):
    """An action that crosses one of the table's lines: told to the player (privately) and to the DM, and
    never narrated. The player's note does not repeat the line's words."""

    def __init__(self, line: str, dm_id: int, who: str, campaign: str) -> None:
        super().__init__(
            "🛑 *Out of character:* that action crosses one of this table's lines (`/campaign safety` lists "
            "them), so it is not narrated. Take the scene another way; the DM has been told."
        )
        self.line = line
        self.dm_id = dm_id
        self.dm_note = (
            f"🛑 In {campaign}, {who}'s action crossed the line “{line}” and was not narrated "
            "(only they saw a private note)."
        )


def check_action(safety: Safety, action: str, *, dm_id: int, who: str, campaign: str) -> None:
    """Refuse an action that crosses a line, before a narrator ever sees it."""
    verdict = rules_of(safety).check(action)
    if verdict.line is not None:
        raise LineCrossed(verdict.line, dm_id, who, campaign)


# --- the stream ------------------------------------------------------------------------------------


class TextSink(Protocol):
    async def text(self, delta: str) -> None: ...

    async def reset(self, note: str) -> None: ...


class HeldBack:
    """A narrator's reply on its way to the players, held back by a sentence: each sentence is shown once it
    is complete and checked. A veiled sentence is shown as a fade to black; a sentence across a line withdraws
    the whole reply (the sink is reset with a note) and nothing more of it is shown."""

    def __init__(self, rules: SafetyRules, sink: TextSink) -> None:
        self.rules = rules
        self.sink = sink
        self.pending = ""
        self.shown: list[str] = []
        self.crossed: str | None = None

    async def text(self, delta: str) -> None:
        if self.crossed is not None:
            return
        if not self.rules:
            self.shown.append(delta)
            await self.sink.text(delta)
            return
        self.pending += delta
        while self.crossed is None and (end := SENTENCE_END.search(self.pending)) is not None:
            sentence, self.pending = self.pending[: end.end()], self.pending[end.end() :]
            await self._show(sentence)

    async def close(self) -> str:
        """The rest of the reply (its last sentence may have no full stop); what the players were shown."""
        if self.pending and self.crossed is None:
            sentence, self.pending = self.pending, ""
            await self._show(sentence)
        return "".join(self.shown)

    async def _show(self, sentence: str) -> None:
        verdict = self.rules.check(sentence)
        if verdict.line is not None:
            self.crossed = verdict.line
            self.shown = [TURNED_ASIDE]
            await self.sink.reset(WITHDRAWN)
            await self.sink.text(TURNED_ASIDE)
            return
        if verdict.veil is not None:
            if self.shown and self.shown[-1].strip() == FADE:
                return
            sentence = FADE + (sentence[len(sentence.rstrip()) :] or " ")
        self.shown.append(sentence)
        await self.sink.text(sentence)
