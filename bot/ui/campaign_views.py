"""Embeds for campaigns, sessions, the DM's controls and usage: short, for a phone, names escaped."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot import discord_limits as limits
from bot.engine.campaign_info import CampaignInfo
from bot.engine.campaigns import CanonEntry, Overview, SessionReport
from bot.engine.tool_calls import EngineAction
from bot.engine.turns import PendingInfo, RetconReport
from bot.engine.usage import UsageReport
from bot.engine.wording import counted
from bot.ui.fit import fit_embed, fit_lines, text_embeds
from bot.ui.narration import describe_actions
from bot.ui.text import safe

COLOUR = discord.Colour.dark_gold()
DM_COLOUR = discord.Colour.dark_purple()


def _embed(title: str, description: str = "", colour: discord.Colour = COLOUR) -> discord.Embed:
    return fit_embed(discord.Embed(title=title, description=description, colour=colour))


def created_embed(info: CampaignInfo) -> discord.Embed:
    lines = [
        f"<@{info.dm_id}> is the DM. Players: `/campaign join` links your active character.",
        "Then `/narrate action:...` plays a turn; `/recap` tells the story so far.",
    ]
    if info.tone or info.setting:
        lines.insert(0, f"*{safe(info.tone, limit=100)}*  {safe(info.setting, limit=500)}".strip())
    return _embed(f"📜 {safe(info.name, limit=100)} begins", "\n".join(lines))


LIFE_WORDS = {"dead": "💀 dead", "dying": "🩸 dying (0 HP)", "stable": "🩹 stable at 0 HP"}


def overview_embed(view: Overview) -> discord.Embed:
    info = view.info
    party = (
        fit_lines(
            (
                f"**{safe(m.name)}** (<@{m.owner_id}>): level {m.level}, "
                + (LIFE_WORDS[m.life] if m.life else f"HP {m.hp_current}/{m.hp_max}")
                for m in view.members
            ),
            limits.FIELD_VALUE,
        )
        or "Nobody yet: `/campaign join`."
    )
    scene = info.scene
    where = f"**{safe(scene.location)}**: {safe(scene.description, limit=300)}" if scene.location else "not set"
    embed = _embed(
        f"📜 {safe(info.name, limit=100)}",
        f"DM: <@{info.dm_id}>"
        + (f"\n*{safe(info.tone, limit=100)}* {safe(info.setting, limit=300)}" if info.tone or info.setting else ""),
    )
    embed.add_field(name="Party", value=party[:1024], inline=False)
    embed.add_field(name="Scene", value=where[:1024], inline=False)
    if view.fight is not None:
        enemies = fit_lines((safe(name) for name in view.fight.names()), limits.FIELD_VALUE, sep=", ")
        embed.add_field(name="Combat", value=enemies or "the fight goes on (no enemy standing)")
    settings = info.settings
    if settings.pace == "rounds":
        embed.add_field(name=f"Round {info.round_number}", value=round_line(info, view)[:1024], inline=False)
    embed.add_field(
        name="Table",
        value=(
            f"{counted(view.events, 'event')} · {counted(info.turn_count, 'turn')} · "
            f"{counted(view.canon, 'canon fact')} · {counted(view.npcs, 'NPC')}\n"
            f"Rating: {settings.content_rating} · approval above {settings.approval_bound}"
            + (" (auto-approve on)" if settings.auto_approve else "")
            + (f" · {counted(view.pending, 'change')} waiting for the DM" if view.pending else "")
            + (" · session running" if view.session_open else "")
        ),
        inline=False,
    )
    return fit_embed(embed)


def round_line(info: CampaignInfo, view: Overview) -> str:
    """Who has acted in the open round and who it waits for."""
    waiting = [m.name for m in view.members if m.name not in info.round_ready]
    if not info.round_ready:
        return "Not open yet: it opens with the first `/narrate`."
    ready = ", ".join(safe(name) for name in info.round_ready)
    return f"Ready: {ready} · waiting for: {', '.join(safe(n) for n in waiting) or 'nobody'}"


def list_embed(campaigns: Sequence[CampaignInfo]) -> discord.Embed:
    lines = fit_lines(
        (
            f"**{safe(c.name, limit=100)}** in <#{c.channel_id}> · DM <@{c.dm_id}> · {counted(c.turn_count, 'turn')}"
            for c in campaigns
        ),
        limits.EMBED_DESCRIPTION,
    )
    return _embed("📜 Campaigns on this server", lines or "None yet. `/campaign create` starts one.")


def safety_embed(info: CampaignInfo) -> discord.Embed:
    lines = fit_lines((f"• {safe(x)}" for x in info.safety.lines), limits.FIELD_VALUE) or "none"
    veils = fit_lines((f"• {safe(x)}" for x in info.safety.veils), limits.FIELD_VALUE) or "none"
    embed = _embed(
        f"🛡️ Safety tools of {safe(info.name, limit=100)}",
        "**Lines** never appear in the story. **Veils** happen only off-screen.",
    )
    embed.add_field(name="Lines", value=lines[:1024])
    embed.add_field(name="Veils", value=veils[:1024])
    embed.set_footer(text=f"Content rating: {info.settings.content_rating}")
    return fit_embed(embed)


def settings_embed(info: CampaignInfo, default_model: str) -> discord.Embed:
    s = info.settings
    b = s.bounds
    description = (
        f"**Persona**: {safe(s.persona, limit=600) or 'the default'}\n"
        f"**Model**: {safe(s.model or default_model)}\n**Content rating**: {s.content_rating}\n"
        f"**Approval**: what players gain (items, healing, XP) waits for you; so does damage above "
        f"**{s.approval_bound}**" + (" (auto-approve is **on**: nothing waits)" if s.auto_approve else "") + "\n"
        f"**Fights the narrator starts** wait for you when harder than **{s.fights_wait_above}** "
        "(never past deadly for the party)\n"
        f"**Failed risky checks hurt**: {'yes' if s.consequences else 'no'}\n"
        f"**Bounds a turn**: {b.damage} damage, {b.heal} healing, {b.xp} XP, {counted(b.items, 'item')}\n"
        f"**Levelling**: {'milestones (your `/dm allow-levelup`)' if s.levelling == 'milestone' else 'by XP'} · "
        f"characters join up to level {s.start_level} (above: with your approval)\n"
        + (
            f"**Pace**: rounds (everyone acts or passes; a round closes after {counted(s.round_minutes, 'minute')})"
            if s.pace == "rounds"
            else "**Pace**: one turn per action"
        )
    )
    return _embed(f"⚙️ Narrator settings of {safe(info.name, limit=100)}", description, DM_COLOUR)


def canon_embed(info: CampaignInfo, facts: Sequence[CanonEntry]) -> discord.Embed:
    lines = fit_lines((f"**{f.number}.** {safe(f.text)}" for f in facts), limits.EMBED_DESCRIPTION)
    return _embed(f"📌 Canon of {safe(info.name, limit=100)}", lines or "Nothing pinned yet.", DM_COLOUR)


def bullets(text: str) -> str:
    """A summary's "- " lines as bullets, the text escaped (an escaped "-" would show its backslash)."""
    return "\n".join("• " + safe(line[2:]) if line.startswith("- ") else safe(line) for line in text.splitlines())


def recap_embeds(info: CampaignInfo, text: str, title: str = "The story so far") -> list[discord.Embed]:
    """The whole recap (escaping can double it past one embed): as many embeds as it takes."""
    return text_embeds(f"📖 {title}: {safe(info.name, limit=100)}", bullets(text), COLOUR)


def session_embeds(report: SessionReport, *, started: bool) -> list[discord.Embed]:
    """The session's summary whole, over as many embeds as it takes; who attended on the last."""
    if started:
        return text_embeds(f"🕯️ Session {report.number} begins. Previously…", bullets(report.text), COLOUR)
    embeds = text_embeds(f"🌙 Session {report.number} ends", bullets(report.text), COLOUR)
    attended = fit_lines((safe(a) for a in report.attendees), limits.FIELD_VALUE, sep=", ")
    embeds[-1].add_field(name="Attended", value=attended or "nobody acted")
    return embeds


def scene_embed(info: CampaignInfo) -> discord.Embed:
    return _embed(f"🗺️ {safe(info.scene.location, limit=200)}", safe(info.scene.description))


def dm_crossing_warning(line: str | None, veil: str | None, *, what: str = "narration") -> str:
    """The DM's words touch the table's safety tools: said privately, before anything is posted."""
    if line is not None:
        told = f"🛑 Your {what} crosses this table's line “{safe(line)}”: the players asked that it never appear."
    else:
        told = f"🌫️ Your {what} shows “{safe(veil or '')}”, which this table keeps off-screen (a veil)."
    return f"{told} Nothing is posted yet. Post it as you wrote it, or cancel and reword it."


def dm_voice_embed(text: str) -> discord.Embed:
    embed = _embed("", safe(text), DM_COLOUR)
    embed.set_author(name="The DM")
    return embed


def retcon_embed(report: RetconReport) -> discord.Embed:
    undone = fit_lines((f"• {safe(line)}" for line in report.undone), limits.EMBED_DESCRIPTION)
    undone = undone or "No state had changed; the story is unsaid."
    if report.fight_action is not None:
        said = safe(report.fight_action, limit=300)
        title = "⏪ The last fight action is undone" if said.startswith("Fight:") else "⏪ The last change is undone"
        return _embed(title, f"*{said}*\n{undone}"[: limits.EMBED_DESCRIPTION], DM_COLOUR)
    told = (
        f"Round {report.round_number} (turn {report.turn_number})"
        if report.round_number
        else f"Turn {report.turn_number}"
    )
    return _embed(f"⏪ {told} is retconned", undone, DM_COLOUR)


def pending_embed(items: Sequence[PendingInfo]) -> discord.Embed:
    hint = "\n`/dm approve` or `/dm deny` (the oldest by default)."
    lines = (f"**#{p.id}** {safe(p.summary, limit=200)} (asked by <@{p.requested_by}>)" for p in items)
    body = fit_lines(lines, limits.EMBED_DESCRIPTION - len(hint)) or "Nothing is waiting."
    return _embed("⏳ Changes waiting for your approval", body + hint, DM_COLOUR)


def approved_embed(item: PendingInfo, actions: Sequence[EngineAction]) -> discord.Embed:
    return _embed(f"✅ Approved #{item.id}", describe_actions(actions), DM_COLOUR)


def usage_embed(report: UsageReport, guild_name: str) -> discord.Embed:
    day, month = report.day, report.month
    budget = f"Daily token budget: **{report.budget:,}** · left today: **{report.left_today:,}** (UTC)"
    embed = _embed(f"📈 Narrator usage of {safe(guild_name, limit=100)}", budget)
    for name, totals in (("Today", day), ("This month", month)):
        tokens = f"{totals.prompt_tokens:,} prompt + {counted(totals.completion_tokens, 'completion token')}"
        cost = f"≈ ${totals.cost_usd:.4f} · {totals.latency_ms:.0f} ms average"
        embed.add_field(name=name, value=f"{counted(totals.calls, 'call')}\n{tokens}\n{cost}")
    if report.campaigns:
        rows = (
            f"{safe(c.name, limit=60)}: {counted(c.tokens, 'token')}, ≈ ${c.cost_usd:.4f}" for c in report.campaigns
        )
        top = fit_lines(rows, limits.FIELD_VALUE)
        embed.add_field(name="By campaign, this month", value=top, inline=False)
    return fit_embed(embed)
