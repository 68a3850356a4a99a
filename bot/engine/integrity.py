"""Rules that keep a campaign's table honest whichever command a player uses: one name per character in a
party (the DM's awards and the narrator's targets go by name, so a second "Mira" would capture the first's),
and what a player's own sheet commands may change inside a running campaign (the narrator's path asks the
DM for gains above the campaign's approval bound; the player's own commands must not be a way around it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.caps import CapReached, Caps, pending_full
from bot.engine.sheet import name_key
from bot.errors import Forbidden, GameError, InvalidInput
from persistence.models import Character, PendingChange
from persistence.repositories import CampaignRepository, CombatRepository, PendingRepository


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
MAX_ASKED_ITEMS = 100  # what one approved change may give (the narrator's give_item bound)


@dataclass(frozen=True)
class GainRequest:
    """What a player's own command would give, and the change the DM may approve instead (a narrator tool and
    its arguments, applied by `/dm approve` through the same checks as the narrator's); no tool: refused."""

    gain: Gain
    tool: str | None = None
    arguments: Mapping[str, Any] = field(default_factory=dict)
    summary: str = ""


class WaitingForTheDM(GameError):
    """The change was asked of the DM instead of made (`/dm approve` applies it)."""


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


def item_request(name: str, quantity: int) -> GainRequest:
    if quantity > MAX_ASKED_ITEMS:  # more than one approved change may give: the DM awards it
        return GainRequest("item")
    return GainRequest("item", "give_item", {"item": name, "quantity": quantity}, f"{quantity} × {name}")


def condition_request(index: str, name: str) -> GainRequest:
    return GainRequest("condition", "remove_condition", {"condition": index}, f"end {name.lower()}")


async def check_own_gain(
    session: AsyncSession, row: Character, request: GainRequest, caps: Caps
) -> PendingChange | None:
    """A player's own command that makes their character better off (a rest, a condition ended, an item or
    coins added), inside a running campaign: refused during a fight; outside one, a gain other than a rest
    follows the campaign's approval rule, as the narrator's do: unless the DM turned on auto-approve, it waits
    for the DM (the returned change, added to the session; the caller commits it and says so), or, where no
    change can carry it (coins), the DM gives it. Outside a campaign a character is the player's own sheet."""
    gain = request.gain
    if await CombatRepository(session).character_fighting(row.id):
        raise Forbidden(f"{row.name} is in a fight: {_IN_FIGHT[gain]}.")
    if row.campaign_id is None or gain == "rest":
        return None
    campaign = await CampaignRepository(session).get(row.campaign_id)
    if campaign is None or campaign.status == "ended":
        return None
    if await CombatRepository(session).active_for_campaign(campaign.id) is not None:
        raise Forbidden(f"{campaign.name} is in a fight: {_IN_FIGHT[gain]}.")
    if (campaign.settings or {}).get("auto_approve"):
        return None
    if request.tool is None:
        raise Forbidden(f"In {campaign.name}, {_ASK_THE_DM[gain]}.")
    repo = PendingRepository(session)
    full = pending_full(await repo.count_waiting(campaign.id), caps)
    if full is not None:
        raise CapReached(full)
    change = PendingChange(
        campaign_id=campaign.id,
        turn_id=None,
        requested_by=row.owner_id,
        tool=request.tool,
        arguments={"target": row.name, **request.arguments},
        summary=f"{request.summary} for {row.name}",
        status="pending",
    )
    repo.add(change)
    await session.flush()  # its number, for the reply
    return change


def waiting_reply(change: PendingChange | None) -> str:
    assert change is not None
    return (
        f"⏳ Asked the DM: {change.summary}. In a campaign a player's gains wait for the DM's approval "
        f"(`/dm approve change:{change.id}`); nothing changed yet."
    )
