"""The material sweeper: once a day per cluster, delete materials no live
template has used for ``aim_material_idle_days`` (cards.md §7), rows and
bytes, whether or not the tenant moved them to the recycle bin (where they
stay counted until then).

"Once per cluster": every process running it tries to insert the day's row
in ``aim_material_sweeps``; the primary key lets one win, the others skip
the day.  The row records who swept, when, and what it freed.  A material
referenced by a live (not deleted) template counts as used at every sweep.

Rows are deleted before their bytes: a crash in between leaves bytes without
a row (space on disk, never a dangling reference).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from tidings.aim import queries
from tidings.context import AppContext
from tidings.store.models.aim import AimMaterial, AimMaterialSweep
from tidings.timeutil import utcnow

log = logging.getLogger("tidings.aim.sweeper")


@dataclass
class SweepResult:
    day: str
    ran: bool
    purged: int = 0
    freed_bytes: int = 0


async def sweep_once(ctx: AppContext, *, worker: str | None = None, batch: int = 500) -> SweepResult:
    now = utcnow()
    day = now.strftime("%Y-%m-%d")
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    try:
        async with ctx.db.write() as session:
            session.add(AimMaterialSweep(day=day, worker=worker[:64], started_at=now))
    except IntegrityError:
        return SweepResult(day, ran=False)
    result = SweepResult(day, ran=True)
    files = ctx.storage
    while True:
        async with ctx.db.write() as session:
            candidates = await queries.idle_materials(session, now, ctx.settings.aim_material_idle_days, limit=batch)
            if not candidates:
                break
            tenants = {m.tenant_id for m in candidates}
            used = await queries.live_references(session, tenants)
            keep = [m.id for m in candidates if m.deleted_at is None and m.aim_resource_id in used]
            purge = [m for m in candidates if m.id not in keep]
            if keep:
                await session.execute(update(AimMaterial).where(AimMaterial.id.in_(keep)).values(last_used_at=now))
            videos = [m.id for m in purge if m.resource_type == "video"]
            if videos:
                purging = {m.id for m in purge}
                covers = (await session.execute(select(AimMaterial).where(AimMaterial.video_id.in_(videos)))).scalars()
                purge += [c for c in covers if c.id not in purging]
            if purge:
                await session.execute(delete(AimMaterial).where(AimMaterial.id.in_([m.id for m in purge])))
        for m in purge:
            await files.delete(m.storage_key)
        result.purged += len(purge)
        result.freed_bytes += sum(m.size for m in purge)
        if len(candidates) < batch:
            break
    async with ctx.db.write() as session:
        row = await session.get(AimMaterialSweep, day)
        if row is not None:
            row.finished_at, row.purged, row.freed_bytes = utcnow(), result.purged, result.freed_bytes
    log.info("material sweep %s: %d purged, %d bytes freed", day, result.purged, result.freed_bytes)
    return result


class MaterialSweeper:
    """Background service: tries the day's sweep every ``interval`` seconds."""

    name = "aim:material-sweeper"
    interval = 3600.0

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await sweep_once(self.ctx)
            except Exception:
                log.exception("material sweep failed")
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except TimeoutError:
                pass
