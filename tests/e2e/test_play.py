"""`dmbot play`: the terminal on the embedded defaults, driven through a pipe as a user would."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

PlayRun = Callable[[str], CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py


def test_piped_rolls_print_a_total_then_a_clear_error(run_play: PlayRun, tmp_path: Path) -> None:
    result = run_play("/roll 4d6kh3\n/roll 1d20+\n")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split("> /roll 1d20+")
    total = int(re.search(r"4d6kh3 \(.*\) = `(\d+)`", first).group(1))  # type: ignore[union-attr]
    assert 3 <= total <= 18
    assert "~~" in first
    assert "(only you can see this)" in second
    assert "a number or dice must follow `+`" in second
    assert (tmp_path / "data" / "dmbot.sqlite3").exists()  # the embedded database, built by the migrations


def test_named_options_typos_and_unknown_commands(run_play: PlayRun, tmp_path: Path) -> None:
    script = (
        "/roll expression:1d20+5 advantage:true label:Stealth check\n"
        "/roll 1d20 advantage:maybe\n"
        "/nope\n"
        "hello\n"
        "/quit\n"
        "/roll 1d4\n"  # after /quit: never run
    )
    result = run_play(script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "🎲 Stealth check: " in out and "2d20kh1" in out and "with advantage" in out
    assert "advantage: say true or false" in out
    assert "There is no /nope. Commands: " in out and "/roll" in out
    assert "Type a command starting with /" in out
    assert "1d4" not in out.split("/quit")[1]


def test_a_character_made_with_numbered_choices_then_used(run_play: PlayRun, tmp_path: Path) -> None:
    script = (
        "/character create name:Tordek race:dwarf class:fighter background:acolyte method:standard\n"
        "1 Athletics, Perception\n"  # the skills select, by its number and the option labels
        "3\n"  # Confirm
        "/character show\n"
        "/check athletics\n"
        "/save con advantage:true\n"
        "/attack weapon:longsword\n"
        "/character use name:Nobody\n"
    )
    result = run_play(script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[1] Pick 2 Fighter skills" in out and "[3] Confirm" in out
    assert "✅ Tordek is ready!" in out and "AC **18**" in out  # chain mail and shield from the class kit
    assert "Tordek — Athletics check:" in out and "1d20 (" in out
    assert "Constitution" in out and "2d20kh1" in out  # "con" picked Constitution; advantage rolled two dice
    assert "Tordek — Longsword" in out and "To hit:" in out
    assert out.count("(only you can see this)") >= 2  # the draft is private; so is the error below
    assert "Nobody" in out.split("/character use name:Nobody")[1]


def test_batch_rolls_and_a_saved_roll_typed_in_the_terminal(run_play: PlayRun) -> None:
    script = (
        "/alias add name:greatsword expression:2d6+3[slashing]\n"
        "/roll greatsword\n"  # the name is what autocomplete offers, so it stays as typed
        "/roll 4D6kh3 times:6\n"
        "/roll 1d20+5 stealth times:3 dc:13\n"
        "/alias list\n"
        "/alias remove name:greatsword\n"
        "/roll greatsword\n"
    )
    result = run_play(script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Saved your `greatsword`: `2d6+3[slashing]`" in out
    assert re.search(r"🎲 greatsword: \d+\*\*\n.*2d6 \([^)]*\) \+ 3 \[slashing\]", out)
    scores = out.split("> /roll 4D6kh3 times:6")[1].split("> /roll 1d20+5")[0]
    assert "🎲 4d6kh3 ×6" in scores and len(re.findall(r"\n  ┃ \d\. 4d6kh3 \(", scores)) == 6
    stealth = out.split("> /roll 1d20+5 stealth times:3 dc:13")[1].split("> /alias list")[0]
    totals = [int(t) for t in re.findall(r"= `(\d+)`", stealth)]
    passes = sum(t >= 13 for t in totals)
    assert len(totals) == 3 and f"🎲 stealth ×3 vs DC 13: {passes} pass, {3 - passes} fail" in stealth
    assert "Yours (1/50): `greatsword` — `2d6+3[slashing]`" in out
    assert "Removed your `greatsword` (it rolled `2d6+3[slashing]`)" in out
    assert "`greatsword` is not a dice expression, nor one of your saved rolls" in out.split("/alias remove")[1]
