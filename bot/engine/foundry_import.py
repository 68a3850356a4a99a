"""A Foundry VTT dnd5e actor ("Export Data" JSON) read into a dmbot sheet, by the SRD 5.1 data.

Foundry stores final ability scores, proficiency codes (`ath`, `sim`, `lgt`), and every race, class,
subclass, background, feature, spell and piece of gear as an item with a `type`. What matches an SRD
entry becomes that entry; what does not is kept as a custom entry (`Sheet.custom`) the DM can see; what
dmbot has no place for is listed as unused; and where the sheet's numbers differ from the file's, the
report says by how much and why. Derived numbers (HP maximum, AC, bonuses) come from `bot.engine.rules`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.data.srd import SRD, CharacterClass, Race, Subrace
from bot.engine import rules
from bot.engine.sheet import MAX_STACK, Item, Sheet, Spells, add_item, clean_name, stats, toughness
from bot.engine.wording import counted
from bot.errors import InvalidInput

SKILLS = {
    "acr": "acrobatics", "ani": "animal-handling", "arc": "arcana", "ath": "athletics", "dec": "deception",
    "his": "history", "ins": "insight", "itm": "intimidation", "inv": "investigation", "med": "medicine",
    "nat": "nature", "prc": "perception", "prf": "performance", "per": "persuasion", "rel": "religion",
    "slt": "sleight-of-hand", "ste": "stealth", "sur": "survival",
}  # fmt: skip
ARMOR = {"lgt": "light-armor", "med": "medium-armor", "hvy": "heavy-armor", "shl": "shields"}
WEAPONS = {
    "sim": "simple-weapons", "mar": "martial-weapons", "handcrossbow": "hand-crossbows",
    "lightcrossbow": "crossbows-light", "heavycrossbow": "crossbows-heavy", "lighthammer": "light-hammers",
    "warpick": "war-picks", "net": "nets",
}  # fmt: skip
TOOLS = {
    "herb": "herbalism-kit", "thief": "thieves-tools", "mason": "masons-tools", "tinker": "tinkers-tools",
    "disg": "disguise-kit", "forg": "forgery-kit", "pois": "poisoners-kit", "navg": "navigators-tools",
    "panflute": "pan-flute", "dice": "dice-set", "card": "playing-card-set", "alchemist": "alchemists-supplies",
    "brewer": "brewers-supplies", "calligrapher": "calligraphers-supplies", "carpenter": "carpenters-tools",
    "cartographer": "cartographers-tools", "cobbler": "cobblers-tools", "cook": "cooks-utensils",
    "glassblower": "glassblowers-tools", "jeweler": "jewelers-tools", "leatherworker": "leatherworkers-tools",
    "painter": "painters-supplies", "potter": "potters-tools", "smith": "smiths-tools", "weaver": "weavers-tools",
    "woodcarver": "woodcarvers-tools", "land": "land-vehicles", "water": "water-vehicles",
}  # fmt: skip
LANGUAGES = {"deep": "deep-speech"}
LANGUAGE_NAMES = {"cant": "Thieves' Cant", "druidic": "Druidic"}
GEAR_TYPES = ("weapon", "equipment", "consumable", "loot", "tool", "container", "backpack")
KNOWN_CASTERS = ("bard", "ranger", "sorcerer", "warlock")
PREPARED_CASTERS = ("cleric", "druid", "paladin")
MAX_ITEMS = 200  # a file's items: more than any real sheet carries


@dataclass
class Report:
    """What an import did, shown in the draft before Confirm."""

    source: str
    mapped: list[str] = field(default_factory=list)
    custom: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)


def is_foundry_actor(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("system"), dict) and isinstance(data.get("items"), list)


def from_foundry(data: Mapping[str, Any], srd: SRD, *, guild_id: int, owner_id: int) -> tuple[Sheet, Report]:
    """The sheet a Foundry actor becomes, and the report of how."""
    if data.get("type") != "character":
        raise InvalidInput(f"This Foundry file is a `{_text(data.get('type'))}`, not a player character.")
    reader = _Reader(data, srd)
    return reader.sheet(guild_id, owner_id), reader.report


class _Reader:
    def __init__(self, data: Mapping[str, Any], srd: SRD) -> None:
        self.data, self.srd = data, srd
        self.system: Mapping[str, Any] = data["system"]
        items = [i for i in data["items"] if isinstance(i, dict) and isinstance(i.get("system"), dict)]
        if len(items) > MAX_ITEMS:
            raise InvalidInput(f"This file has {counted(len(items), 'item')}; an import takes at most {MAX_ITEMS}.")
        self.items: list[dict[str, Any]] = items
        self.report = Report(source="Foundry VTT dnd5e")
        self.custom: dict[str, Any] = {"source": "Foundry VTT dnd5e"}
        self.other_classes: set[str] = set()  # a multiclass file's other SRD classes (their spells stay custom)

    def of_type(self, *kinds: str) -> list[dict[str, Any]]:
        return [i for i in self.items if i.get("type") in kinds]

    # The sheet -------------------------------------------------------------------------------------

    def sheet(self, guild_id: int, owner_id: int) -> Sheet:
        name = clean_name(_text(self.data.get("name")) or "Imported hero")
        klass, level = self.klass()
        race, subrace = self.race()
        subclass = self.subclass(klass)
        final = self.scores()
        bonuses = _bonuses(race, subrace)
        base = {a: final[a] - bonuses.get(a, 0) for a in rules.ABILITIES}
        background = self.background()
        profs, expertise = self.proficiencies(klass)
        spells = self.spells(klass)
        slots = tuple(self.srd.spell_slots(klass.index, level))
        draft = Sheet(
            id=0,
            guild_id=guild_id,
            owner_id=owner_id,
            campaign_id=None,
            name=name,
            active=True,
            version=1,
            race=race.index,
            subrace=subrace.index if subrace else None,
            class_index=klass.index,
            background=background,
            level=level,
            xp=max(0, min(_int(_path(self.system, "details", "xp", "value")), 10_000_000)),
            levelup_allowed=False,
            base_scores=base,
            bonus_scores={a: v for a, v in bonuses.items() if v},
            hp_max=1,
            hp_current=1,
            hp_temp=max(0, min(_int(_path(self.system, "attributes", "hp", "temp")), 1000)),
            hit_dice_used=0,
            death_successes=0,
            death_failures=0,
            proficiencies=profs,
            expertise=expertise,
            languages=self.languages(),
            features=self.features(klass, level, race, subrace, subclass),
            inventory=self.inventory(),
            coins=self.coins(),
            slots_max=slots,
            slots_current=slots,
            conditions=(),
            notes="",
            backstory="",
            portrait_url=None,
            spells=spells,
            subclass=subclass,
        )
        draft = self.hit_points(draft, klass, subrace)
        draft = self.story(draft)
        self.armor_class(draft)
        custom = {k: v for k, v in self.custom.items() if v}
        return Sheet(**{**draft.__dict__, "custom": custom})

    def klass(self) -> tuple[CharacterClass, int]:
        classes = self.of_type("class")
        if not classes:
            raise InvalidInput("This Foundry character has no class item, so dmbot can't build a sheet from it.")
        main = max(classes, key=lambda c: _int(c["system"].get("levels"), 1))
        key = _text(main["system"].get("identifier")) or _text(main.get("name"))
        try:
            klass = self.srd.klass(key)
        except KeyError:
            try:
                klass = self.srd.klass(_text(main.get("name")))
            except KeyError:
                raise InvalidInput(
                    f"The class `{_text(main.get('name'))}` is not an SRD class; dmbot sheets need one of "
                    + ", ".join(c.name for c in self.srd.data.classes)
                    + "."
                ) from None
        level = max(1, min(_int(main["system"].get("levels"), 1), 20))
        if len(classes) == 1:
            self.report.mapped.append(f"Class: {klass.name} {level}")
        else:
            self.multiclass(klass, level, main, classes)
        return klass, level

    def multiclass(
        self, klass: CharacterClass, level: int, main: dict[str, Any], classes: list[dict[str, Any]]
    ) -> None:
        """Every class's levels kept on the sheet (`custom.classes`, the main class first), the sheet playing the
        main class at its levels; the draft says so plainly, with what it changes."""
        kept = [self._class_entry(main, klass)] + [self._class_entry(c, None) for c in classes if c is not main]
        self.custom["classes"] = kept
        self.other_classes = {k["index"] for k in kept[1:] if "index" in k}
        total = sum(k["levels"] for k in kept)
        levels = ", ".join(f"{k['name']} {k['levels']}" for k in kept)
        self.report.mapped.append(f"Class: {klass.name} {level}, the sheet's class (the file has {levels})")
        self.report.custom += [
            f"Class: {k['name']} {k['levels']}" + (f" ({k['subclass']})" if k.get("subclass") else "") for k in kept[1:]
        ]
        self.report.differences.append(
            f"Multiclass: this is a level-{total} character ({levels}); a Foundry import takes its main class "
            f"only, so this sheet is a level-{level} {klass.name}: hit points, proficiency bonus, spell slots and "
            f"features are a {klass.name} {level}'s. The other classes' levels stay on the sheet (Custom) for your "
            "DM, and their spells and features as custom entries; `/character levelup class:` adds levels in "
            "another class by the SRD's multiclassing rules."
        )

    def _class_entry(self, entry: dict[str, Any], klass: CharacterClass | None) -> dict[str, Any]:
        name = _text(entry.get("name"))[:100] or "Unknown class"
        identifier = _text(entry["system"].get("identifier")) or name
        found = klass
        if found is None:
            for key in (identifier, name):
                if key in self.srd.lookup("class"):
                    found = self.srd.klass(key)
                    break
        kept: dict[str, Any] = {"name": found.name if found else name}
        if found is not None:
            kept["index"] = found.index
        kept["levels"] = max(1, min(_int(entry["system"].get("levels"), 1), 20))
        sub = next(
            (
                _text(s.get("name"))[:100]
                for s in self.of_type("subclass")
                if _text(s["system"].get("classIdentifier")) in (identifier, kept.get("index"))
            ),
            "",
        )
        if sub and klass is None:
            kept["subclass"] = sub
        return kept

    def race(self) -> tuple[Race, Subrace | None]:
        found = self.of_type("race")
        name = _text(found[0].get("name")) if found else ""
        if not name:
            raise InvalidInput("This Foundry character has no race item, so dmbot can't build a sheet from it.")
        race, subrace = _srd_race(self.srd, name)
        shown = subrace.name if subrace else race.name
        if name.casefold() == shown.casefold():
            self.report.mapped.append(f"Race: {shown}")
        elif set(_words(race.name)) <= set(_words(name)):  # "Variant Human": the SRD race's rules, its own name
            self.custom["race"] = name[:100]
            self.report.custom.append(f"Race: {name} (with the SRD's {shown} rules)")
        else:
            self.custom["race"] = name[:100]
            self.report.custom.append(f"Race: {name}, not in the SRD: the sheet uses {shown}'s rules")
            self.report.differences.append(f"Race: {name} is not an SRD race; speed and traits are {shown}'s")
        return race, subrace

    def subclass(self, klass: CharacterClass) -> str | None:
        for entry in self.of_type("subclass"):
            owner = _text(entry["system"].get("classIdentifier"))
            if owner and owner != klass.index:
                continue
            name = _text(entry.get("name"))
            words = set(_words(name))
            for sub in self.srd.data.subclasses:
                if sub.class_index == klass.index and set(_words(sub.name)) <= words:
                    self.report.mapped.append(f"Subclass: {name} → {sub.name}")
                    return sub.index
            self.custom["subclass"] = name[:100]
            self.report.custom.append(f"Subclass: {name}")
        return None

    def background(self) -> str:
        found = self.of_type("background")
        if not found:
            return "custom"
        name = _text(found[0].get("name"))
        if name in self.srd.lookup("background"):
            entry = self.srd.background(name)
            self.report.mapped.append(f"Background: {entry.name}")
            return entry.index
        self.custom["background"] = name[:100]
        self.report.custom.append(f"Background: {name}")
        return "custom"

    def scores(self) -> dict[str, int]:
        abilities = _dict(self.system.get("abilities"))
        scores = {a: _int(_path(abilities, a, "value"), 10) for a in rules.ABILITIES}
        bad = [a for a, v in scores.items() if not 1 <= v <= 30]
        if bad:
            raise InvalidInput(f"Ability scores must be 1 to 30; this file has {', '.join(bad)} outside that.")
        self.report.mapped.append("Abilities: " + " ".join(f"{a.upper()} {scores[a]}" for a in rules.ABILITIES))
        return scores

    def proficiencies(self, klass: CharacterClass) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
        abilities = _dict(self.system.get("abilities"))
        saves = tuple(a for a in rules.ABILITIES if _path(abilities, a, "proficient"))
        if set(saves) != set(klass.saving_throws):
            self.report.differences.append(
                f"Saving throws: the file has {', '.join(saves).upper() or 'none'}; {klass.name}s have "
                f"{', '.join(klass.saving_throws).upper()} (the file's are kept)"
            )
        skills, expertise = [], []
        for code, entry in _dict(self.system.get("skills")).items():
            value = _path(entry, "value") if isinstance(entry, dict) else 0
            if code in SKILLS and value in (1, 2):
                skills.append(SKILLS[code])
                if value == 2:
                    expertise.append(SKILLS[code])
            elif value == 0.5:
                self.report.unused.append(f"Half proficiency in {SKILLS.get(code, code)} (Jack of All Trades)")
        traits = self.system.get("traits") or {}
        armor = self._codes(_path(traits, "armorProf", "value"), ARMOR, "armour proficiency")
        weapons = self._codes(_path(traits, "weaponProf", "value"), WEAPONS, "weapon proficiency", plural=True)
        tools = self._codes(list(_dict(self.system.get("tools"))), TOOLS, "tool proficiency", keep="tools")
        profs = {"saves": saves, "skills": tuple(sorted(skills)), "armor": armor, "weapons": weapons, "tools": tools}
        self.report.mapped.append(f"Skills: {', '.join(sorted(skills)) or 'none'}")
        if expertise:
            self.report.mapped.append(f"Expertise: {', '.join(sorted(expertise))}")
        return profs, tuple(sorted(expertise))

    def _codes(
        self, codes: Any, table: Mapping[str, str], what: str, *, plural: bool = False, keep: str | None = None
    ) -> tuple[str, ...]:
        known = self.srd.lookup("proficiency")
        out: list[str] = []
        for code in codes if isinstance(codes, list) else []:
            code = _text(code)
            slug = table.get(code) or (f"{code}s" if plural and f"{code}s" in known else code)
            if slug in known:
                out.append(known.get(slug).index)
            elif keep:
                self.custom.setdefault(keep, []).append(code)
                self.report.custom.append(f"{what.capitalize()}: {code}")
            else:
                self.report.unused.append(f"{what.capitalize()} `{code}`: not an SRD proficiency")
        return tuple(sorted(set(out)))

    def languages(self) -> tuple[str, ...]:
        value = _path(self.system, "traits", "languages", "value")
        known = self.srd.lookup("language")
        out = []
        for code in value if isinstance(value, list) else []:
            slug = LANGUAGES.get(_text(code), _text(code))
            if slug in known:
                out.append(known.get(slug).index)
            else:
                name = LANGUAGE_NAMES.get(slug, slug)
                self.custom.setdefault("languages", []).append(name)
                self.report.custom.append(f"Language: {name}")
        extra = _text(_path(self.system, "traits", "languages", "custom"))
        if extra:
            self.custom.setdefault("languages", []).extend(p.strip()[:100] for p in extra.split(";") if p.strip())
            self.report.custom.append(f"Languages: {extra[:100]}")
        return tuple(dict.fromkeys(out))

    def features(
        self, klass: CharacterClass, level: int, race: Race, subrace: Subrace | None, subclass: str | None
    ) -> tuple[str, ...]:
        """The SRD's features for this class, level, race and subclass, plus SRD feats; the file's other
        features are kept as custom ones."""
        srd_features = [f for n in range(1, level + 1) for f in klass.level(n).features]
        if subclass:
            srd_features += [
                f for row in self.srd.subclass(subclass).features if row.level <= level for f in row.features
            ]
        srd_features += [*race.traits, *(subrace.traits if subrace else ())]
        keys = {_feature_key(f): f for f in srd_features}
        features = list(dict.fromkeys(srd_features))
        for entry in self.of_type("feat"):
            name = _text(entry.get("name"))
            key = _feature_key(name)
            match = keys.get(key) or next((f for k, f in keys.items() if k.startswith(key) or key.startswith(k)), None)
            if match:
                self.report.mapped.append(f"Feature: {name}" + ("" if match == name else f" → {match}"))
            elif name in self.srd.lookup("feat"):
                feat = self.srd.feat(name)
                features.append(feat.name)
                self.report.mapped.append(f"Feat: {feat.name}")
            else:
                self.custom.setdefault("features", []).append(name[:100])
                self.report.custom.append(f"Feature: {name}")
        return tuple(dict.fromkeys(features))

    def inventory(self) -> tuple[Item, ...]:
        index = _item_index(self.srd)
        inventory: tuple[Item, ...] = ()
        for entry in self.of_type(*GEAR_TYPES):
            name, system = _text(entry.get("name")), entry["system"]
            quantity = max(1, min(_int(system.get("quantity"), 1), MAX_STACK))
            found = _find_item(self.srd, index, name, _text(system.get("identifier")))
            if found is None:
                self.custom.setdefault("items", []).append({"name": name[:100], "quantity": quantity})
                self.report.custom.append(f"Item: {name}" + (f" ×{quantity}" if quantity > 1 else ""))
                continue
            equipped = bool(system.get("equipped")) and entry.get("type") in ("weapon", "equipment")
            inventory = add_item(inventory, Item(found.index, found.name, quantity, equipped=equipped))
        self.report.mapped.append(f"Equipment: {len(inventory)} SRD items")
        return inventory

    def coins(self) -> dict[str, int]:
        currency = _dict(self.system.get("currency"))
        coins = {c: max(0, min(_int(currency.get(c)), 10_000_000)) for c in rules.COIN_VALUES_CP}
        self.report.mapped.append("Coins: " + ", ".join(f"{v} {c}" for c, v in coins.items() if v))
        return coins

    def spells(self, klass: CharacterClass) -> Spells:
        cantrips, leveled, prepared = [], [], []
        for entry in self.of_type("spell"):
            name, system = _text(entry.get("name")), entry["system"]
            if name not in self.srd.lookup("spell"):
                self.custom.setdefault("spells", []).append(name[:100])
                self.report.custom.append(f"Spell: {name}")
                continue
            spell = self.srd.spell(name)
            source = _text(system.get("sourceClass"))
            if source != klass.index and source in self.other_classes:  # another class's: its caster isn't here
                owner = self.srd.klass(source).name
                self.custom.setdefault("spells", []).append(f"{spell.name} ({owner})"[:100])
                self.report.custom.append(f"Spell: {spell.name} (a {owner} spell)")
                continue
            mode = _text(_path(system, "preparation", "mode")) or _text(system.get("method"))
            is_prepared = bool(_path(system, "preparation", "prepared") or system.get("prepared"))
            if spell.level == 0:
                cantrips.append(spell.index)
            elif mode == "always":
                self.report.mapped.append(f"Spell: {spell.name} (always prepared by the subclass)")
                continue
            else:
                leveled.append(spell.index)
                if is_prepared:
                    prepared.append(spell.index)
        if cantrips or leveled:
            self.report.mapped.append(
                f"Spells: {counted(len(cantrips), 'cantrip')}, {len(leveled)} of 1st level or higher"
            )
        if klass.index in KNOWN_CASTERS:
            return Spells(cantrips=tuple(cantrips), known=tuple(leveled), may_prepare=False)
        if klass.index == "wizard":
            return Spells(cantrips=tuple(cantrips), book=tuple(leveled), prepared=tuple(prepared), may_prepare=False)
        if klass.index in PREPARED_CASTERS:
            return Spells(cantrips=tuple(cantrips), prepared=tuple(prepared), may_prepare=False)
        if cantrips or leveled:
            self.report.unused.append(
                f"{counted(len(cantrips) + len(leveled), 'spell')}: a {klass.name} casts no spells here"
            )
        return Spells()

    def story(self, sheet: Sheet) -> Sheet:
        """The biography becomes the backstory (as text); what a dmbot sheet has no place for is listed."""
        details = _dict(self.system.get("details"))
        biography = _path(details, "biography", "value")
        text = _plain_text(biography if isinstance(biography, str) else "")[:4000]
        if text:
            self.report.mapped.append("Biography → backstory")
        alignment = _text(details.get("alignment"))
        if alignment:
            self.report.unused.append(f"Alignment: {alignment} (dmbot sheets have none; add it to your notes)")
        self.report.unused.append("Descriptions of items, features and spells (the names are kept)")
        image = _text(self.data.get("img"))
        if image and not image.startswith("https://"):
            self.report.unused.append(
                "Portrait: a Foundry image path, not a web address (set one with /character edit)"
            )
        return Sheet(**{**sheet.__dict__, "backstory": text})

    # The numbers, compared with the file's ---------------------------------------------------------

    def hit_points(self, sheet: Sheet, klass: CharacterClass, subrace: Subrace | None) -> Sheet:
        """The maximum by the rules (max die at 1st level, the file's rolls or averages after), the
        current HP from the file; a file whose HP differs from the rules is said so."""
        con = rules.modifier(sheet.scores["con"])
        per_level = toughness(subrace)
        rolls = self._hp_rolls(klass, sheet.level)
        maximum = max(1, sum(rolls) + (con + per_level) * sheet.level)
        foundry_max = max(1, sum(rolls) + con * sheet.level)  # Foundry adds no Dwarven Toughness by itself
        hp = _dict(_path(self.system, "attributes", "hp"))
        value, stated = _int(hp.get("value"), maximum), hp.get("max")
        full = foundry_max if stated in (None, "") else _int(stated, foundry_max)
        current = maximum if value >= full else max(0, min(value, maximum))
        why = f"d{klass.hit_die} at 1st level{', the file’s rolls after' if sheet.level > 1 else ''}, CON {con:+d}"
        if per_level:
            why += f", Dwarven Toughness +{per_level} a level"
        if full != maximum:
            self.report.differences.append(f"Hit points: the file has {full}; by the SRD rules {maximum} ({why})")
        self.report.mapped.append(f"Hit points: {current}/{maximum}")
        return Sheet(**{**sheet.__dict__, "hp_max": maximum, "hp_current": current})

    def _hp_rolls(self, klass: CharacterClass, level: int) -> list[int]:
        entry = next((c for c in self.of_type("class") if _text(c["system"].get("identifier")) == klass.index), None)
        taken: Mapping[str, Any] = {}
        for advancement in _list(_path(entry, "system", "advancement")):
            if isinstance(advancement, dict) and advancement.get("type") == "HitPoints":
                taken = _dict(advancement.get("value"))
        rolls = [klass.hit_die]
        for n in range(2, level + 1):
            value = taken.get(str(n))
            rolls.append(
                value
                if isinstance(value, int) and 1 <= value <= klass.hit_die
                else rules.hp_average_gain(klass.hit_die)
            )
        return rolls

    def armor_class(self, sheet: Sheet) -> None:
        """Foundry's AC from the file's worn armour and transferred effects, against the sheet's."""
        ours = stats(sheet, self.srd).armor_class
        dex = rules.modifier(sheet.scores["dex"])
        calc = _text(_path(self.system, "attributes", "ac", "calc")) or "default"
        flat = _path(self.system, "attributes", "ac", "flat")
        parts: list[str] = []
        if calc == "flat" and isinstance(flat, int):
            theirs = flat
        elif calc == "unarmoredBarb":
            theirs = 10 + dex + rules.modifier(sheet.scores["con"])
        elif calc == "unarmoredMonk":
            theirs = 10 + dex + rules.modifier(sheet.scores["wis"])
        else:
            theirs = 10 + dex
            for entry in self.of_type("equipment"):
                system = entry["system"]
                armor = _dict(system.get("armor"))
                kind = _text(_path(system, "type", "value"))
                if not system.get("equipped") or not isinstance(armor.get("value"), int):
                    continue
                if kind == "shield":
                    theirs += armor["value"]
                elif kind in ("light", "medium", "heavy"):
                    cap = armor.get("dex")
                    theirs = armor["value"] + (min(dex, cap) if isinstance(cap, int) else dex)
        for entry in self.items:
            for effect in _list(entry.get("effects")):
                if not isinstance(effect, dict) or effect.get("disabled") or not effect.get("transfer", True):
                    continue
                for change in _list(effect.get("changes")):
                    if isinstance(change, dict) and change.get("key") == "system.attributes.ac.bonus":
                        bonus = _int(str(change.get("value", "")).replace("+", ""))
                        theirs += bonus
                        parts.append(f"{_text(entry.get('name'))} {bonus:+d}")
        if theirs != ours:
            applied = f" ({', '.join(parts)} is not applied by dmbot's rules; it is kept as a custom feature)"
            self.report.differences.append(
                f"AC: the file gives {theirs}, the sheet {ours}" + (applied if parts else "")
            )
        self.report.mapped.append(f"AC: {ours}")


# --- Lookups --------------------------------------------------------------------------------------


def _srd_race(srd: SRD, name: str) -> tuple[Race, Subrace | None]:
    """By exact name first, then the SRD race or subrace whose name's words the file's name holds, the
    longest first ("Half-Elf" is the half-elf, not an elf; "Variant Human" is a human)."""
    folded = name.casefold()
    for sub in srd.data.subraces:
        if sub.name.casefold() == folded:
            return srd.race(sub.race), sub
    for race in srd.data.races:
        if race.name.casefold() == folded:
            return race, None
    words = set(_words(name))
    candidates: list[tuple[int, Race, Subrace | None]] = [
        (len(_words(sub.name)), srd.race(sub.race), sub) for sub in srd.data.subraces if set(_words(sub.name)) <= words
    ]
    candidates += [(len(_words(r.name)), r, None) for r in srd.data.races if set(_words(r.name)) <= words]
    if candidates:
        _, race, subrace = max(candidates, key=lambda c: c[0])
        return race, subrace
    return srd.race("human"), None


def _bonuses(race: Race, subrace: Subrace | None) -> dict[str, int]:
    bonuses = {a: 0 for a in rules.ABILITIES}
    for source in (race.ability_bonuses, subrace.ability_bonuses if subrace else {}):
        for ability, value in source.items():
            bonuses[ability] += value
    return bonuses


def _item_index(srd: SRD) -> dict[frozenset[str], Any]:
    """SRD gear by the set of words in its name, with and without its parenthesis ("Rations (1 day)")."""
    index: dict[frozenset[str], Any] = {}
    for entry in srd.lookup("item"):
        index.setdefault(frozenset(_words(entry.name)), entry)
    for entry in srd.lookup("item"):
        index.setdefault(frozenset(_words(re.sub(r"\(.*?\)", "", entry.name))), entry)
    return index


def _find_item(srd: SRD, index: Mapping[frozenset[str], Any], name: str, identifier: str) -> Any:
    items = srd.lookup("item")
    for key in (identifier, name):
        if key and key in items:
            return items.get(key)
    for candidate in (name, name.split(":", 1)[-1]):  # "Musical Instrument: Lute"
        found = index.get(frozenset(_words(candidate)))
        if found is not None:
            return found
    return None


def _words(text: str) -> list[str]:
    text = text.casefold().replace("ft.", "feet").replace("’", "'")
    return [w for w in re.split(r"[^a-z0-9']+", text) if w and w not in ("the", "of", "or", "domain")] or [text]


def _feature_key(name: str) -> str:
    """ "Unarmored Defense (Barbarian)", "Spellcasting: Cleric" and "Breath Weapon - White" compare by their head."""
    head = re.split(r"[(:\-–]", name, maxsplit=1)[0]
    return " ".join(_words(head))


def _plain_text(html: str) -> str:
    """Foundry's HTML as plain text: paragraphs kept, tags and entities gone."""
    text = re.sub(r"</p>|<br\s*/?>|</li>", "\n", html, flags=re.IGNORECASE)
    text = re.sub(r"<[^>]*>", "", text)
    text = text.replace("&nbsp;", " ").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _path(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return default


def _text(value: Any) -> str:
    return " ".join(str(value).split())[:200] if isinstance(value, str | int) and not isinstance(value, bool) else ""
