"""`/feature use` and the custom counters: a feature spent on the sheet, and in a fight what it does there
(Rage's effect, Action Surge's action, Flurry of Blows' strikes, Second Wind's and Lay on Hands' healing,
Bardic Inspiration's die on an ally, Wild Shape's beast). One transaction each: the fight's when the
character is in one in this channel, else the sheet's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import combat_rules as cr
from bot.engine import effects, hit_points
from bot.engine.characters import CharacterRef, CharacterService, Pending
from bot.engine.class_levels import level_in
from bot.engine.combat import hit_points as fight_hp
from bot.engine.combat import lookups, powers, resources, saves, wild_shape
from bot.engine.combat.fight import Fight, character_id, condition_json
from bot.engine.combat.loading import Fights
from bot.engine.combat.results import TrackerState
from bot.engine.dice import RollOutcome
from bot.engine.features import rules
from bot.engine.features import uses as feature_uses
from bot.engine.features.data import BONUS_ACTIONS, UNLIMITED
from bot.engine.features.uses import Uses
from bot.engine.sheet import Actor, Sheet, write_back
from bot.errors import InvalidInput, NotFound
from persistence.models import Combatant

BARDIC_ROUNDS = 100  # ten minutes
REVERT_WORDS = ("end", "revert", "back", "none")  # `/feature use name:Wild Shape target:end` changes back
# Features used through a command that spend another's points, or nothing: (name, class, level, spends, amount)
ACTIONS: dict[str, tuple[str, str, int, str | None, int]] = {
    "reckless-attack": ("Reckless Attack", "barbarian", 2, None, 0),
    "flurry-of-blows": ("Flurry of Blows", "monk", 2, "ki", 1),
    "uncanny-dodge": ("Uncanny Dodge", "rogue", 5, None, 0),
    "frenzy": ("Frenzy", "barbarian", 3, None, 0),
}


@dataclass(frozen=True)
class FeatureUse:
    character: str
    feature: str
    uses: Uses | None  # what is left (None: a feature with no uses of its own)
    lines: tuple[str, ...]
    rolls: tuple[RollOutcome, ...] = ()
    state: TrackerState | None = None  # the fight after it, when used in one (the tracker shows Rage at once)


@dataclass
class _Use:
    """One use being applied: the sheet as it changes, what to say, the dice, and the fight if in one."""

    sheet: Sheet
    lines: list[str]
    rolls: list[RollOutcome]
    fight: Fight | None = None
    row: Combatant | None = None
    dm: bool = False  # the campaign's DM acts for the character, on any turn


class FeatureService:
    def __init__(self, characters: CharacterService, fights: Fights) -> None:
        self.characters = characters
        self.fights = fights

    async def names(self, actor: Actor, text: str) -> list[str]:
        """Autocomplete: the active character's features with uses left, and those used by a command."""
        try:
            sheet = await self.characters.get(actor)
        except NotFound:
            return []
        needle = text.casefold().strip()
        extra = [name for name, klass, level, *_ in ACTIONS.values() if level_in(sheet, klass) >= level]
        found = feature_uses.names(sheet, text) + [n for n in extra if needle in n.casefold()]
        return found[:25]

    async def use(
        self, actor: Actor, channel_id: int | None, name: str, amount: int = 1, target: str | None = None
    ) -> FeatureUse:
        combat = await self.fights.active_in_channel(channel_id)
        if combat is not None:
            used = await self._in_fight(actor, combat, name, amount, target)
            if used is not None:
                return used

        async def apply(_: AsyncSession, sheet: Sheet, pending: Pending) -> tuple[Sheet, FeatureUse]:
            use = _Use(sheet, [], [])
            result = self._apply(use, name, amount, target)
            pending.rolls.extend(use.rolls)
            return use.sheet, result

        return await self.characters.change(actor, CharacterRef(), apply)

    async def _in_fight(
        self, actor: Actor, combat: int, name: str, amount: int, target: str | None
    ) -> FeatureUse | None:
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            mine = [r for r in fight.rows if r.kind == "character" and r.owner_id == actor.user_id]
            if not mine:
                return None  # not in this fight: the sheet alone
            current = fight.current()
            row = current if current in mine else mine[0]
            self.fights.check_owns(actor, fight, row)
            character = fight.characters[character_id(row)]
            use = _Use(fight.sheet(row), [], [], fight, row, fight.is_dm(actor))
            bonus = _feature_key(name) in BONUS_ACTIONS  # one bonus action, on its own turn (the DM may step in)
            if bonus:
                _on_own_turn(use, _shown_name(name))
            bonus = bonus and current is row
            if bonus and (taken := powers.turn(fight, row).get("bonus_action")):
                raise InvalidInput(
                    f"{use.sheet.name} has taken this turn's bonus action ({taken}): one a turn, by the SRD. "
                    "It comes back on the next turn."
                )
            result = self._apply(use, name, amount, target)
            if bonus:
                powers.put_turn(fight, row, {**powers.turn(fight, row), "bonus_action": result.feature})
            write_back(character, use.sheet)
            fight.combat.version += 1
            self.fights.log(session, actor, use.rolls)
            return replace(result, state=self.fights.state(fight, for_dm=False))

    def on_sheet(self, sheet: Sheet, name: str, amount: int = 1) -> tuple[Sheet, FeatureUse]:
        """A feature spent on a sheet outside a fight (the narrator's `use_feature`): the sheet and what it did."""
        use = _Use(sheet, [], [])
        result = self._apply(use, name, amount, None)
        return use.sheet, result

    def _apply(self, use: _Use, name: str, amount: int, target: str | None) -> FeatureUse:
        key = _feature_key(name)
        action = ACTIONS.get(key) or next((a for a in ACTIONS.values() if a[0].casefold() == name.casefold()), None)
        if action is not None:
            return self._action(use, action)
        if key == "wild-shape" and (target or "").casefold().strip() in REVERT_WORDS:
            return self._revert(use)
        use.sheet, left = feature_uses.spend(use.sheet, name, amount)
        effect = EFFECTS.get(left.key)
        if effect is not None:
            effect(self, use, left, amount, target)
        else:
            use.lines.append(_spent_line(use.sheet, left, amount))
        return FeatureUse(use.sheet.name, left.name, left, tuple(use.lines), tuple(use.rolls))

    def _action(self, use: _Use, action: tuple[str, str, int, str | None, int]) -> FeatureUse:
        name, klass, level, spends, cost = action
        if level_in(use.sheet, klass) < level:
            raise InvalidInput(f"{name} is a {klass}'s feature from level {level}.")
        fight, row = _require_fight(use, name)
        if name == "Uncanny Dodge":
            return self._uncanny_dodge(use, fight, row)
        _on_own_turn(use, name)
        left = None
        if spends:
            use.sheet, left = feature_uses.spend(use.sheet, spends, cost)
        if name == "Frenzy":
            if use.sheet.subclass != "berserker" or not rules.raging(effects.load(row.effects)):
                raise InvalidInput("Frenzy is a raging Berserker's: `/feature use name:Rage` first.")
            state = powers.turn(fight, row)
            powers.put_turn(fight, row, {**state, "bonus": int(state["bonus"]) + 1})
            use.lines.append(f"🪓 {use.sheet.name} frenzies: one more melee attack this turn (a bonus action).")
        elif name == "Reckless Attack":
            _add_effect(row, effects.timed(rules.reckless_effect(), 1, on=row.name_key, phase="start", caster=None))
            use.lines.append(
                f"Reckless Attack: {use.sheet.name} has advantage on attacks this turn, and attacks against "
                f"{use.sheet.name} have advantage until the next turn."
            )
        else:  # Flurry of Blows
            state = powers.turn(fight, row)
            powers.put_turn(fight, row, {**state, "bonus": int(state["bonus"]) + 2})
            use.lines.append(
                f"{use.sheet.name} spends 1 ki on Flurry of Blows: two more unarmed strikes this turn "
                f"(`/attack weapon:unarmed`). Ki left: {left.left if left else 0}/{left.maximum if left else 0}."
            )
        return FeatureUse(use.sheet.name, name, left, tuple(use.lines), tuple(use.rolls))

    def _uncanny_dodge(self, use: _Use, fight: Fight, row: Combatant) -> FeatureUse:
        """A reaction to the attack that just hit: its damage halved (the other half given back)."""
        if resources.reaction_spent(row):
            raise InvalidInput(f"{row.name} has used its reaction this round; it comes back at the start of its turn.")
        hit = int(powers.turn(fight, row).get("hit", 0))
        if not hit:
            raise InvalidInput(f"No attack has hit {row.name} this turn: Uncanny Dodge halves one that just did.")
        back = hit - hit // 2
        use.sheet = hit_points.healed(use.sheet, back) if use.sheet.death_failures < 3 else use.sheet
        resources.put(row, reaction=True)
        powers.put_turn(fight, row, {**powers.turn(fight, row), "hit": 0})
        use.lines.append(
            f"🤸 Uncanny Dodge: {hit} damage halved to {hit // 2}; {use.sheet.name} at "
            f"{use.sheet.hp_current}/{use.sheet.hp_max} HP (reaction used)."
        )
        return FeatureUse(use.sheet.name, "Uncanny Dodge", None, tuple(use.lines), ())

    # What each feature does once spent ---------------------------------------------------------------

    def _rage(self, use: _Use, left: Uses, _: int, __: str | None) -> None:
        bonus = rules.rage_damage(use.sheet)
        rage = effects.timed(rules.rage_effect(), rules.RAGE_ROUNDS, on=_key(use), phase="end", caster=None)
        if use.row is not None:
            _add_effect(use.row, rage)
        else:
            use.sheet = replace(use.sheet, effects=effects.added(use.sheet.effects, rage))
        use.lines.append(
            f"😤 {use.sheet.name} rages for a minute: +{bonus} damage on Strength melee hits, resistance to "
            f"bludgeoning, piercing and slashing, advantage on Strength checks and saves. {_left(left)}"
        )

    def _action_surge(self, use: _Use, left: Uses, _: int, __: str | None) -> None:
        fight, row = _require_fight(use, "Action Surge")
        _on_own_turn(use, "Action Surge")
        state = powers.turn(fight, row)
        powers.put_turn(fight, row, {**state, "actions": int(state["actions"]) + 1})
        most = powers.allowed(use.sheet, {**state, "actions": int(state["actions"]) + 1})
        use.lines.append(
            f"⚡ {use.sheet.name} surges: one more action this turn ({most - int(state['attacks'])} more attacks "
            f"with the attack action). {_left(left)}"
        )

    def _second_wind(self, use: _Use, left: Uses, _: int, __: str | None) -> None:
        roll = self.fights.dice.roll(rules.second_wind(use.sheet), label=f"{use.sheet.name}: Second Wind")
        use.rolls.append(roll)
        self._heal(use, None, roll.total)
        use.lines.append(
            f"💨 Second Wind: {roll.breakdown} → {use.sheet.name} at {use.sheet.hp_current}/{use.sheet.hp_max} HP. "
            f"{_left(left)}"
        )

    def _lay_on_hands(self, use: _Use, left: Uses, amount: int, target: str | None) -> None:
        who = self._heal(use, target, amount)
        use.lines.append(f"🙌 Lay on Hands: {amount} HP to {who}. {_left(left)}")

    def _bardic(self, use: _Use, left: Uses, _: int, target: str | None) -> None:
        die = f"1d{rules.bardic_die(use.sheet)}"
        if use.fight is not None and target:
            row = use.fight.find(target)
            inspired = effects.make(rules.BARDIC, attack=die, save=die, check=die)
            _add_effect(row, effects.timed(inspired, BARDIC_ROUNDS, on=row.name_key, phase="end", caster=None))
            who = row.name
        else:
            who = target or "an ally"
        use.lines.append(
            f"🎵 {use.sheet.name} inspires {who}: +{die} on attacks, checks and saves for 10 minutes "
            f"(gone once added to an attack; on a check or save the DM removes it). {_left(left)}"
        )

    def _wild_shape(self, use: _Use, left: Uses, _: int, target: str | None) -> None:
        if not target:
            raise InvalidInput("Name the beast: `/feature use name:Wild Shape target:wolf`.")
        beast = lookups.monster(self.fights.srd, target)
        wild_shape.check_beast(use.sheet, beast)
        if use.row is not None:
            wild_shape.start(use.row, beast)
            attacks = ", ".join(a.name for a in beast.actions if a.attack_bonus is not None)
            use.lines.append(
                f"🐺 {use.sheet.name} becomes a {beast.name}: AC {beast.armor_class[0].value}, {beast.hp} HP of its "
                f"own; attacks: {attacks}. At 0 HP {use.sheet.name} changes back. {_left(left)}"
            )
        else:
            use.lines.append(f"🐺 {use.sheet.name} becomes a {beast.name} ({beast.hp} HP of its own). {_left(left)}")

    def _channel_divinity(self, use: _Use, left: Uses, _: int, target: str | None) -> None:
        """Turn Undead (the default), or a Life cleric's Preserve Life on a named creature."""
        if target and target.casefold().strip() != "turn undead":
            if use.sheet.subclass != "life":
                raise InvalidInput(
                    "Channel Divinity here is Turn Undead (`target:Turn Undead`); Life clerics add Preserve Life."
                )
            self._preserve_life(use, target)
        else:
            self._turn_undead(use)
        use.lines.append(_left(left))

    def _turn_undead(self, use: _Use) -> None:
        fight, _ = _require_fight(use, "Turn Undead")
        stats = self.fights.characters.stats(use.sheet)
        dc = stats.spellcasting.save_dc if stats.spellcasting else 8 + stats.proficiency_bonus
        destroy = rules.destroy_undead_cr(use.sheet)
        results = []
        for row in fight.rows:
            if row.kind != "monster" or row.dead or self.fights.monster_of(row).type != "undead":
                continue
            creature = self.fights.creature(fight, row)
            save = saves.saving_throw(self.fights, creature, "wis", dc)
            use.rolls.extend([save.roll] if save.roll else [])
            if save.success:
                results.append(f"{row.name} saves ({save.total})")
            elif destroy is not None and self.fights.monster_of(row).cr <= destroy:
                row.hp, row.dead = 0, True
                results.append(f"{row.name} fails ({save.total}) and is destroyed")
            else:
                turned = cr.TimedCondition("frightened", rules.TURNED_ROUNDS, "end", 1)
                row.conditions = [*row.conditions, condition_json(turned)]
                results.append(f"{row.name} fails ({save.total}) and is turned for a minute (frightened)")
        found = "; ".join(results) or "no undead in the fight"
        use.lines.append(f"☀️ Turn Undead by {use.sheet.name}, Wisdom save DC {dc}: {found}.")

    def _preserve_life(self, use: _Use, target: str) -> None:
        """5 × cleric level HP, on one creature here, never past half its maximum."""
        budget = 5 * level_in(use.sheet, "cleric")
        if use.fight is not None:
            row = use.fight.find(target)
            if row.kind != "character":
                raise InvalidInput("Preserve Life heals the party's characters; name one.")
            sheet = use.fight.sheet(row) if row is not use.row else use.sheet
        elif target.casefold() == use.sheet.name.casefold():
            sheet = use.sheet
        else:
            raise InvalidInput("Outside a fight Preserve Life heals its own cleric; in a fight, name anyone.")
        amount = max(0, min(budget, sheet.hp_max // 2 - sheet.hp_current))
        if amount:
            self._heal(use, target, amount)
        use.lines.append(f"🌿 Preserve Life: {amount} HP to {sheet.name} (up to half their maximum).")

    def _arcane_recovery(self, use: _Use, left: Uses, _: int, __: str | None) -> None:
        """Spell slots back, levels adding up to half the wizard level (rounded up), none of 6th level or more:
        the highest spent first."""
        budget = (level_in(use.sheet, "wizard") + 1) // 2
        current, most = list(use.sheet.slots_current), list(use.sheet.slots_max)
        back: list[int] = []
        for level in range(min(5, len(current)), 0, -1):
            while current[level - 1] < most[level - 1] and level <= budget:
                current[level - 1] += 1
                budget -= level
                back.append(level)
        use.sheet = replace(use.sheet, slots_current=tuple(current))
        got = ", ".join(f"level {n}" for n in back) or "none (no spent slots it can recover)"
        use.lines.append(f"📖 Arcane Recovery: slots back: {got}. {_left(left)}")

    def _revert(self, use: _Use) -> FeatureUse:
        """The druid changes back (a bonus action), spending nothing."""
        _, row = _require_fight(use, "Changing back from Wild Shape")
        shape = wild_shape.beast(row)
        if shape is None:
            raise InvalidInput(f"{use.sheet.name} is in their own shape.")
        wild_shape.end(row)
        use.lines.append(f"{use.sheet.name} changes back from the {shape['name']}'s shape.")
        return FeatureUse(use.sheet.name, "Wild Shape", feature_uses.find(use.sheet, "wild-shape"), tuple(use.lines))

    def _heal(self, use: _Use, target: str | None, amount: int) -> str:
        """Heal the user (or, in a fight, the target combatant); the sheet in `use` stays current."""
        if use.fight is not None and use.row is not None:
            row = use.fight.find(target) if target else use.row
            if row is use.row:
                use.sheet = hit_points.healed(use.sheet, amount)
                return use.sheet.name
            fight_hp.heal(use.fight, row, amount)
            return row.name
        if target and target.casefold() != use.sheet.name.casefold():
            raise InvalidInput("Outside a fight a feature heals its own character; in a fight, name any target.")
        use.sheet = hit_points.healed(use.sheet, amount)
        return use.sheet.name

    # Custom counters ---------------------------------------------------------------------------------

    async def add_counter(self, actor: Actor, name: str, maximum: int, reset: str) -> Sheet:
        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, Sheet]:
            new = feature_uses.add_counter(sheet, name, maximum, reset)
            return new, new

        return await self.characters.change(actor, CharacterRef(), apply)

    async def remove_counter(self, actor: Actor, name: str) -> str:
        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, str]:
            new, gone = feature_uses.remove_counter(sheet, name)
            return new, gone.name

        return await self.characters.change(actor, CharacterRef(), apply)


Effect = Callable[[FeatureService, _Use, Uses, int, "str | None"], None]
EFFECTS: dict[str, Effect] = {
    "rage": FeatureService._rage,
    "action-surge": FeatureService._action_surge,
    "second-wind": FeatureService._second_wind,
    "lay-on-hands": FeatureService._lay_on_hands,
    "bardic-inspiration": FeatureService._bardic,
    "wild-shape": FeatureService._wild_shape,
    "channel-divinity": FeatureService._channel_divinity,
    "arcane-recovery": FeatureService._arcane_recovery,
}


def _require_fight(use: _Use, name: str) -> tuple[Fight, Combatant]:
    if use.fight is None or use.row is None:
        raise InvalidInput(f"{name} is for a fight: use it on your turn in one.")
    return use.fight, use.row


def _on_own_turn(use: _Use, name: str) -> None:
    if use.fight is not None and use.fight.current() is not use.row and not use.dm:
        raise InvalidInput(f"{name} is used on {use.sheet.name}'s own turn; wait for it.")


def _add_effect(row: Combatant, effect: effects.Effect) -> None:
    row.effects = effects.dump(effects.added(effects.load(row.effects), effect))


def _key(use: _Use) -> str:
    return use.row.name_key if use.row is not None else use.sheet.name.casefold()


def _left(uses: Uses) -> str:
    if uses.maximum >= UNLIMITED:
        return f"{uses.name}: unlimited."
    return f"{uses.name} left: {uses.left}/{uses.maximum}."


def _spent_line(sheet: Sheet, uses: Uses, amount: int) -> str:
    what = f"{amount} {'point' if amount == 1 else 'points'} of " if uses.pool or amount > 1 else ""
    return f"✅ {sheet.name} uses {what}{uses.name}. {_left(uses)}"


def _shown_name(name: str) -> str:
    """A feature's name as typed, in the words the refusals use: "rage" → "Rage"."""
    return " ".join(word.capitalize() if word not in ("of", "the") else word for word in name.split())


def _feature_key(name: str) -> str:
    """ "Flurry of Blows" → "flurry-of-blows", as the features' data keys them."""
    return "-".join(name.casefold().replace("'", "").split())
