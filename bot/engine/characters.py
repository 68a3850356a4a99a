"""The character service: reading characters and every change to a sheet, by the SRD 5.1 rules.

Each change runs in one transaction that first locks the character's row (`SELECT ... FOR UPDATE`
on Postgres), so two concurrent changes queue up instead of one overwriting the other. The model and
its derived numbers (`Sheet`, `stats()`) live in `bot.engine.sheet`; creating characters in
`bot.engine.creation`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import SRD, Armor, Condition, load_srd
from bot.discord_limits import is_http_url
from bot.engine import choices, items, levelling, levelup, rests, rules, spells, weapons
from bot.engine import effects as timed_effects
from bot.engine import events as log
from bot.engine import integrity as table_rules
from bot.engine.caps import Caps
from bot.engine.dice import Dice, RollOutcome
from bot.engine.homebrew import srd_with_feats
from bot.engine.rests import Rest, RestKind
from bot.engine.sheet import (
    MAX_STACK,
    ActiveCondition,
    Actor,
    Item,
    Sheet,
    Stats,
    add_item,
    armor_class,
    clean_name,
    guild_of,
    homebrew_armor,
    name_key,
    stats,
    to_sheet,
    toughness,
    with_magic_hp,
    write_back,
)
from bot.engine.sheet_reads import Derived, SheetReads
from bot.engine.text import prose, visible
from bot.errors import Forbidden, InvalidInput, NotFound
from persistence.db import Database
from persistence.models import Campaign, Character, RollLog
from persistence.repositories import (
    CharacterRepository,
    CombatRepository,
    PartyRepository,
    Reads,
    RollLogRepository,
)

MAX_NOTES = 1000
MAX_BACKSTORY = 4000
MAX_URL = 500
MAX_COIN_DELTA = 1_000_000

CampaignDMLookup = Callable[[int], Awaitable[int | None]]
HpMethod = Literal["average", "roll"]
InventoryAction = Literal["add", "remove", "equip", "unequip"]
T = TypeVar("T")


# --- Plain values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    name: str
    race_name: str
    class_name: str
    level: int
    active: bool


@dataclass(frozen=True)
class LevelUp:
    sheet: Sheet
    old_level: int
    new_level: int
    hp_gain: int
    hp_roll: RollOutcome | None
    proficiency_bonus: int
    slots: tuple[int, ...]
    features: tuple[str, ...]
    spells: spells.LevelGains | None = None  # new cantrips, spells known or prepared; None for non-casters
    class_index: str = ""  # the class that gained the level
    class_level: int = 0  # its level in that class
    choices: tuple[str, ...] = ()  # the choices made, as the sheet shows them


@dataclass(frozen=True)
class InventoryChange:
    sheet: Sheet
    message: str
    ac_before: int
    ac_after: int


@dataclass(frozen=True)
class CharacterRef:
    """Which character a command means: by name (else the active one), of an owner (else the actor)."""

    name: str | None = None
    owner_id: int | None = None


@dataclass
class Pending:
    """Roll-log entries made during a change, written in the change's own transaction."""

    rolls: list[RollOutcome] = field(default_factory=list)


# --- Authorisation --------------------------------------------------------------------------------


def may_edit(actor: Actor, owner_id: int, campaign_dm_id: int | None) -> bool:
    """The owner may change a character; so may the DM of the campaign it plays in."""
    return actor.user_id == owner_id or (campaign_dm_id is not None and actor.user_id == campaign_dm_id)


def _not_found(ref: CharacterRef, *, mine: bool) -> NotFound:
    if ref.name is not None:
        whose = "You have" if mine else "That player has"
        return NotFound(f"{whose} no character called “{ref.name[:64]}” here. `/character list` shows them.")
    return NotFound(
        "You have no active character here. Make one with `/character create` or pick one with `/character use`."
        if mine
        else "That player has no active character here."
    )


# --- The service ----------------------------------------------------------------------------------


class CharacterService:
    """Characters of users in guilds. Every change: one transaction, the row locked first."""

    def __init__(
        self,
        db: Database,
        dice: Dice,
        *,
        srd: SRD | None = None,
        campaign_dm: CampaignDMLookup | None = None,
        caps: Caps | None = None,
    ) -> None:
        self.db = db
        self.caps = caps or Caps()
        self.reads = Reads(db)  # the hot read path (/character show, /check) skips BEGIN/COMMIT
        self.sheets = SheetReads(self.reads)
        self._stats = Derived(lambda sheet: stats(sheet, self.srd))
        self.dice = dice
        self.srd = srd or load_srd()
        self.campaign_dm = campaign_dm  # the campaigns issue plugs in "who is this campaign's DM"

    # Reading ------------------------------------------------------------------------------------

    async def get(self, actor: Actor, ref: CharacterRef | None = None) -> Sheet:
        """The sheet, read in one round trip (see SheetReads: cached by version, never trusted)."""
        ref = ref or CharacterRef()
        owner = ref.owner_id or actor.user_id
        key = name_key(ref.name) if ref.name is not None else None
        sheet = await self.sheets.find(guild_of(actor), owner, key)
        if sheet is None:
            raise _not_found(ref, mine=owner == actor.user_id)
        return sheet

    async def shown(self, actor: Actor, ref: CharacterRef | None = None) -> Sheet:
        """The sheet as `/character show` and rolls read it: in a running fight, with its combatant's timed
        effects too (Mage Armor's AC, Bless). For reading only: never written back."""
        return await self.with_fight_effects(await self.get(actor, ref))

    async def with_fight_effects(self, sheet: Sheet) -> Sheet:
        async with self.reads.session() as session:
            found = await CombatRepository(session).fight_effects(sheet.id)
        return replace(sheet, effects=(*sheet.effects, *timed_effects.load(found))) if found else sheet

    async def list_characters(self, actor: Actor, owner_id: int | None = None) -> list[Summary]:
        async with self.reads.session() as session:
            rows = await CharacterRepository(session).list_for(guild_of(actor), owner_id or actor.user_id)
            return [self._summary(to_sheet(r)) for r in rows]

    async def names(self, actor: Actor, text: str) -> list[str]:
        """Autocomplete: the actor's character names containing `text`."""
        async with self.reads.session() as session:
            needle = visible(text).casefold()  # a NUL in the search text made Postgres refuse the query
            found = await CharacterRepository(session).search_names(guild_of(actor), actor.user_id, needle)
            return list(found)

    def stats(self, sheet: Sheet) -> Stats:
        return self._stats(sheet)

    def _summary(self, sheet: Sheet) -> Summary:
        s = self.stats(sheet)
        return Summary(sheet.name, s.race_name, s.class_name, sheet.level, sheet.active)

    # Simple changes -----------------------------------------------------------------------------

    async def use(self, actor: Actor, name: str) -> Sheet:
        async with self.db.transaction() as session:
            repo = CharacterRepository(session)
            await repo.list_for(guild_of(actor), actor.user_id, lock=True)  # two `use`s queue up
            row = await self._find(session, actor, CharacterRef(name=name), lock=True)
            await repo.deactivate_all(row.guild_id, row.owner_id)
            await session.flush()
            row.active = True
            return to_sheet(row)

    async def delete(self, actor: Actor, name: str) -> str:
        """Delete one of the actor's characters (the cog asks for confirmation first)."""
        async with self.db.transaction() as session:
            row = await self._find(session, actor, CharacterRef(name=name), lock=True)
            if row.owner_id != actor.user_id:
                raise Forbidden("Only the character's owner can delete it.")
            repo = CharacterRepository(session)
            was_active, deleted = row.active, row.name
            await repo.delete(row)
            await session.flush()
            if was_active:  # hand the active mark to another character so commands keep working
                rest = await repo.list_for(row.guild_id, row.owner_id)
                if rest:
                    rest[0].active = True
            return deleted

    async def edit(
        self,
        actor: Actor,
        ref: CharacterRef,
        *,
        name: str | None = None,
        notes: str | None = None,
        backstory: str | None = None,
        portrait_url: str | None = None,
        pronouns: str | None = None,
    ) -> Sheet:
        changes: dict[str, Any] = {}
        if pronouns is not None:
            changes["pronouns"] = clean_pronouns(pronouns)
        if name is not None:
            changes["name"] = clean_name(name)
        if notes is not None:
            changes["notes"] = _bounded_text(notes, MAX_NOTES, "Notes")
        if backstory is not None:
            changes["backstory"] = _bounded_text(backstory, MAX_BACKSTORY, "A backstory")
        if portrait_url is not None:
            changes["portrait_url"] = _portrait(portrait_url)

        async def apply(session: AsyncSession, sheet: Sheet, _: Pending) -> tuple[Sheet, Sheet]:
            if "name" in changes and name_key(changes["name"]) != name_key(sheet.name):
                key = name_key(changes["name"])
                taken = await CharacterRepository(session).by_name(sheet.guild_id, sheet.owner_id, key)
                if taken is not None:
                    raise InvalidInput(name_taken(changes["name"]))
                if sheet.campaign_id is not None:
                    party = await PartyRepository(session).members(sheet.campaign_id)
                    table_rules.check_rename_in_party(party, sheet.id, changes["name"])
            new = replace(sheet, **changes)
            return new, new

        return await self._change(actor, ref, apply)

    # Levels and rests ---------------------------------------------------------------------------

    async def level_plan(self, actor: Actor, ref: CharacterRef, klass: str | None = None) -> levelup.Plan:
        """What the next level asks (the level-up view's menus), once the table allows the level; nothing changes."""
        async with self.db.transaction() as session:
            row = await self._find(session, actor, ref, lock=False)
            dm = await self.campaign_dm(row.campaign_id) if self.campaign_dm and row.campaign_id else None
            if not may_edit(actor, row.owner_id, dm):
                raise Forbidden(f"Only {row.name}'s player (or their campaign's DM) can level {row.name} up.")
            sheet = to_sheet(row)
            srd = await srd_with_feats(session, self.srd, actor)
            chosen = levelup.plan(srd, sheet, self._class_key(klass))
            campaign = await session.get(Campaign, sheet.campaign_id) if sheet.campaign_id else None
            levelling.check_level_up(self.srd, sheet, sheet.level + 1, campaign)
            return chosen

    async def level_up(
        self,
        actor: Actor,
        ref: CharacterRef,
        hp_method: HpMethod = "average",
        klass: str | None = None,
        picks: Mapping[str, Sequence[str]] | None = None,
    ) -> LevelUp:
        """One level more in `klass` (default: the first class) with the choices in `picks` (None: the
        suggested ones, as the level-up view pre-fills them)."""
        if hp_method not in ("average", "roll"):
            raise InvalidInput("Take HP by `average` or `roll`.")
        class_key = self._class_key(klass)

        async def apply(session: AsyncSession, sheet: Sheet, pending: Pending) -> tuple[Sheet, LevelUp]:
            srd = await srd_with_feats(session, self.srd, actor)
            chosen = levelup.plan(srd, sheet, class_key)
            new_level = sheet.level + 1
            campaign = await session.get(Campaign, sheet.campaign_id) if sheet.campaign_id else None
            levelling.check_level_up(self.srd, sheet, new_level, campaign)
            die = chosen.klass.hit_die
            roll = self.dice.roll(f"1d{die}", label="Hit points") if hp_method == "roll" else None
            if roll:
                pending.rolls.append(roll)
            die_value = roll.total if roll else rules.hp_average_gain(die)
            new, gain = levelup.apply(srd, chosen, die_value, picks)
            prof = rules.proficiency_bonus(new_level)
            index, class_level = chosen.klass.index, chosen.class_level
            gains = spells.level_gains(self.srd, index, class_level - 1, class_level, new.scores)
            learns = gains if chosen.klass.spellcasting_ability is not None else None
            chosen_names = tuple(f"{a.feature}: " for a in chosen.asks if a.feature)  # listed with the choices
            features = tuple(f for f in new.features if f not in sheet.features and not f.startswith(chosen_names))
            if sheet.campaign_id is not None:  # the campaign's story tells it (recaps, session summaries)
                told = f"{sheet.name} reaches level {new_level} (+{gain} HP)."
                log.tell(session, sheet.campaign_id, "levelup", told, actor_id=actor.user_id, character_id=sheet.id)
            made = choices.summary_of_change(srd, sheet, new)
            result = LevelUp(
                new, sheet.level, new_level, gain, roll, prof, new.slots_max, features, learns, index, class_level, made
            )
            return new, result

        return await self._change(actor, ref, apply)

    def _class_key(self, klass: str | None) -> str | None:
        if not klass:
            return None
        return lookup(self.srd.klass, klass, "class", self.srd.search("class", "")).index

    def _logged(self, pending: Pending, expression: str, label: str) -> RollOutcome:
        outcome = self.dice.roll(expression, label=label)
        pending.rolls.append(outcome)
        return outcome

    def _toughness_of(self, sheet: Sheet) -> int:
        return toughness(self.srd.subrace(sheet.subrace) if sheet.subrace else None)

    async def rest(self, actor: Actor, ref: CharacterRef, kind: RestKind, dice: int = 0) -> Rest:
        if kind not in ("short", "long"):
            raise InvalidInput("Rest `short` or `long`.")

        async def apply(_: AsyncSession, sheet: Sheet, pending: Pending) -> tuple[Sheet, Rest]:
            if sheet.death_failures >= 3:
                raise InvalidInput(f"{sheet.name} is dead; rest won't help.")
            if kind == "long":
                done = rests.long_rest(sheet)
            else:
                done = rests.short_rest(sheet, self.srd, dice, lambda expr: self._logged(pending, expr, "Hit dice"))
            return done.sheet, done

        return await self._change(actor, ref, apply, gain=table_rules.GainRequest("rest"))

    # Inventory, coins, conditions ---------------------------------------------------------------

    async def inventory(
        self, actor: Actor, ref: CharacterRef, action: str, item: str, quantity: int = 1
    ) -> InventoryChange:
        if action not in ("add", "remove", "equip", "unequip", "attune", "unattune"):
            raise InvalidInput("Inventory actions are add, remove, equip, unequip, attune, unattune, coins and list.")
        entry = items.resolve(self.srd, item) if action == "add" else None  # players add only SRD items
        if not 1 <= quantity <= MAX_STACK:
            raise InvalidInput(f"A quantity runs from 1 to {MAX_STACK:,}; not {quantity}.")

        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, InventoryChange]:
            before = armor_class(sheet, self.srd)
            if action in ("attune", "unattune"):
                inventory, message = items.attune(self.srd, sheet, item, on=action == "attune")
            else:
                index, name = (entry.index, entry.name) if entry else _carried(self.srd, sheet, item)
                details = entry.details if entry else None  # a +1 weapon's numbers
                inventory, message = self._inventory_change(sheet, action, index, name, quantity, details)
            new = with_magic_hp(sheet, replace(sheet, inventory=inventory), self.srd)
            if new.hp_max != sheet.hp_max:  # an Amulet of Health's Constitution
                message += f" Hit point maximum {sheet.hp_max} → {new.hp_max}."
            after = armor_class(new, self.srd)
            return new, InventoryChange(new, message, before, after)

        asked = table_rules.item_request(entry.name, quantity) if entry is not None else None  # only adds
        return await self._change(actor, ref, apply, gain=asked)

    def _inventory_change(
        self, sheet: Sheet, action: str, index: str, name: str, quantity: int, details: Any = None
    ) -> tuple[tuple[Item, ...], str]:
        held = sheet.carried(index)
        if action == "add":
            made = Item(index, name, quantity, details=details)
            return add_item(sheet.inventory, made), f"Added {quantity} × {name}."
        if held is None:
            raise InvalidInput(f"{sheet.name} isn't carrying any {name}.")
        if action == "remove":
            if quantity > held.quantity:
                raise InvalidInput(f"{sheet.name} carries {held.quantity} × {name}; can't remove {quantity}.")
            rest = held.quantity - quantity
            kept = (i for i in sheet.inventory if i.item != index or rest)
            items = tuple(replace(i, quantity=rest) if i.item == index else i for i in kept)
            return items, f"Removed {quantity} × {name}."
        if action == "unequip":
            if not held.equipped:
                raise InvalidInput(f"{name} isn't equipped.")
            items = tuple(replace(i, equipped=False) if i.item == index else i for i in sheet.inventory)
            return items, f"Unequipped {name}."
        return self._equip(sheet, index, name)

    def _equip(self, sheet: Sheet, index: str, name: str) -> tuple[tuple[Item, ...], str]:
        """Armour replaces worn armour, a shield replaces a shield; the AC follows. A two-handed weapon and a
        shield never together."""
        weapons.check_equip(sheet, self.srd, index)
        slot = self._armor_slot(sheet, index)
        items = []
        for entry in sheet.inventory:
            if entry.item == index:
                entry = replace(entry, equipped=True)
            elif slot and entry.equipped and self._armor_slot(sheet, entry.item) == slot:
                entry = replace(entry, equipped=False)
            items.append(entry)
        note = ""
        if slot and not self._armor_proficient(sheet, index):
            note = f" {sheet.name} isn't proficient with it (the SRD gives disadvantage on Str and Dex rolls)."
        return tuple(items), f"Equipped {name}.{note}"

    def _armor_of(self, sheet: Sheet, index: str) -> Armor | None:
        """SRD armour, or a DM's (homebrew) armour the sheet carries."""
        if index in self.srd.lookup("armor"):
            return self.srd.armor(index)
        held = sheet.carried(index)
        return homebrew_armor(held) if held is not None and (held.details or {}).get("armor") else None

    def _armor_slot(self, sheet: Sheet, index: str) -> str | None:
        armor = self._armor_of(sheet, index)
        if armor is None:
            return None
        return "shield" if armor.category == "shield" else "body"

    def _armor_proficient(self, sheet: Sheet, index: str) -> bool:
        armor = self._armor_of(sheet, index)
        assert armor is not None
        have = set(sheet.proficiencies.get("armor", ()))
        wanted = {"shields"} if armor.category == "shield" else {"all-armor", f"{armor.category}-armor", index}
        return bool(have & wanted)

    async def use_item(self, actor: Actor, ref: CharacterRef, item: str) -> items.Used:
        """Use a carried item: a potion of healing is drunk (its dice rolled and logged) and used up."""

        async def apply(session: AsyncSession, sheet: Sheet, pending: Pending) -> tuple[Sheet, items.Used]:
            await self._check_its_turn(session, actor, sheet)
            used = items.use(sheet, item, lambda expr, label: self._logged(pending, expr, label))
            if sheet.campaign_id is not None:  # the story tells it: a potion in a fight is part of the fight
                told = f"{sheet.name} drinks a {used.item} (+{used.healed} HP)."
                log.tell(session, sheet.campaign_id, "use_item", told, actor_id=actor.user_id, character_id=sheet.id)
            return used.sheet, used

        return await self._change(actor, ref, apply)

    async def _check_its_turn(self, session: AsyncSession, actor: Actor, sheet: Sheet) -> None:
        """In a running fight a character uses an item on its own turn (an action, as an attack is); the
        campaign's DM is not held to it."""
        if sheet.campaign_id is None:
            return
        repo = CombatRepository(session)
        combat = await repo.active_for_campaign(sheet.campaign_id)
        rows = list(await repo.combatants(combat.id)) if combat is not None else []
        mine = next((r for r in rows if r.character_id == sheet.id), None)
        if combat is None or mine is None or actor.user_id == await self._dm_of(sheet.campaign_id):
            return
        if combat.round == 0:
            raise InvalidInput(f"The fight hasn't started: the DM starts round 1 with `/combat next`; {sheet.name} "
                               "uses it on their turn.")  # fmt: skip
        current = rows[min(combat.turn_index, len(rows) - 1)]
        if current.id != mine.id:
            raise InvalidInput(f"It's {current.name}'s turn; {sheet.name} uses it on their own turn.")

    async def _dm_of(self, campaign_id: int) -> int | None:
        return await self.campaign_dm(campaign_id) if self.campaign_dm is not None else None

    async def coins(self, actor: Actor, ref: CharacterRef, deltas: Mapping[str, int]) -> Sheet:
        for coin, delta in deltas.items():
            if abs(delta) > MAX_COIN_DELTA:
                raise InvalidInput(f"Move at most {MAX_COIN_DELTA:,} {coin} at once.")
        if not any(deltas.values()):
            raise InvalidInput("Give at least one coin change, e.g. `gp:5` or `sp:-3`.")

        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, Sheet]:
            new = replace(sheet, coins=rules.apply_coins(sheet.coins, deltas))
            return new, new

        gains = any(d > 0 for d in deltas.values())
        return await self._change(actor, ref, apply, gain=table_rules.GainRequest("coins") if gains else None)

    async def set_condition(
        self, actor: Actor, ref: CharacterRef, condition: str, *, add: bool, rounds: int | None = None, level: int = 1
    ) -> Sheet:
        entry = self._condition(condition)
        if rounds is not None and not 1 <= rounds <= 1000:
            raise InvalidInput("A condition lasts 1 to 1,000 rounds (leave it empty for 'until removed').")
        if not 1 <= level <= 6:
            raise InvalidInput("Exhaustion levels run from 1 to 6.")

        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, Sheet]:
            others = tuple(c for c in sheet.conditions if c.name != entry.index)
            if not add and len(others) == len(sheet.conditions):
                raise InvalidInput(f"{sheet.name} isn't {entry.name.lower()}.")
            added = (ActiveCondition(entry.index, rounds, level if entry.index == "exhaustion" else 1),) if add else ()
            new = replace(sheet, conditions=others + added)
            return new, new

        asked = None if add else table_rules.condition_request(entry.index, entry.name)
        return await self._change(actor, ref, apply, gain=asked)

    async def grant_xp(self, actor: Actor, ref: CharacterRef, xp: int, *, allow_levelup: bool = False) -> Sheet:
        """For the DM (campaigns issue): add XP, or allow the next level-up outright."""
        if not -1_000_000 <= xp <= 1_000_000:
            raise InvalidInput("Grant at most 1,000,000 XP at once.")

        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, Sheet]:
            new = replace(sheet, xp=max(0, sheet.xp + xp), levelup_allowed=sheet.levelup_allowed or allow_levelup)
            return new, new

        return await self._change(actor, ref, apply)

    # The unit of work ---------------------------------------------------------------------------

    async def change(
        self,
        actor: Actor,
        ref: CharacterRef,
        apply: Callable[[AsyncSession, Sheet, Pending], Awaitable[tuple[Sheet, T]]],
    ) -> T:
        """Public for `checks` (death saves): lock, authorise, apply, write back and log, in one transaction."""
        return await self._change(actor, ref, apply)

    async def _change(
        self,
        actor: Actor,
        ref: CharacterRef,
        apply: Callable[[AsyncSession, Sheet, Pending], Awaitable[tuple[Sheet, T]]],
        *,
        gain: table_rules.GainRequest | None = None,
    ) -> T:
        """`gain`: what the change gives the character, when it does (the table's rules hold it in a campaign,
        bot.engine.integrity); the campaign's DM is not held by them. A gain asked of the DM is committed as
        a waiting change and answered with `WaitingForTheDM`."""
        async with self.db.transaction() as session:
            row = await self._find(session, actor, ref, lock=True)
            dm = await self.campaign_dm(row.campaign_id) if self.campaign_dm and row.campaign_id else None
            if not may_edit(actor, row.owner_id, dm):
                raise Forbidden(f"Only {row.name}'s player (or their campaign's DM) can change {row.name}.")
            own = gain is not None and actor.user_id != dm
            asked = await table_rules.check_own_gain(session, row, gain, self.caps) if own and gain else None
            if asked is None:
                pending = Pending()
                new, result = await apply(session, to_sheet(row), pending)
                write_back(row, new)
                roll_log = RollLogRepository(session)
                for outcome in pending.rolls:
                    roll_log.add(log_entry(actor, outcome, row.name))
                return result
        raise table_rules.WaitingForTheDM(table_rules.waiting_reply(asked))

    async def _find(self, session: AsyncSession, actor: Actor, ref: CharacterRef, *, lock: bool) -> Character:
        repo = CharacterRepository(session)
        guild, owner = guild_of(actor), ref.owner_id or actor.user_id
        if ref.name is not None:
            row = await repo.by_name(guild, owner, name_key(ref.name), lock=lock)
        else:
            row = await repo.active(guild, owner, lock=lock)
        if row is None:
            raise _not_found(ref, mine=owner == actor.user_id)
        return row

    # SRD lookups with player-facing errors ------------------------------------------------------

    def _condition(self, key: str) -> Condition:
        return lookup(self.srd.condition, key, "condition", self.srd.search("condition", ""))


# --- Helpers --------------------------------------------------------------------------------------


def lookup(get: Callable[[str], T], key: str, kind: str, suggestions: list[tuple[str, str]]) -> T:
    """An SRD entry by key; an unknown key is a player's typo, answered with entries to try."""
    try:
        return get(key)
    except KeyError:
        names = ", ".join(name for _, name in suggestions[:12])
        hint = f" Try one of: {names}." if names else ""
        raise NotFound(f"“{key[:64]}” is not an SRD {kind}.{hint}") from None


def _grow_slots(current: Sequence[int], old_max: Sequence[int], new_max: Sequence[int]) -> tuple[int, ...]:
    """New slots from a level arrive unspent; spent ones stay spent."""
    old = list(old_max) + [0] * (9 - len(old_max))
    cur = list(current) + [0] * (9 - len(current))
    return tuple(min(n, c + max(0, n - o)) for c, o, n in zip(cur, old, new_max, strict=False))


def _carried(srd: SRD, sheet: Sheet, key: str) -> tuple[str, str]:
    """A carried item's index and name, by its name on the sheet or by the SRD's name for it."""
    try:
        held = items.find(sheet, key)
        return held.item, held.name
    except InvalidInput:
        entry = items.resolve(srd, key)  # "Crossbow, light" or "light crossbow": the SRD's names
        return entry.index, entry.name


def _bounded_text(text: str, limit: int, what: str) -> str:
    cleaned = prose(text).strip()  # Postgres refuses NUL: a note with one failed with an apology
    if len(cleaned) > limit:
        raise InvalidInput(f"{what} can be at most {limit:,} characters (yours has {len(cleaned):,}).")
    return cleaned


def _portrait(url: str) -> str | None:
    cleaned = url.strip()
    if not cleaned:
        return None
    if len(cleaned) > MAX_URL or not is_http_url(cleaned):  # Discord refuses an embed with any other
        raise InvalidInput(
            f"A portrait is a link to an image with a host name, such as "
            f"https://example.com/portrait.png ({MAX_URL} characters at most)."
        )
    return cleaned


def name_taken(name: str) -> str:
    return f"You already have a character called “{name}” here; pick another name or `/character delete` it."


def log_entry(actor: Actor, outcome: RollOutcome, name: str | None) -> RollLog:
    """A roll-log row for a roll made on a character's behalf (labelled with its name when given)."""
    label = outcome.label if not name else f"{name}: {outcome.label or 'roll'}"
    return RollLog(
        guild_id=actor.guild_id,
        channel_id=actor.channel_id,
        user_id=actor.user_id,
        expression=outcome.expression,
        label=label[:100] if label else None,
        total=outcome.total,
        breakdown=outcome.full_breakdown or outcome.breakdown,
    )


MAX_PRONOUNS = 24
_PRONOUN_WORDS = re.compile(r"^[^\W\d_]+(?:/[^\W\d_]+){0,3}$")


def clean_pronouns(text: str) -> str:
    """ "She / Her" → "she/her"; empty clears them (the narrators then say "they")."""
    clean = "/".join(part.strip() for part in " ".join(text.split()).split("/")).casefold()
    if not clean:
        return ""
    if len(clean) > MAX_PRONOUNS or not _PRONOUN_WORDS.match(clean):
        raise InvalidInput(
            f"Pronouns are up to {MAX_PRONOUNS} letters in words split by '/', e.g. `she/her`, `he/him`, `they/them`."
        )
    return clean
