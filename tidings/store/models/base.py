"""Declarative base shared by every model module.

Each product keeps its tables in its own module (core, sms, review, pipeline,
smpp, ...), all on this one metadata so Alembic sees one schema that works on
SQLite and PostgreSQL alike: portable types only (String, Integer, BigInteger,
Boolean, DateTime as naive UTC, JSON, LargeBinary).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import JSON, DateTime, MetaData, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tidings.timeutil import utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # Every model maps one Table (no mapping to joins or selects), so Core statements
    # (insert/update/delete on Model.__table__) type-check against a Table.
    __table__: ClassVar[Table]
    type_annotation_map = {dict: JSON, list: JSON, datetime: DateTime()}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
