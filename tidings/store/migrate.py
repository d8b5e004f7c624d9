"""Run Alembic migrations programmatically (``tidings migrate``, ``make run``,
and every CLI command before it touches the database)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

    from tidings.store.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


_REVISION = re.compile(r"""^(down_)?revision\s*(?::[^=]*)?=\s*(?:None|['"]([^'"]+)['"])""", re.M)


def head() -> str:
    """The newest revision: the one no other migration builds on.  Read from
    the files' ``revision``/``down_revision`` lines, because importing
    Alembic's script machinery (Mako, Pygments) costs a CLI command more than
    its whole database work; ``tests/unit/test_migrations.py`` holds it to
    Alembic's own answer."""
    revisions: set[str] = set()
    bases: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for down, rev in _REVISION.findall(path.read_text()):
            if rev:
                (bases if down else revisions).add(rev)
    heads = revisions - bases
    if len(heads) != 1:
        raise RuntimeError(f"expected one head revision, found {sorted(heads)}")
    return heads.pop()


async def ensure_current(db: Database) -> str | None:
    """Upgrade the schema to the head revision unless it is there already.

    Returns the revision it started from (``"empty"`` for a database without a
    schema) when it migrated, None when nothing was to do.  The check is one
    query and no Alembic import, so every command can afford it."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    async with db.engine.connect() as conn:
        try:
            current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one_or_none()
        except DBAPIError:  # no table yet: an empty database
            current = None
            await conn.rollback()
        if current == head():
            return None

        def _upgrade(sync_conn) -> None:
            from alembic import command

            cfg = alembic_config(db.url)
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, "head")

        await conn.run_sync(_upgrade)
        await conn.commit()
    return current or "empty"


def revision(url: str, message: str, rev_id: str) -> None:
    """Autogenerate a migration (developers only: ``python -m tidings.store.migrate``)."""
    from alembic import command

    command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)


if __name__ == "__main__":
    import sys

    revision(sys.argv[1], sys.argv[2], sys.argv[3])
