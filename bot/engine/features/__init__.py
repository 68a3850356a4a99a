"""Class features with uses (Rage, Ki, Action Surge, ...) and custom counters, and the numbers features
change: `data` (the SRD's features with uses, by class and level), `uses` (spending them, rests), `rules`
(what Rage, Sneak Attack, Extra Attack, Martial Arts, Divine Smite... add, as pure functions)."""
