"""The word tables the content generators (`bot.engine.generate`) draw from: valuables, NPC names, roles, traits
and secrets, location names, features and details, and quest tasks, objects, places and complications."""

from __future__ import annotations

from collections.abc import Mapping

# Gemstones and art objects by their value each in gp: a gem or piece is worth what its tier says, so a pearl
# is never a 10 gp trinket and a ruby never 10 gp. (Tiers after the usual 5e treasure tiers; names are common
# nouns, the art objects described in dmbot's own words.)
GEMS: Mapping[int, tuple[str, ...]] = {
    10: ("azurite", "banded agate", "blue quartz", "hematite", "lapis lazuli", "malachite", "obsidian", "turquoise"),
    50: ("bloodstone", "carnelian", "chalcedony", "citrine", "jasper", "moonstone", "onyx", "zircon"),
    100: ("amber", "amethyst", "coral", "garnet", "jade", "jet", "pearl", "tourmaline"),
    500: ("alexandrite", "aquamarine", "black pearl", "peridot", "topaz"),
    1000: ("black opal", "blue sapphire", "emerald", "fire opal", "star ruby"),
    5000: ("black sapphire", "diamond", "jacinth", "ruby"),
}
ART: Mapping[int, tuple[str, ...]] = {
    25: ("silver ewer", "carved bone figurine", "embroidered silk handkerchief", "copper cup with silver filigree"),
    250: ("gold ring set with bloodstones", "carved ivory figurine", "bronze crown", "embroidered silk banner"),
    750: ("small gold idol", "silver chalice set with moonstones", "painted gold mask", "obsidian statuette"),
    2500: ("platinum bracelet set with a sapphire", "old masterwork painting", "gold music box"),
    7500: ("jewelled gold crown", "gold cup set with emeralds", "jade game board with gold pieces"),
}

FIRST_NAMES = (
    "Aldric",
    "Brenna",
    "Cato",
    "Dagny",
    "Emeric",
    "Fenna",
    "Garrick",
    "Hesper",
    "Ivo",
    "Jessamy",
    "Kestrel",
    "Lorcan",
    "Maren",
    "Nils",
    "Odile",
    "Perrin",
    "Quilla",
    "Rowan",
    "Sabine",
    "Tobin",
    "Ulla",
    "Vesna",
    "Wendel",
    "Yara",
    "Zeb",
)

SURNAMES = (
    "Ashdown",
    "Brightwater",
    "Coldbrook",
    "Dunmore",
    "Elmsworth",
    "Fairweather",
    "Greythorn",
    "Hollis",
    "Ironside",
    "Juniper",
    "Kettle",
    "Larkspur",
    "Mossbank",
    "Nettles",
    "Oakheart",
    "Pike",
    "Quarrel",
    "Redfern",
    "Stoneleigh",
    "Thistle",
)

ROLES = (
    "innkeeper",
    "blacksmith",
    "guard captain",
    "priest",
    "merchant",
    "scholar",
    "farmer",
    "noble",
    "thief",
    "hunter",
    "ferryman",
    "herbalist",
    "bard",
    "mercenary",
    "beggar",
    "tax collector",
)

PERSONALITIES = (
    "cheerful and nosy",
    "gruff but fair",
    "nervous, apologises often",
    "proud of their craft",
    "suspicious of strangers",
    "relentlessly optimistic",
    "dry-witted",
    "easily flattered",
    "blunt to a fault",
    "kind and tired",
    "greedy yet charming",
    "pious and stern",
    "distracted, always counting",
    "boastful storyteller",
)

VOICES = (
    "low gravelly rumble",
    "quick sing-song lilt",
    "slow careful drawl",
    "breathy whisper",
    "booming laugh between words",
    "clipped military bark",
    "nasal and precise",
    "soft with a stammer",
    "warm storyteller's cadence",
    "mutters asides to themself",
)

MOTIVES = (
    "pay off a dangerous debt",
    "protect a younger sibling",
    "win back a lost reputation",
    "get rich before winter",
    "find who burned the old mill",
    "leave this town for good",
    "keep the peace at any cost",
    "earn a noble's favour",
    "recover a stolen heirloom",
    "prove a rival wrong",
)

SECRETS = (
    "informs for the local thieves",
    "is not who they claim to be",
    "hid a body under the floor",
    "owes money to a cult",
    "can see spirits",
    "stole their trade from a dead master",
    "is secretly noble-born",
    "buried a treasure map they can't read",
    "once deserted an army",
    "is in love with their rival",
)

ADJECTIVES = (
    "Gilded",
    "Drowned",
    "Laughing",
    "Crooked",
    "Silver",
    "Sleeping",
    "Rusty",
    "Red",
    "Wandering",
    "Broken",
    "Lucky",
    "Howling",
)

NOUNS = ("Stag", "Lantern", "Barrel", "Crow", "Anvil", "Mermaid", "Goat", "Crown", "Wheel", "Kettle", "Boar", "Lute")

LOCATION_TABLES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "dungeon room": {
        "name": (
            "Collapsed guardroom",
            "Flooded cistern",
            "Fungus cellar",
            "Shrine of a nameless god",
            "Bone-strewn larder",
            "Mosaic hall",
            "Old armoury",
            "Chained library",
        ),
        "feature": (
            "a pit hidden under rotten boards",
            "a toppled statue blocking one exit",
            "knee-deep cold water",
            "walls scored with claw marks",
            "a rusted portcullis, half raised",
            "a brazier that still burns",
        ),
        "detail": (
            "a draught from a crack in the north wall",
            "fresh tracks in the dust",
            "a faint chanting below",
            "a locked iron chest",
            "a skeleton clutching a note",
            "the smell of smoke",
        ),
    },
    "settlement": {
        "name": ("Millbrook", "Harrowgate", "Saltmere", "Thornwick", "Ashford", "Greyhollow", "Kingsferry", "Underby"),
        "feature": (
            "a market every fifth day",
            "a crumbling wall from an older war",
            "a ferry over a wide river",
            "a mine that closed last spring",
            "a watchtower with no watch",
            "a great oak at its heart",
        ),
        "detail": (
            "the mayor is missing",
            "wolves have taken sheep",
            "a festival starts tomorrow",
            "strangers are turned away at dusk",
            "the well water tastes of iron",
            "a noble is visiting",
        ),
    },
    "tavern": {
        "feature": (
            "a hearth big enough to roast an ox",
            "a stage with a broken lute",
            "private booths",
            "a notice board crowded with jobs",
            "a cellar used for dice games",
            "rooms at 5 sp a night",
        ),
        "detail": (
            "the ale is watered",
            "a hooded guest pays in old coins",
            "the cook was once an adventurer",
            "a brawl is one insult away",
            "the owner collects maps",
            "a bard sings of the party",
        ),
    },
    "shop": {
        "name": ("general store", "smithy", "apothecary", "bookbinder", "tailor", "curio dealer", "bowyer", "tanner"),
        "feature": (
            "cluttered shelves to the ceiling",
            "a caged parrot that names prices",
            "goods sold only by barter",
            "a back room for trusted buyers",
            "prices chalked on the door",
        ),
        "detail": (
            "the owner haggles hard",
            "stock arrived from a wrecked caravan",
            "a rival shop opened across the street",
            "an item here is cursed",
            "the owner needs a delivery made",
            "half price for news",
        ),
    },
    "temple": {
        "name": (
            "Shrine of the Dawn",
            "House of the Harvest",
            "Chapel of Still Waters",
            "Temple of the Forge",
            "Sanctum of the Road",
            "Hall of the Last Rest",
        ),
        "feature": (
            "stained glass that glows at noon",
            "a garden tended by silent monks",
            "an ossuary below",
            "a bell that rings by itself",
            "pilgrims camped on the steps",
        ),
        "detail": (
            "healing for a donation",
            "a relic was stolen",
            "the high priest is gravely ill",
            "the acolytes whisper of a prophecy",
            "the crypt is sealed by order",
            "offers blessings for work",
        ),
    },
}

TASKS = ("recover", "escort", "investigate", "destroy", "deliver", "rescue")

OBJECTS: Mapping[str, tuple[str, ...]] = {
    "recover": ("a stolen reliquary", "a merchant's ledger", "a wizard's lost familiar", "a family sword"),
    "escort": ("a nervous cartographer", "a wagon of medicine", "a runaway heir", "a caged beast"),
    "investigate": (
        "lights in the old watchtower",
        "a string of disappearances",
        "poisoned wells",
        "a ghost ship at the docks",
    ),
    "destroy": (
        "a cursed idol",
        "a bandit stronghold's supplies",
        "a necromancer's phylactery notes",
        "a nest of giant spiders",
    ),
    "deliver": ("a sealed letter", "a sack of grain to a starving village", "a dowry chest", "a warning"),
    "rescue": ("a kidnapped miller", "trapped miners", "a captured scout", "a lost pilgrim band"),
}

PLACES = (
    "the flooded crypt",
    "the Thornwood",
    "the ruined abbey",
    "the salt marshes",
    "the old dwarf mine",
    "the hill fort",
    "the sewers beneath the city",
    "the standing stones",
)

COMPLICATIONS = (
    "a rival party wants the same prize",
    "the patron is lying about why",
    "a storm cuts off the road",
    "the target is protected by the law",
    "someone inside the group is an informant",
    "there's a deadline: the next full moon",
    "the locals beg the party to stay out of it",
)
