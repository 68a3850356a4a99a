"""`/stats` as embeds, and its charts as PNGs drawn by matplotlib's Agg backend.

The charts are drawn on a `Figure` of their own (no pyplot, whose global state is not thread-safe) so the
cog can render them in a worker thread, off the event loop; one chart is ~25 kB and ~40 ms.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import discord

from bot import discord_limits as limits
from bot.engine import wording
from bot.engine.stats import CampaignStats, D20Summary, Fighter, Group, PlayerStats, counted
from bot.ui.fit import fit_embed, fit_lines
from bot.ui.text import safe

STATS_COLOUR = discord.Colour.teal()
CHART_NAME = "d20.png"
FIGHT_CHART_NAME = "damage.png"
MAX_FIGHTERS_CHARTED = 12

Names = Callable[[int], str]  # a user id → the name to show, as Markdown


def member_names(guild: discord.Guild | None) -> Names:
    """A member's display name, or a mention when the member is not cached (Discord shows the name; mentions
    ping no one here): never a bare id."""

    def name(user_id: int) -> str:
        member = guild.get_member(user_id) if guild is not None else None
        return safe(member.display_name) if member is not None else f"<@{user_id}>"

    return name


def _d20_line(d20: D20Summary) -> str:
    if not d20.count:
        return "no d20 rolls"
    luck = d20.mean - d20.expected
    return (
        f"{wording.counted(d20.count, 'd20')} · average {d20.mean:.2f} (a fair die: {d20.expected:.2f}, {luck:+.2f}) · "
        f"nat 20 ×{d20.nat20} · nat 1 ×{d20.nat1}"
    )


def _group_lines(groups: Sequence[Group], label: Callable[[Group], str]) -> str:
    lines = (f"**{label(g)}**: {wording.counted(g.rolls, 'roll')} · {_d20_line(g.d20)}" for g in groups)
    return fit_lines(lines, limits.FIELD_VALUE)


def player_embed(stats: PlayerStats, name: str, *, chart: bool) -> discord.Embed:
    capped = " (the latest; older ones are not counted)" if stats.capped else ""
    lines = [f"🎲 **{wording.counted(stats.rolls, 'roll')}** here{capped}"]
    lines.append(f"🎯 {_d20_line(stats.d20)}")
    if stats.plain_rolls:
        lines.append(
            f"➕ {wording.counted(stats.plain_rolls, 'roll')} of plain dice averaged "
            f"{stats.plain_mean:.2f} "
            f"against an expected {stats.plain_expected:.2f}"
        )
    embed = discord.Embed(title=f"Dice statistics: {safe(name)}", description="\n".join(lines), colour=STATS_COLOUR)
    if stats.by_character:
        embed.add_field(
            name="By character", value=_group_lines(stats.by_character, lambda g: safe(g.name)), inline=False
        )
    if stats.by_campaign:
        embed.add_field(name="By campaign", value=_group_lines(stats.by_campaign, lambda g: safe(g.name)), inline=False)
    return _with_chart(fit_embed(embed), CHART_NAME if chart else None)


def _fighter_line(f: Fighter) -> str:
    dropped = ", ".join(f"{safe(n)}" + (f" ×{c}" if c > 1 else "") for n, c in counted(f.dropped))
    parts = [
        f"**{safe(f.name)}**: {f.hits}/{f.attacks} hits",
        f"crits ×{f.crits}" if f.crits else "",
        f"nat 1 ×{f.fumbles}" if f.fumbles else "",
        f"dealt {f.dealt}",
        f"took {f.taken}",
        f"dropped {dropped}" if dropped else "",
        f"went down ×{f.downed}" if f.downed else "",
    ]
    return " · ".join(p for p in parts if p)


def campaign_embed(stats: CampaignStats, names: Names, *, chart: bool, title: str | None = None) -> discord.Embed:
    rolls, attacks = wording.counted(stats.rolls, "roll"), wording.counted(stats.attacks, "attack")
    description = f"🎲 **{rolls}** in this campaign's channel · ⚔️ {attacks} in its fights"
    heading = title or f"Campaign statistics: {safe(stats.name)}"
    embed = discord.Embed(title=heading[: limits.EMBED_TITLE], description=description, colour=STATS_COLOUR)
    if stats.players:
        embed.add_field(
            name="Who rolled what",
            value=_group_lines(stats.players, lambda g: names(g.user_id or 0)),
            inline=False,
        )
    heroes = [f for f in stats.fighters if f.kind == "character"]
    foes = [f for f in stats.fighters if f.kind != "character"]
    for title, group in (("The party in its fights", heroes), ("Their foes", foes)):
        if group:
            embed.add_field(name=title, value=fit_lines(map(_fighter_line, group), limits.FIELD_VALUE), inline=False)
    if not stats.fighters:
        embed.add_field(name="Fights", value="No attacks in this campaign's fights yet.", inline=False)
    return _with_chart(fit_embed(embed), FIGHT_CHART_NAME if chart else None)


def session_dice_embed(stats: CampaignStats, names: Names) -> discord.Embed:
    """The dice of the session that just ended, under its summary (`/session end`)."""
    embed = campaign_embed(stats, names, chart=False, title="🎲 The dice this session")
    embed.description = (embed.description or "").replace("in this campaign's channel", "this session")
    return embed


def _with_chart(embed: discord.Embed, filename: str | None) -> discord.Embed:
    """The chart shown inside the embed (set after fitting: the fitter keeps only http(s) image URLs)."""
    return embed.set_image(url=f"attachment://{filename}") if filename else embed


# --- Charts (call in a worker thread) -------------------------------------------------------------


def d20_chart(d20: D20Summary, title: str) -> bytes:
    """Each face's count against the fair count (straight rolls; advantage shifts it, said in the title)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # imported here: only /stats pays for it
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 3.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    faces = range(1, 21)
    colours = ["#c0392b" if f == 1 else "#27ae60" if f == 20 else "#2c7fb8" for f in faces]
    axes.bar(faces, d20.faces, color=colours)
    axes.axhline(d20.count / 20, color="#555555", linestyle="--", linewidth=1, label="a fair die")
    axes.set_xticks(list(faces))
    axes.set_xlabel("natural d20")
    axes.set_ylabel("rolls")
    axes.set_title(f"{title}: {d20.count:,} d20s, average {d20.mean:.2f} (fair {d20.expected:.2f})", fontsize=10)
    axes.legend(loc="upper right", fontsize=8)
    figure.tight_layout()
    return _png(figure)


def damage_chart(fighters: Sequence[Fighter], title: str) -> bytes:
    """Damage dealt and taken by each combatant, side by side."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shown = list(fighters[:MAX_FIGHTERS_CHARTED])
    figure = Figure(figsize=(6.4, 0.6 + 0.35 * max(3, len(shown))), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    rows = range(len(shown))
    axes.barh([r - 0.2 for r in rows], [f.dealt for f in shown], height=0.4, color="#27ae60", label="dealt")
    axes.barh([r + 0.2 for r in rows], [f.taken for f in shown], height=0.4, color="#c0392b", label="taken")
    axes.set_yticks(list(rows), [f.name[:24] for f in shown])
    axes.invert_yaxis()
    axes.set_xlabel("damage")
    axes.set_title(title[:60], fontsize=10)
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    return _png(figure)


def _png(figure: object) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png")  # type: ignore[attr-defined]
    return out.getvalue()
