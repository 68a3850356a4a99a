"""`/stats` typed in `dmbot play`: the numbers as plain text and the chart saved under ./data/exports/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

PlayRun = Callable[..., CompletedProcess[str]]


def test_stats_after_some_rolls_print_and_save_the_chart(run_play: PlayRun, tmp_path: Path) -> None:
    result = run_play("/stats player\n/roll 1d20+2 times:10\n/roll 2d6\n/stats player\n/stats campaign\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    before, after = out.split("> /roll 1d20+2 times:10")
    assert "You have made no rolls on this server yet" in before
    shown = after.split("> /stats player")[1]
    assert "Dice statistics: Player" in shown and "11 rolls here" in shown and "10 d20s · average" in shown
    assert "1 roll of plain dice averaged" in shown and "against an expected 7.00" in shown
    assert "📎 saved data/exports/d20.png" in shown
    assert (tmp_path / "data" / "exports" / "d20.png").read_bytes().startswith(b"\x89PNG")
    assert "There is no campaign in this channel" in out.split("> /stats campaign")[1]
