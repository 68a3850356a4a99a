"""The safety matcher's word tables (`bot.engine.safety`): small words, irregular forms, synonym groups and
the topics a table names. Each group is one comma-separated string; a phrase matches as consecutive words."""

from __future__ import annotations

STOPWORDS = frozenset(
    (
        "a an the to of for and or in on at by with from into onto over under any some all no not "
        "this that these those be is are was were being been it its his her their our my your"
    ).split()
)

IRREGULAR = dict(
    pair.split(":")
    for pair in (
        "children:child childs:child kiddies:kid babies:baby people:person men:man women:woman mice:mouse "
        "lice:louse geese:goose teeth:tooth feet:foot wolves:wolf knives:knife slain:slay slew:slay "
        "slaying:slay beaten:beat hurt:hurt dying:die died:die dies:die lying:lie bled:bleed bleeding:bleed "
        "shot:shoot struck:strike stricken:strike striking:strike strikes:strike stung:sting flayed:flay "
        "flaying:flay flays:flay spat:spit drank:drink drunk:drink ate:eat eaten:eat rap:rapping raps:rapping "
        "rapped:rapping kidding:kidding kidded:kidding"
    ).split()
)  # "rap", "rapped": a knock at a door is not the other word's stem

HARM = "harm"  # the concept of an entry's deed: "harm to children" is harm done to children
BE = ("is", "are", "was", "were", "be", "been", "being", "get", "gets", "got", "gotten", "getting", "left")
OBJECTS = frozenset("him her them it me us you".split())  # the victim named again after the deed
CONTRACTIONS = frozenset("s t d m ll re ve".split())  # `children's`, `don't`, `I'd`, `we'll`

# Harmless senses of the harm words, as regular expressions over the normalised words: their words stand
# for nothing ("the children hit the ball", "the boy beats the drum", "I kill time", "strike a deal").
INNOCENT = (
    r"hit\w* (?:the |a )?(?:ball|road|target|mark|bullseye|spot|jackpot|books?|sack|note)s?",
    r"hit\w* it off",
    r"beat\w* (?:the |a |his |her |their )?(?:drums?|rugs?|carpets?|dust|eggs?|retreat|time|odds|clock|record|heat)",
    r"(?:hearts?|pulses?|drums?|wings?) (?:\w+ )?beat\w*",
    r"beat\w*(?: \w+){1,3} (?:at|in) (?:chess|cards?|dice|games?|races?|arm wrestling|contests?|draughts)",
    r"(?:strik\w*|struck) (?:a |the |up )?(?:match|matches|deals?|bargains?|chords?|poses?|flint|bells?|gongs?"
    r"|camp|balance|conversations?|friendships?)",
    r"(?:clocks?|bells?|hours?|lightning|ideas?|inspiration) (?:\w+ )?(?:strik\w*|struck)",
    r"(?:shoot\w*|shot) (?:a |the )?(?:glances?|looks?|breeze|grins?|smiles?|questions?)",
    r"kill\w* (?:the |some )?time",
    r"kick\w* (?:the |a )?(?:ball|stones?|pebbles?|habit|dust|bucket)",
    r"kick\w* off",
    r"heart attacks?",
)

# Synonym groups: the words and phrases a table means by one concept.
CONCEPTS: dict[str, str] = {
    "harm": (
        "harm, hurt, injure, wound, abuse, beat, hit, strike, stab, kill, murder, slay, maim, torture, attack, slap, "
        "punch, kick, threaten, strangle, choke, poison, shoot, slaughter, butcher, assault, mistreat, maltreat, "
        "batter, whip, flog, bully, cause pain, inflict pain, do violence, violence against, lay a hand on, "
        "raise a hand against, sacrifice, kidnap, abduct, snatch"
    ),
    "child": (
        "child, kid, infant, baby, babe, toddler, youngster, orphan, urchin, newborn, little one, boy, girl, "
        "schoolchild, youngling, schoolboy, schoolgirl"
    ),
    "animal": ("animal, dog, puppy, cat, kitten, horse, pony, hound, mule, beast of burden, bird, cow, sheep, goat"),
    "torture": (
        "torture, torturer, torment, tormentor, flay, waterboard, thumbscrew, thumbscrews, hot iron, branding iron, "
        "red hot poker, pull out nail, pull out fingernail, pulls out nail, rip out nail, tear out nail, "
        "rip out fingernail, tear out fingernail, break finger, excruciating, inflict pain, cause pain, on the rack, "
        "iron maiden, interrogate with pain"
    ),
    "sexual_violence": (
        "rape, rapist, sexual violence, sexual assault, sexual abuse, sexually assault, sexually abuse, molest, "
        "molester, ravish, defile, force himself on, force herself on, force themselves on, non consensual, "
        "nonconsensual"
    ),
    "self_harm": (
        "self harm, selfharm, suicide, kill himself, kill herself, kill myself, kill themselves, slit wrist, "
        "cut himself, cut herself, cut myself, hang himself, hang herself, take own life, end own life, "
        "take his own life, take her own life, take my own life"
    ),
    "spider": ("spider, arachnid, tarantula, black widow, cobweb, ettercap"),
    "insect": ("insect, bug, beetle, cockroach, roach, maggot, larva, larvae, swarm of insect"),
    "snake": ("snake, serpent, viper, cobra, python, asp, adder"),
    "gore": (
        "gore, gory, entrail, intestine, disembowel, eviscerate, viscera, dismember, severed head, severed limb, "
        "decapitate, behead, splatter, blood spray, spray of blood, pool of blood"
    ),
    "slavery": ("slave, slavery, enslave, thrall, chattel, slaver, slave trade, in chain to be sold"),
    "drown": ("drown, drowning, held under water, hold under water, hold head under water"),
    "cannibal": ("cannibal, cannibalism, eat human flesh, eat the flesh, eat person, eat people"),
    "body_horror": (
        "body horror, flesh melt, skin peel, skin slough, flesh twist, parasite burrow, burrow under skin, mutilate, "
        "mutilation"
    ),
    "drug": ("drug, narcotic, opium, heroin, addict, addiction, overdose"),
}

# Entries that name a topic (as a table writes them), and the concepts (all of them) the topic means.
TOPICS: tuple[tuple[str, str], ...] = (
    (
        (
            "harm to children, child harm, child abuse, hurting children, violence against children, "
            "children in danger, children being hurt, harming children, abuse of children, child death, "
            "death of children, dead children"
        ),
        "harm, child",
    ),
    (
        (
            "animal cruelty, harm to animals, animal abuse, animal harm, cruelty to animals, hurting animals, "
            "abuse of animals, animal death"
        ),
        "harm, animal",
    ),
    (
        ("sexual violence, sexual assault, rape, sexual abuse, non consent, nonconsent"),
        "sexual_violence",
    ),
    (
        ("torture, torturing, torture scenes"),
        "torture",
    ),
    (
        ("self harm, suicide, self injury"),
        "self_harm",
    ),
    (
        ("spiders, spider, arachnids, arachnophobia"),
        "spider",
    ),
    (
        ("insects, bugs, creepy crawlies"),
        "insect",
    ),
    (
        ("snakes, serpents"),
        "snake",
    ),
    (
        ("gore, graphic violence, blood and gore, excessive gore"),
        "gore",
    ),
    (
        ("slavery, slaves"),
        "slavery",
    ),
    (
        ("drowning"),
        "drown",
    ),
    (
        ("cannibalism, cannibals"),
        "cannibal",
    ),
    (
        ("body horror"),
        "body_horror",
    ),
    (
        ("drugs, drug use, addiction"),
        "drug",
    ),
)

# Letters of other scripts that look like Latin ones (Unicode's confusables, the ones a word is hidden with):
# Cyrillic, Greek and a few symbols; NFKD folds the full-width and styled forms itself.
CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁӏкмнтвℓαεικνορτυχΑΒΕΗΙΚΜΝΟΡΤΥΧАВЕКМНОРСТХІЈЅ",
    "aeopcyxijsdlkmhtblaeikvoptuxabehikmnoptyxabekmhopctxijs",
)
