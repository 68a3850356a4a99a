"""Who may see what of a campaign: a rule of the engine, like permissions.

Every record has an audience: the DM alone, the party (the DM and the players with a character in
the campaign), or the channel (anyone who can read it). Every read path (commands, recaps, session
summaries, exports, autocomplete, the narrator's prompt) asks for a `Viewer` and keeps only what the
viewer's role reaches. The rules per kind of record:

- pinned canon is the DM's unless the DM pins it `public` (a fact the DM pins is often the twist);
- an NPC the DM created is the DM's until the DM shows it; one the narrator introduced in a turn
  appeared in public narration; an NPC's secret is always the DM's;
- the narrator's settings (persona, model, bounds) are the DM's; lines and veils are the table's;
- events: the DM's canon, NPC and settings work is the DM's, changes waiting for approval are the
  party's, the rest of the story is the channel's. An event's `data["audience"]` overrides its kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Protocol, TypeVar


class Audience(IntEnum):
    """Who a record is for; a lower value is a narrower audience."""

    DM = 0
    PARTY = 1
    CHANNEL = 2


class Role(IntEnum):
    """Who is asking; a role sees every audience at or above its own value."""

    DM = 0
    PARTY = 1
    CHANNEL = 2


NAMES = {"dm": Audience.DM, "party": Audience.PARTY, "channel": Audience.CHANNEL}
DM_EVENT_KINDS = frozenset({"canon", "canon_removed", "settings"})
PARTY_EVENT_KINDS = frozenset({"pending", "approved", "denied"})


@dataclass(frozen=True)
class Viewer:
    user_id: int
    role: Role

    @property
    def is_dm(self) -> bool:
        return self.role is Role.DM

    def sees(self, audience: Audience) -> bool:
        return self.role <= audience


DM_VIEW = Viewer(0, Role.DM)  # the engine itself on the DM's behalf (the narrator's memory of its own campaign)
PUBLIC_VIEW = Viewer(0, Role.CHANNEL)  # what may be posted in the channel for everyone


def role_of(user_id: int, dm_id: int, party_owners: Iterable[int]) -> Role:
    if user_id == dm_id:
        return Role.DM
    return Role.PARTY if user_id in set(party_owners) else Role.CHANNEL


def label(audience: IntEnum) -> str:
    return audience.name.lower()


# --- one rule per kind of record -----------------------------------------------------------------


class CanonLike(Protocol):
    public: bool


class NpcLike(Protocol):
    public: bool


def canon_audience(fact: CanonLike) -> Audience:
    return Audience.CHANNEL if fact.public else Audience.DM


def npc_audience(npc: NpcLike) -> Audience:
    return Audience.CHANNEL if npc.public else Audience.DM


def event_audience(kind: str, turn_id: int | None, data: Mapping[str, Any] | None) -> Audience:
    named = (data or {}).get("audience")
    if isinstance(named, str) and named in NAMES:
        return NAMES[named]
    if kind in DM_EVENT_KINDS:
        return Audience.DM
    if kind == "npc" and turn_id is None:  # the DM's `/dm npc` work, not the narrator's introduction
        return Audience.DM
    return Audience.PARTY if kind in PARTY_EVENT_KINDS else Audience.CHANNEL


SETTINGS_AUDIENCE = Audience.DM
SECRET_AUDIENCE = Audience.DM


# --- filters -------------------------------------------------------------------------------------


class Audienced(Protocol):
    @property
    def audience(self) -> Audience: ...


A = TypeVar("A", bound=Audienced)


def visible(viewer: Viewer, records: Iterable[A]) -> list[A]:
    """The records (anything with an `audience`) the viewer may see, in order."""
    return [record for record in records if viewer.sees(record.audience)]


C = TypeVar("C", bound=CanonLike)
N = TypeVar("N", bound=NpcLike)


def visible_canon(viewer: Viewer, facts: Sequence[C]) -> list[C]:
    return [fact for fact in facts if viewer.sees(canon_audience(fact))]


def visible_npcs(viewer: Viewer, npcs: Sequence[N]) -> list[N]:
    return [npc for npc in npcs if viewer.sees(npc_audience(npc))]


def secret_for(viewer: Viewer, secret: str) -> str:
    return secret if viewer.sees(SECRET_AUDIENCE) else ""
