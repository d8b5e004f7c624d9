"""Receipt matching: carrier message id -> our message id.

A receipt names only the SMSC's message id.  The channel remembers, for each
accepted part, ``(carrier_id, message_id, part)`` and looks receipts up by
carrier id.  A receipt can arrive before we know its id: before its
submit_sm_resp has been processed, on another session of a tx+rx pair, or
after a restart.  Such a receipt is **parked** (stored, and acknowledged to the
SMSC once stored) and matched when its id is remembered; it is never dropped.

The interface is async and batch-shaped so a database-backed implementation
(one per channel, keyed by channel name + carrier id) can do one round trip per
batch.  The database-backed one (:mod:`.db_matcher`) remembers in memory and
reads the ids the dispatcher stored with each submit's outcome.  Carrier ids are in :func:`tidings.channels.smpp.receipt.canonical_id`
form.  :class:`InMemoryReceiptMatcher` is the implementation for tests and
single-process use; it forgets everything on restart.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from tidings.channels.base import DeliveryReport

Entry = tuple[str, str, int]  # (carrier_id, our message_id, part number from 1)
Parked = tuple[str, str, str, datetime]  # (carrier_id, status, description, done_at) of a parked receipt


class ReceiptStore(Protocol):
    """What a persistent matcher reads and parks through, provided by the
    pipeline (tidings.store.carrier_ids.CarrierIdStore): the carrier ids the
    dispatcher stored with each submit's outcome, and the receipts parked
    before their id was known.  All of one channel."""

    channel: str

    async def lookup(self, carrier_ids: Sequence[str]) -> dict[str, tuple[str, int]]: ...

    async def park(self, receipts: Sequence[Parked]) -> None: ...

    async def parked(self, carrier_ids: Sequence[str]) -> list[Parked]: ...

    async def parked_and_known(self, limit: int = 5000) -> list[Parked]: ...

    async def unpark(self, carrier_ids: Sequence[str]) -> None: ...

    async def parked_count(self) -> int: ...

    async def expire(self, before: datetime) -> tuple[int, int]: ...


class ReceiptMatcher(Protocol):
    async def remember(self, entries: Sequence[Entry]) -> None:
        """Make the carrier ids of accepted parts matchable at once."""

    async def match(self, carrier_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """carrier_id -> (message_id, part) for the ids known; unknown ids are absent."""

    async def park(self, reports: Sequence[DeliveryReport]) -> None:
        """Store receipts whose carrier id is not known yet (message_id None)."""

    async def parked(self, carrier_ids: Sequence[str]) -> list[DeliveryReport]:
        """Parked receipts for these carrier ids (they stay parked until unpark)."""

    async def unpark(self, carrier_ids: Sequence[str]) -> None:
        """Forget parked receipts once they have been reported."""


class InMemoryReceiptMatcher:
    def __init__(self, max_entries: int = 2_000_000) -> None:
        self._known: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._parked: dict[str, list[DeliveryReport]] = {}
        self._max = max_entries

    def __len__(self) -> int:
        return len(self._known)

    @property
    def parked_count(self) -> int:
        return sum(len(v) for v in self._parked.values())

    async def remember(self, entries: Sequence[Entry]) -> None:
        known = self._known
        for carrier_id, message_id, part in entries:
            known[carrier_id] = (message_id, part)
        while len(known) > self._max:  # oldest first; their late receipts will park
            known.popitem(last=False)

    async def match(self, carrier_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        known = self._known
        return {cid: known[cid] for cid in carrier_ids if cid in known}

    async def park(self, reports: Sequence[DeliveryReport]) -> None:
        for report in reports:
            self._parked.setdefault(report.carrier_message_id or "", []).append(report)

    async def parked(self, carrier_ids: Sequence[str]) -> list[DeliveryReport]:
        if not self._parked:
            return []
        out: list[DeliveryReport] = []
        for cid in carrier_ids:
            out.extend(self._parked.get(cid, ()))
        return out

    async def unpark(self, carrier_ids: Sequence[str]) -> None:
        for cid in carrier_ids:
            self._parked.pop(cid, None)
