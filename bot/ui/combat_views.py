"""Combat as Discord sees it: the tracker embed (players' and DM's variants), attack and turn messages, and
the `TrackerBoard` that keeps ONE tracker message per fight and edits it in place after every change.

Everything here renders plain engine results; the board reads the state from the engine and talks to
Discord's REST API through the client, so the engine never learns about messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import discord
import structlog

from bot import discord_limits as limits
from bot.engine import death
from bot.engine.combat import (
    AttackReport,
    CombatEnd,
    CombatService,
    DamageReport,
    Joined,
    MonsterTurn,
    Reward,
    TrackerEntry,
    TrackerState,
    TurnChange,
)
from bot.engine.rules import ABILITY_NAMES
from bot.engine.wording import counted
from bot.ui.coalesce import EditCoalescer
from bot.ui.embeds import CRITICAL_COLOUR, FUMBLE_COLOUR, NEUTRAL_COLOUR
from bot.ui.fit import fit_content, fit_embed, fit_embeds, fit_lines
from bot.ui.text import safe

log = structlog.get_logger(__name__)

TRACKER_COLOUR = discord.Colour.dark_red()
ENDED_COLOUR = discord.Colour.dark_grey()
LIST_IN_CONTENT = 700  # a turn message's list of names: the rest of the 2,000 is the announcement
DEFEATED_LIST = 1500
# Discord allows about 5 edits of a channel's messages per 5 s: 4 leave room for the rest of the table.
TRACKER_EDIT_INTERVAL = 1.25


# --- The tracker ----------------------------------------------------------------------------------


def tracker_embed(state: TrackerState) -> discord.Embed:
    """The order, whose turn it is, the round; characters' HP; monsters in words (numbers for the DM)."""
    if state.status == "ended":
        title = f"⚔️ The fight is over (after round {state.round})"
    elif state.round == 0:
        title = "⚔️ Combat — rolling initiative"
    else:
        title = f"⚔️ Combat — round {state.round}"
    lines = fit_lines((_entry_line(e) for e in state.entries), limits.EMBED_DESCRIPTION)
    embed = discord.Embed(
        title=title,
        description=lines or "*No one has joined yet.*",
        colour=ENDED_COLOUR if state.status == "ended" else TRACKER_COLOUR,
    )
    current = state.current
    if state.status == "active":
        hint = (
            f"{safe(current.name)}'s turn · /combat next ends it"
            if current
            else "Players: /combat join · the DM starts round 1 with /combat next"
        )
        embed.set_footer(
            text=hint + (" · ☀️ sunlight" if state.sunlight else "") + (" · DM view" if state.for_dm else "")
        )
    return fit_embed(embed)


def _entry_line(entry: TrackerEntry) -> str:
    marker = "▶️" if entry.current else "▫️"
    name = safe(entry.name, limit=64)
    name = f"~~{name}~~" if entry.state == "dead" else f"**{name}**" if entry.current else name
    parts = [f"{marker} `{entry.initiative:>2}` {name}", _vitals(entry)]
    if entry.ac is not None:
        parts.append(f"AC {entry.ac}")
    if entry.conditions:
        parts.append(", ".join(entry.conditions))
    parts += [
        f"✨ {', '.join(entry.effects)}" if entry.effects else "",
        "⏸️ holding" if entry.held else "",
        f"👥 {safe(entry.group, limit=32)}" if entry.group else "",
        f"👑 {entry.legendary[0]}/{entry.legendary[1]} legendary" if entry.legendary else "",
        f"🪫 {', '.join(safe(n) for n in entry.spent)}" if entry.spent else "",
        "↩️ reaction used" if entry.reaction_used else "",
    ]
    return " · ".join(p for p in parts if p)


def _vitals(entry: TrackerEntry) -> str:
    if entry.kind == "monster" and entry.hp is None:
        return entry.health  # what players may know of a monster
    if entry.state == "dead":
        return "dead"
    hp = f"❤️ {entry.hp}/{entry.hp_max}" + (f" +{entry.temp_hp}" if entry.temp_hp else "")
    if entry.death_saves is not None:
        ok, bad = entry.death_saves
        return f"{hp} · {entry.state} ✅{ok} ❌{bad}"
    return hp


# --- Replies --------------------------------------------------------------------------------------


def joined_embed(joined: Joined) -> discord.Embed:
    roll = joined.initiative
    lines = [f"Initiative **{roll.total}**  {roll.breakdown}"]
    if joined.reasons:
        lines.append(f"*{roll.advantage.name.lower()}: {', '.join(joined.reasons)}*")
    return fit_embed(
        discord.Embed(
            title=f"⚔️ {safe(joined.name)} joins the fight", description="\n".join(lines), colour=NEUTRAL_COLOUR
        )
    )


def turn_message(change: TurnChange, typed_by: int | None = None) -> tuple[str, discord.AllowedMentions]:
    """The turn announcement; it pings only the player whose turn it is (monsters ping no one), unless that
    player typed the command (a DM playing a character, a player after a retcon): they are here already."""
    who = safe(change.current.name)
    lines = [f"🔔 **Round {change.round}**" if change.new_round else ""]
    if change.ping_user_id is not None and change.ping_user_id == typed_by:
        lines.append(f"It's **{who}**'s turn: yours.")
        change = replace(change, ping_user_id=None)
    elif change.ping_user_id is not None:
        lines.append(f"It's **{who}**'s turn, <@{change.ping_user_id}>.")
    else:
        lines.append(f"It's **{who}**'s turn.")
    lines += [death.words(save, safe(save.character)) for save in change.death_saves]  # rolled as it starts
    lines += [safe(note) for note in change.notes[:8]]  # recharges, legendary actions back, regeneration
    if change.saves:
        lines.append("🎲 " + fit_lines((safe(e) for e in change.saves), LIST_IN_CONTENT, sep="; ") + ".")
    if change.expired:
        expired = fit_lines((safe(e) for e in change.expired), LIST_IN_CONTENT, sep=", ")
        lines.append(f"Ended: {expired}.")
    if change.skipped:
        skipped = fit_lines((safe(s) for s in change.skipped), LIST_IN_CONTENT, sep=", ")
        lines.append(f"Skipped (dead): {skipped}.")
    users = [discord.Object(change.ping_user_id)] if change.ping_user_id is not None else []
    mentions = discord.AllowedMentions(users=users, everyone=False, roles=False)
    return fit_content("\n".join(line for line in lines if line)), mentions


def attack_embed(report: AttackReport, *, for_dm: bool = False, title: str = "⚔️") -> discord.Embed:
    title = f"{title} {safe(report.attacker)} → {safe(report.target)}: {safe(report.action)}"
    lines = _attack_lines(report) if report.kind == "attack" else _save_lines(report)
    lines += [f"✨ {safe(note)}" for note in report.notes]  # a parry, Rage, Sneak Attack, the attack's count
    if report.save is not None and report.save.note:
        lines.append(f"👑 {safe(report.save.note)}")
    if report.damage is not None:
        lines.append(_damage_line(report))
        lines += [safe(note) for note in report.damage.notes]  # Undead Fortitude, a damage threshold
        lines.append(damage_outcome(report.damage, for_dm=for_dm))
    colour = CRITICAL_COLOUR if report.critical else NEUTRAL_COLOUR if report.hit else FUMBLE_COLOUR
    return fit_embed(discord.Embed(title=title, description="\n".join(lines), colour=colour))


def _attack_lines(report: AttackReport) -> list[str]:
    assert report.roll is not None
    verdict = "**Critical hit!**" if report.critical else "**Hit.**" if report.hit else "**Miss.**"
    if report.reason == "natural 1":
        verdict = "**Natural 1: a miss.**"
    bonus = "".join(f" {'+' if sign > 0 else '-'} {safe(name)} {r.breakdown}" for name, r, sign in report.bonus_rolls)
    lines = [f"To hit **{report.attack_total}** vs AC {report.ac}: {verdict}  {report.roll.breakdown}{bonus}"]
    if report.reasons:
        lines.append(f"*{report.roll.advantage.name.lower()}: {', '.join(report.reasons)}*")
    if report.note:
        lines.append(f"🏹 {safe(report.note)}")
    return lines


def _save_lines(report: AttackReport) -> list[str]:
    save = report.save
    assert save is not None
    ability = ABILITY_NAMES.get(save.ability, save.ability)
    if save.roll is None:
        return [f"{safe(report.target)} fails the DC {save.dc} {ability} save automatically."]
    verdict = "succeeds" if save.success and not save.note else "fails"  # a note: Legendary Resistance
    bonus = "".join(f" {'+' if sign > 0 else '-'} {safe(name)} {r.breakdown}" for name, r, sign in save.bonus_rolls)
    return [
        f"{safe(report.target)} {verdict} the DC {save.dc} {ability} save: **{save.total}**  "
        f"{save.roll.breakdown}{bonus}"
    ]


def _damage_line(report: AttackReport) -> str:
    damage = report.damage
    assert damage is not None
    parts = []
    for taken, roll in zip(damage.parts, report.damage_rolls, strict=False):
        note = f" ({taken.effect}: {taken.amount})" if taken.effect or taken.amount != taken.raw else ""
        parts.append(f"{roll.breakdown} {taken.damage_type or ''}{note}".strip())
    rider = ""
    if report.kind == "attack" and report.save is not None:
        rider = f" · DC {report.save.dc} save {'made' if report.save.success else 'failed'}"
    return f"Damage **{damage.total}**: " + " + ".join(parts) + rider


def damage_outcome(damage: DamageReport, *, for_dm: bool = False) -> str:
    """What happened to the target: characters in numbers, monsters in words (numbers for the DM), and the
    effects that end with its concentration."""
    outcome = _damage_outcome(damage, for_dm=for_dm)
    save = damage.concentration_save
    if save is not None:  # SRD: DC 10 or half the damage, whichever is higher
        rolled = f"**{save.total}** {save.roll.breakdown}" if save.roll else "fails automatically"
        kept = "keeps concentration" if save.success else "loses concentration"
        outcome += f" Concentration: CON save DC {save.dc}: {rolled}: {kept}."
    if damage.concentration_ended:
        outcome += f" Its concentration ends: {', '.join(safe(e) for e in damage.concentration_ended)}."
    return outcome


def _damage_outcome(damage: DamageReport, *, for_dm: bool) -> str:
    name = safe(damage.target)
    if damage.kind == "monster":
        if damage.state == "dead":
            return f"💀 **{name} dies.**"
        numbers = f" ({damage.hp_after}/{damage.hp_max} HP)" if for_dm else ""
        return f"{name} is {damage.health}{numbers}."
    if damage.instant_death:
        return f"💀 **{name} is killed outright** (the damage beyond 0 HP reached the HP maximum)."
    if damage.state == "dead":
        return f"💀 **{name} dies** (three failed death saves)."
    if damage.dropped:
        return f"🩸 **{name} falls unconscious** at 0 HP and starts making death saves."
    if damage.failures_added:
        ok, bad = damage.death_saves or (0, 0)
        return f"🩸 {name} takes {counted(damage.failures_added, 'failed death save')} at 0 HP: ✅{ok} ❌{bad}."
    if damage.healed:
        return f"💚 {name} is back to {damage.hp_after}/{damage.hp_max} HP."
    temp = f" (+{damage.temp_after} temp)" if damage.temp_after else ""
    return f"{name}: ❤️ {damage.hp_after}/{damage.hp_max} HP{temp}."


def attack_embeds(reports: Sequence[AttackReport]) -> list[discord.Embed]:
    """Several attacks of one command (several targets), one embed each, in one reply."""
    return fit_embeds([attack_embed(r) for r in reports[: limits.EMBEDS_PER_MESSAGE]])


def monster_turn_embeds(turn: MonsterTurn, *, for_dm: bool = False) -> list[discord.Embed]:
    embeds = [attack_embed(r, for_dm=for_dm) for r in turn.reports[: limits.EMBEDS_PER_MESSAGE - 1]]
    if turn.notes:
        notes = fit_lines((safe(n) for n in turn.notes), limits.EMBED_DESCRIPTION)
        embeds.append(discord.Embed(description=notes, colour=NEUTRAL_COLOUR))
    idle = discord.Embed(description=f"{safe(turn.monster)} does nothing.", colour=NEUTRAL_COLOUR)
    return fit_embeds(embeds or [idle])


def end_embed(end: CombatEnd) -> discord.Embed:
    defeated = fit_lines((safe(n) for n in end.defeated), DEFEATED_LIST, sep=", ") or "none"
    lines = [f"Defeated: {defeated} — {end.xp_total:,} XP." if end.defeated else "No foe was defeated: no XP."]
    if end.rewards and end.share:
        lines.append(f"Each survivor earns **{end.share:,} XP**; their totals:")
        budget = limits.EMBED_DESCRIPTION - len("\n".join(lines)) - 1
        lines.append(fit_lines((_reward_line(r) for r in end.rewards), budget))
    if end.recovered:
        lines.append("🏹 Picked up after the fight: " + "; ".join(safe(r) for r in end.recovered) + ".")
    return fit_embed(discord.Embed(title="🏁 The fight is over", description="\n".join(lines), colour=ENDED_COLOUR))


def _reward_line(reward: Reward) -> str:
    ready = " — ready to `/character levelup`!" if reward.can_level_up else ""
    return f"• {safe(reward.name)}: {reward.xp:,} XP{ready}"


# --- The one tracker message per fight ------------------------------------------------------------


@dataclass
class _Slot:
    newest: TrackerState | None = None  # the newest state handed in
    shown: int = 0  # the version on screen
    message_id: int | None = None
    channel_id: int | None = None


class TrackerBoard:
    """Posts a fight's tracker message once and edits it after every change.

    Each change hands in the state the engine returned (no re-read) and returns at once: the edits go
    through an `EditCoalescer`, so a fight's message is edited at most once per `interval`, one edit at a
    time, always to the newest version handed in (an older state arriving late is never drawn over a newer
    one). A fight played as fast as people click then stays under Discord's edit limit, and no reply waits.
    """

    def __init__(self, combat: CombatService, *, interval: float = TRACKER_EDIT_INTERVAL) -> None:
        self.combat = combat
        self.edits = EditCoalescer(interval=interval, name="tracker-edit")
        self._slots: dict[int, _Slot] = {}

    async def refresh(self, client: discord.Client, combat_id: int) -> None:
        """Read the fight's state and show it (for changes that returned no state)."""
        await self.show(client, await self.combat.status(combat_id))

    async def show(self, client: discord.Client, state: TrackerState) -> None:
        slot = self._slots.setdefault(state.combat_id, _Slot())
        if slot.newest is None or state.version > slot.newest.version:
            slot.newest = state
        self.edits.submit(state.combat_id, lambda: self._draw_newest(client, state.combat_id, slot))

    async def settled(self, combat_id: int) -> None:
        """Wait until the fight's tracker shows every state handed in so far."""
        await self.edits.settle(combat_id)

    async def _draw_newest(self, client: discord.Client, combat_id: int, slot: _Slot) -> None:
        target = slot.newest
        if target is None or target.version <= slot.shown:
            return
        await self._draw(client, slot, target.public())
        slot.shown = target.version
        if target.status == "ended" and self._slots.get(combat_id) is slot:
            del self._slots[combat_id]
            await _pin(client, slot, pin=False)

    async def _draw(self, client: discord.Client, slot: _Slot, state: TrackerState) -> None:
        embed = tracker_embed(state)
        slot.message_id = slot.message_id or state.tracker_message_id
        slot.channel_id = slot.channel_id or state.tracker_channel_id or state.channel_id
        channel = client.get_partial_messageable(slot.channel_id)
        if slot.message_id is not None:
            try:
                await channel.get_partial_message(slot.message_id).edit(embed=embed)
                return
            except discord.NotFound:
                log.info("the tracker message was deleted; posting a new one", combat_id=state.combat_id)
        message = await channel.send(embed=embed, allowed_mentions=discord.AllowedMentions.none())
        slot.message_id = message.id
        await self.combat.set_tracker_message(state.combat_id, channel.id, message.id)
        if state.status == "active":
            await _pin(client, slot, pin=True)


async def _pin(client: discord.Client, slot: _Slot, *, pin: bool) -> None:
    """Pin the tracker message when it is posted, unpin it when the fight ends: when the bot may (Manage
    Messages); without the permission the fight simply goes unpinned."""
    if slot.message_id is None or slot.channel_id is None:
        return
    message = client.get_partial_messageable(slot.channel_id).get_partial_message(slot.message_id)
    try:
        await (message.pin() if pin else message.unpin())
    except (discord.Forbidden, discord.NotFound):
        log.info("the tracker message could not be (un)pinned", pin=pin, message_id=slot.message_id)


async def show_quietly(board: TrackerBoard, client: discord.Client, state: TrackerState | None) -> None:
    """Update the tracker after the reply: a failed edit is logged, never turned into an error for the player."""
    if state is None:
        return
    try:
        await board.show(client, state)
    except (discord.HTTPException, OSError):
        log.warning("could not update the combat tracker", combat_id=state.combat_id, exc_info=True)
