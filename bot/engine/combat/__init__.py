"""Combat: a campaign's initiative tracker, kept in the database, and everything that happens in a fight.

`CombatService` (service.py) is the one door; the names callers use are re-exported here. The parts:
results.py (plain values), fight.py (a fight inside one transaction), loading.py (reading, locking, who may
act), lifecycle.py, order.py, placing.py, extras.py (with custom.py), attacks.py, hit_points.py, monsters.py,
corrections.py, timed_effects.py, tracker.py and lookups.py. The rules themselves (pure functions) are
`bot.engine.combat_rules`; the timed-effect model is `bot.engine.effects`.
"""

from bot.engine.combat.corrections import MAX_AMOUNT, MAX_ROUNDS
from bot.engine.combat.extras import GenericSpec
from bot.engine.combat.lifecycle import MAX_AT_ONCE, MAX_COMBATANTS, Overrides
from bot.engine.combat.loading import CampaignDMLookup, Clock
from bot.engine.combat.results import (
    NO_FIGHT,
    AttackReport,
    CombatEnd,
    CombatRef,
    DamageReport,
    EffectChange,
    InChannel,
    Joined,
    MonsterOptions,
    MonsterPlan,
    MonstersAdded,
    MonsterTurn,
    NoFight,
    Reward,
    SaveRoll,
    TrackerEntry,
    TrackerState,
    TurnChange,
    TurnKey,
    TurnMoved,
)
from bot.engine.combat.service import CombatService
from bot.engine.combat.timed_effects import CustomParts

__all__ = [
    "MAX_AMOUNT",
    "MAX_AT_ONCE",
    "MAX_COMBATANTS",
    "MAX_ROUNDS",
    "NO_FIGHT",
    "AttackReport",
    "CampaignDMLookup",
    "Clock",
    "CombatEnd",
    "CombatRef",
    "CombatService",
    "CustomParts",
    "DamageReport",
    "EffectChange",
    "GenericSpec",
    "InChannel",
    "Joined",
    "MonsterOptions",
    "MonsterPlan",
    "MonsterTurn",
    "MonstersAdded",
    "NoFight",
    "Overrides",
    "Reward",
    "SaveRoll",
    "TrackerEntry",
    "TrackerState",
    "TurnChange",
    "TurnKey",
    "TurnMoved",
]
