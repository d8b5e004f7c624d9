"""The meter stream: every billable event, written once, for billing to read.

One table for every product (``meter_events``).  An event names its tenant, the
product and metric (SMS's ``sms.part.delivered``), a quantity and the ``source_id`` of
what caused it (the message id for SMS).  ``(metric, source_id)`` is unique and
the insert skips rows that already exist, so a report delivered twice, a
worker that retries a batch, or two processes racing on the same message
never bill twice.

:func:`record` runs inside the caller's write transaction: the event commits
with the state change that caused it or not at all.  Billing reads the stream
by ``(tenant_id, occurred_at)`` (indexed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.store.dialect import built_once, dialect_insert, executemany
from tidings.store.models.pipeline import MeterEvent as MeterRow
from tidings.timeutil import utcnow

if TYPE_CHECKING:
    from tidings.product import MeterDelivered

@dataclass(frozen=True, slots=True)
class MeterEvent:
    tenant_id: str
    product: str
    metric: str
    quantity: int
    source_id: str
    occurred_at: datetime


def per_part(metric: str) -> MeterDelivered:
    """A ``Product.meter_delivered`` hook that bills each delivered part once
    under ``metric``: one event per message, its source the message id."""

    def delivered(row: Any, *, parts: int, at: datetime) -> Sequence[MeterEvent]:
        return (MeterEvent(row.tenant_id, row.product, metric, parts, row.id, at),)

    return delivered


def _insert(session: AsyncSession):
    return dialect_insert(session, MeterRow.__table__)


async def record(session: AsyncSession, events: Sequence[MeterEvent]) -> None:
    """Append ``events``; an event whose (metric, source_id) is already there is skipped."""
    if not events:
        return
    now = utcnow()
    rows = [
        {
            "tenant_id": e.tenant_id,
            "product": e.product,
            "metric": e.metric,
            "quantity": e.quantity,
            "source_id": e.source_id,
            "occurred_at": e.occurred_at,
            "recorded_at": now,
        }
        for e in events
    ]
    await executemany(session, built_once(session, "meter_events", _append), rows)


def _append(session: AsyncSession) -> Any:
    return _insert(session).on_conflict_do_nothing(index_elements=["metric", "source_id"])


async def usage(session: AsyncSession, tenant_id: str, metric: str, since: datetime | None = None) -> int:
    """Total quantity of ``metric`` for a tenant (billing, tests, the CLI)."""
    from sqlalchemy import func

    q = select(func.coalesce(func.sum(MeterRow.quantity), 0)).where(MeterRow.tenant_id == tenant_id, MeterRow.metric == metric)
    if since is not None:
        q = q.where(MeterRow.occurred_at >= since)
    return int((await session.execute(q)).scalar_one())
