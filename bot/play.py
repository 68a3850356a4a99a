"""`dmbot play`: the real bot on the embedded defaults, connected in-process to the local Discord,
with a terminal on top. Works at a prompt (with completion) and piped."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.sandbox.commandline import CommandLineError, ParsedCommand, complete, parse
from bot.sandbox.harness import SandboxSession, running_bot
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.messages import Message
from bot.sandbox.server import LocalDiscord
from bot.sandbox.world import default_world
from bot.settings import Settings
from persistence.migrate import upgrade_async

SELECTS = (3, 5, 6, 7, 8)
BUTTON = 2
QUIET_SECONDS = 0.25  # a reply is complete once nothing has changed for this long
WELCOME = (
    "dmbot: you are {user} in {guild}, #{channel}. Type a slash command (/roll 1d20+5), "
    "a number to pick a choice, or /quit. Tab completes commands."
)


@dataclass
class Choice:
    message: Message
    component: dict[str, Any]


class Terminal:
    """Reads typed commands, dispatches them as interactions, prints the bot's answers."""

    def __init__(self, session: SandboxSession, user: str, out: TextIO) -> None:
        self.session = session
        self.user = user
        self.user_id = session.user_id(user)
        self.channel_id = session.channel_id("tavern")
        self.out = out
        self.choices: list[Choice] = []
        self.seen: set[int] = set()

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def handle_line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        if line.isdigit() or (line.split()[0].isdigit() and self.choices):
            await self.pick(line)
        elif line.startswith("/"):
            await self.command(line)
        else:
            self.say("  Type a command starting with / (for example /roll 1d20), or the number of a choice.")

    async def command(self, line: str) -> None:
        try:
            parsed = parse(line, self.session.discord.commands())
            await self.resolve_autocomplete(parsed)
            handle = await self.session.discord.invoke(
                parsed.path, parsed.options, user_id=self.user_id, channel_id=self.channel_id
            )
        except (CommandLineError, LookupError, ValueError, TypeError) as error:
            self.say(f"  ⚠ {error}")
            return
        await self.show(handle)

    async def resolve_autocomplete(self, parsed: ParsedCommand) -> None:
        """Typed names become the values autocomplete would pick ("High Elf" → "high-elf")."""
        for schema in parsed.schema:
            name = schema["name"]
            if not schema.get("autocomplete") or name not in parsed.options:
                continue
            typed = str(parsed.options[name])
            choices = await self.session.discord.autocomplete(
                parsed.path, parsed.options, name, user_id=self.user_id, channel_id=self.channel_id
            )
            exact = [c for c in choices if typed.lower() in (str(c["name"]).lower(), str(c["value"]).lower())]
            picked = exact or (choices if len(choices) == 1 else [])
            if picked:
                parsed.options[name] = picked[0]["value"]

    async def pick(self, line: str) -> None:
        number, _, rest = line.partition(" ")
        index = int(number) - 1
        if not 0 <= index < len(self.choices):
            self.say(f"  ⚠ There is no choice {number}; pick 1 to {len(self.choices)}.")
            return
        choice = self.choices[index]
        values = [v.strip() for v in rest.split(",") if v.strip()] if int(choice.component["type"]) in SELECTS else None
        if values is not None:
            values = _option_values(choice.component, values)
            if not values:
                self.say(f"  Choose from: {', '.join(o['label'] for o in choice.component.get('options', []))}")
                self.say(f"  e.g. {number} {choice.component.get('options', [{'label': 'x'}])[0]['label']}")
                return
        try:
            handle = await self.session.discord.click(
                choice.message, str(choice.component["custom_id"]), user_id=self.user_id, values=values
            )
        except (LookupError, PermissionError, ValueError, TypeError) as error:
            self.say(f"  ⚠ {error}")
            return
        await self.show(handle)

    async def show(self, handle: InteractionHandle) -> None:
        callback = await handle.response(timeout=10)
        if callback.type == 9:
            await self.fill_modal(handle)
            return
        await settle(handle, self.session.discord)
        self.print_new_messages(handle)

    async def fill_modal(self, handle: InteractionHandle) -> None:
        modal = handle.modal
        self.say(f"  ┌ {modal.get('title', 'Form')} (press Enter to leave a field empty)")
        values: dict[str, str] = {}
        for field in _text_inputs(modal.get("components", [])):
            label = field.get("label") or field.get("custom_id")
            answer = await read_line(f"  │ {label}: ")
            if answer is None:
                return
            values[field["custom_id"]] = answer.strip() or str(field.get("value") or "")
        submitted = await self.session.discord.submit_modal(handle, values)
        await self.show(submitted)

    def print_new_messages(self, handle: InteractionHandle) -> None:
        channel = self.session.discord.messages(self.channel_id)
        messages = [*handle.messages, *(m for m in channel if m.id not in self.seen and m not in handle.messages)]
        self.choices = []
        for message in messages:
            self.seen.add(message.id)
            self.say(render(message, self.choices))


async def settle(handle: InteractionHandle, discord: LocalDiscord, limit: float = 120.0) -> None:
    """Wait until the answer is complete and has stopped changing (narration streams in edits), and
    no rate limit holds back what the bot has queued."""
    started = time.monotonic()
    await handle.done(timeout=limit)
    last = None
    while time.monotonic() - started < limit:
        state = (handle.activity, len(handle.messages), len(discord.requests))
        if state == last and not discord.held_back_for():
            return
        last = state
        # Past a rate limit discord.py holds back what it has queued, as on Discord: wait that out too.
        await asyncio.sleep(max(QUIET_SECONDS, discord.held_back_for()))


def render(message: Message, choices: list[Choice]) -> str:
    """A message as terminal text: content, embeds as boxes, components as numbered choices."""
    lines = ["", "dmbot" + ("  (only you can see this)" if message.ephemeral else "") + ":"]
    if message.content:
        lines += ["  " + line for line in message.content.splitlines()]
    for embed in message.embeds:
        lines += _embed_lines(embed)
    for component in _interactive(message.components):
        choices.append(Choice(message, component))
        lines.append(f"  [{len(choices)}] {_describe(component)}")
    return "\n".join(lines)


def _embed_lines(embed: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if embed.get("author", {}).get("name"):
        lines.append(embed["author"]["name"])
    if embed.get("title"):
        lines.append(f"**{embed['title']}**")
    if embed.get("description"):
        lines += embed["description"].splitlines()
    for field in embed.get("fields", []):
        lines.append(f"{field['name']}: " + " / ".join(str(field["value"]).splitlines()))
    if embed.get("footer", {}).get("text"):
        lines.append(f"— {embed['footer']['text']}")
    return ["  ┃ " + line for line in lines]


def _interactive(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for component in components:
        kind = int(component.get("type", 0))
        if kind == BUTTON and component.get("custom_id") and not component.get("disabled"):
            found.append(component)
        elif kind in SELECTS and not component.get("disabled"):
            found.append(component)
        found += _interactive(component.get("components", []))
    return found


def _describe(component: dict[str, Any]) -> str:
    if int(component["type"]) == BUTTON:
        return str(component.get("label") or component.get("emoji", {}).get("name") or component["custom_id"])
    options = ", ".join(str(o["label"]) for o in component.get("options", []))
    most = component.get("max_values", 1)
    how = f"pick up to {most}, comma-separated" if most > 1 else "pick one"
    return f"{component.get('placeholder') or 'Choose'} ({how}): {options}"


def _option_values(component: dict[str, Any], typed: list[str]) -> list[str]:
    """Match typed labels (or values, or option numbers) to the select's option values."""
    options = component.get("options", [])
    chosen: list[str] = []
    for word in typed:
        for number, option in enumerate(options, start=1):
            if word.lower() in (str(option["label"]).lower(), str(option["value"]).lower(), str(number)):
                chosen.append(str(option["value"]))
                break
    return chosen


def _text_inputs(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for component in components:
        if int(component.get("type", 0)) == 4:
            found.append(component)
        if component.get("component"):
            found += _text_inputs([component["component"]])
        found += _text_inputs(component.get("components", []))
    return found


async def read_line(prompt: str) -> str | None:
    """One line from stdin without blocking the event loop; None at end of input."""
    if sys.stdin.isatty():
        try:
            return await asyncio.to_thread(input, prompt)
        except EOFError:
            return None
    line = await asyncio.to_thread(sys.stdin.readline)
    if not line:
        return None
    print(prompt + line.rstrip("\n"), flush=True)  # echo piped input so the transcript reads like a session
    return line


def _enable_completion(commands: list[dict[str, Any]]) -> None:
    try:
        import readline
    except ImportError:  # not on every platform; completion is a nicety
        return
    readline.set_completer_delims("")
    readline.set_completer(lambda text, state: [*complete(text, commands), None][state])
    readline.parse_and_bind("tab: complete")


def _log_to_file(settings: Settings) -> Path:
    """Keep the terminal for the game: logs go to a file beside the embedded database."""
    from bot.logging import configure_logging

    path = Path("data") / "play.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    configure_logging(settings, stream=path.open("a", encoding="utf-8"))
    logging.getLogger("discord").setLevel(logging.WARNING)
    return path


async def play(settings: Settings, *, user_name: str = "you") -> int:
    settings = settings.model_copy(update={"redis_url": ""})  # embedded: the in-process limiter
    settings.ensure_data_dir()
    log_path = _log_to_file(settings)
    await upgrade_async(settings.database_url)
    world = default_world()
    if user_name not in {u.name for u in world.users.values()}:
        world.add_member(world.guild.id, name=user_name)
    async with LocalDiscord(world, strict=False) as discord, running_bot(settings, discord=discord) as session:
        terminal = Terminal(session, user_name, sys.stdout)
        if sys.stdin.isatty():
            _enable_completion(discord.commands())
        terminal.say(WELCOME.format(user=user_name, guild=world.guild.name, channel="tavern"))
        while (line := await read_line("> ")) is not None:
            if line.strip().lower() in {"/quit", "/exit", "quit", "exit"}:
                break
            await terminal.handle_line(line)
        for violation in discord.violations:
            terminal.say(f"  (local Discord refused: {violation}; see {log_path})")
    return 0
