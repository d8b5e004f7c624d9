"""Run Alembic migrations programmatically (``tidings migrate``, ``make run``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def revision(url: str, message: str, rev_id: str) -> None:
    """Autogenerate a migration (developers only: ``python -m tidings.store.migrate``)."""
    command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)


if __name__ == "__main__":
    import sys

    revision(sys.argv[1], sys.argv[2], sys.argv[3])
