"""Carrier message ids and the receipts that arrive before theirs is known.

``message_carrier_ids`` maps (channel, carrier id) -> (message, part) for
channels whose receipts name only the carrier's id (``Channel.persists_carrier_ids``:
SMPP).  :func:`save` is the one place the ids are written: the dispatcher
calls it in the transaction that records the submit's outcome, so an id is
durable exactly when its message is ``submitted``.

:class:`CarrierIdStore` is what a channel's receipt matcher reads through
(tidings/channels/smpp/db_matcher.py): id lookups, and the parked receipts
(``smpp_parked_receipts``) that came before their id was known.  The
pipeline hands it to the channel, so the channel itself runs no SQL.

Every call is one statement batch in one transaction, in chunks under every
driver's parameter limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.store.db import Database
from tidings.store.dialect import affected, built_once, chunks, dialect_insert, executemany
from tidings.store.models.pipeline import CarrierId
from tidings.store.models.smpp import ParkedReceipt
from tidings.timeutil import utcnow

CHUNK = 1000  # ids per IN (...) and rows per multi-row INSERT

# (carrier_id, status, description, done_at) of a parked receipt
Parked = tuple[str, str, str, datetime]

_IDS = CarrierId.__table__
_PARKED = ParkedReceipt.__table__


async def save(session: AsyncSession, channel: str, rows: Sequence[tuple[str, str, int]], now: datetime) -> None:
    """(carrier_id, message_id, part) of accepted parts.  The newest issue of
    an id wins: an SMSC that restarts may count its ids from 1 again."""
    if not rows:
        return
    latest = {c: (m, s) for c, m, s in rows}  # one row per id and statement (PostgreSQL)
    values = [{"channel": channel, "carrier_id": c, "message_id": m, "seq": s, "created_at": now} for c, (m, s) in latest.items()]
    stmt = built_once(session, "carrier_ids", _upsert)
    for chunk in chunks(values, CHUNK):
        await executemany(session, stmt, chunk)


def _upsert(session: AsyncSession) -> Any:
    ins = dialect_insert(session, _IDS)
    return ins.on_conflict_do_update(index_elements=["channel", "carrier_id"], set_={
        "message_id": ins.excluded.message_id, "seq": ins.excluded.seq, "created_at": ins.excluded.created_at})


class CarrierIdStore:
    """One channel's carrier ids and parked receipts."""

    def __init__(self, db: Database, channel: str) -> None:
        self.db = db
        self.channel = channel
        t, p = _IDS, _PARKED
        self._lookup = select(t.c.carrier_id, t.c.message_id, t.c.seq).where(
            t.c.channel == channel, t.c.carrier_id.in_(bindparam("ids", expanding=True)))
        self._parked = (
            select(p.c.carrier_id, p.c.status, p.c.description, p.c.done_at)
            .where(p.c.channel == channel, p.c.carrier_id.in_(bindparam("ids", expanding=True)))
            .order_by(p.c.id)
        )
        self._unpark = delete(p).where(p.c.channel == channel, p.c.carrier_id.in_(bindparam("ids", expanding=True)))

    def __repr__(self) -> str:
        return f"CarrierIdStore({self.channel!r})"

    async def lookup(self, carrier_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        out: dict[str, tuple[str, int]] = {}
        async with self.db.read() as session:
            for chunk in chunks(carrier_ids, CHUNK):
                for cid, mid, seq in await session.execute(self._lookup, {"ids": list(chunk)}):
                    out[cid] = (mid, seq)
        return out

    async def park(self, receipts: Sequence[Parked]) -> None:
        now = utcnow()
        rows: list[dict[str, Any]] = [
            {"channel": self.channel, "carrier_id": cid, "status": status, "description": desc[:255], "done_at": done_at, "parked_at": now}
            for cid, status, desc, done_at in receipts
        ]
        async with self.db.write() as session:
            for chunk in chunks(rows, CHUNK):
                await session.execute(dialect_insert(session, _PARKED), chunk)

    async def parked(self, carrier_ids: Sequence[str]) -> list[Parked]:
        out: list[Parked] = []
        async with self.db.read() as session:
            for chunk in chunks(carrier_ids, CHUNK):
                out.extend((cid, status, desc, done_at) for cid, status, desc, done_at in await session.execute(self._parked, {"ids": list(chunk)}))
        return out

    async def parked_and_known(self, limit: int = 5000) -> list[Parked]:
        """Parked receipts of this channel whose carrier id is known by now."""
        stmt = (
            select(ParkedReceipt.carrier_id, ParkedReceipt.status, ParkedReceipt.description, ParkedReceipt.done_at)
            .join(CarrierId, (CarrierId.channel == ParkedReceipt.channel) & (CarrierId.carrier_id == ParkedReceipt.carrier_id))
            .where(ParkedReceipt.channel == self.channel)
            .order_by(ParkedReceipt.id)
            .limit(limit)
        )
        async with self.db.read() as session:
            return [(cid, status, desc, done_at) for cid, status, desc, done_at in await session.execute(stmt)]

    async def unpark(self, carrier_ids: Sequence[str]) -> None:
        async with self.db.write() as session:
            for chunk in chunks(carrier_ids, CHUNK):
                await session.execute(self._unpark, {"ids": list(chunk)})

    async def parked_count(self) -> int:
        async with self.db.read() as session:
            return (await session.execute(
                select(func.count()).select_from(ParkedReceipt).where(ParkedReceipt.channel == self.channel))).scalar_one()

    async def expire(self, before: datetime) -> tuple[int, int]:
        """Forget ids and parked receipts older than ``before``; (ids, parked) removed."""
        async with self.db.write() as session:
            ids = await affected(session, delete(CarrierId).where(CarrierId.channel == self.channel, CarrierId.created_at < before))
            parked = await affected(session, delete(ParkedReceipt).where(ParkedReceipt.channel == self.channel,
                                                                         ParkedReceipt.parked_at < before))
        return ids, parked
