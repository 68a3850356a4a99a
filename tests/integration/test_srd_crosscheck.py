"""Cross-check the committed SRD data set against the upstream 5e-database JSON in ../shared.

The bot ships ``bot/data/srd.json``; these tests prove it is (a) exactly what
``scripts/derive_srd.py`` produces today and (b) faithful to the source for every monster,
spell, weapon, armour, class and race.  They skip when ../shared/srd/2014 is not beside the
checkout (a user's clone has no such folder).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bot.data.srd import SRD, cr_label, load_srd

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO.parent / "shared" / "srd" / "2014"
DATA_FILE = REPO / "bot" / "data" / "srd.json"

pytestmark = pytest.mark.skipif(not SOURCE.is_dir(), reason=f"SRD source JSON not found at {SOURCE}")

Json = dict[str, Any]


@cache
def source(name: str) -> list[Json]:
    """One upstream 5e-SRD-<name>.json list."""
    with (SOURCE / f"5e-SRD-{name}.json").open(encoding="utf-8") as fh:
        data: list[Json] = json.load(fh)
    return data


def derive_module() -> ModuleType:
    """Import scripts/derive_srd.py by path (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("derive_srd", REPO / "scripts" / "derive_srd.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def srd() -> SRD:
    return load_srd()


def ids(rows: list[Json]) -> list[str]:
    return [r["index"] for r in rows]


def test_committed_file_is_current_and_deterministic(tmp_path: Path) -> None:
    module = derive_module()
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert module.main(["--source", str(SOURCE), "--out", str(first)]) == 0
    assert module.main(["--source", str(SOURCE), "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() == DATA_FILE.read_bytes(), "re-run scripts/derive_srd.py and commit"


def test_output_is_compact_and_has_no_prose() -> None:
    text = DATA_FILE.read_text(encoding="utf-8")
    assert len(text.encode()) < 2_000_000
    data = json.loads(text)

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            assert "desc" not in node, path
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")
        elif isinstance(node, str) and not path.startswith("$.meta"):
            assert len(node) <= 120, f"long text at {path}: {node[:60]!r}"

    walk(data, "$")


def test_every_entry_is_present(srd: SRD) -> None:
    d = srd.data
    pairs: list[tuple[str, Sequence[Any]]] = [
        ("Monsters", d.monsters),
        ("Spells", d.spells),
        ("Classes", d.classes),
        ("Races", d.races),
        ("Subraces", d.subraces),
        ("Backgrounds", d.backgrounds),
        ("Magic-Items", d.magic_items),
        ("Conditions", d.conditions),
        ("Skills", d.skills),
        ("Languages", d.languages),
        ("Damage-Types", d.damage_types),
        ("Weapon-Properties", d.weapon_properties),
        ("Subclasses", d.subclasses),
        ("Feats", d.feats),
        ("Proficiencies", d.proficiencies),
    ]
    for name, rows in pairs:
        assert sorted(ids(source(name))) == [r.index for r in rows], name
    equipment = ids(source("Equipment"))
    assert sorted(equipment) == sorted(srd.lookup("item").all_indexes())


@pytest.mark.parametrize("raw", source("Monsters") if SOURCE.is_dir() else [], ids=lambda r: r["index"])
def test_monster(srd: SRD, raw: Json) -> None:
    m = srd.monster(raw["index"])
    assert (m.name, m.size, m.type, m.alignment) == (raw["name"], raw["size"], raw["type"], raw["alignment"])
    assert m.cr == raw["challenge_rating"] and m.proficiency_bonus == raw["proficiency_bonus"]
    table_xp = srd.xp_for_cr(m.cr)
    assert m.xp == raw["xp"] or (m.xp == table_xp and any(e.startswith(f"{m.index}:") for e in srd.data.meta.errata))
    assert [(ac.value, ac.type) for ac in m.armor_class] == [(a["value"], a["type"]) for a in raw["armor_class"]]
    assert (m.hp, m.hit_dice, m.hp_roll) == (raw["hit_points"], raw["hit_dice"], raw["hit_points_roll"])
    fields = ["strength", "dexterity", "constitution", "intelligence", "wisdom", "charisma"]
    assert [m.abilities[a] for a in ("str", "dex", "con", "int", "wis", "cha")] == [raw[f] for f in fields]
    profs = {p["proficiency"]["index"]: p["value"] for p in raw["proficiencies"]}
    mine = {f"saving-throw-{k}": v for k, v in m.saving_throws.items()} | {f"skill-{k}": v for k, v in m.skills.items()}
    assert mine == profs
    assert set(m.speed) | ({"hover"} if m.hover else set()) == set(raw["speed"])
    assert m.senses["passive_perception"] == raw["senses"]["passive_perception"]
    assert list(m.condition_immunities) == [c["index"] for c in raw["condition_immunities"]]
    for kind in ("vulnerabilities", "resistances", "immunities"):
        plain = getattr(m, f"damage_{kind}")
        special = getattr(m, f"damage_{kind}_special")
        assert len(plain) + len(special) == len(raw[f"damage_{kind}"]), kind
    assert [a.name for a in m.actions] == [a["name"] for a in raw.get("actions", [])]
    for mine_action, raw_action in zip(m.actions, raw.get("actions", []), strict=True):
        check_action(mine_action, raw_action)
    assert list(m.legendary_actions) == [a["name"] for a in raw.get("legendary_actions", [])]


def check_action(mine: Any, raw: Json) -> None:
    """Attack bonus, fixed damage rolls and save DC of one action agree with the source."""
    assert mine.attack_bonus == raw.get("attack_bonus"), raw["name"]
    fixed = [(d["damage_dice"], d["damage_type"]["index"]) for d in raw.get("damage", []) if "damage_dice" in d]
    assert [(d.dice, d.type) for d in mine.damage] == fixed, raw["name"]
    if "dc" in raw:
        assert (mine.dc.ability, mine.dc.value) == (raw["dc"]["dc_type"]["index"], raw["dc"]["dc_value"])


@pytest.mark.parametrize("raw", source("Spells") if SOURCE.is_dir() else [], ids=lambda r: r["index"])
def test_spell(srd: SRD, raw: Json) -> None:
    s = srd.spell(raw["index"])
    assert (s.name, s.level, s.school) == (raw["name"], raw["level"], raw["school"]["index"])
    assert set(s.classes) == {c["index"] for c in raw["classes"]}
    assert (s.range, s.casting_time, s.duration) == (raw["range"], raw["casting_time"], raw["duration"])
    assert (s.ritual, s.concentration, list(s.components)) == (raw["ritual"], raw["concentration"], raw["components"])
    assert s.attack_type == raw.get("attack_type")
    damage = raw.get("damage", {})
    assert s.damage_type == damage.get("damage_type", {}).get("index")
    assert {str(k): v for k, v in s.damage_at_slot_level.items()} == damage.get("damage_at_slot_level", {})
    assert {str(k): v for k, v in s.damage_at_character_level.items()} == damage.get("damage_at_character_level", {})
    assert {str(k): v for k, v in s.heal_at_slot_level.items()} == raw.get("heal_at_slot_level", {})
    if "dc" in raw:
        assert s.save is not None
        assert (s.save.ability, s.save.success) == (raw["dc"]["dc_type"]["index"], raw["dc"]["dc_success"])
    else:
        assert s.save is None
    if "area_of_effect" in raw:
        assert s.area is not None
        assert (s.area.type, s.area.size) == (raw["area_of_effect"]["type"], raw["area_of_effect"]["size"])
    text = " ".join(raw["desc"]).casefold()
    assert all(c in text for c in s.conditions), "an imposed condition the text never names"
    material = raw.get("material", "")
    assert (s.material_cost is not None) == ("gp" in material.casefold())
    if s.material_cost is not None:
        assert f"{s.material_cost.gp:,}" in material or str(s.material_cost.gp) in material


def test_weapons_and_armor(srd: SRD) -> None:
    for raw in source("Equipment"):
        if "weapon_category" in raw:
            w = srd.weapon(raw["index"])
            assert (w.category, w.range_type) == (raw["weapon_category"].lower(), raw["weapon_range"].lower())
            if "damage" in raw:
                assert (w.damage_dice, w.damage_type) == (
                    raw["damage"]["damage_dice"],
                    raw["damage"]["damage_type"]["index"],
                )
            assert w.two_handed_dice == raw.get("two_handed_damage", {}).get("damage_dice")
            assert list(w.properties) == [p["index"] for p in raw["properties"]]
            assert (w.range_normal, w.range_long) == (raw["range"]["normal"], raw["range"].get("long"))
            assert w.cost is not None and (w.cost.quantity, w.cost.unit) == (
                raw["cost"]["quantity"],
                raw["cost"]["unit"],
            )
            assert w.weight == raw.get("weight")
        elif "armor_category" in raw:
            a = srd.armor(raw["index"])
            ac = raw["armor_class"]
            assert (a.category, a.base_ac, a.dex_bonus, a.max_dex_bonus) == (
                raw["armor_category"].lower(),
                ac["base"],
                ac["dex_bonus"],
                ac.get("max_bonus"),
            )
            assert (a.str_minimum, a.stealth_disadvantage) == (raw["str_minimum"], raw["stealth_disadvantage"])
            assert a.weight == raw.get("weight")


def test_classes(srd: SRD) -> None:
    levels = [lv for lv in source("Levels") if "subclass" not in lv]
    for raw in source("Classes"):
        c = srd.klass(raw["index"])
        assert (c.name, c.hit_die) == (raw["name"], raw["hit_die"])
        assert list(c.saving_throws) == [s["index"] for s in raw["saving_throws"]]
        assert list(c.subclasses) == [s["index"] for s in raw["subclasses"]]
        casting = raw.get("spellcasting")
        assert c.spellcasting_ability == (casting["spellcasting_ability"]["index"] if casting else None)
        assert len(c.levels) == 20
        for lv in (lv for lv in levels if lv["class"]["index"] == c.index):
            row = c.level(lv["level"])
            assert row.prof_bonus == lv["prof_bonus"] == srd.proficiency_bonus(lv["level"])
            assert list(row.features) == [f["name"] for f in lv["features"]]
            slots = lv.get("spellcasting", {})
            assert srd.spell_slots(c.index, lv["level"]) == tuple(
                slots.get(f"spell_slots_level_{n}", 0) for n in range(1, 10)
            )
            assert row.cantrips_known == slots.get("cantrips_known")
            assert row.spells_known == slots.get("spells_known")


def test_races_and_subraces(srd: SRD) -> None:
    for raw in source("Races"):
        r = srd.race(raw["index"])
        assert (r.name, r.speed, r.size) == (raw["name"], raw["speed"], raw["size"])
        assert dict(r.ability_bonuses) == {b["ability_score"]["index"]: b["bonus"] for b in raw["ability_bonuses"]}
        assert list(r.languages) == [lang["index"] for lang in raw["languages"]]
        assert list(r.traits) == [t["name"] for t in raw["traits"]]
        assert list(r.subraces) == [s["index"] for s in raw["subraces"]]
    for raw in source("Subraces"):
        s = srd.subrace(raw["index"])
        assert s.race == raw["race"]["index"]
        assert dict(s.ability_bonuses) == {b["ability_score"]["index"]: b["bonus"] for b in raw["ability_bonuses"]}
        assert list(s.traits) == [t["name"] for t in raw["racial_traits"]]


def test_subclass_spells_and_rule_sections(srd: SRD) -> None:
    for raw in source("Subclasses"):
        granted = [(g.spell, f"{raw['class']['index']}-{g.level}") for g in srd.subclass(raw["index"]).spells]
        assert granted == [(r["spell"]["index"], r["prerequisites"][0]["index"]) for r in raw.get("spells", [])]
    sections = [s["index"] for rule in source("Rules") for s in rule["subsections"]]
    assert sorted(sections) == srd.lookup("rule").all_indexes()


def test_magic_items(srd: SRD) -> None:
    for raw in source("Magic-Items"):
        item = srd.magic_item(raw["index"])
        assert (item.name, item.rarity, item.category) == (
            raw["name"],
            raw["rarity"]["name"],
            raw["equipment_category"]["index"],
        )


def test_cr_table_covers_every_monster(srd: SRD) -> None:
    for raw in source("Monsters"):
        assert cr_label(raw["challenge_rating"]) in srd.data.tables.xp_by_cr
