"""The safety matcher against a corpus: near misses a table would not want blocked (a word inside another word,
a harm word in a harmless sense, children doing rather than suffering the deed, a possessive's letters) and
hits it must catch (inflections, plurals, case, the passive, look-alike letters from other scripts, digits for
letters, invisible characters). Each near miss here was blocked, or each hit missed, before the matcher knew."""

from __future__ import annotations

import pytest

from bot.engine.campaign_info import Safety
from bot.engine.safety import normalise, rules_of

LINES = ("harm to children", "spiders", "animal cruelty", "snakes", "insects", "drugs", "slavery")
RULES = rules_of(Safety(LINES, ("torture",)))

NEAR_MISSES = [
    # a listed word inside another word, or next to one
    "Their inspired speech moves the crowd",
    "I admire the spire of the temple",
    "I grab the bugbear by the collar",
    "I climb the ladder to the loft",
    "The ancient aspen creaks in the wind",
    "I ask the therapist in the temple for advice",
    "The grapes are ripe on the vine",
    # children (and animals) doing the deed, not suffering it
    "The children hit the ball across the square",
    "The boys kick the ball around the yard",
    "The boy hits the target with his first arrow",
    "The girl shoots a glance at the guard",
    "Kira's hound snarls and attacks the orc",
    "I ride my horse and attack the goblin",
    "The children play tag in the square",
    # harm words in a harmless sense
    "The boy beats the drum as the soldiers march",
    "Her heart is beating fast as the child watches",
    "I strike a match to light the boy's lantern",
    "I kill time with the stable boy",
    "The old man strikes a deal with the boy",
    "I beat the boy at chess",
    "We hit the road with the children at dawn",
    # letters that are not a word of their own
    "The children's laughter fills the square",
    "The kid naps by the fire",
    "Are you kidding me, he laughs, and slaps the table",
    # dice and numbers are not letters in disguise
    "I roll 1d20 and the 3rd goblin takes 7 damage",
]
HITS = [
    ("I hit the child", "harm to children"),
    ("The goblin beats the boy", "harm to children"),
    ("The children are beaten by the guards", "harm to children"),
    ("The child was badly hurt", "harm to children"),
    ("The child, beaten and bloody, crawls away", "harm to children"),
    ("Children hurt in the raid wait by the well", "harm to children"),
    ("The boy screams as the goblin hits him", "harm to children"),
    ("The orphan's beating lasts all night", "harm to children"),
    ("I hit the kid with the ball", "harm to children"),
    ("The orphan boy is kidnapped", "harm to children"),
    ("I HARM THE KIDS", "harm to children"),
    ("I kick the dog", "animal cruelty"),
    ("The horse is whipped until it bleeds", "animal cruelty"),
    ("Spiders everywhere", "spiders"),
    ("A SPIDER drops", "spiders"),
    ("A sp1der crawls up the wall", "spiders"),  # a digit for a letter
    ("A ѕpider crawls up the wall", "spiders"),  # a Cyrillic ѕ
    ("A ｓｐｉｄｅｒ crawls up the wall", "spiders"),  # full-width letters
    ("A spi\u200bder crawls up the wall", "spiders"),  # a zero-width space
    ("A spi\u00adder crawls up the wall", "spiders"),  # a soft hyphen
    ("The viper strikes", "snakes"),
    ("A swarm of beetles", "insects"),
    ("He sells opium in the docks", "drugs"),
    ("The slaver drags them away", "slavery"),
]
VEILED = [
    "I torture him",
    "I tоrture him",  # a Cyrillic о
    "I t0rture him",
    "I TÖRTURE him",
    "I tor\u200bture him",
    "The prisoner is tortured",
    "I torment the captive",
]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_a_near_miss_crosses_nothing(text: str) -> None:
    verdict = RULES.check(text)
    assert verdict.line is None and verdict.veil is None, (text, verdict)


@pytest.mark.parametrize(("text", "line"), HITS)
def test_a_hit_crosses_its_line(text: str, line: str) -> None:
    assert RULES.check(text).line == line, text


@pytest.mark.parametrize("text", VEILED)
def test_a_veiled_deed_touches_the_veil(text: str) -> None:
    assert RULES.check(text).veil == "torture", text


def test_look_alike_letters_fold_and_dice_stay_dice() -> None:
    assert normalise("Тhе ѕріdеr") == "the spider"  # Cyrillic letters throughout
    assert normalise("t0rture sp1der 1d20 3rd 10gp 2d6+3") == "torture spider 1d20 3rd 10gp 2d6 3"
    assert normalise("zero\u200bwidth") == "zerowidth"


def test_the_corpus_is_large_enough() -> None:
    assert len(NEAR_MISSES) >= 20 and len(HITS) + len(VEILED) >= 25
