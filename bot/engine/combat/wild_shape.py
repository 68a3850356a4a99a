"""Wild Shape in a fight: the druid takes a beast's stat block (its AC, defences, attacks) and its hit points as
a pool of their own, kept on the combatant row (`resources["wild_shape"]`). Damage comes off the beast's HP
first; at 0 the druid changes back and the damage left over carries to their own HP (SRD)."""

from __future__ import annotations

from typing import Any

from bot.data.srd import Monster
from bot.engine.combat import resources
from bot.engine.sheet import Sheet
from bot.errors import InvalidInput
from persistence.models import Combatant


def beast(row: Combatant) -> dict[str, Any] | None:
    shape = resources.get(row).get("wild_shape")
    return dict(shape) if isinstance(shape, dict) else None


def check_beast(sheet: Sheet, monster: Monster) -> None:
    """SRD: a beast of CR 1/4 (druid level 2), 1/2 (4) or 1 (8) at most."""
    most = 1.0 if sheet.level >= 8 else 0.5 if sheet.level >= 4 else 0.25
    if monster.type != "beast":
        raise InvalidInput(f"{monster.name} is not a beast: Wild Shape takes the shape of a beast. Example: `wolf`.")
    if monster.cr > most:
        raise InvalidInput(
            f"At druid level {sheet.level} a Wild Shape beast is CR {most:g} at most ({monster.name}: {monster.cr:g})."
        )


def start(row: Combatant, monster: Monster) -> None:
    resources.put(
        row, wild_shape={"beast": monster.index, "name": monster.name, "hp": monster.hp, "hp_max": monster.hp}
    )


def end(row: Combatant) -> None:
    row.resources = {k: v for k, v in resources.get(row).items() if k != "wild_shape"}


def absorb(row: Combatant, total: int) -> tuple[int, int | None, str]:
    """Damage on the beast: (its HP before, the damage carried to the druid or None while still a beast, a note)."""
    shape = beast(row)
    assert shape is not None
    before = int(shape["hp"])
    if total < before:
        resources.put(row, wild_shape={**shape, "hp": before - total})
        return before, None, f"Wild Shape ({shape['name']}): {before - total}/{shape['hp_max']} HP left"
    end(row)
    carried = total - before
    return before, carried, f"The {shape['name']} drops to 0 HP: {row.name} changes back; {carried} damage carries over"
