"""`/campaign export`, bounded: one export at a time per campaign, the log read in keyset pages, the files
written to a temporary folder a page at a time in a worker thread, and refused past the host's cap.

Memory is flat in the number of events (one page of rows and one page of text at a time); the event loop
only awaits (each page is one short read on the pool, each write runs in a thread).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.engine.campaign_export import ExportFiles, ExportRow, ExportWriter
from bot.engine.campaign_info import info_of
from bot.engine.campaigns import CampaignService
from bot.engine.leases import Leases
from bot.engine.sheet import Actor, to_sheet
from bot.engine.visibility import visible_canon, visible_npcs
from persistence.repositories import CanonRepository, EventRepository, NpcRepository, PartyRepository


@dataclass(frozen=True)
class ExportLimits:
    max_bytes: int = 50 * 2**20  # both files together (EXPORT_MAX_MB)
    page: int = 500  # events read and written at a time


class CampaignExporter:
    def __init__(self, campaigns: CampaignService, leases: Leases, limits: ExportLimits | None = None) -> None:
        self.campaigns = campaigns
        self.leases = leases
        self.limits = limits or ExportLimits()

    @asynccontextmanager
    async def files(self, actor: Actor) -> AsyncIterator[ExportFiles]:
        """What the actor may read of the campaign, as Markdown and JSON files on disk for the block (deleted
        after): everything for its DM; for a player of the party the story, the party, the public canon and
        NPCs (no secrets, no narrator settings); for anyone else in the channel only what the channel reads.
        A second export of the same campaign while one runs (here or in another process) is refused."""
        reads = self.campaigns.reads
        async with reads.session() as session:
            row = await self.campaigns.row_here(session, actor)
            viewer = await self.campaigns.viewer(session, row, actor)
            info = info_of(row, self.campaigns.defaults)
            canon = [f.text for f in visible_canon(viewer, await CanonRepository(session).of(row.id))]
            npcs = [
                (n.name, n.role, n.description, n.secret if viewer.is_dm else "")
                for n in visible_npcs(viewer, await NpcRepository(session).of(row.id))
            ]
            party = [to_sheet(c) for c in await PartyRepository(session).members(row.id)]
        async with self.leases.hold(info.id, "export", wait=0):
            with tempfile.TemporaryDirectory(prefix="dmbot-export-") as folder:
                writer = ExportWriter(Path(folder), info, viewer, self.limits.max_bytes)
                try:
                    await asyncio.to_thread(writer.begin, canon, npcs, party)
                    after = 0
                    while True:
                        async with reads.session() as session:  # one short read a page: no connection held between
                            page = await EventRepository(session).page(info.id, after, self.limits.page)
                        if not page:
                            break
                        rows = [ExportRow(*r) for r in page]
                        await asyncio.to_thread(writer.add, rows)
                        after = rows[-1].id
                    done = await asyncio.to_thread(writer.end)
                finally:
                    writer.close()
                yield done
