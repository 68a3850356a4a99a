"""The campaign's event log: what each event says, the state it changed, and how to undo it.

Every state change the engine makes in a campaign is one event carrying the changed fields of
the character before and after. Undo (`/dm retcon`, and the fallback when the narrator fails
mid-turn) never deletes: it marks the turn's events `retconned` and writes the compensating
state plus one `retcon` event, in one transaction. Compensation restores a field exactly when
nothing touched it since; otherwise it applies the inverse delta, so a later change survives.

Summaries here are extractive (no model): the lines of the events that matter, shortened.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.sheet import ActiveCondition, Item, Sheet, item_json, to_sheet, write_back
from bot.engine.visibility import Audience, event_audience
from persistence.models import Campaign, CampaignEvent, CampaignTurn
from persistence.repositories import (
    CombatRepository,
    EventRepository,
    NpcRepository,
    PartyRepository,
    PendingRepository,
)

# The fields of a sheet that campaign events change (and undo restores).
STATE_FIELDS = (
    "hp_current",
    "hp_temp",
    "death_successes",
    "death_failures",
    "xp",
    "levelup_allowed",
    "conditions",
    "inventory",
    "coins",
    "feature_spent",  # a feature the narrator spent (bot.engine.features)
)
STATE_KINDS = frozenset({"damage", "heal", "condition", "item", "xp", "feature"})
# Events worth a line in a summary, in the order a reader cares about them.
SUMMARY_KINDS = frozenset(
    {
        "narration",
        "dm_narration",
        "scene",
        "npc",
        "combat",
        "fight",  # a fight's falls, deaths, end and XP (bot.engine.combat.undo); its other steps are not told
        "damage",
        "heal",
        "condition",
        "item",
        "xp",
        "levelup",
        "death",
        "revive",
        "award",  # the DM's XP, items and coins
        "use_item",
        "canon",
        "join",
        "leave",
        "check",
        "feature",
    }
)
SUMMARY_LINE_CHARS = 160
MAX_SUMMARY_LINES = 40
KEEP_FIRST_LINES = 6  # the opening of the story survives every refresh
SUMMARY_REBUILD_EVENTS = 20_000  # a retcon rebuilds the summary from at most this many live events


@dataclass(frozen=True)
class EventLine:
    """An event as memory and recaps read it."""

    id: int
    kind: str
    text: str
    turn_id: int | None = None
    retconned: bool = False
    audience: Audience = Audience.CHANNEL  # who may read it (bot.engine.visibility)


@dataclass
class Reverted:
    """What undoing a turn did, for the reply and the retcon event."""

    turn_id: int
    events: int = 0
    lines: list[str] = field(default_factory=list)


# --- state snapshots -----------------------------------------------------------------------------


def state_of(sheet: Sheet) -> dict[str, Any]:
    """The campaign-mutable fields of a sheet, as JSON."""
    return {
        "hp_current": sheet.hp_current,
        "hp_temp": sheet.hp_temp,
        "death_successes": sheet.death_successes,
        "death_failures": sheet.death_failures,
        "xp": sheet.xp,
        "levelup_allowed": sheet.levelup_allowed,
        "conditions": [{"name": c.name, "rounds": c.rounds, "level": c.level} for c in sheet.conditions],
        "inventory": [item_json(i) for i in sheet.inventory],
        "coins": dict(sheet.coins),
        "feature_spent": dict(sheet.feature_spent),
    }


def with_state(sheet: Sheet, state: Mapping[str, Any]) -> Sheet:
    """The sheet with the given fields (a subset of `state_of`'s) replaced."""
    changes: dict[str, Any] = {}
    for name, value in state.items():
        if name == "conditions":
            changes[name] = tuple(ActiveCondition(**entry) for entry in value)
        elif name == "inventory":
            changes[name] = tuple(Item(**entry) for entry in value)
        elif name in ("coins", "feature_spent"):
            changes[name] = dict(value)
        elif name in STATE_FIELDS:
            changes[name] = value
    return replace(sheet, **changes)


def change_of(before: Sheet, after: Sheet) -> dict[str, Any]:
    """The changed fields before and after, for the event's `data`."""
    old, new = state_of(before), state_of(after)
    changed = [name for name in STATE_FIELDS if old[name] != new[name]]
    return {
        "character_id": before.id,
        "before": {name: old[name] for name in changed},
        "after": {name: new[name] for name in changed},
    }


def invert(sheet: Sheet, before: Mapping[str, Any], after: Mapping[str, Any]) -> Sheet:
    """Undo one change on the current sheet: exact if untouched since, else by the inverse delta."""
    now = state_of(sheet)
    restored: dict[str, Any] = {}
    for name, old in before.items():
        new, current = after.get(name), now.get(name)
        if current == new or name == "levelup_allowed":
            restored[name] = old
        elif name == "conditions":
            restored[name] = _undo_keyed(current or [], old, new or [], "name")
        elif name == "inventory":
            restored[name] = _undo_inventory(current or [], old, new or [])
        elif name in ("coins", "feature_spent"):  # counts by key: the change's delta goes back
            restored[name] = _undo_coins(current or {}, old, new or {})
        elif isinstance(old, int) and isinstance(new, int) and isinstance(current, int):
            restored[name] = max(0, current + old - new)
    if "hp_current" in restored:
        restored["hp_current"] = min(restored["hp_current"], sheet.hp_max)
    return with_state(sheet, restored)


def _undo_coins(now: Mapping[str, int], old: Mapping[str, int], new: Mapping[str, int]) -> dict[str, int]:
    return {coin: max(0, now.get(coin, 0) + old.get(coin, 0) - new.get(coin, 0)) for coin in {*now, *old}}


def _undo_keyed(
    now: list[dict[str, Any]], old: list[dict[str, Any]], new: list[dict[str, Any]], key: str
) -> list[dict[str, Any]]:
    """Entries the change touched go back to how they were; the others stay as they are now."""
    old_by, new_by = {e[key]: e for e in old}, {e[key]: e for e in new}
    out = {e[key]: e for e in now}
    for k in {*old_by, *new_by}:
        if old_by.get(k) == new_by.get(k):
            continue
        if k in old_by:
            out[k] = old_by[k]
        else:
            out.pop(k, None)
    return _ordered(out, now, old)


def _undo_inventory(
    now: list[dict[str, Any]], old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Quantities move back by what the change moved; a stack that reaches 0 goes."""
    old_by, new_by = {e["item"]: e for e in old}, {e["item"]: e for e in new}
    out = {e["item"]: e for e in now}
    for k in {*old_by, *new_by}:
        if old_by.get(k) == new_by.get(k):
            continue
        have = out.get(k, {}).get("quantity", 0)
        quantity = have + old_by.get(k, {}).get("quantity", 0) - new_by.get(k, {}).get("quantity", 0)
        template = out.get(k) or old_by.get(k) or new_by[k]
        if quantity > 0:
            out[k] = {**template, "quantity": quantity, "equipped": old_by.get(k, template).get("equipped", False)}
        else:
            out.pop(k, None)
    return _ordered(out, now, old)


def _ordered(entries: dict[Any, dict[str, Any]], *orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the sheet's order: entries as they stand now, then restored ones in their old order."""
    keys: list[Any] = []
    for order in orders:
        for entry in order:
            k = entry.get("item", entry.get("name"))
            if k in entries and k not in keys:
                keys.append(k)
    keys += [k for k in entries if k not in keys]
    return [entries[k] for k in keys]


# --- writing and undoing -------------------------------------------------------------------------


def record(
    session: AsyncSession,
    campaign: Campaign,
    kind: str,
    text: str,
    *,
    actor_id: int | None = None,
    character_id: int | None = None,
    turn_id: int | None = None,
    data: Mapping[str, Any] | None = None,
) -> CampaignEvent:
    """Append one event in the caller's transaction (the campaign row is locked by the caller)."""
    event = CampaignEvent(
        campaign_id=campaign.id,
        turn_id=turn_id,
        kind=kind,
        actor_id=actor_id,
        character_id=character_id,
        text=text,
        data=dict(data or {}),
        retconned=False,
    )
    EventRepository(session).add(event)
    campaign.events_since_summary = (campaign.events_since_summary or 0) + 1
    return event


def tell(session: AsyncSession, campaign_id: int, kind: str, text: str, *, actor_id: int, character_id: int) -> None:
    """Append a story event from outside a campaign transaction (a sheet changed in a campaign: a level-up,
    a death): the campaign row is not locked, so its refresh counter is left alone (the next refresh folds
    the event in anyway)."""
    EventRepository(session).add(
        CampaignEvent(
            campaign_id=campaign_id,
            kind=kind,
            text=text,
            actor_id=actor_id,
            character_id=character_id,
            data={},
            retconned=False,
        )
    )


async def revert_turn(
    session: AsyncSession,
    campaign: Campaign,
    turn: CampaignTurn,
    *,
    by: int,
    reason: str,
    keep: frozenset[str] = frozenset(),
) -> Reverted:
    """Undo every live event of `turn` in the caller's transaction: the one path retcon and fallback share.

    `keep` names kinds of events that stay live (the fallback keeps the player's action).
    """
    events = [e for e in await EventRepository(session).of_turn(turn.id) if not e.retconned and e.kind not in keep]
    report = Reverted(turn.id, len(events))
    for event in reversed(events):
        line = await _undo(session, campaign, event)
        if line:
            report.lines.append(line)
    for pending in await PendingRepository(session).of_turn(turn.id):
        pending.status = "dropped"
    await EventRepository(session).mark_retconned([e.id for e in events])
    await forget_in_summary(session, campaign, events)
    turn.status = "retconned"
    summary = f"Turn {turn.number} undone ({reason})" + (": " + "; ".join(report.lines) if report.lines else ".")
    record(
        session,
        campaign,
        "retcon",
        summary[:2000],
        actor_id=by,
        turn_id=turn.id,
        data={"reason": reason, "events": [e.id for e in events], "undone": report.lines},
    )
    return report


async def _undo(session: AsyncSession, campaign: Campaign, event: CampaignEvent) -> str | None:
    data = event.data or {}
    if event.kind in STATE_KINDS and data.get("before"):
        row = await PartyRepository(session).by_id(int(data["character_id"]), lock=True)
        if row is None:
            return None
        restored = invert(to_sheet(row), data["before"], data.get("after", {}))
        write_back(row, restored)
        return f"{row.name}: {event.kind} reverted"
    if event.kind == "scene" and "before" in data:
        if campaign.scene == data.get("after"):
            campaign.scene = dict(data["before"])
        return "scene restored"
    if event.kind == "combat" and ("before" in data or "combat_id" in data):
        campaign.scene = {k: v for k, v in (campaign.scene or {}).items() if k not in ("in_combat", "enemies")}
        if data.get("combat_id"):  # the fight the narrator started goes with the turn (combatants cascade)
            combat_id = int(data["combat_id"])
            await CombatRepository(session).delete_combat(combat_id)
            fought = [
                e.id
                for e in await EventRepository(session).since(campaign.id, event.id)
                if e.kind in ("fight", "fight_step") and (e.data or {}).get("combat_id") == combat_id
            ]
            await EventRepository(session).mark_retconned(fought)  # and what happened in it
        return "combat called off"
    if event.kind == "npc" and data.get("created"):
        npc = await NpcRepository(session).by_key(campaign.id, str(data.get("name_key", "")))
        if npc is not None and npc.turn_id == event.turn_id:
            await NpcRepository(session).delete(npc)
        scene_npcs = [n for n in campaign.scene.get("npcs", []) if n != data.get("name")]
        campaign.scene = {**campaign.scene, "npcs": scene_npcs}
        return f"{data.get('name')} forgotten"
    return None


async def last_event_of(session: AsyncSession, turn: CampaignTurn) -> int:
    """The id of a turn's newest event (what a fight action is compared with: which came last)."""
    return max((e.id for e in await EventRepository(session).of_turn(turn.id)), default=0)


# --- reading -------------------------------------------------------------------------------------


def line_of(event: CampaignEvent) -> EventLine:
    audience = event_audience(event.kind, event.turn_id, event.data)
    return EventLine(event.id, event.kind, event.text, event.turn_id, event.retconned, audience)


def shorten(text: str, limit: int = SUMMARY_LINE_CHARS) -> str:
    """One line: whitespace collapsed, cut at a word with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def first_sentences(text: str, limit: int = SUMMARY_LINE_CHARS) -> str:
    """The opening of a narration, cut at a sentence end when one falls inside the limit."""
    flat = " ".join(text.split())
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s|$)", flat) if m.end() <= limit]
    return flat[: ends[-1]] if ends else shorten(flat, limit)


def summary_lines(events: Iterable[EventLine]) -> list[str]:
    """Extractive: one short line per event that moves the story, in order. Summaries are posted to the
    channel and fed to the narrator, so only what the whole channel may read goes in."""
    lines: list[str] = []
    for event in events:
        if event.retconned or event.kind not in SUMMARY_KINDS or event.audience < Audience.CHANNEL:
            continue
        text = first_sentences(event.text) if event.kind in {"narration", "dm_narration"} else shorten(event.text)
        if text and (not lines or lines[-1] != text):
            lines.append(text)
    return lines


def merge_summary(previous: str, new_lines: Sequence[str], max_lines: int = MAX_SUMMARY_LINES) -> str:
    """The rolling summary: the story's opening, then the latest lines, within `max_lines`."""
    lines = [line for line in previous.splitlines() if line.strip()] + [f"- {line}" for line in new_lines]
    if len(lines) > max_lines:
        lines = [*lines[:KEEP_FIRST_LINES], "- …", *lines[-(max_lines - KEEP_FIRST_LINES - 1) :]]
    return "\n".join(lines)


def recap_text(summary: str, recent: Sequence[EventLine], fits: Callable[[str], bool]) -> str:
    """The summary then the newest lines, as much as `fits` allows (the newest survive)."""
    tail = summary_lines(recent)
    body = [line for line in summary.splitlines() if line.strip()]
    lines = body + [f"- {line}" for line in tail if f"- {line}" not in body]
    while lines and not fits("\n".join(lines)):
        lines.pop(0 if len(lines) > 1 else -1)
    return "\n".join(lines)


async def refresh_summary(session: AsyncSession, campaign: Campaign, *, every: int, force: bool = False) -> bool:
    """Fold the events since the last refresh into the rolling summary, every `every` events."""
    if not force and (campaign.events_since_summary or 0) < every:
        return False
    events = await EventRepository(session).since(campaign.id, campaign.summary_through or 0, limit=5000)
    if not events:
        return False
    campaign.summary = merge_summary(campaign.summary or "", summary_lines(line_of(e) for e in events))
    campaign.summary_through = events[-1].id
    campaign.events_since_summary = 0
    return True


async def forget_in_summary(session: AsyncSession, campaign: Campaign, events: Sequence[CampaignEvent]) -> None:
    """Take undone events back out of the rolling summary, if it folded them in already: the summary is
    rebuilt from the live log up to where it reached (the events are marked retconned first), so no line of
    a retconned turn survives, however many turns back the retcons go."""
    through = campaign.summary_through or 0
    if not any(e.id <= through for e in events):
        return
    live = await EventRepository(session).since(campaign.id, 0, limit=SUMMARY_REBUILD_EVENTS)
    campaign.summary = merge_summary("", summary_lines(line_of(e) for e in live if e.id <= through))
