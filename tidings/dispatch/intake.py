"""What comes back from the channels: delivery reports and uplinks.

:class:`Intake` implements ``ChannelEvents``.  A channel awaits it before it
acknowledges anything to its carrier, so an acknowledged report is a stored
one.  Each call is one write transaction:

* reports: matched to messages by our id (each channel maps its carrier's
  ids to ours and names the part), one entry per part in ``part_reports``
  (a repeated part report is ignored, so redelivered receipts change nothing),
  the message's final status once every part is reported, one receipt per
  new part report (built by the message's product) into the callback outbox, and the delivered
  parts into the meter stream (the events the message's product names);
* uplinks: stored, routed by the destination number to its owner (the first
  installed product whose ``Product.uplinks`` claims it; SMS: the application
  holding the number) and, when the owner has a URL, enqueued to it in the
  product's format.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.callbacks.outbox import enqueue_uplink
from tidings.callbacks.receipts import ReceiptBatch, receipt_builders
from tidings.channels.base import DeliveryReport, Uplink
from tidings.context import AppContext
from tidings.meters import stream as meters
from tidings.product import UplinkOwner, Uplinks
from tidings.store import messages as store
from tidings.store.dialect import is_deadlock
from tidings.store.models.pipeline import DELIVERED, EXPIRED, FAILED, FINAL

log = logging.getLogger("tidings.dispatch")

DELIVRD = "DELIVRD"
DEADLOCK_RETRIES = 3


def final_status(codes: list[str]) -> tuple[str, str]:
    """(message status, status code) once every part is reported: delivered
    only if every part was; otherwise the first failing part's code."""
    for code in codes:
        if code != DELIVRD:
            return (EXPIRED if code == "EXPIRED" else FAILED), code
    return DELIVERED, DELIVRD


def _part(seq: int, code: str, desc: str, at: datetime) -> dict[str, Any]:
    return {"seq": seq, "status": code, "desc": desc, "at": at.isoformat(timespec="milliseconds")}


def part_seq(row: Any, report: DeliveryReport, taken: set[int]) -> int:
    """Which part a report is for: the one its channel named, else the first
    part not yet reported."""
    if report.part:
        return report.part
    n = 1
    while n in taken:
        n += 1
    return n


class Intake:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.receipts = receipt_builders(ctx.products)
        self.meters = {p.name: p.meter_delivered for p in ctx.products if p.meter_delivered is not None}
        self.unmatched = 0
        self.duplicates = 0
        self.stored = 0

    # --- reports -----------------------------------------------------------------
    async def on_reports(self, reports: Sequence[DeliveryReport]) -> None:
        if not reports:
            return
        for attempt in range(1, DEADLOCK_RETRIES + 1):
            try:
                async with self.ctx.db.write() as session:
                    await self._store_reports(session, reports)
                return
            except DBAPIError as exc:
                # PostgreSQL broke a lock cycle by rolling this transaction back:
                # nothing was stored, so storing again is safe.  Answering the
                # carrier with an error instead would lose the receipts of every
                # SMSC that does not redeliver.
                if not is_deadlock(exc) or attempt == DEADLOCK_RETRIES:
                    raise
                log.warning("report batch of %d deadlocked (attempt %d); storing it again", len(reports), attempt)

    async def _store_reports(self, session: AsyncSession, reports: Sequence[DeliveryReport]) -> None:
        rows = await store.load_for_reports(session, list({r.message_id for r in reports if r.message_id}))

        parts_of: dict[str, list[dict[str, Any]]] = {}
        receipts = ReceiptBatch(self.receipts)
        touched: dict[str, Any] = {}
        # Single-part messages (nearly all) are final with their one report:
        # they are grouped by outcome and finalized with one UPDATE per group.
        alike: dict[tuple[str, str, datetime], list[str]] = defaultdict(list)
        billed: list[meters.MeterEvent] = []
        for r in reports:
            mid = r.message_id
            row = rows.get(mid) if mid else None
            if mid is None or row is None:
                self.unmatched += 1
                log.warning("report %s/%s on %s matches no message", r.message_id, r.carrier_message_id, r.channel)
                continue
            if row.status in FINAL:
                self.duplicates += 1
                continue
            if row.parts == 1 and not row.part_reports and mid not in parts_of:
                parts_of[mid] = []  # marks it taken: a second report for it is a duplicate
                alike[(r.status, r.description, r.done_at)].append(mid)
                receipts.add(row, seq=1, total=1, status=r.status, desc=r.description, send_time=row.submitted_at, receive_time=r.done_at)
                if r.status == DELIVRD and (meter := self.meters.get(row.product)):
                    billed.extend(meter(row, parts=1, at=r.done_at))
                continue
            parts = parts_of.get(mid)
            if parts is None:
                parts = parts_of[mid] = list(row.part_reports or [])
            elif row.parts == 1:
                self.duplicates += 1
                continue
            taken = {p["seq"] for p in parts}
            seq = part_seq(row, r, taken)
            if seq in taken or seq > row.parts:
                self.duplicates += 1
                continue
            parts.append(_part(seq, r.status, r.description, r.done_at))
            touched[mid] = row
            receipts.add(row, seq=seq, total=row.parts, status=r.status, desc=r.description, send_time=row.submitted_at, receive_time=r.done_at)

        updates: list[store.ReportUpdate] = []
        for mid, row in touched.items():
            parts = parts_of[mid]
            if len(parts) >= row.parts:
                parts.sort(key=lambda p: p["seq"])
                status, code = final_status([p["status"] for p in parts])
                desc = next((p["desc"] for p in parts if p["status"] == code), "")
                reported = max(datetime.fromisoformat(p["at"]) for p in parts)
                updates.append(store.ReportUpdate(mid, status, code, desc[:255], reported, parts, None))
                delivered = sum(1 for p in parts if p["status"] == DELIVRD)
                if delivered and (meter := self.meters.get(row.product)):
                    billed.extend(meter(row, parts=delivered, at=reported))
            else:
                updates.append(store.ReportUpdate(mid, row.status, None, None, None, parts, row.next_attempt_at))
        for (code, desc, done_at), ids in alike.items():
            status, code = final_status([code])
            part = _part(1, code, desc, done_at)
            await store.finalize_alike(session, ids, status, code, desc[:255], done_at, [part])
        await store.record_reports(session, updates)
        await receipts.enqueue(session)
        await meters.record(session, billed)
        self.stored += len(updates) + sum(len(v) for v in alike.values())

    # --- uplinks -----------------------------------------------------------------
    async def on_uplinks(self, uplinks: Sequence[Uplink]) -> None:
        await store_uplinks(self.ctx, uplinks)


def intake_of(ctx: AppContext) -> Intake:
    """This process's intake (the workers'), or one for a process that runs no
    channels but takes uplinks (the phone pages of ``tidings api``, the CLI)."""
    return ctx.intake or Intake(ctx)


async def store_uplinks(ctx: AppContext, uplinks: Sequence[Uplink]) -> list[str]:
    """Store, route and enqueue uplinks; returns their ids (SMS's ``smsMsgId``)."""
    if not uplinks:
        return []
    ids = [u.id or str(uuid.uuid4()) for u in uplinks]
    routes = [p.uplinks for p in ctx.products if p.uplinks is not None]
    owners: dict[str, tuple[Uplinks, UplinkOwner]] = {}
    async with ctx.db.read() as session:
        for destination in {u.destination for u in uplinks}:
            for route in routes:
                owner = await route.owner(session, destination)
                if owner is not None:
                    owners[destination] = (route, owner)
                    break
    rows: list[dict[str, Any]] = []
    for uid, u in zip(ids, uplinks, strict=True):
        found = owners.get(u.destination)
        owner = found[1] if found else None
        status = "unrouted" if owner is None else ("routed" if owner.url else "no_url")
        rows.append(
            {
                "id": uid,
                "tenant_id": owner.tenant_id if owner else None,
                "app_id": owner.owner_id if owner else None,
                "source": u.source,
                "destination": u.destination,
                "text": u.text,
                "channel": u.channel,
                "carrier_ref": u.carrier_ref,
                "status": status,
                "received_at": u.received_at,
            }
        )
    async with ctx.db.write() as session:
        await store.insert_uplinks(session, rows)
        for row, u in zip(rows, uplinks, strict=True):
            if row["status"] == "routed":
                route, owner = owners[u.destination]
                await enqueue_uplink(session, owner.tenant_id, route.kind, owner.url or "", route.form(row["id"], u), row["id"])
    for row in rows:
        if row["status"] == "unrouted":
            log.warning("uplink %s to %s: no product owns that number; stored, not forwarded", row["id"], row["destination"])
    return ids
