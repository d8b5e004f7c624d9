"""The database-backed :class:`~tidings.channels.smpp.matcher.ReceiptMatcher`.

Carrier ids are written by the dispatcher, with the submit's outcome, in
the pipeline's ``message_carrier_ids`` (channel, carrier_id) -> (message_id,
part) (``Channel.persists_carrier_ids``): the one place they are written, so
an id is durable exactly when its message is ``submitted``.  This matcher
reads them; receipts that arrive before their id is known (before the
submit_sm_resp is processed, at another worker, after a restart) it parks in
``smpp_parked_receipts`` (its own table: the exception base.py names).
Everything is keyed by channel name, so two carriers that both number their
messages ``00000001`` never meet.

The hot path stays off the database where it can: :meth:`remember` keeps the
ids of this process's accepted parts in an LRU of ``cache_size``, at once
(a receipt often arrives before the dispatcher has recorded the submit), and
:meth:`match` asks the database only for the rest (receipts after a restart,
or for a submit another worker made); :meth:`parked` queries only for ids
this process parked, and every ``sweep_interval`` (and at the first call,
for receipts parked by an earlier run) it looks at every parked row of the
channel whose id is known by now, which also catches a receipt parked by
another worker, or parked here before the dispatcher recorded its id.  The
sweep also expires rows older than ``retention`` (a receipt later than that
is not coming; its message has long expired).

Every call is one statement batch in one transaction: the channel's receipt
worker hands over everything that arrived since its last turn.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from tidings.channels.base import DeliveryReport
from tidings.store.db import Database
from tidings.store.dialect import affected, chunks
from tidings.store.models.pipeline import CarrierId
from tidings.store.models.smpp import ParkedReceipt
from tidings.timeutil import utcnow

from .matcher import Entry

log = logging.getLogger("tidings.smpp")

EXPIRY_INTERVAL = 600.0  # seconds between expiry passes
_CHUNK = 1000  # ids per IN (...) and rows per multi-row INSERT: under every driver's parameter limit


def _chunks(items: Sequence, size: int = _CHUNK):
    return chunks(items, size)


class DbReceiptMatcher:
    def __init__(self, db: Database, channel: str, *, retention: timedelta = timedelta(days=7),
                 sweep_interval: float = 5.0, cache_size: int = 200_000) -> None:
        self.db = db
        self.channel = channel
        self.retention = retention
        self.sweep_interval = sweep_interval
        self.cache_size = cache_size
        self._insert = sqlite.insert if db.is_sqlite else postgresql.insert
        self._ids = CarrierId.__table__
        self._parked_t = ParkedReceipt.__table__
        # Ids this process remembered lately: most receipts come within seconds,
        # so they match here; the database answers for the rest (restarts, other workers).
        self._recent: OrderedDict[str, tuple[str, int]] = OrderedDict()
        # Ids this process parked and not yet reported; the sweep finds everyone else's.
        self._parked_ids: set[str] = set()
        self._next_sweep = 0.0  # the first call sweeps: receipts parked by an earlier run
        self._next_expiry = 0.0
        t, p = self._ids, self._parked_t
        self._match_stmt = (
            select(t.c.carrier_id, t.c.message_id, t.c.seq)
            .where(t.c.channel == channel, t.c.carrier_id.in_(bindparam("ids", expanding=True)))
        )
        self._parked_stmt = (
            select(p.c.carrier_id, p.c.status, p.c.description, p.c.done_at)
            .where(p.c.channel == channel, p.c.carrier_id.in_(bindparam("ids", expanding=True)))
            .order_by(p.c.id)
        )

    def __repr__(self) -> str:
        return f"DbReceiptMatcher({self.channel!r})"

    async def remember(self, entries: Sequence[Entry]) -> None:
        """Matchable at once, from memory (the dispatcher stores them durably)."""
        recent = self._recent
        for cid, mid, part in entries:
            recent[cid] = (mid, part)
            recent.move_to_end(cid)
        while len(recent) > self.cache_size:
            recent.popitem(last=False)

    async def match(self, carrier_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        if not carrier_ids:
            return {}
        recent = self._recent
        out: dict[str, tuple[str, int]] = {}
        missing: list[str] = []
        for cid in dict.fromkeys(carrier_ids):
            hit = recent.get(cid)
            if hit is None:
                missing.append(cid)
            else:
                out[cid] = hit
        if missing:
            async with self.db.read() as session:
                for chunk in _chunks(missing):
                    for cid, mid, seq in await session.execute(self._match_stmt, {"ids": chunk}):
                        out[cid] = (mid, seq)
        return out

    async def park(self, reports: Sequence[DeliveryReport]) -> None:
        if not reports:
            return
        now = utcnow()
        rows: list[dict[str, Any]] = [{"channel": self.channel, "carrier_id": r.carrier_message_id or "", "status": r.status,
                 "description": (r.description or "")[:255], "done_at": _naive(r.done_at), "parked_at": now}
                for r in reports]
        async with self.db.write() as session:
            for chunk in _chunks(rows):
                await session.execute(self._insert(self._parked_t), chunk)
        self._parked_ids.update(str(r["carrier_id"]) for r in rows)

    async def parked(self, carrier_ids: Sequence[str]) -> list[DeliveryReport]:
        if time.monotonic() >= self._next_sweep:
            return await self._sweep()
        mine = [cid for cid in dict.fromkeys(carrier_ids) if cid in self._parked_ids]
        if not mine:
            return []
        out: list[DeliveryReport] = []
        async with self.db.read() as session:
            for chunk in _chunks(mine):
                for cid, status, desc, done_at in await session.execute(self._parked_stmt, {"ids": chunk}):
                    out.append(DeliveryReport(None, cid, status, desc, done_at, self.channel))
        return out

    async def unpark(self, carrier_ids: Sequence[str]) -> None:
        if not carrier_ids:
            return
        p = self._parked_t
        stmt = delete(p).where(p.c.channel == self.channel, p.c.carrier_id.in_(bindparam("ids", expanding=True)))
        async with self.db.write() as session:
            for chunk in _chunks(list(dict.fromkeys(carrier_ids))):
                await session.execute(stmt, {"ids": chunk})
        self._parked_ids.difference_update(carrier_ids)

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
        return [DeliveryReport(None, cid, status, desc, done_at, self.channel) for cid, status, desc, done_at in rows]

    async def expire(self, now: datetime | None = None) -> tuple[int, int]:
        """Forget ids and parked receipts older than ``retention``; (ids, parked) removed."""
        cutoff = (now or utcnow()) - self.retention
        async with self.db.write() as session:
            ids = await affected(session, delete(CarrierId).where(CarrierId.channel == self.channel, CarrierId.created_at < cutoff))
            parked = await affected(session, delete(ParkedReceipt).where(ParkedReceipt.channel == self.channel,
                                                                         ParkedReceipt.parked_at < cutoff))
        if parked:
            log.warning("smpp %s: %d receipts never matched a submit in %s; dropped", self.channel, parked, self.retention)
        return ids, parked


def _naive(dt: datetime) -> datetime:
    """Naive UTC, the storage convention."""
    return dt if dt.tzinfo is None else dt.astimezone(UTC).replace(tzinfo=None)
