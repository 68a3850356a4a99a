"""Rules that keep a campaign's table honest whichever command a player uses: one name per character in a
party (the DM's awards and the narrator's targets go by name, so a second "Mira" would capture the first's),
and what a player's own sheet commands may change inside a running campaign (the narrator's path asks the
DM for gains above the campaign's approval bound; the player's own commands must not be a way around it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.sheet import name_key
from bot.errors import Forbidden, InvalidInput
from persistence.models import Character
from persistence.repositories import CampaignRepository, CombatRepository


def party_name_taken(name: str, campaign: str = "this campaign") -> str:
    return f"Someone in {campaign}'s party is already called {name}; pick another name (`/character edit`)."


def check_name_free_in_party(
    members: Iterable[Character], joining: Character, replaced: Character | None = None, campaign: str = "this campaign"
) -> None:
    """A character joining a party (replacing `replaced`, the player's previous one) needs a name nobody in it has."""
    key = name_key(joining.name)
    for other in members:
        if other.id in (joining.id, replaced.id if replaced else None):
            continue
        if name_key(other.name) == key:
            raise InvalidInput(party_name_taken(joining.name, campaign))


def check_rename_in_party(members: Iterable[Character], character_id: int, new_name: str) -> None:
    key = name_key(new_name)
    if any(m.id != character_id and name_key(m.name) == key for m in members):
        raise InvalidInput(party_name_taken(new_name))


# --- a player's own gains inside a running campaign ------------------------------------------------

Gain = Literal["rest", "condition", "item", "coins"]

_IN_FIGHT = {
    "rest": "nobody rests in the middle of a fight; rest once it is over",
    "condition": "mid-fight a condition ends by the rules or by the DM (`/dm condition remove`), not by a command",
    "item": "mid-fight items come from the story; the DM gives them (`/dm award item`)",
    "coins": "mid-fight coins come from the story; the DM gives them (`/dm award coins`)",
}
_ASK_THE_DM = {
    "condition": "the DM ends conditions (`/dm condition remove`); ask them",
    "item": "items come from the story: the DM gives them (`/dm award item`)",
    "coins": "coins come from the story: the DM gives them (`/dm award coins`)",
}


async def check_own_gain(session: AsyncSession, row: Character, gain: Gain) -> None:
    """A player's own command that makes their character better off (a rest, a condition ended, an item or
    coins added), inside a running campaign: refused during a fight; outside one, a gain other than a rest
    follows the campaign's approval rule (gains wait for the DM, so the DM gives them) unless the DM turned on
    auto-approve. Outside a campaign a character is the player's own sheet, and anything goes."""
    if await CombatRepository(session).character_fighting(row.id):
        raise Forbidden(f"{row.name} is in a fight: {_IN_FIGHT[gain]}.")
    if row.campaign_id is None or gain == "rest":
        return
    campaign = await CampaignRepository(session).get(row.campaign_id)
    if campaign is None or campaign.status == "ended":
        return
    if await CombatRepository(session).active_for_campaign(campaign.id) is not None:
        raise Forbidden(f"{campaign.name} is in a fight: {_IN_FIGHT[gain]}.")
    if (campaign.settings or {}).get("auto_approve"):
        return
    raise Forbidden(f"In {campaign.name}, {_ASK_THE_DM[gain]}.")
