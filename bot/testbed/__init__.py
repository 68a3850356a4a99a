"""The test bed: what the tests, the benchmarks and `dmbot play` build around the bot.

The real dmbot wired to the local Discord (``harness``), throwaway Postgres databases (``databases``), private
Redis and Postgres servers to stop and restart (``processes``) and a bare discord.py bot for baselines (``bare``).
Unlike ``bot.sandbox`` (the local Discord, which speaks only the wire protocol), the test bed may import
anything; production code never imports it (the import-linter contracts in pyproject.toml say so).
"""
