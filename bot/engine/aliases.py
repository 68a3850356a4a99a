"""Saved rolls (`/alias`): a player's own named rolls, and a server's, used by `/roll expression:<name>`.

A player's aliases follow them to every server; a server's are made by its admins (Manage Server, checked
here on every call: Discord's default permissions only hide a command, and a server may grant it to
anyone). An expression may hold `{str}`, `{dex}`, ... `{prof}`, filled from the roller's active character
when it is rolled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.engine.characters import CharacterService
from bot.engine.dice import MAX_EXPRESSION_LENGTH, fold_case, normalise, parse
from bot.engine.rules import ABILITIES
from bot.engine.sheet import Actor
from bot.engine.text import visible
from bot.errors import Forbidden, InvalidInput, NotFound
from persistence.aliases import AliasRepository
from persistence.db import Database
from persistence.models import Alias
from persistence.repositories import Reads

MAX_NAME_LENGTH = 32
MAX_PER_USER = 50
MAX_PER_SERVER = 100
NAME = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_NAME_LENGTH}}}")
DICE_START = re.compile(r"\d|d(\d|%)", re.IGNORECASE)  # `1d20-1`, `d20`: what /roll reads as dice, never a name
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
FIELDS = (*ABILITIES, "prof")  # what `{...}` may name: the six ability modifiers and the proficiency bonus
EXAMPLE = "Example: `/alias add name:greatsword expression:2d6+{str}[slashing]`"
COMMON_ROLLS = ("1d20", "2d20kh1", "4d6kh3", "1d100")  # offered while nothing is typed yet
MAX_CHOICES = 25  # Discord's, for autocomplete
CHOICE_LENGTH = 100


@dataclass(frozen=True)
class SavedRoll:
    name: str
    expression: str
    server: bool  # a server's alias (else the player's own)

    @classmethod
    def of(cls, row: Alias) -> SavedRoll:
        return cls(row.name, row.expression, server=row.guild_id is not None)


@dataclass(frozen=True)
class Saved:
    roll: SavedRoll
    previous: str | None  # the expression it replaced, when the name was taken


@dataclass(frozen=True)
class AliasList:
    personal: tuple[SavedRoll, ...]
    server: tuple[SavedRoll, ...]


@dataclass(frozen=True)
class Expanded:
    """What `/roll` rolls: the dice, and the label the alias gives it (its name, or the words after it)."""

    expression: str
    label: str | None = None


@dataclass(frozen=True)
class Offer:
    """One autocomplete choice: what the list shows, and what goes into the option."""

    shown: str
    value: str


class AliasService:
    def __init__(self, db: Database, characters: CharacterService) -> None:
        self.db = db
        self.reads = Reads(db)  # autocomplete asks on every keystroke
        self.characters = characters

    async def add(
        self, actor: Actor, name: str, expression: str, *, server: bool = False, manage: bool = False
    ) -> Saved:
        """Save (or replace) a named roll; `server`: for everyone here, which needs Manage Server."""
        clean_name, key = check_name(name)
        clean_expression = check_expression(clean_name, expression)
        owner, guild = _scope(actor, server, manage)
        async with self.db.transaction() as session:
            repo = AliasRepository(session)
            row = await repo.named(key, owner_id=owner, guild_id=guild)
            if row is not None:
                previous, row.name, row.expression = row.expression, clean_name, clean_expression
                return Saved(SavedRoll.of(row), previous)
            await _check_room(repo, owner, guild)
            row = Alias(
                owner_id=owner,
                guild_id=guild,
                name=clean_name,
                name_key=key,
                expression=clean_expression,
                created_by=actor.user_id,
            )
            repo.add(row)
            return Saved(SavedRoll.of(row), None)

    async def remove(self, actor: Actor, name: str, *, server: bool = False, manage: bool = False) -> SavedRoll:
        owner, guild = _scope(actor, server, manage)
        async with self.db.transaction() as session:
            repo = AliasRepository(session)
            row = await repo.named(_key(name), owner_id=owner, guild_id=guild)
            if row is None:
                raise NotFound(_not_found(name, server))
            removed = SavedRoll.of(row)
            await repo.delete(row)
            return removed

    async def list_for(self, actor: Actor) -> AliasList:
        async with self.reads.session() as session:
            repo = AliasRepository(session)
            personal = await repo.of(owner_id=actor.user_id)
            server = await repo.of(guild_id=actor.guild_id) if actor.guild_id is not None else []
            return AliasList(tuple(map(SavedRoll.of, personal)), tuple(map(SavedRoll.of, server)))

    async def find(self, actor: Actor, name: str) -> SavedRoll | None:
        """The roll `name` means to this player: their own first, then the server's."""
        key = _key(name)
        async with self.reads.session() as session:
            repo = AliasRepository(session)
            row = await repo.named(key, owner_id=actor.user_id)
            if row is None and actor.guild_id is not None:
                row = await repo.named(key, guild_id=actor.guild_id)
            return SavedRoll.of(row) if row is not None else None

    async def expand(self, actor: Actor, typed: str) -> Expanded:
        """`/roll`'s expression: a saved roll's name (and words after it, the label) becomes its dice, and
        `{str}`-style fields are filled from the active character. Anything else passes through as typed."""
        text = normalise(typed)
        word, _, rest = text.partition(" ")
        expression, label, alias = text, None, None
        if NAME.fullmatch(word) and not DICE_START.match(word):
            saved = await self.find(actor, word)
            if saved is None:
                raise InvalidInput(
                    f"`{_quote(word)}` is not a dice expression, nor one of your saved rolls "
                    "(`/alias list` shows them). Examples: `/roll 1d20+5`, or `/roll greatsword` "
                    "after `/alias add name:greatsword expression:2d6+3`"
                )
            expression, label, alias = saved.expression, rest or saved.name, saved.name
        if PLACEHOLDER.search(expression):
            expression = fill(expression, await self._fields(actor, alias))
        return Expanded(expression, label)

    async def suggest(self, actor: Actor, current: str) -> list[Offer]:
        """Autocomplete for `/roll expression`: what is typed (so it can be sent as it is), then the saved
        rolls whose names contain it; common dice while nothing is typed."""
        typed = " ".join(visible(current).split())
        saved = await self.list_for(actor)
        matches = [r for r in (*saved.personal, *saved.server) if typed.casefold() in r.name.casefold()]
        offers = [Offer(_shown(r), r.name) for r in matches]
        if typed and len(typed) <= CHOICE_LENGTH and all(typed.casefold() != r.name.casefold() for r in matches):
            offers.insert(0, Offer(typed, typed))
        if not typed:
            offers += [Offer(dice, dice) for dice in COMMON_ROLLS]
        return offers[:MAX_CHOICES]

    async def names(self, actor: Actor, current: str) -> list[Offer]:
        """Autocomplete for `/alias remove name`: the player's own and the server's, marked."""
        typed = visible(current).strip().casefold()
        saved = await self.list_for(actor)
        return [Offer(_shown(r), r.name) for r in (*saved.personal, *saved.server) if typed in r.name.casefold()][
            :MAX_CHOICES
        ]

    async def _fields(self, actor: Actor, alias: str | None) -> Mapping[str, int]:
        try:
            sheet = await self.characters.get(actor)
        except NotFound as error:
            what = f"`{alias}` uses" if alias else "That roll uses"
            raise NotFound(f"{what} your character's numbers (`{{str}}`, `{{prof}}`...). {error.message}") from None
        stats = self.characters.stats(sheet)
        return {**stats.modifiers, "prof": stats.proficiency_bonus}


# --- validation -------------------------------------------------------------------------------------


def check_name(name: str) -> tuple[str, str]:
    """(the name, its key): letters, digits, `-` and `_`, and never something `/roll` would read as dice."""
    clean = name.strip()
    if not NAME.fullmatch(clean):
        shown = visible(clean)[:40].replace("`", "ˋ")
        raise InvalidInput(
            f"An alias name is 1 to {MAX_NAME_LENGTH} letters, digits, `-` or `_`"
            f"{f' (not `{shown}`)' if shown else ''}. {EXAMPLE}"
        )
    if DICE_START.match(clean):
        raise InvalidInput(
            f"`{clean}` starts like dice (a digit, or `d` and a digit), so `/roll {clean}` would read it as dice. "
            + EXAMPLE
        )
    return clean, _key(clean)


def check_expression(name: str, expression: str) -> str:
    """The expression as it will be stored: real dice once its `{fields}` are filled, within /roll's cap."""
    text = normalise(visible(expression))
    sample = fill(text, dict.fromkeys(FIELDS, 1))
    try:
        parse(fold_case(sample))
    except InvalidInput as error:
        raise InvalidInput(f"`{name}` can't be saved: {error.message}") from None
    if len(sample) > MAX_EXPRESSION_LENGTH:
        raise InvalidInput(f"`{name}` is longer than {MAX_EXPRESSION_LENGTH} characters once filled in. {EXAMPLE}")
    return text


def fill(expression: str, values: Mapping[str, int]) -> str:
    """`2d6+{str}` → `2d6+3` (a negative value in parentheses: `2d6+(-1)`)."""

    def value(match: re.Match[str]) -> str:
        field = match.group(1).strip().lower()
        if field not in values:
            shown = match.group(0)[:20].replace("`", "ˋ")
            raise InvalidInput(
                f"`{shown}` is not something dmbot can fill in; use one of "
                + ", ".join(f"`{{{f}}}`" for f in FIELDS)
                + f". {EXAMPLE}"
            )
        number = values[field]
        return str(number) if number >= 0 else f"({number})"

    return PLACEHOLDER.sub(value, expression)


def _scope(actor: Actor, server: bool, manage: bool) -> tuple[int | None, int | None]:
    """(owner_id, guild_id) of the aliases a call works on."""
    if not server:
        return actor.user_id, None
    if actor.guild_id is None:
        raise InvalidInput("Server aliases belong to a server: use `server:true` in one.")
    if not manage:
        raise Forbidden("Only members with the Manage Server permission can change this server's aliases.")
    return None, actor.guild_id


async def _check_room(repo: AliasRepository, owner: int | None, guild: int | None) -> None:
    limit = MAX_PER_USER if owner is not None else MAX_PER_SERVER
    if await repo.count(owner_id=owner, guild_id=guild) >= limit:
        whose = "You have" if owner is not None else "This server has"
        raise InvalidInput(
            f"{whose} {limit} aliases, the most dmbot keeps. Remove one first: `/alias remove name:<alias>`."
        )


def _quote(text: str) -> str:
    return text[:40].replace("`", "ˋ")


def _key(name: str) -> str:
    # visible(): a NUL in the name looked up made Postgres refuse the query (the hostile-input test)
    return visible(name).strip().casefold()[:MAX_NAME_LENGTH]


def _shown(saved: SavedRoll) -> str:
    text = f"{saved.name} — {saved.expression}{' (server)' if saved.server else ''}"
    return text if len(text) <= CHOICE_LENGTH else text[: CHOICE_LENGTH - 1] + "…"


def _not_found(name: str, server: bool) -> str:
    shown = visible(name).strip()[:40].replace("`", "ˋ") or "that"
    whose = "This server has" if server else "You have"
    return f"{whose} no alias called `{shown}`. `/alias list` shows them."
