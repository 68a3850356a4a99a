"""What a combatant has spent in this fight, kept as JSON on its row (`combatants.resources`):

- `legendary`: legendary actions left this round (restored at the start of its turn)
- `resistance`: Legendary Resistance uses left (per day: a monster lives for one fight here)
- `spent`: its actions waiting for a recharge (Recharge 5–6), or used up until a rest
- `used`: how many times it used each per-day action (3/Day)
- `reaction`: its reaction is spent (restored at the start of its turn)
- `regen_stopped`: damage that stops its regeneration hit it since its last turn
- `threshold`: a damage threshold the DM set (an object's)

A missing key means nothing is spent, so a combatant added before this existed has everything.
The row's JSON is replaced, never changed in place, so SQLAlchemy sees every change.
"""

from __future__ import annotations

from typing import Any

from bot.data.srd import Monster, MonsterAction
from bot.errors import InvalidInput
from persistence.models import Combatant

RECHARGE = "recharge on roll"
AFTER_REST = "recharge after rest"
PER_DAY = "per day"


def get(row: Combatant) -> dict[str, Any]:
    return dict(row.resources or {})


def put(row: Combatant, **changes: Any) -> None:
    row.resources = {**get(row), **changes}


def legendary_left(row: Combatant, monster: Monster) -> int:
    return int(get(row).get("legendary", monster.legendary_per_round))


def resistance_left(row: Combatant, monster: Monster) -> int:
    return int(get(row).get("resistance", monster.legendary_resistance))


def reaction_spent(row: Combatant) -> bool:
    return bool(get(row).get("reaction"))


def threshold(row: Combatant) -> int:
    return int(get(row).get("threshold", 0))


def spent(row: Combatant) -> list[str]:
    return list(get(row).get("spent", []))


def uses_left(row: Combatant, action: MonsterAction) -> int | None:
    """Uses left of a per-day action (None: it isn't one)."""
    if action.usage is None or action.usage.type != PER_DAY or action.usage.times is None:
        return None
    return action.usage.times - int(get(row).get("used", {}).get(action.name, 0))


def check_usable(row: Combatant, action: MonsterAction) -> None:
    """Refuse an action that waits for its recharge, or whose uses are spent."""
    if action.usage is None:
        return
    if action.name in spent(row):
        if action.usage.type == RECHARGE:
            low = action.usage.min_value or 6
            dice = "6" if low >= 6 else f"{low}–6"
            raise InvalidInput(
                f"{row.name}'s {action.name} isn't recharged: it comes back on a {dice}, rolled at the start "
                f"of {row.name}'s turn."
            )
        raise InvalidInput(f"{row.name} has used {action.name}; it comes back after a short or long rest.")
    left = uses_left(row, action)
    if left is not None and left <= 0:
        times = action.usage.times
        raise InvalidInput(f"{row.name} has used {action.name} {_times(times)} today: none left.")


def use(row: Combatant, action: MonsterAction) -> str | None:
    """Spend an action's use; a note for the reply ("Fire Breath needs a recharge (5–6)")."""
    if action.usage is None:
        return None
    if action.usage.type in (RECHARGE, AFTER_REST):
        put(row, spent=sorted({*spent(row), action.name}))
        if action.usage.type == RECHARGE:
            return f"{action.name} is spent: it recharges on a {action.usage.min_value or 6}–6."
        return f"{action.name} is spent until a short or long rest."
    left = uses_left(row, action)
    if left is not None:
        used = dict(get(row).get("used", {}))
        used[action.name] = int(used.get(action.name, 0)) + 1
        put(row, used=used)
        uses = "use" if action.usage.times == 1 else "uses"
        return f"{action.name}: {left - 1} of {action.usage.times} {uses} left today."
    return None


def recharged(row: Combatant, name: str) -> None:
    put(row, spent=[n for n in spent(row) if n != name])


def _times(n: int | None) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"
