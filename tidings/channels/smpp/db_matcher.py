"""The database-backed :class:`~tidings.channels.smpp.matcher.ReceiptMatcher`.

Carrier ids go to the pipeline's ``message_carrier_ids`` (channel, carrier_id)
-> (message_id, seq); receipts that arrive before their id is known go to
``smpp_parked_receipts``.  Everything is keyed by channel name, so two
carriers that both number their messages ``00000001`` never meet, and a
restarted process (or another worker bound to the same account) matches
receipts for messages an earlier one submitted.

Every call is one statement batch in one transaction: the channel's receipt
worker hands over everything that arrived since its last turn, so at 12,000
submits/s a turn is a few hundred ids and the database sees a handful of
statements per turn, not one per part.  Inserts ignore duplicates (``ON
CONFLICT DO UPDATE``): the dispatcher records the same ids with the
submit's outcome, and an SMSC that restarts may issue an old id again, for a
new message, which must then win.

Parked receipts are rare; to keep them off the hot path, :meth:`parked` only
queries when this process parked something (or at start-up found parked rows
left by an earlier run), and every ``sweep_interval`` it looks at every parked
row of the channel whose id is now known: that catches a receipt parked by
another worker process for an id this one remembered.  The sweep also expires
rows older than ``retention`` (a receipt later than that is not coming; its
message has long expired).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Sequence

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from tidings.channels.base import DeliveryReport
from tidings.store.db import Database
from tidings.store.models.pipeline import CarrierId
from tidings.store.models.smpp import ParkedReceipt
from tidings.timeutil import utcnow

from .matcher import Entry

log = logging.getLogger("tidings.smpp")

EXPIRY_INTERVAL = 600.0  # seconds between expiry passes
_CHUNK = 1000  # ids per IN (...) and rows per multi-row INSERT: under every driver's parameter limit


def _chunks(items: Sequence, size: int = _CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


class DbReceiptMatcher:
    def __init__(self, db: Database, channel: str, *, retention: timedelta = timedelta(days=7),
                 sweep_interval: float = 5.0) -> None:
        self.db = db
        self.channel = channel
        self.retention = retention
        self.sweep_interval = sweep_interval
        self._insert = sqlite.insert if db.is_sqlite else postgresql.insert
        # None: not looked yet (the first parked() call checks the table once).
        self._maybe_parked: bool | None = None
        self._next_sweep = time.monotonic() + sweep_interval
        self._next_expiry = 0.0
        self._match_stmt = (
            select(CarrierId.carrier_id, CarrierId.message_id, CarrierId.seq)
            .where(CarrierId.channel == channel, CarrierId.carrier_id.in_(bindparam("ids", expanding=True)))
        )
        self._parked_stmt = (
            select(ParkedReceipt.carrier_id, ParkedReceipt.status, ParkedReceipt.description, ParkedReceipt.done_at)
            .where(ParkedReceipt.channel == channel, ParkedReceipt.carrier_id.in_(bindparam("ids", expanding=True)))
            .order_by(ParkedReceipt.id)
        )

    def __repr__(self) -> str:
        return f"DbReceiptMatcher({self.channel!r})"

    async def remember(self, entries: Sequence[Entry]) -> None:
        if not entries:
            return
        now = utcnow()
        latest = {cid: (mid, part) for cid, mid, part in entries}  # one row per id and statement (PostgreSQL requires it)
        rows = [{"channel": self.channel, "carrier_id": cid, "message_id": mid, "seq": part, "created_at": now}
                for cid, (mid, part) in latest.items()]
        ins = self._insert(CarrierId)
        # The newest issue of an id wins: an SMSC that restarts may count its ids from 1 again.
        stmt = ins.on_conflict_do_update(index_elements=["channel", "carrier_id"], set_={
            "message_id": ins.excluded.message_id, "seq": ins.excluded.seq, "created_at": ins.excluded.created_at})
        async with self.db.write() as session:
            for chunk in _chunks(rows):
                await session.execute(stmt, chunk)

    async def match(self, carrier_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        if not carrier_ids:
            return {}
        out: dict[str, tuple[str, int]] = {}
        async with self.db.read() as session:
            for chunk in _chunks(list(dict.fromkeys(carrier_ids))):
                for cid, mid, seq in await session.execute(self._match_stmt, {"ids": chunk}):
                    out[cid] = (mid, seq)
        return out

    async def park(self, reports: Sequence[DeliveryReport]) -> None:
        if not reports:
            return
        now = utcnow()
        rows = [{"channel": self.channel, "carrier_id": r.carrier_message_id or "", "status": r.status,
                 "description": (r.description or "")[:255], "done_at": _naive(r.done_at), "parked_at": now}
                for r in reports]
        async with self.db.write() as session:
            for chunk in _chunks(rows):
                await session.execute(self._insert(ParkedReceipt), chunk)
        self._maybe_parked = True

    async def parked(self, carrier_ids: Sequence[str]) -> list[DeliveryReport]:
        if time.monotonic() >= self._next_sweep:
            return await self._sweep()
        if self._maybe_parked is None:
            self._maybe_parked = await self.parked_count() > 0
        if not self._maybe_parked or not carrier_ids:
            return []
        out: list[DeliveryReport] = []
        async with self.db.read() as session:
            for chunk in _chunks(list(dict.fromkeys(carrier_ids))):
                for cid, status, desc, done_at in await session.execute(self._parked_stmt, {"ids": chunk}):
                    out.append(DeliveryReport(None, cid, status, desc, done_at, self.channel))
        return out

    async def unpark(self, carrier_ids: Sequence[str]) -> None:
        if not carrier_ids:
            return
        stmt = delete(ParkedReceipt).where(ParkedReceipt.channel == self.channel,
                                           ParkedReceipt.carrier_id.in_(bindparam("ids", expanding=True)))
        async with self.db.write() as session:
            for chunk in _chunks(list(dict.fromkeys(carrier_ids))):
                await session.execute(stmt, {"ids": chunk})

    # ---- housekeeping --------------------------------------------------------

    async def parked_count(self) -> int:
        async with self.db.read() as session:
            return (await session.execute(
                select(func.count()).select_from(ParkedReceipt).where(ParkedReceipt.channel == self.channel))).scalar_one()

    async def _sweep(self) -> list[DeliveryReport]:
        """Every parked receipt of this channel whose id is known by now (the
        channel reports and unparks them), after expiring old rows."""
        self._next_sweep = time.monotonic() + self.sweep_interval
        if time.monotonic() >= self._next_expiry:
            self._next_expiry = time.monotonic() + EXPIRY_INTERVAL
            await self.expire()
        stmt = (
            select(ParkedReceipt.carrier_id, ParkedReceipt.status, ParkedReceipt.description, ParkedReceipt.done_at)
            .join(CarrierId, (CarrierId.channel == ParkedReceipt.channel) & (CarrierId.carrier_id == ParkedReceipt.carrier_id))
            .where(ParkedReceipt.channel == self.channel)
            .order_by(ParkedReceipt.id)
            .limit(5000)
        )
        async with self.db.read() as session:
            rows = (await session.execute(stmt)).all()
        self._maybe_parked = None  # look again at the next call: others may still be parked
        return [DeliveryReport(None, cid, status, desc, done_at, self.channel) for cid, status, desc, done_at in rows]

    async def expire(self, now: datetime | None = None) -> tuple[int, int]:
        """Forget ids and parked receipts older than ``retention``; (ids, parked) removed."""
        cutoff = (now or utcnow()) - self.retention
        async with self.db.write() as session:
            ids = await session.execute(delete(CarrierId).where(CarrierId.channel == self.channel, CarrierId.created_at < cutoff))
            parked = await session.execute(delete(ParkedReceipt).where(ParkedReceipt.channel == self.channel,
                                                                       ParkedReceipt.parked_at < cutoff))
        if parked.rowcount:
            log.warning("smpp %s: %d receipts never matched a submit in %s; dropped", self.channel, parked.rowcount, self.retention)
        return ids.rowcount or 0, parked.rowcount or 0


def _naive(dt: datetime) -> datetime:
    """Naive UTC, the storage convention."""
    return dt if dt.tzinfo is None else dt.astimezone(timezone.utc).replace(tzinfo=None)
