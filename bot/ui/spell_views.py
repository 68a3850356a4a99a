"""`/spell` replies: a character's spells as one phone-readable embed."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.data.srd import Spell
from bot.engine import rules
from bot.engine.spellbook import SpellChange, SpellSheet
from bot.engine.wording import counted
from bot.ui.text import safe

SPELL_COLOUR = discord.Colour.purple()
FIELD_LIMIT = 1024
AUTOMATION_MARKS = {"full": "⚙️", "partial": "🎲", "noted": "📝"}


def spell_names(spells: Sequence[Spell], prepared: set[str] | None = None) -> str:
    """Names grouped by level, e.g. "**1st** Magic Missile ⚙️, Sleep 🎲"; ✅ marks prepared ones."""
    if not spells:
        return "—"
    by_level: dict[int, list[str]] = {}
    for spell in sorted(spells, key=lambda s: (s.level, s.name)):
        mark = " ✅" if prepared is not None and spell.index in prepared else ""
        by_level.setdefault(spell.level, []).append(f"{spell.name} {AUTOMATION_MARKS[spell.automation]}{mark}")
    lines = [f"**{'Cantrip' if lv == 0 else ordinal(lv)}** {', '.join(names)}" for lv, names in by_level.items()]
    text = "\n".join(lines)
    return text if len(text) <= FIELD_LIMIT else text[: FIELD_LIMIT - 1] + "…"


def ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def spell_sheet_embed(view: SpellSheet, *, book: bool = False) -> discord.Embed:
    sheet, room = view.sheet, view.allowance
    title = f"🔮 {safe(sheet.name)} — {'spellbook' if book else 'spells'}"
    lines = []
    if view.numbers:
        n = view.numbers
        lines.append(
            f"{n.ability.upper()} · spell save DC **{n.save_dc}** · spell attack **{rules.signed(n.attack_bonus)}**"
        )
    top = f"spells up to level {room.max_level}" if room.max_level else "no spell slots yet"
    lines.append(f"Level {sheet.level} · {top}")
    embed = discord.Embed(title=title[:256], description="\n".join(lines), colour=SPELL_COLOUR)
    prepared = {s.index for s in view.prepared}
    if book:
        free = f" ({room.book_free} from levels; more are copied: 2 h and 50 gp per spell level)"
        embed.add_field(name=f"Spellbook: {len(view.book)}{free}", value=spell_names(view.book, prepared), inline=False)
        embed.set_footer(text="✅ prepared · /spell prepare picks from the book")
        return embed
    embed.add_field(
        name=f"Cantrips {len(view.cantrips)}/{room.cantrips}", value=spell_names(view.cantrips), inline=False
    )
    if room.style == "known":
        embed.add_field(name=f"Known {len(view.known)}/{room.known}", value=spell_names(view.known), inline=False)
    if room.style == "spellbook":
        embed.add_field(
            name=f"Spellbook {len(view.book)}",
            value=f"{counted(len(view.book), 'spell')} · `/spell book`",
            inline=False,
        )
    if room.prepared is not None:
        state = "" if sheet.spells.may_prepare else " · set until a long rest"
        name = f"Prepared {len(view.prepared)}/{room.prepared}{state}"
        embed.add_field(name=name, value=spell_names(view.prepared), inline=False)
    if view.always:
        name = f"Always prepared ({len(view.always)}, not counted)"
        embed.add_field(name=name, value=spell_names(view.always), inline=False)
    embed.set_footer(text="⚙️ the engine resolves it · 🎲 dice rolled, the DM applies the effect · 📝 utility")
    return embed


def change_embed(change: SpellChange) -> discord.Embed:
    embed = spell_sheet_embed(change.view)
    embed.description = f"{safe(change.message)}\n{embed.description}"
    return embed
