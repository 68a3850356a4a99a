"""The plain values of combat: how a caller names a fight, the errors only combat raises, and the frozen
results every change returns (`TrackerState` is what the one tracker message of a fight shows)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from bot.engine import combat_rules as cr
from bot.engine.death import TurnDeathSave
from bot.engine.dice import RollOutcome
from bot.engine.effects import Effect
from bot.errors import InvalidInput, NotFound

if TYPE_CHECKING:  # cast_results builds on this module's reports
    from bot.engine.combat.cast_results import CastReport

TurnKey = tuple[int, int]  # (round, id of the combatant whose turn it is; 0 before round 1)
NO_FIGHT = "No fight is running in this channel; the DM starts one."


@dataclass(frozen=True)
class InChannel:
    """The fight running in a channel (what `/combat ...` commands mean), resolved inside the transaction."""

    channel_id: int


@dataclass(frozen=True)
class OfCampaign:
    """The fight running in a campaign (what the DM's damage and healing mean), resolved in the transaction."""

    campaign_id: int


CombatRef = int | InChannel | OfCampaign  # a fight by id, or the running one of a channel or campaign


class TurnMoved(InvalidInput):
    """The turn the caller meant to end has already ended (a second `/combat next` at the same moment)."""


class NoFight(NotFound):
    """No fight is running in the channel named (a free `/attack` roll there is not an attack in a fight)."""

    def __init__(self) -> None:
        super().__init__(NO_FIGHT)


# --- Plain results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackerEntry:
    id: int
    name: str
    kind: cr.Kind
    initiative: int
    owner_id: int | None
    current: bool
    state: cr.LifeState
    health: str  # words: unhurt, hurt, bloodied, near death, dead (and dying/stable for characters)
    hp: int | None  # None: hidden (a monster's, for players)
    hp_max: int | None
    temp_hp: int
    ac: int | None  # None: hidden
    conditions: tuple[str, ...]  # "poisoned (2 rounds)"
    death_saves: tuple[int, int] | None  # (successes, failures) for a character at 0 HP
    effects: tuple[str, ...] = ()  # "Bless (3 rounds, concentration: Lia)"
    held: bool = False  # holding (delaying) its turn
    group: str | None = None  # the group it acts with (one entry in the order)
    legendary: tuple[int, int] | None = None  # (legendary actions left, per round)
    spent: tuple[str, ...] = ()  # its actions waiting for a recharge or a rest (the DM's view only)
    reaction_used: bool = False


@dataclass(frozen=True)
class TrackerState:
    combat_id: int
    campaign_id: int
    channel_id: int
    status: str
    round: int
    version: int
    entries: tuple[TrackerEntry, ...]
    for_dm: bool
    tracker_channel_id: int | None = None
    tracker_message_id: int | None = None
    sunlight: bool = False

    @property
    def current(self) -> TrackerEntry | None:
        return next((e for e in self.entries if e.current), None)

    @property
    def turn_key(self) -> TurnKey:
        current = self.current
        return (self.round, current.id if current else 0)

    def public(self) -> TrackerState:
        """What players may see: monsters' health in words only, nobody's AC."""
        if not self.for_dm:
            return self
        hidden = tuple(
            replace(e, ac=None, hp=None, hp_max=None, spent=()) if e.kind == "monster" else replace(e, ac=None)
            for e in self.entries
        )
        return replace(self, entries=hidden, for_dm=False)


@dataclass(frozen=True)
class Joined:
    state: TrackerState
    name: str
    initiative: RollOutcome
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class MonstersAdded:
    state: TrackerState
    monster: str
    names: tuple[str, ...]
    hp: tuple[int, ...]
    initiatives: tuple[int, ...]


@dataclass(frozen=True)
class TurnChange:
    state: TrackerState
    previous: str | None
    current: TrackerEntry
    round: int
    new_round: bool
    skipped: tuple[str, ...]
    expired: tuple[str, ...]  # "Goblin 1: poisoned"
    ping_user_id: int | None  # the player whose turn it is now (None for a monster)
    death_saves: tuple[TurnDeathSave, ...] = ()  # rolled by the engine as a dying character's turn started
    notes: tuple[str, ...] = ()  # what the turn's start did: recharges, legendary actions back, regeneration
    rolls: tuple[RollOutcome, ...] = ()  # the dice it rolled (a recharge's d6)
    saves: tuple[str, ...] = ()  # end-of-turn saves against a spell: "Bandit: Hold Person: WIS save DC 13: ..."


@dataclass(frozen=True)
class EffectChange:
    state: TrackerState
    target: str
    added: Effect | None  # None: removed
    ended: tuple[str, ...]  # "Goblin: Bless" (removed, or ended with a caster's concentration)


@dataclass(frozen=True)
class DamageReport:
    target: str
    kind: cr.Kind
    owner_id: int | None
    parts: tuple[cr.DamageTaken, ...]
    total: int
    hp_before: int
    hp_after: int
    hp_max: int
    temp_after: int
    state: cr.LifeState
    health: str
    dropped: bool = False  # fell to 0 HP
    failures_added: int = 0
    instant_death: bool = False
    death_saves: tuple[int, int] | None = None
    tracker: TrackerState | None = None  # the fight after the change, when it was made in one
    concentration_ended: tuple[str, ...] = ()  # "Goblin: Bless": its caster dropped
    notes: tuple[str, ...] = ()  # what its traits did: Undead Fortitude, a damage threshold
    trait_rolls: tuple[RollOutcome, ...] = ()  # the dice they rolled (Undead Fortitude's save)
    concentration_save: SaveRoll | None = None  # a concentrating creature's CON save against the damage

    @property
    def healed(self) -> int:
        return max(0, self.hp_after - self.hp_before)


@dataclass(frozen=True)
class SaveRoll:
    ability: str
    dc: int
    roll: RollOutcome | None  # None: failed automatically (paralysed: Str and Dex saves)
    success: bool
    bonus_rolls: tuple[tuple[str, RollOutcome, int], ...] = ()  # effects' dice: (Bless, the roll, +1/-1)
    note: str = ""  # Legendary Resistance turned a failure into a success

    @property
    def total(self) -> int:
        return (self.roll.total if self.roll else 0) + sum(sign * r.total for _, r, sign in self.bonus_rolls)


@dataclass(frozen=True)
class AttackReport:
    combat_id: int
    attacker: str
    attacker_kind: cr.Kind
    target: str
    action: str
    kind: Literal["attack", "save"]
    roll: RollOutcome | None  # the attack roll (None for a save action)
    to_hit: int | None
    ac: int | None
    hit: bool  # for a save action: the target failed (full damage)
    critical: bool
    reason: str
    save: SaveRoll | None
    damage_rolls: tuple[RollOutcome, ...]
    damage: DamageReport | None
    reasons: tuple[str, ...] = ()  # where advantage/disadvantage came from
    note: str = ""  # what the attack used up: "19 pieces of ammunition left"
    version: int = 0
    state: TrackerState | None = None  # the tracker after this attack
    bonus_rolls: tuple[tuple[str, RollOutcome, int], ...] = ()  # effects' dice on the attack roll
    notes: tuple[str, ...] = ()  # what traits did to it (a parry)

    @property
    def attack_total(self) -> int:
        """The attack roll with the effects' dice (Bless: +1d4)."""
        return (self.roll.total if self.roll else 0) + sum(sign * r.total for _, r, sign in self.bonus_rolls)

    @property
    def outcomes(self) -> tuple[RollOutcome, ...]:
        first: tuple[RollOutcome, ...] = (self.roll,) if self.roll else ()
        bonus = tuple(r for _, r, _ in self.bonus_rolls)
        saved: tuple[RollOutcome, ...] = (self.save.roll,) if self.save and self.save.roll else ()
        saved += tuple(r for _, r, _ in self.save.bonus_rolls) if self.save else ()
        traits = self.damage.trait_rolls if self.damage else ()
        return first + bonus + saved + self.damage_rolls + traits


@dataclass(frozen=True)
class MonsterTurn:
    monster: str
    action: str
    reports: tuple[AttackReport, ...]
    notes: tuple[str, ...]
    state: TrackerState
    chosen_by: Literal["engine", "narrator"] = "engine"
    casts: tuple[CastReport, ...] = ()  # a spellcaster's spell, cast in auto mode


@dataclass(frozen=True)
class MonsterPlan:
    monster: str
    action: str
    target: str


@dataclass(frozen=True)
class MonsterOptions:
    """What the monster whose turn it is may do in auto mode, for the narrator to choose from."""

    campaign_id: int
    monster: str
    monster_kind: str  # the SRD monster, e.g. "Goblin"
    hp: str  # "5/7"
    actions: tuple[str, ...]
    targets: tuple[str, ...]
    target_lines: tuple[str, ...]  # "Tordek: 12/13 HP, AC 18"


@dataclass(frozen=True)
class Reward:
    name: str
    owner_id: int
    xp: int  # the new total
    can_level_up: bool


@dataclass(frozen=True)
class CombatEnd:
    state: TrackerState
    defeated: tuple[str, ...]
    xp_total: int
    share: int
    rewards: tuple[Reward, ...]
    recovered: tuple[str, ...] = ()  # "Tordek recovers 3 × Arrow": ammunition and thrown weapons picked up
