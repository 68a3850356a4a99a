"""Counted nouns in the texts players read: "1 round", "2 rounds", "1 hit die", "3 hit dice".

One helper for every count shown, so no text says "1 hit dice" or "for 1 rounds"; tests/unit/test_wording.py
keeps hand-made plurals out of the code players read."""

from __future__ import annotations

# Plurals English does not make with "-s"; the rest add "s" (or "es" after s, x, ch, sh).
IRREGULAR = {
    "die": "dice",
    "hit die": "hit dice",
    "foot": "feet",
    "child": "children",
    "person": "people",
    "wolf": "wolves",
    "thief": "thieves",
    "elf": "elves",
    "dwarf": "dwarves",
    "knife": "knives",
    "staff": "staves",
    "ammunition": "ammunition",
    "gp": "gp",
    "sp": "sp",
    "cp": "cp",
    "ep": "ep",
    "pp": "pp",
    "XP": "XP",
    "HP": "HP",
}


def plural(noun: str) -> str:
    """The plural of a singular noun (or of its last word: "failed death save" → "failed death saves")."""
    if noun in IRREGULAR:
        return IRREGULAR[noun]
    head, _, last = noun.rpartition(" ")
    if last in IRREGULAR:
        return f"{head} {IRREGULAR[last]}".strip()
    if last.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if last.endswith("y") and len(last) > 1 and last[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def counted(count: int, noun: str, plural_form: str | None = None) -> str:
    """`count` and the noun in the number it takes: `counted(1, "round")` → "1 round", 2 → "2 rounds"."""
    word = noun if count == 1 else (plural_form or plural(noun))
    return f"{count:,} {word}"
