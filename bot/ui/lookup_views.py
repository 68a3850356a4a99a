"""`/lookup` replies: the derived SRD facts of one entry as a phone-readable embed, and the button
that posts a private answer to the channel.

Facts only (numbers, dice, names): the SRD's description texts are not in the project's data. `Card`
lays an entry out for Discord's limits (`bot.discord_limits`): long lists over several fields, and fields
that would pass the 25-field or 6,000-character totals left off with a note saying how many; the shared
fitter (`bot.ui.fit.fit_embed`) has the last word on every embed, as for every other view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import discord

from bot import discord_limits as limits
from bot.data.srd import (
    SRD,
    Armor,
    CharacterClass,
    Condition,
    DamageRoll,
    Feat,
    Gear,
    MagicItem,
    Monster,
    MonsterAction,
    MonsterSpellcasting,
    Race,
    RuleSection,
    SaveDC,
    Spell,
    Weapon,
    cr_label,
)
from bot.engine import rules
from bot.engine.wording import counted
from bot.ui.fit import clamp, fit_embed

TITLE_LIMIT = limits.EMBED_TITLE
DESCRIPTION_LIMIT = limits.EMBED_DESCRIPTION
FIELD_COUNT_LIMIT = limits.EMBED_FIELDS
FIELD_NAME_LIMIT = limits.FIELD_NAME
FIELD_VALUE_LIMIT = limits.FIELD_VALUE
TOTAL_LIMIT = limits.EMBED_TOTAL
FOOTER_LIMIT = limits.FOOTER_TEXT
LOOKUP_COLOUR = discord.Colour.teal()
POST_TIMEOUT = 600.0
ORDINALS = ("cantrip", "1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th")
AUTOMATION_TEXT = {
    "full": "⚙️ full: the engine resolves it from the data",
    "partial": "🎲 partial: slot spent and dice rolled; the DM applies the effect",
    "noted": "📝 noted: utility; slot, duration and concentration tracked",
}
ABILITY_ORDER = ("str", "dex", "con", "int", "wis", "cha")


cap = clamp  # at most `limit` characters, an ellipsis marking a cut


class Card:
    """Collects an embed's parts and builds it within Discord's limits."""

    def __init__(self, title: str, description: str = "") -> None:
        self.title = cap(title, TITLE_LIMIT)
        self.description = cap(description, DESCRIPTION_LIMIT)
        self.fields: list[tuple[str, str, bool]] = []
        self.footer = ""

    def field(self, name: str, value: str, *, inline: bool = True) -> None:
        if value:
            self.fields.append((cap(name, FIELD_NAME_LIMIT), cap(value, FIELD_VALUE_LIMIT), inline))

    def lines_field(self, name: str, lines: Sequence[str]) -> None:
        """A long list over as many fields as it needs ("Actions", "Actions (2)" ...), whole lines each."""
        chunk: list[str] = []
        part = 1
        for line in lines:
            line = cap(line, FIELD_VALUE_LIMIT)
            if chunk and len("\n".join([*chunk, line])) > FIELD_VALUE_LIMIT:
                self.field(name if part == 1 else f"{name} ({part})", "\n".join(chunk), inline=False)
                chunk, part = [], part + 1
            chunk.append(line)
        if chunk:
            self.field(name if part == 1 else f"{name} ({part})", "\n".join(chunk), inline=False)

    def build(self) -> discord.Embed:
        embed = discord.Embed(title=self.title, description=self.description or None, colour=LOOKUP_COLOUR)
        footer = cap(self.footer, FOOTER_LIMIT)
        used = len(self.title) + len(self.description) + len(footer) + 60  # room for the "left off" note
        kept = 0
        for name, value, inline in self.fields:
            if kept == FIELD_COUNT_LIMIT - 1 or used + len(name) + len(value) > TOTAL_LIMIT:
                break
            embed.add_field(name=name, value=value, inline=inline)
            used += len(name) + len(value)
            kept += 1
        left = len(self.fields) - kept
        if left:
            embed.add_field(name="…", value=f"{counted(left, 'more part')} left off to fit Discord.")
        if footer:
            embed.set_footer(text=footer)
        return fit_embed(embed)


# --- Small formatters -----------------------------------------------------------------------------


def joined(items: Iterable[str], empty: str = "") -> str:
    return ", ".join(items) or empty


def titled(slug: str) -> str:
    return slug.replace("-", " ").replace("_", " ").capitalize()


def feet(distance: int) -> str:
    return f"{distance} ft"


def save_text(dc: SaveDC) -> str:
    effect = {"half": " (half on a success)", "none": ""}.get(dc.success, f" ({dc.success} on a success)")
    return f"DC {dc.value} {dc.ability.upper()} save{effect}"


def damage_text(rolls: Sequence[DamageRoll]) -> str:
    return " + ".join(f"{r.dice} {r.type}" + (f" ({save_text(r.dc)})" if r.dc else "") for r in rolls)


def by_level(table: Mapping[int, str], label: Callable[[int], str]) -> str:
    return " · ".join(f"{label(level)} {dice}" for level, dice in sorted(table.items()))


# --- Spells ---------------------------------------------------------------------------------------


def spell_embed(spell: Spell, srd: SRD) -> discord.Embed:
    school = spell.school.capitalize()
    kind = f"{school} cantrip" if spell.level == 0 else f"{ORDINALS[spell.level]}-level {school.lower()}"
    tags = [t for t, on in (("ritual", spell.ritual), ("concentration", spell.concentration)) if on]
    card = Card(f"✨ {spell.name}", kind + (f" ({', '.join(tags)})" if tags else ""))
    card.field("Casting time", spell.casting_time)
    card.field("Range", spell.range)
    card.field("Duration", ("Concentration, " if spell.concentration else "") + spell.duration)
    card.field("Components", components_text(spell))
    card.field("Classes", joined(srd.klass(c).name for c in spell.classes))
    if spell.subclasses:
        card.field("Subclasses", joined(srd.subclass(s).name for s in spell.subclasses))
    for name, value in spell_mechanics(spell):
        card.field(name, value, inline=False)
    card.field("Automation", AUTOMATION_TEXT[spell.automation], inline=False)
    card.footer = "SRD 5.1 facts · the spell's full text is in the SRD"
    return card.build()


def components_text(spell: Spell) -> str:
    text = ", ".join(spell.components)
    if spell.material_cost:
        used = ", consumed" if spell.material_cost.consumed else ""
        text += f" (material worth {spell.material_cost.gp:,} gp{used})"
    return text


def spell_mechanics(spell: Spell) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    kind = f" {spell.damage_type}" if spell.damage_type else ""
    if spell.damage_at_character_level:
        rows.append((f"Damage{kind} by character level", by_level(spell.damage_at_character_level, lambda n: f"L{n}")))
    if spell.damage_at_slot_level:
        rows.append((f"Damage{kind} by slot", by_level(spell.damage_at_slot_level, lambda n: ORDINALS[n])))
    if spell.heal_at_slot_level:
        rows.append(("Healing by slot", by_level(spell.heal_at_slot_level, lambda n: ORDINALS[n])))
    if spell.attack_type:
        rows.append(("Attack", f"{spell.attack_type} spell attack (vs AC)"))
    if spell.save:
        effect = {"half": "half damage on a success", "none": "no effect on a success"}.get(
            spell.save.success, f"{spell.save.success} on a success"
        )
        rows.append(("Save", f"{spell.save.ability.upper()}, {effect}"))
    if spell.area:
        rows.append(("Area", f"{spell.area.size}-ft {spell.area.type}"))
    if spell.conditions:
        rows.append(("Conditions", joined(c.capitalize() for c in spell.conditions)))
    return rows


# --- Monsters -------------------------------------------------------------------------------------


def monster_embed(monster: Monster, srd: SRD | None = None) -> discord.Embed:
    kind = f"{monster.type} ({monster.subtype})" if monster.subtype else monster.type
    head = f"{monster.size} {kind}, {monster.alignment}"
    cr = f"CR {cr_label(monster.cr)} ({monster.xp:,} XP) · proficiency {rules.signed(monster.proficiency_bonus)}"
    card = Card(f"👹 {monster.name}", f"{head}\n{cr}")
    ac = " / ".join(f"{a.value} ({a.type})" for a in monster.armor_class)
    speed = ", ".join(f"{k} {feet(v)}" for k, v in monster.speed.items()) + (" (hover)" if monster.hover else "")
    card.field("Armor class", ac)
    card.field("Hit points", f"{monster.hp} ({monster.hp_roll})")
    card.field("Speed", speed)
    card.field("Abilities", abilities_text(monster.abilities), inline=False)
    bonuses = [f"{a.upper()} {rules.signed(v)}" for a, v in monster.saving_throws.items()]
    card.field("Saving throws", joined(bonuses))
    card.field("Skills", joined(f"{titled(k)} {rules.signed(v)}" for k, v in monster.skills.items()))
    card.field("Senses", joined(f"{titled(k)} {v}" for k, v in monster.senses.items()))
    card.field("Languages", monster.languages)
    for label, plain, special in (
        ("Vulnerable", monster.damage_vulnerabilities, monster.damage_vulnerabilities_special),
        ("Resists", monster.damage_resistances, monster.damage_resistances_special),
        ("Immune", monster.damage_immunities, monster.damage_immunities_special),
    ):
        qualified = [f"{joined(q.types, 'all')} ({titled(q.qualifier)})" for q in special]
        card.field(label, joined([*plain, *qualified]))
    card.field("Condition immunities", joined(monster.condition_immunities))
    card.field("Traits", joined(monster.special_abilities), inline=False)
    if monster.spellcasting is not None and srd is not None:
        card.lines_field("Spellcasting", spellcasting_lines(monster.spellcasting, srd))
    card.lines_field("Actions", [action_line(a) for a in monster.actions])
    card.field("Reactions", joined(monster.reactions), inline=False)
    card.field("Legendary actions", joined(monster.legendary_actions), inline=False)
    card.footer = "SRD 5.1 facts"
    return card.build()


def ordinal(number: int) -> str:
    """1 → "1st", 11 → "11th", 22 → "22nd"."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def spellcasting_lines(sc: MonsterSpellcasting, srd: SRD) -> list[str]:
    """A stat block's spellcasting as numbers: ability, DC, attack bonus, caster level, slots, the spells by
    level (or by uses a day), each as `/dm-combat act action:Cast <spell>` runs it."""
    head = [sc.ability.upper()]
    head += [f"DC {sc.dc}"] if sc.dc else []
    head += [f"{rules.signed(sc.attack_bonus)} to hit"] if sc.attack_bonus is not None else []
    head += [f"{ordinal(sc.level)}-level caster"] if sc.level else []
    lines = [" · ".join(head)]
    if sc.slots:
        lines.append("Slots: " + " · ".join(f"{ordinal(n)} {c}" for n, c in sorted(sc.slots.items())))
    spells = [srd.spell(i) for i in sc.spells if i in srd.lookup("spell")]
    groups: dict[str, list[str]] = {}
    for spell in sorted(spells, key=lambda s: (s.level, s.name)):
        uses = sc.uses_per_day.get(spell.index)
        if uses is not None:
            group = "At will" if uses == 0 else f"{uses}/day"
        else:
            group = "Cantrips" if spell.level == 0 else ordinal(spell.level)
        groups.setdefault(group, []).append(spell.name)
    by_name = ("At will", *(g for g in groups if g.endswith("/day")))  # innate spells: alphabetical
    lines += [f"{g}: {', '.join(sorted(n) if g in by_name else n)}" for g, n in groups.items()]
    return lines


def abilities_text(abilities: Mapping[str, int]) -> str:
    cells = [f"**{a.upper()}** {abilities[a]} ({rules.signed(rules.modifier(abilities[a]))})" for a in ABILITY_ORDER]
    return " · ".join(cells[:3]) + "\n" + " · ".join(cells[3:])


def action_line(action: MonsterAction) -> str:
    parts = [f"**{action.name}**"]
    if action.multiattack and action.multiattack_count:
        parts.append(counted(action.multiattack_count, "attack"))
    if action.attack_bonus is not None:
        parts.append(f"{rules.signed(action.attack_bonus)} to hit")
    if action.damage:
        parts.append(damage_text(action.damage))
    if action.damage_one_of:
        parts.append("one of: " + " or ".join(f"{r.dice} {r.type}" for r in action.damage_one_of))
    if action.dc:
        parts.append(save_text(action.dc))
    if action.usage:
        parts.append(usage_text(action.usage))
    for option in action.options:
        bits = [b for b in (save_text(option.dc) if option.dc else "", damage_text(option.damage)) if b]
        parts.append(f"{option.name}: {', '.join(bits)}" if bits else option.name)
    return " · ".join(parts)


def usage_text(usage: Any) -> str:
    if usage.type == "recharge on roll":
        return f"recharge {usage.min_value}–6" if usage.min_value and usage.min_value < 6 else "recharge 6"
    if usage.type == "per day":
        return f"{usage.times}/day"
    return f"recharges after a {joined(usage.rest_types, 'rest')} rest"


# --- Items ----------------------------------------------------------------------------------------


def item_embed(item: Weapon | Armor | Gear) -> discord.Embed:
    card = Card(f"🎒 {item.name}")
    if item.cost:
        card.field("Cost", f"{item.cost.quantity:,} {item.cost.unit}")
    if item.weight:
        card.field("Weight", f"{item.weight:g} lb")
    if isinstance(item, Weapon):
        card.description = f"{item.category.capitalize()} {item.range_type} weapon"
        damage = f"{item.damage_dice} {item.damage_type}" if item.damage_dice else "none"
        if item.two_handed_dice:
            damage += f" ({item.two_handed_dice} two-handed)"
        card.field("Damage", damage)
        card.field("Properties", joined(titled(p) for p in item.properties))
        if item.range_long or item.throw_normal:
            normal, long = item.throw_normal or item.range_normal, item.throw_long or item.range_long
            card.field("Range", f"{normal}/{long} ft")
    elif isinstance(item, Armor):
        card.description = "Shield" if item.category == "shield" else f"{item.category.capitalize()} armor"
        dex = "" if not item.dex_bonus else " + Dex" + (f" (max {item.max_dex_bonus})" if item.max_dex_bonus else "")
        card.field("Armor class", f"{'+' if item.category == 'shield' else ''}{item.base_ac}{dex}")
        if item.str_minimum:
            card.field("Strength", f"{item.str_minimum}+")
        if item.stealth_disadvantage:
            card.field("Stealth", "disadvantage")
    else:
        card.description = titled(item.subcategory or item.category)
        if item.contents:
            card.field("Contents", joined(f"{titled(c.item)} ×{c.quantity}" for c in item.contents), inline=False)
        if item.speed:
            card.field("Speed", f"{item.speed.quantity:g} {item.speed.unit}")
        if item.capacity:
            card.field("Capacity", item.capacity)
    card.footer = "SRD 5.1 facts"
    return card.build()


def magic_item_embed(item: MagicItem, srd: SRD) -> discord.Embed:
    attune = " · requires attunement" if item.attunement else ""
    card = Card(f"🪄 {item.name}", f"{item.rarity} {titled(item.category).lower()}{attune}")
    if item.variants:
        names = [srd.magic_item(v).name if v in srd.lookup("magic_item") else titled(v) for v in item.variants]
        card.field("Variants", " · ".join(names), inline=False)  # the names have commas of their own
    card.footer = "SRD 5.1 facts"
    return card.build()


# --- Conditions, classes, races, feats, rules -----------------------------------------------------

EFFECT_LABELS: tuple[tuple[str, str], ...] = (
    ("attack", "Its attack rolls"),
    ("ability_check", "Its ability checks"),
    ("attacked_by", "Attack rolls against it"),
    ("attacked_by_within_5ft", "Attacks against it within 5 ft"),
    ("attacked_by_beyond_5ft", "Attacks against it beyond 5 ft"),
    ("auto_fail_saves", "Fails saving throws automatically"),
    ("save_disadvantage", "Disadvantage on saving throws"),
    ("auto_fail_checks", "Fails checks that need"),
    ("immune", "Immune to"),
    ("implies", "Also"),
)
EFFECT_FLAGS: tuple[tuple[str, str], ...] = (
    ("incapacitated", "Incapacitated: no actions or reactions"),
    ("speed_zero", "Speed 0"),
    ("cannot_speak", "Can't speak"),
    ("crawl_only", "Moves only by crawling"),
    ("crit_within_5ft", "A hit from within 5 ft is a critical hit"),
    ("resist_all_damage", "Resistance to all damage"),
    ("cannot_attack_source", "Can't attack the one who charmed it"),
    ("source_social_advantage", "The charmer has advantage on social checks against it"),
    ("while_source_visible", "While it can see the source of its fear"),
    ("cannot_approach_source", "Can't willingly move closer to the source"),
)


def condition_embed(condition: Condition) -> discord.Embed:
    effects = condition.effects
    rows = []
    for key, label in EFFECT_LABELS:
        value = getattr(effects, key)
        if value:
            rows.append(
                f"**{label}**: {value if isinstance(value, str) else joined(_ability_or_word(v) for v in value)}"
            )
    rows += [f"• {label}" for key, label in EFFECT_FLAGS if getattr(effects, key)]
    card = Card(f"🌀 {condition.name}")
    card.lines_field("Effects", rows)
    if effects.levels:
        card.lines_field("Levels", [f"**{n}** {text}" for n, text in enumerate(effects.levels, start=1)])
    if effects.note:
        card.field("Note", effects.note, inline=False)
    card.footer = "SRD 5.1 Conditions, summarised as effects"
    return card.build()


def _ability_or_word(text: str) -> str:
    return text.upper() if text in ABILITY_ORDER else text


def class_embed(klass: CharacterClass, srd: SRD) -> discord.Embed:
    casting = f" · casts with {klass.spellcasting_ability.upper()}" if klass.spellcasting_ability else ""
    card = Card(f"🛡️ {klass.name}", f"Hit die d{klass.hit_die}{casting}")
    card.field("Saving throws", joined(a.upper() for a in klass.saving_throws))
    card.field("Armor", joined(titled(a) for a in klass.proficiencies.armor), inline=False)
    card.field("Weapons", joined(titled(w) for w in klass.proficiencies.weapons), inline=False)
    if klass.skill_choice:
        skills = joined(titled(s) for s in klass.skill_choice.options)
        card.field(f"Skills (choose {klass.skill_choice.choose})", skills, inline=False)
    card.field("Subclasses", joined(srd.subclass(s).name for s in klass.subclasses))
    lines = []
    for row in klass.levels:
        slots = [str(n) for n in row.spell_slots if n]
        slot_text = f" · slots {'/'.join(slots)}" if slots else ""
        features = joined(row.features, "—")
        lines.append(f"**{row.level}** {rules.signed(row.prof_bonus)}{slot_text} · {features}")
    card.lines_field("Levels (proficiency · spell slots · features)", lines)
    card.footer = "SRD 5.1 facts"
    return card.build()


def race_embed(race: Race, srd: SRD) -> discord.Embed:
    card = Card(f"🧝 {race.name}", f"{race.size} · speed {feet(race.speed)}")
    card.field("Ability bonuses", joined(f"{a.upper()} {rules.signed(v)}" for a, v in race.ability_bonuses.items()))
    if race.ability_bonus_choice:
        card.field("Choose bonuses", f"+1 to {counted(race.ability_bonus_choice.choose, 'ability')}")
    card.field("Languages", joined(srd.language(lang).name for lang in race.languages))
    card.field("Traits", joined(race.traits), inline=False)
    card.field("Subraces", joined(srd.subrace(s).name for s in race.subraces))
    card.footer = "SRD 5.1 facts"
    return card.build()


def feat_embed(feat: Feat) -> discord.Embed:
    needs = joined(f"{a.upper()} {v}+" for a, v in feat.prerequisites.items()) or "none"
    card = Card(f"🏅 {feat.name}", f"Prerequisite: {needs}")
    card.footer = "SRD 5.1 facts · the feat's benefits are in the SRD"
    return card.build()


def rule_embed(section: RuleSection) -> discord.Embed:
    card = Card(f"📜 {section.name}", f"Chapter: {section.chapter}")
    card.lines_field("Sections", [f"• {h}" for h in section.headings])
    card.footer = "SRD 5.1 rules · this lists the section's headings; the text is in the SRD"
    return card.build()


# --- Posting a private answer ---------------------------------------------------------------------


class PostView(discord.ui.View):
    """One button under a private answer: post the same embed to the channel for everyone.

    No owner check: only whoever looked it up can see a private answer, so only they can press it."""

    def __init__(self, owner_id: int, embed: discord.Embed, *, timeout: float = POST_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.embed = embed
        button: discord.ui.Button[PostView] = discord.ui.Button(
            label="Post to channel", style=discord.ButtonStyle.primary, custom_id=f"dm:lookup:{owner_id}:{id(self)}"
        )
        button.callback = self._post  # type: ignore[method-assign]
        self.add_item(button)

    async def _post(self, interaction: discord.Interaction[Any]) -> None:
        self.stop()
        await interaction.response.send_message(embed=self.embed)
