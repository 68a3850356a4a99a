"""Two `dmbot run` processes, one shard each, on one Postgres database and one Redis (as
`docker compose --profile sharded` runs them): concurrent coin changes to one character, delivered
to both processes, all land; and a user the limiter refused on one shard is refused on the other."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench/ is not an installed package
from bench.load import two_processes
from bot.testbed.databases import temporary_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


async def test_two_processes_lose_no_update_and_share_the_limits(redis_url: str) -> None:
    async with temporary_postgres(prefix="dmbot_two") as database_url:
        result = await two_processes(database_url, redis_url, coin_changes=40)
    print("\n" + "\n".join(result.lines()))
    assert min(result.per_shard) > 0  # both processes changed the character
    assert result.answered == result.coin_changes
    assert result.gp_after - result.gp_before == result.coin_changes  # no lost update
    assert result.allowed_before == 2 and result.refused_on_other_shard  # the limits are shared
    assert not result.errors
