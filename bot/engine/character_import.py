"""Bringing a character in and taking one out: `/character import` (a Foundry VTT actor or dmbot's own
file) and `/character export` (dmbot's file, `bot.engine.character_export`).

An import is a draft first: the sheet it would make, with a report of what mapped to the SRD, what was
kept as custom entries, what could not be used and where the numbers differ from the file's. Nothing is
stored until the player confirms, and then with the same checks as a new character (name free, at most
the characters-per-player cap), in one transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.data.srd import SRD
from bot.engine import items, rules
from bot.engine.caps import check_characters
from bot.engine.character_export import FORMAT, export_bytes, sheet_from_export
from bot.engine.characters import CharacterRef, CharacterService, may_edit, name_taken
from bot.engine.foundry_import import Report, from_foundry, is_foundry_actor
from bot.engine.homebrew import SPELL_PREFIX
from bot.engine.sheet import Actor, Sheet, clean_name, guild_of, name_key, to_sheet, write_back
from bot.errors import Forbidden, InvalidInput
from persistence.errors import Conflict
from persistence.models import Character
from persistence.repositories import CharacterRepository

MAX_FILE_BYTES = 1_000_000  # a Foundry hero is ~150 kB; anything far larger is not a character


@dataclass(frozen=True)
class ImportDraft:
    """The sheet an import would store, and what the import did to get it."""

    sheet: Sheet
    report: Report


def read_upload(data: bytes, srd: SRD, *, guild_id: int, owner_id: int) -> ImportDraft:
    """A file's bytes as a draft: dmbot's own format, or a Foundry dnd5e actor."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"That file is {len(data):,} bytes; a character file is at most {MAX_FILE_BYTES:,}.")
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise InvalidInput(
            "That file is not JSON. Attach a Foundry VTT actor (Export Data) or a `/character export` file."
        ) from None
    if isinstance(parsed, dict) and parsed.get("format") == FORMAT:
        sheet = sheet_from_export(parsed, guild_id=guild_id, owner_id=owner_id)
        sheet = replace(sheet, name=clean_name(sheet.name))
        return ImportDraft(sheet, check_against_srd(sheet, srd))
    if is_foundry_actor(parsed):
        sheet, report = from_foundry(parsed, srd, guild_id=guild_id, owner_id=owner_id)
        return ImportDraft(sheet, report)
    raise InvalidInput(
        "dmbot can't read this file: it is neither a Foundry VTT dnd5e actor (Export Data) nor a "
        f'`/character export` file (`"format": "{FORMAT}"`).'
    )


def check_against_srd(sheet: Sheet, srd: SRD) -> Report:
    """A dmbot file's SRD references, each checked: a file from a newer or edited dmbot fails clearly."""

    def known(kind: Any, key: str | None, what: str) -> None:
        if key is not None and key not in srd.lookup(kind):
            raise InvalidInput(f"`{key}` is not an SRD {what}; this file can't be imported as it is.")

    known("race", sheet.race, "race")
    known("class", sheet.class_index, "class")
    if sheet.subrace is not None and sheet.subrace not in srd.race(sheet.race).subraces:
        raise InvalidInput(f"`{sheet.subrace}` is not a subrace of {srd.race(sheet.race).name}.")
    known("subclass", sheet.subclass, "subclass")
    if sheet.subclass is not None and srd.subclass(sheet.subclass).class_index != sheet.class_index:
        raise InvalidInput(f"`{sheet.subclass}` is not a {srd.klass(sheet.class_index).name} subclass.")
    if sheet.background != "custom":
        known("background", sheet.background, "background")
    bad_saves = [a for a in sheet.proficiencies.get("saves", ()) if a not in rules.ABILITIES]
    if bad_saves:
        raise InvalidInput(f"Saving throws must be abilities (str, dex ...), not {', '.join(bad_saves)}.")
    for skill in (*sheet.proficiencies.get("skills", ()), *sheet.expertise):
        known("skill", skill, "skill")
    for group in ("armor", "weapons", "tools"):
        for slug in sheet.proficiencies.get(group, ()):
            known("proficiency", slug, "proficiency")
    for language in sheet.languages:
        known("language", language, "language")
    for condition in sheet.conditions:
        known("condition", condition.name, "condition")
    spells = sheet.spells
    every = (*spells.cantrips, *spells.known, *spells.book, *spells.prepared)
    homebrew = sorted({i for i in every if i.startswith(SPELL_PREFIX)})
    for index in every:
        if not index.startswith(SPELL_PREFIX):  # a homebrew spell: cast where that homebrew is (a bundle)
            known("spell", index, "spell")
    if sheet.hp_current > sheet.hp_max or sheet.hit_dice_used > sheet.level:
        raise InvalidInput("This file's hit points or hit dice are more than its maximum.")
    if len(sheet.slots_current) != len(sheet.slots_max) or any(
        c > m for c, m in zip(sheet.slots_current, sheet.slots_max, strict=False)
    ):
        raise InvalidInput("This file's spell slots left are more than its slots.")
    report = Report(source="dmbot", mapped=["Every field: a dmbot character file, read as it was exported"])
    report.custom += [
        f"Spell: {i.removeprefix(SPELL_PREFIX).replace('-', ' ').title()} (homebrew: cast where the same homebrew is, "
        "e.g. after `/homebrew add` of its bundle)"
        for i in homebrew
    ]
    srd_items, magic_items = srd.lookup("item"), srd.lookup("magic_item")
    for item in sheet.inventory:
        if item.details and items.magic_of(srd, item) is not None:  # an SRD +1 weapon or armour: the SRD's
            continue
        if item.details:  # a DM's item from another table: its numbers shown for this DM to judge
            report.custom.append(f"Item: {items.describe(srd, item)} (a DM's item, kept as it was)")
        elif item.item not in srd_items and item.item not in magic_items:
            report.custom.append(f"Item: {item.name} (not an SRD item, kept as it was)")
    custom = sheet.custom
    report.custom += [f"{k.capitalize()}: {custom[k]}" for k in ("race", "background", "subclass") if custom.get(k)]
    for key in ("features", "spells", "languages", "tools"):
        report.custom += [f"{key.capitalize()[:-1]}: {name}" for name in custom.get(key, ())]
    report.custom += [f"Item: {i['name']} ×{i['quantity']}" for i in custom.get("items", ())]
    classes = custom.get("classes", ())
    if classes:
        levels = ", ".join(f"{c['name']} {c['levels']}" for c in classes)
        report.custom.append(f"Classes: {levels} (the sheet plays its first class)")
    return report


class CharacterPorting:
    """Import and export on top of the character service (its database and SRD)."""

    def __init__(self, characters: CharacterService) -> None:
        self.characters = characters
        self.srd = characters.srd
        self.db = characters.db

    async def export(self, actor: Actor, ref: CharacterRef) -> tuple[str, bytes]:
        """The file name and bytes of a character's export (the owner's, or a DM's view of it)."""
        sheet = await self.characters.get(actor, ref)
        lookup = self.characters.campaign_dm
        dm = await lookup(sheet.campaign_id) if lookup is not None and sheet.campaign_id is not None else None
        if not may_edit(actor, sheet.owner_id, dm):  # the file holds notes and backstory: the owner's, or their DM's
            raise Forbidden("Only a character's player, or the DM of the campaign it plays in, may export it.")
        safe = re.sub(r"[^\w-]+", "-", sheet.name, flags=re.ASCII).strip("-")[:40] or "character"
        return f"{safe}.dmbot.json", export_bytes(sheet)

    async def draft(self, actor: Actor, data: bytes) -> ImportDraft:
        draft = read_upload(data, self.srd, guild_id=guild_of(actor), owner_id=actor.user_id)
        async with self.db.transaction() as session:
            repo = CharacterRepository(session)
            if await repo.by_name(guild_of(actor), actor.user_id, name_key(draft.sheet.name)) is not None:
                raise InvalidInput(name_taken(draft.sheet.name) + " Rename or delete yours first (`/character edit`).")
        return draft

    async def confirm(self, actor: Actor, draft: ImportDraft) -> Sheet:
        """Store the draft as the player's active character (checked again: the name may be taken by now)."""
        sheet = draft.sheet
        if actor.user_id != sheet.owner_id or guild_of(actor) != sheet.guild_id:
            raise Forbidden("Only the player who imported this character can confirm it.")
        row = new_row(sheet)
        try:
            async with self.db.transaction() as session:
                repo = CharacterRepository(session)
                mine = await repo.list_for(sheet.guild_id, sheet.owner_id, lock=True)
                if any(other.name_key == row.name_key for other in mine):
                    raise InvalidInput(name_taken(sheet.name))
                check_characters(len(mine), self.characters.caps)  # the same cap as a new character
                await repo.deactivate_all(sheet.guild_id, sheet.owner_id)
                await repo.insert(row)
                return to_sheet(row)
        except Conflict:
            raise InvalidInput(name_taken(sheet.name)) from None


def new_row(sheet: Sheet) -> Character:
    """A new, active character row with exactly the sheet's facts: who and what it is here, every other fact
    through the sheet's own `write_back`, so a column that write-back keeps can't be forgotten on import
    (tests/unit/test_import_row.py fails on a column neither sets)."""
    row = Character(
        guild_id=sheet.guild_id,
        owner_id=sheet.owner_id,
        campaign_id=None,
        active=True,
        version=0,  # write_back counts it to 1
        race=sheet.race,
        subrace=sheet.subrace,
        class_index=sheet.class_index,
        background=sheet.background,
    )
    write_back(row, replace(sheet, custom=_plain(sheet.custom)))
    return row


def _plain(custom: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(dict(custom)))
