"""`dmbot`: run, play, migrate, sync, check."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.settings import Settings

NO_TOKEN = (
    "dmbot run needs a bot token: set DISCORD_TOKEN (in the environment or in .env) to the token of your "
    "application's bot (Discord Developer Portal → your app → Bot → Reset Token).\n"
    "To try dmbot without Discord, run `dmbot play`: the same bot in this terminal, no token needed."
)


def load_settings() -> Settings:
    """Read the settings, or stop with one line per problem naming the variable to fix."""
    try:
        return Settings()
    except ValidationError as error:
        lines = [f"  {'.'.join(str(p) for p in e['loc']).upper() or 'SETTINGS'}: {e['msg']}" for e in error.errors()]
        sys.exit("dmbot: the settings are not valid:\n" + "\n".join(lines))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dmbot", description="A Discord dungeon master for D&D 5e (SRD 5.1).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="connect to Discord and serve (needs DISCORD_TOKEN)")
    play_parser = commands.add_parser("play", help="play in this terminal, offline, on the embedded defaults")
    play_parser.add_argument(
        "--user", default="Player", help="your name in the local game; you own its server (/as NAME adds players)"
    )
    commands.add_parser("migrate", help="bring the database schema up to date (Alembic upgrade head)")
    sync = commands.add_parser("sync", help="publish the slash commands to Discord")
    sync.add_argument("--guild", type=int, help="sync to this guild only (instant), instead of globally")
    sync.add_argument(
        "--dry-run", action="store_true", help="print the command schema and check it against Discord's contract"
    )
    commands.add_parser("check", help="validate the settings and reach the database, Redis and the LLM")
    args = parser.parse_args(argv)

    settings = load_settings()
    if args.command == "play":
        from bot.play import play

        return asyncio.run(play(settings, user_name=args.user))
    from bot.logging import configure_logging

    configure_logging(settings)
    if args.command == "run":
        from bot.runner import run

        if settings.discord_token is None or not settings.discord_token.get_secret_value():
            print(NO_TOKEN, file=sys.stderr)
            return 2
        try:
            return asyncio.run(run(settings))
        except KeyboardInterrupt:  # Ctrl-C / SIGINT: a normal way to stop, not a crash
            print("dmbot stopped.", file=sys.stderr)
            return 0
    if args.command == "migrate":
        from persistence.migrate import upgrade

        settings.ensure_data_dir()
        upgrade(settings.database_url)
        print("database schema is up to date")
        return 0
    if args.command == "sync":
        from bot.runner import sync_commands

        return asyncio.run(sync_commands(settings, guild_id=args.guild, dry_run=args.dry_run))
    from bot.preflight import check

    return asyncio.run(check(settings))


if __name__ == "__main__":
    raise SystemExit(main())
