"""The safety matcher's parts, without I/O: normalising, stemming, entries and the held-back stream."""

from __future__ import annotations

from bot.engine.campaign_info import Safety
from bot.engine.safety import FADE, TURNED_ASIDE, WITHDRAWN, HeldBack, rules_of, stem, words

RULES = rules_of(Safety(("harm to children", "spiders", "clowns in masks"), ("torture",)))


def test_inflections_share_a_stem() -> None:
    for group in (
        ("torture", "tortured", "tortures", "torturing"),
        ("child", "children", "childs"),
        ("stab", "stabbed", "stabbing", "stabs"),
        ("harm", "harmed", "harming", "harms"),
        ("spider", "spiders"),
        ("kidnap", "kidnapped", "kidnapping"),
    ):
        assert len({stem(w) for w in group}) == 1, group
    assert stem("tortoise") != stem("torture") and stem("childish") != stem("child")


def test_case_spacing_and_spelled_out_words_are_one() -> None:
    assert words("I  T-O-R-T-U-R-E the Guard") == ["i", "torture", "the", "guard"]
    assert words("Café  ÉLAN") == ["cafe", "elan"]
    for text in ("I torture him", "I TORTURE him", "I tor ture him", "I t o r t u r e him"):
        assert RULES.check(text).veil == "torture", text


def test_an_entry_means_its_synonyms_close_together() -> None:
    assert RULES.check("I beat the orphan").line == "harm to children"
    assert RULES.check("harmtochildren").line == "harm to children"
    assert RULES.check("The clowns wear masks").line == "clowns in masks"  # an entry no table knows: its words
    assert RULES.check("I hit the bandit hard, and later buy sweets for all the kids at the market").line is None
    assert RULES.check("I read the children a story").line is None
    assert RULES.check("A clown juggles").line is None


class Sink:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.body = ""

    async def text(self, delta: str) -> None:
        self.body += delta
        self.seen.append(self.body)

    async def reset(self, note: str) -> None:
        self.body = note
        self.seen.append(self.body)


async def test_the_stream_is_held_back_a_sentence_at_a_time() -> None:
    sink = Sink()
    reply = HeldBack(RULES, sink)
    for piece in ("The door opens. He tor", "tures the guard. You", " leave."):
        await reply.text(piece)
    assert await reply.close() == f"The door opens. {FADE} You leave."
    assert not [s for s in sink.seen if "tor" in s.replace("door", "")]

    sink = Sink()
    reply = HeldBack(RULES, sink)
    for piece in ("The door opens. A spi", "der drops. You run."):
        await reply.text(piece)
    assert await reply.close() == TURNED_ASIDE and sink.body == WITHDRAWN + TURNED_ASIDE
    assert not [s for s in sink.seen if "spi" in s]
