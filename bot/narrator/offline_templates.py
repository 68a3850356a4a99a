"""The offline narrator's sentences (`bot.narrator.offline`): per skill and outcome, leads, beats and closers.

`{name}` is the acting character, `{scene}` the scene's noun phrase (`{scene_cap}` capitalised), and `{they}`,
`{them}`, `{their}`, `{have}` the character's pronouns (`bot.narrator.offline.pronoun_set`). After the scene,
`[keeps|keep]` is its verb or pronoun for one thing and for several ("the crypt keeps its counsel", "the
surroundings keep their counsel": `bot.narrator.offline.agree`).
"""

from __future__ import annotations

__all__ = [
    "ABILITY_NAMES",
    "ABILITY_OUTCOMES",
    "ANY_OUTCOME",
    "CLOSERS",
    "COMBAT",
    "FOLLOW_UPS",
    "IDLE_LEADS",
    "LEADS",
    "NEAR_MISS",
    "NPC_BEATS",
    "OUTCOMES",
    "PLAIN_LEADS",
    "SCENE_BEATS",
    "SETBACKS",
    "SOCIAL_SKILLS",
]


# Per skill: (successes, failures). {name} is the character, {scene} the scene's noun phrase.
OUTCOMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "stealth": (
        (
            "{name} melts into the shadows of {scene}, and not a single head turns.",
            "Every footfall lands soft as ash; {name} passes like a rumour.",
        ),
        (
            "A loose stone skitters under {name}'s boot, loud as a bell in {scene}.",
            '{name} is halfway there when a voice calls out: "Who goes there?"',
        ),
    ),
    "sleight-of-hand": (
        (
            "A faint click, a careful twist, and it gives way under {name}'s nimble fingers.",
            "{name}'s hands move quicker than the eye; nobody in {scene} sees a thing.",
        ),
        (
            "The pick slips and scrapes; whatever {name} was working on refuses to yield.",
            "{name}'s fingers fumble at the crucial moment, and the attempt is plain to see.",
        ),
    ),
    "athletics": (
        (
            "Muscles straining, {name} powers through it and comes out the other side.",
            "With a grunt of effort {name} makes it look almost easy.",
        ),
        (
            "{name} heaves with everything {they} {have}, but it is not enough this time.",
            "{name} slips and lands hard, breathless, no closer than before.",
        ),
    ),
    "acrobatics": (
        (
            "{name} moves with a dancer's grace, light and sure across {scene}.",
            "A twist, a roll, and {name} is through, barely disturbing the dust.",
        ),
        (
            "{name} wobbles, overcorrects and goes down in an undignified heap.",
            "{name}'s footing betrays {them} at the worst possible moment.",
        ),
    ),
    "investigation": (
        (
            "{name}'s careful search pays off: a detail everyone else missed falls into place.",
            "Piece by piece, {name} works it out, and {scene} [gives|give] up one of [its|their] secrets.",
        ),
        (
            "{name} searches thoroughly, yet whatever is hidden in {scene} stays hidden.",
            "The clues refuse to line up; {name} is left with more questions than answers.",
        ),
    ),
    "perception": (
        (
            "{name}'s sharp senses catch it: a flicker of movement at the edge of {scene}.",
            "Something small but telling does not escape {name}'s notice.",
        ),
        (
            "{name} strains eyes and ears, but {scene} [keeps|keep] [its|their] counsel.",
            "Nothing seems amiss to {name}, though the feeling of being watched lingers.",
        ),
    ),
    "insight": (
        (
            "{name} reads the tells plainly: a tightening jaw, a glance that lingers too long.",
            "The truth sits just under the words, and {name} sees it clearly.",
        ),
        (
            "{name} studies the face before {them} and finds it unreadable.",
            "Whatever lies behind those eyes, {name} cannot make it out.",
        ),
    ),
    "persuasion": (
        (
            "{name}'s words land well; the resistance softens into a reluctant nod.",
            "With patience and warmth {name} wins them over, at least for now.",
        ),
        (
            "{name} makes the case, but it falls on deaf ears.",
            "The reply is polite and final: {name} has not convinced anyone.",
        ),
    ),
    "deception": (
        (
            "{name} spins the tale without a flicker, and it is swallowed whole.",
            "Not a trace of doubt crosses the listener's face; {name}'s story holds.",
        ),
        (
            "{name}'s story snags on a detail, and suspicion creeps into the silence.",
            "A narrowed gaze tells {name} the lie has not landed.",
        ),
    ),
    "intimidation": (
        (
            "{name}'s threat hangs in the air, and the other side gives way.",
            "Colour drains from a face; {name} has made the point.",
        ),
        ("{name}'s menace is met with a scornful laugh.", "The threat rings hollow, and everyone in {scene} can tell."),
    ),
    "performance": (
        (
            "{name} holds the room; for a moment all of {scene} [listens|listen].",
            "Applause, or something close to it, rewards {name}'s performance.",
        ),
        (
            "{name}'s performance falters, and the audience's attention drifts away.",
            "A missed note, an awkward pause, and {name} loses the crowd.",
        ),
    ),
    "animal-handling": (
        (
            "Under {name}'s steady hand the animal calms, ears forward and trusting.",
            "{name} murmurs softly, and the beast settles.",
        ),
        (
            "The animal shies away from {name}, eyes rolling white.",
            "A snap of teeth warns {name} off; the creature will not be handled.",
        ),
    ),
    "survival": (
        (
            "{name} reads the signs of {scene} like a map: broken twigs, disturbed earth, a clear way on.",
            "The trail is faint, but {name} finds it and follows it true.",
        ),
        (
            "The signs run together; {name} loses the thread somewhere in {scene}.",
            "{name} circles back twice and finds nothing to follow.",
        ),
    ),
    "medicine": (
        (
            "{name}'s practised hands work quickly, and the worst of it is soon under control.",
            "Clean bandages and a steady touch: {name} does what needs doing.",
        ),
        (
            "{name} does what {they} can, but the right remedy will not come to mind.",
            "{name}'s efforts at care go nowhere this time.",
        ),
    ),
    "arcana": (
        (
            "The pattern clicks into place in {name}'s mind: this is old magic, and {name} knows its shape.",
            "{name} recognises the weave of the spell at once.",
        ),
        (
            "The magic is a tangle of meaning {name} cannot unpick.",
            "Whatever arcane work this is, it defeats {name}'s learning.",
        ),
    ),
    "history": (
        (
            "A half-remembered tale surfaces, and {name} recalls exactly where this fits.",
            "Names, dates and old wars line up neatly in {name}'s memory.",
        ),
        (
            "{name} searches {their} memory, but the past stays silent.",
            "Something about it is familiar, yet {name} cannot place it.",
        ),
    ),
    "religion": (
        ("{name} knows these rites, and the god they belong to.", "The holy symbols speak plainly to {name}."),
        ("The symbols mean nothing {name} can name.", "If there is a god behind this, {name} does not know them."),
    ),
    "nature": (
        (
            "{name} knows this at a glance, from leaf and hoof to weather and season.",
            "The natural world keeps few secrets from {name}, and this is not one of them.",
        ),
        ("{name} has never seen its like, and cannot say what it is.", "The wild keeps this secret from {name}."),
    ),
}
ABILITY_NAMES = {
    "str": "strength",
    "dex": "agility",
    "con": "endurance",
    "int": "wits",
    "wis": "instinct",
    "cha": "force of personality",
}
ABILITY_OUTCOMES = (
    ("{name}'s {ability} carries the moment.", "Sheer {ability} sees {name} through."),
    ("{name}'s {ability} is not enough this time.", "{name} gives it everything, but {ability} fails {them}."),
)
# When a skill's own sentences were all said lately (the writer spares them for 20 turns).
ANY_OUTCOME = (
    (
        "It works: {name} gets exactly what the moment asked for.",
        "{name} pulls it off, cleanly and without fuss.",
        "Skill and nerve hold, and {name} succeeds.",
        "For once, {scene} [yields|yield] to {name}.",
        "The attempt goes {name}'s way.",
        "{name} makes it look like it was never in doubt.",
    ),
    (
        "It does not go {name}'s way.",
        "{name} tries, and it is not enough.",
        "The attempt falls short, and {name} knows it at once.",
        "{scene_cap} [does|do] not yield to {name} this time.",
        "Nothing comes of it; {name} will have to think again.",
        "{name} comes up short.",
    ),
)
LEADS = (
    "{name} moves to {phrase}.",
    "{name} sets out to {phrase}.",
    "Without hesitation, {name} tries to {phrase}.",
    "{name} turns to {phrase}.",
    "Carefully, {name} begins to {phrase}.",
    "Breathing steady, {name} starts to {phrase}.",
    "It is time to {phrase}, and {name} does not wait.",
    "{name} gathers a moment's resolve to {phrase}.",
)
PLAIN_LEADS = ("{name} commits to the attempt.", "In {scene}, {name} makes the attempt.")
IDLE_LEADS = ("{name} pauses to take stock of {scene}.", "{name} waits, watching {scene}.")
FOLLOW_UPS = (
    ("The way forward looks a little clearer now.", "It is a small victory, but it counts."),
    ("It will have to be done another way.", "The moment passes, and {scene} [feels|feel] less welcoming than before."),
)
NEAR_MISS = (("It is a near thing.", "Only just, but it holds."), ("So close it stings.", "A hair's breadth short."))
CLOSERS = ("What does {name} do next?", "The next move is {name}'s.", "{scene_cap} [waits|wait] for what comes next.")
SCENE_BEATS = (
    "Shadows shift across {scene} as {name} goes about it.",
    "Nothing in {scene} rises to stop {them}.",
    "{scene_cap} [seems|seem] to hold [its|their] breath.",
    "A faint draught stirs the air in {scene}.",
    "For a moment, all is still.",
)
NPC_BEATS = ("{npc} watches {name} closely.", "{npc} raises an eyebrow but says nothing.")
SOCIAL_SKILLS = frozenset({"persuasion", "deception", "intimidation", "insight", "performance"})
SETBACKS = (
    "The attempt comes to nothing, and {name} steps back to reconsider.",
    "For a moment nothing happens; {name} will need another approach.",
)
SPELLS = (
    "{name} speaks the words of {spell}, and the magic answers.",
    "The air shivers as {name} shapes {spell}.",
    "{name} calls up {spell}; for a heartbeat the air hums with it.",
)
COMBAT = (
    "Steel rings out in {scene} as {name} closes on the {enemy}.",
    "{name} strikes first, and the {enemy} answers with a snarl. Battle is joined.",
)
