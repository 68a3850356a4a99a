"""Creating characters (`/character create`): options checked, scores rolled or suggested, the choices
validated and the level-1 sheet stored with its starting kit, by the SRD 5.1 rules.

`CharacterCreation` is the character service plus this wizard; the modules that only read and change
sheets (checks, combat, turns, campaigns) take a plain `CharacterService` and never import this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.data.srd import SRD, Background, CharacterClass, Race, Spell, Subrace
from bot.engine import backgrounds, choices, levelup, rules, spells
from bot.engine.caps import check_characters
from bot.engine.characters import CharacterService, clean_pronouns, log_entry, lookup, name_taken
from bot.engine.dice import RollOutcome
from bot.engine.sheet import (
    Actor,
    Item,
    Sheet,
    clean_name,
    guild_of,
    item_json,
    name_key,
    spells_json,
    to_sheet,
    toughness,
)
from bot.errors import Forbidden, InvalidInput
from persistence.errors import Conflict
from persistence.models import Character
from persistence.repositories import CharacterRepository, RollLogRepository

ABILITY_PRIORITY = rules.ABILITY_PRIORITY
POINT_BUY_SUGGESTION: tuple[int, ...] = (15, 15, 15, 8, 8, 8)  # 9 + 9 + 9 = 27 points
# When the SRD says "any martial weapon" (or any holy symbol), the default kit takes one of these.
PREFERRED_PICKS: tuple[str, ...] = ("longsword", "shortsword", "mace", "quarterstaff", "handaxe", "amulet")


# --- Plain values ---------------------------------------------------------------------------------


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
    cantrip_choose: int = 0  # casters: up to this many cantrips, and 1st-level spells (known, in the
    cantrip_options: tuple[Spell, ...] = ()  # book or prepared by the class's rules); the rest can
    spell_choose: int = 0  # be picked later with /spell
    spell_options: tuple[Spell, ...] = ()
    pronouns: str = ""
    level_asks: tuple[choices.Ask, ...] = ()  # the class's level-1 choices and a dragonborn's ancestry
    suggested_picks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Choices:
    scores: Mapping[str, int] | None = None  # None: the suggested assignment
    subrace: str | None = None
    skills: tuple[str, ...] = ()
    race_skills: tuple[str, ...] = ()
    bonus_abilities: tuple[str, ...] = ()
    expertise: tuple[str, ...] = ()
    cantrips: tuple[str, ...] = ()  # SRD spell indexes
    spells: tuple[str, ...] = ()
    picks: Mapping[str, tuple[str, ...]] | None = None  # the draft's level_asks (None: its suggested picks)


# --- The wizard -----------------------------------------------------------------------------------


class CharacterCreation(CharacterService):
    """The character service with the creation wizard: what the `/character` cog and the test bed use.

    A subclass rather than a second service, so `services.characters` still does everything a player
    does with characters, while the engine modules that are handed it depend only on `CharacterService`.
    """

    async def start_draft(
        self,
        actor: Actor,
        *,
        name: str,
        race: str,
        klass: str,
        background: str,
        method: str,
        custom_background: str | None = None,
        pronouns: str = "",
    ) -> Draft:
        """Check the options, roll the scores for the rolled method (logged), suggest an assignment."""
        clean = clean_name(name)
        race_entry, class_entry = self._race(race), self._class(klass)
        named = self._subrace_named(race)  # "high elf": the race, with that subrace picked first
        background_entry = backgrounds.choose(self.srd, background, custom_background)
        chosen = _method(method)
        await self._check_name_free(actor, clean)
        rolls: tuple[RollOutcome, ...] = ()
        if chosen == "rolled":
            rolls = tuple(self.dice.roll(rules.ROLLED_ABILITY_EXPRESSION, label="Ability score") for _ in range(6))
        pool = {"standard": rules.STANDARD_ARRAY, "rolled": tuple(r.total for r in rolls)}.get(chosen, ())
        if rolls:
            await self._log(actor, rolls)
        draft = self._draft(actor, clean, race_entry, class_entry, background_entry, chosen, pool, rolls)
        if named is not None:
            draft = replace(draft, subraces=(named, *(s for s in draft.subraces if s.index != named.index)))
        return replace(draft, pronouns=clean_pronouns(pronouns))

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
        suggested = suggest_scores(klass.index, method, pool)
        # the number a cleric or druid prepares follows WIS; the draft counts with the suggested scores
        # and the race's fixed bonuses, and `create` checks again with the final ones
        likely = rules.final_scores(suggested, race.ability_bonuses)
        picks = spells.creation_picks(self.srd, klass, likely)
        profs = {"skills": skill_choice.options if skill_choice else (), "tools": ()}
        stand_in = choices.draft_sheet(self.srd, race=race.index, class_index=klass.index, proficiencies=profs)
        asked = choices.creation_asks(self.srd, stand_in)
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
            suggested=suggested,
            skill_choose=skill_choice.choose if skill_choice else 0,
            skill_options=tuple(s for s in (skill_choice.options if skill_choice else ()) if s not in fixed_skills),
            race_skill_choose=race_skill.choose if race_skill else 0,
            race_skill_options=race_skill_options,
            bonus_choose=bonus.choose if bonus else 0,
            bonus_options=tuple(o.item for o in bonus.options if o.item) if bonus else (),
            cantrip_choose=picks.cantrips,
            cantrip_options=picks.cantrip_options,
            spell_choose=picks.spells,
            spell_options=picks.spell_options,
            level_asks=asked,
            suggested_picks=levelup.suggest(stand_in, asked),
        )

    def parse_scores(self, draft: Draft, text: str) -> dict[str, int]:
        """Six numbers in STR DEX CON INT WIS CHA order, checked against the draft's method."""
        parts = text.replace(",", " ").replace("/", " ").split()
        try:
            numbers = [int(p) for p in parts]
        except ValueError:
            numbers = []
        if len(numbers) != 6:
            raise InvalidInput("Type six numbers in the order STR DEX CON INT WIS CHA, e.g. `15 14 13 12 10 8`.")
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
                    raise InvalidInput(name_taken(draft.name))
                check_characters(len(mine), self.caps)
                await repo.deactivate_all(draft.guild_id, draft.owner_id)
                await repo.insert(row)
                return to_sheet(row)
        except Conflict:  # the same name created at the same moment by a second click
            raise InvalidInput(name_taken(draft.name)) from None

    def _new_character(self, draft: Draft, chosen: Choices) -> Character:
        """The row of the new character, its level-1 choices made (subclass, style, ancestry...)."""
        row = self._first_level(draft, chosen)
        picks = draft.suggested_picks if chosen.picks is None else chosen.picks
        made = choices.apply(self.srd, to_sheet(row), draft.level_asks, picks, 1)
        row.subclass, row.choices = made.subclass, dict(made.choices)
        row.features = list(made.features)
        row.hp_max = row.hp_current = made.hp_max  # Draconic Resilience
        return row

    def _first_level(self, draft: Draft, choices: Choices) -> Character:
        scores = dict(choices.scores) if choices.scores is not None else dict(draft.suggested)
        check_scores(draft, scores)
        subrace = self._subrace(draft, choices.subrace)
        skills = self._skills(draft, choices)
        bonuses = self._bonuses(draft, subrace, choices.bonus_abilities)
        expertise = _expertise(draft.klass, expertise_options(draft, skills), choices.expertise)
        final = rules.final_scores(scores, bonuses)
        con_mod = rules.modifier(final["con"])
        hp = rules.hp_first_level(draft.klass.hit_die, con_mod, per_level_bonus=toughness(subrace))
        profs = self._proficiencies(draft, subrace, skills)
        slots = list(self.srd.spell_slots(draft.klass.index, 1))
        picked = spells.at_creation(self.srd, draft.klass, final, choices.cantrips, choices.spells)
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
            languages=list(dict.fromkeys((*draft.race.languages, *draft.background.languages))),
            features=list(_starting_features(draft, subrace)),
            inventory=[item_json(i) for i in kit],
            coins=coins,
            slots_max=slots,
            slots_current=slots,
            conditions=[],
            spells=spells_json(picked),
            notes="",
            backstory="",
            portrait_url=None,
            pronouns=draft.pronouns,
            subclass=None,
            custom={},
            choices={},
            class_levels={},
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

    def starting_kit(self, klass: CharacterClass, background: Background, profs: Mapping[str, set[str]]) -> list[Item]:
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

    # Storage ------------------------------------------------------------------------------------

    async def _check_name_free(self, actor: Actor, name: str) -> None:
        async with self.db.transaction() as session:
            repo = CharacterRepository(session)
            if await repo.by_name(guild_of(actor), actor.user_id, name_key(name)) is not None:
                raise InvalidInput(name_taken(name))

    async def _log(self, actor: Actor, outcomes: Iterable[RollOutcome], name: str | None = None) -> None:
        async with self.db.transaction() as session:
            roll_log = RollLogRepository(session)
            for outcome in outcomes:
                roll_log.add(log_entry(actor, outcome, name))

    # SRD lookups with player-facing errors ------------------------------------------------------

    def _race(self, key: str) -> Race:
        """A race by its name, or by one of its subraces' ("High Elf" is an Elf); a typo is told every race."""
        named = self._subrace_named(key)
        if named is not None:
            return self.srd.race(named.race)
        return lookup(self.srd.race, key, "race", self.srd.search("race", ""))

    def _subrace_named(self, key: str) -> Subrace | None:
        try:
            return self.srd.subrace(key)
        except KeyError:
            return None

    def _class(self, key: str) -> CharacterClass:
        return lookup(self.srd.klass, key, "class", self.srd.search("class", ""))


# --- Helpers --------------------------------------------------------------------------------------


def _method(method: str) -> rules.Method:
    text = method.strip().lower().replace(" ", "").replace("-", "").replace("_", "")
    aliases: dict[str, rules.Method] = {
        "standard": "standard",
        "standardarray": "standard",
        "array": "standard",
        "pointbuy": "pointbuy",
        "points": "pointbuy",
        "rolled": "rolled",
        "roll": "rolled",
        "4d6": "rolled",
    }
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


def has_first_level_expertise(klass: CharacterClass) -> bool:
    return "Expertise" in klass.level(1).features


def expertise_options(draft: Draft, skills: Sequence[str]) -> tuple[str, ...]:
    """What a rogue's level-1 Expertise may double: its proficient skills (class, race, background picks)
    and thieves' tools (SRD: two skills, or one skill and thieves' tools)."""
    fixed = (*draft.background.skill_proficiencies, *draft.race.proficiencies.skills)
    return (*dict.fromkeys((*skills, *fixed)), "thieves-tools")


def _expertise(klass: CharacterClass, skills: Sequence[str], chosen: Sequence[str]) -> tuple[str, ...]:
    """Classes with Expertise at level 1 (rogue) may pick two proficient skills; optional here."""
    if not chosen:
        return ()
    if not has_first_level_expertise(klass):
        raise InvalidInput(f"A level-1 {klass.name} has no Expertise.")
    return _pick(chosen, skills, 2, "expertise skills (from your proficient skills)")


def _is_skill_choice(options: Sequence[Any]) -> bool:
    return bool(options) and all((o.item or "").startswith("skill-") for o in options)


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
