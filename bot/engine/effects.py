"""Timed effects: the engine's one model of what a spell, a potion or a DM's ruling does to a creature for a
while (Bless, Bane, Shield of Faith, Faerie Fire, a custom "Blessing of the Grove").

Pure data and rules: no Discord, no SQL, no random source. An `Effect` sits on the creature it affects and
says what it adds to that creature's attack rolls, saves, ability checks, AC and damage, which resistances
it grants, where it gives advantage or disadvantage (also on attacks *against* the creature), how many
rounds are left and on whose turn they tick, and which caster's concentration holds it up.

Combat stores effects as JSON on the combatant (`to_json` / `from_json`); attacks, saves and the tracker
read them through `rolls_for`, `ac_bonus`, `resistances` and `label`. Spells (later: `/cast`) build
effects with `preset` or the constructor, exactly as the DM's `/dm-combat effect add` does.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bot.engine.wording import counted
from bot.errors import InvalidInput

Phase = Literal["start", "end"]
RollKind = Literal["attack", "save", "check"]
Edge = Literal["advantage", "disadvantage"]
ROLL_KINDS: tuple[RollKind, ...] = ("attack", "save", "check")
MAX_EFFECTS = 12  # on one creature: enough for a stack of spells, small enough for the tracker
MAX_NAME = 40
# What an effect may add to a roll: "+2", "-1", "1d4", "-1d4", "1d4+1" (no more than a few dice).
BONUS = re.compile(r"^[+-]?(\d{1,2}d\d{1,3}|\d{1,2})([+-](\d{1,2}d\d{1,3}|\d{1,2}))?$")


@dataclass(frozen=True)
class Effect:
    name: str
    bonuses: Mapping[str, str] = field(default_factory=dict)  # roll kind or "damage" → "+1d4", "-2"
    ac: int = 0
    resistances: tuple[str, ...] = ()  # damage types
    edges: Mapping[str, Edge] = field(default_factory=dict)  # roll kind or "attacked" → advantage/disadvantage
    rounds: int | None = None  # None: until removed (or concentration ends)
    ticks_on: str | None = None  # the name key of the creature on whose turns the rounds tick
    phase: Phase = "end"
    caster: str | None = None  # the name key of the creature concentrating on it
    # What spells add (bot.engine.spell_effects builds them): conditions held while the effect lasts (Hold
    # Person's paralysis), the save that ends it at the end of each of the affected creature's turns
    # (ability, DC), a floor for AC (Mage Armor: 13 + Dex), extra damage only against one creature (Hunter's
    # Mark), and effects that end when the creature takes damage (Sleep).
    conditions: tuple[str, ...] = ()
    save_ends: tuple[str, int] | None = None
    ac_base: int = 0
    against: str | None = None
    ends_on_damage: bool = False
    ward_dc: int = 0  # Sanctuary: who targets the creature first makes a Wisdom save against this DC
    from_types: tuple[str, ...] = ()  # its "attacked" edge holds only against these creature types (PfEG)
    # What it does to the creature's turn (`TURN_RULES`): Haste's extra action, Slow's lone attack and lost
    # reactions, the lethargy after Haste.
    turn_rules: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.name.casefold()

    def bonus(self, kind: str) -> str | None:
        return self.bonuses.get(kind)


NO_ACTIONS, NO_REACTIONS, ONE_ATTACK, EXTRA_ACTION = "no actions", "no reactions", "one attack", "extra action"
TURN_RULES = (NO_ACTIONS, NO_REACTIONS, ONE_ATTACK, EXTRA_ACTION)
HASTE = "haste"  # the effect's key: when it ends, lethargy
LETHARGY = "Haste lethargy"


@dataclass(frozen=True)
class RollEffects:
    """What a creature's effects (and those on its target) do to one d20 roll."""

    dice: tuple[tuple[str, str], ...] = ()  # (effect name, "+1d4") to roll and add
    advantage: tuple[str, ...] = ()  # the effects that give it
    disadvantage: tuple[str, ...] = ()


def bonus_term(text: str) -> str:
    """A roll's bonus as the engine stores it, signed: "1d4" → "+1d4"; anything else is refused."""
    term = text.replace(" ", "")
    if not BONUS.match(term):
        raise InvalidInput(f"“{text[:20]}” isn't a bonus: write a number or dice such as `+2`, `1d4`, `-1d4`.")
    return term if term[0] in "+-" else f"+{term}"


def make(
    name: str,
    *,
    attack: str | None = None,
    save: str | None = None,
    check: str | None = None,
    damage: str | None = None,
    ac: int = 0,
    resistances: Iterable[str] = (),
    edges: Mapping[str, Edge] | None = None,
) -> Effect:
    """An effect from the DM's (or a spell's) parts, each checked."""
    clean = " ".join(name.split())[:MAX_NAME]
    if not clean:
        raise InvalidInput("Give the effect a name.")
    parts = {"attack": attack, "save": save, "check": check, "damage": damage}
    bonuses = {kind: bonus_term(text) for kind, text in parts.items() if text}
    if bonuses.get("damage", "+").startswith("-"):
        raise InvalidInput("Extra damage is added on a hit: write it as dice or a number, e.g. `1d6`.")
    if not -10 <= ac <= 10:
        raise InvalidInput("An effect changes AC by -10 to +10.")
    return Effect(clean, bonuses, ac, tuple(sorted({r.casefold() for r in resistances})), dict(edges or {}))


PRESETS: dict[str, Effect] = {
    "bless": make("Bless", attack="1d4", save="1d4"),
    "bane": make("Bane", attack="-1d4", save="-1d4"),
    "shield of faith": make("Shield of Faith", ac=2),
    "shield": make("Shield", ac=5),
    "faerie fire": make("Faerie Fire", edges={"attacked": "advantage"}),
}
# How long each preset lasts when the DM gives no duration, and on whose turn it ticks.
PRESET_TIMING: dict[str, tuple[int, Phase, bool]] = {  # rounds, phase, ticks on the caster's turns
    "bless": (10, "end", True),
    "bane": (10, "end", True),
    "shield of faith": (100, "end", True),
    "shield": (1, "start", True),  # until the start of the caster's next turn
    "faerie fire": (10, "end", True),
}


def preset(name: str) -> Effect | None:
    return PRESETS.get(" ".join(name.split()).casefold())


def timed(effect: Effect, rounds: int | None, *, on: str, phase: Phase, caster: str | None) -> Effect:
    """The effect with its duration: `rounds` tick on the turns of the creature keyed `on`."""
    if rounds is not None and not 1 <= rounds <= 1000:
        raise InvalidInput("An effect lasts 1 to 1,000 rounds (empty: until removed).")
    return replace(effect, rounds=rounds, ticks_on=on if rounds is not None else None, phase=phase, caster=caster)


# --- Effects on a creature ---------------------------------------------------------------------------------


def added(effects: Sequence[Effect], new: Effect) -> tuple[Effect, ...]:
    """The creature's effects with `new` in place of one of the same name (a spell cast again replaces it)."""
    others = tuple(e for e in effects if e.key != new.key)
    if len(others) >= MAX_EFFECTS:
        raise InvalidInput(f"A creature holds at most {MAX_EFFECTS} effects; remove one first.")
    return (*others, new)


def removed(effects: Sequence[Effect], name: str) -> tuple[Effect, ...]:
    key = " ".join(name.split()).casefold()
    kept = tuple(e for e in effects if e.key != key)
    if len(kept) == len(effects):
        names = ", ".join(e.name for e in effects) or "none"
        raise InvalidInput(f"No effect “{name[:MAX_NAME]}” is on it. Its effects: {names}.")
    return kept


def tick(
    effects: Sequence[Effect], creature: str, phase: Phase, *, holder: str | None = None, present: Collection[str] = ()
) -> tuple[tuple[Effect, ...], tuple[str, ...]]:
    """The turn of the creature keyed `creature` starts or ends: effects ticking then lose a round. On the
    turns of their `holder`, effects whose clock-keeper takes no turns in the fight (`present`: a Bless cast before
    it by someone who stayed out, or has died) tick too, so that nothing outlasts its rounds.

    Returns the effects kept and the names of those that ran out.
    """
    kept: list[Effect] = []
    expired: list[str] = []
    for effect in effects:
        keeper = effect.ticks_on if effect.ticks_on in present or holder != creature else creature
        if effect.rounds is None or keeper != creature or effect.phase != phase:
            kept.append(effect)
        elif effect.rounds <= 1:
            expired.append(effect.name)
        else:
            kept.append(replace(effect, rounds=effect.rounds - 1))
    return tuple(kept), tuple(expired)


def without_concentration(
    effects: Sequence[Effect], caster: str, *, keep: str | None = None
) -> tuple[tuple[Effect, ...], tuple[str, ...]]:
    """The caster's concentration ends (it fell, or it concentrates on something else, `keep`): the effects
    it held up end. Returns the effects kept and the names of those that ended."""
    gone = [e for e in effects if e.caster == caster and e.key != keep]
    return tuple(e for e in effects if e not in gone), tuple(e.name for e in gone)


def rolls_for(
    kind: RollKind,
    own: Sequence[Effect],
    against: Sequence[Effect] = (),
    *,
    ability: str | None = None,
    attacker_type: str | None = None,
) -> RollEffects:
    """One d20 roll of `kind` by a creature with effects `own`; for an attack, `against` are the target's.
    A save or check of one `ability` also takes what is keyed "save:dex" (Haste, Slow)."""
    keys = (kind, f"{kind}:{ability}") if ability else (kind,)
    dice = tuple((e.name, term) for e in own for key in keys if (term := e.bonus(key)))
    advantage = [e.name for e in own if any(e.edges.get(k) == "advantage" for k in keys)]
    disadvantage = [e.name for e in own if any(e.edges.get(k) == "disadvantage" for k in keys)]
    if kind == "attack":
        holds = [e for e in against if not e.from_types or attacker_type in e.from_types]
        advantage += [f"target {e.name}" for e in holds if e.edges.get("attacked") == "advantage"]
        disadvantage += [f"target {e.name}" for e in holds if e.edges.get("attacked") == "disadvantage"]
    return RollEffects(dice, tuple(advantage), tuple(disadvantage))


def damage_bonus(own: Sequence[Effect], target: str | None = None) -> tuple[tuple[str, str], ...]:
    """Extra damage on a hit; an effect `against` one creature (Hunter's Mark) adds it only to hits on it."""
    return tuple((e.name, term) for e in own if (term := e.bonus("damage")) and e.against in (None, target))


def ac_bonus(effects: Sequence[Effect]) -> int:
    return sum(e.ac for e in effects)


def armour_class(base: int, effects: Sequence[Effect]) -> int:
    """AC with the effects: a floor first (Mage Armor's 13 + Dex when it beats the worn AC), then bonuses."""
    floor = max((e.ac_base for e in effects), default=0)
    return max(base, floor) + ac_bonus(effects)


def conditions_of(effects: Sequence[Effect]) -> tuple[str, ...]:
    """The conditions the effects hold on a creature (Hold Person: paralyzed)."""
    return tuple(dict.fromkeys(c for e in effects for c in e.conditions))


def concentrating(effects: Iterable[Effect], caster: str) -> tuple[Effect, ...]:
    return tuple(e for e in effects if e.caster == caster)


def elapsed(effects: Sequence[Effect], rounds: int) -> tuple[tuple[Effect, ...], tuple[str, ...]]:
    """Time passes outside a fight (a rest: 600 rounds an hour): effects with fewer rounds left end."""
    kept = tuple(replace(e, rounds=e.rounds - rounds) if e.rounds is not None else e for e in effects)
    return tuple(e for e in kept if e.rounds is None or e.rounds > 0), tuple(
        e.name for e in kept if e.rounds is not None and e.rounds <= 0
    )


def damaged(effects: Sequence[Effect]) -> tuple[tuple[Effect, ...], tuple[str, ...]]:
    """The creature takes damage: effects that end on damage (Sleep) end."""
    return tuple(e for e in effects if not e.ends_on_damage), tuple(e.name for e in effects if e.ends_on_damage)


def ruled_by(effects: Iterable[Effect], rule: str) -> Effect | None:
    """The effect that imposes a turn rule on the creature (Slow: "no reactions"), if any."""
    return next((e for e in effects if rule in e.turn_rules), None)


def with_lethargy(
    before: Sequence[Effect], after: Sequence[Effect], holder: str, *, own_turn: bool
) -> tuple[Effect, ...]:
    """SRD Haste: when it ends, the creature can't move or take actions until after its next turn. `after`
    with that lethargy when Haste was in `before` and is gone (on its own turn: through the next one too)."""
    if not any(e.key == HASTE for e in before) or any(e.key == HASTE for e in after):
        return tuple(after)
    rounds = 2 if own_turn else 1
    tired = Effect(LETHARGY, rounds=rounds, ticks_on=holder, phase="end", turn_rules=(NO_ACTIONS,))
    return (*(e for e in after if e.key != LETHARGY.casefold()), tired)


def resistances(effects: Sequence[Effect]) -> frozenset[str]:
    return frozenset(r for e in effects for r in e.resistances)


def label(effect: Effect, *, with_conditions: bool = True) -> str:
    """For the tracker: "Bless (3 rounds, conc. Lia)" needs the caster's name; this gives "Bless (3 rounds)"."""
    held = f": {', '.join(effect.conditions)}" if effect.conditions and with_conditions else ""
    if effect.rounds is None:
        return effect.name + held
    return f"{effect.name} ({duration_words(effect.rounds)}){held}"


def duration_words(rounds: int) -> str:
    """Rounds as a player counts them: "3 rounds", "10 min" (10 rounds a minute), "8 h", "7 h 59 min" (a
    long spell part-way through: whole minutes, rounded up)."""
    if rounds < 100:
        return counted(rounds, "round")
    minutes = -(-rounds // 10)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h" if not rest else f"{hours} h {rest} min"


def describe(effect: Effect) -> str:
    """What it does, in a few words: "+1d4 attack, +1d4 save", "AC +2", "advantage on attacks against"."""
    parts = [f"{term} {_kind_words(kind)}" for kind, term in effect.bonuses.items()]
    if effect.ac_base:
        parts.append(f"AC at least {effect.ac_base}")
    if effect.ac:
        parts.append(f"AC {effect.ac:+d}")
    parts += list(effect.conditions)
    if effect.save_ends:
        parts.append(f"{effect.save_ends[0].upper()} save DC {effect.save_ends[1]} ends it")
    parts += [f"resists {r}" for r in effect.resistances]
    for kind, edge in effect.edges.items():
        parts.append(f"{edge} on attacks against" if kind == "attacked" else f"{edge} on {_kind_words(kind)}s")
    if effect.from_types:
        parts.append(f"by {', '.join(effect.from_types)}")
    if effect.ward_dc:
        parts.append(f"attackers make a WIS save DC {effect.ward_dc} first")
    parts += list(effect.turn_rules)
    return ", ".join(parts) or "no mechanical change"


# --- Stored as JSON on the combatant -----------------------------------------------------------------------


def to_json(effect: Effect) -> dict[str, Any]:
    return {
        "name": effect.name,
        "bonuses": dict(effect.bonuses),
        "ac": effect.ac,
        "resistances": list(effect.resistances),
        "edges": dict(effect.edges),
        "rounds": effect.rounds,
        "ticks_on": effect.ticks_on,
        "phase": effect.phase,
        "caster": effect.caster,
        **_spell_parts(effect),
    }


def _spell_parts(effect: Effect) -> dict[str, Any]:
    """The spell fields, stored only when set (old rows and the DM's effects stay as they were)."""
    parts: dict[str, Any] = {}
    if effect.conditions:
        parts["conditions"] = list(effect.conditions)
    if effect.save_ends:
        parts["save_ends"] = list(effect.save_ends)
    if effect.ac_base:
        parts["ac_base"] = effect.ac_base
    if effect.against:
        parts["against"] = effect.against
    if effect.ends_on_damage:
        parts["ends_on_damage"] = True
    if effect.ward_dc:
        parts["ward_dc"] = effect.ward_dc
    if effect.from_types:
        parts["from_types"] = list(effect.from_types)
    if effect.turn_rules:
        parts["turn_rules"] = list(effect.turn_rules)
    return parts


def from_json(entry: Mapping[str, Any]) -> Effect:
    rounds = entry.get("rounds")
    edges = {str(k): v for k, v in dict(entry.get("edges") or {}).items() if v in ("advantage", "disadvantage")}
    bonuses = {str(k): str(v) for k, v in dict(entry.get("bonuses") or {}).items()}
    return Effect(
        name=str(entry.get("name", "effect")),
        bonuses=bonuses,
        ac=int(entry.get("ac") or 0),
        resistances=tuple(str(r) for r in entry.get("resistances") or ()),
        edges=edges,
        rounds=rounds if isinstance(rounds, int) else None,
        ticks_on=_text_or_none(entry.get("ticks_on")),
        phase="start" if entry.get("phase") == "start" else "end",
        caster=_text_or_none(entry.get("caster")),
        conditions=tuple(str(c) for c in entry.get("conditions") or ()),
        save_ends=_save_ends(entry.get("save_ends")),
        ac_base=int(entry.get("ac_base") or 0),
        against=_text_or_none(entry.get("against")),
        ends_on_damage=bool(entry.get("ends_on_damage")),
        ward_dc=int(entry.get("ward_dc") or 0),
        from_types=tuple(str(t) for t in entry.get("from_types") or ()),
        turn_rules=tuple(str(r) for r in entry.get("turn_rules") or () if r in TURN_RULES),
    )


def _save_ends(value: object) -> tuple[str, int] | None:
    if isinstance(value, list | tuple) and len(value) == 2 and isinstance(value[1], int):
        return str(value[0]), value[1]
    return None


def load(entries: Iterable[Mapping[str, Any]] | None) -> tuple[Effect, ...]:
    return tuple(from_json(e) for e in entries or ())


def dump(effects: Iterable[Effect]) -> list[dict[str, Any]]:
    return [to_json(e) for e in effects]


def _kind_words(kind: str) -> str:
    """ "save:dex" → "Dex save", "temp_hp" → "temporary HP a turn", "hp_max" → "HP maximum"."""
    roll, _, ability = kind.partition(":")
    if ability:
        return f"{ability.capitalize()} {roll}"
    return {"temp_hp": "temporary HP a turn", "hp_max": "HP maximum", "duplicates": "duplicates"}.get(kind, kind)


def _text_or_none(value: object) -> str | None:
    return str(value) if isinstance(value, str) and value else None
