"""Who holds the pending receipts of a channel that confirms in the
dispatcher's transaction, and who takes them over when that process dies.

Such a channel (the sandbox) keeps the receipts of its submitted messages in
memory.  Each process running it holds a lease row (``receipt_holders``) and
renews it every third of ``dispatch.holder_lease_seconds`` while it lives,
like the callback rows' lease (tidings/callbacks/delivery.py).  Every worker
running the channel looks, on the same beat, for holders whose lease ran out
(SIGKILL, a lost machine): the first to delete such a row re-arms the
receipts of the channel's submitted, unreported messages from the database
(``TransactionalChannel.resume``).  So a dead worker's messages get their
receipts from a surviving one within about one and a third leases, without a
restart.

It re-arms every submitted, unreported message of the channel, not only the
dead holder's (the rows do not say who submitted them): a message whose
receipt a live process also holds is then reported twice, and the intake
drops the second report (its part is already reported), so each message
still gets exactly one receipt.  At start-up a process re-arms the same way
(its own previous run may have died); on SQLite, where one process writes,
every other holder row is a previous run's and is dropped at once.  A process
that stops cleanly ends its lease at once so a survivor takes over without
waiting for it to run out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import timedelta

from tidings.channels.base import PendingMessage, TransactionalChannel
from tidings.context import AppContext
from tidings.dispatch.config import DispatchConfig
from tidings.store import messages as store
from tidings.timeutil import utcnow

log = logging.getLogger("tidings.dispatch")

PAGE = 5000


async def rearm(ctx: AppContext, channel: TransactionalChannel) -> int:
    """Give ``channel`` back the receipts of its submitted, unreported messages."""
    after, total = "", 0
    while True:
        async with ctx.db.read() as session:
            rows = await store.submitted_unreported(session, channel.name, after, PAGE)
        if not rows:
            return total
        channel.resume([
            PendingMessage(r.id, r.number, r.parts, r.submitted_at or utcnow(), tuple(p["seq"] for p in (r.part_reports or [])))
            for r in rows
        ])
        total += len(rows)
        after = rows[-1].id


class ReceiptHolding:
    """The lease service for one transactional channel in this process."""

    def __init__(self, ctx: AppContext, channel: TransactionalChannel, config: DispatchConfig) -> None:
        self.ctx = ctx
        self.channel = channel
        self.lease = timedelta(seconds=config.holder_lease_seconds)
        self.id = uuid.uuid4().hex
        self.name = f"receipts:{channel.name}"
        self.process = f"{socket.gethostname()}:{os.getpid()}"[:255]
        self.taken_over = 0  # dead holders whose receipts this process re-armed

    async def tick(self, first: bool = False) -> int:
        """Renew this process's lease and take over expired ones; returns the
        number of messages re-armed."""
        now = utcnow()
        async with self.ctx.db.write() as session:
            await store.renew_holder(session, self.id, self.channel.name, now + self.lease, self.process)
            before = None if first and self.ctx.db.is_sqlite else now
            dead = await store.drop_holders(session, self.channel.name, before, keep=self.id)
        if not (dead or first):
            return 0
        count = await rearm(self.ctx, self.channel)
        if dead and not first:
            self.taken_over += len(dead)
            log.warning("channel %s: %d process(es) stopped renewing their lease (%s); re-armed the receipts of %d submitted messages",
                        self.channel.name, len(dead), ", ".join(dead), count)
        elif count:
            log.info("channel %s: re-armed receipts of %d submitted messages", self.channel.name, count)
        return count

    async def release(self) -> None:
        """End the lease now: a survivor takes over without waiting for it to run out."""
        async with self.ctx.db.write() as session:
            await store.renew_holder(session, self.id, self.channel.name, utcnow() - timedelta(seconds=1), self.process)

    async def run(self, stop: asyncio.Event) -> None:
        every = self.lease.total_seconds() / 3
        first = True
        try:
            while not stop.is_set():
                try:
                    await self.tick(first)
                    first = False
                except Exception:
                    log.exception("channel %s: renewing the receipt lease failed; will retry", self.channel.name)
                try:
                    await asyncio.wait_for(stop.wait(), every)
                except TimeoutError:
                    pass
        finally:
            try:
                await self.release()
            except Exception:
                log.exception("channel %s: ending the receipt lease failed; it runs out by itself", self.channel.name)
