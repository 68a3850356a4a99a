"""`/cast` as one transaction: in a fight (a character from its sheet, a monster from its stat block's
spellcasting) or outside one (the caster and the characters of its campaign, in a stand-in fight so the
same rules apply). The slot is spent here: a sheet's (a warlock's pact slots too), a monster's on its
combatant row (`spells_used`); the effects a cast leaves outside a fight are kept on the sheets.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import SRD, Monster, Spell
from bot.engine import casting, effects
from bot.engine import combat_rules as cr
from bot.engine.characters import lookup
from bot.engine.combat import monster_spells, saves
from bot.engine.combat.cast_results import CastReport
from bot.engine.combat.fight import Fight, character_stand_in
from bot.engine.combat.loading import Fights
from bot.engine.combat.results import CombatRef
from bot.engine.combat.spellcasting import Caster, Resolver
from bot.engine.homebrew import spell_label, srd_with_spells
from bot.engine.sheet import Actor, Sheet, guild_of, name_key, write_back
from bot.engine.wording import counted
from bot.errors import Forbidden, GameError, InvalidInput, NotFound
from persistence.models import Character, Combat, Combatant
from persistence.repositories import CharacterRepository, CombatRepository, PartyRepository

REACTION = "1 reaction"


class Casts:
    def __init__(self, fights: Fights) -> None:
        self.fights = fights
        self.srd = fights.srd
        self.resolver = Resolver(fights)

    def spell(self, key: str, srd: SRD | None = None) -> Spell:
        """A spell by name or index: the SRD's, or (given the SRD `srd_with_spells` made) a homebrew one."""
        srd = srd or self.srd
        return lookup(srd.spell, key, "spell", srd.search("spell", key[:4], limit=8))

    async def castable(self, actor: Actor, text: str) -> list[tuple[str, str]]:
        """Autocomplete: the active character's spells it may cast now, as (index, label)."""
        try:
            sheet = await self.fights.characters.get(actor)
        except GameError:
            return []
        async with self.fights.reads.session() as session:
            srd = await srd_with_spells(session, self.srd, actor)
        needle = text.strip().casefold()
        found = [s for s in casting.castable(sheet, srd) if needle in s.name.casefold()]
        return [(s.index, spell_label(s)) for s in found[:25]]

    async def monster_spells(self, combat: CombatRef, monster: str, text: str = "") -> list[str]:
        """Autocomplete for `/dm-combat act`: "Cast Fireball" for each spell the monster still may cast."""
        async with self.fights.reads.session() as session:
            fight = await self.fights.load(session, combat, lock=False, need_dm=False)
            row = fight.find(monster)
        if row.kind != "monster" or row.monster_index is None:
            return []
        ready = monster_spells.ready(self.srd, row, self.fights.monster_of(row))
        return [f"{casting.CAST_ACTION}{s.name}" for s, _ in ready if text.casefold() in s.name.casefold()][:25]

    # --- In a fight ------------------------------------------------------------------------------

    async def cast(
        self,
        actor: Actor,
        combat: CombatRef,
        spell_key: str,
        *,
        level: int | None = None,
        targets: Sequence[str] = (),
        ritual: bool = False,
        caster: str | None = None,
    ) -> CastReport:
        """Cast in the fight: the player's character (or, for the DM, the combatant `caster`)."""
        async with self.fights.db.transaction() as session:
            return await self.cast_with(
                session, actor, combat, spell_key, level=level, targets=targets, ritual=ritual, caster=caster
            )

    async def cast_with(
        self,
        session: AsyncSession,
        actor: Actor,
        combat: CombatRef,
        spell_key: str,
        *,
        level: int | None = None,
        targets: Sequence[str] = (),
        ritual: bool = False,
        caster: str | None = None,
    ) -> CastReport:
        """`cast` inside a transaction the caller holds (the narrator's round)."""
        srd = await srd_with_spells(session, self.srd, actor)
        spell = self.spell(spell_key, srd)
        fight = await self.fights.open(session, combat)
        row = self._caster_row(fight, actor, caster)
        if spell.casting_time == REACTION:  # Shield: on anyone's turn, by its player or the DM
            if not fight.is_dm(actor) and row.owner_id != actor.user_id:
                raise Forbidden(f"Only {row.name}'s player (or the DM) casts for {row.name}.")
        else:
            self.fights.check_may_act(actor, fight, row)
        if ritual:
            raise InvalidInput("A ritual takes 10 minutes longer to cast: not in the middle of a fight.")
        return self.cast_in(session, fight, actor, row, spell, level, targets, srd)

    def cast_in(
        self,
        session: AsyncSession,
        fight: Fight,
        actor: Actor,
        row: Combatant,
        spell: Spell,
        level: int | None,
        targets: Sequence[str],
        srd: SRD | None = None,
    ) -> CastReport:
        """The cast by `row` in a fight already open and authorised (a monster's turn in auto mode too);
        `srd` holds the guild's homebrew spells."""
        ritual = False
        self._check_can_cast(fight, row)
        creature = self.fights.creature(fight, row)
        if spell.casting_time == REACTION:
            saves.check_turn_rule(creature, effects.NO_REACTIONS, "take reactions")  # Slow
        else:
            saves.check_turn_rule(creature, effects.NO_ACTIONS, "take actions")  # Haste's lethargy
        who, slot, left = self._spend(fight, row, spell, level, ritual, srd or self.srd)
        chosen = self._targets(fight, row, spell, slot, targets)
        done = self.resolver.resolve(fight, who, spell, slot, chosen)
        fight.combat.version += 1
        report = CastReport(
            caster=row.name,
            spell=spell,
            slot=slot,
            ritual=ritual,
            outcomes=tuple(done.outcomes),
            shared_rolls=tuple(done.shared),
            slots_left=left,
            concentration_ended=done.ended,
            notes=tuple(done.notes),
            state=self.fights.state(fight, for_dm=False),
            in_fight=True,
            version=fight.combat.version,
        )
        self.fights.log(session, actor, report.rolls)
        return report

    def _caster_row(self, fight: Fight, actor: Actor, caster: str | None) -> Combatant:
        if caster:
            return fight.find(caster)
        mine = [r for r in fight.rows if r.kind == "character" and r.owner_id == actor.user_id]
        if not mine:
            raise InvalidInput("You have no character in this fight: `/combat join` first.")
        current = fight.current()
        return current if current in mine else mine[0]

    def _check_can_cast(self, fight: Fight, row: Combatant) -> None:
        creature = self.fights.creature(fight, row)
        if row.dead or (creature.sheet is not None and creature.sheet.hp_current <= 0):
            raise InvalidInput(f"{row.name} is down and can't cast.")
        blocking = cr.incapacitated_by(creature.conditions)
        if blocking:
            raise InvalidInput(f"{row.name} is {', '.join(blocking)} and can't cast.")

    def _spend(
        self, fight: Fight, row: Combatant, spell: Spell, level: int | None, ritual: bool, srd: SRD
    ) -> tuple[Caster, int | None, tuple[int, ...]]:
        if row.kind == "monster":
            return self._monster_spend(row, self.fights.monster_of(row), spell, level)
        character = fight.characters[row.character_id or 0]
        sheet = fight.sheet(row)
        who, slot, new = self._sheet_spend(row, sheet, spell, level, ritual, srd)
        write_back(character, new)
        return who, slot, new.slots_current

    def _sheet_spend(
        self, row: Combatant, sheet: Sheet, spell: Spell, level: int | None, ritual: bool, srd: SRD
    ) -> tuple[Caster, int | None, Sheet]:
        casting.find_castable(sheet, srd, spell, ritual=ritual)
        slot = casting.slot_for(sheet, spell, level, ritual=ritual)
        numbers = self.fights.characters.stats(sheet)
        spellcasting = numbers.spellcasting
        if spellcasting is None:
            raise InvalidInput(f"{sheet.name} casts no spells yet.")
        mod = numbers.modifiers[spellcasting.ability]
        who = Caster(row, spellcasting.save_dc, spellcasting.attack_bonus, mod, sheet.level)
        return who, slot, casting.spent(sheet, slot)

    def _monster_spend(
        self, row: Combatant, monster: Monster, spell: Spell, level: int | None
    ) -> tuple[Caster, int | None, tuple[int, ...]]:
        sc = monster.spellcasting
        if sc is None or spell.index not in sc.spells:
            has = ", ".join(self.srd.spell(s).name for s in sc.spells) if sc else "none"
            raise InvalidInput(f"{row.name} can't cast {spell.name}. Its spells: {has}.")
        used = dict(row.spells_used or {})
        slot: int | None = None
        if spell.index in sc.uses_per_day:
            times = sc.uses_per_day[spell.index]
            key = f"uses:{spell.index}"
            if times and used.get(key, 0) >= times:
                raise InvalidInput(f"{row.name} has used {spell.name} {times}/day already.")
            used[key] = used.get(key, 0) + 1
        elif spell.level > 0:
            slot = level or monster_spells.free_slot(sc, used, spell.level) or spell.level  # its own, else higher
            if slot < spell.level or sc.slots.get(slot, 0) == 0:
                raise InvalidInput(f"{row.name} has no level-{slot} slots for {spell.name}.")
            if used.get(str(slot), 0) >= sc.slots[slot]:
                raise InvalidInput(f"{row.name} has no level-{slot} slots left.")
            used[str(slot)] = used.get(str(slot), 0) + 1
        row.spells_used = used
        left = tuple(sc.slots.get(n, 0) - used.get(str(n), 0) for n in range(1, 10))
        dc = sc.dc or 10
        attack = sc.attack_bonus if sc.attack_bonus is not None else dc - 8
        who = Caster(row, dc, attack, monster.modifier(sc.ability), sc.level or 1)
        return who, slot, left

    def _targets(
        self, fight: Fight, caster: Combatant, spell: Spell, slot: int | None, names: Sequence[str]
    ) -> list[Combatant]:
        found: list[Combatant] = []
        for name in names:
            row = fight.find(name)
            if (row.dead or not fight.alive(row)) and spell.index != "revivify":
                raise InvalidInput(f"{row.name} is dead; pick a living target.")
            if row not in found:
                found.append(row)
        most = casting.max_targets(spell, slot)
        if len(found) > most:
            raise InvalidInput(f"{spell.name} at this level takes at most {counted(most, 'target')}.")
        if not found and casting.needs_target(spell) and not spell.heal_at_slot_level:
            raise InvalidInput(f"Name the {'targets' if most > 1 else 'target'} of {spell.name}: `targets:Goblin 1`.")
        return found

    # --- Outside a fight -------------------------------------------------------------------------

    async def cast_outside(
        self,
        actor: Actor,
        spell_key: str,
        *,
        level: int | None = None,
        targets: Sequence[str] = (),
        ritual: bool = False,
    ) -> CastReport:
        """Cast with the active character away from any fight: on itself or its campaign's characters
        (healing, Bless, Mage Armor ...); a damage spell's dice are rolled for the DM to apply."""
        async with self.fights.db.transaction() as session:
            me = await CharacterRepository(session).active(guild_of(actor), actor.user_id, lock=True)
            if me is None:
                raise NotFound("You have no active character: `/character create` first.")
            others = await self._party(session, me, targets)
            party = await PartyRepository(session).members(me.campaign_id, lock=True) if me.campaign_id else []
            on_self = any(name_key(t) == me.name_key for t in targets)
            return await self.outside_with(
                session, actor, me, others, spell_key, level=level, ritual=ritual, on_self=on_self, bystanders=party
            )

    async def outside_with(
        self,
        session: AsyncSession,
        actor: Actor,
        me: Character,
        others: Sequence[Character],
        spell_key: str,
        *,
        level: int | None = None,
        ritual: bool = False,
        on_self: bool = False,
        bystanders: Sequence[Character] = (),
    ) -> CastReport:
        """A cast outside a fight by `me` on `others` (rows the caller has locked), or on itself;
        `bystanders` (the rest of the party) lose what `me`'s old concentration held on them."""
        srd = await srd_with_spells(session, self.srd, actor)
        spell = self.spell(spell_key, srd)
        if others and casting.harmful(spell):
            raise InvalidInput(
                f"Outside a fight {spell.name} at another character is the DM's to rule: the DM starts a fight."
            )
        rows = [me, *others, *(b for b in bystanders if b is not me and b not in others)]
        before = [list(c.effects or []) for c in rows]
        stand_ins = [_stand_in(c) for c in rows]
        fight = Fight(Combat(id=0, round=0, turn_index=0), stand_ins, {c.id: c for c in rows}, None, fights=self.fights)
        who, slot, new = self._sheet_spend(stand_ins[0], fight.sheet(stand_ins[0]), spell, level, ritual, srd)
        write_back(me, new)
        helps = not (spell.damage_at_slot_level or spell.damage_at_character_level)
        chosen = ([stand_ins[0]] if on_self else []) + stand_ins[1 : 1 + len(others)]
        chosen = chosen or ([stand_ins[0]] if helps else [])
        if not chosen and casting.needs_target(spell) and not spell.heal_at_slot_level:
            me.effects = list(stand_ins[0].effects or [])
            return self._dice_only(actor, session, who, spell, slot, ritual, new)
        if len(chosen) > casting.max_targets(spell, slot):
            raise InvalidInput(f"{spell.name} at this level takes at most {casting.max_targets(spell, slot)} targets.")
        done = self.resolver.resolve(fight, who, spell, slot, chosen)
        for character, stand_in, old in zip(rows, stand_ins, before, strict=True):
            character.effects = list(stand_in.effects or [])  # what the cast left on them, kept on the sheet
            if character is not me and character.effects != old:
                character.version += 1  # a new version, so that cached sheets are read again
        report = CastReport(
            caster=me.name,
            spell=spell,
            slot=slot,
            ritual=ritual,
            outcomes=tuple(done.outcomes),
            shared_rolls=tuple(done.shared),
            slots_left=tuple(me.slots_current),
            concentration_ended=done.ended,
            notes=tuple(done.notes),
        )
        self.fights.log(session, actor, report.rolls)
        return report

    async def _party(self, session: AsyncSession, me: Character, targets: Sequence[str]) -> list[Character]:
        found: list[Character] = []
        repo = CombatRepository(session)
        for name in targets:
            key = name_key(name)
            if key == me.name_key:
                continue
            row = await repo.campaign_character(me.campaign_id, key, lock=True) if me.campaign_id else None
            if row is None:
                raise NotFound(
                    f"No fight here, and “{name[:64]}” isn't a character of {me.name}'s campaign: outside a "
                    "fight a spell lands on your party; the DM starts a fight for monsters."
                )
            if row not in found:
                found.append(row)
        return found

    def _dice_only(
        self,
        actor: Actor,
        session: AsyncSession,
        who: Caster,
        spell: Spell,
        slot: int | None,
        ritual: bool,
        sheet: Sheet,
    ) -> CastReport:
        """A damage spell with nobody to hit outside a fight: the dice, for the DM to apply."""
        dice = casting.damage_dice(spell, slot, who.level)
        shape = casting.shape(spell, slot, who.level)
        rolls = []
        if dice or shape.dice:
            count = shape.count if shape.kind in ("darts", "rays") else 1
            rolls = [
                self.fights.dice.roll(shape.dice or dice or "0", label=f"{sheet.name}: {spell.name}")
                for _ in range(count)
            ]
        report = CastReport(
            caster=sheet.name,
            spell=spell,
            slot=slot,
            ritual=ritual,
            outcomes=(),
            shared_rolls=tuple(rolls),
            slots_left=sheet.slots_current,
            notes=("No fight here: the dice are rolled for the DM to apply.",),
        )
        self.fights.log(session, actor, report.rolls)
        return report


def _stand_in(row: Character) -> Combatant:
    """A character as a stand-in combatant holding its sheet's effects (taken off the sheet meanwhile, so
    nothing is counted twice; written back after the cast)."""
    stand_in = character_stand_in(row)
    stand_in.effects = list(row.effects or [])
    row.effects = []
    return stand_in
