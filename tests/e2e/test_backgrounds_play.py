"""Backgrounds through a piped `dmbot play` (issue 12): SRD 5.1 has one background (Acolyte), so the guide's
example makes a custom one (name, two skills, a tool or language, a feature), as the rules allow; an unknown
background is refused with the way to describe one."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

from bot import help_catalog

PlayRun = Callable[[str], CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py

GUIDE = (Path(__file__).parents[2] / "docs" / "PLAYER_GUIDE.md").read_text(encoding="utf-8")
EXAMPLE = next(span for span in re.findall(r"`(/character create [^`]+)`", GUIDE) if "custom_background:" in span)
HELP_EXAMPLE = next(e.example for e in help_catalog.CATALOG if e.command == "character create")


def test_the_guides_create_example_makes_a_custom_background(run_play: PlayRun) -> None:
    assert "background:Custom custom_background:" in EXAMPLE
    script = (
        "/character create name:Brenna race:Dwarf class:Fighter background:Soldier\n"
        f"{EXAMPLE}\n"
        "1 History, Perception\n"
        "3\n"
        "/character show\n"
        "/character create name:Mara race:Elf class:Wizard background:Custom "
        "custom_background:Sage; Arcana, Arcana; Elvish; Researcher\n"
        "/character create name:Mara race:Elf class:Wizard background:Custom\n"
        "/as Mara\n"
        f"{HELP_EXAMPLE}\n"
        "/quit\n"
    )
    result = run_play(script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    refused = out.split("background:Soldier\n", 1)[1].split("Player> ", 1)[0]
    assert "“Soldier” is not an SRD background: SRD 5.1 has Acolyte." in refused and "background:Custom" in refused
    sheet = out.split("> /character show\n", 1)[1].split("Player> ", 1)[0]
    assert "— Soldier · 0 XP" in sheet
    assert "● Athletics" in sheet and "● Intimidation" in sheet and "● History" in sheet
    assert "two different skills" in out.split("Arcana, Arcana", 1)[1].split("Player> ", 1)[0]
    assert "Describe a custom background in custom_background:" in out
    assert "New character: Brenna" in out.split(f"Mara> {HELP_EXAMPLE}\n", 1)[1]  # run as written, by Mara
    assert "background:Acolyte" in HELP_EXAMPLE
