"""The delivery service: sends due outbox rows, retries, records attempts.

A round claims up to ``claim_size`` due rows in one short write transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several ``tidings worker``
processes share the work; SQLite has one writer) and leases them: their
``next_attempt_at`` moves ``lease_seconds`` ahead and ``attempts`` goes up
before anything is sent.  A worker that dies mid-round therefore loses
nothing: the rows come due again when the lease runs out and go out with
``retry: true`` (the receiver may or may not have seen them).  While a lane is
still working on its rows, the worker renews their lease every third of it,
compare-and-set on the lease it wrote, so the lease can be short (a crash
delays callbacks by at most ``lease_seconds``) without a slow receiver's rows
being taken over by another worker while they are in flight.

Claimed rows are grouped by destination URL into *lanes*.  A lane sends its
requests with at most ``per_url_concurrency`` in flight, then records every
outcome in one write transaction (one UPDATE for the delivered rows).  URLs
with a lane in flight are left out of the next claim, so a slow receiver
holds only its own events back.  When a destination cannot be reached
(connection refused, timeout), the lane stops and its unsent rows wait for the
retry of the failed one, uncounted: a receiver that is down costs one probe
per back-off step, not one per queued event.  An HTTP error answer is judged
per event, so one event a receiver chokes on does not hold the others.

Any 2xx is delivered; the body is never interpreted (callbacks.md §2) and at
most 64 KiB of it is read.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import ColumnElement, bindparam, delete, exists, insert, select, update

from tidings.callbacks import outbox, registrations, signing
from tidings.callbacks.formats import Unit, renderers
from tidings.callbacks.policy import CallbackSettings, gives_up, retry_delay
from tidings.callbacks.transport import build_client
from tidings.callbacks.urls import Resolver, system_resolve
from tidings.context import AppContext
from tidings.store.dialect import chunks
from tidings.store.models.callbacks import AttemptOutcome, CallbackAttempt, CallbackOutbox, CallbackSubject, OutboxStatus
from tidings.timeutil import utcnow

log = logging.getLogger("tidings.callbacks")

OUTBOX = CallbackOutbox.__table__
ATTEMPTS = CallbackAttempt.__table__
MAX_BODY_READ = 64 * 1024
SECRET_TTL = 10.0


@dataclass(slots=True)
class Claimed:
    id: int
    request_id: str
    tenant_id: str
    kind: str
    url: str
    batch: bool
    events: int
    payload: object
    attempts: int  # including the one about to be made
    created_at: datetime


@dataclass(slots=True)
class Outcome:
    row: Claimed
    # delivered | failed | deferred (not sent: destination down) | released (not sent: budget/stop)
    result: str
    http_status: int | None = None
    error: str | None = None
    started_at: datetime | None = None
    duration_ms: int = 0
    unreachable: bool = False


class _SecretCache:
    """Tenant secrets for signing, refreshed every few seconds so a rotation
    reaches every worker process quickly (docs/callbacks.md)."""

    def __init__(self, ctx: AppContext):
        self.ctx = ctx
        self._items: dict[str, tuple[float, str]] = {}

    async def get_many(self, tenant_ids: set[str]) -> dict[str, str]:
        now = time.monotonic()
        out = {t: v for t, (exp, v) in self._items.items() if t in tenant_ids and exp > now}
        missing = tenant_ids - out.keys()
        if missing:
            async with self.ctx.db.write() as session:
                for tenant_id in missing:
                    out[tenant_id] = await registrations.secret(session, self.ctx.box, tenant_id)
            for tenant_id in missing:
                self._items[tenant_id] = (now + SECRET_TTL, out[tenant_id])
        return out


@dataclass
class CallbackDelivery:
    ctx: AppContext
    policy: CallbackSettings | None = None
    resolver: Resolver = system_resolve
    name: str = "callbacks"
    _busy: set[str] = field(default_factory=set)
    _lanes: set[asyncio.Task[None]] = field(default_factory=set)
    # Rows claimed and not yet recorded: row id -> the lease end written for it.
    _held: dict[int, datetime] = field(default_factory=dict)
    _wake: asyncio.Event | None = None
    _client: httpx.AsyncClient | None = None

    def __post_init__(self) -> None:
        self._policy = self.policy or CallbackSettings.load(self.ctx.settings.extra)
        self.policy = self._policy
        outbox.configure(self._policy)
        self._secrets = _SecretCache(self.ctx)
        self._renderers = renderers(self.ctx.products)
        self._rng = random.Random()

    # --- the loop -------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        p = self._policy
        self._wake = asyncio.Event()
        self._client = build_client(
            allow_private=self.ctx.settings.allow_private_callbacks,
            connect_timeout=p.connect_timeout,
            total_timeout=p.total_timeout,
            max_connections=p.max_connections,
            resolver=self.resolver,
        )
        last_prune = 0.0
        renewer = asyncio.create_task(self._renew_leases(stop), name="callbacks-lease")
        try:
            while not stop.is_set():
                claimed = 0
                if len(self._lanes) < p.max_lanes:
                    claimed = await self._round(stop)
                if time.monotonic() - last_prune > 600:
                    last_prune = time.monotonic()
                    await self._prune()
                if claimed < p.claim_size:
                    self._wake.clear()
                    waiter = asyncio.ensure_future(self._wake.wait())
                    stopper = asyncio.ensure_future(stop.wait())
                    await asyncio.wait({waiter, stopper}, timeout=p.poll_interval, return_when=asyncio.FIRST_COMPLETED)
                    waiter.cancel()
                    stopper.cancel()
        finally:
            if self._lanes:
                # Lanes see ``stop`` and release what they have not sent.
                await asyncio.wait(self._lanes, timeout=p.total_timeout + 5)
            renewer.cancel()
            await asyncio.gather(renewer, return_exceptions=True)
            await self._client.aclose()

    async def _round(self, stop: asyncio.Event) -> int:
        now = utcnow()
        # A cheap read first: on SQLite the claim takes the write lock.
        async with self.ctx.db.read() as session:
            due = await session.scalar(select(exists().where(*self._due_filter(now))))
        if not due:
            return 0
        rows = await self._claim(now)
        by_url: dict[str, list[Claimed]] = collections.defaultdict(list)
        for row in rows:
            by_url[row.url].append(row)
        for url, lane_rows in by_url.items():
            self._busy.add(url)
            task = asyncio.create_task(self._lane(url, lane_rows, stop), name="callbacks-lane")
            self._lanes.add(task)
            task.add_done_callback(self._lane_done)
        return len(rows)

    def _lane_done(self, task: asyncio.Task[None]) -> None:
        self._lanes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("callback lane failed", exc_info=task.exception())
        if self._wake is not None:
            self._wake.set()

    def _due_filter(self, now: datetime) -> list[ColumnElement[bool]]:
        conds = [OUTBOX.c.status == OutboxStatus.PENDING, OUTBOX.c.next_attempt_at <= now]
        if self._busy:
            conds.append(OUTBOX.c.url.not_in(sorted(self._busy)))
        return conds

    async def _claim(self, now: datetime) -> list[Claimed]:
        p = self._policy
        pick = (
            select(OUTBOX.c.id)
            .where(*self._due_filter(now))
            .order_by(OUTBOX.c.next_attempt_at)
            .limit(p.claim_size)
            .with_for_update(skip_locked=True)
        )
        lease_end = now + timedelta(seconds=p.lease_seconds)
        stmt = (
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(pick.scalar_subquery()))
            .values(attempts=OUTBOX.c.attempts + 1, next_attempt_at=lease_end)
            .returning(
                OUTBOX.c.id, OUTBOX.c.request_id, OUTBOX.c.tenant_id, OUTBOX.c.kind, OUTBOX.c.url, OUTBOX.c.batch,
                OUTBOX.c.events, OUTBOX.c.payload, OUTBOX.c.attempts, OUTBOX.c.created_at,
            )
        )
        async with self.ctx.db.write() as session:
            result = await session.execute(stmt)
            rows = [Claimed(*r) for r in result.all()]
        rows.sort(key=lambda r: r.id)
        for r in rows:
            self._held[r.id] = lease_end
        return rows

    async def _renew_leases(self, stop: asyncio.Event) -> None:
        every = self._policy.lease_seconds / 3
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), every)
                return
            except TimeoutError:
                pass
            try:
                await self._renew()
            except Exception:
                log.exception("renewing callback leases failed; will retry")

    async def _renew(self) -> None:
        """Move the lease of every row still held a full ``lease_seconds`` ahead.

        Compare-and-set on the lease end this worker wrote: a row already
        recorded (new status or retry time) or taken over by another worker
        after a lease ran out is left alone."""
        if not self._held:
            return
        by_end: dict[datetime, list[int]] = collections.defaultdict(list)
        for row_id, end in self._held.items():
            by_end[end].append(row_id)
        new_end = utcnow() + timedelta(seconds=self._policy.lease_seconds)
        async with self.ctx.db.write() as session:
            for end, ids in by_end.items():
                for part in chunks(ids, 500):
                    await session.execute(
                        update(OUTBOX)
                        .where(OUTBOX.c.id.in_(part), OUTBOX.c.status == OutboxStatus.PENDING, OUTBOX.c.next_attempt_at == end)
                        .values(next_attempt_at=new_end)
                    )
        for end, ids in by_end.items():
            for row_id in ids:
                if self._held.get(row_id) == end:
                    self._held[row_id] = new_end

    # --- a lane: one destination ------------------------------------------------------
    async def _lane(self, url: str, rows: list[Claimed], stop: asyncio.Event) -> None:
        try:
            outcomes = await self._send_all(url, rows, stop)
            # A renewal racing the record matches nothing it wrote (compare-and-set).
            await self._record(outcomes)
        finally:
            for row in rows:
                self._held.pop(row.id, None)
            self._busy.discard(url)

    async def _send_all(self, url: str, rows: list[Claimed], stop: asyncio.Event) -> list[Outcome]:
        p = self._policy
        secrets = await self._secrets.get_many({r.tenant_id for r in rows})
        queue = collections.deque(rows)
        outcomes: list[Outcome] = []
        deadline = time.monotonic() + p.lane_budget_seconds
        down = False

        async def worker() -> None:
            nonlocal down
            while queue and not down and not stop.is_set() and time.monotonic() < deadline:
                row = queue.popleft()
                outcome = await self._send(url, row, secrets[row.tenant_id])
                outcomes.append(outcome)
                if outcome.unreachable:
                    down = True

        await asyncio.gather(*(worker() for _ in range(min(p.per_url_concurrency, len(rows)))))
        left = "deferred" if down else "released"
        outcomes.extend(Outcome(row, left) for row in queue)
        return outcomes

    async def _send(self, url: str, row: Claimed, secret: str) -> Outcome:
        unit = Unit(row.request_id, row.tenant_id, row.kind, row.batch, row.payload, retry=row.attempts > 1)
        content_type, body = self._renderers[unit.kind](unit)
        headers = {
            "Content-Type": content_type,
            signing.EVENT_HEADER: row.request_id,
            signing.ATTEMPT_HEADER: str(row.attempts),
            signing.HEADER: signing.sign(secret, body),
        }
        started = utcnow()
        t0 = time.monotonic()
        try:
            status = await asyncio.wait_for(self._post(url, body, headers), self._policy.total_timeout)
        except (TimeoutError, httpx.TimeoutException):
            return self._failed(row, started, t0, None, f"timed out after {self._policy.total_timeout:g}s", unreachable=True)
        except httpx.TransportError as exc:
            return self._failed(row, started, t0, None, f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__, unreachable=True)
        except httpx.HTTPError as exc:
            return self._failed(row, started, t0, None, f"{exc.__class__.__name__}: {exc}")
        if 200 <= status < 300:
            return Outcome(row, "delivered", status, None, started, int((time.monotonic() - t0) * 1000))
        return self._failed(row, started, t0, status, f"HTTP {status}")

    @staticmethod
    def _failed(row: Claimed, started: datetime, t0: float, status: int | None, error: str, unreachable: bool = False) -> Outcome:
        return Outcome(row, "failed", status, error[:500], started, int((time.monotonic() - t0) * 1000), unreachable)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        if self._client is None:
            raise RuntimeError("the delivery service is not running")
        async with self._client.stream("POST", url, content=body, headers=headers) as resp:
            read = 0
            async for chunk in resp.aiter_raw():
                read += len(chunk)
                if read > MAX_BODY_READ:
                    break
            return resp.status_code

    # --- recording ----------------------------------------------------------------------
    async def _record(self, outcomes: list[Outcome]) -> None:
        p = self._policy
        now = utcnow()
        delivered: list[int] = []
        retry_rows: list[dict[str, Any]] = []
        given_up: list[dict[str, Any]] = []
        attempt_rows: list[dict[str, Any]] = []
        next_probe: datetime | None = None
        for o in outcomes:
            if o.result == "delivered":
                delivered.append(o.row.id)
            elif o.result == "failed":
                if gives_up(p, o.row.created_at, now):
                    given_up.append({"b_id": o.row.id, "b_error": o.error})
                else:
                    at = now + timedelta(seconds=retry_delay(p, o.row.attempts, self._rng))
                    retry_rows.append({"b_id": o.row.id, "b_next": at, "b_error": o.error})
                    if o.unreachable and (next_probe is None or at < next_probe):
                        next_probe = at
            if o.result in ("delivered", "failed"):
                outcome = AttemptOutcome.DELIVERED if o.result == "delivered" else (
                    AttemptOutcome.FAILED if gives_up(p, o.row.created_at, now) else AttemptOutcome.RETRYING)
                attempt_rows.append(
                    {
                        "tenant_id": o.row.tenant_id,
                        "request_id": o.row.request_id,
                        "kind": o.row.kind,
                        "url": o.row.url,
                        "attempt": o.row.attempts,
                        "events": o.row.events,
                        "outcome": outcome,
                        "http_status": o.http_status,
                        "error": o.error,
                        "started_at": o.started_at,
                        "duration_ms": o.duration_ms,
                    }
                )
        unsent: list[dict[str, Any]] = []
        for o in outcomes:
            if o.result == "deferred":
                unsent.append({"b_id": o.row.id, "b_next": next_probe or now})
            elif o.result == "released":
                unsent.append({"b_id": o.row.id, "b_next": now})

        async with self.ctx.db.write() as session:
            conn = await session.connection()
            if delivered:
                await conn.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id.in_(delivered))
                    .values(status=OutboxStatus.DELIVERED, delivered_at=now, last_error=None)
                )
            if retry_rows:
                await conn.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id == bindparam("b_id"))
                    .values(next_attempt_at=bindparam("b_next"), last_error=bindparam("b_error")),
                    retry_rows,
                )
            if given_up:
                await conn.execute(
                    update(OUTBOX).where(OUTBOX.c.id == bindparam("b_id")).values(status=OutboxStatus.FAILED, last_error=bindparam("b_error")),
                    given_up,
                )
            if unsent:
                # Not sent after all: the attempt taken at claim time is given back.
                await conn.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id == bindparam("b_id"))
                    .values(next_attempt_at=bindparam("b_next"), attempts=OUTBOX.c.attempts - 1),
                    unsent,
                )
            if attempt_rows:
                await conn.execute(insert(ATTEMPTS), attempt_rows)
        for g in given_up:
            log.warning("callback outbox row %s given up: %s", g["b_id"], g["b_error"])

    # --- housekeeping -------------------------------------------------------------------
    async def _prune(self, chunk: int = 5000) -> None:
        """Delete delivered/given-up rows and attempts older than the retention,
        a chunk per short transaction so the pipeline's writers are never held
        up for long.  Ids grow with time, so walking the primary key from the
        oldest end touches only what is deleted plus one chunk (no time index)."""
        cutoff = utcnow() - timedelta(days=self._policy.retention_days)
        subjects = CallbackSubject.__table__
        try:
            for table, at in ((OUTBOX, OUTBOX.c.created_at), (ATTEMPTS, ATTEMPTS.c.started_at)):
                after = 0
                while True:
                    async with self.ctx.db.write() as session:
                        cols = [table.c.id, at] + ([OUTBOX.c.request_id, OUTBOX.c.status] if table is OUTBOX else [])
                        rows = (await session.execute(select(*cols).where(table.c.id > after).order_by(table.c.id).limit(chunk))).all()
                        old = [r for r in rows if r[1] < cutoff and (table is not OUTBOX or r[3] != OutboxStatus.PENDING)]
                        if old and table is OUTBOX:
                            await session.execute(delete(subjects).where(subjects.c.request_id.in_([r[2] for r in old])))
                        if old:
                            await session.execute(delete(table).where(table.c.id.in_([r[0] for r in old])))
                    if len(rows) < chunk or any(r[1] >= cutoff for r in rows):
                        break
                    after = rows[-1][0]
                    await asyncio.sleep(0)
        except Exception:
            log.exception("pruning the callback outbox failed; will retry")
