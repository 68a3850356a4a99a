"""Characters: creation, sheets and every change to them, by the SRD 5.1 rules.

Each change runs in one transaction that first locks the character's row (`SELECT ... FOR UPDATE`
on Postgres), so two concurrent changes queue up instead of one overwriting the other. The engine
works on `Sheet`, a frozen snapshot of the stored facts; derived numbers come from `stats()`, which
only composes the formulas in `bot.engine.rules`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import SRD, Armor, Background, CharacterClass, Condition, Race, Subrace, Weapon, load_srd
from bot.discord_limits import is_http_url
from bot.engine import rules
from bot.engine.dice import Dice, RollOutcome
from bot.engine.rolls import Actor
from bot.engine.text import prose, visible
from bot.errors import Forbidden, InvalidInput, NotFound
from persistence.db import Database
from persistence.models import Character, RollLog
from persistence.repositories import CharacterRepository, Reads, RollLogRepository

MAX_NAME_LENGTH = 64
MAX_CHARACTERS = 20  # per user per guild
MAX_NOTES = 1000
MAX_BACKSTORY = 4000
MAX_URL = 500
MAX_INVENTORY_ROWS = 100
MAX_STACK = 10_000
MAX_COIN_DELTA = 1_000_000
NO_GUILD = 0  # characters made in direct messages live under guild id 0

# Which abilities a class wants highest, to suggest an assignment the player can accept as is.
ABILITY_PRIORITY: Mapping[str, tuple[str, ...]] = {
    "barbarian": ("str", "con", "dex", "wis", "cha", "int"),
    "bard": ("cha", "dex", "con", "wis", "int", "str"),
    "cleric": ("wis", "con", "str", "dex", "cha", "int"),
    "druid": ("wis", "con", "dex", "int", "cha", "str"),
    "fighter": ("str", "con", "dex", "wis", "cha", "int"),
    "monk": ("dex", "wis", "con", "str", "int", "cha"),
    "paladin": ("str", "cha", "con", "wis", "dex", "int"),
    "ranger": ("dex", "wis", "con", "str", "int", "cha"),
    "rogue": ("dex", "con", "int", "wis", "cha", "str"),
    "sorcerer": ("cha", "con", "dex", "wis", "int", "str"),
    "warlock": ("cha", "con", "dex", "wis", "int", "str"),
    "wizard": ("int", "con", "dex", "wis", "cha", "str"),
}
POINT_BUY_SUGGESTION: tuple[int, ...] = (15, 15, 15, 8, 8, 8)  # 9 + 9 + 9 = 27 points
# When the SRD says "any martial weapon" (or any holy symbol), the default kit takes one of these.
PREFERRED_PICKS: tuple[str, ...] = ("longsword", "shortsword", "mace", "quarterstaff", "handaxe", "amulet")
SHORT_REST_SLOT_CLASSES = ("warlock",)  # Pact Magic slots come back on a short rest

CampaignDMLookup = Callable[[int], Awaitable[int | None]]
HpMethod = Literal["average", "roll"]
RestKind = Literal["short", "long"]
InventoryAction = Literal["add", "remove", "equip", "unequip"]
T = TypeVar("T")


# --- Plain values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    item: str  # SRD index
    name: str
    quantity: int
    equipped: bool = False


@dataclass(frozen=True)
class ActiveCondition:
    name: str  # SRD condition index
    rounds: int | None = None  # None: until removed
    level: int = 1  # exhaustion level


@dataclass(frozen=True)
class Sheet:
    """The stored facts of one character, detached from the database."""

    id: int
    guild_id: int
    owner_id: int
    campaign_id: int | None
    name: str
    active: bool
    version: int
    race: str
    subrace: str | None
    class_index: str
    background: str
    level: int
    xp: int
    levelup_allowed: bool
    base_scores: Mapping[str, int]
    bonus_scores: Mapping[str, int]
    hp_max: int
    hp_current: int
    hp_temp: int
    hit_dice_used: int
    death_successes: int
    death_failures: int
    proficiencies: Mapping[str, tuple[str, ...]]
    expertise: tuple[str, ...]
    languages: tuple[str, ...]
    features: tuple[str, ...]
    inventory: tuple[Item, ...]
    coins: Mapping[str, int]
    slots_max: tuple[int, ...]
    slots_current: tuple[int, ...]
    conditions: tuple[ActiveCondition, ...]
    notes: str = ""
    backstory: str = ""
    portrait_url: str | None = None

    @property
    def scores(self) -> dict[str, int]:
        return rules.final_scores(self.base_scores, self.bonus_scores)

    def proficient(self, group: str, slug: str) -> bool:
        return slug in self.proficiencies.get(group, ())

    def carried(self, index: str) -> Item | None:
        return next((i for i in self.inventory if i.item == index), None)


@dataclass(frozen=True)
class AttackLine:
    weapon: str  # SRD index
    name: str
    ability: str
    to_hit: int
    damage: str  # e.g. "1d8+3 piercing"
    proficient: bool


@dataclass(frozen=True)
class Stats:
    """Every derived number of a sheet, computed by the rules."""

    scores: Mapping[str, int]
    modifiers: Mapping[str, int]
    proficiency_bonus: int
    saves: Mapping[str, int]
    skills: Mapping[str, int]
    armor_class: int
    speed: int
    initiative: int
    passive_perception: int
    hit_die: int
    hit_dice_left: int
    hp_max: int
    attacks: tuple[AttackLine, ...]
    race_name: str
    class_name: str
    background_name: str
    stealth_disadvantage: bool


@dataclass(frozen=True)
class Summary:
    name: str
    race_name: str
    class_name: str
    level: int
    active: bool


@dataclass(frozen=True)
class Draft:
    """Everything `/character create` asked for, validated; the player's choices come next."""

    guild_id: int
    owner_id: int
    name: str
    race: Race
    subraces: tuple[Subrace, ...]
    klass: CharacterClass
    background: Background
    method: rules.Method
    pool: tuple[int, ...]  # the six values to assign (empty for point buy)
    rolls: tuple[RollOutcome, ...]  # the rolled method's six 4d6-drop-lowest rolls
    suggested: Mapping[str, int]
    skill_choose: int
    skill_options: tuple[str, ...]
    race_skill_choose: int
    race_skill_options: tuple[str, ...]
    bonus_choose: int  # half-elf: +1 to this many abilities of `bonus_options`
    bonus_options: tuple[str, ...]


@dataclass(frozen=True)
class Choices:
    scores: Mapping[str, int] | None = None  # None: the suggested assignment
    subrace: str | None = None
    skills: tuple[str, ...] = ()
    race_skills: tuple[str, ...] = ()
    bonus_abilities: tuple[str, ...] = ()
    expertise: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class Rest:
    sheet: Sheet
    kind: RestKind
    hp_regained: int
    hit_dice_spent: int
    hit_dice_regained: int
    roll: RollOutcome | None


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


# --- Authorisation and names ----------------------------------------------------------------------


def may_edit(actor: Actor, owner_id: int, campaign_dm_id: int | None) -> bool:
    """The owner may change a character; so may the DM of the campaign it plays in."""
    return actor.user_id == owner_id or (campaign_dm_id is not None and actor.user_id == campaign_dm_id)


def clean_name(raw: str) -> str:
    """1-64 visible characters: control and zero-width characters go, whitespace collapses."""
    kept = "".join(c for c in raw if unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
    name = " ".join(kept.split())
    if not name:
        raise InvalidInput("A character needs a name with at least one visible character. Example: `Tordek`")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"A character name is at most {MAX_NAME_LENGTH} characters (yours has {len(name)}).")
    return name


def name_key(name: str) -> str:
    return clean_name(name).casefold()


def guild_of(actor: Actor) -> int:
    return actor.guild_id if actor.guild_id is not None else NO_GUILD


# --- Derived numbers ------------------------------------------------------------------------------


def stats(sheet: Sheet, srd: SRD) -> Stats:
    """Compose the rules into the numbers a sheet shows."""
    scores = sheet.scores
    mods = {a: rules.modifier(scores[a]) for a in rules.ABILITIES}
    prof = rules.proficiency_bonus(sheet.level)
    skills = {
        s.index: rules.skill_bonus(
            mods[s.ability],
            prof,
            proficient=sheet.proficient("skills", s.index),
            expertise=s.index in sheet.expertise,
        )
        for s in srd.data.skills
    }
    armor, _shield = worn_armor(sheet, srd)
    klass = srd.klass(sheet.class_index)
    race = srd.race(sheet.race)
    exhaustion = condition_level(sheet, "exhaustion")
    base_speed = rules.speed(race.speed, armor=armor, strength=scores["str"])
    return Stats(
        scores=scores,
        modifiers=mods,
        proficiency_bonus=prof,
        saves={a: rules.save_bonus(mods[a], prof, proficient=sheet.proficient("saves", a)) for a in rules.ABILITIES},
        skills=skills,
        armor_class=armor_class(sheet, srd),
        speed=rules.exhaustion_speed(base_speed, exhaustion),
        initiative=rules.initiative_bonus(mods["dex"]),
        passive_perception=rules.passive_score(skills["perception"]),
        hit_die=klass.hit_die,
        hit_dice_left=sheet.level - sheet.hit_dice_used,
        hp_max=rules.exhaustion_hp_max(sheet.hp_max, exhaustion),
        attacks=tuple(attack_line(sheet, srd, w) for w in carried_weapons(sheet, srd)),
        race_name=srd.subrace(sheet.subrace).name if sheet.subrace else race.name,
        class_name=klass.name,
        background_name=srd.background(sheet.background).name,
        stealth_disadvantage=armor is not None and armor.stealth_disadvantage,
    )


def worn_armor(sheet: Sheet, srd: SRD) -> tuple[Armor | None, Armor | None]:
    armor: Armor | None = None
    shield: Armor | None = None
    for entry in sheet.inventory:
        if entry.equipped and entry.item in srd.lookup("armor"):
            piece = srd.armor(entry.item)
            if piece.category == "shield":
                shield = piece
            else:
                armor = piece
    return armor, shield


def armor_class(sheet: Sheet, srd: SRD) -> int:
    armor, shield = worn_armor(sheet, srd)
    scores = sheet.scores
    bonus = rules.unarmored_bonus(sheet.class_index, scores, wearing_shield=shield is not None)
    return rules.armor_class(dex_mod=rules.modifier(scores["dex"]), armor=armor, shield=shield, unarmored_bonus=bonus)


def carried_weapons(sheet: Sheet, srd: SRD) -> list[Weapon]:
    weapons = srd.lookup("weapon")
    return [srd.weapon(i.item) for i in sheet.inventory if i.item in weapons and srd.weapon(i.item).damage_dice]


def attack_line(sheet: Sheet, srd: SRD, weapon: Weapon, *, two_handed: bool = False) -> AttackLine:
    scores = sheet.scores
    str_mod, dex_mod = rules.modifier(scores["str"]), rules.modifier(scores["dex"])
    ability = rules.weapon_ability(weapon, str_mod, dex_mod)
    mod = str_mod if ability == "str" else dex_mod
    proficient = rules.weapon_proficient(weapon, sheet.proficiencies.get("weapons", ()), _references(srd))
    dice = (weapon.two_handed_dice if two_handed and weapon.two_handed_dice else weapon.damage_dice) or "1"
    return AttackLine(
        weapon=weapon.index,
        name=weapon.name,
        ability=ability,
        to_hit=rules.attack_bonus(mod, rules.proficiency_bonus(sheet.level), proficient=proficient),
        damage=f"{rules.damage_expression(dice, mod)} {weapon.damage_type or ''}".strip(),
        proficient=proficient,
    )


def _references(srd: SRD) -> dict[str, str | None]:
    return {p.index: p.reference for p in srd.data.proficiencies if p.group == "weapons"}


def condition_level(sheet: Sheet, index: str) -> int:
    found = next((c for c in sheet.conditions if c.name == index), None)
    return found.level if found else 0


def active_conditions(sheet: Sheet, srd: SRD) -> list[tuple[Condition, int]]:
    """The sheet's conditions as SRD entries with levels, plus the ones they imply (unconscious → prone)."""
    found: dict[str, tuple[Condition, int]] = {}
    for entry in sheet.conditions:
        condition = srd.condition(entry.name)
        found[condition.index] = (condition, entry.level)
        for implied in condition.effects.implies:
            found.setdefault(implied, (srd.condition(implied), 1))
    return list(found.values())


# --- Conversions ----------------------------------------------------------------------------------


def to_sheet(row: Character) -> Sheet:
    return Sheet(
        id=row.id,
        guild_id=row.guild_id,
        owner_id=row.owner_id,
        campaign_id=row.campaign_id,
        name=row.name,
        active=row.active,
        version=row.version,
        race=row.race,
        subrace=row.subrace,
        class_index=row.class_index,
        background=row.background,
        level=row.level,
        xp=row.xp,
        levelup_allowed=row.levelup_allowed,
        base_scores=dict(row.base_scores),
        bonus_scores=dict(row.bonus_scores),
        hp_max=row.hp_max,
        hp_current=row.hp_current,
        hp_temp=row.hp_temp,
        hit_dice_used=row.hit_dice_used,
        death_successes=row.death_successes,
        death_failures=row.death_failures,
        proficiencies={k: tuple(v) for k, v in row.proficiencies.items()},
        expertise=tuple(row.expertise),
        languages=tuple(row.languages),
        features=tuple(row.features),
        inventory=tuple(Item(**entry) for entry in row.inventory),
        coins=dict(row.coins),
        slots_max=tuple(row.slots_max),
        slots_current=tuple(row.slots_current),
        conditions=tuple(ActiveCondition(**entry) for entry in row.conditions),
        notes=row.notes,
        backstory=row.backstory,
        portrait_url=row.portrait_url,
    )


_STATE_FIELDS = (
    "name", "level", "xp", "levelup_allowed", "hp_max", "hp_current", "hp_temp", "hit_dice_used",
    "death_successes", "death_failures", "notes", "backstory", "portrait_url",
)  # fmt: skip


def write_back(row: Character, sheet: Sheet) -> None:
    """Copy a changed sheet onto its row; JSON columns get new objects so the change is seen."""
    for name in _STATE_FIELDS:
        setattr(row, name, getattr(sheet, name))
    row.name_key = name_key(sheet.name)
    row.base_scores = dict(sheet.base_scores)
    row.bonus_scores = dict(sheet.bonus_scores)
    row.proficiencies = {k: list(v) for k, v in sheet.proficiencies.items()}
    row.expertise = list(sheet.expertise)
    row.features = list(sheet.features)
    row.inventory = [_item_json(i) for i in sheet.inventory]
    row.coins = dict(sheet.coins)
    row.slots_max = list(sheet.slots_max)
    row.slots_current = list(sheet.slots_current)
    row.conditions = [{"name": c.name, "rounds": c.rounds, "level": c.level} for c in sheet.conditions]
    row.version = row.version + 1


def _item_json(item: Item) -> dict[str, Any]:
    return {"item": item.item, "name": item.name, "quantity": item.quantity, "equipped": item.equipped}


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
    ) -> None:
        self.db = db
        self.reads = Reads(db)  # the hot read path (/character show, /check) skips BEGIN/COMMIT
        self.dice = dice
        self.srd = srd or load_srd()
        self.campaign_dm = campaign_dm  # the campaigns issue plugs in "who is this campaign's DM"

    # Reading ------------------------------------------------------------------------------------

    async def get(self, actor: Actor, ref: CharacterRef | None = None) -> Sheet:
        ref = ref or CharacterRef()
        async with self.reads.session() as session:
            row = await self._find(session, actor, ref, lock=False)
            return to_sheet(row)

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
        return stats(sheet, self.srd)

    def _summary(self, sheet: Sheet) -> Summary:
        s = self.stats(sheet)
        return Summary(sheet.name, s.race_name, s.class_name, sheet.level, sheet.active)

    # Creation -----------------------------------------------------------------------------------

    async def start_draft(
        self, actor: Actor, *, name: str, race: str, klass: str, background: str, method: str
    ) -> Draft:
        """Check the options, roll the scores for the rolled method (logged), suggest an assignment."""
        clean = clean_name(name)
        race_entry, class_entry, background_entry = self._race(race), self._class(klass), self._background(background)
        chosen = _method(method)
        await self._check_name_free(actor, clean)
        rolls: tuple[RollOutcome, ...] = ()
        if chosen == "rolled":
            rolls = tuple(self.dice.roll(rules.ROLLED_ABILITY_EXPRESSION, label="Ability score") for _ in range(6))
        pool = {"standard": rules.STANDARD_ARRAY, "rolled": tuple(r.total for r in rolls)}.get(chosen, ())
        if rolls:
            await self._log(actor, rolls)
        return self._draft(actor, clean, race_entry, class_entry, background_entry, chosen, pool, rolls)

    def _draft(
        self,
        actor: Actor,
        name: str,
        race: Race,
        klass: CharacterClass,
        background: Background,
        method: rules.Method,
        pool: tuple[int, ...],
        rolls: tuple[RollOutcome, ...],
    ) -> Draft:
        skill_choice = klass.skill_choice
        race_skill = next((c for c in race.proficiency_choices if _is_skill_choice(c.options)), None)
        race_options = race_skill.options if race_skill else ()
        race_skill_options = tuple(o.item.removeprefix("skill-") for o in race_options if o.item)
        fixed_skills = set(background.skill_proficiencies) | set(race.proficiencies.skills)
        bonus = race.ability_bonus_choice
        return Draft(
            guild_id=guild_of(actor),
            owner_id=actor.user_id,
            name=name,
            race=race,
            subraces=tuple(self.srd.subrace(s) for s in race.subraces),
            klass=klass,
            background=background,
            method=method,
            pool=pool,
            rolls=rolls,
            suggested=suggest_scores(klass.index, method, pool),
            skill_choose=skill_choice.choose if skill_choice else 0,
            skill_options=tuple(s for s in (skill_choice.options if skill_choice else ()) if s not in fixed_skills),
            race_skill_choose=race_skill.choose if race_skill else 0,
            race_skill_options=race_skill_options,
            bonus_choose=bonus.choose if bonus else 0,
            bonus_options=tuple(o.item for o in bonus.options if o.item) if bonus else (),
        )

    def parse_scores(self, draft: Draft, text: str) -> dict[str, int]:
        """Six numbers in STR DEX CON INT WIS CHA order, checked against the draft's method."""
        parts = text.replace(",", " ").replace("/", " ").split()
        try:
            numbers = [int(p) for p in parts]
        except ValueError:
            numbers = []
        if len(numbers) != 6:
            raise InvalidInput(
                "Type six numbers in the order STR DEX CON INT WIS CHA, e.g. `15 14 13 12 10 8`."
            )
        scores = dict(zip(rules.ABILITIES, numbers, strict=True))
        check_scores(draft, scores)
        return scores

    async def create(self, actor: Actor, draft: Draft, choices: Choices) -> Sheet:
        """Validate every choice again, then store the character as the owner's active one."""
        if actor.user_id != draft.owner_id or guild_of(actor) != draft.guild_id:
            raise Forbidden("Only the player who started this character can finish it.")
        row = self._new_character(draft, choices)
        try:
            async with self.db.transaction() as session:
                repo = CharacterRepository(session)
                mine = await repo.list_for(draft.guild_id, draft.owner_id, lock=True)
                if any(other.name_key == row.name_key for other in mine):
                    raise InvalidInput(_name_taken(draft.name))
                if len(mine) >= MAX_CHARACTERS:
                    raise InvalidInput(f"You have {MAX_CHARACTERS} characters here already; delete one first.")
                await repo.deactivate_all(draft.guild_id, draft.owner_id)
                repo.add(row)
                await session.flush()
                return to_sheet(row)
        except IntegrityError:  # the same name created at the same moment by a second click
            raise InvalidInput(_name_taken(draft.name)) from None

    def _new_character(self, draft: Draft, choices: Choices) -> Character:
        scores = dict(choices.scores) if choices.scores is not None else dict(draft.suggested)
        check_scores(draft, scores)
        subrace = self._subrace(draft, choices.subrace)
        skills = self._skills(draft, choices)
        bonuses = self._bonuses(draft, subrace, choices.bonus_abilities)
        expertise = _expertise(draft.klass, skills, choices.expertise)
        final = rules.final_scores(scores, bonuses)
        con_mod = rules.modifier(final["con"])
        hp = rules.hp_first_level(draft.klass.hit_die, con_mod, per_level_bonus=_toughness(subrace))
        profs = self._proficiencies(draft, subrace, skills)
        slots = list(self.srd.spell_slots(draft.klass.index, 1))
        kit = self.starting_kit(draft.klass, draft.background, profs)
        gold = draft.background.starting_gold
        coins = {c: 0 for c in rules.COIN_VALUES_CP}
        if gold is not None:
            coins[gold.unit] = gold.quantity
        return Character(
            guild_id=draft.guild_id,
            owner_id=draft.owner_id,
            campaign_id=None,
            name=draft.name,
            name_key=name_key(draft.name),
            active=True,
            version=1,
            race=draft.race.index,
            subrace=subrace.index if subrace else None,
            class_index=draft.klass.index,
            background=draft.background.index,
            level=1,
            xp=0,
            levelup_allowed=False,
            base_scores=scores,
            bonus_scores=bonuses,
            hp_max=hp,
            hp_current=hp,
            hp_temp=0,
            hit_dice_used=0,
            death_successes=0,
            death_failures=0,
            proficiencies={k: sorted(v) for k, v in profs.items()},
            expertise=list(expertise),
            languages=list(dict.fromkeys(draft.race.languages)),
            features=list(_starting_features(draft, subrace)),
            inventory=[_item_json(i) for i in kit],
            coins=coins,
            slots_max=slots,
            slots_current=slots,
            conditions=[],
            notes="",
            backstory="",
            portrait_url=None,
        )

    def _subrace(self, draft: Draft, chosen: str | None) -> Subrace | None:
        if not draft.subraces:
            if chosen:
                raise InvalidInput(f"{draft.race.name} has no subraces; leave the subrace empty.")
            return None
        if chosen is None:
            if len(draft.subraces) == 1:
                return draft.subraces[0]
            raise InvalidInput(f"Pick a subrace for your {draft.race.name}.")
        match = next((s for s in draft.subraces if chosen in (s.index, s.name)), None)
        if match is None:
            names = ", ".join(s.name for s in draft.subraces)
            raise InvalidInput(f"`{chosen}` is not a {draft.race.name} subrace; choose one of {names}.")
        return match

    def _skills(self, draft: Draft, choices: Choices) -> tuple[str, ...]:
        class_skills = _pick(choices.skills, draft.skill_options, draft.skill_choose, f"{draft.klass.name} skills")
        race_skills = _pick(
            choices.race_skills, draft.race_skill_options, draft.race_skill_choose, f"{draft.race.name} skills"
        )
        both = set(class_skills) & set(race_skills)
        if both:
            raise InvalidInput(f"You picked {', '.join(sorted(both))} twice; choose a different race skill.")
        return class_skills + race_skills

    def _bonuses(self, draft: Draft, subrace: Subrace | None, chosen: tuple[str, ...]) -> dict[str, int]:
        bonuses = {a: 0 for a in rules.ABILITIES}
        for ability, value in draft.race.ability_bonuses.items():
            bonuses[ability] += value
        if subrace is not None:
            for ability, value in subrace.ability_bonuses.items():
                bonuses[ability] += value
        for ability in _pick(chosen, draft.bonus_options, draft.bonus_choose, "abilities for your +1 bonuses"):
            bonuses[ability] += 1
        return {a: v for a, v in bonuses.items() if v}

    def _proficiencies(self, draft: Draft, subrace: Subrace | None, skills: Sequence[str]) -> dict[str, set[str]]:
        race, klass, background = draft.race, draft.klass, draft.background
        sources = [race.proficiencies, klass.proficiencies, *([subrace.proficiencies] if subrace else [])]
        profs: dict[str, set[str]] = {
            "saves": set(klass.saving_throws),
            "skills": set(skills) | set(background.skill_proficiencies) | set(race.proficiencies.skills),
            "armor": {a for p in sources for a in p.armor},
            "weapons": {w for p in sources for w in p.weapons},
            "tools": {t for p in sources for t in p.tools} | set(background.tool_proficiencies),
        }
        for choice in race.proficiency_choices:  # a tool choice (dwarves) takes the first option
            if not _is_skill_choice(choice.options) and choice.options and choice.options[0].item:
                profs["tools"].add(choice.options[0].item)
        return profs

    def starting_kit(
        self, klass: CharacterClass, background: Background, profs: Mapping[str, set[str]]
    ) -> list[Item]:
        """Fixed items of class and background, plus the first option of each equipment choice."""
        counts: dict[str, int] = {}
        picks = [(i.item, i.quantity) for i in (*klass.starting_equipment, *background.starting_equipment)]
        for choice in (*klass.starting_equipment_options, *background.starting_equipment_options):
            picks.extend(self._default_pick(choice, profs))
        for index, quantity in picks:
            for item, count in self._unpack(index, quantity):
                counts[item] = counts.get(item, 0) + count
        items = [Item(i, self.srd.item(i).name, q) for i, q in counts.items()]
        return _equip_defaults(items, self.srd, profs)

    def _default_pick(self, choice: Any, profs: Mapping[str, set[str]]) -> list[tuple[str, int]]:
        if choice.category:
            members = self.srd.equipment_category(choice.category).equipment
            mundane = [m for m in members if m in self.srd.lookup("item")]
            preferred = [m for m in PREFERRED_PICKS if m in mundane] or mundane[:1]
            return [(preferred[0], choice.choose)] if preferred else []
        for option in choice.options:
            if all(p in profs.get("weapons", set()) | profs.get("armor", set()) for p in option.requires_proficiency):
                return self._option_items(option, profs)
        return []

    def _option_items(self, option: Any, profs: Mapping[str, set[str]]) -> list[tuple[str, int]]:
        if option.item:
            return [(option.item, option.count)] if option.item in self.srd.lookup("item") else []
        if option.choice:
            return self._default_pick(option.choice, profs)
        return [pair for part in option.all_of for pair in self._option_items(part, profs)]

    def _unpack(self, index: str, quantity: int) -> list[tuple[str, int]]:
        """Equipment packs become their contents, so a torch can be used and removed."""
        entry = self.srd.item(index)
        contents = getattr(entry, "contents", ())
        if contents:
            return [(c.item, c.quantity * quantity) for c in contents if c.item in self.srd.lookup("item")]
        return [(entry.index, quantity)]

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
    ) -> Sheet:
        changes: dict[str, Any] = {}
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
                    raise InvalidInput(_name_taken(changes["name"]))
            new = replace(sheet, **changes)
            return new, new

        return await self._change(actor, ref, apply)

    # Levels and rests ---------------------------------------------------------------------------

    async def level_up(self, actor: Actor, ref: CharacterRef, hp_method: HpMethod = "average") -> LevelUp:
        if hp_method not in ("average", "roll"):
            raise InvalidInput("Take HP by `average` or `roll`.")

        async def apply(_: AsyncSession, sheet: Sheet, pending: Pending) -> tuple[Sheet, LevelUp]:
            new_level = sheet.level + 1
            self._check_may_level(sheet, new_level)
            klass = self.srd.klass(sheet.class_index)
            roll = self.dice.roll(f"1d{klass.hit_die}", label="Hit points") if hp_method == "roll" else None
            if roll:
                pending.rolls.append(roll)
            die_value = roll.total if roll else rules.hp_average_gain(klass.hit_die)
            con_mod = rules.modifier(sheet.scores["con"])
            gain = rules.hp_gain(die_value, con_mod, per_level_bonus=self._toughness_of(sheet))
            slots = self.srd.spell_slots(klass.index, new_level)
            features = klass.level(new_level).features
            new = replace(
                sheet,
                level=new_level,
                levelup_allowed=False,
                hp_max=sheet.hp_max + gain,
                hp_current=sheet.hp_current + gain,
                slots_max=slots,
                slots_current=_grow_slots(sheet.slots_current, sheet.slots_max, slots),
                features=tuple(dict.fromkeys((*sheet.features, *features))),
            )
            prof = rules.proficiency_bonus(new_level)
            return new, LevelUp(new, sheet.level, new_level, gain, roll, prof, slots, features)

        return await self._change(actor, ref, apply)

    def _check_may_level(self, sheet: Sheet, new_level: int) -> None:
        if new_level > rules.MAX_LEVEL:
            raise InvalidInput(f"{sheet.name} is level {rules.MAX_LEVEL}, the highest level there is.")
        if sheet.campaign_id is None or sheet.levelup_allowed:
            return  # outside a campaign there is no DM to keep score: players level at will
        needed = self.srd.xp_for_level(new_level)
        if sheet.xp < needed:
            raise InvalidInput(
                f"{sheet.name} has {sheet.xp:,} XP; level {new_level} needs {needed:,}. "
                "Your campaign's DM can also allow the level-up."
            )

    def _toughness_of(self, sheet: Sheet) -> int:
        return _toughness(self.srd.subrace(sheet.subrace) if sheet.subrace else None)

    async def rest(self, actor: Actor, ref: CharacterRef, kind: RestKind, dice: int = 0) -> Rest:
        if kind not in ("short", "long"):
            raise InvalidInput("Rest `short` or `long`.")

        async def apply(_: AsyncSession, sheet: Sheet, pending: Pending) -> tuple[Sheet, Rest]:
            if sheet.death_failures >= 3:
                raise InvalidInput(f"{sheet.name} is dead; rest won't help.")
            if kind == "long":
                return self._long_rest(sheet)
            return self._short_rest(sheet, dice, pending)

        return await self._change(actor, ref, apply)

    def _short_rest(self, sheet: Sheet, dice: int, pending: Pending) -> tuple[Sheet, Rest]:
        left = sheet.level - sheet.hit_dice_used
        if dice < 0 or dice > left:
            raise InvalidInput(f"{sheet.name} has {left} hit {'die' if left == 1 else 'dice'} to spend; not {dice}.")
        klass = self.srd.klass(sheet.class_index)
        con_mod = rules.modifier(sheet.scores["con"])
        roll = None
        healed = 0
        if dice:
            roll = self.dice.roll(f"{dice}d{klass.hit_die}{_signed_or_empty(con_mod * dice)}", label="Hit dice")
            pending.rolls.append(roll)
            healed = max(0, roll.total)
        current = rules.heal(sheet.hp_current, sheet.hp_max, healed)
        slots = sheet.slots_max if klass.index in SHORT_REST_SLOT_CLASSES else sheet.slots_current
        revived = current > 0 and sheet.hp_current <= 0
        new = replace(
            sheet,
            hp_current=current,
            hit_dice_used=sheet.hit_dice_used + dice,
            slots_current=tuple(slots),
            death_successes=0 if revived else sheet.death_successes,
            death_failures=0 if revived else sheet.death_failures,
        )
        return new, Rest(new, "short", current - max(0, sheet.hp_current), dice, 0, roll)

    def _long_rest(self, sheet: Sheet) -> tuple[Sheet, Rest]:
        regained = min(sheet.hit_dice_used, rules.hit_dice_regained_on_long_rest(sheet.level))
        conditions = tuple(
            replace(c, level=c.level - 1) if c.name == "exhaustion" else c
            for c in sheet.conditions
            if not (c.name == "exhaustion" and c.level <= 1)
        )
        new = replace(
            sheet,
            hp_current=sheet.hp_max,
            hit_dice_used=sheet.hit_dice_used - regained,
            slots_current=sheet.slots_max,
            death_successes=0,
            death_failures=0,
            conditions=conditions,
        )
        return new, Rest(new, "long", sheet.hp_max - max(0, sheet.hp_current), 0, regained, None)

    # Inventory, coins, conditions ---------------------------------------------------------------

    async def inventory(
        self, actor: Actor, ref: CharacterRef, action: str, item: str, quantity: int = 1
    ) -> InventoryChange:
        entry = self._item(item)
        if action not in ("add", "remove", "equip", "unequip"):
            raise InvalidInput("Inventory actions are add, remove, equip, unequip and coins.")
        if not 1 <= quantity <= MAX_STACK:
            raise InvalidInput(f"A quantity runs from 1 to {MAX_STACK:,}; not {quantity}.")

        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, InventoryChange]:
            before = armor_class(sheet, self.srd)
            items, message = self._inventory_change(sheet, action, entry.index, entry.name, quantity)
            new = replace(sheet, inventory=items)
            after = armor_class(new, self.srd)
            return new, InventoryChange(new, message, before, after)

        return await self._change(actor, ref, apply)

    def _inventory_change(
        self, sheet: Sheet, action: str, index: str, name: str, quantity: int
    ) -> tuple[tuple[Item, ...], str]:
        held = sheet.carried(index)
        if action == "add":
            return add_item(sheet.inventory, Item(index, name, quantity)), f"Added {quantity} × {name}."
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
        """Armour replaces worn armour, a shield replaces a shield; the AC follows."""
        slot = self._armor_slot(index)
        items = []
        for entry in sheet.inventory:
            if entry.item == index:
                entry = replace(entry, equipped=True)
            elif slot and entry.equipped and self._armor_slot(entry.item) == slot:
                entry = replace(entry, equipped=False)
            items.append(entry)
        note = ""
        if slot and not self._armor_proficient(sheet, index):
            note = f" {sheet.name} isn't proficient with it (the SRD gives disadvantage on Str and Dex rolls)."
        return tuple(items), f"Equipped {name}.{note}"

    def _armor_slot(self, index: str) -> str | None:
        if index not in self.srd.lookup("armor"):
            return None
        return "shield" if self.srd.armor(index).category == "shield" else "body"

    def _armor_proficient(self, sheet: Sheet, index: str) -> bool:
        armor = self.srd.armor(index)
        have = set(sheet.proficiencies.get("armor", ()))
        wanted = {"shields"} if armor.category == "shield" else {"all-armor", f"{armor.category}-armor", index}
        return bool(have & wanted)

    async def coins(self, actor: Actor, ref: CharacterRef, deltas: Mapping[str, int]) -> Sheet:
        for coin, delta in deltas.items():
            if abs(delta) > MAX_COIN_DELTA:
                raise InvalidInput(f"Move at most {MAX_COIN_DELTA:,} {coin} at once.")
        if not any(deltas.values()):
            raise InvalidInput("Give at least one coin change, e.g. `gp:5` or `sp:-3`.")

        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, Sheet]:
            new = replace(sheet, coins=rules.apply_coins(sheet.coins, deltas))
            return new, new

        return await self._change(actor, ref, apply)

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

        return await self._change(actor, ref, apply)

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
    ) -> T:
        async with self.db.transaction() as session:
            row = await self._find(session, actor, ref, lock=True)
            dm = await self.campaign_dm(row.campaign_id) if self.campaign_dm and row.campaign_id else None
            if not may_edit(actor, row.owner_id, dm):
                raise Forbidden(f"Only {row.name}'s player (or their campaign's DM) can change {row.name}.")
            pending = Pending()
            new, result = await apply(session, to_sheet(row), pending)
            write_back(row, new)
            roll_log = RollLogRepository(session)
            for outcome in pending.rolls:
                roll_log.add(_log_entry(actor, outcome, row.name))
            return result

    async def _find(self, session: AsyncSession, actor: Actor, ref: CharacterRef, *, lock: bool) -> Character:
        repo = CharacterRepository(session)
        guild, owner = guild_of(actor), ref.owner_id or actor.user_id
        mine = owner == actor.user_id
        if ref.name is not None:
            row = await repo.by_name(guild, owner, name_key(ref.name), lock=lock)
            if row is None:
                whose = "You have" if mine else "That player has"
                raise NotFound(f"{whose} no character called “{ref.name[:64]}” here. `/character list` shows them.")
            return row
        row = await repo.active(guild, owner, lock=lock)
        if row is None:
            raise NotFound(
                "You have no active character here. "
                "Make one with `/character create` or pick one with `/character use`."
                if mine
                else "That player has no active character here."
            )
        return row

    async def _check_name_free(self, actor: Actor, name: str) -> None:
        async with self.db.transaction() as session:
            repo = CharacterRepository(session)
            if await repo.by_name(guild_of(actor), actor.user_id, name_key(name)) is not None:
                raise InvalidInput(_name_taken(name))

    async def _log(self, actor: Actor, outcomes: Iterable[RollOutcome], name: str | None = None) -> None:
        async with self.db.transaction() as session:
            roll_log = RollLogRepository(session)
            for outcome in outcomes:
                roll_log.add(_log_entry(actor, outcome, name))

    # SRD lookups with player-facing errors ------------------------------------------------------

    def _race(self, key: str) -> Race:
        return _lookup(self.srd.race, key, "race", self.srd.search("race", key[:1]) or self.srd.search("race", ""))

    def _class(self, key: str) -> CharacterClass:
        return _lookup(self.srd.klass, key, "class", self.srd.search("class", ""))

    def _background(self, key: str) -> Background:
        return _lookup(self.srd.background, key, "background", self.srd.search("background", ""))

    def _item(self, key: str) -> Any:
        return _lookup(self.srd.item, key, "item", self.srd.search("item", key[:3], limit=5))

    def _condition(self, key: str) -> Condition:
        return _lookup(self.srd.condition, key, "condition", self.srd.search("condition", ""))


# --- Helpers --------------------------------------------------------------------------------------


def _lookup(get: Callable[[str], T], key: str, kind: str, suggestions: list[tuple[str, str]]) -> T:
    try:
        return get(key)
    except KeyError:
        names = ", ".join(name for _, name in suggestions[:12])
        hint = f" Try one of: {names}." if names else ""
        raise NotFound(f"“{key[:64]}” is not an SRD {kind}.{hint}") from None


def _method(method: str) -> rules.Method:
    text = method.strip().lower().replace(" ", "").replace("-", "").replace("_", "")
    aliases: dict[str, rules.Method] = {
        "standard": "standard", "standardarray": "standard", "array": "standard",
        "pointbuy": "pointbuy", "points": "pointbuy", "rolled": "rolled", "roll": "rolled", "4d6": "rolled",
    }  # fmt: skip
    if text not in aliases:
        raise InvalidInput(
            "Choose an ability method: `standard` (15 14 13 12 10 8), `pointbuy` (27 points) or `rolled`."
        )
    return aliases[text]


def suggest_scores(class_index: str, method: rules.Method, pool: tuple[int, ...]) -> dict[str, int]:
    """The pool (or a legal point buy) assigned by the class's priorities, highest first."""
    values = sorted(pool or POINT_BUY_SUGGESTION, reverse=True)
    order = ABILITY_PRIORITY.get(class_index, rules.ABILITIES)
    return dict(zip(order, values, strict=True))


def check_scores(draft: Draft, scores: Mapping[str, int]) -> None:
    if draft.method == "pointbuy":
        rules.validate_point_buy(scores)
    else:
        rules.validate_assignment(scores, draft.pool)


def _pick(chosen: Sequence[str], options: Sequence[str], count: int, what: str) -> tuple[str, ...]:
    picked = tuple(dict.fromkeys(chosen))
    if count == 0:
        return ()
    bad = [c for c in picked if c not in options]
    if bad:
        raise InvalidInput(f"{', '.join(bad)} can't be chosen among your {what}; choose from {', '.join(options)}.")
    if len(picked) != count:
        raise InvalidInput(f"Choose exactly {count} {what} (you chose {len(picked)}).")
    return picked


def _expertise(klass: CharacterClass, skills: Sequence[str], chosen: Sequence[str]) -> tuple[str, ...]:
    """Classes with Expertise at level 1 (rogue) may pick two proficient skills; optional here."""
    if not chosen:
        return ()
    if "Expertise" not in klass.level(1).features:
        raise InvalidInput(f"A level-1 {klass.name} has no Expertise.")
    return _pick(chosen, skills, 2, "expertise skills (from your proficient skills)")


def _is_skill_choice(options: Sequence[Any]) -> bool:
    return bool(options) and all((o.item or "").startswith("skill-") for o in options)


def _toughness(subrace: Subrace | None) -> int:
    """Hill dwarves' Dwarven Toughness: +1 HP per level."""
    return 1 if subrace is not None and "Dwarven Toughness" in subrace.traits else 0


def _starting_features(draft: Draft, subrace: Subrace | None) -> tuple[str, ...]:
    traits = (*draft.race.traits, *(subrace.traits if subrace else ()))
    return tuple(dict.fromkeys((*draft.klass.level(1).features, *traits, draft.background.feature)))


def _equip_defaults(items: list[Item], srd: SRD, profs: Mapping[str, set[str]]) -> list[Item]:
    """Wear the best proficient armour and a shield if proficient, so the starting AC is right."""
    armor_profs = profs.get("armor", set())
    best: tuple[int, str] | None = None
    out = []
    for item in items:
        if item.item in srd.lookup("armor"):
            armor = srd.armor(item.item)
            if armor.category == "shield":
                item = replace(item, equipped="shields" in armor_profs)
            elif armor_profs & {"all-armor", f"{armor.category}-armor", armor.index}:
                best = max(best or (0, ""), (armor.base_ac, armor.index))
        out.append(item)
    return [replace(i, equipped=True) if best and i.item == best[1] else i for i in out]


def add_item(inventory: tuple[Item, ...], item: Item) -> tuple[Item, ...]:
    """The inventory with `item` stacked in; refuses past the row and stack limits."""
    held = next((i for i in inventory if i.item == item.item), None)
    if held is None:
        if len(inventory) >= MAX_INVENTORY_ROWS:
            raise InvalidInput(f"An inventory holds at most {MAX_INVENTORY_ROWS} different items.")
        return (*inventory, item)
    if held.quantity + item.quantity > MAX_STACK:
        raise InvalidInput(f"At most {MAX_STACK:,} of one item; you carry {held.quantity:,} {item.name}.")
    return tuple(replace(i, quantity=i.quantity + item.quantity) if i.item == item.item else i for i in inventory)


def _grow_slots(current: Sequence[int], old_max: Sequence[int], new_max: Sequence[int]) -> tuple[int, ...]:
    """New slots from a level arrive unspent; spent ones stay spent."""
    old = list(old_max) + [0] * (9 - len(old_max))
    cur = list(current) + [0] * (9 - len(current))
    return tuple(min(n, c + max(0, n - o)) for c, o, n in zip(cur, old, new_max, strict=False))


def _signed_or_empty(value: int) -> str:
    return "" if value == 0 else rules.signed(value)


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
        raise InvalidInput(f"A portrait is a link to an image with a host name, such as "
                           f"https://example.com/portrait.png ({MAX_URL} characters at most).")  # fmt: skip
    return cleaned


def _name_taken(name: str) -> str:
    return f"You already have a character called “{name}” here; pick another name or `/character delete` it."


def _log_entry(actor: Actor, outcome: RollOutcome, name: str | None) -> RollLog:
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
