"""The send flow with fallback (Tidings' own API; KooMessage's console step
after the number-resolve check): capability check of every number, a send
task for the supported ones, the chosen fallback for the rest.

* ``none``: an unsupported number gets nothing (nothing is charged);
* ``sms``: it gets the same SMS template, link included, as a plain SMS
  (product ``sms``): the link opens the card page in a browser, and no parse
  is ever billed for it;
* ``basic`` (the basic edition) is refused until that product exists.

A flow is a durable job (tables in tidings/store/models/aim_send.py): its
numbers are stored in chunks when it is created, then a runner claims the
flow from the database under a lease (any process running the services:
``tidings serve`` or ``tidings worker``), works through the chunks in order
and writes each chunk's outcomes in the transaction that sends its messages,
so a restart resumes at the first chunk not done and never sends one twice.
Small flows (one chunk) run inside the request and answer finished.

Per-number outcomes: ``aim`` (smart message sent), ``sms`` (plain SMS with the
link), ``none`` (not sent: fallback none), ``invalid`` (not a mainland mobile
number), ``refused`` (the link or the message was refused: a repeated number,
a frequency limit).  ``support_resolve_count`` counts the capable numbers.
A template disabled while a flow runs stops it (``failed``); the chunks
already sent stay sent.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.aim import capability, links, queries, sending
from tidings.aim.codes import TEMPLATE_NOT_USABLE
from tidings.context import AppContext
from tidings.domain import send_status
from tidings.domain.text import RULE, forbidden_character
from tidings.errors import KooError, invalid
from tidings.ids import uuid_id
from tidings.sms import accept
from tidings.store.dialect import affected, is_postgres
from tidings.store.models.aim_send import FLOW_CHUNK, AimSendFlow, AimSendFlowChunk
from tidings.store.models.core import Tenant
from tidings.timeutil import utcnow

log = logging.getLogger("tidings.aim.flows")

MAX_NUMBERS = 1_000_000
FALLBACKS = ("none", "sms", "basic")
OUTCOMES = ("aim", "sms", "none", "invalid", "refused")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
LEASE = timedelta(seconds=60)
# A flow that crashes this many times in a row without finishing a chunk (an error in the
# runner, or a runner that died holding it) ends as failed with the reason; between two
# tries it waits CRASH_PAUSE times the crashes so far.
MAX_CRASHES = 3
CRASH_PAUSE = timedelta(seconds=2)
F = AimSendFlow.__table__
C = AimSendFlowChunk.__table__


@dataclass(slots=True)
class FlowInput:
    task_name: str
    tpl_id: str
    channel: sending.SmsChannel
    fallback: str
    mobiles: Sequence[str]
    days: int = 7
    sms_params: list[str] = field(default_factory=list)
    dync_params: dict[str, str] | None = None

    def spec(self) -> sending.Spec:
        return sending.Spec(task_name=self.task_name, tpl_id=self.tpl_id, channel=self.channel, days=self.days, field="flow")


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid_id()[:8]}"


async def _validate(ctx: AppContext, tenant_id: str, inp: FlowInput) -> None:
    """The flow's refusals, before anything is written (the runner checks the template again per chunk)."""
    if inp.fallback == "basic":
        raise invalid("fallback", "basic (send the unsupported numbers as basic-edition messages) is not available yet: "
                      "the basic edition is not installed; choose none or sms")
    if inp.fallback not in FALLBACKS:
        raise invalid("fallback", "must be one of none, sms, basic")
    if not 1 <= len(inp.mobiles) <= MAX_NUMBERS:
        raise invalid("mobiles", f"must have 1-{MAX_NUMBERS:,} numbers")
    if not inp.task_name.strip():
        raise invalid("task_name", "must not be blank")
    if not 1 <= inp.days <= 7:
        raise invalid("expiration_time", "must be 1-7 days")
    async with ctx.db.read() as session:
        tpl = await queries.usable_for_tasks(session, tenant_id, inp.tpl_id, filing_area=sending.SEND_FILING)
        t = await sending.check_channel(session, tenant_id, inp.channel)
        if len(inp.sms_params) != len(t.variables) - 1:
            raise invalid("sms_params", f"must have {len(t.variables) - 1} values: the variables of SMS template {t.template_id} except its NEWTEXT link")
        missing = [n for n in tpl.params if n not in (inp.dync_params or {})]
        if missing:
            raise invalid("dync_params", f"lacks {', '.join(missing)} declared by template {tpl.id}")
        # The same values go to every number of a flow: a bad one refuses the flow
        # (the HTTP guard leaves these fields to the operations, and the CLI has no guard).
        if (why := links.bad_param(inp.dync_params)) is not None:
            raise invalid("dync_params", why.removeprefix("dync_params").lstrip(". "))
        for i, value in enumerate(inp.sms_params):
            if (found := forbidden_character(value)) is not None:
                raise invalid(f"sms_params[{i}]", f"{RULE} (found {found})")
        await sending.link_domain(ctx, session, tenant_id, inp.spec())


async def create(ctx: AppContext, tenant_id: str, inp: FlowInput, *, holder: str | None = None) -> str:
    """Store the flow and its numbers; ``holder`` takes it at once (the
    request runs a one-chunk flow itself), else it waits for a runner."""
    await _validate(ctx, tenant_id, inp)
    flow_id = uuid_id()
    now = utcnow()
    spec = {"task_name": inp.task_name.strip(), "tpl_id": inp.tpl_id, "channel": asdict(inp.channel), "days": inp.days,
            "sms_params": list(inp.sms_params), "dync_params": inp.dync_params}
    n_chunks = (len(inp.mobiles) + FLOW_CHUNK - 1) // FLOW_CHUNK
    async with ctx.db.write() as session:
        await session.execute(insert(F).values(
            id=flow_id, tenant_id=tenant_id, state=RUNNING if holder else QUEUED, fallback=inp.fallback, spec=spec, total=len(inp.mobiles),
            chunks=n_chunks, chunks_done=0, counts={k: 0 for k in (*OUTCOMES, "supported")}, error=None, holder=holder,
            lease_until=now + LEASE if holder else None, created_at=now, finished_at=None))
        batch: list[dict[str, Any]] = []
        for seq in range(n_chunks):
            part = inp.mobiles[seq * FLOW_CHUNK : (seq + 1) * FLOW_CHUNK]
            batch.append({"flow_id": flow_id, "seq": seq, "numbers": "\n".join(m.strip() for m in part), "outcomes": None, "done": False})
            if len(batch) == 200:
                await session.execute(insert(C), batch)
                batch = []
        if batch:
            await session.execute(insert(C), batch)
    return flow_id


async def claim(ctx: AppContext, holder: str) -> str | None:
    """One flow that is queued, or running under a lease that ran out (its process
    died: a crash, counted, and the flow ends as failed at :data:`MAX_CRASHES`)."""
    async with ctx.db.write() as session:
        now = utcnow()
        q = (select(F.c.id, F.c.state, F.c.crashes).where(F.c.state.in_((QUEUED, RUNNING)), (F.c.lease_until.is_(None)) | (F.c.lease_until < now))
             .order_by(F.c.created_at).limit(1))
        if is_postgres(session):
            q = q.with_for_update(skip_locked=True)
        row = (await session.execute(q)).first()
        if row is None:
            return None
        crashes = row.crashes + 1 if row.state == RUNNING else row.crashes
        if crashes >= MAX_CRASHES:
            error = f"stopped after {crashes} crashes in a row without a chunk done; the last: its runner died holding it (the lease ran out)"
            await session.execute(update(F).where(F.c.id == row.id)
                                  .values(state=FAILED, error=error, crashes=crashes, holder=None, lease_until=None, finished_at=now))
            log.error("send flow %s: %s", row.id, error)
            return None
        await session.execute(update(F).where(F.c.id == row.id).values(state=RUNNING, holder=holder, lease_until=now + LEASE, crashes=crashes))
        return row.id


async def crashed(ctx: AppContext, flow_id: str, holder: str, exc: BaseException) -> str:
    """Record that working the flow raised ``exc``: it is queued again after a
    pause for any runner, or ends as failed at :data:`MAX_CRASHES` in a row.
    Returns the flow's state."""
    async with ctx.db.write() as session:
        now = utcnow()
        row = (await session.execute(select(F.c.crashes).where(F.c.id == flow_id, F.c.holder == holder, F.c.state == RUNNING))).first()
        if row is None:  # taken over or finished meanwhile
            return RUNNING
        crashes = row.crashes + 1
        if crashes >= MAX_CRASHES:
            error = f"stopped after {crashes} crashes in a row without a chunk done; the last: {type(exc).__name__}: {exc}"
            await session.execute(update(F).where(F.c.id == flow_id)
                                  .values(state=FAILED, error=error[:500], crashes=crashes, holder=None, lease_until=None, finished_at=now))
            return FAILED
        await session.execute(update(F).where(F.c.id == flow_id)
                              .values(state=QUEUED, crashes=crashes, holder=None, lease_until=now + CRASH_PAUSE * crashes))
        return QUEUED


async def release(ctx: AppContext, flow_id: str, holder: str) -> None:
    """A runner that stops (shutdown) hands its flow back at once: not a crash."""
    async with ctx.db.write() as session:
        await session.execute(update(F).where(F.c.id == flow_id, F.c.holder == holder, F.c.state == RUNNING)
                              .values(state=QUEUED, holder=None, lease_until=None))


class LeaseLost(Exception):
    """Another runner took the flow over (this one stalled past its lease)."""


async def _finish(ctx: AppContext, flow_id: str, holder: str, state: str, error: str | None = None) -> None:
    async with ctx.db.write() as session:
        await session.execute(update(F).where(F.c.id == flow_id, F.c.holder == holder)
                              .values(state=state, error=error[:500] if error else None, finished_at=utcnow(), lease_until=None))


async def _wait_tokens(take, n: int, stop: asyncio.Event | None) -> None:
    while n:
        wait = take(n)
        if not wait:
            return
        if stop is not None and stop.is_set():
            raise asyncio.CancelledError
        await asyncio.sleep(min(wait, 1.0))


async def run(ctx: AppContext, flow_id: str, holder: str, stop: asyncio.Event | None = None) -> str:
    """Work through the flow's chunks; returns its final state (or ``running`` when stopped)."""
    async with ctx.db.read() as session:
        flow = (await session.execute(select(F).where(F.c.id == flow_id))).one()
        tenant = await session.get(Tenant, flow.tenant_id)
        settings = ctx.tenant_settings.readable(tenant.settings if tenant else {})
    raw = flow.spec
    inp = FlowInput(task_name=raw["task_name"], tpl_id=raw["tpl_id"], channel=sending.SmsChannel(**raw["channel"]), fallback=flow.fallback,
                    mobiles=(), days=raw["days"], sms_params=raw["sms_params"], dync_params=raw["dync_params"])
    while stop is None or not stop.is_set():
        async with ctx.db.read() as session:
            chunk = (await session.execute(select(C.c.seq, C.c.numbers).where(C.c.flow_id == flow_id, C.c.done.is_(False))
                                           .order_by(C.c.seq).limit(1))).first()
        if chunk is None:
            await _finish(ctx, flow_id, holder, DONE)
            return DONE
        try:
            await _chunk(ctx, flow.tenant_id, settings, flow_id, holder, inp, chunk.seq, chunk.numbers.split("\n"), stop)
        except KooError as exc:  # the template was disabled or withdrawn, the channel changed: stop here
            await _finish(ctx, flow_id, holder, FAILED, exc.msg)
            return FAILED
    return RUNNING


async def _chunk(ctx: AppContext, tenant_id: str, settings: dict, flow_id: str, holder: str, inp: FlowInput, seq: int,
                 numbers: list[str], stop: asyncio.Event | None) -> None:
    async with ctx.db.read() as session:
        tpl = await queries.task_template(session, inp.tpl_id)
        if tpl is None or not tpl.usable_by(tenant_id):
            why = "was disabled, deleted or withdrawn: the flow stops; numbers not yet sent are not sent"
            raise KooError(TEMPLATE_NOT_USABLE, f"Smart-message template {inp.tpl_id} {why}")
        checked = await capability.check(session, numbers, capability.NONE, tpl.makers)
    outcomes = ["none"] * len(numbers)
    recipients: list[sending.Recipient] = []
    at: list[int] = []  # chunk index of each recipient
    supported = 0
    for i, (n, maker) in enumerate(zip(numbers, checked.makers, strict=True)):
        if maker:
            supported += 1
        elif capability.key_of(n) is None:
            outcomes[i] = "invalid"
            continue
        elif inp.fallback != "sms":
            continue
        recipients.append(sending.Recipient(n, inp.dync_params, sms_params=list(inp.sms_params), smart=bool(maker)))
        at.append(i)

    async def mark(session: AsyncSession, now: datetime, verdicts: dict[int, accept.Verdict] | None, links_ok: list[bool]) -> None:
        for j, i in enumerate(at):
            v = verdicts.get(j) if verdicts is not None else None
            ok = links_ok[j] and v is not None and v.code == send_status.ACCEPTED
            outcomes[i] = ("aim" if recipients[j].smart else "sms") if ok else "refused"
        counts = {k: outcomes.count(k) for k in OUTCOMES}
        counts["supported"] = supported
        n = await affected(session, update(C).where(C.c.flow_id == flow_id, C.c.seq == seq, C.c.done.is_(False))
                           .values(done=True, outcomes="\n".join(outcomes)))
        row = (await session.execute(select(F.c.counts, F.c.holder).where(F.c.id == flow_id))).one()
        if n != 1 or row.holder != holder:
            raise LeaseLost(flow_id)
        total = {k: int(row.counts.get(k, 0)) + counts[k] for k in counts}
        await session.execute(update(F).where(F.c.id == flow_id)
                              .values(counts=total, chunks_done=F.c.chunks_done + 1, lease_until=now + LEASE, crashes=0))

    if not recipients:
        async with ctx.db.write() as session:
            await mark(session, utcnow(), None, [])
        return
    limiter = ctx.limiter
    for attempt in range(3):
        p = await sending.prepare(ctx, tenant_id, settings, inp.spec(), recipients, support_resolve_count=supported, flow_id=flow_id)
        await _wait_tokens(partial(sending.take_smart, limiter, tenant_id, settings), p.accepted(True), stop)
        await _wait_tokens(partial(limiter.take_messages, tenant_id, settings), p.parts, stop)
        try:
            await sending.commit(ctx, settings, p, also=partial(_mark_sent, mark, p))
            break
        except IntegrityError:  # a random code taken meanwhile: plan again
            if attempt == 2:
                raise
    from tidings.dispatch.worker import wake

    wake(ctx)


async def _mark_sent(mark, p: sending.Prepared, session: AsyncSession, now: datetime) -> None:
    await mark(session, now, p.verdict_of(), [r["code"] is not None for r in p.planned.links])


def view(row: Any) -> dict:
    counts = dict(row.counts or {})
    supported = counts.pop("supported", 0)
    return {
        "flow_id": row.id,
        "state": row.state,
        "fallback": row.fallback,
        "tpl_id": row.spec["tpl_id"],
        "task_name": row.spec["task_name"],
        "total": row.total,
        "processed": sum(counts.get(k, 0) for k in OUTCOMES),
        "counts": {k: counts.get(k, 0) for k in OUTCOMES},
        "support_resolve_count": supported,
        "error": row.error,
        "create_time": row.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "finish_time": row.finished_at.strftime("%Y-%m-%dT%H:%M:%SZ") if row.finished_at else None,
    }


async def show(session: AsyncSession, tenant_id: str, flow_id: str) -> dict | None:
    row = (await session.execute(select(F).where(F.c.id == flow_id, F.c.tenant_id == tenant_id))).first()
    return view(row) if row else None


async def numbers(session: AsyncSession, tenant_id: str, flow_id: str, offset: int, limit: int) -> list[dict] | None:
    """Per number (in the order given): its outcome, ``pending`` until its chunk is done."""
    if (await session.execute(select(F.c.id).where(F.c.id == flow_id, F.c.tenant_id == tenant_id))).first() is None:
        return None
    first, last = offset // FLOW_CHUNK, (offset + limit - 1) // FLOW_CHUNK
    rows = (await session.execute(select(C.c.seq, C.c.numbers, C.c.outcomes).where(C.c.flow_id == flow_id, C.c.seq.between(first, last))
                                  .order_by(C.c.seq))).all()
    out: list[dict] = []
    for r in rows:
        nums = r.numbers.split("\n")
        outs = r.outcomes.split("\n") if r.outcomes else ["pending"] * len(nums)
        for i, (n, o) in enumerate(zip(nums, outs, strict=True)):
            index = r.seq * FLOW_CHUNK + i
            if offset <= index < offset + limit:
                out.append({"index": index, "mobile": n, "outcome": o})
    return out


class SendFlowRunner:
    """Background service: claims flows and runs them, one at a time per process."""

    name = "aim:send-flows"
    poll = 0.5

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.holder = _holder()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            flow_id = await claim(self.ctx, self.holder)
            if flow_id is not None:
                await self.work(flow_id, stop)
                continue
            try:
                await asyncio.wait_for(stop.wait(), self.poll)
            except TimeoutError:
                pass

    async def work(self, flow_id: str, stop: asyncio.Event) -> None:
        try:
            state = await run(self.ctx, flow_id, self.holder, stop)
        except LeaseLost:
            log.warning("send flow %s: taken over by another runner", flow_id)
            return
        except asyncio.CancelledError:
            if stop.is_set():
                await release(self.ctx, flow_id, self.holder)
            raise
        except Exception as exc:
            state = await crashed(self.ctx, flow_id, self.holder, exc)
            log.exception("send flow %s crashed (now %s)", flow_id, state)
            return
        if state == RUNNING:  # stopped: hand it back
            await release(self.ctx, flow_id, self.holder)
        log.info("send flow %s: %s", flow_id, state)
