"""`dmbot play`: the real bot on the embedded defaults, connected in-process to the local Discord,
with a terminal on top. Works at a prompt (with completion) and piped."""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.sandbox.commandline import CommandLineError, Directory, ParsedCommand, complete, parse
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.markdown import Names, TerminalText
from bot.sandbox.messages import Message
from bot.sandbox.server import LocalDiscord
from bot.sandbox.world import ADMINISTRATOR, MANAGE_CHANNELS, MANAGE_GUILD, MANAGE_ROLES, World, default_world
from bot.settings import Settings
from bot.testbed.harness import SandboxSession, running_bot
from persistence.migrate import upgrade_async

log = logging.getLogger("dmbot.play")

SELECTS = (3, 5, 6, 7, 8)
BUTTON = 2
QUIET_SECONDS = 0.25  # a reply is complete once nothing has changed for this long
ANSWER_SECONDS = 10.0  # Discord itself gives a bot 3 s; a busy machine gets more here
STREAM_LIMIT_SECONDS = 180.0
EXPORTS = Path("data") / "exports"
LOG_NAME = Path("data") / "play.log"
NAME = re.compile(r"[\w.-]{2,32}")  # what Discord allows in a username, roughly
PERMISSION_WORDS = {
    ADMINISTRATOR: "Administrator",
    MANAGE_GUILD: "Manage Server",
    MANAGE_CHANNELS: "Manage Channels",
    MANAGE_ROLES: "Manage Roles",
}
# Tasks in which the bot (in this process) still works on an interaction: the command and view
# callbacks, and the narration's throttled edits.
BUSY_TASKS = ("CommandTree-invoker", "discord-ui-view-dispatch", "discord-ui-modal-dispatch", "narration-")
WELCOME = (
    "dmbot: you are {user}, the owner of {guild}, in #{channel}. Type a slash command (/roll 1d20+5), "
    "a number to pick a choice, /as NAME to type as someone else (a DM and players can share one keyboard), "
    "or /quit. Tab completes commands, options and their values."
)


@dataclass
class Choice:
    message: Message
    component: dict[str, Any]


@dataclass
class Shown:
    """What the terminal has printed of one message, so edits print only what changed."""

    text: str  # the content as printed (rendered): streamed edits print what was added to it
    state: tuple[str, list[dict[str, Any]], list[dict[str, Any]]]  # content, embeds, components
    streamed: bool = False


class Terminal:
    """Reads typed lines, sends them as interactions, prints the bot's answers; never stops on a bad line."""

    def __init__(
        self,
        session: SandboxSession,
        user: str,
        out: TextIO,
        *,
        ansi: bool = False,
        stream_limit: float = STREAM_LIMIT_SECONDS,
    ) -> None:
        self.session = session
        # A narration may take the whole turn's time on a slow model: the next piped line waits for it.
        self.stream_limit = stream_limit
        self.world: World = session.world
        self.guild = self.world.guild
        self.channel_id = session.channel_id("tavern")
        self.out = out
        self.text = TerminalText(Names(self._user_name, self._channel_name, self._role_name), ansi=ansi)
        self.directory = Directory(self.guild, self.world.users)
        self.menus: dict[int, list[Choice]] = {}  # each user's open choices: ephemeral menus are theirs alone
        self.from_menu = False  # the answer being printed came from picking a choice (or its form)
        self.shown: dict[int, Shown] = {}
        self.line_open = False
        self.user, self.user_id = user, self.world.named_member(self.guild.id, user).user.id

    @property
    def choices(self) -> list[Choice]:
        return self.menus.setdefault(self.user_id, [])

    def say(self, text: str = "") -> None:
        if self.line_open:  # a streamed narration's last words are on this line
            self.line_open = False
            print(file=self.out)
        print(text, file=self.out, flush=True)

    async def handle_line(self, line: str) -> None:
        """One typed line. Whatever goes wrong, the player is told in words and the game goes on."""
        try:
            await self._handle_line(line.strip())
        except CommandLineError as error:
            self.say(f"  ⚠ {error}")
        except TimeoutError:
            self.say(f"  ⚠ dmbot did not answer in time. The game goes on; details in {LOG_NAME}.")
            log.warning("no answer in time", exc_info=True)
        except (LookupError, PermissionError, ValueError, TypeError, NotImplementedError) as error:
            # The local Discord refused to send it, as a Discord client would not have sent it.
            self.say(f"  ⚠ That could not be sent to dmbot: {error}")
            log.warning("the local Discord refused a line", exc_info=True)
        except Exception:
            self.say(f"  ⚠ Something went wrong in the terminal; it is logged in {LOG_NAME}. The game goes on.")
            log.exception("the terminal failed on a line")

    async def _handle_line(self, line: str) -> None:
        if not line:
            return
        word = line.split()[0]
        if word.isdigit():
            await self.pick(line)
        elif word.lower() == "/as":
            self.switch_to(line[3:].strip())
        elif line.startswith("/"):
            await self.command(line)
        else:
            self.say("  Type a command starting with / (for example /roll 1d20), or the number of a choice.")

    def switch_to(self, name: str) -> None:
        """`/as NAME`: the next lines are typed by NAME, a member of the server with an id of their own."""
        name = name.lstrip("@")
        if not NAME.fullmatch(name):
            raise CommandLineError("/as needs a name of 2 to 32 letters, digits, dots, dashes or underscores: /as Mara")
        is_new = not any(m.user.name.casefold() == name.casefold() for m in self.guild.members.values())
        member = self.world.named_member(self.guild.id, name)
        self.user, self.user_id = member.user.name, member.user.id
        admin = self.guild.permissions_of(self.user_id) & MANAGE_GUILD
        role = "the server's owner" if self.user_id == self.guild.owner_id else "an admin" if admin else "a player"
        self.say(f"  Now typing as {self.user} ({'new here, ' if is_new else ''}{role}).")

    async def command(self, line: str) -> None:
        self.from_menu = False
        parsed = parse(line, self.session.discord.commands(), self.directory)
        self.check_permissions(parsed.path)
        await self.resolve_autocomplete(parsed)
        handle = await self.session.discord.invoke(
            parsed.path, parsed.options, user_id=self.user_id, channel_id=self.channel_id
        )
        await self.show(handle)

    def check_permissions(self, path: str) -> None:
        """Discord hides a command from members without its permissions; say so, and who has them."""
        command = next(c for c in self.session.discord.commands() if c["name"] == path.split()[0])
        needed = int(command.get("default_member_permissions") or 0)
        if needed & ~self.guild.permissions_of(self.user_id):
            words = " and ".join(w for bit, w in PERMISSION_WORDS.items() if needed & bit) or "special permissions"
            owner = self.world.users[self.guild.owner_id].name
            raise CommandLineError(
                f"/{path} is for members with {words}, and {self.user} has not got it. "
                f"The server's owner has: type /as {owner} to use it."
            )

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

    def suggest(self, path: str, schema: dict[str, Any], typed: str) -> list[str]:
        """Autocomplete for Tab, asked of the bot from readline's thread (the event loop is waiting on it)."""
        asking = self.session.discord.autocomplete(
            path, {schema["name"]: typed}, schema["name"], user_id=self.user_id, channel_id=self.channel_id
        )
        try:
            choices = asyncio.run_coroutine_threadsafe(asking, self.loop).result(timeout=3)
        except Exception:  # completion is a nicety; a slow or failed answer offers nothing
            log.warning("autocomplete for Tab failed", exc_info=True)
            return []
        return [str(c["name"]) for c in choices]

    def completions(self, text: str) -> list[str]:
        return complete(text, self.session.discord.commands(), self.directory, self.suggest)

    async def pick(self, line: str) -> None:
        number, _, rest = line.partition(" ")
        index = int(number) - 1
        if not self.choices:
            self.say("  ⚠ There is nothing to pick right now; type a command.")
            return
        if not 0 <= index < len(self.choices):
            self.say(f"  ⚠ There is no choice {number}; pick 1 to {len(self.choices)}.")
            return
        choice = self.choices[index]
        values = [v.strip() for v in rest.split(",") if v.strip()] if int(choice.component["type"]) in SELECTS else None
        if values is not None:
            typed, values = values, _option_values(choice.component, values)
            low, high = int(choice.component.get("min_values", 1)), int(choice.component.get("max_values", 1))
            if not values or len(values) < len(typed) or not low <= len(values) <= high:
                count = str(low) if low == high else f"{low} to {high}"
                labels = [str(o["label"]) for o in choice.component.get("options", [])]
                self.say(f"  Choose {count} of: {', '.join(labels)}")
                self.say(f"  e.g. {number} {', '.join(labels[: max(1, low)]) or 'x'}")
                return
            # said even when the message does not change (the suggested pick picked again)
            self.say(f"  Picked: {', '.join(_option_labels(choice.component, values))}")
        self.from_menu = True
        handle = await self.session.discord.click(
            choice.message, str(choice.component["custom_id"]), user_id=self.user_id, values=values
        )
        await self.show(handle)

    async def show(self, handle: InteractionHandle) -> None:
        callback = await handle.response(timeout=ANSWER_SECONDS)
        if callback.type == 9:
            await self.fill_modal(handle)
            return
        await settle(handle, self.session.discord)
        self.print_updates(handle)
        await self.follow(handle)

    async def follow(self, handle: InteractionHandle) -> None:
        """Print a message's edits while the bot still works on it (a narration streams in edits)."""
        started = quiet_since = time.monotonic()
        while time.monotonic() - started < self.stream_limit:
            if self.print_updates(handle, streaming=True):
                quiet_since = time.monotonic()
            elif not bot_busy() and time.monotonic() - quiet_since >= QUIET_SECONDS:
                break
            await asyncio.sleep(0.05)
        for message in handle.messages:
            shown = self.shown.get(message.id)
            if shown is not None and shown.streamed:  # the whole text once more, as it stands at the end
                shown.streamed = False
                self.say(self.render(message, header="dmbot (final text):"))

    async def fill_modal(self, handle: InteractionHandle) -> None:
        """Ask for each field of a form, telling its limits first and asking again until an answer fits."""
        modal = handle.modal
        self.say(f"  ┌ {modal.get('title', 'Form')} (press Enter to keep a field as it is)")
        values: dict[str, str] = {}
        for field in _text_inputs(modal.get("components", [])):
            answer = await self.ask_field(field)
            if answer is None:
                self.say("  └ The form was left unfinished; nothing was sent.")
                return
            values[field["custom_id"]] = answer
        submitted = await self.session.discord.submit_modal(handle, values)
        await self.show(submitted)

    async def ask_field(self, field: dict[str, Any]) -> str | None:
        label = field.get("label") or field.get("custom_id")
        low, high = int(field.get("min_length") or 0), int(field.get("max_length") or 4000)
        required = field.get("required", True)
        default = str(field.get("value") or "")
        limits = f"{'required' if required else 'optional'}, " + (f"{low} to {high}" if low else f"up to {high}")
        example = f"; e.g. {field['placeholder']}" if field.get("placeholder") else ""
        hint = f"; now: {default}" if default else example
        while True:
            answer = await read_line(f"  │ {label} ({limits} characters{hint}): ")
            if answer is None:
                return None
            text = answer.strip() or default
            if required and not text:
                self.say("  │ This field is required; type something.")
            elif text and not low <= len(text) <= high:
                fits = f"{low} to {high}" if low else f"at most {high}"
                self.say(f"  │ That is {len(text)} characters; this field takes {fits}. Type it again.")
            else:
                return text

    def print_updates(self, handle: InteractionHandle, *, streaming: bool = False) -> bool:
        """Print what is new or changed in the answer and the channel; True if anything was printed."""
        channel = self.session.discord.messages(self.channel_id)
        messages = [*handle.messages, *(m for m in channel if m.id not in self.shown and m not in handle.messages)]
        changed = []
        for message in messages:
            before = self.shown.get(message.id)
            if before is not None and before.state == _state(message):
                continue
            if before is None:
                self.say(self.render(message))
            elif not (streaming and self.print_growth(message, before)):
                self.say(self.render(message, header="dmbot (edited):"))
            changed.append(message)
        for recipient, message in self._new_direct_messages():  # to someone at this keyboard: printed too
            self.say(
                self.render(message, header=f"dmbot → @{self._user_name(recipient) or recipient} (direct message):")
            )
        if changed:
            self.update_menu(changed)
        return bool(changed)

    def _new_direct_messages(self) -> list[tuple[int, Message]]:
        """The bot's direct messages not printed yet (a note to the DM), with whom each went to."""
        return [
            (channel.recipient_ids[0] if channel.recipient_ids else 0, message)
            for channel in list(self.world.dm_channels.values())
            for message in self.session.discord.messages(channel.id)
            if message.id not in self.shown
        ]

    def print_growth(self, message: Message, before: Shown) -> bool:
        """While streaming: write only the text added since (on the same line); the rest waits for the end."""
        text = "\n".join(self.text.lines(message.content))
        if not text.startswith(before.text):
            return False
        added = text[len(before.text) :]
        if added:
            start = "" if self.line_open else "  "  # a new line after the first print; the same line after that
            self.out.write(start + (added if self.line_open else added.lstrip(" ")).replace("\n", "\n  "))
            self.out.flush()
            self.line_open = True
        elif not before.streamed:
            return False  # only its embeds or buttons changed: print it again
        before.text, before.state, before.streamed = text, copy.deepcopy(_state(message)), True
        return True

    def update_menu(self, printed: list[Message]) -> None:
        """Choices come from the messages just printed; an answer without any (an error) keeps the open menu,
        and a player who picked from it is told so (after a command of its own, the menu is no news)."""
        fresh = [Choice(m, c) for m in printed for c in _interactive(m.components)]
        replaced = {c.message.id for c in self.choices} & {m.id for m in printed}
        if fresh or replaced:
            self.menus[self.user_id] = fresh
        elif self.choices and self.from_menu:
            count = len(self.choices)
            self.say(
                "  (choice 1 above is still open)" if count == 1 else f"  (choices 1 to {count} above are still open)"
            )

    def render(self, message: Message, header: str | None = None) -> str:
        """A message as terminal text: content, embeds as boxes, files saved, components as numbered choices."""
        private = "  (only you can see this)" if message.ephemeral else ""
        lines = ["", (header or "dmbot:").removesuffix(":") + private + ":"]
        content = self.text.lines(message.content)
        lines += ["  " + line for line in content]
        for embed in message.embeds:
            lines += self._embed_lines(embed)
        lines += [f"  📎 saved {path} ({size:,} bytes)" for path, size in save_attachments(message)]
        for number, component in enumerate(_interactive(message.components), start=1):
            lines.append(f"  [{number}] {_describe(component)}")
        self.shown[message.id] = Shown("\n".join(content), copy.deepcopy(_state(message)))
        return "\n".join(lines)

    def _embed_lines(self, embed: dict[str, Any]) -> list[str]:
        lines: list[str] = []
        if embed.get("author", {}).get("name"):
            lines.append(self.text.inline(self.text.mentions(embed["author"]["name"])))
        if embed.get("title"):
            lines.append(self.text.style("bold", self.text.inline(self.text.mentions(embed["title"]))))
        if embed.get("description"):
            lines += self.text.lines(embed["description"])
        for field in embed.get("fields", []):
            lines.append(self.text.style("bold", self.text.inline(self.text.mentions(str(field["name"])))))
            lines += ["  " + line for line in self.text.lines(str(field["value"]))]  # one item a line
        if embed.get("footer", {}).get("text"):
            lines.append(self.text.style("dim", "— " + self.text.mentions(embed["footer"]["text"])))
        return ["  ┃ " + line for line in lines]

    def _user_name(self, user_id: int) -> str | None:
        user = self.world.users.get(user_id)
        return user.name if user else None

    def _channel_name(self, channel_id: int) -> str | None:
        channel = self.world.find_channel(channel_id)
        return channel.name if channel else None

    def _role_name(self, role_id: int) -> str | None:
        role = self.guild.roles.get(role_id)
        return role.name.lstrip("@") if role else None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self.session.bot.loop


def _state(message: Message) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    return message.content, message.embeds, message.components


def bot_busy() -> bool:
    return any(t.get_name().startswith(BUSY_TASKS) and not t.done() for t in asyncio.all_tasks())


def save_attachments(message: Message) -> list[tuple[Path, int]]:
    """The files a message carries, saved under ./data/exports/ (a name cut down to what is safe as a file name)."""
    saved: list[tuple[Path, int]] = []
    for attachment in message.attachments:
        name = re.sub(r"[^\w.-]", "_", Path(attachment.filename).name).lstrip(".") or f"file-{attachment.id}"
        path = EXPORTS / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(attachment.data)
        saved.append((path, len(attachment.data)))
    return saved


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


def _option_labels(component: dict[str, Any], values: list[str]) -> list[str]:
    labels = {str(o["value"]): str(o["label"]) for o in component.get("options", [])}
    return [labels.get(v, v) for v in values]


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


def _enable_completion(terminal: Terminal) -> None:
    try:
        import readline
    except ImportError:  # not on every platform; completion is a nicety
        return
    readline.set_completer_delims("")
    readline.set_completer(lambda text, state: [*terminal.completions(text), None][state])
    readline.parse_and_bind("tab: complete")


def _log_to_file(settings: Settings) -> Path:
    """Keep the terminal for the game: logs go to a file beside the embedded database."""
    from bot.logging import configure_logging

    LOG_NAME.parent.mkdir(parents=True, exist_ok=True)
    configure_logging(settings, stream=LOG_NAME.open("a", encoding="utf-8"))
    logging.getLogger("discord").setLevel(logging.WARNING)
    return LOG_NAME


async def play(settings: Settings, *, user_name: str = "Player") -> int:
    """The game at this terminal; `user_name` owns the server (so every command, /admin too, is theirs)."""
    settings = settings.model_copy(update={"redis_url": ""})  # embedded: the in-process limiter
    settings.ensure_data_dir()
    log_path = _log_to_file(settings)
    await upgrade_async(settings.database_url)
    world = default_world()
    world.guild.owner_id = world.named_member(world.guild.id, user_name).user.id
    async with LocalDiscord(world, strict=False) as discord, running_bot(settings, discord=discord) as session:
        at_terminal = sys.stdin.isatty() and sys.stdout.isatty()
        limit = max(STREAM_LIMIT_SECONDS, settings.turn_timeout_seconds + 60)  # then the offline narrator has answered
        terminal = Terminal(session, user_name, sys.stdout, ansi=at_terminal, stream_limit=limit)
        if sys.stdin.isatty():
            _enable_completion(terminal)
        terminal.say(WELCOME.format(user=terminal.user, guild=world.guild.name, channel="tavern"))
        while (line := await read_line(f"{terminal.user}> ")) is not None:
            if line.strip().lower() in {"/quit", "/exit", "quit", "exit"}:
                break
            await terminal.handle_line(line)
        for violation in discord.violations:
            terminal.say(f"  (local Discord refused: {violation}; see {log_path})")
    return 0
