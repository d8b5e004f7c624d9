"""The persistent :class:`~tidings.channels.smpp.matcher.ReceiptMatcher`,
over a :class:`~tidings.channels.smpp.matcher.ReceiptStore` the pipeline
provides (``tidings.store.carrier_ids.CarrierIdStore``): this module runs no
SQL itself.

Carrier ids are written by the dispatcher, with the submit's outcome, in the
pipeline's carrier-id table (``Channel.persists_carrier_ids``): the one place
they are written, so an id is durable exactly when its message is
``submitted``.  This matcher reads them; receipts that arrive before their id
is known (before the submit_sm_resp is processed, at another worker, after a
restart) it parks through the store.  Everything is keyed by channel name, so
two carriers that both number their messages ``00000001`` never meet.

The hot path stays off the database where it can: :meth:`remember` keeps the
ids of this process's accepted parts in an LRU of ``cache_size``, at once (a
receipt often arrives before the dispatcher has recorded the submit), and
:meth:`match` asks the store only for the rest (receipts after a restart, or
for a submit another worker made); :meth:`parked` asks only for ids this
process parked, and every ``sweep_interval`` (and at the first call, for
receipts parked by an earlier run) for every parked receipt of the channel
whose id is known by now, which also catches a receipt parked by another
worker, or parked here before the dispatcher recorded its id.  The sweep
also expires rows older than ``retention`` (a receipt later than that is not
coming; its message has long expired).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from tidings.channels.base import DeliveryReport
from tidings.timeutil import utcnow

from .matcher import Entry, ReceiptStore

log = logging.getLogger("tidings.smpp")

EXPIRY_INTERVAL = 600.0  # seconds between expiry passes


class DbReceiptMatcher:
    def __init__(self, store: ReceiptStore, *, retention: timedelta = timedelta(days=7),
                 sweep_interval: float = 5.0, cache_size: int = 200_000) -> None:
        self.store = store
        self.channel = store.channel
        self.retention = retention
        self.sweep_interval = sweep_interval
        self.cache_size = cache_size
        # Ids this process remembered lately: most receipts come within seconds,
        # so they match here; the store answers for the rest (restarts, other workers).
        self._recent: OrderedDict[str, tuple[str, int]] = OrderedDict()
        # Ids this process parked and not yet reported; the sweep finds everyone else's.
        self._parked_ids: set[str] = set()
        self._next_sweep = 0.0  # the first call sweeps: receipts parked by an earlier run
        self._next_expiry = 0.0

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
            out.update(await self.store.lookup(missing))
        return out

    async def park(self, reports: Sequence[DeliveryReport]) -> None:
        if not reports:
            return
        rows = [(r.carrier_message_id or "", r.status, r.description or "", _naive(r.done_at)) for r in reports]
        await self.store.park(rows)
        self._parked_ids.update(row[0] for row in rows)

    async def parked(self, carrier_ids: Sequence[str]) -> list[DeliveryReport]:
        if time.monotonic() >= self._next_sweep:
            return await self._sweep()
        mine = [cid for cid in dict.fromkeys(carrier_ids) if cid in self._parked_ids]
        if not mine:
            return []
        return [DeliveryReport(None, cid, status, desc, done_at, self.channel) for cid, status, desc, done_at in await self.store.parked(mine)]

    async def unpark(self, carrier_ids: Sequence[str]) -> None:
        if not carrier_ids:
            return
        await self.store.unpark(list(dict.fromkeys(carrier_ids)))
        self._parked_ids.difference_update(carrier_ids)

    # ---- housekeeping --------------------------------------------------------

    async def parked_count(self) -> int:
        return await self.store.parked_count()

    async def _sweep(self) -> list[DeliveryReport]:
        """Every parked receipt of this channel whose id is known by now (the
        channel reports and unparks them), after expiring old rows."""
        self._next_sweep = time.monotonic() + self.sweep_interval
        if time.monotonic() >= self._next_expiry:
            self._next_expiry = time.monotonic() + EXPIRY_INTERVAL
            await self.expire()
        rows = await self.store.parked_and_known()
        return [DeliveryReport(None, cid, status, desc, done_at, self.channel) for cid, status, desc, done_at in rows]

    async def expire(self, now: datetime | None = None) -> tuple[int, int]:
        """Forget ids and parked receipts older than ``retention``; (ids, parked) removed."""
        ids, parked = await self.store.expire((now or utcnow()) - self.retention)
        if parked:
            log.warning("smpp %s: %d receipts never matched a submit in %s; dropped", self.channel, parked, self.retention)
        return ids, parked


def _naive(dt: datetime) -> datetime:
    """Naive UTC, the storage convention."""
    return dt if dt.tzinfo is None else dt.astimezone(UTC).replace(tzinfo=None)
