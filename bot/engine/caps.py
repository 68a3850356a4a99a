"""How much of each thing one table may keep: every cap a host setting (bot/settings.py), every refusal a
message that says what is full and what to do. The count is taken inside the transaction that adds, after
the campaign row (or the owner's characters) is locked, so two adds at the same moment cannot both pass."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import InvalidInput


class CapReached(InvalidInput):
    """A table keeps at most so many of a thing; the message says which and how to make room."""


@dataclass(frozen=True)
class Caps:
    npcs_per_campaign: int = 200
    canon_facts: int = 50
    characters_per_user: int = 20
    campaigns_per_guild: int = 50
    pending_changes: int = 25


def check_npcs(count: int, caps: Caps, campaign: str) -> None:
    if count >= caps.npcs_per_campaign:
        raise CapReached(
            f"{campaign} has {count:,} NPCs, the most a campaign keeps here ({caps.npcs_per_campaign:,}); "
            "remove one with `/dm npc remove` first."
        )


def check_canon(count: int, caps: Caps) -> None:
    if count >= caps.canon_facts:
        raise CapReached(f"A campaign pins at most {caps.canon_facts} facts; remove one with `/dm unpin` first.")


def check_characters(count: int, caps: Caps) -> None:
    if count >= caps.characters_per_user:
        raise CapReached(
            f"You have {count} characters on this server, the most one player keeps ({caps.characters_per_user}); "
            "delete one with `/character delete` first."
        )


def check_campaigns(count: int, caps: Caps) -> None:
    if count >= caps.campaigns_per_guild:
        raise CapReached(
            f"This server runs {count} campaigns, the most it may ({caps.campaigns_per_guild}); "
            "a DM ends one with `/campaign end` first."
        )


def pending_full(count: int, caps: Caps) -> str | None:
    """Why one more change cannot wait for the DM, or None while there is room (the narrator is told)."""
    if count < caps.pending_changes:
        return None
    return (
        f"{caps.pending_changes} changes already wait for the DM's approval, the most a campaign keeps; "
        "the DM answers them with `/dm approve` or `/dm deny` first."
    )
