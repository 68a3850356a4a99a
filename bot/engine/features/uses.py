"""Features with uses on a sheet, as pure functions: how many each has at the character's level, spending them,
what a rest brings back, and the custom counters a player or DM adds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.engine.class_levels import level_in
from bot.engine.features.data import BY_KEY, RESOURCES, Level, Reset, Resource
from bot.engine.sheet import Counter, Sheet
from bot.engine.wording import counted
from bot.errors import InvalidInput, NotFound

MAX_COUNTERS = 20
MAX_COUNTER_NAME = 32
MAX_COUNTER_VALUE = 999
RESETS: tuple[Reset, ...] = ("short", "long", "never")
RESET_WORDS = {"short": "short rest", "long": "long rest", "never": "never resets"}


@dataclass(frozen=True)
class Uses:
    """One feature with uses (or a custom counter) as the sheet shows it."""

    key: str
    name: str
    maximum: int
    left: int
    reset: Reset
    pool: bool = False
    custom: bool = False

    def label(self) -> str:
        left = "unlimited" if self.maximum >= 99 else f"{self.left}/{self.maximum}"
        return f"{self.name} {left} ({RESET_WORDS[self.reset]})"


def uses_of(sheet: Sheet) -> list[Uses]:
    """The sheet's features with uses at its level, then its custom counters."""
    found = [_uses(sheet, r) for r in RESOURCES if level_in(sheet, r.class_index) >= r.level]
    counters = [
        Uses(_counter_key(c.name), c.name, c.maximum, c.maximum - c.spent, _reset(c.reset), custom=True)
        for c in sheet.counters
    ]
    return [u for u in found if u.maximum > 0] + counters


def _uses(sheet: Sheet, resource: Resource) -> Uses:
    at = Level(level_in(sheet, resource.class_index), sheet.scores)
    maximum = resource.maximum(at)
    left = max(0, maximum - sheet.feature_spent.get(resource.key, 0))
    return Uses(resource.key, resource.name, maximum, left, resource.reset(at), resource.pool)


def find(sheet: Sheet, name: str) -> Uses:
    """A feature with uses (or a counter) by its name or key, any case."""
    key = _counter_key(name)
    every = uses_of(sheet)
    found = next((u for u in every if u.key == key or u.name.casefold() == name.casefold().strip()), None)
    if found is None:
        names = ", ".join(u.name for u in every) or "none"
        raise NotFound(f"{sheet.name} has no feature with uses called “{name[:40]}”. Theirs: {names}.")
    return found


def spend(sheet: Sheet, name: str, amount: int = 1) -> tuple[Sheet, Uses]:
    """The sheet with `amount` uses (or points) of a feature spent; refused when too few are left."""
    uses = find(sheet, name)
    if amount < 1:
        raise InvalidInput("Spend at least 1.")
    if amount > 1 and not uses.pool and not uses.custom:
        raise InvalidInput(f"{uses.name} is spent one use at a time.")
    if uses.maximum < 99 and amount > uses.left:
        what = "point" if uses.pool else "use"
        raise InvalidInput(
            f"{sheet.name} has {counted(uses.left, what)} of {uses.name} left; "
            f"it comes back on a {RESET_WORDS[uses.reset]}."
            if uses.reset != "never"
            else f"{sheet.name} has {counted(uses.left, what)} of {uses.name} left."
        )
    if uses.custom:
        counters = tuple(
            replace(c, spent=c.spent + amount) if _counter_key(c.name) == uses.key else c for c in sheet.counters
        )
        new = replace(sheet, counters=counters)
    else:
        spent = {**sheet.feature_spent, uses.key: sheet.feature_spent.get(uses.key, 0) + amount}
        new = replace(sheet, feature_spent=spent)
    return new, replace(uses, left=uses.left - amount if uses.maximum < 99 else uses.left)


def has(sheet: Sheet, key: str) -> bool:
    resource = BY_KEY[key]
    return level_in(sheet, resource.class_index) >= resource.level


def after_rest(sheet: Sheet, kind: Reset) -> tuple[Sheet, tuple[str, ...]]:
    """What a rest brings back: a short rest the short-rest features and counters, a long rest all of them.
    Returns the sheet and the names of what came back."""
    every = uses_of(sheet)
    back = [u for u in every if u.left < u.maximum and _resets(u.reset, kind)]
    keys = {u.key for u in back if not u.custom}
    spent = {k: v for k, v in sheet.feature_spent.items() if k not in keys}
    counters = tuple(replace(c, spent=0) if _resets(_reset(c.reset), kind) else c for c in sheet.counters)
    return replace(sheet, feature_spent=spent, counters=counters), tuple(u.name for u in back)


def _resets(reset: Reset, rest: Reset) -> bool:
    return reset == "short" or (reset == "long" and rest == "long")


# --- Custom counters ---------------------------------------------------------------------------------


def add_counter(sheet: Sheet, name: str, maximum: int, reset: str) -> Sheet:
    clean = " ".join(name.split())[:MAX_COUNTER_NAME]
    if not clean:
        raise InvalidInput("Give the counter a name. Example: `/feature add name:Luck maximum:3 reset:long`")
    if not 1 <= maximum <= MAX_COUNTER_VALUE:
        raise InvalidInput(f"A counter's maximum is 1 to {MAX_COUNTER_VALUE}.")
    key = _counter_key(clean)
    same = next((u for u in uses_of(sheet) if u.key == key or u.name.casefold() == clean.casefold()), None)
    if same is not None:
        remove = "`/feature remove` it first to change it" if same.custom else "it is a class feature"
        raise InvalidInput(f"{sheet.name} already has “{same.name}”: {remove}.")
    if len(sheet.counters) >= MAX_COUNTERS:
        raise InvalidInput(f"A sheet holds at most {MAX_COUNTERS} counters; remove one first.")
    return replace(sheet, counters=(*sheet.counters, Counter(clean, maximum, _reset(reset))))


def remove_counter(sheet: Sheet, name: str) -> tuple[Sheet, Counter]:
    key = _counter_key(name)
    gone = next((c for c in sheet.counters if _counter_key(c.name) == key), None)
    if gone is None:
        names = ", ".join(c.name for c in sheet.counters) or "none"
        raise NotFound(f"{sheet.name} has no counter “{name[:40]}”. Their counters: {names}.")
    return replace(sheet, counters=tuple(c for c in sheet.counters if c is not gone)), gone


def restore(sheet: Sheet, name: str, amount: int) -> tuple[Sheet, Uses]:
    """Give back uses by hand (the DM's ruling, a potion): never above the maximum."""
    uses = find(sheet, name)
    if uses.custom:
        counters = tuple(
            replace(c, spent=max(0, c.spent - amount)) if _counter_key(c.name) == uses.key else c
            for c in sheet.counters
        )
        new = replace(sheet, counters=counters)
    else:
        spent = {**sheet.feature_spent, uses.key: max(0, sheet.feature_spent.get(uses.key, 0) - amount)}
        new = replace(sheet, feature_spent=spent)
    return new, find(new, name)


def names(sheet: Sheet, text: str, *, with_uses_left: bool = True) -> list[str]:
    """Autocomplete: the features (and counters) whose name holds `text`, those with uses left."""
    needle = text.casefold().strip()
    return [u.name for u in uses_of(sheet) if needle in u.name.casefold() and (u.left or not with_uses_left)][:25]


def _counter_key(name: str) -> str:
    return "-".join(name.casefold().replace("'", "").split())


def _reset(text: str) -> Reset:
    if text not in RESETS:
        raise InvalidInput("A counter resets on a `short` rest, a `long` rest, or `never`.")
    return text


def lines(sheet: Sheet) -> Sequence[str]:
    return [u.label() for u in uses_of(sheet)]
