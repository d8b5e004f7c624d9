"""store.dialect.executemany writes exactly what SQLAlchemy's own executemany
writes (the same stored text of datetimes and JSON on SQLite, constants and
repeated parameters of an UPDATE), on SQLite and PostgreSQL."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import bindparam, func, select, text, update

from tests.conftest import backend_params, require_pg
from tests.support.harness import create_pg_database, drop_pg_database
from tidings.store import dialect
from tidings.store.db import Database
from tidings.store.dialect import executemany
from tidings.store.migrate import upgrade
from tidings.store.models.pipeline import Message

M = Message.__table__
NOW = datetime(2026, 12, 2, 8, 0, 0)  # no microseconds: the text form must still be SQLAlchemy's
LATER = datetime(2026, 12, 2, 8, 0, 1, 250000)

_UPDATE = (
    update(M)
    .where(M.c.id == bindparam("b_id"))
    .values(status="delivered", part_reports=bindparam("b_parts", type_=M.c.part_reports.type), reported_at=bindparam("b_at"),
            submitted_at=func.coalesce(M.c.submitted_at, bindparam("b_at")))
)


@pytest.fixture(params=backend_params())
def db_url(request):
    if request.param == "postgresql":
        require_pg()
        url = create_pg_database()
    else:
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='tidings-many-')) / 'm.db'}"
    upgrade(url)
    yield url
    if request.param == "postgresql":
        drop_pg_database(url)


def _row(mid: str) -> dict:
    return {"id": mid, "tenant_id": "t1", "task_id": "task", "product": "sms", "app_id": None, "signature_id": None, "signature": "示例",
            "template_id": None, "channel": "sandbox", "channel_num": "106900010001", "number": "8613800138000", "to": "13800138000",
            "text": "【示例】hello", "parts": 1, "extend": None, "status": "queued", "status_code": None, "status_desc": None, "attempts": 0,
            "next_attempt_at": NOW, "expires_at": LATER, "created_at": NOW, "submitted_at": None, "reported_at": None,
            "carrier_ids": ["c1", "c2"], "part_reports": None}


async def test_rows_are_stored_as_sqlalchemy_stores_them(db_url):
    db = Database(db_url)
    try:
        async with db.write() as session:
            await session.execute(M.insert(), [_row("general-1"), _row("general-2")])
            await executemany(session, M.insert(), [_row("fast-1"), _row("fast-2")])
            parts = [{"seq": 1, "status": "DELIVRD"}]
            await session.execute(_UPDATE, [{"b_id": "general-1", "b_parts": parts, "b_at": LATER}])
            await executemany(session, _UPDATE, [{"b_id": "fast-1", "b_parts": parts, "b_at": LATER}])
        # Both took the fast path (a statement it cannot plan falls back to the general one).
        name = db.engine.dialect.name
        assert [p is not None for (stmt, d, _), p in dialect._plans.items() if stmt is _UPDATE and d == name] == [True]
        async with db.read() as session:
            cols = ", ".join(f'CAST("{c.name}" AS TEXT)' for c in M.columns if c.name != "id")
            raw = {r[0]: tuple(r[1:]) for r in await session.execute(text(f"SELECT id, {cols} FROM messages"))}
            typed = {r.id: r for r in await session.execute(select(M))}
        assert raw["fast-1"] == raw["general-1"] and raw["fast-2"] == raw["general-2"]
        assert typed["fast-1"].submitted_at == LATER and typed["fast-1"].status == "delivered" and typed["fast-1"].part_reports == parts
        assert typed["fast-2"].created_at == NOW and typed["fast-2"].carrier_ids == ["c1", "c2"]
    finally:
        await db.dispose()


async def test_one_of_matches_exactly_the_listed_values(db_url):
    # One bound parameter for the whole list (json_each / = ANY): the same rows
    # as IN (...), none for an empty list, values with quotes and non-ASCII intact.
    db = Database(db_url)
    ids = [f"id-{i}" for i in range(1200)] + ["o'brien", "示例-1"]
    try:
        async with db.write() as session:
            await executemany(session, M.insert(), [_row(i) for i in ids])
        async with db.read() as session:
            wanted = ids[::3] + ["o'brien", "示例-1", "absent"]
            got = [r[0] for r in await session.execute(select(M.c.id).where(dialect.one_of(session, M.c.id, wanted)).order_by(M.c.id))]
            assert got == sorted(set(wanted) - {"absent"})
            assert list(await session.execute(select(M.c.id).where(dialect.one_of(session, M.c.id, [])))) == []
    finally:
        await db.dispose()


async def test_insert_rows_stores_what_the_orm_stores(db_url):
    """insert_rows (several tables, one statement each; on SQLite straight on
    aiosqlite) applies the ORM's column defaults, stores the same text, and
    raises SQLAlchemy's IntegrityError for a taken key (the template create
    retries on it), after which the transaction rolls back whole."""
    from sqlalchemy.exc import IntegrityError

    from tidings.store.models.core import AuditEvent
    from tidings.store.models.review import ReviewDecision, ReviewItem
    from tidings.store.tenants import create_tenant

    A, R, D = AuditEvent.__table__, ReviewItem.__table__, ReviewDecision.__table__
    item = {"id": "item-1", "object_type": "x", "object_id": "1", "rule": "single", "parties": ["operator"],
            "party_states": {"operator": "pending"}, "payload": {"名": [1, 2.5, None]}, "submitted_at": NOW}
    db = Database(db_url)
    try:
        async with db.write() as session:
            item["tenant_id"] = (await create_tenant(session, "t-rows")).id
            session.add(AuditEvent(tenant_id="t1", actor="a", action="orm", object_type="x", object_id="1", detail={"k": "值"}, at=NOW))
            await session.flush()
            await dialect.insert_rows(session, (R, [item]), (D, [{"item_id": "item-1", "round": 1, "party": "*", "decision": "submitted", "actor": "a"}]),
                                      (A, [{"tenant_id": "t1", "actor": "a", "action": "fast", "object_type": "x", "object_id": "1", "detail": {"k": "值"},
                                            "at": NOW}]))
        async with db.read() as session:
            cols = ", ".join(f'CAST("{c.name}" AS TEXT)' for c in A.columns if c.name not in ("id", "action"))
            raw = {r[0]: tuple(r[1:]) for r in await session.execute(text(f"SELECT action, {cols} FROM audit_events"))}
            stored = (await session.execute(select(R))).one()
            decision = (await session.execute(select(D))).one()
        assert raw["fast"] == raw["orm"]
        assert stored.state == "pending" and stored.round == 1 and stored.title == "" and stored.urge_status == "NO" and stored.payload == item["payload"]
        assert decision.reason == "" and decision.at is not None and decision.id is not None
        with pytest.raises(IntegrityError):
            async with db.write() as session:
                await dialect.insert_rows(session, (A, [{"actor": "a", "action": "lost", "object_type": "x", "object_id": "2"}]), (R, [item]))
        async with db.read() as session:
            assert (await session.execute(select(func.count()).select_from(A).where(A.c.action == "lost"))).scalar_one() == 0
    finally:
        await db.dispose()
