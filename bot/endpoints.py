"""Where discord.py sends its REST calls and opens its gateway: discord.com by default, or the addresses the
settings name (a proxy, or the local Discord of the tests and `dmbot play`). Production code, so it lives here and
not in `bot/sandbox/`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import discord.gateway
import discord.http
import yarl


def point_discord_py_at(api_base_url: str, gateway_url: str) -> None:
    """Send discord.py's REST calls to ``api_base_url`` and its first gateway connection to
    ``gateway_url`` (process-wide: these are class attributes of discord.py)."""
    discord.http.Route.BASE = api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


@contextmanager
def discord_py_pointed_at(api_base_url: str, gateway_url: str) -> Iterator[None]:
    """``point_discord_py_at`` for the duration of a block, then restore the previous addresses."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    point_discord_py_at(api_base_url, gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway
