"""An imported character's row: every column of `characters` set from the sheet (through the sheet's own
write-back), and the row read back is the sheet it was made from. A column added to the model and to neither
`write_back` nor `new_row` fails here, not in a player's lost pronouns."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from bot.data.srd import load_srd
from bot.engine import effects, homebrew
from bot.engine.character_export import export_bytes, to_export
from bot.engine.character_import import new_row, read_upload
from bot.engine.sheet import ActiveCondition, Counter, Item, Sheet, Spells, to_sheet
from persistence.models import Character

DOC = Path(__file__).resolve().parents[2] / "docs" / "CHARACTER_FORMAT.md"
NOT_FROM_THE_SHEET = {"id", "created_at", "updated_at"}  # the database's own


def homebrew_kit() -> list[Item]:
    kit = json.loads((DOC.parent / "examples" / "homebrew-kit.json").read_text(encoding="utf-8"))
    return [homebrew.to_item(entry) for entry in kit if entry["kind"] == "item"]


def full_sheet() -> Sheet:
    """A sheet whose every field differs from its default, so the round trip proves each one."""
    example = DOC.read_text(encoding="utf-8").split("```json\n")[1].split("```")[0]
    sheet = read_upload(example.encode(), load_srd(), guild_id=7, owner_id=8).sheet
    return dataclasses.replace(
        sheet,
        subrace=None,
        hp_temp=3,
        hit_dice_used=1,
        death_successes=1,
        death_failures=2,
        expertise=("athletics",),
        levelup_allowed=True,
        inventory=(*sheet.inventory, Item("custom:ward", "Ward", 1, True, True, {"ac_bonus": 1}), *homebrew_kit()),
        conditions=(ActiveCondition("exhaustion", 3, 2),),
        notes="notes",
        backstory="story",
        portrait_url="https://example.com/p.png",
        pronouns="she/her",
        spells=Spells(cantrips=("light",), known=("sleep",), may_prepare=False),
        effects=(effects.make("Blessing", attack="1d4"),),
        subclass="champion",
        custom={"source": "test", "features": ["Defense"]},
        counters=(Counter("Luck", 3, "long", 1),),
        feature_spent={"second-wind": 1},
    )


def test_new_row_sets_every_column() -> None:
    row = new_row(full_sheet())
    unset = [c.key for c in Character.__table__.columns if c.key not in row.__dict__]
    assert set(unset) == NOT_FROM_THE_SHEET, f"columns an import would leave to their defaults: {unset}"


def test_every_sheet_field_is_tested_with_a_value_of_its_own() -> None:
    sheet = full_sheet()
    defaults = [f.name for f in dataclasses.fields(Sheet) if f.default is not dataclasses.MISSING]
    same = [name for name in defaults if getattr(sheet, name) == getattr(Sheet, name, None)]
    assert not same, f"give these a value in full_sheet(): {same}"


def test_the_row_reads_back_as_the_sheet() -> None:
    sheet = full_sheet()
    back = to_sheet(new_row(sheet))
    assert dataclasses.replace(back, id=0) == dataclasses.replace(sheet, version=1, active=True, campaign_id=None)


def test_pronouns_effects_and_a_dms_item_round_trip() -> None:
    sheet = full_sheet()
    first = export_bytes(sheet)
    draft = read_upload(first, load_srd(), guild_id=1, owner_id=2)
    assert (draft.sheet.pronouns, draft.sheet.effects) == (sheet.pronouns, sheet.effects)
    assert draft.sheet.inventory == sheet.inventory  # attuned, and the DM's numbers
    assert export_bytes(draft.sheet) == first


def test_counters_and_spent_uses_round_trip() -> None:
    """Issue 18: an exported character keeps its Luck counter and its spent Second Wind on import."""
    sheet = full_sheet()
    draft = read_upload(export_bytes(sheet), load_srd(), guild_id=1, owner_id=2)
    assert (draft.sheet.counters, draft.sheet.feature_spent) == (sheet.counters, sheet.feature_spent)
    old = to_export(sheet)
    del old["counters"], old["feature_spent"]
    before = read_upload(json.dumps(old).encode(), load_srd(), guild_id=1, owner_id=2).sheet
    assert (before.counters, before.feature_spent) == ((), {})


def test_a_file_from_before_pronouns_and_effects_still_imports() -> None:
    old = to_export(full_sheet())
    del old["pronouns"], old["effects"]
    sheet = read_upload(json.dumps(old).encode(), load_srd(), guild_id=1, owner_id=2).sheet
    assert (sheet.pronouns, sheet.effects) == ("", ())
