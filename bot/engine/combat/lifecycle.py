"""A fight's lifecycle: the DM starts it (or the narrator does, inside its turn), monsters and characters
join it (each rolls initiative), the DM takes combatants out, and ends it: the defeated monsters' XP is split
among the surviving party."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import Monster
from bot.engine import combat_rules as cr
from bot.engine import effects, rules, weapons
from bot.engine.characters import CharacterRef
from bot.engine.combat import custom, saves
from bot.engine.combat.fight import Fight, character_id
from bot.engine.combat.loading import Fights, check_campaign_running
from bot.engine.combat.order import insert, reorder, roll_off
from bot.engine.combat.results import CombatEnd, CombatRef, Joined, MonstersAdded, Reward, TrackerState
from bot.engine.sheet import (
    Actor,
    Sheet,
    Stats,
    active_conditions,
    clean_name,
    guild_of,
    name_key,
    to_sheet,
    write_back,
)
from bot.errors import Forbidden, InvalidInput, NotFound
from persistence.errors import Conflict
from persistence.models import Character, Combat, Combatant
from persistence.repositories import CharacterRepository, CombatRepository, PartyRepository

MAX_COMBATANTS = 40
MAX_AT_ONCE = 20
MAX_HP = 10_000
MAX_AC = 50


class Lifecycle:
    def __init__(self, fights: Fights) -> None:
        self.fights = fights

    async def start(self, actor: Actor, campaign_id: int, channel_id: int) -> TrackerState:
        """The campaign's DM starts a fight in a channel; players then `/combat join`."""
        async with self.fights.db.transaction() as session:
            repo = CombatRepository(session)
            dm = await self.fights.dm_of(session, campaign_id)
            if dm is None:
                raise NotFound("That campaign doesn't exist (or has no DM).")
            if actor.user_id != dm:
                raise Forbidden("Only the campaign's DM can start a fight.")
            await check_campaign_running(session, campaign_id)
            if await repo.active_for_campaign(campaign_id) or await repo.active_in_channel(channel_id):
                raise InvalidInput("A fight is already running here; end it before starting another.")
            combat = Combat(
                campaign_id=campaign_id,
                guild_id=guild_of(actor),
                channel_id=channel_id,
                status="active",
                round=0,
                turn_index=0,
                version=1,
                started_by=actor.user_id,
                created_at=self.fights.clock(),
            )
            try:
                await repo.insert(combat)
            except Conflict:  # a second start at the same moment
                raise InvalidInput("A fight is already running here; end it before starting another.") from None
            return self.fights.state(Fight(combat, [], {}, dm), for_dm=True)

    async def start_in(
        self,
        session: AsyncSession,
        campaign_id: int,
        guild_id: int,
        channel_id: int,
        dm_id: int,
        monsters: Sequence[tuple[str, int]],
    ) -> int:
        """A fight begun inside a caller's transaction (the narrator's `start_combat`, whose turn holds the
        campaign row): run by the campaign's DM, with SRD monsters at average HP. Returns its id."""
        repo = CombatRepository(session)
        if await repo.active_for_campaign(campaign_id) or await repo.active_in_channel(channel_id):
            raise InvalidInput("A fight is already running here; the DM adds monsters with `/dm-combat add`.")
        combat = Combat(
            campaign_id=campaign_id,
            guild_id=guild_id,
            channel_id=channel_id,
            status="active",
            round=0,
            turn_index=0,
            version=1,
            started_by=dm_id,
            created_at=self.fights.clock(),
        )
        try:
            await repo.insert(combat)
        except Conflict:
            raise InvalidInput("A fight is already running here.") from None
        fight = Fight(combat, [], {}, dm_id)
        for key, count in monsters:
            entry = self.fights.monster(key)
            names = monster_names(entry.name, count, {r.name_key for r in fight.rows})
            await insert(session, fight, [self._new_monster(fight, entry, n, "average", Overrides()) for n in names])
        return combat.id

    async def set_tracker_message(self, combat_id: int, channel_id: int, message_id: int) -> None:
        """Remember the one tracker message of a fight (posted by the UI), to edit it later."""
        async with self.fights.db.transaction() as session:
            combat = await CombatRepository(session).combat(combat_id, lock=True)
            if combat is None:
                raise NotFound("That fight doesn't exist.")
            combat.tracker_channel_id, combat.tracker_message_id = channel_id, message_id

    async def add_monsters(
        self,
        actor: Actor,
        combat: CombatRef,
        monster: str,
        count: int = 1,
        name: str | None = None,
        hp: cr.HpMethod = "average",
        overrides: Overrides | None = None,
    ) -> MonstersAdded:
        """SRD monsters join with the stat block's AC and HP (average or rolled); each rolls initiative, or
        as a group they share one roll and one turn. `overrides` replace HP, AC or initiative."""
        entry = self.fights.monster(await self.fights.monster_key(actor, monster))  # the DM's homebrew too
        wanted = overrides or Overrides()
        base = clean_name(name) if name else entry.name
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "add monsters")
            check_room(fight, count)
            names = monster_names(base, count, {r.name_key for r in fight.rows})
            added = [self._new_monster(fight, entry, n, hp, wanted) for n in names]
            if wanted.group:
                share_initiative(fight, added, base)
            await insert(session, fight, added)
            return MonstersAdded(
                self.fights.state(fight, for_dm=True),
                entry.name,
                tuple(names),
                tuple(r.hp or 0 for r in added),
                tuple(r.initiative for r in added),
            )

    def _new_monster(self, fight: Fight, monster: Monster, name: str, hp: cr.HpMethod, wanted: Overrides) -> Combatant:
        hit_points = wanted.hp or cr.monster_hp(monster, hp, self.fights.dice.total)
        initiative, bonus = custom.initiative_of(wanted.initiative, self.fights.dice.d20(), monster.modifier("dex"))
        dex = monster.abilities["dex"]
        return Combatant(
            combat_id=fight.combat.id,
            kind="monster",
            character_id=None,
            owner_id=None,
            monster_index=monster.index,
            name=name,
            name_key=name.casefold(),
            initiative=initiative,
            dex=dex,
            tiebreak=roll_off(self.fights.dice, fight, initiative, dex),
            position=0,
            hp=hit_points,
            hp_max=hit_points,
            ac=wanted.ac or monster.ac,
            conditions=[],
            dead=False,
            effects=[],
            held=False,
            init_bonus=bonus,
            resources={"threshold": wanted.threshold} if wanted.threshold else None,
            created_at=self.fights.clock(),
        )

    async def join(
        self,
        actor: Actor,
        combat: CombatRef,
        character: CharacterRef | None = None,
        *,
        advantage: bool = False,
        disadvantage: bool = False,
    ) -> Joined:
        """A character joins and rolls initiative from the sheet (a Dexterity check: conditions apply)."""
        ref = character or CharacterRef()
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            row = await self._character_for(session, fight, actor, ref)
            sheet = to_sheet(row)
            self._check_may_join(fight, sheet)
            stats = self.fights.characters.stats(sheet)
            mods = rules.condition_modifiers(
                "check",
                active_conditions(sheet, self.fights.srd),
                ability="dex",
                advantage=advantage,
                disadvantage=disadvantage,
            )
            roll = self.fights.dice.roll(
                f"1d20{rules.signed(stats.initiative)}", advantage=mods.advantage, label=f"{sheet.name}: Initiative"
            )
            fight.characters[row.id] = row
            combatant = carried_in(self._new_character(fight, row, sheet, stats, roll.total), row)
            await self._concentrating_outside(session, fight, combatant)
            await insert(session, fight, [combatant])
            self.fights.log(session, actor, [roll])
            return Joined(self.fights.state(fight, for_dm=False), sheet.name, roll, mods.reasons)

    def _new_character(self, fight: Fight, row: Character, sheet: Sheet, stats: Stats, initiative: int) -> Combatant:
        dex = stats.scores["dex"]
        return Combatant(
            combat_id=fight.combat.id,
            kind="character",
            character_id=row.id,
            owner_id=row.owner_id,
            monster_index=None,
            name=sheet.name,
            name_key=name_key(sheet.name),
            initiative=initiative,
            dex=dex,
            tiebreak=roll_off(self.fights.dice, fight, initiative, dex),
            position=0,
            hp=None,
            hp_max=None,
            ac=stats.armor_class,
            conditions=[],
            dead=False,
            effects=[],
            held=False,
            init_bonus=stats.initiative,
            created_at=self.fights.clock(),
        )

    async def _character_for(self, session: AsyncSession, fight: Fight, actor: Actor, ref: CharacterRef) -> Character:
        repo = CharacterRepository(session)
        owner = ref.owner_id or actor.user_id
        if owner != actor.user_id and not fight.is_dm(actor):
            raise Forbidden("Only the DM can bring someone else's character into the fight.")
        guild = fight.combat.guild_id
        if ref.name is not None:
            row = await repo.by_name(guild, owner, name_key(ref.name), lock=True)
        elif fight.combat.campaign_id is not None:  # a campaign's fight: the character playing in it, active or not
            row = await PartyRepository(session).of_player(fight.combat.campaign_id, owner, lock=True)
            if row is None:
                raise NotFound(
                    "You have no character in this campaign's party; `/campaign join` brings one in, "
                    "then join the fight."
                )
        else:
            row = await repo.active(guild, owner, lock=True)
        if row is None:
            raise NotFound(
                "No such character here. Make one with `/character create` or pick one with `/character use`."
            )
        return row

    def _check_may_join(self, fight: Fight, sheet: Sheet) -> None:
        if sheet.campaign_id is not None and sheet.campaign_id != fight.combat.campaign_id:
            raise InvalidInput(f"{sheet.name} plays in another campaign, not in this fight's.")
        if fight.combat.campaign_id is not None and sheet.campaign_id != fight.combat.campaign_id:
            # Only the party (and the DM's monsters) fight in a campaign's fight: a stranger's character could
            # otherwise walk in and attack the party.
            raise InvalidInput(f"{sheet.name} is not in this campaign's party; `/campaign join` brings it in first.")
        if any(r.character_id == sheet.id for r in fight.rows):
            raise InvalidInput(f"{sheet.name} is already in this fight.")
        if sheet.death_failures >= 3:
            raise InvalidInput(f"{sheet.name} has died and can't join a fight.")
        if any(r.name_key == name_key(sheet.name) for r in fight.rows):
            raise InvalidInput(f"Someone called {sheet.name} is already in this fight; rename one of them.")
        if len(fight.rows) >= MAX_COMBATANTS:
            raise InvalidInput(f"A fight holds at most {MAX_COMBATANTS} combatants.")

    async def remove(self, actor: Actor, combat: CombatRef, name: str) -> TrackerState:
        """The DM takes a combatant out (it fled, or joined by mistake); not during its own turn."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "remove combatants")
            row = fight.find(name)
            current = fight.current()
            if row is current:
                raise InvalidInput(f"It's {row.name}'s turn; end it with `/combat next` first.")
            saves.carry_out(fight, only=row)  # its spells go with it, on its sheet
            await CombatRepository(session).delete_combatant(row)
            fight.rows.remove(row)
            reorder(fight, current)
            fight.combat.version += 1
            return self.fights.state(fight, for_dm=True)

    async def end(self, actor: Actor, combat: CombatRef, *, award_xp: bool = True) -> CombatEnd:
        """The DM ends the fight: the defeated monsters' XP (by SRD CR) is split among the surviving party."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "end the fight")
            defeated = [r for r in fight.rows if r.kind == "monster" and r.dead]
            total = sum(self.fights.monster_of(r).xp for r in defeated) if award_xp else 0
            survivors = [r for r in fight.rows if r.kind == "character" and fight.alive(r)]
            share = cr.xp_share(total, len(survivors))
            rewards = tuple(self._reward(fight, r, share) for r in survivors)
            await self._lapse_outside(session, fight)
            saves.carry_out(fight)  # Mage Armor cast in the fight outlasts it, on the sheet
            recovered = self._recover(fight)
            fight.combat.status, fight.combat.ended_at = "ended", self.fights.clock()
            fight.combat.version += 1
            state = self.fights.state(fight, for_dm=True)
            return CombatEnd(state, tuple(r.name for r in defeated), total, share, rewards, recovered)

    async def _concentrating_outside(self, session: AsyncSession, fight: Fight, combatant: Combatant) -> None:
        """A caster joining while a spell it concentrates on sits only on party members outside the fight
        (Bless on a friend who keeps watch) carries that concentration in, as a marker on itself: damage
        then calls for its save, and `_lapse_outside` knows whether it held."""
        if fight.combat.campaign_id is None:
            return
        own = effects.load(combatant.effects)
        inside = {r.character_id for r in fight.rows} | {combatant.character_id}
        for member in await PartyRepository(session).members(fight.combat.campaign_id):
            for held in effects.load(member.effects) if member.id not in inside else ():
                if held.caster == combatant.name_key and all(e.key != held.key for e in own):
                    marker = effects.Effect(
                        held.name, rounds=held.rounds, ticks_on=held.ticks_on, phase=held.phase, caster=held.caster
                    )
                    own = (*own, marker)
        combatant.effects = effects.dump(own)

    async def _lapse_outside(self, session: AsyncSession, fight: Fight) -> None:
        """A party member who stayed out of the fight loses what it held from a caster whose concentration
        ended in the fight (Bless cast before it, then a new spell or a failed save)."""
        if fight.combat.campaign_id is None:
            return
        held = {(e.caster, e.key) for r in fight.rows for e in effects.load(r.effects) if e.caster}
        casters = {r.name_key for r in fight.rows if r.kind == "character"}
        inside = {r.character_id for r in fight.rows}
        for member in await PartyRepository(session).members(fight.combat.campaign_id, lock=True):
            on_it = effects.load(member.effects)
            kept = [e for e in on_it if e.caster not in casters or (e.caster, e.key) in held]
            if member.id not in inside and len(kept) < len(on_it):
                member.effects, member.version = effects.dump(kept), member.version + 1

    def _recover(self, fight: Fight) -> tuple[str, ...]:
        """Half the ammunition spent, and every thrown weapon, go back to their owners (bot.engine.weapons)."""
        lines: list[str] = []
        for row in fight.rows:
            if row.kind == "character" and row.spent and row.character_id in fight.characters:
                sheet, found = weapons.recovered(fight.sheet(row), self.fights.srd, row.spent)
                write_back(fight.characters[row.character_id], sheet)
                row.spent = {}
                lines += found
        return tuple(lines)

    def _reward(self, fight: Fight, row: Combatant, share: int) -> Reward:
        sheet = fight.sheet(row)
        new = replace(sheet, xp=sheet.xp + share)
        if share:
            write_back(fight.characters[character_id(row)], new)
        can_level = new.level < rules.MAX_LEVEL and new.xp >= self.fights.srd.xp_for_level(new.level + 1)
        return Reward(sheet.name, sheet.owner_id, new.xp, can_level)


def carried_in(combatant: Combatant, character: Character) -> Combatant:
    """What was cast on the character before the fight (Mage Armor, Bless) moves from its sheet onto its
    combatant, to tick there by rounds; `saves.carry_out` puts what is left back when it leaves."""
    if character.effects:
        combatant.effects, character.effects = list(character.effects), []
        character.version += 1  # cached sheets are read again
    return combatant


@dataclass(frozen=True)
class Overrides:
    """The DM's changes to an added stat block: HP, AC, a fixed initiative ("15") or a modifier ("+2"), and
    whether the monsters act as one group (one initiative, one turn, each its own HP)."""

    hp: int | None = None
    ac: int | None = None
    initiative: str | None = None
    group: bool = False
    threshold: int | None = None  # a damage threshold: smaller hits do nothing

    def __post_init__(self) -> None:
        if self.threshold is not None and not 1 <= self.threshold <= MAX_HP:
            raise InvalidInput(f"A damage threshold runs from 1 to {MAX_HP:,}.")
        if self.hp is not None and not 1 <= self.hp <= MAX_HP:
            raise InvalidInput(f"Hit points run from 1 to {MAX_HP:,}.")
        if self.ac is not None and not 1 <= self.ac <= MAX_AC:
            raise InvalidInput(f"AC runs from 1 to {MAX_AC}.")


def check_room(fight: Fight, count: int) -> None:
    if not 1 <= count <= MAX_AT_ONCE:
        raise InvalidInput(f"Add 1 to {MAX_AT_ONCE} combatants at once.")
    if len(fight.rows) + count > MAX_COMBATANTS:
        raise InvalidInput(f"A fight holds at most {MAX_COMBATANTS} combatants.")


def share_initiative(fight: Fight, rows: Sequence[Combatant], group: str) -> None:
    """A group (a pack of wolves) takes its first member's initiative roll: one entry in the order."""
    if any(r.group_name and r.group_name.casefold() == group.casefold() for r in fight.rows):
        raise InvalidInput(f"A group called {group} is already in this fight; give this one another `name`.")
    for row in rows:
        row.group_name = group[:64]
        row.initiative, row.dex, row.tiebreak = rows[0].initiative, rows[0].dex, rows[0].tiebreak


def monster_names(base: str, count: int, taken: set[str]) -> list[str]:
    """`Goblin`, or numbered `Goblin 1`, `Goblin 2` ... after the numbers already in the fight."""
    numbered = any(t.startswith(f"{base.casefold()} ") and t.rpartition(" ")[2].isdigit() for t in taken)
    if count == 1 and base.casefold() not in taken and not numbered:
        return [base]
    names: list[str] = []
    number = 1
    while len(names) < count:
        name = f"{base[:60]} {number}"
        if name.casefold() not in taken:
            names.append(name)
        number += 1
    return names
