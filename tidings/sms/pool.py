"""The channel-number pool: numbers the operator configured, handed to
signatures when their review passes (a signature waits in ``PROCESSING``
while the pool is empty; adding a range assigns the waiting ones)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.sms.codes import OBJ_SIGNATURE
from tidings.store.models.sms import SIG_PROCESSING, SIG_REVIEW_PASSED, ChannelNumber, ChannelRange, SmsSignature
from tidings.store.tenants import audit
from tidings.timeutil import utcnow

# Used when the operator configured no range at all, so the embedded demo works.
DEFAULT_RANGE = ("106900010001", "106900019999")


class PoolError(ValueError):
    pass


def _check_range(first: str, last: str) -> None:
    if not (first.isdigit() and last.isdigit()):
        raise PoolError("first and last must be digit strings")
    if len(first) != len(last):
        raise PoolError("first and last must have the same number of digits")
    if not 3 <= len(first) <= 21:
        raise PoolError("channel numbers have 3 to 21 digits")
    if int(first) > int(last):
        raise PoolError("first must not be greater than last")


async def add_range(session: AsyncSession, first: str, last: str, actor: str, note: str = "") -> ChannelRange:
    """Add numbers to the pool, then give numbers to signatures waiting in PROCESSING."""
    _check_range(first, last)
    for other in (await session.execute(select(ChannelRange))).scalars():
        if len(other.first) == len(first) and int(first) <= int(other.last) and int(other.first) <= int(last):
            raise PoolError(f"overlaps range {other.first}-{other.last}")
    rng = ChannelRange(first=first, last=last, next_value=first, note=note)
    session.add(rng)
    await session.flush()
    await audit(session, actor=actor, action="sms_channel_range.add", object_type="sms_channel_range", object_id=str(rng.id),
                detail={"first": first, "last": last, "note": note})
    await assign_waiting(session, actor)
    return rng


async def pool_summary(session: AsyncSession) -> list[dict]:
    out = []
    for rng in (await session.execute(select(ChannelRange).order_by(ChannelRange.id))).scalars():
        size = int(rng.last) - int(rng.first) + 1
        used = (await session.execute(select(func.count()).where(ChannelNumber.range_id == rng.id, ChannelNumber.signature_id.is_not(None)))).scalar_one()
        touched = max(0, int(rng.next_value) - int(rng.first)) if int(rng.next_value) <= int(rng.last) + 1 else size
        freed = (await session.execute(select(func.count()).where(ChannelNumber.range_id == rng.id, ChannelNumber.signature_id.is_(None)))).scalar_one()
        out.append({"range_id": rng.id, "first": rng.first, "last": rng.last, "size": size, "assigned": used,
                    "free": size - touched + freed, "note": rng.note})
    return out


async def _ensure_default_range(session: AsyncSession) -> None:
    if (await session.execute(select(ChannelRange.id).limit(1))).first() is None:
        await add_range_raw(session, *DEFAULT_RANGE, note="default pool (no range configured)")


async def add_range_raw(session: AsyncSession, first: str, last: str, note: str) -> ChannelRange:
    rng = ChannelRange(first=first, last=last, next_value=first, note=note)
    session.add(rng)
    await session.flush()
    await audit(session, actor="system", action="sms_channel_range.add", object_type="sms_channel_range", object_id=str(rng.id),
                detail={"first": first, "last": last, "note": note})
    return rng


async def allocate_number(session: AsyncSession, tenant_id: str, signature_id: str) -> str | None:
    """A number for an approved signature: never-used numbers first (range
    order), then the longest-freed one.  None when the pool is exhausted."""
    await _ensure_default_range(session)
    now = utcnow()
    ranges = (await session.execute(select(ChannelRange).order_by(ChannelRange.id).with_for_update())).scalars().all()
    for rng in ranges:
        width = len(rng.first)
        while int(rng.next_value) <= int(rng.last):
            candidate = rng.next_value
            rng.next_value = str(int(candidate) + 1).zfill(width)
            if await session.get(ChannelNumber, candidate) is None:
                session.add(ChannelNumber(number=candidate, range_id=rng.id, tenant_id=tenant_id, signature_id=signature_id, assigned_at=now))
                await session.flush()
                return candidate
    reuse = (
        await session.execute(
            select(ChannelNumber).where(ChannelNumber.signature_id.is_(None)).order_by(ChannelNumber.freed_at, ChannelNumber.number).limit(1).with_for_update()
        )
    ).scalar_one_or_none()
    if reuse is None:
        return None
    reuse.tenant_id, reuse.signature_id, reuse.assigned_at, reuse.freed_at = tenant_id, signature_id, now, None
    await session.flush()
    return reuse.number


async def provision(session: AsyncSession, sig: SmsSignature, actor: str) -> None:
    number = await allocate_number(session, sig.tenant_id, sig.id)
    if number is None:
        return  # stays PROCESSING until the operator adds numbers
    sig.channel_num = number
    sig.status = SIG_REVIEW_PASSED
    await audit(session, actor=actor, action="sms_signature.channel_assigned", object_type=OBJ_SIGNATURE, object_id=sig.id,
                tenant_id=sig.tenant_id, detail={"channel_num": number})


async def assign_waiting(session: AsyncSession, actor: str) -> int:
    waiting = (await session.execute(select(SmsSignature).where(SmsSignature.status == SIG_PROCESSING).order_by(SmsSignature.updated_at))).scalars().all()
    done = 0
    for sig in waiting:
        await provision(session, sig, actor)
        done += sig.status == SIG_REVIEW_PASSED
    return done
