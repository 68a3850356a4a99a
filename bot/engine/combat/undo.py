"""Every change to a campaign's fight is an event of the campaign's log, and the last one can be undone.

`watch` is called when a change locks a fight (`Fights.open`): it takes the fight's state before (the combat
row's round, turn and status; every combatant; the campaign fields of every character in it) and, just before
the transaction commits, the state after. The two go into one event (kind `fight` when someone fell, died
or the fight ended, which recaps and summaries tell; `fight_step` otherwise), whose text says what changed. A
failed change rolls the event back with everything else.

`undo_last` (`/dm retcon`, when a fight action is the newest thing in the story) puts the state back as the
turn undo does (`bot.engine.events.invert`): exactly where nothing touched it since, else by the inverse
change, so a later change survives; combatants who joined go, those taken out come back, the order is restored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.combat.fight import Fight
from bot.engine.events import invert, state_of
from bot.engine.sheet import to_sheet, write_back
from bot.errors import InvalidInput
from persistence.db import before_commit
from persistence.models import CampaignEvent, Combatant
from persistence.repositories import CombatRepository, EventRepository, PartyRepository

FIGHT_KINDS = frozenset({"fight", "fight_step"})
COMBAT_FIELDS = ("status", "round", "turn_index", "sunlight", "turn_state")  # turn_state: attacks made this turn
COMBATANT_FIELDS = (
    "kind",
    "character_id",
    "owner_id",
    "monster_index",
    "name",
    "name_key",
    "initiative",
    "dex",
    "tiebreak",
    "position",
    "hp",
    "hp_max",
    "ac",
    "conditions",
    "dead",
    "effects",
    "group_name",
    "held",
    "init_bonus",
    "attacks",
    "resources",  # spent legendary actions, recharges, the reaction
    "spells_used",  # a monster's spent slots
)
WATCHED = "fights_watched"


def snapshot(fight: Fight) -> dict[str, Any]:
    """The fight's mutable state, as JSON (a copy: rows' lists change in place)."""
    state = {
        "combat": {"id": fight.combat.id, **{name: getattr(fight.combat, name) for name in COMBAT_FIELDS}},
        "combatants": {str(r.id): {name: getattr(r, name) for name in COMBATANT_FIELDS} for r in fight.rows},
        "characters": {str(cid): state_of(to_sheet(row)) for cid, row in fight.characters.items()},
    }
    return dict(json.loads(json.dumps(state)))


def watch(session: AsyncSession, fight: Fight) -> None:
    """Log this transaction's change to the fight when it commits (once per fight and transaction)."""
    watched: set[int] = session.info.setdefault(WATCHED, set())
    if fight.combat.id in watched or not fight.combat.campaign_id:
        return
    watched.add(fight.combat.id)
    before = snapshot(fight)

    async def record(session: AsyncSession) -> None:
        after = snapshot(fight)
        if after == before:
            return
        text, notable = describe(before, after)
        event = {
            "campaign_id": fight.combat.campaign_id,
            "turn_id": None,
            "kind": "fight" if notable else "fight_step",
            "text": text[:2000],
            "data": {"combat_id": fight.combat.id, "before": before, "after": after},
            "retconned": False,
        }
        rows = [fight.combat, *fight.rows, *fight.characters.values()]
        await EventRepository(session).add_with_changes_of(event, rows)  # with their changes, in one statement

    before_commit(session, record)


def describe(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, bool]:
    """What changed, in words, and whether it is worth a recap line (a fall, a death, the end, XP)."""
    said: list[str] = []
    notable = False
    was, now = before["combatants"], after["combatants"]
    for key, row in now.items():
        old = was.get(key)
        if old is None:
            said.append(f"{row['name']} joins the fight")
            continue
        if row["hp"] is not None and old["hp"] is not None and row["hp"] != old["hp"]:  # the players' words
            said.append(f"{row['name']} is {'wounded' if row['hp'] < old['hp'] else 'healed'}")
        if row["dead"] and not old["dead"] and not row["character_id"]:  # a character's death: "dies", below
            said.append(f"{row['name']} is slain")
            notable = True
        gained = {c["name"] for c in row["conditions"] or []} - {c["name"] for c in old["conditions"] or []}
        said += [f"{row['name']} is {name}" for name in sorted(gained)]
    said += [f"{row['name']} leaves the fight" for key, row in was.items() if key not in now]
    names = {str(r["character_id"]): r["name"] for r in [*was.values(), *now.values()] if r["character_id"]}
    for key, state in after["characters"].items():
        old = before["characters"].get(key)
        name = names.get(key, "A character")
        if old is None:
            continue
        if state["hp_current"] != old["hp_current"]:
            said.append(f"{name}: HP {old['hp_current']} → {state['hp_current']}")
            if state["hp_current"] == 0 < old["hp_current"]:
                said.append(f"{name} falls")
                notable = True
        if state["death_failures"] >= 3 > old["death_failures"]:
            said.append(f"{name} dies")
            notable = True
        if state["xp"] > old["xp"]:
            said.append(f"{name} gains {state['xp'] - old['xp']} XP")
            notable = True
    outside = not before["combat"].get("id", True)  # the DM's change to a character outside any fight
    if after["combat"]["round"] != before["combat"]["round"]:
        said.append(f"round {after['combat']['round']}")
    if after["combat"]["status"] != before["combat"]["status"]:
        said.append("the fight is over" if after["combat"]["status"] == "ended" else "the fight resumes")
        notable = True
    text = "; ".join(said) or "the fight's order changes"
    return ("" if outside else "Fight: ") + text[0].upper() + text[1:] + ".", notable


async def last_fight_event(session: AsyncSession, campaign_id: int) -> CampaignEvent | None:
    for event in await EventRepository(session).recent(campaign_id, 200):
        if event.kind in FIGHT_KINDS:
            return event
    return None


async def undo_last(session: AsyncSession, event: CampaignEvent) -> list[str]:
    """Put the fight back as it was before `event` (the newest live fight event); marks it retconned."""
    data = event.data or {}
    before, after = data["before"], data["after"]
    repo = CombatRepository(session)
    combat = await repo.combat(int(data["combat_id"]), lock=True) if data.get("combat_id") else None
    undone: list[str] = []
    if combat is not None and combat.status == "ended" and before["combat"]["status"] == "active":
        running = await repo.active_for_campaign(combat.campaign_id) or await repo.active_in_channel(combat.channel_id)
        if running is not None:
            raise InvalidInput("Another fight is running here now; end it before undoing the end of this one.")
    if combat is not None:
        for name in (n for n in COMBAT_FIELDS if n in after["combat"]):  # events before 0016 lack turn_state
            if getattr(combat, name) == after["combat"][name]:
                setattr(combat, name, before["combat"][name])
        combat.version += 1
        if combat.status == "active":
            combat.ended_at = None
        rows = {str(r.id): r for r in await repo.combatants(combat.id)}
        for key, row in rows.items():
            if key not in before["combatants"] and key in after["combatants"]:
                await repo.delete_combatant(row)  # joined in this step
                undone.append(f"{row.name} leaves the fight")
            elif key in before["combatants"]:
                _restore(row, before["combatants"][key], after["combatants"].get(key, {}))
        for key, old in before["combatants"].items():
            if key not in rows and key not in after["combatants"]:  # taken out in this step: back in
                repo.add(Combatant(combat_id=combat.id, **old))
                undone.append(f"{old['name']} is back in the fight")
        await session.flush()
    party = PartyRepository(session)
    for key, old in before["characters"].items():
        new = after["characters"].get(key, {})
        changed = {name: value for name, value in old.items() if new.get(name) != value}
        character = await party.by_id(int(key), lock=True) if changed else None
        if character is not None:
            restored = invert(to_sheet(character), changed, {name: new.get(name) for name in changed})
            write_back(character, restored)
            undone.append(f"{character.name}: restored")
    await EventRepository(session).mark_retconned([event.id])
    return undone or ["the fight's order restored"]


def _restore(row: Combatant, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """A field back to before where nothing changed it since; a number by the step's inverse change."""
    for name in COMBATANT_FIELDS:
        was, current, then = old.get(name), getattr(row, name), new.get(name)
        if current == then:
            setattr(row, name, was)
        elif isinstance(current, int) and isinstance(was, int) and isinstance(then, int) and name == "hp":
            setattr(row, name, max(0, min(current + was - then, row.hp_max or current + was - then)))
