"""The one list of commands that `/help`, the welcome message and the guides show.

`scripts/gen_docs.py` writes the guides' command sections from it, and `tests/integration/test_docs.py` checks it
against the command tree the bot registers: a command added to a cog without an entry here fails the
tests, and so does an entry for a command that no cog registers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Audience = Literal["player", "dm", "admin"]
AUDIENCES: tuple[Audience, ...] = ("player", "dm", "admin")
AUDIENCE_TITLES: dict[str, str] = {"player": "Players", "dm": "Dungeon masters", "admin": "Server admins"}

# Topic name → one line saying what it covers (the audiences are topics too).
TOPICS: dict[str, str] = {
    "player": "Everything a player can do",
    "dm": "Running a game as its dungeon master",
    "admin": "Setting the bot up for a server",
    "dice": "Rolling any dice, many times, against a DC, or by a saved name",
    "characters": "Making and keeping your characters",
    "checks": "Checks, saves, attacks and initiative from your sheet",
    "campaigns": "Campaigns, sessions, recaps and the story's turns",
    "combat": "Fights: initiative, turns and attacks",
    "spells": "Your character's cantrips and spells: learn, prepare, spellbook, cast",
    "lookup": "SRD facts: spells, monsters, items, conditions, classes, rules",
    "stats": "Dice statistics: your luck, and your campaign's fights",
    "homebrew": "Your own monsters, items, spells and feats",
    "help": "Finding your way around",
}

# What server admins can set today, without a command: shown by `/help topic:admin` and the welcome.
ADMIN_NOTES = (
    "Server Settings → Integrations → dmbot: choose who may use which command, and in which channels.",
    "The bot's own settings (rate limits, the AI narrator) belong to whoever hosts it: docs/CONFIGURATION.md.",
)

# The first steps the welcome message suggests, in order; only the commands this version has are shown.
START_STEPS: tuple[tuple[str, str], ...] = (
    ("character create", "players: make your character"),
    ("campaign create", "DMs: start a campaign in a channel"),
    ("help", "every command, with an example"),
)


@dataclass(frozen=True)
class CommandHelp:
    """One slash command (or subcommand) as the help and the guides show it."""

    audience: Audience
    topic: str
    usage: str  # "/roll expression:<dice> [private:true]": <...> a value to fill, [...] optional
    summary: str
    example: str

    @property
    def command(self) -> str:
        """The qualified name, as the tree knows it: "character create"."""
        words: list[str] = []
        for word in self.usage.removeprefix("/").split():
            if ":" in word or word.startswith(("[", "<")):
                break
            words.append(word)
        return " ".join(words)


def _player(topic: str, usage: str, summary: str, example: str) -> CommandHelp:
    return CommandHelp("player", topic, usage, summary, example)


CATALOG: tuple[CommandHelp, ...] = (
    _player(
        "dice",
        "/roll expression:<dice> [times:<n>] [dc:<n>] [advantage|disadvantage:true] [label:<txt>] [private:true]",
        "Roll any dice (1d20+5, 4d6kh3, 2d6e6) or a saved roll; times repeats it, dc counts passes.",
        "/roll expression:1d20+5 advantage:true label:Stealth",
    ),
    _player(
        "dice",
        "/alias add name:<name> expression:<dice> [server:true]",
        "Save a roll by name; {str}... {prof} come from your character; server:true: for everyone here.",
        "/alias add name:greatsword expression:2d6+{str}[slashing]",
    ),
    _player("dice", "/alias list", "Your saved rolls, and this server's.", "/alias list"),
    _player(
        "dice",
        "/alias remove name:<alias> [server:true]",
        "Remove a saved roll (server:true: one of this server's).",
        "/alias remove name:greatsword",
    ),
    _player(
        "characters",
        "/character create name:<name> race:<race> class:<class> background:<background> [pronouns:<p>] ...",
        "Make a character (background: Acolyte, or Custom and describe it), then Confirm.",
        "/character create name:Brenna race:Dwarf class:Fighter background:Acolyte",
    ),
    _player(
        "characters",
        "/character show [name:<character>] [player:<member>]",
        "Show a character sheet: yours, or another player's.",
        "/character show name:Brenna",
    ),
    _player("characters", "/character list", "List your characters here; ⭐ marks the active one.", "/character list"),
    _player(
        "characters",
        "/character use name:<character>",
        "Pick your active character (the one /check and /attack use).",
        "/character use name:Brenna",
    ),
    _player(
        "characters",
        "/character edit [name:<character>]",
        "Change name, pronouns, notes, backstory or portrait.",
        "/character edit name:Brenna",
    ),
    _player(
        "characters",
        "/character delete name:<character>",
        "Delete a character for good (asks first).",
        "/character delete name:Brenna",
    ),
    _player(
        "characters",
        "/character export [name:<character>] [player:<member>]",
        "Download a character as a dmbot file, to keep or to import on another server.",
        "/character export name:Randal (Human Fighter)",
    ),
    _player(
        "characters",
        "/character import file:<attachment>",
        "Bring a character from Foundry VTT or a dmbot file: read the draft, then Confirm.",
        "/character import file:randal-human-fighter.json",
    ),
    _player(
        "characters",
        "/character levelup [hp:<average|roll>] [class:<class>] [name:<character>]",
        "Go up a level as your XP (or your DM) allows; pick what the level gives, then Confirm.",
        "/character levelup hp:roll",
    ),
    _player(
        "characters",
        "/character rest kind:<short|long> [dice:<n>] [name:<character>]",
        "Short rest (dice: hit dice to spend, if hurt) or long rest; nobody rests in a fight.",
        "/character rest kind:short dice:2",
    ),
    _player(
        "characters",
        "/feature use name:<feature or counter> [amount:<points>] [target:<who or beast>]",
        "Use a feature (Rage, Action Surge, Ki, Wild Shape...) or a counter; rests restore them.",
        "/feature use name:Luck",
    ),
    _player(
        "characters",
        "/feature list",
        "Your features with uses and counters, what is left, and what your features do.",
        "/feature list",
    ),
    _player(
        "characters",
        "/feature add name:<name> maximum:<n> [reset:<short|long|never>]",
        "Add a counter of your own (like Avrae's !cc): uses the SRD doesn't track.",
        "/feature add name:Luck maximum:3 reset:long",
    ),
    _player(
        "characters", "/feature remove name:<counter>", "Remove one of your counters.", "/feature remove name:Luck"
    ),
    _player(
        "characters",
        "/character inventory action:<add|remove|equip|unequip|attune|unattune|coins|list> [item:<item>] [gp:n]",
        "Add SRD (and magic) items, drop, equip, attune, change coins, or list it all.",
        "/character inventory action:add item:Torch quantity:5",
    ),
    _player(
        "characters",
        "/character use-item item:<item you carry> [name:<character>]",
        "Drink a potion of healing (its dice heal, even at 0 HP); in a fight, on your turn.",
        "/character use-item item:Potion of Healing",
    ),
    _player(
        "characters",
        "/character condition action:<add|remove> condition:<condition> [rounds:<n>] [level:<n>]",
        "Add or remove a condition (its effects apply); in a campaign the DM approves an end.",
        "/character condition action:add condition:Poisoned rounds:10",
    ),
    _player(
        "checks",
        "/check skill_or_ability:<skill or ability> [advantage:true] [disadvantage:true] [private:true]",
        "An ability check with your active character.",
        "/check skill_or_ability:Perception",
    ),
    _player(
        "checks",
        "/save ability:<ability> [advantage:true] [disadvantage:true] [private:true]",
        "A saving throw with your active character.",
        "/save ability:Dexterity",
    ),
    _player(
        "checks",
        "/attack weapon:<weapon> [target:<text>] [advantage:true] [two_handed:false] [thrown:true] [smite:<n>]",
        "Attack from your sheet (Extra Attack, Rage, Sneak Attack apply); smite: Divine Smite.",
        "/attack weapon:Longsword target:Goblin 1",
    ),
    _player(
        "checks",
        "/deathsave [advantage:true]",
        "A death save at 0 HP outside a fight (in one, the engine rolls it as your turn starts).",
        "/deathsave",
    ),
    _player("checks", "/initiative [advantage:true]", "Roll initiative with your active character.", "/initiative"),
    _player(
        "campaigns",
        "/narrate action:<what your character does>",
        "Play a turn: the narrator tells what happens, the engine rolls and keeps the state.",
        "/narrate action:I search the altar for traps",
    ),
    _player(
        "campaigns",
        "/pass",
        "Sit this round out (a campaign played in rounds): it resolves without you.",
        "/pass",
    ),
    _player(
        "campaigns",
        "/campaign join [character:<name>]",
        "Bring your character into this channel's campaign.",
        "/campaign join character:Brenna",
    ),
    _player("campaigns", "/campaign leave", "Take your character out of this channel's campaign.", "/campaign leave"),
    _player(
        "campaigns", "/campaign info", "This channel's campaign: party, scene and table settings.", "/campaign info"
    ),
    _player("campaigns", "/campaign list", "The campaigns running on this server.", "/campaign list"),
    _player("campaigns", "/recap", "The story so far in this channel's campaign.", "/recap"),
    _player("campaigns", "/campaign export", "The whole campaign as Markdown and JSON files.", "/campaign export"),
    CommandHelp(
        "dm",
        "campaigns",
        "/campaign create name:<name> [tone:<text>] [setting:<text>]",
        "Start a campaign in this channel or thread; you are its DM.",
        "/campaign create name:The Sunken Crypt tone:grim",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/campaign safety [lines:<list>] [veils:<list>]",
        "Lines (never narrated; crossing one tells you and the DM) and veils (faded to black).",
        "/campaign safety lines:harm to children veils:torture",
    ),
    CommandHelp("dm", "campaigns", "/session start", 'Begin a session with a "previously…" recap.', "/session start"),
    CommandHelp(
        "dm", "campaigns", "/session end", "End the session: what happened, and who was there.", "/session end"
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm scene text:<description> [location:<name>]",
        "Set the scene: where the party is and what is around them.",
        "/dm scene text:A flooded crypt below the chapel",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm narrate text:<words>",
        "Narrate in your own voice, as canon; across a line or veil you confirm first.",
        "/dm narrate text:The bells toll thirteen times.",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm retcon",
        "Undo the last turn or fight action (whichever is newer); again goes further back.",
        "/dm retcon",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm end-round",
        "Close the open round now: whoever has not acted passes, and the story resolves it.",
        "/dm end-round",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm pin fact:<sentence> [public:true]",
        "Pin a canon fact the narrator must always keep; yours alone (kept secret) unless `public:true`.",
        "/dm pin fact:Brother Aldous leads the cult",
    ),
    _player(
        "combat",
        "/combat join [name:<character>] [advantage:true]",
        "Join the fight in this channel: roll initiative from your sheet.",
        "/combat join",
    ),
    _player(
        "combat", "/combat status", "The fight: the order, whose turn it is, how everyone is doing.", "/combat status"
    ),
    _player(
        "combat", "/combat next", "End your turn; the next in initiative order is up (and pinged).", "/combat next"
    ),
    _player(
        "combat", "/combat delay", "Hold your turn: the next in the order goes; come back in later.", "/combat delay"
    ),
    _player(
        "combat",
        "/combat ready [name:<character>]",
        "Come back in after holding your turn: you act right after the current one.",
        "/combat ready",
    ),
    _player(
        "combat",
        "/combat opportunity target:<name> weapon:<melee weapon> [attacker:<name>]",
        "A foe leaves your reach on its turn: a melee attack as your reaction (DM: anyone's).",
        "/combat opportunity target:Wolf 1 weapon:longsword",
    ),
    CommandHelp("dm", "campaigns", "/dm canon", "The pinned canon facts, numbered.", "/dm canon"),
    CommandHelp("dm", "campaigns", "/dm unpin number:<n>", "Unpin a canon fact.", "/dm unpin number:2"),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm settings [persona:<text>] [content_rating:<r>] [approval_bound:<n>] [pace:<turns|rounds>] ...",
        "Show or change the narrator's persona, model, rating, approvals, levelling, pace (rounds).",
        "/dm settings content_rating:family approval_bound:5",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm allow-levelup target:<character|party>",
        "Let a character (or the party) go up one level, whatever their XP (milestones).",
        "/dm allow-levelup target:party",
    ),
    CommandHelp(
        "dm", "campaigns", "/dm pending", "Changes the narrator proposed that wait for your approval.", "/dm pending"
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm approve [change:<n>]",
        "Apply a waiting change (the oldest by default).",
        "/dm approve change:3",
    ),
    CommandHelp(
        "dm", "campaigns", "/dm deny [change:<n>]", "Drop a waiting change (the oldest by default).", "/dm deny"
    ),
    CommandHelp(
        "admin",
        "campaigns",
        "/admin usage",
        "The narrator's tokens and estimated cost, today and this month.",
        "/admin usage",
    ),
    CommandHelp(
        "admin",
        "campaigns",
        "/admin budget tokens:<n>",
        "This server's daily token budget for the AI narrator (0: offline only).",
        "/admin budget tokens:200000",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm-combat start",
        "Start a fight in this channel; players then `/combat join`.",
        "/dm-combat start",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm-combat add [monster:<SRD monster>] [count:<n>] [name:<name>] [hit_points:<n>] [ac:<n>] ...",
        "SRD monsters (`group:true`: one turn for all), or without a monster your own combatant.",
        "/dm-combat add name:Collapsing Bridge hit_points:25 ac:12 attacks:Stones DC 12 dex 2d6 half",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm-combat lair",
        "Add a Lair Actions turn on initiative 20, losing ties (the SRD data has no lair actions).",
        "/dm-combat lair",
    ),
    CommandHelp(
        "dm", "combat", "/dm-combat prev", "Go back one turn (nothing that happened is undone).", "/dm-combat prev"
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm-combat skip [rest_of_round:true]",
        "Skip the current turn (nothing of it counts down), or the rest of the round.",
        "/dm-combat skip",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm-combat move name:<combatant> [position:<n>] [initiative:<n>]",
        "Move a combatant (or its group) to a place in the order or to an initiative.",
        "/dm-combat move name:Lia position:1",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm-combat reroll [every_round:true|false]",
        "Reroll everyone's initiative now, or at the top of every round from now on.",
        "/dm-combat reroll every_round:true",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm-combat effect do:add|remove target:<name> effect:<name> [rounds:<n>] [concentration:<caster>] ...",
        "A timed effect: Bless, Bane, Shield of Faith, Shield, Faerie Fire, or your own.",
        "/dm-combat effect do:add target:Tordek effect:Bless concentration:Lia",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm-combat act monster:<name> action:<action> target:<name>[, <name>...]",
        "A monster's action, legendary action or `Cast <spell>`, at one or more: the engine rolls.",
        "/dm-combat act monster:Goblin 1 action:Scimitar target:Tordek",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm-combat sunlight on:<true or false>",
        "The fight is in sunlight: Sunlight Sensitivity applies; vampires don't regenerate.",
        "/dm-combat sunlight on:true",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm-combat remove name:<combatant>",
        "Take a combatant out of the fight.",
        "/dm-combat remove name:Goblin 2",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm-combat end",
        "End the fight: XP by challenge rating, split among the party.",
        "/dm-combat end",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm damage target:<name> amount:<n> [type:<damage type>]",
        "Deal damage to a combatant or character (resistances apply).",
        "/dm damage target:Tordek amount:7",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm heal target:<name> amount:<n>",
        "Heal a combatant or character.",
        "/dm heal target:Lia amount:5",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm revive target:<character>",
        "Bring a dead or dying character back with 1 HP (a raising spell, or the DM's word).",
        "/dm revive target:Tordek",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm condition add target:<name> condition:<condition> [rounds:<n>]",
        "Give a condition, optionally for some rounds.",
        "/dm condition add target:Goblin 1 condition:prone",
    ),
    CommandHelp(
        "dm",
        "combat",
        "/dm condition remove target:<name> condition:<condition>",
        "Lift a condition.",
        "/dm condition remove target:Tordek condition:poisoned",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm award xp target:<character|party> amount:<n>",
        "Award XP to a character or to each of the party.",
        "/dm award xp target:party amount:150",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm award item target:<character|party> item:<SRD or homebrew item> [quantity:<n>]",
        "Give an SRD item or magic item (the loot generator's too), or your homebrew item.",
        "/dm award item target:Tordek item:potion of healing",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm award custom target:<character|party> name:<name> [description:<text>] [weight:<lb>] [value:<gp>]",
        "Your own item (a weapon with damage:, armour with ac_bonus:); players can't make these.",
        "/dm award custom target:Tordek name:Mayor's Seal description:A brass seal weight:0.5 value:20",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm award coins target:<character|party> [gp:<n>] [sp:<n>] ...",
        "Give coins.",
        "/dm award coins target:party gp:25",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm npc create [name:<name>] [role:<role>]",
        "Create an NPC; personality, voice, motive and a secret are filled in.",
        "/dm npc create name:Old Berta role:innkeeper",
    ),
    CommandHelp("dm", "campaigns", "/dm npc list", "The campaign's NPCs.", "/dm npc list"),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm npc show name:<npc>",
        "One NPC, secret included (only you see it).",
        "/dm npc show name:Old Berta",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm npc edit name:<npc> [new_name:<name>] [role:<role>] [description:<text>] [secret:<text>] [public:true]",
        "Change an NPC; `public:true` lets the players know of them (their secret stays yours).",
        "/dm npc edit name:Old Berta role:smuggler public:true",
    ),
    CommandHelp("dm", "campaigns", "/dm npc remove name:<npc>", "Remove an NPC.", "/dm npc remove name:Old Berta"),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm generate encounter [difficulty:<d>] [theme:<theme>]",
        "An encounter for the party's levels; post it, or start the fight with a button.",
        "/dm generate encounter difficulty:hard theme:undead",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm generate loot [cr:<n>] [kind:individual|hoard]",
        "Treasure by CR.",
        "/dm generate loot cr:4 kind:hoard",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm generate npc [name:<name>] [role:<role>]",
        "An NPC sketch.",
        "/dm generate npc role:priest",
    ),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm generate location [kind:<kind>]",
        "A dungeon room, settlement, tavern, shop or temple.",
        "/dm generate location kind:tavern",
    ),
    CommandHelp("dm", "campaigns", "/dm generate quest", "A quest hook for the party's level.", "/dm generate quest"),
    CommandHelp(
        "dm",
        "campaigns",
        "/dm kick player:<member>",
        "Remove a player's character from the campaign.",
        "/dm kick player:@bob",
    ),
    CommandHelp("dm", "campaigns", "/dm pause", "Pause the campaign: no turns, no fight moves.", "/dm pause"),
    CommandHelp("dm", "campaigns", "/dm resume", "Resume a paused campaign.", "/dm resume"),
    CommandHelp("dm", "campaigns", "/dm end", "End the campaign for good (asks to confirm).", "/dm end"),
    CommandHelp(
        "dm", "campaigns", "/dm transfer user:<member>", "Hand the campaign to another DM.", "/dm transfer user:@carol"
    ),
    CommandHelp(
        "admin",
        "campaigns",
        "/admin dm-role role:<role>",
        "Set the DM role (who may create campaigns).",
        "/admin dm-role role:@DM",
    ),
    CommandHelp(
        "admin",
        "campaigns",
        "/admin settings [require_dm_role:true] [narrator_model:<m>] [content_rating:<r>] [daily_tokens:<n>]",
        "Show or change this server's defaults.",
        "/admin settings require_dm_role:true",
    ),
    CommandHelp("admin", "campaigns", "/admin stats", "Campaigns, characters, turns and tokens today.", "/admin stats"),
    _player(
        "spells",
        "/spell list [name:<character>] [player:<member>]",
        "Your cantrips and spells, spell save DC and spell attack.",
        "/spell list",
    ),
    _player(
        "spells",
        "/spell learn spell:<spell> [name:<character>]",
        "Learn a cantrip or spell (wizards: into the spellbook, or copied from a scroll you carry).",
        "/spell learn spell:Fire Bolt",
    ),
    _player(
        "spells",
        "/spell forget spell:<spell> [name:<character>]",
        "Forget a cantrip or spell, to learn another.",
        "/spell forget spell:Fire Bolt",
    ),
    _player(
        "spells",
        "/spell prepare spell:<spell> [remove:true] [name:<character>]",
        "Prepare a spell (cleric, druid, paladin, wizard); changes wait for a long rest.",
        "/spell prepare spell:Magic Missile",
    ),
    _player("spells", "/spell book [name:<character>]", "A wizard's spellbook, prepared spells marked.", "/spell book"),
    _player(
        "spells",
        "/cast spell:<spell> [level:<1-9>] [targets:<name, name>] [ritual:true]",
        "Cast a spell: slot spent, attack or saves rolled, damage, healing and effects applied.",
        "/cast spell:Magic Missile level:1 targets:Goblin 1",
    ),
    _player(
        "lookup",
        "/lookup spell name:<spell> [public:true]",
        "A spell's facts: level, casting, components, damage by slot, save, automation.",
        "/lookup spell name:Fireball",
    ),
    _player(
        "lookup",
        "/lookup monster name:<monster> [public:true]",
        "A monster's stat block numbers, traits and actions.",
        "/lookup monster name:Goblin",
    ),
    _player(
        "lookup",
        "/lookup item name:<item> [public:true]",
        "A weapon, armor or gear: cost, damage, AC.",
        "/lookup item name:Longsword",
    ),
    _player(
        "lookup",
        "/lookup magic-item name:<magic item> [public:true]",
        "A magic item's rarity and kind.",
        "/lookup magic-item name:Bag of Holding",
    ),
    _player(
        "lookup",
        "/lookup condition name:<condition> [public:true]",
        "What a condition does to rolls and moves.",
        "/lookup condition name:Prone",
    ),
    _player(
        "lookup",
        "/lookup class name:<class> [public:true]",
        "A class: hit die, proficiencies, levels.",
        "/lookup class name:Wizard",
    ),
    _player(
        "lookup", "/lookup race name:<race> [public:true]", "A race: speed, bonuses, traits.", "/lookup race name:Dwarf"
    ),
    _player(
        "lookup",
        "/lookup feat name:<feat> [public:true]",
        "A feat and its prerequisites.",
        "/lookup feat name:Grappler",
    ),
    _player(
        "lookup",
        "/lookup rule name:<rule> [public:true]",
        "Where a rule is: its chapter and headings.",
        "/lookup rule name:Resting",
    ),
    _player(
        "stats",
        "/stats player [player:<member>] [chart:false]",
        "Your rolls here: d20 faces, natural 20s and 1s, luck against a fair die, by character.",
        "/stats player",
    ),
    _player(
        "stats",
        "/stats campaign [chart:false]",
        "This campaign: who rolled what; attacks, crits, damage dealt and taken, who dropped whom.",
        "/stats campaign",
    ),
    CommandHelp(
        "dm",
        "homebrew",
        "/homebrew add file:<attachment> [scope:<campaign|server>]",
        "Add monsters, items, spells or feats from a JSON file (docs/HOMEBREW.md).",
        "/homebrew add file:bog-hag.json",
    ),
    CommandHelp(
        "dm",
        "homebrew",
        "/homebrew monster [scope:<campaign|server>]",
        "Type a monster into a form: AC, hit dice, CR, scores, actions.",
        "/homebrew monster",
    ),
    CommandHelp(
        "dm", "homebrew", "/homebrew list [kind:<kind>]", "This campaign's and server's homebrew.", "/homebrew list"
    ),
    CommandHelp(
        "dm",
        "homebrew",
        "/homebrew show name:<name>",
        "One entry's numbers: AC, HP, actions ...",
        "/homebrew show name:Bog Hag",
    ),
    CommandHelp(
        "dm", "homebrew", "/homebrew remove name:<name>", "Remove a homebrew entry.", "/homebrew remove name:Bog Hag"
    ),
    CommandHelp(
        "dm",
        "homebrew",
        "/homebrew export [scope:<campaign|server>]",
        "Download homebrew as one file, to /homebrew add on another server.",
        "/homebrew export",
    ),
    _player(
        "help",
        "/help [topic:<topic>]",
        "This help: by audience (player, dm, admin) or by topic (dice ...).",
        "/help topic:characters",
    ),
)


def topics() -> tuple[str, ...]:
    """Every topic `/help` answers: the audiences first, then the topics that have commands."""
    used = {entry.topic for entry in CATALOG}
    return tuple(t for t in TOPICS if t in AUDIENCES or t in used)


def entries_for(topic: str) -> tuple[CommandHelp, ...]:
    """The commands of an audience or of a topic, in catalog order."""
    return tuple(e for e in CATALOG if topic in (e.audience, e.topic))


def find(command: str) -> CommandHelp | None:
    """The entry of a command by its qualified name ("character create"), with or without the slash."""
    wanted = " ".join(command.removeprefix("/").lower().split())
    return next((e for e in CATALOG if e.command == wanted), None)


def start_steps() -> tuple[tuple[str, str], ...]:
    """(command, what it is for) of the welcome's first steps, limited to the commands this version has."""
    return tuple((name, why) for name, why in START_STEPS if find(name) is not None)
