"""The dispatcher: one service per channel that claims that channel's due
messages in batches, submits them and records the outcome.

Two paths, chosen by the channel's ``confirms_in_transaction``:

* **in transaction** (the sandbox): claim, submit and record in one write
  transaction; then ``after_commit`` (or ``after_rollback``) tells the channel
  which submits became real.  A crash anywhere loses nothing and duplicates
  nothing: before the commit nothing happened, after it everything did.
* **remote** (SMPP and later carriers): a short transaction claims the batch
  and marks it ``submitting`` with a lease; the submit goes over the network
  outside any transaction; a second transaction records the results.  If the
  process dies in between, the lease runs out and recovery marks the messages
  ``unknown``; the channel's policy (``dispatch.unknown_policy``; at-least-once
  ``resubmit`` by default, or ``fail``) then sends them again or fails them
  with status code ``UNKNOWN``.  Either way they are counted (log line, the
  ``unknown`` stat) and visible in the message log (status, attempts).

Outcomes: accepted → ``submitted`` (its ``next_attempt_at`` becomes the
expiry time); refused → ``failed`` with the carrier code and an AIM receipt;
transient → back to ``queued`` with exponential backoff and jitter, failed
after ``max_attempts`` or when the next try would fall past the validity;
unknown → ``unknown``.  Messages past their validity are ``expired`` whether
still queued or submitted and unreported (the expiry sweep), with a receipt.

On SQLite the dispatcher runs in the one process that writes (``tidings
serve``); on PostgreSQL any number of ``tidings worker`` processes run it side
by side, the claim using ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from tidings.callbacks.receipts import ReceiptBatch, receipt_builders
from tidings.channels.base import Channel, OutboundMessage, SubmitResult, TransactionalChannel
from tidings.channels.published import StatePublisher
from tidings.channels.registry import ChannelRegistry, RouteRequest, registry_of
from tidings.channels.routing import enabled_channels
from tidings.context import AppContext
from tidings.dispatch.config import FAIL, DispatchConfig
from tidings.dispatch.holders import ReceiptHolding
from tidings.dispatch.intake import Intake
from tidings.store import carrier_ids
from tidings.store import messages as store
from tidings.store.models.pipeline import EXPIRED, FAILED, QUEUED, SUBMITTED, UNKNOWN, MessageStatus
from tidings.timeutil import utcnow

if TYPE_CHECKING:
    from tidings.runtime import Service

log = logging.getLogger("tidings.dispatch")

EXPIRED_CODE = "EXPIRED"
EXPIRED_DESC = "not delivered within the validity period"


def wake(ctx: AppContext) -> None:
    """Start this process's dispatchers at once (the send path, after its commit)."""
    ctx.dispatch_wake.set()


class Dispatcher:
    def __init__(self, ctx: AppContext, channel: Channel, config: DispatchConfig, loop_index: int = 0) -> None:
        self.ctx = ctx
        self.receipts = receipt_builders(ctx.products)
        self.channel = channel
        self.config = config
        self.name = f"dispatch:{channel.name}" + (f"#{loop_index}" if loop_index else "")
        self.loop_index = loop_index
        self.in_tx = channel.confirms_in_transaction
        self.keep_carrier_ids = channel.persists_carrier_ids
        self.validity = timedelta(seconds=float(channel.validity_seconds or config.validity_seconds))
        # The channel's own setting (SMPP channel definitions) wins over dispatch.unknown_policy.
        self.policy = channel.unknown_policy or config.policy_for(channel.name)
        self._rng = random.Random()
        self._next_sweep = 0.0
        self.stats = {"submitted": 0, "failed": 0, "retried": 0, "expired": 0, "unknown": 0}

    # --- service ---------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        if self.loop_index == 0:
            await self.recover()
        wake = self.ctx.dispatch_wake
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            if loop.time() >= self._next_sweep:
                self._next_sweep = loop.time() + self.config.expiry_interval
                await self.sweep()
            done = await self.step()
            if done:
                continue
            wake.clear()
            waiter = asyncio.ensure_future(wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=self.config.poll_interval, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()

    # --- one batch -----------------------------------------------------------------
    async def step(self) -> int:
        return await (self._step_in_tx() if self.in_tx else self._step_remote())

    def _outbound(self, rows: Sequence[Any]) -> list[OutboundMessage]:
        return [
            OutboundMessage(
                message_id=r.id,
                tenant_id=r.tenant_id,
                source=r.channel_num,
                destination=r.number,
                text=r.text,
                parts=r.parts,
                product=r.product,
                attempt=r.attempts + 1,
            )
            for r in rows
        ]

    @property
    def transactional(self) -> TransactionalChannel:
        assert self.in_tx, self.channel.name
        return self.channel  # type: ignore[return-value]  # confirms_in_transaction promises the extension

    async def _step_in_tx(self) -> int:
        ch = self.transactional
        staged: list[str] = []
        try:
            async with self.ctx.db.write() as session:
                now = utcnow()
                rows = await store.claim_due(session, ch.name, now, self.config.batch_size)
                if not rows:
                    return 0
                live, late = self._split_expired(rows, now)
                results = await ch.submit(self._outbound(live)) if live else []
                staged = [r.message_id for r in results if r.ok]
                await self._record(session, live, results, now, late)
            if staged:
                ch.after_commit(staged)
            return len(rows)
        except BaseException:
            if staged:
                ch.after_rollback(staged)
            raise

    async def _step_remote(self) -> int:
        ch = self.channel
        statuses = (QUEUED, UNKNOWN) if self.policy != FAIL else (QUEUED,)
        async with self.ctx.db.write() as session:
            now = utcnow()
            rows = await store.claim_due(session, ch.name, now, self.config.batch_size, statuses)
            if not rows and self.policy == FAIL:
                rows = await store.claim_due(session, ch.name, now, self.config.batch_size, (UNKNOWN,))
                if rows:
                    await self._fail_unknown(session, rows, now)
                    return len(rows)
            if not rows:
                return 0
            live, late = self._split_expired(rows, now)
            if late:
                await self._record(session, [], [], now, late)
            await store.mark_submitting(session, [r.id for r in live], now + timedelta(seconds=self.config.lease_seconds))
        if not live:
            return len(rows)
        try:
            results = await ch.submit(self._outbound(live))
        except Exception as exc:
            # Nothing is known about any of them: the same as a crash mid-submit.
            log.exception("channel %s failed a submit of %d messages", ch.name, len(live))
            results = [SubmitResult(r.id, False, error_code="UNKNOWN", error_desc=f"submit raised {type(exc).__name__}", outcome_unknown=True) for r in live]
        async with self.ctx.db.write() as session:
            await self._record(session, live, results, utcnow(), [])
        return len(rows)

    def _split_expired(self, rows: Sequence[Any], now: datetime) -> tuple[list[Any], list[Any]]:
        live: list[Any] = []
        late: list[Any] = []
        for r in rows:
            (late if r.expires_at is not None and r.expires_at <= now else live).append(r)
        return live, late

    # --- recording -------------------------------------------------------------------
    async def _record(self, session: AsyncSession, rows: Sequence[Any], results: Sequence[SubmitResult], now: datetime, late: Sequence[Any]) -> None:
        by_id = {r.message_id: r for r in results}
        alike: list[str] = []
        updates: list[store.Outcome] = []
        carrier_rows: list[tuple[str, str, int]] = []
        receipts = ReceiptBatch(self.receipts)
        moves: list[store.Move] = []
        for row in rows:
            res = by_id.get(row.id)
            attempt = row.attempts + 1
            if res is None:
                res = SubmitResult(row.id, False, error_code="UNKNOWN", error_desc="the channel returned no result", outcome_unknown=True)
            if self.keep_carrier_ids and res.carrier_message_ids:
                # Also the parts accepted before a failure: their receipts still come.
                carrier_rows.extend((cid, row.id, i) for i, cid in enumerate(res.carrier_message_ids, 1))
            if res.ok:
                self.stats["submitted"] += 1
                if not self.keep_carrier_ids:
                    alike.append(row.id)
                    continue
                updates.append(self._update(row.id, SUBMITTED, row.expires_at, None, None, attempt, now, None, res.carrier_message_ids or None))
            elif res.outcome_unknown:
                self.stats["unknown"] += 1
                updates.append(self._update(row.id, UNKNOWN, now, "UNKNOWN", res.error_desc or "submit outcome unknown", attempt, now, None,
                                            res.carrier_message_ids or None))
            elif res.transient:
                retry_at = now + timedelta(seconds=self.config.backoff(attempt, self._rng))
                if attempt >= self.config.max_attempts or (row.expires_at is not None and retry_at >= row.expires_at):
                    self.stats["failed"] += 1
                    desc = f"{res.error_desc or 'transient failure'}; gave up after {attempt} attempts"
                    updates.append(self._update(row.id, FAILED, None, res.error_code or "FAILED", desc, attempt, None, now, None))
                    receipts.add_unreported(row, res.error_code or "FAILED", desc, now)
                elif (alt := self._failover(row, res)) is not None:
                    # Another route's channel is up: move it there now instead of waiting here.
                    self.stats["failed_over"] = self.stats.get("failed_over", 0) + 1
                    moves.append(store.Move(row.id, alt))
                    desc = f"{res.error_desc or 'transient failure'}; moved to {alt}"
                    updates.append(self._update(row.id, QUEUED, now, res.error_code, desc, attempt, None, None, None))
                else:
                    self.stats["retried"] += 1
                    updates.append(self._update(row.id, QUEUED, retry_at, res.error_code, res.error_desc, attempt, None, None, None))
            else:
                self.stats["failed"] += 1
                code, desc = res.error_code or "FAILED", res.error_desc or "refused by the carrier"
                updates.append(self._update(row.id, FAILED, None, code, desc, attempt, None, now, None))
                receipts.add_unreported(row, code, desc, now)
        for row in late:
            self.stats["expired"] += 1
            updates.append(self._update(row.id, EXPIRED, None, EXPIRED_CODE, EXPIRED_DESC, row.attempts, None, now, None))
            receipts.add_unreported(row, EXPIRED_CODE, EXPIRED_DESC, now)
        if alike:
            await store.mark_submitted_alike(session, alike, now)
        await store.record_outcomes(session, updates)
        if moves:
            await store.move_queued(session, moves)
        if carrier_rows:
            await carrier_ids.save(session, self.channel.name, carrier_rows, now)
        if receipts:
            await receipts.enqueue(session)
        unknown = sum(1 for u in updates if u.status == UNKNOWN)
        if unknown:
            log.warning("channel %s: %d submits with unknown outcome (policy: %s)", self.channel.name, unknown, self.policy)

    def _failover(self, row: Any, res: SubmitResult) -> str | None:
        """The next route's channel for a transient refusal (the operator's routes);
        not when a part was already accepted here (moving would resend it)."""
        if res.carrier_message_ids:
            return None
        return registry_of(self.ctx).failover(row.product, row.number, self.channel.name)

    @staticmethod
    def _update(mid: str, status: MessageStatus, next_at: datetime | None, code: str | None, desc: str | None, attempts: int,
                submitted: datetime | None, reported: datetime | None, carrier: list[str] | None) -> store.Outcome:
        return store.Outcome(mid, status, next_at, code, desc, attempts, submitted, reported, carrier)

    async def _fail_unknown(self, session: AsyncSession, rows: Sequence[Any], now: datetime) -> None:
        desc = "submit outcome unknown after a crash or disconnect; failed by the channel's at-most-once policy"
        updates: list[store.Outcome] = []
        receipts = ReceiptBatch(self.receipts)
        for row in rows:
            updates.append(self._update(row.id, FAILED, None, "UNKNOWN", desc, row.attempts, None, now, None))
            receipts.add_unreported(row, "UNKNOWN", desc, now)
        await store.record_outcomes(session, updates)
        await receipts.enqueue(session)
        log.warning("channel %s: failed %d messages whose submit outcome was unknown", self.channel.name, len(rows))

    # --- expiry and recovery ------------------------------------------------------------------
    async def sweep(self) -> int:
        """Expire submitted messages still unreported past their validity; on
        remote channels also turn expired ``submitting`` leases into ``unknown``
        (a worker died mid-submit)."""
        total = 0
        async with self.ctx.db.write() as session:
            now = utcnow()
            rows = await store.due_expiries(session, self.channel.name, now, self.config.batch_size)
            if rows:
                updates: list[store.Outcome] = []
                receipts = ReceiptBatch(self.receipts)
                for row in rows:
                    done = {p["seq"] for p in (row.part_reports or [])}
                    updates.append(self._update(row.id, EXPIRED, None, EXPIRED_CODE, EXPIRED_DESC, row.attempts, None, now, None))
                    receipts.add_unreported(row, EXPIRED_CODE, EXPIRED_DESC, now, done)
                await store.expire_submitted(session, updates)
                await receipts.enqueue(session)
                self.stats["expired"] += len(rows)
                total += len(rows)
            if not self.in_tx:
                ids = await store.expired_leases(session, self.channel.name, now)
                if ids:
                    await store.mark_unknown(session, ids, now, "the worker submitting it stopped before recording the outcome")
                    self.stats["unknown"] += len(ids)
                    log.warning("channel %s: %d messages were in flight when a worker stopped: now unknown (policy: %s)",
                                self.channel.name, len(ids), self.policy)
                    total += len(ids)
        return total

    async def recover(self) -> None:
        """On start: expired ``submitting`` leases of a remote channel become
        ``unknown`` (sweep).  A transactional channel's receipts are re-armed
        by its ReceiptHolding (tidings/dispatch/holders.py)."""
        await self.sweep()


class ChannelHost:
    """Starts every registered channel with the pipeline's intake, stops them
    on shutdown.  Runs before the dispatchers (build_services order)."""

    name = "channels"

    def __init__(self, ctx: AppContext, registry: ChannelRegistry, intake: Intake, channels: Sequence[Channel] | None = None) -> None:
        self.ctx = ctx
        self.registry = registry
        self.intake = intake
        self.to_start = list(registry.channels() if channels is None else channels)

    async def run(self, stop: asyncio.Event) -> None:
        started = []
        try:
            for ch in self.to_start:
                await ch.start(self.intake)
                started.append(ch)
            await stop.wait()
        finally:
            for ch in reversed(started):
                try:
                    await ch.stop()
                except Exception:
                    log.exception("stopping channel %s failed", ch.name)


class Housekeeper:
    """Prunes what only needs to live a while: idempotency keys (24 h) and
    frequency counters of past days."""

    name = "pipeline:housekeeping"
    interval = 300.0

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def run(self, stop: asyncio.Event) -> None:
        import time

        from tidings.domain.frequency import Windows

        while not stop.is_set():
            try:
                async with self.ctx.db.write() as session:
                    await store.prune_idempotency(session, utcnow() - timedelta(hours=24))
                    await store.prune_counters(session, Windows.at(time.time()).day - 1)
            except Exception:
                log.exception("pipeline housekeeping failed")
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except TimeoutError:
                pass


class OrphanAdopter:
    """Re-routes queued messages whose channel is neither run by this process
    nor enabled in the channel definitions (removed, or disabled and then
    restarted), so they are sent by another route instead of waiting forever
    unclaimed.  Runs at start and
    every ``interval`` seconds; messages with no other route stay queued."""

    name = "pipeline:orphans"
    interval = 30.0

    def __init__(self, ctx: AppContext, registry: ChannelRegistry) -> None:
        self.ctx = ctx
        self.registry = registry
        self.adopted = 0

    async def adopt_once(self) -> int:
        async with self.ctx.db.write() as session:
            # Enabled definitions count as running even where this process does
            # not run them yet: during a rolling restart an older worker must not
            # take a new channel's messages away from it.
            enabled = await enabled_channels(session)
            known = sorted({c.name for c in self.registry.channels()} | set(enabled))
            rows = await store.orphaned_queued(session, known)
            moves: list[store.Move] = []
            for r in rows:
                target = self.registry.route(RouteRequest(r.tenant_id, r.number, r.channel_num, r.product))
                if self.registry.has(target):
                    moves.append(store.Move(r.id, target))
            await store.move_queued(session, moves)
        if moves:
            log.warning("re-routed %d queued message(s) whose channel is not running", len(moves))
            self.adopted += len(moves)
            wake(self.ctx)
        return len(moves)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.adopt_once()
            except Exception:
                log.exception("re-routing orphaned messages failed")
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except TimeoutError:
                pass


def pipeline_services(ctx: AppContext, *, carriers: bool = True) -> list[Service]:
    """The pipeline's services for build_services: channels, one dispatcher
    (or ``dispatch.loops`` on PostgreSQL) per channel, housekeeping.
    ``carriers=False``: only the built-in channels (the sandbox); the
    operator's (SMPP) run in the one worker that binds them."""
    config = DispatchConfig.from_settings(ctx.settings.extra)
    registry = registry_of(ctx)
    intake = Intake(ctx)
    ctx.intake = intake
    channels = [ch for ch in registry.channels() if carriers or ch.definition is None]
    services: list[Service] = [ChannelHost(ctx, registry, intake, channels)]
    loops = 1 if ctx.db.is_sqlite else max(1, config.loops)
    dispatchers = []
    for ch in channels:
        for i in range(loops):
            dispatchers.append(Dispatcher(ctx, ch, config, i))
    ctx.dispatchers = dispatchers
    services.extend(dispatchers)
    services.extend(ReceiptHolding(ctx, d.transactional, config) for d in dispatchers if d.in_tx and d.loop_index == 0)
    services.append(OrphanAdopter(ctx, registry))
    services.append(Housekeeper(ctx))
    services.append(StatePublisher(ctx, channels))  # for an admin API in another process
    return services
