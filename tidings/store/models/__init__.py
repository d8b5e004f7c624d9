"""All tables, imported here so Alembic and the tests see one metadata.

Each product adds its module to this list."""

from .base import Base
from . import core  # noqa: F401

__all__ = ["Base"]
