"""`dmbot play`: the terminal on the embedded defaults, driven through a pipe as a user would."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import re
import select
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from bot.sandbox.llm import LocalLLM

PlayRun = Callable[..., CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py
STRIKE = "\u0336"  # a piped terminal shows struck text (a dropped die) with combining strokes
CREATE = (
    "/character create name:{name} race:dwarf class:fighter background:acolyte method:standard\n"
    "1 Athletics, Perception\n3\n"
)
PYTHON_ERRORS = ("Traceback", "invalid literal", "Error:", "NoneType", "object has no attribute")


def assert_no_python_errors(out: str) -> None:
    assert not any(text in out for text in PYTHON_ERRORS), out


def test_piped_rolls_print_a_total_then_a_clear_error(run_play: PlayRun, tmp_path: Path) -> None:
    result = run_play("/roll 4d6kh3\n/roll 1d20+\n")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split("> /roll 1d20+")
    total = int(re.search(r"4d6kh3 \(.*\) = (\d+)", first).group(1))  # type: ignore[union-attr]
    assert 3 <= total <= 18
    assert "~~" not in first and "**" not in first and "`" not in first  # Markdown as terminal text
    assert re.search(rf"\(.*\d{STRIKE}.*\)", first), first  # the dropped die, struck through
    assert "(only you can see this)" in second
    assert "a number or dice must follow +" in second
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
    assert "✅ Tordek is ready!" in out and "AC 18" in out  # chain mail and shield from the class kit
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
    assert "Saved your greatsword: 2d6+3[slashing]" in out  # piped: Markdown shows as plain text
    assert re.search(r"🎲 greatsword: \d+\n.*2d6 \([^)]*\) \+ 3 \[slashing\]", out)
    scores = out.split("> /roll 4D6kh3 times:6")[1].split("> /roll 1d20+5")[0]
    assert "🎲 4d6kh3 ×6" in scores and len(re.findall(r"\n  ┃ \d\. 4d6kh3 \(", scores)) == 6
    stealth = out.split("> /roll 1d20+5 stealth times:3 dc:13")[1].split("> /alias list")[0]
    totals = [int(t) for t in re.findall(r"^  ┃ \d\. .* = (\d+)", stealth, re.MULTILINE)]
    passes = sum(t >= 13 for t in totals)
    assert len(totals) == 3 and f"🎲 stealth ×3 vs DC 13: {passes} pass, {3 - passes} fail" in stealth
    assert "Yours (1/50)" in out and "greatsword — 2d6+3[slashing]" in out
    assert "Removed your greatsword (it rolled 2d6+3[slashing])" in out
    assert "greatsword is not a dice expression, nor one of your saved rolls" in out.split("/alias remove")[1]


def test_admin_commands_work_for_the_owner_and_a_refusal_carries_on(run_play: PlayRun) -> None:
    result = run_play("/admin usage\n/as Mara\n/admin usage\n/roll 1d4\n/as Player\n/admin stats\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert_no_python_errors(out + result.stderr)
    assert "you are Player, the owner of The Yawning Portal" in out
    owner, mara = out.split("/admin usage")[1], out.split("Mara> /admin usage")[1]
    back = out.split("Player> /admin stats")[1]
    assert "Narrator usage of The Yawning Portal" in owner
    assert "/admin usage is for members with Manage Server, and Mara has not got it" in mara and "/as Player" in mara
    assert "1d4 (" in mara  # the game went on
    assert "⚠" not in back


def test_a_form_tells_its_limit_and_asks_again_and_failures_keep_the_menu(run_play: PlayRun) -> None:
    script = (
        "/character create name:Kira race:elf class:wizard background:acolyte method:standard\n"
        "99\n"  # no such choice
        "2\n"  # Scores…
        "STR 8 DEX 14 CON 13 INT 15 WIS 12 CHA 10 and more\n"  # 49 characters: asked again
        "9\n"  # fits, but is not six scores: the bot refuses
        "1 Arcana, Hist\n"  # a word that is no option: asked again, nothing picked
        "1 Arcana, History\n"  # the draft's menu still works
        "3\n"
        "8\n"  # the menu is gone with the draft
    )
    result = run_play(script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert_no_python_errors(out + result.stderr)
    assert "There is no choice 99; pick 1 to 7." in out
    assert "(required, up to 40 characters" in out  # told before typing
    assert "That is 49 characters; this field takes at most 40. Type it again." in out
    assert "Type six numbers" in out and "(choices 1 to 7 above are still open)" in out
    assert "Choose 2 of: Arcana, History, Investigation, Medicine" in out.split("Hist\n")[1]
    assert "Picked: Arcana, History" in out  # said even where the message would not change
    assert "✅ Kira is ready!" in out
    assert "There is nothing to pick right now" in out.split("✅ Kira is ready!")[1]


def test_an_open_menu_is_mentioned_only_to_who_picked_from_it(run_play: PlayRun) -> None:
    """A narration's "What the dice said" stays open; the commands after it say nothing of it (the stray
    "(choices 1 to 1 above are still open)" after a `/roll` or a DM's note)."""
    script = (
        "/campaign create name:Quiet Road\n"
        + CREATE.format(name="Kira")
        + (
            "/campaign join\n/narrate action:I wait by the road\n/roll 1d4\n/campaign safety lines:spiders\n"
            "/narrate action:I look for spiders\n/roll 1d6\n"
        )
    )
    result = run_play(script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert_no_python_errors(out + result.stderr)
    assert "[1] What the dice said" in out and "still open" not in out, out


def test_members_by_name_several_players_and_their_own_ids(run_play: PlayRun, tmp_path: Path) -> None:
    script = (
        "/campaign create name:Shared Table\n"
        + "/as Mara\n"
        + CREATE.format(name="Kira")
        + "/campaign join\n"
        + "/as Brenna\n"
        + CREATE.format(name="Tordek")
        + "/campaign join\n"
        + "/character list\n"
        + "/as Player\n"
        "/character show player:@Mara\n"
        "/character show player:brenna\n"
        "/dm kick player:@nobody\n"
        "/dm kick player:@Brenna\n"
        "/dm transfer user:@Mara\n"
    )
    result = run_play(script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert_no_python_errors(out + result.stderr)
    assert "Now typing as Mara (new here, a player)" in out
    listed = out.split("Brenna> /character list")[1].split("Player> ")[0]
    assert "Tordek" in listed and "Kira" not in listed  # Brenna is not Mara: her own id, her own sheets
    assert "Kira" in out.split("/character show player:@Mara")[1].split("> ")[0]
    assert "Tordek" in out.split("/character show player:brenna")[1].split("> ")[0]
    assert "there is no member called '@nobody' here. Try one of: " in out and "@Mara" in out
    assert "Remove Tordek from the campaign?" in out.split("/dm kick player:@Brenna")[1].split("> ")[0]
    transferred = out.split("/dm transfer user:@Mara")[1]
    assert "Mara" in transferred and "<@" not in out  # mentions print as @name
    again = run_play("/character list\n", "--user", "Mara")  # the same folder, another run: still Mara's sheets
    assert "Kira" in again.stdout and "Tordek" not in again.stdout, again.stdout
    assert "you are Mara, the owner" in again.stdout


def test_help_prints_one_item_a_line(run_play: PlayRun) -> None:
    out = run_play("/help topic:dice\n").stdout
    lines = [line.strip(" ┃") for line in out.splitlines()]
    assert any(line.startswith("/roll: Roll any dice") for line in lines), out
    assert any(line.startswith("Use: /roll expression:<dice>") for line in lines), out
    assert any(line.startswith("Example: /roll expression:1d20+5") for line in lines), out


NARRATION = (
    "The door groans on rusted hinges and a breath of cold air spills out of the dark. Beyond it a stair "
    "winds down into the rock, each step worn hollow by feet long gone. Far below, water drips in a slow, "
    "patient rhythm, and somewhere beneath that sound something large shifts its weight and goes still."
)


@pytest.fixture
def streaming_llm() -> Iterator[LocalLLM]:
    """The local OpenAI-compatible server in a thread of its own, streaming a narration slowly enough that
    the narrator edits its message several times."""
    loop = asyncio.new_event_loop()
    llm = LocalLLM(default_text=NARRATION, chunk_delay=0.06)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(llm.start(), loop).result(timeout=10)
    try:
        yield llm
    finally:
        asyncio.run_coroutine_threadsafe(llm.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def test_a_streamed_narration_prints_as_it_is_edited_and_whole_at_the_end(
    run_play: PlayRun, streaming_llm: LocalLLM
) -> None:
    script = CREATE.format(name="Tordek") + "/campaign create name:Deep Stair\n/campaign join\n"
    script += "/narrate action:I open the door\n"
    env = {"OPENAI_API_KEY": "test", "OPENAI_BASE_URL": streaming_llm.base_url, "OPENAI_MODEL": "local-model"}
    result = run_play(script, env=env)
    assert result.returncode == 0, result.stderr
    turn = result.stdout.split("> /narrate action:I open the door")[1]
    assert any(r.stream for r in streaming_llm.requests)  # the narrator really streamed from the model
    final = turn.split("dmbot (final text):")[1]
    assert " ".join(NARRATION.split()) in " ".join(final.replace("┃", "").split())  # the whole text at the end
    streamed = turn.split("dmbot (final text):")[0]
    assert "The door" in streamed and "goes still." in streamed  # the first chunk, and every edit after it
    assert "What the dice said" in turn


@pytest.fixture
def slow_llm() -> Iterator[LocalLLM]:
    """A model that thinks a while before each answer (a CPU reading the prompt), in a thread of its own."""
    loop = asyncio.new_event_loop()
    llm = LocalLLM(default_text=NARRATION, first_token_delay=2.5)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(llm.start(), loop).result(timeout=10)
    try:
        yield llm
    finally:
        asyncio.run_coroutine_threadsafe(llm.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def test_piped_narrations_wait_for_a_slow_model_one_after_the_other(run_play: PlayRun, slow_llm: LocalLLM) -> None:
    script = CREATE.format(name="Tordek") + "/campaign create name:Deep Stair\n/campaign join\n"
    script += "/narrate action:I open the door\n/narrate action:I walk down the stair\n"
    env = {"OPENAI_API_KEY": "test", "OPENAI_BASE_URL": slow_llm.base_url, "OPENAI_MODEL": "local-model"}
    result = run_play(script, env=env)
    assert result.returncode == 0, result.stderr
    assert "Another turn is being resolved" not in result.stdout  # the second line waited for the first story
    first, second = result.stdout.split("> /narrate action:I open the door")[1].split("> /narrate action:I walk")
    assert "The DM reads the scene" in first and "What the dice said" in first
    assert "What the dice said" in second and "offline narrator" not in result.stdout
    assert len(slow_llm.requests) == 4  # two phases a turn: the decision, then the story


def at_a_terminal(cwd: Path, keys: list[str], wait_for: list[str]) -> str:
    """Run `dmbot play` on a pseudo-terminal, typing each of `keys` once the output shows the matching `wait_for`."""
    dmbot = str(Path(sys.executable).parent / "dmbot")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "OPENAI_API_KEY"}}
    env.update(TERM="xterm", RATE_USER_CAPACITY="1000")
    pid, fd = pty.fork()
    if pid == 0:  # the child: the game, on the pseudo-terminal
        os.chdir(cwd)
        os.execve(dmbot, [dmbot, "play"], env)
    seen = b""
    try:
        for key, marker in zip(keys, wait_for, strict=True):
            deadline = time.monotonic() + 60
            while marker.encode() not in seen:
                assert time.monotonic() < deadline, seen.decode(errors="replace")[-3000:]
                if select.select([fd], [], [], 0.5)[0]:
                    seen += os.read(fd, 65536)
            seen = seen.replace(marker.encode(), b"<seen>", 1)  # each marker counts once
            os.write(fd, key.encode())
        os.waitpid(pid, 0)
    finally:
        with contextlib.suppress(OSError):
            while select.select([fd], [], [], 0.5)[0]:
                seen += os.read(fd, 65536)
            os.close(fd)
    return seen.decode(errors="replace")


def test_at_a_terminal_tab_completes_values_and_markdown_is_styled(tmp_path: Path) -> None:
    out = at_a_terminal(
        tmp_path,
        ["/roll 1d20 advantage:tr\t\n", "/help topic:di\t\n", "/quit\n"],
        ["Player> ", "Player> ", "Player> "],
    )
    assert "advantage:true" in out and "2d20kh1" in out  # a boolean's value, completed by Tab
    assert "Help: dice" in out  # a choice, completed by Tab
    assert "\x1b[1m" in out and "\x1b[9m" in out  # bold, and the dropped die struck through, in ANSI


def test_a_subrace_typed_as_the_race_makes_that_race(run_play: PlayRun) -> None:
    """A new player types the race as the books print it: "High Elf" is an elf of that subrace (it answered
    "“high elf” is not an SRD race. Try one of: Half-Elf, Half-Orc, Halfling, Human", without Elf)."""
    script = (
        "/character create name:Aelar race:high elf class:wizard background:acolyte method:standard\n"
        "1 Arcana, History\n3\n/character create name:Bo race:gnoll class:fighter background:acolyte\n"
    )
    result = run_play(script)
    out = result.stdout
    assert_no_python_errors(out + result.stderr)
    assert "level 1 High Elf Wizard" in out, out
    refused = out.split("race:gnoll", 1)[1]
    assert "is not an SRD race" in refused and "Elf" in refused and "Dwarf" in refused, refused  # every race
