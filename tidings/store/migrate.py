"""Run Alembic migrations programmatically (``tidings migrate``, ``make run``,
and every CLI command before it touches the database)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config

if TYPE_CHECKING:
    from tidings.store.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def head(url: str) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


async def ensure_current(db: Database) -> str | None:
    """Upgrade the schema to the head revision unless it is there already.

    Returns the revision it started from (``"empty"`` for a database without a
    schema) when it migrated, None when nothing was to do.  The check is one
    query, so commands can afford it every time."""
    from alembic.runtime.migration import MigrationContext

    target = head(db.url)
    async with db.engine.connect() as conn:
        current = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
        if current == target:
            return None

        def _upgrade(sync_conn) -> None:  # noqa: ANN001
            cfg = alembic_config(db.url)
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, "head")

        await conn.run_sync(_upgrade)
        await conn.commit()
    return current or "empty"


def revision(url: str, message: str, rev_id: str) -> None:
    """Autogenerate a migration (developers only: ``python -m tidings.store.migrate``)."""
    command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)


if __name__ == "__main__":
    import sys

    revision(sys.argv[1], sys.argv[2], sys.argv[3])
