"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from tidings.store.migrate import alembic_config, head, upgrade
from tidings.store.models import Base


def test_migrations_match_models(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_the_cheap_head_is_alembics_head():
    """The CLI reads the head revision from the files without Alembic's script machinery."""
    from alembic.script import ScriptDirectory

    assert head() == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
