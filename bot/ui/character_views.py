"""Character sheets as embeds that read well on a phone, and the views and modals of the character flows.

Views get the engine calls they need as callables from the cog, so they stay free of rules. Each
view belongs to one user (`interaction_check`), has custom ids unique to its flow, turns a
`GameError` into an ephemeral reply, and on timeout disables itself and says so on the message.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import replace
from typing import Any

import discord
import structlog

from bot import discord_limits as limits
from bot.data.srd import SRD
from bot.engine import choices, class_levels, items, rules
from bot.engine.characters import InventoryChange, LevelUp, Rest, Summary
from bot.engine.checks import AttackResult, CheckResult, DeathSaveResult
from bot.engine.creation import Choices, Draft, expertise_options, has_first_level_expertise
from bot.engine.dice import Advantage, Critical, RollOutcome
from bot.engine.rests import rest_lines
from bot.engine.sheet import Sheet, Stats
from bot.engine.spells import LevelGains
from bot.engine.wording import counted
from bot.errors import GameError
from bot.ui.embeds import CRITICAL_COLOUR, FUMBLE_COLOUR, NEUTRAL_COLOUR
from bot.ui.feature_views import uses_field
from bot.ui.fit import fit_embed, fit_lines
from bot.ui.replies import reply
from bot.ui.text import safe

log = structlog.get_logger(__name__)

DRAFT_TIMEOUT = 600.0
CONFIRM_TIMEOUT = 60.0
DRAFT_EXPIRED = "This character sheet draft expired — run /character create again."
DELETE_EXPIRED = "This deletion wasn't confirmed in time; nothing was deleted."
HP_BAR_CELLS = 10
SHEET_COLOUR = discord.Colour.dark_gold()
MAX_ROWS = 5  # Discord: five component rows a message
SELECT_OPTIONS = 25  # Discord: options a select menu holds
ORDINALS = ("1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th")


# --- Sheet embeds ---------------------------------------------------------------------------------


def hp_bar(current: int, maximum: int) -> str:
    filled = 0 if maximum <= 0 else round(HP_BAR_CELLS * max(0, min(current, maximum)) / maximum)
    return "▰" * filled + "▱" * (HP_BAR_CELLS - filled)


def sheet_embed(sheet: Sheet, stats: Stats, srd: SRD) -> discord.Embed:
    kind = f"{stats.race_name} {stats.class_name}"
    if sheet.subclass and sheet.subclass in srd.lookup("subclass"):
        kind += f" ({srd.subclass(sheet.subclass).name})"
    title = f"{safe(sheet.name)} — level {sheet.level} {kind}"
    temp = f" (+{sheet.hp_temp} temp)" if sheet.hp_temp else ""
    lines = [
        *_life(sheet),
        f"❤️ **HP {sheet.hp_current}/{stats.hp_max}**{temp} {hp_bar(sheet.hp_current, stats.hp_max)}",
        f"🛡️ AC **{stats.armor_class}** · 👟 {stats.speed} ft · ⚡ Init {rules.signed(stats.initiative)}",
        f"👁️ Passive Perception {stats.passive_perception} · ✨ Proficiency {rules.signed(stats.proficiency_bonus)}",
    ]
    embed = discord.Embed(title=title[:256], description="\n".join(lines), colour=SHEET_COLOUR)
    embed.add_field(name="Abilities", value=_abilities(stats), inline=False)
    embed.add_field(name="Saves", value=_saves(sheet, stats), inline=False)
    embed.add_field(name="Skills  (● proficient ◆ expertise)", value=_skills(sheet, stats, srd), inline=False)
    if stats.attacks:
        attacks = [
            f"**{a.name}** {rules.signed(a.to_hit)} · {a.damage}" + "".join(f" + {d} {t}" for d, t in a.extra)
            for a in stats.attacks[:8]
        ]
        embed.add_field(name="Attacks", value="\n".join(attacks), inline=False)
    if stats.magic:
        worn = [f"**{safe(name)}**: {effect}" for name, effect in stats.magic]
        embed.add_field(name="Magic items at work", value=fit_lines(worn, limits.FIELD_VALUE), inline=False)
    made = _choice_lines(sheet, srd)
    if made:
        embed.add_field(name="Choices", value=fit_lines(made, limits.FIELD_VALUE), inline=False)
    embed.add_field(name="Inventory", value=_inventory(sheet), inline=False)
    embed.add_field(name="Hit dice", value=_hit_dice(sheet, stats, srd), inline=True)
    if any(sheet.slots_max):
        embed.add_field(name="Spell slots", value=_slots(sheet), inline=True)
    if stats.spellcasting:
        embed.add_field(name="Spellcasting", value=_spellcasting(sheet, stats), inline=True)
    if sheet.hp_current <= 0:
        embed.add_field(
            name="Death saves", value=f"✅ {sheet.death_successes}/3 · ❌ {sheet.death_failures}/3", inline=True
        )
    if uses_field(sheet):
        embed.add_field(name="Features with uses", value=uses_field(sheet), inline=False)
    if sheet.features:
        features = fit_lines((safe(f) for f in sheet.features), limits.FIELD_VALUE, sep=", ")
        embed.add_field(name="Features (`/feature list`)", value=features, inline=False)
    if sheet.conditions:
        embed.add_field(name="Conditions", value=_conditions(sheet, srd), inline=False)
    if sheet.notes:
        embed.add_field(name="Notes", value=safe(sheet.notes, limit=1000), inline=False)
    if sheet.custom:
        custom = fit_lines((safe(line) for line in custom_lines(sheet.custom)), limits.FIELD_VALUE, sep=" · ")
        embed.add_field(name="Custom (outside the SRD, brought by an import)", value=custom or "—", inline=False)
    if sheet.portrait_url:
        embed.set_thumbnail(url=sheet.portrait_url)
    footer = f"{stats.background_name} · {sheet.xp:,} XP" + (" · active" if sheet.active else "")
    embed.set_footer(text=footer)
    return fit_embed(embed)


def _choice_lines(sheet: Sheet, srd: SRD) -> list[str]:
    """What the player chose by level (the subclass is in the title), and a dragonborn's breath weapon."""
    lines = [safe(line) for line in choices.summary(srd, sheet)]
    if sheet.subclass and lines:
        lines = lines[1:]
    breath = choices.breath_weapon(srd, sheet)
    return [*lines, breath] if breath else lines


def _hit_dice(sheet: Sheet, stats: Stats, srd: SRD) -> str:
    if not class_levels.is_multiclassed(sheet):
        return f"{stats.hit_dice_left}/{sheet.level} d{stats.hit_die}"
    dice = " + ".join(f"{n}d{die}" for die, n in class_levels.hit_dice(srd, sheet).items())
    return f"{stats.hit_dice_left}/{sheet.level} ({dice})"


def _life(sheet: Sheet) -> list[str]:
    """The first thing a sheet says of a character who is down: dead, dying or stable."""
    if sheet.death_failures >= 3:
        return ["💀 **Dead**: only a spell or the DM's `/dm revive` brings them back."]
    if sheet.hp_current <= 0:
        if sheet.death_successes >= 3:
            return ["🩹 **Stable** at 0 HP, unconscious."]
        return ["🩸 **Dying** at 0 HP: a death save each turn; healing wakes them."]
    return []


def custom_lines(custom: Mapping[str, Any]) -> list[str]:
    """A sheet's custom entries, one short line each: what the DM rules on at the table."""
    lines = [f"{label}: {custom[key]}" for key, label in CUSTOM_NAMES if custom.get(key)]
    for key, label in (("features", "Feature"), ("spells", "Spell"), ("languages", "Language"), ("tools", "Tool")):
        lines += [f"{label}: {name}" for name in custom.get(key, ())]
    lines += [
        f"Item: {i['name']}" + (f" ×{i['quantity']}" if i["quantity"] > 1 else "") for i in custom.get("items", ())
    ]
    if custom.get("classes"):  # a multiclass import: every class's levels, the sheet's class first
        lines.insert(0, "Classes: " + ", ".join(f"{c['name']} {c['levels']}" for c in custom["classes"]))
    return lines


CUSTOM_NAMES = (("race", "Race"), ("subclass", "Subclass"), ("background", "Background"))


def _abilities(stats: Stats) -> str:
    cells = [f"**{a.upper()}** {stats.scores[a]} ({rules.signed(stats.modifiers[a])})" for a in rules.ABILITIES]
    return " · ".join(cells[:3]) + "\n" + " · ".join(cells[3:])


def _saves(sheet: Sheet, stats: Stats) -> str:
    return " · ".join(
        f"{'●' if sheet.proficient('saves', a) else '○'} {a.upper()} {rules.signed(stats.saves[a])}"
        for a in rules.ABILITIES
    )


def _skills(sheet: Sheet, stats: Stats, srd: SRD) -> str:
    def mark(index: str) -> str:
        if index in sheet.expertise:
            return "◆"
        return "●" if sheet.proficient("skills", index) else "○"

    return " · ".join(f"{mark(s.index)} {s.name} {rules.signed(stats.skills[s.index])}" for s in srd.data.skills)


def _inventory(sheet: Sheet, limit: int = 12) -> str:
    def entry(item: Any) -> str:
        count = f" ×{item.quantity}" if item.quantity > 1 else ""
        marks = [m for m, on in (("equipped", item.equipped), ("attuned", item.attuned)) if on]
        worn = f" *({', '.join(marks)})*" if marks else ""
        return f"{safe(item.name)}{count}{worn}"

    shown = sorted(sheet.inventory, key=lambda i: (not (i.equipped or i.attuned), i.name))
    coins = " ".join(f"{sheet.coins.get(c, 0)} {c}" for c in ("pp", "gp", "ep", "sp", "cp") if sheet.coins.get(c))
    purse = f"\n💰 {coins or 'no coins'}"
    more = f" … (+{len(shown) - limit} more: `/character inventory action:list`)" if len(shown) > limit else ""
    text = fit_lines((entry(i) for i in shown[:limit]), limits.FIELD_VALUE - len(purse) - len(more), sep=", ")
    return f"{text or 'nothing'}{more}{purse}"


def _slots(sheet: Sheet) -> str:
    pairs = enumerate(zip(sheet.slots_current, sheet.slots_max, strict=False))
    return " · ".join(f"{ORDINALS[i]} {cur}/{mx}" for i, (cur, mx) in pairs if mx)


def _spellcasting(sheet: Sheet, stats: Stats) -> str:
    casting = stats.spellcasting
    assert casting is not None
    s = sheet.spells
    counts = [counted(len(s.cantrips), "cantrip")] + [
        f"{len(items)} {label}"
        for items, label in ((s.known, "known"), (s.book, "in book"), (s.prepared, "prepared"))
        if items
    ]
    return (
        f"{casting.ability.upper()} · save DC **{casting.save_dc}** · attack {rules.signed(casting.attack_bonus)}\n"
        f"{', '.join(counts)} · `/spell list`"
    )


def _conditions(sheet: Sheet, srd: SRD) -> str:
    parts = []
    for c in sheet.conditions:
        name = srd.condition(c.name).name
        level = f" {c.level}" if c.name == "exhaustion" else ""
        rounds = f" ({counted(c.rounds, 'round')})" if c.rounds else ""
        parts.append(f"{name}{level}{rounds}")
    return fit_lines(parts, limits.FIELD_VALUE, sep=", ")


def list_embed(summaries: Sequence[Summary]) -> discord.Embed:
    if not summaries:
        text = "You have no characters here yet. Make one with `/character create`."
    else:
        text = fit_lines(
            (
                f"{'⭐' if s.active else '▫️'} **{safe(s.name)}** — level {s.level} {s.race_name} {s.class_name}"
                for s in summaries
            ),
            limits.EMBED_DESCRIPTION,
        )
    return fit_embed(discord.Embed(title="Your characters", description=text, colour=SHEET_COLOUR))


# --- Roll embeds ----------------------------------------------------------------------------------


def _advantage_note(outcome: RollOutcome | None, reasons: Sequence[str]) -> str | None:
    why = f" ({', '.join(reasons)})" if reasons else ""
    if outcome is not None and outcome.advantage is Advantage.ADVANTAGE:
        return f"*with advantage{why}*"
    if outcome is not None and outcome.advantage is Advantage.DISADVANTAGE:
        return f"*with disadvantage{why}*"
    if reasons:
        return f"*advantage and disadvantage cancel{why}*"
    return None


def _colour(outcome: RollOutcome | None) -> discord.Colour:
    if outcome is None:
        return FUMBLE_COLOUR
    return {Critical.SUCCESS: CRITICAL_COLOUR, Critical.FAIL: FUMBLE_COLOUR}.get(outcome.critical, NEUTRAL_COLOUR)


def check_embed(result: CheckResult) -> discord.Embed:
    name = safe(result.character)
    if result.outcome is None:
        title = f"🎲 {name} — {result.label}: automatic failure"
        lines = [f"Conditions make this save fail ({', '.join(result.reasons)})."]
    else:
        title = f"🎲 {name} — {result.label}: {result.outcome.total}"
        lines = [result.outcome.breakdown]
        note = _advantage_note(result.outcome, result.reasons)
        if note:
            lines.append(note)
        if result.outcome.critical is Critical.SUCCESS:
            lines.append("**Natural 20!**")
        elif result.outcome.critical is Critical.FAIL:
            lines.append("**Natural 1.**")
    return fit_embed(discord.Embed(title=title[:256], description="\n".join(lines), colour=_colour(result.outcome)))


def attack_embed(result: AttackResult) -> discord.Embed:
    target = f" → {safe(result.target, limit=100)}" if result.target else ""
    title = f"⚔️ {safe(result.character)} — {result.weapon}{target}"
    lines = [f"**To hit: {result.attack.total}**  {result.attack.breakdown}"]
    note = _advantage_note(result.attack, result.reasons)
    if note:
        lines.append(note)
    if result.critical:
        lines.append("**Critical hit!** The damage dice are doubled.")
    if result.damage is None:
        lines.append("**Natural 1: a miss.**")
    else:
        kind = f" {result.damage_type}" if result.damage_type else ""
        lines.append(f"**Damage: {result.damage.total}{kind}**  {result.damage.breakdown}")
    if result.note:
        lines.append(f"🏹 {safe(result.note)}")
    return fit_embed(discord.Embed(title=title[:256], description="\n".join(lines), colour=_colour(result.attack)))


def death_save_embed(result: DeathSaveResult) -> discord.Embed:
    verdict = {
        "dying": f"✅ {result.successes}/3 · ❌ {result.failures}/3",
        "stable": "Three successes: **stable** at 0 HP.",
        "dead": "Three failures: **dead**.",
        "revived": "Natural 20: back up with **1 HP**!",
    }[result.state]
    lines = [result.outcome.breakdown, verdict]
    note = _advantage_note(result.outcome, result.reasons)
    if note:
        lines.insert(1, note)
    title = f"💀 {safe(result.character)} — death save: {result.outcome.total}"
    return fit_embed(discord.Embed(title=title, description="\n".join(lines), colour=_colour(result.outcome)))


def levelup_embed(result: LevelUp) -> discord.Embed:
    how = f"rolled {result.hp_roll.breakdown}" if result.hp_roll else "average"
    lines = [
        f"❤️ +{result.hp_gain} HP ({how}) → {result.sheet.hp_max} max",
        f"✨ Proficiency bonus {rules.signed(result.proficiency_bonus)}",
    ]
    if any(result.slots):
        lines.append("🔮 Slots: " + " · ".join(f"{ORDINALS[i]} {n}" for i, n in enumerate(result.slots) if n))
    if result.features:
        lines.append("🆕 " + ", ".join(result.features))
    lines.extend(f"🎯 {safe(line)}" for line in result.choices)
    if result.spells and _spell_gains(result.spells):
        lines.append(_spell_gains(result.spells))
    title = f"⬆️ {safe(result.sheet.name)} reaches level {result.new_level}!"
    if result.class_level and result.class_level != result.new_level:  # multiclassed: which class rose
        title += f" ({safe(result.class_index.capitalize())} {result.class_level})"
    return fit_embed(discord.Embed(title=title, description="\n".join(lines), colour=CRITICAL_COLOUR))


def _spell_gains(gains: LevelGains) -> str:
    """Where the new level's spells come from: a pointer to the /spell command with the counts allowed."""
    parts = []
    if gains.cantrips:
        parts.append(counted(gains.cantrips, "new cantrip"))
    if gains.known:
        parts.append(f"{counted(gains.known, 'new spell')} known")
    if gains.book:
        parts.append(f"{counted(gains.book, 'spell')} for the spellbook")
    learn = f"📖 Learn {' and '.join(parts)} with `/spell learn`" if parts else ""
    prepare = f"🙏 Prepare {gains.prepared} more with `/spell prepare`" if gains.prepared > 0 else ""
    top = f" (spells up to level {gains.max_level})" if gains.max_level else ""
    said = " · ".join(p for p in (learn, prepare) if p)
    return said + top if said else ""


def rest_embed(result: Rest) -> discord.Embed:
    sheet = result.sheet
    title = f"{'🌙 Long' if result.kind == 'long' else '☕ Short'} rest — {safe(sheet.name)}"
    return fit_embed(discord.Embed(title=title, description="\n".join(rest_lines(result)), colour=NEUTRAL_COLOUR))


def inventory_embed(change: InventoryChange) -> discord.Embed:
    lines = [change.message]
    if change.ac_before != change.ac_after:
        lines.append(f"🛡️ AC {change.ac_before} → **{change.ac_after}**")
    embed = discord.Embed(title=f"🎒 {safe(change.sheet.name)}", description="\n".join(lines), colour=NEUTRAL_COLOUR)
    embed.add_field(name="Inventory", value=_inventory(change.sheet), inline=False)
    return fit_embed(embed)


def inventory_lines(sheet: Sheet, srd: SRD) -> list[str]:
    """Every item carried, one line each (equipped first), for the paged list."""
    shown = sorted(sheet.inventory, key=lambda i: (not (i.equipped or i.attuned), i.name))
    return [items.describe(srd, i) for i in shown]


def purse(sheet: Sheet) -> str:
    coins = " ".join(f"{sheet.coins.get(c, 0)} {c}" for c in ("pp", "gp", "ep", "sp", "cp") if sheet.coins.get(c))
    return coins or "no coins"


def used_embed(used: items.Used) -> discord.Embed:
    sheet = used.sheet
    lines = [f"❤️ HP {sheet.hp_current}/{sheet.hp_max} (+{used.healed})"]
    if used.roll:
        lines.append(used.roll.breakdown)
    if used.woke:
        lines.append("Back on their feet from 0 HP.")
    title = f"🧪 {safe(sheet.name)} drinks a {safe(used.item)}"
    return fit_embed(discord.Embed(title=title[:256], description="\n".join(lines), colour=NEUTRAL_COLOUR))


def coins_embed(sheet: Sheet) -> discord.Embed:
    embed = discord.Embed(title=f"💰 {safe(sheet.name)}", colour=NEUTRAL_COLOUR)
    embed.description = " · ".join(f"{sheet.coins.get(c, 0)} {c}" for c in ("pp", "gp", "ep", "sp", "cp"))
    return embed


# --- Views ----------------------------------------------------------------------------------------


class OwnedView(discord.ui.View):
    """A view only its owner may use; game errors become ephemeral replies; timeout says so."""

    expired_text = "This expired."

    def __init__(self, owner_id: int, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.flow = f"{owner_id}:{secrets.token_hex(4)}"  # custom ids unique per user and flow
        self.message: discord.Message | discord.InteractionMessage | None = None

    def cid(self, name: str) -> str:
        return f"dm:{self.flow}:{name}"

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await reply(interaction, "⚠️ These buttons belong to another player.", ephemeral=True)
        return False

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True
        if self.message is not None:
            try:
                await self.message.edit(content=self.expired_text, view=self)
            except discord.HTTPException:
                log.info("could not mark an expired view", flow=self.flow)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, item: Any) -> None:
        await answer_error(interaction, error)


async def answer_error(interaction: discord.Interaction[Any], error: Exception) -> None:
    """The one error reply of views and modals: a GameError's message, else an apology with an id."""
    if isinstance(error, GameError):
        message = f"⚠️ {error.message}"
    else:
        error_id = secrets.token_hex(4)
        log.error("view failed", error_id=error_id, exc_info=error)
        message = f"😵 Something went wrong on our side. It was logged as error `{error_id}`; please try again."
    try:
        await reply(interaction, message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver the error reply")


ConfirmCreate = Callable[[Choices], Awaitable[Sheet]]
ParseScores = Callable[[str], Mapping[str, int]]
RenderSheet = Callable[[Sheet], discord.Embed]


class CreationView(OwnedView):
    """One message: selects for subrace, skills and racial picks; Scores…, Confirm and Cancel buttons.

    The class's suggested assignment is filled in, so a player can pick skills and confirm at once.
    Nothing is stored until Confirm.
    """

    expired_text = DRAFT_EXPIRED

    def __init__(
        self,
        draft: Draft,
        *,
        confirm: ConfirmCreate,
        parse_scores: ParseScores,
        render: RenderSheet,
        timeout: float = DRAFT_TIMEOUT,
    ) -> None:
        super().__init__(draft.owner_id, timeout=timeout)
        self.draft = draft
        subrace = draft.subraces[0].index if draft.subraces else None
        picks = {k: tuple(v) for k, v in draft.suggested_picks.items()}
        self.choices = Choices(scores=dict(draft.suggested), subrace=subrace, picks=picks)
        self._confirm, self._parse, self._render = confirm, parse_scores, render
        self._build()

    def _build(self) -> None:
        self.clear_items()
        d, c = self.draft, self.choices
        if len(d.subraces) > 1:
            self._select("subrace", "Subrace", [(s.index, s.name) for s in d.subraces], 1, [c.subrace or ""])
        if d.skill_choose:
            self._select(
                "skills",
                f"Pick {counted(d.skill_choose, d.klass.name + ' skill')}",
                _skill_options(d.skill_options),
                d.skill_choose,
                c.skills,
            )
        if d.race_skill_choose:
            self._select(
                "race_skills",
                f"Pick {counted(d.race_skill_choose, d.race.name + ' skill')}",
                _skill_options(d.race_skill_options),
                d.race_skill_choose,
                c.race_skills,
            )
        if d.bonus_choose:
            options = [(a, f"+1 {rules.ABILITY_NAMES[a]}") for a in d.bonus_options]
            self._select(
                "bonus", f"Pick {counted(d.bonus_choose, 'ability')} for +1", options, d.bonus_choose, c.bonus_abilities
            )
        self._button("scores", "Scores…", discord.ButtonStyle.secondary, self._open_scores)
        self._button("confirm", "Confirm", discord.ButtonStyle.success, self._on_confirm)
        self._button("cancel", "Cancel", discord.ButtonStyle.danger, self._on_cancel)
        self.asks_fit = self._level_selects()
        self.spells_fit = self._spell_selects()

    def _level_selects(self) -> bool:
        """The class's level-1 choices and a dragonborn's ancestry, after the buttons (so the menus above
        keep their numbers in `dmbot play`), pre-filled with the suggestion; what doesn't fit keeps it."""
        d, picks = self.draft, self.choices.picks or {}
        if has_first_level_expertise(d.klass):  # a rogue: two of the skills picked above, or thieves' tools
            proficient = _skill_options(expertise_options(d, (*self.choices.skills, *self.choices.race_skills)))
            label = "Expertise: 2 proficient skills (or one and thieves' tools)"
            self._select("expertise", label, proficient, 2, self.choices.expertise, optional=True)
        rows_free = MAX_ROWS - 1 - sum(isinstance(i, discord.ui.Select) for i in self.children)
        menus = [a for a in d.level_asks if len(a.options) > 1]  # a single option (the SRD's subclass) needs none
        for ask in menus[: max(rows_free, 0)]:
            options = ask.options[:SELECT_OPTIONS]
            self._select(f"ask-{ask.key}", ask.label, options, min(ask.high, len(options)), picks.get(ask.key, ()))
        return len(menus) <= rows_free

    def _spell_selects(self) -> bool:
        """Cantrip and 1st-level spell menus, after the buttons so the menus above keep their places, as
        many as Discord's five rows hold (a menu lists 25 at most, so a wizard's 27 take two). Picking is
        optional: what isn't picked here is picked later with /spell learn or /spell prepare."""
        d, c = self.draft, self.choices
        menus: list[tuple[str, str, list[tuple[str, str]], int, Sequence[str]]] = []
        if d.cantrip_choose:
            options = [(sp.index, sp.name) for sp in d.cantrip_options]
            menus.append(
                ("cantrips", f"Up to {counted(d.cantrip_choose, 'cantrip')}", options, d.cantrip_choose, c.cantrips)
            )
        chunks = _spell_chunks(d.spell_options)
        for number, chunk in enumerate(chunks if d.spell_choose else []):
            span = f" ({chunk[0].name[0]}–{chunk[-1].name[0]})" if len(chunks) > 1 else ""
            label = f"Up to {d.spell_choose} 1st-level spells{_spell_purpose(d.klass.index)}{span}"
            menus.append((f"spells-{number}", label, [(sp.index, sp.name) for sp in chunk], d.spell_choose, c.spells))
        rows_free = MAX_ROWS - 1 - sum(isinstance(i, discord.ui.Select) for i in self.children)
        for name, label, options, count, chosen in menus[: max(rows_free, 0)]:
            self._select(name, label, options, count, chosen, optional=True)
        return len(menus) <= rows_free

    def _select(
        self,
        name: str,
        placeholder: str,
        options: Sequence[tuple[str, str]],
        count: int,
        chosen: Sequence[str],
        *,
        optional: bool = False,
    ) -> None:
        select: discord.ui.Select[CreationView] = discord.ui.Select(
            custom_id=self.cid(name),
            placeholder=placeholder[:150],
            min_values=0 if optional else count,
            max_values=min(count, len(options)),
            options=[discord.SelectOption(label=label[:100], value=v, default=v in chosen) for v, label in options],
        )

        async def chosen_callback(interaction: discord.Interaction[Any]) -> None:
            self._set(name, tuple(select.values))
            self._build()
            await interaction.response.edit_message(embed=self.embed(), view=self)

        select.callback = chosen_callback  # type: ignore[method-assign]
        self.add_item(select)

    def _button(
        self,
        name: str,
        label: str,
        style: discord.ButtonStyle,
        callback: Callable[[discord.Interaction[Any]], Coroutine[Any, Any, None]],
    ) -> None:
        button: discord.ui.Button[CreationView] = discord.ui.Button(custom_id=self.cid(name), label=label, style=style)
        button.callback = callback  # type: ignore[method-assign,assignment]
        self.add_item(button)

    def _set(self, name: str, values: tuple[str, ...]) -> None:
        if name.startswith("ask-"):
            picks = {**(self.choices.picks or {}), name.removeprefix("ask-"): values}
            self.choices = replace(self.choices, picks=picks)
            return
        if name.startswith("spells-"):  # one of a wizard's two menus: keep what the other one holds
            menu = {sp.index for sp in _spell_chunks(self.draft.spell_options)[int(name.removeprefix("spells-"))]}
            self.choices = replace(self.choices, spells=(*(i for i in self.choices.spells if i not in menu), *values))
            return
        if name == "cantrips":
            self.choices = replace(self.choices, cantrips=values)
            return
        field = {
            "subrace": "subrace",
            "skills": "skills",
            "race_skills": "race_skills",
            "bonus": "bonus_abilities",
            "expertise": "expertise",
        }
        value: Any = values[0] if name == "subrace" else values
        self.choices = replace(self.choices, **{field[name]: value})

    def embed(self) -> discord.Embed:
        d, c = self.draft, self.choices
        scores = c.scores or d.suggested
        method = {
            "standard": "standard array",
            "pointbuy": "point buy (27 points)",
            "rolled": "rolled 4d6, drop lowest",
        }
        lines = [
            f"**{d.race.name} {d.klass.name}**, {d.background.name} · {method[d.method]}",
            "Scores (before racial bonuses): " + " · ".join(f"{a.upper()} {scores[a]}" for a in rules.ABILITIES),
        ]
        if d.rolls:
            lines.append("Rolled: " + ", ".join(str(r.total) for r in d.rolls))
        if d.method == "pointbuy":
            lines.append(f"Points spent: {_safe_cost(scores)}/{rules.POINT_BUY_BUDGET}")
        if d.skill_choose:
            lines.append(f"Skills: {', '.join(c.skills) or f'pick {d.skill_choose}'}")
        lines.extend(self._ask_lines())
        lines.extend(self._spell_lines())
        lines.append("Change the scores with **Scores…**, pick from the menus, then **Confirm**.")
        embed = discord.Embed(title=f"New character: {safe(d.name)}", description="\n".join(lines), colour=SHEET_COLOUR)
        return fit_embed(embed)

    def _ask_lines(self) -> list[str]:
        picks = self.choices.picks or {}
        lines = []
        if has_first_level_expertise(self.draft.klass):
            doubled = ", ".join(e.replace("-", " ").title() for e in self.choices.expertise) or "pick 2 (optional)"
            lines.append(f"Expertise: {doubled}")
        for ask in self.draft.level_asks:
            labels = dict(ask.options)
            lines.append(f"{ask.label}: {', '.join(labels.get(v, v) for v in picks.get(ask.key, ())) or '—'}")
        if not getattr(self, "asks_fit", True):
            lines.append("Not every choice has a menu here: the others keep the one shown.")
        return lines

    def _spell_lines(self) -> list[str]:
        d, c = self.draft, self.choices
        names = {sp.index: sp.name for sp in (*d.cantrip_options, *d.spell_options)}
        lines = []
        if d.cantrip_choose:
            picked = ", ".join(names[i] for i in c.cantrips) or "—"
            lines.append(f"Cantrips ({len(c.cantrips)}/{d.cantrip_choose}): {picked}")
        if d.spell_choose:
            picked = ", ".join(names[i] for i in c.spells) or "—"
            purpose = _spell_purpose(d.klass.index)
            lines.append(f"1st-level spells{purpose} ({len(c.spells)}/{d.spell_choose}): {picked}")
        if (d.cantrip_choose or d.spell_choose) and not getattr(self, "spells_fit", True):
            lines.append("Not every spell menu fits: after Confirm, `/spell learn` and `/spell prepare` pick them.")
        return lines

    async def _open_scores(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(ScoresModal(self))

    async def apply_scores(self, interaction: discord.Interaction[Any], text: str) -> None:
        self.choices = replace(self.choices, scores=dict(self._parse(text)))
        self._build()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    async def _on_confirm(self, interaction: discord.Interaction[Any]) -> None:
        sheet = await self._confirm(self.choices)
        self.stop()
        await interaction.response.edit_message(
            content=f"✅ {safe(sheet.name)} is ready!", embed=self._render(sheet), view=None
        )

    async def _on_cancel(self, interaction: discord.Interaction[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(
            content="Character creation cancelled; nothing was saved.", embed=None, view=None
        )


def _spell_chunks(options: Sequence[Any]) -> list[Sequence[Any]]:
    """Menus of at most 25, as even as can be (a wizard's 27: 14 and 13, split by name)."""
    count = -(-len(options) // SELECT_OPTIONS)
    size = -(-len(options) // count) if count else 0
    return [options[i : i + size] for i in range(0, len(options), size)] if size else []


def _spell_purpose(class_index: str) -> str:
    return {"wizard": " for the spellbook", "cleric": " to prepare", "druid": " to prepare"}.get(class_index, " known")


def _skill_options(indexes: Sequence[str]) -> list[tuple[str, str]]:
    return [(i, i.replace("-", " ").title()) for i in indexes]


def _safe_cost(scores: Mapping[str, int]) -> str:
    try:
        return str(rules.point_buy_cost(scores))
    except GameError:
        return "?"


class ScoresModal(discord.ui.Modal):
    """Six scores in one box (a modal holds at most five inputs), prefilled with the current ones."""

    def __init__(self, view: CreationView) -> None:
        super().__init__(title="Ability scores", custom_id=view.cid("scores-modal"), timeout=DRAFT_TIMEOUT)
        self.view = view
        scores = view.choices.scores or view.draft.suggested
        hint = {
            "standard": "15 14 13 12 10 8",
            "pointbuy": "8–15, 27 points",
            "rolled": " ".join(str(v) for v in sorted(view.draft.pool, reverse=True)),
        }[view.draft.method]
        self.scores: discord.ui.TextInput[ScoresModal] = discord.ui.TextInput(
            label="STR DEX CON INT WIS CHA",
            custom_id=view.cid("scores-input"),
            default=" ".join(str(scores[a]) for a in rules.ABILITIES),
            placeholder=hint,
            max_length=40,
        )
        self.add_item(self.scores)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.view.apply_scores(interaction, self.scores.value)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:  # type: ignore[override]
        await answer_error(interaction, error)


class ConfirmDeleteView(OwnedView):
    """Delete or Cancel; nothing happens without the click."""

    expired_text = DELETE_EXPIRED

    def __init__(
        self, owner_id: int, name: str, delete: Callable[[], Awaitable[str]], *, timeout: float = CONFIRM_TIMEOUT
    ) -> None:
        super().__init__(owner_id, timeout=timeout)
        self.name = name
        self._delete = delete
        confirm: discord.ui.Button[ConfirmDeleteView] = discord.ui.Button(
            custom_id=self.cid("delete"), label=f"Delete {name}"[:80], style=discord.ButtonStyle.danger
        )
        cancel: discord.ui.Button[ConfirmDeleteView] = discord.ui.Button(
            custom_id=self.cid("cancel"), label="Cancel", style=discord.ButtonStyle.secondary
        )
        confirm.callback = self._on_delete  # type: ignore[method-assign]
        cancel.callback = self._on_cancel  # type: ignore[method-assign]
        self.add_item(confirm)
        self.add_item(cancel)

    async def _on_delete(self, interaction: discord.Interaction[Any]) -> None:
        deleted = await self._delete()
        self.stop()
        await interaction.response.edit_message(content=f"🗑️ {safe(deleted)} was deleted.", view=None)

    async def _on_cancel(self, interaction: discord.Interaction[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(content=f"Kept {safe(self.name)}; nothing was deleted.", view=None)


EditCharacter = Callable[[Mapping[str, str]], Awaitable[Sheet]]


class EditModal(discord.ui.Modal):
    """Name, pronouns, notes, backstory and portrait, prefilled with the current values (Discord's five fields)."""

    def __init__(self, sheet: Sheet, edit: EditCharacter, render: RenderSheet) -> None:
        super().__init__(title=f"Edit {sheet.name}"[:45], custom_id=f"dm:{sheet.owner_id}:{secrets.token_hex(4)}:edit")
        self._edit, self._render = edit, render
        self.fields: dict[str, discord.ui.TextInput[EditModal]] = {}
        specs = [
            ("name", "Name", sheet.name, discord.TextStyle.short, 64, True),
            (
                "pronouns",
                "Pronouns (e.g. she/her, he/him, they/them)",
                sheet.pronouns,
                discord.TextStyle.short,
                24,
                False,
            ),
            ("notes", "Notes", sheet.notes, discord.TextStyle.paragraph, 1000, False),
            ("backstory", "Backstory", sheet.backstory, discord.TextStyle.paragraph, 4000, False),
            (
                "portrait_url",
                "Portrait image link (https://…)",
                sheet.portrait_url or "",
                discord.TextStyle.short,
                500,
                False,
            ),
        ]
        for key, label, value, style, limit, required in specs:
            field: discord.ui.TextInput[EditModal] = discord.ui.TextInput(
                label=label,
                custom_id=f"{self.custom_id}:{key}",
                default=value or None,
                style=style,
                max_length=limit,
                required=required,
            )
            self.fields[key] = field
            self.add_item(field)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        sheet = await self._edit({key: field.value for key, field in self.fields.items()})
        await interaction.response.send_message(content="✏️ Saved.", embed=self._render(sheet), ephemeral=True)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:  # type: ignore[override]
        await answer_error(interaction, error)
