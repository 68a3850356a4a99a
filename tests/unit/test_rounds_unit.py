"""The pure parts of a round (bot.engine.rounds): its stored state, the spotlight, the text the story gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.engine.rounds import RoundState, combined_action, spotlight
from bot.engine.sheet import Actor
from bot.engine.turns import RoundEntry, TurnTicket, held_back
from bot.narrator.offline import round_closer, without_closer

MIRA = RoundEntry(1, "alice", 10, "Mira", "I climb the wall")
BRAM = RoundEntry(2, "bob", 20, "Bram", "I keep watch")
TESS = RoundEntry(3, "carol", 30, "Tess", "passes this round", passed=True)


def test_the_state_survives_its_json_and_closes_after_its_minutes() -> None:
    opened = datetime(2026, 12, 4, 19, 0, tzinfo=UTC)
    state = RoundState(3, (MIRA, TESS), opened, last_first=2)
    again = RoundState.of(state.to_json())
    assert again == state and again.entry_of(3) == TESS and again.entry_of(2) is None
    assert again.closes_at(10) == opened + timedelta(minutes=10)
    assert RoundState.of(None) == RoundState() and RoundState().closes_at(10) is None


def test_whoever_led_the_last_round_does_not_lead_this_one() -> None:
    assert spotlight([MIRA, BRAM], last_first=None) == [MIRA, BRAM]  # arrival order
    assert spotlight([MIRA, BRAM], last_first=1) == [BRAM, MIRA]
    assert spotlight([MIRA], last_first=1) == [MIRA]  # alone, she goes anyway
    assert spotlight([TESS, MIRA, BRAM], last_first=2) == [MIRA, BRAM]  # a pass is not an act


def test_the_story_gets_every_act_numbered_and_who_held_back() -> None:
    text = combined_action(2, [BRAM, MIRA], ["Tess"])
    assert text.splitlines() == [
        "Round 2, in this order:",
        "1. Bram: I keep watch",
        "2. Mira: I climb the wall",
        "(Tess holds back this round.)",
    ]
    assert held_back(["Tess", "Bram", "Mira"]) == "Tess, Bram and Mira hold back this round."


def test_a_round_ticket_acts_for_each_player_and_splits_into_single_turns() -> None:
    ticket = TurnTicket(7, "Goblin Hill", Actor(1, 5, 6), "alice", "…", False, None, None, round=(MIRA, BRAM))
    assert ticket.acts() == (("I climb the wall", "Mira"), ("I keep watch", "Bram"))
    assert ticket.actors() == frozenset({1, 2})
    alone = ticket.one_of(BRAM)
    assert (alone.actor.user_id, alone.actor.guild_id, alone.character_name, alone.action) == (
        2,
        5,
        "Bram",
        "I keep watch",
    )
    assert alone.round == () and alone.acts() == (("I keep watch", "Bram"),) and alone.actors() == frozenset()


def test_an_acts_own_what_next_goes_and_the_round_asks_once() -> None:
    assert without_closer("Mira climbs. What does Mira do next?") == "Mira climbs."
    assert without_closer("Mira climbs. The next move is Mira's.") == "Mira climbs."
    assert without_closer("Mira climbs. The old chapel waits for what comes next.") == "Mira climbs."
    assert without_closer("Mira climbs.") == "Mira climbs."
    assert round_closer(["Mira"]) == "What does Mira do next?"
    assert round_closer(["Bram", "Mira", "Tess"]) == "What do Bram, Mira and Tess do next?"
    assert round_closer([]) == ""
