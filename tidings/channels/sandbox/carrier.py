"""The sandbox carrier: the embedded default channel, a virtual mobile network.

It implements :class:`tidings.channels.base.Channel` like any carrier, but
lives in the process: ``submit`` decides each message's fate from the number
(:mod:`.magic`) and schedules its delivery receipts, one per part, after a
realistic latency (uniform in ``latency_ms``, 20-200 ms by default).  The
receipts come back through ``ChannelEvents.on_reports`` in batches, like a
carrier's deliver_sm stream.

Delivery guarantee (docs/delivery-guarantee.md): ``confirms_in_transaction``.
The dispatcher calls :meth:`submit` inside the write transaction that records
the outcome, then :meth:`after_commit` (arms the receipts) or
:meth:`after_rollback` (forgets them).  A message is therefore "on the handset"
exactly when its ``submitted`` state is committed: a crash before the commit
loses the submit and the state together, a crash after it loses only pending
receipts, which :meth:`resume` re-arms on start-up from the database (like an
SMSC's persistent store).  Nothing is lost and nothing is submitted twice.

Its receipts name our message id and the part, so the pipeline stores no
carrier ids for it (``persists_carrier_ids`` is False).

Settings (``TIDINGS_EXTRA='{"sandbox": {...}}'``): ``latency_ms`` [min, max],
``slow_seconds``, ``handset_off_seconds``, ``throttle_attempts``,
``validity_seconds`` (the pipeline's expiry for sandbox messages).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass

from tidings.channels.base import TEXT, ChannelEvents, DeliveryReport, OutboundMessage, PendingMessage, SubmitResult
from tidings.timeutil import utcnow

from . import magic

log = logging.getLogger("tidings.sandbox")

NAME = "sandbox"


@dataclass(slots=True)
class SandboxConfig:
    latency_ms: tuple[float, float] = (20.0, 200.0)
    slow_seconds: float = 3.0
    handset_off_seconds: float = 5.0
    # Submits of the throttle magic number refused as transient before one is accepted.
    throttle_attempts: int = 2
    # The pipeline expires a sandbox message still unreported after this long.
    validity_seconds: float = 600.0
    report_batch: int = 2000
    # Receipts due within one tick go out together: one stored batch (one
    # write transaction) per tick instead of one per receipt that falls due.
    report_tick_ms: float = 50.0

    @classmethod
    def from_settings(cls, extra: dict | None) -> SandboxConfig:
        raw = dict((extra or {}).get("sandbox") or {})
        cfg = cls()
        if "latency_ms" in raw:
            lo, hi = raw.pop("latency_ms")
            cfg.latency_ms = (float(lo), float(hi))
        for key, value in raw.items():
            if hasattr(cfg, key):
                setattr(cfg, key, type(getattr(cfg, key))(value))
        return cfg


# A receipt waiting for its time: (due at, arrival order, report).  A plain
# tuple, so the heap compares in C (a dataclass's generated __lt__ builds two
# tuples per comparison, ~15 comparisons per receipt); the order is unique,
# so the report itself is never compared.
_Due = tuple[float, int, DeliveryReport]


def _final(b: magic.Behaviour) -> tuple[str, str]:
    """The receipt status of an accepted message."""
    if b.kind in (magic.REPORT_FAIL, magic.HANDSET_OFF):
        return b.code, b.desc
    return "DELIVRD", "delivered"


def _carrier_id(message_id: str, part: int) -> str:
    return f"sbx-{message_id}-{part}"


class SandboxCarrier:
    """A :class:`~tidings.channels.base.TransactionalChannel`."""

    name = NAME
    carries = frozenset({TEXT})
    confirms_in_transaction = True
    persists_carrier_ids = False
    unknown_policy: str | None = None  # a submit's outcome is never unknown here
    definition: tuple[object, ...] | None = None  # built in

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.validity_seconds: float | None = self.config.validity_seconds
        self._events: ChannelEvents | None = None
        self._heap: list[_Due] = []
        self._staged: dict[str, list[tuple[float, DeliveryReport]]] = {}
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._rng = random.Random()
        # Counters for stats and tests (this process only).
        self.submitted = 0
        self.refused = 0
        self.reported = 0

    # --- Channel -------------------------------------------------------------
    async def start(self, events: ChannelEvents) -> None:
        self._events = events
        if self._task is None:
            self._task = asyncio.create_task(self._deliver_loop(), name="sandbox:receipts")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def submit(self, batch: Sequence[OutboundMessage]) -> list[SubmitResult]:
        results: list[SubmitResult] = []
        loop_now = asyncio.get_running_loop().time()
        lo, hi = self.config.latency_ms
        uniform = self._rng.uniform
        now = utcnow()  # replaced by the delivery time when the receipt goes out
        for msg in batch:
            b = magic.behaviour(msg.destination)
            kind = b.kind
            if kind == magic.REFUSE:
                self.refused += 1
                results.append(SubmitResult(msg.message_id, False, error_code=b.code, error_desc=b.desc))
                continue
            if kind == magic.THROTTLE and msg.attempt <= self.config.throttle_attempts:
                results.append(SubmitResult(msg.message_id, False, error_code=b.code, error_desc=b.desc, transient=True))
                continue
            ids = [_carrier_id(msg.message_id, part) for part in range(1, msg.parts + 1)]
            results.append(SubmitResult(msg.message_id, True, carrier_message_ids=ids))
            self.submitted += 1
            if kind == magic.NO_REPORT:
                continue
            code, desc = _final(b)
            if kind == magic.HANDSET_OFF:
                delay = self.config.handset_off_seconds
            elif kind == magic.SLOW:
                delay = self.config.slow_seconds
            else:
                delay = uniform(lo, hi) / 1000.0
            self._staged[msg.message_id] = [
                (loop_now + delay, DeliveryReport(msg.message_id, cid, code, desc, now, NAME, part))
                for part, cid in enumerate(ids, 1)
            ]
        return results

    # --- the dispatcher's transaction hooks -------------------------------------
    def after_commit(self, message_ids: Sequence[str]) -> None:
        """The submits are committed: the handsets have them, arm the receipts."""
        armed = False
        for mid in message_ids:
            for at, report in self._staged.pop(mid, ()):
                heapq.heappush(self._heap, (at, next(self._order), report))
                armed = True
        if armed:
            self._wake.set()

    def after_rollback(self, message_ids: Sequence[str]) -> None:
        """The transaction failed: as far as anyone knows nothing was sent."""
        for mid in message_ids:
            self._staged.pop(mid, None)

    def resume(self, pending: Sequence[PendingMessage]) -> None:
        """Re-arm receipts for messages submitted before a restart (their
        receipts were in memory).  Parts already reported are skipped; the
        timing restarts from now."""
        loop_now = asyncio.get_running_loop().time()
        lo, hi = self.config.latency_ms
        for p in pending:
            b = magic.behaviour(p.destination)
            if b.kind in (magic.NO_REPORT, magic.REFUSE):
                continue
            code, desc = _final(b)
            if b.kind == magic.HANDSET_OFF:
                delay = max(0.0, self.config.handset_off_seconds - (utcnow() - p.submitted_at).total_seconds())
            elif b.kind == magic.SLOW:
                delay = self.config.slow_seconds
            else:
                delay = self._rng.uniform(lo, hi) / 1000.0
            for part in range(1, p.parts + 1):
                if part in p.reported_parts:
                    continue
                report = DeliveryReport(p.message_id, _carrier_id(p.message_id, part), code, desc, utcnow(), NAME, part)
                heapq.heappush(self._heap, (loop_now + delay, next(self._order), report))
        self._wake.set()

    # --- receipts ------------------------------------------------------------
    async def _deliver_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._heap:
                self._wake.clear()
                await self._wake.wait()
                continue
            wait = self._heap[0][0] - loop.time()
            if wait > 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), wait)
                except TimeoutError:
                    pass
                continue
            if self.config.report_tick_ms > 0:
                await asyncio.sleep(self.config.report_tick_ms / 1000.0)
            now = loop.time()
            due: list[DeliveryReport] = []
            done_at = utcnow()
            while self._heap and self._heap[0][0] <= now and len(due) < self.config.report_batch:
                report = heapq.heappop(self._heap)[2]
                report.done_at = done_at
                due.append(report)
            try:
                await self._events.on_reports(due)  # type: ignore[union-attr]  # events are set by start(), before any receipt is due
                self.reported += len(due)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Keep the receipts (a real SMSC redelivers unacknowledged ones).
                log.exception("storing %d sandbox receipts failed; retrying in 1s", len(due))
                retry_at = loop.time() + 1.0
                for report in due:
                    heapq.heappush(self._heap, (retry_at, next(self._order), report))
                await asyncio.sleep(1.0)

    # --- introspection -----------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._task is not None

    def is_up(self) -> bool:
        return True

    def pending_receipts(self) -> int:
        return len(self._heap)

    def stats(self) -> dict:
        return {"submitted": self.submitted, "refused": self.refused, "reported": self.reported, "pending_receipts": len(self._heap)}
