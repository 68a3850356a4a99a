"""`CombatService`: the one door to combat. It builds the parts (each a module of this package) and hands
out their operations; every change is one transaction that locks the combat row first (see `loading`).

- reading and authorising: `loading.Fights`     - starting, joining, leaving, ending: `lifecycle.Lifecycle`
- ending turns: `order.TurnOrder`               - attacks and saves: `attacks.Attacks`
- monsters' actions and auto mode: `monsters.MonsterActions`
- the DM's damage, healing and conditions: `corrections.Corrections`
- going back, skipping and holding turns: `order.TurnOrder`; moving, readying, rerolling: `placing.Placing`
- generic combatants and lair actions: `extras.Extras`; timed effects: `timed_effects.TimedEffects`
- monsters as written: `legendary.Legendary`, `areas` (several targets), `reactions.Reactions` (opportunity
  attacks), `resources` (what each has spent), `turn_start` (recharge, regeneration), `traits` (their hooks)
- spells (`/cast`), in a fight and outside one: `casts.Casts`
"""

from __future__ import annotations

from functools import partial

from bot.data.srd import SRD
from bot.engine.characters import CharacterService
from bot.engine.checks import CheckService
from bot.engine.combat import saves
from bot.engine.combat.attacks import Attacks
from bot.engine.combat.casts import Casts
from bot.engine.combat.corrections import Corrections
from bot.engine.combat.extras import Extras
from bot.engine.combat.lifecycle import Lifecycle
from bot.engine.combat.loading import CampaignDMLookup, Clock, Fights, now
from bot.engine.combat.monsters import MonsterActions
from bot.engine.combat.order import TurnOrder
from bot.engine.combat.placing import Placing
from bot.engine.combat.reactions import Reactions
from bot.engine.combat.timed_effects import TimedEffects
from bot.engine.dice import Dice
from bot.engine.features.service import FeatureService
from bot.engine.homebrew import HomebrewMonsters
from persistence.db import Database


class CombatService:
    """Fights of campaigns. Each operation below is its part's method, named as callers have always used it."""

    def __init__(
        self,
        db: Database,
        dice: Dice,
        characters: CharacterService,
        checks: CheckService,
        *,
        campaign_dm: CampaignDMLookup | None = None,
        clock: Clock = now,
        homebrew: HomebrewMonsters | None = None,
    ) -> None:
        fights = Fights(db, dice, characters, checks, campaign_dm=campaign_dm, clock=clock, homebrew=homebrew)
        self.characters: CharacterService = characters
        self.srd: SRD = fights.srd
        self._reading(fights)
        self._lifecycle(Lifecycle(fights))
        self._order(TurnOrder(fights), Placing(fights))
        extras = Extras(fights)
        self.add_generic = extras.add_generic
        self.add_lair = extras.add_lair
        timed_effects = TimedEffects(fights)
        self.add_effect = timed_effects.add_effect
        self.remove_effect = timed_effects.remove_effect
        attacks = Attacks(fights)
        self.attack = attacks.attack
        self.player_attack = attacks.player_attack
        self.player_attacks = attacks.player_attacks
        casts = Casts(fights)
        self._monsters(MonsterActions(fights, attacks, casts))
        self.opportunity = Reactions(fights, attacks).opportunity
        self.set_sunlight = extras.set_sunlight
        self._corrections(Corrections(fights))
        self.cast = casts.cast
        self.cast_outside = casts.cast_outside
        self.cast_with = casts.cast_with  # in a transaction the caller holds (the narrator's round)
        self.outside_with = casts.outside_with
        self.spell = casts.spell
        self.castable = casts.castable
        self.monster_spells = casts.monster_spells
        self.concentration_outside = partial(saves.concentration_outside, fights)  # damage away from a fight
        self.features = FeatureService(characters, fights)  # /feature use: on the sheet, or in the fight

    def _reading(self, fights: Fights) -> None:
        self.active_in_channel = fights.active_in_channel
        self.active_for_campaign = fights.active_for_campaign
        self.status = fights.status
        self.view = fights.view
        self.turn_key = fights.turn_key
        self.target_names = fights.target_names

    def _lifecycle(self, lifecycle: Lifecycle) -> None:
        self.start = lifecycle.start
        self.start_in = lifecycle.start_in
        self.set_tracker_message = lifecycle.set_tracker_message
        self.add_monsters = lifecycle.add_monsters
        self.join = lifecycle.join
        self.remove = lifecycle.remove
        self.end = lifecycle.end

    def _order(self, order: TurnOrder, placing: Placing) -> None:
        self.next_turn = order.next_turn
        self.previous_turn = order.previous_turn
        self.skip = order.skip
        self.delay = order.delay
        self.move = placing.move
        self.ready = placing.ready
        self.reroll = placing.reroll

    def _monsters(self, monsters: MonsterActions) -> None:
        self.monster_act = monsters.monster_act
        self.run_monster_turn = monsters.run_monster_turn
        self.monster_options = monsters.monster_options
        self.choose_monster_action = monsters.choose_monster_action
        self.action_names = monsters.action_names

    def _corrections(self, corrections: Corrections) -> None:
        self.damage = corrections.damage
        self.heal = corrections.heal
        self.set_condition = corrections.set_condition
