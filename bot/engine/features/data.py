"""Which SRD class features have uses, how many at each level, and which rest brings them back; and a
sentence of the project's own for the features that have no number for the engine to apply."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from bot.engine import rules

Reset = Literal["short", "long", "never"]


@dataclass(frozen=True)
class Level:
    """What a maximum is computed from: the level in the feature's class and the final ability scores."""

    level: int
    scores: Mapping[str, int]

    def mod(self, ability: str) -> int:
        return rules.modifier(self.scores[ability])


@dataclass(frozen=True)
class Resource:
    key: str
    name: str
    class_index: str
    level: int  # the class level that gives it
    maximum: Callable[[Level], int]  # 0: none at this level
    reset: Callable[[Level], Reset]
    what: str  # one sentence: what spending it does
    pool: bool = False  # spent by the point (Ki, Lay on Hands), not by the use


def _by_level(table: Mapping[int, int]) -> Callable[[Level], int]:
    """The value of the highest level row at or below the character's level."""
    return lambda at: max((v for lv, v in table.items() if lv <= at.level), default=0)


def _always(kind: Reset) -> Callable[[Level], Reset]:
    return lambda _: kind


# Features used with a bonus action (SRD 5.1): a character has one bonus action on its turn
BONUS_ACTIONS = frozenset(
    {"rage", "second-wind", "bardic-inspiration", "flurry-of-blows", "patient-defense", "step-of-the-wind", "frenzy"}
)
UNLIMITED = 99  # a level-20 barbarian's rages: more than any day holds

RESOURCES: tuple[Resource, ...] = (
    Resource(
        "rage",
        "Rage",
        "barbarian",
        1,
        _by_level({1: 2, 3: 3, 6: 4, 12: 5, 17: 6, 20: UNLIMITED}),
        _always("long"),
        "A bonus action: +damage on Strength melee hits, resistance to bludgeoning, piercing and slashing, "
        "advantage on Strength checks and saves, for a minute.",
    ),
    Resource(
        "bardic-inspiration",
        "Bardic Inspiration",
        "bard",
        1,
        lambda at: max(1, at.mod("cha")),
        lambda at: "short" if at.level >= 5 else "long",
        "A bonus action: another creature gets a die to add to one attack, check or save in the next 10 minutes.",
    ),
    Resource(
        "channel-divinity",
        "Channel Divinity",
        "cleric",
        2,
        _by_level({2: 1, 6: 2, 18: 3}),
        _always("short"),
        "Turn Undead (undead within 30 ft save or flee) or your domain's power (Life: Preserve Life).",
    ),
    Resource(
        "wild-shape",
        "Wild Shape",
        "druid",
        2,
        _by_level({2: 2}),
        _always("short"),
        "An action: become a beast you have seen, with its HP; at 0 you change back and the rest carries over.",
    ),
    Resource(
        "second-wind",
        "Second Wind",
        "fighter",
        1,
        _by_level({1: 1}),
        _always("short"),
        "A bonus action: regain 1d10 + fighter level HP.",
    ),
    Resource(
        "action-surge",
        "Action Surge",
        "fighter",
        2,
        _by_level({2: 1, 17: 2}),
        _always("short"),
        "One more action this turn (the attack action's attacks again).",
    ),
    Resource(
        "indomitable",
        "Indomitable",
        "fighter",
        9,
        _by_level({9: 1, 13: 2, 17: 3}),
        _always("long"),
        "Reroll a failed saving throw.",
    ),
    Resource(
        "ki",
        "Ki",
        "monk",
        2,
        lambda at: at.level if at.level >= 2 else 0,
        _always("short"),
        "Points for Flurry of Blows (two unarmed strikes as a bonus action), Patient Defense and Step of the Wind.",
        pool=True,
    ),
    Resource(
        "lay-on-hands",
        "Lay on Hands",
        "paladin",
        1,
        lambda at: 5 * at.level,
        _always("long"),
        "A pool of healing: touch a creature and restore HP from it.",
        pool=True,
    ),
    Resource(
        "divine-sense",
        "Divine Sense",
        "paladin",
        1,
        lambda at: 1 + max(0, at.mod("cha")),
        _always("long"),
        "An action: until your next turn you know where celestials, fiends and undead within 60 ft are.",
    ),
    Resource(
        "sorcery-points",
        "Sorcery Points",
        "sorcerer",
        2,
        lambda at: at.level if at.level >= 2 else 0,
        _always("long"),
        "Points for metamagic, or to turn into spell slots.",
        pool=True,
    ),
    Resource(
        "arcane-recovery",
        "Arcane Recovery",
        "wizard",
        1,
        _by_level({1: 1}),
        _always("long"),
        "Once a day after a short rest: recover spell slots up to half your wizard level (rounded up).",
    ),
)
BY_KEY = {r.key: r for r in RESOURCES}

# Features the engine applies with no use to spend, or has no number for: a sentence of our own each.
DESCRIPTIONS: Mapping[str, str] = {
    "Reckless Attack": "Advantage on Strength melee attacks this turn; attacks against you have advantage too.",
    "Danger Sense": "Advantage on Dexterity saves against effects you can see.",
    "Extra Attack": "The attack action attacks more than once.",
    "Sneak Attack": "Once a turn: extra d6s on a finesse or ranged hit with advantage or an ally in the fight.",
    "Cunning Action": "Dash, Disengage or Hide as a bonus action.",
    "Uncanny Dodge": "A reaction: halve the damage of an attack that hits you.",
    "Evasion": "A Dexterity save for half damage takes none on a success, half on a failure.",
    "Martial Arts": "Unarmed strikes and monk weapons use Dexterity and the martial arts die.",
    "Divine Smite": "On a melee hit, spend a slot for 2d8 radiant (+1d8 a slot level, +1d8 vs undead and fiends).",
    "Improved Critical": "Weapon attacks crit on 19 and 20.",
    "Fighting Style": "A style of fighting that changes one of your numbers.",
    "Unarmored Defense": "Without armour, AC adds a second ability modifier.",
    "Fast Movement": "Speed +10 ft without heavy armour.",
    "Feral Instinct": "Advantage on initiative.",
    "Jack of All Trades": "Half proficiency on checks without proficiency.",
    "Song of Rest": "Hit dice spent in a short rest heal an extra die.",
    "Expertise": "Double proficiency on the chosen skills.",
    "Spellcasting": "Spells from the class list, with slots by level.",
    "Pact Magic": "Few spell slots, all of the highest level, back on a short rest.",
    "Deflect Missiles": "A reaction: reduce a ranged weapon attack's damage by 1d10 + Dex + monk level.",
    "Stunning Strike": "Spend 1 ki on a hit: the target saves (Con) or is stunned until your next turn.",
    "Divine Health": "Immune to disease.",
    "Aura of Protection": "You and allies within 10 ft add your Charisma modifier to saves.",
    "Favored Enemy": "Advantage on checks to track and recall lore about a chosen kind of foe.",
    "Natural Explorer": "Travel and foraging are easier in a chosen terrain.",
    "Font of Magic": "Sorcery points, and slots made from them.",
    "Arcane Recovery": "Once a day after a short rest: spell slots back up to half your wizard level.",
    "Eldritch Invocations": "Options that add to a warlock's powers.",
    "Preserve Life": "Channel Divinity: share out 5 × cleric level HP among creatures within 30 ft.",
    "Turn Undead": "Channel Divinity: undead within 30 ft make a Wisdom save or are turned for a minute.",
    "Dark One's Blessing": "Reducing a hostile creature to 0 HP gives temporary HP: Cha mod + warlock level.",
    "Frenzy": "While raging, an extra melee attack as a bonus action each turn (exhaustion after).",
    "Colossus Slayer": "Once a turn, +1d8 damage on a weapon hit against a creature below its maximum HP.",
    "Remarkable Athlete": "Half proficiency on Strength, Dexterity and Constitution checks without proficiency.",
    "Fast Hands": "Cunning Action also uses an object, disarms a trap or picks a lock.",
    "Disciple of Life": "Healing spells of 1st level or higher heal 2 + the spell's level more.",
    "Sacred Weapon": "Channel Divinity: your weapon adds your Charisma modifier to attack rolls for a minute.",
    "Cutting Words": "A reaction and a Bardic Inspiration die: subtract it from a foe's attack, check or damage.",
    "Sculpt Spells": "Your evocation spells spare chosen creatures: they take no damage on a successful save.",
    "Draconic Resilience": "HP +1 a sorcerer level, and AC 13 + Dex without armour.",
    "Elemental Affinity": "Spells of your dragon's damage type add your Charisma modifier to one damage roll.",
    "Hunter's Prey": "A hunter's choice of prey: Colossus Slayer adds 1d8 once a turn to a hurt foe.",
    "Brutal Critical": "Critical hits with melee weapons roll extra weapon damage dice.",
    "Relentless Rage": "Raging, drop to 1 HP instead of 0 on a Constitution save (DC 10, +5 each time).",
    "Persistent Rage": "Your rage ends early only if you fall unconscious or choose to end it.",
    "Indomitable Might": "A Strength check below your Strength score uses the score instead.",
    "Primal Champion": "Strength and Constitution +4, to a maximum of 24.",
    "Font of Inspiration": "Bardic Inspiration comes back on a short rest as well as a long one.",
    "Countercharm": "An action: you and allies near you have advantage on saves against fear and charm.",
    "Magical Secrets": "Spells from any class's list, counted as bard spells.",
    "Superior Inspiration": "Rolling initiative with no Bardic Inspiration left gives you one.",
    "Destroy Undead": "Undead of low CR that fail the save against Turn Undead are destroyed.",
    "Divine Intervention": "Call on your deity; it answers if a d100 roll is at most your cleric level.",
    "Druidic": "The secret language of druids.",
    "Timeless Body": "You age far more slowly.",
    "Beast Spells": "You can cast many spells in Wild Shape.",
    "Archdruid": "Unlimited Wild Shape, and spells without verbal, somatic or cheap material components.",
    "Flurry of Blows": "1 ki after the attack action: two unarmed strikes as a bonus action.",
    "Patient Defense": "1 ki: Dodge as a bonus action.",
    "Step of the Wind": "1 ki: Disengage or Dash as a bonus action, and your jump doubles.",
    "Unarmored Movement": "Speed bonus without armour or a shield.",
    "Slow Fall": "A reaction: reduce falling damage by five times your monk level.",
    "Ki Empowered Strikes": "Your unarmed strikes count as magical.",
    "Stillness of Mind": "An action: end an effect charming or frightening you.",
    "Purity of Body": "Immune to disease and poison.",
    "Diamond Soul": "Proficient in every save; 1 ki rerolls a failed one.",
    "Empty Body": "4 ki: invisible with resistance to all damage but force for a minute.",
    "Perfect Self": "Rolling initiative with no ki left gives you 4.",
    "Aura of Courage": "You and allies within 10 ft can't be frightened while you are conscious.",
    "Improved Divine Smite": "Every melee weapon hit deals an extra 1d8 radiant.",
    "Cleansing Touch": "An action: end a spell on yourself or a willing creature (Cha mod times a day).",
    "Primeval Awareness": "Spend a slot to sense certain creature types nearby.",
    "Land's Stride": "Nonmagical difficult terrain costs no extra movement.",
    "Hide in Plain Sight": "Camouflage yourself for +10 on Stealth while still.",
    "Vanish": "Hide as a bonus action; you can't be tracked by nonmagical means.",
    "Feral Senses": "No disadvantage attacking creatures you can't see within 30 ft.",
    "Foe Slayer": "Once a turn, add Wisdom to an attack or damage roll against a favored enemy.",
    "Thieves' Cant": "A secret mix of jargon and signs thieves understand.",
    "Reliable Talent": "A d20 below 10 counts as 10 on checks with proficiency.",
    "Blindsense": "You know where hidden or invisible creatures within 10 ft are.",
    "Slippery Mind": "Proficient in Wisdom saves.",
    "Elusive": "No attack roll has advantage against you while you aren't incapacitated.",
    "Stroke of Luck": "Turn a miss into a hit, or a failed check into a 20, once a short rest.",
    "Metamagic": "Sorcery points bend your spells (Twinned, Quickened, Subtle...).",
    "Flexible Casting": "Turn sorcery points into spell slots and slots into points.",
    "Sorcerous Restoration": "A short rest gives back 4 sorcery points.",
    "Mystic Arcanum": "One spell of a high level, cast once a long rest without a slot.",
    "Eldritch Master": "Once a long rest, a minute of entreaty regains all Pact Magic slots.",
    "Spell Mastery": "A 1st- and a 2nd-level spell cast at their lowest level without a slot.",
    "Signature Spell": "Two 3rd-level spells cast once each a short rest without a slot.",
    "Ability Score Improvement": "+2 to one score or +1 to two (20 at most), or a feat.",
    "Pact Boon": "Your patron's gift: a blade, a chain familiar or a tome.",
    "Divine Intervention Improvement": "From cleric level 20, Divine Intervention always answers.",
    "Aura improvements": "Your paladin auras reach 30 ft.",
    "Tongue of the Sun and Moon": "You understand every spoken language, and everyone understands you.",
    "Domain Spells": "Your domain's spells, always prepared.",
    "Oath Spells": "Your oath's spells, always prepared.",
}


def describe(feature: str) -> str | None:
    """A feature's sentence: by its name, without a qualifier ("Action Surge (1 use)"), or after a colon
    ("Channel Divinity: Turn Undead")."""
    what = {**{r.name: r.what for r in RESOURCES}, **DESCRIPTIONS}
    for name in (feature, feature.split(" (")[0], feature.split(": ")[-1], feature.split(": ")[0]):
        if name in what:
            return what[name]
    return None
