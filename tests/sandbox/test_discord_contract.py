"""The local Discord refuses what Discord's published contract refuses, as Discord does, and rate-limits.

Each case sends one body that breaks one rule (a schema limit from Discord's OpenAPI description
or a limit from its README) to the route it belongs to, and expects Discord's answer: HTTP 400,
code 50035 "Invalid Form Body", and the rule's error at the field path in the nested ``errors``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from bot.discord_contract import load_contract
from bot.endpoints import discord_py_pointed_at
from bot.sandbox import LocalDiscord
from bot.sandbox.ratelimits import RateLimits, Rule
from bot.sandbox.rest import CONTRACT_ROUTES
from bot.testbed.bare import build_bare_bot

Json = dict[str, Any]
INT53_MAX = 2**53 - 1


def command(**changes: Any) -> Json:
    base: Json = {"type": 1, "name": "roll", "description": "Roll dice"}
    return base | changes


def option(kind: int = 3, **changes: Any) -> Json:
    return {"type": kind, "name": "what", "description": "What to roll"} | changes


def choices(n: int, *, name: str = "c", value: str = "v") -> list[Json]:
    return [{"name": f"{name}{i}", "value": f"{value}{i}"} for i in range(n)]


def button(**changes: Any) -> Json:
    return {"type": 2, "style": 1, "label": "Go", "custom_id": "go"} | changes


def row(*components: Json) -> Json:
    return {"type": 1, "components": list(components)}


def select(n_options: int = 2, **changes: Any) -> Json:
    options = [{"label": f"o{i}", "value": f"o{i}"} for i in range(n_options)]
    return {"type": 3, "custom_id": "pick", "options": options} | changes


def modal(**changes: Any) -> Json:
    text = {"type": 4, "custom_id": "name", "style": 1, "label": "Name"}
    data = {"custom_id": "form", "title": "Form", "components": [row(text)]} | changes
    return {"type": 9, "data": data}


def text_input(**changes: Any) -> Json:
    return modal(components=[row({"type": 4, "custom_id": "name", "style": 1, "label": "Name"} | changes)])


def embed_message(**embed: Any) -> Json:
    return {"embeds": [{"title": "t"} | embed]}


BIG_OPTION = option(description="d" * 100, choices=choices(25, name="n" * 90, value="v" * 90))

# (rule, route kind, body, field path, Discord's error code)
CASES: list[tuple[str, str, Any, str, str]] = [
    # commands (bulk overwrite): integer ranges, names, descriptions, counts, lengths, nesting, totals
    ("int53", "commands", [command(options=[option(4, max_value=2**53)])], "0.options.0.max_value", "NUMBER_TYPE_MAX"),
    (
        "int53-min",
        "commands",
        [command(options=[option(4, min_value=-(2**53))])],
        "0.options.0.min_value",
        "NUMBER_TYPE_MIN",
    ),
    ("name-uppercase", "commands", [command(name="Roll")], "0.name", "APPLICATION_COMMAND_INVALID_NAME"),
    (
        "name-space",
        "commands",
        [command(options=[option(name="two words")])],
        "0.options.0.name",
        "APPLICATION_COMMAND_INVALID_NAME",
    ),
    ("name-length", "commands", [command(name="r" * 33)], "0.name", "BASE_TYPE_BAD_LENGTH"),
    ("description-empty", "commands", [command(description="")], "0.description", "BASE_TYPE_BAD_LENGTH"),
    (
        "option-description-length",
        "commands",
        [command(options=[option(description="d" * 101)])],
        "0.options.0.description",
        "BASE_TYPE_BAD_LENGTH",
    ),
    (
        "options-count",
        "commands",
        [command(options=[option(name=f"o{i}") for i in range(26)])],
        "0.options",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "choices-count",
        "commands",
        [command(options=[option(choices=choices(26))])],
        "0.options.0.choices",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "choice-name-length",
        "commands",
        [command(options=[option(choices=[{"name": "n" * 101, "value": "v"}])])],
        "0.options.0.choices.0.name",
        "BASE_TYPE_BAD_LENGTH",
    ),
    (
        "choice-value-length",
        "commands",
        [command(options=[option(choices=[{"name": "n", "value": "v" * 101}])])],
        "0.options.0.choices.0.value",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "autocomplete-with-choices",
        "commands",
        [command(options=[option(autocomplete=True, choices=choices(2))])],
        "0.options.0.autocomplete",
        "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_WITH_CHOICES",
    ),
    (
        "string-max-length",
        "commands",
        [command(options=[option(max_length=6001)])],
        "0.options.0.max_length",
        "NUMBER_TYPE_MAX",
    ),
    (
        "nesting",
        "commands",
        [command(options=[option(1, name="sub", options=[option(1, name="deeper")])])],
        "0.options.0.options.0",
        "UNION_TYPE_CHOICES",
    ),
    (
        "required-after-optional",
        "commands",
        [command(options=[option(name="a"), option(name="b", required=True)])],
        "0.options.1.required",
        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
    ),
    (
        "option-names-unique",
        "commands",
        [command(options=[option(), option()])],
        "0.options.1.name",
        "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME",
    ),
    (
        "command-total-8000",
        "commands",
        [command(options=[BIG_OPTION | {"name": f"o{i}"} for i in range(2)])],
        "0",
        "APPLICATION_COMMAND_TOO_LARGE",
    ),
    ("command-names-unique", "commands", [command(), command()], "1.name", "APPLICATION_COMMANDS_DUPLICATE_NAME"),
    ("global-100", "commands", [command(name=f"c{i}") for i in range(101)], "", "BASE_TYPE_MAX_LENGTH"),
    # messages and embeds
    ("content", "message", {"content": "x" * 2001}, "content", "BASE_TYPE_MAX_LENGTH"),
    ("embeds-count", "message", {"embeds": [{"title": "t"}] * 11}, "embeds", "BASE_TYPE_MAX_LENGTH"),
    ("embed-title", "message", embed_message(title="t" * 257), "embeds.0.title", "BASE_TYPE_MAX_LENGTH"),
    (
        "embed-description",
        "message",
        embed_message(description="d" * 4097),
        "embeds.0.description",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "embed-fields-count",
        "message",
        embed_message(fields=[{"name": "n", "value": "v"}] * 26),
        "embeds.0.fields",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "embed-field-name",
        "message",
        embed_message(fields=[{"name": "n" * 257, "value": "v"}]),
        "embeds.0.fields.0.name",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "embed-field-value",
        "message",
        embed_message(fields=[{"name": "n", "value": "v" * 1025}]),
        "embeds.0.fields.0.value",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "embed-field-empty",
        "message",
        embed_message(fields=[{"name": "", "value": "v"}]),
        "embeds.0.fields.0.name",
        "BASE_TYPE_REQUIRED",
    ),
    (
        "embed-footer",
        "message",
        embed_message(footer={"text": "f" * 2049}),
        "embeds.0.footer.text",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "embed-author",
        "message",
        embed_message(author={"name": "a" * 257}),
        "embeds.0.author.name",
        "BASE_TYPE_MAX_LENGTH",
    ),
    ("embed-total-6000", "message", {"embeds": [{"description": "d" * 3001}] * 2}, "embeds", "MAX_EMBED_SIZE_EXCEEDED"),
    ("embed-color", "message", embed_message(color=0x1000000), "embeds.0.color", "NUMBER_TYPE_MAX"),
    (
        "embed-url",
        "message",
        embed_message(thumbnail={"url": "https://"}),
        "embeds.0.thumbnail.url",
        "URL_TYPE_INVALID_URL",
    ),
    ("empty-message", "message", {"content": ""}, "content", "MESSAGE_EMPTY"),
    # components
    (
        "action-rows",
        "message",
        {"components": [row(button(custom_id=f"b{i}")) for i in range(6)]},
        "components",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "row-width",
        "message",
        {"components": [row(*(button(custom_id=f"b{i}") for i in range(6)))]},
        "components.0.components",
        "BASE_TYPE_BAD_LENGTH",
    ),
    (
        "select-alone",
        "message",
        {"components": [row(select(), button())]},
        "components.0.components",
        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
    ),
    (
        "select-options",
        "message",
        {"components": [row(select(26))]},
        "components.0.components.0.options",
        "BASE_TYPE_BAD_LENGTH",
    ),
    (
        "select-values",
        "message",
        {"components": [row(select(2, max_values=3))]},
        "components.0.components.0.max_values",
        "SELECT_COMPONENT_MAX_VALUES_TOO_LARGE",
    ),
    (
        "select-placeholder",
        "message",
        {"components": [row(select(placeholder="p" * 151))]},
        "components.0.components.0.placeholder",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "button-label",
        "message",
        {"components": [row(button(label="l" * 81))]},
        "components.0.components.0.label",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "button-label-or-emoji",
        "message",
        {"components": [row(button(label=None))]},
        "components.0.components.0.label",
        "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED",
    ),
    (
        "custom-id-length",
        "message",
        {"components": [row(button(custom_id="c" * 101))]},
        "components.0.components.0.custom_id",
        "BASE_TYPE_BAD_LENGTH",
    ),
    (
        "custom-id-unique",
        "message",
        {"components": [row(button(), button())]},
        "components.0.components.1.custom_id",
        "COMPONENT_CUSTOM_ID_DUPLICATED",
    ),
    (
        "link-button-url",
        "message",
        {"components": [row(button(style=5, custom_id=None))]},
        "components.0.components.0.url",
        "BUTTON_COMPONENT_URL_REQUIRED",
    ),
    # modals and autocomplete answers (interaction callbacks)
    ("modal-title", "callback", modal(title="t" * 46), "data.title", "BASE_TYPE_BAD_LENGTH"),
    ("modal-empty", "callback", modal(components=[]), "data.components", "BASE_TYPE_BAD_LENGTH"),
    (
        "text-input-label",
        "callback",
        text_input(label="l" * 46),
        "data.components.0.components.0.label",
        "BASE_TYPE_BAD_LENGTH",
    ),
    (
        "text-input-value",
        "callback",
        text_input(value="v" * 4001),
        "data.components.0.components.0.value",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "text-input-placeholder",
        "callback",
        text_input(placeholder="p" * 101),
        "data.components.0.components.0.placeholder",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "autocomplete-count",
        "callback",
        {"type": 8, "data": {"choices": choices(26)}},
        "data.choices",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "autocomplete-value",
        "callback",
        {"type": 8, "data": {"choices": [{"name": "n", "value": "v" * 101}]}},
        "data.choices.0.value",
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "callback-message",
        "callback",
        {"type": 4, "data": {"content": "x" * 2001}},
        "data.content",
        "BASE_TYPE_MAX_LENGTH",
    ),
    # followups and edits (interaction webhooks) and channel message edits
    ("followup", "followup", {"content": "x" * 2001}, "content", "BASE_TYPE_MAX_LENGTH"),
    (
        "edit-original",
        "edit_original",
        embed_message(description="d" * 4097),
        "embeds.0.description",
        "BASE_TYPE_MAX_LENGTH",
    ),
]


def route_url(local: LocalDiscord, kind: str) -> tuple[str, str]:
    channel = local.world.guild.channel("tavern").id
    hook = f"{local.api_base_url}/webhooks/{local.application_id}/some-token"
    return {
        "commands": ("PUT", f"{local.api_base_url}/applications/{local.application_id}/commands"),
        "message": ("POST", f"{local.api_base_url}/channels/{channel}/messages"),
        "callback": ("POST", f"{local.api_base_url}/interactions/1/some-token/callback"),
        "followup": ("POST", hook),
        "edit_original": ("PATCH", f"{hook}/messages/@original"),
    }[kind]


def error_at(errors: Json, path: str) -> list[Json]:
    node = errors
    for part in path.split(".") if path else []:
        assert part in node, f"no error at {path!r}: {json.dumps(errors)[:400]}"
        node = node[part]
    return list(node["_errors"])


@pytest.fixture
async def local() -> AsyncIterator[LocalDiscord]:
    async with LocalDiscord(strict=False) as discord_:
        yield discord_


@pytest.mark.parametrize(("kind", "body", "path", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_the_local_discord_refuses_as_discord_does(
    local: LocalDiscord, kind: str, body: Any, path: str, code: str
) -> None:
    method, url = route_url(local, kind)
    auth = {"Authorization": f"Bot {local.token}"}
    async with aiohttp.ClientSession() as http, http.request(method, url, json=body, headers=auth) as resp:
        assert resp.status == 400
        answer = await resp.json()
    assert (answer["code"], answer["message"]) == (50035, "Invalid Form Body")
    assert code in [e["code"] for e in error_at(answer["errors"], path)], answer
    (violation,) = local.pop_violations("invalid_form_body")  # and the test that sent it fails (strict mode)
    assert path in violation.detail.replace("(body)", "")


async def test_uploads_are_checked_too(local: LocalDiscord) -> None:
    """Multipart bodies: ``payload_json`` against the route's schema, and at most 10 files."""
    url = route_url(local, "message")[1]
    auth = {"Authorization": f"Bot {local.token}"}
    async with aiohttp.ClientSession() as http:
        form = aiohttp.FormData()
        form.add_field("payload_json", json.dumps({"content": "x" * 2001, "attachments": [{"id": 0}]}))
        form.add_field("files[0]", b"map", filename="map.png", content_type="image/png")
        async with http.post(url, data=form, headers=auth) as resp:
            assert resp.status == 400
            assert error_at((await resp.json())["errors"], "content")[0]["code"] == "BASE_TYPE_MAX_LENGTH"
        form = aiohttp.FormData()
        form.add_field("payload_json", json.dumps({"content": "maps"}))
        for i in range(11):
            form.add_field(f"files[{i}]", b"map", filename=f"map{i}.png", content_type="image/png")
        async with http.post(url, data=form, headers=auth) as resp:
            assert resp.status == 400
            assert error_at((await resp.json())["errors"], "files")[0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert len(local.pop_violations("invalid_form_body")) == 2


async def test_valid_bodies_pass(local: LocalDiscord) -> None:
    """The same routes take a body at every limit (the contract refuses only what Discord refuses)."""
    at_limits = [
        command(
            name="r" * 32,
            description="d" * 100,
            options=[
                option(4, min_value=-INT53_MAX, max_value=INT53_MAX),
                option(name="pick", choices=choices(25, value="v" * 97)),
            ],
        )
    ]
    method, url = route_url(local, "commands")
    auth = {"Authorization": f"Bot {local.token}"}
    fields = [{"name": "n" * 100, "value": "v" * 100}] * 25  # with title and description: 6,000 exactly
    embed = {"title": "t" * 256, "description": "d" * 744, "fields": fields}
    rows = [row(select(25, max_values=25))] + [row(button(custom_id=f"b{i}")) for i in range(4)]
    message = {"content": "x" * 2000, "embeds": [embed], "components": rows}
    async with aiohttp.ClientSession() as http:
        async with http.request(method, url, json=at_limits, headers=auth) as resp:
            assert resp.status == 200, await resp.text()
        async with http.post(route_url(local, "message")[1], json=message, headers=auth) as resp:
            assert resp.status == 200, await resp.text()
    assert local.violations == []


def test_every_local_route_with_a_body_is_in_the_contract() -> None:
    contract = load_contract()
    assert set(CONTRACT_ROUTES.values()) <= set(contract.routes)
    assert contract.data["source"]["license"] == "MIT"


# -- rate limits -----------------------------------------------------------------------------------


async def test_past_a_bucket_discord_answers_429_with_retry_after(local: LocalDiscord) -> None:
    """5 messages per 5 s in one channel: the 6th is refused with Discord's 429, headers and body."""
    url = route_url(local, "message")[1]
    other = f"{local.api_base_url}/channels/{local.world.guild.channel('general').id}/messages"
    auth = {"Authorization": f"Bot {local.token}"}
    async with aiohttp.ClientSession() as http:
        for n in range(5):
            async with http.post(url, json={"content": f"m{n}"}, headers=auth) as resp:
                assert resp.status == 200
                assert resp.headers["X-RateLimit-Limit"] == "5"
                assert resp.headers["X-RateLimit-Remaining"] == str(4 - n)
                assert float(resp.headers["X-RateLimit-Reset-After"]) <= 5.0
                assert float(resp.headers["X-RateLimit-Reset"]) > time.time()
                bucket = resp.headers["X-RateLimit-Bucket"]
        async with http.post(url, json={"content": "one too many"}, headers=auth) as resp:
            assert resp.status == 429
            body = await resp.json()
            assert 0 < body["retry_after"] <= 5.0 and body["global"] is False
            assert int(resp.headers["Retry-After"]) >= body["retry_after"]
            assert resp.headers["X-RateLimit-Bucket"] == bucket and resp.headers["X-RateLimit-Remaining"] == "0"
        async with http.post(other, json={"content": "another channel"}, headers=auth) as resp:
            assert resp.status == 200  # the bucket is per channel (its major parameter)
    assert [r.status for r in local.rate_limited] == [429]
    assert local.violations == []  # a 429 is not a refusal: discord.py waits and retries


@contextlib.asynccontextmanager
async def bare_bot(local: LocalDiscord) -> AsyncIterator[discord.Client]:
    bot = build_bare_bot()
    with discord_py_pointed_at(local.api_base_url, local.gateway_url):
        task = asyncio.create_task(bot.start(local.token))
        try:
            await local.wait_until_ready(timeout=5)
            await asyncio.wait_for(bot.wait_until_ready(), 5)
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)


async def test_discord_py_waits_out_the_limit_and_delivers_everything(local: LocalDiscord) -> None:
    rule = Rule(2, 0.4, ("channel_id",))  # Discord's mechanism with a short window, to keep the test quick
    local.rate_limits = RateLimits(local.clock, {("POST", "/channels/{channel_id}/messages"): rule})
    channel_id = local.world.guild.channel("tavern").id
    async with bare_bot(local) as bot:
        channel = bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        started = time.monotonic()
        await asyncio.gather(*(channel.send(f"m{n}") for n in range(6)))
        took = time.monotonic() - started
        # Someone else spent the bucket: discord.py's next message gets a 429, waits and is retried.
        for _ in range(rule.limit):
            local.rate_limits.take("POST", "/channels/{channel_id}/messages", {"channel_id": str(channel_id)})
        await channel.send("after a 429")
    contents = [m.content for m in local.messages(channel_id)]
    assert sorted(contents[:6]) == [f"m{n}" for n in range(6)] and contents[6:] == ["after a 429"]
    assert took >= 2 * rule.period * 0.9  # 6 messages at 2 per window: discord.py waited two windows
    assert local.rate_limited and {r.status for r in local.requests if r.path.endswith("/messages")} == {200, 429}
    assert local.violations == []


async def test_a_run_can_assert_it_saw_no_429(local: LocalDiscord) -> None:
    channel_id = local.world.guild.channel("tavern").id
    async with bare_bot(local) as bot:
        channel = bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        for n in range(3):
            await channel.send(f"m{n}")
    assert local.rate_limited == []
