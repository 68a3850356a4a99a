"""Several players at one keyboard in `dmbot play` (`/as NAME`), in a campaign played in rounds, offline: the
round waits for both, an acted player is told privately, one narration tells both acts and asks once, a pass,
the DM's close, the open round in `/campaign info`, a retcon of a round."""

from __future__ import annotations

from collections.abc import Callable
from subprocess import CompletedProcess

PlayRun = Callable[..., CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py
CREATE = (
    "/character create name:{name} race:dwarf class:fighter background:acolyte method:standard\n"
    "1 Athletics, Perception\n3\n"
)
SCRIPT = (
    "/campaign create name:Goblin Road tone:grim\n"
    "/dm settings pace:rounds\n"
    "/as Mara\n" + CREATE.format(name="Kira") + "/campaign join\n"
    "/as Brenna\n" + CREATE.format(name="Tordek") + "/campaign join\n"
    "/as Mara\n/narrate action:I climb onto the roof of the inn\n"
    "/narrate action:I jump down again\n"
    "/campaign info\n"
    "/as Brenna\n/narrate action:I search the stable for tracks\n"
    "/pass\n"
    "/as Player\n/dm end-round\n"
    "/as Mara\n/narrate action:I keep watch on the road\n"
    "/as Player\n/dm end-round\n/dm retcon\n/quit\n"
)


def test_two_players_at_one_keyboard_play_a_round(run_play: PlayRun) -> None:
    result = run_play(SCRIPT)
    out = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    assert "📝 Round 1 · Kira is ready" in out and "Waiting for: Tordek" in out, out[-3000:]
    assert "Kira has acted" in out.split("I jump down again", 1)[1].split("> ", 1)[0]  # told privately
    assert "Ready: Kira · waiting for: Tordek" in out
    first = out.split("🎬 Round 1 (everyone is ready)", 1)[1].split("What the dice said", 1)[0]
    assert first.index("Kira") < first.index("Tordek") and "What do Kira and Tordek do next?" in first, first
    assert "Tordek passes" in out  # round 2: Tordek passes first, then the DM closes a round with nobody acting
    assert "🌙 Round 2 ends with nobody acting" in out, out[-3000:]
    assert "🎬 Round 3 (closed by the DM)" in out and "Tordek holds back this round." in out
    assert "Round 3 (turn 2) is retconned" in out
    assert "Traceback" not in out + result.stderr and "error id" not in out
