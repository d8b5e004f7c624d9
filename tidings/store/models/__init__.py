"""All tables, imported here so Alembic and the tests see one metadata.
Each product keeps its tables in its own module."""

from . import aim, aim_send, callbacks, core, pipeline, review, smpp, sms  # noqa: F401 - imported for their tables on Base.metadata
from .base import Base

__all__ = ["Base"]
