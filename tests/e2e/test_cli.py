"""The `dmbot` command line, run as an admin would: as a subprocess with environment variables."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.runner import dry_run_sync
from bot.sandbox.server import LocalDiscord

DMBOT = str(Path(sys.executable).parent / "dmbot")


def clean_env(**values: str) -> dict[str, str]:
    """The environment without any dmbot setting from outside, plus the given ones."""
    names = {
        "DISCORD_TOKEN",
        "DATABASE_URL",
        "REDIS_URL",
        "OPENAI_API_KEY",
        "DISCORD_API_BASE_URL",
        "DISCORD_GATEWAY_URL",
        "HEALTH_PORT",
        "LOG_FORMAT",
    }
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update(values)
    return env


def test_run_without_a_token_says_what_to_set(tmp_path: Path) -> None:
    result = subprocess.run([DMBOT, "run"], capture_output=True, text=True, cwd=tmp_path, env=clean_env(), timeout=60)
    assert result.returncode == 2
    assert "set DISCORD_TOKEN" in result.stderr and "dmbot play" in result.stderr


def test_invalid_settings_name_the_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [DMBOT, "check"], capture_output=True, text=True, cwd=tmp_path, env=clean_env(LOG_FORMAT="xml"), timeout=60
    )
    assert result.returncode != 0
    assert "LOG_FORMAT" in result.stderr


def test_migrate_then_check_on_postgres(postgres_url: str, redis_url: str, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=postgres_url, REDIS_URL=redis_url)
    migrate = subprocess.run([DMBOT, "migrate"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert migrate.returncode == 0, migrate.stderr
    check = subprocess.run([DMBOT, "check"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "✓ database: reachable" in check.stdout and "schema at head" in check.stdout
    assert re.search(r"pools up to 30 a process × 1 = 30 of \d+ connections", check.stdout)
    assert "✓ redis: reachable" in check.stdout
    assert "✓ llm: no OPENAI_API_KEY" in check.stdout
    assert re.search(r"✓ commands: \d+ commands, valid against Discord's published contract", check.stdout)


def test_check_refuses_pools_that_postgres_cannot_hold(postgres_url: str, redis_url: str, tmp_path: Path) -> None:
    """8 processes of 2 shards each, 500 connections each at most: more than this server's max_connections."""
    env = clean_env(DATABASE_URL=postgres_url, REDIS_URL=redis_url, DATABASE_POOL_SIZE="250")
    env.update(SHARD_COUNT="16", SHARD_IDS="0,1")
    subprocess.run([DMBOT, "migrate"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, check=True)
    check = subprocess.run([DMBOT, "check"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert check.returncode == 1, check.stdout
    assert "pools up to 500 a process × 8 = 4000 of" in check.stdout and "DATABASE_MAX_CONNECTIONS" in check.stdout
    env["DATABASE_MAX_CONNECTIONS"] = "40"  # the same processes, sized from one budget: 5 connections each
    check = subprocess.run([DMBOT, "check"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert check.returncode == 0 and "pools up to 5 a process × 8 = 40 of" in check.stdout, check.stdout


def test_check_fails_clearly_when_redis_is_unreachable(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3", REDIS_URL="redis://127.0.0.1:1/0")
    check = subprocess.run([DMBOT, "check"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert check.returncode == 1
    assert "✗ redis:" in check.stdout


async def test_sync_then_run_against_a_discord_compatible_endpoint(postgres_url: str, tmp_path: Path) -> None:
    """`dmbot run` with the four settings connects where they point and answers /roll there."""
    async with LocalDiscord() as discord:
        env = clean_env(
            DISCORD_TOKEN=discord.token,
            DISCORD_API_BASE_URL=discord.api_base_url,
            DISCORD_GATEWAY_URL=discord.gateway_url,
            DATABASE_URL=postgres_url,
            HEALTH_PORT="0",
            LOG_FORMAT="json",
        )
        sync = await asyncio.create_subprocess_exec(
            DMBOT, "sync", cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        out, err = await asyncio.wait_for(sync.communicate(), timeout=60)
        assert sync.returncode == 0, err.decode()
        assert "/roll" in out.decode()
        assert "roll" in {c["name"] for c in discord.commands()}
        # The local Discord enforced Discord's contract on that bulk overwrite (it refuses 2^53, say).
        assert discord.enforce_contract and option_at(discord.commands(), "dm approve change")["max_value"] == 2**53 - 1

        bot = await asyncio.create_subprocess_exec(
            DMBOT, "run", cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            await discord.wait_until_ready(timeout=30)
            alice = discord.world.user("alice").id
            tavern = discord.world.guild.channel("tavern").id
            handle = None
            for _ in range(50):  # READY comes before the bot has loaded its guilds
                handle = await discord.invoke("roll", {"expression": "3d6"}, user_id=alice, channel_id=tavern)
                try:
                    await handle.done(timeout=1)
                    break
                except (AssertionError, TimeoutError):
                    continue
            assert handle is not None and handle.messages
            assert "3d6 (" in handle.messages[-1].embeds[0]["description"]
        finally:
            bot.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(bot.wait(), timeout=20)
            except TimeoutError:
                bot.kill()
                pytest.fail("dmbot run did not stop on SIGINT")


def option_at(commands: list[dict[str, Any]], path: str) -> dict[str, Any]:
    """The option (or subcommand) schema that ``"dm approve change"`` names."""
    first, *rest = path.split()
    node = next(c for c in commands if c["name"] == first)
    for name in rest:
        node = next(o for o in node.get("options") or [] if o["name"] == name)
    return node


def dry_run(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = clean_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3")
    return subprocess.run(
        [DMBOT, "sync", "--dry-run"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60
    )


def test_sync_dry_run_prints_the_schema_and_validates_it_without_a_token(tmp_path: Path) -> None:
    result = dry_run(tmp_path)
    assert result.returncode == 0, result.stderr
    schema, verdict = result.stdout.rsplit("\n✓ ", 1)
    commands = json.loads(schema)
    assert re.match(r"\d+ commands: valid against Discord's published contract \(nothing published\)", verdict)
    assert option_at(commands, "dm approve change")["max_value"] == 2**53 - 1
    assert option_at(commands, "dm deny change")["max_value"] == 2**53 - 1


def test_sync_dry_run_refuses_what_discord_would_refuse_with_the_field_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The schema as it was before the fix (2^53, one above Discord's largest integer): exit 1, paths named."""
    commands = json.loads(dry_run(tmp_path).stdout.rsplit("\n✓ ", 1)[0])
    option_at(commands, "dm approve change")["max_value"] = 2**53
    option_at(commands, "roll")["description"] = ""
    assert dry_run_sync(commands, guild=False) == 1
    err = capsys.readouterr().err
    assert "Discord would refuse this command schema, and publish none of it" in err
    assert "/dm approve change: " in err
    assert ".max_value: int value should be less than or equal to 9007199254740991." in err
    assert "/roll: " in err and ".description: Must be between 1 and 100 in length." in err
