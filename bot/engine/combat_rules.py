"""SRD 5.1 combat rules as pure functions: initiative order, attack resolution, damage, death and turns.

Nothing here touches the database, Discord or a random source of its own: dice results come in as
numbers (or a `d20` callable for roll-offs), so every rule is unit-tested with worked examples.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot.data.srd import Condition, Monster, MonsterAction, QualifiedDamage
from bot.engine.dice import Advantage
from bot.engine.rules import RollModifiers
from bot.errors import InvalidInput

Kind = Literal["character", "monster"]
Phase = Literal["start", "end"]  # when a timed condition's rounds tick: at the start or end of its turn
LifeState = Literal["up", "dying", "stable", "dead"]
HpMethod = Literal["average", "rolled"]

DICE_TERM = re.compile(r"(\d*)d(\d+)")
MAGIC_WEAPONS_TRAIT = "Magic Weapons"  # a monster whose weapon attacks count as magical
# Racial traits that give a character a damage resistance (the sheet stores trait names).
TRAIT_RESISTANCES: dict[str, tuple[str, ...]] = {"Dwarven Resilience": ("poison",), "Hellish Resistance": ("fire",)}


# --- Initiative -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InitiativeSlot:
    """What orders one combatant: initiative, then Dexterity score, then a roll-off."""

    id: int
    initiative: int
    dex: int
    tiebreak: int


def initiative_order(slots: Iterable[InitiativeSlot]) -> list[InitiativeSlot]:
    """Highest initiative first; ties by the higher Dex score, then by the roll-off (then join order)."""
    return sorted(slots, key=lambda s: (-s.initiative, -s.dex, -s.tiebreak, s.id))


def roll_off(d20: Callable[[], int], rivals: Collection[int]) -> int:
    """A roll-off against combatants tied on initiative and Dex: roll again until no rival has the same."""
    for _ in range(100):
        value = d20()
        if value not in rivals:
            return value
    return 0  # twenty rivals tied on every face: join order decides


def tied_rivals(initiative: int, dex: int, others: Iterable[InitiativeSlot]) -> set[int]:
    """The roll-offs already taken by combatants with the same initiative and Dex."""
    return {o.tiebreak for o in others if o.initiative == initiative and o.dex == dex}


# --- Attacks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttackResolution:
    hit: bool
    critical: bool
    reason: str  # "natural 1", "natural 20", "18 vs AC 15", ...


def resolve_attack(
    natural: int, total: int, ac: int, *, auto_crit: bool = False, crit_from: int = 20
) -> AttackResolution:
    """A natural 1 always misses; a natural 20 always hits and crits; otherwise the total must reach the AC.

    `auto_crit`: a hit from within 5 feet on a paralysed or unconscious target is a critical hit.
    `crit_from`: a Champion's Improved Critical crits on 19 too (a critical hit is a hit).
    """
    if natural == 1:
        return AttackResolution(False, False, "natural 1")
    if natural >= crit_from:
        return AttackResolution(True, True, f"natural {natural}")
    if total >= ac:
        return AttackResolution(True, auto_crit, f"{total} vs AC {ac}")
    return AttackResolution(False, False, f"{total} vs AC {ac}")


def attack_modifiers(
    attacker: Iterable[tuple[Condition, int]],
    target: Iterable[tuple[Condition, int]],
    *,
    melee: bool,
    advantage: bool = False,
    disadvantage: bool = False,
    granted: tuple[Sequence[str], Sequence[str]] = ((), ()),
) -> RollModifiers:
    """The attacker's conditions (poisoned: disadvantage) and the target's (restrained: advantage against it;
    prone: advantage within 5 feet, disadvantage beyond), with the player's flags and the timed effects that
    give advantage or disadvantage (`granted`: their names, each way); any of each cancel out."""
    adv, dis = ["you asked"] if advantage else [], ["you asked"] if disadvantage else []
    adv, dis = adv + list(granted[0]), dis + list(granted[1])
    for condition, level in attacker:
        if condition.effects.attack:
            (adv if condition.effects.attack == "advantage" else dis).append(condition.name.lower())
        if condition.index == "exhaustion" and level >= 3:
            dis.append(f"exhaustion {level}")
    for condition, _ in target:
        effects = condition.effects
        for mod in (effects.attacked_by, effects.attacked_by_within_5ft if melee else effects.attacked_by_beyond_5ft):
            if mod:
                (adv if mod == "advantage" else dis).append(f"target {condition.name.lower()}")
    return RollModifiers(Advantage.from_flags(bool(adv), bool(dis)), tuple(adv + dis))


def auto_crit(target: Iterable[tuple[Condition, int]], *, melee: bool) -> bool:
    """Paralysed or unconscious: any hit from within 5 feet is a critical hit."""
    return melee and any(c.effects.crit_within_5ft for c, _ in target)


def incapacitated_by(conditions: Iterable[tuple[Condition, int]]) -> list[str]:
    return [c.name.lower() for c, _ in conditions if c.effects.incapacitated]


def crit_dice(expression: str) -> str:
    """A critical hit doubles every die, not the modifiers: `2d6+1d4+3` → `4d6+2d4+3`."""
    return DICE_TERM.sub(lambda m: f"{int(m.group(1) or 1) * 2}d{m.group(2)}", expression)


# --- Damage ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DamageSource:
    """Where damage comes from, for the SRD's conditional resistances ("from nonmagical attacks")."""

    weapon: bool = False
    magical: bool = False
    silvered: bool = False
    adamantine: bool = False
    spell: bool = False


@dataclass(frozen=True)
class Defences:
    resistances: frozenset[str] = frozenset()
    immunities: frozenset[str] = frozenset()
    vulnerabilities: frozenset[str] = frozenset()
    special_resistances: tuple[QualifiedDamage, ...] = ()
    special_immunities: tuple[QualifiedDamage, ...] = ()
    special_vulnerabilities: tuple[QualifiedDamage, ...] = ()
    resist_all: bool = False  # petrified

    @classmethod
    def of_monster(cls, monster: Monster, *, resist_all: bool = False) -> Defences:
        return cls(
            resistances=frozenset(monster.damage_resistances),
            immunities=frozenset(monster.damage_immunities),
            vulnerabilities=frozenset(monster.damage_vulnerabilities),
            special_resistances=monster.damage_resistances_special,
            special_immunities=monster.damage_immunities_special,
            special_vulnerabilities=monster.damage_vulnerabilities_special,
            resist_all=resist_all,
        )

    @classmethod
    def of_traits(cls, traits: Iterable[str]) -> Defences:
        found = {kind for trait in traits for kind in TRAIT_RESISTANCES.get(trait, ())}
        return cls(resistances=frozenset(found))

    def with_conditions(self, conditions: Iterable[tuple[Condition, int]]) -> Defences:
        """Petrified: resistance to all damage and immunity to poison."""
        found = list(conditions)
        immune = {kind for c, _ in found for kind in c.effects.immune}
        return replace(
            self,
            immunities=self.immunities | immune,
            resist_all=self.resist_all or any(c.effects.resist_all_damage for c, _ in found),
        )


def qualifier_applies(qualifier: str, source: DamageSource) -> bool:
    """Whether a conditional defence covers this damage. Unknown qualifiers never apply."""
    nonmagical_weapon = source.weapon and not source.magical
    return {
        "nonmagical": nonmagical_weapon,
        "nonmagical-non-silvered": nonmagical_weapon and not source.silvered,
        "nonmagical-non-adamantine": nonmagical_weapon and not source.adamantine,
        "spells": source.spell,
    }.get(qualifier, False)


def _covered(damage_type: str, plain: frozenset[str], special: Sequence[QualifiedDamage], source: DamageSource) -> bool:
    if damage_type in plain:
        return True
    return any((not q.types or damage_type in q.types) and qualifier_applies(q.qualifier, source) for q in special)


@dataclass(frozen=True)
class DamageTaken:
    raw: int
    amount: int
    damage_type: str | None
    effect: str | None  # "immune", "resistant", "vulnerable", "resistant, vulnerable"


def modify_damage(raw: int, damage_type: str | None, defences: Defences, source: DamageSource) -> DamageTaken:
    """Immunity: none; resistance: half, rounded down; vulnerability: double (after resistance, per the SRD)."""
    raw = max(0, raw)
    if damage_type is None:
        return DamageTaken(raw, raw, None, None)
    if _covered(damage_type, defences.immunities, defences.special_immunities, source):
        return DamageTaken(raw, 0, damage_type, "immune")
    resistant = defences.resist_all or _covered(damage_type, defences.resistances, defences.special_resistances, source)
    vulnerable = _covered(damage_type, defences.vulnerabilities, defences.special_vulnerabilities, source)
    amount = raw // 2 if resistant else raw
    amount = amount * 2 if vulnerable else amount
    effects = [name for name, on in (("resistant", resistant), ("vulnerable", vulnerable)) if on]
    return DamageTaken(raw, amount, damage_type, ", ".join(effects) or None)


# --- Hit points and death -------------------------------------------------------------------------


@dataclass(frozen=True)
class Vitals:
    """A character's hit points and death-save counters."""

    hp: int
    hp_max: int
    temp: int = 0
    successes: int = 0
    failures: int = 0

    @property
    def state(self) -> LifeState:
        if self.failures >= 3:
            return "dead"
        if self.hp > 0:
            return "up"
        return "stable" if self.successes >= 3 else "dying"


@dataclass(frozen=True)
class CharacterHit:
    before: Vitals
    after: Vitals
    dropped: bool  # fell to 0 HP from this damage
    failures_added: int
    instant_death: bool


def damage_character(vitals: Vitals, amount: int, *, critical: bool = False) -> CharacterHit:
    """Temporary HP first, then HP. At 0 HP: a failed death save per hit (two on a critical hit); a stable
    character starts dying again. Damage left over at 0 HP that reaches the HP maximum kills outright."""
    if vitals.state == "dead" or amount <= 0:
        return CharacterHit(vitals, vitals, False, 0, False)
    absorbed = min(vitals.temp, amount)
    rest = amount - absorbed
    if vitals.hp > 0:
        overflow = max(0, rest - vitals.hp)
        hp = max(0, vitals.hp - rest)
        after = replace(vitals, hp=hp, temp=vitals.temp - absorbed)
        if hp > 0:
            return CharacterHit(vitals, after, False, 0, False)
        if overflow >= vitals.hp_max:
            return CharacterHit(vitals, replace(after, successes=0, failures=3), True, 0, True)
        return CharacterHit(vitals, replace(after, successes=0, failures=0), True, 0, False)
    if rest == 0:
        return CharacterHit(vitals, replace(vitals, temp=vitals.temp - absorbed), False, 0, False)
    if rest >= vitals.hp_max:
        return CharacterHit(vitals, replace(vitals, temp=0, successes=0, failures=3), False, 0, True)
    added = 2 if critical else 1
    failures = min(3, vitals.failures + added)
    after = replace(vitals, temp=vitals.temp - absorbed, successes=0, failures=failures)
    return CharacterHit(vitals, after, False, failures - vitals.failures, False)


def heal_character(vitals: Vitals, amount: int) -> Vitals:
    """Healing a living character; from 0 HP it also clears the death saves."""
    if vitals.state == "dead":
        raise InvalidInput(
            "The dead can't be healed with hit points; that takes magic like *revivify*, or the DM's `/dm revive`."
        )
    hp = min(vitals.hp_max, max(0, vitals.hp) + max(0, amount))
    if hp > 0 and vitals.hp <= 0:
        return replace(vitals, hp=hp, successes=0, failures=0)
    return replace(vitals, hp=hp)


def damage_monster(hp: int, amount: int) -> tuple[int, bool]:
    """Monsters have no death saves: at 0 HP they die. Returns (new HP, dead)."""
    left = max(0, hp - max(0, amount))
    return left, left == 0


def monster_hp(monster: Monster, method: HpMethod, roll: Callable[[str], int]) -> int:
    """The stat block's average, or its hit dice rolled (at least 1)."""
    if method == "average":
        return monster.hp
    if method == "rolled":
        return max(1, roll(monster.hp_roll))
    raise InvalidInput("Monster HP is `average` or `rolled`.")


def health_word(hp: int, hp_max: int, *, dead: bool = False) -> str:
    """What players see of a monster: unhurt, hurt, bloodied (≤ half), near death (≤ a quarter), dead (or
    down: at 0 HP and not dead yet, a troll waiting to regenerate)."""
    if dead:
        return "dead"
    if hp <= 0:
        return "down"
    if hp >= hp_max:
        return "unhurt"
    if hp * 4 <= hp_max:
        return "near death"
    if hp * 2 <= hp_max:
        return "bloodied"
    return "hurt"


# --- Conditions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimedCondition:
    name: str  # SRD condition index
    rounds: int | None = None  # None: until removed
    ends: Phase = "end"  # its rounds tick at the end (or start) of the creature's turn
    level: int = 1


def tick_conditions(
    conditions: Sequence[TimedCondition], phase: Phase
) -> tuple[tuple[TimedCondition, ...], tuple[str, ...]]:
    """One of the creature's turns starts or ends: conditions timed on that phase lose a round.

    Returns the conditions kept and the names of those that ran out.
    """
    kept: list[TimedCondition] = []
    expired: list[str] = []
    for condition in conditions:
        if condition.rounds is None or condition.ends != phase:
            kept.append(condition)
        elif condition.rounds <= 1:
            expired.append(condition.name)
        else:
            kept.append(replace(condition, rounds=condition.rounds - 1))
    return tuple(kept), tuple(expired)


# --- Turns ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnAdvance:
    round: int
    index: int
    skipped: tuple[int, ...]  # positions passed over (the dead)
    new_round: bool


def advance_turn(alive: Sequence[bool], round_: int, index: int) -> TurnAdvance:
    """The next living combatant after `index` in initiative order; passing the end starts a new round.

    Round 0 means initiative is still being gathered: the first advance starts round 1 at the top.
    """
    if not any(alive):
        raise InvalidInput("Nobody is left standing in this fight; the DM can end it.")
    position, current_round = (-1, 1) if round_ == 0 else (index, round_)
    skipped: list[int] = []
    new_round = round_ == 0
    while True:
        position += 1
        if position >= len(alive):
            position, current_round, new_round = 0, current_round + 1, True
        if alive[position]:
            return TurnAdvance(current_round, position, tuple(skipped), new_round)
        skipped.append(position)


def back_turn(takes_turn: Sequence[bool], round_: int, index: int) -> TurnAdvance:
    """The previous combatant that takes a turn before `index`; passing the top goes back a round.

    Nothing is undone (damage, conditions and effects stay as they are): the DM only moves the pointer.
    """
    if round_ == 0:
        raise InvalidInput("The fight hasn't started: there is no previous turn.")
    if not any(takes_turn):
        raise InvalidInput("Nobody in this fight takes a turn now.")
    position, current_round = index, round_
    while True:
        position -= 1
        if position < 0:
            if current_round == 1:
                raise InvalidInput("This is the first turn of the fight: there is no previous one.")
            position, current_round = len(takes_turn) - 1, current_round - 1
        if takes_turn[position]:
            return TurnAdvance(current_round, position, (), current_round != round_)


def turn_takers(alive: Sequence[bool], held: Sequence[bool], groups: Sequence[str | None]) -> list[bool]:
    """Who gets a turn of their own: the living who aren't holding theirs, and of a group (a pack of wolves
    on one initiative) only its first living member, whose turn is the whole group's."""
    seen: set[str] = set()
    takers = []
    for up, holding, group in zip(alive, held, groups, strict=True):
        first_of_group = group is None or group not in seen
        if up and group is not None:
            seen.add(group)
        takers.append(up and not holding and first_of_group)
    return takers


def place_at(slots: Sequence[InitiativeSlot], moving: Sequence[int], position: int) -> list[InitiativeSlot]:
    """The combatants `moving` (ids, kept in that order) put at `position` of the order counted without them
    (0 is first): they take the initiative and Dexterity of the combatant they land next to, and the roll-offs
    of that tie are renumbered so the order sorts back exactly as asked."""
    order = [s for s in initiative_order(slots) if s.id not in moving]
    by_id = {s.id: s for s in slots}
    movers = [by_id[i] for i in moving]
    position = max(0, min(position, len(order)))
    if order:
        neighbour = order[position] if position < len(order) else order[-1]
        movers = [replace(m, initiative=neighbour.initiative, dex=neighbour.dex) for m in movers]
    order[position:position] = movers
    tie = [s for s in order if (s.initiative, s.dex) == (movers[0].initiative, movers[0].dex)]
    renumbered = {s.id: replace(s, tiebreak=len(tie) - i) for i, s in enumerate(tie)}
    return [renumbered.get(s.id, s) for s in order]


# --- Experience -----------------------------------------------------------------------------------


def xp_share(total: int, survivors: int) -> int:
    """Each surviving party member's equal share, rounded down (nobody alive: nobody gets any)."""
    return total // survivors if survivors > 0 else 0


# --- Monster actions ------------------------------------------------------------------------------


def attack_actions(monster: Monster) -> list[MonsterAction]:
    return [a for a in monster.actions if a.attack_bonus is not None and (a.damage or a.damage_one_of)]


def multiattack_steps(monster: Monster, action: MonsterAction) -> list[tuple[MonsterAction | None, str, int]]:
    """The first routine of a Multiattack as (attack action or None, its name, how many times).

    A step that isn't a weapon attack (a dragon's Frightful Presence) comes back with None: the DM runs it.
    A variable count (a hydra's heads) uses the routine's stated maximum, else one.
    """
    if not action.multiattack_options:
        return []
    steps: list[tuple[MonsterAction | None, str, int]] = []
    for step in action.multiattack_options[0]:
        found = next((a for a in monster.actions if a.name.casefold() == step.action.casefold()), None)
        usable = found if found is not None and found.attack_bonus is not None else None
        steps.append((usable, step.action, step.count or action.multiattack_count or 1))
    return steps


def pick_action(monster: Monster) -> MonsterAction | None:
    """For auto mode: the Multiattack if it includes attacks, else the attack with the best average damage."""
    multi = next(
        (a for a in monster.actions if a.multiattack and any(s[0] for s in multiattack_steps(monster, a))), None
    )
    if multi is not None:
        return multi
    attacks = attack_actions(monster)
    if not attacks:
        return None
    return max(attacks, key=lambda a: sum(average_damage(d.dice) for d in (a.damage or a.damage_one_of[:1])))


def average_damage(expression: str) -> float:
    """Expected value of a simple `NdM+K` expression (for choosing the strongest attack)."""
    total = 0.0
    for count, size in DICE_TERM.findall(expression):
        total += int(count or 1) * (int(size) + 1) / 2
    flat = DICE_TERM.sub("", expression.replace(" ", ""))
    for sign, number in re.findall(r"([+-])(\d+)", flat):
        total += int(number) if sign == "+" else -int(number)
    return total
