"""Backgrounds: SRD 5.1 has one (Acolyte); the rules let a player make their own (PHB "Customizing a
Background": two skills, tools or languages, and a feature). A custom background is described in one line,
`Name; skill, skill; tool or language; feature`, and stored on the sheet as `custom:<name>` with its
skills, tool or language and feature written into the sheet itself."""

from __future__ import annotations

from bot.data.srd import SRD, Background
from bot.engine.text import visible
from bot.errors import InvalidInput, NotFound

CUSTOM_PREFIX = "custom:"
CUSTOM = "custom"
MAX_BACKGROUND_NAME = 40
MAX_FEATURE = 200
FORMAT = "`name; skill, skill; tool or language; feature`"
EXAMPLE = "Soldier; Athletics, Intimidation; Dice set; Military Rank, soldiers loyal to my old army defer to me"


def background_name(srd: SRD, index: str, imported: object = None) -> str:
    """The name a sheet shows: the SRD background's, the custom one's own, or the name an imported sheet
    brought for one the SRD lacks (`imported`)."""
    if index.startswith(CUSTOM_PREFIX):
        return index.removeprefix(CUSTOM_PREFIX)
    if index in srd.lookup("background"):
        return srd.background(index).name
    return str(imported or index)


def choose(srd: SRD, key: str, custom: str | None) -> Background:
    """`background:` of `/character create`: an SRD background, or `Custom` with its description."""
    if custom or key.strip().casefold() == CUSTOM:
        if not custom:
            raise InvalidInput(f"Describe a custom background in `custom_background:` as {FORMAT}. Example: {EXAMPLE}")
        return parse(srd, custom)
    try:
        return srd.background(key)
    except KeyError:
        names = ", ".join(b.name for b in srd.data.backgrounds)
        raise NotFound(
            f"“{key[:40]}” is not an SRD background: SRD 5.1 has {names}. Make your own with `background:Custom` "
            f"and `custom_background:` {FORMAT}, e.g. `{EXAMPLE}`."
        ) from None


def parse(srd: SRD, text: str) -> Background:
    parts = [" ".join(visible(p).split()) for p in text.split(";")]
    if len(parts) != 4 or not all(parts):
        raise InvalidInput(f"A custom background has four parts split by `;`: {FORMAT}. Example: {EXAMPLE}")
    name, skills_text, extra, feature = parts
    if len(name) > MAX_BACKGROUND_NAME:
        raise InvalidInput(f"A background's name is at most {MAX_BACKGROUND_NAME} characters.")
    if len(feature) > MAX_FEATURE:
        raise InvalidInput(f"A background's feature is at most {MAX_FEATURE} characters.")
    skills = tuple(_skill(srd, s) for s in skills_text.split(","))
    if len(skills) != 2 or skills[0] == skills[1]:
        raise InvalidInput("A custom background gives two different skills, e.g. `Athletics, Intimidation`.")
    tools, languages = _tool_or_language(srd, extra)
    return Background(
        index=CUSTOM_PREFIX + name,
        name=name,
        skill_proficiencies=skills,
        tool_proficiencies=tools,
        languages=languages,
        feature=feature,
    )


def _skill(srd: SRD, text: str) -> str:
    try:
        return srd.skill(text.strip()).index
    except KeyError:
        names = ", ".join(s.name for s in srd.data.skills)
        raise InvalidInput(f"“{text.strip()[:30]}” is not a skill. Skills: {names}.") from None


def _tool_or_language(srd: SRD, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    tools = {p.index: p for p in srd.data.proficiencies if p.group == "tools"}
    wanted = text.strip().casefold()
    for index, tool in tools.items():
        if wanted in (index, tool.name.casefold()):
            return (index,), ()
    try:
        return (), (srd.language(text.strip()).index,)
    except KeyError:
        raise InvalidInput(
            f"“{text[:30]}” is neither an SRD tool (e.g. Dice set, Thieves' tools) nor a language (e.g. Elvish)."
        ) from None
